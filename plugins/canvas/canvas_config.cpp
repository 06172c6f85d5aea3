#include "canvas_config.hpp"

#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/origin.hpp>

namespace canvas {
namespace json = boost::json;
namespace fs = std::filesystem;

const json::value* find(const json::object& o, std::initializer_list<const char*> keys) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (const char* k : keys) {
    if (!cur) return nullptr;
    v = cur->if_contains(k);
    if (!v) return nullptr;
    cur = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}

// Three places, the first that holds a key wins: plugins.entries.openclaw-host.config.canvas
// (what openclaw-host keeps: OpenClaw 2026.9.6 retired the canvas port, root and live reload and
// refuses them in its own places), plugins.entries.canvas.config.host (OpenClaw's; `enabled`
// lives there), and the seed's root canvasHost.
Settings read_settings(const json::object& root,
                       std::vector<openclaw::sdk::ConfigProblem>* problems) {
  namespace sdk = openclaw::sdk;
  Settings s;
  sdk::ConfigBlock ours(root, sdk::host_settings_path("canvas"), problems);
  sdk::ConfigBlock openclaw(root, "plugins.entries.canvas.config.host", problems);
  sdk::ConfigBlock seed(root, "canvasHost", problems);
  auto at = [&](const char* key) -> sdk::ConfigBlock& {
    return ours.has(key) ? ours : openclaw.has(key) ? openclaw : seed;
  };
  at("enabled").boolean("enabled", s.enabled);
  at("liveReload").boolean("liveReload", s.live_reload);
  sdk::ConfigBlock& r = at("root");
  r.string("root", s.root);
  s.root_key = r.path() + ".root";
  ours.integer("maxConnections", s.max_connections, 1, 100000);
  if (!ours.has("maxConnections")) {  // where an earlier version documented it
    sdk::ConfigBlock(root, "plugins.entries.canvas.config", problems)
        .integer("maxConnections", s.max_connections, 1, 100000);
  }
  s.allowed_origins = sdk::OriginPolicy::from_config(root).allowed_origins;
  return s;
}

fs::path root_folder(const std::string& given, const fs::path& workspace, const fs::path& home) {
  if (given.empty()) return workspace / "canvas";
  if (given.rfind("~/", 0) == 0) return home / given.substr(2);
  fs::path p(given);
  return p.is_absolute() ? p : workspace / p;
}

std::string restart_reason(const Settings& running, const Settings& next) {
  if (running.enabled != next.enabled) return "plugins.entries.canvas.config.host.enabled";
  if (running.max_connections != next.max_connections) {
    return openclaw::sdk::host_settings_path("canvas") + ".maxConnections";
  }
  return "";
}

}  // namespace canvas
