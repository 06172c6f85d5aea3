#pragma once
// `openclaw.plugin.json`, the manifest beside a plugin's shared library.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace openclaw::plugins {

inline constexpr const char* kManifestName = "openclaw.plugin.json";

struct Manifest {
  std::string id;    ///< lower case letters, digits, '.', '_', '-'; unique per instance
  std::string kind;  ///< browser | canvas | channel | other
  std::string version;
  int api_version = 0;  ///< OPENCLAW_SDK_API_VERSION the plugin was built against
  std::string description;
  bool enabled_by_default = true;
  std::string library;  ///< file name of the library beside the manifest; empty = the only *.so
  /// Config subtrees the plugin reads besides its own plugins.entries.<id>, as dotted key paths
  /// ("channels.irc", "browser"): a change under one reaches the running plugin.
  std::vector<std::string> config_paths;
};

/// Parses a manifest's text. Throws openclaw::Error (usage) naming the field, e.g.
/// `manifest field "kind" must be one of browser, canvas, channel, other, got "x"`.
Manifest parse_manifest(const std::string& text);

/// True for a dotted config key path ("channels.irc"): letters, digits, '_', '-' between dots.
bool valid_config_path(const std::string& path);

/// True for a valid plugin id.
bool valid_plugin_id(const std::string& id);

}  // namespace openclaw::plugins
