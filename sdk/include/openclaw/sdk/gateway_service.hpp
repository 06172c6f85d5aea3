#pragma once
/// \file
/// Host service "openclaw.gateway" (version 1): what a plugin that serves its own port needs to
/// know about the gateway it runs in, to apply the same access rules. A plugin asks for it with
/// `host.service<openclaw::sdk::Gateway>()` (nullptr on a host without it).

#include <optional>
#include <string>

#include <boost/config.hpp>

#include "openclaw/sdk/async.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace openclaw::sdk {

class BOOST_SYMBOL_VISIBLE Gateway {
 public:
  static constexpr const char* kServiceName = "openclaw.gateway";
  static constexpr int kServiceVersion = 1;
  virtual ~Gateway() = default;
  /// The gateway's port.
  virtual int port() const = 0;
  /// True when the gateway requires a token (from --token, OPENCLAW_GATEWAY_TOKEN or
  /// gateway.auth.token).
  virtual bool requires_token() const = 0;
  /// True when `request` may pass: no token is required, or its `Authorization: Bearer <token>`
  /// carries the gateway's token (compared in constant time). The token itself is never handed out.
  virtual bool authorized(const HttpRequest& request) const = 0;
  /// Takes WebSocket upgrades on the gateway's own port whose path is `path` or below it (e.g.
  /// "/__openclaw__/ws"; by convention under "/__openclaw__/" or "/<plugin id>/"). Every other
  /// path stays the gateway protocol's. No token is asked: check `request.headers` in on_open
  /// (and close) when the data is not public. Handlers run on the I/O thread. The registration is
  /// the plugin's to revoke in stop(): revoking closes the connections it accepted (1001).
  /// Throws std::invalid_argument for a bad or already taken path.
  virtual Registration add_websocket(std::string path, WebSocketHandlers handlers) = 0;
};

}  // namespace openclaw::sdk
