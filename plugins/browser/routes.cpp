// The two doors, the HTTP control port and the gateway method `browser.request`, turned into one
// Request, and the route table every Request goes through.
#include <algorithm>
#include <cctype>
#include <set>

#include "browser.hpp"

namespace browser {
namespace {

bool is_json(const sdk::HttpRequest& req) {
  auto it = req.headers.find("content-type");
  if (it == req.headers.end()) return false;
  std::string v = it->second.substr(0, it->second.find(';'));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v == "application/json";
}

sdk::HttpResponse json_response(int status, const json::value& body) {
  sdk::HttpResponse res;
  res.status = status;
  res.content_type = "application/json; charset=utf-8";
  res.body = json::serialize(body);
  return res;
}

}  // namespace

// ---- the two doors ------------------------------------------------------------------------------

void BrowserPlugin::serve_http(const sdk::HttpRequest& req, sdk::HttpResponder respond) {
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
  for (const char* k : {"profile", "targetId", "format", "headless", "limit", "fullPage", "level",
                        "clear", "filter", "key", "browser"}) {
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
  handle(r, [respond](int status, json::value body) { respond.send(json_response(status, body)); });
}

void BrowserPlugin::serve_method(const json::value& params, sdk::MethodResponder respond) {
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

// ---- routes -------------------------------------------------------------------------------------

void BrowserPlugin::handle(const Request& r, Reply reply) {
  if (!host_) return reply(503, err("the browser plugin is stopping"));
  const std::string& m = r.method;
  const std::string& path = r.path;

  if (path == "/profiles" && m == "GET") return reply(200, profiles_json());
  // macOS-only in OpenClaw (system Chrome profiles and their Keychain-encrypted cookies).
  if ((path == "/system-profiles" && m == "GET") || (path == "/profiles/import" && m == "POST") ||
      path.rfind("/system-profile-import/", 0) == 0) {
    return reply(501, err("system browser profiles (system-profiles, import-profile, cookie-sync) "
                          "are only supported on macOS; this gateway runs on Linux",
                          "PLATFORM_UNSUPPORTED"));
  }
  if (path == "/profiles/create" && m == "POST") return create_profile(r.body, reply);
  if (path.rfind("/profiles/", 0) == 0 && m == "DELETE") {
    return delete_profile(path.substr(10), reply);
  }

  std::string name = r.query.count("profile") ? r.query.at("profile") : settings_.default_profile;
  auto it = profiles_.find(name);
  if (it == profiles_.end()) {
    return reply(404,
                 err("Profile \"" + name + "\" not found. Available profiles: " + profile_names()));
  }
  Profile& p = it->second;
  if (!p.problem.empty()) return reply(409, err(p.problem, "PROFILE_CONFLICT"));
  handle_profile(p, r, reply);
}

// The routes of one profile (`?profile=`, else the default one).
void BrowserPlugin::handle_profile(Profile& p, const Request& r, const Reply& reply) {
  const std::string& m = r.method;
  const std::string& path = r.path;
  std::string target = r.query.count("targetId") ? r.query.at("targetId") : str(r.body, "targetId");

  if (path == "/" && m == "GET") return reply(200, status_json(p));
  if (path == "/start" && m == "POST") return start_route(p, r, reply);
  if (path == "/stop" && m == "POST") return stop_route(p, reply);
  if (path == "/doctor" && m == "GET") return doctor_route(p, reply);
  if (path == "/tabs" && m == "GET") return reply(200, tabs_json(p, true));
  if (path == "/tabs/open" && m == "POST") return open_tab(p, str(r.body, "url"), reply);
  if (path == "/tabs/focus" && m == "POST") return focus_tab(p, target, reply);
  if (path == "/tabs/action" && m == "POST") return tab_action(p, r.body, reply);
  if (path.rfind("/tabs/", 0) == 0 && m == "DELETE") return close_tab(p, path.substr(6), reply);
  if (path == "/navigate" && m == "POST") return navigate(p, target, str(r.body, "url"), reply);
  if (path == "/screenshot" && m == "POST") return screenshot(p, target, r, reply);
  if (path == "/pdf" && m == "POST") return pdf_route(p, target, reply);
  if (path == "/snapshot" && m == "GET") return snapshot(p, target, r, reply);
  if (path == "/act" && m == "POST") return act(p, target, r.body, reply);
  if (path == "/evaluate" && m == "POST") return evaluate(p, target, r.body, reply);
  if (path == "/highlight" && m == "POST") return highlight_route(p, target, r.body, reply);
  if (path == "/console" && m == "GET") return console_route(p, target, r, reply);
  if (path == "/errors" && m == "GET") return errors_route(p, target, r, reply);
  if (path == "/requests" && m == "GET") return requests_route(p, target, r, reply);
  if (path == "/hooks/dialog" && m == "POST") return dialog_route(p, target, r.body, reply);
  if (path == "/hooks/file-chooser" && m == "POST") {
    return file_chooser_route(p, target, r.body, reply);
  }
  if (path == "/download" && m == "POST") return download_route(p, target, r.body, true, reply);
  if (path == "/wait/download" && m == "POST") {
    return download_route(p, target, r.body, false, reply);
  }
  if (path == "/response/body" && m == "POST") return response_body_route(p, target, r.body, reply);
  if (path.rfind("/cookies", 0) == 0) return cookies_route(p, target, r, reply);
  if (path.rfind("/storage/", 0) == 0) return storage_route(p, target, r, reply);
  if (path.rfind("/set/", 0) == 0 && m == "POST") return set_route(p, target, r, reply);
  if (path == "/trace/start" && m == "POST") return trace_route(p, target, true, r.body, reply);
  if (path == "/trace/stop" && m == "POST") return trace_route(p, target, false, r.body, reply);

  static const std::set<std::string> known = {"/",
                                              "/start",
                                              "/stop",
                                              "/tabs",
                                              "/tabs/open",
                                              "/tabs/focus",
                                              "/tabs/action",
                                              "/navigate",
                                              "/screenshot",
                                              "/snapshot",
                                              "/act",
                                              "/evaluate",
                                              "/profiles",
                                              "/profiles/create",
                                              "/doctor",
                                              "/pdf",
                                              "/highlight",
                                              "/console",
                                              "/errors",
                                              "/requests",
                                              "/hooks/dialog",
                                              "/hooks/file-chooser",
                                              "/download",
                                              "/wait/download",
                                              "/response/body",
                                              "/trace/start",
                                              "/trace/stop"};
  if (known.count(path)) return reply(405, err("method " + m + " not allowed on " + path));
  reply(404, err("Cannot " + m + " " + path, "NOT_FOUND"));
}

std::string BrowserPlugin::profile_names() const {
  std::string out;
  for (const auto& [n, p] : profiles_) out += (out.empty() ? "" : ", ") + n;
  return out;
}

json::object BrowserPlugin::status_json(const Profile& p) const {
  bool running = p.running();
  json::object o;
  o["enabled"] = settings_.enabled;
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
  o["headlessSource"] = settings_.headless ? "config" : "display";
  o["noSandbox"] = sandbox_off();
  o["executablePath"] = detected ? json::value(*detected) : json::value(nullptr);
  o["attachOnly"] = p.attach_only;
  o["graphics"] = nullptr;
  o["tabCount"] = static_cast<int>(p.tabs.size());
  o["lastError"] = p.last_error.empty() ? json::value(nullptr) : json::value(p.last_error);
  if (p.launch_ms > 0) o["launchMs"] = p.launch_ms;
  return o;
}

json::object BrowserPlugin::profiles_json() const {
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
                     {"isDefault", n == settings_.default_profile},
                     {"isRemote", p.remote()},
                     {"source", p.created ? "created" : "config"},
                     {"reconcileReason", nullptr}});
  }
  return json::object{{"profiles", std::move(list)}};
}

json::object BrowserPlugin::tab_json(const Profile& p, const std::string& id, const Tab& t) const {
  std::string ws =
      p.remote() ? "" : "ws://127.0.0.1:" + std::to_string(p.cdp_port) + "/devtools/page/" + id;
  json::object o{{"targetId", id},   {"title", t.title},
                 {"url", t.url},     {"wsUrl", ws},
                 {"type", "page"},   {"suggestedTargetId", t.label.empty() ? t.handle : t.label},
                 {"tabId", t.handle}};
  if (!t.label.empty()) o["label"] = t.label;
  return o;
}

json::object BrowserPlugin::tabs_json(const Profile& p, bool with_running) const {
  json::array tabs;
  for (const auto& id : tab_order(p)) tabs.push_back(tab_json(p, id, p.tabs.at(id)));
  json::object o;
  if (with_running) o["running"] = p.running();
  o["tabs"] = std::move(tabs);
  return o;
}

}  // namespace browser
