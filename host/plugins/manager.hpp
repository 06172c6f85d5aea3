#pragma once
// The lifecycle of an instance's plugins: load, collect port needs, start on granted ports,
// route HTTP and gateway methods to them, stop in reverse order. Each plugin sees the host
// through its own sdk::Host; every call into plugin code is wrapped so a failure names the
// plugin and marks it failed while the others keep running.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "instance/instance.hpp"
#include "openclaw/sdk/plugin.hpp"
#include "plugins/loader.hpp"
#include "ports/lease_store.hpp"

namespace openclaw::plugins {

class PluginHost;

class Manager {
 public:
  using LogFn = std::function<void(sdk::LogLevel, const std::string&)>;

  Manager(const Instance& instance, boost::asio::io_context& io, LogFn log);
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

  /// If `port_name` belongs to a plugin, marks it failed with `reason`, drops its requests and
  /// returns true (the caller leases again without them).
  bool refuse_port(const std::string& port_name, const std::string& reason);
  /// The port requests plugin `index` made in collect_ports() (empty when it failed).
  const std::vector<sdk::PortRequest>& requests_of(size_t index) const { return requests_[index]; }
  /// Requests still wanted (after refusals).
  std::vector<sdk::PortRequest> remaining_requests() const;

  /// Starts every loaded plugin with the granted ports, in load order.
  void start_all(const std::vector<ports::Lease>& grants);
  /// Stops running plugins in reverse order, then destroys every plugin object. Idempotent.
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
  sdk::MessageBus& bus();

  /// How plugins lease and release ports at run time (set by the gateway once leases are held).
  struct RuntimePorts {
    std::function<ports::Lease(const sdk::PortRequest&)> lease;
    std::function<bool(const std::string&)> release;
  };
  void set_runtime_ports(RuntimePorts runtime) { runtime_ = std::move(runtime); }
  /// Makes `service` (owned by the caller, alive until stop_all()) what plugins' find_service
  /// returns for `name` and `version`.
  void add_service(std::string name, int version, void* service) {
    services_[{std::move(name), version}] = service;
  }

  // ---- The live plugin set (a running gateway, after start_all) ----
  /// Brings the set in line with the folders on `search`: a folder that is new is loaded, its
  /// ports leased (all or nothing; a refusal names the holder and fails this plugin only) and
  /// started; a plugin whose folder is gone is stopped (routes and methods removed, ports back
  /// in the registry); one whose folder_stamp() changed (a new version) is stopped and the new
  /// one started. Returns a line per change ("added canvas 1.2.0", ...), empty when none.
  std::vector<std::string> sync(const std::vector<std::filesystem::path>& search,
                                const LoadOptions& options);
  /// Adopts a new config: each plugin whose plugins.entries.<id> (enabled, config) changed is
  /// stopped and started again under it (or stays stopped when now disabled). Same return.
  std::vector<std::string> reconfigure(boost::json::object root, const LoadOptions& options);
  /// The config plugins are started with (the instance's, then what reconfigure() adopted).
  const boost::json::object& config() const { return config_; }

  /// Every record, retired ones included (check Record::retired).
  const std::vector<Record>& records() const { return records_; }
  /// [{id, kind, version, path, state, reason, status}] for records, /ready and `plugins list`.
  boost::json::array describe() const;

 private:
  friend class PluginHost;
  friend class PluginBus;
  struct Route {
    std::string method;
    std::string prefix;
    sdk::AsyncHttpHandler handler;
    size_t plugin;
    std::uint64_t id;
  };
  struct Method {
    sdk::AsyncMethodHandler handler;
    sdk::MethodOptions options;
    size_t plugin;
  };
  class Bus;

  void fail(size_t index, const std::string& reason);
  std::string who(size_t index) const;
  /// Revokes everything plugin `index` registered (methods, routes, subscriptions, timers).
  void revoke(size_t index);
  /// Answers for the plugin every call still in flight to it, and gives back its run-time ports.
  void abandon(size_t index, const std::string& why);
  /// Drops the grant of port `name` and gives its lease back to the registry (logged on failure).
  void give_back(size_t index, const std::string& name);
  /// True for a port of the instance's own plan (derived ports plugins may ask for too).
  bool is_standard(const std::string& port_name) const;
  sdk::Registration keep(size_t index, std::function<void()> revoke);
  /// A new slot for `record` (loaded or not); returns its index.
  size_t add_slot(Record record);
  /// Config check and port requests of a loaded plugin; false (and failed) when refused.
  bool check_and_request(size_t index, std::vector<sdk::PortRequest>& mine);
  /// add/remove one plugin of the live set.
  void add_live(const std::filesystem::path& dir, const LoadOptions& options,
                std::vector<std::string>& changes);
  void retire(size_t index);

  const Instance& instance_;
  boost::json::object config_;
  boost::asio::io_context& io_;
  LogFn log_;
  std::vector<Record> records_;
  std::vector<std::unique_ptr<PluginHost>> hosts_;
  std::vector<std::vector<sdk::PortRequest>> requests_;  ///< per plugin
  std::vector<sdk::PortRequest> standard_;
  std::map<std::string, ports::Lease> grants_;
  std::vector<Route> routes_;
  std::map<std::string, Method> methods_;
  std::unique_ptr<Bus> bus_;
  std::vector<size_t> started_;
  std::vector<std::vector<sdk::Registration>> registrations_;  ///< per plugin
  /// Calls and requests in flight, per plugin (weak: a dropped responder still answers).
  std::vector<std::vector<std::weak_ptr<sdk::MethodResponder::State>>> calls_;
  std::vector<std::vector<std::weak_ptr<sdk::HttpResponder::State>>> requests_in_flight_;
  std::vector<std::vector<std::string>> runtime_ports_;  ///< per plugin, leased at run time
  RuntimePorts runtime_;
  std::map<std::pair<std::string, int>, void*> services_;
  std::uint64_t next_id_ = 1;
};

}  // namespace openclaw::plugins
