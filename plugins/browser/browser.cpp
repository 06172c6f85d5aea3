// browser: each instance's own browser control service on base + 2, driving real Chromium over
// the DevTools protocol. Built on the public SDK only, as a third party would write it.
//
// One request model serves both doors: the HTTP control port (loopback, gateway token) and the
// gateway method `browser.request` ({method, path, query, body}) that OpenClaw's CLI uses. Every
// route answers asynchronously; nothing waits on the host's one I/O thread.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <boost/json.hpp>

#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/gateway_service.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/instances.hpp>
#include <openclaw/sdk/plugin_export.hpp>
#include <openclaw/sdk/process.hpp>

#include "cdp.hpp"
#include "page_model.hpp"

namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace browser {
namespace {

constexpr const char* kDefaultProfile = "openclaw";
constexpr const char* kDefaultColor = "#FF4500";
constexpr auto kLaunchDeadline = 30s;
constexpr auto kCallTimeout = 20s;
constexpr auto kLoadTimeout = 15s;

// One route's answer: an HTTP status and a JSON body (an error body is {error, code?, reason?}).
using Reply = std::function<void(int status, json::value body)>;

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  json::object body;
};

json::value err(const std::string& message, const std::string& code = {},
                const std::string& reason = {}) {
  json::object o{{"error", message}};
  if (!code.empty()) o["code"] = code;
  if (!reason.empty()) o["reason"] = reason;
  return o;
}

std::string str(const json::object& o, const char* key, std::string fallback = {}) {
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

bool valid_profile_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string random_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

bool is_loopback_host(const std::string& h) {
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

struct Tab {
  std::string handle;   // "t1", "t2", ... for the plugin's lifetime
  std::string session;  // flattened CDP session, once attached
  std::string url;
  std::string title;
  RefTable refs;
  std::vector<std::function<void(const std::string&)>> load_waiters;
};

struct Profile {
  std::string name;
  int cdp_port = 0;
  std::string cdp_url;  // remote browser: http(s) discovery or ws(s) endpoint
  std::string executable;
  std::string color = kDefaultColor;
  bool attach_only = false;
  bool from_config = false;
  bool created = false;  // by POST /profiles/create (persisted in the plugin's data dir)
  std::string problem;   // set when the profile must not be used (e.g. a shared cdpUrl)

  enum class State { stopped, starting, running, stopping } state = State::stopped;
  std::unique_ptr<sdk::ChildProcess> proc;
  std::shared_ptr<Cdp> cdp;
  int generation = 0;
  bool headless = true;
  std::string headless_source = "config";
  std::string chosen_executable;
  std::string last_error;
  std::chrono::steady_clock::time_point launch_started;
  double launch_ms = 0;
  std::vector<std::function<void(const std::string&)>> start_waiters;
  std::vector<std::function<void()>> stop_waiters;
  std::map<std::string, Tab> tabs;  // by CDP targetId
  std::string current;              // targetId the next command acts on

  bool remote() const { return !cdp_url.empty(); }
  bool launchable() const { return !remote() && !attach_only; }
  bool running() const { return state == State::running && cdp && cdp->is_open(); }
};

class BrowserPlugin final : public sdk::Plugin {
 public:
  // ---- configuration ------------------------------------------------------------------------

  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    std::vector<sdk::ConfigProblem> out;
    int cap = 0;
    sdk::ConfigBlock(host.root_config(), "plugins.entries.browser.config", &out)
        .integer("maxConnections", cap, 1, 100000);
    const json::value* bv = host.root_config().if_contains("browser");
    if (!bv) return out;
    if (!bv->is_object()) return {{"browser", "must be an object"}};
    const auto& b = bv->get_object();
    auto want = [&](const json::object& o, const char* key, const std::string& path,
                    json::kind kind, const char* what) {
      const json::value* v = o.if_contains(key);
      if (!v) return;
      bool ok = v->kind() == kind || (kind == json::kind::int64 && v->is_uint64());
      if (!ok)
        out.push_back({path, "must be " + std::string(what) + ", got " + json::serialize(*v)});
    };
    for (const char* k : {"headless", "noSandbox", "evaluateEnabled", "attachOnly", "enabled"}) {
      want(b, k, std::string("browser.") + k, json::kind::bool_, "true or false");
    }
    want(b, "executablePath", "browser.executablePath", json::kind::string, "a string");
    want(b, "defaultProfile", "browser.defaultProfile", json::kind::string, "a string");
    if (const json::value* ea = b.if_contains("extraArgs")) {
      bool ok = ea->is_array() && std::all_of(ea->get_array().begin(), ea->get_array().end(),
                                              [](const json::value& x) { return x.is_string(); });
      if (!ok) out.push_back({"browser.extraArgs", "must be an array of strings"});
    }
    for (const char* k : {"bind", "controlBind", "controlHost"}) {
      if (const json::value* v = b.if_contains(k)) {
        std::string s = v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
        if (s != "loopback" && s != "127.0.0.1" && s != "localhost" && s != "::1") {
          out.push_back({std::string("browser.") + k,
                         "the browser control service is loopback only (it drives a browser "
                         "with your sessions); got " +
                             s + ", use \"loopback\" or remove the key"});
        }
      }
    }
    if (const json::value* sp = b.if_contains("ssrfPolicy")) {
      if (!sp->is_object()) {
        out.push_back({"browser.ssrfPolicy", "must be an object"});
      } else {
        want(sp->get_object(), "dangerouslyAllowPrivateNetwork",
             "browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", json::kind::bool_,
             "true or false");
        for (const char* k : {"allowedHostnames", "blockedHostnames"}) {
          const json::value* v = sp->get_object().if_contains(k);
          if (!v) continue;
          bool ok = v->is_array() && std::all_of(v->get_array().begin(), v->get_array().end(),
                                                 [](const json::value& x) {
                                                   return x.is_string() && !x.get_string().empty();
                                                 });
          if (!ok) {
            out.push_back({std::string("browser.ssrfPolicy.") + k,
                           "must be an array of hostnames (\"*.example.com\" wildcards allowed)"});
          }
        }
      }
    }
    std::set<std::string> names{kDefaultProfile};
    for (const auto& [k, v] : obj(b, "profiles")) {
      names.insert(std::string(k));
      if (!v.is_object()) continue;  // the host reports it
      std::string base = "browser.profiles." + std::string(k);
      want(v.get_object(), "executablePath", base + ".executablePath", json::kind::string,
           "a string");
      want(v.get_object(), "color", base + ".color", json::kind::string, "a string");
      want(v.get_object(), "attachOnly", base + ".attachOnly", json::kind::bool_, "true or false");
    }
    if (const json::value* d = b.if_contains("defaultProfile"); d && d->is_string()) {
      if (!names.count(std::string(d->get_string()))) {
        out.push_back({"browser.defaultProfile", "names no profile: \"" +
                                                     std::string(d->get_string()) +
                                                     "\" (define it under browser.profiles)"});
      }
    }
    return out;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  void start(sdk::Host& host) override {
    host_ = &host;
    const json::value* bv = host.root_config().if_contains("browser");
    static const json::object empty;
    const json::object& b = bv && bv->is_object() ? bv->get_object() : empty;
    enabled_ = flag(b, "enabled", true);
    headless_config_ =
        b.contains("headless") ? std::optional<bool>(flag(b, "headless", true)) : std::nullopt;
    no_sandbox_ = flag(b, "noSandbox", false);
    evaluate_enabled_ = flag(b, "evaluateEnabled", false);
    executable_ = str(b, "executablePath");
    extra_args_ = strings(b, "extraArgs");
    default_profile_ = str(b, "defaultProfile", kDefaultProfile);
    const auto& sp = obj(b, "ssrfPolicy");
    policy_.allow_private = flag(sp, "dangerouslyAllowPrivateNetwork", false);
    policy_.allowed = strings(sp, "allowedHostnames");
    policy_.blocked = strings(sp, "blockedHostnames");
    gateway_ = host.service<sdk::Gateway>();
    if (!enabled_) {
      host.log(sdk::LogLevel::info, "browser.enabled is false: no browser control service");
      return;
    }

    // The managed default profile, then the config's, then those created at run time.
    const auto& conf_profiles = obj(b, "profiles");
    if (!conf_profiles.contains(kDefaultProfile)) {
      Profile p;
      p.name = kDefaultProfile;
      p.cdp_url = str(b, "cdpUrl");
      p.attach_only = flag(b, "attachOnly", false);
      p.from_config = true;
      if (p.cdp_url.empty()) p.cdp_port = host.port("browser.cdp." + p.name);
      std::string n = p.name;
      profiles_.emplace(n, std::move(p));
    }
    for (const auto& [k, v] : conf_profiles) {
      if (!v.is_object()) continue;
      Profile p;
      p.name = std::string(k);
      const auto& o = v.get_object();
      p.cdp_url = str(o, "cdpUrl");
      p.executable = str(o, "executablePath");
      p.color = str(o, "color", kDefaultColor);
      p.attach_only = flag(o, "attachOnly", flag(b, "attachOnly", false));
      p.from_config = true;
      if (p.cdp_url.empty()) p.cdp_port = host.port("browser.cdp." + p.name);
      std::string n = p.name;
      profiles_.emplace(n, std::move(p));
    }
    load_created_profiles();
    check_shared_cdp_urls();

    // No web page may drive the browser: Host and Origin are checked before any route (see
    // sdk/origin.hpp), and a POST must be JSON (serve_http).
    sdk::HttpServer::Options options;
    options.origin_policy = sdk::OriginPolicy::from_config(host.root_config());
    int max_connections = 64;  // one user's CLI and tools, on loopback
    sdk::ConfigBlock(host.root_config(), "plugins.entries.browser.config", nullptr)
        .integer("maxConnections", max_connections, 1, 100000);
    options.max_connections = static_cast<std::size_t>(max_connections);
    options.on_warning = [&host](const std::string& w) {
      host.log(sdk::LogLevel::warn, "browser control: " + w);
    };
    server_ = std::make_unique<sdk::HttpServer>(
        host.io(),
        sdk::AsyncHttpHandler([this](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
          serve_http(req, std::move(respond));
        }),
        options);
    // Loopback only, whatever gateway.bind says: this port drives a browser with the user's
    // sessions in it.
    server_->listen("127.0.0.1", host.port("browser.control"));

    host.add_method_async(
        "browser.request",
        [this](const json::value& params, const sdk::Caller&, sdk::MethodResponder respond) {
          serve_method(params, std::move(respond));
        },
        sdk::MethodOptions{std::chrono::milliseconds(180000)});
    host.log(sdk::LogLevel::info,
             "Browser control listening on http://127.0.0.1:" +
                 std::to_string(host.port("browser.control")) +
                 "/ (auth=" + (gateway_ && gateway_->requires_token() ? "token" : "none") + ")");
  }

  void stop() override {
    if (server_) server_->stop();
    server_.reset();
    for (auto& [name, p] : profiles_) {
      if (p.cdp) p.cdp->close("the browser plugin is stopping");
      p.cdp.reset();
      p.proc.reset();  // SIGTERM, then the supervisor sweeps the browser's whole tree
    }
    profiles_.clear();
    host_ = nullptr;
  }

  json::value status() const override {
    json::array list;
    for (const auto& [name, p] : profiles_) {
      json::object o{{"name", name}, {"running", p.running()}, {"cdpPort", p.cdp_port}};
      if (p.proc) o["pid"] = p.proc->pid();
      if (!p.last_error.empty()) o["lastError"] = p.last_error;
      list.push_back(std::move(o));
    }
    int control = 0;
    try {
      if (host_) control = host_->port("browser.control");
    } catch (const std::exception&) {
    }
    return json::object{{"controlPort", control},
                        {"defaultProfile", default_profile_},
                        {"profiles", std::move(list)}};
  }

 private:
  // ---- the two doors ------------------------------------------------------------------------

  static bool is_json(const sdk::HttpRequest& req) {
    auto it = req.headers.find("content-type");
    if (it == req.headers.end()) return false;
    std::string v = it->second.substr(0, it->second.find(';'));
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v == "application/json";
  }

  void serve_http(const sdk::HttpRequest& req, sdk::HttpResponder respond) {
    if (gateway_ && !gateway_->authorized(req)) {
      respond.send(sdk::HttpResponse::text(401, "Unauthorized", "text/html; charset=utf-8"));
      return;
    }
    // A POST is JSON: a web page can send a text/plain or form POST to 127.0.0.1 without asking,
    // but an application/json one only after a CORS preflight, which this port never grants
    // (DELETE is always preflighted).
    if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") && !is_json(req)) {
      respond.send(
          json_response(415, err("state-changing requests take Content-Type: application/json",
                                 "UNSUPPORTED_MEDIA_TYPE")));
      return;
    }
    Request r;
    r.method = req.method;
    r.path = req.path;
    for (const char* k : {"profile", "targetId", "format", "headless", "limit", "fullPage"}) {
      std::string v = req.query_param(k);
      if (!v.empty()) r.query[k] = v;
    }
    if (!req.body.empty()) {
      boost::system::error_code ec;
      json::value body = json::parse(req.body, ec);
      if (ec || !body.is_object()) {
        respond.send(json_response(400, err("request body must be a JSON object", "BAD_BODY")));
        return;
      }
      r.body = std::move(body.get_object());
    }
    handle(r,
           [respond](int status, json::value body) { respond.send(json_response(status, body)); });
  }

  static sdk::HttpResponse json_response(int status, const json::value& body) {
    sdk::HttpResponse res;
    res.status = status;
    res.content_type = "application/json; charset=utf-8";
    res.body = json::serialize(body);
    return res;
  }

  void serve_method(const json::value& params, sdk::MethodResponder respond) {
    if (!params.is_object()) {
      respond.error("INVALID_REQUEST", "browser.request params must be an object");
      return;
    }
    const auto& p = params.get_object();
    Request r;
    r.method = str(p, "method", "GET");
    std::transform(r.method.begin(), r.method.end(), r.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    r.path = str(p, "path");
    if (r.path.empty() || r.path.front() != '/') {
      respond.error("INVALID_REQUEST", "browser.request needs a path starting with \"/\"");
      return;
    }
    if (auto q = r.path.find('?'); q != std::string::npos) r.path.resize(q);
    for (const auto& [k, v] : obj(p, "query")) {
      if (v.is_string())
        r.query[std::string(k)] = std::string(v.get_string());
      else if (!v.is_null())
        r.query[std::string(k)] = json::serialize(v);
    }
    // OpenClaw's control UI may pin the profile at the top level.
    if (auto prof = str(p, "profile"); !prof.empty() && !r.query.count("profile")) {
      r.query["profile"] = prof;
    }
    r.body = obj(p, "body");
    handle(r, [respond](int status, json::value body) {
      if (status < 400) {
        respond.ok(body);
        return;
      }
      std::string message =
          body.is_object() ? str(body.get_object(), "error", "browser error") : "browser error";
      respond.error(status < 500 ? "INVALID_REQUEST" : "UNAVAILABLE", message, body);
    });
  }

  // ---- routes -------------------------------------------------------------------------------

  void handle(const Request& r, Reply reply) {
    if (!host_) return reply(503, err("the browser plugin is stopping"));
    const std::string& m = r.method;
    const std::string& path = r.path;

    if (path == "/profiles" && m == "GET") return reply(200, profiles_json());
    if (path == "/profiles/create" && m == "POST") return create_profile(r.body, reply);
    if (path.rfind("/profiles/", 0) == 0 && m == "DELETE") {
      return delete_profile(path.substr(10), reply);
    }

    std::string name = r.query.count("profile") ? r.query.at("profile") : default_profile_;
    auto it = profiles_.find(name);
    if (it == profiles_.end()) {
      return reply(
          404, err("Profile \"" + name + "\" not found. Available profiles: " + profile_names()));
    }
    Profile& p = it->second;
    if (!p.problem.empty()) return reply(409, err(p.problem, "PROFILE_CONFLICT"));
    std::string target =
        r.query.count("targetId") ? r.query.at("targetId") : str(r.body, "targetId");

    if (path == "/" && m == "GET") return reply(200, status_json(p));
    if (path == "/start" && m == "POST") return start_route(p, r, reply);
    if (path == "/stop" && m == "POST") return stop_route(p, reply);
    if (path == "/tabs" && m == "GET") return reply(200, tabs_json(p, true));
    if (path == "/tabs/open" && m == "POST") return open_tab(p, str(r.body, "url"), reply);
    if (path == "/tabs/focus" && m == "POST") return focus_tab(p, target, reply);
    if (path.rfind("/tabs/", 0) == 0 && m == "DELETE") return close_tab(p, path.substr(6), reply);
    if (path == "/navigate" && m == "POST") return navigate(p, target, str(r.body, "url"), reply);
    if (path == "/screenshot" && m == "POST") return screenshot(p, target, r, reply);
    if (path == "/snapshot" && m == "GET") return snapshot(p, target, r, reply);
    if (path == "/act" && m == "POST") return act(p, target, r.body, reply);
    if (path == "/evaluate" && m == "POST") return evaluate(p, target, r.body, reply);

    static const std::set<std::string> known = {
        "/",           "/start",    "/stop",           "/tabs",     "/tabs/open",
        "/tabs/focus", "/navigate", "/screenshot",     "/snapshot", "/act",
        "/evaluate",   "/profiles", "/profiles/create"};
    if (known.count(path)) return reply(405, err("method " + m + " not allowed on " + path));
    reply(404, err("Cannot " + m + " " + path, "NOT_FOUND"));
  }

  std::string profile_names() const {
    std::string out;
    for (const auto& [n, p] : profiles_) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  json::object status_json(const Profile& p) const {
    bool running = p.running();
    json::object o;
    o["enabled"] = enabled_;
    o["profile"] = p.name;
    o["driver"] = p.remote() ? "remote" : "openclaw";
    o["transport"] = "cdp";
    o["running"] = running;
    o["cdpReady"] = running;
    o["cdpHttp"] = running;
    o["pageReady"] = running && !p.tabs.empty();
    o["pid"] = p.proc && p.proc->running() ? json::value(p.proc->pid()) : json::value(nullptr);
    o["cdpPort"] = p.cdp_port ? json::value(p.cdp_port) : json::value(nullptr);
    o["cdpUrl"] = p.remote() ? p.cdp_url : "http://127.0.0.1:" + std::to_string(p.cdp_port);
    o["chosenBrowser"] = p.chosen_executable.empty() ? json::value(nullptr) : json::value("custom");
    auto detected = detect_executable(p);
    o["detectedBrowser"] = detected ? json::value("custom") : json::value(nullptr);
    o["detectedExecutablePath"] = detected ? json::value(*detected) : json::value(nullptr);
    o["detectError"] =
        detected || p.remote() ? json::value(nullptr) : json::value(missing_browser_message(p));
    o["userDataDir"] =
        running && !p.remote() ? json::value(user_data_dir(p).string()) : json::value(nullptr);
    o["color"] = p.color;
    o["headless"] = running ? p.headless : headless_default();
    o["headlessSource"] = headless_config_ ? "config" : "display";
    o["noSandbox"] = sandbox_off();
    o["executablePath"] = detected ? json::value(*detected) : json::value(nullptr);
    o["attachOnly"] = p.attach_only;
    o["graphics"] = nullptr;
    o["tabCount"] = static_cast<int>(p.tabs.size());
    o["lastError"] = p.last_error.empty() ? json::value(nullptr) : json::value(p.last_error);
    if (p.launch_ms > 0) o["launchMs"] = p.launch_ms;
    return o;
  }

  json::object profiles_json() const {
    json::array list;
    for (const auto& [n, p] : profiles_) {
      list.push_back(
          json::object{{"name", n},
                       {"transport", "cdp"},
                       {"cdpPort", p.cdp_port ? json::value(p.cdp_port) : json::value(nullptr)},
                       {"cdpUrl", p.remote() ? json::value(p.cdp_url) : json::value(nullptr)},
                       {"color", p.color},
                       {"driver", p.remote() ? "remote" : "openclaw"},
                       {"running", p.running()},
                       {"tabCount", static_cast<int>(p.tabs.size())},
                       {"isDefault", n == default_profile_},
                       {"isRemote", p.remote()},
                       {"source", p.created ? "created" : "config"},
                       {"reconcileReason", nullptr}});
    }
    return json::object{{"profiles", std::move(list)}};
  }

  json::object tab_json(const Profile& p, const std::string& id, const Tab& t) const {
    std::string ws =
        p.remote() ? "" : "ws://127.0.0.1:" + std::to_string(p.cdp_port) + "/devtools/page/" + id;
    return json::object{{"targetId", id},   {"title", t.title}, {"url", t.url},
                        {"wsUrl", ws},      {"type", "page"},   {"suggestedTargetId", t.handle},
                        {"tabId", t.handle}};
  }

  json::object tabs_json(const Profile& p, bool with_running) const {
    json::array tabs;
    for (const auto& [id, t] : p.tabs) tabs.push_back(tab_json(p, id, t));
    json::object o;
    if (with_running) o["running"] = p.running();
    o["tabs"] = std::move(tabs);
    return o;
  }

  // ---- profiles created at run time -----------------------------------------------------------

  fs::path created_file() const { return host_->data_dir() / "profiles.json"; }

  void load_created_profiles() {
    std::string text;
    try {
      sdk::OpenOptions options;
      options.no_symlinks =
          true;  // ours, written atomically; a FIFO here is refused, not waited on
      auto content = sdk::read_regular_file(created_file(), options, 4u << 20);
      if (!content) return;
      text = std::move(*content);
    } catch (const std::exception& e) {
      host_->log(sdk::LogLevel::warn,
                 std::string(e.what()) + "; profiles created at run time are not loaded");
      return;
    }
    boost::system::error_code jec;
    json::value v = json::parse(text, jec);
    if (jec || !v.is_object()) {
      host_->log(sdk::LogLevel::warn, created_file().string() + ": not a JSON object; ignored");
      return;
    }
    for (const auto& [k, pv] : obj(v.get_object(), "profiles")) {
      std::string name(k);
      if (profiles_.count(name) || !pv.is_object() || !valid_profile_name(name)) continue;
      const auto& o = pv.get_object();
      Profile p;
      p.name = name;
      p.created = true;
      p.color = str(o, "color", kDefaultColor);
      p.cdp_url = str(o, "cdpUrl");
      if (p.cdp_url.empty()) {
        const json::value* port = o.if_contains("cdpPort");
        if (!port || !port->is_int64()) continue;
        sdk::PortRequest req;
        req.name = "browser.cdp." + name;
        req.source = sdk::PortSource::config;
        req.port = static_cast<int>(port->get_int64());
        req.config_key = created_file().string() + ": profiles." + name + ".cdpPort";
        try {
          p.cdp_port = host_->lease_port(req);
        } catch (const std::exception& e) {
          p.problem = "profile \"" + name + "\": " + e.what();
          host_->log(sdk::LogLevel::warn, p.problem);
        }
      }
      profiles_.emplace(name, std::move(p));
    }
  }

  void save_created_profiles() {
    json::object list;
    for (const auto& [n, p] : profiles_) {
      if (!p.created) continue;
      json::object o{{"color", p.color}};
      if (p.remote()) {
        o["cdpUrl"] = p.cdp_url;
      } else {
        o["cdpPort"] = p.cdp_port;
      }
      list[n] = std::move(o);
    }
    sdk::write_file_atomic(created_file(),
                           json::serialize(json::object{{"profiles", std::move(list)}}) + "\n");
  }

  void create_profile(const json::object& body, const Reply& reply) {
    std::string name = str(body, "name");
    if (!valid_profile_name(name)) {
      return reply(400, err("invalid profile name \"" + name +
                                "\": use 1-64 lower-case letters, digits, '-' and '_'",
                            "INVALID_PROFILE_NAME"));
    }
    if (profiles_.count(name)) {
      return reply(409, err("Profile \"" + name + "\" already exists", "PROFILE_EXISTS"));
    }
    Profile p;
    p.name = name;
    p.created = true;
    p.color = str(body, "color", kDefaultColor);
    p.cdp_url = str(body, "cdpUrl");
    const json::value* port = body.if_contains("cdpPort");
    if (!p.cdp_url.empty()) {
      auto u = sdk::Url::parse(p.cdp_url);
      if (!u || (u->scheme != "http" && u->scheme != "https" && u->scheme != "ws" &&
                 u->scheme != "wss")) {
        return reply(400,
                     err("cdpUrl must be an http(s):// or ws(s):// URL, got \"" + p.cdp_url + "\"",
                         "INVALID_CDP_URL"));
      }
      if (auto problem = shared_cdp_url_problem(p.cdp_url, "cdpUrl"); !problem.empty()) {
        return reply(409, err(problem, "CDP_URL_IN_USE"));
      }
    } else {
      sdk::PortRequest req;
      req.name = "browser.cdp." + name;
      if (port) {
        if (!port->is_int64() || port->get_int64() < 1 || port->get_int64() > 65535) {
          return reply(400, err("cdpPort must be a port number (1-65535)", "INVALID_CDP_PORT"));
        }
        req.source = sdk::PortSource::config;
        req.port = static_cast<int>(port->get_int64());
        req.config_key = "cdpPort";
      } else {
        // The registry picks a free port in this instance's CDP range.
        req.source = sdk::PortSource::range;
        req.offset = sdk::PortLayout::cdp_first;
        req.range_end = sdk::PortLayout::cdp_last;
      }
      try {
        p.cdp_port = host_->lease_port(req);
      } catch (const std::exception& e) {
        return reply(409, err(e.what(), "CDP_PORT_UNAVAILABLE"));
      }
    }
    json::object out{{"ok", true},
                     {"profile", name},
                     {"cdpPort", p.cdp_port ? json::value(p.cdp_port) : json::value(nullptr)},
                     {"cdpUrl", p.remote() ? json::value(p.cdp_url) : json::value(nullptr)},
                     {"color", p.color},
                     {"isRemote", p.remote()}};
    profiles_.emplace(name, std::move(p));
    try {
      save_created_profiles();
    } catch (const std::exception& e) {
      host_->release_port("browser.cdp." + name);
      profiles_.erase(name);
      return reply(500, err(std::string("could not save the profile: ") + e.what()));
    }
    reply(200, out);
  }

  void delete_profile(const std::string& name, const Reply& reply) {
    auto it = profiles_.find(name);
    if (it == profiles_.end()) {
      return reply(
          404, err("Profile \"" + name + "\" not found. Available profiles: " + profile_names()));
    }
    if (!it->second.created) {
      return reply(400, err("Profile \"" + name + "\" is defined in the config file" +
                                (name == kDefaultProfile ? " (the managed default)" : "") +
                                "; remove it there",
                            "PROFILE_IN_CONFIG"));
    }
    auto finish = [this, name, reply] {
      auto pit = profiles_.find(name);
      if (pit == profiles_.end()) return reply(404, err("Profile \"" + name + "\" not found"));
      std::error_code ec;
      fs::path dir = host_->state_dir() / "browser" / name;
      fs::remove_all(dir, ec);
      host_->release_port("browser.cdp." + name);
      profiles_.erase(pit);
      try {
        save_created_profiles();
      } catch (const std::exception& e) {
        host_->log(sdk::LogLevel::warn, std::string("could not save profiles: ") + e.what());
      }
      reply(200, json::object{{"ok", true}, {"profile", name}, {"deleted", true}});
    };
    stop_browser(it->second, finish);
  }

  // One instance per browser: a cdpUrl aimed at a CDP port another live instance leased is the
  // seed's "common footgun" (two bots driving one browser).
  std::string shared_cdp_url_problem(const std::string& url, const std::string& key) {
    auto u = sdk::Url::parse(url);
    if (!u || !is_loopback_host(u->host) || !u->port) return {};
    auto* instances = host_->service<sdk::Instances>();
    if (!instances) return {};
    auto holder = instances->holder_of(u->port);
    if (!holder || holder->first.self) return {};
    std::string who = holder->first.profile ? "profile \"" + *holder->first.profile + "\""
                                            : std::string("the default profile");
    return key + " " + url + " points at port " + std::to_string(u->port) + " (" + holder->second +
           ") of another running instance, " + who + " (pid " + std::to_string(holder->first.pid) +
           ", state dir " + holder->first.state_dir +
           "); two instances must not drive one browser: give each its own cdpPort";
  }

  void check_shared_cdp_urls() {
    for (auto& [n, p] : profiles_) {
      if (!p.remote()) continue;
      std::string key =
          p.created ? "profile " + n + " cdpUrl"
                    : (n == kDefaultProfile && p.from_config ? "browser.cdpUrl"
                                                             : "browser.profiles." + n + ".cdpUrl");
      p.problem = shared_cdp_url_problem(p.cdp_url, key);
      if (!p.problem.empty()) host_->log(sdk::LogLevel::error, p.problem);
    }
  }

  // ---- launching and attaching --------------------------------------------------------------

  bool headless_default() const {
    if (headless_config_) return *headless_config_;
    const char* d = ::getenv("DISPLAY");
    const char* w = ::getenv("WAYLAND_DISPLAY");
    return !((d && *d) || (w && *w));
  }

  bool sandbox_off() const { return no_sandbox_ || ::geteuid() == 0; }

  fs::path user_data_dir(const Profile& p) const {
    return host_->state_dir() / "browser" / p.name / "user-data";
  }

  std::optional<std::string> detect_executable(const Profile& p) const {
    std::string wanted = !p.executable.empty() ? p.executable : executable_;
    if (!wanted.empty()) {
      auto found = sdk::find_program(wanted);
      return found ? std::optional<std::string>(found->string()) : std::nullopt;
    }
    for (const char* n :
         {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
      if (auto found = sdk::find_program(n)) return found->string();
    }
    return std::nullopt;
  }

  std::string missing_browser_message(const Profile& p) const {
    std::string wanted = !p.executable.empty() ? p.executable : executable_;
    if (!wanted.empty()) {
      std::string key = !p.executable.empty() ? "browser.profiles." + p.name + ".executablePath"
                                              : "browser.executablePath";
      return "no browser at " + key + " \"" + wanted + "\" (not an executable file)";
    }
    return "no Chromium found: tried chromium, chromium-browser, google-chrome, "
           "google-chrome-stable on PATH; install one (apt-get install chromium) or set "
           "browser.executablePath";
  }

  // Runs `done("")` once the profile's browser answers CDP, launching or attaching as needed;
  // `done(error)` otherwise. Concurrent callers share one launch.
  void ensure_running(Profile& p, bool may_launch, std::optional<bool> headless,
                      std::function<void(const std::string&)> done) {
    if (p.running()) return done("");
    if (p.state == Profile::State::starting) {
      p.start_waiters.push_back(std::move(done));
      return;
    }
    if (p.state == Profile::State::stopping) {
      return done("the browser of profile \"" + p.name + "\" is stopping; try again");
    }
    if (!p.remote() && !may_launch) return done("");
    p.start_waiters.push_back(std::move(done));
    p.state = Profile::State::starting;
    p.last_error.clear();
    p.launch_started = std::chrono::steady_clock::now();
    int gen = ++p.generation;
    if (p.remote()) {
      attach_remote(p, gen);
    } else {
      launch(p, gen, headless.value_or(headless_default()));
    }
  }

  void start_finished(Profile& p, int gen, const std::string& error) {
    if (p.generation != gen || p.state != Profile::State::starting) return;
    if (error.empty()) {
      p.state = Profile::State::running;
      p.launch_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              p.launch_started)
                        .count();
      host_->log(sdk::LogLevel::info,
                 "browser profile \"" + p.name + "\" ready" +
                     (p.proc ? " (pid " + std::to_string(p.proc->pid()) + ", CDP port " +
                                   std::to_string(p.cdp_port) + ")"
                             : " (attached to " + p.cdp_url + ")") +
                     " in " + std::to_string(static_cast<long>(p.launch_ms)) + " ms");
    } else {
      p.state = Profile::State::stopped;
      p.last_error = error;
      if (p.cdp) p.cdp->close(error);
      p.cdp.reset();
      p.proc.reset();
      p.tabs.clear();
      host_->log(sdk::LogLevel::warn, "browser profile \"" + p.name + "\": " + error);
    }
    auto waiters = std::move(p.start_waiters);
    p.start_waiters.clear();
    for (auto& w : waiters) w(error);
  }

  void launch(Profile& p, int gen, bool headless) {
    auto exe = detect_executable(p);
    if (!exe) return start_finished(p, gen, missing_browser_message(p));
    fs::path ud = user_data_dir(p);
    try {
      sdk::create_private_dirs(ud);
    } catch (const std::exception& e) {
      return start_finished(p, gen, std::string("cannot create the user-data dir: ") + e.what());
    }
    p.headless = headless;
    p.chosen_executable = *exe;
    std::string name = p.name;
    // Something else on the CDP port would answer our /json/version: refuse rather than drive a
    // browser that is not ours.
    sdk::HttpClientRequest probe;
    probe.url = "http://127.0.0.1:" + std::to_string(p.cdp_port) + "/json/version";
    probe.timeout = 1s;
    sdk::http_request(host_->io(), probe,
                      [this, name, gen, exe = *exe, ud, headless](sdk::HttpClientResponse res) {
                        Profile* pp = find(name, gen);
                        if (!pp) return;
                        if (res.error.empty()) {
                          return start_finished(
                              *pp, gen,
                              "CDP port " + std::to_string(pp->cdp_port) +
                                  " already answers (another browser is using it); stop it or "
                                  "give profile \"" +
                                  name + "\" another cdpPort");
                        }
                        spawn(*pp, gen, exe, ud, headless);
                      });
  }

  void spawn(Profile& p, int gen, const std::string& exe, const fs::path& ud, bool headless) {
    sdk::ProcessOptions o;
    o.program = exe;
    o.args = {"--remote-debugging-port=" + std::to_string(p.cdp_port),
              "--remote-debugging-address=127.0.0.1",
              "--user-data-dir=" + ud.string(),
              "--no-first-run",
              "--no-default-browser-check",
              "--disable-background-networking",
              "--disable-component-update",
              "--disable-default-apps",
              "--disable-sync",
              "--disable-domain-reliability",
              "--disable-client-side-phishing-detection",
              "--disable-breakpad",
              "--metrics-recording-only",
              "--no-pings",
              "--password-store=basic",
              "--use-mock-keychain",
              "--disable-features=Translate,MediaRouter,OptimizationHints",
              "--mute-audio"};
    if (headless) o.args.push_back("--headless=new");
    if (sandbox_off()) o.args.push_back("--no-sandbox");
    for (const auto& a : extra_args_) o.args.push_back(a);
    o.args.push_back("about:blank");
    o.stop_grace = 3s;
    std::string name = p.name;
    try {
      p.proc = sdk::ChildProcess::start(
          host_->io(), o,
          [this, name](std::string_view line) {
            if (host_)
              host_->log(sdk::LogLevel::debug, "chromium[" + name + "]: " + std::string(line));
          },
          [this, name, gen](const sdk::ProcessExit& e) { browser_exited(name, gen, e); });
    } catch (const std::exception& e) {
      return start_finished(p, gen, e.what());
    }
    host_->log(sdk::LogLevel::info, "browser profile \"" + name + "\": started " + exe + " (pid " +
                                        std::to_string(p.proc->pid()) + ", CDP port " +
                                        std::to_string(p.cdp_port) + ")");
    wait_for_cdp(name, gen, std::chrono::steady_clock::now() + kLaunchDeadline);
  }

  Profile* find(const std::string& name, int gen) {
    if (!host_) return nullptr;
    auto it = profiles_.find(name);
    if (it == profiles_.end() || it->second.generation != gen) return nullptr;
    return &it->second;
  }

  // Polls /json/version until Chromium answers, it exits, or the deadline passes.
  void wait_for_cdp(const std::string& name, int gen, std::chrono::steady_clock::time_point until) {
    Profile* p = find(name, gen);
    if (!p || p->state != Profile::State::starting) return;
    sdk::HttpClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(p->cdp_port) + "/json/version";
    req.timeout = 1s;
    sdk::http_request(host_->io(), req, [this, name, gen, until](sdk::HttpClientResponse res) {
      Profile* p = find(name, gen);
      if (!p || p->state != Profile::State::starting) return;
      std::string ws;
      if (res.error.empty() && res.status == 200) {
        boost::system::error_code ec;
        auto v = json::parse(res.body, ec);
        if (!ec && v.is_object()) ws = str(v.get_object(), "webSocketDebuggerUrl");
      }
      if (!ws.empty()) return connect_cdp(*p, gen, ws);
      if (std::chrono::steady_clock::now() >= until) {
        return start_finished(*p, gen,
                              "Chromium did not answer on CDP port " + std::to_string(p->cdp_port) +
                                  " within " + std::to_string(kLaunchDeadline.count()) + " s");
      }
      host_->after(25ms, [this, name, gen, until] { wait_for_cdp(name, gen, until); });
    });
  }

  void attach_remote(Profile& p, int gen) {
    auto u = sdk::Url::parse(p.cdp_url);
    if (!u) return start_finished(p, gen, "cdpUrl is not a URL: " + p.cdp_url);
    if (u->scheme == "ws" || u->scheme == "wss") return connect_cdp(p, gen, p.cdp_url);
    sdk::HttpClientRequest req;
    req.url = u->origin() + "/json/version";
    req.timeout = 5s;
    std::string name = p.name;
    sdk::http_request(host_->io(), req, [this, name, gen](sdk::HttpClientResponse res) {
      Profile* p = find(name, gen);
      if (!p) return;
      std::string ws;
      if (res.error.empty() && res.status == 200) {
        boost::system::error_code ec;
        auto v = json::parse(res.body, ec);
        if (!ec && v.is_object()) ws = str(v.get_object(), "webSocketDebuggerUrl");
      }
      if (ws.empty()) {
        return start_finished(
            *p, gen,
            "remote browser at " + p->cdp_url + " did not answer: " +
                (res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error));
      }
      connect_cdp(*p, gen, ws);
    });
  }

  void connect_cdp(Profile& p, int gen, const std::string& ws) {
    std::string name = p.name;
    p.cdp = Cdp::connect(
        host_->io(), ws,
        [this, name, gen](const std::string& error) {
          Profile* p = find(name, gen);
          if (!p) return;
          if (!error.empty()) return start_finished(*p, gen, "CDP connection failed: " + error);
          p->cdp->on_event([this, name, gen](const std::string& method, const json::object& params,
                                             const std::string& session) {
            if (Profile* p = find(name, gen)) on_cdp_event(*p, method, params, session);
          });
          // Follow targets from events, so /tabs answers without a round trip.
          p->cdp->call("Target.setDiscoverTargets", {{"discover", true}},
                       [this, name, gen](const std::string& e, const json::object&) {
                         Profile* p = find(name, gen);
                         if (!p) return;
                         if (!e.empty()) return start_finished(*p, gen, e);
                         p->cdp->call(
                             "Target.getTargets", {},
                             [this, name, gen](const std::string& e2, const json::object& r) {
                               Profile* p = find(name, gen);
                               if (!p) return;
                               if (e2.empty()) {
                                 for (const auto& t :
                                      r.contains("targetInfos") && r.at("targetInfos").is_array()
                                          ? r.at("targetInfos").get_array()
                                          : json::array{}) {
                                   if (t.is_object()) target_info(*p, t.get_object());
                                 }
                               }
                               start_finished(*p, gen, e2);
                             });
                       });
        },
        [this, name, gen](const std::string& reason) {
          Profile* p = find(name, gen);
          if (!p || p->state == Profile::State::stopping) return;
          if (p->proc && p->proc->running()) return;  // the exit handler reports it
          lost(*p, "lost the connection to the browser: " + reason);
        });
  }

  void lost(Profile& p, const std::string& why) {
    p.last_error = why;
    p.state = Profile::State::stopped;
    if (p.cdp) p.cdp->close(why);
    p.cdp.reset();
    p.tabs.clear();
    p.current.clear();
    host_->log(sdk::LogLevel::warn, "browser profile \"" + p.name + "\": " + why);
  }

  void browser_exited(const std::string& name, int gen, const sdk::ProcessExit& e) {
    Profile* p = find(name, gen);
    if (!p) return;
    bool expected = p->state == Profile::State::stopping;
    if (p->state == Profile::State::starting) {
      start_finished(*p, gen,
                     "Chromium " + e.describe() +
                         " before its CDP port answered (see "
                         "the gateway log for its output)");
    } else if (!expected) {
      lost(*p, "Chromium " + e.describe() + " unexpectedly; POST /start restarts it");
    }
    p->state = Profile::State::stopped;
    if (p->cdp) p->cdp->close("the browser exited");
    p->cdp.reset();
    p->tabs.clear();
    p->current.clear();
    auto waiters = std::move(p->stop_waiters);
    p->stop_waiters.clear();
    // The ChildProcess handle is dropped after this callback returns.
    host_->after(0ms, [this, name, gen] {
      if (Profile* p = find(name, gen); p && p->proc && !p->proc->running()) p->proc.reset();
    });
    for (auto& w : waiters) w();
  }

  void stop_browser(Profile& p, std::function<void()> done) {
    if (p.state == Profile::State::starting) {
      start_finished(p, p.generation, "stopped before it was ready");
    }
    if (p.proc && p.proc->running()) {
      p.state = Profile::State::stopping;
      p.stop_waiters.push_back(std::move(done));
      if (p.cdp) {
        // Browser.close lets Chromium shut down cleanly; SIGTERM follows regardless.
        p.cdp->call("Browser.close", {}, [](const std::string&, const json::object&) {});
      }
      p.proc->stop();
      return;
    }
    if (p.cdp) p.cdp->close("stopped");
    p.cdp.reset();
    p.tabs.clear();
    p.current.clear();
    p.state = Profile::State::stopped;
    done();
  }

  void start_route(Profile& p, const Request& r, const Reply& reply) {
    if (!p.launchable() && !p.remote()) {
      return reply(400, err("profile \"" + p.name +
                                "\" is attach-only: it cannot be started or "
                                "stopped here",
                            "ATTACH_ONLY"));
    }
    std::optional<bool> headless;
    if (auto it = r.query.find("headless"); it != r.query.end()) {
      headless = it->second == "true" || it->second == "1";
    }
    std::string name = p.name;
    ensure_running(p, true, headless, [reply, name](const std::string& e) {
      if (!e.empty()) return reply(500, err(e, "START_FAILED"));
      reply(200, json::object{{"ok", true}, {"profile", name}});
    });
  }

  void stop_route(Profile& p, const Reply& reply) {
    if (p.remote() || p.attach_only) {
      return reply(400, err("profile \"" + p.name +
                                "\" attaches to a browser it did not start; "
                                "it cannot be stopped here",
                            "ATTACH_ONLY"));
    }
    bool was = p.proc && p.proc->running();
    std::string name = p.name;
    stop_browser(p, [reply, name, was] {
      reply(200, json::object{{"ok", true}, {"stopped", was}, {"profile", name}});
    });
  }

  // ---- targets and sessions -----------------------------------------------------------------

  void target_info(Profile& p, const json::object& info) {
    if (str(info, "type") != "page") return;
    std::string id = str(info, "targetId");
    if (id.empty()) return;
    Tab& t = p.tabs[id];
    if (t.handle.empty()) t.handle = "t" + std::to_string(++tab_counter_);
    t.url = str(info, "url");
    t.title = str(info, "title");
    if (p.current.empty()) p.current = id;
  }

  void on_cdp_event(Profile& p, const std::string& method, const json::object& params,
                    const std::string& session) {
    if (method == "Target.targetCreated" || method == "Target.targetInfoChanged") {
      target_info(p, obj(params, "targetInfo"));
    } else if (method == "Target.targetDestroyed" || method == "Target.targetCrashed") {
      std::string id = str(params, "targetId");
      auto it = p.tabs.find(id);
      if (it != p.tabs.end()) {
        auto waiters = std::move(it->second.load_waiters);
        p.tabs.erase(it);
        for (auto& w : waiters) w("the tab was closed");
      }
      if (p.current == id) p.current = p.tabs.empty() ? "" : p.tabs.begin()->first;
    } else if (method == "Target.detachedFromTarget") {
      for (auto& [id, t] : p.tabs) {
        if (t.session == str(params, "sessionId")) t.session.clear();
      }
    } else if (method == "Page.loadEventFired" || method == "Page.frameNavigated") {
      for (auto& [id, t] : p.tabs) {
        if (t.session != session || session.empty()) continue;
        if (method == "Page.frameNavigated") {
          const auto& frame = obj(params, "frame");
          if (!frame.contains("parentId")) {
            t.url = str(frame, "url", t.url);
            t.refs.reset();  // a new document: refs of the old one mean nothing
          }
        } else {
          // Chromium does not always send targetInfoChanged for the <title>: ask once loaded.
          std::string name = p.name;
          int gen = p.generation;
          std::string target = id;
          p.cdp->call("Target.getTargetInfo", {{"targetId", id}},
                      [this, name, gen, target](const std::string& e, const json::object& r) {
                        Profile* p = find(name, gen);
                        if (!p || !e.empty()) return;
                        target_info(*p, obj(r, "targetInfo"));
                        auto it = p->tabs.find(target);
                        if (it == p->tabs.end()) return;
                        auto waiters = std::move(it->second.load_waiters);
                        it->second.load_waiters.clear();
                        for (auto& w : waiters) w("");
                      });
        }
      }
    }
  }

  // The tab a command acts on: `wanted` (a targetId or a tN handle), else the current one, else a
  // new about:blank tab.
  void with_page(Profile& p, const std::string& wanted,
                 std::function<void(const std::string& error, const std::string& target)> done) {
    if (!wanted.empty()) {
      for (auto& [id, t] : p.tabs) {
        if (id == wanted || t.handle == wanted) return done("", id);
      }
      return done("tab \"" + wanted + "\" not found (see GET /tabs)", "");
    }
    if (!p.current.empty() && p.tabs.count(p.current)) return done("", p.current);
    if (!p.tabs.empty()) {
      p.current = p.tabs.begin()->first;
      return done("", p.current);
    }
    std::string name = p.name;
    int gen = p.generation;
    p.cdp->call(
        "Target.createTarget", {{"url", "about:blank"}},
        [this, name, gen, done](const std::string& e, const json::object& r) {
          Profile* p = find(name, gen);
          if (!p) return done("the browser stopped", "");
          if (!e.empty()) return done(e, "");
          std::string id = str(r, "targetId");
          target_info(
              *p, json::object{
                      {"type", "page"}, {"targetId", id}, {"url", "about:blank"}, {"title", ""}});
          p->current = id;
          done("", id);
        });
  }

  // A flattened session on `target` (attached once, Page events on).
  void with_session(
      Profile& p, const std::string& target,
      std::function<void(const std::string& error, const std::string& session)> done) {
    auto it = p.tabs.find(target);
    if (it == p.tabs.end()) return done("the tab is gone", "");
    if (!it->second.session.empty()) return done("", it->second.session);
    std::string name = p.name;
    int gen = p.generation;
    p.cdp->call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}},
                [this, name, gen, target, done](const std::string& e, const json::object& r) {
                  Profile* p = find(name, gen);
                  if (!p) return done("the browser stopped", "");
                  if (!e.empty()) return done(e, "");
                  std::string session = str(r, "sessionId");
                  auto it = p->tabs.find(target);
                  if (it == p->tabs.end()) return done("the tab is gone", "");
                  it->second.session = session;
                  p->cdp->call("Page.enable", {}, session, kCallTimeout,
                               [done, session](const std::string& e2, const json::object&) {
                                 done(e2, session);
                               });
                });
  }

  // Everything a page command needs: the browser running (launched when allowed), a tab, a session.
  void with_tab(Profile& p, const std::string& wanted, bool may_launch,
                std::function<void(int status, const std::string& error, const std::string& target,
                                   const std::string& session)>
                    done) {
    std::string name = p.name;
    ensure_running(
        p, may_launch && p.launchable(), std::nullopt,
        [this, name, wanted, done](const std::string& e) {
          auto it = profiles_.find(name);
          if (it == profiles_.end()) return done(503, "the profile is gone", "", "");
          Profile& p = it->second;
          if (!e.empty()) return done(500, e, "", "");
          if (!p.running()) {
            return done(409, "the browser of profile \"" + name + "\" is not running (POST /start)",
                        "", "");
          }
          int gen = p.generation;
          with_page(p, wanted,
                    [this, name, gen, done](const std::string& e2, const std::string& target) {
                      Profile* p = find(name, gen);
                      if (!p) return done(503, "the browser stopped", "", "");
                      if (!e2.empty())
                        return done(e2.rfind("tab ", 0) == 0 ? 404 : 500, e2, "", "");
                      with_session(*p, target,
                                   [this, name, gen, done, target](const std::string& e3,
                                                                   const std::string& session) {
                                     // Re-checked after the wait: the profile or its browser may be
                                     // gone.
                                     Profile* p = find(name, gen);
                                     if (!p || !p->cdp || !p->tabs.count(target)) {
                                       return done(503, "the browser or the tab went away", "", "");
                                     }
                                     if (!e3.empty()) return done(500, e3, "", "");
                                     done(200, "", target, session);
                                   });
                    });
        });
  }

  // ---- navigation ---------------------------------------------------------------------------

  // Checks `url` against browser.ssrfPolicy, DNS included; done("") when it may be opened.
  void check_navigation(const std::string& url, std::function<void(const std::string&)> done) {
    std::string host;
    std::string why = check_url(policy_, url, &host);
    if (!why.empty() || host.empty() || url == "about:blank") return done(why);
    unsigned char probe[16];
    bool literal = ::inet_pton(AF_INET, host.c_str(), probe) == 1 ||
                   ::inet_pton(AF_INET6, host.c_str(), probe) == 1;
    if (literal) return done("");
    resolve_host(host_->io(), host,
                 [this, host, done](const std::string& e, std::vector<std::string> addrs) {
                   if (!e.empty()) return done("");  // Chromium reports the failure itself
                   done(check_addresses(policy_, host, addrs));
                 });
  }

  void load(Profile& p, const std::string& target, const std::string& session,
            const std::string& url, std::function<void(const std::string&)> done) {
    std::string name = p.name;
    int gen = p.generation;
    p.cdp->call("Page.navigate", {{"url", url}}, session, kCallTimeout,
                [this, name, gen, target, done](const std::string& e, const json::object& r) {
                  Profile* p = find(name, gen);
                  if (!p) return done("the browser stopped");
                  if (!e.empty()) return done(e);
                  if (auto text = str(r, "errorText"); !text.empty()) {
                    return done("navigation failed: " + text);
                  }
                  auto it = p->tabs.find(target);
                  if (it == p->tabs.end()) return done("the tab was closed");
                  if (!r.contains("loaderId")) return done("");  // same-document navigation
                  auto once = std::make_shared<bool>(false);
                  auto finish = [once, done](const std::string& why) {
                    if (*once) return;
                    *once = true;
                    done(why);
                  };
                  it->second.load_waiters.push_back(finish);
                  host_->after(kLoadTimeout, [finish] { finish(""); });  // slow page: go on
                });
  }

  void open_tab(Profile& p, const std::string& url, const Reply& reply) {
    if (url.empty()) return reply(400, err("url is required", "URL_REQUIRED"));
    std::string name = p.name;
    check_navigation(url, [this, name, url, reply](const std::string& why) {
      if (!why.empty()) {
        return reply(400, err("browser navigation blocked by policy: " + why, "NAVIGATION_BLOCKED",
                              "navigation_blocked"));
      }
      auto it = profiles_.find(name);
      if (it == profiles_.end()) return reply(503, err("the profile is gone"));
      ensure_running(
          it->second, it->second.launchable(), std::nullopt,
          [this, name, url, reply](const std::string& e) {
            auto it = profiles_.find(name);
            if (it == profiles_.end()) return reply(503, err("the profile is gone"));
            Profile& p = it->second;
            if (!e.empty()) return reply(500, err(e, "START_FAILED"));
            if (!p.running()) return reply(409, err("the browser is not running (POST /start)"));
            int gen = p.generation;
            p.cdp->call(
                "Target.createTarget", {{"url", "about:blank"}},
                [this, name, gen, url, reply](const std::string& e2, const json::object& r) {
                  Profile* p = find(name, gen);
                  if (!p) return reply(503, err("the browser stopped"));
                  if (!e2.empty()) return reply(500, err(e2));
                  std::string id = str(r, "targetId");
                  target_info(*p, json::object{{"type", "page"},
                                               {"targetId", id},
                                               {"url", "about:blank"},
                                               {"title", ""}});
                  p->current = id;
                  with_session(*p, id,
                               [this, name, gen, id, url, reply](const std::string& e3,
                                                                 const std::string& session) {
                                 Profile* p = find(name, gen);
                                 if (!p) return reply(503, err("the browser stopped"));
                                 if (!e3.empty()) return reply(500, err(e3));
                                 load(*p, id, session, url,
                                      [this, name, gen, id, url, reply](const std::string& e4) {
                                        Profile* p = find(name, gen);
                                        if (!p) return reply(503, err("the browser stopped"));
                                        auto it = p->tabs.find(id);
                                        if (it == p->tabs.end())
                                          return reply(500, err("the tab was closed"));
                                        if (!e4.empty())
                                          return reply(502, err(e4, "NAVIGATION_FAILED"));
                                        if (it->second.url == "about:blank") it->second.url = url;
                                        json::object o = tab_json(*p, id, it->second);
                                        o["resolvedProfile"] = name;
                                        reply(200, o);
                                      });
                               });
                });
          });
    });
  }

  void navigate(Profile& p, const std::string& target, const std::string& url, const Reply& reply) {
    if (url.empty()) return reply(400, err("url is required", "URL_REQUIRED"));
    std::string name = p.name;
    check_navigation(url, [this, name, target, url, reply](const std::string& why) {
      if (!why.empty()) {
        return reply(400, err("browser navigation blocked by policy: " + why, "NAVIGATION_BLOCKED",
                              "navigation_blocked"));
      }
      auto it = profiles_.find(name);
      if (it == profiles_.end()) return reply(503, err("the profile is gone"));
      with_tab(it->second, target, true,
               [this, name, url, reply](int status, const std::string& e, const std::string& id,
                                        const std::string& session) {
                 auto it = profiles_.find(name);
                 if (!e.empty() || it == profiles_.end()) return reply(status, err(e));
                 load(it->second, id, session, url, [this, name, id, reply](const std::string& e2) {
                   auto it = profiles_.find(name);
                   if (it == profiles_.end()) return reply(503, err("the profile is gone"));
                   if (!e2.empty()) return reply(502, err(e2, "NAVIGATION_FAILED"));
                   auto t = it->second.tabs.find(id);
                   reply(200,
                         json::object{{"ok", true},
                                      {"targetId", id},
                                      {"url", t == it->second.tabs.end() ? "" : t->second.url}});
                 });
               });
    });
  }

  // Runs `fn` on an open tab of a running browser (`target`: a targetId or tN; empty: the
  // current tab), or answers why it cannot.
  void on_tab(Profile& p, const std::string& target, const Reply& reply,
              std::function<void(Profile&, const std::string& id)> fn) {
    if (!p.running()) return reply(409, err("the browser is not running (POST /start)"));
    std::string name = p.name;
    int gen = p.generation;
    with_page(p, target, [this, name, gen, reply, fn](const std::string& e, const std::string& id) {
      Profile* p = find(name, gen);
      if (!p) return reply(503, err("the browser stopped"));
      if (!e.empty()) return reply(404, err(e));
      fn(*p, id);
    });
  }

  void focus_tab(Profile& p, const std::string& target, const Reply& reply) {
    if (target.empty()) return reply(400, err("targetId is required", "TARGET_REQUIRED"));
    on_tab(p, target, reply, [reply](Profile& p, const std::string& id) {
      p.current = id;
      p.cdp->call("Target.activateTarget", {{"targetId", id}},
                  [reply, id](const std::string& e, const json::object&) {
                    if (!e.empty()) return reply(500, err(e));
                    reply(200, json::object{{"ok", true}, {"targetId", id}});
                  });
    });
  }

  void close_tab(Profile& p, const std::string& target, const Reply& reply) {
    on_tab(p, target, reply, [this, reply](Profile& p, const std::string& id) {
      std::string name = p.name;
      int gen = p.generation;
      p.cdp->call("Target.closeTarget", {{"targetId", id}},
                  [this, name, gen, reply, id](const std::string& e, const json::object&) {
                    if (!e.empty()) return reply(500, err(e));
                    if (Profile* p = find(name, gen)) {
                      p->tabs.erase(id);
                      if (p->current == id)
                        p->current = p->tabs.empty() ? "" : p->tabs.begin()->first;
                    }
                    reply(200, json::object{{"ok", true}, {"targetId", id}});
                  });
    });
  }

  // ---- page commands ------------------------------------------------------------------------

  std::string tab_url(const std::string& name, const std::string& id) {
    auto it = profiles_.find(name);
    if (it == profiles_.end()) return "";
    auto t = it->second.tabs.find(id);
    return t == it->second.tabs.end() ? "" : t->second.url;
  }

  void snapshot(Profile& p, const std::string& target, const Request& r, const Reply& reply) {
    std::string format = r.query.count("format") ? r.query.at("format") : "ai";
    if (format != "ai" && format != "aria") {
      return reply(400, err("format must be \"ai\" or \"aria\", got \"" + format + "\""));
    }
    std::string name = p.name;
    with_tab(
        p, target, true,
        [this, name, format, reply](int status, const std::string& e, const std::string& id,
                                    const std::string& session) {
          if (!e.empty()) return reply(status, err(e));
          Profile& p = profiles_.at(name);
          p.cdp->call(
              "Accessibility.getFullAXTree", {}, session, kCallTimeout,
              [this, name, id, session, format, reply](const std::string& e2,
                                                       const json::object& r) {
                auto it = profiles_.find(name);
                if (it == profiles_.end()) return reply(503, err("the profile is gone"));
                if (!e2.empty()) return reply(500, err(e2));
                auto t = it->second.tabs.find(id);
                if (t == it->second.tabs.end()) return reply(500, err("the tab was closed"));
                static const json::array none;
                const json::value* nodes = r.if_contains("nodes");
                Snapshot s = render_snapshot(nodes && nodes->is_array() ? nodes->get_array() : none,
                                             t->second.refs);
                json::object out{{"ok", true},
                                 {"format", format},
                                 {"targetId", id},
                                 {"url", t->second.url},
                                 {"snapshot", s.text},
                                 {"refs", s.refs},
                                 {"stats", json::object{{"lines", s.lines},
                                                        {"chars", static_cast<int>(s.text.size())},
                                                        {"refs", static_cast<int>(s.refs.size())},
                                                        {"interactive", s.interactive}}}};
                if (t->second.refs.snapshots() > 1) out["newElements"] = s.new_elements;
                // The readable text, for a reader that wants prose rather than the tree.
                it->second.cdp->call(
                    "Runtime.evaluate",
                    {{"expression", "document.body ? document.body.innerText.slice(0, 20000) : ''"},
                     {"returnByValue", true}},
                    session, kCallTimeout,
                    [out = std::move(out), reply](const std::string& e3,
                                                  const json::object& r3) mutable {
                      out["text"] = e3.empty() ? str(obj(r3, "result"), "value") : "";
                      reply(200, out);
                    });
              });
        });
  }

  void screenshot(Profile& p, const std::string& target, const Request& r, const Reply& reply) {
    bool full = flag(r.body, "fullPage", false) ||
                (r.query.count("fullPage") && r.query.at("fullPage") == "true");
    std::string type = str(r.body, "type", "png");
    if (type != "png" && type != "jpeg") {
      return reply(400, err("type must be \"png\" or \"jpeg\", got \"" + type + "\""));
    }
    std::string name = p.name;
    with_tab(p, target, true,
             [this, name, full, type, reply](int status, const std::string& e,
                                             const std::string& id, const std::string& session) {
               if (!e.empty()) return reply(status, err(e));
               json::object params{{"format", type}};
               if (full) params["captureBeyondViewport"] = true;
               profiles_.at(name).cdp->call(
                   "Page.captureScreenshot", params, session, kCallTimeout,
                   [this, name, id, type, reply](const std::string& e2, const json::object& r) {
                     if (!host_) return reply(503, err("the browser plugin is stopping"));
                     if (!e2.empty()) return reply(500, err(e2));
                     std::string bytes = base64_decode(str(r, "data"));
                     if (bytes.empty()) return reply(500, err("the browser returned no image"));
                     fs::path dir = host_->state_dir() / "media" / "browser";
                     fs::path file = dir / (random_id() + (type == "png" ? ".png" : ".jpg"));
                     try {
                       sdk::create_private_dirs(dir);
                       sdk::write_file_atomic(file, bytes, fs::perms(0600), false, false);
                     } catch (const std::exception& ex) {
                       return reply(
                           500, err(std::string("could not save the screenshot: ") + ex.what()));
                     }
                     reply(200, json::object{{"ok", true},
                                             {"path", file.string()},
                                             {"targetId", id},
                                             {"url", tab_url(name, id)},
                                             {"bytes", static_cast<std::int64_t>(bytes.size())}});
                   });
             });
  }

  static std::string base64_decode(const std::string& in) {
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

  void evaluate(Profile& p, const std::string& target, const json::object& body,
                const Reply& reply) {
    if (!evaluate_enabled_) {
      return reply(403, err("evaluate is disabled: set browser.evaluateEnabled to true to allow "
                            "running page scripts",
                            "EVALUATE_DISABLED"));
    }
    std::string expr = str(body, "expression", str(body, "fn"));
    if (expr.empty()) return reply(400, err("expression is required", "EXPRESSION_REQUIRED"));
    std::string name = p.name;
    with_tab(p, target, true,
             [this, name, expr, reply](int status, const std::string& e, const std::string& id,
                                       const std::string& session) {
               if (!e.empty()) return reply(status, err(e));
               profiles_.at(name).cdp->call(
                   "Runtime.evaluate",
                   {{"expression", expr}, {"returnByValue", true}, {"awaitPromise", true}}, session,
                   kCallTimeout,
                   [this, name, id, reply](const std::string& e2, const json::object& r) {
                     if (!e2.empty()) return reply(500, err(e2));
                     if (const auto& ex = obj(r, "exceptionDetails"); !ex.empty()) {
                       std::string text = str(obj(ex, "exception"), "description", str(ex, "text"));
                       return reply(400, err("the script threw: " + text, "EVALUATE_FAILED"));
                     }
                     const auto& res = obj(r, "result");
                     const json::value* v = res.if_contains("value");
                     reply(200, json::object{{"ok", true},
                                             {"targetId", id},
                                             {"url", tab_url(name, id)},
                                             {"result", v ? *v : json::value(nullptr)}});
                   });
             });
  }

  void act(Profile& p, const std::string& target, const json::object& body, const Reply& reply) {
    std::string kind = str(body, "kind");
    if (kind.empty()) return reply(400, err("kind is required", "ACT_KIND_REQUIRED"));
    static const std::set<std::string> kinds = {"click",  "type",   "press", "hover",
                                                "select", "scroll", "close", "fill"};
    if (!kinds.count(kind)) {
      return reply(400, err("unknown act kind \"" + kind +
                                "\": use click, type, press, hover, select, scroll or close",
                            "ACT_KIND_UNKNOWN"));
    }
    std::string ref = str(body, "ref");
    bool needs_ref =
        kind == "click" || kind == "type" || kind == "hover" || kind == "select" || kind == "fill";
    if (needs_ref && ref.empty())
      return reply(400, err("ref is required for " + kind, "ACT_REF_REQUIRED"));
    if (kind == "press" && !key_info(str(body, "key"))) {
      return reply(400,
                   err("unknown key \"" + str(body, "key") +
                           "\": use a single character or Enter, Tab, Escape, Backspace, "
                           "Delete, Space, ArrowUp/Down/Left/Right, Home, End, PageUp, PageDown",
                       "ACT_KEY_UNKNOWN"));
    }
    std::string name = p.name;
    with_tab(
        p, target, true,
        [this, name, kind, ref, body, reply](int status, const std::string& e,
                                             const std::string& id, const std::string& session) {
          if (!e.empty()) return reply(status, err(e));
          Profile& p = profiles_.at(name);
          auto done = [this, name, id, reply](const std::string& e2) {
            if (!e2.empty()) return reply(500, err(e2, "ACT_OPERATION_FAILED"));
            reply(200, json::object{{"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}});
          };
          if (kind == "close") {
            p.cdp->call("Target.closeTarget", {{"targetId", id}},
                        [done](const std::string& e2, const json::object&) { done(e2); });
            return;
          }
          if (kind == "press") return press_key(p, session, str(body, "key"), done);
          std::optional<long long> node;
          if (!ref.empty()) {
            Tab& t = p.tabs.find(id)->second;  // with_tab checked it is there
            node = t.refs.node_of(ref);
            if (!node) {
              // Fast and clear, where OpenClaw waits ~8 s before failing.
              std::string why = t.refs.issued(ref)
                                    ? "Element \"" + ref +
                                          "\" is not on the page any more. Run a "
                                          "new snapshot to see current page elements."
                                    : "Unknown ref \"" + ref +
                                          "\". Run a new snapshot and use a ref "
                                          "from that snapshot.";
              return reply(400, err(why, "ACT_REF_UNKNOWN"));
            }
          }
          if (kind == "scroll" && !node) {
            int dy = body.contains("deltaY") && body.at("deltaY").is_number()
                         ? static_cast<int>(body.at("deltaY").to_number<double>())
                         : 600;
            return run_js(p, session, "window.scrollBy(0," + std::to_string(dy) + ")", done);
          }
          if (kind == "click" || kind == "hover") {
            return click(p, session, *node,
                         kind == "hover" ? 0 : (flag(body, "doubleClick", false) ? 2 : 1), done);
          }
          if (kind == "scroll") {
            p.cdp->call("DOM.scrollIntoViewIfNeeded", {{"backendNodeId", *node}}, session,
                        kCallTimeout,
                        [done](const std::string& e2, const json::object&) { done(e2); });
            return;
          }
          if (kind == "type" || kind == "fill") {
            return type_text(p, session, *node, str(body, "text"), flag(body, "submit", false),
                             done);
          }
          // select: values (or value) by option value or label.
          json::array values;
          if (const json::value* v = body.if_contains("values"); v && v->is_array())
            values = v->get_array();
          else if (auto one = str(body, "value"); !one.empty())
            values.push_back(json::value(one));
          call_on(
              p, session, *node,
              "function(vals){ if (this.tagName !== 'SELECT') throw new Error('not a <select>');"
              " for (const o of this.options) o.selected = vals.includes(o.value) || "
              "vals.includes(o.label);"
              " this.dispatchEvent(new Event('input',{bubbles:true}));"
              " this.dispatchEvent(new Event('change',{bubbles:true})); }",
              json::array{json::object{{"value", values}}}, done);
        });
  }

  void run_js(Profile& p, const std::string& session, const std::string& expr,
              std::function<void(const std::string&)> done) {
    p.cdp->call("Runtime.evaluate", {{"expression", expr}}, session, kCallTimeout,
                [done](const std::string& e, const json::object&) { done(e); });
  }

  void call_on(Profile& p, const std::string& session, long long node, const std::string& fn,
               json::array args, std::function<void(const std::string&)> done) {
    std::string name = p.name;
    int gen = p.generation;
    p.cdp->call(
        "DOM.resolveNode", {{"backendNodeId", node}}, session, kCallTimeout,
        [this, name, gen, session, fn, args, done](const std::string& e, const json::object& r) {
          Profile* p = find(name, gen);
          if (!p) return done("the browser stopped");
          if (!e.empty()) return done("the element is gone from the page: " + e);
          std::string object = str(obj(r, "object"), "objectId");
          p->cdp->call("Runtime.callFunctionOn",
                       {{"objectId", object},
                        {"functionDeclaration", fn},
                        {"arguments", args},
                        {"awaitPromise", true}},
                       session, kCallTimeout,
                       [done](const std::string& e2, const json::object& r2) {
                         if (!e2.empty()) return done(e2);
                         if (const auto& ex = obj(r2, "exceptionDetails"); !ex.empty()) {
                           return done(str(obj(ex, "exception"), "description", str(ex, "text")));
                         }
                         done("");
                       });
        });
  }

  void click(Profile& p, const std::string& session, long long node, int clicks,
             std::function<void(const std::string&)> done) {
    std::string name = p.name;
    int gen = p.generation;
    p.cdp->call(
        "DOM.scrollIntoViewIfNeeded", {{"backendNodeId", node}}, session, kCallTimeout,
        [this, name, gen, session, node, clicks, done](const std::string& e, const json::object&) {
          Profile* p = find(name, gen);
          if (!p) return done("the browser stopped");
          if (!e.empty()) return done("the element is gone from the page: " + e);
          p->cdp->call("DOM.getContentQuads", {{"backendNodeId", node}}, session, kCallTimeout,
                       [this, name, gen, session, clicks, done](const std::string& e2,
                                                                const json::object& r) {
                         Profile* p = find(name, gen);
                         if (!p) return done("the browser stopped");
                         if (!e2.empty()) return done(e2);
                         const json::value* quads = r.if_contains("quads");
                         if (!quads || !quads->is_array() || quads->get_array().empty() ||
                             !quads->get_array()[0].is_array() ||
                             quads->get_array()[0].get_array().size() < 8) {
                           return done("the element is not visible (it has no box on the page)");
                         }
                         const auto& q = quads->get_array()[0].get_array();
                         double x = 0, y = 0;
                         for (int i = 0; i < 4; ++i) {
                           x += q[2 * i].to_number<double>() / 4;
                           y += q[2 * i + 1].to_number<double>() / 4;
                         }
                         std::vector<json::object> events;
                         events.push_back({{"type", "mouseMoved"}, {"x", x}, {"y", y}});
                         for (int c = 1; c <= clicks; ++c) {
                           events.push_back({{"type", "mousePressed"},
                                             {"x", x},
                                             {"y", y},
                                             {"button", "left"},
                                             {"clickCount", c}});
                           events.push_back({{"type", "mouseReleased"},
                                             {"x", x},
                                             {"y", y},
                                             {"button", "left"},
                                             {"clickCount", c}});
                         }
                         dispatch_all(*p, session, "Input.dispatchMouseEvent", std::move(events), 0,
                                      done);
                       });
        });
  }

  void dispatch_all(Profile& p, const std::string& session, const std::string& method,
                    std::vector<json::object> events, size_t i,
                    std::function<void(const std::string&)> done) {
    if (i >= events.size()) return done("");
    std::string name = p.name;
    int gen = p.generation;
    json::object ev = events[i];
    p.cdp->call(method, std::move(ev), session, kCallTimeout,
                [this, name, gen, session, method, events = std::move(events), i, done](
                    const std::string& e, const json::object&) mutable {
                  Profile* p = find(name, gen);
                  if (!p) return done("the browser stopped");
                  if (!e.empty()) return done(e);
                  dispatch_all(*p, session, method, std::move(events), i + 1, done);
                });
  }

  void press_key(Profile& p, const std::string& session, const std::string& key,
                 std::function<void(const std::string&)> done) {
    auto k = *key_info(key);
    json::object down{{"type", k.text.empty() ? "rawKeyDown" : "keyDown"},
                      {"key", k.key},
                      {"code", k.code},
                      {"windowsVirtualKeyCode", k.key_code},
                      {"nativeVirtualKeyCode", k.key_code}};
    if (!k.text.empty()) down["text"] = k.text, down["unmodifiedText"] = k.text;
    json::object up{{"type", "keyUp"},
                    {"key", k.key},
                    {"code", k.code},
                    {"windowsVirtualKeyCode", k.key_code},
                    {"nativeVirtualKeyCode", k.key_code}};
    dispatch_all(p, session, "Input.dispatchKeyEvent", {down, up}, 0, done);
  }

  void type_text(Profile& p, const std::string& session, long long node, const std::string& text,
                 bool submit, std::function<void(const std::string&)> done) {
    std::string name = p.name;
    int gen = p.generation;
    // Focus and empty the field, then insert the text as one input (what `fill` does).
    call_on(p, session, node,
            "function(){ this.focus(); if ('value' in this) { this.value = '';"
            " this.dispatchEvent(new Event('input',{bubbles:true})); }"
            " else if (this.isContentEditable) { this.textContent = ''; } }",
            {}, [this, name, gen, session, text, submit, done](const std::string& e) {
              Profile* p = find(name, gen);
              if (!p) return done("the browser stopped");
              if (!e.empty()) return done(e);
              p->cdp->call("Input.insertText", {{"text", text}}, session, kCallTimeout,
                           [this, name, gen, session, submit, done](const std::string& e2,
                                                                    const json::object&) {
                             Profile* p = find(name, gen);
                             if (!p) return done("the browser stopped");
                             if (!e2.empty() || !submit) return done(e2);
                             press_key(*p, session, "Enter", done);
                           });
            });
  }

  sdk::Host* host_ = nullptr;
  const sdk::Gateway* gateway_ = nullptr;
  std::unique_ptr<sdk::HttpServer> server_;
  std::map<std::string, Profile> profiles_;
  bool enabled_ = true;
  std::optional<bool> headless_config_;
  bool no_sandbox_ = false;
  bool evaluate_enabled_ = false;
  std::string executable_;
  std::vector<std::string> extra_args_;
  std::string default_profile_ = kDefaultProfile;
  NavPolicy policy_;
  int tab_counter_ = 0;
};

}  // namespace
}  // namespace browser

OPENCLAW_PLUGIN(browser::BrowserPlugin)
