// Browser plugin benchmark: per operation, the time of `browser.request` through the gateway
// (round trip over loopback WebSocket, an upper bound of the gateway-side time) and of our CLI,
// beside the raw CDP floor (the same operation done directly over CDP by a minimal client on the
// same Chromium) and OpenClaw 2026.9.6's recorded gateway-side times (README-browser.md). Also:
// start (Chromium's own launch vs ours), gateway RSS with a browser running, and the WebSocket
// `health` rate with and without a browser. Runs the real binaries; prints tables; not a test.
//
//   build/bench/bench_browser [iterations]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "bench_util.hpp"
#include "cdp.hpp"
#include "gateway/client.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "openclaw/sdk/process.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
namespace asio = boost::asio;
namespace sdk = openclaw::sdk;
using Clock = std::chrono::steady_clock;
using openclaw::bench::percentile;
using openclaw::bench::rss_kb;

namespace {

fs::path g_home;
const std::string g_binary = OPENCLAW_HOST_BINARY;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<std::string> env_strings() {
  return {"HOME=" + g_home.string(), "OPENCLAW_PORT_REGISTRY_DIR=" + (g_home / "registry").string(),
          "OPENCLAW_BUNDLED_PLUGINS_DIR=" + std::string(OPENCLAW_BUNDLED_DIR),
          "PATH=/usr/local/bin:/usr/bin:/bin"};
}

// Runs the host binary with `args`; returns its stdout (with `bg`: once the gateway is ready).
std::pair<int, std::string> run(const std::vector<std::string>& args, pid_t* bg = nullptr) {
  std::vector<std::string> argv{g_binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return {0, openclaw::bench::run_program(argv, env_strings(), bg, bg ? "gateway ready" : "")};
}

// A minimal CDP client for the floor: one WebSocket, one call at a time, on its own io_context.
class RawCdp {
 public:
  explicit RawCdp(const std::string& ws_url) {
    sdk::WebSocketClient::Handlers h;
    h.on_open = [this] { open_ = true; };
    h.on_message = [this](std::string m) {
      auto v = json::parse(m);
      if (v.as_object().contains("id")) reply_ = std::move(v);
    };
    h.on_close = [this](int, std::string) { closed_ = true; };
    ws_ = sdk::WebSocketClient::connect(io_, ws_url, h);
    while (!open_ && !closed_) io_.run_one();
  }
  json::object call(const std::string& method, json::object params = {},
                    const std::string& session = {}) {
    reply_.reset();
    ws_->send(browser::cdp_request(++id_, method, std::move(params), session));
    while (!reply_ && !closed_) io_.run_one();
    if (!reply_ || reply_->as_object().contains("error")) {
      std::fprintf(stderr, "raw CDP %s failed\n", method.c_str());
      return {};
    }
    return reply_->at("result").as_object();
  }

 private:
  asio::io_context io_;
  std::unique_ptr<sdk::WebSocketClient> ws_;
  std::optional<json::value> reply_;
  bool open_ = false, closed_ = false;
  long long id_ = 0;
};

sdk::HttpClientResponse http_get(const std::string& url) {
  asio::io_context io;
  sdk::HttpClientRequest req;
  req.url = url;
  req.timeout = std::chrono::seconds(5);
  sdk::HttpClientResponse got;
  sdk::http_request(io, req, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  io.run();
  return got;
}

struct Row {
  std::string op;
  std::vector<double> gateway, cli, raw;
  std::string openclaw;
};

std::string cell(const std::vector<double>& v) {
  if (v.empty()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f / %.2f", percentile(v, 0.5), percentile(v, 0.99));
  return buf;
}

double health_rate(int port, double seconds) {
  openclaw::gateway::ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port);
  openclaw::gateway::Client c(o);
  auto until = Clock::now() + std::chrono::duration<double>(seconds);
  long n = 0;
  auto t0 = Clock::now();
  while (Clock::now() < until) {
    c.call("health");
    ++n;
  }
  return static_cast<double>(n) / (ms_since(t0) / 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::max(3, std::atoi(argv[1])) : 20;
  char tmpl[] = "/tmp/openclaw-bench-browser-XXXXXX";
  g_home = ::mkdtemp(tmpl);

  // A local page, as in the recorded OpenClaw run.
  asio::io_context page_io;
  sdk::HttpServer pages(page_io, [](const sdk::HttpRequest&) {
    return sdk::HttpResponse::text(
        200,
        "<!doctype html><title>Bench page</title><h1>Bench page</h1>"
        "<button onclick=\"this.dataset.n=(+this.dataset.n||0)+1\">Click me</button>"
        "<p>not clicked</p><label for=t>Your text</label><input id=t><p>nothing entered</p>",
        "text/html");
  });
  // Setup picks a free base port; the page server sits in its plugin range.
  run({"--profile", "bench", "setup", "--no-token"});  // loopback only, as the others
  int port = std::stoi(run({"--profile", "bench", "config", "get", "gateway.port"}).second);
  run({"--profile", "bench", "config", "set", "browser.headless", "true"});
  run({"--profile", "bench", "config", "set", "browser.noSandbox", "true"});
  run({"--profile", "bench", "config", "set", "browser.evaluateEnabled", "true"});
  run({"--profile", "bench", "config", "set", "browser.ssrfPolicy.allowedHostnames",
       "[\"127.0.0.1\"]"});
  pages.listen("127.0.0.1", 0);
  std::thread page_thread([&] {
    auto guard = asio::make_work_guard(page_io);
    page_io.run();
  });
  std::string page_url = "http://127.0.0.1:" + std::to_string(pages.port()) + "/";

  pid_t gw = -1;
  run({"--profile", "bench", "gateway"}, &gw);
  openclaw::gateway::ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port);
  o.timeout = std::chrono::seconds(60);
  openclaw::gateway::Client client(o);  // one connection for the gateway-side column
  auto call = [&](const std::string& method, const std::string& path, json::object query = {},
                  json::value body = nullptr) {
    json::object params{{"method", method}, {"path", path}, {"timeoutMs", 45000}};
    if (!query.empty()) params["query"] = query;
    if (!body.is_null()) params["body"] = body;
    return client.call("browser.request", params);
  };
  auto timed = [&](std::vector<double>& into, const std::function<void()>& fn) {
    auto t0 = Clock::now();
    fn();
    into.push_back(ms_since(t0));
  };

  long rss_idle = rss_kb(gw);
  double health_before = health_rate(port, 2.0);

  // Start: Chromium's own launch (same flags, its own user-data dir and port) vs ours.
  std::vector<double> raw_launch, our_start_cold, our_start_warm;
  for (int i = 0; i < 3; ++i) {
    asio::io_context io;
    sdk::ProcessOptions po;
    po.program = "chromium";
    int raw_port = port + 100 - i;  // inside this instance's CDP range, not leased by a profile
    po.args = {"--remote-debugging-port=" + std::to_string(raw_port),
               "--remote-debugging-address=127.0.0.1",
               "--user-data-dir=" + (g_home / ("raw-" + std::to_string(i))).string(),
               "--no-first-run",
               "--no-default-browser-check",
               "--headless=new",
               "--no-sandbox",
               "about:blank"};
    auto t0 = Clock::now();
    auto child = sdk::ChildProcess::start(io, po, {}, {});
    while (
        !http_get("http://127.0.0.1:" + std::to_string(raw_port) + "/json/version").error.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    raw_launch.push_back(ms_since(t0));
  }
  for (int i = 0; i < 3; ++i) {
    timed(i == 0 ? our_start_cold : our_start_warm, [&] { call("POST", "/start"); });
    if (i < 2) call("POST", "/stop");
  }
  double launch_ms = call("GET", "/").at("launchMs").to_number<double>();

  json::value tab = call("POST", "/tabs/open", {}, json::object{{"url", page_url}});
  int cdp_port = static_cast<int>(call("GET", "/").at("cdpPort").as_int64());
  std::string target(tab.at("targetId").as_string());
  json::value snap = call("GET", "/snapshot", {{"format", "ai"}});
  std::string button, field;
  for (const auto& [ref, info] : snap.at("refs").as_object()) {
    if (info.at("role").as_string() == "button") button = std::string(ref);
    if (info.at("role").as_string() == "textbox") field = std::string(ref);
  }

  // The raw client on the same browser and tab.
  std::string browser_ws(
      json::parse(http_get("http://127.0.0.1:" + std::to_string(cdp_port) + "/json/version").body)
          .at("webSocketDebuggerUrl")
          .as_string());
  RawCdp raw(browser_ws);
  std::string session(raw.call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}})
                          .at("sessionId")
                          .as_string());
  raw.call("DOM.getDocument", {}, session);
  auto backend = [&](const std::string& selector) {
    auto doc = raw.call("DOM.getDocument", {}, session);
    auto node =
        raw.call("DOM.querySelector",
                 {{"nodeId", doc.at("root").at("nodeId")}, {"selector", selector}}, session);
    return raw.call("DOM.describeNode", {{"nodeId", node.at("nodeId")}}, session)
        .at("node")
        .at("backendNodeId")
        .as_int64();
  };
  long long raw_button = backend("button"), raw_field = backend("input");
  rss_kb(gw);

  std::vector<Row> rows = {{"status (GET /)", {}, {}, {}, "22-92"},
                           {"tabs (GET /tabs)", {}, {}, {}, "25-40"},
                           {"snapshot", {}, {}, {}, "158-229"},
                           {"screenshot", {}, {}, {}, "226"},
                           {"click", {}, {}, {}, "400"},
                           {"type", {}, {}, {}, "476"},
                           {"press Enter", {}, {}, {}, "354"},
                           {"evaluate (document.title)", {}, {}, {}, "327"},
                           {"snapshot --format aria", {}, {}, {}, "173-283"},
                           {"cookies (GET /cookies)", {}, {}, {}, "-"},
                           {"resize 1024 700", {}, {}, {}, "56"}};
  for (int i = 0; i < iterations; ++i) {
    timed(rows[0].gateway, [&] { call("GET", "/"); });
    timed(rows[1].gateway, [&] { call("GET", "/tabs"); });
    timed(rows[2].gateway, [&] { call("GET", "/snapshot", {{"format", "ai"}}); });
    timed(rows[3].gateway, [&] {
      call("POST", "/screenshot", {}, json::object{{"fullPage", false}, {"type", "png"}});
    });
    timed(rows[4].gateway, [&] {
      call("POST", "/act", {}, json::object{{"kind", "click"}, {"ref", button}});
    });
    timed(rows[5].gateway, [&] {
      call("POST", "/act", {}, json::object{{"kind", "type"}, {"ref", field}, {"text", "hello"}});
    });
    timed(rows[6].gateway, [&] {
      call("POST", "/act", {}, json::object{{"kind", "press"}, {"key", "Enter"}});
    });
    timed(rows[7].gateway, [&] {
      call("POST", "/act", {}, json::object{{"kind", "evaluate"}, {"fn", "document.title"}});
    });
    timed(rows[8].gateway, [&] { call("GET", "/snapshot", {{"format", "aria"}}); });
    timed(rows[9].gateway, [&] { call("GET", "/cookies"); });
    timed(rows[10].gateway, [&] {
      call("POST", "/act", {}, json::object{{"kind", "resize"}, {"width", 1024}, {"height", 700}});
    });

    timed(rows[0].raw,
          [&] { http_get("http://127.0.0.1:" + std::to_string(cdp_port) + "/json/version"); });
    timed(rows[1].raw, [&] { raw.call("Target.getTargets"); });
    timed(rows[2].raw, [&] { raw.call("Accessibility.getFullAXTree", {}, session); });
    timed(rows[3].raw, [&] { raw.call("Page.captureScreenshot", {{"format", "png"}}, session); });
    timed(rows[4].raw, [&] {
      raw.call("DOM.scrollIntoViewIfNeeded", {{"backendNodeId", raw_button}}, session);
      auto q = raw.call("DOM.getContentQuads", {{"backendNodeId", raw_button}}, session);
      const auto& quad = q.at("quads").as_array()[0].as_array();
      double x = (quad[0].to_number<double>() + quad[4].to_number<double>()) / 2;
      double y = (quad[1].to_number<double>() + quad[5].to_number<double>()) / 2;
      raw.call("Input.dispatchMouseEvent", {{"type", "mouseMoved"}, {"x", x}, {"y", y}}, session);
      raw.call(
          "Input.dispatchMouseEvent",
          {{"type", "mousePressed"}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}},
          session);
      raw.call(
          "Input.dispatchMouseEvent",
          {{"type", "mouseReleased"}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}},
          session);
    });
    timed(rows[5].raw, [&] {
      auto obj = raw.call("DOM.resolveNode", {{"backendNodeId", raw_field}}, session);
      raw.call("Runtime.callFunctionOn",
               {{"objectId", obj.at("object").at("objectId")},
                {"functionDeclaration", "function(){this.focus();this.value='';}"}},
               session);
      raw.call("Input.insertText", {{"text", "hello"}}, session);
    });
    timed(rows[6].raw, [&] {
      raw.call("Input.dispatchKeyEvent",
               {{"type", "keyDown"},
                {"key", "Enter"},
                {"code", "Enter"},
                {"windowsVirtualKeyCode", 13},
                {"text", "\r"}},
               session);
      raw.call(
          "Input.dispatchKeyEvent",
          {{"type", "keyUp"}, {"key", "Enter"}, {"code", "Enter"}, {"windowsVirtualKeyCode", 13}},
          session);
    });
    timed(rows[7].raw, [&] {
      raw.call("Runtime.evaluate", {{"expression", "document.title"}, {"returnByValue", true}},
               session);
    });
    timed(rows[8].raw, [&] { raw.call("Accessibility.getFullAXTree", {}, session); });
    timed(rows[9].raw, [&] { raw.call("Storage.getCookies"); });
    timed(rows[10].raw, [&] {
      raw.call("Emulation.setDeviceMetricsOverride",
               {{"width", 1024}, {"height", 700}, {"deviceScaleFactor", 1}, {"mobile", false}},
               session);
    });
  }
  // Our CLI: a process per command, as a user types it.
  const std::vector<std::vector<std::string>> cli_args = {
      {"status"},        {"tabs"},          {"snapshot"},
      {"screenshot"},    {"click", button}, {"type", field, "hello"},
      {"press", "Enter"}};
  for (int i = 0; i < std::max(3, iterations / 2); ++i) {
    for (size_t r = 0; r < cli_args.size(); ++r) {
      std::vector<std::string> a{"--profile", "bench", "browser"};
      a.insert(a.end(), cli_args[r].begin(), cli_args[r].end());
      timed(rows[r].cli, [&] { run(a); });
    }
  }

  long rss_browser = rss_kb(gw);
  double health_during = health_rate(port, 2.0);

  std::printf("\nbrowser.request per operation, ms p50 / p99 (%d iterations; small local page)\n\n",
              iterations);
  std::printf(
      "| operation | gateway round trip | our CLI (wall) | raw CDP floor | ratio to floor | "
      "OpenClaw 2026.9.6 gateway-side (recorded) |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& r : rows) {
    double ratio = percentile(r.gateway, 0.5) / percentile(r.raw, 0.5);
    std::printf("| %s | %s | %s | %s | %.2fx | %s ms (+3-5 s CLI start) |\n", r.op.c_str(),
                cell(r.gateway).c_str(), cell(r.cli).c_str(), cell(r.raw).c_str(), ratio,
                r.openclaw.c_str());
  }
  std::printf("\nStart, ms\n\n| what | ms |\n|---|---|\n");
  std::printf("| Chromium's own launch to /json/version (raw, p50 of 3) | %.0f |\n",
              percentile(raw_launch, 0.5));
  std::printf("| our POST /start, cold (first launch, new user-data) | %.0f |\n",
              our_start_cold[0]);
  std::printf("| our POST /start, warm (p50 of 2) | %.0f |\n", percentile(our_start_warm, 0.5));
  std::printf("| our overhead in the warm start (ours - raw) | %.0f |\n",
              percentile(our_start_warm, 0.5) - percentile(raw_launch, 0.5));
  std::printf("| plugin-measured launch of the last start (spawn to CDP ready) | %.0f |\n",
              launch_ms);
  std::printf("| OpenClaw 2026.9.6 POST /start, cold / warm (recorded) | 11667 / 1032 |\n");
  std::printf("\nGateway\n\n| measure | without browser | with browser running |\n|---|---|---|\n");
  std::printf("| gateway RSS, MB (Chromium's own excluded) | %.1f | %.1f |\n", rss_idle / 1024.0,
              rss_browser / 1024.0);
  std::printf("| WebSocket health calls/s, one client | %.0f | %.0f |\n", health_before,
              health_during);

  call("POST", "/stop");
  ::kill(gw, SIGTERM);
  ::waitpid(gw, nullptr, 0);
  asio::post(page_io, [&] {
    pages.stop();
    page_io.stop();
  });
  page_thread.join();
  std::error_code ec;
  fs::remove_all(g_home, ec);
  return 0;
}
