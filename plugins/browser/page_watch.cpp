// What pages report, kept per tab from their CDP events: console messages, uncaught errors,
// network requests, JavaScript dialogs, file choosers, response bodies, and (browser-wide)
// downloads; and the routes that read it or wait for it: console, errors, requests,
// hooks/dialog, hooks/file-chooser, download, wait/download, response/body.
#include <sys/stat.h>
#include <unistd.h>

#include <openclaw/sdk/files.hpp>

#include "browser.hpp"

namespace browser {
namespace {

constexpr std::size_t kBufferCap = 500;
constexpr std::size_t kRecentDialogs = 20;
constexpr std::size_t kMaxBodyChars = 1 << 20;

void push_capped(std::deque<json::object>& buffer, json::object entry) {
  buffer.push_back(std::move(entry));
  if (buffer.size() > kBufferCap) buffer.pop_front();
}

double now_ms() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double num(const json::object& o, const char* key, double fallback = 0) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : fallback;
}

// How severe a console message type is, for `console --level`.
int severity(const std::string& type) {
  if (type == "error" || type == "assert") return 3;
  if (type == "warning" || type == "warn") return 2;
  if (type == "debug" || type == "verbose") return 0;
  return 1;
}

std::chrono::milliseconds timeout_ms(const json::object& body, std::chrono::milliseconds fallback) {
  double t = num(body, "timeoutMs", 0);
  if (t <= 0) return fallback;
  return std::chrono::milliseconds(static_cast<long long>(std::min(t, 600000.0)));
}

}  // namespace

// A directory we write into, made 0700 when missing; a symlink or someone else's directory there
// is refused (the shared temp root is world-writable ground).
std::string own_directory(const fs::path& dir) {
  try {
    sdk::create_private_dirs(dir);
  } catch (const std::exception& e) {
    return std::string("cannot create ") + dir.string() + ": " + e.what();
  }
  fs::path top = temp_root();
  for (fs::path d = dir;; d = d.parent_path()) {
    struct stat st {};
    if (::lstat(d.c_str(), &st) != 0) return "cannot inspect " + d.string();
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
        (st.st_mode & 0022) != 0) {
      return d.string() +
             " is not a private directory of this user (a symlink, or writable by others): "
             "refusing to write there";
    }
    if (d == top || d == d.parent_path() || !d.has_relative_path()) break;
  }
  return "";
}

// ---- events -------------------------------------------------------------------------------------

void BrowserPlugin::on_page_event(Profile& p, const std::string& id, Tab& t,
                                  const std::string& method, const json::object& params) {
  if (method == "Runtime.consoleAPICalled") {
    std::string type = str(params, "type", "log");
    static const json::array none;
    const json::value* args = params.if_contains("args");
    json::object location{
        {"url", ""}, {"line", 0}, {"column", 0}, {"lineNumber", 0}, {"columnNumber", 0}};
    const json::value* frames = obj(params, "stackTrace").if_contains("callFrames");
    if (frames && frames->is_array() && !frames->get_array().empty() &&
        frames->get_array()[0].is_object()) {
      const auto& f = frames->get_array()[0].get_object();
      auto line = static_cast<std::int64_t>(num(f, "lineNumber"));
      auto column = static_cast<std::int64_t>(num(f, "columnNumber"));
      location = {{"url", str(f, "url")},
                  {"line", line},
                  {"column", column},
                  {"lineNumber", line},
                  {"columnNumber", column}};
    }
    push_capped(t.console,
                {{"type", type},
                 {"text", console_text(args && args->is_array() ? args->get_array() : none)},
                 {"timestamp", iso_time(num(params, "timestamp", now_ms()))},
                 {"location", std::move(location)}});
  } else if (method == "Runtime.exceptionThrown") {
    const auto& details = obj(params, "exceptionDetails");
    const auto& ex = obj(details, "exception");
    std::string description = str(ex, "description");
    std::string name = str(ex, "className");
    std::string message;
    if (!description.empty()) {
      message = description.substr(0, description.find('\n'));
      if (!name.empty() && message.rfind(name + ": ", 0) == 0) message.erase(0, name.size() + 2);
    } else if (const json::value* v = ex.if_contains("value"); v && v->is_string()) {
      message = std::string(v->get_string());
    } else {
      message = str(details, "text");
    }
    push_capped(t.errors, {{"message", message},
                           {"name", name},
                           {"stack", description},
                           {"timestamp", iso_time(num(params, "timestamp", now_ms()))}});
  } else if (method == "Network.requestWillBeSent") {
    std::string rid = str(params, "requestId");
    const auto& request = obj(params, "request");
    auto known = t.request_index.find(rid);
    if (params.contains("redirectResponse") && known != t.request_index.end() &&
        known->second >= t.requests_dropped) {
      // A redirect: the earlier hop got its answer; the next hop is a request of its own.
      auto& prev = t.requests[known->second - t.requests_dropped];
      int status = static_cast<int>(num(obj(params, "redirectResponse"), "status"));
      prev["status"] = status;
      prev["ok"] = status >= 200 && status < 300;
    }
    // The page's own traffic: not what the browser fetches beside it (favicons, type "Other"),
    // which may never report an end.
    if (str(params, "type") != "Other") t.pending_loads[rid] = str(params, "loaderId");
    json::object entry{{"id", "r" + std::to_string(++t.request_counter)},
                       {"timestamp", iso_time(num(params, "wallTime", now_ms() / 1000) * 1000)},
                       {"method", str(request, "method", "GET")},
                       {"url", str(request, "url")},
                       {"resourceType", lower(str(params, "type", "other"))}};
    if (t.requests.size() >= kBufferCap) {
      t.requests.pop_front();
      ++t.requests_dropped;
    }
    t.requests.push_back(std::move(entry));
    t.request_index[rid] = t.requests_dropped + t.requests.size() - 1;
  } else if (method == "Network.responseReceived" || method == "Network.loadingFinished" ||
             method == "Network.loadingFailed") {
    std::string rid = str(params, "requestId");
    auto known = t.request_index.find(rid);
    json::object* entry = known != t.request_index.end() && known->second >= t.requests_dropped
                              ? &t.requests[known->second - t.requests_dropped]
                              : nullptr;
    json::object event{{"requestId", rid}};
    if (method == "Network.responseReceived") {
      const auto& response = obj(params, "response");
      int status = static_cast<int>(num(response, "status"));
      if (entry) {
        (*entry)["status"] = status;
        (*entry)["ok"] = status == 0 || (status >= 200 && status < 300);
      }
      event["event"] = "response";
      event["response"] = response;
    } else {
      if (method == "Network.loadingFailed" && entry) {
        (*entry)["ok"] = false;
        (*entry)["failure"] = str(params, "errorText");
      }
      if (known != t.request_index.end()) t.request_index.erase(known);
      if (t.pending_loads.erase(rid) && t.pending_loads.empty()) {
        t.network_quiet_since = std::chrono::steady_clock::now();
      }
      event["event"] = method == "Network.loadingFinished" ? "finished" : "failed";
      event["errorText"] = str(params, "errorText");
    }
    auto watchers = t.response_watchers;  // a watcher may remove itself
    for (auto& [wid, w] : watchers) w.fire(event);
  } else if (method == "Page.javascriptDialogOpening") {
    dialog_opened(p, id, t, params);
  } else if (method == "Page.javascriptDialogClosed") {
    // Closed by something else (a navigation, the page): it is no longer pending.
    if (!t.dialogs_pending.empty()) {
      json::object d = t.dialogs_pending.front().as_object();
      t.dialogs_pending.erase(t.dialogs_pending.begin());
      d["closedAt"] = iso_time(now_ms());
      d["closedBy"] = "page";
      t.dialogs_recent.push_back(std::move(d));
    }
  } else if (method == "Page.fileChooserOpened") {
    if (!t.chooser_watchers.empty()) {
      Watcher w = t.chooser_watchers.begin()->second;
      t.chooser_watchers.erase(t.chooser_watchers.begin());
      w.fire(params);
    }
  } else if (method == "Input.dragIntercepted") {
    if (const json::value* d = params.if_contains("data")) t.drag_data = *d;
  } else if (method == "Fetch.requestPaused") {
    p.cdp->call("Fetch.continueRequest", {{"requestId", str(params, "requestId")}}, t.session,
                kCallTimeout, [](const std::string&, const json::object&) {});
  } else if (method == "Fetch.authRequired") {
    json::object answer{{"response", "Default"}};
    if (p.credentials) {
      answer = {{"response", "ProvideCredentials"},
                {"username", p.credentials->first},
                {"password", p.credentials->second}};
    }
    p.cdp->call("Fetch.continueWithAuth",
                {{"requestId", str(params, "requestId")}, {"authChallengeResponse", answer}},
                t.session, kCallTimeout, [](const std::string&, const json::object&) {});
  }
}

void BrowserPlugin::on_browser_event(Profile& p, const std::string& method,
                                     const json::object& params) {
  if (method == "Browser.downloadWillBegin") {
    std::string guid = str(params, "guid");
    // The oldest download / waitfordownload still waiting takes it; nobody waiting: cancelled
    // (the browser must not leave files nobody asked for in the downloads directory).
    for (auto& [wid, w] : p.download_watchers) {
      bool taken = false;
      for (const auto& [g, owner] : p.download_claims) taken = taken || owner == wid;
      if (taken) continue;
      p.download_claims[guid] = wid;
      Watcher copy = w;
      json::object event = params;
      event["event"] = "begin";
      return copy.fire(event);
    }
    p.cdp->call("Browser.cancelDownload", {{"guid", guid}},
                [](const std::string&, const json::object&) {});
  } else if (method == "Browser.downloadProgress") {
    std::string state = str(params, "state");
    auto claim = p.download_claims.find(str(params, "guid"));
    if (claim == p.download_claims.end() || state == "inProgress") return;
    auto w = p.download_watchers.find(claim->second);
    p.download_claims.erase(claim);
    if (w == p.download_watchers.end()) return;
    Watcher copy = w->second;
    json::object event = params;
    event["event"] = "progress";
    copy.fire(event);
  } else if (method == "Tracing.tracingComplete") {
    if (p.trace_watcher) {
      Watcher w = *p.trace_watcher;
      p.trace_watcher.reset();
      w.fire(params);
    }
  }
}

void BrowserPlugin::fail_watchers(Tab& t, const std::string& why) {
  for (auto* watchers : {&t.response_watchers, &t.chooser_watchers, &t.dialog_watchers}) {
    auto copy = std::move(*watchers);
    watchers->clear();
    for (auto& [wid, w] : copy) w.fail(why);
  }
}

void BrowserPlugin::fail_profile_watchers(Profile& p, const std::string& why) {
  auto downloads = std::move(p.download_watchers);
  p.download_watchers.clear();
  p.download_claims.clear();
  for (auto& [wid, w] : downloads) w.fail(why);
  if (p.trace_watcher) {
    Watcher w = *p.trace_watcher;
    p.trace_watcher.reset();
    w.fail(why);
  }
  p.tracing = false;
  for (auto& [id, t] : p.tabs) fail_watchers(t, why);
}

// ---- dialogs ------------------------------------------------------------------------------------

json::object BrowserPlugin::dialog_state(const Tab& t) const {
  return json::object{
      {"dialogs", json::object{{"pending", t.dialogs_pending}, {"recent", t.dialogs_recent}}}};
}

void BrowserPlugin::dialog_opened(Profile& p, const std::string& id, Tab& t,
                                  const json::object& params) {
  std::string type = str(params, "type", "alert");
  json::object d{{"id", "d" + std::to_string(++dialog_counter_)},
                 {"type", type},
                 {"message", str(params, "message")}};
  if (type == "prompt") d["defaultValue"] = str(params, "defaultPrompt");
  d["openedAt"] = iso_time(now_ms());
  if (t.dialog_armed && std::chrono::steady_clock::now() < t.dialog_armed_until) {
    json::object armed = *t.dialog_armed;
    t.dialog_armed.reset();
    json::object handle{{"accept", armed["accept"]}};
    if (armed.contains("promptText")) handle["promptText"] = armed["promptText"];
    p.cdp->call("Page.handleJavaScriptDialog", handle, t.session, kCallTimeout,
                [](const std::string&, const json::object&) {});
    d["closedAt"] = iso_time(now_ms());
    d["closedBy"] = "armed";
    t.dialogs_recent.push_back(std::move(d));
    if (t.dialogs_recent.size() > kRecentDialogs) t.dialogs_recent.erase(t.dialogs_recent.begin());
    return;
  }
  t.dialog_armed.reset();
  t.dialogs_pending.push_back(std::move(d));
  // Actions in flight on this tab are held up by the dialog: they answer now (blockedByDialog).
  auto watchers = t.dialog_watchers;
  json::object state = dialog_state(t);
  for (auto& [wid, w] : watchers) w.fire(state);
  (void)id;
}

void BrowserPlugin::dialog_route(Profile& p, const std::string& target, const json::object& body,
                                 const Reply& reply) {
  const json::value* accept = body.if_contains("accept");
  if (!accept || !accept->is_bool()) return reply(400, err("accept is required"));
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, body, reply](int status, const std::string& e, const std::string& id,
                                     const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             Profile& p = profiles_.at(name);
             Tab& t = p.tabs.at(id);
             bool accept = body.at("accept").get_bool();
             std::string wanted = str(body, "dialogId");
             json::object handle{{"accept", accept}};
             if (const json::value* pt = body.if_contains("promptText"); pt && pt->is_string()) {
               handle["promptText"] = *pt;
             }
             if (wanted.empty() && t.dialogs_pending.empty()) {
               // Armed: the next dialog of this tab is answered when it opens.
               t.dialog_armed = handle;
               t.dialog_armed_until = std::chrono::steady_clock::now() + timeout_ms(body, 120s);
               return reply(200, json::object{{"ok", true}});
             }
             auto& pending = t.dialogs_pending;
             auto it = pending.begin();
             if (!wanted.empty()) {
               it = std::find_if(pending.begin(), pending.end(), [&](const json::value& d) {
                 return str(d.as_object(), "id") == wanted;
               });
             }
             if (it == pending.end()) {
               return reply(500, err("Error: Dialog \"" + wanted + "\" is not pending."));
             }
             json::object d = it->as_object();
             pending.erase(it);
             d["closedAt"] = iso_time(now_ms());
             d["closedBy"] = "agent";
             t.dialogs_recent.push_back(std::move(d));
             if (t.dialogs_recent.size() > kRecentDialogs) {
               t.dialogs_recent.erase(t.dialogs_recent.begin());
             }
             p.cdp->call("Page.handleJavaScriptDialog", handle, session, kCallTimeout,
                         [reply](const std::string& e2, const json::object&) {
                           if (!e2.empty()) return reply(500, err(e2));
                           reply(200, json::object{{"ok", true}});
                         });
           });
}

// ---- console, errors, requests ------------------------------------------------------------------

void BrowserPlugin::console_route(Profile& p, const std::string& target, const Request& r,
                                  const Reply& reply) {
  std::string level = r.query.count("level") ? r.query.at("level") : "";
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, level, reply](int status, const std::string& e, const std::string& id,
                                      const std::string&) {
             if (!e.empty()) return reply(status, err(e));
             const Tab& t = profiles_.at(name).tabs.at(id);
             json::array messages;
             for (const auto& m : t.console) {
               if (!level.empty() && severity(str(m, "type")) < severity(level)) continue;
               messages.push_back(m);
             }
             reply(200, json::object{{"ok", true},
                                     {"targetId", id},
                                     {"url", t.url},
                                     {"messages", std::move(messages)}});
           });
}

void BrowserPlugin::errors_route(Profile& p, const std::string& target, const Request& r,
                                 const Reply& reply) {
  bool clear = r.query.count("clear") && r.query.at("clear") == "true";
  std::string name = p.name;
  with_tab(
      p, target, true,
      [this, name, clear, reply](int status, const std::string& e, const std::string& id,
                                 const std::string&) {
        if (!e.empty()) return reply(status, err(e));
        Tab& t = profiles_.at(name).tabs.at(id);
        json::array errors(t.errors.begin(), t.errors.end());
        if (clear) t.errors.clear();
        reply(200,
              json::object{
                  {"ok", true}, {"targetId", id}, {"url", t.url}, {"errors", std::move(errors)}});
      });
}

void BrowserPlugin::requests_route(Profile& p, const std::string& target, const Request& r,
                                   const Reply& reply) {
  bool clear = r.query.count("clear") && r.query.at("clear") == "true";
  std::string filter = r.query.count("filter") ? r.query.at("filter") : "";
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, clear, filter, reply](int status, const std::string& e,
                                              const std::string& id, const std::string&) {
             if (!e.empty()) return reply(status, err(e));
             Tab& t = profiles_.at(name).tabs.at(id);
             json::array requests;
             for (const auto& req : t.requests) {
               if (!filter.empty() && str(req, "url").find(filter) == std::string::npos) continue;
               requests.push_back(req);
             }
             if (clear) {
               // The whole buffer, not only what the filter showed (as OpenClaw does).
               t.requests_dropped += t.requests.size();
               t.requests.clear();
             }
             reply(200, json::object{{"ok", true},
                                     {"targetId", id},
                                     {"url", t.url},
                                     {"requests", std::move(requests)}});
           });
}

// ---- uploads ------------------------------------------------------------------------------------

void BrowserPlugin::file_chooser_route(Profile& p, const std::string& target,
                                       const json::object& body, const Reply& reply) {
  std::string ref = str(body, "ref"), input_ref = str(body, "inputRef");
  std::string element = str(body, "element");
  auto paths = strings(body, "paths");
  if (paths.empty()) return reply(400, err("paths are required"));
  if (!ref.empty() && (!input_ref.empty() || !element.empty())) {
    return reply(400, err("ref cannot be combined with inputRef/element"));
  }
  // Files come from the instance's inbound media (or OpenClaw's temp uploads dir) only: a
  // caller must not make the browser read ~/.ssh/id_rsa into a page.
  fs::path inbound = inbound_dir();
  fs::path uploads = temp_root() / "uploads";
  std::string where =
      "Invalid path: must stay within inbound media directory (" + inbound.string() + ")";
  json::array files;
  for (const auto& requested : paths) {
    std::optional<fs::path> path = confined_path(inbound, requested);
    fs::path root = inbound;
    if (!path) {
      path = confined_path(uploads, requested);
      root = uploads;
    }
    if (!path || !fs::path(requested).is_absolute()) return reply(400, err(where));
    std::error_code ec;
    auto st = fs::symlink_status(*path, ec);
    fs::path real = fs::canonical(*path, ec);
    fs::path real_root = fs::canonical(root, ec);
    bool inside = !ec && real.string().rfind(real_root.string() + "/", 0) == 0;
    if (!fs::is_regular_file(st) || !inside) {
      return reply(500, err("Error: " + where + " and be a regular non-symlink file"));
    }
    files.push_back(json::value(path->string()));
  }
  auto timeout = timeout_ms(body, 120s);
  std::string name = p.name;
  with_tab(
      p, target, true,
      [this, name, ref, input_ref, element, files, timeout, reply](
          int status, const std::string& e, const std::string& id, const std::string& session) {
        if (!e.empty()) return reply(status, err(e));
        Profile& p = profiles_.at(name);
        int gen = p.generation;
        auto set_files = [this, name, gen, session, files](long long node, Reply done) {
          Profile* p = find(name, gen);
          if (!p) return done(503, err("the browser stopped"));
          p->cdp->call("DOM.setFileInputFiles", {{"files", files}, {"backendNodeId", node}},
                       session, kCallTimeout, [done](const std::string& e2, const json::object&) {
                         if (!e2.empty()) return done(500, err("Error: " + e2));
                         done(200, json::object{{"ok", true}});
                       });
        };
        if (!input_ref.empty() || !element.empty()) {
          return resolve_element(p, id, session, input_ref, element,
                                 [set_files, reply](int s, json::value error, long long node) {
                                   if (s >= 400) return reply(s, std::move(error));
                                   set_files(node, reply);
                                 });
        }
        // Armed for the next file chooser: intercepted, so no native dialog opens.
        Reply done = once(reply);
        int w = ++watcher_counter_;
        bool click = !ref.empty();
        auto finish = [this, name, gen, id, session](Reply r) {
          return [this, name, gen, id, session, r](int s, json::value b) {
            if (Profile* p = find(name, gen)) {
              p->cdp->call("Page.setInterceptFileChooserDialog", {{"enabled", false}}, session,
                           kCallTimeout, [](const std::string&, const json::object&) {});
            }
            r(s, std::move(b));
          };
        };
        // Without a ref, the answer is at once; the files are set when the chooser opens.
        Reply later = click ? finish(done) : finish([](int, json::value) {});
        p.tabs.at(id).chooser_watchers[w] =
            Watcher{[set_files, later](const json::object& opened) {
                      const json::value* node = opened.if_contains("backendNodeId");
                      if (!node || !node->is_int64())
                        return later(500, err("the file chooser has no input"));
                      set_files(node->get_int64(), later);
                    },
                    [later](const std::string& why) { later(503, err(why)); }};
        host_->after(timeout, [this, name, gen, id, w, later, timeout] {
          Profile* p = find(name, gen);
          if (!p || !p->tabs.count(id) || !p->tabs.at(id).chooser_watchers.erase(w)) return;
          later(500,
                err("TimeoutError: page.waitForEvent: Timeout " + std::to_string(timeout.count()) +
                    "ms exceeded while waiting for event \"filechooser\""));
        });
        p.cdp->call("Page.setInterceptFileChooserDialog", {{"enabled", true}}, session,
                    kCallTimeout,
                    [this, name, gen, id, session, ref, w, click, done](const std::string& e2,
                                                                        const json::object&) {
                      Profile* p = find(name, gen);
                      if (!p || !p->tabs.count(id))
                        return done(503, err("the browser or the tab went away"));
                      if (!e2.empty()) {
                        p->tabs.at(id).chooser_watchers.erase(w);
                        return done(500, err(e2));
                      }
                      if (!click) return done(200, json::object{{"ok", true}});
                      resolve_element(*p, id, session, ref, "",
                                      [this, name, gen, id, session, w, done](
                                          int s, json::value error, long long node) {
                                        Profile* p = find(name, gen);
                                        if (!p || !p->tabs.count(id)) {
                                          return done(503, err("the browser or the tab went away"));
                                        }
                                        if (s >= 400) {
                                          p->tabs.at(id).chooser_watchers.erase(w);
                                          return done(s, std::move(error));
                                        }
                                        click_node(name, gen, session, node, done);
                                      });
                    });
      });
}

// A left click in the middle of `node`. Only a failure answers `done`: the caller answers once
// what the click sets off (a file chooser, a download) has happened.
void BrowserPlugin::click_node(const std::string& name, int gen, const std::string& session,
                               long long node, const Reply& done) {
  Profile* p = find(name, gen);
  if (!p) return done(503, err("the browser stopped"));
  center_of(*p, session, node,
            [this, name, gen, session, done](const std::string& e, double x, double y) {
              Profile* p = find(name, gen);
              if (!p) return done(503, err("the browser stopped"));
              if (!e.empty()) return done(500, err(e));
              click_at(*p, session, x, y, "left", 1, 0, [done](const std::string& e2) {
                if (!e2.empty()) done(500, err(e2));
              });
            });
}

// ---- downloads ----------------------------------------------------------------------------------

// download {ref, path}: click, then the download is saved as `path` under the downloads dir;
// wait/download {path?}: the next download, however it starts.
void BrowserPlugin::download_route(Profile& p, const std::string& target, const json::object& body,
                                   bool click, const Reply& reply) {
  std::string ref = str(body, "ref"), out = str(body, "path");
  if (click && ref.empty()) return reply(400, err("ref is required"));
  if (click && out.empty()) return reply(400, err("path is required"));
  fs::path root = temp_root() / "downloads";
  std::optional<fs::path> dest;
  if (!out.empty()) {
    dest = confined_path(root, out);
    if (!dest) return reply(400, err("Invalid path: must stay within downloads directory"));
  }
  auto timeout = timeout_ms(body, 120s);
  std::string name = p.name;
  with_tab(
      p, target, true,
      [this, name, ref, click, root, dest, timeout, reply](
          int status, const std::string& e, const std::string& id, const std::string& session) {
        if (!e.empty()) return reply(status, err(e));
        if (std::string why = own_directory(dest ? dest->parent_path() : root); !why.empty()) {
          return reply(500, err(why));
        }
        Profile& p = profiles_.at(name);
        int gen = p.generation;
        Reply done = once(reply);
        int w = ++watcher_counter_;
        auto begun = std::make_shared<json::object>();
        p.download_watchers[w] = Watcher{
            [this, name, gen, id, w, root, dest, begun, done](const json::object& event) {
              if (str(event, "event") == "begin") {
                *begun = event;
                return;
              }
              Profile* p = find(name, gen);
              if (p) p->download_watchers.erase(w);
              std::string guid = str(event, "guid");
              if (str(event, "state") != "completed") {
                std::error_code ec;
                fs::remove(root / guid, ec);
                return done(500, err("Error: the download was canceled"));
              }
              std::string suggested = str(*begun, "suggestedFilename", guid);
              fs::path file = dest ? *dest : root / fs::path(suggested).filename();
              std::error_code ec;
              fs::rename(root / guid, file, ec);
              if (ec) return done(500, err("could not save the download: " + ec.message()));
              done(200, json::object{{"ok", true},
                                     {"targetId", id},
                                     {"download", json::object{{"url", str(*begun, "url")},
                                                               {"suggestedFilename", suggested},
                                                               {"path", file.string()}}}});
            },
            [done](const std::string& why) { done(503, err(why)); }};
        host_->after(timeout, [this, name, gen, w, done, timeout] {
          Profile* p = find(name, gen);
          if (!p || !p->download_watchers.erase(w)) return;
          done(500,
               err("TimeoutError: page.waitForEvent: Timeout " + std::to_string(timeout.count()) +
                   "ms exceeded while waiting for event \"download\""));
        });
        // Saved under a name of its own (the guid) in the downloads dir, renamed once complete.
        p.cdp->call("Browser.setDownloadBehavior",
                    {{"behavior", "allowAndName"},
                     {"downloadPath", root.string()},
                     {"eventsEnabled", true}},
                    [this, name, gen, id, session, ref, click, w, done](const std::string& e2,
                                                                        const json::object&) {
                      Profile* p = find(name, gen);
                      if (!p || !p->tabs.count(id))
                        return done(503, err("the browser or the tab went away"));
                      if (!e2.empty()) {
                        p->download_watchers.erase(w);
                        return done(500, err(e2));
                      }
                      if (!click) return;
                      resolve_element(*p, id, session, ref, "",
                                      [this, name, gen, session, w, done](int s, json::value error,
                                                                          long long node) {
                                        Profile* p = find(name, gen);
                                        if (!p) return done(503, err("the browser stopped"));
                                        if (s >= 400) {
                                          p->download_watchers.erase(w);
                                          return done(s, std::move(error));
                                        }
                                        click_node(name, gen, session, node, done);
                                      });
                    });
      });
}

// ---- response bodies ----------------------------------------------------------------------------

void BrowserPlugin::response_body_route(Profile& p, const std::string& target,
                                        const json::object& body, const Reply& reply) {
  std::string pattern = str(body, "url");
  if (pattern.empty()) return reply(400, err("url is required"));
  double max_chars = num(body, "maxChars", static_cast<double>(kMaxBodyChars));
  if (max_chars <= 0) return reply(400, err("maxChars must be a positive integer."));
  auto limit = static_cast<std::size_t>(std::min(max_chars, static_cast<double>(kMaxBodyChars)));
  auto timeout = timeout_ms(body, 20s);
  std::string name = p.name;
  with_tab(
      p, target, true,
      [this, name, pattern, limit, timeout, reply](
          int status, const std::string& e, const std::string& id, const std::string& session) {
        if (!e.empty()) return reply(status, err(e));
        Profile& p = profiles_.at(name);
        int gen = p.generation;
        Reply done = once(reply);
        int w = ++watcher_counter_;
        struct Seen {
          std::string request;
          json::object response;
        };
        auto seen = std::make_shared<Seen>();
        p.tabs.at(id).response_watchers[w] = Watcher{
            [this, name, gen, id, session, pattern, limit, w, seen, done](const json::object& ev) {
              std::string kind = str(ev, "event");
              std::string rid = str(ev, "requestId");
              if (kind == "response" && seen->request.empty()) {
                const auto& response = obj(ev, "response");
                if (!glob_match(pattern, str(response, "url"))) return;
                seen->request = rid;
                json::object headers;
                for (const auto& [k, v] : obj(response, "headers")) {
                  if (v.is_string()) headers[lower(std::string(k))] = v;
                }
                seen->response = {{"url", str(response, "url")},
                                  {"status", static_cast<int>(num(response, "status"))},
                                  {"headers", std::move(headers)}};
                return;
              }
              if (rid != seen->request || kind == "response") return;
              Profile* p = find(name, gen);
              if (!p || !p->tabs.count(id))
                return done(503, err("the browser or the tab went away"));
              p->tabs.at(id).response_watchers.erase(w);
              if (kind == "failed") {
                return done(500, err("Error: the response failed: " + str(ev, "errorText")));
              }
              p->cdp->call("Network.getResponseBody", {{"requestId", rid}}, session, kCallTimeout,
                           [this, name, id, limit, seen, done](const std::string& e2,
                                                               const json::object& r) {
                             if (!e2.empty()) return done(500, err(e2));
                             std::string text = str(r, "body");
                             if (flag(r, "base64Encoded", false)) text = base64_decode(text);
                             json::object response = seen->response;
                             if (text.size() > limit) {
                               text.resize(limit);
                               response["truncated"] = true;
                             }
                             response["body"] = text;
                             done(200, json::object{{"ok", true},
                                                    {"targetId", id},
                                                    {"url", tab_url(name, id)},
                                                    {"response", std::move(response)}});
                           });
            },
            [done](const std::string& why) { done(503, err(why)); }};
        host_->after(timeout, [this, name, gen, id, w, pattern, done] {
          Profile* p = find(name, gen);
          if (!p || !p->tabs.count(id) || !p->tabs.at(id).response_watchers.erase(w)) return;
          done(500, err("Error: Response not found for url pattern \"" + pattern +
                        "\". Run 'openclaw browser requests' to inspect recent network activity."));
        });
      });
}

}  // namespace browser
