#include "browser_config.hpp"

#include <algorithm>
#include <set>

#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/config_schema.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/origin.hpp>

namespace browser {

namespace json = boost::json;
namespace sdk = openclaw::sdk;

std::string str(const json::object& o, const char* key, std::string fallback) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : fallback;
}

bool flag(const json::object& o, const char* key, bool fallback) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() ? v->get_bool() : fallback;
}

const json::object& obj(const json::object& o, const char* key) {
  static const json::object empty;
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : empty;
}

std::vector<std::string> strings(const json::object& o, const char* key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v && v->is_array()) {
    for (const auto& s : v->get_array()) {
      if (s.is_string()) out.emplace_back(s.get_string());
    }
  }
  return out;
}

namespace {

bool is_url(const json::value& v) {
  if (!v.is_string()) return false;
  auto u = sdk::Url::parse(v.get_string());
  return u &&
         (u->scheme == "http" || u->scheme == "https" || u->scheme == "ws" || u->scheme == "wss");
}

// Records problems of one object's keys, each named by its full key path.
class Checker {
 public:
  Checker(std::vector<sdk::ConfigProblem>& out) : out_(out) {}

  void kind(const json::object& o, const char* key, const std::string& path, json::kind want,
            const char* what) {
    record(path, want == json::kind::bool_    ? "boolean"
                 : want == json::kind::string ? "string"
                                              : what);
    const json::value* v = o.if_contains(key);
    if (!v) return;
    bool ok = v->kind() == want || (want == json::kind::int64 && v->is_uint64());
    if (!ok) fail(path, "must be " + std::string(what) + ", got " + sdk::shown_value(path, *v));
  }
  void boolean(const json::object& o, const char* key, const std::string& path) {
    kind(o, key, path, json::kind::bool_, "true or false");
  }
  void string(const json::object& o, const char* key, const std::string& path) {
    kind(o, key, path, json::kind::string, "a string");
  }
  void url(const json::object& o, const char* key, const std::string& path) {
    record(path, "http(s):// or ws(s):// URL");
    const json::value* v = o.if_contains(key);
    if (v && !is_url(*v)) {
      fail(path, "must be an http(s):// or ws(s):// URL, got " + sdk::shown_value(path, *v));
    }
  }
  void fail(const std::string& path, std::string message) {
    out_.push_back({path, std::move(message)});
  }
  // While `config schema` records, each checked key with its type (sdk::ConfigSchemaRecorder).
  static void record(const std::string& path, const std::string& type) {
    if (auto* r = sdk::ConfigSchemaRecorder::active()) r->record(path, type, "");
  }

 private:
  std::vector<sdk::ConfigProblem>& out_;
};

void check_top_level(Checker& c, const json::object& b) {
  for (const char* k : {"headless", "noSandbox", "evaluateEnabled", "attachOnly"}) {
    c.boolean(b, k, std::string("browser.") + k);
  }
  c.string(b, "executablePath", "browser.executablePath");
  c.string(b, "defaultProfile", "browser.defaultProfile");
  c.url(b, "cdpUrl", "browser.cdpUrl");
  if (const json::value* ea = b.if_contains("extraArgs")) {
    bool ok = ea->is_array() && std::all_of(ea->get_array().begin(), ea->get_array().end(),
                                            [](const json::value& x) { return x.is_string(); });
    if (!ok) c.fail("browser.extraArgs", "must be an array of strings");
  }
  for (const char* k : {"bind", "controlBind", "controlHost"}) {
    const json::value* v = b.if_contains(k);
    if (!v) continue;
    std::string s = v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
    if (s != "loopback" && s != "127.0.0.1" && s != "localhost" && s != "::1") {
      c.fail(std::string("browser.") + k,
             "the browser control service is loopback only (it drives a browser with your "
             "sessions); got " +
                 s + ", use \"loopback\" or remove the key");
    }
  }
}

void check_ssrf_policy(Checker& c, const json::object& b) {
  const json::value* sp = b.if_contains("ssrfPolicy");
  if (!sp) return;
  if (!sp->is_object()) return c.fail("browser.ssrfPolicy", "must be an object");
  c.boolean(sp->get_object(), "dangerouslyAllowPrivateNetwork",
            "browser.ssrfPolicy.dangerouslyAllowPrivateNetwork");
  for (const char* k : {"allowedHostnames", "blockedHostnames"}) {
    const json::value* v = sp->get_object().if_contains(k);
    if (!v) continue;
    bool ok = v->is_array() &&
              std::all_of(v->get_array().begin(), v->get_array().end(), [](const json::value& x) {
                return x.is_string() && !x.get_string().empty();
              });
    if (!ok) {
      c.fail(std::string("browser.ssrfPolicy.") + k,
             "must be an array of hostnames (\"*.example.com\" wildcards allowed)");
    }
  }
}

// Names, objects and cdpPorts are the host's (its port plan reads them before any plugin loads).
void check_profiles(Checker& c, const json::object& b) {
  for (const auto& [k, v] : obj(b, "profiles")) {
    if (!v.is_object()) continue;
    const auto& p = v.get_object();
    std::string base = "browser.profiles." + std::string(k);
    c.string(p, "executablePath", base + ".executablePath");
    c.string(p, "color", base + ".color");
    c.boolean(p, "attachOnly", base + ".attachOnly");
    c.url(p, "cdpUrl", base + ".cdpUrl");
    if (!p.contains("cdpPort") && !p.contains("cdpUrl")) {
      c.fail(base, "Profile must set cdpPort or cdpUrl");
    }
  }
}

void check_default_profile(Checker& c, const json::object& b) {
  const json::value* d = b.if_contains("defaultProfile");
  if (!d || !d->is_string()) return;
  std::string name(d->get_string());
  if (name == kDefaultProfile || obj(b, "profiles").contains(name)) return;
  c.fail("browser.defaultProfile",
         "names no profile: \"" + name + "\" (define it under browser.profiles)");
}

// The control port's connection cap: openclaw-host's own setting (OpenClaw's browser plugin has
// an empty, strict config schema), read from plugins.entries.browser.config too, where earlier
// versions kept it.
void max_connections(const json::object& root, int& out,
                     std::vector<sdk::ConfigProblem>* problems) {
  sdk::ConfigBlock ours(root, sdk::host_settings_path("browser"), problems);
  if (ours.has("maxConnections")) {
    ours.integer("maxConnections", out, 1, 100000);
  } else {
    sdk::ConfigBlock(root, "plugins.entries.browser.config", problems)
        .integer("maxConnections", out, 1, 100000);
  }
}

}  // namespace

Settings read_settings(const json::object& root) {
  Settings s;
  const json::object& b = obj(root, "browser");
  s.enabled = flag(b, "enabled", true);
  if (const json::value* h = b.if_contains("headless"); h && h->is_bool())
    s.headless = h->get_bool();
  s.no_sandbox = flag(b, "noSandbox", false);
  s.evaluate_enabled = flag(b, "evaluateEnabled", false);
  s.attach_only = flag(b, "attachOnly", false);
  s.executable = str(b, "executablePath");
  s.extra_args = strings(b, "extraArgs");
  s.default_profile = str(b, "defaultProfile", kDefaultProfile);
  s.cdp_url = str(b, "cdpUrl");
  s.profiles = obj(b, "profiles");
  const json::object& sp = obj(b, "ssrfPolicy");
  s.policy.allow_private = flag(sp, "dangerouslyAllowPrivateNetwork", false);
  s.policy.allowed = strings(sp, "allowedHostnames");
  s.policy.blocked = strings(sp, "blockedHostnames");
  max_connections(root, s.max_connections, nullptr);
  s.allowed_origins = sdk::OriginPolicy::from_config(root).allowed_origins;
  return s;
}

std::vector<sdk::ConfigProblem> check_config(const json::object& root) {
  std::vector<sdk::ConfigProblem> out;
  int cap = 0;
  max_connections(root, cap, &out);
  const json::value* bv = root.if_contains("browser");
  // `config schema` records every check: the block is read as empty when absent.
  static const json::object none;
  if (!bv && !sdk::ConfigSchemaRecorder::active()) return out;
  if (bv && !bv->is_object()) return {{"browser", "must be an object"}};
  const json::object& b = bv ? bv->get_object() : none;
  if (auto* r = sdk::ConfigSchemaRecorder::active()) {
    r->record("browser.profiles.<name>.cdpPort", "integer 1..65535", "from the CDP range");
    r->record("browser.profiles.<name>.cdpUrl", "http(s):// or ws(s):// URL", "");
    r->record("browser.profiles.<name>.executablePath", "string", "");
    r->record("browser.profiles.<name>.color", "string", "");
    r->record("browser.profiles.<name>.attachOnly", "boolean", "false");
    r->record("browser.extraArgs", "list of strings", "[]");
    r->record("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", "boolean", "false");
    r->record("browser.ssrfPolicy.allowedHostnames", "list of hostnames", "[]");
    r->record("browser.ssrfPolicy.blockedHostnames", "list of hostnames", "[]");
  }
  Checker c(out);
  check_top_level(c, b);
  check_ssrf_policy(c, b);
  check_profiles(c, b);
  check_default_profile(c, b);
  return out;
}

std::string restart_reason(const Settings& running, const Settings& next) {
  if (running.enabled != next.enabled) return "browser.enabled";
  if (running.headless != next.headless) return "browser.headless";
  if (running.no_sandbox != next.no_sandbox) return "browser.noSandbox";
  if (running.executable != next.executable) return "browser.executablePath";
  if (running.extra_args != next.extra_args) return "browser.extraArgs";
  if (running.attach_only != next.attach_only) return "browser.attachOnly";
  if (running.cdp_url != next.cdp_url) return "browser.cdpUrl";
  if (running.profiles != next.profiles) return "browser.profiles";
  if (running.max_connections != next.max_connections) {
    return sdk::host_settings_path("browser") + ".maxConnections";
  }
  return "";
}

std::optional<std::string> browser_endpoint(const std::string& cdp_url) {
  auto u = sdk::Url::parse(cdp_url);
  if (!u || u->port <= 0) return std::nullopt;
  std::string scheme;
  if (u->scheme == "http" || u->scheme == "ws") scheme = "http";
  if (u->scheme == "https" || u->scheme == "wss") scheme = "https";
  if (scheme.empty()) return std::nullopt;
  std::string host = u->host;
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return scheme + "://" + host + ":" + std::to_string(u->port);
}

}  // namespace browser
