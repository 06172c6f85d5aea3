#include "profile/profile.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/error.hpp"

namespace openclaw::profile {
namespace fs = std::filesystem;

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::optional<std::string> normalize_name(std::string_view raw, std::string_view where) {
  if (raw.empty()) throw usage_error("profile name must not be empty", std::string(where));
  for (char c : raw) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (!ok) {
      throw usage_error("invalid profile name \"" + std::string(raw) +
                            "\": use letters, digits, '_' and '-' only",
                        std::string(where));
    }
  }
  if (iequals(raw, "default")) return std::nullopt;
  return std::string(raw);
}

std::uint32_t fnv1a32(std::string_view bytes) {
  std::uint32_t h = 2166136261u;
  for (unsigned char b : bytes) {
    h ^= b;
    h *= 16777619u;
  }
  return h;
}

int default_base_port(const std::optional<std::string>& profile) {
  if (!profile) return kDefaultBasePort;
  if (*profile == "dev") return kDevBasePort;
  return 20000 + static_cast<int>(fnv1a32(*profile) % 40000u);
}

std::string systemd_unit_name(const std::optional<std::string>& profile) {
  return profile ? "openclaw-gateway-" + *profile + ".service" : "openclaw-gateway.service";
}

std::string launchd_label(const std::optional<std::string>& profile) {
  return profile ? "ai.openclaw." + *profile : "ai.openclaw.gateway";
}

fs::path expand_user(std::string_view path, const fs::path& home) {
  if (path == "~") return home;
  if (path.size() >= 2 && path[0] == '~' && path[1] == '/') return home / path.substr(2);
  return fs::path(path);
}

std::string display_path(const fs::path& path, const fs::path& home) {
  std::string p = path.string();
  std::string h = home.string();
  while (h.size() > 1 && h.back() == '/') h.pop_back();
  if (!h.empty() && h != "/" && p.size() > h.size() && p.compare(0, h.size(), h) == 0 &&
      p[h.size()] == '/') {
    // Built by append: g++ 12 at -O2/-O3 reports a false -Wrestrict on "~" + p.substr(...).
    std::string shown = "~";
    shown.append(p, h.size(), std::string::npos);
    return shown;
  }
  return p;
}

fs::path default_state_dir(const fs::path& home, const std::optional<std::string>& profile) {
  return profile ? home / (".openclaw-" + *profile) : home / ".openclaw";
}

Paths resolve_paths(const Selection& selection, const Environment& env) {
  Paths out;
  if (selection.dev && selection.profile_flag) {
    throw usage_error("--dev and --profile cannot be used together (--dev means --profile dev)");
  }
  if (selection.dev) {
    out.profile = "dev";
  } else if (selection.profile_flag) {
    out.profile = normalize_name(*selection.profile_flag, "--profile");
  } else if (auto p = env.get("OPENCLAW_PROFILE")) {
    out.profile = normalize_name(*p, "OPENCLAW_PROFILE");
  }

  auto home_env = env.get("HOME");
  if (auto oh = env.get("OPENCLAW_HOME")) {
    out.home = home_env ? expand_user(*oh, *home_env) : fs::path(*oh);
  } else if (home_env) {
    out.home = *home_env;
  } else {
    throw usage_error("cannot find the home directory: set HOME or OPENCLAW_HOME");
  }
  if (out.home.is_relative()) {
    throw usage_error("home directory must be an absolute path, got \"" + out.home.string() + "\"",
                      env.get("OPENCLAW_HOME") ? "OPENCLAW_HOME" : "HOME");
  }

  // Explicit env always wins; a profile only fills what is unset.
  if (auto sd = env.get("OPENCLAW_STATE_DIR")) {
    out.state_dir = fs::absolute(expand_user(*sd, out.home)).lexically_normal();
  } else {
    out.state_dir = default_state_dir(out.home, out.profile);
  }
  if (auto cp = env.get("OPENCLAW_CONFIG_PATH")) {
    out.config_path = fs::absolute(expand_user(*cp, out.home)).lexically_normal();
  } else {
    out.config_path = out.state_dir / "openclaw.json";
  }
  out.default_workspace =
      out.home / ".openclaw" / (out.profile ? "workspace-" + *out.profile : "workspace");
  out.systemd_unit = systemd_unit_name(out.profile);
  out.launchd_label = launchd_label(out.profile);
  return out;
}

int parse_port(std::string_view raw, std::string_view what, std::string_view where) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (ec != std::errc() || ptr != raw.data() + raw.size() || value < 1 || value > 65535) {
    throw usage_error(
        std::string(what) + " must be an integer 1..65535, got \"" + std::string(raw) + "\"",
        std::string(where));
  }
  return value;
}

BasePort resolve_base_port(std::optional<int> flag_port, const Environment& env,
                           std::optional<int> config_port,
                           const std::optional<std::string>& profile,
                           std::string_view config_where) {
  BasePort out;
  std::string where;
  if (flag_port) {
    out = {*flag_port, "--port"};
  } else if (auto e = env.get("OPENCLAW_GATEWAY_PORT")) {
    out = {parse_port(*e, "OPENCLAW_GATEWAY_PORT"), "OPENCLAW_GATEWAY_PORT"};
  } else if (config_port) {
    out = {*config_port, "gateway.port"};
    where = std::string(config_where);
  } else {
    out = {default_base_port(profile), "default"};
  }
  if (out.port < 1 || out.port > kMaxBasePort) {
    throw usage_error(out.source + " " + std::to_string(out.port) +
                          " leaves no room for the derived ports: base + " +
                          std::to_string(kDerivedSpan) + " must be <= 65535 (use 1.." +
                          std::to_string(kMaxBasePort) + ")",
                      where);
  }
  return out;
}

}  // namespace openclaw::profile
