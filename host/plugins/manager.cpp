#include "plugins/manager.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/config_schema.hpp"
#include "ports/plan.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// The value at dotted `key` in `root`, or null when absent.
json::value at_path(const json::object& root, const std::string& key) {
  std::vector<std::string> parts;
  for (size_t from = 0;;) {
    size_t dot = key.find('.', from);
    parts.push_back(key.substr(from, dot - from));
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  const json::value* v = config::find(root, parts);
  return v ? *v : json::value();
}

// True when the config a plugin reads (its plugins.entries.<id>, its host-only settings under
// plugins.entries.openclaw-host.config.<id>, its configPaths) differs.
bool reads_changed(const Record& r, const json::object& before, const json::object& after) {
  for (const std::string& own : {"plugins.entries." + r.id, sdk::host_settings_path(r.id)}) {
    if (at_path(before, own) != at_path(after, own)) return true;
  }
  return std::any_of(r.config_paths.begin(), r.config_paths.end(),
                     [&](const std::string& p) { return at_path(before, p) != at_path(after, p); });
}

bool same_requests(const std::vector<sdk::PortRequest>& a, const std::vector<sdk::PortRequest>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const sdk::PortRequest& x, const sdk::PortRequest& y) {
                      return x.name == y.name && x.source == y.source && x.offset == y.offset &&
                             x.range_end == y.range_end && x.port == y.port && x.bind == y.bind &&
                             x.reserved == y.reserved;
                    });
}

}  // namespace

Manager::Manager(const Instance& instance, boost::asio::io_context& io, Logger log)
    : hub_(instance, io, std::move(log)),
      config_(std::make_shared<const json::object>(instance.config.root())) {}

Manager::~Manager() {
  stop_all();
}

Slot& Manager::add_slot(Record record) {
  slots_.push_back(std::make_unique<Slot>(hub_, std::move(record), config_));
  return *slots_.back();
}

void Manager::load(const std::vector<fs::path>& search, const LoadOptions& options) {
  slots_.clear();
  for (auto& record : load_all(search, *config_, options)) {
    Slot& slot = add_slot(std::move(record));
    if (slot.record.state == State::failed) {
      hub_.log(sdk::LogLevel::error, slot.label() + ": " + slot.record.reason);
    }
  }
}

void Manager::collect_ports(const std::vector<sdk::PortRequest>& standard, int base,
                            const std::string& base_source) {
  hub_.standard = standard;
  std::vector<sdk::PortRequest> accepted = standard;
  for (auto& slot : slots_) {
    if (slot->record.state != State::loaded) continue;
    std::vector<sdk::PortRequest> mine;
    if (!slot->check(mine)) continue;
    const std::string& id = slot->id();
    std::vector<sdk::PortRequest> own;
    std::string problem;
    for (const auto& r : mine) {
      if (hub_.is_standard(r.name)) continue;  // the instance's derived port: in the host's plan
      if (r.name.rfind(id + ".", 0) != 0) {
        problem = "port name \"" + r.name + "\" must start with \"" + id + ".\"";
        break;
      }
      own.push_back(r);
    }
    if (problem.empty()) {
      auto trial = accepted;
      trial.insert(trial.end(), own.begin(), own.end());
      try {
        ports::make_plan(base, base_source, trial);
      } catch (const Error& e) {
        problem = e.what();
      }
    }
    if (!problem.empty()) {
      slot->fail("ports refused: " + problem);
      continue;
    }
    slot->requests = mine;
    accepted.insert(accepted.end(), own.begin(), own.end());
  }
}

std::vector<sdk::ConfigProblem> Manager::validate_configs() {
  std::vector<sdk::ConfigProblem> out;
  for (auto& slot : slots_) {
    if (slot->record.state != State::loaded) continue;
    for (auto& p : slot->validate()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<sdk::ConfigKey> Manager::config_schema() {
  std::vector<sdk::ConfigKey> out;
  for (auto& slot : slots_) {
    if (slot->record.state != State::loaded) continue;
    sdk::ConfigSchemaRecorder recorder(slot->id());
    slot->validate();  // its problems (an empty config's) are not the point here
    for (const auto& k : recorder.keys()) out.push_back(k);
  }
  return out;
}

bool Manager::refuse_port(const std::string& port_name, const std::string& reason) {
  for (auto& slot : slots_) {
    if (slot->record.state != State::loaded) continue;
    for (const auto& r : slot->requests) {
      if (r.name == port_name && r.name.rfind(slot->id() + ".", 0) == 0) {
        slot->fail("ports refused by the registry: " + reason);
        return true;
      }
    }
  }
  return false;
}

std::vector<sdk::PortRequest> Manager::remaining_requests() const {
  std::vector<sdk::PortRequest> out = hub_.standard;
  for (const auto& slot : slots_) {
    if (slot->record.state != State::loaded) continue;
    for (const auto& r : slot->requests) {
      if (r.name.rfind(slot->id() + ".", 0) == 0) out.push_back(r);
    }
  }
  return out;
}

void Manager::start_all(const std::vector<ports::Lease>& grants) {
  for (const auto& g : grants) hub_.grants[g.name] = g;
  for (auto& slot : slots_) {
    if (slot->record.state == State::loaded && slot->start("running")) {
      started_.push_back(slot.get());
    }
  }
}

void Manager::stop_all() {
  for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
    (*it)->stop("plugin " + (*it)->id() + " stopped", false);
  }
  started_.clear();
  hub_.routes.clear();
  hub_.methods.clear();
  // Objects go before their libraries (each deleter holds its library).
  for (auto& slot : slots_) slot->record.plugin.reset();
}

bool Manager::route(const sdk::HttpRequest& request, sdk::HttpResponder respond) {
  // The longest matching prefix wins: /x/later before /x.
  const Hub::Route* best = nullptr;
  for (const auto& rt : hub_.routes) {
    if (rt.method != request.method && !(rt.method == "GET" && request.method == "HEAD")) continue;
    const std::string& p = request.path;
    if ((p == rt.prefix ||
         (p.rfind(rt.prefix, 0) == 0 && (rt.prefix.back() == '/' || p[rt.prefix.size()] == '/'))) &&
        (!best || rt.prefix.size() > best->prefix.size())) {
      best = &rt;
    }
  }
  if (!best) return false;
  const Hub::Route rt = *best;  // a copy: the handler may revoke its own route while it runs
  rt.slot->track(respond);
  try {
    Activity::Scope busy(hub_.activity, rt.slot->id(), "route", rt.method, rt.prefix);
    rt.handler(request, respond);
  } catch (const std::exception& e) {
    hub_.log(sdk::LogLevel::error,
             rt.slot->label() + ": route " + rt.prefix + " threw: " + e.what());
    respond.send(sdk::HttpResponse::error(500, "PLUGIN_ERROR",
                                          "plugin " + rt.slot->id() + " failed: " + e.what()));
  }
  return true;
}

std::optional<std::chrono::milliseconds> Manager::call_method(const std::string& name,
                                                              const json::value& params,
                                                              const sdk::Caller& caller,
                                                              sdk::MethodResponder respond) {
  auto it = hub_.methods.find(name);
  if (it == hub_.methods.end() || !it->second.slot->running()) return std::nullopt;
  const Hub::Method method = it->second;  // a copy: the handler may revoke its own registration
  method.slot->track(respond);
  try {
    Activity::Scope busy(hub_.activity, method.slot->id(), "method", name);
    method.handler(params, caller, respond);
  } catch (const std::exception& e) {
    respond.error("UNAVAILABLE", name + " failed: " + e.what());
  }
  return method.options.timeout;
}

std::vector<std::string> Manager::method_names() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : hub_.methods) {
    if (m.slot->running()) out.push_back(name);
  }
  return out;
}

void Manager::add_live(const fs::path& dir, const LoadOptions& options,
                       std::vector<std::string>& changes) {
  std::map<std::string, fs::path> taken;
  for (const auto& s : slots_) {
    if (!s->record.unloaded && s->record.state != State::failed) taken[s->id()] = s->record.dir;
  }
  Slot& slot = add_slot(load_folder(dir, *config_, taken, options));
  Record& r = slot.record;
  auto failed = [&] { changes.push_back("added " + r.id + " (failed: " + r.reason + ")"); };
  if (r.state == State::disabled) {
    changes.push_back("added " + r.id + " (disabled)");
    return;
  }
  if (r.state != State::loaded) {
    hub_.log(sdk::LogLevel::error, slot.label() + ": " + r.reason);
    return failed();
  }
  std::vector<sdk::PortRequest> mine;
  if (!slot.check(mine)) return failed();
  // Its own ports, leased for this instance now: all or nothing (as run-time ports, so a refusal
  // or a later stop gives back what was leased).
  for (const auto& req : mine) {
    if (hub_.is_standard(req.name)) continue;  // the instance's derived port: in the host's plan
    std::string problem;
    if (req.name.rfind(r.id + ".", 0) != 0) {
      problem = "port name \"" + req.name + "\" must start with \"" + r.id + ".\"";
    } else if (!hub_.runtime.lease) {
      problem = "ports cannot be leased before the gateway runs";
    } else {
      try {
        hub_.grants[req.name] = hub_.runtime.lease(req);
        slot.runtime_ports.push_back(req.name);
      } catch (const std::exception& e) {
        problem = e.what();
      }
    }
    if (!problem.empty()) {
      slot.fail("ports refused by the registry: " + problem);
      return failed();
    }
  }
  slot.requests = mine;
  if (!slot.start("running (added while the gateway runs)")) return failed();
  started_.push_back(&slot);
  changes.push_back("added " + r.id + " " + r.version);
}

std::vector<std::string> Manager::sync(const std::vector<fs::path>& search,
                                       const LoadOptions& options) {
  std::vector<std::string> changes;
  auto folders = plugin_folders(search);
  // Gone or changed: stopped first, so a new version's ports and id are free for it.
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    const Record& r = slot.record;
    if (r.unloaded) continue;
    bool present = std::find(folders.begin(), folders.end(), r.dir) != folders.end();
    if (!present) {
      hub_.log(sdk::LogLevel::info, slot.label() + " removed: its folder is gone");
      changes.push_back("removed " + r.id);
    } else if (folder_stamp(r.dir) != r.stamp) {
      hub_.log(sdk::LogLevel::info, slot.label() + " changed on disk: replacing it");
      changes.push_back("removed " + r.id + " " + r.version + " (replaced)");
    } else {
      continue;
    }
    std::erase(started_, &slot);
    slot.unload("plugin " + r.id + " was removed");
  }
  for (const auto& dir : folders) {
    bool known = std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) {
      return !s->record.unloaded && s->record.dir == dir;
    });
    if (!known) add_live(dir, options, changes);
  }
  return changes;
}

bool Manager::apply_in_place(Slot& slot, const Slot::Config& config,
                             std::vector<std::string>& changes) {
  const std::string& id = slot.id();
  auto enabled = [&](const json::object& root) {
    return at_path(root, "plugins.entries." + id + ".enabled");
  };
  if (enabled(slot.root_config()) != enabled(*config)) return false;
  Slot::Config last_good = slot.config();
  slot.set_config(config);
  if (auto problems = slot.validate(); !problems.empty()) {
    slot.set_config(last_good);
    std::string text = problems[0].key + ": " + problems[0].message;
    hub_.log(sdk::LogLevel::error, slot.label() + ": the changed config is refused (" + text +
                                       "); it keeps running under the last good one");
    changes.push_back("kept " + id + " (changed config refused: " + text + ")");
    return true;
  }
  std::vector<sdk::PortRequest> wanted;
  try {
    wanted = slot.record.plugin->ports(slot.host());
  } catch (const std::exception&) {
    return false;  // asked again on the restart, where a throw fails it with the reason
  }
  if (!same_requests(wanted, slot.requests)) {
    bool plan_port = std::any_of(wanted.begin(), wanted.end(), [&](const sdk::PortRequest& r) {
      return r.name.rfind(id + ".", 0) != 0 && !hub_.is_standard(r.name);
    });
    if (!plan_port) return false;  // its own ports: leased again on the restart
    // A port of the instance's plan that it does not hold: only a gateway restart leases it.
    slot.set_config(last_good);
    hub_.log(sdk::LogLevel::warn, slot.label() +
                                      ": the changed config needs ports of the "
                                      "instance's plan: restart the gateway to apply it");
    changes.push_back("kept " + id + " (restart the gateway to apply its new ports)");
    return true;
  }
  bool applied = false;
  try {
    Activity::Scope busy(hub_.activity, slot.id(), "reconfigure");
    applied = slot.record.plugin->reconfigure(slot.host());
  } catch (const std::exception& e) {
    hub_.log(sdk::LogLevel::warn, slot.label() + ": reconfigure() threw: " + e.what());
  }
  if (!applied) return false;
  hub_.log(sdk::LogLevel::info, slot.label() + ": config changed: applied in place");
  changes.push_back("reconfigured " + id + " (in place)");
  return true;
}

std::vector<std::string> Manager::reconfigure(json::object root, const LoadOptions& options) {
  auto next = std::make_shared<const json::object>(std::move(root));
  previous_config_ = std::exchange(config_, next);
  std::vector<std::string> changes;
  std::vector<fs::path> restart;
  for (auto& s : slots_) {
    Slot& slot = *s;
    const Record& r = slot.record;
    if (r.unloaded || !reads_changed(r, slot.root_config(), *next)) continue;
    if (slot.running() && apply_in_place(slot, next, changes)) continue;
    hub_.log(sdk::LogLevel::info, slot.label() + ": its config changed: restarting it");
    changes.push_back("reconfigured " + r.id);
    restart.push_back(r.dir);
    std::erase(started_, &slot);
    slot.unload("plugin " + r.id + " is restarting under a new config");
  }
  for (const auto& dir : restart) add_live(dir, options, changes);
  // Slots that did not read what changed follow the new config too (always one version).
  for (auto& s : slots_) {
    if (!s->record.unloaded && s->config() == previous_config_ &&
        !reads_changed(s->record, *previous_config_, *next)) {
      s->set_config(next);
    }
  }
  return changes;
}

bool Manager::reaches_plugins(const std::string& key) const {
  if (config::overlaps(key, "plugins.entries")) return true;
  return std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) {
    if (s->record.unloaded) return false;
    return std::any_of(s->record.config_paths.begin(), s->record.config_paths.end(),
                       [&](const std::string& p) { return config::overlaps(key, p); });
  });
}

json::array Manager::describe() const {
  json::array out;
  for (const auto& slot : slots_) {
    const Record& r = slot->record;
    if (r.unloaded) continue;
    json::object o = to_json(r);
    if (r.state == State::running && r.plugin) {
      try {
        o["status"] = r.plugin->status();
      } catch (const std::exception& e) {
        o["status"] = json::object{{"error", e.what()}};
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace openclaw::plugins
