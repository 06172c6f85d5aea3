#pragma once
// An instance's port plan: every named port it needs, resolved from its base port and config.
// Pure: no I/O. The lease store turns a plan into machine-wide leases.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "openclaw/sdk/ports.hpp"
#include "ports/system.hpp"

namespace openclaw::ports {

struct PlannedPort {
  sdk::PortRequest request;
  int port = 0;        ///< fixed ports: the port; range ports: 0 until the lease store picks one
  int range_lo = 0;    ///< range ports: first candidate
  int range_hi = 0;    ///< range ports: last candidate (inclusive)
  std::string origin;  ///< for messages: "gateway.port + 4", "canvasHost.port", ...

  const std::string& name() const { return request.name; }
  bool is_range() const { return request.source == sdk::PortSource::range; }
  bool is_any() const { return request.source == sdk::PortSource::any; }
};

struct Plan {
  int base = 0;
  std::vector<PlannedPort> ports;

  const PlannedPort* find(const std::string& name) const;
};

/// "offset", "config" or "range": how a port was chosen, as leases and listings name it.
const char* source_name(sdk::PortSource source);
/// The source named `name` (source_name()'s inverse), nullopt for another word.
std::optional<sdk::PortSource> source_from_name(std::string_view name);

/// One of the canvas host's settings ("enabled", "port", "root", "liveReload") and the key that
/// set it: plugins.entries.openclaw-host.config.canvas.<name> (where openclaw-host keeps what
/// OpenClaw 2026.9.6 retired), else plugins.entries.canvas.config.host.<name> (OpenClaw's; only
/// `enabled` survives there), else the seed's root canvasHost.<name>. `value` is null when none
/// is set (key: canvasHost.<name>).
struct Setting {
  const boost::json::value* value = nullptr;
  std::string key;
};
Setting canvas_setting(const boost::json::object& config, std::string_view name);

/// The ports OpenClaw derives from the instance's config: gateway (+0), bridge (+1,
/// reserved), browser.control (+2, loopback only), canvas (+4 or the canvas port setting), and one
/// CDP port per local browser profile (explicit cdpPort, else a range in control+9 .. control+108;
/// a cdpUrl profile needs none).
std::vector<sdk::PortRequest> standard_requests(const boost::json::object& config);

/// Resolves requests against `base`. Throws a usage error (naming both config keys) when two
/// fixed ports of the instance coincide, a name repeats, or a port falls outside 1..65535.
/// `base_source` says what set the base ("gateway.port", "--port", ...), for messages.
Plan make_plan(int base, const std::string& base_source,
               const std::vector<sdk::PortRequest>& requests);

/// Range choices remembered from earlier starts: host-private state, kept in
/// `<state dir>/ports-assigned.json` ({"assigned": {"browser.cdp.openclaw": 18811}}), never in
/// the config file (OpenClaw's strict schema refuses a root "ports" key). What a config still
/// holds under `ports.assigned` (written by an earlier version) is read too and wins, until the
/// gateway moves it out (migrate_remembered_ports). Never throws.
std::map<std::string, int> remembered_ports(const std::filesystem::path& state_dir,
                                            const boost::json::object& config);
/// The old place: `ports.assigned.<name>` in the config.
std::map<std::string, int> legacy_remembered_ports(const boost::json::object& config);
/// The state file's path, its content parsed (what is not {"assigned": {name: 1..65535}} is
/// left out; never throws), and written atomically (0600; throws std::system_error).
std::filesystem::path remembered_ports_path(const std::filesystem::path& state_dir);
std::map<std::string, int> parse_remembered_ports(std::string_view text);
void save_remembered_ports(const std::filesystem::path& state_dir,
                           const std::map<std::string, int>& ports);

/// The address a gateway binds for `gateway.bind` ("loopback" or "lan").
std::string gateway_bind_address(const boost::json::object& config);

/// A closed interval of ports something else occupies.
struct Interval {
  int lo = 0;
  int hi = 0;
  std::string owner;  ///< for messages
};

/// The base port nearest to `preferred` (ties go up) whose derived set base .. base + 110 meets
/// none of `occupied` and for which `usable(base)` holds. nullopt when none exists.
std::optional<int> choose_base(int preferred, const std::vector<Interval>& occupied,
                               const std::function<bool(int)>& usable);

/// A warning when base .. base + 110 meets the kernel's ephemeral range `ephemeral`, saying why
/// that is fragile and how to choose better; "" when it does not. `base_source` as in make_plan;
/// `profile` for the suggested command.
std::string ephemeral_base_warning(int base, const std::string& base_source,
                                   const PortRange& ephemeral,
                                   const std::optional<std::string>& profile);

}  // namespace openclaw::ports
