#pragma once
// What the plugins of one instance share (the Hub: the I/O context, the log, the route and method
// tables, the port grants, the host services and the message bus) and what one plugin sees of it
// (PluginHost, the sdk::Host of one Slot). Every registration a plugin makes is held by its slot.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/logger.hpp"
#include "instance/instance.hpp"
#include "openclaw/sdk/plugin.hpp"
#include "plugins/activity.hpp"
#include "ports/lease_store.hpp"

namespace openclaw::plugins {

class Slot;

/// The instance's message bus; each subscription belongs to a slot (or to the host: nullptr).
class Bus final : public sdk::MessageBus {
 public:
  explicit Bus(Logger log) : log_(std::move(log)) {}
  void publish(const sdk::Message& message) override;
  sdk::Registration subscribe(Handler handler) override { return subscribe_for(nullptr, handler); }
  sdk::Registration subscribe_for(Slot* slot, Handler handler);

 private:
  Logger log_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Handler> handlers_;
};

/// What every plugin of the instance shares. Owned by the Manager.
struct Hub {
  struct Route {
    std::string method;
    std::string prefix;
    sdk::AsyncHttpHandler handler;
    Slot* slot;
    std::uint64_t id;
  };
  struct Method {
    sdk::AsyncMethodHandler handler;
    sdk::MethodOptions options;
    Slot* slot;
  };
  /// How plugins lease and release ports at run time (set once the instance's leases are held).
  struct RuntimePorts {
    std::function<ports::Lease(const sdk::PortRequest&)> lease;
    std::function<bool(const std::string&)> release;
  };

  Hub(const Instance& instance, boost::asio::io_context& io, Logger log)
      : instance(instance), io(io), log(log), bus(log) {}

  /// True for a port of the instance's own plan (derived ports plugins may ask for too).
  bool is_standard(const std::string& port_name) const;
  /// Drops the grant of port `name` and gives its lease back to the registry (logged on failure).
  void give_back(const std::string& who, const std::string& name);

  const Instance& instance;
  boost::asio::io_context& io;
  Logger log;
  Bus bus;
  std::vector<Route> routes;
  std::map<std::string, Method> methods;
  std::vector<sdk::PortRequest> standard;  ///< the instance's plan
  std::map<std::string, ports::Lease> grants;
  RuntimePorts runtime;
  std::map<std::pair<std::string, int>, void*> services;
  std::uint64_t next_id = 1;
  Activity activity;  ///< which plugin's code the I/O thread runs now (for the watchdog)
};

/// The sdk::Host one plugin sees: its slot's id, config and ports, the hub's services.
class PluginHost final : public sdk::Host {
 public:
  PluginHost(Hub& hub, Slot& slot);

  const std::string& id() const override;
  const std::optional<std::string>& profile() const override;
  const std::filesystem::path& state_dir() const override;
  const std::filesystem::path& data_dir() const override { return data_dir_; }
  const std::filesystem::path& workspace() const override;
  const boost::json::object& config() const override;
  const boost::json::object& root_config() const override;
  int port(std::string_view name) const override { return grant(name).port; }
  std::string bind_address(std::string_view name) const override { return grant(name).bind; }
  boost::asio::io_context& io() override { return hub_.io; }
  void log(sdk::LogLevel level, std::string_view message) override;
  sdk::Registration add_route_async(std::string method, std::string path_prefix,
                                    sdk::AsyncHttpHandler handler) override;
  sdk::Registration add_method_async(std::string name, sdk::AsyncMethodHandler handler,
                                     sdk::MethodOptions options) override;
  sdk::MessageBus& bus() override { return bus_; }
  sdk::Registration after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  int lease_port(const sdk::PortRequest& request) override;
  bool release_port(std::string_view name) override;
  void* find_service(std::string_view name, int version) override;

 private:
  // The instance's bus, with subscriptions owned by this plugin.
  class OwnBus final : public sdk::MessageBus {
   public:
    OwnBus(Bus& bus, Slot& slot) : bus_(bus), slot_(slot) {}
    void publish(const sdk::Message& message) override { bus_.publish(message); }
    sdk::Registration subscribe(Handler handler) override {
      return bus_.subscribe_for(&slot_, std::move(handler));
    }

   private:
    Bus& bus_;
    Slot& slot_;
  };
  const ports::Lease& grant(std::string_view name) const;

  Hub& hub_;
  Slot& slot_;
  OwnBus bus_;
  std::filesystem::path data_dir_;
};

}  // namespace openclaw::plugins
