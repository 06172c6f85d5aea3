#pragma once
// Profile -> state dir, config path, workspace, service names, default base port.
// Pure functions with OpenClaw 2026.9.6's exact semantics (see docs/profiles.md).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/environment.hpp"
#include "openclaw/sdk/ports.hpp"

namespace openclaw::profile {

inline constexpr int kDefaultBasePort = 18789;
inline constexpr int kDevBasePort = 19001;
/// The derived ports reach base + 110 (CDP range end = browser control + 108).
inline constexpr int kDerivedSpan = sdk::PortLayout::span;
inline constexpr int kMaxBasePort = 65535 - kDerivedSpan;

/// Validates a profile name (letters, digits, `_`, `-`). Returns nullopt for `default` in any
/// case, which means "no profile". Throws a usage error naming `where` otherwise.
std::optional<std::string> normalize_name(std::string_view raw, std::string_view where);

/// FNV-1a 32-bit over the bytes of `bytes`.
std::uint32_t fnv1a32(std::string_view bytes);

/// Base port when nothing sets it: 18789 without a profile, 19001 for `dev`, and
/// 20000 + fnv1a32(name) % 40000 for any other profile.
int default_base_port(const std::optional<std::string>& profile);

/// Global CLI selection before any environment is consulted.
struct Selection {
  std::optional<std::string> profile_flag;  ///< raw value of --profile, if given
  bool dev = false;                         ///< --dev
};

struct Paths {
  std::optional<std::string> profile;  ///< nullopt = default profile
  std::filesystem::path home;          ///< OPENCLAW_HOME, else HOME
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
  std::filesystem::path default_workspace;  ///< before agents.defaults.workspace is applied
  std::string systemd_unit;
  std::string launchd_label;
};

/// Resolves the profile and its paths: flag > environment > profile default.
/// Throws a usage error for --dev with --profile and for invalid names.
Paths resolve_paths(const Selection& selection, const Environment& env);

std::string systemd_unit_name(const std::optional<std::string>& profile);
std::string launchd_label(const std::optional<std::string>& profile);

/// State dir a profile gets when OPENCLAW_STATE_DIR does not override it.
std::filesystem::path default_state_dir(const std::filesystem::path& home,
                                        const std::optional<std::string>& profile);

/// Expands a leading `~` or `~/` with `home`; relative paths stay relative.
std::filesystem::path expand_user(std::string_view path, const std::filesystem::path& home);

/// `path` with `home` abbreviated to `~`, for messages.
std::string display_path(const std::filesystem::path& path, const std::filesystem::path& home);

/// Parses a port value; throws a usage error "<what> must be an integer 1..65535, got <raw>".
int parse_port(std::string_view raw, std::string_view what, std::string_view where = {});

struct BasePort {
  int port = 0;
  std::string source;  ///< "--port", "OPENCLAW_GATEWAY_PORT", "gateway.port" or "default"
};

/// Base port precedence: --port > OPENCLAW_GATEWAY_PORT > gateway.port > profile default.
/// Checks that the derived ports fit (base + 110 <= 65535).
BasePort resolve_base_port(std::optional<int> flag_port, const Environment& env,
                           std::optional<int> config_port,
                           const std::optional<std::string>& profile,
                           std::string_view config_where);

}  // namespace openclaw::profile
