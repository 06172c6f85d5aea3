#include "plugins/manager.hpp"

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"
#include "ports/plan.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;
namespace json = boost::json;

class Manager::Bus final : public sdk::MessageBus {
 public:
  explicit Bus(Manager& m) : m_(m) {}
  void publish(const sdk::Message& message) override {
    for (const auto& h : handlers_) {
      try {
        h(message);
      } catch (const std::exception& e) {
        m_.log_(sdk::LogLevel::warn, std::string("a message bus subscriber threw: ") + e.what());
      }
    }
  }
  void subscribe(Handler handler) override { handlers_.push_back(std::move(handler)); }

 private:
  Manager& m_;
  std::vector<Handler> handlers_;
};

// What one plugin sees of the host.
class PluginHost final : public sdk::Host {
 public:
  PluginHost(Manager& m, size_t index) : m_(m), index_(index) {
    const auto& inst = m.instance_;
    const Record& r = m.records_[index];
    data_dir_ = inst.paths.state_dir / "plugins-data" / r.id;
    const json::value* cfg =
        config::find(inst.config.root(), {"plugins", "entries", r.id, "config"});
    if (cfg && cfg->is_object()) config_ = cfg->get_object();
  }

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

  void add_route(std::string method, std::string path_prefix, sdk::HttpHandler handler) override {
    const std::string& id = m_.records_[index_].id;
    bool own = path_prefix == "/" + id || path_prefix.rfind("/" + id + "/", 0) == 0;
    if (!own && path_prefix.rfind("/__openclaw__/", 0) != 0) {
      throw std::invalid_argument("route " + path_prefix + " must start with /" + id +
                                  " or /__openclaw__/");
    }
    m_.routes_.push_back({std::move(method), std::move(path_prefix), std::move(handler), index_});
  }

  void add_method(std::string name, sdk::MethodHandler handler) override {
    const Record& r = m_.records_[index_];
    if (name.rfind(r.id + ".", 0) != 0 && name.rfind(r.kind + ".", 0) != 0) {
      throw std::invalid_argument("gateway method " + name + " must start with \"" + r.id +
                                  ".\" or \"" + r.kind + ".\"");
    }
    if (!m_.methods_.emplace(name, std::move(handler)).second) {
      throw std::invalid_argument("gateway method " + name + " is already registered");
    }
  }

  sdk::MessageBus& bus() override { return m_.bus(); }

 private:
  const ports::Lease& grant(std::string_view name) const {
    bool declared = false;
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
  fs::path data_dir_;
  json::object config_;
};

Manager::Manager(const Instance& instance, boost::asio::io_context& io, LogFn log)
    : instance_(instance), io_(io), log_(std::move(log)), bus_(std::make_unique<Bus>(*this)) {}

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
  log_(sdk::LogLevel::error, who(index) + ": " + reason);
}

void Manager::load(const std::vector<fs::path>& search, const LoadOptions& options) {
  records_ = load_all(search, instance_.config.root(), options);
  requests_.assign(records_.size(), {});
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
  auto is_standard = [&](const std::string& name) {
    for (const auto& s : standard) {
      if (s.name == name) return true;
    }
    return false;
  };
  for (size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].state != State::loaded) continue;
    std::vector<sdk::PortRequest> mine;
    try {
      mine = records_[i].plugin->ports(*hosts_[i]);
    } catch (const std::exception& e) {
      fail(i, std::string("ports() threw: ") + e.what());
      continue;
    }
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
      // Drop what it registered before throwing.
      std::erase_if(routes_, [&](const Route& rt) { return rt.plugin == i; });
      fail(i, std::string("start() threw: ") + e.what());
    }
  }
}

void Manager::stop_all() {
  for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
    Record& r = records_[*it];
    try {
      r.plugin->stop();
      r.state = State::stopped;
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::warn, who(*it) + ": stop() threw: " + e.what());
      r.state = State::stopped;
    }
  }
  started_.clear();
  routes_.clear();
  methods_.clear();
  // Objects go before their libraries (each deleter holds its library).
  for (auto& r : records_) r.plugin.reset();
}

std::optional<sdk::HttpResponse> Manager::route(const sdk::HttpRequest& request) {
  for (const auto& rt : routes_) {
    if (rt.method != request.method && !(rt.method == "GET" && request.method == "HEAD")) continue;
    const std::string& p = request.path;
    if (p == rt.prefix ||
        (p.rfind(rt.prefix, 0) == 0 && (rt.prefix.back() == '/' || p[rt.prefix.size()] == '/'))) {
      try {
        return rt.handler(request);
      } catch (const std::exception& e) {
        log_(sdk::LogLevel::error, who(rt.plugin) + ": route " + rt.prefix + " threw: " + e.what());
        return sdk::HttpResponse::error(
            500, "PLUGIN_ERROR", "plugin " + records_[rt.plugin].id + " failed: " + e.what());
      }
    }
  }
  return std::nullopt;
}

json::array Manager::describe() const {
  json::array out;
  for (const auto& r : records_) {
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
