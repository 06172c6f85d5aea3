// Page commands on a profile's current (or named) tab: the accessibility snapshots (ai text
// with refs, aria node lists), a screenshot saved under the state dir, evaluate, and act (click,
// type, press, hover, select, fill, drag, scroll, resize, wait, evaluate, batch, close), each a
// chain of CDP calls on the tab's flattened session.
#include <array>
#include <set>

#include <openclaw/sdk/files.hpp>

#include "browser.hpp"

namespace browser {
namespace {

const std::set<std::string> kActKinds = {"batch",      "click",          "clickCoords", "close",
                                         "drag",       "evaluate",       "fill",        "hover",
                                         "insertText", "scrollIntoView", "press",       "resize",
                                         "select",     "type",           "wait",        "scroll"};

bool has_text(const json::object& body, const char* key) {
  const json::value* v = body.if_contains(key);
  return v && v->is_string() && !v->get_string().empty();
}

std::optional<double> number(const json::object& body, const char* key) {
  const json::value* v = body.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_number()) return v->to_number<double>();
  if (v->is_string()) {
    try {
      std::size_t used = 0;
      double d = std::stod(std::string(v->get_string()), &used);
      if (used == v->get_string().size()) return d;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

int count_actions(const json::array& actions) {
  int n = 0;
  for (const auto& a : actions) {
    ++n;
    if (a.is_object() && str(a.get_object(), "kind") == "batch") {
      const json::value* inner = a.get_object().if_contains("actions");
      if (inner && inner->is_array()) n += count_actions(inner->get_array());
    }
  }
  return n;
}

// Why an act request cannot be carried out, in OpenClaw's words (its normalizeActRequest), ""
// when it can. An unknown kind is "kind is required", as OpenClaw says it.
std::string act_problem(const json::object& body, int depth) {
  std::string kind = str(body, "kind");
  if (!kActKinds.count(kind)) return "kind is required";
  bool target = has_text(body, "ref") || has_text(body, "selector");
  std::string button = str(body, "button");
  bool bad_button = !button.empty() && button != "left" && button != "right" && button != "middle";
  if (kind == "click") {
    if (!target) return "click requires ref or selector";
    if (bad_button) return "click button must be left|right|middle";
  } else if (kind == "clickCoords") {
    auto x = number(body, "x"), y = number(body, "y");
    if (!x || !y || *x < 0 || *y < 0) return "clickCoords requires non-negative x and y";
    if (bad_button) return "clickCoords button must be left|right|middle";
  } else if (kind == "type") {
    if (!target) return "type requires ref or selector";
    const json::value* t = body.if_contains("text");
    if (!t || !t->is_string()) return "type requires text";
  } else if (kind == "insertText") {
    const json::value* t = body.if_contains("text");
    if (!t || !t->is_string()) return "insertText requires text";
  } else if (kind == "press") {
    if (str(body, "key").empty()) return "press requires key";
    if (!key_info(str(body, "key"))) {
      return "unknown key \"" + str(body, "key") +
             "\": use a single character or Enter, Tab, Escape, Backspace, Delete, Space, "
             "ArrowUp/Down/Left/Right, Home, End, PageUp, PageDown";
    }
  } else if (kind == "hover" || kind == "scrollIntoView") {
    if (!target) return kind + " requires ref or selector";
  } else if (kind == "drag") {
    if (!has_text(body, "startRef") && !has_text(body, "startSelector")) {
      return "drag requires startRef or startSelector";
    }
    if (!has_text(body, "endRef") && !has_text(body, "endSelector")) {
      return "drag requires endRef or endSelector";
    }
  } else if (kind == "select") {
    const json::value* v = body.if_contains("values");
    bool values = (v && v->is_array() && !v->get_array().empty()) || has_text(body, "value");
    if (!target || !values) return "select requires ref/selector and values";
  } else if (kind == "fill") {
    const json::value* f = body.if_contains("fields");
    bool legacy = has_text(body, "ref") && body.contains("text");  // {ref, text}: type it
    if (!legacy && (!f || !f->is_array() || f->get_array().empty())) return "fill requires fields";
  } else if (kind == "resize") {
    auto w = number(body, "width"), h = number(body, "height");
    if (!w || !h || *w <= 0 || *h <= 0 || *w != static_cast<int>(*w) ||
        *h != static_cast<int>(*h)) {
      return "resize requires positive width and height";
    }
    if (*w > 8192 || *h > 8192) return "resize width and height must not exceed 8192";
  } else if (kind == "wait") {
    bool any = body.contains("timeMs");
    for (const char* k : {"text", "textGone", "selector", "url", "loadState", "fn"}) {
      any = any || has_text(body, k);
    }
    if (!any) {
      return "wait requires at least one of: timeMs, text, textGone, selector, url, loadState, "
             "fn";
    }
  } else if (kind == "evaluate") {
    if (!has_text(body, "fn") && !has_text(body, "expression")) return "evaluate requires fn";
  } else if (kind == "batch") {
    if (depth > 5) return "batch nesting exceeds maximum depth of 5";
    const json::value* a = body.if_contains("actions");
    if (!a || !a->is_array() || a->get_array().empty()) {
      return depth > 0 ? "batch requires actions" : "actions are required";
    }
    for (const auto& action : a->get_array()) {
      if (!action.is_object()) return "batch actions must be objects";
      if (auto why = act_problem(action.get_object(), depth + 1); !why.empty()) return why;
    }
    if (count_actions(a->get_array()) > 100) return "batch exceeds maximum of 100 actions";
  }
  return "";
}

json::value evaluate_disabled(bool wait) {
  return err(std::string(wait ? "wait --fn" : "act:evaluate") +
                 " is disabled by config (browser.evaluateEnabled=false).\nDocs: "
                 "/tools/browser/configuration#configuration",
             "ACT_EVALUATE_DISABLED");
}

bool uses_fn(const json::object& body) {
  std::string kind = str(body, "kind");
  if (kind == "evaluate") return true;
  if (kind == "wait") return has_text(body, "fn");
  if (kind == "batch") {
    const json::value* a = body.if_contains("actions");
    if (!a || !a->is_array()) return false;
    for (const auto& action : a->get_array()) {
      if (action.is_object() && uses_fn(action.get_object())) return true;
    }
  }
  return false;
}

std::string js(const std::string& s) {
  return json::serialize(json::value(s));
}

std::chrono::milliseconds timeout_of(const json::object& body, std::chrono::milliseconds fallback) {
  auto t = number(body, "timeoutMs");
  if (!t || *t <= 0) return fallback;
  return std::chrono::milliseconds(static_cast<long long>(std::min(*t, 600000.0)));
}

std::string exception_text(const json::object& details) {
  return str(obj(details, "exception"), "description", str(details, "text"));
}

}  // namespace

std::string BrowserPlugin::tab_url(const std::string& name, const std::string& id) {
  auto it = profiles_.find(name);
  if (it == profiles_.end()) return "";
  auto t = it->second.tabs.find(id);
  return t == it->second.tabs.end() ? "" : t->second.url;
}

// ---- snapshots ----------------------------------------------------------------------------------

void BrowserPlugin::snapshot(Profile& p, const std::string& target, const Request& r,
                             const Reply& reply) {
  std::string format = r.query.count("format") ? r.query.at("format") : "ai";
  if (format != "ai" && format != "aria") {
    return reply(400, err("format must be \"ai\" or \"aria\", got \"" + format + "\""));
  }
  std::size_t limit = 5000;
  if (r.query.count("limit")) {
    try {
      limit = static_cast<std::size_t>(std::max(1, std::stoi(r.query.at("limit"))));
    } catch (const std::exception&) {
      return reply(400, err("limit must be a positive integer"));
    }
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, format, limit, reply](int status, const std::string& e,
                                              const std::string& id, const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             Profile& p = profiles_.at(name);
             Tab& t = p.tabs.at(id);
             if (!t.dialogs_pending.empty()) {
               // The page is blocked on a modal dialog: its tree cannot be read until it closes.
               return reply(200, json::object{{"ok", true},
                                              {"format", format},
                                              {"targetId", id},
                                              {"url", t.url},
                                              {"blockedByDialog", true},
                                              {"browserState", dialog_state(t)},
                                              {"snapshot", ""},
                                              {"refs", json::object{}}});
             }
             if (format == "ai") return snapshot_ai(p, id, session, reply);
             p.cdp->call(
                 "Accessibility.getFullAXTree", {}, session, kCallTimeout,
                 [this, name, id, limit, reply](const std::string& e2, const json::object& r) {
                   if (!e2.empty()) return reply(500, err(e2));
                   auto it = profiles_.find(name);
                   if (it == profiles_.end()) return reply(503, err("the profile is gone"));
                   auto t = it->second.tabs.find(id);
                   if (t == it->second.tabs.end()) {
                     return reply(500, err("the tab was closed"));
                   }
                   static const json::array none;
                   const json::value* nodes = r.if_contains("nodes");
                   AriaSnapshot a =
                       render_aria(nodes && nodes->is_array() ? nodes->get_array() : none, limit);
                   t->second.refs.use_aria(std::move(a.refs));
                   reply(200, json::object{{"ok", true},
                                           {"format", "aria"},
                                           {"targetId", id},
                                           {"url", t->second.url},
                                           {"nodes", std::move(a.nodes)}});
                 });
           });
}

// The tree rendered with the tab's refs, and the page's readable text read off the same tree:
// one CDP call, as the floor makes it.
void BrowserPlugin::snapshot_ai(Profile& p, const std::string& id, const std::string& session,
                                const Reply& reply) {
  std::string name = p.name;
  p.cdp->call("Accessibility.getFullAXTree", {}, session, kCallTimeout,
              [this, name, id, reply](const std::string& e, const json::object& tree) {
                if (!e.empty()) return reply(500, err(e));
                auto it = profiles_.find(name);
                if (it == profiles_.end()) return reply(503, err("the profile is gone"));
                auto tab = it->second.tabs.find(id);
                if (tab == it->second.tabs.end()) return reply(500, err("the tab was closed"));
                static const json::array none;
                const json::value* nodes = tree.if_contains("nodes");
                Snapshot s = render_snapshot(nodes && nodes->is_array() ? nodes->get_array() : none,
                                             tab->second.refs);
                json::object out{
                    {"ok", true}, {"format", "ai"}, {"targetId", id}, {"url", tab->second.url}};
                if (!tab->second.dialogs_recent.empty())
                  out["browserState"] = dialog_state(tab->second);
                out["stats"] = json::object{{"lines", s.lines},
                                            {"chars", static_cast<int>(s.text.size())},
                                            {"refs", static_cast<int>(s.refs.size())},
                                            {"interactive", s.interactive}};
                out["snapshot"] = s.text;
                out["refs"] = std::move(s.refs);
                if (tab->second.refs.snapshots() > 1) out["newElements"] = s.new_elements;
                out["text"] = s.readable;
                reply(200, std::move(out));
              });
}

void BrowserPlugin::screenshot(Profile& p, const std::string& target, const Request& r,
                               const Reply& reply) {
  bool full = flag(r.body, "fullPage", false) ||
              (r.query.count("fullPage") && r.query.at("fullPage") == "true");
  std::string type = str(r.body, "type", "png");
  if (type != "png" && type != "jpeg") {
    return reply(400, err("type must be \"png\" or \"jpeg\", got \"" + type + "\""));
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, full, type, reply](int status, const std::string& e, const std::string& id,
                                           const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             json::object params{{"format", type}};
             if (full) params["captureBeyondViewport"] = true;
             profiles_.at(name).cdp->call(
                 "Page.captureScreenshot", params, session, kCallTimeout,
                 [this, name, id, type, reply](const std::string& e2, const json::object& r) {
                   if (!e2.empty()) return reply(500, err(e2));
                   save_screenshot(name, id, type, r, reply);
                 });
           });
}

// Saved under <state dir>/media/browser/ (0600), answered with its path.
void BrowserPlugin::save_screenshot(const std::string& name, const std::string& id,
                                    const std::string& type, const json::object& result,
                                    const Reply& reply) {
  if (!host_) return reply(503, err("the browser plugin is stopping"));
  std::string bytes = base64_decode(str(result, "data"));
  if (bytes.empty()) return reply(500, err("the browser returned no image"));
  fs::path file;
  try {
    file = save_media(bytes, type == "png" ? "png" : "jpg");
  } catch (const std::exception& ex) {
    return reply(500, err(std::string("could not save the screenshot: ") + ex.what()));
  }
  reply(200, json::object{{"ok", true},
                          {"path", file.string()},
                          {"targetId", id},
                          {"url", tab_url(name, id)},
                          {"bytes", static_cast<std::int64_t>(bytes.size())}});
}

fs::path BrowserPlugin::save_media(const std::string& bytes, const std::string& ext) {
  fs::path dir = host_->state_dir() / "media" / "browser";
  fs::path file = dir / (random_uuid() + "." + ext);
  sdk::create_private_dirs(dir);
  sdk::write_file_atomic(file, bytes, fs::perms(0600), false, false);
  return file;
}

// ---- evaluate -----------------------------------------------------------------------------------

// POST /evaluate {expression | fn, ref?}: our own door to what act kind "evaluate" does.
void BrowserPlugin::evaluate(Profile& p, const std::string& target, const json::object& body,
                             const Reply& reply) {
  if (!settings_.evaluate_enabled) return reply(403, evaluate_disabled(false));
  if (str(body, "expression", str(body, "fn")).empty()) {
    return reply(400, err("evaluate requires fn", "ACT_INVALID_REQUEST"));
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, body, reply](int status, const std::string& e, const std::string& id,
                                     const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             evaluate_fn(profiles_.at(name), id, session, body, reply);
           });
}

void BrowserPlugin::user_function(Profile& p, const std::string& session, const std::string& fn,
                                  std::function<void(const std::string& decl)> done) {
  // An expression ("document.title") or a function ("(el) => el.textContent") parses inside
  // parentheses; a function body ("const o = ...; return o;") does not. Compiling tells which
  // without running anything; the answer is the same on every page, so it is asked once per text.
  if (auto known = declarations_.find(fn); known != declarations_.end()) return done(known->second);
  p.cdp->call("Runtime.compileScript",
              {{"expression", "(\n" + fn + "\n)"}, {"sourceURL", ""}, {"persistScript", false}},
              session, kCallTimeout, [this, fn, done](const std::string& e, const json::object& r) {
                bool body = e.empty() && !obj(r, "exceptionDetails").empty();
                // An expression's wrapper is not async: a plain value comes back at once, and a
                // promise (the value's or the function's) is awaited by CDP (awaitPromise).
                std::string decl = body ? "async function(el) {\n" + fn + "\n}"
                                        : "function(el) { const __v = (\n" + fn +
                                              "\n); return typeof __v === 'function' ? "
                                              "__v.call(this, el) : __v; }";
                if (e.empty()) {  // a browser that did not answer decided nothing
                  if (declarations_.size() >= 256) declarations_.clear();
                  declarations_.emplace(fn, decl);
                }
                done(decl);
              });
}

void BrowserPlugin::evaluate_fn(Profile& p, const std::string& id, const std::string& session,
                                const json::object& body, const Reply& reply) {
  if (!settings_.evaluate_enabled) return reply(403, evaluate_disabled(false));
  std::string fn = str(body, "fn", str(body, "expression"));
  std::string ref = str(body, "ref"), selector = str(body, "selector");
  auto timeout = timeout_of(body, kCallTimeout);
  std::string name = p.name;
  int gen = p.generation;
  auto answer = [this, name, id, reply](const std::string& what, const std::string& e,
                                        const json::object& r) {
    if (!e.empty()) return reply(500, err(e));
    if (const auto& ex = obj(r, "exceptionDetails"); !ex.empty()) {
      return reply(500, err("Error: " + what + ": " + exception_text(ex)));
    }
    const json::value* v = obj(r, "result").if_contains("value");
    reply(200, json::object{{"ok", true},
                            {"targetId", id},
                            {"url", tab_url(name, id)},
                            {"result", v ? *v : json::value(nullptr)}});
  };
  user_function(p, session, fn,
                [this, name, gen, id, session, ref, selector, timeout, reply,
                 answer](const std::string& decl) {
                  Profile* p = find(name, gen);
                  if (!p) return reply(503, err("the browser stopped"));
                  if (ref.empty() && selector.empty()) {
                    return p->cdp->call("Runtime.evaluate",
                                        {{"expression", "(" + decl + ")(undefined)"},
                                         {"returnByValue", true},
                                         {"awaitPromise", true}},
                                        session, timeout,
                                        [answer](const std::string& e, const json::object& r) {
                                          answer("page.evaluate", e, r);
                                        });
                  }
                  resolve_element(
                      *p, id, session, ref, selector,
                      [this, name, gen, session, decl, timeout, reply, answer](
                          int status, json::value error, long long node) {
                        if (status >= 400) return reply(status, std::move(error));
                        Profile* p = find(name, gen);
                        if (!p) return reply(503, err("the browser stopped"));
                        p->cdp->call(
                            "DOM.resolveNode", {{"backendNodeId", node}}, session, kCallTimeout,
                            [this, name, gen, session, decl, timeout, reply, answer](
                                const std::string& e, const json::object& r) {
                              Profile* p = find(name, gen);
                              if (!p) return reply(503, err("the browser stopped"));
                              if (!e.empty()) return reply(500, err(e));
                              std::string object = str(obj(r, "object"), "objectId");
                              p->cdp->call("Runtime.callFunctionOn",
                                           {{"objectId", object},
                                            {"functionDeclaration", decl},
                                            {"arguments", json::array{{{"objectId", object}}}},
                                            {"returnByValue", true},
                                            {"awaitPromise", true}},
                                           session, timeout,
                                           [answer](const std::string& e2, const json::object& r2) {
                                             answer("locator.evaluate", e2, r2);
                                           });
                            });
                      });
                });
}

// ---- act ----------------------------------------------------------------------------------------

void BrowserPlugin::act(Profile& p, const std::string& target, const json::object& body,
                        const Reply& reply) {
  std::string kind = str(body, "kind");
  if (!kActKinds.count(kind)) return reply(400, err("kind is required", "ACT_KIND_REQUIRED"));
  if (auto problem = act_problem(body, 0); !problem.empty()) {
    return reply(400, err(problem, "ACT_INVALID_REQUEST"));
  }
  if (uses_fn(body) && !settings_.evaluate_enabled) {
    return reply(403, evaluate_disabled(kind == "wait"));
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, body, reply](int status, const std::string& e, const std::string& id,
                                     const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             act_on(profiles_.at(name), id, session, body, reply);
           });
}

// One action with OpenClaw's answer when a modal dialog blocks the page: `blockedByDialog` and
// the dialogs, at once (the CDP call the dialog holds up answers later, to nobody).
void BrowserPlugin::act_on(Profile& p, const std::string& id, const std::string& session,
                           const json::object& body, const Reply& reply) {
  Tab& t = p.tabs.at(id);
  std::string name = p.name;
  Reply done = once(reply);
  auto blocked = [this, name, id, done](const json::object& state) {
    done(200, json::object{{"ok", true},
                           {"targetId", id},
                           {"url", tab_url(name, id)},
                           {"blockedByDialog", true},
                           {"browserState", state}});
  };
  if (!t.dialogs_pending.empty() && str(body, "kind") != "close") return blocked(dialog_state(t));
  int w = ++watcher_counter_;
  if (str(body, "kind") != "close") {
    t.dialog_watchers[w] = Watcher{blocked, [](const std::string&) {}};
  }
  int gen = p.generation;
  run_action(p, id, session, body, [this, name, gen, id, w, done](int status, json::value b) {
    if (Profile* p = find(name, gen)) {
      if (auto it = p->tabs.find(id); it != p->tabs.end()) it->second.dialog_watchers.erase(w);
    }
    done(status, std::move(b));
  });
}

void BrowserPlugin::resolve_element(Profile& p, const std::string& id, const std::string& session,
                                    const std::string& ref, const std::string& selector,
                                    NodeDone done) {
  if (!ref.empty()) {
    const Tab& t = p.tabs.at(id);
    RefProblem why = ref_problem(t.refs, ref);
    if (!why.error.empty()) return done(500, err(why.error, why.code), 0);
    return done(200, nullptr, *t.refs.node_of(ref));
  }
  std::string name = p.name;
  int gen = p.generation;
  p.cdp->call(
      "Runtime.evaluate", {{"expression", "document.querySelector(" + js(selector) + ")"}}, session,
      kCallTimeout,
      [this, name, gen, session, selector, done](const std::string& e, const json::object& r) {
        Profile* p = find(name, gen);
        if (!p) return done(503, err("the browser stopped"), 0);
        if (!e.empty()) return done(500, err(e), 0);
        if (const auto& ex = obj(r, "exceptionDetails"); !ex.empty()) {
          return done(500, err("Error: " + exception_text(ex)), 0);
        }
        std::string object = str(obj(r, "result"), "objectId");
        if (object.empty()) {
          return done(500,
                      err("Element \"" + selector +
                              "\" not found or not visible. Run a new snapshot to see current "
                              "page elements.",
                          "ACT_OPERATION_FAILED"),
                      0);
        }
        p->cdp->call("DOM.describeNode", {{"objectId", object}}, session, kCallTimeout,
                     [done](const std::string& e2, const json::object& r2) {
                       if (!e2.empty()) return done(500, err(e2), 0);
                       const json::value* b = obj(r2, "node").if_contains("backendNodeId");
                       if (!b || !b->is_int64()) return done(500, err("no DOM node"), 0);
                       done(200, nullptr, b->get_int64());
                     });
      });
}

// Every kind of act, answered as the route answers: {ok, targetId, url} (+ result, results).
void BrowserPlugin::run_action(Profile& p, const std::string& id, const std::string& session,
                               const json::object& body, const Reply& reply) {
  std::string kind = str(body, "kind");
  std::string name = p.name;
  int gen = p.generation;
  auto ok = [this, name, id, reply](const std::string& e) {
    if (!e.empty()) return reply(500, err(e, "ACT_OPERATION_FAILED"));
    reply(200, json::object{{"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}});
  };
  if (kind == "close") {
    p.cdp->call("Target.closeTarget", {{"targetId", id}},
                [ok](const std::string& e, const json::object&) { ok(e); });
    return;
  }
  if (kind == "press") return press_key(p, session, str(body, "key"), ok);
  if (kind == "insertText") {
    p.cdp->call("Input.insertText", {{"text", str(body, "text")}}, session, kCallTimeout,
                [ok](const std::string& e, const json::object&) { ok(e); });
    return;
  }
  if (kind == "evaluate") return evaluate_fn(p, id, session, body, reply);
  if (kind == "wait") {
    return wait_for(p, id, session, std::make_shared<json::object>(body), 0, reply);
  }
  if (kind == "batch") {
    auto actions = std::make_shared<json::array>(body.at("actions").get_array());
    return run_batch(name, id, session, actions, flag(body, "stopOnError", true), 0,
                     std::make_shared<json::array>(), reply);
  }
  if (kind == "resize") {
    json::object metrics{{"width", static_cast<int>(*number(body, "width"))},
                         {"height", static_cast<int>(*number(body, "height"))},
                         {"deviceScaleFactor", 0},
                         {"mobile", false}};
    if (auto dev = p.emulation.find("Emulation.setDeviceMetricsOverride");
        dev != p.emulation.end()) {
      metrics["deviceScaleFactor"] = dev->second["deviceScaleFactor"];
      metrics["mobile"] = dev->second["mobile"];
    }
    p.cdp->call("Emulation.setDeviceMetricsOverride", metrics, session, kCallTimeout,
                [ok](const std::string& e, const json::object&) { ok(e); });
    return;
  }
  if (kind == "clickCoords") {
    return click_at(p, session, *number(body, "x"), *number(body, "y"), str(body, "button", "left"),
                    flag(body, "doubleClick", false) ? 2 : 1,
                    static_cast<int>(number(body, "delayMs").value_or(0)), ok);
  }
  if (kind == "scroll" && !has_text(body, "ref") && !has_text(body, "selector")) {
    int dy = static_cast<int>(number(body, "deltaY").value_or(600));
    return run_js(p, session, "window.scrollBy(0," + std::to_string(dy) + ")", ok);
  }
  if (kind == "fill" && body.contains("fields")) {
    auto fields = std::make_shared<json::array>(body.at("fields").get_array());
    return fill_fields(p, id, session, fields, 0, [ok, reply](int status, json::value b) {
      if (status >= 400) return reply(status, std::move(b));
      ok("");
    });
  }
  if (kind == "drag") {
    std::string start_ref = str(body, "startRef"), start_sel = str(body, "startSelector");
    std::string end_ref = str(body, "endRef"), end_sel = str(body, "endSelector");
    return resolve_element(p, id, session, start_ref, start_sel,
                           [this, name, gen, id, session, end_ref, end_sel, reply, ok](
                               int status, json::value e, long long from) {
                             if (status >= 400) return reply(status, std::move(e));
                             Profile* p = find(name, gen);
                             if (!p) return reply(503, err("the browser stopped"));
                             resolve_element(*p, id, session, end_ref, end_sel,
                                             [this, name, gen, id, session, from, reply, ok](
                                                 int status2, json::value e2, long long to) {
                                               if (status2 >= 400)
                                                 return reply(status2, std::move(e2));
                                               Profile* p = find(name, gen);
                                               if (!p)
                                                 return reply(503, err("the browser stopped"));
                                               drag(*p, id, session, from, to, ok);
                                             });
                           });
  }
  // The kinds that act on one element.
  resolve_element(
      p, id, session, str(body, "ref"), str(body, "selector"),
      [this, name, gen, session, kind, body, reply, ok](int status, json::value e, long long node) {
        if (status >= 400) return reply(status, std::move(e));
        Profile* p = find(name, gen);
        if (!p) return reply(503, err("the browser stopped"));
        if (kind == "scroll" || kind == "scrollIntoView") {
          p->cdp->call("DOM.scrollIntoViewIfNeeded", {{"backendNodeId", node}}, session,
                       kCallTimeout, [ok](const std::string& e2, const json::object&) {
                         ok(e2.empty() ? "" : "the element is gone from the page: " + e2);
                       });
          return;
        }
        if (kind == "click" || kind == "hover") {
          std::string button = str(body, "button", "left");
          int clicks = kind == "hover" ? 0 : (flag(body, "doubleClick", false) ? 2 : 1);
          int delay = static_cast<int>(number(body, "delayMs").value_or(0));
          return center_of(*p, session, node,
                           [this, name, gen, session, button, clicks, delay, ok](
                               const std::string& e2, double x, double y) {
                             Profile* p = find(name, gen);
                             if (!p) return ok("the browser stopped");
                             if (!e2.empty()) return ok(e2);
                             click_at(*p, session, x, y, button, clicks, delay, ok);
                           });
        }
        if (kind == "type" || kind == "fill") {
          return type_text(*p, session, node, str(body, "text"), flag(body, "submit", false), ok);
        }
        select_options(*p, session, node, body, ok);
      });
}

void BrowserPlugin::run_batch(const std::string& name, const std::string& id,
                              const std::string& session, std::shared_ptr<json::array> actions,
                              bool stop_on_error, std::size_t i,
                              std::shared_ptr<json::array> results, const Reply& reply) {
  auto it = profiles_.find(name);
  if (it == profiles_.end() || !it->second.tabs.count(id)) {
    return reply(503, err("the browser or the tab went away"));
  }
  if (i >= actions->size()) {
    return reply(
        200,
        json::object{
            {"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}, {"results", *results}});
  }
  const json::object& action = (*actions)[i].get_object();
  // A failed action is a result, not a failed batch (as OpenClaw answers it).
  run_action(it->second, id, session, action,
             [this, name, id, session, actions, stop_on_error, i, results, reply](
                 int status, json::value body) {
               bool failed = status >= 400;
               if (failed) {
                 std::string why = body.is_object() ? str(body.get_object(), "error") : "failed";
                 results->push_back(json::object{{"ok", false}, {"error", why}});
               } else {
                 results->push_back(json::object{{"ok", true}});
               }
               std::size_t next = failed && stop_on_error ? actions->size() : i + 1;
               run_batch(name, id, session, actions, stop_on_error, next, results, reply);
             });
}

// fill: each field in turn; checkboxes and radios are set by clicking them when they differ.
void BrowserPlugin::fill_fields(Profile& p, const std::string& id, const std::string& session,
                                std::shared_ptr<json::array> fields, std::size_t i, Reply done) {
  if (i >= fields->size()) return done(200, nullptr);
  if (!(*fields)[i].is_object()) return done(400, err("fill fields must be objects"));
  const json::object& f = (*fields)[i].get_object();
  std::string type = str(f, "type", "text");
  const json::value* v = f.if_contains("value");
  json::value value = v ? *v : json::value("");
  std::string name = p.name;
  int gen = p.generation;
  resolve_element(
      p, id, session, str(f, "ref"), str(f, "selector"),
      [this, name, gen, id, session, fields, i, type, value, done](int status, json::value e,
                                                                   long long node) {
        if (status >= 400) return done(status, std::move(e));
        Profile* p = find(name, gen);
        if (!p) return done(503, err("the browser stopped"));
        auto next = [this, name, gen, id, session, fields, i, done](const std::string& e2) {
          if (!e2.empty()) return done(500, err(e2, "ACT_OPERATION_FAILED"));
          Profile* p = find(name, gen);
          if (!p) return done(503, err("the browser stopped"));
          fill_fields(*p, id, session, fields, i + 1, done);
        };
        if (type == "checkbox" || type == "radio") {
          bool want = value.is_bool() ? value.get_bool()
                                      : (value.is_string() && value.get_string() == "true");
          return call_on(*p, session, node,
                         "function(v){ if (!!this.checked !== v) this.click(); }",
                         json::array{json::object{{"value", want}}}, next);
        }
        std::string text = value.is_string() ? std::string(value.get_string())
                           : value.is_null() ? ""
                                             : json::serialize(value);
        type_text(*p, session, node, text, false, next);
      });
}

// select: values (or value), by option value or label; every one must be an option.
void BrowserPlugin::select_options(Profile& p, const std::string& session, long long node,
                                   const json::object& body, Done done) {
  json::array values;
  if (const json::value* v = body.if_contains("values"); v && v->is_array())
    values = v->get_array();
  else if (auto one = str(body, "value"); !one.empty())
    values.push_back(json::value(one));
  call_on(p, session, node,
          "function(vals){ if (this.tagName !== 'SELECT') throw new Error('not a <select>');"
          " const opts = Array.from(this.options);"
          " const missing = vals.filter(v => !opts.some(o => o.value === v || o.label === v));"
          " if (missing.length) throw new Error('locator.selectOption: did not find some options: '"
          " + missing.join(', '));"
          " for (const o of opts) o.selected = vals.includes(o.value) || vals.includes(o.label);"
          " this.dispatchEvent(new Event('input',{bubbles:true}));"
          " this.dispatchEvent(new Event('change',{bubbles:true})); }",
          json::array{json::object{{"value", values}}}, std::move(done));
}

// ---- the mouse ----------------------------------------------------------------------------------

// The middle of the element's first box, scrolled into view first.
void BrowserPlugin::center_of(
    Profile& p, const std::string& session, long long node,
    std::function<void(const std::string& error, double x, double y)> done) {
  std::string name = p.name;
  int gen = p.generation;
  p.cdp->call("DOM.scrollIntoViewIfNeeded", {{"backendNodeId", node}}, session, kCallTimeout,
              [this, name, gen, session, node, done](const std::string& e, const json::object&) {
                Profile* p = find(name, gen);
                if (!p) return done("the browser stopped", 0, 0);
                if (!e.empty()) return done("the element is gone from the page: " + e, 0, 0);
                p->cdp->call(
                    "DOM.getContentQuads", {{"backendNodeId", node}}, session, kCallTimeout,
                    [done](const std::string& e2, const json::object& r) {
                      if (!e2.empty()) return done(e2, 0, 0);
                      const json::value* quads = r.if_contains("quads");
                      if (!quads || !quads->is_array() || quads->get_array().empty() ||
                          !quads->get_array()[0].is_array() ||
                          quads->get_array()[0].get_array().size() < 8) {
                        return done("the element is not visible (it has no box on the page)", 0, 0);
                      }
                      const auto& q = quads->get_array()[0].get_array();
                      double x = 0, y = 0;
                      for (int i = 0; i < 4; ++i) {
                        x += q[2 * i].to_number<double>() / 4;
                        y += q[2 * i + 1].to_number<double>() / 4;
                      }
                      done("", x, y);
                    });
              });
}

// `clicks` clicks of `button` at x, y (0: a hover), `delay_ms` between press and release.
void BrowserPlugin::click_at(Profile& p, const std::string& session, double x, double y,
                             const std::string& button, int clicks, int delay_ms, Done done) {
  int buttons = button == "right" ? 2 : button == "middle" ? 4 : 1;
  std::vector<json::object> events;
  events.push_back({{"type", "mouseMoved"}, {"x", x}, {"y", y}});
  for (int c = 1; c <= clicks; ++c) {
    events.push_back({{"type", "mousePressed"},
                      {"x", x},
                      {"y", y},
                      {"button", button},
                      {"buttons", buttons},
                      {"clickCount", c}});
    json::object up{{"type", "mouseReleased"}, {"x", x},       {"y", y},
                    {"button", button},        {"buttons", 0}, {"clickCount", c}};
    if (delay_ms > 0) up["__delayMs"] = std::min(delay_ms, 10000);
    events.push_back(std::move(up));
  }
  dispatch_all(p, session, "Input.dispatchMouseEvent", std::move(events), 0, std::move(done));
}

void BrowserPlugin::dispatch_all(Profile& p, const std::string& session, const std::string& method,
                                 std::vector<json::object> events, size_t i, Done done) {
  if (i >= events.size()) return done("");
  std::string name = p.name;
  int gen = p.generation;
  json::object ev = events[i];
  if (const json::value* d = ev.if_contains("__delayMs"); d && d->is_int64()) {
    auto delay = std::chrono::milliseconds(d->get_int64());
    events[i].erase("__delayMs");
    host_->after(delay,
                 [this, name, gen, session, method, events = std::move(events), i, done]() mutable {
                   Profile* p = find(name, gen);
                   if (!p) return done("the browser stopped");
                   dispatch_all(*p, session, method, std::move(events), i, done);
                 });
    return;
  }
  p.cdp->call(method, std::move(ev), session, kCallTimeout,
              [this, name, gen, session, method, events = std::move(events), i, done](
                  const std::string& e, const json::object&) mutable {
                Profile* p = find(name, gen);
                if (!p) return done("the browser stopped");
                if (!e.empty()) return done(e);
                dispatch_all(*p, session, method, std::move(events), i + 1, done);
              });
}

// HTML5 drag and drop the way Playwright does it on Chromium: with drags intercepted, press on
// the source and move to the target; the drag Chromium then reports is dispatched as dragEnter,
// dragOver and drop on the target. A page with no HTML5 drag gets plain mouse moves.
void BrowserPlugin::drag(Profile& p, const std::string& id, const std::string& session,
                         long long from, long long to, Done done) {
  std::string name = p.name;
  int gen = p.generation;
  center_of(
      p, session, from,
      [this, name, gen, id, session, to, done](const std::string& e, double x1, double y1) {
        Profile* p = find(name, gen);
        if (!p) return done("the browser stopped");
        if (!e.empty()) return done(e);
        center_of(
            *p, session, to,
            [this, name, gen, id, session, x1, y1, done](const std::string& e2, double x2,
                                                         double y2) {
              Profile* p = find(name, gen);
              if (!p || !p->tabs.count(id)) return done("the browser or the tab went away");
              if (!e2.empty()) return done(e2);
              p->tabs.at(id).drag_data.reset();
              p->cdp->call(
                  "Input.setInterceptDrags", {{"enabled", true}}, session, kCallTimeout,
                  [this, name, gen, id, session, x1, y1, x2, y2, done](const std::string&,
                                                                       const json::object&) {
                    Profile* p = find(name, gen);
                    if (!p) return done("the browser stopped");
                    std::vector<json::object> press = {
                        {{"type", "mouseMoved"}, {"x", x1}, {"y", y1}},
                        {{"type", "mousePressed"},
                         {"x", x1},
                         {"y", y1},
                         {"button", "left"},
                         {"buttons", 1},
                         {"clickCount", 1}},
                        {{"type", "mouseMoved"},
                         {"x", (x1 + x2) / 2},
                         {"y", (y1 + y2) / 2},
                         {"button", "left"},
                         {"buttons", 1}},
                        {{"type", "mouseMoved"},
                         {"x", x2},
                         {"y", y2},
                         {"button", "left"},
                         {"buttons", 1}}};
                    dispatch_all(
                        *p, session, "Input.dispatchMouseEvent", std::move(press), 0,
                        [this, name, gen, id, session, x2, y2, done](const std::string& e3) {
                          if (!e3.empty()) return done(e3);
                          auto has_drag = [this, name, gen, id] {
                            Profile* p = find(name, gen);
                            return !p || !p->tabs.count(id) || p->tabs.at(id).drag_data.has_value();
                          };
                          poll(has_drag, std::chrono::steady_clock::now() + 300ms,
                               [this, name, gen, id, session, x2, y2, done](bool) {
                                 Profile* p = find(name, gen);
                                 if (!p || !p->tabs.count(id))
                                   return done("the browser or the tab went away");
                                 std::optional<json::value> data = p->tabs.at(id).drag_data;
                                 p->tabs.at(id).drag_data.reset();
                                 std::vector<json::object> finish;
                                 if (data) {
                                   for (const char* type : {"dragEnter", "dragOver", "drop"}) {
                                     finish.push_back(
                                         {{"type", type}, {"x", x2}, {"y", y2}, {"data", *data}});
                                   }
                                 }
                                 auto release = [this, name, gen, session, x2, y2,
                                                 done](const std::string& e4) {
                                   Profile* p = find(name, gen);
                                   if (!p) return done("the browser stopped");
                                   p->cdp->call("Input.setInterceptDrags", {{"enabled", false}},
                                                session, kCallTimeout,
                                                [](const std::string&, const json::object&) {});
                                   std::vector<json::object> up = {{{"type", "mouseReleased"},
                                                                    {"x", x2},
                                                                    {"y", y2},
                                                                    {"button", "left"},
                                                                    {"buttons", 0},
                                                                    {"clickCount", 1}}};
                                   dispatch_all(*p, session, "Input.dispatchMouseEvent",
                                                std::move(up), 0,
                                                [e4, done](const std::string& e5) {
                                                  done(e4.empty() ? e5 : e4);
                                                });
                                 };
                                 dispatch_all(*p, session, "Input.dispatchDragEvent",
                                              std::move(finish), 0, release);
                               });
                        });
                  });
            });
      });
}

// ---- wait ---------------------------------------------------------------------------------------

void BrowserPlugin::poll(std::function<bool()> ready, std::chrono::steady_clock::time_point until,
                         std::function<void(bool met)> done) {
  if (ready()) return done(true);
  if (!host_ || std::chrono::steady_clock::now() >= until) return done(false);
  host_->after(50ms, [this, ready = std::move(ready), until, done = std::move(done)]() mutable {
    poll(std::move(ready), until, std::move(done));
  });
}

void BrowserPlugin::poll_page(const std::string& name, const std::string& id,
                              const std::string& session, const std::string& check,
                              std::chrono::steady_clock::time_point until,
                              std::function<void(const std::string& error, bool met)> done) {
  auto it = profiles_.find(name);
  if (it == profiles_.end() || !it->second.cdp || !it->second.tabs.count(id)) {
    return done("the browser or the tab went away", false);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  if (left.count() < 0) left = 0ms;
  // One call that polls in the page; a navigation ends it early, and then it is asked again.
  std::string expr = "(async () => { const end = Date.now() + " + std::to_string(left.count()) +
                     "; for (;;) { if (await (async () => (" + check +
                     "))()) return true; if (Date.now() >= end) return false;"
                     " await new Promise(r => setTimeout(r, 50)); } })()";
  it->second.cdp->call(
      "Runtime.evaluate", {{"expression", expr}, {"returnByValue", true}, {"awaitPromise", true}},
      session, left + 5s,
      [this, name, id, session, check, until, done](const std::string& e, const json::object& r) {
        if (e.empty()) {
          if (const auto& ex = obj(r, "exceptionDetails"); !ex.empty()) {
            return done(exception_text(ex), false);
          }
          const json::value* v = obj(r, "result").if_contains("value");
          return done("", v && v->is_bool() && v->get_bool());
        }
        if (std::chrono::steady_clock::now() >= until || !host_) return done("", false);
        host_->after(100ms, [this, name, id, session, check, until, done] {
          poll_page(name, id, session, check, until, done);
        });
      });
}

// wait: its conditions in turn (time, selector, text, textGone, url, loadState, fn), each with
// `timeoutMs`; the first that does not come true in time is the answer, in Playwright's words.
void BrowserPlugin::wait_for(Profile& p, const std::string& id, const std::string& session,
                             std::shared_ptr<json::object> body, int phase, const Reply& reply) {
  std::string name = p.name;
  int gen = p.generation;
  auto timeout = timeout_of(*body, 30s);
  std::string t = std::to_string(timeout.count());
  auto until = std::chrono::steady_clock::now() + timeout;
  auto next = [this, name, gen, id, session, body, phase, reply] {
    Profile* p = find(name, gen);
    if (!p || !p->tabs.count(id)) return reply(503, err("the browser or the tab went away"));
    wait_for(*p, id, session, body, phase + 1, reply);
  };
  auto in_page = [this, name, id, session, until, next, reply](const std::string& check,
                                                               const std::string& timeout_error) {
    poll_page(name, id, session, check, until,
              [next, reply, timeout_error](const std::string& e, bool met) {
                if (!e.empty()) return reply(500, err(e));
                if (!met) return reply(500, err(timeout_error));
                next();
              });
  };
  switch (phase) {
    case 0: {  // timeMs
      auto ms = number(*body, "timeMs");
      if (!ms || *ms <= 0) return next();
      host_->after(std::chrono::milliseconds(static_cast<long long>(std::min(*ms, 300000.0))),
                   next);
      return;
    }
    case 1: {
      std::string sel = str(*body, "selector");
      if (sel.empty()) return next();
      return in_page(
          "((el) => { if (!el) return false; const s = getComputedStyle(el);"
          " if (s.visibility === 'hidden' || s.display === 'none') return false;"
          " const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; })"
          "(document.querySelector(" +
              js(sel) + "))",
          "TimeoutError: locator.waitFor: Timeout " + t +
              "ms exceeded.\nCall log:\n  - waiting for locator('" + sel +
              "').first() to be visible\n");
    }
    case 2: {
      std::string text = str(*body, "text");
      if (text.empty()) return next();
      return in_page("Boolean(document.body && document.body.innerText.includes(" + js(text) + "))",
                     "TimeoutError: locator.waitFor: Timeout " + t +
                         "ms exceeded.\nCall log:\n  - waiting for getByText('" + text +
                         "').first() to be visible\n");
    }
    case 3: {
      std::string text = str(*body, "textGone");
      if (text.empty()) return next();
      return in_page("!(document.body && document.body.innerText.includes(" + js(text) + "))",
                     "TimeoutError: locator.waitFor: Timeout " + t +
                         "ms exceeded.\nCall log:\n  - waiting for getByText('" + text +
                         "').first() to be hidden\n");
    }
    case 4: {
      std::string pattern = str(*body, "url");
      if (pattern.empty()) return next();
      auto there = [this, name, gen, id, pattern] {
        Profile* p = find(name, gen);
        if (!p || !p->tabs.count(id)) return true;
        const Tab& tab = p->tabs.at(id);
        return tab.loaded && glob_match(pattern, tab.url);
      };
      return poll(there, until, [next, reply, t, pattern](bool met) {
        if (met) return next();
        reply(500, err("TimeoutError: page.waitForURL: Timeout " + t +
                       "ms exceeded.\n=========================== logs "
                       "===========================\nwaiting for navigation to \"" +
                       pattern +
                       "\" until \"load\"\n"
                       "============================================================"));
      });
    }
    case 5: {
      std::string state = str(*body, "loadState");
      if (state.empty()) return next();
      std::string error = "TimeoutError: page.waitForLoadState: Timeout " + t + "ms exceeded.";
      if (state == "domcontentloaded") return in_page("document.readyState !== 'loading'", error);
      if (state != "networkidle") return in_page("document.readyState === 'complete'", error);
      // networkidle: Chromium's own lifecycle event for the document, or (for a tab attached
      // after it fired) loaded with no request in flight for 500 ms.
      auto idle = [this, name, gen, id] {
        Profile* p = find(name, gen);
        if (!p || !p->tabs.count(id)) return true;
        const Tab& tab = p->tabs.at(id);
        return tab.network_idle ||
               (tab.loaded && tab.pending_loads.empty() &&
                std::chrono::steady_clock::now() - tab.network_quiet_since >= 500ms);
      };
      return poll(idle, until, [next, reply, error](bool met) {
        if (met) return next();
        reply(500, err(error));
      });
    }
    case 6: {
      std::string fn = str(*body, "fn");
      if (fn.empty()) return next();
      if (!settings_.evaluate_enabled) return reply(403, evaluate_disabled(true));
      return user_function(p, session, fn, [in_page, t](const std::string& decl) {
        in_page("(" + decl + ")()",
                "TimeoutError: page.waitForFunction: Timeout " + t + "ms exceeded.");
      });
    }
    default:
      reply(200, json::object{{"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}});
  }
}

void BrowserPlugin::run_js(Profile& p, const std::string& session, const std::string& expr,
                           Done done) {
  p.cdp->call("Runtime.evaluate", {{"expression", expr}}, session, kCallTimeout,
              [done](const std::string& e, const json::object&) { done(e); });
}

void BrowserPlugin::call_on(Profile& p, const std::string& session, long long node,
                            const std::string& fn, json::array args, Done done) {
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
                     session, kCallTimeout, [done](const std::string& e2, const json::object& r2) {
                       if (!e2.empty()) return done(e2);
                       if (const auto& ex = obj(r2, "exceptionDetails"); !ex.empty()) {
                         return done(str(obj(ex, "exception"), "description", str(ex, "text")));
                       }
                       done("");
                     });
      });
}

void BrowserPlugin::press_key(Profile& p, const std::string& session, const std::string& key,
                              Done done) {
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

void BrowserPlugin::type_text(Profile& p, const std::string& session, long long node,
                              const std::string& text, bool submit, Done done) {
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

}  // namespace browser
