#pragma once
// Plugin discovery and loading: find plugin folders on the search path, check permissions and
// manifests, then the API version and ABI fingerprint BEFORE anything of the plugin runs, and
// create the plugin object. Every failure is contained in that plugin's record.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/environment.hpp"
#include "openclaw/sdk/plugin.hpp"
#include "plugins/manifest.hpp"
#include "plugins/quarantine.hpp"

namespace openclaw::plugins {

enum class State { disabled, loaded, running, failed, stopped, quarantined };
const char* state_name(State state);

struct Record {
  std::string id;  ///< from the manifest, else the folder's name
  std::string kind;
  std::string version;
  std::string description;
  /// Manifest "configPaths": the config subtrees it reads besides plugins.entries.<id>.
  std::vector<std::string> config_paths;
  std::filesystem::path dir;
  std::filesystem::path library;
  State state = State::failed;
  std::string reason;  ///< why it failed, is disabled or quarantined
  /// The plugin object. Its deleter owns the shared library, so the library outlives it.
  std::shared_ptr<sdk::Plugin> plugin;
  /// The private copy the library was loaded from (LoadOptions::copy_dir), else empty.
  std::filesystem::path loaded_from;
  /// folder_stamp() of `dir` when it was loaded: a different stamp later means a new version.
  std::string stamp;
  /// Removed from a running gateway: kept (its slot may still be named by late callbacks) but no
  /// longer part of the plugin set.
  bool unloaded = false;
};

struct LoadOptions {
  /// false: check everything up to the factory but create nothing (for `plugins list` when no
  /// gateway runs).
  bool create = true;
  /// true (production): libraries stay loaded until the process exits, as OBS, LLVM and DuckDB do.
  /// false: a library is unloaded as soon as its last object is gone (tests use it to catch
  /// use-after-unload).
  bool keep_loaded = true;
  /// When set, a library outside `trusted_dir` is loaded from a content-addressed copy in this
  /// folder, never from where it was dropped: the dropped file may then be overwritten in place
  /// (cp) without corrupting the mapped code, and a new version gets a path (and inode) of its
  /// own, which glibc's dlopen would otherwise answer with the library it already has.
  std::filesystem::path copy_dir;
  std::filesystem::path trusted_dir;
  /// Plugins to skip (state quarantined) while their folder's stamp is the one recorded (or none
  /// is recorded yet); see quarantine.hpp.
  Quarantine quarantined;
};

/// The plugin search path, in order: the bundled plugin dir (OPENCLAW_BUNDLED_PLUGINS_DIR, else
/// <prefix>/lib/openclaw-host/plugins beside the installed binary, else the build tree's plugins/
/// when run from it), `<state dir>/plugins`, then `plugins.load.paths`.
std::vector<std::filesystem::path> search_path(const std::filesystem::path& state_dir,
                                               const std::filesystem::path& home,
                                               const boost::json::object& config,
                                               const Environment& env,
                                               const std::filesystem::path& self_exe);

/// Where an installed `self_exe` (<prefix>/bin/openclaw-host) has its bundled plugins:
/// <prefix>/lib/openclaw-host/plugins, whether or not it exists.
std::filesystem::path installed_plugins_dir(const std::filesystem::path& self_exe);

/// The bundled plugin dir (see search_path), or empty when there is none.
std::filesystem::path bundled_dir(const Environment& env, const std::filesystem::path& home,
                                  const std::filesystem::path& self_exe);

/// Why the instance would run without its bundled plugins, "" when the bundled dir holds at least
/// one plugin: "no bundled plugin dir (...)" or "the bundled plugin dir ... holds no plugins".
std::string bundled_problem(const Environment& env, const std::filesystem::path& home,
                            const std::filesystem::path& self_exe);

/// The plugin folders on `search`, in load order (each holds openclaw.plugin.json or a *.so).
std::vector<std::filesystem::path> plugin_folders(const std::vector<std::filesystem::path>& search);

/// Identifies the version of a plugin folder's manifest and library (inode, size, mtime of
/// each): a folder whose stamp changed holds a new version (or one still being copied).
std::string folder_stamp(const std::filesystem::path& dir);

/// The manifest in `dir`, parsed. Throws openclaw::Error naming the field (see parse_manifest).
Manifest read_manifest(const std::filesystem::path& dir);
/// Whether plugin `manifest` is enabled: plugins.entries.<id>.enabled, else its enabledByDefault.
bool enabled_in_config(const boost::json::object& config, const Manifest& manifest);

/// Loads one plugin folder (as load_all does for each), with `taken` the ids already in use.
Record load_folder(const std::filesystem::path& dir, const boost::json::object& config,
                   const std::map<std::string, std::filesystem::path>& taken,
                   const LoadOptions& options = {});

/// Why the ELF file `path` cannot be loaded safely yet — truncated (a copy still in progress) or
/// not ELF at all — or "" when every segment and the section table lie inside the file.
std::string incomplete_elf(const std::filesystem::path& path);

/// Finds plugin folders (a folder holding openclaw.plugin.json or a *.so; not a hidden one) in each
/// search dir and loads them. `config` supplies plugins.entries.<id>.enabled.
std::vector<Record> load_all(const std::vector<std::filesystem::path>& search,
                             const boost::json::object& config, const LoadOptions& options = {});

/// {id, kind, version, path (the library, else the folder), state, reason}.
boost::json::object to_json(const Record& record);

/// Why `path` may not be loaded (group/other-writable, foreign owner), or "".
std::string unsafe_permissions(const std::filesystem::path& path);

}  // namespace openclaw::plugins
