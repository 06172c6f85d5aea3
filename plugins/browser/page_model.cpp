#include "page_model.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <string_view>

#include <openclaw/sdk/http_client.hpp>

namespace browser {
namespace json = boost::json;

std::optional<long long> RefTable::node_of(const std::string& ref) const {
  auto it = current_.find(ref);
  if (it == current_.end()) return std::nullopt;
  return it->second;
}

void RefTable::reset() {
  by_key_.clear();
  current_.clear();
  snapshots_ = 0;
  aria_ = false;
}

void RefTable::new_document() {
  reset();
  prefix_ = "f" + std::to_string(++documents_);
  next_ = 1;
}

void RefTable::use_aria(std::map<std::string, long long> refs) {
  for (const auto& [ref, node] : refs) all_[ref] = node;
  current_ = std::move(refs);
  aria_ = true;
}

RefProblem ref_problem(const RefTable& table, const std::string& ref) {
  if (table.node_of(ref)) return {};
  // "f3e19": a frame-prefixed ref is looked up on the page (and not found there).
  bool framed = ref.size() > 3 && ref[0] == 'f' && std::isdigit(static_cast<unsigned char>(ref[1]));
  if (table.has_ai_refs() || framed) {
    return {"Element \"" + ref +
                "\" not found or not visible. Run a new snapshot to see current page elements.",
            "ACT_OPERATION_FAILED"};
  }
  return {
      "Error: Unknown ref \"" + ref + "\". Run a new snapshot and use a ref from that snapshot.",
      ""};
}

namespace {

std::string str_of(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_object()) return {};
  const json::value* inner = v->get_object().if_contains("value");
  if (!inner) return {};
  if (inner->is_string()) return std::string(inner->get_string());
  if (inner->is_int64()) return std::to_string(inner->get_int64());
  if (inner->is_double()) {
    // Whole numbers as integers ("3", not "3.000000"); one past long long's range would be UB.
    double d = inner->get_double();
    if (d > -9.2e18 && d < 9.2e18) return std::to_string(static_cast<long long>(d));
    return json::serialize(*inner);
  }
  if (inner->is_bool()) return inner->get_bool() ? "true" : "false";
  return {};
}

std::string collapse_ws(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::string quoted(const std::string& s) {
  return json::serialize(json::value(s));
}

// Text after "role: " is quoted when YAML would misread it.
std::string text_value(const std::string& s) {
  bool plain = !s.empty() && s.find(": ") == std::string::npos && s.find(':') != s.size() - 1 &&
               std::string("-?[]{}#&*!|>'\"%@`,").find(s.front()) == std::string::npos &&
               s.find(':') == std::string::npos;
  return plain ? s : quoted(s);
}

const std::set<std::string> kInteractive = {
    "button",   "link",    "textbox", "searchbox",  "checkbox",         "radio",
    "combobox", "listbox", "option",  "menuitem",   "menuitemcheckbox", "menuitemradio",
    "tab",      "switch",  "slider",  "spinbutton", "treeitem"};

const std::set<std::string> kTransparent = {"RootWebArea",  "WebArea", "none",
                                            "presentation", "Iframe",  "IframePresentational"};

}  // namespace

struct SnapshotBuilder {
  std::map<std::string, const json::object*> nodes;
  RefTable& table;
  Snapshot out;
  std::map<std::string, long long> current;
  bool later;  // not the first snapshot of this tab
  // The nodes come from the page's renderer: each is shown once, where it is first reached, so a
  // childIds cycle or a node listed under two parents cannot recurse forever or multiply the
  // output; below kMaxDepth levels the tree is cut (the recursion must not exhaust the stack).
  static constexpr int kMaxDepth = 256;
  std::set<const json::object*> reached;
  int depth = 0;

  // The shown tree, built first (what is shown depends on the children), then numbered in
  // document order.
  struct Item {
    bool is_text = false;
    std::string text;  // text runs
    std::string role, name, attrs;
    long long backend = 0;
    std::vector<Item> kids;
  };

  std::vector<Item> children_of(const json::object& n) {
    std::vector<Item> items;
    const json::value* ids = n.if_contains("childIds");
    if (!ids || !ids->is_array()) return items;
    for (const auto& id : ids->get_array()) {
      if (!id.is_string()) continue;
      auto it = nodes.find(std::string(id.get_string()));
      if (it == nodes.end() || depth >= kMaxDepth || !reached.insert(it->second).second) continue;
      ++depth;
      auto built = build(*it->second);
      --depth;
      for (auto& r : built) {
        // Adjacent text runs join into one.
        if (r.is_text && !items.empty() && items.back().is_text) {
          items.back().text += " " + r.text;
        } else {
          items.push_back(std::move(r));
        }
      }
    }
    return items;
  }

  // A text run for the readable text, whole lines only, within its limit.
  void read(const std::string& t) {
    auto& r = out.readable;
    if (r.size() + t.size() + 1 > Snapshot::kReadableLimit) return;
    if (!r.empty()) r += '\n';
    r += t;
  }

  static Item text_item(std::string t) {
    Item i;
    i.is_text = true;
    i.text = std::move(t);
    return i;
  }

  std::vector<Item> build(const json::object& n) {
    std::string role = str_of(n, "role");
    const json::value* ign = n.if_contains("ignored");
    bool ignored = ign && ign->is_bool() && ign->get_bool();
    if (role == "InlineTextBox" || role == "LineBreak") return {};
    if (ignored || kTransparent.count(role) || role.empty()) return children_of(n);
    if (role == "StaticText") {
      std::string t = collapse_ws(str_of(n, "name"));
      if (t.empty()) return {};
      read(t);
      return {text_item(t)};
    }
    if (role == "LabelText") {
      // A <label>'s text: shown as text; its control follows with the label as its name.
      auto kids = children_of(n);
      if (kids.empty() && !collapse_ws(str_of(n, "name")).empty()) {
        kids.push_back(text_item(collapse_ws(str_of(n, "name"))));
      }
      return kids;
    }
    Item item;
    item.role = role;
    item.name = collapse_ws(str_of(n, "name"));
    // A field's inner editor nodes only repeat its value: they are not walked (nor given refs).
    const bool field = role == "textbox" || role == "searchbox" || role == "combobox";
    if (!field) item.kids = children_of(n);
    auto& kids = item.kids;
    // The accessible name usually repeats the element's own text: not shown twice.
    if (!item.name.empty() && kids.size() == 1 && kids[0].is_text && kids[0].text == item.name) {
      kids.clear();
    }
    // A nameless generic wrapper around one element adds nothing.
    if (role == "generic" && item.name.empty() && kids.size() == 1 && !kids[0].is_text) {
      return std::move(kids);
    }
    if (role == "generic" && item.name.empty() && kids.empty()) return {};
    if (const json::value* props = n.if_contains("properties"); props && props->is_array()) {
      for (const auto& p : props->get_array()) {
        if (!p.is_object()) continue;
        const json::value* pn = p.get_object().if_contains("name");
        if (!pn || !pn->is_string()) continue;
        std::string pname(pn->get_string());
        std::string pval = str_of(p.get_object(), "value");
        if (pname == "level") item.attrs += " [level=" + pval + "]";
        if (pname == "focused" && pval == "true") item.attrs += " [active]";
        if ((pname == "checked" || pname == "pressed" || pname == "disabled" ||
             pname == "expanded" || pname == "selected") &&
            pval == "true") {
          item.attrs += " [" + pname + "]";
        }
      }
    }
    if (const json::value* b = n.if_contains("backendDOMNodeId"); b && b->is_int64()) {
      item.backend = b->get_int64();
    }
    std::string value = collapse_ws(str_of(n, "value"));
    if (field && !value.empty()) kids.push_back(text_item(value));
    return {std::move(item)};
  }

  void emit(const Item& item, const std::string& indent, std::vector<std::string>& lines) {
    if (item.is_text) {
      lines.push_back(indent + "- text: " + text_value(item.text));
      return;
    }
    std::string line = indent + "- " + item.role;
    if (!item.name.empty()) line += " " + quoted(item.name);
    line += item.attrs;
    if (item.backend) {
      std::string key = std::to_string(item.backend) + "|" + item.role + "|" + item.name;
      auto it = table.by_key_.find(key);
      std::string ref;
      bool fresh = false;
      if (it == table.by_key_.end()) {
        ref = table.prefix_ + "e" + std::to_string(table.next_++);
        table.by_key_[key] = ref;
        fresh = later;
      } else {
        ref = it->second;
      }
      current[ref] = item.backend;
      table.all_[ref] = item.backend;
      json::object info{{"role", item.role}};
      if (!item.name.empty()) info["name"] = item.name;
      out.refs[ref] = std::move(info);
      line += " [ref=" + ref + "]";
      if (fresh) {
        line += " [new]";
        ++out.new_elements;
      }
      if (kInteractive.count(item.role)) ++out.interactive;
    }
    const bool field = item.role == "textbox" || item.role == "searchbox";
    if (item.kids.size() == 1 && item.kids[0].is_text && !field) {
      lines.push_back(line + ": " + text_value(item.kids[0].text));
      return;
    }
    if (!item.kids.empty()) line += ":";
    lines.push_back(line);
    for (const auto& k : item.kids) emit(k, indent + "  ", lines);
  }
};

Snapshot render_snapshot(const json::array& nodes, RefTable& table) {
  SnapshotBuilder b{{}, table, {}, {}, table.snapshots_ > 0, {}, 0};
  const json::object* root = nullptr;
  for (const auto& v : nodes) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    const json::value* id = o.if_contains("nodeId");
    if (!id || !id->is_string()) continue;
    b.nodes[std::string(id->get_string())] = &o;
    if (!root && !o.contains("parentId")) root = &o;
  }
  std::vector<std::string> lines;
  if (root) {
    b.reached.insert(root);
    for (const auto& item : b.build(*root)) b.emit(item, "", lines);
  }
  if (b.out.new_elements > 0) {
    lines.push_back(std::to_string(b.out.new_elements) + " new element(s) since last snapshot");
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) b.out.text += '\n';
    b.out.text += lines[i];
  }
  b.out.lines = static_cast<int>(lines.size());
  table.current_ = std::move(b.current);
  table.aria_ = false;
  ++table.snapshots_;
  return std::move(b.out);
}

// ---- navigation policy ----------------------------------------------------------------------

bool is_private_address(const std::string& ip_text) {
  std::string ip = ip_text;
  if (!ip.empty() && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
  unsigned char a4[4];
  if (::inet_pton(AF_INET, ip.c_str(), a4) == 1) {
    if (a4[0] == 0 || a4[0] == 10 || a4[0] == 127) return true;
    if (a4[0] == 169 && a4[1] == 254) return true;
    if (a4[0] == 172 && (a4[1] & 0xf0) == 16) return true;
    if (a4[0] == 192 && a4[1] == 168) return true;
    if (a4[0] == 100 && (a4[1] & 0xc0) == 64) return true;  // CGNAT 100.64/10
    if (a4[0] >= 224) return true;                          // multicast, reserved, broadcast
    return false;
  }
  unsigned char a6[16];
  if (::inet_pton(AF_INET6, ip.c_str(), a6) == 1) {
    static const unsigned char zero[16] = {};
    if (std::memcmp(a6, zero, 15) == 0 && (a6[15] == 0 || a6[15] == 1)) return true;  // :: ::1
    if ((a6[0] & 0xfe) == 0xfc) return true;                                          // fc00::/7
    if (a6[0] == 0xfe && (a6[1] & 0xc0) == 0x80) return true;                         // fe80::/10
    if (a6[0] == 0xff) return true;                                                   // multicast
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a6, mapped, 12) == 0) {
      char buf[INET_ADDRSTRLEN];
      ::inet_ntop(AF_INET, a6 + 12, buf, sizeof buf);
      return is_private_address(buf);
    }
    return false;
  }
  return false;
}

bool host_matches(const std::string& pattern_in, const std::string& host_in) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    while (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  std::string pattern = lower(pattern_in), host = lower(host_in);
  if (pattern.rfind("*.", 0) == 0) {
    std::string suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() &&
           host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return pattern == host;
}

namespace {
bool any_match(const std::vector<std::string>& patterns, const std::string& host) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return host_matches(p, host); });
}
}  // namespace

std::string check_url(const NavPolicy& policy, const std::string& url, std::string* host_out) {
  if (url == "about:blank") return {};
  if (auto colon = url.find(':'); colon != std::string::npos && colon > 0) {
    std::string scheme = url.substr(0, colon);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    bool plain = std::all_of(scheme.begin(), scheme.end(),
                             [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
    if (plain && scheme != "http" && scheme != "https") {
      return "scheme \"" + scheme + "\" is not allowed: only http and https pages can be opened";
    }
  }
  auto u = openclaw::sdk::Url::parse(url);
  if (!u) return "not an absolute http(s) URL: \"" + url + "\"";
  if (u->scheme != "http" && u->scheme != "https") {
    return "scheme \"" + u->scheme + "\" is not allowed: only http and https pages can be opened";
  }
  if (host_out) *host_out = u->host;
  if (any_match(policy.blocked, u->host)) {
    return "host " + u->host + " is in browser.ssrfPolicy.blockedHostnames";
  }
  bool named_local = u->host == "localhost" || host_matches("*.localhost", u->host);
  if ((named_local || is_private_address(u->host)) && !policy.allow_private &&
      !any_match(policy.allowed, u->host)) {
    return u->host +
           " is a private-network address; allow it with "
           "browser.ssrfPolicy.allowedHostnames or dangerouslyAllowPrivateNetwork";
  }
  return {};
}

std::string check_addresses(const NavPolicy& policy, const std::string& host,
                            const std::vector<std::string>& addresses) {
  if (policy.allow_private || any_match(policy.allowed, host)) return {};
  for (const auto& a : addresses) {
    if (is_private_address(a)) {
      return host + " resolves to the private-network address " + a +
             "; allow it with browser.ssrfPolicy.allowedHostnames or "
             "dangerouslyAllowPrivateNetwork";
    }
  }
  return {};
}

std::optional<KeyInfo> key_info(const std::string& name) {
  static const std::map<std::string, KeyInfo> named = {
      {"Enter", {"Enter", "Enter", 13, "\r"}},
      {"Tab", {"Tab", "Tab", 9, ""}},
      {"Escape", {"Escape", "Escape", 27, ""}},
      {"Backspace", {"Backspace", "Backspace", 8, ""}},
      {"Delete", {"Delete", "Delete", 46, ""}},
      {"Space", {" ", "Space", 32, " "}},
      {"ArrowUp", {"ArrowUp", "ArrowUp", 38, ""}},
      {"ArrowDown", {"ArrowDown", "ArrowDown", 40, ""}},
      {"ArrowLeft", {"ArrowLeft", "ArrowLeft", 37, ""}},
      {"ArrowRight", {"ArrowRight", "ArrowRight", 39, ""}},
      {"Home", {"Home", "Home", 36, ""}},
      {"End", {"End", "End", 35, ""}},
      {"PageUp", {"PageUp", "PageUp", 33, ""}},
      {"PageDown", {"PageDown", "PageDown", 34, ""}},
  };
  if (auto it = named.find(name); it != named.end()) return it->second;
  if (name.size() == 1 && std::isprint(static_cast<unsigned char>(name[0]))) {
    char c = name[0];
    KeyInfo k;
    k.key = name;
    k.text = name;
    if (std::isalpha(static_cast<unsigned char>(c))) {
      k.code = std::string("Key") + static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      k.key_code = std::toupper(static_cast<unsigned char>(c));
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      k.code = std::string("Digit") + c;
      k.key_code = c;
    } else {
      k.key_code = 0;
    }
    return k;
  }
  return std::nullopt;
}

// ---- aria snapshot, console text, time --------------------------------------------------------

AriaSnapshot render_aria(const json::array& nodes, std::size_t limit) {
  std::map<std::string, const json::object*> by_id;
  const json::object* root = nullptr;
  for (const auto& v : nodes) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    const json::value* id = o.if_contains("nodeId");
    if (!id || !id->is_string()) continue;
    by_id[std::string(id->get_string())] = &o;
    if (!root && !o.contains("parentId")) root = &o;
  }
  AriaSnapshot out;
  if (!root) return out;
  // Depth first, each node once (the renderer's tree may repeat or loop), iteratively.
  std::set<const json::object*> seen{root};
  std::vector<std::pair<const json::object*, int>> stack{{root, 0}};
  while (!stack.empty() && out.nodes.size() < limit) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    std::string ref = "ax" + std::to_string(out.nodes.size() + 1);
    json::object row{{"ref", ref}, {"role", str_of(*n, "role")}, {"name", str_of(*n, "name")}};
    if (std::string value = str_of(*n, "value"); !value.empty()) row["value"] = value;
    if (const json::value* b = n->if_contains("backendDOMNodeId"); b && b->is_int64()) {
      row["backendDOMNodeId"] = b->get_int64();
      out.refs[ref] = b->get_int64();
    }
    row["depth"] = depth;
    out.nodes.push_back(std::move(row));
    const json::value* ids = n->if_contains("childIds");
    if (!ids || !ids->is_array()) continue;
    const auto& kids = ids->get_array();
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
      if (!it->is_string()) continue;
      auto found = by_id.find(std::string(it->get_string()));
      if (found == by_id.end() || !seen.insert(found->second).second) continue;
      stack.push_back({found->second, depth + 1});
    }
  }
  return out;
}

std::string console_text(const json::array& args) {
  std::string out;
  for (const auto& a : args) {
    if (!a.is_object()) continue;
    const auto& o = a.get_object();
    std::string part;
    const json::value* v = o.if_contains("value");
    if (v && v->is_string()) {
      part = std::string(v->get_string());
    } else if (const json::value* u = o.if_contains("unserializableValue"); u && u->is_string()) {
      part = std::string(u->get_string());
    } else if (const json::value* d = o.if_contains("description"); d && d->is_string()) {
      part = std::string(d->get_string());
    } else if (v) {
      part = json::serialize(*v);
    } else if (const json::value* t = o.if_contains("type"); t && t->is_string()) {
      part = std::string(t->get_string());  // "undefined"
    }
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

std::string iso_time(double epoch_ms) {
  auto ms = static_cast<long long>(epoch_ms);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// ---- URL globs --------------------------------------------------------------------------------

namespace {

// Matches pattern[pi..] against text[ti..]; `**` and `*` backtrack (patterns are short).
bool glob_at(const std::string& p, std::size_t pi, const std::string& t, std::size_t ti,
             int budget) {
  while (pi < p.size()) {
    if (--budget < 0) return false;
    char c = p[pi];
    if (c == '*') {
      bool deep = pi + 1 < p.size() && p[pi + 1] == '*';
      std::size_t next = pi + (deep ? 2 : 1);
      for (std::size_t k = ti; k <= t.size(); ++k) {
        if (glob_at(p, next, t, k, budget)) return true;
        if (k < t.size() && !deep && t[k] == '/') return false;
      }
      return false;
    }
    if (c == '{') {
      std::size_t close = p.find('}', pi);
      if (close == std::string::npos) {
        if (ti >= t.size() || t[ti] != c) return false;
        ++pi, ++ti;
        continue;
      }
      std::string rest = p.substr(close + 1);
      std::size_t start = pi + 1;
      while (true) {
        std::size_t comma = p.find(',', start);
        if (comma == std::string::npos || comma > close) comma = close;
        if (glob_at(p.substr(start, comma - start) + rest, 0, t, ti, budget)) return true;
        if (comma == close) return false;
        start = comma + 1;
      }
    }
    if (c == '\\' && pi + 1 < p.size()) c = p[++pi];
    if (ti >= t.size() || t[ti] != c) return false;
    ++pi, ++ti;
  }
  return ti == t.size();
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& text) {
  return glob_at(pattern, 0, text, 0, 100000);
}

// ---- devices ----------------------------------------------------------------------------------

const Device* find_device(const std::string& name) {
  static const Device devices[] = {
      {"iPhone 14", 390, 664, 3, true,
       "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
       "like Gecko) Version/16.0 Mobile/15E148 Safari/604.1"},
      {"iPhone 14 Pro Max", 430, 740, 3, true,
       "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
       "like Gecko) Version/16.0 Mobile/15E148 Safari/604.1"},
      {"iPhone 13", 390, 664, 3, true,
       "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
       "like Gecko) Version/15.0 Mobile/15E148 Safari/604.1"},
      {"iPhone SE", 320, 568, 2, true,
       "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 (KHTML, "
       "like Gecko) Version/10.0 Mobile/14E304 Safari/602.1"},
      {"iPad Mini", 768, 1024, 2, true,
       "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/12.0 Mobile/15E148 Safari/604.1"},
      {"Pixel 7", 412, 839, 2.625, true,
       "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Mobile Safari/537.36"},
      {"Pixel 5", 393, 727, 2.75, true,
       "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Mobile Safari/537.36"},
      {"Galaxy S9+", 320, 658, 4.5, true,
       "Mozilla/5.0 (Linux; Android 8.0.0; SM-G965U Build/R16NW) AppleWebKit/537.36 (KHTML, "
       "like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"},
      {"Desktop Chrome", 1280, 720, 1, false,
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36"},
  };
  for (const auto& d : devices) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// ---- output paths -----------------------------------------------------------------------------

std::optional<std::filesystem::path> confined_path(const std::filesystem::path& root,
                                                   const std::string& requested) {
  namespace fs = std::filesystem;
  if (requested.empty() || requested.find('\0') != std::string::npos) return std::nullopt;
  fs::path base = root.lexically_normal();
  fs::path req(requested);
  fs::path full = (req.is_absolute() ? req : base / req).lexically_normal();
  fs::path rel = full.lexically_relative(base);
  if (rel.empty() || rel == "." || *rel.begin() == "..") return std::nullopt;
  if (!full.has_filename()) return std::nullopt;  // "dir/": not a file
  return full;
}

// ---- zip --------------------------------------------------------------------------------------

namespace {

std::uint32_t crc32(std::string_view data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put16(std::string& out, unsigned v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

}  // namespace

std::string zip_store(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, central;
  for (const auto& [name, data] : files) {
    std::uint32_t crc = crc32(data);
    auto size = static_cast<std::uint32_t>(data.size());
    auto offset = static_cast<std::uint32_t>(out.size());
    put32(out, 0x04034b50);  // local file header
    put16(out, 20);          // version needed
    put16(out, 0x0800);      // flags: UTF-8 names
    put16(out, 0);           // stored
    put16(out, 0);           // time
    put16(out, 0x21);        // date: 1980-01-01
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<unsigned>(name.size()));
    put16(out, 0);
    out += name;
    out += data;
    put32(central, 0x02014b50);  // central directory header
    put16(central, 20);
    put16(central, 20);
    put16(central, 0x0800);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, size);
    put32(central, size);
    put16(central, static_cast<unsigned>(name.size()));
    put16(central, 0);  // extra
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, offset);
    central += name;
  }
  auto cd_offset = static_cast<std::uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);  // end of central directory
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<unsigned>(files.size()));
  put16(out, static_cast<unsigned>(files.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

// ---- base64 -------------------------------------------------------------------------------

std::string base64_decode(const std::string& in) {
  static const auto table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(chars[i])] = i;
    return t;
  }();
  std::string out;
  out.reserve(in.size() / 4 * 3);
  int val = 0, bits = -8;
  for (unsigned char c : in) {
    if (table[c] < 0) continue;
    val = (val << 6) + table[c];
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace browser
