#include "plugins/loader.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <set>

#include <boost/dll/shared_library.hpp>
#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"
#include "plugins/manifest.hpp"
#include "profile/profile.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;
namespace dll = boost::dll;

namespace {

using ApiVersionFn = int();
using AbiFn = const char*();
using CreateFn = sdk::Plugin*();

// Production keeps every library until exit; see LoadOptions::keep_loaded.
void keep_forever(std::shared_ptr<dll::shared_library> lib) {
  static std::mutex mu;
  static auto* kept = new std::vector<std::shared_ptr<dll::shared_library>>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  kept->push_back(std::move(lib));
}

// Drop-ins load on the I/O thread: a FIFO or a device in a plugin folder is refused, not read.
// A missing file reads as "" (the manifest parser then names what is missing).
std::string read_text(const fs::path& path, std::uint64_t max_bytes = 16u << 20) {
  try {
    return sdk::read_regular_file(path, {}, max_bytes).value_or("");
  } catch (const std::exception& e) {
    throw usage_error(std::string("cannot read: ") + e.what());
  }
}

bool is_library(const fs::path& p) {
  return p.extension() == ".so" || p.filename().string().find(".so.") != std::string::npos;
}

std::vector<fs::path> libraries_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (is_library(e.path())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Folders that look like plugins: the dir itself when it holds a manifest, else its children
// that hold a manifest or a library.
std::vector<fs::path> candidates(const fs::path& search_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::exists(search_dir / kManifestName, ec)) return {search_dir};
  for (const auto& e : fs::directory_iterator(search_dir, ec)) {
    // Hidden folders are not plugins: installers stage a plugin there and rename it into place.
    if (!e.is_directory(ec) || e.path().filename().string().front() == '.') continue;
    if (fs::exists(e.path() / kManifestName, ec) || !libraries_in(e.path()).empty()) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Boost.DLL wraps dlerror's text as "...load() failed (dlerror system message: TEXT): <errno
// text>"; the errno part is noise ("Bad file descriptor"), TEXT is what the user needs.
std::string dlerror_text(const std::string& what) {
  const std::string marker = "dlerror system message: ";
  auto start = what.find(marker);
  auto end = what.rfind("): ");
  if (start == std::string::npos || end == std::string::npos || end < start) return what;
  return what.substr(start + marker.size(), end - start - marker.size());
}

void fail(Record& r, std::string reason) {
  r.state = State::failed;
  r.reason = std::move(reason);
}

bool is_under(const fs::path& p, const fs::path& dir) {
  if (dir.empty()) return false;
  auto rel = p.lexically_normal().lexically_relative(dir.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

// `library` copied to `copy_dir`/<id>-<content hash>.so (written atomically, reused when that
// content was copied before).
fs::path private_copy(const fs::path& library, const fs::path& copy_dir, const std::string& id) {
  std::string content = read_text(library, 1ull << 30);
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a 64: identity, not security
  for (unsigned char c : content) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  fs::path dest = copy_dir / (id + "-" + hex + ".so");
  std::error_code ec;
  if (fs::file_size(dest, ec) == content.size() && !ec) return dest;
  sdk::create_private_dirs(copy_dir);
  sdk::write_file_atomic(dest, content, fs::perms(0700), false, /*durable=*/false);
  return dest;
}

// The folder's manifest into `m` and `r`: safe permissions, a manifest that parses, an id no
// other folder has taken. Why not, or "".
std::string read_folder_manifest(Record& r, Manifest& m, std::set<std::string>& ids,
                                 std::map<std::string, fs::path>& id_dirs) {
  if (auto why = unsafe_permissions(r.dir); !why.empty()) return why;
  fs::path manifest_path = r.dir / kManifestName;
  std::error_code ec;
  if (!fs::exists(manifest_path, ec)) {
    auto libs = libraries_in(r.dir);
    r.library = libs.empty() ? fs::path() : libs.front();
    return std::string("no ") + kManifestName + " beside the library";
  }
  if (auto why = unsafe_permissions(manifest_path); !why.empty()) return why;
  try {
    m = read_manifest(r.dir);
  } catch (const Error& e) {
    return std::string(e.what()) + " (" + manifest_path.string() + ")";
  }
  r.id = m.id;
  r.kind = m.kind;
  r.version = m.version;
  r.description = m.description;
  r.config_paths = m.config_paths;
  if (ids.count(m.id)) {
    return "duplicate plugin id \"" + m.id + "\": already loaded from " + id_dirs[m.id].string();
  }
  ids.insert(m.id);
  id_dirs[m.id] = r.dir;
  return {};
}

// The library the manifest names, or the folder's only one, into r.library. Why not, or "".
std::string find_library(Record& r, const Manifest& m) {
  if (m.library.empty()) {
    auto libs = libraries_in(r.dir);
    if (libs.empty()) return "no shared library (*.so) beside the manifest";
    if (libs.size() > 1)
      return "several shared libraries here; name one in the manifest's \"library\" field";
    r.library = libs.front();
  } else {
    r.library = r.dir / m.library;
    std::error_code ec;
    if (!fs::is_regular_file(r.library, ec)) {
      return "library " + m.library + " named by the manifest does not exist";
    }
  }
  return unsafe_permissions(r.library);
}

// The checks a library passes before any of its code runs: the manifest's API version, a
// private copy for a folder outside the trusted dir, a complete ELF file. The path to load, or
// nullopt with `why` set.
std::optional<fs::path> library_to_load(Record& r, const Manifest& m, const LoadOptions& options,
                                        std::string& why) {
  // Metadata first: a manifest for another API version is refused before dlopen.
  if (m.api_version != OPENCLAW_SDK_API_VERSION) {
    why = "built for plugin API version " + std::to_string(m.api_version) +
          " (manifest), this host speaks " + std::to_string(OPENCLAW_SDK_API_VERSION);
    return std::nullopt;
  }
  fs::path from = r.library;
  if (!options.copy_dir.empty() && !is_under(r.dir, options.trusted_dir)) {
    try {
      from = private_copy(r.library, options.copy_dir, m.id);
    } catch (const std::exception& e) {
      why = std::string("cannot copy the library to load it: ") + e.what();
      return std::nullopt;
    }
    r.loaded_from = from;
  }
  // A truncated library (a copy still in progress) would map past its end: refused unread.
  why = incomplete_elf(from);
  if (!why.empty()) return std::nullopt;
  return from;
}

// dlopen, the exported symbols, the API and ABI the library was built for, and (with
// options.create) the plugin object. Why not, or "".
std::string open_library(Record& r, const fs::path& from, const LoadOptions& options) {
  std::shared_ptr<dll::shared_library> lib;
  try {
    // rtld_now: an unresolved symbol is an error here, not a crash on first call.
    lib = std::make_shared<dll::shared_library>(
        from, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return "cannot load the shared library: " + dlerror_text(e.what());
  }
  for (const char* sym :
       {"openclaw_plugin_api_version", "openclaw_plugin_abi", "openclaw_plugin_create"}) {
    if (!lib->has(sym)) {
      return std::string("not an openclaw-host plugin: symbol ") + sym +
             " is missing (export the plugin with OPENCLAW_PLUGIN(Type))";
    }
  }
  try {
    int api = lib->get_alias<ApiVersionFn>("openclaw_plugin_api_version")();
    if (api != OPENCLAW_SDK_API_VERSION) {
      return "plugin API version " + std::to_string(api) + ", this host speaks " +
             std::to_string(OPENCLAW_SDK_API_VERSION) + "; rebuild it against this SDK";
    }
    std::string abi = lib->get_alias<AbiFn>("openclaw_plugin_abi")();
    if (abi != OPENCLAW_SDK_ABI_FINGERPRINT) {
      return "ABI mismatch: plugin " + abi + ", host " + OPENCLAW_SDK_ABI_FINGERPRINT +
             "; rebuild it with the same compiler and Boost";
    }
    if (!options.create) return {};
    sdk::Plugin* raw = lib->get_alias<CreateFn>("openclaw_plugin_create")();
    if (!raw) return "the plugin's factory returned no object";
    // The deleter owns the library: the object's code stays mapped until the object is gone.
    r.plugin = std::shared_ptr<sdk::Plugin>(raw, [lib](sdk::Plugin* p) { delete p; });
  } catch (const std::exception& e) {
    return std::string("plugin threw while loading: ") + e.what();
  }
  if (options.keep_loaded) keep_forever(lib);
  return {};
}

// Loads one plugin folder into `r` (already holding dir and a provisional id).
void load_one(Record& r, const boost::json::object& config, std::set<std::string>& ids,
              std::map<std::string, fs::path>& id_dirs, const LoadOptions& options) {
  r.stamp = folder_stamp(r.dir);  // before reading: a change while loading shows as a new stamp
  Manifest m;
  if (auto why = read_folder_manifest(r, m, ids, id_dirs); !why.empty()) return fail(r, why);
  if (auto why = find_library(r, m); !why.empty()) return fail(r, why);
  if (!enabled_in_config(config, m)) {
    r.state = State::disabled;
    r.reason = m.enabled_by_default ? "disabled by plugins.entries." + m.id + ".enabled"
                                    : "disabled by default (enable with plugins.entries." + m.id +
                                          ".enabled = true)";
    return;
  }
  if (auto q = options.quarantined.find(m.id);
      q != options.quarantined.end() && (q->second.stamp.empty() || q->second.stamp == r.stamp)) {
    r.state = State::quarantined;  // nothing of it runs: not even its library's constructors
    r.reason = "quarantined: " + q->second.reason;
    return;
  }
  std::string why;
  auto from = library_to_load(r, m, options, why);
  if (!from) return fail(r, why);
  if (why = open_library(r, *from, options); !why.empty()) return fail(r, why);
  r.state = State::loaded;
}

}  // namespace

boost::json::object to_json(const Record& r) {
  return {{"id", r.id},
          {"kind", r.kind},
          {"version", r.version},
          {"path", (r.library.empty() ? r.dir : r.library).string()},
          {"state", state_name(r.state)},
          {"reason", r.reason}};
}

const char* state_name(State state) {
  switch (state) {
    case State::disabled:
      return "disabled";
    case State::loaded:
      return "loaded";
    case State::running:
      return "running";
    case State::failed:
      return "failed";
    case State::stopped:
      return "stopped";
    case State::quarantined:
      return "quarantined";
  }
  return "failed";
}

std::string unsafe_permissions(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return "refusing to load: " + path.string() + " is writable by group or others (chmod go-w it)";
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return "refusing to load: " + path.string() + " belongs to another user (uid " +
           std::to_string(st.st_uid) + ")";
  }
  return {};
}

fs::path installed_plugins_dir(const fs::path& self_exe) {
#ifdef OPENCLAW_INSTALLED_PLUGINS_FROM_BIN
  // <prefix>/bin/openclaw-host -> <prefix>/lib/openclaw-host/plugins (the install layout).
  return (self_exe.parent_path() / OPENCLAW_INSTALLED_PLUGINS_FROM_BIN).lexically_normal();
#else
  return (self_exe.parent_path().parent_path() / "lib" / "openclaw-host" / "plugins");
#endif
}

fs::path bundled_dir(const Environment& env, const fs::path& home, const fs::path& self_exe) {
  if (auto bundled = env.get("OPENCLAW_BUNDLED_PLUGINS_DIR"))
    return profile::expand_user(*bundled, home);
  std::error_code ec;
  fs::path installed = installed_plugins_dir(self_exe);
#ifdef OPENCLAW_BUILD_PLUGINS_DIR
  // Run from the build tree: its plugins/ folder is the bundled dir.
  if (self_exe.parent_path() == fs::path(OPENCLAW_BUILD_HOST_DIR)) {
    installed = OPENCLAW_BUILD_PLUGINS_DIR;
  }
#endif
  return fs::is_directory(installed, ec) ? installed : fs::path();
}

std::string bundled_problem(const Environment& env, const fs::path& home,
                            const fs::path& self_exe) {
  fs::path dir = bundled_dir(env, home, self_exe);
  if (dir.empty()) {
    return "no bundled plugin dir (looked for " + installed_plugins_dir(self_exe).string() +
           "; set OPENCLAW_BUNDLED_PLUGINS_DIR): the browser, canvas and channels are missing";
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return "the bundled plugin dir " + dir.string() +
           " does not exist: the browser, canvas and channels are missing";
  }
  if (plugin_folders({dir}).empty()) {
    return "the bundled plugin dir " + dir.string() +
           " holds no plugins (not built? `ninja -C build` builds them): the browser, canvas and "
           "channels are missing";
  }
  return {};
}

std::vector<fs::path> search_path(const fs::path& state_dir, const fs::path& home,
                                  const boost::json::object& config, const Environment& env,
                                  const fs::path& self_exe) {
  std::vector<fs::path> out;
  if (auto bundled = bundled_dir(env, home, self_exe); !bundled.empty()) out.push_back(bundled);
  out.push_back(state_dir / "plugins");
  if (const boost::json::value* paths = config::find(config, {"plugins", "load", "paths"});
      paths && paths->is_array()) {
    for (const auto& p : paths->get_array()) {
      if (p.is_string()) out.push_back(profile::expand_user(std::string(p.get_string()), home));
    }
  }
  return out;
}

std::vector<Record> load_all(const std::vector<fs::path>& search, const boost::json::object& config,
                             const LoadOptions& options) {
  std::vector<Record> out;
  std::set<std::string> ids;
  std::map<std::string, fs::path> id_dirs;
  for (const auto& dir : search) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    if (auto why = unsafe_permissions(dir); !why.empty()) {
      Record r;
      r.id = dir.filename().string();
      r.dir = dir;
      fail(r, why);
      out.push_back(std::move(r));
      continue;
    }
    for (const auto& candidate : candidates(dir)) {
      Record r;
      r.id = candidate.filename().string();
      r.dir = candidate;
      load_one(r, config, ids, id_dirs, options);
      out.push_back(std::move(r));
    }
  }
  return out;
}

Manifest read_manifest(const fs::path& dir) {
  return parse_manifest(read_text(dir / kManifestName));
}

bool enabled_in_config(const boost::json::object& config, const Manifest& m) {
  const boost::json::value* enabled = config::find(config, {"plugins", "entries", m.id, "enabled"});
  return enabled && enabled->is_bool() ? enabled->get_bool() : m.enabled_by_default;
}

std::vector<fs::path> plugin_folders(const std::vector<fs::path>& search) {
  std::vector<fs::path> out;
  for (const auto& dir : search) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (auto& c : candidates(dir)) out.push_back(std::move(c));
  }
  return out;
}

std::string folder_stamp(const fs::path& dir) {
  std::string out;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return;
    out += p.filename().string() + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + ";";
  };
  add(dir / kManifestName);
  for (const auto& lib : libraries_in(dir)) add(lib);
  return out;
}

Record load_folder(const fs::path& dir, const boost::json::object& config,
                   const std::map<std::string, fs::path>& taken, const LoadOptions& options) {
  std::set<std::string> ids;
  std::map<std::string, fs::path> id_dirs = taken;
  for (const auto& [id, d] : taken) ids.insert(id);
  Record r;
  r.id = dir.filename().string();
  r.dir = dir;
  if (auto why = unsafe_permissions(dir.parent_path()); !why.empty()) {
    fail(r, why);
    return r;
  }
  load_one(r, config, ids, id_dirs, options);
  return r;
}

std::string incomplete_elf(const fs::path& path) {
  sdk::RegularFile file = sdk::open_regular_file(path);  // never a FIFO: this is the I/O thread
  if (!file) return "cannot open " + path.string() + ": it " + file.why();
  const int fd = file.fd;
  const std::uint64_t size = file.size;
  Elf64_Ehdr eh{};
  std::string why;
  auto fits = [&](std::uint64_t off, std::uint64_t len) {
    return off <= size && len <= size - off;
  };
  if (::pread(fd, &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    why = "cannot load the shared library: it is not an ELF file (or is still being copied)";
  } else if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr)) {
    why = "cannot load the shared library: it is not a 64-bit ELF file";
  } else if (!fits(eh.e_phoff, std::uint64_t(eh.e_phnum) * eh.e_phentsize) ||
             !fits(eh.e_shoff, std::uint64_t(eh.e_shnum) * eh.e_shentsize)) {
    why = "cannot load the shared library: it is truncated (still being copied?)";
  } else {
    for (int i = 0; i < eh.e_phnum && why.empty(); ++i) {
      Elf64_Phdr ph{};
      if (::pread(fd, &ph, sizeof ph,
                  static_cast<off_t>(eh.e_phoff + std::uint64_t(i) * sizeof ph)) !=
          static_cast<ssize_t>(sizeof ph)) {
        why = "cannot load the shared library: it is truncated (still being copied?)";
      } else if (ph.p_type == PT_LOAD && !fits(ph.p_offset, ph.p_filesz)) {
        why = "cannot load the shared library: it is truncated (still being copied?)";
      }
    }
  }
  return why;
}

}  // namespace openclaw::plugins
