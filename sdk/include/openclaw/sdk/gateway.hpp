#pragma once
/// \file
/// Host service "openclaw.gateway" (version 1): what a plugin that serves its own port needs to
/// know about the gateway it runs in, to apply the same access rules. A plugin asks for it with
/// `host.service<openclaw::sdk::Gateway>()` (nullptr on a host without it).

#include <optional>
#include <string>

#include <boost/config.hpp>

namespace openclaw::sdk {

struct HttpRequest;

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
};

}  // namespace openclaw::sdk
