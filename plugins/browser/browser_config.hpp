#pragma once
// The `browser` block of the instance config, read and checked in one place: the plugin's
// validate() is the full check of the block (the host checks only what its port plan reads:
// `browser.enabled`, the profiles' names and their `cdpPort`s), and reconfigure() asks which of
// two settings can be swapped on a running plugin. Pure, unit-tested without a browser.
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <openclaw/sdk/plugin.hpp>

#include "page_model.hpp"

namespace browser {

/// JSON readers for values validate() has checked: a missing key or a value of the wrong type
/// reads as the fallback (an empty object, an empty list).
std::string str(const boost::json::object& o, const char* key, std::string fallback = {});
bool flag(const boost::json::object& o, const char* key, bool fallback);
const boost::json::object& obj(const boost::json::object& o, const char* key);
std::vector<std::string> strings(const boost::json::object& o, const char* key);

/// The profile every instance has unless the config says otherwise.
inline constexpr const char* kDefaultProfile = openclaw::sdk::kDefaultBrowserProfile;

/// What the plugin reads from the config: `browser.*`, `gateway.controlUi.allowedOrigins` and
/// `plugins.entries.browser.config.maxConnections`.
struct Settings {
  bool enabled = true;
  std::optional<bool> headless;  ///< nullopt: headless when there is no display
  bool no_sandbox = false;
  bool evaluate_enabled = false;
  bool attach_only = false;
  std::string executable;
  std::vector<std::string> extra_args;
  std::string default_profile = kDefaultProfile;
  std::string cdp_url;           ///< the default profile attaches here instead of launching
  boost::json::object profiles;  ///< browser.profiles as written
  NavPolicy policy;
  int max_connections = 64;  ///< one user's CLI and tools, on loopback
  std::vector<std::string> allowed_origins;

  bool operator==(const Settings&) const = default;
};

/// The settings of `root` (the whole instance config). Values of the wrong type read as their
/// defaults: check_config() reports them.
Settings read_settings(const boost::json::object& root);

/// Every problem of the browser block of `root` (and of plugins.entries.browser.config), with
/// its key path: the plugin's validate().
std::vector<openclaw::sdk::ConfigProblem> check_config(const boost::json::object& root);

/// The first key whose change from `running` to `next` needs the plugin restarted (a browser
/// launched with other switches, profiles added or moved, the control server's connection cap),
/// or "" when `next` applies to the running plugin in place (browser.ssrfPolicy.*,
/// gateway.controlUi.allowedOrigins, browser.evaluateEnabled, browser.defaultProfile).
std::string restart_reason(const Settings& running, const Settings& next);

/// The browser a cdpUrl reaches, as one string for every way of writing it: "http://" or
/// "https://" + lower-case host + ":" + port. ws(s):// URLs and paths (a DevTools WebSocket URL)
/// name the same browser as the http(s):// origin; localhost and ::1 read as 127.0.0.1. nullopt
/// for a URL that is not one.
std::optional<std::string> browser_endpoint(const std::string& cdp_url);

}  // namespace browser
