#pragma once
// The thin OS layer under the port registry: process identity from /proc, bind probes, and
// finding which program listens on a port. Interfaces so the lease store's rules can be unit
// tested with fake processes and fake probes.

#include <cstdint>
#include <optional>
#include <string>

namespace openclaw::ports {

/// Identifies processes across pid reuse.
class ProcessTable {
 public:
  virtual ~ProcessTable() = default;
  /// The process's start time (clock ticks since boot), or nullopt when no such process exists.
  virtual std::optional<std::uint64_t> start_time(int pid) const = 0;
  /// The short command name, or "" when unknown.
  virtual std::string name(int pid) const = 0;
};

/// Checks whether a port can be bound, and who holds it when it cannot.
class PortProbe {
 public:
  virtual ~PortProbe() = default;
  /// True when a listening socket could bind `bind`:`port` right now.
  virtual bool bindable(int port, const std::string& bind) const = 0;
  /// "pid 812: nginx" for the process listening on `port`, or "" when it cannot be found.
  virtual std::string holder(int port) const = 0;
};

/// /proc-backed process table.
const ProcessTable& system_processes();
/// Socket-backed probe; holder() reads /proc/net/tcp{,6} and /proc/*/fd.
const PortProbe& system_probe();

/// This process's pid and start time.
int self_pid();
std::uint64_t self_start_time();

}  // namespace openclaw::ports
