// The bundled canvas plugin on real sockets: each instance serves its own root on its own
// base + 4, static-file semantics (ETag, Range, HEAD, 405), every traversal form refused, a
// 200 MB file streamed with the gateway's memory flat, and live reload: 1000 sockets told of one
// change, and a real headless Chromium (driven through the browser plugin) showing new content
// without any action from the test.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "gateway/client.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
using openclaw::gateway::Client;
using openclaw::gateway::ClientOptions;
namespace json = boost::json;
namespace sdk = openclaw::sdk;

namespace {

// One raw HTTP/1.1 exchange (Connection: close): the status code, the head and the body.
struct Raw {
  int status = 0;
  std::string head;
  std::string body;
  std::string header(const std::string& name) const {
    std::string h = head, n = name + ":";
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = h.find("\r\n" + n);
    if (at == std::string::npos) return {};
    auto start = at + 2 + n.size();
    auto end = h.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

int connect_to(int port, int timeout_seconds = 10) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

Raw raw(int port, const std::string& method, const std::string& target,
        const std::vector<std::string>& headers = {}, int timeout_seconds = 10) {
  int fd = connect_to(port, timeout_seconds);
  BOOST_REQUIRE(fd >= 0);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "\r\n";
  BOOST_REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string all;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  Raw r;
  auto end = all.find("\r\n\r\n");
  BOOST_REQUIRE_MESSAGE(end != std::string::npos, "no HTTP answer for " << target);
  r.head = all.substr(0, end);
  r.body = all.substr(end + 4);
  r.status = std::stoi(all.substr(9, 3));
  return r;
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Gateway {
  Sandbox& sb;
  std::string profile;
  PortBlock block{240};
  std::unique_ptr<Child> gw;
  Gateway(Sandbox& s, std::string name) : sb(s), profile(std::move(name)) {
    set("gateway.port", std::to_string(block.base()));
  }
  ~Gateway() {
    if (gw && gw->running()) gw->stop(SIGTERM, 20s);
  }
  void set(const std::string& key, const std::string& value) {
    auto r = sb.run({"--profile", profile, "config", "set", key, value});
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  }
  void start() {
    gw = sb.spawn({"--profile", profile, "gateway"},
                  {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block, 120)}});
    BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  }
  int canvas() const { return block.base() + 4; }
  fs::path root() const { return sb.home() / ".openclaw" / ("workspace-" + profile) / "canvas"; }
  ClientOptions options() const {
    ClientOptions o;
    o.url = "ws://127.0.0.1:" + std::to_string(block.base());
    o.timeout = 30s;
    return o;
  }
  json::value call(const std::string& method, const json::value& params = nullptr) {
    Client c(options());
    return c.call(method, params);
  }
};

void set_bundled(Sandbox& sb) {
  sb.env()["OPENCLAW_BUNDLED_PLUGINS_DIR"] = std::string(OPENCLAW_BUILD_DIR) + "/plugins";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canvas_plugin)

BOOST_AUTO_TEST_CASE(main_and_rescue_serve_their_own_roots) {
  Sandbox sb;
  set_bundled(sb);
  Gateway main(sb, "main"), rescue(sb, "rescue");
  main.start();
  rescue.start();
  // First start: each root was created with a starter page.
  BOOST_TEST(fs::exists(main.root() / "index.html"));
  BOOST_TEST(fs::exists(rescue.root() / "index.html"));
  write_file(main.root() / "who.txt", "main");
  write_file(rescue.root() / "who.txt", "rescue");
  BOOST_TEST(raw(main.canvas(), "GET", "/__openclaw__/canvas/who.txt").body == "main");
  BOOST_TEST(raw(rescue.canvas(), "GET", "/__openclaw__/canvas/who.txt").body == "rescue");
  write_file(main.root() / "only-main.txt", "m");
  BOOST_TEST(raw(rescue.canvas(), "GET", "/__openclaw__/canvas/only-main.txt").status == 404);
  // The same files on each gateway port, and / redirects to the mount.
  BOOST_TEST(raw(main.block.base(), "GET", "/__openclaw__/canvas/who.txt").body == "main");
  BOOST_TEST(raw(rescue.block.base(), "GET", "/__openclaw__/canvas/who.txt").body == "rescue");
  auto redirect = raw(main.canvas(), "GET", "/");
  BOOST_TEST(redirect.status == 302);
  BOOST_TEST(redirect.header("Location") == "/__openclaw__/canvas/");
  // HTML carries the live-reload script on both ports; both take its WebSocket.
  auto html = raw(main.canvas(), "GET", "/__openclaw__/canvas/");
  BOOST_TEST(html.status == 200);
  BOOST_TEST(contains(html.body, "/__openclaw__/ws"));
  BOOST_TEST(
      contains(raw(main.block.base(), "GET", "/__openclaw__/canvas/").body, "/__openclaw__/ws"));
  {
    boost::asio::io_context io;
    int told = 0, opened = 0;
    std::vector<std::unique_ptr<sdk::WebSocketClient>> pages;
    for (int port : {main.canvas(), main.block.base()}) {
      sdk::WebSocketClient::Handlers h;
      h.on_open = [&] { ++opened; };
      h.on_message = [&](std::string m) { told += contains(m, "reload") ? 1 : 0; };
      pages.push_back(sdk::WebSocketClient::connect(
          io, "ws://127.0.0.1:" + std::to_string(port) + "/__openclaw__/ws", h));
    }
    auto until = std::chrono::steady_clock::now() + 10s;
    while (opened < 2 && std::chrono::steady_clock::now() < until) io.run_for(10ms);
    BOOST_REQUIRE_EQUAL(opened, 2);
    BOOST_REQUIRE(poll_until(
        [&] { return main.call("canvas.status").at("pagesConnected").as_int64() == 2; }, 10s));
    // Reloads for the files written above may still be on their way: let them land, then count.
    io.run_for(300ms);
    told = 0;
    BOOST_TEST(main.call("canvas.reload").at("notified").as_int64() == 2);
    until = std::chrono::steady_clock::now() + 10s;
    while (told < 2 && std::chrono::steady_clock::now() < until) io.run_for(10ms);
    BOOST_TEST(told == 2);
    // The gateway protocol still answers on its own path.
    BOOST_TEST(main.call("health").at("ok").as_bool());
  }
  // OpenClaw's hosted documents folder, at its path.
  fs::path doc = sb.home() / ".openclaw-main" / "canvas" / "documents" / "d1";
  fs::create_directories(doc);
  write_file(doc / "index.html", "<p>document one</p>");
  BOOST_TEST(contains(raw(main.block.base(), "GET", "/__openclaw__/canvas/documents/d1/").body,
                      "document one"));
  // Status through the gateway method and the CLI.
  auto st = main.call("canvas.status");
  BOOST_TEST(st.at("port").as_int64() == main.canvas());
  BOOST_TEST(st.at("root").as_string() == main.root().string());
  BOOST_TEST(st.at("liveReload").as_bool());
  auto cli = sb.run({"--profile", "main", "canvas", "status"});
  BOOST_TEST(cli.code == 0, cli.err);
  BOOST_TEST(contains(cli.out, main.root().string()));
}

BOOST_AUTO_TEST_CASE(root_keys_follow_openclaws_precedence) {
  Sandbox sb;
  set_bundled(sb);
  TempDir a, b;
  write_file(a.path() / "x.txt", "from canvasHost.root");
  write_file(b.path() / "x.txt", "from plugins.entries.canvas.config.host.root");
  Gateway gw(sb, "keys");
  gw.set("canvasHost.root", a.path().string());
  gw.start();
  BOOST_TEST(raw(gw.canvas(), "GET", "/__openclaw__/canvas/x.txt").body == "from canvasHost.root");
  gw.gw->stop(SIGTERM);
  gw.set("plugins.entries.canvas.config.host.root", b.path().string());
  gw.start();
  BOOST_TEST(raw(gw.canvas(), "GET", "/__openclaw__/canvas/x.txt").body ==
             "from plugins.entries.canvas.config.host.root");
}

BOOST_AUTO_TEST_CASE(static_semantics_and_path_safety) {
  Sandbox sb;
  set_bundled(sb);
  Gateway gw(sb, "files");
  gw.start();
  std::string data;
  for (int i = 0; i < 5000; ++i) data += static_cast<char>('A' + i % 26);
  write_file(gw.root() / "media.bin", data);
  write_file(gw.root() / "style.css", "body{}");
  fs::create_directories(gw.root() / "sub");
  write_file(gw.root() / "sub" / "index.html", "<p>sub</p>");
  write_file(sb.home() / "secret.txt", "secret");
  fs::create_symlink(sb.home() / "secret.txt", gw.root() / "link.txt");
  const std::string m = "/__openclaw__/canvas";
  for (int port : {gw.canvas(), gw.block.base()}) {
    BOOST_TEST_CONTEXT("port " << port) {
      auto full = raw(port, "GET", m + "/media.bin");
      BOOST_TEST(full.status == 200);
      BOOST_TEST(full.body == data);
      BOOST_TEST(full.header("Content-Type") == "application/octet-stream");
      BOOST_TEST(raw(port, "GET", m + "/style.css").header("Content-Type") ==
                 "text/css; charset=utf-8");
      std::string etag = full.header("ETag");
      BOOST_TEST(!etag.empty());
      BOOST_TEST(!full.header("Last-Modified").empty());
      auto cached = raw(port, "GET", m + "/media.bin", {"If-None-Match: " + etag});
      BOOST_TEST(cached.status == 304);
      BOOST_TEST(cached.body.empty());
      auto range = raw(port, "GET", m + "/media.bin", {"Range: bytes=100-199"});
      BOOST_TEST(range.status == 206);
      BOOST_TEST(range.body == data.substr(100, 100));
      BOOST_TEST(range.header("Content-Range") == "bytes 100-199/5000");
      BOOST_TEST(raw(port, "GET", m + "/media.bin", {"Range: bytes=-10"}).body ==
                 data.substr(4990));
      auto past = raw(port, "GET", m + "/media.bin", {"Range: bytes=9000-"});
      BOOST_TEST(past.status == 416);
      BOOST_TEST(past.header("Content-Range") == "bytes */5000");
      auto head = raw(port, "HEAD", m + "/media.bin");
      BOOST_TEST(head.status == 200);
      BOOST_TEST(head.header("Content-Length") == "5000");
      BOOST_TEST(head.body.empty());
      auto dir = raw(port, "GET", m + "/sub");
      BOOST_TEST(dir.status == 301);
      BOOST_TEST(dir.header("Location") == m + "/sub/");
      BOOST_TEST(contains(raw(port, "GET", m + "/sub/").body, "<p>sub</p>"));
      BOOST_TEST(raw(port, "GET", m + "/nope.html").status == 404);
      BOOST_TEST(raw(port, "POST", m + "/media.bin").status == 405);
      BOOST_TEST(raw(port, "DELETE", m + "/media.bin").status == 405);
      for (const std::string evil :
           {"/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc/passwd",
            "/%252e%252e/%252e%252e/etc/passwd", "/..%5c..%5cetc/passwd", "/..\\..\\etc\\passwd",
            "/media.bin%00.txt", "/link.txt", "/sub/../../secret.txt"}) {
        auto r = raw(port, "GET", m + evil);
        BOOST_TEST((r.status == 403 || r.status == 404 || r.status == 400),
                   evil << " -> " << r.status);
        BOOST_TEST(!contains(r.body, "secret"), evil);
        BOOST_TEST(!contains(r.body, "root:"), evil);
      }
    }
  }
}

// A FIFO opened for reading waits for a writer; on the one I/O thread that wait stopped every
// answer, health included. Each of these is refused at once and the gateway keeps answering.
BOOST_AUTO_TEST_CASE(
    a_fifo_a_socket_or_a_device_in_the_root_is_refused_and_health_keeps_answering) {
  Sandbox sb;
  set_bundled(sb);
  Gateway gw(sb, "special");
  gw.start();
  BOOST_REQUIRE(::mkfifo((gw.root() / "pipe.html").c_str(), 0644) == 0);
  int unix_socket = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string socket_path = (gw.root() / "sock").string();
  BOOST_REQUIRE(socket_path.size() < sizeof addr.sun_path);
  std::copy(socket_path.begin(), socket_path.end(), addr.sun_path);
  BOOST_REQUIRE(::bind(unix_socket, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  fs::create_symlink("/dev/zero", gw.root() / "zero.bin");
  fs::create_directories(gw.root() / "dir");
  BOOST_REQUIRE(::mkfifo((gw.root() / "dir" / "index.html").c_str(), 0644) == 0);
  const std::string m = "/__openclaw__/canvas";
  for (int port : {gw.canvas(), gw.block.base()}) {
    for (const std::string name : {"/pipe.html", "/sock", "/zero.bin", "/dir/"}) {
      BOOST_TEST_CONTEXT("port " << port << " " << name) {
        auto r = raw(port, "GET", m + name, {}, 3);
        BOOST_TEST((r.status == 403 || r.status == 404), r.status);
        BOOST_TEST(r.body.size() < 1000u);  // a refusal page, not /dev/zero's bytes
        auto health = raw(gw.block.base(), "GET", "/healthz", {}, 3);
        BOOST_TEST(health.status == 200);
      }
    }
  }
  BOOST_TEST(
      poll_until([&] { return contains(gw.gw->err(), "canvas: refused /pipe.html: is a FIFO"); },
                 5s),
      gw.gw->err());
  ::close(unix_socket);
}

// A request target is logged without its query (a ?token= stays out of the log) and capped.
BOOST_AUTO_TEST_CASE(refusals_are_logged_without_the_query_and_capped) {
  Sandbox sb;
  set_bundled(sb);
  Gateway gw(sb, "logged");
  gw.start();
  const std::string m = "/__openclaw__/canvas";
  BOOST_TEST(raw(gw.canvas(), "GET", m + "/%2e%2e/x?token=hunter2-secret").status == 403);
  std::string long_name(4000, 'a');
  BOOST_TEST(raw(gw.canvas(), "GET", m + "/%2e%2e/" + long_name).status == 403);
  BOOST_REQUIRE(poll_until([&] { return contains(gw.gw->err(), "(truncated)"); }, 5s));
  std::string err = gw.gw->err();
  BOOST_TEST(!contains(err, "hunter2"));
  BOOST_TEST(!contains(err, std::string(1000, 'a')));
}

BOOST_AUTO_TEST_CASE(a_200_mb_file_streams_with_flat_memory) {
  Sandbox sb;
  set_bundled(sb);
  Gateway gw(sb, "big");
  gw.start();
  const std::uint64_t size = 200ull << 20;
  {
    std::ofstream out(gw.root() / "big.bin", std::ios::binary);
    std::string chunk(1 << 20, 'z');
    for (int i = 0; i < 200; ++i)
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  }
  long before = rss_kb(gw.gw->pid());
  int fd = connect_to(gw.canvas());
  BOOST_REQUIRE(fd >= 0);
  std::string req =
      "GET /__openclaw__/canvas/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  BOOST_REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::uint64_t got = 0;
  long peak = before;
  char buf[1 << 16];
  ssize_t n;
  int reads = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    got += static_cast<std::uint64_t>(n);
    if (++reads % 64 == 0) peak = std::max(peak, rss_kb(gw.gw->pid()));
  }
  ::close(fd);
  BOOST_TEST(got > size);  // the body plus the head
  BOOST_TEST(got < size + 4096);
  BOOST_TEST(peak - before < 16 * 1024, "RSS grew by " << (peak - before) << " kB while streaming");
}

BOOST_AUTO_TEST_CASE(a_thousand_live_reload_sockets_are_all_told) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  BOOST_REQUIRE_MESSAGE(rl.rlim_cur >= 2100, "need 2100 file descriptors, have " << rl.rlim_cur);
  Sandbox sb;
  set_bundled(sb);
  Gateway gw(sb, "many");
  gw.start();
  boost::asio::io_context io;
  const int kClients = 1000;
  int opened = 0, told = 0;
  std::vector<std::unique_ptr<sdk::WebSocketClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    sdk::WebSocketClient::Handlers h;
    h.on_open = [&] { ++opened; };
    h.on_message = [&](std::string m) {
      if (contains(m, "\"reload\"")) ++told;
    };
    clients.push_back(sdk::WebSocketClient::connect(
        io, "ws://127.0.0.1:" + std::to_string(gw.canvas()) + "/__openclaw__/ws", h));
  }
  auto until = std::chrono::steady_clock::now() + 30s;
  while (opened < kClients && std::chrono::steady_clock::now() < until) io.run_for(10ms);
  BOOST_REQUIRE_EQUAL(opened, kClients);
  // The plugin counts them once the upgrade is through.
  BOOST_REQUIRE(poll_until(
      [&] { return gw.call("canvas.status").at("pagesConnected").as_int64() == kClients; }, 10s));
  write_file(gw.root() / "index.html", "<p>changed</p>");
  until = std::chrono::steady_clock::now() + 30s;
  while (told < kClients && std::chrono::steady_clock::now() < until) io.run_for(10ms);
  BOOST_TEST(told == kClients);
  auto st = gw.call("canvas.status");
  BOOST_TEST(st.at("lastChange").at("paths").as_array().front().as_string() == "index.html");
  // canvas.reload tells them again without a change.
  told = 0;
  BOOST_TEST(gw.call("canvas.reload").at("notified").as_int64() == kClients);
  until = std::chrono::steady_clock::now() + 30s;
  while (told < kClients && std::chrono::steady_clock::now() < until) io.run_for(10ms);
  BOOST_TEST(told == kClients);
  clients.clear();
  io.run_for(100ms);
}

BOOST_AUTO_TEST_CASE(a_real_browser_page_reloads_by_itself) {
  Sandbox sb;
  set_bundled(sb);
  Gateway gw(sb, "live");
  gw.set("browser.noSandbox", "true");
  gw.set("browser.headless", "true");
  gw.set("browser.ssrfPolicy.allowedHostnames", "[\"127.0.0.1\"]");
  gw.start();
  write_file(gw.root() / "page.html", "<html><body><h1>first version</h1></body></html>");
  auto browser = [&](const std::string& method, const std::string& path,
                     json::value body = nullptr) {
    json::object params{{"method", method}, {"path", path}, {"timeoutMs", 30000}};
    if (!body.is_null()) params["body"] = body;
    return gw.call("browser.request", params);
  };
  std::string url =
      "http://127.0.0.1:" + std::to_string(gw.canvas()) + "/__openclaw__/canvas/page.html";
  browser("POST", "/tabs/open", json::object{{"url", url}});
  BOOST_TEST(contains(std::string(browser("GET", "/snapshot").at("snapshot").as_string()),
                      "first version"));
  // The page's live-reload socket is connected before the change.
  BOOST_REQUIRE(poll_until(
      [&] { return gw.call("canvas.status").at("pagesConnected").as_int64() >= 1; }, 10s));
  write_file(gw.root() / "page.html", "<html><body><h1>second version</h1></body></html>");
  BOOST_TEST(poll_until(
      [&] {
        return contains(std::string(browser("GET", "/snapshot").at("snapshot").as_string()),
                        "second version");
      },
      10s));
  browser("POST", "/stop");
}

BOOST_AUTO_TEST_SUITE_END()
