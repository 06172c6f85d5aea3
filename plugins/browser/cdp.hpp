#pragma once
// A Chrome DevTools Protocol session layer over the SDK's WebSocket client: request ids,
// per-call timeouts, events, flattened target sessions, and a clean error for every call in
// flight when the browser (or its connection) goes away.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <openclaw/sdk/http_client.hpp>

namespace boost::asio {
class io_context;
}

namespace browser {

class Cdp : public std::enable_shared_from_this<Cdp> {
 public:
  /// error is empty on success; result is the call's `result` object.
  using Reply = std::function<void(const std::string& error, const boost::json::object& result)>;
  using Event = std::function<void(const std::string& method, const boost::json::object& params,
                                   const std::string& session_id)>;

  /// Connects to a browser's (or page's) DevTools WebSocket URL. `on_ready("")` once open,
  /// `on_ready(error)` if it could not connect; `on_closed(reason)` later if it drops.
  static std::shared_ptr<Cdp> connect(boost::asio::io_context& io, const std::string& ws_url,
                                      std::function<void(const std::string&)> on_ready,
                                      std::function<void(const std::string&)> on_closed);
  ~Cdp();

  /// Sends `method` (to a target session when `session_id` is set). The reply comes exactly once:
  /// the result, CDP's own error message, "timed out after N ms", or the connection's end.
  void call(const std::string& method, boost::json::object params, const std::string& session_id,
            std::chrono::milliseconds timeout, Reply reply);
  void call(const std::string& method, boost::json::object params, Reply reply) {
    call(method, std::move(params), {}, std::chrono::seconds(20), std::move(reply));
  }
  void on_event(Event handler) { event_ = std::move(handler); }
  /// Ends the connection; calls in flight get `reason`.
  void close(const std::string& reason);
  bool is_open() const { return open_; }
  const std::string& url() const { return url_; }
  /// Calls sent and not answered yet.
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending;
  explicit Cdp(boost::asio::io_context& io);
  void receive(const std::string& text);
  void fail_all(const std::string& reason);

  boost::asio::io_context& io_;
  std::unique_ptr<openclaw::sdk::WebSocketClient> ws_;
  std::string url_;
  bool open_ = false;
  long long next_id_ = 1;
  std::map<long long, std::shared_ptr<Pending>> pending_;
  Event event_;
  std::function<void(const std::string&)> on_closed_;
};

/// One CDP request frame: `{"id", "method", "params"[, "sessionId"]}` as JSON text.
inline std::string cdp_request(long long id, const std::string& method, boost::json::object params,
                               const std::string& session_id = {}) {
  boost::json::object msg{{"id", id}, {"method", method}, {"params", std::move(params)}};
  if (!session_id.empty()) msg["sessionId"] = session_id;
  return boost::json::serialize(msg);
}

/// What a browser's `/json/version` said: `error` when it could not be asked ("connection
/// refused", "timed out after 1000 ms"), else the HTTP status and its `webSocketDebuggerUrl` (""
/// when the answer had none).
struct VersionReply {
  std::string error;
  int status = 0;
  std::string websocket_url;
};

/// Asks the browser at `origin` ("http://127.0.0.1:9222") for `/json/version`: the discovery
/// request that finds a browser's DevTools WebSocket. `done` runs once, on the I/O thread.
void fetch_version(boost::asio::io_context& io, const std::string& origin,
                   std::chrono::milliseconds timeout,
                   std::function<void(const VersionReply&)> done);

/// Resolves `host` and calls `done` with its addresses (empty and an error on failure).
void resolve_host(boost::asio::io_context& io, const std::string& host,
                  std::function<void(const std::string& error, std::vector<std::string>)> done);

}  // namespace browser
