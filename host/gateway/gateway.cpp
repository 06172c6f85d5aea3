#include "gateway/gateway.hpp"

#include <chrono>
#include <fstream>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/instance_record.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "plugins/manager.hpp"
#include "ports/lease_store.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int level_rank(const std::string& level) {
  if (level == "error") return 0;
  if (level == "warn") return 1;
  if (level == "info") return 2;
  return 3;
}

// One logger: stderr and <state dir>/logs/gateway.log.
class Log {
 public:
  Log(const fs::path& state_dir, const std::string& level, std::ostream& err)
      : rank_(level_rank(level)), err_(err) {
    try {
      sdk::create_private_dirs(state_dir / "logs");
      file_.open(state_dir / "logs" / "gateway.log", std::ios::app);
    } catch (const std::exception&) {
      // Logging to the file is best effort; stderr still works.
    }
  }
  void operator()(const std::string& level, const std::string& msg) {
    if (level_rank(level) > rank_) return;
    err_ << "[" << level << "] " << msg << "\n";
    err_.flush();
    if (file_) file_ << now_ms() << " [" << level << "] " << msg << "\n" << std::flush;
  }

 private:
  int rank_;
  std::ostream& err_;
  std::ofstream file_;
};

// Releases the leases and the instance record however run() leaves.
struct Cleanup {
  ports::LeaseStore& store;
  ports::Owner owner;
  fs::path state_dir;
  bool record_written = false;
  ~Cleanup() {
    if (record_written) remove_record(state_dir, owner.pid);
    try {
      store.release(owner);
    } catch (const std::exception&) {
      // The next acquire reclaims a dead process's leases anyway.
    }
  }
};

// Remembers range choices in the config (`ports.assigned.<name>`) so a browser profile keeps its
// CDP port across starts. Re-reads the file so edits made since start-up are not clobbered.
void remember_range_ports(const Instance& inst, const std::vector<ports::Lease>& leases, Log& log) {
  auto remembered = ports::remembered_ports(inst.config.root());
  std::vector<const ports::Lease*> changed;
  for (const auto& l : leases) {
    if (l.source == "range" && remembered[l.name] != l.port) changed.push_back(&l);
  }
  if (changed.empty()) return;
  try {
    auto cfg = config::Config::load(inst.paths.config_path, inst.paths.home);
    for (const auto* l : changed) config::assign(cfg.root(), {"ports", "assigned", l->name}, l->port);
    cfg.save();
  } catch (const std::exception& e) {
    log("warn", std::string("could not remember range ports in the config: ") + e.what());
  }
}

}  // namespace

int run(Instance inst, const Environment& env, const Options& options, std::ostream& out,
        std::ostream& err) {
  const auto& paths = inst.paths;
  const ports::PlannedPort* gw = inst.plan.find("gateway");
  if (gw->request.bind != "127.0.0.1" && !options.token) {
    throw usage_error(
        "gateway.bind \"lan\" exposes the gateway on every interface and needs a token: pass "
        "--token, set OPENCLAW_GATEWAY_TOKEN or gateway.auth.token",
        inst.config.where());
  }
  try {
    sdk::create_private_dirs(paths.state_dir);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot create the state dir: ") + e.what(),
                      inst.where(paths.state_dir));
  }
  Log log(paths.state_dir, options.log_level, err);

  // Declared first so it outlives the plugins and servers that post work to it.
  boost::asio::io_context io;
  const std::int64_t started = now_ms();

  plugins::Manager manager(inst, io, [&](sdk::LogLevel level, const std::string& msg) {
    static const char* names[] = {"error", "warn", "info", "debug"};
    log(names[static_cast<int>(level)], msg);
  });
  manager.load(plugins::search_path(paths.state_dir, paths.home, inst.config.root(), env,
                                    options.self_exe));
  manager.port_requests(ports::standard_requests(inst.config.root()), inst.plan.base,
                        inst.base.source);

  // The whole plan is leased at once. A refused port of a plugin fails that plugin only; a refused
  // port of the instance itself stops the start.
  ports::LeaseStore store(ports::LeaseStore::default_dir(env), paths.home);
  ports::Owner owner{paths.profile, paths.state_dir.string(), ports::self_pid(),
                     ports::self_start_time(), inst.plan.base};
  std::vector<ports::Lease> leases;
  while (true) {
    auto plan = ports::make_plan(inst.plan.base, inst.base.source, manager.remaining_requests());
    try {
      leases = store.acquire(owner, plan, ports::remembered_ports(inst.config.root()));
      break;
    } catch (const PortConflict& conflict) {
      if (!manager.refuse_port(conflict.port_name(), conflict.what())) throw;
    }
  }
  Cleanup cleanup{store, owner, paths.state_dir};
  remember_range_ports(inst, leases, log);

  std::map<std::string, int> granted;
  for (const auto& l : leases) granted[l.name] = l.port;

  auto ready = [&]() {
    json::object ports;
    for (const auto& [k, v] : granted) ports[k] = v;
    json::array plugins = manager.describe();
    bool ok = true;
    for (const auto& p : plugins) ok = ok && p.at("state").as_string() != "failed";
    json::object o{{"ok", ok},
                   {"status", ok ? "ready" : "degraded"},
                   {"ports", std::move(ports)},
                   {"plugins", std::move(plugins)}};
    return sdk::HttpResponse::text(ok ? 200 : 503, json::serialize(o), "application/json");
  };

  sdk::HttpServer http(io, [&](const sdk::HttpRequest& req) -> sdk::HttpResponse {
    if (req.path == "/health" || req.path == "/healthz") {
      if (req.method != "GET" && req.method != "HEAD") {
        return sdk::HttpResponse::error(405, "METHOD_NOT_ALLOWED", req.method + " is not supported here");
      }
      return sdk::HttpResponse::text(200, R"({"ok":true,"status":"live"})", "application/json");
    }
    if (req.path == "/ready" && (req.method == "GET" || req.method == "HEAD")) return ready();
    if (auto plugin_response = manager.route(req)) return *plugin_response;
    return sdk::HttpResponse::error(404, "NOT_FOUND", "no route for " + req.method + " " + req.path);
  });
  try {
    http.listen(gw->request.bind, gw->port);
  } catch (const std::system_error& e) {
    std::string who = ports::system_probe().holder(gw->port);
    throw conflict_error("port " + std::to_string(gw->port) + " (gateway) is in use by another program" +
                         (who.empty() ? "" : " (" + who + ")") + ": " + e.what());
  }

  manager.start_all(leases);

  InstanceRecord record;
  record.pid = owner.pid;
  record.start_time = owner.start_time;
  record.profile = paths.profile;
  record.state_dir = paths.state_dir.string();
  record.config_path = paths.config_path.string();
  record.version = kVersion;
  record.started_at_ms = started;
  record.bind = gw->request.bind;
  record.base = inst.plan.base;
  record.ports = granted;
  record.plugins = manager.describe();
  write_record(paths.state_dir, record);
  cleanup.record_written = true;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log("info", std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    http.stop();
    io.stop();
  });

  std::string who = paths.profile ? "profile \"" + *paths.profile + "\"" : "default profile";
  out << "openclaw-host gateway ready: " << who << " on http://" << gw->request.bind << ":"
      << gw->port << " (pid " << owner.pid << ", " << leases.size() << " ports leased)"
      << std::endl;
  log("info", "ready in " + std::to_string(now_ms() - started) + " ms");
  io.run();
  manager.stop_all();
  log("info", "stopped; ports released");
  return 0;
}

}  // namespace openclaw::gateway
