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
#include "openclaw/sdk/url.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace asio = boost::asio;

namespace {

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 &&
         !contains(read_file("/proc/" + std::to_string(pid) + "/stat"), ") Z ");
}

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
      return sdk::HttpResponse::text(201,
                                     r.method + " " + r.body + " " +
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
  sdk::HttpClientRequest ftp;
  ftp.url = "ftp://127.0.0.1/";
  sdk::http_request(io, ftp, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  BOOST_TEST(contains(got->error, "not an HTTP URL"));
  server.stop();
}

// A private CA and a server certificate for "localhost" only, made with the openssl CLI, and
// `openssl s_server -www` serving TLS on a registry-granted port.
struct TlsServer {
  TempDir dir;
  PortBlock block{1};
  std::unique_ptr<Child> server;
  fs::path ca() const { return dir.path() / "ca.pem"; }
  std::string origin(const std::string& host) const {
    return host + ":" + std::to_string(block.base());
  }
  TlsServer() {
    auto openssl = sdk::find_program("openssl");
    BOOST_REQUIRE_MESSAGE(openssl.has_value(), "openssl is not installed: run scripts/setup");
    std::string d = dir.path().string();
    std::string cmd =
        "cd " + d + " && " + openssl->string() +
        " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key"
        " -out ca.pem -days 2 -subj '/CN=openclaw test CA' 2>/dev/null && " +
        openssl->string() +
        " req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr"
        " -subj '/CN=localhost' 2>/dev/null && printf 'subjectAltName=DNS:localhost\n' > ext && " +
        openssl->string() +
        " x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2"
        " -extfile ext 2>/dev/null";
    BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
    server = std::make_unique<Child>(
        std::vector<std::string>{openssl->string(), "s_server", "-accept",
                                 "127.0.0.1:" + std::to_string(block.base()), "-cert",
                                 d + "/srv.pem", "-key", d + "/srv.key", "-www", "-quiet"},
        std::map<std::string, std::string>{}, dir.path());
    BOOST_REQUIRE(poll_until([&] { return port_accepts(block.base()); }, 10s));
  }
  ~TlsServer() { server->stop(SIGTERM); }
};

sdk::HttpClientResponse fetch(asio::io_context& io, const std::string& url, const std::string& ca) {
  std::optional<sdk::HttpClientResponse> got;
  sdk::HttpClientRequest req;
  req.url = url;
  req.ca_file = ca;
  req.timeout = 10s;
  sdk::http_request(io, req, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(
      io, [&] { return got.has_value(); }, 15s));
  return *got;
}

BOOST_AUTO_TEST_CASE(https_verifies_the_chain_and_the_host_name) {
  asio::io_context io;
  TlsServer tls;
  // Trusted CA and the certificate's own name: a real response over TLS.
  auto ok = fetch(io, "https://" + tls.origin("localhost") + "/", tls.ca().string());
  BOOST_TEST(ok.error.empty(), ok.error);
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(contains(ok.body, "s_server"));
  // The system's trust store does not know this CA.
  auto untrusted = fetch(io, "https://" + tls.origin("localhost") + "/", "");
  BOOST_TEST(contains(untrusted.error, "TLS handshake"), untrusted.error);
  BOOST_TEST(contains(untrusted.error, "certificate"), untrusted.error);
  // The right CA but another name than the certificate's.
  auto wrong_name = fetch(io, "https://" + tls.origin("127.0.0.1") + "/", tls.ca().string());
  BOOST_TEST(contains(wrong_name.error, "TLS handshake"), wrong_name.error);
  // A CA file that is not there.
  auto no_ca = fetch(io, "https://" + tls.origin("localhost") + "/", "/nonexistent/ca.pem");
  BOOST_TEST(contains(no_ca.error, "/nonexistent/ca.pem"), no_ca.error);
}

BOOST_AUTO_TEST_CASE(wss_runs_the_same_tls_checks) {
  asio::io_context io;
  TlsServer tls;
  auto attempt = [&](const std::string& host, const std::string& ca) {
    std::optional<std::string> reason;
    sdk::WebSocketClient::Handlers h;
    h.on_close = [&](int, std::string r) { reason = r; };
    sdk::WebSocketClient::Options o;
    o.ca_file = ca;
    auto ws = sdk::WebSocketClient::connect(io, "wss://" + tls.origin(host) + "/", h, o);
    BOOST_REQUIRE(run_until(
        io, [&] { return reason.has_value(); }, 15s));
    return *reason;
  };
  // TLS verified, then s_server answers the upgrade with a plain page: the WebSocket step fails.
  BOOST_TEST(contains(attempt("localhost", tls.ca().string()), "WebSocket handshake"));
  BOOST_TEST(contains(attempt("localhost", ""), "TLS handshake"));
  BOOST_TEST(contains(attempt("127.0.0.1", tls.ca().string()), "TLS handshake"));
}

BOOST_AUTO_TEST_CASE(kept_connections_are_reused_bounded_and_retried_when_stale) {
  asio::io_context io;
  PortBlock block(1);
  int served = 0;
  auto serve = [&] {
    auto srv = std::make_unique<sdk::HttpServer>(io, [&](const sdk::HttpRequest& r) {
      ++served;
      return sdk::HttpResponse::text(200, r.method + " " + r.body, "text/plain");
    });
    srv->listen("127.0.0.1", block.base());
    return srv;
  };
  auto server = serve();
  sdk::HttpClient::Options o;
  o.max_connections = 4;
  auto client = sdk::HttpClient::create(io, o);
  std::string url = "http://127.0.0.1:" + std::to_string(block.base()) + "/x";
  auto one = [&](const std::string& body) {
    std::optional<sdk::HttpClientResponse> got;
    sdk::HttpClientRequest r;
    r.method = "POST";
    r.url = url;
    r.body = body;
    client->request(r, [&](sdk::HttpClientResponse x) { got = std::move(x); });
    BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
    return *got;
  };
  // One after another: one connection for all.
  for (int i = 0; i < 20; ++i)
    BOOST_TEST(one(std::to_string(i)).body == "POST " + std::to_string(i));
  BOOST_TEST(client->open_connections() == 1u);
  // Forty at once: never more than four connections, every one answered in full.
  int answered = 0;
  std::size_t most = 0;
  for (int i = 0; i < 40; ++i) {
    sdk::HttpClientRequest r;
    r.method = "POST";
    r.url = url;
    r.body = "p" + std::to_string(i);
    client->request(r, [&, i](sdk::HttpClientResponse x) {
      BOOST_TEST(x.body == "POST p" + std::to_string(i));
      ++answered;
    });
  }
  BOOST_REQUIRE(run_until(io, [&] {
    most = std::max(most, client->open_connections());
    return answered == 40;
  }));
  BOOST_TEST(most <= 4u);
  BOOST_TEST(client->open_connections() == 4u);
  // The server goes away and comes back: the kept connections are dead; the next request is sent
  // again on a new one without the caller noticing.
  server->stop();
  server.reset();
  io.run_for(std::chrono::milliseconds(20));
  server = serve();
  int before = served;
  auto again = one("after restart");
  BOOST_TEST(again.error.empty(), again.error);
  BOOST_TEST(again.body == "POST after restart");
  BOOST_TEST(served == before + 1);
  // A refused origin is a clear error, once.
  std::optional<sdk::HttpClientResponse> refused;
  sdk::HttpClientRequest bad;
  bad.url = "http://127.0.0.1:1/nothing";
  client->request(bad, [&](sdk::HttpClientResponse x) { refused = std::move(x); });
  BOOST_REQUIRE(run_until(io, [&] { return refused.has_value(); }));
  BOOST_TEST(contains(refused->error, "connect"), refused->error);
  server->stop();
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
  sdk::HttpServer server(io,
                         [](const sdk::HttpRequest&) { return sdk::HttpResponse::text(404, ""); });
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
  auto ws = sdk::WebSocketClient::connect(
      io, "ws://127.0.0.1:" + std::to_string(block.base()) + "/x", ch);
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
  auto ws2 = sdk::WebSocketClient::connect(
      io, "ws://127.0.0.1:" + std::to_string(block.base()) + "/", ch2);
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

BOOST_AUTO_TEST_CASE(percent_decoding_is_strict_for_paths_and_lenient_for_queries) {
  auto decoded = [](std::string_view text, sdk::PercentDecoding how = {}) {
    return sdk::percent_decode(text, how).value_or("(malformed)");
  };
  BOOST_TEST(decoded("/a%20b/%41%2f%c3%A9") == "/a b/A/\xc3\xa9");
  BOOST_TEST(decoded("a+b") == "a+b");  // a path's '+' is itself
  BOOST_TEST(decoded("a+b", {.plus_as_space = true}) == "a b");
  BOOST_TEST(decoded("%2541") == "%41");  // one pass: a decoded '%' is not read again
  BOOST_TEST(decoded("") == "");
  BOOST_TEST(decoded("%00") == std::string(1, '\0'));  // a NUL comes back: the caller decides
  // A malformed escape fails the strict decode, and stays as it is in the lenient one.
  for (const char* bad : {"%", "%4", "%zz", "a%g1", "%%41", "x%"}) {
    BOOST_TEST(!sdk::percent_decode(bad).has_value(), bad);
    BOOST_TEST(sdk::percent_decode(bad, {.keep_malformed = true}).has_value(), bad);
  }
  BOOST_TEST(decoded("%zz%41+", {.plus_as_space = true, .keep_malformed = true}) == "%zzA ");
  BOOST_TEST(decoded("%%41", {.keep_malformed = true}) == "%A");
}

BOOST_AUTO_TEST_SUITE_END()
