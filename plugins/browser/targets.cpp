// Targets and sessions (the tabs a profile's browser has, followed from CDP events), navigation
// under browser.ssrfPolicy, and the tab routes (open, focus, close, navigate).
#include <arpa/inet.h>

#include "browser.hpp"

namespace browser {

// ---- targets and sessions -----------------------------------------------------------------------

void BrowserPlugin::target_info(Profile& p, const json::object& info) {
  if (str(info, "type") != "page") return;
  std::string id = str(info, "targetId");
  if (id.empty()) return;
  Tab& t = p.tabs[id];
  if (t.handle.empty()) t.handle = "t" + std::to_string(++tab_counter_);
  t.url = str(info, "url");
  t.title = str(info, "title");
  if (p.current.empty()) p.current = id;
}

void BrowserPlugin::on_cdp_event(Profile& p, const std::string& method, const json::object& params,
                                 const std::string& session) {
  if (method == "Target.targetCreated" || method == "Target.targetInfoChanged") {
    target_info(p, obj(params, "targetInfo"));
  } else if (method == "Target.targetDestroyed" || method == "Target.targetCrashed") {
    target_gone(p, str(params, "targetId"));
  } else if (method == "Target.detachedFromTarget") {
    for (auto& [id, t] : p.tabs) {
      if (t.session == str(params, "sessionId")) t.session.clear();
    }
  } else if (method == "Page.loadEventFired" || method == "Page.frameNavigated") {
    for (auto& [id, t] : p.tabs) {
      if (t.session != session || session.empty()) continue;
      if (method == "Page.loadEventFired") {
        page_loaded(p, id);
        continue;
      }
      const auto& frame = obj(params, "frame");
      if (!frame.contains("parentId")) {
        t.url = str(frame, "url", t.url);
        t.refs.reset();  // a new document: refs of the old one mean nothing
      }
    }
  }
}

void BrowserPlugin::target_gone(Profile& p, const std::string& id) {
  auto it = p.tabs.find(id);
  if (it != p.tabs.end()) {
    auto waiters = std::move(it->second.load_waiters);
    p.tabs.erase(it);
    for (auto& w : waiters) w("the tab was closed");
  }
  if (p.current == id) p.current = p.tabs.empty() ? "" : p.tabs.begin()->first;
}

// Chromium does not always send targetInfoChanged for the <title>: asked once loaded, then the
// load's waiters go on.
void BrowserPlugin::page_loaded(Profile& p, const std::string& id) {
  std::string name = p.name;
  int gen = p.generation;
  p.cdp->call("Target.getTargetInfo", {{"targetId", id}},
              [this, name, gen, id](const std::string& e, const json::object& r) {
                Profile* p = find(name, gen);
                if (!p || !e.empty()) return;
                target_info(*p, obj(r, "targetInfo"));
                auto it = p->tabs.find(id);
                if (it == p->tabs.end()) return;
                auto waiters = std::move(it->second.load_waiters);
                it->second.load_waiters.clear();
                for (auto& w : waiters) w("");
              });
}

void BrowserPlugin::with_page(
    Profile& p, const std::string& wanted,
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
  new_tab(p, std::move(done));
}

void BrowserPlugin::new_tab(
    Profile& p, std::function<void(const std::string& error, const std::string& target)> done) {
  std::string name = p.name;
  int gen = p.generation;
  p.cdp->call("Target.createTarget", {{"url", "about:blank"}},
              [this, name, gen, done](const std::string& e, const json::object& r) {
                Profile* p = find(name, gen);
                if (!p) return done("the browser stopped", "");
                if (!e.empty()) return done(e, "");
                std::string id = str(r, "targetId");
                target_info(
                    *p,
                    json::object{
                        {"type", "page"}, {"targetId", id}, {"url", "about:blank"}, {"title", ""}});
                p->current = id;
                done("", id);
              });
}

void BrowserPlugin::with_session(
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

void BrowserPlugin::with_tab(Profile& p, const std::string& wanted, bool may_launch, TabDone done) {
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
                    if (!e2.empty()) {
                      return done(e2.rfind("tab ", 0) == 0 ? 404 : 500, e2, "", "");
                    }
                    with_tab_session(name, gen, target, done);
                  });
      });
}

void BrowserPlugin::with_tab_session(const std::string& name, int gen, const std::string& target,
                                     TabDone done) {
  Profile* p = find(name, gen);
  if (!p) return done(503, "the browser stopped", "", "");
  with_session(*p, target,
               [this, name, gen, done, target](const std::string& e, const std::string& session) {
                 // Re-checked after the wait: the profile or its browser may be gone.
                 Profile* p = find(name, gen);
                 if (!p || !p->cdp || !p->tabs.count(target)) {
                   return done(503, "the browser or the tab went away", "", "");
                 }
                 if (!e.empty()) return done(500, e, "", "");
                 done(200, "", target, session);
               });
}

// ---- navigation ---------------------------------------------------------------------------------

void BrowserPlugin::check_navigation(const std::string& url, Done done) {
  std::string host;
  std::string why = check_url(settings_.policy, url, &host);
  if (!why.empty() || host.empty() || url == "about:blank") return done(why);
  unsigned char probe[16];
  bool literal = ::inet_pton(AF_INET, host.c_str(), probe) == 1 ||
                 ::inet_pton(AF_INET6, host.c_str(), probe) == 1;
  if (literal) return done("");
  resolve_host(host_->io(), host,
               [this, host, done](const std::string& e, std::vector<std::string> addrs) {
                 if (!e.empty()) return done("");  // Chromium reports the failure itself
                 done(check_addresses(settings_.policy, host, addrs));
               });
}

void BrowserPlugin::load(Profile& p, const std::string& target, const std::string& session,
                         const std::string& url, Done done) {
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

void BrowserPlugin::open_tab(Profile& p, const std::string& url, const Reply& reply) {
  if (url.empty()) return reply(400, err("url is required", "URL_REQUIRED"));
  std::string name = p.name;
  check_navigation(url, [this, name, url, reply](const std::string& why) {
    if (!why.empty()) {
      return reply(400, err("browser navigation blocked by policy: " + why, "NAVIGATION_BLOCKED",
                            "navigation_blocked"));
    }
    auto it = profiles_.find(name);
    if (it == profiles_.end()) return reply(503, err("the profile is gone"));
    ensure_running(it->second, it->second.launchable(), std::nullopt,
                   [this, name, url, reply](const std::string& e) {
                     auto it = profiles_.find(name);
                     if (it == profiles_.end()) return reply(503, err("the profile is gone"));
                     Profile& p = it->second;
                     if (!e.empty()) return reply(500, err(e, "START_FAILED"));
                     if (!p.running()) {
                       return reply(409, err("the browser is not running (POST /start)"));
                     }
                     open_in_new_tab(p, url, reply);
                   });
  });
}

// A new tab, made current, loads `url`; the answer is the tab once its load event came.
void BrowserPlugin::open_in_new_tab(Profile& p, const std::string& url, const Reply& reply) {
  std::string name = p.name;
  int gen = p.generation;
  auto loaded = [this, name, gen, url, reply](const std::string& id, const std::string& e) {
    Profile* p = find(name, gen);
    if (!p) return reply(503, err("the browser stopped"));
    auto it = p->tabs.find(id);
    if (it == p->tabs.end()) return reply(500, err("the tab was closed"));
    if (!e.empty()) return reply(502, err(e, "NAVIGATION_FAILED"));
    if (it->second.url == "about:blank") it->second.url = url;
    json::object o = tab_json(*p, id, it->second);
    o["resolvedProfile"] = name;
    reply(200, o);
  };
  new_tab(p, [this, name, gen, url, reply, loaded](const std::string& e, const std::string& id) {
    Profile* p = find(name, gen);
    if (!p) return reply(503, err("the browser stopped"));
    if (!e.empty()) return reply(500, err(e));
    with_session(*p, id,
                 [this, name, gen, id, url, reply, loaded](const std::string& e2,
                                                           const std::string& session) {
                   Profile* p = find(name, gen);
                   if (!p) return reply(503, err("the browser stopped"));
                   if (!e2.empty()) return reply(500, err(e2));
                   load(*p, id, session, url,
                        [id, loaded](const std::string& e3) { loaded(id, e3); });
                 });
  });
}

void BrowserPlugin::navigate(Profile& p, const std::string& target, const std::string& url,
                             const Reply& reply) {
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
                 reply(200, json::object{{"ok", true},
                                         {"targetId", id},
                                         {"url", t == it->second.tabs.end() ? "" : t->second.url}});
               });
             });
  });
}

// Runs `fn` on an open tab of a running browser (`target`: a targetId or tN; empty: the
// current tab), or answers why it cannot.
void BrowserPlugin::on_tab(Profile& p, const std::string& target, const Reply& reply,
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

void BrowserPlugin::focus_tab(Profile& p, const std::string& target, const Reply& reply) {
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

void BrowserPlugin::close_tab(Profile& p, const std::string& target, const Reply& reply) {
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

}  // namespace browser
