// Targets and sessions (the tabs a profile's browser has, followed from CDP events), navigation
// under browser.ssrfPolicy, and the tab routes (open, focus, close, navigate).
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "browser.hpp"

namespace browser {

// ---- targets and sessions -----------------------------------------------------------------------

void BrowserPlugin::target_info(Profile& p, const json::object& info) {
  if (str(info, "type") != "page") return;
  std::string id = str(info, "targetId");
  if (id.empty()) return;
  Tab& t = p.tabs[id];
  if (t.handle.empty()) {
    t.seq = ++tab_counter_;
    t.handle = "t" + std::to_string(t.seq);
  }
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
  } else if (session.empty()) {
    on_browser_event(p, method, params);
  } else {
    for (auto& [id, t] : p.tabs) {
      if (t.session != session) continue;
      if (method == "Page.loadEventFired") {
        t.loaded = true;
        page_loaded(p, id);
      } else if (method == "Page.frameNavigated") {
        const auto& frame = obj(params, "frame");
        if (!frame.contains("parentId")) {
          t.url = str(frame, "url", t.url);
          t.loaded = false;
          // Requests of the old document that never ended (a download, say) are not the new
          // document's traffic.
          std::string loader = str(frame, "loaderId");
          for (auto it = t.pending_loads.begin(); it != t.pending_loads.end();) {
            it = it->second != loader ? t.pending_loads.erase(it) : std::next(it);
          }
          // A new document: refs of the old one mean nothing; after the tab's first real page,
          // refs carry the document's number ("f1e3"), as OpenClaw's do.
          if (t.had_document) {
            t.refs.new_document();
          } else {
            t.refs.reset();
          }
          if (t.url != "about:blank") t.had_document = true;
        }
      } else if (method == "Page.lifecycleEvent") {
        if (str(params, "frameId") == id) {
          if (str(params, "name") == "init") t.network_idle = false;
          if (str(params, "name") == "networkIdle") t.network_idle = true;
        }
      } else if (method == "Page.navigatedWithinDocument") {
        t.url = str(params, "url", t.url);
      } else {
        on_page_event(p, id, t, method, params);
      }
      break;
    }
  }
}

void BrowserPlugin::target_gone(Profile& p, const std::string& id) {
  auto it = p.tabs.find(id);
  if (it != p.tabs.end()) {
    auto waiters = std::move(it->second.load_waiters);
    Tab gone = std::move(it->second);
    p.tabs.erase(it);
    for (auto& w : waiters) w("the tab was closed");
    fail_watchers(gone, "the tab was closed");
  }
  if (p.current == id) {
    auto order = tab_order(p);
    p.current = order.empty() ? "" : order.front();
  }
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
      if (id == wanted || t.handle == wanted || (!t.label.empty() && t.label == wanted)) {
        return done("", id);
      }
    }
    // A unique prefix of a raw targetId (case does not matter: CDP ids are upper-case hex).
    std::string found;
    int matches = 0;
    for (const auto& [id, t] : p.tabs) {
      if (wanted.size() >= 4 && wanted.size() < id.size() &&
          std::equal(wanted.begin(), wanted.end(), id.begin(), [](char a, char b) {
            return std::toupper(static_cast<unsigned char>(a)) ==
                   std::toupper(static_cast<unsigned char>(b));
          })) {
        found = id;
        ++matches;
      }
    }
    if (matches == 1) return done("", found);
    return done("tab not found: browser tab \"" + wanted +
                    "\" not found. Use action=tabs and pass suggestedTargetId, tabId, label, or "
                    "raw targetId.",
                "");
  }
  if (!p.current.empty() && p.tabs.count(p.current)) return done("", p.current);
  if (!p.tabs.empty()) {
    p.current = tab_order(p).front();
    return done("", p.current);
  }
  new_tab(p, std::move(done));
}

std::vector<std::string> BrowserPlugin::tab_order(const Profile& p) const {
  std::vector<std::pair<int, std::string>> by_seq;
  for (const auto& [id, t] : p.tabs) by_seq.push_back({t.seq, id});
  std::sort(by_seq.begin(), by_seq.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::string> out;
  for (auto& [seq, id] : by_seq) out.push_back(std::move(id));
  return out;
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
                target_info(*p, json::object{{"type", "page"},
                                             {"targetId", id},
                                             {"url", "about:blank"},
                                             {"title", "about:blank"}});
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
                prepare_session(*p, session,
                                [done, session](const std::string& e2) { done(e2, session); });
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
                  if (Profile* p = find(name, gen)) target_gone(*p, id);
                  reply(200, json::object{{"ok", true}, {"targetId", id}});
                });
  });
}

// The enables every command relies on (Page for loads and dialogs, Runtime for console and
// errors, Network for requests), then what set/* asked of every tab.
void BrowserPlugin::prepare_session(Profile& p, const std::string& session, Done done) {
  std::vector<std::pair<std::string, json::object>> calls = {
      {"Page.enable", {}},
      {"Page.setLifecycleEventsEnabled", {{"enabled", true}}},
      {"Runtime.enable", {}},
      {"Network.enable", {}}};
  std::string name = p.name;
  int gen = p.generation;
  call_all(p, session, std::move(calls), [this, name, gen, session, done](const std::string& e) {
    Profile* p = find(name, gen);
    if (!p) return done("the browser stopped");
    if (!e.empty()) return done(e);
    std::vector<std::pair<std::string, json::object>> replay;
    for (const auto& [method, params] : p->emulation) replay.push_back({method, params});
    // Emulation is best effort on a new tab: a failure must not make the tab unusable.
    call_all(*p, session, std::move(replay), [done](const std::string&) { done(""); });
  });
}

void BrowserPlugin::call_all(Profile& p, const std::string& session,
                             std::vector<std::pair<std::string, json::object>> calls, Done done) {
  if (calls.empty()) return done("");
  struct State {
    std::size_t left;
    std::string error;
    Done done;
  };
  auto st = std::make_shared<State>(State{calls.size(), "", std::move(done)});
  for (auto& [method, params] : calls) {
    p.cdp->call(method, std::move(params), session, kCallTimeout,
                [st](const std::string& e, const json::object&) {
                  if (!e.empty() && st->error.empty()) st->error = e;
                  if (--st->left == 0) st->done(st->error);
                });
  }
}

void BrowserPlugin::tab_action(Profile& p, const json::object& body, const Reply& reply) {
  std::string action = str(body, "action");
  if (action != "list" && action != "new" && action != "label" && action != "close" &&
      action != "select") {
    return reply(400, err("unknown tab action"));
  }
  if (action == "list") {
    return reply(200, json::object{{"ok", true}, {"tabs", tabs_json(p, false).at("tabs")}});
  }
  std::string label = str(body, "label");
  if (action == "new") {
    for (const auto& [id, t] : p.tabs) {
      if (!label.empty() && t.label == label) {
        return reply(400, err("label \"" + label + "\" is already used by tab " + t.handle));
      }
    }
    std::string name = p.name;
    return ensure_running(
        p, p.launchable(), std::nullopt, [this, name, label, reply](const std::string& e) {
          auto it = profiles_.find(name);
          if (it == profiles_.end()) return reply(503, err("the profile is gone"));
          Profile& p = it->second;
          if (!e.empty()) return reply(500, err(e, "START_FAILED"));
          if (!p.running()) return reply(409, err("the browser is not running (POST /start)"));
          int gen = p.generation;
          new_tab(p, [this, name, gen, label, reply](const std::string& e2, const std::string& id) {
            Profile* p = find(name, gen);
            if (!p) return reply(503, err("the browser stopped"));
            if (!e2.empty()) return reply(500, err(e2));
            Tab& t = p->tabs[id];
            t.label = label;
            json::object tab = tab_json(*p, id, t);
            reply(200, json::object{{"ok", true}, {"tab", tab}});
          });
        });
  }
  if (action == "label") {
    if (label.empty()) return reply(400, err("label is required"));
    return on_tab(p, str(body, "targetId"), reply,
                  [this, label, reply](Profile& p, const std::string& id) {
                    Tab& t = p.tabs[id];
                    t.label = label;
                    reply(200, json::object{{"ok", true}, {"tab", tab_json(p, id, t)}});
                  });
  }
  const json::value* index = body.if_contains("index");
  if (action == "select" && (!index || !index->is_number())) {
    return reply(400, err("index is required"));
  }
  if (!p.running()) return reply(400, err("tab not found"));
  auto order = tab_order(p);
  std::int64_t i =
      index && index->is_number() ? static_cast<std::int64_t>(index->to_number<double>()) : 0;
  if (!index && !p.current.empty()) {
    auto cur = std::find(order.begin(), order.end(), p.current);
    if (cur != order.end()) i = cur - order.begin();
  }
  if (i < 0 || i >= static_cast<std::int64_t>(order.size())) {
    return reply(400, err("tab not found"));
  }
  std::string id = order[static_cast<std::size_t>(i)];
  if (action == "close") return close_tab(p, id, reply);
  focus_tab(p, id, reply);
}

}  // namespace browser
