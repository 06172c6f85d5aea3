#pragma once
// One resolved instance: its profile paths, parsed config, workspace, base port and port plan.

#include <filesystem>
#include <optional>

#include "config/config.hpp"
#include "core/environment.hpp"
#include "ports/plan.hpp"
#include "profile/profile.hpp"

namespace openclaw {

struct Instance {
  profile::Paths paths;
  config::Config config;
  std::filesystem::path workspace;
  profile::BasePort base;
  ports::Plan plan;

  std::string where(const std::filesystem::path& p) const {
    return profile::display_path(p, paths.home);
  }
};

/// Workspace: agents.defaults.workspace (with `~` expanded) or the profile's default.
std::filesystem::path resolve_workspace(const profile::Paths& paths, const config::Config& config);

/// Validates `config` and resolves base port, workspace and the standard port plan.
/// Throws usage errors naming the config key and file.
Instance resolve_instance(const profile::Paths& paths, config::Config config,
                          std::optional<int> port_flag, const Environment& env);

}  // namespace openclaw
