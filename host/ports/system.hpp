#pragma once
// The thin OS layer under the port registry: process identity from /proc, bind probes, and
// finding which program listens on a port. Interfaces so the lease store's rules can be unit
// tested with fake processes and fake probes.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

/// A closed interval of port numbers.
struct PortRange {
  int lo = 0;
  int hi = 0;
  bool contains(int port) const { return lo <= port && port <= hi; }
  /// True when lo..hi and `first`..`last` share a port.
  bool meets(int first, int last) const { return first <= hi && lo <= last; }
  std::string text() const;  ///< "32768–60999"
};

/// "LO-HI" (or "LO HI", as the kernel writes it) with 1 <= LO <= HI <= 65535, else nullopt.
std::optional<PortRange> parse_port_range(std::string text);

/// The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`): every outgoing
/// connection on the machine takes a local port there at random and leaves it in TIME_WAIT for up
/// to 60 s, so no port the host picks by itself lies in it. `OPENCLAW_EPHEMERAL_PORT_RANGE`
/// ("LO-HI", for tests) overrides the kernel; 32768–60999 (Linux's default) when neither answers.
PortRange ephemeral_range(const std::optional<std::string>& override_value);
/// The same, for this process: its environment, then the kernel. Read once.
const PortRange& system_ephemeral_range();
/// Where "any free port" requests look, from `OPENCLAW_PLUGIN_PORT_RANGE` ("LO-HI"; for tests,
/// which give each gateway ports of its own); nullopt (the default) means above the ephemeral
/// range, then below it. Read once.
const std::optional<PortRange>& system_plugin_port_pool();

/// Checks whether a port can be bound, and who holds it when it cannot.
class PortProbe {
 public:
  virtual ~PortProbe() = default;
  /// True when a listening socket could bind `bind`:`port` right now.
  virtual bool bindable(int port, const std::string& bind) const = 0;
  /// "pid 812: nginx" for the process listening on `port`, or "" when it cannot be found.
  virtual std::string holder(int port) const = 0;
  /// True when a socket listens on `port` (TCP, IPv4 or IPv6) now: read from the kernel's socket
  /// table, no connection made, so it never waits on the listener.
  virtual bool listening(int port) const = 0;
  /// Those of `ports` a socket listens on: one read of the socket table for all of them (a
  /// watcher asks for every instance each second). By default, listening() for each.
  virtual std::set<int> listening_among(const std::vector<int>& ports) const;
  /// Why `port` cannot be bound, as the end of "port N (name) ...": "is in use by another program
  /// (pid 812: nginx)", or, when no program listens there but a recent outgoing connection left
  /// it in TIME_WAIT, a sentence that says so and how to avoid it.
  virtual std::string why_unbindable(int port) const;
};

/// /proc-backed process table.
const ProcessTable& system_processes();
/// Socket-backed probe; holder() reads /proc/net/tcp{,6} and /proc/*/fd.
const PortProbe& system_probe();

/// This process's pid and start time.
int self_pid();
std::uint64_t self_start_time();

}  // namespace openclaw::ports
