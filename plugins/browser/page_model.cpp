#include "page_model.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

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
        ref = "e" + std::to_string(table.next_++);
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

}  // namespace browser
