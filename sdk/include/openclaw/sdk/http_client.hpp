#pragma once
/// \file
/// Asynchronous HTTP/1.1 and WebSocket clients on the host's I/O context: a plugin talks to
/// Chromium's DevTools endpoint, a bot API or a webhook without blocking the one I/O thread.
/// Boost.Beast and OpenSSL stay inside libopenclaw-sdk.so. `https://` and `wss://` are TLS 1.2+
/// with the peer always verified: its certificate chain against the system's trust store (or
/// `ca_file`) and its name against the URL's host (SNI sent). There is no switch to skip it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>

#include "openclaw/sdk/url.hpp"  // Url

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

struct BOOST_SYMBOL_VISIBLE HttpClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  ///< sent with Content-Length when non-empty or the method is POST/PUT
  std::string content_type = "application/json";
  /// The whole exchange (connect, send, receive) must finish within this.
  std::chrono::milliseconds timeout{30000};
  std::size_t body_limit = 64 << 20;  ///< larger response bodies are an error
  /// https: trust this PEM file's CAs instead of the system's (a private CA, a test).
  std::string ca_file;
};

struct BOOST_SYMBOL_VISIBLE HttpClientResponse {
  /// Empty on success (any HTTP status); else why no response came ("connection refused",
  /// "timed out after 500 ms", ...).
  std::string error;
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
};

/// Sends one request (a fresh connection each time, closed after) and calls `done` exactly once,
/// on the I/O thread, never from inside this call.
BOOST_SYMBOL_EXPORT void http_request(boost::asio::io_context& io, HttpClientRequest request,
                                      std::function<void(HttpClientResponse)> done);

/// An HTTP client that keeps connections open between requests (HTTP/1.1 keep-alive), per
/// origin: for many requests to one service (a bot API, a webhook receiver), without a TCP (and
/// TLS) handshake each time. At most `max_connections` per origin are open; further requests wait
/// for one in order. A request sent on a reused connection that the server had meanwhile closed
/// (no byte of an answer came) is sent once more on a new connection. TLS as http_request: the
/// peer always verified. OWNERSHIP: destroying the client closes every connection; requests in
/// flight then get "the client was closed". Call members on the I/O thread.
class BOOST_SYMBOL_VISIBLE HttpClient {
 public:
  struct Options {
    std::size_t max_connections = 8;  ///< per origin
    std::chrono::milliseconds idle_timeout{
        20000};  ///< idle connections older than this are not reused
  };
  BOOST_SYMBOL_EXPORT static std::unique_ptr<HttpClient> create(boost::asio::io_context& io,
                                                                Options options);
  BOOST_SYMBOL_EXPORT static std::unique_ptr<HttpClient> create(boost::asio::io_context& io);
  BOOST_SYMBOL_EXPORT ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  /// Sends `request` (its `ca_file` and `timeout` apply; the connection is kept) and calls `done`
  /// exactly once, on the I/O thread, never from inside this call.
  BOOST_SYMBOL_EXPORT void request(HttpClientRequest request,
                                   std::function<void(HttpClientResponse)> done);
  /// Connections open now (idle or busy), over every origin.
  BOOST_SYMBOL_EXPORT std::size_t open_connections() const;

  struct Impl;

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

/// A WebSocket client connection. OWNERSHIP: the callbacks stop when close() is called or the
/// handle is destroyed; pending sends are then dropped. Call members on the I/O thread.
class BOOST_SYMBOL_VISIBLE WebSocketClient {
 public:
  struct Handlers {
    /// The handshake completed.
    std::function<void()> on_open;
    /// One complete message (text or binary).
    std::function<void(std::string message)> on_message;
    /// Once: the connection could not be made or is gone. `code` is the close code received
    /// (1006 when the connection just broke or never opened), `reason` says why.
    std::function<void(int code, std::string reason)> on_close;
  };
  struct Options {
    std::chrono::milliseconds connect_timeout{10000};          ///< TCP connect + handshake
    std::size_t message_limit = 256 << 20;                     ///< larger messages close with 1009
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra handshake headers
    /// wss: trust this PEM file's CAs instead of the system's.
    std::string ca_file;
  };

  /// Starts connecting to `url` (ws:// or wss://host:port/path); the result comes through
  /// `handlers`.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<WebSocketClient> connect(boost::asio::io_context& io,
                                                                      const std::string& url,
                                                                      Handlers handlers,
                                                                      Options options);
  BOOST_SYMBOL_EXPORT static std::unique_ptr<WebSocketClient> connect(boost::asio::io_context& io,
                                                                      const std::string& url,
                                                                      Handlers handlers);
  BOOST_SYMBOL_EXPORT ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  /// Queues a text message (sent once open, in order). False when closed.
  BOOST_SYMBOL_EXPORT bool send(std::string text);
  /// Sends a close frame; no callback runs after this call.
  BOOST_SYMBOL_EXPORT void close(int code = 1000);
  /// True between on_open and the close.
  BOOST_SYMBOL_EXPORT bool is_open() const;

  struct Impl;

 private:
  explicit WebSocketClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace openclaw::sdk
