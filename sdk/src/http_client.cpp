// The one Beast translation unit of the HTTP and WebSocket clients; see http_client.hpp.
#include "openclaw/sdk/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <deque>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace openclaw::sdk {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return "timed out";
  return ec.message();
}

// Plain transports only in this version.
std::string unsupported_scheme(const Url& url, bool websocket_wanted) {
  if (websocket_wanted) {
    if (url.scheme == "ws") return {};
    if (url.scheme == "wss") return "wss:// URLs are not supported by this SDK version (use ws://)";
    return "not a WebSocket URL (ws://host:port/path): scheme \"" + url.scheme + "\"";
  }
  if (url.scheme == "http") return {};
  if (url.scheme == "https") return "https:// URLs are not supported by this SDK version (use http://)";
  return "not an HTTP URL (http://host:port/path): scheme \"" + url.scheme + "\"";
}

}  // namespace

std::optional<Url> Url::parse(std::string_view text) {
  Url u;
  auto colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  u.scheme = lower(text.substr(0, colon));
  for (char c : u.scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  std::string_view rest = text.substr(colon + 3);
  auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port_text;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = lower(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    auto pc = authority.rfind(':');
    u.host = lower(authority.substr(0, pc));
    if (pc != std::string_view::npos) port_text = authority.substr(pc + 1);
  }
  if (u.host.empty()) return std::nullopt;
  for (char c : u.host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\') return std::nullopt;
  }
  if (!port_text.empty()) {
    if (port_text.size() > 5) return std::nullopt;
    int p = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return std::nullopt;
    u.port = p;
  } else if (u.scheme == "http" || u.scheme == "ws") {
    u.port = 80;
  } else if (u.scheme == "https" || u.scheme == "wss") {
    u.port = 443;
  }
  u.target = target.empty() ? "/" : std::string(target);
  if (u.target.front() == '?') u.target.insert(0, "/");
  return u;
}

std::string Url::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + (port ? ":" + std::to_string(port) : "");
}

// ---- HTTP client ---------------------------------------------------------------------------

namespace {

struct HttpExchange : std::enable_shared_from_this<HttpExchange> {
  HttpExchange(asio::io_context& io) : resolver(io), stream(io), deadline(io) {}

  tcp::resolver resolver;
  beast::tcp_stream stream;
  asio::steady_timer deadline;
  HttpClientRequest req;
  Url url;
  http::request<http::string_body> out;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  std::function<void(HttpClientResponse)> done;
  bool timed_out = false;

  void finish(HttpClientResponse r) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    deadline.cancel();
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    d(std::move(r));
  }

  void fail(const std::string& what, const boost::system::error_code& ec) {
    HttpClientResponse r;
    if (timed_out) {
      r.error = req.method + " " + req.url + ": timed out after " +
                std::to_string(req.timeout.count()) + " ms";
    } else {
      r.error = req.method + " " + req.url + ": " + what + ": " + describe(ec);
    }
    finish(std::move(r));
  }

  void run() {
    auto self = shared_from_this();
    deadline.expires_after(req.timeout);
    deadline.async_wait([self](boost::system::error_code ec) {
      if (ec || !self->done) return;
      self->timed_out = true;
      self->resolver.cancel();
      self->stream.cancel();
    });
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [self](boost::system::error_code ec, tcp::resolver::results_type r) {
                             if (ec) return self->fail("resolve " + self->url.host, ec);
                             self->stream.async_connect(
                                 r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
                                   if (ec2) return self->fail("connect", ec2);
                                   self->send();
                                 });
                           });
  }

  void send() {
    auto verb = http::string_to_verb(req.method);
    out.method(verb == http::verb::unknown ? http::verb::get : verb);
    if (verb == http::verb::unknown) out.method_string(req.method);
    out.target(url.target);
    out.version(11);
    out.set(http::field::host, url.host + ":" + std::to_string(url.port));
    out.set(http::field::user_agent, "openclaw-host");
    out.set(http::field::connection, "close");
    for (auto& [k, v] : req.headers) out.set(k, v);
    if (!req.body.empty() || verb == http::verb::post || verb == http::verb::put) {
      out.set(http::field::content_type, req.content_type);
      out.body() = req.body;
      out.prepare_payload();
    }
    auto self = shared_from_this();
    http::async_write(stream, out, [self](boost::system::error_code ec, std::size_t) {
      if (ec) return self->fail("send", ec);
      self->parser.emplace();
      self->parser->body_limit(self->req.body_limit);
      http::async_read(self->stream, self->buffer, *self->parser,
                       [self](boost::system::error_code ec2, std::size_t) {
                         if (ec2) return self->fail("read response", ec2);
                         auto& res = self->parser->get();
                         HttpClientResponse r;
                         r.status = static_cast<int>(res.result_int());
                         for (const auto& f : res) {
                           r.headers[lower(f.name_string())] = std::string(f.value());
                         }
                         r.body = std::move(res.body());
                         self->finish(std::move(r));
                       });
    });
  }
};

}  // namespace

void http_request(asio::io_context& io, HttpClientRequest request,
                  std::function<void(HttpClientResponse)> done) {
  auto x = std::make_shared<HttpExchange>(io);
  x->done = std::move(done);
  auto url = Url::parse(request.url);
  std::string problem;
  if (!url) {
    problem = "not an absolute URL: \"" + request.url + "\"";
  } else {
    problem = unsupported_scheme(*url, false);
  }
  x->req = std::move(request);
  if (!problem.empty()) {
    asio::post(io, [x, problem] {
      HttpClientResponse r;
      r.error = problem;
      x->finish(std::move(r));
    });
    return;
  }
  x->url = *url;
  asio::post(io, [x] { x->run(); });
}

// ---- WebSocket client ----------------------------------------------------------------------

struct WebSocketClient::Impl : std::enable_shared_from_this<WebSocketClient::Impl> {
  Impl(asio::io_context& io) : resolver(io), ws(io) {}

  tcp::resolver resolver;
  websocket::stream<beast::tcp_stream> ws;
  Handlers handlers;
  Options options;
  Url url;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;
  bool writing = false;
  bool open = false;
  bool closed = false;  // no callbacks any more

  void end(int code, std::string reason) {
    if (closed) return;
    closed = true;
    open = false;
    queue.clear();
    auto cb = std::move(handlers.on_close);
    handlers = {};
    if (cb) cb(code, std::move(reason));
  }

  void start() {
    auto self = shared_from_this();
    beast::get_lowest_layer(ws).expires_after(options.connect_timeout);
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self](boost::system::error_code ec, tcp::resolver::results_type r) {
          if (self->closed) return;
          if (ec) return self->end(1006, "resolve " + self->url.host + ": " + describe(ec));
          beast::get_lowest_layer(self->ws).async_connect(
              r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
                if (self->closed) return;
                if (ec2) {
                  return self->end(1006, "connect " + self->url.origin() + ": " + describe(ec2));
                }
                self->handshake();
              });
        });
  }

  void handshake() {
    auto self = shared_from_this();
    ws.read_message_max(options.message_limit);
    ws.set_option(websocket::stream_base::decorator([self](websocket::request_type& req) {
      req.set(http::field::user_agent, "openclaw-host");
      for (auto& [k, v] : self->options.headers) req.set(k, v);
    }));
    ws.async_handshake(url.host + ":" + std::to_string(url.port), url.target,
                       [self](boost::system::error_code ec) {
                         if (self->closed) return;
                         if (ec) return self->end(1006, "WebSocket handshake with " +
                                                            self->url.origin() + self->url.target +
                                                            ": " + describe(ec));
                         beast::get_lowest_layer(self->ws).expires_never();
                         self->ws.set_option(websocket::stream_base::timeout{
                             std::chrono::seconds(10), websocket::stream_base::none(), false});
                         self->open = true;
                         if (self->handlers.on_open) self->handlers.on_open();
                         self->flush();
                         self->read();
                       });
  }

  void read() {
    auto self = shared_from_this();
    ws.async_read(buffer, [self](boost::system::error_code ec, std::size_t) {
      if (self->closed) return;
      if (ec) {
        int code = 1006;
        std::string reason = describe(ec);
        if (ec == websocket::error::closed) {
          code = self->ws.reason().code;
          reason = std::string(self->ws.reason().reason.c_str());
        } else if (ec == websocket::error::message_too_big) {
          code = 1009;
          reason = "message too big";
        }
        return self->end(code, reason);
      }
      std::string msg = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      if (self->handlers.on_message) self->handlers.on_message(std::move(msg));
      if (!self->closed) self->read();
    });
  }

  void flush() {
    if (writing || !open || queue.empty()) return;
    writing = true;
    auto self = shared_from_this();
    ws.text(true);
    ws.async_write(asio::buffer(queue.front()), [self](boost::system::error_code ec, std::size_t) {
      self->writing = false;
      if (self->closed) return;
      if (ec) return self->end(1006, "send: " + describe(ec));
      self->queue.pop_front();
      self->flush();
    });
  }

  void close(int code) {
    if (closed) return;
    bool was_open = open;
    closed = true;
    open = false;
    handlers = {};
    queue.clear();
    auto self = shared_from_this();
    boost::system::error_code ignored;
    resolver.cancel();
    if (was_open && !writing) {
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
      ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                     [self](boost::system::error_code) {
                       boost::system::error_code ig;
                       beast::get_lowest_layer(self->ws).socket().close(ig);
                     });
    } else {
      beast::get_lowest_layer(ws).socket().close(ignored);
    }
  }
};

WebSocketClient::WebSocketClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocketClient::~WebSocketClient() {
  if (impl_) impl_->close(1000);
}

std::unique_ptr<WebSocketClient> WebSocketClient::connect(asio::io_context& io,
                                                          const std::string& url,
                                                          Handlers handlers) {
  return connect(io, url, std::move(handlers), Options{});
}

std::unique_ptr<WebSocketClient> WebSocketClient::connect(asio::io_context& io,
                                                          const std::string& url,
                                                          Handlers handlers, Options options) {
  auto impl = std::make_shared<Impl>(io);
  impl->handlers = std::move(handlers);
  impl->options = std::move(options);
  auto parsed = Url::parse(url);
  std::string problem = parsed ? unsupported_scheme(*parsed, true)
                               : "not an absolute URL: \"" + url + "\"";
  if (!problem.empty()) {
    asio::post(io, [impl, problem] { impl->end(1006, problem); });
  } else {
    impl->url = *parsed;
    asio::post(io, [impl] {
      if (!impl->closed) impl->start();
    });
  }
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl)));
}

bool WebSocketClient::send(std::string text) {
  if (impl_->closed) return false;
  impl_->queue.push_back(std::move(text));
  impl_->flush();
  return true;
}

void WebSocketClient::close(int code) { impl_->close(code); }

bool WebSocketClient::is_open() const { return impl_->open; }

}  // namespace openclaw::sdk
