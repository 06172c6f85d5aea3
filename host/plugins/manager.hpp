#pragma once
// The lifecycle of an instance's plugins: load, collect port needs, start on granted ports,
// route HTTP and gateway methods to them, stop in reverse order. Each plugin sees the host
// through its own sdk::Host; every call into plugin code is wrapped so a failure names the
// plugin and marks it failed while the others keep running.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/instance.hpp"
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

  /// If `port_name` belongs to a plugin, marks it failed with `reason`, drops its requests and
  /// returns true (the caller leases again without them).
  bool refuse_port(const std::string& port_name, const std::string& reason);
  /// Requests still wanted (after refusals).
  std::vector<sdk::PortRequest> remaining_requests() const;

  /// Starts every loaded plugin with the granted ports, in load order.
  void start_all(const std::vector<ports::Lease>& grants);
  /// Stops running plugins in reverse order, then destroys every plugin object. Idempotent.
  void stop_all();

  /// Answers a request for a plugin route, or nullopt when no plugin route matches.
  std::optional<sdk::HttpResponse> route(const sdk::HttpRequest& request);
  /// Gateway methods registered by plugins.
  const std::map<std::string, sdk::MethodHandler>& methods() const { return methods_; }
  sdk::MessageBus& bus();

  const std::vector<Record>& records() const { return records_; }
  /// [{id, kind, version, path, state, reason, status}] for records, /ready and `plugins list`.
  boost::json::array describe() const;

 private:
  friend class PluginHost;
  struct Route {
    std::string method;
    std::string prefix;
    sdk::HttpHandler handler;
    size_t plugin;
  };
  class Bus;

  void fail(size_t index, const std::string& reason);
  std::string who(size_t index) const;

  const Instance& instance_;
  boost::asio::io_context& io_;
  LogFn log_;
  std::vector<Record> records_;
  std::vector<std::unique_ptr<PluginHost>> hosts_;
  std::vector<std::vector<sdk::PortRequest>> requests_;  ///< per plugin
  std::vector<sdk::PortRequest> standard_;
  std::map<std::string, ports::Lease> grants_;
  std::vector<Route> routes_;
  std::map<std::string, sdk::MethodHandler> methods_;
  std::unique_ptr<Bus> bus_;
  std::vector<size_t> started_;
};

}  // namespace openclaw::plugins
