#pragma once
// One plugin of an instance and everything the host holds for it: its record, the sdk::Host it
// sees, the ports it asked for and those it leased at run time, its registrations, the calls in
// flight to it and the config it runs under. start() and stop() are the only ways into and out of
// `running`; a failure anywhere goes through fail().

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "openclaw/sdk/plugin.hpp"
#include "plugins/loader.hpp"
#include "plugins/plugin_host.hpp"

namespace openclaw::plugins {

class Slot {
 public:
  using Config = std::shared_ptr<const boost::json::object>;
  Slot(Hub& hub, Record record, Config config);
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  Record record;
  /// What its ports() asked for (empty until asked, and after a failure).
  std::vector<sdk::PortRequest> requests;
  /// Ports leased for it at run time (Host::lease_port, a live-added plugin's own ports).
  std::vector<std::string> runtime_ports;

  const std::string& id() const { return record.id; }
  bool running() const { return record.state == State::running; }
  PluginHost& host() { return *host_; }
  /// "plugin <id> (<library>)", for logs.
  std::string label() const;

  /// The config it runs under: the instance's whole config and its plugins.entries.<id>.config
  /// (an empty object when unset), always from the same file version.
  const boost::json::object& root_config() const { return *config_; }
  const boost::json::object& own_config() const { return own_; }
  const Config& config() const { return config_; }
  void set_config(Config config);

  /// The plugin's validate() against the config it runs under: its problems (a throw is one).
  std::vector<sdk::ConfigProblem> validate();
  /// What validate() refuses as one line, "" when nothing: "invalid config (<file>): <key>:
  /// <message>; ...". check() fails the plugin with it; `plugins list` and `doctor` show it.
  std::string config_problem();
  /// validate() then ports() of a loaded plugin into `wanted`; false when refused (failed then).
  bool check(std::vector<sdk::PortRequest>& wanted);
  /// Creates its data dir and calls start(); true when it runs (else it failed). `how` ends the
  /// log line ("running", "running (added while the gateway runs)").
  bool start(const std::string& how);
  /// Revokes its registrations, calls stop(), answers the calls still in flight with `why` and
  /// gives back its run-time ports (and, with `release_plan_ports`, the ports it was granted at
  /// the instance's start). Nothing when it does not run.
  void stop(const std::string& why, bool release_plan_ports);
  /// Marks it failed with `reason`: revoked, calls in flight answered, run-time ports back.
  void fail(const std::string& reason);
  /// Takes it out of the plugin set for good: stopped, object destroyed, its private library copy
  /// removed (the mapping stays: see ARCHITECTURE.md).
  void unload(const std::string& why);

  /// Holds `revoke` for the plugin until it stops or fails.
  sdk::Registration hold(std::function<void()> revoke);
  /// Calls and requests in flight to it, answered for it when it stops.
  void track(const sdk::MethodResponder& respond);
  void track(const sdk::HttpResponder& respond);

 private:
  void revoke();
  void answer_in_flight(const std::string& why);

  Hub& hub_;
  Config config_;
  boost::json::object own_;
  std::unique_ptr<PluginHost> host_;
  std::vector<sdk::Registration> registrations_;
  std::vector<std::weak_ptr<sdk::MethodResponder::State>> calls_;
  std::vector<std::weak_ptr<sdk::HttpResponder::State>> requests_in_flight_;
};

}  // namespace openclaw::plugins
