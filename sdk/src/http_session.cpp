// The HTTP session (see http_server_impl.hpp): one connection's requests, read with the head
// parser of http_head.hpp (Beast's parser for chunked bodies and upgrades), handed to the
// handler, answered in order with keep-alive; files through FileStream.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "http_server_impl.hpp"
#include "openclaw/sdk/files.hpp"
#include "websocket_session.hpp"

namespace openclaw::sdk {
namespace beast = boost::beast;
namespace http = beast::http;

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

HttpRequest to_request(const http::request<http::string_body>& req, const std::string& remote) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = http_head::ascii_lower(c);
    r.headers[name] = std::string(field.value());
  }
  r.body = req.body();
  r.remote_address = remote;
  return r;
}

// 1xx, 204 and 304 responses have neither a body nor a Content-Length.
bool no_body(int status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

// Header text a handler gave that would split the response (CR, LF, NUL) is dropped.
bool header_safe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

struct Session::BeastRead {
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
};

Session::Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
    : socket_(std::move(socket)), server_(std::move(server)), deadline_(socket_.get_executor()) {
  error_code ec;
  auto ep = socket_.remote_endpoint(ec);  // once per connection, not per request
  if (!ec) remote_ = ep.address().to_string();
  socket_.native_non_blocking(true, ec);  // sendfile(2) must never block the thread
  // Each answer (and each WebSocket frame) is one write; Nagle would hold a small one back
  // while an earlier one (an event, say) waits for a delayed ACK: 40 ms stalls.
  socket_.set_option(tcp::no_delay(true), ec);
}

Session::~Session() {
  unlink_idle();
}

void Session::close() {
  closed_ = true;
  unlink_idle();
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  deadline_.cancel();
}

void Session::finish() {
  close();
  file_.reset();
  server_->sessions.erase(shared_from_this());
}

bool Session::has_unread_bytes() {
  error_code ec;
  const std::size_t n = socket_.available(ec);
  return !ec && n > 0;
}

// Waiting for the first byte of a request: on the server's idle list, at its end.
void Session::link_idle() {
  if (idle_) return;
  idle_ = true;
  idle_prev_ = server_->idle_last;
  idle_next_ = nullptr;
  (idle_prev_ ? idle_prev_->idle_next_ : server_->idle_first) = this;
  server_->idle_last = this;
}

void Session::unlink_idle() {
  if (!idle_) return;
  idle_ = false;
  (idle_prev_ ? idle_prev_->idle_next_ : server_->idle_first) = idle_next_;
  (idle_next_ ? idle_next_->idle_prev_ : server_->idle_last) = idle_prev_;
  idle_prev_ = idle_next_ = nullptr;
}

// ---- reading requests ------------------------------------------------------------------------

// The next request from what is buffered, or a read for more.
void Session::next_request() {
  if (closed_) return;
  const std::string_view data(in_.data() + in_start_, in_end_ - in_start_);
  if (!pending_ && !data.empty() && !parse_head(data)) return;
  const std::size_t whole = head_.size + head_.content_length;
  if (pending_ && data.size() >= whole) {
    pending_ = false;
    request_.body.assign(data.substr(head_.size, head_.content_length));
    in_start_ += whole;
    if (in_start_ == in_end_) {
      in_start_ = in_end_ = 0;
      if (in_.size() > kKeptBuffer) std::vector<char>(kInitialBuffer).swap(in_);
    }
    return dispatch(head_.keep_alive, request_.method == "HEAD");
  }
  read_more(pending_ ? whole : 0);
}

// Parses the head at the start of `data`. True when the caller goes on (a complete head whose
// body is read next, now pending_, or a head not complete yet); false when this took over
// (an error answered, a Beast read, a 100 Continue).
bool Session::parse_head(std::string_view data) {
  clear_request();
  head_ = http_head::RequestHead{};
  const http_head::Limits limits{kHeaderLimit, server_->ws_handlers && !server_->stopped};
  const auto parsed = http_head::parse(data.data(), data.size(), limits, request_, head_);
  if (parsed == http_head::Result::need_more) {
    // The head's clock starts with its first bytes; a head read whole (the common case) never
    // looks at the clock.
    if (!head_started_) head_deadline_ = after_ms(server_->options.head_timeout_ms);
    head_started_ = true;
    return true;
  }
  head_started_ = false;
  if (parsed == http_head::Result::error) {
    send_head_error();
    return false;
  }
  if (head_.beast) {
    read_with_beast();
    return false;
  }
  if (head_.content_length > server_->options.body_limit) {
    send_error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
    return false;
  }
  pending_ = true;
  const bool body_due = data.size() < head_.size + head_.content_length;
  if (body_due) body_deadline_ = after_ms(server_->options.body_timeout_ms);
  // A client that asked waits for this before it sends the body (curl: 1 s otherwise).
  if (body_due && head_.expect_continue) {
    send_continue();
    return false;
  }
  return true;
}

void Session::send_continue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  set_deadline(Wait::io, server_->options.idle_timeout_seconds);
  asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](error_code ec, std::size_t) {
                      if (ec) return self->finish();
                      self->read_more(self->head_.size + self->head_.content_length);
                    });
}

// The last request's fields emptied, their capacity kept: the next request of a keep-alive
// connection reuses it rather than allocating its target and path again. A large body's is
// given back, like the input buffer's.
void Session::clear_request() {
  request_.method.clear();
  request_.target.clear();
  request_.path.clear();
  request_.query.clear();
  request_.headers.clear();
  if (request_.body.capacity() > kKeptBuffer) {
    std::string().swap(request_.body);
  } else {
    request_.body.clear();
  }
}

// Reads more into the buffer, making room for `need` bytes from the request's start (at least
// one more byte). The buffer stays bounded: heads past 16 KiB and bodies past the limit are
// refused before it grows for them.
void Session::read_more(std::size_t need) {
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
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            self->unlink_idle();
                            if (self->timed_out_) return self->answer_timeout();
                            if (ec) return self->finish();  // closed, timed out, or stopped
                            self->in_end_ += n;
                            self->next_request();
                          });
}

void Session::send_head_error() {
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
void Session::answer_timeout() {
  timed_out_ = false;
  if (closed_) return;
  ++server_->counters.timed_out;
  const bool head = wait_ == Wait::head;
  const int ms = head ? server_->options.head_timeout_ms : server_->options.body_timeout_ms;
  const std::string limit =
      ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
  pending_ = false;
  beast_.reset();
  send_error(408, "REQUEST_TIMEOUT",
             std::string(head ? "the request head" : "the request body") +
                 " did not arrive within " + limit);
}

// A chunked body or an upgrade: Beast's parser reads it, starting from what is buffered.
void Session::read_with_beast() {
  beast_ = std::make_unique<BeastRead>();
  const std::size_t n = in_end_ - in_start_;
  auto room = beast_->buffer.prepare(n);
  std::memcpy(room.data(), in_.data() + in_start_, n);
  beast_->buffer.commit(n);
  in_start_ = in_end_ = 0;
  beast_->parser.body_limit(server_->options.body_limit);
  beast_->parser.header_limit(kHeaderLimit);
  // Beast's read is one operation however many reads it takes: the whole body has one deadline
  // (without a body deadline, the idle timeout's).
  if (server_->options.body_timeout_ms > 0) {
    body_deadline_ = after_ms(server_->options.body_timeout_ms);
    set_deadline(Wait::body, body_deadline_);
  } else {
    set_deadline(Wait::io, server_->options.idle_timeout_seconds);
  }
  http::async_read(
      socket_, beast_->buffer, beast_->parser,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_beast_read(ec); });
}

void Session::on_beast_read(error_code ec) {
  if (timed_out_) return answer_timeout();
  if (ec == http::error::body_limit) {
    return send_error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
  }
  if (ec && ec != http::error::end_of_stream && ec != http::error::partial_message &&
      ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return send_error(400, "BAD_REQUEST", "malformed HTTP request: " + ec.message());
  }
  if (ec) return finish();
  auto& req = beast_->parser.get();
  if (auto why = origin_refusal(req[http::field::host], req[http::field::origin])) {
    return send_error(why->first, why->first == 421 ? "MISDIRECTED_REQUEST" : "FORBIDDEN_ORIGIN",
                      why->second);
  }
  if (head_.websocket && beast::websocket::is_upgrade(req) && server_->ws_handlers &&
      !server_->stopped) {
    HttpRequest upgrade = to_request(req, remote_);
    start_websocket_session(std::move(socket_), server_, remote_, beast_->parser.release(),
                            std::move(upgrade));
    closed_ = true;  // the socket is the WebSocket's now
    deadline_.cancel();
    server_->sessions.erase(shared_from_this());
    return;
  }
  // What Beast read past this request goes back to the connection's own buffer.
  const std::size_t rest = beast_->buffer.size();
  if (rest > 0) {
    in_.resize(std::max(in_.size(), rest));
    asio::buffer_copy(asio::buffer(in_.data(), rest), beast_->buffer.data());
    in_end_ = rest;
  }
  request_ = to_request(req, remote_);
  const bool keep_alive = req.keep_alive(), head = req.method() == http::verb::head;
  beast_.reset();
  dispatch(keep_alive, head);
}

// ---- handing a request to the handler ----------------------------------------------------------

// The server's OriginPolicy (see origin.hpp): 421 for a Host that is not this machine's, 403
// for a browser's request from another origin; nullopt when the request may pass.
std::optional<std::pair<int, std::string>> Session::origin_refusal(std::string_view host,
                                                                   std::string_view origin) const {
  const auto& policy = server_->options.origin_policy;
  if (!policy.enabled) return std::nullopt;
  if (auto why = check_host(policy, host); !why.empty()) return std::make_pair(421, why);
  if (auto why = check_origin(policy, origin, host); !why.empty()) return std::make_pair(403, why);
  return std::nullopt;
}

// Hands request_ to the handler. The answer may come later: the session waits (reading
// nothing more, so request_ stays as the handler saw it) until it does, the handler drops its
// responder (500), or the deadline passes (504).
void Session::dispatch(bool keep_alive, bool head) {
  HttpRequest& r = request_;
  if (r.remote_address != remote_) r.remote_address = remote_;
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
            bool head_only = head || file.head;  // read before `file` is moved from
            self->send_file(std::move(file), keep_alive, head_only);
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

// Runs `f` now on the I/O thread (the common case: no type-erased executor, no allocation),
// or posts it there from another thread.
template <typename F>
void Session::on_thread(F&& f) {
  if (server_->io.get_executor().running_in_this_thread()) {
    f();
  } else {
    asio::post(server_->io, std::forward<F>(f));
  }
}

void Session::on_answer(HttpResponse out, bool keep_alive, bool head) {
  if (!waiting_) return;
  waiting_ = false;
  send(std::move(out), keep_alive, head);
}

// ---- the deadline ------------------------------------------------------------------------------

// The connection's one timer: moving the deadline later only records it; the timer is re-armed
// when it fires early, or at once when the deadline moves earlier.

// now + ms, or never for 0 (a head or body deadline turned off).
Session::Clock::time_point Session::after_ms(int ms) {
  return ms > 0 ? Clock::now() + std::chrono::milliseconds(ms) : Clock::time_point::max();
}

void Session::set_deadline(Wait what, int seconds) {
  set_deadline(what, Clock::now() + std::chrono::seconds(seconds));
}

void Session::set_deadline(Wait what, Clock::time_point when) {
  wait_ = what;
  expiry_ = when;
  if (timer_armed_ && deadline_.expiry() <= expiry_) return;
  arm_deadline();
}

void Session::arm_deadline() {
  timer_armed_ = true;
  deadline_.expires_at(expiry_);  // a pending wait is cancelled; its generation is stale
  deadline_.async_wait([self = shared_from_this(), gen = ++timer_gen_](error_code ec) {
    self->on_deadline(ec, gen);
  });
}

void Session::on_deadline(error_code ec, std::uint64_t gen) {
  if (gen != timer_gen_) return;
  timer_armed_ = false;
  if (ec || closed_) return;
  if (Clock::now() < expiry_) return arm_deadline();
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
      if (!file_.active()) return;
      if (file_.progress() == file_seen_) return finish();
      file_seen_ = file_.progress();
      return set_deadline(Wait::file, server_->options.idle_timeout_seconds);
  }
}

// ---- answering ---------------------------------------------------------------------------------

// After a framing error the stream's position is unknown: answer and close.
void Session::send_error(int status, const std::string& code, const std::string& message) {
  send(HttpResponse::error(status, code, message), false, false);
}

void Session::send(HttpResponse out, bool keep_alive, bool head) {
  const bool bodiless = no_body(out.status);
  format_head(out.status, out.content_type, out.headers,
              bodiless ? std::nullopt : std::optional<std::uint64_t>(out.body.size()), keep_alive,
              true);
  body_ = (head || bodiless) ? std::string() : std::move(out.body);
  set_deadline(Wait::io, server_->options.idle_timeout_seconds);
  write_buffered();
}

void Session::send_file(HttpFileResponse f, bool keep_alive, bool head) {
  int fd = f.fd;
  std::uint64_t offset = f.offset, length = f.length.value_or(0);
  // A caller that opened the file and gave the length has checked it: no second fstat.
  if (!(f.fd >= 0 && f.length) && !open_file(f, fd, offset, length)) {
    return send(HttpResponse::text(404, "Not Found\n"), keep_alive, head);
  }
  format_head(f.status, f.content_type, f.headers, length, keep_alive, false);
  body_.clear();
  if (head || length == 0) {
    ::close(fd);
    set_deadline(Wait::io, server_->options.idle_timeout_seconds);
    return write_buffered();
  }
  if (length <= kSmallFile) return send_small_file(fd, offset, static_cast<std::size_t>(length));
  stream_file(fd, offset, length);
}

// The file `f` names (or its descriptor) opened and measured: `offset` and `length` clamped to
// it. False, the descriptor closed, when it is gone or not a regular file.
bool Session::open_file(const HttpFileResponse& f, int& fd, std::uint64_t& offset,
                        std::uint64_t& length) {
  std::uint64_t size = 0;
  if (fd < 0) {
    // Never a FIFO or a device: opening one for reading could wait forever on this thread.
    OpenOptions options;
    options.keep_nonblocking = true;  // ignored by sendfile and read on a regular file
    RegularFile opened = open_regular_file(f.path, options);
    if (!opened) return false;
    size = opened.size;
    fd = opened.release();
  } else {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return false;
    }
    size = static_cast<std::uint64_t>(st.st_size);
  }
  offset = std::min(f.offset, size);
  length = std::min(f.length.value_or(size - offset), size - offset);
  return true;
}

// A small file goes out with its head in one sendmsg, read first into the server's scratch
// buffer: for both ends of a connection that costs less than a send and a sendfile (wrk against
// the canvas: 10 KB files). Whatever the socket does not take at once is kept by the session and
// written asynchronously.
void Session::send_small_file(int fd, std::uint64_t offset, std::size_t length) {
  if (!server_->file_scratch) server_->file_scratch = std::make_unique<char[]>(kSmallFile);
  char* data = server_->file_scratch.get();
  std::size_t have = 0;
  while (have < length) {
    const ssize_t n = ::pread(fd, data + have, length - have, static_cast<off_t>(offset + have));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (have < length) return finish();  // the file shrank: the promised length cannot be kept
  iovec parts[2] = {{out_head_.data(), out_head_.size()}, {data, length}};
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  ssize_t n;
  do {
    n = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return finish();
  const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
  if (sent == out_head_.size() + length) return response_sent();
  // The rest: what is left of the head, and of the file (copied, the scratch is shared).
  const std::size_t head_sent = std::min(sent, out_head_.size());
  out_head_.erase(0, head_sent);
  body_.assign(data + (sent - head_sent), length - (sent - head_sent));
  set_deadline(Wait::io, server_->options.idle_timeout_seconds);
  write_buffered();
}

// A larger file: its head first with MSG_MORE, so the kernel sends it in one segment with the
// file's first bytes, then the file through FileStream (sendfile) as the socket takes it.
void Session::stream_file(int fd, std::uint64_t offset, std::uint64_t length) {
  file_.start(fd, offset, length);
  file_seen_ = file_.progress();
  set_deadline(Wait::file, server_->options.idle_timeout_seconds);
  ssize_t n;
  do {
    n = ::send(socket_.native_handle(), out_head_.data(), out_head_.size(),
               MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return finish();
  const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
  if (sent == out_head_.size()) return pump_file();
  asio::async_write(socket_, asio::buffer(out_head_.data() + sent, out_head_.size() - sent),
                    [self = shared_from_this()](error_code ec, std::size_t) {
                      if (ec) return self->finish();
                      self->pump_file();
                    });
}

// The status line and headers into out_head_ (a buffer the connection keeps): Server,
// Content-Type, Cache-Control (no-store unless `default_no_store` is false or the handler set
// one), the handler's headers (theirs replace ours of the same name), Content-Length, Connection:
// close. Formatting it here costs one pass over a reused string, where Beast's fields allocate a
// node per header and serialize them through a buffer-sequence iterator.
void Session::format_head(int status, std::string_view content_type,
                          const std::vector<std::pair<std::string, std::string>>& extra,
                          std::optional<std::uint64_t> length, bool keep_alive,
                          bool default_no_store) {
  using http_head::iequal;
  bool own_type = false, own_cache = false, own_server = false;
  for (const auto& [k, v] : extra) {
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
  auto put_header = [&](std::string_view name, std::string_view value) {
    out_head_ += name;
    out_head_ += ": ";
    out_head_ += value;
    out_head_ += "\r\n";
  };
  out_head_ += "HTTP/1.1 ";
  put_number(static_cast<std::uint64_t>(status));
  out_head_ += ' ';
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  out_head_.append(reason.data(), reason.size());
  out_head_ += "\r\n";
  if (!own_server) out_head_ += "Server: openclaw-host\r\n";
  if (!own_type && header_safe(content_type)) put_header("Content-Type", content_type);
  if (!own_cache && default_no_store) out_head_ += "Cache-Control: no-store\r\n";
  for (const auto& [k, v] : extra) {
    if (k.empty() || !header_safe(k) || !header_safe(v) || iequal(k, "content-length") ||
        iequal(k, "transfer-encoding") || iequal(k, "connection")) {
      continue;
    }
    put_header(k, v);
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
void Session::write_buffered() {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(body_)};
  asio::async_write(socket_, buffers, [self = shared_from_this()](error_code ec, std::size_t) {
    self->after_response(ec);
  });
}

void Session::after_response(error_code ec) {
  if (ec) return finish();
  if (!keep_alive_) return linger();
  next_request();
}

// An answer written at once, inside the handler's call: with more requests already buffered
// the next one starts on a fresh turn, so a client that pipelines many does not nest handler
// calls on the stack.
void Session::response_sent() {
  if (in_end_ == in_start_) return after_response({});
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->after_response({}); });
}

// Closing with unread request bytes would make the kernel reset the connection, and a reset can
// destroy the answer before the client reads it (a 413 or 431 for a request still being sent).
// So: end our side, then read and discard what the client still sends, for up to 2 s and 1 MiB.
void Session::linger() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  in_start_ = in_end_ = 0;
  if (in_.size() < kInitialBuffer) in_.resize(kInitialBuffer);
  lingered_ = 0;
  set_deadline(Wait::io, 2);
  drain();
}

void Session::drain() {
  socket_.async_read_some(asio::buffer(in_.data(), in_.size()),
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            self->lingered_ += n;
                            if (ec || self->lingered_ > (1u << 20)) return self->finish();
                            self->drain();
                          });
}

// The file goes out as the socket takes it (see FileStream); between turns the session waits
// until the socket is writable.
void Session::pump_file() {
  switch (file_.send_some(socket_.native_handle())) {
    case FileStream::Step::done:
      return response_sent();
    case FileStream::Step::failed:
      return finish();
    case FileStream::Step::wait:
      break;
  }
  socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](error_code ec) {
    if (ec) return self->finish();
    self->pump_file();
  });
}

}  // namespace openclaw::sdk
