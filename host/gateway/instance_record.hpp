#pragma once
// `<state dir>/gateway.json`: the running gateway's pid, ports and version, so `status` and
// other commands find the live instance of a profile.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

namespace openclaw::gateway {

struct InstanceRecord {
  int pid = 0;
  std::uint64_t start_time = 0;
  std::optional<std::string> profile;
  std::string state_dir;
  std::string config_path;
  std::string version;
  std::int64_t started_at_ms = 0;
  std::string bind;  ///< gateway bind address
  int base = 0;
  std::map<std::string, int> ports;  ///< lease name -> port
  boost::json::array plugins;        ///< plugin states (Manager::describe()), kept current
  /// Config keys changed since the start that only a gateway restart applies (gateway.port, ...).
  std::vector<std::string> restart_needed;
};

std::filesystem::path record_path(const std::filesystem::path& state_dir);

/// Writes the record atomically (0600).
void write_record(const std::filesystem::path& state_dir, const InstanceRecord& record);

/// The record when it exists, parses, and its process is alive with the same start time.
std::optional<InstanceRecord> read_live_record(const std::filesystem::path& state_dir);

/// Removes the record if it still belongs to `pid`.
void remove_record(const std::filesystem::path& state_dir, int pid);

}  // namespace openclaw::gateway
