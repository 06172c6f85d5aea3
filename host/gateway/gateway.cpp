#include "gateway/gateway.hpp"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>
#include <map>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/builtins.hpp"
#include "gateway/channel_router.hpp"
#include "gateway/lifecycle.hpp"
#include "gateway/protocol.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/file_watcher.hpp"
#include "openclaw/sdk/gateway.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "plugins/manager.hpp"
#include "ports/claims.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace json = boost::json;

namespace {

/// How long a stop waits for accepted channel messages to be answered.
constexpr int kDrainMs = 5000;

// Watches the config file by its stat (inode, size, mtime) every 250 ms, which sees an editor's
// save-by-rename and `config set`'s atomic write alike, and costs one stat(2) per turn. Calls
// `on_change` with the new file parsed, or `on_error` when it does not parse.
class ConfigWatch {
 public:
  ConfigWatch(boost::asio::io_context& io, std::filesystem::path path, std::filesystem::path home,
              std::function<void(config::Config)> on_change,
              std::function<void(const std::string&)> on_error)
      : timer_(io),
        path_(std::move(path)),
        home_(std::move(home)),
        on_change_(std::move(on_change)),
        on_error_(std::move(on_error)),
        last_(stamp()) {
    schedule();
  }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  std::string stamp() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return "missing";
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  void schedule() {
    timer_.expires_after(std::chrono::milliseconds(250));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      check();
      schedule();
    });
  }
  void check() {
    std::string now = stamp();
    if (now == last_) return;
    last_ = now;
    try {
      on_change_(config::Config::load(path_, home_));
    } catch (const std::exception& e) {
      on_error_(e.what());
    }
  }

  boost::asio::steady_timer timer_;
  std::filesystem::path path_, home_;
  std::function<void(config::Config)> on_change_;
  std::function<void(const std::string&)> on_error_;
  std::string last_;
  bool stopped_ = false;
};

}  // namespace

namespace {
// What plugins serving their own port need to apply the gateway's access rules (sdk::Gateway).
class GatewayService final : public sdk::Gateway {
 public:
  GatewayService(int port, std::optional<std::string> token)
      : port_(port), token_(std::move(token)) {}

  // Upgrades on a plugin's WebSocket path go to that plugin; all others to the protocol.
  sdk::WebSocketHandlers route_websockets(sdk::WebSocketHandlers protocol) {
    protocol_ = std::move(protocol);
    sdk::WebSocketHandlers h;
    h.on_open = [this](const std::shared_ptr<sdk::WebSocket>& ws, const sdk::HttpRequest& req) {
      for (auto& [path, route] : ws_routes_) {
        if (req.path == path || req.path.rfind(path + "/", 0) == 0) {
          ws_owner_[ws->id()] = path;
          route.sockets[ws->id()] = ws;
          if (route.handlers.on_open) route.handlers.on_open(ws, req);
          return;
        }
      }
      if (protocol_.on_open) protocol_.on_open(ws, req);
    };
    h.on_message = [this](const std::shared_ptr<sdk::WebSocket>& ws, std::string m) {
      if (auto* route = owner(ws->id())) {
        if (route->handlers.on_message) route->handlers.on_message(ws, std::move(m));
      } else if (!ws_owner_.count(ws->id()) && protocol_.on_message) {
        protocol_.on_message(ws, std::move(m));
      }
    };
    h.on_close = [this](const std::shared_ptr<sdk::WebSocket>& ws, int code) {
      auto it = ws_owner_.find(ws->id());
      if (it == ws_owner_.end()) {
        if (protocol_.on_close) protocol_.on_close(ws, code);
        return;
      }
      if (auto* route = owner(ws->id())) {
        route->sockets.erase(ws->id());
        if (route->handlers.on_close) route->handlers.on_close(ws, code);
      }
      ws_owner_.erase(it);
    };
    return h;
  }

  sdk::Registration add_websocket(std::string path, sdk::WebSocketHandlers handlers) override {
    if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
        path.find("..") != std::string::npos) {
      throw std::invalid_argument("WebSocket path \"" + path +
                                  "\" must look like /__openclaw__/name");
    }
    if (path == "/" || ws_routes_.count(path)) {
      throw std::invalid_argument("WebSocket path " + path + " is taken");
    }
    ws_routes_[path].handlers = std::move(handlers);
    return sdk::Registration([this, path] {
      auto it = ws_routes_.find(path);
      if (it == ws_routes_.end()) return;
      auto sockets = std::move(it->second.sockets);
      ws_routes_.erase(it);
      for (auto& [id, ws] : sockets) ws->close(1001, "the plugin serving " + path + " stopped");
    });
  }
  int port() const override { return port_; }
  bool requires_token() const override { return token_.has_value(); }
  bool authorized(const sdk::HttpRequest& request) const override {
    if (!token_) return true;
    auto it = request.headers.find("authorization");
    if (it == request.headers.end()) return false;
    std::string_view v = it->second;
    constexpr std::string_view kBearer = "Bearer ";
    if (v.size() < kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), v.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return false;
    }
    v.remove_prefix(kBearer.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return same_secret(std::string(v), *token_);
  }

 private:
  struct WsRoute {
    sdk::WebSocketHandlers handlers;
    std::map<std::uint64_t, std::shared_ptr<sdk::WebSocket>> sockets;
  };
  WsRoute* owner(std::uint64_t id) {
    auto it = ws_owner_.find(id);
    if (it == ws_owner_.end()) return nullptr;
    auto r = ws_routes_.find(it->second);
    return r == ws_routes_.end() ? nullptr : &r->second;
  }

  int port_;
  std::optional<std::string> token_;
  sdk::WebSocketHandlers protocol_;
  std::map<std::string, WsRoute> ws_routes_;
  std::map<std::uint64_t, std::string> ws_owner_;  // socket id -> its route's path
};
}  // namespace

// The server: the instance's lifecycle (lock, log, leases, record), its plugins, the protocol and
// the HTTP server on the base port, wired together on one I/O thread.
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
  // Fixed malloc thresholds: glibc raises its mmap threshold each time a large block is freed,
  // so after a burst the big buffers (journal reads, queues' arrays) come from the heap and leave
  // holes there that the next burst's small objects pin. Large blocks stay mmapped (given back on
  // free) and a trim returns what the heap's top has free.
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  // Declared first: gives back the leases and the record after everything else has stopped.
  Lifecycle life(inst, env, options, err);
  auto log = [&life](const std::string& level, const std::string& msg) { life.log(level, msg); };

  // Declared before the plugins and servers that post work to it, so it outlives them.
  boost::asio::io_context io;

  // Channels outlive the plugins that register with them (declared first, destroyed last).
  Protocol* protocol_ptr = nullptr;
  ChannelRouter channels(io, inst, log,
                         [&protocol_ptr](const std::string& event, const json::value& payload) {
                           if (protocol_ptr) protocol_ptr->broadcast(event, payload);
                         });
  try {
    channels.open_queue();
  } catch (const std::exception& e) {
    log("error",
        std::string("channels: no inbound queue, channel messages are refused: ") + e.what());
  }

  plugins::Manager manager(inst, io, life.plugin_log());
  const auto search =
      plugins::search_path(paths.state_dir, paths.home, inst.config.root(), env, options.self_exe);
  // Dropped-in libraries run from private copies (see LoadOptions::copy_dir); this instance's
  // copies from an earlier run are not in use by anyone now.
  plugins::LoadOptions load_options;
  load_options.copy_dir = paths.state_dir / "plugins-cache";
  load_options.trusted_dir = plugins::bundled_dir(env, paths.home, options.self_exe);
  {
    std::error_code ec;
    std::filesystem::remove_all(load_options.copy_dir, ec);
  }
  manager.load(search, load_options);
  manager.collect_ports(ports::standard_requests(inst.config.root()), inst.plan.base,
                        inst.base.source);
  life.lease(manager);
  GatewayService gateway_service(gw->port, options.token);
  manager.add_service(sdk::Gateway::kServiceName, sdk::Gateway::kServiceVersion, &gateway_service);
  manager.add_service(sdk::Channels::kServiceName, sdk::Channels::kServiceVersion,
                      static_cast<sdk::Channels*>(&channels));
  ports::FileClaims claims(ports::LeaseStore::default_dir(env), life.owner(), paths.home, manager);
  Builtins builtins(inst, life, manager, channels);

  ProtocolContext pctx;
  pctx.token = options.token;
  pctx.version = kVersion;
  pctx.boot_id = uuid4();
  pctx.started_ms = life.started_ms();
  pctx.log = [&](sdk::LogLevel level, const std::string& msg) {
    log(level == sdk::LogLevel::warn ? "warn" : "info", msg);
  };
  pctx.health = [&] { return builtins.health(); };
  pctx.presence_self = [&] { return builtins.presence_self(); };
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
  protocol_ptr = &protocol;
  builtins.add_methods(protocol);

  sdk::HttpServer::Options http_options;
  http_options.websocket_message_limit = kTransportLimit;
  http_options.websocket_send_limit = kMaxBufferedBytes;
  // No web page may drive the gateway: Host and Origin are checked on every request and upgrade.
  http_options.origin_policy = sdk::OriginPolicy::from_config(inst.config.root());
  http_options.on_warning = [&log](const std::string& w) { log("warn", "gateway port: " + w); };
  if (auto cap = env.get("OPENCLAW_GATEWAY_MAX_CONNECTIONS")) {
    char* end = nullptr;
    unsigned long n = std::strtoul(cap->c_str(), &end, 10);
    if (cap->empty() || *end || n > 1000000) {
      throw usage_error(
          "OPENCLAW_GATEWAY_MAX_CONNECTIONS must be a number of connections (0: no cap), got \"" +
          cap->substr(0, 40) + "\"");
    }
    http_options.max_connections = n;
  }
  // Built-in endpoints answer at once; anything else goes to a plugin route, which may answer
  // later.
  sdk::HttpServer http(
      io, sdk::AsyncHttpHandler([&](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
        if (auto response = builtins.http(req)) {
          respond.send(std::move(*response));
        } else if (!manager.route(req, respond)) {
          respond.send(sdk::HttpResponse::error(404, "NOT_FOUND",
                                                "no route for " + req.method + " " + req.path));
        }
      }),
      http_options);
  http.set_websocket(gateway_service.route_websockets(protocol.handlers()));
  try {
    http.listen(gw->request.bind, gw->port);
  } catch (const std::system_error& e) {
    throw conflict_error("port " + std::to_string(gw->port) + " (gateway) " +
                         ports::system_probe().why_unbindable(gw->port) + ": " + e.what());
  }

  manager.start_all(life.leases());
  channels.replay();  // messages a crash left unanswered, now that the channels are up
  manager.bus().subscribe([&](const sdk::Message& m) {
    protocol.broadcast("chat", json::object{{"channel", m.channel},
                                            {"direction", m.direction},
                                            {"peer", m.peer},
                                            {"text", m.text},
                                            {"ts", now_ms()}});
  });
  life.write_record(gw->request.bind, manager.describe());

  // The live plugin set: plugin folders dropped into (or removed from, or replaced in) the
  // writable search dirs, and plugins.entries changed in the config file, apply at once.
  auto publish_plugins = [&](const std::vector<std::string>& changes) {
    if (changes.empty()) return;
    json::array lines;
    for (const auto& c : changes) {
      log("info", "plugins: " + c);
      lines.push_back(json::value(c));
    }
    life.write_record(gw->request.bind, manager.describe());
    protocol.broadcast("plugins.changed", json::object{{"changes", std::move(lines)},
                                                       {"plugins", manager.describe()}});
  };
  std::vector<std::unique_ptr<sdk::FileWatcher>> plugin_watchers;
  {
    std::error_code ec;
    std::filesystem::create_directories(paths.state_dir / "plugins", ec);
    for (const auto& dir : search) {
      if (dir == load_options.trusted_dir || !std::filesystem::is_directory(dir, ec)) continue;
      try {
        plugin_watchers.push_back(sdk::FileWatcher::watch(
            io, dir, [&](const auto&) { publish_plugins(manager.sync(search, load_options)); }));
      } catch (const std::exception& e) {
        log("warn", std::string("plugins: cannot watch for dropped-in plugins: ") + e.what());
      }
    }
  }
  ConfigWatch config_watch(
      io, inst.config.path(), paths.home,
      [&](config::Config next) {
        if (auto problems = config::validate(next.root()); !problems.empty()) {
          log("error", "config " + next.where() + " changed but does not validate (" +
                           problems[0].key + ": " + problems[0].message +
                           "); the running plugins keep the last good one");
          return;
        }
        publish_plugins(manager.reconfigure(next.root(), load_options));
      },
      [&](const std::string& why) {
        log("error", "config changed but cannot be read: " + why +
                         "; the running plugins keep the last good one");
      });

  boost::asio::steady_timer tick(io);
  std::function<void()> schedule_tick = [&]() {
    tick.expires_after(std::chrono::milliseconds(kTickIntervalMs));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      protocol.broadcast("tick", json::object{{"ts", now_ms()}});
      protocol.broadcast("health", builtins.health());
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
  bool stopping = false;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  // Plugins first: calls in flight to them are answered before the clients are told to go.
  auto finish_stop = [&] {
    if (stopping) return;
    stopping = true;
    signals.cancel();
    manager.stop_all();
    channels.stop();
    protocol.shutdown("gateway stopping");
    http.stop();
    tick.cancel();
    presence_timer.cancel();
    stop_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
    wait_closed();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log("info", std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    plugin_watchers.clear();
    config_watch.stop();
    // Accepted channel messages are answered first (new ones are refused meanwhile), within
    // kDrainMs; what is left stays queued for the next start. A second signal skips the wait.
    signals.async_wait([&](const boost::system::error_code& e2, int) {
      if (!e2) finish_stop();
    });
    channels.drain(std::chrono::milliseconds(kDrainMs), [&] { finish_stop(); });
  });

  if (!options.token) {
    log("warn",
        "this gateway has no token (gateway.auth.token): every local program can drive it; "
        "`openclaw-host" +
            (paths.profile ? " --profile " + *paths.profile : std::string()) +
            " setup` creates one");
  }
  std::string who = paths.profile ? "profile \"" + *paths.profile + "\"" : "default profile";
  out << "openclaw-host gateway ready: " << who << " on http://" << gw->request.bind << ":"
      << gw->port << " (pid " << life.owner().pid << ", " << life.leases().size()
      << " ports leased)" << std::endl;
  log("info", "ready in " + std::to_string(now_ms() - life.started_ms()) + " ms");
  // A handler that throws (a plugin's, say) is logged and the loop goes on: one bad callback
  // must not take the gateway and every other plugin down.
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      log("error", std::string("an I/O handler threw and was skipped: ") + e.what());
    } catch (...) {
      log("error", "an I/O handler threw a non-standard exception and was skipped");
    }
  }
  manager.stop_all();
  channels.stop();
  protocol_ptr = nullptr;
  log("info", "stopped; ports released");
  return 0;
}

}  // namespace openclaw::gateway
