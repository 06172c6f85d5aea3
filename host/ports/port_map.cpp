#include "ports/port_map.hpp"

#include <algorithm>
#include <cstdio>

#include "core/xml.hpp"
#include "profile/profile.hpp"

namespace openclaw::ports {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// The axis: the windows of ports worth drawing (each instance's span, each port outside it),
// side by side with a break between them, so instances 5000 ports apart still show their ports.
class Axis {
 public:
  static constexpr double kLeft = 170, kRight = 840, kGap = 22;

  explicit Axis(const PortMap& map) {
    std::vector<std::pair<int, int>> raw;
    for (const auto& i : map.instances) {
      if (i.base > 0) raw.emplace_back(i.base - 8, i.base + profile::kDerivedSpan + 8);
      for (const auto& p : i.ports) raw.emplace_back(p.port - 6, p.port + 6);
    }
    if (raw.empty()) raw.emplace_back(18789 - 8, 18789 + profile::kDerivedSpan + 8);
    std::sort(raw.begin(), raw.end());
    for (const auto& [lo, hi] : raw) {
      if (!windows_.empty() && lo <= windows_.back().hi + 30) {
        windows_.back().hi = std::max(windows_.back().hi, hi);
      } else {
        windows_.push_back({lo, hi, 0});
      }
    }
    double ports = 0;
    for (const auto& w : windows_) ports += w.hi - w.lo + 1;
    scale_ = (kRight - kLeft - kGap * static_cast<double>(windows_.size() - 1)) / ports;
    double x = kLeft;
    for (auto& w : windows_) {
      w.x = x;
      x += (w.hi - w.lo + 1) * scale_ + kGap;
    }
  }

  struct Window {
    int lo, hi;
    double x;
  };
  const std::vector<Window>& windows() const { return windows_; }
  double scale() const { return scale_; }

  /// x of the left edge of `port` (clamped into the nearest window).
  double x(int port) const {
    const Window* best = &windows_.front();
    for (const auto& w : windows_) {
      if (port >= w.lo) best = &w;
    }
    int p = std::clamp(port, best->lo, best->hi + 1);
    return best->x + (p - best->lo) * scale_;
  }

  /// The drawn pieces of [lo, hi] (one per window it meets).
  std::vector<std::pair<double, double>> pieces(int lo, int hi) const {
    std::vector<std::pair<double, double>> out;
    for (const auto& w : windows_) {
      int a = std::max(lo, w.lo), b = std::min(hi, w.hi);
      if (a > b) continue;
      out.emplace_back(w.x + (a - w.lo) * scale_, (b - a + 1) * scale_);
    }
    return out;
  }

 private:
  std::vector<Window> windows_;
  double scale_ = 1;
};

const char* port_colour(const std::string& name) {
  if (name == "gateway") return "#1f4e9c";
  if (name == "browser.control" || name.rfind("browser.cdp", 0) == 0) return "#2f8f5b";
  if (name == "canvas") return "#a05a00";
  if (name == "bridge") return "#7a7f8c";
  return "#6b3fa0";
}

}  // namespace

std::string render_svg(const PortMap& map) {
  Axis axis(map);
  const double row_h = 40, top = 64;
  const auto n = static_cast<double>(map.instances.size());
  const double height = top + std::max(1.0, n) * row_h + 78;
  const double width = 1000;
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"portmap\" width=\"" + num(width) +
       "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
       "\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n";
  s += "<title>" + xml_escape(map.title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  s += "<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"600\" fill=\"#1d2430\">" +
       xml_escape(map.title) + "</text>\n";
  const double rows_bottom = top + std::max(1.0, n) * row_h;

  // The kernel's ephemeral range, under everything: outgoing connections take ports there.
  for (const auto& [x, w] : axis.pieces(map.ephemeral.lo, map.ephemeral.hi)) {
    s += "<rect class=\"ephemeral\" x=\"" + num(x) + "\" y=\"" + num(top - 10) + "\" width=\"" +
         num(w) + "\" height=\"" + num(rows_bottom - top + 10) +
         "\" fill=\"#fff3cd\"><title>kernel ephemeral range " + map.ephemeral.text() +
         "</title></rect>\n";
  }
  // Window edges: port numbers below, a break between windows.
  for (std::size_t i = 0; i < axis.windows().size(); ++i) {
    const auto& w = axis.windows()[i];
    double right = w.x + (w.hi - w.lo + 1) * axis.scale();
    s += "<line x1=\"" + num(w.x) + "\" y1=\"" + num(rows_bottom + 4) + "\" x2=\"" + num(right) +
         "\" y2=\"" + num(rows_bottom + 4) + "\" stroke=\"#9aa3b2\"/>\n";
    s += "<text class=\"tick\" x=\"" + num(w.x) + "\" y=\"" + num(rows_bottom + 18) +
         "\" fill=\"#5b6575\">" + std::to_string(w.lo) + "</text>\n";
    s += "<text class=\"tick\" x=\"" + num(right) + "\" y=\"" + num(rows_bottom + 18) +
         "\" text-anchor=\"end\" fill=\"#5b6575\">" + std::to_string(w.hi) + "</text>\n";
    if (i + 1 < axis.windows().size()) {
      s += "<text x=\"" + num(right + Axis::kGap / 2) + "\" y=\"" + num(rows_bottom + 8) +
           "\" text-anchor=\"middle\" fill=\"#9aa3b2\">\xE2\x89\x88</text>\n";
    }
  }

  // Shared ports and overlapping spans, between every two instances.
  std::vector<std::vector<int>> conflict_ports(map.instances.size());
  std::vector<std::vector<std::pair<int, int>>> overlaps(map.instances.size());
  for (std::size_t i = 0; i < map.instances.size(); ++i) {
    for (std::size_t j = i + 1; j < map.instances.size(); ++j) {
      const auto &a = map.instances[i], &b = map.instances[j];
      if (a.state == "stale" || b.state == "stale") continue;
      for (const auto& p : a.ports) {
        for (const auto& q : b.ports) {
          if (p.port != q.port) continue;
          conflict_ports[i].push_back(p.port);
          conflict_ports[j].push_back(p.port);
        }
      }
      if (a.base > 0 && b.base > 0) {
        int lo = std::max(a.base, b.base);
        int hi = std::min(a.base, b.base) + profile::kDerivedSpan;
        if (lo <= hi) {
          overlaps[i].emplace_back(lo, hi);
          overlaps[j].emplace_back(lo, hi);
        }
      }
    }
  }

  for (std::size_t i = 0; i < map.instances.size(); ++i) {
    const auto& inst = map.instances[i];
    const double y = top + static_cast<double>(i) * row_h;
    const bool stale = inst.state == "stale";
    s += "<g class=\"instance\" data-name=\"" + xml_escape(inst.name) + "\" data-base=\"" +
         std::to_string(inst.base) + "\" data-state=\"" + xml_escape(inst.state) + "\"" +
         (inst.self ? " data-self=\"true\"" : "") + ">\n";
    std::string label = inst.name.size() > 24
                            ? "\xE2\x80\xA6" + inst.name.substr(inst.name.size() - 22)
                            : inst.name;
    s += "<text x=\"12\" y=\"" + num(y + 16) + "\" fill=\"#1d2430\"" +
         (inst.self ? std::string(" font-weight=\"700\"") : std::string()) + ">" +
         xml_escape(label) + "</text>\n";
    s += "<text x=\"12\" y=\"" + num(y + 30) + "\" fill=\"#5b6575\" font-size=\"10\">base " +
         (inst.base ? std::to_string(inst.base) : std::string("?")) + "</text>\n";
    if (inst.base > 0) {
      const char* fill = stale ? "#e5e7eb" : inst.state == "running" ? "#e6eefc" : "#f1f3f6";
      for (const auto& [x, w] : axis.pieces(inst.base, inst.base + profile::kDerivedSpan)) {
        s += "<rect class=\"span\" x=\"" + num(x) + "\" y=\"" + num(y + 2) + "\" width=\"" +
             num(w) + "\" height=\"24\" rx=\"3\" fill=\"" + fill + "\" stroke=\"#c8d0dc\"" +
             (stale ? " stroke-dasharray=\"4 3\"" : "") + "><title>derived span " +
             std::to_string(inst.base) + ".." + std::to_string(inst.base + profile::kDerivedSpan) +
             "</title></rect>\n";
      }
    }
    if (inst.cdp_lo > 0) {
      for (const auto& [x, w] : axis.pieces(inst.cdp_lo, inst.cdp_hi)) {
        s += "<rect class=\"cdp-range\" x=\"" + num(x) + "\" y=\"" + num(y + 8) + "\" width=\"" +
             num(w) +
             "\" height=\"12\" fill=\"none\" stroke=\"#2f8f5b\" stroke-dasharray=\"3 2\">"
             "<title>CDP range " +
             std::to_string(inst.cdp_lo) + "-" + std::to_string(inst.cdp_hi) + "</title></rect>\n";
      }
    }
    for (const auto& [lo, hi] : overlaps[i]) {
      for (const auto& [x, w] : axis.pieces(lo, hi)) {
        s += "<rect class=\"overlap\" x=\"" + num(x) + "\" y=\"" + num(y + 2) + "\" width=\"" +
             num(w) +
             "\" height=\"24\" fill=\"#f59e0b\" fill-opacity=\"0.25\"><title>spans overlap " +
             std::to_string(lo) + ".." + std::to_string(hi) + "</title></rect>\n";
      }
    }
    const double pw = std::max(3.0, axis.scale());
    for (const auto& p : inst.ports) {
      const bool conflict = std::find(conflict_ports[i].begin(), conflict_ports[i].end(), p.port) !=
                            conflict_ports[i].end();
      s += "<rect class=\"port" + std::string(conflict ? " conflict" : "") + "\" data-port=\"" +
           std::to_string(p.port) + "\" data-name=\"" + xml_escape(p.name) + "\" x=\"" +
           num(axis.x(p.port)) + "\" y=\"" + num(y + 2) + "\" width=\"" + num(pw) +
           "\" height=\"24\" fill=\"" + (stale ? "#9ca3af" : port_colour(p.name)) + "\"" +
           (conflict ? " stroke=\"#dc2626\" stroke-width=\"2\"" : "") + "><title>" +
           xml_escape(p.name) + " " + std::to_string(p.port) +
           (conflict ? " (shared with another instance)" : "") + "</title></rect>\n";
    }
    std::string state = inst.state;
    if (stale) state = "stale lease";
    s += "<text x=\"" + num(Axis::kRight + 14) + "\" y=\"" + num(y + 16) + "\" fill=\"" +
         (inst.state == "running" ? "#17692b"
          : stale                 ? "#9b1c1c"
                                  : "#4b5563") +
         "\">" + xml_escape(state) + "</text>\n";
    if (auto it = map.rescue_view.find(inst.name); it != map.rescue_view.end()) {
      s += "<text class=\"rescue-view\" x=\"" + num(Axis::kRight + 14) + "\" y=\"" + num(y + 30) +
           "\" font-size=\"10\" fill=\"" + (it->second == "up" ? "#17692b" : "#9b1c1c") +
           "\">rescue bot: " + xml_escape(it->second) + "</text>\n";
    }
    s += "</g>\n";
  }
  if (map.instances.empty()) {
    s += "<text x=\"" + num(Axis::kLeft) + "\" y=\"" + num(top + 16) +
         "\" fill=\"#5b6575\">no instance on this machine</text>\n";
  }
  // Every shared port also as a line across the rows, so it is seen at a glance.
  std::vector<int> shared;
  for (const auto& c : conflict_ports) shared.insert(shared.end(), c.begin(), c.end());
  std::sort(shared.begin(), shared.end());
  shared.erase(std::unique(shared.begin(), shared.end()), shared.end());
  for (int p : shared) {
    double x = axis.x(p) + std::max(3.0, axis.scale()) / 2;
    s += "<line class=\"conflict-line\" x1=\"" + num(x) + "\" y1=\"" + num(top - 6) + "\" x2=\"" +
         num(x) + "\" y2=\"" + num(rows_bottom) +
         "\" stroke=\"#dc2626\" stroke-width=\"1.5\" stroke-dasharray=\"2 2\"/>\n";
  }
  // Legend.
  const double ly = rows_bottom + 44;
  double lx = 12;
  auto key = [&](const std::string& fill, const std::string& text, const std::string& extra = "") {
    s += "<rect x=\"" + num(lx) + "\" y=\"" + num(ly - 10) +
         "\" width=\"12\" height=\"12\" fill=\"" + fill + "\"" + extra + "/><text x=\"" +
         num(lx + 16) + "\" y=\"" + num(ly) + "\" fill=\"#5b6575\">" + xml_escape(text) +
         "</text>\n";
    lx += 28 + 6.5 * static_cast<double>(text.size());
  };
  key("#1f4e9c", "gateway");
  key("#2f8f5b", "browser / CDP");
  key("#a05a00", "canvas");
  key("#6b3fa0", "plugin port");
  key("#e6eefc", "derived span (running)");
  key("#fff3cd", "ephemeral range " + map.ephemeral.text());
  key("#ffffff", "shared port", " stroke=\"#dc2626\" stroke-width=\"2\"");
  key("#f59e0b", "spans overlap", " fill-opacity=\"0.4\"");
  s += "</svg>\n";
  return s;
}

}  // namespace openclaw::ports
