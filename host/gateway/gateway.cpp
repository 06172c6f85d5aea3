#include "gateway/gateway.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "config/config.hpp"
#include "config/config_watch.hpp"
#include "config/history.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/channel_router.hpp"
#include "gateway/crash.hpp"
#include "gateway/gateway_methods.hpp"
#include "gateway/gateway_service.hpp"
#include "gateway/instance_claims.hpp"
#include "gateway/protocol.hpp"
#include "gateway/watchdog.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "openclaw/sdk/run_history.hpp"
#include "plugins/live_set.hpp"
#include "plugins/manager.hpp"
#include "plugins/quarantine.hpp"
#include "ports/claims.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace json = boost::json;

namespace {

/// How long a stop waits for accepted channel messages to be answered.
constexpr int kDrainMs = 5000;
/// How long a stop waits for clients to finish their close handshakes.
constexpr int kCloseMs = 1000;

// What the protocol asks of the gateway: the built-in payloads, timers, the plugins' methods.
class Wiring final : public ProtocolHost {
 public:
  Wiring(boost::asio::io_context& io, Logger log, GatewayMethods& methods,
         plugins::Manager& manager)
      : io_(io), log_(std::move(log)), methods_(methods), manager_(manager) {}
  void log(sdk::LogLevel level, const std::string& message) override { log_(level, message); }
  json::value health() override { return methods_.health(); }
  json::value presence_self() override { return methods_.presence_self(); }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  }
  // Looked up at call time: a plugin that failed or stopped is never called.
  std::optional<std::chrono::milliseconds> call_plugin_method(
      const std::string& name, const json::value& params, const sdk::Caller& caller,
      sdk::MethodResponder respond) override {
    return manager_.call_method(name, params, caller, std::move(respond));
  }
  std::vector<std::string> plugin_method_names() override { return manager_.method_names(); }
  // OpenClaw's canvas surface: ours serves its files under /__openclaw__/canvas/ on this port
  // (OpenClaw's own hands out a per-connection capability path there).
  json::object plugin_surface_urls(const std::string& host) override {
    json::object urls;
    if (host.empty()) return urls;
    for (const auto& slot : manager_.slots()) {
      const plugins::Record& r = slot->record;
      if (!r.unloaded && r.id == "canvas" && r.state == plugins::State::running) {
        urls["canvas"] = "http://" + host + "/__openclaw__/canvas/";
      }
    }
    return urls;
  }

 private:
  boost::asio::io_context& io_;
  Logger log_;
  GatewayMethods& methods_;
  plugins::Manager& manager_;
};

// Refuses a gateway on every interface without a token, before anything binds.
void require_token_off_loopback(const Instance& inst, const Options& options) {
  if (inst.plan.find("gateway")->request.bind != "127.0.0.1" && !options.token) {
    throw usage_error(
        "gateway.bind \"lan\" exposes the gateway on every interface and needs a token: pass "
        "--token, set OPENCLAW_GATEWAY_TOKEN or gateway.auth.token",
        inst.config.where());
  }
}

// Fixed malloc thresholds: glibc raises its mmap threshold each time a large block is freed, so
// after a burst the big buffers (journal reads, queues' arrays) come from the heap and leave holes
// there that the next burst's small objects pin. Large blocks stay mmapped (given back on free)
// and a trim returns what the heap's top has free.
void fix_malloc_thresholds() {
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

// The gateway port's server options: protocol frame limits, Host and Origin checks on every
// request and upgrade (no web page may drive the gateway), the connection cap.
sdk::HttpServer::Options http_options(const Instance& inst, const Environment& env, Logger log) {
  sdk::HttpServer::Options o;
  o.websocket_message_limit = kTransportLimit;
  o.websocket_send_limit = kMaxBufferedBytes;
  o.origin_policy = sdk::OriginPolicy::from_config(inst.config.root());
  o.on_warning = [log](const std::string& w) { log(sdk::LogLevel::warn, "gateway port: " + w); };
  if (auto cap = env.get("OPENCLAW_GATEWAY_MAX_CONNECTIONS")) {
    char* end = nullptr;
    unsigned long n = std::strtoul(cap->c_str(), &end, 10);
    if (cap->empty() || *end || n > 1000000) {
      throw usage_error(
          "OPENCLAW_GATEWAY_MAX_CONNECTIONS must be a number of connections (0: no cap), got \"" +
          cap->substr(0, 40) + "\"");
    }
    o.max_connections = n;
  }
  return o;
}

// Last-known-good: a config this gateway has run with, healthy (/readyz ok) for
// config::kGoodAfterMs (OPENCLAW_CONFIG_GOOD_AFTER_MS for a test), is marked good in the state
// dir's config history; what `config rollback good` and the rescue bot's autoRollback restore.
// Re-armed by every config change the gateway follows; a degraded gateway marks nothing.
class GoodConfig {
 public:
  GoodConfig(boost::asio::io_context& io, const Instance& inst, const Environment& env,
             const GatewayMethods& methods, Logger log)
      : timer_(io), state_dir_(inst.paths.state_dir), methods_(methods), log_(std::move(log)) {
    after_ms_ = config::kGoodAfterMs;
    if (auto v = env.get("OPENCLAW_CONFIG_GOOD_AFTER_MS")) {
      char* end = nullptr;
      long long ms = std::strtoll(v->c_str(), &end, 10);
      if (!v->empty() && !*end && ms >= 0) after_ms_ = ms;
    }
    follow(inst.config.text());
  }
  // The gateway now runs with `text`: good once it has been healthy with it for a while.
  void follow(const std::string& text) {
    text_ = text;
    timer_.expires_after(std::chrono::milliseconds(after_ms_));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || text_.empty()) return;
      if (methods_.ready().status != 200) return follow(text_);  // look again later
      try {
        config::mark_good(state_dir_, text_);
      } catch (const std::exception& e) {
        log_(sdk::LogLevel::warn,
             std::string("config: cannot mark it last-known-good: ") + e.what());
      }
    });
  }
  void stop() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
  std::filesystem::path state_dir_;
  const GatewayMethods& methods_;
  Logger log_;
  std::int64_t after_ms_ = 0;
  std::string text_;
};

// A changed config file reaches what reads it: the plugins (restarted, or reconfigured in place)
// and the channels' access rules. What only a restart applies is said so (log, record, status).
void follow_config(const Instance& inst, const config::Config& next, InstanceClaims& claims,
                   ChannelRouter& channels, plugins::LiveSet& plugin_set, GoodConfig& good,
                   const Logger& log) {
  if (auto problems = config::validate(next.root()); !problems.empty()) {
    log(sdk::LogLevel::error, "config " + next.where() + " changed but does not validate (" +
                                  problems[0].key + ": " + problems[0].message +
                                  "); the gateway and its plugins keep the last good one");
    return;
  }
  std::vector<std::string> restart_needed;
  for (const auto& key : config::changed_keys(inst.config.root(), next.root())) {
    if (!config::needs_gateway_restart(key)) continue;
    const auto& known = claims.restart_needed();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      log(sdk::LogLevel::warn, "config: " + key + " changed: restart the gateway to apply it");
    }
    restart_needed.push_back(key);
  }
  claims.set_restart_needed(std::move(restart_needed));
  channels.reconfigure(next.root());
  plugin_set.reconfigure(next.root());
  // A key only a restart applies leaves the gateway running the old value: not this file yet.
  good.follow(claims.restart_needed().empty() ? next.text() : std::string());
}

// The stop: on SIGINT/SIGTERM the accepted channel messages are answered first (new ones are
// refused meanwhile) within kDrainMs, then the plugins stop (calls in flight to them are answered
// before the clients are told to go), then the clients, within kCloseMs. A second signal skips
// the drain.
class Stopper {
 public:
  Stopper(boost::asio::io_context& io, Logger log, std::function<void()> stop_parts,
          std::function<std::size_t()> open_connections)
      : io_(io),
        log_(std::move(log)),
        stop_parts_(std::move(stop_parts)),
        open_(std::move(open_connections)),
        signals_(io, SIGINT, SIGTERM),
        deadline_(io) {}

  void arm(std::function<void()> stop_taking_work, ChannelRouter& channels) {
    signals_.async_wait(
        [this, stop_taking_work, &channels](const boost::system::error_code& ec, int signo) {
          if (ec) return;
          signal_ = signo == SIGINT ? "SIGINT" : "SIGTERM";
          log_(sdk::LogLevel::info, "received " + signal_ + ", stopping");
          stop_taking_work();
          signals_.async_wait([this](const boost::system::error_code& e2, int) {
            if (!e2) finish();
          });
          channels.drain(std::chrono::milliseconds(kDrainMs), [this] { finish(); });
        });
  }

  /// "SIGTERM" or "SIGINT": what stopped the gateway ("" while it runs).
  const std::string& signal() const { return signal_; }

 private:
  void finish() {
    if (stopping_) return;
    stopping_ = true;
    signals_.cancel();
    stop_parts_();
    until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCloseMs);
    wait_closed();
  }
  // Stops the loop once every WebSocket has closed, or at until_ at the latest.
  void wait_closed() {
    if (open_() == 0 || std::chrono::steady_clock::now() >= until_) {
      io_.stop();
      return;
    }
    deadline_.expires_after(std::chrono::milliseconds(10));
    deadline_.async_wait([this](const boost::system::error_code&) { wait_closed(); });
  }

  boost::asio::io_context& io_;
  Logger log_;
  std::function<void()> stop_parts_;
  std::function<std::size_t()> open_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer deadline_;
  std::chrono::steady_clock::time_point until_;
  bool stopping_ = false;
  std::string signal_;
};

// Every kTickIntervalMs: tick and health to the clients, freed memory back to the system.
class Ticker {
 public:
  Ticker(boost::asio::io_context& io, Protocol& protocol, GatewayMethods& methods)
      : timer_(io), protocol_(protocol), methods_(methods) {
    schedule();
  }
  void stop() { timer_.cancel(); }

 private:
  void schedule() {
    timer_.expires_after(std::chrono::milliseconds(kTickIntervalMs));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      protocol_.broadcast("tick", json::object{{"ts", now_ms()}});
      protocol_.broadcast("health", methods_.health());
      ::malloc_trim(0);  // hand memory freed after a burst of clients back to the system
      schedule();
    });
  }
  boost::asio::steady_timer timer_;
  Protocol& protocol_;
  GatewayMethods& methods_;
};

// Keys earlier versions kept where OpenClaw's strict schema refuses them move to their place
// now (config::moved_keys), in the file and in this run's config, with a line each: the real
// OpenClaw must still start on a profile we ran. Before anything reads the config.
void move_retired_keys(Instance& inst, const Logger& log) {
  json::object probe = inst.config.root();
  if (config::move_retired_keys(probe).empty()) return;
  try {
    auto cfg = config::Config::load(inst.paths.config_path, inst.paths.home);
    auto moves = config::move_retired_keys(cfg.root());
    if (!moves.empty()) cfg.save(inst.paths.state_dir, "gateway (moved keys OpenClaw refuses)");
    for (const auto& m : moves) {
      log(sdk::LogLevel::info, "config: moved " + m + ": the real OpenClaw refuses the old place");
    }
  } catch (const std::exception& e) {
    log(sdk::LogLevel::warn, std::string("config: could not move the keys OpenClaw refuses: ") +
                                 e.what() + " (they are still read where they are)");
  }
  config::move_retired_keys(inst.config.root());
}

// A handler that throws (a plugin's, say) is logged and the loop goes on: one bad callback must
// not take the gateway and every other plugin down.
void run_loop(boost::asio::io_context& io, const Logger& log) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      log(sdk::LogLevel::error, std::string("an I/O handler threw and was skipped: ") + e.what());
    } catch (...) {
      log(sdk::LogLevel::error, "an I/O handler threw a non-standard exception and was skipped");
    }
  }
}

void say_ready(const Instance& inst, const InstanceClaims& claims, const Options& options,
               std::ostream& out, const Logger& log) {
  const auto& paths = inst.paths;
  const ports::PlannedPort* gw = inst.plan.find("gateway");
  if (!options.token) {
    log(sdk::LogLevel::warn,
        "this gateway has no token (gateway.auth.token): every local program can drive it; "
        "`openclaw-host" +
            (paths.profile ? " --profile " + *paths.profile : std::string()) +
            " setup` creates one");
  }
  std::string who = paths.profile ? "profile \"" + *paths.profile + "\"" : "default profile";
  out << "openclaw-host gateway ready: " << who << " on http://" << gw->request.bind << ":"
      << gw->port << " (pid " << claims.owner().pid << ", " << claims.leases().size()
      << " ports leased)" << std::endl;
  log(sdk::LogLevel::info, "ready in " + std::to_string(now_ms() - claims.started_ms()) + " ms");
}

// The inbound queue of accepted channel messages; without it, channels still send but refuse
// what comes in (nothing is accepted that could be lost).
void open_channel_queue(ChannelRouter& channels, const Logger& log) {
  try {
    channels.open_queue();
  } catch (const std::exception& e) {
    log(sdk::LogLevel::error,
        std::string("channels: no inbound queue, channel messages are refused: ") + e.what());
  }
}

// The HTTP server on the gateway port: the gateway's own endpoints answer at once; anything else
// goes to a plugin route, which may answer later; WebSockets go to the protocol or a plugin.
std::unique_ptr<sdk::HttpServer> listen_http(boost::asio::io_context& io, const Instance& inst,
                                             const Environment& env, const Logger& log,
                                             const GatewayMethods& methods,
                                             plugins::Manager& manager, GatewayService& service,
                                             Protocol& protocol) {
  auto http = std::make_unique<sdk::HttpServer>(
      io,
      sdk::AsyncHttpHandler(
          [&methods, &manager](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
            if (auto response = methods.http(req)) {
              respond.send(std::move(*response));
            } else if (!manager.route(req, respond)) {
              respond.send(sdk::HttpResponse::error(404, "NOT_FOUND",
                                                    "no route for " + req.method + " " + req.path));
            }
          }),
      http_options(inst, env, log));
  http->set_websocket(service.route_websockets(protocol.handlers()));
  const ports::PlannedPort* gw = inst.plan.find("gateway");
  try {
    http->listen(gw->request.bind, gw->port);
  } catch (const std::system_error& e) {
    throw conflict_error("port " + std::to_string(gw->port) + " (gateway) " +
                         ports::system_probe().why_unbindable(gw->port) + ": " + e.what());
  }
  return http;
}

// A plugin whose code took the last run down is skipped from now on (plugins/quarantine.hpp);
// then the plugin set is loaded and what was skipped is logged.
void load_plugins(plugins::LiveSet& plugin_set, const Instance& inst, const InstanceClaims& claims,
                  const Logger& log) {
  if (const auto& last = claims.previous_exit();
      last && last->kind == "crashed" && !last->plugin.empty()) {
    std::string reason = "crashed the gateway at " + utc_time_of_day(last->at_ms) + " (" +
                         (last->signal ? "signal " + std::to_string(*last->signal) + ", " +
                                             crash::signal_name(*last->signal)
                                       : std::string("fatal signal")) +
                         ")";
    plugins::quarantine_plugin(inst.paths.state_dir, last->plugin, reason, last->at_ms);
    log(sdk::LogLevel::warn, "plugin " + last->plugin + " " + reason + ": quarantined");
  }
  for (const auto& line : plugin_set.load()) log(sdk::LogLevel::warn, "plugins: " + line);
}

// How long a plugin's start() may take: 30 s (OPENCLAW_PLUGIN_START_DEADLINE_MS for a test).
std::chrono::milliseconds start_deadline(const Environment& env) {
  if (auto v = env.get("OPENCLAW_PLUGIN_START_DEADLINE_MS")) {
    char* end = nullptr;
    long long ms = std::strtoll(v->c_str(), &end, 10);
    if (!v->empty() && !*end && ms > 0) return std::chrono::milliseconds(ms);
  }
  return std::chrono::seconds(30);
}

// A plugin's start() that never returns holds the I/O thread, so nothing else can run: from the
// watchdog's thread, the plugin is quarantined (the next start skips it), the run history says
// why, and the process ends with 70 (EX_SOFTWARE: a service manager restarts it; 1 and 2 it
// would not). Its children are swept by their supervisors when this process is gone.
[[noreturn]] void quarantine_hung_start(const Instance& inst, const Logger& log,
                                        const std::string& plugin, std::chrono::milliseconds took) {
  const std::int64_t now = now_ms();
  std::string reason = "start() did not return within " + std::to_string(took.count() / 1000) +
                       " s at " + utc_time_of_day(now);
  plugins::quarantine_plugin(inst.paths.state_dir, plugin, reason, now);
  std::string line = "plugin " + plugin + " " + reason +
                     ": quarantined; exiting so the next "
                     "start comes up without it";
  log(sdk::LogLevel::error, line);
  sdk::note_exit(inst.paths.state_dir,
                 sdk::LastExit{now, "failed-start", 70, std::nullopt, line, plugin});
  std::_Exit(70);
}

// The running plugins' libraries as mapped, so a fatal signal in their code names them.
void tell_crash_handler(const plugins::Manager& manager) {
  std::vector<std::pair<std::string, std::filesystem::path>> libraries;
  for (const auto& slot : manager.slots()) {
    const auto& r = slot->record;
    if (r.unloaded || !r.plugin) continue;
    libraries.emplace_back(r.id, r.loaded_from.empty() ? r.library : r.loaded_from);
  }
  crash::set_plugins(libraries);
}

// Every message on the plugins' bus goes to the clients as a `chat` event.
void publish_chat(plugins::Manager& manager, Protocol& protocol) {
  manager.bus().subscribe([&protocol](const sdk::Message& m) {
    protocol.broadcast("chat", json::object{{"channel", m.channel},
                                            {"direction", m.direction},
                                            {"peer", m.peer},
                                            {"text", m.text},
                                            {"ts", now_ms()}});
  });
}

// A change of the live plugin set: logged, written to the instance record, told to the clients.
auto announce_plugin_changes(const Logger& log, InstanceClaims& claims, plugins::Manager& manager,
                             Protocol& protocol, const std::string& bind) {
  return [&log, &claims, &manager, &protocol, bind](const std::vector<std::string>& changes) {
    if (changes.empty()) return;
    json::array lines;
    for (const auto& c : changes) {
      log(sdk::LogLevel::info, "plugins: " + c);
      lines.push_back(json::value(c));
    }
    claims.write_record(bind, manager.describe());
    tell_crash_handler(manager);
    protocol.broadcast("plugins.changed", json::object{{"changes", std::move(lines)},
                                                       {"plugins", manager.describe()}});
  };
}

}  // namespace

// The server: the instance's claims (lock, log, leases, record), its plugins, the protocol and
// the HTTP server on the base port, wired together on one I/O thread. Declaration order is
// destruction order reversed: the claims go last, the I/O context outlives what posts to it,
// the channels outlive the plugins that register with them.
int run(Instance inst, const Environment& env, const Options& options, std::ostream& out,
        std::ostream& err) {
  require_token_off_loopback(inst, options);
  fix_malloc_thresholds();
  InstanceClaims claims(inst, env, options, err);
  const Logger log = claims.logger();
  move_retired_keys(inst, log);
  boost::asio::io_context io;
  Protocol* protocol_ptr = nullptr;  // the channels broadcast once the protocol exists
  ChannelRouter channels(io, inst, log, [&](const std::string& event, const json::value& payload) {
    if (protocol_ptr) protocol_ptr->broadcast(event, payload);
  });
  open_channel_queue(channels, log);

  plugins::Manager manager(inst, io, log);
  plugins::LiveSet plugin_set(manager, inst, env, options.self_exe);
  load_plugins(plugin_set, inst, claims, log);
  manager.collect_ports(ports::standard_requests(inst.config.root()), inst.plan.base,
                        inst.base.source);
  claims.lease(manager);
  const ports::PlannedPort* gw = inst.plan.find("gateway");
  GatewayService gateway_service(gw->port, options.token);
  manager.add_service(sdk::Gateway::kServiceName, sdk::Gateway::kServiceVersion, &gateway_service);
  manager.add_service(sdk::Channels::kServiceName, sdk::Channels::kServiceVersion,
                      static_cast<sdk::Channels*>(&channels));
  // Machine-wide exclusive claims (openclaw.claims): one browser endpoint, one bot.
  ports::FileClaims machine_claims(ports::LeaseStore::default_dir(env), claims.owner(),
                                   inst.paths.home, manager);

  Watchdog watchdog(io, env, manager.activity(), log);
  watchdog.on_start_hang(start_deadline(env),
                         [&inst, &log](const std::string& plugin, std::chrono::milliseconds took) {
                           quarantine_hung_start(inst, log, plugin, took);
                         });
  GatewayMethods methods(inst, claims, manager, channels, watchdog);
  Wiring wiring(io, log, methods, manager);
  Protocol protocol(wiring, {options.token, kVersion, uuid4(), claims.started_ms()});
  protocol_ptr = &protocol;
  methods.add_methods(protocol);
  auto http = listen_http(io, inst, env, log, methods, manager, gateway_service, protocol);

  manager.start_all(claims.leases());
  tell_crash_handler(manager);
  channels.replay();  // messages a crash left unanswered, now that the channels are up
  publish_chat(manager, protocol);
  claims.write_record(gw->request.bind, manager.describe());

  // The live plugin set: folders dropped into (or removed from, or replaced in) the writable
  // search dirs, and config changes, apply at once.
  plugin_set.watch(io, announce_plugin_changes(log, claims, manager, protocol, gw->request.bind),
                   [&log](const std::string& w) { log(sdk::LogLevel::warn, w); });
  GoodConfig good_config(io, inst, env, methods, log);
  config::ConfigWatch config_watch(
      io, inst.config.path(), inst.paths.home,
      [&](config::Config next) {
        follow_config(inst, next, claims, channels, plugin_set, good_config, log);
      },
      [&](const std::string& why) {
        log(sdk::LogLevel::error, "config changed but cannot be read: " + why +
                                      "; the gateway and its plugins keep the last good one");
      });
  Ticker ticker(io, protocol, methods);

  Stopper stopper(
      io, log,
      [&] {
        manager.stop_all();
        channels.stop();
        protocol.shutdown("gateway stopping");
        http->stop();
        ticker.stop();
        good_config.stop();
        watchdog.stop();
      },
      [&] { return protocol.open_connections(); });
  stopper.arm(
      [&] {
        sd_notify(env, "STOPPING=1");
        plugin_set.stop();
        config_watch.stop();
      },
      channels);

  if (!plugin_set.bundled_problem().empty())
    log(sdk::LogLevel::warn, "plugins: " + plugin_set.bundled_problem());
  say_ready(inst, claims, options, out, log);
  sd_notify(env, "READY=1");
  run_loop(io, log);
  manager.stop_all();
  channels.stop();
  protocol_ptr = nullptr;
  claims.note_stopped("stopped cleanly" +
                      (stopper.signal().empty() ? std::string() : " (" + stopper.signal() + ")"));
  log(sdk::LogLevel::info, "stopped; ports released");
  return 0;
}

}  // namespace openclaw::gateway
