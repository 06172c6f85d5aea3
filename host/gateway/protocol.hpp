#pragma once
// The OpenClaw gateway protocol, version 4, over WebSocket text frames on the base port:
// connect.challenge event first, `connect` as the first request (protocol range, token), then
// request/response frames for methods and server-pushed events. Shapes follow
// the recording of OpenClaw 2026.9.6's CLI and gateway (docs/gateway-protocol.md).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "openclaw/sdk/errors.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "openclaw/sdk/plugin.hpp"

namespace openclaw::gateway {

inline constexpr int kProtocolVersion = 4;
/// Largest frame the protocol accepts (advertised as policy.maxPayload); larger frames up to
/// kTransportLimit get an error response and a 1009 close, beyond it the transport closes.
inline constexpr std::size_t kMaxPayload = 4 << 20;
inline constexpr std::size_t kTransportLimit = 32 << 20;
/// Most bytes queued for one client (advertised as policy.maxBufferedBytes and enforced by the
/// HTTP server's per-connection send limit): a client that stops reading is closed past it.
inline constexpr std::size_t kMaxBufferedBytes = 2 * kMaxPayload;
inline constexpr int kTickIntervalMs = 30000;

/// An error a built-in method answers with: {"code", "message", "details"} (the SDK's, which
/// plugins' synchronous handlers throw too).
using MethodError = sdk::MethodError;

/// Who the gateway is, as hello-ok tells clients.
struct ProtocolIdentity {
  std::optional<std::string> token;  ///< required from clients when set
  std::string version;
  std::string boot_id;
  std::int64_t started_ms = 0;
};

/// What the protocol needs from the gateway around it (the gateway implements it).
class ProtocolHost {
 public:
  virtual ~ProtocolHost() = default;
  virtual void log(sdk::LogLevel level, const std::string& message) = 0;
  /// Payloads of the snapshot in hello-ok.
  virtual boost::json::value health() = 0;
  virtual boost::json::value presence_self() = 0;
  /// Runs `fn` once after `delay` on the I/O thread (presence coalescing, answer deadlines).
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  /// A plugin's method, looked up at call time (see plugins::Manager::call_method): its answer
  /// deadline, nullopt when no running plugin has it.
  virtual std::optional<std::chrono::milliseconds> call_plugin_method(
      const std::string& name, const boost::json::value& params, const sdk::Caller& caller,
      sdk::MethodResponder respond) = 0;
  /// Names of the plugins' methods (advertised in hello-ok).
  virtual std::vector<std::string> plugin_method_names() = 0;
  /// hello-ok's `pluginSurfaceUrls` for a client that reached the gateway as `host` (its
  /// upgrade request's Host header, already checked): the canvas, when it runs. Empty by default.
  virtual boost::json::object plugin_surface_urls(const std::string& host) {
    (void)host;
    return {};
  }
};

class Protocol {
 public:
  Protocol(ProtocolHost& host, ProtocolIdentity identity);

  /// Adds a built-in method that answers at once. Must precede the first connection.
  void add_method(std::string name, sdk::MethodHandler handler);
  /// Adds a built-in method that answers through its responder, now or later.
  /// Built-in methods' answer deadline when they answer later (plugin methods bring their own).
  static constexpr std::chrono::milliseconds kDefaultTimeout{30000};
  /// `timeout`: how long the method may take to answer before the client gets TIMEOUT.
  void add_async_method(std::string name, sdk::AsyncMethodHandler handler,
                        std::chrono::milliseconds timeout = kDefaultTimeout);
  std::vector<std::string> method_names() const;
  static const std::vector<std::string>& event_names();

  /// Handlers to install on the HTTP server.
  sdk::WebSocketHandlers handlers();

  /// Sends an event to every connected (authenticated) client.
  void broadcast(const std::string& event, const boost::json::value& payload);
  /// Sends `shutdown` to every client and closes them with 1001.
  void shutdown(const std::string& reason);
  /// WebSockets not yet closed, connected or not.
  std::size_t open_connections() const { return connections_.size(); }
  /// The presence list as `system-presence` answers it: the gateway first, then every listed
  /// client.
  boost::json::array presence() const;
  /// Clients closed for not reading (past maxBufferedBytes) since the start, and when the last
  /// was (0: never).
  std::int64_t slow_consumer_closes() const { return slow_consumers_; }
  std::int64_t last_slow_consumer_ms() const { return last_slow_consumer_ms_; }

  /// The text of one frame; exposed for tests.
  static std::string response_ok(const boost::json::value& id, const boost::json::value& payload);
  static std::string response_error(const boost::json::value& id, const std::string& code,
                                    const std::string& message, const boost::json::value& details);

 private:
  struct Connection {
    std::shared_ptr<sdk::WebSocket> ws;
    std::string nonce;
    std::string conn_id;
    bool connected = false;
    boost::json::value client;
    std::string role;
    boost::json::value scopes;
    std::int64_t since_ms = 0;
    std::string host;          ///< the upgrade request's Host header
    bool in_presence = false;  ///< listed in presence (every client but OpenClaw's CLI)
    sdk::Caller caller;        ///< what method handlers learn of the client
  };
  void send_to_connected(const sdk::SharedFrame& frame);
  void dispatch(Connection& c, const boost::json::value& id, const std::string& method,
                const boost::json::value& params);

  void on_open(const std::shared_ptr<sdk::WebSocket>& ws);
  void on_message(const std::shared_ptr<sdk::WebSocket>& ws, const std::string& text);
  void on_close(const std::shared_ptr<sdk::WebSocket>& ws);
  void handle_connect(Connection& c, const boost::json::value& id,
                      const boost::json::value& params);
  void admit(Connection& c, const boost::json::object& params);
  boost::json::object hello_payload(const Connection& c) const;
  void send_hello(Connection& c, const boost::json::value& id);
  void reject(Connection& c, const boost::json::value& id, const std::string& code,
              const std::string& message, const boost::json::value& details);
  boost::json::object presence_entry(const Connection& c) const;
  /// Rebuilds presence_entries_ from the connections (and bumps the presence version).
  void refresh_presence();
  /// Presence changes are broadcast at most every 200 ms: a burst of N connects would
  /// otherwise send N presence lists to N clients (O(N^2) frames).
  void presence_changed();
  bool presence_pending_ = false;
  /// The presence list's entries as JSON text, comma-separated (the gateway itself first), as of
  /// the last broadcast; hello-ok frames share it.
  sdk::SharedFrame presence_entries_;
  std::int64_t presence_version_ = 0;
  std::int64_t slow_consumers_ = 0;
  std::int64_t last_slow_consumer_ms_ = 0;
  /// Where hello-ok's presence list goes in its serialized text.
  static constexpr const char* kPresenceMarker = "\u0001openclaw-presence\u0001";

  ProtocolHost& host_;
  ProtocolIdentity id_;
  std::map<std::string, sdk::MethodHandler> methods_;
  std::map<std::string, sdk::AsyncMethodHandler> async_methods_;
  std::map<std::string, std::chrono::milliseconds> async_timeouts_;
  std::map<std::uint64_t, Connection> connections_;
};

/// A random RFC 4122 version 4 UUID.
std::string uuid4();

}  // namespace openclaw::gateway
