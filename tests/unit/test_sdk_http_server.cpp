// The SDK's HTTP server as a client on the wire sees it: requests written byte by byte over a
// real socket (pipelined, split, chunked, malformed), answers read back raw.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "openclaw/sdk/http_server.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace asio = boost::asio;

namespace {

// A server on its own I/O thread answering every request with what it saw.
struct EchoServer {
  explicit EchoServer(sdk::HttpServer::Options options = {}) : block(1) {
    server = std::make_unique<sdk::HttpServer>(
        io,
        sdk::AsyncHttpHandler([this](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
          if (r.path == "/never") {  // holds its responder: the server's deadline answers
            held.push_back(respond);
            return;
          }
          auto header = [&](const char* name) {
            auto it = r.headers.find(name);
            return it == r.headers.end() ? std::string("-") : it->second;
          };
          respond.send(sdk::HttpResponse::text(
              200, r.method + " " + r.path + " q=" + r.query + " dup=" + header("x-dup") +
                       " cookie=" + header("cookie") + " len=" + std::to_string(r.body.size()) +
                       " body=" + (r.body.size() <= 64 ? r.body : std::string("(large)")) + "\n"));
        }),
        options);
    server->listen("127.0.0.1", block.base());
    thread = std::thread([this] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }
  ~EchoServer() {
    asio::post(io, [this] {
      server->stop();
      held.clear();
      io.stop();
    });
    thread.join();
  }

  int connect() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(block.base()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
  }

  PortBlock block;
  asio::io_context io;
  std::unique_ptr<sdk::HttpServer> server;
  std::vector<sdk::HttpResponder> held;
  std::thread thread;
};

void put(int fd, const std::string& bytes) {
  BOOST_REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

// Everything until the server closes the connection (or the 10 s receive timeout).
std::string read_all(int fd) {
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Reads until `text` has been seen `times` times (the connection stays open).
std::string read_until(int fd, const std::string& text, int times = 1) {
  std::string out;
  char buf[8192];
  auto count = [&] {
    int c = 0;
    for (size_t at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) ++c;
    return c;
  };
  while (count() < times) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One request on a fresh connection; the whole answer (the server closes after an error).
std::string roundtrip(const EchoServer& s, const std::string& request) {
  int fd = s.connect();
  put(fd, request);
  std::string out = read_all(fd);
  ::close(fd);
  return out;
}

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_http_server)

// What a log may show of a request target: no credential from the query, no forged line, and
// never more than the cap, however long the target.
BOOST_AUTO_TEST_CASE(loggable_targets_hide_secrets_and_are_capped) {
  BOOST_TEST(sdk::loggable_target("/a/b.html") == "/a/b.html");
  BOOST_TEST(sdk::loggable_target("/c?token=hunter2&page=2") == "/c?token=***&page=2");
  BOOST_TEST(sdk::loggable_target("/c?x=1&api_KEY=k&client_secret=s&Password=p&auth=a&sig=z&signature=y") ==
             "/c?x=1&api_KEY=***&client_secret=***&Password=***&auth=***&sig=***&signature=***");
  BOOST_TEST(sdk::loggable_target("/c?%74oken=hunter2") == "/c?%74oken=***");  // encoded names too
  BOOST_TEST(sdk::loggable_target("/c?flag&q=") == "/c?flag&q=");
  BOOST_TEST(sdk::loggable_target("/a\nFAKE line\x7f") == "/a?FAKE line?");
  std::string huge = "/" + std::string(16384, 'a') + "?token=hunter2";
  std::string shown = sdk::loggable_target(huge);
  BOOST_TEST(shown == "/" + std::string(199, 'a') + "\u2026(truncated)");
  BOOST_TEST(sdk::loggable_target("/" + std::string(300, 'b'), 10).size() <= 10u + 16u);
  std::string utf8 = "/" + std::string(198, 'a') + "\u00e9\u00e9";  // a 2-byte letter across the cap: cut whole
  BOOST_TEST(sdk::loggable_target(utf8) == "/" + std::string(198, 'a') + "\u2026(truncated)");
  BOOST_TEST(sdk::loggable_target("/" + std::string(199, 'a')) == "/" + std::string(199, 'a'));
}

BOOST_AUTO_TEST_CASE(pipelined_requests_bodies_and_repeated_headers) {
  EchoServer s;
  std::string out = roundtrip(
      s,
      "POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-Dup: 1\r\nx-dup:  2 \r\n"
      "Cookie: a=1\r\nCookie: b=2\r\n\r\nhello"
      "\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  BOOST_TEST(starts(out, "HTTP/1.1 200 OK\r\n"));
  BOOST_TEST(contains(out, "POST /a q=x=1 dup=1, 2 cookie=a=1; b=2 len=5 body=hello\n"));
  BOOST_TEST(contains(out, "GET /b q= dup=- cookie=- len=0 body=\n"));
  BOOST_TEST(contains(out, "Connection: close\r\n"));  // the second answer says so, then closes
}

BOOST_AUTO_TEST_CASE(a_body_arriving_in_pieces_is_waited_for) {
  EchoServer s;
  int fd = s.connect();
  put(fd, "PUT /p HTTP/1.1\r\nHost: h\r\nContent-");
  put(fd, "Length: 300000\r\n\r\n");
  std::string body(300000, 'x');
  put(fd, body.substr(0, 1000));
  put(fd, body.substr(1000));
  std::string out = read_until(fd, "body=(large)\n");
  BOOST_TEST(contains(out, "PUT /p q= dup=- cookie=- len=300000 body=(large)\n"));
  put(fd, "GET /again HTTP/1.1\r\nHost: h\r\n\r\n");  // the connection is still usable
  BOOST_TEST(contains(read_until(fd, "GET /again"), "GET /again q="));
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_client_that_expects_100_continue_is_told_to_send_the_body) {
  EchoServer s;
  int fd = s.connect();
  put(fd, "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  BOOST_TEST(read_until(fd, "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  put(fd, "data");
  BOOST_TEST(contains(read_until(fd, "body=data"), "POST /up q= dup=- cookie=- len=4 body=data\n"));
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(chunked_bodies_and_what_follows_them) {
  EchoServer s;
  std::string out = roundtrip(s,
                             "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                             "GET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  BOOST_TEST(contains(out, "POST /c q= dup=- cookie=- len=11 body=hello world\n"));
  BOOST_TEST(contains(out, "GET /next q="));
}

BOOST_AUTO_TEST_CASE(http_1_0_closes_unless_asked_to_keep_alive) {
  EchoServer s;
  std::string plain = roundtrip(s, "GET /old HTTP/1.0\r\n\r\n");
  BOOST_TEST(contains(plain, "GET /old q="));
  BOOST_TEST(contains(plain, "Connection: close\r\n"));
  int fd = s.connect();
  put(fd, "GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  BOOST_TEST(contains(read_until(fd, "GET /one"), "GET /one q="));
  put(fd, "GET /two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  BOOST_TEST(contains(read_until(fd, "GET /two"), "GET /two q="));
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(framing_that_could_be_read_two_ways_is_refused) {
  EchoServer s;
  struct Case {
    std::string request, status, why;
  };
  const std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400", "conflicting Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400",
       "both Transfer-Encoding and Content-Length"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "400", "other than chunked"},
      {"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "400", "folded header line"},
      {"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", "400", "malformed header line"},
      {"GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", "400", "control character in header x"},
      {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400", "malformed Content-Length"},
      {"GET /a b HTTP/1.1\r\n\r\n", "400", "malformed request line"},
      {"G(T / HTTP/1.1\r\n\r\n", "400", "malformed method"},
      {"GET / HTTP/2.0\r\n\r\n", "505", "HTTP version 2.0 is not supported"},
      {"GET / HTTP/1.1\nHost:x\r\n\r\n", "400", "malformed HTTP version"},
      {"GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n", "431", "exceeds 16 KiB"},
      {"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n" + std::string(100000, 'z'), "413",
       "exceeds the size limit"},
  };
  for (const auto& c : cases) {
    std::string out = roundtrip(s, c.request);
    BOOST_TEST_CONTEXT(c.request.substr(0, 60)) {
      BOOST_TEST(starts(out, "HTTP/1.1 " + c.status + " "));
      BOOST_TEST(contains(out, c.why));
      BOOST_TEST(contains(out, "Connection: close\r\n"));
    }
  }
  // Blank lines before a request are allowed (RFC 9112 2.2).
  BOOST_TEST(contains(roundtrip(s, "\r\n\r\nGET /ok HTTP/1.1\r\nConnection: close\r\n\r\n"), "GET /ok q="));
}

BOOST_AUTO_TEST_CASE(idle_connections_and_silent_handlers_time_out) {
  sdk::HttpServer::Options options;
  options.idle_timeout_seconds = 1;
  options.request_timeout_seconds = 1;
  EchoServer s(options);
  auto started = std::chrono::steady_clock::now();
  int fd = s.connect();
  put(fd, "GET /first HTTP/1.1\r\n\r\n");
  BOOST_TEST(contains(read_until(fd, "GET /first"), "GET /first q="));
  BOOST_TEST(read_all(fd).empty());  // then nothing, and the server closes the idle connection
  auto idle = std::chrono::steady_clock::now() - started;
  BOOST_TEST(idle >= std::chrono::milliseconds(900));
  BOOST_TEST(idle < std::chrono::seconds(8));
  ::close(fd);
  // Half a request is as idle as none.
  BOOST_TEST(roundtrip(s, "GET /half HTTP/1.1\r\nHo").empty());
  std::string late = roundtrip(s, "GET /never HTTP/1.1\r\nConnection: close\r\n\r\n");
  BOOST_TEST(starts(late, "HTTP/1.1 504 "));
  BOOST_TEST(contains(late, "did not answer in time"));
}

BOOST_AUTO_TEST_SUITE_END()
