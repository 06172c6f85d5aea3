#pragma once
/// \file
/// Host service "openclaw.claims" (version 1): machine-wide exclusive claims on things the port
/// registry does not hold, such as a browser several instances could attach to by URL. A plugin
/// asks for it with `host.service<openclaw::sdk::Claims>()` (nullptr on a host without it).

#include <string>

#include <boost/config.hpp>

#include "openclaw/sdk/async.hpp"

namespace openclaw::sdk {

class BOOST_SYMBOL_VISIBLE Claims {
 public:
  static constexpr const char* kServiceName = "openclaw.claims";
  static constexpr int kServiceVersion = 1;
  virtual ~Claims() = default;

  /// Claims `resource` (a name for the thing, e.g. "browser endpoint http://127.0.0.1:9222";
  /// compared byte for byte, so normalize it first) for this instance, against every other
  /// instance on the machine. The instance may claim it again (each registration counts). Held
  /// until every registration of it is revoked or destroyed, or the process ends (kill -9
  /// included): the registration is the plugin's, not the host's, so revoke it in stop() at the
  /// latest. Throws std::runtime_error naming the holder when another live instance has it:
  /// `browser endpoint http://127.0.0.1:9222 is already claimed by profile "a" (pid 123,
  /// ~/.openclaw-a)`, or naming the claims directory when it cannot be used. Call on the I/O
  /// thread; it takes a file lock without waiting.
  virtual Registration claim(const std::string& resource) = 0;
};

}  // namespace openclaw::sdk
