#include "plugins/manager.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"
#include "ports/plan.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;
namespace json = boost::json;

// One bus for the instance; each subscription belongs to a plugin (or to the host, npos).
class Manager::Bus final : public sdk::MessageBus {
 public:
  explicit Bus(Manager& m) : m_(m) {}
  void publish(const sdk::Message& message) override {
    // A snapshot: a subscriber may subscribe or revoke while it is called.
    auto handlers = handlers_;
    for (const auto& [id, h] : handlers) {
      if (!handlers_.count(id)) continue;  // revoked meanwhile
      try {
        h(message);
      } catch (const std::exception& e) {
        m_.log_(sdk::LogLevel::warn, std::string("a message bus subscriber threw: ") + e.what());
      }
    }
  }
  sdk::Registration subscribe(Handler handler) override { return subscribe_for(npos, handler); }
  sdk::Registration subscribe_for(size_t plugin, Handler handler) {
    std::uint64_t id = m_.next_id_++;
    handlers_.emplace(id, std::move(handler));
    auto revoke = [this, id] { handlers_.erase(id); };
    return plugin == npos ? sdk::Registration(revoke) : m_.keep(plugin, revoke);
  }
  static constexpr size_t npos = static_cast<size_t>(-1);

 private:
  Manager& m_;
  std::map<std::uint64_t, Handler> handlers_;
};

// What one plugin's bus() is: the instance's bus, with subscriptions owned by the plugin.
class PluginBus final : public sdk::MessageBus {
 public:
  PluginBus(Manager::Bus& bus, size_t plugin) : bus_(bus), plugin_(plugin) {}
  void publish(const sdk::Message& message) override { bus_.publish(message); }
  sdk::Registration subscribe(Handler handler) override {
    return bus_.subscribe_for(plugin_, std::move(handler));
  }

 private:
  Manager::Bus& bus_;
  size_t plugin_;
};

// What one plugin sees of the host.
class PluginHost final : public sdk::Host {
 public:
  PluginHost(Manager& m, size_t index) : m_(m), index_(index), bus_(*m.bus_, index) {
    const auto& inst = m.instance_;
    const Record& r = m.records_[index];
    data_dir_ = inst.paths.state_dir / "plugins-data" / r.id;
    const json::value* cfg = config::find(m.config_, {"plugins", "entries", r.id, "config"});
    if (cfg && cfg->is_object()) config_ = cfg->get_object();
  }

  const std::string& id() const override { return m_.records_[index_].id; }
  const std::optional<std::string>& profile() const override { return m_.instance_.paths.profile; }
  const fs::path& state_dir() const override { return m_.instance_.paths.state_dir; }
  const fs::path& data_dir() const override { return data_dir_; }
  const fs::path& workspace() const override { return m_.instance_.workspace; }
  const json::object& config() const override { return config_; }
  const json::object& root_config() const override { return m_.instance_.config.root(); }

  int port(std::string_view name) const override { return grant(name).port; }
  std::string bind_address(std::string_view name) const override { return grant(name).bind; }

  boost::asio::io_context& io() override { return m_.io_; }
  void log(sdk::LogLevel level, std::string_view message) override {
    m_.log_(level, "[" + m_.records_[index_].id + "] " + std::string(message));
  }

  sdk::Registration add_route_async(std::string method, std::string path_prefix,
                                    sdk::AsyncHttpHandler handler) override {
    const std::string& id = m_.records_[index_].id;
    bool own = path_prefix == "/" + id || path_prefix.rfind("/" + id + "/", 0) == 0;
    // Channels take inbound webhooks where OpenClaw's do: /hooks/<name>.
    bool hook = m_.records_[index_].kind == "channel" && path_prefix.rfind("/hooks/", 0) == 0;
    if (!own && !hook && path_prefix.rfind("/__openclaw__/", 0) != 0) {
      throw std::invalid_argument("route " + path_prefix + " must start with /" + id +
                                  " or /__openclaw__/" +
                                  (m_.records_[index_].kind == "channel" ? " or /hooks/" : ""));
    }
    std::uint64_t rid = m_.next_id_++;
    m_.routes_.push_back(
        {std::move(method), std::move(path_prefix), std::move(handler), index_, rid});
    Manager& m = m_;
    return m_.keep(index_, [&m, rid] {
      std::erase_if(m.routes_, [rid](const Manager::Route& r) { return r.id == rid; });
    });
  }

  sdk::Registration add_method_async(std::string name, sdk::AsyncMethodHandler handler,
                                     sdk::MethodOptions options) override {
    const Record& r = m_.records_[index_];
    if (name.rfind(r.id + ".", 0) != 0 && name.rfind(r.kind + ".", 0) != 0) {
      throw std::invalid_argument("gateway method " + name + " must start with \"" + r.id +
                                  ".\" or \"" + r.kind + ".\"");
    }
    if (!m_.methods_.emplace(name, Manager::Method{std::move(handler), options, index_}).second) {
      throw std::invalid_argument("gateway method " + name + " is already registered");
    }
    Manager& m = m_;
    size_t index = index_;
    return m_.keep(index_, [&m, name, index] {
      auto it = m.methods_.find(name);
      if (it != m.methods_.end() && it->second.plugin == index) m.methods_.erase(it);
    });
  }

  sdk::MessageBus& bus() override { return bus_; }

  sdk::Registration after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(m_.io_, delay);
    auto registration = m_.keep(index_, [timer] { timer->cancel(); });
    Manager& m = m_;
    size_t index = index_;
    timer->async_wait(
        [timer, fn = std::move(fn), registration, &m, index](const boost::system::error_code& ec) {
          if (ec || !registration.active()) return;
          registration.revoke();  // fired: nothing left to revoke
          try {
            fn();
          } catch (const std::exception& e) {
            m.log_(sdk::LogLevel::error, m.who(index) + ": a timer callback threw: " + e.what());
          }
        });
    return registration;
  }

  int lease_port(const sdk::PortRequest& request) override {
    const std::string& id = m_.records_[index_].id;
    if (request.name.rfind(id + ".", 0) != 0) {
      throw std::invalid_argument("port name \"" + request.name + "\" must start with \"" + id +
                                  ".\"");
    }
    if (!m_.runtime_.lease) {
      throw std::runtime_error("ports can be leased at run time only once the gateway runs");
    }
    ports::Lease lease;
    try {
      lease = m_.runtime_.lease(request);
    } catch (const Error& e) {
      throw std::runtime_error(e.what());  // plugins see std:: exceptions only
    }
    m_.grants_[lease.name] = lease;
    m_.runtime_ports_[index_].push_back(lease.name);
    m_.log_(sdk::LogLevel::info, m_.who(index_) + " leased port " + std::to_string(lease.port) +
                                     " (" + lease.name + ") at run time");
    return lease.port;
  }

  bool release_port(std::string_view name) override {
    auto& mine = m_.runtime_ports_[index_];
    auto it = std::find(mine.begin(), mine.end(), name);
    if (it == mine.end()) return false;
    std::string n(name);
    mine.erase(it);
    m_.grants_.erase(n);
    return m_.runtime_.release && m_.runtime_.release(n);
  }

  void* find_service(std::string_view name, int version) override {
    auto it = m_.services_.find({std::string(name), version});
    return it == m_.services_.end() ? nullptr : it->second;
  }

 private:
  const ports::Lease& grant(std::string_view name) const {
    bool declared = false;
    for (const auto& n : m_.runtime_ports_[index_]) declared = declared || n == name;
    for (const auto& r : m_.requests_[index_]) declared = declared || r.name == name;
    for (const auto& r : m_.standard_) declared = declared || r.name == name;
    auto it = m_.grants_.find(std::string(name));
    if (!declared || it == m_.grants_.end()) {
      throw std::out_of_range("no port \"" + std::string(name) + "\" was granted to plugin " +
                              m_.records_[index_].id);
    }
    return it->second;
  }

  Manager& m_;
  size_t index_;
  PluginBus bus_;
  fs::path data_dir_;
  json::object config_;
};

Manager::Manager(const Instance& instance, boost::asio::io_context& io, LogFn log)
    : instance_(instance),
      config_(instance.config.root()),
      io_(io),
      log_(std::move(log)),
      bus_(std::make_unique<Bus>(*this)) {}

Manager::~Manager() {
  stop_all();
}

sdk::MessageBus& Manager::bus() {
  return *bus_;
}

std::string Manager::who(size_t index) const {
  const Record& r = records_[index];
  return "plugin " + r.id + " (" + (r.library.empty() ? r.dir : r.library).string() + ")";
}

void Manager::fail(size_t index, const std::string& reason) {
  Record& r = records_[index];
  r.state = State::failed;
  r.reason = reason;
  requests_[index].clear();
  revoke(index);
  abandon(index, "plugin " + r.id + " failed: " + reason);
  log_(sdk::LogLevel::error, who(index) + ": " + reason);
}

sdk::Registration Manager::keep(size_t index, std::function<void()> revoke) {
  sdk::Registration registration(std::move(revoke));
  registrations_[index].push_back(registration);
  return registration;
}

void Manager::revoke(size_t index) {
  auto registrations = std::move(registrations_[index]);
  registrations_[index].clear();
  for (const auto& r : registrations) r.revoke();
}

void Manager::abandon(size_t index, const std::string& why) {
  for (const auto& call : std::exchange(calls_[index], {})) {
    sdk::MethodResponder::cancel(call, "UNAVAILABLE", why);
  }
  for (const auto& request : std::exchange(requests_in_flight_[index], {})) {
    sdk::HttpResponder::cancel(request, sdk::HttpResponse::error(503, "UNAVAILABLE", why));
  }
  for (const auto& name : std::exchange(runtime_ports_[index], {})) give_back(index, name);
}

void Manager::give_back(size_t index, const std::string& name) {
  grants_.erase(name);
  if (!runtime_.release) return;
  try {
    runtime_.release(name);
  } catch (const std::exception& e) {
    log_(sdk::LogLevel::warn, who(index) + ": could not release port " + name + ": " + e.what());
  }
}

bool Manager::is_standard(const std::string& port_name) const {
  return std::any_of(standard_.begin(), standard_.end(),
                     [&](const sdk::PortRequest& s) { return s.name == port_name; });
}

void Manager::load(const std::vector<fs::path>& search, const LoadOptions& options) {
  records_ = load_all(search, config_, options);
  requests_.assign(records_.size(), {});
  registrations_.assign(records_.size(), {});
  calls_.assign(records_.size(), {});
  requests_in_flight_.assign(records_.size(), {});
  runtime_ports_.assign(records_.size(), {});
  hosts_.clear();
  for (size_t i = 0; i < records_.size(); ++i) {
    hosts_.push_back(std::make_unique<PluginHost>(*this, i));
    if (records_[i].state == State::failed)
      log_(sdk::LogLevel::error, who(i) + ": " + records_[i].reason);
  }
}

void Manager::collect_ports(const std::vector<sdk::PortRequest>& standard, int base,
                            const std::string& base_source) {
  standard_ = standard;
  std::vector<sdk::PortRequest> accepted = standard;
  for (size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].state != State::loaded) continue;
    std::vector<sdk::PortRequest> mine;
    if (!check_and_request(i, mine)) continue;
    const std::string& id = records_[i].id;
    std::vector<sdk::PortRequest> own;
    std::string problem;
    for (const auto& r : mine) {
      if (is_standard(r.name)) continue;  // the instance's derived port: granted to the host's plan
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
      fail(i, "ports refused: " + problem);
      continue;
    }
    requests_[i] = mine;
    accepted.insert(accepted.end(), own.begin(), own.end());
  }
}

std::vector<sdk::ConfigProblem> Manager::validate_configs() {
  std::vector<sdk::ConfigProblem> out;
  for (size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].state != State::loaded || !records_[i].plugin) continue;
    try {
      for (auto& p : records_[i].plugin->validate(*hosts_[i])) out.push_back(std::move(p));
    } catch (const std::exception& e) {
      out.push_back({"plugins.entries." + records_[i].id,
                     "plugin " + records_[i].id + " validate() threw: " + e.what()});
    }
  }
  return out;
}

bool Manager::check_and_request(size_t i, std::vector<sdk::PortRequest>& mine) {
  try {
    auto problems = records_[i].plugin->validate(*hosts_[i]);
    if (!problems.empty()) {
      std::string text = "invalid config (" + instance_.config.where() + "): ";
      for (size_t k = 0; k < problems.size(); ++k) {
        text += (k ? "; " : "") + problems[k].key + ": " + problems[k].message;
      }
      fail(i, text);
      return false;
    }
    mine = records_[i].plugin->ports(*hosts_[i]);
  } catch (const std::exception& e) {
    fail(i, std::string("ports() threw: ") + e.what());
    return false;
  }
  return true;
}

bool Manager::refuse_port(const std::string& port_name, const std::string& reason) {
  for (size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].state != State::loaded) continue;
    for (const auto& r : requests_[i]) {
      if (r.name == port_name && r.name.rfind(records_[i].id + ".", 0) == 0) {
        fail(i, "ports refused by the registry: " + reason);
        return true;
      }
    }
  }
  return false;
}

std::vector<sdk::PortRequest> Manager::remaining_requests() const {
  std::vector<sdk::PortRequest> out = standard_;
  for (size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].state != State::loaded) continue;
    for (const auto& r : requests_[i]) {
      if (r.name.rfind(records_[i].id + ".", 0) == 0) out.push_back(r);
    }
  }
  return out;
}

void Manager::start_all(const std::vector<ports::Lease>& grants) {
  for (const auto& g : grants) grants_[g.name] = g;
  for (size_t i = 0; i < records_.size(); ++i) {
    Record& r = records_[i];
    if (r.state != State::loaded) continue;
    try {
      sdk::create_private_dirs(hosts_[i]->data_dir());
      r.plugin->start(*hosts_[i]);
      r.state = State::running;
      started_.push_back(i);
      log_(sdk::LogLevel::info, who(i) + " running");
    } catch (const std::exception& e) {
      fail(i, std::string("start() threw: ") + e.what());  // revokes what it registered
    }
  }
}

void Manager::stop_all() {
  for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
    Record& r = records_[*it];
    revoke(*it);  // no new call reaches it; stop() may still answer those in flight
    try {
      r.plugin->stop();
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::warn, who(*it) + ": stop() threw: " + e.what());
    }
    r.state = State::stopped;
    abandon(*it, "plugin " + r.id + " stopped");
  }
  started_.clear();
  routes_.clear();
  methods_.clear();
  // Objects go before their libraries (each deleter holds its library).
  for (auto& r : records_) r.plugin.reset();
}

bool Manager::route(const sdk::HttpRequest& request, sdk::HttpResponder respond) {
  // The longest matching prefix wins: /x/later before /x.
  const Route* best = nullptr;
  for (const auto& rt : routes_) {
    if (rt.method != request.method && !(rt.method == "GET" && request.method == "HEAD")) continue;
    const std::string& p = request.path;
    if ((p == rt.prefix ||
         (p.rfind(rt.prefix, 0) == 0 && (rt.prefix.back() == '/' || p[rt.prefix.size()] == '/'))) &&
        (!best || rt.prefix.size() > best->prefix.size())) {
      best = &rt;
    }
  }
  if (!best) return false;
  const Route rt = *best;  // a copy: the handler may revoke its own route while it runs
  auto& in_flight = requests_in_flight_[rt.plugin];
  std::erase_if(in_flight, [](const auto& w) { return w.expired(); });
  in_flight.push_back(respond.watch());
  try {
    rt.handler(request, respond);
  } catch (const std::exception& e) {
    log_(sdk::LogLevel::error, who(rt.plugin) + ": route " + rt.prefix + " threw: " + e.what());
    respond.send(sdk::HttpResponse::error(
        500, "PLUGIN_ERROR", "plugin " + records_[rt.plugin].id + " failed: " + e.what()));
  }
  return true;
}

std::optional<std::chrono::milliseconds> Manager::call_method(const std::string& name,
                                                              const json::value& params,
                                                              const sdk::Caller& caller,
                                                              sdk::MethodResponder respond) {
  auto it = methods_.find(name);
  if (it == methods_.end() || records_[it->second.plugin].state != State::running) {
    return std::nullopt;
  }
  const Method method = it->second;  // a copy: the handler may revoke its own registration
  auto& calls = calls_[method.plugin];
  std::erase_if(calls, [](const auto& w) { return w.expired(); });
  calls.push_back(respond.watch());
  try {
    method.handler(params, caller, respond);
  } catch (const std::exception& e) {
    respond.error("UNAVAILABLE", name + " failed: " + e.what());
  }
  return method.options.timeout;
}

std::vector<std::string> Manager::method_names() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : methods_) {
    if (records_[m.plugin].state == State::running) out.push_back(name);
  }
  return out;
}

size_t Manager::add_slot(Record record) {
  records_.push_back(std::move(record));
  requests_.emplace_back();
  registrations_.emplace_back();
  calls_.emplace_back();
  requests_in_flight_.emplace_back();
  runtime_ports_.emplace_back();
  size_t i = records_.size() - 1;
  hosts_.push_back(std::make_unique<PluginHost>(*this, i));
  return i;
}

void Manager::add_live(const fs::path& dir, const LoadOptions& options,
                       std::vector<std::string>& changes) {
  std::map<std::string, fs::path> taken;
  for (const auto& r : records_) {
    if (!r.retired && r.state != State::failed) taken[r.id] = r.dir;
  }
  size_t i = add_slot(load_folder(dir, config_, taken, options));
  Record& r = records_[i];
  if (r.state == State::disabled) {
    changes.push_back("added " + r.id + " (disabled)");
    return;
  }
  if (r.state != State::loaded) {
    log_(sdk::LogLevel::error, who(i) + ": " + r.reason);
    changes.push_back("added " + r.id + " (failed: " + r.reason + ")");
    return;
  }
  std::vector<sdk::PortRequest> mine;
  if (!check_and_request(i, mine)) {
    changes.push_back("added " + r.id + " (failed: " + r.reason + ")");
    return;
  }
  // Its own ports, leased for this instance now: all or nothing (as run-time ports, so a refusal
  // or a later stop gives back what was leased: fail() and abandon()).
  for (const auto& req : mine) {
    if (is_standard(req.name)) continue;  // the instance's derived port: already in the host's plan
    std::string problem;
    if (req.name.rfind(r.id + ".", 0) != 0) {
      problem = "port name \"" + req.name + "\" must start with \"" + r.id + ".\"";
    } else if (!runtime_.lease) {
      problem = "ports cannot be leased before the gateway runs";
    } else {
      try {
        grants_[req.name] = runtime_.lease(req);
        runtime_ports_[i].push_back(req.name);
      } catch (const std::exception& e) {
        problem = e.what();
      }
    }
    if (!problem.empty()) {
      fail(i, "ports refused by the registry: " + problem);
      changes.push_back("added " + r.id + " (failed: " + r.reason + ")");
      return;
    }
  }
  requests_[i] = mine;
  try {
    sdk::create_private_dirs(hosts_[i]->data_dir());
    r.plugin->start(*hosts_[i]);
    r.state = State::running;
    started_.push_back(i);
    log_(sdk::LogLevel::info, who(i) + " running (added while the gateway runs)");
    changes.push_back("added " + r.id + " " + r.version);
  } catch (const std::exception& e) {
    fail(i, std::string("start() threw: ") + e.what());  // revokes, and gives its ports back
    changes.push_back("added " + r.id + " (failed: " + r.reason + ")");
  }
}

void Manager::retire(size_t i) {
  Record& r = records_[i];
  if (r.retired) return;
  if (auto it = std::find(started_.begin(), started_.end(), i); it != started_.end()) {
    revoke(i);
    try {
      r.plugin->stop();
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::warn, who(i) + ": stop() threw: " + e.what());
    }
    started_.erase(it);
    abandon(i, "plugin " + r.id + " was removed");
    // Ports it was granted when the gateway started go back to the registry too.
    for (const auto& req : requests_[i]) {
      if (req.name.rfind(r.id + ".", 0) == 0 && grants_.count(req.name)) give_back(i, req.name);
    }
  }
  requests_[i].clear();
  r.state = State::stopped;
  r.retired = true;
  r.plugin.reset();  // the object goes; its library stays mapped (see ARCHITECTURE.md)
  if (!r.loaded_from.empty()) {
    std::error_code ec;
    fs::remove(r.loaded_from, ec);  // the mapping outlives the name
  }
}

std::vector<std::string> Manager::sync(const std::vector<fs::path>& search,
                                       const LoadOptions& options) {
  std::vector<std::string> changes;
  auto folders = plugin_folders(search);
  // Gone or changed: stopped first, so a new version's ports and id are free for it.
  for (size_t i = 0; i < records_.size(); ++i) {
    Record& r = records_[i];
    if (r.retired) continue;
    bool present = std::find(folders.begin(), folders.end(), r.dir) != folders.end();
    if (!present) {
      log_(sdk::LogLevel::info, who(i) + " removed: its folder is gone");
      changes.push_back("removed " + r.id);
      retire(i);
    } else if (folder_stamp(r.dir) != r.stamp) {
      log_(sdk::LogLevel::info, who(i) + " changed on disk: replacing it");
      changes.push_back("removed " + r.id + " " + r.version + " (replaced)");
      retire(i);
    }
  }
  for (const auto& dir : folders) {
    bool known = false;
    for (const auto& r : records_) known = known || (!r.retired && r.dir == dir);
    if (!known) add_live(dir, options, changes);
  }
  return changes;
}

std::vector<std::string> Manager::reconfigure(json::object root, const LoadOptions& options) {
  auto entry = [](const json::object& cfg, const std::string& id) {
    const json::value* e = config::find(cfg, {"plugins", "entries", id});
    return e ? *e : json::value();
  };
  std::vector<std::string> changes;
  std::vector<fs::path> restart;
  json::object old = std::exchange(config_, std::move(root));
  for (size_t i = 0; i < records_.size(); ++i) {
    Record& r = records_[i];
    if (r.retired || entry(old, r.id) == entry(config_, r.id)) continue;
    log_(sdk::LogLevel::info, who(i) + ": plugins.entries." + r.id + " changed: restarting it");
    changes.push_back("reconfigured " + r.id);
    restart.push_back(r.dir);
    retire(i);
  }
  for (const auto& dir : restart) add_live(dir, options, changes);
  return changes;
}

json::array Manager::describe() const {
  json::array out;
  for (const auto& r : records_) {
    if (r.retired) continue;
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
