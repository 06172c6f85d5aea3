#pragma once
// What the canvas plugin reads from the config, and which changes a running canvas host takes in
// place (its root folder, live reload, the allowed origins) rather than a restart (its port, its
// connection cap, being switched off). Pure, unit-tested on its own.
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <openclaw/sdk/plugin.hpp>

namespace canvas {

struct Settings {
  // Each from plugins.entries.openclaw-host.config.canvas, else OpenClaw's
  // plugins.entries.canvas.config.host, else the root canvasHost (see read_settings).
  bool enabled = true;
  bool live_reload = true;
  std::string root;
  std::string root_key = "canvasHost.root";  ///< the key that set `root`, for messages
  int max_connections = 1024;                ///< maxConnections (1..100000)
  std::vector<std::string> allowed_origins;  ///< gateway.controlUi.allowedOrigins

  bool operator==(const Settings&) const = default;
};

/// The value at `keys` under `o` (each key but the last names an object), or nullptr.
const boost::json::value* find(const boost::json::object& o,
                               std::initializer_list<const char*> keys);

/// The settings of `root` (the whole instance config); a value of the wrong type reads as the
/// default and is a problem in `problems` (when not null), naming the key where it was found.
Settings read_settings(const boost::json::object& root,
                       std::vector<openclaw::sdk::ConfigProblem>* problems = nullptr);

/// The folder served: `given` (a root from the config) with "~/" the home folder and a relative
/// path under the workspace; <workspace>/canvas when none is given.
std::filesystem::path root_folder(const std::string& given, const std::filesystem::path& workspace,
                                  const std::filesystem::path& home);

/// The key whose change from `running` to `next` needs the plugin restarted, or "" when `next`
/// applies in place.
std::string restart_reason(const Settings& running, const Settings& next);

}  // namespace canvas
