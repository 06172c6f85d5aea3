// The one Beast translation unit of the HTTP server helper; see http_server.hpp.
#include "openclaw/sdk/http_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <set>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <deque>

namespace openclaw::sdk {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < in.size() &&
               std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::query_param(const std::string& name) const {
  std::string_view q(query);
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
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
      : io(io), acceptor(io), handler(std::move(h)), options(o) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  AsyncHttpHandler handler;
  Options options;
  bool stopped = false;
  std::set<std::shared_ptr<Session>> sessions;
  std::optional<WebSocketHandlers> ws_handlers;
  std::set<std::shared_ptr<WsSession>> ws_sessions;
  std::uint64_t next_ws_id = 1;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
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

// One connection: read a request, answer it, repeat while keep-alive holds.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);  // once per connection, not per request
    if (!ec) remote_ = ep.address().to_string();
    stream_.socket().native_non_blocking(true, ec);  // sendfile(2) must never block the thread
  }
  ~Session() { close_file(); }

  void start() { do_read(); }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    deadline_.cancel();
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(server_->options.body_limit);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(server_->options.idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      return send_error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
    }
    if (ec && ec != http::error::end_of_stream && ec != http::error::partial_message &&
        ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return send_error(400, "BAD_REQUEST", "malformed HTTP request: " + ec.message());
    }
    if (ec) return finish();  // closed, timed out, or stopped
    auto& req = parser_->get();
    if (websocket::is_upgrade(req) && server_->ws_handlers && !server_->stopped) {
      auto ws = std::make_shared<WsSession>(std::move(stream_), server_, remote_,
                                            server_->next_ws_id++);
      server_->ws_sessions.insert(ws);
      ws->start(parser_->release());
      server_->sessions.erase(shared_from_this());
      return;
    }
    HttpRequest r = to_request(req, remote_);
    const bool keep_alive = req.keep_alive(), head = req.method() == http::verb::head;
    // The answer may come later: the session waits (reading nothing more) until it does, the
    // handler drops its responder (500), or the deadline passes (504).
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
              self->deadline_.cancel();
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
      deadline_.expires_after(std::chrono::seconds(server_->options.request_timeout_seconds));
      deadline_.async_wait([watch = respond.watch()](beast::error_code ec) {
        if (ec) return;
        HttpResponder::cancel(
            watch, HttpResponse::error(504, "TIMEOUT", "the handler did not answer in time"));
      });
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
    deadline_.cancel();
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
    stream_.expires_after(std::chrono::seconds(server_->options.idle_timeout_seconds));
    write_buffered();
  }

  void send_file(HttpFileResponse f, bool keep_alive, bool head) {
    int fd = f.fd >= 0 ? f.fd : ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    std::uint64_t offset = f.offset, length = f.length.value_or(0);
    // A caller that opened the file and gave the length has checked it: no second fstat.
    if (!(f.fd >= 0 && f.length)) {
      struct stat st {};
      if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) ::close(fd);
        return send(HttpResponse::text(404, "Not Found\n"), keep_alive, head);
      }
      auto size = static_cast<std::uint64_t>(st.st_size);
      offset = std::min(f.offset, size);
      length = std::min(f.length.value_or(size - offset), size - offset);
    }
    format_head(f.status, f.content_type, f.headers, length, keep_alive, false);
    body_.clear();
    if (head || length == 0) {
      ::close(fd);
      stream_.expires_after(std::chrono::seconds(server_->options.idle_timeout_seconds));
      return write_buffered();
    }
    file_fd_ = fd;
    file_offset_ = offset;
    file_left_ = length;
    file_sent_ = 0;
    use_sendfile_ = true;
    watch_file(file_progress_);
    // The head goes first with MSG_MORE, so the kernel sends it in one segment with the file's
    // first bytes; whatever the socket does not take now is written asynchronously.
    ssize_t n;
    do {
      n = ::send(stream_.socket().native_handle(), head_.data(), head_.size(),
                 MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return finish();
    const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
    if (sent == head_.size()) return pump_file();
    asio::async_write(stream_.socket(), asio::buffer(head_.data() + sent, head_.size() - sent),
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
  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }

  // The status line and headers into head_ (a buffer the connection keeps): Server, Content-Type,
  // Cache-Control (no-store unless `default_no_store` is false or the handler set one), the
  // handler's headers (theirs replace ours of the same name), Content-Length, Connection: close.
  // Formatting it here costs one pass over a reused string, where Beast's fields allocate a
  // node per header and serialize them through a buffer-sequence iterator.
  void format_head(int status, std::string_view content_type,
                   const std::vector<std::pair<std::string, std::string>>& extra,
                   std::optional<std::uint64_t> length, bool keep_alive, bool default_no_store) {
    bool own_type = false, own_cache = false, own_server = false;
    for (const auto& [k, v] : extra) {
      if (iequals(k, "content-type")) own_type = true;
      if (iequals(k, "cache-control")) own_cache = true;
      if (iequals(k, "server")) own_server = true;
      if (iequals(k, "connection") && v.find("close") != std::string::npos) keep_alive = false;
    }
    keep_alive_ = keep_alive;
    head_.clear();
    char num[24];
    auto put_number = [&](std::uint64_t v) {
      auto r = std::to_chars(num, num + sizeof num, v);
      head_.append(num, r.ptr);
    };
    head_ += "HTTP/1.1 ";
    put_number(static_cast<std::uint64_t>(status));
    head_ += ' ';
    auto reason = http::obsolete_reason(static_cast<http::status>(status));
    head_.append(reason.data(), reason.size());
    head_ += "\r\n";
    if (!own_server) head_ += "Server: openclaw-host\r\n";
    if (!own_type && header_safe(content_type)) {
      head_ += "Content-Type: ";
      head_ += content_type;
      head_ += "\r\n";
    }
    if (!own_cache && default_no_store) head_ += "Cache-Control: no-store\r\n";
    for (const auto& [k, v] : extra) {
      if (k.empty() || !header_safe(k) || !header_safe(v) || iequals(k, "content-length") ||
          iequals(k, "transfer-encoding") || iequals(k, "connection")) {
        continue;
      }
      head_ += k;
      head_ += ": ";
      head_ += v;
      head_ += "\r\n";
    }
    if (length) {
      head_ += "Content-Length: ";
      put_number(*length);
      head_ += "\r\n";
    }
    if (!keep_alive) head_ += "Connection: close\r\n";
    head_ += "\r\n";
  }

  // head_ and body_ in one gathered write, then the next request (keep-alive) or the end.
  void write_buffered() {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->after_response(ec);
    });
  }

  void after_response(beast::error_code ec) {
    if (ec || !keep_alive_) return finish();
    do_read();
  }

  // Sends the file with sendfile(2) (no copy through user space) until the socket is full, then
  // waits for it to drain. At most 1 MiB per turn, so one fast reader does not starve the
  // other connections. A file system without sendfile falls back to pread + write.
  void pump_file() {
    constexpr std::uint64_t kTurn = 1 << 20;
    std::uint64_t budget = kTurn;
    const int sock = stream_.socket().native_handle();
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
    stream_.socket().async_wait(tcp::socket::wait_write,
                                [self = shared_from_this()](beast::error_code ec) {
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
    asio::async_write(stream_.socket(), asio::buffer(chunk_.get(), static_cast<size_t>(n)),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->finish();
                        if (self->file_left_ == 0) return self->file_done();
                        self->pump_read();
                      });
  }

  void file_done() {
    close_file();
    deadline_.cancel();
    after_response({});
  }

  void close_file() {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
    file_left_ = 0;
  }

  // A reader that takes nothing for idle_timeout_seconds is cut off; one that is slow but moving
  // keeps its connection however long the file takes.
  void watch_file(std::uint64_t seen) {
    deadline_.expires_after(std::chrono::seconds(server_->options.idle_timeout_seconds));
    deadline_.async_wait([self = shared_from_this(), seen](beast::error_code ec) {
      if (ec || self->file_fd_ < 0) return;
      if (self->file_progress_ == seen) {
        beast::error_code ignored;
        self->stream_.socket().close(ignored);  // the pending wait fails: finish()
        return;
      }
      self->watch_file(self->file_progress_);
    });
  }

  void finish() {
    close();
    close_file();
    server_->sessions.erase(shared_from_this());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpServer::Impl> server_;
  asio::steady_timer deadline_{stream_.get_executor()};
  bool waiting_ = false;  ///< a request was handed to the handler and is not answered yet
  std::string remote_;    ///< the peer's address
  // The response being written: head and (buffered) body, reused from one request to the next.
  std::string head_;
  std::string body_;
  bool keep_alive_ = true;
  // A file being sent: what is left of it, and bytes sent so far (for the stall watch).
  static constexpr size_t kChunk = 64 * 1024;
  int file_fd_ = -1;
  std::uint64_t file_offset_ = 0, file_left_ = 0, file_sent_ = 0, file_progress_ = 0;
  bool use_sendfile_ = true;
  std::unique_ptr<char[]> chunk_;  ///< pread fallback only
};

void HttpServer::Impl::do_accept() {
  // One thread runs the io_context, so sessions share no strand.
  acceptor.async_accept(beast::bind_front_handler(&Impl::on_accept, shared_from_this()));
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped) return;
  if (!ec) {
    auto s = std::make_shared<Session>(std::move(socket), shared_from_this());
    sessions.insert(s);
    s->start();
  }
  do_accept();
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
  if (ec) {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    throw std::system_error(ec, "cannot listen on" + where);
  }
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
  auto sessions = std::move(impl_->sessions);
  for (auto& s : sessions) s->close();
  for (auto& ws : impl_->ws_sessions) ws->close(1001, "server stopping");
}

int HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace openclaw::sdk
