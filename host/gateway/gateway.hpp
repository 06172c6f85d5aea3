#pragma once
// The gateway process: leases the instance's whole port plan, serves HTTP on the base port,
// writes the instance record, and on SIGINT/SIGTERM releases everything and returns.

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/environment.hpp"
#include "instance/instance.hpp"

namespace openclaw::gateway {

struct Options {
  std::optional<std::string> token;  ///< resolved from --token / env / config
  std::string log_level = "info";
  std::filesystem::path self_exe;  ///< this binary, to find the bundled plugin dir
};

/// Runs until SIGINT or SIGTERM; returns the exit code (0 on a clean stop). Throws openclaw::Error
/// for conflicts (exit 2) and bad config (exit 1) before anything binds.
int run(Instance instance, const Environment& env, const Options& options, std::ostream& out,
        std::ostream& err);

}  // namespace openclaw::gateway
