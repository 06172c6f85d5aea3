#pragma once
// Per-profile service definitions: a systemd user unit (Linux) or a launchd agent (macOS) that
// runs `openclaw-host [--profile P] gateway --port N`. Rendering is pure; installing is thin.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/environment.hpp"

namespace openclaw::service {

struct Spec {
  std::optional<std::string> profile;
  std::string exe;  ///< absolute path of openclaw-host
  int port = 0;
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
  /// Where the agents write (`agents.defaults.workspace`). Unset: the profile's default,
  /// `~/.openclaw/workspace[-P]`, written as `%h/...` so it is the service's own home.
  std::optional<std::filesystem::path> workspace{};
  /// More folders the gateway writes: the state dirs of the instances a rescue bot watches
  /// (plugins.entries.rescue.config.watch), whose config it sets and rolls back.
  std::vector<std::filesystem::path> also_writable{};
  std::string unit_name;  ///< openclaw-gateway[-P].service
  std::string label;      ///< ai.openclaw.gateway / ai.openclaw.P
};

/// The systemd user unit. ExecStart always names the profile (OpenClaw once shipped units
/// without it, so every profile's service ran the default profile's gateway). Type=notify with a
/// watchdog, bounded restarts, and a sandbox that leaves writable only the state dir, the
/// workspace, the config's folder and the port registry (`systemd-analyze security` <= 5.0).
std::string render_systemd_unit(const Spec& spec);
/// The launchd agent plist.
std::string render_launchd_plist(const Spec& spec);

enum class Kind { systemd, launchd };
/// The platform's service manager (launchd on macOS, systemd elsewhere).
Kind native_kind();

/// Where units go: OPENCLAW_SERVICE_DIR, else ~/.config/systemd/user ($XDG_CONFIG_HOME) or
/// ~/Library/LaunchAgents.
std::filesystem::path unit_dir(Kind kind, const Environment& env,
                               const std::filesystem::path& home);

/// The file name of the spec's unit for `kind`.
std::string unit_file_name(Kind kind, const Spec& spec);

/// What systemd says of a unit: `systemctl --user show -p ActiveState,SubState,Result,NRestarts,
/// ExecMainCode,ExecMainStatus UNIT` (Key=value lines).
struct SystemdState {
  std::string active;   ///< ActiveState: active, activating, failed, inactive, ...
  std::string sub;      ///< SubState: running, auto-restart, dead, failed, ...
  std::string result;   ///< Result: success, signal, exit-code, watchdog, start-limit-hit, ...
  int restarts = -1;    ///< NRestarts: how often systemd restarted it (-1: not said)
  int main_code = 0;    ///< ExecMainCode: 1 exited, 2 killed, 3 dumped core (CLD_*), 0 none
  int main_status = 0;  ///< ExecMainStatus: the exit status or the signal
};
/// The properties in `text`; unknown keys and malformed lines are skipped. Never throws.
SystemdState parse_systemd_show(std::string_view text);
/// One line on what systemd did and does ("restarting it (auto-restart): 2 restart(s) so far;
/// its last run was killed by signal 9 (SIGKILL)"; "gave up: it failed too often in a row
/// (start-limit-hit)"); empty when `state` says nothing (no such unit).
std::string describe(const SystemdState& state);
/// What a service unit file says about the gateway it runs, as `doctor` checks it: the profile
/// and base port its ExecStart (and Environment=) select. Ours and OpenClaw's own units read the
/// same way (`openclaw gateway --port N`, `openclaw-host --profile P gateway --port N`).
struct UnitView {
  bool has_exec = false;               ///< an ExecStart= line was found
  bool runs_gateway = false;           ///< its arguments hold the word `gateway`
  std::optional<std::string> profile;  ///< --profile P / --profile=P / --dev / OPENCLAW_PROFILE=
  std::optional<std::string> port;  ///< --port N / --port=N / OPENCLAW_GATEWAY_PORT= (as written)
  std::optional<std::string> state_dir;  ///< Environment=OPENCLAW_STATE_DIR=...
  std::string exec;                      ///< the ExecStart= value, for messages
};
/// Reads a systemd unit's text (systemd.syntax(7) quoting, continuation lines, `-@:+!` prefixes
/// of ExecStart). Never throws: what it cannot read is left out.
UnitView read_systemd_unit(std::string_view text);
/// The profile a unit file name stands for: "openclaw-gateway.service" -> default (nullopt
/// inside), "openclaw-gateway-rescue.service" -> "rescue"; outer nullopt for any other name.
std::optional<std::optional<std::string>> profile_of_unit_name(std::string_view file_name);

/// The properties `describe` reads, for `systemctl show -p`.
inline constexpr const char* kSystemdShowProperties =
    "ActiveState,SubState,Result,NRestarts,ExecMainCode,ExecMainStatus";

}  // namespace openclaw::service
