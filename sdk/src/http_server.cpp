// The HTTP server helper (see http_server.hpp): the acceptor (connection cap, idle shedding,
// running out of descriptors), the public HttpServer, and the request/response value helpers.
// Connections are served by http_session.cpp and websocket_session.cpp.
#include "openclaw/sdk/http_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <string_view>

#include <boost/json.hpp>

#include "http_server_impl.hpp"
#include "openclaw/sdk/url.hpp"

namespace openclaw::sdk {

namespace {

// A query string's name or value: '+' is a space, a malformed escape stays as it is.
std::string query_decode(std::string_view raw) {
  return *percent_decode(raw, {.plus_as_space = true, .keep_malformed = true});
}

}  // namespace

std::string HttpRequest::query_param(const std::string& name) const {
  std::string_view q(query);
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (query_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : query_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

namespace {
// Query parameter names whose values are credentials often enough to keep out of logs.
bool secret_looking(std::string_view raw_name) {
  std::string name = query_decode(raw_name);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"token", "key", "secret", "password", "passwd", "auth", "sig"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

std::string loggable_target(std::string_view target, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(target.size(), max_bytes) + 16);
  auto put = [&](std::string_view s) {
    for (char c : s) {
      if (out.size() > max_bytes) return;
      const auto u = static_cast<unsigned char>(c);
      out += u < 0x20 || u == 0x7f ? '?' : c;  // a newline in a file name must not forge a log line
    }
  };
  const auto q = target.find('?');
  put(target.substr(0, q));
  if (q != std::string_view::npos) {
    put("?");
    std::string_view rest = target.substr(q + 1);
    for (bool first = true; out.size() <= max_bytes; first = false) {
      const auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      if (!first) put("&");
      if (eq != std::string_view::npos && secret_looking(pair.substr(0, eq))) {
        put(pair.substr(0, eq));
        put("=***");
      } else {
        put(pair);
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8
    out.resize(cut);
    out += "\u2026(truncated)";
  }
  return out;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

HttpResponse HttpResponse::error(int status, const std::string& code, const std::string& message) {
  boost::json::object err{{"code", code}, {"message", message}};
  boost::json::object o{{"ok", false}, {"error", std::move(err)}};
  return text(status, boost::json::serialize(o), "application/json");
}

void HttpServer::Impl::do_accept() {
  // One thread runs the io_context, so sessions share no strand.
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

namespace {
// accept() failing for these leaves the client in the backlog and the listening socket readable:
// accepting again at once fails again, and again (the old loop spun at 65 % CPU).
bool out_of_descriptors(const error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}
}  // namespace

void HttpServer::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (stopped) return;
  if (out_of_descriptors(ec)) return on_out_of_descriptors(ec);
  if (!ec) {
    backoff_ms = 0;
    admit(std::move(socket));
  }
  do_accept();  // another error (a client that gave up while queued) costs only that client
}

void HttpServer::Impl::admit(tcp::socket socket) {
  if (options.max_connections && connections() >= options.max_connections && !shed_idle()) {
    warn(warned_cap, "connection cap (" + std::to_string(options.max_connections) +
                         ") reached with none idle: new clients are answered 503");
    return refuse(socket);
  }
  start_session(std::move(socket));
}

void HttpServer::Impl::start_session(tcp::socket socket) {
  auto s = std::make_shared<Session>(std::move(socket), shared_from_this());
  sessions.insert(s);
  s->start();
}

// Closes the connection idle the longest. A keep-alive connection between requests may be closed
// at any time (RFC 9112 9.5): its client retries on a new one. One whose next request has
// arrived but is not read yet (a newcomer accepted a moment ago, typically) is not idle: closing
// it would drop that request unanswered.
bool HttpServer::Impl::shed_idle() {
  int looked = 0;
  for (Session* s = idle_first; s && looked < 16; s = s->next_idle(), ++looked) {
    if (s->has_unread_bytes()) continue;
    ++counters.shed_idle;
    s->shared_from_this()->finish();
    return true;
  }
  return false;
}

// Answers a newcomer there is no room for at once, without a session: the 503 fits the new
// socket's send buffer, and what the client already sent is read first so the close is a FIN,
// not a reset that could destroy the answer.
void HttpServer::Impl::refuse(tcp::socket& socket) {
  ++counters.refused;
  const int fd = socket.native_handle();
  char scratch[4096];
  for (int i = 0; i < 4 && ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0; ++i) {
  }
  [[maybe_unused]] auto n =
      ::send(fd, busy_reply.data(), busy_reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  error_code ignored;
  socket.close(ignored);
}

// Out of descriptors. The reserve is given up so one client can be accepted: it takes the place
// of the connection idle the longest, or (none idle) is answered 503, and the reserve is taken
// back from the descriptor that freed. Repeated while the backlog holds clients, up to 64 a turn;
// when even that fails, accepting pauses 10, 20, 40, then 100 ms.
void HttpServer::Impl::on_out_of_descriptors(const error_code& ec) {
  warn(warned_fds, "cannot accept connections: " + ec.message() +
                       "; closing idle connections and answering new clients 503 meanwhile");
  if (reserve_fd < 0) {
    // The reserve could not be taken back last time: free a descriptor for it if we can.
    if (!shed_idle()) return back_off();
    open_reserve();
    if (reserve_fd < 0) return back_off();
  }
  error_code accept_ec;
  for (int i = 0; i < 64; ++i) {
    close_reserve();
    tcp::socket socket(io);
    acceptor.accept(socket, accept_ec);  // non-blocking: would_block once the backlog is empty
    if (!accept_ec) {
      if (shed_idle()) {
        start_session(std::move(socket));
      } else {
        refuse(socket);
      }
    }
    open_reserve();
    if (accept_ec || reserve_fd < 0) break;
  }
  if (accept_ec == asio::error::would_block || accept_ec == asio::error::try_again) {
    // The backlog is empty. Linux's accept() fails with EMFILE before it looks at the backlog,
    // so accepting again now would fail at once, forever: wait until a client is queued.
    backoff_ms = 0;
    return await_client();
  }
  if (!accept_ec && reserve_fd >= 0) return await_client();  // more waiting: go on next turn
  back_off();
}

void HttpServer::Impl::await_client() {
  acceptor.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->stopped) return;
    if (ec) return self->back_off();
    self->do_accept();  // descriptors may be free again; if not, the handler above runs again
  });
}

void HttpServer::Impl::back_off() {
  ++counters.accept_backoffs;
  backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 10, 100);
  accept_timer.expires_after(std::chrono::milliseconds(backoff_ms));
  accept_timer.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->stopped) return;
    if (self->reserve_fd < 0) self->open_reserve();
    self->do_accept();
  });
}

void HttpServer::Impl::open_reserve() {
  if (reserve_fd < 0) reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void HttpServer::Impl::close_reserve() {
  if (reserve_fd >= 0) ::close(reserve_fd);
  reserve_fd = -1;
}

void HttpServer::Impl::warn(std::optional<std::chrono::steady_clock::time_point>& last,
                            const std::string& what) {
  const auto now = std::chrono::steady_clock::now();
  if (last && now - *last < std::chrono::seconds(10)) return;
  last = now;
  const std::string line = "HTTP server on " + where + ": " + what;
  if (options.on_warning) {
    try {
      options.on_warning(line);
    } catch (...) {
    }
    return;
  }
  std::fprintf(stderr, "openclaw-host: warning: %s\n", line.c_str());
}

HttpServer::HttpServer(asio::io_context& io, HttpHandler handler)
    : HttpServer(io, std::move(handler), Options{}) {}

HttpServer::HttpServer(asio::io_context& io, HttpHandler handler, Options options)
    : HttpServer(io,
                 AsyncHttpHandler([handler = std::move(handler)](const HttpRequest& request,
                                                                 HttpResponder respond) {
                   respond.send(handler(request));
                 }),
                 options) {}

HttpServer::HttpServer(asio::io_context& io, AsyncHttpHandler handler)
    : HttpServer(io, std::move(handler), Options{}) {}

HttpServer::HttpServer(asio::io_context& io, AsyncHttpHandler handler, Options options)
    : impl_(std::make_shared<Impl>(io, std::move(handler), options)) {}

HttpServer::~HttpServer() {
  stop();
  // Sessions and the server hold each other (a session keeps the server alive while it runs).
  // Those still open now are waiting on handlers the io_context will destroy unrun; dropping the
  // server's references lets them go with those handlers instead of leaking as a cycle.
  impl_->ws_sessions.clear();
  impl_->sessions.clear();
}

void HttpServer::listen(const std::string& address, int port) {
  // sendfile(2) has no MSG_NOSIGNAL: a peer that hangs up mid-file must cost an EPIPE, not the
  // process. Only the default disposition is changed; a handler the program installed stays.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
  error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) {
    throw std::system_error(ec, "invalid listen address \"" + address + "\"");
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  auto where = " " + address + ":" + std::to_string(port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  // accept() is called directly when descriptors run out: it must never block the thread.
  if (!ec) impl_->acceptor.non_blocking(true, ec);
  if (ec) {
    error_code ignored;
    impl_->acceptor.close(ignored);
    throw std::system_error(ec, "cannot listen on" + where);
  }
  impl_->where = where.substr(1);
  const std::string body =
      "{\"ok\":false,\"error\":{\"code\":\"UNAVAILABLE\",\"message\":\"the server has too many "
      "connections open; try again\"}}";
  impl_->busy_reply =
      "HTTP/1.1 503 Service Unavailable\r\nServer: openclaw-host\r\n"
      "Content-Type: application/json\r\nCache-Control: no-store\r\nRetry-After: 1\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  impl_->open_reserve();
  impl_->do_accept();
}

void HttpServer::set_websocket(WebSocketHandlers handlers) {
  impl_->ws_handlers = std::move(handlers);
}

void HttpServer::set_origin_policy(OriginPolicy policy) {
  impl_->options.origin_policy = std::move(policy);
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  error_code ec;
  impl_->acceptor.close(ec);
  impl_->accept_timer.cancel();
  impl_->close_reserve();
  auto sessions = std::move(impl_->sessions);
  for (auto& s : sessions) s->close();
  for (auto& ws : impl_->ws_sessions) ws->close(1001, "server stopping");
}

int HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

HttpServer::Stats HttpServer::stats() const {
  Stats out = impl_->counters;
  out.connections = impl_->connections();
  return out;
}

}  // namespace openclaw::sdk
