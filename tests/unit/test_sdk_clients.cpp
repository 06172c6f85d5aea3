// SDK building blocks for plugins that drive other programs and services: supervised child
// processes and the asynchronous HTTP and WebSocket clients, each against the real thing
// (real processes, a real server on a registry-granted loopback port).
#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "openclaw/sdk/process.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace asio = boost::asio;

namespace {

// Runs `io` until `done` holds or `deadline` passes; true when it held.
template <typename F>
bool run_until(asio::io_context& io, F&& done, std::chrono::milliseconds deadline = 10s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    io.run_for(5ms);
    if (io.stopped()) io.restart();
  }
  return true;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 && !contains(read_file("/proc/" + std::to_string(pid) + "/stat"), ") Z "); }

sdk::ProcessOptions sh(const std::string& script) {
  sdk::ProcessOptions o;
  o.program = "sh";
  o.args = {"-c", script};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_clients)

BOOST_AUTO_TEST_CASE(child_output_lines_env_cwd_and_exit_code) {
  asio::io_context io;
  TempDir dir;
  std::vector<std::string> lines;
  std::optional<sdk::ProcessExit> exit;
  auto o = sh("echo one; echo two >&2; printf 'partial'; echo \"$OC_TEST_VAR\"; pwd; exit 7");
  o.env["OC_TEST_VAR"] = "from-env";
  o.env["HOME"] = std::nullopt;
  o.cwd = dir.path();
  auto child = sdk::ChildProcess::start(
      io, o, [&](std::string_view l) { lines.emplace_back(l); },
      [&](const sdk::ProcessExit& e) { exit = e; });
  BOOST_TEST(child->pid() > 0);
  BOOST_REQUIRE(run_until(io, [&] { return exit.has_value(); }));
  BOOST_TEST(exit->exit_code == 7);
  BOOST_TEST(exit->signal == 0);
  BOOST_TEST(exit->describe() == "exited with status 7");
  BOOST_TEST(!child->running());
  std::string all;
  for (auto& l : lines) all += l + "|";
  BOOST_TEST(contains(all, "one|"));
  BOOST_TEST(contains(all, "two|"));
  BOOST_TEST(contains(all, "partialfrom-env|"));
  BOOST_TEST(contains(all, dir.path().string() + "|"));
}

BOOST_AUTO_TEST_CASE(missing_program_is_a_clear_error) {
  asio::io_context io;
  sdk::ProcessOptions o;
  o.program = "no-such-program-openclaw";
  try {
    sdk::ChildProcess::start(io, o, {}, {});
    BOOST_FAIL("expected an error");
  } catch (const std::system_error& e) {
    BOOST_TEST(contains(e.what(), "no-such-program-openclaw"));
    BOOST_TEST(contains(e.what(), "not found on PATH"));
  }
  BOOST_TEST(!sdk::find_program("no-such-program-openclaw").has_value());
  BOOST_TEST(sdk::find_program("sh").has_value());
}

BOOST_AUTO_TEST_CASE(stop_escalates_to_kill_and_sweeps_detached_descendants) {
  asio::io_context io;
  TempDir dir;
  fs::path pidfile = dir.path() / "grandchild.pid";
  // The child ignores SIGTERM and leaves a grandchild in a session of its own (as Chromium's
  // crashpad handler does): both must be gone after stop().
  auto o = sh("trap '' TERM; setsid sh -c 'trap \"\" TERM; echo $$ > " + pidfile.string() +
              "; exec sleep 300' & while :; do sleep 1; done");
  o.stop_grace = 300ms;
  std::optional<sdk::ProcessExit> exit;
  auto child = sdk::ChildProcess::start(io, o, {}, [&](const sdk::ProcessExit& e) { exit = e; });
  BOOST_REQUIRE(poll_until([&] { return fs::exists(pidfile) && fs::file_size(pidfile) > 0; }, 10s));
  pid_t grandchild = std::stoi(read_file(pidfile));
  BOOST_REQUIRE(alive(grandchild));
  child->stop();
  BOOST_REQUIRE(run_until(io, [&] { return exit.has_value(); }));
  BOOST_TEST(exit->signal == SIGKILL);
  BOOST_TEST(!alive(grandchild));
  BOOST_TEST(!alive(child->pid()));
}

BOOST_AUTO_TEST_CASE(destroying_the_handle_leaves_nothing_behind) {
  asio::io_context io;
  TempDir dir;
  fs::path pidfile = dir.path() / "grandchild.pid";
  auto o = sh("setsid sh -c 'echo $$ > " + pidfile.string() + "; exec sleep 300' & exec sleep 300");
  auto child = sdk::ChildProcess::start(io, o, {}, {});
  pid_t pid = child->pid();
  BOOST_REQUIRE(poll_until([&] { return fs::exists(pidfile) && fs::file_size(pidfile) > 0; }, 10s));
  pid_t grandchild = std::stoi(read_file(pidfile));
  child.reset();
  BOOST_TEST(!alive(pid));
  BOOST_TEST(poll_until([&] { return !alive(grandchild); }, 5s));
}

BOOST_AUTO_TEST_CASE(the_supervisor_does_not_show_the_hosts_command_line) {
  asio::io_context io;
  auto child = sdk::ChildProcess::start(io, sh("exec sleep 300"), {}, {});
  std::string stat = read_file("/proc/" + std::to_string(child->pid()) + "/stat");
  auto close = stat.rfind(')');
  pid_t supervisor = std::stoi(stat.substr(close + 4));  // ") S <ppid>"
  std::string cmdline = read_file("/proc/" + std::to_string(supervisor) + "/cmdline");
  BOOST_TEST(cmdline.rfind("openclaw-supervisor", 0) == 0u);
  BOOST_TEST(!contains(cmdline, "unit_tests"));
}

BOOST_AUTO_TEST_CASE(http_client_against_a_real_server) {
  asio::io_context io;
  PortBlock block(2);
  sdk::HttpServer server(io, [](const sdk::HttpRequest& r) {
    if (r.path == "/echo") {
      return sdk::HttpResponse::text(201, r.method + " " + r.body + " " +
                                              (r.headers.count("x-test") ? r.headers.at("x-test") : ""));
    }
    return sdk::HttpResponse::text(404, "nope");
  });
  server.listen("127.0.0.1", block.base());
  std::string base = "http://127.0.0.1:" + std::to_string(block.base());

  std::optional<sdk::HttpClientResponse> got;
  sdk::HttpClientRequest req;
  req.method = "POST";
  req.url = base + "/echo";
  req.body = "hi";
  req.headers = {{"X-Test", "yes"}};
  bool returned = false;
  sdk::http_request(io, req, [&](sdk::HttpClientResponse r) {
    BOOST_TEST(returned);  // never called from inside http_request
    got = std::move(r);
  });
  returned = true;
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  BOOST_TEST(got->error.empty());
  BOOST_TEST(got->status == 201);
  BOOST_TEST(got->body == "POST hi yes");
  BOOST_TEST(got->headers.count("content-type") == 1u);

  // Nothing listens on the next port: refused, said so.
  got.reset();
  sdk::HttpClientRequest refused;
  refused.url = "http://127.0.0.1:" + std::to_string(block.base() + 1) + "/";
  sdk::http_request(io, refused, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  BOOST_TEST(contains(got->error, "refused"));

  got.reset();
  sdk::HttpClientRequest tls;
  tls.url = "https://127.0.0.1/";
  sdk::http_request(io, tls, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  BOOST_TEST(contains(got->error, "https:// URLs are not supported"));
  server.stop();
}

BOOST_AUTO_TEST_CASE(http_client_times_out_on_a_silent_server) {
  asio::io_context io;
  PortBlock block(1);
  Listener silent(block.base());  // accepts (backlog) but never answers
  BOOST_REQUIRE(silent.ok());
  std::optional<sdk::HttpClientResponse> got;
  sdk::HttpClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(block.base()) + "/";
  req.timeout = 200ms;
  auto t0 = std::chrono::steady_clock::now();
  sdk::http_request(io, req, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  BOOST_TEST(contains(got->error, "timed out after 200 ms"));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
}

BOOST_AUTO_TEST_CASE(websocket_client_round_trip_and_close) {
  asio::io_context io;
  PortBlock block(1);
  sdk::HttpServer server(io, [](const sdk::HttpRequest&) { return sdk::HttpResponse::text(404, ""); });
  sdk::WebSocketHandlers h;
  h.on_message = [](const std::shared_ptr<sdk::WebSocket>& ws, std::string m) {
    if (std::string_view(m) == std::string_view("bye")) {
      ws->close(4001, "asked to");
    } else {
      ws->send("echo:" + m);
    }
  };
  server.set_websocket(h);
  server.listen("127.0.0.1", block.base());

  std::vector<std::string> got;
  bool opened = false;
  std::optional<std::pair<int, std::string>> closed;
  sdk::WebSocketClient::Handlers ch;
  ch.on_open = [&] { opened = true; };
  ch.on_message = [&](std::string m) { got.push_back(m); };
  ch.on_close = [&](int code, std::string reason) { closed = {code, reason}; };
  auto ws = sdk::WebSocketClient::connect(io, "ws://127.0.0.1:" + std::to_string(block.base()) + "/x", ch);
  ws->send("a");  // queued before the handshake, sent after it
  ws->send(std::string(100000, 'b'));
  BOOST_REQUIRE(run_until(io, [&] { return got.size() == 2; }));
  BOOST_TEST(opened);
  BOOST_TEST(got[0] == "echo:a");
  BOOST_TEST(got[1].size() == 100005u);
  ws->send("bye");
  BOOST_REQUIRE(run_until(io, [&] { return closed.has_value(); }));
  BOOST_TEST(closed->first == 4001);
  BOOST_TEST(closed->second == "asked to");
  BOOST_TEST(!ws->is_open());
  BOOST_TEST(!ws->send("late"));

  // Refused connections report once, with why.
  closed.reset();
  server.stop();
  sdk::WebSocketClient::Handlers ch2;
  ch2.on_close = [&](int code, std::string reason) { closed = {code, reason}; };
  auto ws2 = sdk::WebSocketClient::connect(io, "ws://127.0.0.1:" + std::to_string(block.base()) + "/", ch2);
  BOOST_REQUIRE(run_until(io, [&] { return closed.has_value(); }));
  BOOST_TEST(closed->first == 1006);
  BOOST_TEST(contains(closed->second, "refused"));
}

BOOST_AUTO_TEST_CASE(url_parsing) {
  auto u = sdk::Url::parse("HTTP://Example.COM:8080/a/b?c=d#frag");
  BOOST_REQUIRE(u.has_value());
  BOOST_TEST(u->scheme == "http");
  BOOST_TEST(u->host == "example.com");
  BOOST_TEST(u->port == 8080);
  BOOST_TEST(u->target == "/a/b?c=d");
  BOOST_TEST(u->origin() == "http://example.com:8080");
  auto v6 = sdk::Url::parse("ws://[::1]:9222");
  BOOST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->target == "/");
  BOOST_TEST(sdk::Url::parse("https://x.test")->port == 443);
  for (const char* bad : {"", "nothing", "http://", "http://user@host/", "http://h:99999/",
                          "http://h:x/", "://h", "http://a b/"}) {
    BOOST_TEST(!sdk::Url::parse(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
