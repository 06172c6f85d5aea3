#pragma once
// The isolation checklist across every instance on the machine (`doctor --all`, and the part of
// `doctor` that concerns one instance): who exists (profiles on disk, instances the port
// registry knows, their service units), and what two of them share that they must not — a
// path, a port, a CDP endpoint, a channel account — plus each one's own hazards (permissions,
// a base in the ephemeral range, no Chromium for an enabled browser, stale records). Reads
// files only: no plugin is loaded, no service manager asked, so it answers in milliseconds.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/environment.hpp"
#include "ports/plan.hpp"
#include "profile/profile.hpp"
#include "service/service.hpp"

namespace openclaw::cli::isolation {

/// One instance the survey found.
struct Member {
  std::optional<std::string> profile;  ///< nullopt: the default profile, or an env-var instance
  bool env_instance =
      false;  ///< found through OPENCLAW_STATE_DIR or the registry, not ~/.openclaw*
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
  std::filesystem::path workspace;
  bool has_config = false;
  std::string problem;  ///< the config could not be read or resolved (then no plan)
  boost::json::object config;
  int base = 0;
  std::string base_source;  ///< "gateway.port", "default", "running" (its live record)
  std::vector<ports::PlannedPort> ports;  ///< the plan (fixed and range ports)
  int pid = 0;                            ///< its running gateway, 0 when none
  int gateway_port = 0;                   ///< the port that gateway leased, 0 when none

  /// "rescue", "default", or the state dir (env-var instance).
  std::string name() const;
  /// `openclaw-host [--profile P] <rest>`, with the env vars an env-var instance needs.
  std::string command(const std::string& rest) const;
};

enum class Severity { info, warning, error };
const char* severity_name(Severity s);

struct Finding {
  Severity severity = Severity::warning;
  std::string check;  ///< "ports", "paths", "service", "permissions", "browser", "channels", ...
  std::string what;   ///< one line: what is wrong
  std::string where;  ///< the files or keys it is about
  std::string fix;    ///< the exact command that fixes it ("" when only a person can decide)
  std::vector<std::string> instances;  ///< Member::name() of each instance concerned
  /// The fix `doctor --fix` may apply (safe: permissions, dead records); returns what it did.
  std::function<std::string()> apply;
};

struct Survey {
  std::vector<Member> members;
  std::vector<Finding> findings;
  std::filesystem::path registry_dir;
  std::filesystem::path unit_dir;
  int units = 0;  ///< service units found
};

/// Inputs of a survey: the profiles' home (OPENCLAW_HOME, else HOME), the real HOME (units live
/// there), the environment (registry dir, PATH, OPENCLAW_SERVICE_DIR), and this process's own
/// instance (so an OPENCLAW_STATE_DIR instance is surveyed too).
struct Scope {
  std::filesystem::path home;
  std::filesystem::path real_home;
  Environment env;
  std::filesystem::path self_state_dir;
  std::filesystem::path self_config_path;
  std::optional<std::string> self_profile;
};

/// `path`'s permission bits, nullopt when it does not exist; and as `ls` writes them ("755").
std::optional<unsigned> mode_of(const std::filesystem::path& path);
std::string octal(unsigned mode);

/// The state dir of the instance a service unit starts: its OPENCLAW_STATE_DIR, else the profile
/// its ExecStart names (none: the default profile's).
std::filesystem::path unit_state_dir(const service::UnitView& unit,
                                     const std::filesystem::path& home);

/// The scope of a survey run from this process: its home, environment and own instance.
Scope scope_for(const Environment& env, const profile::Paths& paths);

/// Every instance on the machine, read as the survey reads them (no checks).
std::vector<Member> instances(const Scope& scope);

/// Finds every instance and checks them against each other and one by one.
Survey survey(const Scope& scope);

/// The survey as JSON: {instances: [...], findings: [...], errors, warnings}.
boost::json::object to_json(const Survey& s);

}  // namespace openclaw::cli::isolation
