#pragma once
// The host service "openclaw.gateway" (sdk::Gateway): what plugins serving a port of their own
// need to apply the gateway's access rules (its token), and WebSocket paths of their own on the
// gateway's port. Upgrades on a plugin's path go to that plugin; all others to the protocol.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "openclaw/sdk/gateway_service.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace openclaw::gateway {

class GatewayService final : public sdk::Gateway {
 public:
  GatewayService(int port, std::optional<std::string> token)
      : port_(port), token_(std::move(token)) {}

  /// The handlers to install on the gateway's HTTP server: plugins' paths first, then `protocol`.
  sdk::WebSocketHandlers route_websockets(sdk::WebSocketHandlers protocol);

  sdk::Registration add_websocket(std::string path, sdk::WebSocketHandlers handlers) override;
  int port() const override { return port_; }
  bool requires_token() const override { return token_.has_value(); }
  bool authorized(const sdk::HttpRequest& request) const override;

 private:
  struct WsRoute {
    sdk::WebSocketHandlers handlers;
    std::map<std::uint64_t, std::shared_ptr<sdk::WebSocket>> sockets;
  };
  WsRoute* owner(std::uint64_t id);

  int port_;
  std::optional<std::string> token_;
  sdk::WebSocketHandlers protocol_;
  std::map<std::string, WsRoute> ws_routes_;
  std::map<std::uint64_t, std::string> ws_owner_;  // socket id -> its route's path
};

}  // namespace openclaw::gateway
