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

struct Sub {
  const char* name;
  const char* args;
  const char* summary;
};

constexpr Sub kSubs[] = {
    {"status", "", "the browser profile's state (running, pid, CDP port, executable)"},
    {"profiles", "", "every browser profile of this instance"},
    {"create-profile", "NAME [--color C] [--cdp-port N | --cdp-url URL]",
     "a new profile; its CDP port comes from the port registry unless given"},
    {"delete-profile", "NAME", "stops its browser, deletes its user data and frees its port"},
    {"start", "[--headless]", "launch the profile's Chromium (a no-op when it runs)"},
    {"stop", "", "stop the profile's Chromium and everything it started"},
    {"tabs", "", "the open tabs"},
    {"open", "URL", "open URL in a new tab"},
    {"focus", "TAB", "make TAB (a targetId or t1, t2, ...) the current tab"},
    {"close", "[TAB]", "close TAB, or the current tab"},
    {"navigate", "URL", "load URL in the current tab"},
    {"screenshot", "[--out FILE] [--full-page]", "a PNG of the current tab"},
    {"snapshot", "", "the current tab's accessibility tree with refs (e12) for click/type"},
    {"click", "REF [--double]", "click the element with that ref"},
    {"type", "REF TEXT [--submit]", "fill the field with that ref (then Enter with --submit)"},
    {"press", "KEY", "press a key (Enter, Tab, Escape, ArrowDown, a, ...)"},
    {"evaluate", "EXPRESSION", "run JavaScript in the page (needs browser.evaluateEnabled)"},
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

}  // namespace

int cmd_browser(Context& ctx, const std::vector<std::string>& args) {
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
  po::positional_options_description pos;
  pos.add("words", -1);
  auto vm = parse_command(ctx, usage_text(),
                          "Drives this instance's browser through its running gateway.\nExit "
                          "code: 0 done, 1 refused or failed, 3 no gateway answers.",
                          opts, pos, args);
  if (!vm) return 0;
  std::vector<std::string> words;
  if (vm->count("words")) words = (*vm)["words"].as<std::vector<std::string>>();
  if (words.empty()) throw usage_error("browser needs a subcommand (see browser --help)");
  const std::string sub = words[0];
  auto need = [&](size_t n, const char* what) {
    if (words.size() < n + 1) throw usage_error("browser " + sub + " needs " + what);
    if (words.size() > n + 1) {
      throw usage_error("browser " + sub + ": unexpected argument \"" + words[n + 1] + "\"");
    }
  };

  std::string method = "GET", path;
  json::object query, body;
  if (vm->count("browser-profile")) query["profile"] = (*vm)["browser-profile"].as<std::string>();
  if (sub == "status") {
    need(0, "no arguments"), path = "/";
  } else if (sub == "profiles") {
    need(0, "no arguments"), path = "/profiles";
  } else if (sub == "create-profile") {
    need(1, "a NAME");
    method = "POST", path = "/profiles/create";
    body["name"] = words[1];
    if (vm->count("color")) body["color"] = (*vm)["color"].as<std::string>();
    if (vm->count("cdp-port")) body["cdpPort"] = (*vm)["cdp-port"].as<int>();
    if (vm->count("cdp-url")) body["cdpUrl"] = (*vm)["cdp-url"].as<std::string>();
  } else if (sub == "delete-profile") {
    need(1, "a NAME");
    method = "DELETE", path = "/profiles/" + words[1];
  } else if (sub == "start") {
    need(0, "no arguments");
    method = "POST", path = "/start";
    if (vm->count("headless")) query["headless"] = "true";
  } else if (sub == "stop") {
    need(0, "no arguments"), method = "POST", path = "/stop";
  } else if (sub == "tabs") {
    need(0, "no arguments"), path = "/tabs";
  } else if (sub == "open") {
    need(1, "a URL");
    method = "POST", path = "/tabs/open", body["url"] = words[1];
  } else if (sub == "focus") {
    need(1, "a TAB (targetId or t1, t2, ...)");
    method = "POST", path = "/tabs/focus", body["targetId"] = words[1];
  } else if (sub == "close") {
    if (words.size() > 2) throw usage_error("browser close takes at most one TAB");
    if (words.size() == 2) {
      method = "DELETE", path = "/tabs/" + words[1];
    } else {
      method = "POST", path = "/act", body["kind"] = "close";
    }
  } else if (sub == "navigate") {
    need(1, "a URL");
    method = "POST", path = "/navigate", body["url"] = words[1];
  } else if (sub == "screenshot") {
    need(0, "no arguments (use --out FILE)");
    method = "POST", path = "/screenshot";
    body = {{"fullPage", vm->count("full-page") > 0}, {"type", "png"}};
  } else if (sub == "snapshot") {
    need(0, "no arguments"), path = "/snapshot", query["format"] = "ai";
  } else if (sub == "click") {
    need(1, "a REF from a snapshot (e.g. e12)");
    method = "POST", path = "/act";
    body = {{"kind", "click"}, {"ref", words[1]}, {"doubleClick", vm->count("double") > 0}};
  } else if (sub == "type") {
    need(2, "a REF and the TEXT");
    method = "POST", path = "/act";
    body = {{"kind", "type"},
            {"ref", words[1]},
            {"text", words[2]},
            {"submit", vm->count("submit") > 0}};
  } else if (sub == "press") {
    need(1, "a KEY");
    method = "POST", path = "/act", body = {{"kind", "press"}, {"key", words[1]}};
  } else if (sub == "evaluate") {
    need(1, "an EXPRESSION");
    method = "POST", path = "/evaluate", body = {{"expression", words[1]}};
  } else {
    throw usage_error("unknown browser subcommand \"" + sub + "\" (see browser --help)");
  }

  Instance inst = ctx.instance();
  gateway::ClientOptions options = gateway_client_options(ctx, *vm, inst);

  json::object params{{"method", method},
                      {"path", path},
                      {"timeoutMs", static_cast<std::int64_t>(options.timeout.count())}};
  if (!query.empty()) params["query"] = query;
  if (!body.empty()) params["body"] = body;
  json::value payload;
  try {
    gateway::Client client(options);
    payload = client.call("browser.request", params);
  } catch (const gateway::GatewayError& e) {
    if (e.code == "INVALID_REQUEST" && std::string(e.what()).rfind("unknown method", 0) == 0) {
      throw usage_error("the gateway has no browser plugin running (plugins list shows why)",
                        options.url);
    }
    throw usage_error(std::string("browser ") + sub + ": " + e.what(), options.url);
  }

  if (sub == "screenshot" && vm->count("out")) {
    fs::path from = text_of(payload, "path");
    fs::path to = (*vm)["out"].as<std::string>();
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw usage_error("cannot copy the screenshot to " + to.string() + ": " + ec.message());
  }
  auto& out = *ctx.out;
  if (vm->count("json")) {
    out << json::serialize(payload) << "\n";
    return 0;
  }
  if (sub == "status") {
    out << "Profile:    " << text_of(payload, "profile") << "\n"
        << "Running:    " << text_of(payload, "running") << " (pid " << text_of(payload, "pid")
        << ")\n"
        << "CDP:        " << text_of(payload, "cdpUrl") << "\n"
        << "Headless:   " << text_of(payload, "headless") << "\n"
        << "Executable: " << text_of(payload, "executablePath") << "\n";
    if (auto e = text_of(payload, "detectError"); e != "-") out << "Problem:    " << e << "\n";
    if (auto e = text_of(payload, "lastError"); e != "-") out << "Last error: " << e << "\n";
  } else if (sub == "profiles") {
    for (const auto& p : payload.at("profiles").as_array()) {
      out << pad(text_of(p, "name"), 16)
          << pad(text_of(p, "running") == "true" ? "running" : "stopped", 9)
          << (text_of(p, "isRemote") == "true" ? "cdpUrl " + text_of(p, "cdpUrl")
                                               : "cdpPort " + text_of(p, "cdpPort"))
          << (text_of(p, "isDefault") == "true" ? "  (default)" : "") << "\n";
    }
  } else if (sub == "tabs") {
    const auto& tabs = payload.at("tabs").as_array();
    if (tabs.empty()) out << "No tabs.\n";
    for (const auto& t : tabs) {
      out << pad(text_of(t, "tabId"), 5) << text_of(t, "title") << "\n      " << text_of(t, "url")
          << "\n";
    }
  } else if (sub == "snapshot") {
    out << text_of(payload, "snapshot") << "\n";
  } else if (sub == "screenshot") {
    out << (vm->count("out") ? (*vm)["out"].as<std::string>() : text_of(payload, "path")) << "\n";
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
  return 0;
}

}  // namespace openclaw::cli
