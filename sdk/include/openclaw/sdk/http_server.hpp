#pragma once
/// \file
/// A small HTTP/1.1 server on the host's shared I/O context, used by the gateway and by plugins
/// (browser control, canvas, third-party routes) instead of each writing its own. Boost.Beast
/// stays inside libopenclaw-sdk.so; this header only needs a forward declaration of Asio.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>

#include "openclaw/sdk/async.hpp"
#include "openclaw/sdk/origin.hpp"

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

struct BOOST_SYMBOL_VISIBLE HttpRequest {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< as sent: path and query
  std::string path;    ///< target without the query, percent-decoding not applied
  std::string query;   ///< after '?', or empty
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  std::string remote_address;

  /// The value of query parameter `name` (percent-decoded), or "" when absent.
  std::string query_param(const std::string& name) const;
};

/// A request target as it may go into a log: parameters of the query whose names look like
/// credentials (containing token, key, secret, password, auth, sig) show as `name=***`, control
/// bytes as '?', and past `max_bytes` the rest is cut and marked "…(truncated)". Every access or
/// refusal log of a request target goes through this.
BOOST_SYMBOL_EXPORT std::string loggable_target(std::string_view target,
                                                std::size_t max_bytes = 200);

struct BOOST_SYMBOL_VISIBLE HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers

  static HttpResponse text(int status, std::string body,
                           std::string content_type = "text/plain; charset=utf-8");
  /// `{"ok":false,"error":{"code":...,"message":...}}` with the given status.
  static HttpResponse error(int status, const std::string& code, const std::string& message);
};

/// A response whose body is a file on disk, sent with HttpResponder::send_file(): the server
/// hands it to the kernel with sendfile(2) (or, where the file system cannot, reads it in 64 KiB
/// chunks), so a 1 GB file costs no memory in the process, not 1 GB. A file (or range) of up to
/// 32 KiB is read and sent with the head in one call instead, cheaper for both ends.
struct BOOST_SYMBOL_VISIBLE HttpFileResponse {
  int status = 200;  ///< 200, or 206 for a range
  std::string content_type = "application/octet-stream";
  /// Opened (non-blocking, see open_regular_file) when the answer is sent; 404 if it is gone by
  /// then or is not a regular file (a FIFO, socket or device is never waited on).
  std::filesystem::path path;
  /// Or an open file descriptor the server takes over (and closes): what a plugin that opened the
  /// file itself (safely, e.g. with openat2 beneath a root) sends without a second lookup.
  int fd = -1;
  std::uint64_t offset = 0;  ///< first byte sent
  /// Bytes sent (Content-Length); nullopt: to the end. With `fd` and `length` both given the
  /// server trusts them (no second stat): they must fit the file.
  std::optional<std::uint64_t> length;
  /// Extra headers (ETag, Last-Modified, Content-Range, Cache-Control, ...); none are added but
  /// Server, Content-Type and Content-Length.
  std::vector<std::pair<std::string, std::string>> headers;
  bool head = false;  ///< headers only, for HEAD (also implied when the request was a HEAD)
};

/// Answers at once: the returned response is sent (a thrown std::exception becomes a 500).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
/// Answers through `respond`, now or later (see HttpResponder); the connection waits for it,
/// up to Options::request_timeout_seconds (then 504).
using AsyncHttpHandler = std::function<void(const HttpRequest&, HttpResponder respond)>;

/// The text of one frame, shared by every connection it is sent to: a broadcast is serialized once
/// and each connection's queue holds a reference, not a copy.
using SharedFrame = std::shared_ptr<const std::string>;

/// One accepted WebSocket connection. Every member may be called from any thread.
///
/// Each connection's send queue is bounded by `HttpServer::Options::websocket_send_limit`: a
/// frame that would take the bytes queued and not yet written past it closes the connection with
/// 1008 (a slow consumer) instead of growing the queue; other connections are not affected.
class BOOST_SYMBOL_VISIBLE WebSocket {
 public:
  virtual ~WebSocket() = default;
  /// Queues a text frame; frames go out in order.
  virtual void send(std::string text) = 0;
  /// Sends the queued frames, then a close frame with `code` and `reason`.
  virtual void close(int code, std::string reason) = 0;
  virtual const std::string& remote_address() const = 0;
  /// Unique per server, for bookkeeping.
  virtual std::uint64_t id() const = 0;
  /// Queues a shared frame without copying it; frames go out in order with those of send(text).
  virtual void send(SharedFrame frame) = 0;
  /// Queues one frame whose text is `parts` joined, none of them copied: a per-connection head
  /// and tail around a large shared middle (e.g. one list every client's reply embeds).
  virtual void send(std::vector<SharedFrame> parts) = 0;
  /// Bytes queued (or being written) and not yet handed to the kernel.
  virtual std::size_t buffered_bytes() const = 0;
  /// Why the connection closed or is closing ("" while open), e.g. the slow-consumer reason.
  virtual std::string close_reason() const = 0;
};

/// Callbacks for WebSocket upgrades; they run on the io_context's thread.
struct WebSocketHandlers {
  /// After the handshake (the upgrade request is passed for its headers).
  std::function<void(const std::shared_ptr<WebSocket>&, const HttpRequest&)> on_open;
  /// One complete text (or binary) message.
  std::function<void(const std::shared_ptr<WebSocket>&, std::string message)> on_message;
  /// Once, when the connection is gone: the close code received or sent, 1006 if none.
  std::function<void(const std::shared_ptr<WebSocket>&, int code)> on_close;
};

/// OWNERSHIP: the server must be stopped (or destroyed) before the io_context it runs on.
/// Handlers run on the io_context's thread; an exception from a handler becomes a 500 response.
/// Requests on one connection are answered in order (HTTP/1.1): the next is read after the answer.
class BOOST_SYMBOL_VISIBLE HttpServer {
 public:
  struct Options {
    std::size_t body_limit = 1 << 20;  ///< larger bodies get 413
    int idle_timeout_seconds = 30;     ///< idle keep-alive connections are closed after this
    /// An asynchronous handler that has not answered after this is answered 504 for it.
    int request_timeout_seconds = 30;
    /// Larger WebSocket messages close the connection with 1009 (message too big).
    std::size_t websocket_message_limit = 4 << 20;
    /// Most bytes one WebSocket may have queued for sending; past it the connection is closed
    /// with 1008 (0 = unbounded). A consumer that stops reading then costs at most this much.
    std::size_t websocket_send_limit = 16 << 20;
    /// After a close frame is due, how long a peer that does not read gets before the socket is
    /// cut without the close handshake.
    int websocket_close_grace_ms = 2000;
    /// Most connections open at once on this server, HTTP and WebSocket together (0 = no cap).
    /// A newcomer at the cap takes the place of the connection idle the longest (a keep-alive
    /// connection between requests, or one that has sent nothing yet; never one mid-request or a
    /// WebSocket); with none idle it is answered 503 (Retry-After: 1, Connection: close) at once.
    /// The same happens when the process runs out of file descriptors, whatever the cap.
    std::size_t max_connections = 1024;
    /// From the first byte of a request until its head (request line and headers) is complete;
    /// a slower head is answered 408 and the connection closed. Independent of the idle timeout:
    /// a client trickling a byte at a time cannot hold a connection past it. 0: only the idle
    /// timeout applies.
    int head_timeout_ms = 10'000;
    /// From the end of a request's head until its whole body has arrived (Content-Length or
    /// chunked); a slower body is answered 408. Raise it with body_limit for large uploads.
    /// 0: only the idle timeout applies.
    int body_timeout_ms = 60'000;
    /// Where the server reports conditions an operator should see (the connection cap reached,
    /// accept failing for lack of file descriptors), at most once per 10 s per condition, on the
    /// io_context's thread. Empty: one line on stderr.
    std::function<void(const std::string&)> on_warning;
    /// Which browsers' requests pass (see origin.hpp): on by default, loopback names and this
    /// server's own origin only. Every request and WebSocket upgrade is checked before the
    /// handler sees it (421 for a foreign Host, 403 for a foreign Origin).
    OriginPolicy origin_policy;
  };

  /// Counters since listen(), for health pages and tests. Read them on the io_context's thread.
  struct Stats {
    std::size_t connections = 0;  ///< open now, HTTP and WebSocket
    std::uint64_t shed_idle = 0;  ///< idle connections closed to make room for a newcomer
    std::uint64_t refused = 0;    ///< newcomers answered 503: at the cap or out of descriptors,
                                  ///< and nothing idle to close
    /// Pauses of the accept loop (10-100 ms) when, out of descriptors, even the reserve one
    /// could not be used to answer a client.
    std::uint64_t accept_backoffs = 0;
    std::uint64_t timed_out = 0;  ///< requests answered 408 (head or body too slow)
  };

  BOOST_SYMBOL_EXPORT HttpServer(boost::asio::io_context& io, HttpHandler handler);
  BOOST_SYMBOL_EXPORT HttpServer(boost::asio::io_context& io, HttpHandler handler, Options options);
  BOOST_SYMBOL_EXPORT HttpServer(boost::asio::io_context& io, AsyncHttpHandler handler);
  BOOST_SYMBOL_EXPORT HttpServer(boost::asio::io_context& io, AsyncHttpHandler handler,
                                 Options options);
  BOOST_SYMBOL_EXPORT ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and listens on `address`:`port` (SO_REUSEADDR) and starts accepting. Throws
  /// std::system_error (e.g. address in use) naming the address and port. If SIGPIPE still has
  /// its default disposition it is set to ignored: files are sent with sendfile(2), and a peer
  /// that hangs up mid-file must cost the connection, not the process. One descriptor (of
  /// /dev/null) is kept in reserve: when accept() fails for lack of descriptors it is given up for
  /// a moment, so the next client can still be accepted and answered (see max_connections)
  /// rather than left in the backlog; accept() is never retried in a busy loop.
  BOOST_SYMBOL_EXPORT void listen(const std::string& address, int port);
  /// Accepts WebSocket upgrades (on any path) with these handlers. Call before listen().
  BOOST_SYMBOL_EXPORT void set_websocket(WebSocketHandlers handlers);
  /// Replaces Options::origin_policy on a running server (a plugin's reconfigure(): the config's
  /// allowedOrigins changed). Requests and WebSocket handshakes that arrive from now on are
  /// checked against it; connections already open stay.
  BOOST_SYMBOL_EXPORT void set_origin_policy(OriginPolicy policy);
  /// Stops accepting and closes every open connection (WebSockets with 1001). Idempotent.
  BOOST_SYMBOL_EXPORT void stop();
  /// The bound port (after listen).
  BOOST_SYMBOL_EXPORT int port() const;
  /// See Stats. On the io_context's thread.
  BOOST_SYMBOL_EXPORT Stats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace openclaw::sdk
