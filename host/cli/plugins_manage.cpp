// `plugins install|remove|enable|disable|doctor|new`: managing an instance's plugins, with or
// without a running gateway. Nothing here talks to the gateway: a running one watches its
// plugin folder and config file and applies each change itself (see docs/plugins.md).
#include <unistd.h>

#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "gateway/instance_record.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/version.hpp"
#include "plugins/loader.hpp"
#include "plugins/manager.hpp"
#include "plugins/manifest.hpp"
#include "ports/lease_store.hpp"
#include "ports/plan.hpp"
#include "ports/system.hpp"

namespace openclaw::cli {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

fs::path drop_dir(const Instance& inst) {
  return inst.paths.state_dir / "plugins";
}

bool gateway_running(const Instance& inst) {
  return gateway::read_live_record(inst.paths.state_dir).has_value();
}

// Removes a folder when the command ends, however it ends.
struct Cleanup {
  fs::path path;
  ~Cleanup() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

// The plugin folder inside an unpacked package: the root when it holds the manifest, else its
// only subfolder that does.
fs::path plugin_root(const fs::path& root, const fs::path& shown) {
  std::error_code ec;
  if (fs::exists(root / plugins::kManifestName, ec)) return root;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory(ec) && fs::exists(e.path() / plugins::kManifestName, ec))
      found.push_back(e.path());
  }
  if (found.size() == 1) return found.front();
  throw usage_error(found.empty() ? std::string("no ") + plugins::kManifestName +
                                        " in it (nor in a folder inside)"
                                  : "it holds several plugin folders; install them one by one",
                    shown.string());
}

// Owner-writable only, whatever the source had: the host refuses plugin files others can write.
// Libraries and programs stay executable; links are refused (they could point anywhere).
void fix_permissions(const fs::path& dir, const fs::path& shown) {
  fs::permissions(dir, fs::perms(0755));
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    auto st = it->symlink_status();
    if (fs::is_symlink(st)) {
      throw usage_error(
          "a plugin may not contain symbolic links: " + fs::relative(it->path(), dir).string(),
          shown.string());
    }
    bool exec = fs::is_directory(st) ||
                (st.permissions() & fs::perms::owner_exec) != fs::perms::none ||
                it->path().extension() == ".so";
    fs::permissions(it->path(), fs::perms(exec ? 0755 : 0644));
  }
}

std::string manifest_id(const fs::path& dir) {
  try {
    return plugins::read_manifest(dir).id;
  } catch (const std::exception&) {
    return "";
  }
}

// The folder of plugin `id` in the instance's plugin folder (by manifest id, else folder name).
std::optional<fs::path> installed_folder(const Instance& inst, const std::string& id) {
  for (const auto& dir : plugins::plugin_folders({drop_dir(inst)})) {
    std::string mid = manifest_id(dir);
    if (mid == id || (mid.empty() && dir.filename() == id)) return dir;
  }
  return std::nullopt;
}

// Is `id` anywhere on the search path? Its folder when it is.
std::optional<fs::path> on_search_path(Context& ctx, const Instance& inst, const std::string& id) {
  auto search = plugins::search_path(inst.paths.state_dir, inst.paths.home, inst.config.root(),
                                     ctx.env, ctx.argv0);
  for (const auto& dir : plugins::plugin_folders(search)) {
    if (manifest_id(dir) == id || dir.filename() == id) return dir;
  }
  return std::nullopt;
}

std::string live_note(const Instance& inst) {
  return gateway_running(inst) ? "The running gateway applies it now."
                               : "The gateway applies it at its next start.";
}

// Copies or unpacks `src` into `pkg` (an empty folder of the staging area).
void unpack(const fs::path& src, const fs::path& pkg) {
  std::error_code ec;
  const std::string name = src.filename().string();
  if (fs::is_directory(src, ec)) {
    fs::copy(src, pkg, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  } else if (name.ends_with(".tar.gz") || name.ends_with(".tgz")) {
    // GNU tar drops leading '/' and refuses members that climb out with "..".
    int rc = run_program({"tar", "-xzf", src.string(), "-C", pkg.string(), "--no-same-owner",
                          "--no-same-permissions"});
    if (rc != 0)
      throw usage_error("cannot unpack the archive (tar exited with " + std::to_string(rc) + ")",
                        src.string());
  } else {
    throw usage_error("expected a plugin folder or a .tar.gz of one", src.string());
  }
}

struct Package {
  plugins::Manifest manifest;
  plugins::Record record;
};

// Checked as the gateway would load it (the library is opened; no plugin object is created),
// with the plugin enabled so that a disabled-by-default one is checked too.
Package check_package(const fs::path& root, const fs::path& src) {
  Package p;
  try {
    p.manifest = plugins::read_manifest(root);
  } catch (const Error& e) {
    throw usage_error(std::string("not installed: ") + e.what(), src.string());
  }
  json::object enable{
      {"plugins",
       json::object{{"entries", json::object{{p.manifest.id, json::object{{"enabled", true}}}}}}}};
  plugins::LoadOptions options;
  options.create = false;
  p.record = plugins::load_folder(root, enable, {}, options);
  if (p.record.state == plugins::State::failed)
    throw usage_error("not installed: " + p.record.reason, src.string());
  return p;
}

// Into place in one rename each: a running gateway sees the whole folder appear, or swap.
void move_into_place(const fs::path& root, const fs::path& drop, const std::string& id,
                     bool replacing) {
  const fs::path dest = drop / id;
  fs::path fresh = drop / (".new-" + id + "-" + std::to_string(::getpid()));
  fs::rename(root, fresh);
  if (replacing) {
    Cleanup old{drop / (".old-" + id + "-" + std::to_string(::getpid()))};
    fs::rename(dest, old.path);
    fs::rename(fresh, dest);
  } else {
    fs::rename(fresh, dest);
  }
}

int plugins_install(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("path", po::value<std::string>()->required(),
                     "a plugin folder or a .tar.gz of one")(
      "force", "replace an installed plugin of the same id");
  po::positional_options_description pos;
  pos.add("path", 1);
  auto vm = parse_command(
      ctx, "plugins install PATH [--force]",
      "Installs a plugin folder (or a .tar.gz of one) into <state dir>/plugins/: the manifest,\n"
      "API version and ABI are checked first, permissions are made owner-writable only, and\n"
      "the folder appears in one rename (a running gateway loads it at once).",
      opts, pos, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  const fs::path src =
      fs::absolute(profile::expand_user((*vm)["path"].as<std::string>(), ctx.paths.home));
  std::error_code ec;
  if (!fs::exists(src, ec)) throw usage_error("no such file or folder", src.string());
  const fs::path drop = drop_dir(inst);
  sdk::create_private_dirs(drop, fs::perms(0755));
  Cleanup stage{drop / (".install-" + std::to_string(::getpid()))};
  fs::remove_all(stage.path, ec);
  fs::create_directories(stage.path / "pkg");
  unpack(src, stage.path / "pkg");
  fs::path root = plugin_root(stage.path / "pkg", src);
  fix_permissions(root, src);
  Package package = check_package(root, src);
  const std::string& id = package.manifest.id;
  const fs::path dest = drop / id;
  const bool replacing = fs::exists(dest, ec);
  if (replacing && !vm->count("force")) {
    throw usage_error("plugin " + id + " is already installed in " + inst.where(dest) +
                          "; pass --force to replace it",
                      src.string());
  }
  move_into_place(root, drop, id, replacing);
  const bool disabled = !plugins::enabled_in_config(inst.config.root(), package.manifest);
  *ctx.out << (replacing ? "Replaced " : "Installed ") << id << " " << package.record.version
           << " (" << package.record.kind << ") in " << inst.where(dest) << ". " << live_note(inst)
           << "\n";
  if (disabled)
    *ctx.out << "It is disabled; enable it with: openclaw-host plugins enable " << id << "\n";
  return 0;
}

int plugins_remove(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("id", po::value<std::string>()->required(), "plugin id");
  po::positional_options_description pos;
  pos.add("id", 1);
  auto vm = parse_command(
      ctx, "plugins remove ID",
      "Removes an installed plugin's folder from <state dir>/plugins/ (a running gateway stops\n"
      "it and gives its ports back at once). Bundled plugins are disabled instead.",
      opts, pos, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  std::string id = (*vm)["id"].as<std::string>();
  auto dir = installed_folder(inst, id);
  if (!dir) {
    if (auto elsewhere = on_search_path(ctx, inst, id)) {
      throw usage_error("plugin " + id + " is not installed in " + inst.where(drop_dir(inst)) +
                        " (it comes from " + inst.where(*elsewhere) +
                        "); turn it off with: openclaw-host plugins disable " + id);
    }
    throw usage_error("no plugin \"" + id + "\" is installed (see `openclaw-host plugins list`)");
  }
  Cleanup gone{drop_dir(inst) / (".removed-" + id + "-" + std::to_string(::getpid()))};
  fs::rename(*dir, gone.path);  // gone in one step for a watching gateway
  *ctx.out << "Removed " << id << " (" << inst.where(*dir) << "). " << live_note(inst) << "\n";
  return 0;
}

int plugins_enable(Context& ctx, const std::vector<std::string>& args, bool enable) {
  po::options_description opts("Options");
  opts.add_options()("id", po::value<std::string>()->required(), "plugin id");
  po::positional_options_description pos;
  pos.add("id", 1);
  auto vm =
      parse_command(ctx, std::string("plugins ") + (enable ? "enable" : "disable") + " ID",
                    std::string("Sets plugins.entries.ID.enabled to ") +
                        (enable ? "true" : "false") + " in the config file (a running gateway " +
                        (enable ? "starts" : "stops") + " that plugin alone)." +
                        (enable ? " Also releases it from quarantine (a plugin that crashed the "
                                  "gateway is skipped until then)."
                                : ""),
                    opts, pos, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  std::string id = (*vm)["id"].as<std::string>();
  if (!on_search_path(ctx, inst, id)) {
    throw usage_error("no plugin \"" + id +
                      "\" on the search path (see `openclaw-host plugins list`)");
  }
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  config::assign(cfg.root(), {"plugins", "entries", id, "enabled"}, json::value(enable));
  cfg.save(ctx.paths.state_dir, "cli");
  *ctx.out << (enable ? "Enabled " : "Disabled ") << id << " (plugins.entries." << id
           << ".enabled in " << cfg.where() << "). " << live_note(inst) << "\n";
  if (enable && plugins::release_plugin(inst.paths.state_dir, id)) {
    *ctx.out << "Released " << id << " from quarantine: the gateway's next start loads it again.\n";
  }
  return 0;
}

// ---- plugins doctor --------------------------------------------------------------------------

// Where the ports a plugin would lease stand now: this instance's leases (when its gateway runs),
// the other live instances' leases, and what the system lets bind.
class PortView {
 public:
  PortView(Context& ctx, const Instance& inst)
      : inst_(inst),
        store_(ports::LeaseStore::default_dir(ctx.env), ctx.paths.home),
        instances_(store_.list(false)),
        standard_(ports::standard_requests(inst.config.root())) {
    for (const auto& i : instances_) {
      if (!i.stale && i.owner.state_dir == inst.paths.state_dir.string()) mine_ = &i;
    }
  }
  PortView(const PortView&) = delete;
  PortView& operator=(const PortView&) = delete;

  /// The instance's derived ports, which are the host's plan and not a plugin's.
  const std::vector<sdk::PortRequest>& standard() const { return standard_; }
  bool is_standard(const std::string& name) const {
    bool found = false;
    for (const auto& s : standard_) found = found || s.name == name;
    return found;
  }

  /// {name, port (null when chosen at start), state (free, leased, held, in-use), detail}.
  json::object row(const sdk::PortRequest& req) const {
    auto plan = ports::make_plan(inst_.plan.base, inst_.base.source, {req});
    const auto& pp = plan.ports.at(0);
    std::string state, detail;
    int port = pp.port;
    const ports::Lease* lease = mine_ ? mine_->find(req.name) : nullptr;
    if (lease) {
      port = lease->port, state = "leased", detail = "leased by the running gateway";
    } else if (pp.is_any()) {
      state = "free", detail = "any free port, chosen at start";
    } else if (pp.is_range()) {
      state = "free", detail = "from " + std::to_string(pp.range_lo) + "-" +
                               std::to_string(pp.range_hi) + " at start";
    } else if (const auto* holder = holder_of(port)) {
      state = "held", detail = "held by " + store_.describe(holder->owner);
    } else if (!probe_.bindable(port, req.bind)) {
      state = "in-use", detail = probe_.why_unbindable(port);
    } else {
      state = "free", detail = "free";
    }
    return json::object{{"name", req.name},
                        {"port", port ? json::value(port) : json::value(nullptr)},
                        {"state", state},
                        {"detail", detail}};
  }

 private:
  // The last other live instance holding `port`, if any.
  const ports::InstanceLeases* holder_of(int port) const {
    const ports::InstanceLeases* holder = nullptr;
    for (const auto& x : instances_) {
      if (x.stale || &x == mine_) continue;
      for (const auto& l : x.leases) {
        if (l.port == port) holder = &x;
      }
    }
    return holder;
  }

  const Instance& inst_;
  ports::LeaseStore store_;
  std::vector<ports::InstanceLeases> instances_;
  const ports::InstanceLeases* mine_ = nullptr;
  std::vector<sdk::PortRequest> standard_;
  const ports::PortProbe& probe_ = ports::system_probe();
};

// A plugin as loading left it, before collect_ports() asks for its config and its ports: a config
// its validate() refuses fails it there, and its check is then named for the config, not the load.
struct AsLoaded {
  plugins::State state = plugins::State::failed;
  std::string reason;
  std::string config_problem;  ///< what validate() refuses; "" when valid or not loaded
};

json::object check(const char* name, bool ok, const std::string& detail) {
  return json::object{{"check", name}, {"ok", ok}, {"detail", detail}};
}

// The checks of one plugin: permissions, the load (manifest, API and ABI), and for a loaded one
// its config and whether its ports were accepted into the instance's plan.
json::array plugin_checks(const plugins::Record& r, const AsLoaded& as) {
  json::array checks;
  std::string perm = plugins::unsafe_permissions(r.dir);
  if (perm.empty() && !r.library.empty()) perm = plugins::unsafe_permissions(r.library);
  checks.push_back(check("permissions", perm.empty(), perm.empty() ? "owner-writable only" : perm));
  checks.push_back(
      check("manifest, API and ABI", as.state != plugins::State::failed,
            as.state != plugins::State::loaded
                ? as.reason
                : "API " + std::to_string(OPENCLAW_SDK_API_VERSION) + ", ABI matches"));
  if (as.state != plugins::State::loaded) return checks;
  checks.push_back(check("config", as.config_problem.empty(),
                         as.config_problem.empty() ? "accepted by the plugin" : as.config_problem));
  // Loaded, its config accepted, failed all the same: its ports() threw or were refused.
  if (as.config_problem.empty() && r.state == plugins::State::failed) {
    checks.push_back(check("ports", false, r.reason));
  }
  return checks;
}

// The ports a running plugin would lease beyond the instance's own plan.
json::array plugin_ports(const PortView& view, const plugins::Slot& slot) {
  json::array rows;
  if (slot.record.state != plugins::State::loaded) return rows;
  for (const auto& req : slot.requests) {
    if (!view.is_standard(req.name)) rows.push_back(view.row(req));
  }
  return rows;
}

// The report entry of one plugin: its record as list shows it, "ok", its checks and ports.
json::object doctor_entry(const PortView& view, const plugins::Slot& slot, const AsLoaded& as) {
  json::object o = checked_plugin(slot.record, as.config_problem);
  json::array checks = plugin_checks(slot.record, as);
  json::array port_rows = plugin_ports(view, slot);
  bool bad = false;
  for (const auto& c : checks) bad = bad || !c.at("ok").as_bool();
  for (const auto& p : port_rows) {
    bad = bad || p.at("state").as_string() == "held" || p.at("state").as_string() == "in-use";
  }
  o["ok"] = !bad;
  o["checks"] = std::move(checks);
  o["ports"] = std::move(port_rows);
  return o;
}

void print_doctor(std::ostream& out, const json::array& report, int problems) {
  for (const auto& pv : report) {
    const auto& p = pv.as_object();
    out << (p.at("ok").as_bool() ? "ok      " : "PROBLEM ") << p.at("id").as_string().c_str() << " "
        << p.at("version").as_string().c_str() << " (" << p.at("kind").as_string().c_str() << ") "
        << p.at("path").as_string().c_str() << "\n";
    for (const auto& c : p.at("checks").as_array()) {
      out << "        " << (c.at("ok").as_bool() ? "ok   " : "FAIL ")
          << c.at("check").as_string().c_str() << ": " << c.at("detail").as_string().c_str()
          << "\n";
    }
    for (const auto& port : p.at("ports").as_array()) {
      bool ok = port.at("state").as_string() == "free" || port.at("state").as_string() == "leased";
      out << "        " << (ok ? "ok   " : "FAIL ") << "port "
          << port.at("name").as_string().c_str() << " "
          << (port.at("port").is_null() ? std::string("-")
                                        : std::to_string(port.at("port").as_int64()))
          << ": " << port.at("detail").as_string().c_str() << "\n";
    }
  }
  out << report.size() << " plugin(s), " << problems << " with problems.\n";
}

int plugins_doctor(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print JSON");
  auto vm = parse_command(
      ctx, "plugins doctor [--json]",
      "Checks every plugin on the search path: manifest, API version and ABI, file\n"
      "permissions, its config, and the ports it would lease and whether they are free now.\n"
      "Exit 1 when any plugin has a problem.",
      opts, {}, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  PortView view(ctx, inst);
  boost::asio::io_context io;
  plugins::Manager manager(inst, io, [](sdk::LogLevel, const std::string&) {});
  manager.load(plugins::search_path(inst.paths.state_dir, inst.paths.home, inst.config.root(),
                                    ctx.env, ctx.argv0));
  std::vector<AsLoaded> as_loaded;
  for (const auto& slot : manager.slots()) {
    const auto& r = slot->record;
    bool loaded = r.state == plugins::State::loaded;
    as_loaded.push_back({r.state, r.reason, loaded ? slot->config_problem() : ""});
  }
  manager.collect_ports(view.standard(), inst.plan.base, inst.base.source);

  json::array report;
  int problems = 0;
  for (size_t k = 0; k < manager.slots().size(); ++k) {
    json::object o = doctor_entry(view, *manager.slots()[k], as_loaded[k]);
    problems += o.at("ok").as_bool() ? 0 : 1;
    report.push_back(std::move(o));
  }
  if (vm->count("json")) {
    *ctx.out << json::serialize(json::object{{"problems", problems}, {"plugins", report}}) << "\n";
  } else {
    print_doctor(*ctx.out, report, problems);
  }
  return problems ? 1 : 0;
}

// ---- plugins new -----------------------------------------------------------------------------

std::string fill(std::string text, const std::string& id) {
  for (size_t at; (at = text.find("@ID@")) != std::string::npos;) text.replace(at, 4, id);
  for (size_t at; (at = text.find("@API@")) != std::string::npos;) {
    text.replace(at, 5, std::to_string(OPENCLAW_SDK_API_VERSION));
  }
  return text;
}

const char* const kScaffoldCMake =
    R"(# @ID@: an openclaw-host plugin, built out of tree against the installed SDK.
#
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=/path/to/openclaw-host/prefix
#   cmake --build build && ctest --test-dir build
#   openclaw-host plugins install build/@ID@      # a running gateway loads it at once
cmake_minimum_required(VERSION 3.25)
project(@ID@-plugin LANGUAGES CXX)

find_package(OpenClawSDK 0.1 REQUIRED)

# The plugin: build/@ID@/ holds @ID@.so and openclaw.plugin.json, the folder to install.
openclaw_add_plugin(@ID@
  SOURCES src/plugin.cpp
  MANIFEST openclaw.plugin.json
  OUTPUT_DIR ${CMAKE_BINARY_DIR}/@ID@)

# Its logic, tested without a host.
enable_testing()
add_executable(@ID@-test test/test_reply.cpp)
target_include_directories(@ID@-test PRIVATE src)
target_compile_features(@ID@-test PRIVATE cxx_std_20)
add_test(NAME @ID@-reply COMMAND @ID@-test)
)";

const char* const kScaffoldManifest = R"({
  "id": "@ID@",
  "kind": "other",
  "version": "0.1.0",
  "apiVersion": @API@,
  "description": "@ID@: a new openclaw-host plugin",
  "enabledByDefault": true
}
)";

const char* const kScaffoldReply = R"(#pragma once
// @ID@'s logic, kept apart from the host so that it is tested on its own (test/test_reply.cpp).
#include <string>

namespace plugin {

/// The answer to GET `path`: a small JSON document.
inline std::string reply_for(const std::string& path, const std::string& greeting) {
  std::string escaped;
  for (char c : greeting) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) escaped += c;
  }
  return "{\"plugin\":\"@ID@\",\"greeting\":\"" + escaped + "\",\"pathLength\":" + std::to_string(path.size()) + "}";
}

}  // namespace plugin
)";

const char* const kScaffoldPlugin =
    R"(// @ID@: leases one port from the host's port registry and serves GET / there, adds GET /@ID@ on
// the gateway's own port and a gateway method `@ID@.ping`.
//
// Config (plugins.entries.@ID@.config):  { "greeting": "hi" }
#include <boost/json.hpp>

#include <openclaw/sdk/http_server.hpp>
#include <openclaw/sdk/plugin_export.hpp>

#include "reply.hpp"

namespace sdk = openclaw::sdk;

namespace {

class Main final : public sdk::Plugin {
 public:
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    if (const auto* g = host.config().if_contains("greeting"); g && !g->is_string()) {
      return {{"plugins.entries.@ID@.config.greeting", "must be a string"}};
    }
    return {};
  }

  std::vector<sdk::PortRequest> ports(const sdk::Host&) override { return {sdk::plugin_port("@ID@.http")}; }

  void start(sdk::Host& host) override {
    greeting_ = "hello";
    if (const auto* g = host.config().if_contains("greeting"); g && g->is_string()) {
      greeting_ = std::string(g->get_string());
    }
    server_ = std::make_unique<sdk::HttpServer>(host.io(), [this](const sdk::HttpRequest& req) {
      return sdk::HttpResponse::text(200, plugin::reply_for(req.path, greeting_), "application/json");
    });
    server_->listen(host.bind_address("@ID@.http"), host.port("@ID@.http"));
    host.add_route("GET", "/@ID@", [this](const sdk::HttpRequest& req) {
      return sdk::HttpResponse::text(200, plugin::reply_for(req.path, greeting_), "application/json");
    });
    host.add_method("@ID@.ping", [](const boost::json::value&) { return boost::json::value("pong"); });
    host.log(sdk::LogLevel::info, "serving on port " + std::to_string(host.port("@ID@.http")));
  }

  void stop() override {
    if (server_) server_->stop();
    server_.reset();
  }

 private:
  std::string greeting_;
  std::unique_ptr<sdk::HttpServer> server_;
};

}  // namespace

OPENCLAW_PLUGIN(Main)
)";

const char* const kScaffoldTest = R"(// @ID@'s logic without a host: run by ctest.
#include <cstdio>

#include "reply.hpp"

int main() {
  int failures = 0;
  auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "FAILED: %s\n", what);
      ++failures;
    }
  };
  std::string r = plugin::reply_for("/x", "hi");
  expect(r == "{\"plugin\":\"@ID@\",\"greeting\":\"hi\",\"pathLength\":2}", "plain reply");
  expect(plugin::reply_for("/", "a\"b").find("a\\\"b") != std::string::npos, "quotes are escaped");
  return failures == 0 ? 0 : 1;
}
)";

const char* const kScaffoldReadme = R"(# @ID@

An openclaw-host plugin. Build it against the installed SDK, test it, install it:

```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=/path/to/openclaw-host/prefix
cmake --build build
ctest --test-dir build
openclaw-host plugins install build/@ID@
openclaw-host plugins info @ID@
```

A running gateway loads it at once; `openclaw-host plugins doctor` shows the port it leases.
Configure it under `plugins.entries.@ID@.config` (`{"greeting": "hi"}`). See the plugin
authoring guide (docs/plugin-authoring.md) for everything the SDK offers.
)";

int plugins_new(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("name", po::value<std::string>()->required(), "the plugin id")(
      "dir", po::value<std::string>()->value_name("D"), "where to create it (default: ./NAME)");
  po::positional_options_description pos;
  pos.add("name", 1);
  auto vm = parse_command(
      ctx, "plugins new NAME [--dir D]",
      "Creates an out-of-tree plugin project: CMakeLists.txt (find_package(OpenClawSDK)), a "
      "plugin\n"
      "that leases a port and serves on it, its manifest, a test and a README. It builds against\n"
      "the installed SDK as generated.",
      opts, pos, args);
  if (!vm) return 0;
  std::string id = (*vm)["name"].as<std::string>();
  if (!plugins::valid_plugin_id(id)) {
    throw usage_error(
        "\"" + id +
        "\" is not a valid plugin id: use lower case letters, digits, '.', '_' and '-'");
  }
  fs::path dir = vm->count("dir")
                     ? profile::expand_user((*vm)["dir"].as<std::string>(), ctx.paths.home)
                     : fs::path(id);
  dir = fs::absolute(dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    throw usage_error("the folder exists and is not empty; choose another with --dir",
                      dir.string());
  }
  const std::vector<std::pair<std::string, const char*>> files = {
      {"CMakeLists.txt", kScaffoldCMake},
      {"openclaw.plugin.json", kScaffoldManifest},
      {"src/reply.hpp", kScaffoldReply},
      {"src/plugin.cpp", kScaffoldPlugin},
      {"test/test_reply.cpp", kScaffoldTest},
      {"README.md", kScaffoldReadme},
      {".gitignore", "build/\n"}};
  for (const auto& [name, text] : files) {
    fs::create_directories((dir / name).parent_path());
    sdk::write_file_atomic(dir / name, fill(text, id), fs::perms(0644), false, /*durable=*/false);
  }
  *ctx.out << "Created plugin project " << id << " in " << dir.string() << ".\nNext:\n"
           << "  cmake -S " << dir.string() << " -B " << (dir / "build").string()
           << " -DCMAKE_PREFIX_PATH=<openclaw-host prefix>\n"
           << "  cmake --build " << (dir / "build").string() << " && ctest --test-dir "
           << (dir / "build").string() << "\n"
           << "  openclaw-host plugins install " << (dir / "build" / id).string() << "\n";
  return 0;
}

}  // namespace

int plugins_manage(Context& ctx, const std::string& sub, const std::vector<std::string>& args) {
  if (sub == "install") return plugins_install(ctx, args);
  if (sub == "remove") return plugins_remove(ctx, args);
  if (sub == "enable") return plugins_enable(ctx, args, true);
  if (sub == "disable") return plugins_enable(ctx, args, false);
  if (sub == "doctor") return plugins_doctor(ctx, args);
  if (sub == "new") return plugins_new(ctx, args);
  return -1;
}

}  // namespace openclaw::cli
