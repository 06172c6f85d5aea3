#pragma once
// One resolved instance: its profile paths, parsed config, workspace, base port and port plan.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

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

/// The part of `status` both the CLI (from the plan) and a running gateway (from its leases)
/// report, built in one place: profile, stateDir, configPath, workspace, service and ports
/// ({gateway, browserControl, canvas, cdpRange}). `port_of(name)` gives a port or null.
boost::json::object status_json(
    const Instance& inst, const std::function<boost::json::value(const std::string&)>& port_of);

}  // namespace openclaw
