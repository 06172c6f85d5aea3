// `browser <subcommand>`: drives the instance's browser through its running gateway with the
// gateway method `browser.request` ({method, path, query, body}), exactly as OpenClaw's own CLI
// does, so the two CLIs and the HTTP control port all see the same routes.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "core/error.hpp"
#include "gateway/client.hpp"

namespace openclaw::cli {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// What `browser.request` is asked: a route of the browser plugin's control API.
struct Request {
  std::string method = "GET";
  std::string path;
  json::object query, body;
};

using Words = std::vector<std::string>;  // the subcommand, then its arguments

// A subcommand: its help line, how many arguments it takes, and the route it asks for.
struct Sub {
  const char* name;
  const char* args;
  const char* summary;
  int arity;          ///< arguments after the name; -1 when build() checks them itself
  const char* needs;  ///< what a wrong count is told it needs ("a URL")
  void (*build)(Request& r, const Words& w, const po::variables_map& vm);
};

constexpr Sub kSubs[] = {
    {"status", "", "the browser profile's state (running, pid, CDP port, executable)", 0,
     "no arguments", [](Request& r, const Words&, const po::variables_map&) { r.path = "/"; }},
    {"profiles", "", "every browser profile of this instance", 0, "no arguments",
     [](Request& r, const Words&, const po::variables_map&) { r.path = "/profiles"; }},
    {"create-profile", "NAME [--color C] [--cdp-port N | --cdp-url URL]",
     "a new profile; its CDP port comes from the port registry unless given", 1, "a NAME",
     [](Request& r, const Words& w, const po::variables_map& vm) {
       r.method = "POST", r.path = "/profiles/create";
       r.body["name"] = w[1];
       if (vm.count("color")) r.body["color"] = vm["color"].as<std::string>();
       if (vm.count("cdp-port")) r.body["cdpPort"] = vm["cdp-port"].as<int>();
       if (vm.count("cdp-url")) r.body["cdpUrl"] = vm["cdp-url"].as<std::string>();
     }},
    {"delete-profile", "NAME", "stops its browser, deletes its user data and frees its port", 1,
     "a NAME",
     [](Request& r, const Words& w, const po::variables_map&) {
       r.method = "DELETE", r.path = "/profiles/" + w[1];
     }},
    {"start", "[--headless]", "launch the profile's Chromium (a no-op when it runs)", 0,
     "no arguments",
     [](Request& r, const Words&, const po::variables_map& vm) {
       r.method = "POST", r.path = "/start";
       if (vm.count("headless")) r.query["headless"] = "true";
     }},
    {"stop", "", "stop the profile's Chromium and everything it started", 0, "no arguments",
     [](Request& r, const Words&, const po::variables_map&) {
       r.method = "POST", r.path = "/stop";
     }},
    {"tabs", "", "the open tabs", 0, "no arguments",
     [](Request& r, const Words&, const po::variables_map&) { r.path = "/tabs"; }},
    {"open", "URL", "open URL in a new tab", 1, "a URL",
     [](Request& r, const Words& w, const po::variables_map&) {
       r.method = "POST", r.path = "/tabs/open", r.body["url"] = w[1];
     }},
    {"focus", "TAB", "make TAB (a targetId or t1, t2, ...) the current tab", 1,
     "a TAB (targetId or t1, t2, ...)",
     [](Request& r, const Words& w, const po::variables_map&) {
       r.method = "POST", r.path = "/tabs/focus", r.body["targetId"] = w[1];
     }},
    {"close", "[TAB]", "close TAB, or the current tab", -1, "",
     [](Request& r, const Words& w, const po::variables_map&) {
       if (w.size() > 2) throw usage_error("browser close takes at most one TAB");
       if (w.size() == 2) {
         r.method = "DELETE", r.path = "/tabs/" + w[1];
       } else {
         r.method = "POST", r.path = "/act", r.body["kind"] = "close";
       }
     }},
    {"navigate", "URL", "load URL in the current tab", 1, "a URL",
     [](Request& r, const Words& w, const po::variables_map&) {
       r.method = "POST", r.path = "/navigate", r.body["url"] = w[1];
     }},
    {"screenshot", "[--out FILE] [--full-page]", "a PNG of the current tab", 0,
     "no arguments (use --out FILE)",
     [](Request& r, const Words&, const po::variables_map& vm) {
       r.method = "POST", r.path = "/screenshot";
       r.body = {{"fullPage", vm.count("full-page") > 0}, {"type", "png"}};
     }},
    {"snapshot", "", "the current tab's accessibility tree with refs (e12) for click/type", 0,
     "no arguments",
     [](Request& r, const Words&, const po::variables_map&) {
       r.path = "/snapshot", r.query["format"] = "ai";
     }},
    {"click", "REF [--double]", "click the element with that ref", 1,
     "a REF from a snapshot (e.g. e12)",
     [](Request& r, const Words& w, const po::variables_map& vm) {
       r.method = "POST", r.path = "/act";
       r.body = {{"kind", "click"}, {"ref", w[1]}, {"doubleClick", vm.count("double") > 0}};
     }},
    {"type", "REF TEXT [--submit]", "fill the field with that ref (then Enter with --submit)", 2,
     "a REF and the TEXT",
     [](Request& r, const Words& w, const po::variables_map& vm) {
       r.method = "POST", r.path = "/act";
       r.body = {
           {"kind", "type"}, {"ref", w[1]}, {"text", w[2]}, {"submit", vm.count("submit") > 0}};
     }},
    {"press", "KEY", "press a key (Enter, Tab, Escape, ArrowDown, a, ...)", 1, "a KEY",
     [](Request& r, const Words& w, const po::variables_map&) {
       r.method = "POST", r.path = "/act", r.body = {{"kind", "press"}, {"key", w[1]}};
     }},
    {"evaluate", "EXPRESSION", "run JavaScript in the page (needs browser.evaluateEnabled)", 1,
     "an EXPRESSION",
     [](Request& r, const Words& w, const po::variables_map&) {
       r.method = "POST", r.path = "/evaluate", r.body = {{"expression", w[1]}};
     }},
};

std::string usage_text() {
  std::string s = "browser [options] <subcommand> [args]\n\nSubcommands:\n";
  for (const auto& sub : kSubs) {
    std::string left = std::string("  ") + sub.name + (*sub.args ? " " : "") + sub.args;
    s += pad(left, 58) + sub.summary + "\n";
  }
  return s;
}

std::string text_of(const json::value& v, const char* key) {
  if (!v.is_object()) return {};
  const json::value* x = v.get_object().if_contains(key);
  if (!x || x->is_null()) return "-";
  if (x->is_string()) return std::string(x->get_string());
  return json::serialize(*x);
}

po::options_description browser_options() {
  po::options_description opts("Options");
  opts.add_options()("browser-profile", po::value<std::string>()->value_name("NAME"),
                     "browser profile (default: browser.defaultProfile, else openclaw)")(
      "json", "print the route's JSON payload");
  add_gateway_client_options(opts, 60000);
  opts.add_options()("out", po::value<std::string>()->value_name("FILE"),
                     "screenshot: also copy the image to FILE")(
      "full-page", "screenshot: the whole page, not just the viewport")(
      "headless", "start: headless even with a display")("double", "click: double-click")(
      "submit", "type: press Enter after the text")(
      "color", po::value<std::string>()->value_name("C"), "create-profile: the profile's color")(
      "cdp-port", po::value<int>()->value_name("N"), "create-profile: an explicit CDP port")(
      "cdp-url", po::value<std::string>()->value_name("URL"),
      "create-profile: attach to a remote browser instead of launching one")(
      "words", po::value<std::vector<std::string>>(), "subcommand and its arguments");
  return opts;
}

// The route `words` (a subcommand and its arguments) asks for; a usage error when they are wrong.
Request request_for(const Words& words, const po::variables_map& vm) {
  const std::string& sub = words[0];
  Request r;
  if (vm.count("browser-profile")) r.query["profile"] = vm["browser-profile"].as<std::string>();
  for (const auto& s : kSubs) {
    if (sub != s.name) continue;
    if (s.arity >= 0) {
      const size_t n = s.arity;
      if (words.size() < n + 1) throw usage_error("browser " + sub + " needs " + s.needs);
      if (words.size() > n + 1) {
        throw usage_error("browser " + sub + ": unexpected argument \"" + words[n + 1] + "\"");
      }
    }
    s.build(r, words, vm);
    return r;
  }
  throw usage_error("unknown browser subcommand \"" + sub + "\" (see browser --help)");
}

// Asks the running gateway's browser plugin for `req`: its JSON payload.
json::value call_browser(const gateway::ClientOptions& options, const std::string& sub,
                         const Request& req) {
  json::object params{{"method", req.method},
                      {"path", req.path},
                      {"timeoutMs", static_cast<std::int64_t>(options.timeout.count())}};
  if (!req.query.empty()) params["query"] = req.query;
  if (!req.body.empty()) params["body"] = req.body;
  try {
    gateway::Client client(options);
    return client.call("browser.request", params);
  } catch (const gateway::GatewayError& e) {
    if (e.code == "INVALID_REQUEST" && std::string(e.what()).rfind("unknown method", 0) == 0) {
      throw usage_error("the gateway has no browser plugin running (plugins list shows why)",
                        options.url);
    }
    throw usage_error(std::string("browser ") + sub + ": " + e.what(), options.url);
  }
}

void copy_screenshot(const json::value& payload, const fs::path& to) {
  fs::path from = text_of(payload, "path");
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw usage_error("cannot copy the screenshot to " + to.string() + ": " + ec.message());
}

void print_status(std::ostream& out, const json::value& payload) {
  out << "Profile:    " << text_of(payload, "profile") << "\n"
      << "Running:    " << text_of(payload, "running") << " (pid " << text_of(payload, "pid")
      << ")\n"
      << "CDP:        " << text_of(payload, "cdpUrl") << "\n"
      << "Headless:   " << text_of(payload, "headless") << "\n"
      << "Executable: " << text_of(payload, "executablePath") << "\n";
  if (auto e = text_of(payload, "detectError"); e != "-") out << "Problem:    " << e << "\n";
  if (auto e = text_of(payload, "lastError"); e != "-") out << "Last error: " << e << "\n";
}

void print_profiles(std::ostream& out, const json::value& payload) {
  for (const auto& p : payload.at("profiles").as_array()) {
    out << pad(text_of(p, "name"), 16)
        << pad(text_of(p, "running") == "true" ? "running" : "stopped", 9)
        << (text_of(p, "isRemote") == "true" ? "cdpUrl " + text_of(p, "cdpUrl")
                                             : "cdpPort " + text_of(p, "cdpPort"))
        << (text_of(p, "isDefault") == "true" ? "  (default)" : "") << "\n";
  }
}

void print_tabs(std::ostream& out, const json::value& payload) {
  const auto& tabs = payload.at("tabs").as_array();
  if (tabs.empty()) out << "No tabs.\n";
  for (const auto& t : tabs) {
    out << pad(text_of(t, "tabId"), 5) << text_of(t, "title") << "\n      " << text_of(t, "url")
        << "\n";
  }
}

// The payload of subcommand `sub` as text (--json prints it as it came).
void print_text(std::ostream& out, const std::string& sub, const json::value& payload,
                const po::variables_map& vm) {
  if (sub == "status") {
    print_status(out, payload);
  } else if (sub == "profiles") {
    print_profiles(out, payload);
  } else if (sub == "tabs") {
    print_tabs(out, payload);
  } else if (sub == "snapshot") {
    out << text_of(payload, "snapshot") << "\n";
  } else if (sub == "screenshot") {
    out << (vm.count("out") ? vm["out"].as<std::string>() : text_of(payload, "path")) << "\n";
  } else if (sub == "open") {
    out << "opened " << text_of(payload, "tabId") << ": " << text_of(payload, "url") << "\n";
  } else if (sub == "evaluate") {
    out << text_of(payload, "result") << "\n";
  } else if (sub == "start" || sub == "stop" || sub == "create-profile" ||
             sub == "delete-profile") {
    out << sub << ": ok (" << text_of(payload, "profile") << ")\n";
  } else {
    out << "ok\n";
  }
}

}  // namespace

int cmd_browser(Context& ctx, const std::vector<std::string>& args) {
  po::positional_options_description pos;
  pos.add("words", -1);
  auto vm = parse_command(ctx, usage_text(),
                          "Drives this instance's browser through its running gateway.\nExit "
                          "code: 0 done, 1 refused or failed, 3 no gateway answers.",
                          browser_options(), pos, args);
  if (!vm) return 0;
  Words words;
  if (vm->count("words")) words = (*vm)["words"].as<Words>();
  if (words.empty()) throw usage_error("browser needs a subcommand (see browser --help)");
  const std::string sub = words[0];
  Request req = request_for(words, *vm);

  Instance inst = ctx.instance();
  gateway::ClientOptions options = gateway_client_options(ctx, *vm, inst);
  options.scopes = {"operator.admin"};  // OpenClaw's gateway: browser.request is an admin method
  json::value payload = call_browser(options, sub, req);
  if (sub == "screenshot" && vm->count("out")) {
    copy_screenshot(payload, (*vm)["out"].as<std::string>());
  }
  if (vm->count("json")) {
    *ctx.out << json::serialize(payload) << "\n";
  } else {
    print_text(*ctx.out, sub, payload, *vm);
  }
  return 0;
}

}  // namespace openclaw::cli
