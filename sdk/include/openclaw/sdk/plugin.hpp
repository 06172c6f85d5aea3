#pragma once
/// \file
/// The whole plugin contract: a plugin implements Plugin; the host hands it a Host. A plugin
/// includes only headers under openclaw/sdk/ (plus Boost and the standard library) and exports
/// itself with OPENCLAW_PLUGIN(Type) from openclaw/sdk/plugin_export.hpp.
///
/// Plugins run in the host's process and are fully trusted code: a plugin can do anything the
/// host can. Install only plugins you trust; the host refuses plugin files and directories that
/// other users can write.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

#include "openclaw/sdk/async.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "openclaw/sdk/log.hpp"
#include "openclaw/sdk/ports.hpp"
#include "openclaw/sdk/version.hpp"

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

/// A message carried by channels through the gateway (inbound from a user, outbound to one).
struct BOOST_SYMBOL_VISIBLE Message {
  std::string channel;    ///< channel id, e.g. "telegram"
  std::string direction;  ///< "in" or "out"
  std::string peer;       ///< who sent it / whom it is for, channel-specific
  std::string text;
};

/// In-process publish/subscribe for channel traffic. Handlers run on the I/O thread.
class BOOST_SYMBOL_VISIBLE MessageBus {
 public:
  virtual ~MessageBus() = default;
  using Handler = std::function<void(const Message&)>;
  /// Delivers `message` to every subscriber. Never throws: a throwing subscriber is logged.
  virtual void publish(const Message& message) = 0;
  /// Subscribes until the plugin stops (or its start() throws), or until revoked.
  virtual Registration subscribe(Handler handler) = 0;
};

/// Handler of a gateway method that answers at once: receives the request's params, returns the
/// response payload; a thrown std::exception becomes an error response.
using MethodHandler = std::function<boost::json::value(const boost::json::value& params)>;

/// What a plugin may use. OWNERSHIP: the host owns it and keeps it alive from ports() until
/// after stop() returns; a plugin must not keep references past stop().
///
/// LIFETIME of what a plugin registers (methods, routes, subscriptions, timers, run-time ports):
/// the host holds each registration for the plugin and revokes them all together when start()
/// throws or when the plugin stops. On stop: registrations are revoked (no new call reaches the
/// plugin), then stop() runs (it may still answer calls in flight), then calls still unanswered
/// are answered UNAVAILABLE for it and its run-time ports are released. Dispatch looks handlers
/// up at call time, so a revoked handler is never called.
class BOOST_SYMBOL_VISIBLE Host {
 public:
  virtual ~Host() = default;

  /// This plugin's id, from its manifest.
  virtual const std::string& id() const = 0;

  /// The instance's profile; nullopt for the default profile.
  virtual const std::optional<std::string>& profile() const = 0;
  /// The instance's state dir (0700).
  virtual const std::filesystem::path& state_dir() const = 0;
  /// This plugin's own data dir, `<state dir>/plugins-data/<id>`, created 0700 before start().
  virtual const std::filesystem::path& data_dir() const = 0;
  /// The instance's workspace dir.
  virtual const std::filesystem::path& workspace() const = 0;
  /// This plugin's config, `plugins.entries.<id>.config` (an empty object when unset). The
  /// current one: a live config change replaces it (see Plugin::reconfigure).
  virtual const boost::json::object& config() const = 0;
  /// The whole instance config, for plugins that read a top-level block (`browser`, `canvasHost`).
  /// Always the same config config() is part of. A plugin lists the blocks it reads in its
  /// manifest's "configPaths", so a change there reaches it while the gateway runs.
  virtual const boost::json::object& root_config() const = 0;

  /// The port the registry granted for `name` (a name this plugin declared in ports() or a
  /// derived port of the instance, e.g. "browser.control"). Throws std::out_of_range otherwise.
  virtual int port(std::string_view name) const = 0;
  /// The address to bind that port on ("127.0.0.1" or "0.0.0.0").
  virtual std::string bind_address(std::string_view name) const = 0;

  /// The host's single I/O context; run by the host's thread, never by a plugin.
  virtual boost::asio::io_context& io() = 0;
  virtual void log(LogLevel level, std::string_view message) = 0;

  /// Serves `handler` on the gateway's own HTTP port for `method` and paths starting with
  /// `path_prefix` (which must start with "/<plugin id>" or "/__openclaw__/", or for a plugin of
  /// kind "channel" also "/hooks/"). The handler answers through its HttpResponder, now or later.
  virtual Registration add_route_async(std::string method, std::string path_prefix,
                                       AsyncHttpHandler handler) = 0;
  /// Adds a gateway WebSocket method (advertised in hello-ok). Names must start with "<id>." or
  /// be a method the plugin's kind owns (e.g. "browser.*"). The handler answers through its
  /// MethodResponder, now or later; other requests, on the same connection too, go on meanwhile
  /// (their answers may come out of order, matched by id). Unanswered after `options.timeout`,
  /// the caller gets TIMEOUT.
  virtual Registration add_method_async(std::string name, AsyncMethodHandler handler,
                                        MethodOptions options) = 0;
  /// Channel traffic.
  virtual MessageBus& bus() = 0;
  /// Runs `fn` on the I/O thread after `delay`, unless revoked first (or the plugin stopped).
  virtual Registration after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  /// Leases one more port at run time from the machine-wide registry, with the same guarantees
  /// as ports(): a name "<id>.<what>", and a refusal throws std::runtime_error naming the holder.
  /// Returns the port; port(name) and bind_address(name) then know it. Released when the plugin
  /// stops, or by release_port().
  virtual int lease_port(const PortRequest& request) = 0;
  /// Gives a run-time port back to the registry. False when this plugin holds no such lease.
  virtual bool release_port(std::string_view name) = 0;

  /// A host service by name and version, or nullptr when this host has none: how capabilities
  /// are added later without changing this class. Prefer service<T>().
  virtual void* find_service(std::string_view name, int version) = 0;
  /// The service T (a type with `static constexpr const char* kServiceName` and `int
  /// kServiceVersion`), or nullptr.
  template <typename T>
  T* service() {
    return static_cast<T*>(find_service(T::kServiceName, T::kServiceVersion));
  }

  /// add_route_async for a handler that answers at once.
  BOOST_SYMBOL_EXPORT Registration add_route(std::string method, std::string path_prefix,
                                             HttpHandler handler);
  /// add_method_async for a handler that answers at once. A thrown sdk::MethodError
  /// (openclaw/sdk/errors.hpp) answers its code, e.g. INVALID_REQUEST; any other std::exception
  /// an UNAVAILABLE error naming the method.
  BOOST_SYMBOL_EXPORT Registration add_method(std::string name, MethodHandler handler,
                                              MethodOptions options = {});
};

/// A problem in a plugin's config: the key path from the config file's root (e.g.
/// "plugins.entries.hello.config.port" or "browser.profiles.work.cdpPort") and what is wrong.
struct BOOST_SYMBOL_VISIBLE ConfigProblem {
  std::string key;
  std::string message;
};

/// A plugin. Required: start(). Optional: validate(), ports(), stop(), status(), reconfigure().
class BOOST_SYMBOL_VISIBLE Plugin {
 public:
  virtual ~Plugin() = default;

  /// Optional. Checks this plugin's config (its config() and any top-level block it reads from
  /// root_config()) before ports() is asked. Any problem fails the plugin, reported with its key
  /// path and the config file; the host and other plugins keep running.
  virtual std::vector<ConfigProblem> validate(const Host& host) const { return {}; }

  /// Optional. The ports this plugin needs, declared before anything binds. Names are
  /// "<plugin id>.<what>" or a derived port of the instance it serves ("browser.control",
  /// "canvas"). The host leases the whole instance's plan at once; if this plugin's ports are
  /// refused, the plugin is marked failed and start() is not called.
  virtual std::vector<PortRequest> ports(const Host& host) { return {}; }
  /// Required. Binds granted ports, registers routes and methods. Called on the I/O thread. A
  /// throw marks the plugin failed; the host and other plugins keep running.
  virtual void start(Host& host) = 0;
  /// Optional. Releases what start() took; called in reverse start order on shutdown.
  virtual void stop() {}
  /// Optional. A JSON object shown by `plugins list` and the gateway's health.
  virtual boost::json::value status() const;
  /// Optional. The config this plugin reads changed on the running gateway: its own
  /// `plugins.entries.<id>`, or a subtree its manifest names in "configPaths" (e.g.
  /// "channels.irc"). validate() accepted the new config and ports() asked for the same ports;
  /// host.config() and host.root_config() already return the new config. Return true when the
  /// change is applied in place (the plugin keeps running: its ports, routes, methods and
  /// connections stay); false (the default), or a throw, makes the host stop this plugin and
  /// start it again under the new config. Called on the I/O thread.
  virtual bool reconfigure(Host& host) { return false; }
};

/// Port request helpers.
/// Any free port the registry picks (PortSource::any), loopback by default.
BOOST_SYMBOL_EXPORT PortRequest plugin_port(std::string name, std::string bind = "127.0.0.1");

}  // namespace openclaw::sdk
