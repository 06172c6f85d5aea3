// The one Beast translation unit of the HTTP server helper; see http_server.hpp.
#include "openclaw/sdk/http_server.hpp"

#include "openclaw/sdk/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <set>
#include <string_view>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

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

namespace {
// Query parameter names whose values are credentials often enough to keep out of logs.
bool secret_looking(std::string_view raw_name) {
  std::string name = percent_decode(raw_name);
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

namespace {

// tchar (RFC 9110 5.6.2): what a method or a header name is made of.
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool all_tchar(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated header list, trimmed.
template <typename F>
void for_each_token(std::string_view list, F&& f) {
  while (true) {
    auto comma = list.find(',');
    auto token = trim_ows(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// What the connection needs from a request head beyond the HttpRequest.
struct RequestHead {
  std::size_t size = 0;  ///< bytes of the head, the blank line included
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  bool beast = false;  ///< a chunked body or an upgrade: read by Beast's parser instead
  bool expect_continue = false;  ///< the client waits for "100 Continue" before the body
  int status = 0;      ///< an error to answer (then the connection closes)
  std::string error;
};

// Parses the request head at the start of `in` into `req` (method, target, path, query; headers
// with lower-case names, a repeated header's values joined with ", ", cookies with "; "). False
// while the head is incomplete. The common request (no body, or a Content-Length body) costs one
// pass over the head and no allocation but the request's own strings; requests with a chunked
// body, or an upgrade when `upgrades`, are marked for Beast's parser. Framing that could be read
// two ways (folded lines, conflicting lengths, Transfer-Encoding with Content-Length) is an error.
bool parse_head(std::string_view in, std::size_t header_limit, bool upgrades, HttpRequest& req,
                RequestHead& head) {
  constexpr auto npos = std::string_view::npos;
  auto fail = [&](int status, std::string why) {
    head.status = status;
    head.error = std::move(why);
    return true;
  };
  std::size_t skip = 0;  // RFC 9112 2.2: blank lines before a request line are ignored
  while (skip + 1 < in.size() && in[skip] == '\r' && in[skip + 1] == '\n') skip += 2;
  auto end = in.find("\r\n\r\n", skip);
  if (end == npos) {
    if (in.size() - skip > header_limit) return fail(431, "the request head exceeds 16 KiB");
    return false;
  }
  if (end + 4 - skip > header_limit) return fail(431, "the request head exceeds 16 KiB");
  head.size = end + 4;
  const std::string_view text = in.substr(skip, end + 2 - skip);  // each line ends with CRLF
  auto eol = text.find("\r\n");
  std::string_view line = text.substr(0, eol);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == npos ? npos : line.find(' ', sp1 + 1);
  if (sp2 == npos || line.find(' ', sp2 + 1) != npos) return fail(400, "malformed request line");
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (!all_tchar(method)) return fail(400, "malformed method");
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
      })) {
    return fail(400, "malformed request target");
  }
  bool http11;
  if (version == "HTTP/1.1") {
    http11 = true;
  } else if (version == "HTTP/1.0") {
    http11 = false;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(version[5])) &&
             version[6] == '.' && std::isdigit(static_cast<unsigned char>(version[7]))) {
    return fail(505, "HTTP version " + std::string(version.substr(5)) + " is not supported");
  } else {
    return fail(400, "malformed HTTP version");
  }
  req.method.assign(method);
  req.target.assign(target);
  auto q = target.find('?');
  req.path.assign(target.substr(0, q));
  if (q != npos) req.query.assign(target.substr(q + 1));
  bool has_length = false, has_te = false, chunked = false, close = false, keep = false,
       upgrade = false;
  for (std::size_t pos = eol + 2; pos < text.size();) {
    eol = text.find("\r\n", pos);
    line = text.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "folded header line");
    auto colon = line.find(':');
    if (colon == npos || !all_tchar(line.substr(0, colon))) return fail(400, "malformed header line");
    std::string_view value = trim_ows(line.substr(colon + 1));
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && u != '\t') || u == 0x7f;
        })) {
      return fail(400, "control character in header " + name);
    }
    if (name == "content-length") {
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size()) {
        return fail(400, "malformed Content-Length");
      }
      if (has_length && n != head.content_length) return fail(400, "conflicting Content-Length headers");
      has_length = true;
      head.content_length = n;
      continue;  // the body's length is known; the header is not repeated
    }
    if (name == "transfer-encoding") {
      has_te = true;
      chunked = false;
      for_each_token(value, [&](std::string_view t) { chunked = iequal(t, "chunked"); });
    } else if (name == "connection") {
      for_each_token(value, [&](std::string_view t) {
        if (iequal(t, "close")) close = true;
        if (iequal(t, "keep-alive")) keep = true;
      });
    } else if (name == "upgrade") {
      upgrade = true;
    } else if (name == "expect") {
      head.expect_continue = http11 && iequal(value, "100-continue");
    }
    auto [it, fresh] = req.headers.try_emplace(std::move(name), value);
    if (!fresh) {
      it->second += it->first == "cookie" ? "; " : ", ";
      it->second.append(value);
    }
  }
  if (has_length) req.headers["content-length"] = std::to_string(head.content_length);
  if (has_te && has_length) return fail(400, "both Transfer-Encoding and Content-Length");
  if (has_te && !chunked) return fail(400, "a Transfer-Encoding other than chunked");
  head.keep_alive = http11 ? !close : keep && !close;
  head.beast = has_te || (upgrade && upgrades);
  return true;
}

const char* error_code_for(int status) {
  switch (status) {
    case 413: return "PAYLOAD_TOO_LARGE";
    case 431: return "HEADERS_TOO_LARGE";
    case 505: return "HTTP_VERSION_NOT_SUPPORTED";
    default: return "BAD_REQUEST";
  }
}

}  // namespace

// One connection: read a request, answer it, repeat while keep-alive holds.
//
// Requests are read by the session's own parser from a buffer it keeps (see parse_head); only a
// chunked body or a WebSocket upgrade goes through Beast's parser. Timeouts use one timer per
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
  ~Session() { close_file(); }

  void start() { next_request(); }

  void close() {
    closed_ = true;
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    deadline_.cancel();
  }

 private:
  static constexpr std::size_t kHeaderLimit = 16 * 1024;
  static constexpr std::size_t kInitialBuffer = 4096;
  // A connection whose buffer grew past this for a large body gives it back once idle.
  static constexpr std::size_t kKeptBuffer = 64 * 1024;

  // What the connection waits for when the deadline passes.
  enum class Wait { io, handler, file };

  // The next request from what is buffered, or a read for more.
  void next_request() {
    if (closed_) return;
    const std::string_view data(in_.data() + in_start_, in_end_ - in_start_);
    if (!pending_ && !data.empty()) {
      request_ = HttpRequest{};
      head_ = RequestHead{};
      if (parse_head(data, kHeaderLimit, server_->ws_handlers && !server_->stopped, request_, head_)) {
        if (head_.status) return send_error(head_.status, error_code_for(head_.status), head_.error);
        if (head_.beast) return read_with_beast();
        if (head_.content_length > server_->options.body_limit) {
          return send_error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
        }
        pending_ = true;
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
    set_deadline(Wait::io, server_->options.idle_timeout_seconds);
    socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->finish();  // closed, timed out, or stopped
                              self->in_end_ += n;
                              self->next_request();
                            });
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
    set_deadline(Wait::io, server_->options.idle_timeout_seconds);
    http::async_read(socket_, *beast_buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_beast_read, shared_from_this()));
  }

  void on_beast_read(beast::error_code ec, std::size_t) {
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
      return send_error(why->first, why->first == 421 ? "MISDIRECTED_REQUEST" : "FORBIDDEN_ORIGIN", why->second);
    }
    if (websocket::is_upgrade(req) && server_->ws_handlers && !server_->stopped) {
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
  std::optional<std::pair<int, std::string>> origin_refusal(std::string_view host, std::string_view origin) const {
    const auto& policy = server_->options.origin_policy;
    if (!policy.enabled) return std::nullopt;
    if (auto why = check_host(policy, host); !why.empty()) return std::make_pair(421, why);
    if (auto why = check_origin(policy, origin, host); !why.empty()) return std::make_pair(403, why);
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
  void set_deadline(Wait what, int seconds) {
    wait_ = what;
    expiry_ = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
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
      case Wait::handler:
        HttpResponder::cancel(watch_, HttpResponse::error(504, "TIMEOUT", "the handler did not answer in time"));
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

  // The status line and headers into out_head_ (a buffer the connection keeps): Server, Content-Type,
  // Cache-Control (no-store unless `default_no_store` is false or the handler set one), the
  // handler's headers (theirs replace ours of the same name), Content-Length, Connection: close.
  // Formatting it here costs one pass over a reused string, where Beast's fields allocate a
  // node per header and serialize them through a buffer-sequence iterator.
  void format_head(int status, std::string_view content_type,
                   const std::vector<std::pair<std::string, std::string>>& extra,
                   std::optional<std::uint64_t> length, bool keep_alive, bool default_no_store) {
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
    asio::async_write(socket_, buffers, [self = shared_from_this()](beast::error_code ec, std::size_t) {
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
    socket_.async_wait(tcp::socket::wait_write,
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

  void finish() {
    close();
    close_file();
    server_->sessions.erase(shared_from_this());
  }

  tcp::socket socket_;
  std::shared_ptr<HttpServer::Impl> server_;
  // Requests: bytes read and not yet consumed are in_[in_start_, in_end_).
  std::vector<char> in_;
  std::size_t in_start_ = 0, in_end_ = 0;
  HttpRequest request_;   ///< the request whose head is parsed (pending_: its body is awaited)
  RequestHead head_;
  bool pending_ = false;
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
  std::uint64_t file_offset_ = 0, file_left_ = 0, file_sent_ = 0, file_progress_ = 0, file_seen_ = 0;
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
