#include "gateway/client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "core/error.hpp"
#include "gateway/protocol.hpp"

namespace openclaw::gateway {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct Client::Impl {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{5000};

  // Runs one started asynchronous operation to completion, or cancels it at the timeout.
  // (Asio's synchronous operations poll without a deadline, so SO_RCVTIMEO cannot bound them.)
  bool run(bool& done) {
    io.restart();
    io.run_for(timeout);
    if (!done) {
      beast::error_code ignored;
      ws.next_layer().cancel(ignored);
      io.restart();
      io.run();  // let the cancelled handler run
      return false;
    }
    return true;
  }
};

namespace {
struct Url {
  std::string host;
  std::string port;
  std::string path = "/";
};

Url parse_url(const std::string& url) {
  const std::string scheme = "ws://";
  if (url.rfind(scheme, 0) != 0) {
    throw usage_error("gateway URL must start with ws://, got \"" + url + "\"");
  }
  std::string rest = url.substr(scheme.size());
  Url u;
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    u.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 == rest.size()) {
    throw usage_error("gateway URL needs a port, e.g. ws://127.0.0.1:18789, got \"" + url + "\"");
  }
  u.host = rest.substr(0, colon);
  u.port = rest.substr(colon + 1);
  if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  return u;
}
}  // namespace

Client::Client(const ClientOptions& options) : impl_(std::make_unique<Impl>()) {
  Url u = parse_url(options.url);
  try {
    tcp::resolver resolver(impl_->io);
    auto endpoints = resolver.resolve(u.host, u.port);
    asio::connect(impl_->ws.next_layer(), endpoints);
  } catch (const boost::system::system_error& e) {
    throw Error(Exit::not_running,
                "no gateway answers at " + options.url + " (" + e.code().message() + ")");
  }
  impl_->timeout = options.timeout;
  impl_->ws.read_message_max(64 << 20);
  bool done = false;
  beast::error_code hec;
  impl_->ws.async_handshake(u.host + ":" + u.port, u.path, [&](beast::error_code ec) {
    hec = ec;
    done = true;
  });
  if (!impl_->run(done)) hec = asio::error::timed_out;
  if (hec) {
    throw Error(Exit::not_running,
                "WebSocket handshake with " + options.url + " failed: " + hec.message());
  }
  if (!options.handshake) return;

  auto first = read_text();
  if (!first) throw usage_error("gateway closed the connection before connect.challenge");
  challenge_ = json::parse(*first);
  json::array scopes;
  for (const auto& s : options.scopes) scopes.emplace_back(s);
  json::object params{{"minProtocol", kProtocolVersion},
                      {"maxProtocol", kProtocolVersion},
                      {"client", json::object{{"id", "cli"},
                                              {"version", OPENCLAW_HOST_VERSION},
                                              {"platform", "linux"},
                                              {"mode", "cli"},
                                              {"instanceId", uuid4()}}},
                      {"caps", json::array{}},
                      {"role", "operator"},
                      {"scopes", std::move(scopes)}};
  if (options.token) params["auth"] = json::object{{"token", *options.token}};
  hello_ = call("connect", params);
}

Client::~Client() {
  close();
}

void Client::send_text(const std::string& text) {
  impl_->ws.text(true);
  bool done = false;
  beast::error_code ec;
  impl_->ws.async_write(asio::buffer(text), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!impl_->run(done)) ec = asio::error::timed_out;
  if (ec) throw boost::system::system_error(ec, "websocket write");
}

std::optional<std::string> Client::read_text() {
  beast::error_code ec;
  impl_->buffer.consume(impl_->buffer.size());
  bool done = false;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!impl_->run(done)) return std::nullopt;  // timed out
  if (ec == websocket::error::closed) {
    close_code_ = impl_->ws.reason().code;
    close_reason_ = std::string(impl_->ws.reason().reason.c_str());
    return std::nullopt;
  }
  if (ec) {
    if (close_code_ == 0) close_code_ = 1006;
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buffer.data());
}

json::value Client::call(const std::string& method, const json::value& params) {
  std::string id = std::to_string(next_id_++) + ":" + uuid4();
  json::object frame{{"type", "req"}, {"id", id}, {"method", method}};
  if (!params.is_null()) frame["params"] = params;
  send_text(json::serialize(frame));
  while (true) {
    auto text = read_text();
    if (!text) {
      throw Error(Exit::usage, "gateway closed the connection during " + method +
                                   (close_reason_.empty() ? "" : ": " + close_reason_));
    }
    json::value v = json::parse(*text);
    const auto& o = v.as_object();
    if (o.at("type").as_string() != "res" || !o.at("id").is_string() ||
        o.at("id").as_string() != id) {
      continue;  // an event
    }
    if (o.at("ok").as_bool()) return o.contains("payload") ? o.at("payload") : json::value(nullptr);
    const auto& err = o.at("error").as_object();
    throw GatewayError(std::string(err.at("code").as_string()),
                       std::string(err.at("message").as_string()),
                       err.contains("details") ? err.at("details") : json::value(nullptr));
  }
}

std::optional<json::value> Client::wait_event(const std::string& event) {
  while (true) {
    auto text = read_text();
    if (!text) return std::nullopt;
    json::value v = json::parse(*text);
    const auto& o = v.as_object();
    if (o.at("type").as_string() == "event" && o.at("event").as_string() == event) {
      return o.contains("payload") ? o.at("payload") : json::value(nullptr);
    }
  }
}

void Client::close() {
  if (!impl_ || !impl_->ws.is_open()) return;
  bool done = false;
  impl_->ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  impl_->run(done);
}

namespace {
// A blocking connect with a deadline (non-blocking connect + poll).
int connect_with_timeout(const std::string& host, int port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string h = host == "0.0.0.0" || host.empty() ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, h.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return -1;
  }
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
    int err = 0;
    socklen_t len = sizeof err;
    if (rc == 0 && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) rc = -1;
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}
}  // namespace

bool port_answers(const std::string& host, int port, std::chrono::milliseconds timeout) {
  int fd = connect_with_timeout(host, port, timeout);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::optional<std::pair<int, std::string>> http_get(const std::string& host, int port,
                                                    const std::string& target,
                                                    std::chrono::milliseconds timeout) {
  int fd = connect_with_timeout(host, port, timeout);
  if (fd < 0) return std::nullopt;
  std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string resp;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (resp.rfind("HTTP/1.1 ", 0) != 0 || resp.size() < 12) return std::nullopt;
  auto body = resp.find("\r\n\r\n");
  return std::make_pair(std::atoi(resp.c_str() + 9),
                        body == std::string::npos ? std::string() : resp.substr(body + 4));
}

}  // namespace openclaw::gateway
