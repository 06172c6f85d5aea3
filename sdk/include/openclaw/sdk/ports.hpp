#pragma once
/// \file
/// Port needs a plugin declares to the host's port registry. A plugin never computes or binds a
/// port on its own: it declares requests, the host resolves the whole instance's plan at once and
/// leases it machine-wide (all or nothing), and the plugin binds only what it was granted.

#include <string>

namespace openclaw::sdk {

/// An instance's port layout relative to its base port (OpenClaw's rules): the one definition the
/// host's planner, `status`, `setup`'s spacing and plugins use.
struct PortLayout {
  static constexpr int bridge = 1;           ///< reserved for the bridge; nothing binds it yet
  static constexpr int browser_control = 2;  ///< the browser control service, loopback only
  static constexpr int canvas = 4;           ///< the canvas host (unless canvasHost.port)
  static constexpr int cdp_first = browser_control + 9;   ///< CDP ports: control + 9 ..
  static constexpr int cdp_last = browser_control + 108;  ///< .. control + 108
  /// An instance's derived ports are base .. base + span: other instances keep out of them.
  static constexpr int span = cdp_last;
};

/// The browser profile every instance has, whose CDP port is `browser.cdp.openclaw` (unless
/// `browser.cdpUrl` attaches it elsewhere): the one name the port plan and the browser plugin use.
inline constexpr const char* kDefaultBrowserProfile = "openclaw";

/// How a requested port is chosen.
enum class PortSource {
  offset,  ///< base + `offset` (OpenClaw's derived ports: bridge +1, browser control +2, canvas +4)
  config,  ///< an explicit port from config (`port`), named by `config_key` in errors
  range,   ///< one free port in base + `offset` .. base + `range_end`, stable across starts
  /// Any free port the registry picks: outside every instance's derived ports (base .. base +
  /// 110) and the kernel's ephemeral range, stable across starts while it stays free.
  any,
};

/// One named port an instance needs. Names are unique per instance, dotted, lower case:
/// `gateway`, `browser.control`, `canvas`, `browser.cdp.<profile>`.
struct PortRequest {
  std::string name;
  PortSource source = PortSource::offset;
  int offset = 0;          ///< offset: base + offset; range: first candidate is base + offset
  int range_end = 0;       ///< range: last candidate is base + range_end (inclusive)
  int port = 0;            ///< config: the port
  std::string config_key;  ///< config: the key that set `port`, e.g. `canvasHost.port`
  std::string bind = "127.0.0.1";  ///< the address the port will be bound on
  bool reserved = false;           ///< leased so nobody else takes it, but not bound by anyone yet
};

}  // namespace openclaw::sdk
