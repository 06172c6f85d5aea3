// The browser's state beyond one page: cookies (browser-wide), web storage (the tab's origin),
// emulation (set/*: offline, headers, credentials, geolocation, media, timezone, locale, device),
// and the outputs: PDF, highlight, a trace, and the doctor's checks.
#include <openclaw/sdk/files.hpp>

#include "browser.hpp"

namespace browser {
namespace {

json::object ok_target(const std::string& id) {
  return json::object{{"ok", true}, {"targetId", id}};
}

std::string js(const std::string& s) {
  return json::serialize(json::value(s));
}

// A cookie as CDP's Storage.setCookies takes it, or why not (OpenClaw's checks).
std::string cookie_param(const json::value& v, json::object* out) {
  if (!v.is_object()) return "cookies must contain only cookie objects";
  const auto& c = v.get_object();
  const json::value* name = c.if_contains("name");
  const json::value* value = c.if_contains("value");
  if (!name || !name->is_string() || name->get_string().empty() || !value || !value->is_string()) {
    return "cookie name and value are required";
  }
  bool url = !str(c, "url").empty();
  bool domain = !str(c, "domain").empty();
  if (!url && !domain) return "cookie requires url or domain";
  json::object p{{"name", *name}, {"value", *value}};
  for (const char* k : {"url", "domain", "path", "sameSite"}) {
    if (!str(c, k).empty()) p[k] = str(c, k);
  }
  if (domain && !url && !p.contains("path")) p["path"] = "/";
  for (const char* k : {"httpOnly", "secure"}) {
    if (const json::value* b = c.if_contains(k); b && b->is_bool()) p[k] = *b;
  }
  if (const json::value* e = c.if_contains("expires");
      e && e->is_number() && e->to_number<double>() > 0) {
    p["expires"] = e->to_number<double>();
  }
  *out = std::move(p);
  return "";
}

json::object cookie_json(const json::object& c) {
  return json::object{
      {"name", str(c, "name")},
      {"value", str(c, "value")},
      {"domain", str(c, "domain")},
      {"path", str(c, "path", "/")},
      {"expires",
       flag(c, "session", false) || !c.contains("expires") ? json::value(-1) : c.at("expires")},
      {"httpOnly", flag(c, "httpOnly", false)},
      {"secure", flag(c, "secure", false)},
      {"sameSite", str(c, "sameSite", "Lax")}};
}

}  // namespace

// ---- cookies ------------------------------------------------------------------------------------

void BrowserPlugin::cookies_route(Profile& p, const std::string& target, const Request& r,
                                  const Reply& reply) {
  const std::string& path = r.path;
  json::array params;
  if (path == "/cookies/set" && r.method == "POST") {
    const json::value* cookie = r.body.if_contains("cookie");
    if (!cookie || !cookie->is_object()) return reply(400, err("cookie is required"));
    json::object one;
    if (auto why = cookie_param(*cookie, &one); !why.empty()) return reply(400, err(why));
    params.push_back(std::move(one));
  } else if (path == "/cookies/set-many" && r.method == "POST") {
    const json::value* list = r.body.if_contains("cookies");
    if (!list || !list->is_array() || list->get_array().empty()) {
      return reply(400, err("cookies must be a non-empty array"));
    }
    for (const auto& c : list->get_array()) {
      json::object one;
      if (auto why = cookie_param(c, &one); !why.empty()) return reply(400, err(why));
      params.push_back(std::move(one));
    }
  } else if (!((path == "/cookies" && r.method == "GET") ||
               (path == "/cookies/clear" && r.method == "POST"))) {
    return reply(404, err("Cannot " + r.method + " " + path, "NOT_FOUND"));
  }
  std::string name = p.name;
  std::string what = path;
  with_tab(p, target, true,
           [this, name, what, params, reply](int status, const std::string& e,
                                             const std::string& id, const std::string&) {
             if (!e.empty()) return reply(status, err(e));
             Profile& p = profiles_.at(name);
             // Cookies belong to the browser (its default context), not to one tab.
             if (what == "/cookies") {
               return p.cdp->call("Storage.getCookies", {},
                                  [id, reply](const std::string& e2, const json::object& r) {
                                    if (!e2.empty()) return reply(500, err(e2));
                                    json::array cookies;
                                    if (const json::value* list = r.if_contains("cookies");
                                        list && list->is_array()) {
                                      for (const auto& c : list->get_array()) {
                                        if (c.is_object())
                                          cookies.push_back(cookie_json(c.get_object()));
                                      }
                                    }
                                    json::object out = ok_target(id);
                                    out["cookies"] = std::move(cookies);
                                    reply(200, out);
                                  });
             }
             if (what == "/cookies/clear") {
               return p.cdp->call("Storage.clearCookies", {},
                                  [id, reply](const std::string& e2, const json::object&) {
                                    if (!e2.empty()) return reply(500, err(e2));
                                    reply(200, ok_target(id));
                                  });
             }
             std::size_t n = params.size();
             bool many = what == "/cookies/set-many";
             p.cdp->call("Storage.setCookies", {{"cookies", params}},
                         [id, n, many, reply](const std::string& e2, const json::object&) {
                           if (!e2.empty()) return reply(500, err("Error: " + e2));
                           json::object out = ok_target(id);
                           if (many) out["added"] = static_cast<std::int64_t>(n);
                           reply(200, out);
                         });
           });
}

// ---- web storage --------------------------------------------------------------------------------

void BrowserPlugin::storage_route(Profile& p, const std::string& target, const Request& r,
                                  const Reply& reply) {
  // /storage/<kind>[/set|/clear]
  std::string rest = r.path.substr(std::string("/storage/").size());
  std::string kind = rest.substr(0, rest.find('/'));
  std::string op = rest.size() > kind.size() ? rest.substr(kind.size() + 1) : "";
  if (kind != "local" && kind != "session") return reply(400, err("kind must be local|session"));
  bool get = op.empty() && r.method == "GET";
  if (!get && !((op == "set" || op == "clear") && r.method == "POST")) {
    return reply(404, err("Cannot " + r.method + " " + r.path, "NOT_FOUND"));
  }
  std::string store = "window." + kind + "Storage";
  std::string expr;
  if (get) {
    std::string key = r.query.count("key") ? r.query.at("key") : "";
    expr = "(() => { const s = " + store + "; const out = {};" +
           (key.empty() ? " for (let i = 0; i < s.length; i++) { const k = s.key(i); out[k] = "
                          "s.getItem(k); }"
                        : " const v = s.getItem(" + js(key) + "); if (v !== null) out[" + js(key) +
                              "] = v;") +
           " return out; })()";
  } else if (op == "set") {
    std::string key = str(r.body, "key");
    if (key.empty()) return reply(400, err("key is required"));
    expr = store + ".setItem(" + js(key) + ", " + js(str(r.body, "value")) + ")";
  } else {
    expr = store + ".clear()";
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, expr, get, reply](int status, const std::string& e, const std::string& id,
                                          const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             profiles_.at(name).cdp->call(
                 "Runtime.evaluate", {{"expression", expr}, {"returnByValue", true}}, session,
                 kCallTimeout, [id, get, reply](const std::string& e2, const json::object& r) {
                   if (!e2.empty()) return reply(500, err(e2));
                   if (const auto& ex = obj(r, "exceptionDetails"); !ex.empty()) {
                     return reply(500, err("Error: " + str(obj(ex, "exception"), "description",
                                                           str(ex, "text"))));
                   }
                   json::object out = ok_target(id);
                   if (get) out["values"] = obj(obj(r, "result"), "value");
                   reply(200, out);
                 });
           });
}

// ---- emulation ----------------------------------------------------------------------------------

void BrowserPlugin::emulate(Profile& p, const std::string& session, const std::string& method,
                            json::object params, Done done) {
  // Remembered for tabs attached later ("__forget": a clear call; it undoes `__forget`).
  if (const json::value* forget = params.if_contains("__forget"); forget && forget->is_string()) {
    p.emulation.erase(std::string(forget->get_string()));
    params.erase("__forget");
  } else {
    p.emulation[method] = params;
  }
  for (const auto& [id, t] : p.tabs) {
    if (t.session.empty() || t.session == session) continue;
    p.cdp->call(method, params, t.session, kCallTimeout,
                [](const std::string&, const json::object&) {});
  }
  p.cdp->call(method, std::move(params), session, kCallTimeout,
              [done](const std::string& e, const json::object&) { done(e); });
}

void BrowserPlugin::set_route(Profile& p, const std::string& target, const Request& r,
                              const Reply& reply) {
  std::string what = r.path.substr(5);
  const json::object& b = r.body;
  // The calls to make: (method, params); a clear carries "__forget": the method it undoes.
  std::vector<std::pair<std::string, json::object>> calls;
  bool ignore_errors = false;
  if (what == "offline") {
    const json::value* v = b.if_contains("offline");
    if (!v || !v->is_bool()) return reply(400, err("offline is required"));
    calls.push_back({"Network.emulateNetworkConditions",
                     {{"offline", v->get_bool()},
                      {"latency", 0},
                      {"downloadThroughput", -1},
                      {"uploadThroughput", -1}}});
  } else if (what == "headers") {
    const json::value* h = b.if_contains("headers");
    if (!h || !h->is_object()) return reply(400, err("headers is required"));
    json::object headers;
    for (const auto& [k, v] : h->get_object()) {
      if (v.is_string()) headers[k] = v;
    }
    calls.push_back({"Network.setExtraHTTPHeaders", {{"headers", headers}}});
  } else if (what == "credentials") {
    bool clear = flag(b, "clear", false);
    if (!clear && str(b, "username").empty()) return reply(400, err("username is required"));
    if (clear) {
      p.credentials.reset();
      calls.push_back({"Fetch.disable", {{"__forget", "Fetch.enable"}}});
    } else {
      p.credentials = std::make_pair(str(b, "username"), str(b, "password"));
      calls.push_back({"Fetch.enable",
                       {{"handleAuthRequests", true},
                        {"patterns", json::array{json::object{{"urlPattern", "*"}}}}}});
    }
    ignore_errors = true;
  } else if (what == "geolocation") {
    if (flag(b, "clear", false)) {
      calls.push_back({"Emulation.clearGeolocationOverride",
                       {{"__forget", "Emulation.setGeolocationOverride"}}});
    } else {
      const json::value* lat = b.if_contains("latitude");
      const json::value* lon = b.if_contains("longitude");
      if (!lat || !lon || !lat->is_number() || !lon->is_number()) {
        return reply(400, err("latitude and longitude are required"));
      }
      json::object geo{{"latitude", *lat}, {"longitude", *lon}, {"accuracy", 1}};
      if (const json::value* a = b.if_contains("accuracy"); a && a->is_number()) {
        geo["accuracy"] = *a;
      }
      calls.push_back({"Emulation.setGeolocationOverride", geo});
    }
  } else if (what == "media") {
    std::string scheme = str(b, "colorScheme");
    if (scheme != "dark" && scheme != "light" && scheme != "no-preference" && scheme != "none") {
      return reply(400, err("colorScheme must be dark|light|no-preference|none"));
    }
    calls.push_back(
        {"Emulation.setEmulatedMedia",
         {{"features", json::array{json::object{{"name", "prefers-color-scheme"},
                                                {"value", scheme == "none" ? "" : scheme}}}}}});
  } else if (what == "timezone") {
    std::string tz = str(b, "timezoneId");
    if (tz.empty()) return reply(400, err("timezoneId is required"));
    calls.push_back({"Emulation.setTimezoneOverride", {{"timezoneId", tz}}});
    ignore_errors = true;  // OpenClaw accepts an unknown zone too
  } else if (what == "locale") {
    std::string locale = str(b, "locale");
    if (locale.empty()) return reply(400, err("locale is required"));
    // One override at a time: the old one goes first.
    calls.push_back({"Emulation.setLocaleOverride", {{"__forget", "Emulation.setLocaleOverride"}}});
    calls.push_back({"Emulation.setLocaleOverride", {{"locale", locale}}});
  } else if (what == "device") {
    std::string device = str(b, "name");
    if (device.empty()) return reply(400, err("name is required"));
    const Device* d = find_device(device);
    if (!d) return reply(500, err("Error: Unknown device \"" + device + "\"."));
    calls.push_back({"Emulation.setDeviceMetricsOverride",
                     {{"width", d->width},
                      {"height", d->height},
                      {"deviceScaleFactor", d->scale},
                      {"mobile", d->mobile}}});
    calls.push_back({"Emulation.setTouchEmulationEnabled", {{"enabled", d->mobile}}});
    calls.push_back({"Network.setUserAgentOverride", {{"userAgent", d->user_agent}}});
  } else {
    return reply(404, err("Cannot POST " + r.path, "NOT_FOUND"));
  }
  std::string name = p.name;
  std::string origin = str(b, "origin");
  bool geo_grant = what == "geolocation" && !flag(b, "clear", false);
  with_tab(
      p, target, true,
      [this, name, calls, ignore_errors, geo_grant, origin, reply](
          int status, const std::string& e, const std::string& id, const std::string& session) {
        if (!e.empty()) return reply(status, err(e));
        Profile& p = profiles_.at(name);
        if (geo_grant) {
          json::object grant{{"permissions", json::array{"geolocation"}}};
          if (!origin.empty()) grant["origin"] = origin;
          p.cdp->call("Browser.grantPermissions", grant,
                      [](const std::string&, const json::object&) {});
        }
        // In order (a locale is cleared before the next is set); the answer after the last.
        // The callbacks own the step function; it holds itself only weakly (no cycle).
        auto run = std::make_shared<std::function<void(std::size_t, std::string)>>();
        std::weak_ptr<std::function<void(std::size_t, std::string)>> weak = run;
        *run = [this, name, id, session, calls, ignore_errors, reply, weak](
                   std::size_t i, const std::string& failed) {
          Profile* pp = profiles_.count(name) ? &profiles_.at(name) : nullptr;
          if (!pp || !pp->cdp) return reply(503, err("the browser stopped"));
          if (i >= calls.size()) {
            if (!failed.empty() && !ignore_errors) return reply(500, err("Error: " + failed));
            return reply(200, ok_target(id));
          }
          auto self = weak.lock();
          emulate(*pp, session, calls[i].first, calls[i].second,
                  [self, i, failed](const std::string& e2) {
                    (*self)(i + 1, failed.empty() ? e2 : failed);
                  });
        };
        (*run)(0, "");
      });
}

// ---- pdf, highlight -----------------------------------------------------------------------------

void BrowserPlugin::pdf_route(Profile& p, const std::string& target, const Reply& reply) {
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, reply](int status, const std::string& e, const std::string& id,
                               const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             profiles_.at(name).cdp->call(
                 "Page.printToPDF", {{"printBackground", true}}, session, 60s,
                 [this, name, id, reply](const std::string& e2, const json::object& r) {
                   if (!e2.empty()) return reply(500, err(e2));
                   if (!host_) return reply(503, err("the browser plugin is stopping"));
                   std::string bytes = base64_decode(str(r, "data"));
                   if (bytes.empty()) return reply(500, err("the browser returned no PDF"));
                   fs::path file;
                   try {
                     file = save_media(bytes, "pdf");
                   } catch (const std::exception& ex) {
                     return reply(500, err(std::string("could not save the PDF: ") + ex.what()));
                   }
                   reply(200, json::object{{"ok", true},
                                           {"path", file.string()},
                                           {"targetId", id},
                                           {"url", tab_url(name, id)}});
                 });
           });
}

// An outline around the element for two seconds. An unknown ref is not an error (as in OpenClaw).
void BrowserPlugin::highlight_route(Profile& p, const std::string& target, const json::object& body,
                                    const Reply& reply) {
  std::string ref = str(body, "ref");
  if (ref.empty()) return reply(400, err("ref is required"));
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, ref, reply](int status, const std::string& e, const std::string& id,
                                    const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             auto ok = [this, name, id, reply] {
               reply(200, json::object{{"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}});
             };
             resolve_element(
                 profiles_.at(name), id, session, ref, "",
                 [this, name, session, ok](int s, json::value, long long node) {
                   if (s >= 400 || !profiles_.count(name)) return ok();
                   call_on(profiles_.at(name), session, node,
                           "function(){ this.scrollIntoView({block:'center', inline:'center'});"
                           " const o = this.style.outline, f = this.style.outlineOffset;"
                           " this.style.outline = '3px solid #FF4500'; this.style.outlineOffset "
                           "= '2px';"
                           " setTimeout(() => { this.style.outline = o; this.style.outlineOffset "
                           "= f; }, 2000); }",
                           {}, [ok](const std::string&) { ok(); });
                 });
           });
}

// ---- trace --------------------------------------------------------------------------------------

// OpenClaw records a Playwright trace; over raw CDP this is Chrome's own trace (the Tracing
// domain: timeline, loading, user timing, and screenshots unless screenshots:false), stored as
// trace.json in a zip at the same place (a path ending in .json gets the JSON itself).
void BrowserPlugin::trace_route(Profile& p, const std::string& target, bool start,
                                const json::object& body, const Reply& reply) {
  std::optional<fs::path> out;
  if (!start) {
    std::string requested = str(body, "path");
    out = requested.empty() ? temp_root() / ("browser-trace-" + random_uuid() + ".zip")
                            : confined_path(temp_root(), requested);
    if (!out) return reply(400, err("Invalid path: must stay within trace directory"));
  }
  bool screenshots = flag(body, "screenshots", true);
  std::string name = p.name;
  with_tab(
      p, target, true,
      [this, name, start, out, screenshots, reply](int status, const std::string& e,
                                                   const std::string& id, const std::string&) {
        if (!e.empty()) return reply(status, err(e));
        Profile& p = profiles_.at(name);
        int gen = p.generation;
        auto answer = [this, name, id, reply](json::object extra) {
          json::object o{{"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}};
          for (auto& [k, v] : extra) o[k] = v;
          reply(200, o);
        };
        if (start) {
          if (p.tracing) {
            return reply(500, err("Error: Trace already running. Stop the current trace before "
                                  "starting a new one."));
          }
          json::array categories{"devtools.timeline",
                                 "disabled-by-default-devtools.timeline",
                                 "disabled-by-default-devtools.timeline.frame",
                                 "v8.execute",
                                 "blink.user_timing",
                                 "loading",
                                 "latencyInfo"};
          if (screenshots) categories.push_back("disabled-by-default-devtools.screenshot");
          p.tracing = true;
          return p.cdp->call(
              "Tracing.start",
              {{"traceConfig", json::object{{"includedCategories", categories},
                                            {"recordMode", "recordAsMuchAsPossible"}}},
               {"transferMode", "ReturnAsStream"},
               {"streamFormat", "json"}},
              [this, name, gen, answer, reply](const std::string& e2, const json::object&) {
                if (!e2.empty()) {
                  if (Profile* p = find(name, gen)) p->tracing = false;
                  return reply(500, err(e2));
                }
                answer({});
              });
        }
        if (!p.tracing) {
          return reply(500, err("Error: No active trace. Start a trace before stopping it."));
        }
        if (std::string why = own_directory(out->parent_path()); !why.empty()) {
          return reply(500, err(why));
        }
        Reply done = once(reply);
        p.trace_watcher = Watcher{
            [this, name, gen, path = *out, answer, done](const json::object& complete) {
              std::string stream = str(complete, "stream");
              if (stream.empty()) return done(500, err("the browser returned no trace"));
              read_trace(name, gen, stream, "", path, [path, answer, done](const std::string& e3) {
                if (!e3.empty()) return done(500, err(e3));
                answer(json::object{{"path", path.string()}});
              });
            },
            [done](const std::string& why) { done(503, err(why)); }};
        host_->after(30s, [this, name, gen, done] {
          Profile* p = find(name, gen);
          if (!p || !p->trace_watcher) return;
          p->trace_watcher.reset();
          done(500, err("the browser did not finish the trace within 30 s"));
        });
        p.cdp->call("Tracing.end", {},
                    [this, name, gen, done](const std::string& e2, const json::object&) {
                      Profile* p = find(name, gen);
                      if (p) p->tracing = false;
                      if (!e2.empty()) {
                        if (p) p->trace_watcher.reset();
                        done(500, err(e2));
                      }
                    });
      });
}

// The trace stream in chunks (IO.read), then written in one go.
void BrowserPlugin::read_trace(const std::string& name, int gen, const std::string& stream,
                               std::string data, fs::path path,
                               std::function<void(const std::string& error)> done) {
  Profile* p = find(name, gen);
  if (!p || !p->cdp) return done("the browser stopped");
  p->cdp->call("IO.read", {{"handle", stream}, {"size", 1 << 20}}, {}, kCallTimeout,
               [this, name, gen, stream, data = std::move(data), path, done](
                   const std::string& e, const json::object& r) mutable {
                 if (!e.empty()) return done(e);
                 std::string chunk = str(r, "data");
                 data += flag(r, "base64Encoded", false) ? base64_decode(chunk) : chunk;
                 if (data.size() > (512u << 20)) return done("the trace is larger than 512 MiB");
                 if (!flag(r, "eof", false))
                   return read_trace(name, gen, stream, std::move(data), path, done);
                 if (Profile* p = find(name, gen)) {
                   p->cdp->call("IO.close", {{"handle", stream}},
                                [](const std::string&, const json::object&) {});
                 }
                 bool raw = path.extension() == ".json";
                 try {
                   sdk::write_file_atomic(path, raw ? data : zip_store({{"trace.json", data}}),
                                          fs::perms(0600), false, false);
                 } catch (const std::exception& ex) {
                   return done(std::string("could not save the trace: ") + ex.what());
                 }
                 done("");
               });
}

// ---- doctor -------------------------------------------------------------------------------------

void BrowserPlugin::doctor_route(Profile& p, const Reply& reply) {
  json::array checks;
  auto check = [&checks](const char* id, const char* label, const char* status,
                         const std::string& summary) {
    checks.push_back(
        json::object{{"id", id}, {"label", label}, {"status", status}, {"summary", summary}});
  };
  check("plugin-enabled", "Browser plugin", "pass", "enabled");
  check("profile", "Profile", "pass", p.name + " via cdp");
  if (p.remote()) {
    check("managed-executable", "Chromium executable", "info",
          "not needed: attaches to " + p.cdp_url);
  } else if (auto exe = detect_executable(p)) {
    check("managed-executable", "Chromium executable", "pass", "custom at " + *exe);
  } else {
    check("managed-executable", "Chromium executable", "fail", missing_browser_message(p));
  }
  std::string name = p.name;
  int gen = p.generation;
  auto finish = [this, name, reply](json::array checks) {
    auto it = profiles_.find(name);
    if (it == profiles_.end()) return reply(503, err("the profile is gone"));
    bool ok = true;
    for (const auto& c : checks) ok = ok && str(c.as_object(), "status") != "fail";
    reply(200, json::object{{"ok", ok},
                            {"profile", name},
                            {"transport", "cdp"},
                            {"checks", std::move(checks)},
                            {"status", status_json(it->second)}});
  };
  if (!p.running()) {
    const char* idle = "the browser is not running (it starts on first use)";
    check("cdp-http", "CDP HTTP", "info", idle);
    check("cdp-websocket", "CDP WebSocket", "info", idle);
    check("graphics", "Graphics", "info", "known once the browser runs");
    return finish(std::move(checks));
  }
  std::string origin = p.remote() ? browser_endpoint(p.cdp_url).value_or("")
                                  : "http://127.0.0.1:" + std::to_string(p.cdp_port);
  auto rest = [this, name, gen, finish](json::array checks, const std::string& http_error) {
    Profile* p = find(name, gen);
    if (!p || !p->cdp) return finish(std::move(checks));
    checks.push_back(json::object{
        {"id", "cdp-http"},
        {"label", "CDP HTTP"},
        {"status", http_error.empty() ? "pass" : "fail"},
        {"summary", http_error.empty() ? "CDP HTTP endpoint is reachable"
                                       : "CDP HTTP endpoint is not reachable: " + http_error}});
    checks.push_back(json::object{
        {"id", "cdp-websocket"},
        {"label", "CDP WebSocket"},
        {"status", p->cdp->is_open() ? "pass" : "fail"},
        {"summary", p->cdp->is_open() ? "CDP WebSocket is reachable" : "CDP WebSocket is closed"}});
    p->cdp->call(
        "SystemInfo.getInfo", {},
        [finish, checks](const std::string& e, const json::object& r) mutable {
          std::string summary = "unknown";
          if (e.empty()) {
            const auto& gpu = obj(r, "gpu");
            const auto& aux = obj(gpu, "auxAttributes");
            std::string renderer = str(aux, "glRenderer");
            const json::value* devices = gpu.if_contains("devices");
            if (renderer.empty() && devices && devices->is_array() &&
                !devices->get_array().empty() && devices->get_array()[0].is_object()) {
              renderer = str(devices->get_array()[0].get_object(), "deviceString");
            }
            bool software = renderer.find("SwiftShader") != std::string::npos || renderer.empty();
            summary = std::string(software ? "software" : "hardware") +
                      (renderer.empty() ? "" : "; renderer " + renderer);
          }
          checks.push_back(json::object{
              {"id", "graphics"}, {"label", "Graphics"}, {"status", "info"}, {"summary", summary}});
          finish(std::move(checks));
        });
  };
  if (origin.empty()) return rest(std::move(checks), "");
  fetch_version(host_->io(), origin, 2s, [rest, checks](const VersionReply& v) mutable {
    std::string why = !v.error.empty()  ? v.error
                      : v.status != 200 ? "HTTP " + std::to_string(v.status)
                                        : "";
    rest(std::move(checks), why);
  });
}

}  // namespace browser
