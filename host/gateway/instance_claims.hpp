#pragma once
// What a gateway instance holds on the machine while it runs, apart from serving: its state-dir
// lock, its log, the leases in the machine-wide registry (the start plan, and ports its plugins
// lease at run time) and its instance record. All of it is given back when it is destroyed,
// however run() leaves.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

#include "core/environment.hpp"
#include "gateway/gateway.hpp"
#include "instance/instance.hpp"
#include "openclaw/sdk/run_history.hpp"
#include "plugins/manager.hpp"
#include "ports/lease_store.hpp"

namespace openclaw::gateway {

class InstanceClaims {
 public:
  /// Creates the state dir, takes its lock (one gateway per state dir), opens the log, warns
  /// about a base in the ephemeral range, raises the fd limit and scrubs the environment children
  /// would inherit. Throws when another gateway serves the state dir.
  InstanceClaims(const Instance& inst, const Environment& env, const Options& options,
                 std::ostream& err);
  ~InstanceClaims();
  InstanceClaims(const InstanceClaims&) = delete;
  InstanceClaims& operator=(const InstanceClaims&) = delete;

  /// To stderr and <state dir>/logs/gateway.log, when `level` is within --log-level.
  void log(sdk::LogLevel level, const std::string& message);
  /// The same log as a Logger (for the plugins, the channels, the gateway's parts).
  Logger logger();

  /// Leases the instance's plan and its plugins' ports, all at once. A refused plugin port fails
  /// that plugin only; a refused port of the instance itself throws. Then gives the plugins
  /// run-time ports and the "openclaw.instances" service.
  void lease(plugins::Manager& manager);
  /// Writes the instance record (once the gateway listens): what `status` reads.
  void write_record(const std::string& bind, const boost::json::array& plugins);
  /// Config keys changed since the start that only a restart applies; rewrites the record.
  void set_restart_needed(std::vector<std::string> keys);
  const std::vector<std::string>& restart_needed() const { return restart_needed_; }

  const std::vector<ports::Lease>& leases() const { return leases_; }
  /// Every instance in the machine-wide registry as it stands (LeaseStore::snapshot(): no lock,
  /// parsed again only when the file changed).
  std::vector<ports::InstanceLeases> registry_snapshot() const { return store_.snapshot(); }
  const ports::Owner& owner() const { return owner_; }
  std::int64_t started_ms() const { return started_; }
  /// How the run before this one ended (gateway-exit.json as this start found it).
  const std::optional<sdk::LastExit>& previous_exit() const { return previous_exit_; }
  /// Records a clean stop in gateway-exit.json (see openclaw/sdk/run_history.hpp).
  void note_stopped(const std::string& reason);

 private:
  class Impl;
  const Instance& inst_;
  std::unique_ptr<Impl> impl_;
  mutable ports::LeaseStore store_;  // mutable: snapshot() caches what it last parsed
  ports::Owner owner_;
  std::vector<ports::Lease> leases_;
  bool leased_ = false;
  bool record_written_ = false;
  std::string bind_;
  boost::json::array plugins_;
  std::vector<std::string> restart_needed_;
  std::int64_t started_ = 0;
  std::optional<sdk::LastExit> previous_exit_;
};

}  // namespace openclaw::gateway
