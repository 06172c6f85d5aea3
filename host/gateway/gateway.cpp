#include "gateway/gateway.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/client.hpp"
#include "gateway/instance_record.hpp"
#include "gateway/protocol.hpp"
#include "gateway/status_page.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "openclaw/sdk/instances.hpp"
#include "plugins/manager.hpp"
#include "ports/lease_store.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

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

// One gateway per state dir: an exclusive flock held for the process's lifetime. The file holds
// the owner's pid so a second start can name it.
class StateDirLock {
 public:
  StateDirLock(const fs::path& state_dir, const std::string& shown) {
    fs::path path = state_dir / "gateway.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw usage_error("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      ::close(fd_);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      throw conflict_error("state dir " + shown + " is already served by a running gateway (pid " +
                           pid + "); one gateway per state dir");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // The lock itself holds; the pid is only for messages.
    }
  }
  ~StateDirLock() { ::close(fd_); }
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

 private:
  int fd_ = -1;
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
    if ((l.source == "range" || l.source == "any") && remembered[l.name] != l.port) {
      changed.push_back(&l);
    }
  }
  if (changed.empty()) return;
  try {
    auto cfg = config::Config::load(inst.paths.config_path, inst.paths.home);
    for (const auto* l : changed)
      config::assign(cfg.root(), {"ports", "assigned", l->name}, l->port);
    cfg.save();
  } catch (const std::exception& e) {
    log("warn", std::string("could not remember range ports in the config: ") + e.what());
  }
}

// Processes the gateway (or its plugins) start must not inherit this instance's identity:
// OpenClaw once leaked OPENCLAW_GATEWAY_PORT into children, which then talked to the wrong gateway.
void scrub_child_environment() {
  for (const char* name : {"OPENCLAW_GATEWAY_PORT", "OPENCLAW_PROFILE", "OPENCLAW_STATE_DIR",
                           "OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_TOKEN"}) {
    ::unsetenv(name);
  }
}

// Secrets never leave through config.get.
json::value redacted(const json::value& v) {
  if (v.is_object()) {
    json::object out;
    for (const auto& kv : v.get_object()) {
      std::string key(kv.key());
      std::string lower = key;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool secret =
          lower.find("token") != std::string::npos || lower.find("secret") != std::string::npos ||
          lower.find("password") != std::string::npos || lower.find("apikey") != std::string::npos;
      out[key] = secret && kv.value().is_string() ? json::value("__OPENCLAW_REDACTED__")
                                                  : redacted(kv.value());
    }
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& x : v.get_array()) out.push_back(redacted(x));
    return out;
  }
  return v;
}

// The registry's live instances as plugins see them (sdk::Instances).
class RegistryInstances final : public sdk::Instances {
 public:
  RegistryInstances(ports::LeaseStore& store, const ports::Owner& self)
      : store_(store), self_(self) {}

  std::vector<sdk::InstanceInfo> list() override {
    std::vector<sdk::InstanceInfo> out;
    for (const auto& inst : store_.list(false)) {
      if (!inst.stale) out.push_back(info(inst));
    }
    return out;
  }

  std::optional<std::pair<sdk::InstanceInfo, std::string>> holder_of(int port) override {
    for (const auto& inst : store_.list(false)) {
      if (inst.stale) continue;
      for (const auto& l : inst.leases) {
        if (l.port == port) return std::make_pair(info(inst), l.name);
      }
    }
    return std::nullopt;
  }

 private:
  sdk::InstanceInfo info(const ports::InstanceLeases& inst) const {
    sdk::InstanceInfo i;
    i.profile = inst.owner.profile;
    i.pid = inst.owner.pid;
    i.state_dir = inst.owner.state_dir;
    i.base = inst.owner.base;
    i.self = inst.owner.pid == self_.pid && inst.owner.state_dir == self_.state_dir;
    for (const auto& l : inst.leases) {
      i.ports.emplace_back(l.name, l.port);
      // A loopback connect is answered (or refused) by the kernel at once.
      if (l.name == "gateway") i.answers = port_answers("127.0.0.1", l.port, kProbeTimeout);
    }
    return i;
  }
  static constexpr std::chrono::milliseconds kProbeTimeout{200};
  ports::LeaseStore& store_;
  const ports::Owner& self_;
};

// Every client is a file descriptor: take the hard limit, as nginx's worker_rlimit_nofile does,
// so a burst of clients is not refused at the default soft limit of 1024.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
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
  StateDirLock state_lock(paths.state_dir, inst.where(paths.state_dir));
  Log log(paths.state_dir, options.log_level, err);
  if (auto warning = ports::ephemeral_base_warning(inst.plan.base, inst.base.source,
                                                   ports::system_ephemeral_range(), paths.profile);
      !warning.empty()) {
    log("warn", warning);
  }
  raise_fd_limit();
  scrub_child_environment();

  // Declared first so it outlives the plugins and servers that post work to it.
  boost::asio::io_context io;
  const std::int64_t started = now_ms();

  plugins::Manager manager(inst, io, [&](sdk::LogLevel level, const std::string& msg) {
    static const char* names[] = {"error", "warn", "info", "debug"};
    log(names[static_cast<int>(level)], msg);
  });
  manager.load(
      plugins::search_path(paths.state_dir, paths.home, inst.config.root(), env, options.self_exe));
  manager.collect_ports(ports::standard_requests(inst.config.root()), inst.plan.base,
                        inst.base.source);

  // The whole plan is leased at once. A refused port of a plugin fails that plugin only; a refused
  // port of the instance itself stops the start.
  ports::LeaseStore store(ports::LeaseStore::default_dir(env), paths.home);
  ports::Owner owner{paths.profile, paths.state_dir.string(), ports::self_pid(),
                     ports::self_start_time(), inst.plan.base};
  // "Any free port" requests also stay out of the spans of profiles configured on this machine
  // that are not running now (the registry knows the running ones).
  auto avoid_configured_profiles = [&] {
    std::vector<ports::PortRange> spans;
    for (const auto& iv :
         occupied_ports(discover_profiles(paths.home), {}, paths.state_dir, paths.home)) {
      spans.push_back({iv.lo, iv.hi});
    }
    store.set_avoided_spans(std::move(spans));
  };
  const auto wanted = manager.remaining_requests();
  if (std::any_of(wanted.begin(), wanted.end(),
                  [](const sdk::PortRequest& r) { return r.source == sdk::PortSource::any; })) {
    avoid_configured_profiles();
  }
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

  // The machine's live instances, for plugins (service "openclaw.instances").
  RegistryInstances instances(store, owner);
  manager.add_service(sdk::Instances::kServiceName, sdk::Instances::kServiceVersion, &instances);

  // Plugins lease more ports at run time with the same guarantees.
  manager.set_runtime_ports(plugins::Manager::RuntimePorts{
      [&](const sdk::PortRequest& request) {
        avoid_configured_profiles();
        auto plan = ports::make_plan(inst.plan.base, inst.base.source, {request});
        auto granted = store.lease_more(owner, plan, ports::remembered_ports(inst.config.root()));
        leases.push_back(granted.at(0));
        remember_range_ports(inst, granted, log);
        return granted.at(0);
      },
      [&](const std::string& name) {
        std::erase_if(leases, [&](const ports::Lease& l) { return l.name == name; });
        return store.release_port(owner, name);
      }});

  // ---- what the methods, the status page and the instance record report ----------------------
  auto health = [&]() -> json::value {
    json::array loaded, errors, unavailable;
    json::object channels;
    json::array order;
    json::object labels;
    for (const auto& r : manager.records()) {
      if (r.state == plugins::State::running) loaded.push_back(json::value(r.id));
      if (r.state == plugins::State::failed)
        errors.push_back(json::object{{"id", r.id}, {"error", r.reason}});
      if (r.state == plugins::State::disabled) unavailable.push_back(json::value(r.id));
      if (r.kind == "channel") {
        channels[r.id] =
            json::object{{"state", plugins::state_name(r.state)}, {"reason", r.reason}};
        order.push_back(json::value(r.id));
        labels[r.id] = r.id;
      }
    }
    return json::object{
        {"ok", true},
        {"ts", now_ms()},
        {"durationMs", 0},
        {"profile", paths.profile ? json::value(*paths.profile) : json::value(nullptr)},
        {"uptimeMs", now_ms() - started},
        {"plugins", json::object{{"loaded", std::move(loaded)},
                                 {"errors", std::move(errors)},
                                 {"unavailable", std::move(unavailable)}}},
        {"channels", std::move(channels)},
        {"channelOrder", std::move(order)},
        {"channelLabels", std::move(labels)}};
  };
  auto lease_list = [&]() {
    json::array arr;
    for (const auto& l : leases) {
      arr.push_back(ports::to_json(l));
    }
    return arr;
  };
  auto port_of = [&](const std::string& name) -> json::value {
    for (const auto& l : leases) {
      if (l.name == name) return l.port;
    }
    return nullptr;
  };
  auto status = [&]() -> json::value {
    json::object o = status_json(inst, port_of);
    o["running"] = true;
    o["pid"] = owner.pid;
    o["version"] = kVersion;
    o["uptimeMs"] = now_ms() - started;
    o["leases"] = lease_list();
    o["plugins"] = manager.describe();
    o["channels"] = health().as_object().at("channels");
    return o;
  };

  ProtocolContext pctx;
  pctx.token = options.token;
  pctx.version = kVersion;
  pctx.boot_id = uuid4();
  pctx.started_ms = started;
  pctx.log = [&](sdk::LogLevel level, const std::string& msg) {
    log(level == sdk::LogLevel::warn ? "warn" : "info", msg);
  };
  pctx.health = health;
  pctx.presence_self = [&]() -> json::value {
    return json::object{{"mode", "gateway"},
                        {"reason", "self"},
                        {"version", kVersion},
                        {"pid", owner.pid},
                        {"ts", started}};
  };
  boost::asio::steady_timer presence_timer(io);
  pctx.defer = [&](std::chrono::milliseconds delay, std::function<void()> fn) {
    presence_timer.expires_after(delay);
    presence_timer.async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  };
  pctx.after = [&io](std::chrono::milliseconds delay, std::function<void()> fn) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io, delay);
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  };
  // Plugin methods are looked up at call time: a plugin that failed or stopped is never called.
  pctx.call_plugin_method = [&](const std::string& name, const json::value& params,
                                const sdk::Caller& caller, sdk::MethodResponder respond) {
    return manager.call_method(name, params, caller, std::move(respond));
  };
  pctx.plugin_method_names = [&] { return manager.method_names(); };
  Protocol protocol(pctx);
  protocol.add_method("health", [&](const json::value&) { return health(); });
  protocol.add_method("status", [&](const json::value&) { return status(); });
  protocol.add_method("ports.list", [&](const json::value&) -> json::value {
    return json::object{{"ports", lease_list()}};
  });
  protocol.add_method("plugins.list", [&](const json::value&) -> json::value {
    return json::object{{"plugins", manager.describe()}};
  });
  protocol.add_method("channels.status", [&](const json::value&) -> json::value {
    json::object h = health().as_object();
    return json::object{{"channels", h.at("channels")},
                        {"channelOrder", h.at("channelOrder")},
                        {"channelLabels", h.at("channelLabels")}};
  });
  protocol.add_method("config.get", [&](const json::value&) -> json::value {
    auto cfg = config::Config::load(paths.config_path, paths.home);
    return json::object{{"path", paths.config_path.string()},
                        {"exists", cfg.exists()},
                        {"config", redacted(cfg.root())}};
  });
  protocol.add_method("send", [&](const json::value& params) -> json::value {
    const auto& p = params.as_object();
    auto text_of = [&](const char* k) -> std::string {
      const json::value* v = p.if_contains(k);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    std::string channel = text_of("channel"), to = text_of("to"), text = text_of("text");
    if (to.empty()) to = text_of("peer");
    if (channel.empty() || text.empty()) {
      throw MethodError("INVALID_REQUEST", "send needs params.channel and params.text (strings)");
    }
    const plugins::Record* rec = nullptr;
    for (const auto& r : manager.records()) {
      if (r.id == channel && r.kind == "channel") rec = &r;
    }
    if (!rec || rec->state != plugins::State::running) {
      throw MethodError(
          "UNAVAILABLE", "channel " + channel + " is not running",
          json::object{{"channel", channel},
                       {"state", rec ? plugins::state_name(rec->state) : "not installed"}});
    }
    manager.bus().publish(sdk::Message{channel, "out", to, text});
    return json::object{{"ok", true}, {"channel", channel}, {"to", to}, {"ts", now_ms()}};
  });

  auto ready = [&]() {
    json::array plugins = manager.describe();
    bool ok = true;
    for (const auto& p : plugins) ok = ok && p.at("state").as_string() != "failed";
    json::object ports;
    for (const auto& l : leases) ports[l.name] = l.port;
    json::object o{{"ok", ok},
                   {"status", ok ? "ready" : "degraded"},
                   {"ports", std::move(ports)},
                   {"plugins", std::move(plugins)}};
    return sdk::HttpResponse::text(ok ? 200 : 503, json::serialize(o), "application/json");
  };

  sdk::HttpServer::Options http_options;
  http_options.websocket_message_limit = kTransportLimit;
  http_options.websocket_send_limit = kMaxBufferedBytes;
  // Built-in endpoints answer at once; anything else goes to a plugin route, which may answer
  // later.
  auto builtin = [&](const sdk::HttpRequest& req) -> std::optional<sdk::HttpResponse> {
    const bool get = req.method == "GET" || req.method == "HEAD";
    if (req.path == "/health" || req.path == "/healthz") {
      if (!get)
        return sdk::HttpResponse::error(405, "METHOD_NOT_ALLOWED",
                                        req.method + " is not supported here");
      return sdk::HttpResponse::text(200, R"({"ok":true,"status":"live"})", "application/json");
    }
    if (req.path == "/ready" && get) return ready();
    if (req.path == "/api/status" && get) {
      return sdk::HttpResponse::text(200, json::serialize(status()), "application/json");
    }
    if (req.path == "/" && get)
      return sdk::HttpResponse::text(200, kStatusPage, "text/html; charset=utf-8");
    return std::nullopt;
  };
  sdk::HttpServer http(
      io, sdk::AsyncHttpHandler([&](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
        if (auto response = builtin(req)) {
          respond.send(std::move(*response));
        } else if (!manager.route(req, respond)) {
          respond.send(sdk::HttpResponse::error(404, "NOT_FOUND",
                                                "no route for " + req.method + " " + req.path));
        }
      }),
      http_options);
  http.set_websocket(protocol.handlers());
  try {
    http.listen(gw->request.bind, gw->port);
  } catch (const std::system_error& e) {
    throw conflict_error("port " + std::to_string(gw->port) + " (gateway) " +
                         ports::system_probe().why_unbindable(gw->port) + ": " + e.what());
  }

  manager.start_all(leases);
  manager.bus().subscribe([&](const sdk::Message& m) {
    protocol.broadcast("chat", json::object{{"channel", m.channel},
                                            {"direction", m.direction},
                                            {"peer", m.peer},
                                            {"text", m.text},
                                            {"ts", now_ms()}});
  });

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
  for (const auto& l : leases) record.ports[l.name] = l.port;
  record.plugins = manager.describe();
  write_record(paths.state_dir, record);
  cleanup.record_written = true;

  boost::asio::steady_timer tick(io);
  std::function<void()> schedule_tick = [&]() {
    tick.expires_after(std::chrono::milliseconds(kTickIntervalMs));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      protocol.broadcast("tick", json::object{{"ts", now_ms()}});
      protocol.broadcast("health", health());
      ::malloc_trim(0);  // hand memory freed after a burst of clients back to the system
      schedule_tick();
    });
  };
  schedule_tick();

  // Shutdown: stop accepting, tell clients, stop plugins in reverse order; the leases and the
  // record go when run() returns. A deadline bounds the close handshakes.
  boost::asio::steady_timer deadline(io);
  std::chrono::steady_clock::time_point stop_until;
  // Stops the loop once every WebSocket has closed, or at stop_until at the latest.
  std::function<void()> wait_closed = [&]() {
    if (protocol.open_connections() == 0 || std::chrono::steady_clock::now() >= stop_until) {
      io.stop();
      return;
    }
    deadline.expires_after(std::chrono::milliseconds(10));
    deadline.async_wait([&](const boost::system::error_code&) { wait_closed(); });
  };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log("info", std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    // Plugins first: calls in flight to them are answered before the clients are told to go.
    manager.stop_all();
    protocol.shutdown("gateway stopping");
    http.stop();
    tick.cancel();
    presence_timer.cancel();
    stop_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
    wait_closed();
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
