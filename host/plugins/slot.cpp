#include "plugins/slot.hpp"

#include <utility>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "openclaw/sdk/files.hpp"

namespace openclaw::plugins {
namespace json = boost::json;

Slot::Slot(Hub& hub, Record r, Config config) : record(std::move(r)), hub_(hub) {
  set_config(std::move(config));
  host_ = std::make_unique<PluginHost>(hub_, *this);
}

void Slot::set_config(Config config) {
  config_ = std::move(config);
  const json::value* own = config::find(*config_, {"plugins", "entries", record.id, "config"});
  own_ = own && own->is_object() ? own->get_object() : json::object();
}

std::string Slot::label() const {
  return "plugin " + record.id + " (" +
         (record.library.empty() ? record.dir : record.library).string() + ")";
}

std::vector<sdk::ConfigProblem> Slot::validate() {
  if (!record.plugin) return {};
  try {
    return record.plugin->validate(*host_);
  } catch (const std::exception& e) {
    return {
        {"plugins.entries." + record.id, "plugin " + record.id + " validate() threw: " + e.what()}};
  }
}

std::string Slot::config_problem() {
  auto problems = validate();
  if (problems.empty()) return {};
  std::string text = "invalid config (" + hub_.instance.config.where() + "): ";
  for (size_t k = 0; k < problems.size(); ++k) {
    text += (k ? "; " : "") + problems[k].key + ": " + problems[k].message;
  }
  return text;
}

bool Slot::check(std::vector<sdk::PortRequest>& wanted) {
  if (auto problem = config_problem(); !problem.empty()) {
    fail(problem);
    return false;
  }
  try {
    wanted = record.plugin->ports(*host_);
  } catch (const std::exception& e) {
    fail(std::string("ports() threw: ") + e.what());
    return false;
  }
  return true;
}

bool Slot::start(const std::string& how) {
  try {
    sdk::create_private_dirs(host_->data_dir());
    Activity::Scope busy(hub_.activity, id(), "start");
    record.plugin->start(*host_);
    record.state = State::running;
    hub_.log(sdk::LogLevel::info, label() + " " + how);
    return true;
  } catch (const std::exception& e) {
    fail(std::string("start() threw: ") + e.what());  // revokes what it registered
    return false;
  }
}

void Slot::stop(const std::string& why, bool release_plan_ports) {
  if (record.state != State::running) return;
  revoke();  // no new call reaches it; stop() may still answer those in flight
  try {
    Activity::Scope busy(hub_.activity, id(), "stop");
    record.plugin->stop();
  } catch (const std::exception& e) {
    hub_.log(sdk::LogLevel::warn, label() + ": stop() threw: " + e.what());
  }
  record.state = State::stopped;
  answer_in_flight(why);
  if (!release_plan_ports) return;
  // Ports it was granted when the gateway started go back to the registry too.
  for (const auto& req : requests) {
    if (req.name.rfind(record.id + ".", 0) == 0 && hub_.grants.count(req.name)) {
      hub_.give_back(label(), req.name);
    }
  }
}

void Slot::fail(const std::string& reason) {
  record.state = State::failed;
  record.reason = reason;
  requests.clear();
  revoke();
  answer_in_flight("plugin " + record.id + " failed: " + reason);
  hub_.log(sdk::LogLevel::error, label() + ": " + reason);
}

void Slot::unload(const std::string& why) {
  if (record.unloaded) return;
  stop(why, true);
  requests.clear();
  record.state = State::stopped;
  record.unloaded = true;
  record.plugin.reset();  // the object goes; its library stays mapped (see ARCHITECTURE.md)
  if (!record.loaded_from.empty()) {
    std::error_code ec;
    std::filesystem::remove(record.loaded_from, ec);  // the mapping outlives the name
  }
}

sdk::Registration Slot::hold(std::function<void()> revoke) {
  sdk::Registration registration(std::move(revoke));
  registrations_.push_back(registration);
  return registration;
}

void Slot::track(const sdk::MethodResponder& respond) {
  std::erase_if(calls_, [](const auto& w) { return w.expired(); });
  calls_.push_back(respond.watch());
}

void Slot::track(const sdk::HttpResponder& respond) {
  std::erase_if(requests_in_flight_, [](const auto& w) { return w.expired(); });
  requests_in_flight_.push_back(respond.watch());
}

void Slot::revoke() {
  for (const auto& r : std::exchange(registrations_, {})) r.revoke();
}

void Slot::answer_in_flight(const std::string& why) {
  for (const auto& call : std::exchange(calls_, {})) {
    sdk::MethodResponder::cancel(call, "UNAVAILABLE", why);
  }
  for (const auto& request : std::exchange(requests_in_flight_, {})) {
    sdk::HttpResponder::cancel(request, sdk::HttpResponse::error(503, "UNAVAILABLE", why));
  }
  for (const auto& name : std::exchange(runtime_ports, {})) hub_.give_back(label(), name);
}

}  // namespace openclaw::plugins
