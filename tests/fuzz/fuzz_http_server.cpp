// The SDK's HttpServer as any peer on its port reaches it: the input is the bytes of one TCP
// connection (request heads, Content-Length and chunked bodies, pipelined requests, Expect:
// 100-continue, WebSocket upgrades and the frames after them), written to a real server on
// loopback in this process and followed by a half-close. The server must answer with HTTP (or
// close), never crash, leak or hang; its own parser is reached only through the socket, as on
// the wire (when the head reader is factored out of http_server.cpp it gets a direct target).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fuzz_support.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace sdk = openclaw::sdk;

namespace {

struct Server {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<sdk::HttpServer> server;
  std::thread thread;
  int port = 0;
  Server() {
    sdk::HttpServer::Options options;
    options.body_limit = 64 << 10;
    options.idle_timeout_seconds = 2;
    options.request_timeout_seconds = 2;
    options.websocket_message_limit = 64 << 10;
    options.websocket_close_grace_ms = 200;
    server = std::make_unique<sdk::HttpServer>(
        io,
        [](const sdk::HttpRequest& r) {
          return sdk::HttpResponse::text(200, r.method + " " + r.path + " " + r.query_param("q") +
                                                  " " + std::to_string(r.body.size()));
        },
        options);
    sdk::WebSocketHandlers ws;
    ws.on_open = [](const std::shared_ptr<sdk::WebSocket>& s, const sdk::HttpRequest&) {
      s->send("hello");
    };
    ws.on_message = [](const std::shared_ptr<sdk::WebSocket>& s, std::string m) {
      if (m == "close") return s->close(1000, "bye");
      s->send(std::move(m));
    };
    ws.on_close = [](const std::shared_ptr<sdk::WebSocket>&, int) {};
    server->set_websocket(std::move(ws));
    server->listen("127.0.0.1", 0);
    port = server->port();
    thread = std::thread([this] { io.run(); });
  }
};

// Reads what the server sends until it closes or `ms` pass without a byte.
std::string drain(int fd, int ms) {
  std::string out;
  char buf[16384];
  while (out.size() < (4u << 20)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server* s = new Server;  // lives for the whole run: the fuzzer exits without unwinding
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(s->port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  std::size_t off = 0;
  while (off < size) {
    ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed early (a refused head): what follows is not read
    off += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer = drain(fd, 1000);
  // Reset, not FIN: thousands of connections a second would otherwise exhaust the ephemeral
  // ports with TIME_WAIT.
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
  // Whatever comes back is HTTP: a status line first (101 for an upgrade, 100 before a body).
  if (!answer.empty()) FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0 && answer.size() >= 12);
  return 0;
}
