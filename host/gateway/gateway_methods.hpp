#pragma once
// The gateway's own methods and HTTP endpoints, and the health and status they report.

#include <memory>
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
  /// The `status` payload: the instance (as `status --json` shows it), leases, plugins, channels,
  /// and the fields OpenClaw's status has (sessions, channelSummary unless
  /// params.includeChannelSummary is false, cliProjection when params.includeCliProjection).
  boost::json::value status(const boost::json::object& params = {}) const;
  /// This gateway's own presence entry.
  boost::json::value presence_self() const;
  /// GET /health, /healthz, /ready, /readyz, /api/status, /api/portmap.svg and the status page at
  /// /; nullopt for any
  /// other request (a plugin route, or 404).
  std::optional<sdk::HttpResponse> http(const sdk::HttpRequest& request) const;
  /// health, status, ports.list, plugins.list, channels.status, config.get, send, and OpenClaw's
  /// system-presence, logs.tail, diagnostics.stability, last-heartbeat, node.list, cron.list,
  /// usage.cost (docs/gateway-protocol.md).
  void add_methods(Protocol& protocol);
  /// /readyz: 200 when every enabled plugin runs and every channel that connected still is,
  /// else 503 with `failing` naming each.
  sdk::HttpResponse ready() const;

 private:
  boost::json::array lease_list() const;
  /// GET /api/portmap.svg: every instance on the machine (ports/port_map.hpp), with the rescue
  /// plugin's view of who is up when it runs here; built at most once a second.
  std::string port_map_svg() const;
  mutable std::string port_map_;
  mutable std::int64_t port_map_at_ = -1;
  /// Every channel as health and channels.status show it: {channels, channelOrder,
  /// channelLabels, channelAccounts, channelDefaultAccountId}.
  boost::json::object channel_views() const;
  boost::json::object event_loop() const;
  boost::json::value channels_status(const boost::json::object& params) const;
  boost::json::value logs_tail(const boost::json::object& params) const;
  boost::json::value stability(const boost::json::object& params) const;
  void send(const boost::json::object& params, sdk::MethodResponder respond);

  struct SendCache;
  std::shared_ptr<SendCache> sends_;
  const Protocol* protocol_ = nullptr;

  const Instance& inst_;
  const InstanceClaims& claims_;
  plugins::Manager& manager_;
  ChannelRouter& channels_;
  const Watchdog& watchdog_;
};

}  // namespace openclaw::gateway
