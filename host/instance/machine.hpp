#pragma once
// What other instances exist on this machine: profiles configured under the home directory and
// instances alive in the port registry. Used by `setup` to pick a base port that overlaps nobody.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ports/lease_store.hpp"
#include "ports/plan.hpp"
#include "ports/port_map.hpp"

namespace openclaw {

struct ConfiguredProfile {
  std::optional<std::string> profile;
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
  int base = 0;
  std::string base_source;               ///< "gateway.port" or "default"
  ports::Plan plan;                      ///< the whole plan (range ports unresolved)
  std::optional<config::Config> config;  ///< the config, read once (none when `problem`)
  std::string problem;  ///< non-empty when its config could not be read or resolved
};

/// True when `a` and `b` name one directory (the same path, or a link to it).
bool same_dir(const std::filesystem::path& a, const std::filesystem::path& b);

/// Every `~/.openclaw` and `~/.openclaw-<name>` directory that holds an openclaw.json.
std::vector<ConfiguredProfile> discover_profiles(const std::filesystem::path& home);

/// Port intervals other instances occupy: each configured profile's base .. base + 110 and its
/// explicit ports, and every live lease (and its instance's derived span) in `store`.
/// `self_state_dir` is left out.
std::vector<ports::Interval> occupied_ports(const std::vector<ConfiguredProfile>& profiles,
                                            const std::vector<ports::InstanceLeases>& live,
                                            const std::filesystem::path& self_state_dir,
                                            const std::filesystem::path& home);

/// The machine as the port map draws it: every configured profile (running when a live lease
/// has its state dir: then its leased ports, else its plan) and every other instance in the
/// registry (env-var instances; stale ones greyed). `self_state_dir` is marked as the viewer.
ports::PortMap machine_port_map(const std::vector<ConfiguredProfile>& profiles,
                                const std::vector<ports::InstanceLeases>& leases,
                                const std::filesystem::path& self_state_dir,
                                const std::filesystem::path& home);

}  // namespace openclaw
