#include "config/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include <boost/json.hpp>

#include "config/history.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/config_schema.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/json.hpp"
#include "profile/profile.hpp"

namespace openclaw::config {
namespace fs = std::filesystem;

namespace {

std::string kind_name(json::kind k) {
  switch (k) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "a number";
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::pair<size_t, size_t> line_col(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// The key path of the first number too large for a double (the parser reads it as infinity,
// which no JSON can hold: saved back, the file would no longer parse), or nullopt.
std::optional<std::string> infinite_number(const json::value& v, const std::string& at) {
  if (v.is_double()) return std::isfinite(v.get_double()) ? std::nullopt : std::optional(at);
  if (v.is_array()) {
    const auto& a = v.get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      if (auto k = infinite_number(a[i], at + "[" + std::to_string(i) + "]")) return k;
    }
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (auto k = infinite_number(
              kv.value(), at.empty() ? std::string(kv.key()) : at + "." + std::string(kv.key()))) {
        return k;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Config Config::parse(std::string_view text, const fs::path& path, const fs::path& home) {
  Config c;
  c.path_ = path;
  c.home_ = home;
  c.exists_ = true;
  c.text_ = std::string(text);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return c;

  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  json::stream_parser parser({}, opts);
  boost::system::error_code ec;
  size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    auto [line, col] = line_col(text, consumed);
    throw usage_error("config is not valid JSON: " + ec.message() + " at line " +
                          std::to_string(line) + ", column " + std::to_string(col),
                      c.where());
  }
  json::value v = parser.release();
  if (!v.is_object()) {
    throw usage_error("config must be a JSON object, got " + kind_name(v.kind()), c.where());
  }
  if (auto key = infinite_number(v, "")) {
    throw usage_error("config is not valid JSON: the number at " +
                          json::serialize(json::string_view(*key)) + " is too large",
                      c.where());
  }
  c.root_ = std::move(v.get_object());
  return c;
}

Config Config::load(const fs::path& path, const fs::path& home) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    Config c;
    c.path_ = path;
    c.home_ = home;
    return c;
  }
  // Reloads run on the I/O thread: a FIFO or a device given as the config is refused at once.
  sdk::RegularFile file = sdk::open_regular_file(path);
  if (file.refusal == sdk::RegularFile::Refusal::directory) {
    throw usage_error("config path is a directory", profile::display_path(path, home));
  }
  if (!file)
    throw usage_error("cannot read config: it " + file.why(), profile::display_path(path, home));
  std::string text;
  try {
    text = sdk::read_to_end(file, "the config", 64u << 20);
  } catch (const std::exception& e) {
    throw usage_error(e.what(), profile::display_path(path, home));
  }
  return parse(text, path, home);
}

std::string Config::where() const {
  return profile::display_path(path_, home_);
}

void Config::save() {
  std::string text = sdk::to_pretty_json(root_);
  try {
    sdk::create_private_dirs(path_.parent_path());
    sdk::write_file_atomic(path_, text, fs::perms(0600), /*keep_backup=*/true);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot write config: ") + e.what(), where());
  }
  exists_ = true;
  text_ = std::move(text);
}

void Config::save(const fs::path& state_dir, const std::string& by) {
  std::string next = sdk::to_pretty_json(root_);
  if (next != text_) {
    try {
      record_write(state_dir, exists_ ? text_ : std::string(), next, writer(by));
    } catch (const std::system_error& e) {
      throw usage_error(std::string("cannot keep the config's history: ") + e.what(),
                        profile::display_path(history_dir(state_dir), home_));
    }
  }
  save();
}

KeyPath split_key(std::string_view key) {
  KeyPath out;
  if (key.empty()) throw usage_error("config key must not be empty");
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    std::string_view seg =
        key.substr(start, dot == std::string_view::npos ? key.npos : dot - start);
    if (seg.empty()) {
      throw usage_error("invalid config key \"" + std::string(key) + "\": empty segment");
    }
    out.emplace_back(seg);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string join_key(const KeyPath& key) {
  std::string out;
  for (const auto& seg : key) {
    if (!out.empty()) out += '.';
    out += seg;
  }
  return out;
}

const json::value* find(const json::object& root, const KeyPath& key) {
  const json::object* obj = &root;
  const json::value* v = nullptr;
  for (size_t i = 0; i < key.size(); ++i) {
    v = obj->if_contains(key[i]);
    if (!v) return nullptr;
    if (i + 1 < key.size()) {
      obj = v->if_object();
      if (!obj) return nullptr;
    }
  }
  return v;
}

void assign(json::object& root, const KeyPath& key, json::value value) {
  json::object* obj = &root;
  for (size_t i = 0; i + 1 < key.size(); ++i) {
    json::value& child = (*obj)[key[i]];
    if (child.is_null()) child = json::object();
    if (!child.is_object()) {
      KeyPath parent(key.begin(), key.begin() + static_cast<long>(i) + 1);
      throw usage_error("cannot set " + join_key(key) + ": " + join_key(parent) + " is " +
                        kind_name(child.kind()) + ", not an object");
    }
    obj = &child.get_object();
  }
  (*obj)[key.back()] = std::move(value);
}

bool erase(json::object& root, const KeyPath& key) {
  json::object* obj = &root;
  for (size_t i = 0; i + 1 < key.size(); ++i) {
    json::value* child = obj->if_contains(key[i]);
    if (!child || !child->is_object()) return false;
    obj = &child->get_object();
  }
  return obj->erase(key.back()) > 0;
}

json::value parse_cli_value(std::string_view raw) {
  boost::system::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec) return json::string(raw);
  return v;
}

// ---- validation -----------------------------------------------------------------------------

namespace {

// Refuses control characters (a CR/LF in an IRC nick or a URL becomes a second protocol line) in
// the strings and key names of the blocks the host and its plugins read. Other roots belong to
// OpenClaw's agents and may hold multi-line text.
void no_control_characters(std::vector<Problem>& problems, const json::value& v,
                           const std::string& key) {
  auto bad = [](std::string_view s) -> std::optional<unsigned> {
    for (unsigned char c : s) {
      if (c < 0x20 || c == 0x7f) return c;
    }
    return std::nullopt;
  };
  auto report = [&](const std::string& at, unsigned c, const char* what) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%04X", c);
    problems.push_back(
        {at, at + " " + what + " a control character (U+" + hex + "): not allowed in config"});
  };
  if (v.is_string()) {
    if (auto c = bad(v.get_string())) report(key, *c, "contains");
  } else if (v.is_array()) {
    std::size_t i = 0;
    for (const auto& e : v.get_array())
      no_control_characters(problems, e, key + "[" + std::to_string(i++) + "]");
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      std::string k(kv.key());
      if (auto c = bad(k)) {
        report(key, *c, "has a key name with");
        continue;
      }
      no_control_characters(problems, kv.value(), key.empty() ? k : key + "." + k);
    }
  }
}

class Validator {
 public:
  std::vector<Problem> problems;

  void fail(const std::string& key, const std::string& what, const json::value& got) {
    // A secret's value never appears in an error (errors reach logs and channels): only its kind.
    problems.push_back({key, key + " must be " + what + ", got " + sdk::shown_value(key, got)});
  }
  void fail_msg(const std::string& key, const std::string& message) {
    problems.push_back({key, message});
  }

  // While `config schema` records (sdk::ConfigSchemaRecorder), each check names its key and type,
  // and an absent object reads as an empty one so the checks below it run too.
  static void record(const std::string& key, const std::string& type) {
    if (auto* r = sdk::ConfigSchemaRecorder::active()) r->record(key, type, "");
  }

  const json::object* object(const json::object& parent, const std::string& name,
                             const std::string& key) {
    const json::value* v = parent.if_contains(name);
    static const json::object empty;
    if (!v && sdk::ConfigSchemaRecorder::active()) return &empty;
    if (!v) return nullptr;
    if (!v->is_object()) {
      fail(key, "an object", *v);
      return nullptr;
    }
    return &v->get_object();
  }

  std::optional<std::int64_t> integer(const json::object& parent, const std::string& name,
                                      const std::string& key, std::int64_t lo, std::int64_t hi) {
    record(key, "integer " + std::to_string(lo) + ".." + std::to_string(hi));
    const json::value* v = parent.if_contains(name);
    if (!v) return std::nullopt;
    std::optional<std::int64_t> n;
    if (v->is_int64()) n = v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(hi)) {
      n = static_cast<std::int64_t>(v->get_uint64());
    }
    if (!n || *n < lo || *n > hi) {
      fail(key, "an integer " + std::to_string(lo) + ".." + std::to_string(hi), *v);
      return std::nullopt;
    }
    return n;
  }

  std::optional<int> port(const json::object& parent, const std::string& name,
                          const std::string& key) {
    auto n = integer(parent, name, key, 1, 65535);
    return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
  }

  const json::string* string(const json::object& parent, const std::string& name,
                             const std::string& key) {
    record(key, "string");
    const json::value* v = parent.if_contains(name);
    if (!v) return nullptr;
    if (!v->is_string()) {
      fail(key, "a string", *v);
      return nullptr;
    }
    return &v->get_string();
  }

  void boolean(const json::object& parent, const std::string& name, const std::string& key) {
    record(key, "boolean");
    const json::value* v = parent.if_contains(name);
    if (v && !v->is_bool()) fail(key, "true or false", *v);
  }

  void one_of(const json::object& parent, const std::string& name, const std::string& key,
              std::initializer_list<std::string_view> allowed) {
    std::string type;
    for (auto a : allowed) type += (type.empty() ? "\"" : " | \"") + std::string(a) + "\"";
    record(key, type);
    const json::string* s = string(parent, name, key);
    if (!s) return;
    for (auto a : allowed) {
      if (*s == a) return;
    }
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "\"" : " or \"") + std::string(a) + "\"";
    fail(key, list, parent.at(name));
  }
};

void validate_gateway(Validator& v, const json::object& root) {
  const json::object* gw = v.object(root, "gateway", "gateway");
  if (!gw) return;
  if (auto p = v.port(*gw, "port", "gateway.port"); p && *p > profile::kMaxBasePort) {
    v.fail_msg("gateway.port", "gateway.port " + std::to_string(*p) +
                                   " leaves no room for the derived ports: base + " +
                                   std::to_string(profile::kDerivedSpan) + " must be <= 65535");
  }
  v.one_of(*gw, "bind", "gateway.bind", {"loopback", "lan"});
  v.one_of(*gw, "mode", "gateway.mode", {"local", "remote"});  // OpenClaw's; we serve either
  if (const json::object* auth = v.object(*gw, "auth", "gateway.auth")) {
    v.string(*auth, "token", "gateway.auth.token");
    v.string(*auth, "mode", "gateway.auth.mode");
  }
  Validator::record("gateway.controlUi.allowedOrigins", "list of http(s)://host[:port] origins");
  if (const json::object* ui = v.object(*gw, "controlUi", "gateway.controlUi")) {
    if (const json::value* list = ui->if_contains("allowedOrigins")) {
      const std::string key = "gateway.controlUi.allowedOrigins";
      if (!list->is_array()) {
        v.fail(key, "a list of origins like \"https://ui.example.org\"", *list);
      } else {
        std::size_t i = 0;
        for (const auto& o : list->get_array()) {
          std::string at = key + "[" + std::to_string(i++) + "]";
          std::string_view sv =
              o.is_string() ? std::string_view(o.get_string()) : std::string_view();
          bool scheme = sv.substr(0, 7) == "http://" || sv.substr(0, 8) == "https://";
          auto rest = sv.substr(sv.find("://") == std::string_view::npos ? 0 : sv.find("://") + 3);
          if (!o.is_string() || !scheme || rest.empty() ||
              rest.find('/') != std::string_view::npos) {
            v.fail(at, "an origin: http(s)://host[:port], no path", o);
          }
        }
      }
    }
  }
}

// The browser plugin checks the browser block in full (its validate(), which `config validate`
// and `config set` run too). The host checks only what its port plan reads before any plugin
// loads: whether the plugin gets ports at all, and each profile's name and cdpPort.
void validate_browser(Validator& v, const json::object& root) {
  const json::object* br = v.object(root, "browser", "browser");
  if (!br) return;
  v.boolean(*br, "enabled", "browser.enabled");
  const json::object* profiles = v.object(*br, "profiles", "browser.profiles");
  if (!profiles) return;
  for (const auto& kv : *profiles) {
    std::string name(kv.key());
    // A name with a control character is reported as such (no_control_characters), once: its
    // key path would carry the character into a second message line.
    if (std::any_of(name.begin(), name.end(),
                    [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; })) {
      continue;
    }
    std::string key = "browser.profiles." + name;
    try {
      profile::normalize_name(name, key);
    } catch (const Error&) {
      v.fail_msg(key, key + ": invalid browser profile name \"" + name +
                          "\": use letters, digits, '_' and '-' only");
      continue;
    }
    if (!kv.value().is_object()) {
      v.fail(key, "an object", kv.value());
      continue;
    }
    v.port(kv.value().get_object(), "cdpPort", key + ".cdpPort");
  }
}

void validate_plugins(Validator& v, const json::object& root) {
  const json::object* pl = v.object(root, "plugins", "plugins");
  if (!pl) return;
  Validator::record("plugins.load.paths", "list of plugin folders");
  Validator::record("plugins.entries.<id>.enabled", "boolean (default: the plugin's own)");
  Validator::record("plugins.entries.<id>.config", "object: the plugin's own settings");
  if (const json::object* load = v.object(*pl, "load", "plugins.load")) {
    if (const json::value* paths = load->if_contains("paths")) {
      if (!paths->is_array()) {
        v.fail("plugins.load.paths", "an array of strings", *paths);
      } else {
        size_t i = 0;
        for (const auto& item : paths->get_array()) {
          if (!item.is_string()) {
            v.fail("plugins.load.paths[" + std::to_string(i) + "]", "a string", item);
          }
          ++i;
        }
      }
    }
  }
  if (const json::object* entries = v.object(*pl, "entries", "plugins.entries")) {
    for (const auto& kv : *entries) {
      std::string key = "plugins.entries." + std::string(kv.key());
      if (!kv.value().is_object()) {
        v.fail(key, "an object", kv.value());
        continue;
      }
      v.boolean(kv.value().get_object(), "enabled", key + ".enabled");
    }
  }
}

}  // namespace

namespace {
void diff(const json::object& a, const json::object& b, const std::string& prefix,
          std::vector<std::string>& out) {
  auto key = [&](std::string_view k) {
    return prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
  };
  static const json::object empty;
  for (const auto& [k, va] : a) {
    const json::value* vb = b.if_contains(k);
    if (va.is_object() && (!vb || vb->is_object())) {
      diff(va.get_object(), vb ? vb->get_object() : empty, key(k), out);  // down to the leaves
    } else if (!vb || *vb != va) {
      out.push_back(key(k));
    }
  }
  for (const auto& [k, vb] : b) {
    if (a.contains(k)) continue;
    if (vb.is_object()) {
      diff(empty, vb.get_object(), key(k), out);
    } else {
      out.push_back(key(k));
    }
  }
}
}  // namespace

std::vector<std::string> changed_keys(const json::object& before, const json::object& after) {
  std::vector<std::string> out;
  diff(before, after, "", out);
  std::sort(out.begin(), out.end());
  return out;
}

bool overlaps(std::string_view key, std::string_view block) {
  auto under = [](std::string_view a, std::string_view b) {
    return a == b || (a.size() > b.size() && a.substr(0, b.size()) == b && a[b.size()] == '.');
  };
  return under(key, block) || under(block, key);
}

bool needs_gateway_restart(std::string_view key) {
  if (overlaps(key, "ports")) return !overlaps(key, "ports.assigned");
  return overlaps(key, "gateway") || overlaps(key, "plugins.load");
}

const std::vector<MovedKey>& moved_keys() {
  static const std::vector<MovedKey> keys = [] {
    const std::string ours = "plugins.entries.openclaw-host.config.";
    const std::string retired = "OpenClaw 2026.9.6 retired it";
    std::vector<MovedKey> k;
    for (const char* name : {"port", "root", "liveReload"}) {
      k.push_back({std::string("canvasHost.") + name, ours + "canvas." + name,
                   "OpenClaw refuses a root canvasHost"});
      k.push_back({std::string("plugins.entries.canvas.config.host.") + name,
                   ours + "canvas." + name, retired});
    }
    k.push_back({"canvasHost.enabled", "plugins.entries.canvas.config.host.enabled",
                 "OpenClaw refuses a root canvasHost"});
    k.push_back({"plugins.entries.canvas.config.maxConnections", ours + "canvas.maxConnections",
                 "OpenClaw's canvas plugin has no such setting"});
    k.push_back({"plugins.entries.browser.config.maxConnections", ours + "browser.maxConnections",
                 "OpenClaw's browser plugin has no settings"});
    for (const char* name : {"caFile", "sasl", "floodBurst", "floodIntervalMs"}) {
      k.push_back({std::string("channels.irc.") + name, ours + "irc." + name,
                   "OpenClaw's channels.irc has no such key"});
    }
    for (const char* name : {"caFile", "pollTimeoutSeconds"}) {
      k.push_back({std::string("channels.telegram.") + name, ours + "telegram." + name,
                   "OpenClaw's channels.telegram has no such key"});
    }
    k.push_back({"channels.webhook", "plugins.entries.webhook.config",
                 "OpenClaw has no webhook channel (unknown channel id)"});
    return k;
  }();
  return keys;
}

std::string current_key(std::string_view key) {
  for (const auto& m : moved_keys()) {
    if (key == m.from) return m.to;
    if (key.size() > m.from.size() && key.substr(0, m.from.size()) == m.from &&
        (key[m.from.size()] == '.' || key[m.from.size()] == '[')) {
      return m.to + std::string(key.substr(m.from.size()));
    }
  }
  return std::string(key);
}

namespace {
// Removes the objects along `key` (its last segment excluded) that are left empty, deepest first.
void prune_empty(json::object& root, KeyPath key) {
  while (key.size() > 1) {
    key.pop_back();
    const json::value* v = find(root, key);
    if (!v || !v->is_object() || !v->get_object().empty()) return;
    erase(root, key);
  }
}
}  // namespace

std::vector<std::string> move_retired_keys(json::object& root) {
  std::vector<std::string> moves;
  for (const auto& m : moved_keys()) {
    KeyPath from = split_key(m.from), to = split_key(m.to);
    const json::value* v = find(root, from);
    if (!v) continue;
    json::value value = *v;
    erase(root, from);
    prune_empty(root, from);
    const json::value* there = find(root, to);
    if (!there) {
      assign(root, to, std::move(value));
    } else if (there->is_object() && value.is_object()) {
      // A whole block (channels.webhook): what is already at the new place wins, key by key.
      json::object merged = value.get_object();
      for (const auto& [k, val] : there->get_object()) merged[k] = val;
      assign(root, to, std::move(merged));
    }
    moves.push_back(m.from + " -> " + m.to);
  }
  if (const json::value* ns = find(root, {"channels", "irc", "nickserv"}); ns && ns->is_string()) {
    assign(root, {"channels", "irc", "nickserv"}, json::object{{"password", ns->get_string()}});
    moves.push_back("channels.irc.nickserv (a string) -> channels.irc.nickserv.password");
  }
  return moves;
}

std::vector<Problem> validate(const json::object& root) {
  Validator v;
  for (const char* block : {"gateway", "channels", "browser", "canvasHost", "plugins", "ports"}) {
    if (const json::value* b = root.if_contains(block))
      no_control_characters(v.problems, *b, block);
  }
  validate_gateway(v, root);
  validate_browser(v, root);
  // The canvas port is the host's (the port plan); its other settings the canvas plugin checks.
  if (const json::object* canvas = v.object(root, "canvasHost", "canvasHost")) {
    v.port(*canvas, "port", "canvasHost.port");
    v.boolean(*canvas, "enabled", "canvasHost.enabled");
    v.string(*canvas, "root", "canvasHost.root");
  }
  for (const std::string& block :
       {sdk::host_settings_path("canvas"), std::string("plugins.entries.canvas.config.host")}) {
    const json::value* b = find(root, split_key(block));
    if (b && b->is_object()) v.port(b->get_object(), "port", block + ".port");
  }
  if (const json::object* agents = v.object(root, "agents", "agents")) {
    if (const json::object* defaults = v.object(*agents, "defaults", "agents.defaults")) {
      v.string(*defaults, "workspace", "agents.defaults.workspace");
    }
  }
  validate_plugins(v, root);
  if (const json::object* ports = v.object(root, "ports", "ports")) {
    if (const json::object* assigned = v.object(*ports, "assigned", "ports.assigned")) {
      for (const auto& kv : *assigned) {
        v.port(*assigned, std::string(kv.key()), "ports.assigned." + std::string(kv.key()));
      }
    }
  }
  return std::move(v.problems);
}

void require_valid(const Config& config) {
  auto problems = validate(config.root());
  if (!problems.empty()) throw usage_error(problems.front().message, config.where());
}

std::optional<std::int64_t> get_int(const json::object& root, std::string_view key) {
  const json::value* v = find(root, split_key(key));
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

std::optional<std::string> get_string(const json::object& root, std::string_view key) {
  const json::value* v = find(root, split_key(key));
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<bool> get_bool(const json::object& root, std::string_view key) {
  const json::value* v = find(root, split_key(key));
  if (!v || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

}  // namespace openclaw::config
