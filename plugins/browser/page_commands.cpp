// Page commands on a profile's current (or named) tab: the accessibility snapshot with refs, a
// screenshot saved under the state dir, evaluate, and act (click, type, press, hover, select,
// scroll, close), each a chain of CDP calls on the tab's flattened session.
#include <array>
#include <set>

#include <openclaw/sdk/files.hpp>

#include "browser.hpp"

namespace browser {
namespace {

std::string base64_decode(const std::string& in) {
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

// Why an act request cannot be carried out, before any tab is touched ("" when it can).
std::string act_request_problem(const json::object& body, std::string* code) {
  std::string kind = str(body, "kind");
  static const std::set<std::string> kinds = {"click",  "type",   "press", "hover",
                                              "select", "scroll", "close", "fill"};
  bool needs_ref =
      kind == "click" || kind == "type" || kind == "hover" || kind == "select" || kind == "fill";
  if (kind.empty()) {
    *code = "ACT_KIND_REQUIRED";
    return "kind is required";
  }
  if (!kinds.count(kind)) {
    *code = "ACT_KIND_UNKNOWN";
    return "unknown act kind \"" + kind +
           "\": use click, type, press, hover, select, scroll or close";
  }
  if (needs_ref && str(body, "ref").empty()) {
    *code = "ACT_REF_REQUIRED";
    return "ref is required for " + kind;
  }
  if (kind == "press" && !key_info(str(body, "key"))) {
    *code = "ACT_KEY_UNKNOWN";
    return "unknown key \"" + str(body, "key") +
           "\": use a single character or Enter, Tab, Escape, Backspace, Delete, Space, "
           "ArrowUp/Down/Left/Right, Home, End, PageUp, PageDown";
  }
  return "";
}

// The mouse events of `clicks` left clicks (0: a hover) at x, y.
std::vector<json::object> mouse_events(double x, double y, int clicks) {
  std::vector<json::object> events;
  events.push_back({{"type", "mouseMoved"}, {"x", x}, {"y", y}});
  for (int c = 1; c <= clicks; ++c) {
    for (const char* type : {"mousePressed", "mouseReleased"}) {
      events.push_back({{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", c}});
    }
  }
  return events;
}

}  // namespace

std::string BrowserPlugin::tab_url(const std::string& name, const std::string& id) {
  auto it = profiles_.find(name);
  if (it == profiles_.end()) return "";
  auto t = it->second.tabs.find(id);
  return t == it->second.tabs.end() ? "" : t->second.url;
}

void BrowserPlugin::snapshot(Profile& p, const std::string& target, const Request& r,
                             const Reply& reply) {
  std::string format = r.query.count("format") ? r.query.at("format") : "ai";
  if (format != "ai" && format != "aria") {
    return reply(400, err("format must be \"ai\" or \"aria\", got \"" + format + "\""));
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, format, reply](int status, const std::string& e, const std::string& id,
                                       const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             profiles_.at(name).cdp->call("Accessibility.getFullAXTree", {}, session, kCallTimeout,
                                          [this, name, id, session, format, reply](
                                              const std::string& e2, const json::object& r) {
                                            if (!e2.empty()) return reply(500, err(e2));
                                            snapshot_reply(name, id, session, format, r, reply);
                                          });
           });
}

// The tree rendered with the tab's refs, then the page's readable text beside it.
void BrowserPlugin::snapshot_reply(const std::string& name, const std::string& id,
                                   const std::string& session, const std::string& format,
                                   const json::object& tree, const Reply& reply) {
  auto it = profiles_.find(name);
  if (it == profiles_.end()) return reply(503, err("the profile is gone"));
  auto t = it->second.tabs.find(id);
  if (t == it->second.tabs.end()) return reply(500, err("the tab was closed"));
  static const json::array none;
  const json::value* nodes = tree.if_contains("nodes");
  Snapshot s =
      render_snapshot(nodes && nodes->is_array() ? nodes->get_array() : none, t->second.refs);
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
      [out = std::move(out), reply](const std::string& e, const json::object& r) mutable {
        out["text"] = e.empty() ? str(obj(r, "result"), "value") : "";
        reply(200, out);
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
  fs::path dir = host_->state_dir() / "media" / "browser";
  fs::path file = dir / (random_id() + (type == "png" ? ".png" : ".jpg"));
  try {
    sdk::create_private_dirs(dir);
    sdk::write_file_atomic(file, bytes, fs::perms(0600), false, false);
  } catch (const std::exception& ex) {
    return reply(500, err(std::string("could not save the screenshot: ") + ex.what()));
  }
  reply(200, json::object{{"ok", true},
                          {"path", file.string()},
                          {"targetId", id},
                          {"url", tab_url(name, id)},
                          {"bytes", static_cast<std::int64_t>(bytes.size())}});
}

void BrowserPlugin::evaluate(Profile& p, const std::string& target, const json::object& body,
                             const Reply& reply) {
  if (!settings_.evaluate_enabled) {
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

void BrowserPlugin::act(Profile& p, const std::string& target, const json::object& body,
                        const Reply& reply) {
  std::string code;
  if (auto problem = act_request_problem(body, &code); !problem.empty()) {
    return reply(400, err(problem, code));
  }
  std::string name = p.name;
  with_tab(p, target, true,
           [this, name, body, reply](int status, const std::string& e, const std::string& id,
                                     const std::string& session) {
             if (!e.empty()) return reply(status, err(e));
             act_on(profiles_.at(name), id, session, body, reply);
           });
}

void BrowserPlugin::act_on(Profile& p, const std::string& id, const std::string& session,
                           const json::object& body, const Reply& reply) {
  std::string kind = str(body, "kind");
  std::string ref = str(body, "ref");
  std::string name = p.name;
  auto done = [this, name, id, reply](const std::string& e) {
    if (!e.empty()) return reply(500, err(e, "ACT_OPERATION_FAILED"));
    reply(200, json::object{{"ok", true}, {"targetId", id}, {"url", tab_url(name, id)}});
  };
  if (kind == "close") {
    p.cdp->call("Target.closeTarget", {{"targetId", id}},
                [done](const std::string& e, const json::object&) { done(e); });
    return;
  }
  if (kind == "press") return press_key(p, session, str(body, "key"), done);
  std::optional<long long> node;
  if (!ref.empty()) {
    Tab& t = p.tabs.find(id)->second;  // with_tab checked it is there
    node = t.refs.node_of(ref);
    if (!node) {
      // Fast and clear, where OpenClaw waits ~8 s before failing.
      std::string why =
          t.refs.issued(ref)
              ? "Element \"" + ref +
                    "\" is not on the page any more. Run a new snapshot to see "
                    "current page elements."
              : "Unknown ref \"" + ref + "\". Run a new snapshot and use a ref from that snapshot.";
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
    int clicks = kind == "hover" ? 0 : (flag(body, "doubleClick", false) ? 2 : 1);
    return click(p, session, *node, clicks, done);
  }
  if (kind == "scroll") {
    p.cdp->call("DOM.scrollIntoViewIfNeeded", {{"backendNodeId", *node}}, session, kCallTimeout,
                [done](const std::string& e, const json::object&) { done(e); });
    return;
  }
  if (kind == "type" || kind == "fill") {
    return type_text(p, session, *node, str(body, "text"), flag(body, "submit", false), done);
  }
  select_options(p, session, *node, body, done);
}

// select: values (or value), by option value or label.
void BrowserPlugin::select_options(Profile& p, const std::string& session, long long node,
                                   const json::object& body, Done done) {
  json::array values;
  if (const json::value* v = body.if_contains("values"); v && v->is_array())
    values = v->get_array();
  else if (auto one = str(body, "value"); !one.empty())
    values.push_back(json::value(one));
  call_on(p, session, node,
          "function(vals){ if (this.tagName !== 'SELECT') throw new Error('not a <select>');"
          " for (const o of this.options) o.selected = vals.includes(o.value) || "
          "vals.includes(o.label);"
          " this.dispatchEvent(new Event('input',{bubbles:true}));"
          " this.dispatchEvent(new Event('change',{bubbles:true})); }",
          json::array{json::object{{"value", values}}}, std::move(done));
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

void BrowserPlugin::click(Profile& p, const std::string& session, long long node, int clicks,
                          Done done) {
  std::string name = p.name;
  int gen = p.generation;
  p.cdp->call(
      "DOM.scrollIntoViewIfNeeded", {{"backendNodeId", node}}, session, kCallTimeout,
      [this, name, gen, session, node, clicks, done](const std::string& e, const json::object&) {
        Profile* p = find(name, gen);
        if (!p) return done("the browser stopped");
        if (!e.empty()) return done("the element is gone from the page: " + e);
        click_quads(*p, session, node, clicks, done);
      });
}

// Clicks the middle of the element's first box.
void BrowserPlugin::click_quads(Profile& p, const std::string& session, long long node, int clicks,
                                Done done) {
  std::string name = p.name;
  int gen = p.generation;
  p.cdp->call(
      "DOM.getContentQuads", {{"backendNodeId", node}}, session, kCallTimeout,
      [this, name, gen, session, clicks, done](const std::string& e, const json::object& r) {
        Profile* p = find(name, gen);
        if (!p) return done("the browser stopped");
        if (!e.empty()) return done(e);
        const json::value* quads = r.if_contains("quads");
        if (!quads || !quads->is_array() || quads->get_array().empty() ||
            !quads->get_array()[0].is_array() || quads->get_array()[0].get_array().size() < 8) {
          return done("the element is not visible (it has no box on the page)");
        }
        const auto& q = quads->get_array()[0].get_array();
        double x = 0, y = 0;
        for (int i = 0; i < 4; ++i) {
          x += q[2 * i].to_number<double>() / 4;
          y += q[2 * i + 1].to_number<double>() / 4;
        }
        dispatch_all(*p, session, "Input.dispatchMouseEvent", mouse_events(x, y, clicks), 0, done);
      });
}

void BrowserPlugin::dispatch_all(Profile& p, const std::string& session, const std::string& method,
                                 std::vector<json::object> events, size_t i, Done done) {
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
