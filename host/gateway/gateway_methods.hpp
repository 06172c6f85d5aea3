#pragma once
// The gateway's own methods and HTTP endpoints, and the health and status they report.

#include <optional>

#include <boost/json/value.hpp>

#include "gateway/channel_router.hpp"
#include "gateway/instance_claims.hpp"
#include "gateway/protocol.hpp"
#include "gateway/watchdog.hpp"
#include "instance/instance.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "plugins/manager.hpp"

namespace openclaw::gateway {

class GatewayMethods {
 public:
  GatewayMethods(const Instance& inst, const InstanceClaims& claims, plugins::Manager& manager,
                 ChannelRouter& channels, const Watchdog& watchdog)
      : inst_(inst), claims_(claims), manager_(manager), channels_(channels), watchdog_(watchdog) {}

  /// The `health` payload: plugins loaded / failed / disabled, channels, uptime.
  boost::json::value health() const;
  /// The `status` payload: the instance (as `status --json` shows it), leases, plugins, channels.
  boost::json::value status() const;
  /// This gateway's own presence entry.
  boost::json::value presence_self() const;
  /// GET /health, /healthz, /ready, /readyz, /api/status and the status page at /; nullopt for any
  /// other request (a plugin route, or 404).
  std::optional<sdk::HttpResponse> http(const sdk::HttpRequest& request) const;
  /// health, status, ports.list, plugins.list, channels.status, config.get, send.
  void add_methods(Protocol& protocol);
  /// /readyz: 200 when every enabled plugin runs and every channel that connected still is,
  /// else 503 with `failing` naming each.
  sdk::HttpResponse ready() const;

 private:
  boost::json::array lease_list() const;

  const Instance& inst_;
  const InstanceClaims& claims_;
  plugins::Manager& manager_;
  ChannelRouter& channels_;
  const Watchdog& watchdog_;
};

}  // namespace openclaw::gateway
