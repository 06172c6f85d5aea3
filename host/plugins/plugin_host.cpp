#include "plugins/plugin_host.hpp"

#include <algorithm>

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "core/error.hpp"
#include "plugins/slot.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;
namespace json = boost::json;

// ---- the bus ------------------------------------------------------------------------------------

void Bus::publish(const sdk::Message& message) {
  // A snapshot: a subscriber may subscribe or revoke while it is called.
  auto handlers = handlers_;
  for (const auto& [id, h] : handlers) {
    if (!handlers_.count(id)) continue;  // revoked meanwhile
    try {
      h(message);
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::warn, std::string("a message bus subscriber threw: ") + e.what());
    }
  }
}

sdk::Registration Bus::subscribe_for(Slot* slot, Handler handler) {
  std::uint64_t id = next_id_++;
  handlers_.emplace(id, std::move(handler));
  auto revoke = [this, id] { handlers_.erase(id); };
  return slot ? slot->hold(revoke) : sdk::Registration(revoke);
}

// ---- the hub ------------------------------------------------------------------------------------

bool Hub::is_standard(const std::string& port_name) const {
  return std::any_of(standard.begin(), standard.end(),
                     [&](const sdk::PortRequest& s) { return s.name == port_name; });
}

void Hub::give_back(const std::string& who, const std::string& name) {
  grants.erase(name);
  if (!runtime.release) return;
  try {
    runtime.release(name);
  } catch (const std::exception& e) {
    log(sdk::LogLevel::warn, who + ": could not release port " + name + ": " + e.what());
  }
}

// ---- one plugin's host
// ----------------------------------------------------------------------------

PluginHost::PluginHost(Hub& hub, Slot& slot)
    : hub_(hub),
      slot_(slot),
      bus_(hub.bus, slot),
      data_dir_(hub.instance.paths.state_dir / "plugins-data" / slot.record.id) {}

const std::string& PluginHost::id() const {
  return slot_.record.id;
}
const std::optional<std::string>& PluginHost::profile() const {
  return hub_.instance.paths.profile;
}
const fs::path& PluginHost::state_dir() const {
  return hub_.instance.paths.state_dir;
}
const fs::path& PluginHost::workspace() const {
  return hub_.instance.workspace;
}
const json::object& PluginHost::config() const {
  return slot_.own_config();
}
const json::object& PluginHost::root_config() const {
  return slot_.root_config();
}

void PluginHost::log(sdk::LogLevel level, std::string_view message) {
  hub_.log(level, "[" + slot_.record.id + "] " + std::string(message));
}

sdk::Registration PluginHost::add_route_async(std::string method, std::string path_prefix,
                                              sdk::AsyncHttpHandler handler) {
  const Record& r = slot_.record;
  bool own = path_prefix == "/" + r.id || path_prefix.rfind("/" + r.id + "/", 0) == 0;
  // Channels take inbound webhooks where OpenClaw's do: /hooks/<name>.
  bool hook = r.kind == "channel" && path_prefix.rfind("/hooks/", 0) == 0;
  if (!own && !hook && path_prefix.rfind("/__openclaw__/", 0) != 0) {
    throw std::invalid_argument("route " + path_prefix + " must start with /" + r.id +
                                " or /__openclaw__/" + (r.kind == "channel" ? " or /hooks/" : ""));
  }
  std::uint64_t rid = hub_.next_id++;
  hub_.routes.push_back(
      {std::move(method), std::move(path_prefix), std::move(handler), &slot_, rid});
  Hub& hub = hub_;
  return slot_.hold([&hub, rid] {
    std::erase_if(hub.routes, [rid](const Hub::Route& route) { return route.id == rid; });
  });
}

sdk::Registration PluginHost::add_method_async(std::string name, sdk::AsyncMethodHandler handler,
                                               sdk::MethodOptions options) {
  const Record& r = slot_.record;
  if (name.rfind(r.id + ".", 0) != 0 && name.rfind(r.kind + ".", 0) != 0) {
    throw std::invalid_argument("gateway method " + name + " must start with \"" + r.id +
                                ".\" or \"" + r.kind + ".\"");
  }
  if (!hub_.methods.emplace(name, Hub::Method{std::move(handler), options, &slot_}).second) {
    throw std::invalid_argument("gateway method " + name + " is already registered");
  }
  Hub& hub = hub_;
  Slot* slot = &slot_;
  return slot_.hold([&hub, name, slot] {
    auto it = hub.methods.find(name);
    if (it != hub.methods.end() && it->second.slot == slot) hub.methods.erase(it);
  });
}

sdk::Registration PluginHost::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(hub_.io, delay);
  auto registration = slot_.hold([timer] { timer->cancel(); });
  Hub& hub = hub_;
  Slot* slot = &slot_;
  timer->async_wait(
      [timer, fn = std::move(fn), registration, &hub, slot](const boost::system::error_code& ec) {
        if (ec || !registration.active()) return;
        registration.revoke();  // fired: nothing left to revoke
        try {
          Activity::Scope busy(hub.activity, slot->id(), "timer");
          fn();
        } catch (const std::exception& e) {
          hub.log(sdk::LogLevel::error, slot->label() + ": a timer callback threw: " + e.what());
        }
      });
  return registration;
}

int PluginHost::lease_port(const sdk::PortRequest& request) {
  const std::string& id = slot_.record.id;
  if (request.name.rfind(id + ".", 0) != 0) {
    throw std::invalid_argument("port name \"" + request.name + "\" must start with \"" + id +
                                ".\"");
  }
  if (!hub_.runtime.lease) {
    throw std::runtime_error("ports can be leased at run time only once the gateway runs");
  }
  ports::Lease lease;
  try {
    lease = hub_.runtime.lease(request);
  } catch (const Error& e) {
    throw std::runtime_error(e.what());  // plugins see std:: exceptions only
  }
  hub_.grants[lease.name] = lease;
  slot_.runtime_ports.push_back(lease.name);
  hub_.log(sdk::LogLevel::info, slot_.label() + " leased port " + std::to_string(lease.port) +
                                    " (" + lease.name + ") at run time");
  return lease.port;
}

bool PluginHost::release_port(std::string_view name) {
  auto& mine = slot_.runtime_ports;
  auto it = std::find(mine.begin(), mine.end(), name);
  if (it == mine.end()) return false;
  std::string n(name);
  mine.erase(it);
  hub_.grants.erase(n);
  return hub_.runtime.release && hub_.runtime.release(n);
}

void* PluginHost::find_service(std::string_view name, int version) {
  auto it = hub_.services.find({std::string(name), version});
  return it == hub_.services.end() ? nullptr : it->second;
}

const ports::Lease& PluginHost::grant(std::string_view name) const {
  bool declared = hub_.is_standard(std::string(name));
  for (const auto& n : slot_.runtime_ports) declared = declared || n == name;
  for (const auto& r : slot_.requests) declared = declared || r.name == name;
  auto it = hub_.grants.find(std::string(name));
  if (!declared || it == hub_.grants.end()) {
    throw std::out_of_range("no port \"" + std::string(name) + "\" was granted to plugin " +
                            slot_.record.id);
  }
  return it->second;
}

}  // namespace openclaw::plugins
