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

Settings read_settings(const json::object& root) {
  Settings s;
  const json::value* en = find(root, {"canvasHost", "enabled"});
  s.enabled = !(en && en->is_bool() && !en->get_bool());
  const json::value* lr = find(root, {"canvasHost", "liveReload"});
  s.live_reload = !(lr && lr->is_bool() && !lr->get_bool());
  // plugins.entries.canvas.config.host.root (current OpenClaw) > canvasHost.root (older key).
  if (const json::value* v = find(root, {"plugins", "entries", "canvas", "config", "host", "root"});
      v && v->is_string()) {
    s.root = std::string(v->get_string());
  } else if (const json::value* w = find(root, {"canvasHost", "root"}); w && w->is_string()) {
    s.root = std::string(w->get_string());
  }
  openclaw::sdk::ConfigBlock(root, "plugins.entries.canvas.config", nullptr)
      .integer("maxConnections", s.max_connections, 1, 100000);
  s.allowed_origins = openclaw::sdk::OriginPolicy::from_config(root).allowed_origins;
  return s;
}

fs::path root_folder(const std::string& given, const fs::path& workspace, const fs::path& home) {
  if (given.empty()) return workspace / "canvas";
  if (given.rfind("~/", 0) == 0) return home / given.substr(2);
  fs::path p(given);
  return p.is_absolute() ? p : workspace / p;
}

std::string restart_reason(const Settings& running, const Settings& next) {
  if (running.enabled != next.enabled) return "canvasHost.enabled";
  if (running.max_connections != next.max_connections) {
    return "plugins.entries.canvas.config.maxConnections";
  }
  return "";
}

}  // namespace canvas
