#pragma once
/// \file
/// Host service "openclaw.instances" (version 1): a read-only view of the gateway instances
/// running on this machine, as the machine-wide port registry knows them. A plugin asks for it
/// with `host.service<openclaw::sdk::Instances>()` (nullptr on a host without it). Uses: refuse a
/// `cdpUrl` whose port another instance holds; the rescue bot's `/status main`.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/config.hpp>

namespace openclaw::sdk {

/// One live instance.
struct BOOST_SYMBOL_VISIBLE InstanceInfo {
  std::optional<std::string> profile;  ///< nullopt: the default profile
  int pid = 0;
  std::string state_dir;
  int base = 0;                                    ///< its base port
  std::vector<std::pair<std::string, int>> ports;  ///< its leases: name, port
  bool self = false;                               ///< the instance this plugin runs in
  bool answers = false;  ///< a socket listens on its gateway port now (no connection is made)
};

class BOOST_SYMBOL_VISIBLE Instances {
 public:
  static constexpr const char* kServiceName = "openclaw.instances";
  static constexpr int kServiceVersion = 1;
  virtual ~Instances() = default;
  /// Every live instance on the machine, this one included. Reads the registry (one small file,
  /// under its lock) and looks each gateway port up in the kernel's socket table.
  virtual std::vector<InstanceInfo> list() = 0;
  /// The live instance holding `port`, with the lease's name, or nullopt.
  virtual std::optional<std::pair<InstanceInfo, std::string>> holder_of(int port) = 0;
};

}  // namespace openclaw::sdk
