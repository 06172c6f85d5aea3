#include "ports/lease_record.hpp"

#include <charconv>

#include "ports/plan.hpp"

namespace openclaw::ports::record {

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c <= ' ' || c == '%' || c == 0x7f) {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.empty() ? std::string("%") : out;  // a lone % is the empty string
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// What unescape() accepts, without building the string (the scan's hot path).
bool well_escaped(std::string_view s) {
  if (s == "%") return true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

}  // namespace

std::optional<std::string> unescape(std::string_view s) {
  if (s == "%") return std::string();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    // Two hex digits exactly (from_chars also took a sign: "%-1").
    if (i + 2 >= s.size() || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
      return std::nullopt;
    out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
    i += 2;
  }
  return out;
}

template <typename T>
bool number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string to_line(const InstanceLeases& inst) {
  std::string line = std::to_string(inst.owner.pid) + ' ' + std::to_string(inst.owner.start_time) +
                     ' ' + std::to_string(inst.owner.base) + ' ' +
                     (inst.owner.profile ? escape(*inst.owner.profile) : std::string("~")) + ' ' +
                     escape(inst.owner.state_dir) + ' ' + std::to_string(inst.leases.size());
  for (const auto& l : inst.leases) {
    line += ' ' + escape(l.name) + ' ' + std::to_string(l.port) + ' ' + escape(l.bind) + ' ' +
            escape(source_name(l.source)) + ' ' + std::to_string(l.granted_at_ms);
  }
  return line;
}

namespace {

// The one walk over a line's fields, for both readers: the shape (numbers, counts, escapes, a
// known source name) is checked here, so what one reader accepts the other accepts too. `head`
// gets pid, start, base, profile (still escaped, "~" for none), state dir (escaped) and n;
// `lease` gets name, port, bind (escaped), source and grantedAt. Either may refuse the line.
template <typename Head, typename OnLease>
bool walk(std::string_view line, Head&& head, OnLease&& lease) {
  std::string_view rest = line;
  auto next = [&](std::string_view& out) {
    if (rest.empty()) return false;
    auto sp = rest.find(' ');
    out = rest.substr(0, sp);
    rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
    return true;
  };
  std::string_view f[6];
  for (auto& x : f) {
    if (!next(x)) return false;
  }
  int pid = 0, base = 0;
  std::uint64_t start = 0;
  size_t n = 0;
  if (!number(f[0], pid) || !number(f[1], start) || !number(f[2], base) || !number(f[5], n) ||
      n > 4096 || (f[3] != "~" && !well_escaped(f[3])) || !well_escaped(f[4])) {
    return false;
  }
  if (!head(pid, start, base, f[3], f[4], n)) return false;
  for (size_t i = 0; i < n; ++i) {
    std::string_view g[5];
    for (auto& x : g) {
      if (!next(x)) return false;
    }
    int port = 0;
    std::int64_t granted = 0;
    auto source_text = unescape(g[3]);
    auto source = source_text ? source_from_name(*source_text) : std::nullopt;
    if (!number(g[1], port) || !number(g[4], granted) || !well_escaped(g[0]) ||
        !well_escaped(g[2]) || !source) {
      return false;
    }
    if (!lease(g[0], port, g[2], *source, granted)) return false;
  }
  return rest.empty();
}

}  // namespace

// Tolerant reader: a damaged line is skipped, never fatal.
std::optional<InstanceLeases> from_line(std::string_view line) {
  InstanceLeases inst;
  bool ok = walk(
      line,
      [&](int pid, std::uint64_t start, int base, std::string_view profile,
          std::string_view state_dir, size_t n) {
        inst.owner.pid = pid;
        inst.owner.start_time = start;
        inst.owner.base = base;
        if (profile != "~") inst.owner.profile = unescape(profile);
        inst.owner.state_dir = unescape(state_dir).value_or("");
        inst.leases.reserve(n);
        return true;
      },
      [&](std::string_view name, int port, std::string_view bind, sdk::PortSource source,
          std::int64_t granted) {
        inst.leases.push_back(
            Lease{unescape(name).value_or(""), port, unescape(bind).value_or(""), source, granted});
        return true;
      });
  if (!ok) return std::nullopt;
  return inst;
}

std::optional<Row> scan_line(std::string_view line) {
  Row r;
  r.line = line;
  bool ok = walk(
      line,
      [&](int pid, std::uint64_t start, int base, std::string_view, std::string_view state_dir,
          size_t n) {
        r.pid = pid;
        r.start = start;
        r.base = base;
        r.state_dir = state_dir;
        r.ports.reserve(n);
        return true;
      },
      [&](std::string_view, int port, std::string_view, sdk::PortSource, std::int64_t) {
        r.ports.push_back(port);
        return true;
      });
  if (!ok) return std::nullopt;
  return r;
}

std::vector<std::string_view> record_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace openclaw::ports::record
