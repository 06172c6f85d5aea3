// The one Beast translation unit of the HTTP server helper; see http_server.hpp.
#include "openclaw/sdk/http_server.hpp"

#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/url.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <set>
#include <string_view>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "http_head.hpp"

namespace openclaw::sdk {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

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

class Session;
class WsSession;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, AsyncHttpHandler h, Options o)
      : io(io), acceptor(io), accept_timer(io), handler(std::move(h)), options(std::move(o)) {}
  ~Impl() { close_reserve(); }

  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_timer;  ///< the accept loop's pause when descriptors run out
  AsyncHttpHandler handler;
  Options options;
  bool stopped = false;
  std::set<std::shared_ptr<Session>> sessions;
  std::optional<WebSocketHandlers> ws_handlers;
  std::set<std::shared_ptr<WsSession>> ws_sessions;
  std::uint64_t next_ws_id = 1;
  // HTTP sessions waiting for the first byte of a request, the one idle longest first: an
  // intrusive list (linking and unlinking allocate nothing, once per request).
  Session* idle_first = nullptr;
  Session* idle_last = nullptr;
  int reserve_fd = -1;  ///< /dev/null, given up when accept() runs out of descriptors
  int backoff_ms = 0;
  std::string where;       ///< "127.0.0.1:18789", for warnings
  std::string busy_reply;  ///< the whole 503 answer to a refused newcomer
  Stats counters;
  std::optional<std::chrono::steady_clock::time_point> warned_cap, warned_fds;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void admit(tcp::socket socket);
  void start_session(tcp::socket socket);
  void on_out_of_descriptors(const beast::error_code& ec);
  void back_off();
  void await_client();
  bool shed_idle();
  void refuse(tcp::socket& socket);
  void open_reserve();
  void close_reserve();
  void warn(std::optional<std::chrono::steady_clock::time_point>& last, const std::string& what);
  std::size_t connections() const { return sessions.size() + ws_sessions.size(); }
};

namespace {
HttpRequest to_request(const http::request<http::string_body>& req, const std::string& remote) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(field.value());
  }
  r.body = req.body();
  r.remote_address = remote;
  return r;
}
}  // namespace

// One WebSocket connection: accept the upgrade, read messages, write a queue in order.
class WsSession final : public WebSocket, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(beast::tcp_stream stream, std::shared_ptr<HttpServer::Impl> server, std::string remote,
            std::uint64_t id)
      : ws_(std::move(stream)), server_(std::move(server)), remote_(std::move(remote)), id_(id) {}

  void start(http::request<http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "openclaw-host"); }));
    ws_.read_message_max(server_->options.websocket_message_limit);
    upgrade_ = to_request(req, remote_);
    req_ = std::move(req);
    ws_.async_accept(req_, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  void send(std::string text) override {
    send(std::make_shared<const std::string>(std::move(text)));
  }

  // dispatch: on the I/O thread (the common case) the frame is queued at once, without a posted
  // handler per connection; from another thread it is posted.
  void send(SharedFrame frame) override { send(std::vector<SharedFrame>{std::move(frame)}); }

  void send(std::vector<SharedFrame> parts) override {
    asio::dispatch(ws_.get_executor(),
                   [self = shared_from_this(), parts = std::move(parts)]() mutable {
                     self->enqueue(std::move(parts));
                   });
  }

  void close(int code, std::string reason) override {
    asio::dispatch(ws_.get_executor(),
                   [self = shared_from_this(), code, reason = std::move(reason)]() {
                     self->begin_close(code, reason);
                   });
  }

  std::size_t buffered_bytes() const override { return queued_bytes_; }
  std::string close_reason() const override { return close_reason_; }

  const std::string& remote_address() const override { return remote_; }
  std::uint64_t id() const override { return id_; }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return finish(1006);
    accepted_ = true;
    if (server_->ws_handlers && server_->ws_handlers->on_open) {
      server_->ws_handlers->on_open(shared_from_this(), upgrade_);
    }
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      int code = 1006;
      if (ec == websocket::error::closed) code = ws_.reason().code;
      if (ec == websocket::error::message_too_big) code = 1009;
      if (close_code_) code = *close_code_;
      return finish(code);
    }
    std::string msg = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (server_->ws_handlers && server_->ws_handlers->on_message) {
      server_->ws_handlers->on_message(shared_from_this(), std::move(msg));
    }
    if (!closed_) do_read();
  }

  // One message waiting to be written: its parts go out as one buffer sequence.
  struct Outgoing {
    std::vector<SharedFrame> parts;
    std::vector<asio::const_buffer> buffers;
    std::size_t bytes = 0;
  };

  void enqueue(std::vector<SharedFrame> parts) {
    if (closed_ || close_code_) return;
    Outgoing out;
    for (const auto& p : parts) {
      if (!p) continue;
      out.buffers.push_back(asio::buffer(*p));
      out.bytes += p->size();
    }
    out.parts = std::move(parts);
    const std::size_t limit = server_->options.websocket_send_limit;
    if (limit && queued_bytes_ + out.bytes > limit) {
      // A consumer that does not read: drop what it has not received and close it, rather than
      // let its queue grow. The frame being written (if any) stays: Beast is in the middle of it.
      const std::string reason =
          "slow consumer: more than " + std::to_string(limit) + " bytes waiting to be sent";
      while (queue_.size() > (writing_ ? 1u : 0u)) {
        queued_bytes_ -= queue_.back().bytes;
        queue_.pop_back();
      }
      return begin_close(1008, reason);
    }
    queued_bytes_ += out.bytes;
    queue_.push_back(std::move(out));
    if (!writing_) do_write();
  }

  void begin_close(int code, const std::string& reason) {
    if (closed_ || close_code_) return;
    close_code_ = code;
    close_reason_ = reason.substr(0, 120);  // a close frame carries at most 123 bytes
    // A peer that never reads would hold the close handshake (and this session) forever.
    close_timer_.expires_after(
        std::chrono::milliseconds(server_->options.websocket_close_grace_ms));
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);  // the read fails: finish()
    });
    if (!writing_) do_close();
  }

  void do_write() {
    if (queue_.empty()) {
      writing_ = false;
      if (close_code_) do_close();
      return;
    }
    writing_ = true;
    ws_.text(true);
    // Deque elements stay in place while others are added, so the buffers outlive the write.
    ws_.async_write(queue_.front().buffers,
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->queued_bytes_ -= self->queue_.front().bytes;
                      self->queue_.pop_front();
                      if (ec) {
                        self->writing_ = false;
                        return;  // the read side reports the failure
                      }
                      self->do_write();
                    });
  }

  void do_close() {
    if (close_sent_ || !accepted_) return;
    close_sent_ = true;
    websocket::close_reason reason(static_cast<websocket::close_code>(*close_code_), close_reason_);
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->finish(*self->close_code_);
    });
  }

  void finish(int code) {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();
    if (accepted_ && server_->ws_handlers && server_->ws_handlers->on_close) {
      server_->ws_handlers->on_close(self, code);
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    close_timer_.cancel();
    server_->ws_sessions.erase(self);
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::string remote_;
  std::uint64_t id_;
  http::request<http::string_body> req_;
  HttpRequest upgrade_;
  std::deque<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  asio::steady_timer close_timer_{ws_.get_executor()};
  bool writing_ = false;
  bool accepted_ = false;
  bool closed_ = false;
  bool close_sent_ = false;
  std::optional<int> close_code_;
  std::string close_reason_;
};

namespace {

const char* error_code_for(int status) {
  switch (status) {
    case 408:
      return "REQUEST_TIMEOUT";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 431:
      return "HEADERS_TOO_LARGE";
    case 505:
      return "HTTP_VERSION_NOT_SUPPORTED";
    default:
      return "BAD_REQUEST";
  }
}

}  // namespace

// One connection: read a request, answer it, repeat while keep-alive holds.
//
// Requests are read by the session's own parser from a buffer it keeps (see http_head.hpp); only
// a chunked body or a WebSocket upgrade goes through Beast's parser. Timeouts use one timer per
// connection that is re-armed only when it fires before the (moved-on) deadline, not a timer
// update per read and per write: on small keep-alive requests these two were most of the
// server's own time.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : socket_(std::move(socket)), server_(std::move(server)), deadline_(socket_.get_executor()) {
    beast::error_code ec;
    auto ep = socket_.remote_endpoint(ec);  // once per connection, not per request
    if (!ec) remote_ = ep.address().to_string();
    socket_.native_non_blocking(true, ec);  // sendfile(2) must never block the thread
    // Each answer (and each WebSocket frame) is one write; Nagle would hold a small one back
    // while an earlier one (an event, say) waits for a delayed ACK: 40 ms stalls.
    socket_.set_option(tcp::no_delay(true), ec);
  }
  ~Session() {
    close_file();
    unlink_idle();
  }

  void start() { next_request(); }

  void close() {
    closed_ = true;
    unlink_idle();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    deadline_.cancel();
  }

  void finish() {
    close();
    close_file();
    server_->sessions.erase(shared_from_this());
  }

  Session* next_idle() const { return idle_next_; }

  bool has_unread_bytes() {
    beast::error_code ec;
    const std::size_t n = socket_.available(ec);
    return !ec && n > 0;
  }

  // Waiting for the first byte of a request: on the server's idle list, at its end.
  void link_idle() {
    if (idle_) return;
    idle_ = true;
    idle_prev_ = server_->idle_last;
    idle_next_ = nullptr;
    (idle_prev_ ? idle_prev_->idle_next_ : server_->idle_first) = this;
    server_->idle_last = this;
  }

  void unlink_idle() {
    if (!idle_) return;
    idle_ = false;
    (idle_prev_ ? idle_prev_->idle_next_ : server_->idle_first) = idle_next_;
    (idle_next_ ? idle_next_->idle_prev_ : server_->idle_last) = idle_prev_;
    idle_prev_ = idle_next_ = nullptr;
  }

 private:
  static constexpr std::size_t kHeaderLimit = 16 * 1024;
  static constexpr std::size_t kInitialBuffer = 4096;
  // A connection whose buffer grew past this for a large body gives it back once idle.
  static constexpr std::size_t kKeptBuffer = 64 * 1024;

  // What the connection waits for when the deadline passes: a read or write (idle), the rest of
  // a request's head or body (408 once its own deadline is past), a handler (504), a file
  // reader.
  enum class Wait { io, head, body, handler, file };
  using Clock = std::chrono::steady_clock;

  // The next request from what is buffered, or a read for more.
  void next_request() {
    if (closed_) return;
    const std::string_view data(in_.data() + in_start_, in_end_ - in_start_);
    if (!pending_ && !data.empty()) {
      request_ = HttpRequest{};
      head_ = http_head::RequestHead{};
      const http_head::Limits limits{kHeaderLimit, server_->ws_handlers && !server_->stopped};
      const auto parsed = http_head::parse(data.data(), data.size(), limits, request_, head_);
      if (parsed == http_head::Result::need_more && !head_started_) {
        // The head's clock starts with its first bytes; a head read whole (the common case)
        // never looks at the clock.
        head_started_ = true;
        head_deadline_ = after_ms(server_->options.head_timeout_ms);
      }
      if (parsed != http_head::Result::need_more) head_started_ = false;
      if (parsed == http_head::Result::error) return send_head_error();
      if (parsed == http_head::Result::complete) {
        if (head_.beast) return read_with_beast();
        if (head_.content_length > server_->options.body_limit) {
          return send_error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
        }
        pending_ = true;
        if (data.size() < head_.size + head_.content_length) {
          body_deadline_ = after_ms(server_->options.body_timeout_ms);
        }
        // A client that asked waits for this before it sends the body (curl: 1 s otherwise).
        if (head_.expect_continue && data.size() < head_.size + head_.content_length) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          set_deadline(Wait::io, server_->options.idle_timeout_seconds);
          asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->finish();
                              self->read_more(self->head_.size + self->head_.content_length);
                            });
          return;
        }
      }
    }
    const std::size_t whole = head_.size + head_.content_length;
    if (pending_ && data.size() >= whole) {
      pending_ = false;
      request_.body.assign(data.substr(head_.size, head_.content_length));
      in_start_ += whole;
      if (in_start_ == in_end_) {
        in_start_ = in_end_ = 0;
        if (in_.size() > kKeptBuffer) std::vector<char>(kInitialBuffer).swap(in_);
      }
      const bool head = request_.method == "HEAD";
      return dispatch(std::move(request_), head_.keep_alive, head);
    }
    read_more(pending_ ? whole : 0);
  }

  // Reads more into the buffer, making room for `need` bytes from the request's start (at least
  // one more byte). The buffer stays bounded: heads past 16 KiB and bodies past the limit are
  // refused before it grows for them.
  void read_more(std::size_t need) {
    if (in_start_ > 0 && (in_end_ == in_.size() || in_start_ + need > in_.size())) {
      std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
      in_end_ -= in_start_;
      in_start_ = 0;
    }
    if (in_end_ == in_.size() || need > in_.size()) {
      in_.resize(std::max({need, in_.size() * 2, kInitialBuffer}));
    }
    // A head or body under way has its own deadline besides the idle one; between requests the
    // connection is idle, and the first to make room for a newcomer when the server is full.
    const auto idle = Clock::now() + std::chrono::seconds(server_->options.idle_timeout_seconds);
    if (pending_) {
      set_deadline(Wait::body, std::min(idle, body_deadline_));
    } else if (in_end_ > in_start_) {
      set_deadline(Wait::head, std::min(idle, head_deadline_));
    } else {
      set_deadline(Wait::io, idle);
      link_idle();
    }
    socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->unlink_idle();
                              if (self->timed_out_) return self->answer_timeout();
                              if (ec) return self->finish();  // closed, timed out, or stopped
                              self->in_end_ += n;
                              self->next_request();
                            });
  }

  void send_head_error() {
    if (head_.websocket_version_error) {
      // RFC 6455 4.4: the refusal names the version this server speaks.
      HttpResponse out = HttpResponse::error(400, "BAD_REQUEST", head_.error);
      out.headers.emplace_back("Sec-WebSocket-Version", "13");
      return send(std::move(out), false, false);
    }
    send_error(head_.status, error_code_for(head_.status), head_.error);
  }

  // A head or body deadline passed while a read was outstanding: the read was cancelled, and
  // its handler (this) answers 408 now that no read is under way.
  void answer_timeout() {
    timed_out_ = false;
    if (closed_) return;
    ++server_->counters.timed_out;
    const bool head = wait_ == Wait::head;
    const int ms = head ? server_->options.head_timeout_ms : server_->options.body_timeout_ms;
    const std::string limit =
        ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    pending_ = false;
    beast_buffer_.reset();
    parser_.reset();
    send_error(408, "REQUEST_TIMEOUT",
               std::string(head ? "the request head" : "the request body") +
                   " did not arrive within " + limit);
  }

  // A chunked body or an upgrade: Beast's parser reads it, starting from what is buffered.
  void read_with_beast() {
    beast_buffer_.emplace();
    const std::size_t n = in_end_ - in_start_;
    auto room = beast_buffer_->prepare(n);
    std::memcpy(room.data(), in_.data() + in_start_, n);
    beast_buffer_->commit(n);
    in_start_ = in_end_ = 0;
    parser_.emplace();
    parser_->body_limit(server_->options.body_limit);
    parser_->header_limit(kHeaderLimit);
    // Beast's read is one operation however many reads it takes: the whole body has one deadline
    // (without a body deadline, the idle timeout's).
    if (server_->options.body_timeout_ms > 0) {
      body_deadline_ = after_ms(server_->options.body_timeout_ms);
      set_deadline(Wait::body, body_deadline_);
    } else {
      set_deadline(Wait::io, server_->options.idle_timeout_seconds);
    }
    http::async_read(socket_, *beast_buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_beast_read, shared_from_this()));
  }

  void on_beast_read(beast::error_code ec, std::size_t) {
    if (timed_out_) return answer_timeout();
    if (ec == http::error::body_limit) {
      return send_error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
    }
    if (ec && ec != http::error::end_of_stream && ec != http::error::partial_message &&
        ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return send_error(400, "BAD_REQUEST", "malformed HTTP request: " + ec.message());
    }
    if (ec) return finish();
    auto& req = parser_->get();
    if (auto why = origin_refusal(req[http::field::host], req[http::field::origin])) {
      return send_error(why->first, why->first == 421 ? "MISDIRECTED_REQUEST" : "FORBIDDEN_ORIGIN",
                        why->second);
    }
    if (head_.websocket && websocket::is_upgrade(req) && server_->ws_handlers &&
        !server_->stopped) {
      auto ws = std::make_shared<WsSession>(beast::tcp_stream(std::move(socket_)), server_, remote_,
                                            server_->next_ws_id++);
      server_->ws_sessions.insert(ws);
      ws->start(parser_->release());
      closed_ = true;  // the socket is the WebSocket's now
      deadline_.cancel();
      server_->sessions.erase(shared_from_this());
      return;
    }
    // What Beast read past this request goes back to the connection's own buffer.
    const std::size_t rest = beast_buffer_->size();
    if (rest > 0) {
      in_.resize(std::max(in_.size(), rest));
      asio::buffer_copy(asio::buffer(in_.data(), rest), beast_buffer_->data());
      in_end_ = rest;
    }
    beast_buffer_.reset();
    HttpRequest r = to_request(req, remote_);
    const bool keep_alive = req.keep_alive(), head = req.method() == http::verb::head;
    parser_.reset();
    dispatch(std::move(r), keep_alive, head);
  }

  // Hands a request to the handler. The answer may come later: the session waits (reading
  // nothing more) until it does, the handler drops its responder (500), or the deadline passes
  // (504).
  // The server's OriginPolicy (see origin.hpp): 421 for a Host that is not this machine's, 403
  // for a browser's request from another origin; nullopt when the request may pass.
  std::optional<std::pair<int, std::string>> origin_refusal(std::string_view host,
                                                            std::string_view origin) const {
    const auto& policy = server_->options.origin_policy;
    if (!policy.enabled) return std::nullopt;
    if (auto why = check_host(policy, host); !why.empty()) return std::make_pair(421, why);
    if (auto why = check_origin(policy, origin, host); !why.empty())
      return std::make_pair(403, why);
    return std::nullopt;
  }

  void dispatch(HttpRequest r, bool keep_alive, bool head) {
    r.remote_address = remote_;
    auto header = [&r](const char* name) {
      auto it = r.headers.find(name);
      return it == r.headers.end() ? std::string_view() : std::string_view(it->second);
    };
    if (auto why = origin_refusal(header("host"), header("origin"))) {
      const char* code = why->first == 421 ? "MISDIRECTED_REQUEST" : "FORBIDDEN_ORIGIN";
      return send(HttpResponse::error(why->first, code, why->second), keep_alive, head);
    }
    std::weak_ptr<Session> weak = shared_from_this();
    HttpResponder respond(
        [weak, keep_alive, head](HttpResponse out) {
          if (auto self = weak.lock()) {
            self->on_thread([self, out = std::move(out), keep_alive, head]() mutable {
              self->on_answer(std::move(out), keep_alive, head);
            });
          }
        },
        [weak, keep_alive, head](HttpFileResponse file) {
          if (auto self = weak.lock()) {
            self->on_thread([self, file = std::move(file), keep_alive, head]() mutable {
              if (!self->waiting_) return;
              self->waiting_ = false;
              self->send_file(std::move(file), keep_alive, head || file.head);
            });
          }
        });
    waiting_ = true;
    try {
      server_->handler(r, respond);
    } catch (const std::exception& e) {
      respond.send(HttpResponse::error(500, "INTERNAL", e.what()));
    }
    if (!respond.done()) {
      watch_ = respond.watch();
      set_deadline(Wait::handler, server_->options.request_timeout_seconds);
    }
  }

  // The connection's one timer: moving the deadline later only records it; the timer is re-armed
  // when it fires early, or at once when the deadline moves earlier.
  // now + ms, or never for 0 (a head or body deadline turned off).
  static Clock::time_point after_ms(int ms) {
    return ms > 0 ? Clock::now() + std::chrono::milliseconds(ms) : Clock::time_point::max();
  }

  void set_deadline(Wait what, int seconds) {
    set_deadline(what, Clock::now() + std::chrono::seconds(seconds));
  }

  void set_deadline(Wait what, Clock::time_point when) {
    wait_ = what;
    expiry_ = when;
    if (timer_armed_ && deadline_.expiry() <= expiry_) return;
    arm_deadline();
  }

  void arm_deadline() {
    timer_armed_ = true;
    deadline_.expires_at(expiry_);  // a pending wait is cancelled; its generation is stale
    deadline_.async_wait([self = shared_from_this(), gen = ++timer_gen_](beast::error_code ec) {
      self->on_deadline(ec, gen);
    });
  }

  void on_deadline(beast::error_code ec, std::uint64_t gen) {
    if (gen != timer_gen_) return;
    timer_armed_ = false;
    if (ec || closed_) return;
    if (std::chrono::steady_clock::now() < expiry_) return arm_deadline();
    switch (wait_) {
      case Wait::io:
        return finish();  // an idle keep-alive connection, or a peer too slow to send or read
      case Wait::head:
      case Wait::body:
        if (Clock::now() < (wait_ == Wait::head ? head_deadline_ : body_deadline_)) {
          return finish();  // silent for the idle timeout, before the request's own deadline
        }
        // The read under way is cancelled; its handler answers 408 (one read at a time).
        timed_out_ = true;
        socket_.cancel(ec);  // ec is known to be clear here; it only carries cancel's result
        return;
      case Wait::handler:
        HttpResponder::cancel(
            watch_, HttpResponse::error(504, "TIMEOUT", "the handler did not answer in time"));
        return;
      case Wait::file:
        // A reader that takes nothing for idle_timeout_seconds is cut off; one that is slow but
        // moving keeps its connection however long the file takes.
        if (file_fd_ < 0) return;
        if (file_progress_ == file_seen_) return finish();
        file_seen_ = file_progress_;
        return set_deadline(Wait::file, server_->options.idle_timeout_seconds);
    }
  }

  // Runs `f` now on the I/O thread (the common case: no type-erased executor, no allocation),
  // or posts it there from another thread.
  template <typename F>
  void on_thread(F&& f) {
    if (server_->io.get_executor().running_in_this_thread()) {
      f();
    } else {
      asio::post(server_->io, std::forward<F>(f));
    }
  }

  void on_answer(HttpResponse out, bool keep_alive, bool head) {
    if (!waiting_) return;
    waiting_ = false;
    send(std::move(out), keep_alive, head);
  }

  // After a framing error the stream's position is unknown: answer and close.
  void send_error(int status, const std::string& code, const std::string& message) {
    send(HttpResponse::error(status, code, message), false, false);
  }

  void send(HttpResponse out, bool keep_alive, bool head) {
    const bool bodiless = no_body(out.status);
    format_head(out.status, out.content_type, out.headers,
                bodiless ? std::nullopt : std::optional<std::uint64_t>(out.body.size()), keep_alive,
                true);
    body_ = (head || bodiless) ? std::string() : std::move(out.body);
    set_deadline(Wait::io, server_->options.idle_timeout_seconds);
    write_buffered();
  }

  void send_file(HttpFileResponse f, bool keep_alive, bool head) {
    int fd = f.fd;
    std::uint64_t offset = f.offset, length = f.length.value_or(0);
    // A caller that opened the file and gave the length has checked it: no second fstat.
    if (!(f.fd >= 0 && f.length)) {
      std::uint64_t size = 0;
      if (fd < 0) {
        // Never a FIFO or a device: opening one for reading could wait forever on this thread.
        OpenOptions options;
        options.keep_nonblocking = true;  // ignored by sendfile and read on a regular file
        RegularFile opened = open_regular_file(f.path, options);
        if (!opened) return send(HttpResponse::text(404, "Not Found\n"), keep_alive, head);
        size = opened.size;
        fd = opened.release();
      } else {
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
          ::close(fd);
          return send(HttpResponse::text(404, "Not Found\n"), keep_alive, head);
        }
        size = static_cast<std::uint64_t>(st.st_size);
      }
      offset = std::min(f.offset, size);
      length = std::min(f.length.value_or(size - offset), size - offset);
    }
    format_head(f.status, f.content_type, f.headers, length, keep_alive, false);
    body_.clear();
    if (head || length == 0) {
      ::close(fd);
      set_deadline(Wait::io, server_->options.idle_timeout_seconds);
      return write_buffered();
    }
    file_fd_ = fd;
    file_offset_ = offset;
    file_left_ = length;
    file_sent_ = 0;
    use_sendfile_ = true;
    file_seen_ = file_progress_;
    set_deadline(Wait::file, server_->options.idle_timeout_seconds);
    // The head goes first with MSG_MORE, so the kernel sends it in one segment with the file's
    // first bytes; whatever the socket does not take now is written asynchronously.
    ssize_t n;
    do {
      n = ::send(socket_.native_handle(), out_head_.data(), out_head_.size(),
                 MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return finish();
    const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
    if (sent == out_head_.size()) return pump_file();
    asio::async_write(socket_, asio::buffer(out_head_.data() + sent, out_head_.size() - sent),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->finish();
                        self->pump_file();
                      });
  }
  // 1xx, 204 and 304 responses have neither a body nor a Content-Length.
  static bool no_body(int status) { return status / 100 == 1 || status == 204 || status == 304; }

  // Header text a handler gave that would split the response (CR, LF, NUL) is dropped.
  static bool header_safe(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
  }

  // The status line and headers into out_head_ (a buffer the connection keeps): Server,
  // Content-Type, Cache-Control (no-store unless `default_no_store` is false or the handler set
  // one), the handler's headers (theirs replace ours of the same name), Content-Length, Connection:
  // close. Formatting it here costs one pass over a reused string, where Beast's fields allocate a
  // node per header and serialize them through a buffer-sequence iterator.
  void format_head(int status, std::string_view content_type,
                   const std::vector<std::pair<std::string, std::string>>& extra,
                   std::optional<std::uint64_t> length, bool keep_alive, bool default_no_store) {
    bool own_type = false, own_cache = false, own_server = false;
    for (const auto& [k, v] : extra) {
      using http_head::iequal;
      if (iequal(k, "content-type")) own_type = true;
      if (iequal(k, "cache-control")) own_cache = true;
      if (iequal(k, "server")) own_server = true;
      if (iequal(k, "connection") && v.find("close") != std::string::npos) keep_alive = false;
    }
    keep_alive_ = keep_alive;
    out_head_.clear();
    char num[24];
    auto put_number = [&](std::uint64_t v) {
      auto r = std::to_chars(num, num + sizeof num, v);
      out_head_.append(num, r.ptr);
    };
    out_head_ += "HTTP/1.1 ";
    put_number(static_cast<std::uint64_t>(status));
    out_head_ += ' ';
    auto reason = http::obsolete_reason(static_cast<http::status>(status));
    out_head_.append(reason.data(), reason.size());
    out_head_ += "\r\n";
    if (!own_server) out_head_ += "Server: openclaw-host\r\n";
    if (!own_type && header_safe(content_type)) {
      out_head_ += "Content-Type: ";
      out_head_ += content_type;
      out_head_ += "\r\n";
    }
    if (!own_cache && default_no_store) out_head_ += "Cache-Control: no-store\r\n";
    for (const auto& [k, v] : extra) {
      using http_head::iequal;
      if (k.empty() || !header_safe(k) || !header_safe(v) || iequal(k, "content-length") ||
          iequal(k, "transfer-encoding") || iequal(k, "connection")) {
        continue;
      }
      out_head_ += k;
      out_head_ += ": ";
      out_head_ += v;
      out_head_ += "\r\n";
    }
    if (length) {
      out_head_ += "Content-Length: ";
      put_number(*length);
      out_head_ += "\r\n";
    }
    if (!keep_alive) out_head_ += "Connection: close\r\n";
    out_head_ += "\r\n";
  }

  // out_head_ and body_ in one gathered write, then the next request (keep-alive) or the end.
  void write_buffered() {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(body_)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->after_response(ec);
                      });
  }

  void after_response(beast::error_code ec) {
    if (ec) return finish();
    if (!keep_alive_) return linger();
    next_request();
  }

  // Closing with unread request bytes would make the kernel reset the connection, and a reset can
  // destroy the answer before the client reads it (a 413 or 431 for a request still being sent).
  // So: end our side, then read and discard what the client still sends, for up to 2 s and 1 MiB.
  void linger() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    in_start_ = in_end_ = 0;
    if (in_.size() < kInitialBuffer) in_.resize(kInitialBuffer);
    lingered_ = 0;
    set_deadline(Wait::io, 2);
    drain();
  }

  void drain() {
    socket_.async_read_some(asio::buffer(in_.data(), in_.size()),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > (1u << 20)) return self->finish();
                              self->drain();
                            });
  }

  // Sends the file with sendfile(2) (no copy through user space) until the socket is full, then
  // waits for it to drain. At most 1 MiB per turn, so one fast reader does not starve the
  // other connections. A file system without sendfile falls back to pread + write.
  void pump_file() {
    constexpr std::uint64_t kTurn = 1 << 20;
    std::uint64_t budget = kTurn;
    const int sock = socket_.native_handle();
    while (file_left_ > 0 && budget > 0) {
      const auto want = static_cast<size_t>(std::min(file_left_, budget));
      ssize_t n;
      if (use_sendfile_) {
        auto off = static_cast<off_t>(file_offset_);
        n = ::sendfile(sock, file_fd_, &off, want);
        if (n < 0 && (errno == EINVAL || errno == ENOSYS) && file_sent_ == 0) {
          use_sendfile_ = false;
          continue;
        }
      } else {
        return pump_read();
      }
      if (n > 0) {
        file_offset_ += static_cast<std::uint64_t>(n);
        file_left_ -= static_cast<std::uint64_t>(n);
        file_progress_ += static_cast<std::uint64_t>(n);
        file_sent_ += static_cast<std::uint64_t>(n);
        budget -= std::min<std::uint64_t>(budget, static_cast<std::uint64_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // An error, or the file shrank under us: the promised length cannot be kept.
      return finish();
    }
    if (file_left_ == 0) return file_done();
    socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish();
      self->pump_file();
    });
  }

  void pump_read() {
    if (!chunk_) chunk_ = std::make_unique<char[]>(kChunk);
    const auto want = static_cast<size_t>(std::min<std::uint64_t>(file_left_, kChunk));
    ssize_t n;
    do {
      n = ::pread(file_fd_, chunk_.get(), want, static_cast<off_t>(file_offset_));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return finish();
    file_offset_ += static_cast<std::uint64_t>(n);
    file_left_ -= static_cast<std::uint64_t>(n);
    file_progress_ += static_cast<std::uint64_t>(n);
    asio::async_write(socket_, asio::buffer(chunk_.get(), static_cast<size_t>(n)),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->finish();
                        if (self->file_left_ == 0) return self->file_done();
                        self->pump_read();
                      });
  }

  void file_done() {
    close_file();
    after_response({});
  }

  void close_file() {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
    file_left_ = 0;
  }

  tcp::socket socket_;
  std::shared_ptr<HttpServer::Impl> server_;
  // Requests: bytes read and not yet consumed are in_[in_start_, in_end_).
  std::vector<char> in_;
  std::size_t in_start_ = 0, in_end_ = 0;
  HttpRequest request_;  ///< the request whose head is parsed (pending_: its body is awaited)
  http_head::RequestHead head_;
  bool pending_ = false;
  bool head_started_ = false;  ///< bytes of a head are buffered: head_deadline_ runs
  Clock::time_point head_deadline_, body_deadline_;
  bool timed_out_ = false;  ///< the head or body deadline passed: the cancelled read answers 408
  // On the server's idle list (see link_idle).
  bool idle_ = false;
  Session* idle_prev_ = nullptr;
  Session* idle_next_ = nullptr;
  std::optional<beast::flat_buffer> beast_buffer_;  ///< chunked bodies and upgrades only
  std::optional<http::request_parser<http::string_body>> parser_;
  // The deadline (see set_deadline).
  asio::steady_timer deadline_;
  std::chrono::steady_clock::time_point expiry_;
  Wait wait_ = Wait::io;
  bool timer_armed_ = false;
  std::uint64_t timer_gen_ = 0;
  std::weak_ptr<HttpResponder::State> watch_;  ///< Wait::handler: the responder to answer 504
  bool closed_ = false;
  bool waiting_ = false;  ///< a request was handed to the handler and is not answered yet
  std::string remote_;    ///< the peer's address
  // The response being written: head and (buffered) body, reused from one request to the next.
  std::string out_head_;
  std::string body_;
  bool keep_alive_ = true;
  std::size_t lingered_ = 0;  ///< bytes discarded after a closing answer
  // A file being sent: what is left of it, and bytes sent so far (for the stall watch).
  static constexpr size_t kChunk = 64 * 1024;
  int file_fd_ = -1;
  std::uint64_t file_offset_ = 0, file_left_ = 0, file_sent_ = 0, file_progress_ = 0,
                file_seen_ = 0;
  bool use_sendfile_ = true;
  std::unique_ptr<char[]> chunk_;  ///< pread fallback only
};

void HttpServer::Impl::do_accept() {
  // One thread runs the io_context, so sessions share no strand.
  acceptor.async_accept(beast::bind_front_handler(&Impl::on_accept, shared_from_this()));
}

namespace {
// accept() failing for these leaves the client in the backlog and the listening socket readable:
// accepting again at once fails again, and again (the old loop spun at 65 % CPU).
bool out_of_descriptors(const beast::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}
}  // namespace

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
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
  beast::error_code ignored;
  socket.close(ignored);
}

// Out of descriptors. The reserve is given up so one client can be accepted: it takes the place
// of the connection idle the longest, or (none idle) is answered 503, and the reserve is taken
// back from the descriptor that freed. Repeated while the backlog holds clients, up to 64 a turn;
// when even that fails, accepting pauses 10, 20, 40, then 100 ms.
void HttpServer::Impl::on_out_of_descriptors(const beast::error_code& ec) {
  warn(warned_fds, "cannot accept connections: " + ec.message() +
                       "; closing idle connections and answering new clients 503 meanwhile");
  if (reserve_fd < 0) {
    // The reserve could not be taken back last time: free a descriptor for it if we can.
    if (!shed_idle()) return back_off();
    open_reserve();
    if (reserve_fd < 0) return back_off();
  }
  beast::error_code accept_ec;
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
  acceptor.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](beast::error_code ec) {
    if (self->stopped) return;
    if (ec) return self->back_off();
    self->do_accept();  // descriptors may be free again; if not, the handler above runs again
  });
}

void HttpServer::Impl::back_off() {
  ++counters.accept_backoffs;
  backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 10, 100);
  accept_timer.expires_after(std::chrono::milliseconds(backoff_ms));
  accept_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
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
  beast::error_code ec;
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
    beast::error_code ignored;
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

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
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
