#pragma once
// The plugins of one instance: load them, collect their port needs, start them on granted ports,
// route HTTP and gateway methods to them, follow the config and the plugin folders while the
// gateway runs, stop them in reverse order. Each plugin lives in a Slot and sees the host through
// its own sdk::Host (PluginHost); every call into plugin code is wrapped so a failure names the
// plugin and marks it failed while the others keep running.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "instance/instance.hpp"
#include "openclaw/sdk/config_schema.hpp"
#include "openclaw/sdk/plugin.hpp"
#include "plugins/loader.hpp"
#include "plugins/plugin_host.hpp"
#include "plugins/slot.hpp"
#include "ports/lease_store.hpp"

namespace openclaw::plugins {

class Manager {
 public:
  using RuntimePorts = Hub::RuntimePorts;

  Manager(const Instance& instance, boost::asio::io_context& io, Logger log);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  /// Loads every plugin on `search` (see loader.hpp).
  void load(const std::vector<std::filesystem::path>& search, const LoadOptions& options = {});

  /// Asks every loaded plugin for its ports (see remaining_requests()); a plugin whose requests
  /// are invalid or collide inside the instance's plan is marked failed.
  void collect_ports(const std::vector<sdk::PortRequest>& standard, int base,
                     const std::string& base_source);

  /// Every loaded plugin's validate() against the instance's config: what `config validate` and
  /// `config set` refuse, the same checks the plugins make at start.
  std::vector<sdk::ConfigProblem> validate_configs();
  /// Every key each loaded plugin's validate() checks, with its type and fallback (`config
  /// schema`): validate() run under an sdk::ConfigSchemaRecorder named after the plugin.
  std::vector<sdk::ConfigKey> config_schema();

  /// If `port_name` belongs to a plugin, marks it failed with `reason`, drops its requests and
  /// returns true (the caller leases again without them).
  bool refuse_port(const std::string& port_name, const std::string& reason);
  /// Requests still wanted (the instance's plan and the loaded plugins' own ports).
  std::vector<sdk::PortRequest> remaining_requests() const;

  /// Starts every loaded plugin with the granted ports, in load order.
  void start_all(const std::vector<ports::Lease>& grants);
  /// Stops running plugins in reverse start order, then destroys every plugin object. Idempotent.
  void stop_all();

  /// Answers `request` through a plugin route: true when one matches (`respond` is then answered,
  /// by the plugin or, when it fails, stops or drops it, by the host), false when none does.
  bool route(const sdk::HttpRequest& request, sdk::HttpResponder respond);
  /// Calls the plugin method `name` when a running plugin has it, returning that method's timeout
  /// (the caller arms it if `respond` is still unanswered); nullopt when there is none.
  std::optional<std::chrono::milliseconds> call_method(const std::string& name,
                                                       const boost::json::value& params,
                                                       const sdk::Caller& caller,
                                                       sdk::MethodResponder respond);
  /// Names of the methods running plugins registered (advertised in hello-ok).
  std::vector<std::string> method_names() const;
  sdk::MessageBus& bus() { return hub_.bus; }
  /// Which plugin's code the I/O thread runs now (read by the watchdog's thread).
  const Activity& activity() const { return hub_.activity; }

  /// How plugins lease and release ports at run time (set once the instance's leases are held).
  void set_runtime_ports(RuntimePorts runtime) { hub_.runtime = std::move(runtime); }
  /// Makes `service` (owned by the caller, alive until stop_all()) what plugins' find_service
  /// returns for `name` and `version`.
  void add_service(std::string name, int version, void* service) {
    hub_.services[{std::move(name), version}] = service;
  }

  // ---- while the gateway runs (after start_all) ----
  /// Brings the set in line with the folders on `search`: a folder that is new is loaded, its
  /// ports leased (all or nothing; a refusal names the holder and fails this plugin only) and
  /// started; a plugin whose folder is gone is stopped (routes and methods removed, ports back
  /// in the registry); one whose folder_stamp() changed (a new version) is stopped and the new
  /// one started. Returns a line per change ("added canvas 1.2.0", ...), empty when none.
  std::vector<std::string> sync(const std::vector<std::filesystem::path>& search,
                                const LoadOptions& options);
  /// Adopts a new config. A plugin whose plugins.entries.<id> or manifest configPaths changed:
  /// when it runs, validate() and ports() are asked under the new config; a refused config keeps
  /// it running under the last good one (logged), the same ports let its reconfigure() apply the
  /// change in place, else it is stopped and started again under the new config (or stays
  /// stopped when now disabled). One that failed or was disabled is loaded again. Same return.
  std::vector<std::string> reconfigure(boost::json::object root, const LoadOptions& options);
  /// The config plugins are started with (the instance's, then what reconfigure() adopted).
  const boost::json::object& config() const { return *config_; }
  /// True when a change of `key` (a dotted path) reaches a running gateway's plugins at once:
  /// under plugins.entries or under a configPaths entry of a plugin of the set.
  bool reaches_plugins(const std::string& key) const;

  /// Every slot, unloaded ones included (check record.unloaded), in load order.
  const std::vector<std::unique_ptr<Slot>>& slots() const { return slots_; }
  /// [{id, kind, version, path, state, reason, status}] for records, /ready and `plugins list`.
  boost::json::array describe() const;

 private:
  Slot& add_slot(Record record);
  /// Leases a live-added plugin's own ports (all or nothing) and starts it; a line in `changes`.
  void add_live(const std::filesystem::path& dir, const LoadOptions& options,
                std::vector<std::string>& changes);
  /// The new config for a running slot whose config changed: false when it must restart.
  bool apply_in_place(Slot& slot, const Slot::Config& config, std::vector<std::string>& changes);

  Hub hub_;
  Slot::Config config_;
  /// The config before the last reconfigure(): a plugin may still hold a reference into it
  /// while it applies the new one.
  Slot::Config previous_config_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> started_;  ///< running slots, in start order
};

}  // namespace openclaw::plugins
