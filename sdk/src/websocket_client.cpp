// The WebSocket client (see http_client.hpp): connect, handshake, then read messages and write
// a queue in order, plain or TLS.
#include "openclaw/sdk/http_client.hpp"

#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "client_transport.hpp"

namespace openclaw::sdk {
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using namespace client;

struct WebSocketClient::Impl {
  virtual ~Impl() = default;
  virtual void begin(std::string problem) = 0;
  virtual bool send(std::string text) = 0;
  virtual void close(int code) = 0;
  virtual bool is_open() const = 0;
};

namespace {

template <typename Stream>
struct WsImpl final : WebSocketClient::Impl, std::enable_shared_from_this<WsImpl<Stream>> {
  template <typename... Args>
  WsImpl(asio::io_context& io, Args&&... args)
      : io_(io), resolver(io), ws(io, std::forward<Args>(args)...) {}

  asio::io_context& io_;
  tcp::resolver resolver;
  websocket::stream<Stream> ws;
  std::shared_ptr<ssl::context> tls;
  WebSocketClient::Handlers handlers;
  WebSocketClient::Options options;
  Url url;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;
  bool writing = false;
  bool open = false;
  bool closed = false;  // no callbacks any more

  void begin(std::string problem) override {
    auto self = this->shared_from_this();
    if (!problem.empty()) {
      asio::post(io_, [self, problem] { self->end(1006, problem); });
    } else {
      asio::post(io_, [self] {
        if (!self->closed) self->start();
      });
    }
  }

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
    beast::get_lowest_layer(ws).expires_after(options.connect_timeout);
    auto self = this->shared_from_this();
    open_stream(
        ws.next_layer(), resolver, url, [self] { return self->closed; },
        [self](error_code ec, OpenStep step, const std::string& why) {
          if (!ec) return self->handshake();
          const Url& u = self->url;
          switch (step) {
            case OpenStep::resolve:
              return self->end(1006, "resolve " + u.host + ": " + why);
            case OpenStep::connect:
              return self->end(1006, "connect " + u.origin() + ": " + why);
            case OpenStep::tls_handshake:
              return self->end(1006, "TLS handshake with " + u.origin() + ": " + why);
          }
        });
  }

  void handshake() {
    auto self = this->shared_from_this();
    ws.read_message_max(options.message_limit);
    // The decorator is stored in the stream this object owns: it must not hold `self` (a cycle
    // that would keep every connection alive forever).
    ws.set_option(websocket::stream_base::decorator(
        [headers = options.headers](websocket::request_type& req) {
          req.set(http::field::user_agent, "openclaw-host");
          for (const auto& [k, v] : headers) req.set(k, v);
        }));
    ws.async_handshake(url.host + ":" + std::to_string(url.port), url.target,
                       [self](error_code ec) {
                         if (self->closed) return;
                         if (ec)
                           return self->end(1006, "WebSocket handshake with " + self->url.origin() +
                                                      self->url.target + ": " + describe(ec));
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
    auto self = this->shared_from_this();
    ws.async_read(buffer, [self](error_code ec, std::size_t) {
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
    auto self = this->shared_from_this();
    ws.text(true);
    ws.async_write(asio::buffer(queue.front()), [self](error_code ec, std::size_t) {
      self->writing = false;
      if (self->closed) return;
      if (ec) return self->end(1006, "send: " + describe(ec));
      self->queue.pop_front();
      self->flush();
    });
  }

  bool send(std::string text) override {
    if (closed) return false;
    queue.push_back(std::move(text));
    flush();
    return true;
  }

  bool is_open() const override { return open; }

  void close(int code) override {
    if (closed) return;
    bool was_open = open;
    closed = true;
    open = false;
    handlers = {};
    queue.clear();
    auto self = this->shared_from_this();
    resolver.cancel();
    if (was_open && !writing) {
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
      ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)), [self](error_code) {
        error_code ig;
        beast::get_lowest_layer(self->ws).socket().close(ig);
      });
    } else {
      error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
    }
  }
};

}  // namespace

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
                                                          const std::string& url, Handlers handlers,
                                                          Options options) {
  auto parsed = Url::parse(url);
  bool tls = false;
  std::shared_ptr<ssl::context> ctx;
  std::string problem =
      parsed ? scheme_problem(*parsed, true, tls) : "not an absolute URL: \"" + url + "\"";
  if (problem.empty() && tls) ctx = tls_context(options.ca_file, problem);
  auto setup = [&](auto impl) -> std::shared_ptr<Impl> {
    impl->handlers = std::move(handlers);
    impl->options = std::move(options);
    impl->tls = ctx;
    if (parsed) impl->url = *parsed;
    impl->begin(problem);
    return impl;
  };
  std::shared_ptr<Impl> impl = tls && ctx ? setup(std::make_shared<WsImpl<TlsStream>>(io, *ctx))
                                          : setup(std::make_shared<WsImpl<PlainStream>>(io));
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl)));
}

bool WebSocketClient::send(std::string text) {
  return impl_->send(std::move(text));
}

void WebSocketClient::close(int code) {
  impl_->close(code);
}

bool WebSocketClient::is_open() const {
  return impl_->is_open();
}

}  // namespace openclaw::sdk
