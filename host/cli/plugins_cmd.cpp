// `plugins list [--json]`, `plugins info ID [--json]`: what is on the plugin search path and in
// which state. With a running gateway the states are the gateway's; otherwise each plugin is
// checked as the gateway would load it (manifest, permissions, API version, ABI) and asked
// whether it accepts its config, without starting it.
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "core/error.hpp"
#include "gateway/instance_record.hpp"
#include "openclaw/sdk/json.hpp"
#include "plugins/loader.hpp"
#include "plugins/manager.hpp"

namespace openclaw::cli {
namespace json = boost::json;

json::object checked_plugin(const plugins::Record& record, const std::string& config_problem) {
  json::object o = plugins::to_json(record);
  if (!config_problem.empty()) {
    o["state"] = "invalid-config";
    o["reason"] = config_problem;
  } else if (record.state == plugins::State::loaded) {
    o["state"] = "ok";  // checked, not started
  }
  return o;
}

namespace {

struct Listing {
  bool live = false;
  json::array plugins;
};

Listing listing(Context& ctx, const Instance& inst) {
  Listing out;
  if (auto rec = gateway::read_live_record(inst.paths.state_dir)) {
    out.live = true;
    out.plugins = rec->plugins;
    return out;
  }
  // The objects are created (a few ms each, as for `config validate`) so that a config the
  // plugin would refuse at start shows here as it does in `plugins doctor`.
  boost::asio::io_context io;
  plugins::Manager manager(inst, io, [](sdk::LogLevel, const std::string&) {});
  plugins::LoadOptions options;
  options.quarantined = plugins::read_quarantine(inst.paths.state_dir);  // as the gateway skips
  manager.load(plugins::search_path(inst.paths.state_dir, inst.paths.home, inst.config.root(),
                                    ctx.env, ctx.argv0),
               options);
  for (const auto& slot : manager.slots()) {
    bool loaded = slot->record.state == plugins::State::loaded;
    out.plugins.push_back(checked_plugin(slot->record, loaded ? slot->config_problem() : ""));
  }
  return out;
}

std::string str(const json::value& v, const char* key) {
  const json::value* x = v.as_object().if_contains(key);
  return x && x->is_string() ? std::string(x->get_string()) : std::string();
}

int plugins_list(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print JSON");
  auto vm = parse_command(ctx, "plugins list [--json]",
                          "Lists the plugins on the search path: id, kind, version, path, state "
                          "and reason.\nStates: running/failed/stopped (from the running "
                          "gateway), ok (checked, gateway not running),\ninvalid-config (its "
                          "validate() refuses the config; the reason names the keys), disabled.",
                          opts, {}, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  auto l = listing(ctx, inst);
  if (vm->count("json")) {
    *ctx.out << json::serialize(json::object{{"gatewayRunning", l.live}, {"plugins", l.plugins}})
             << "\n";
    return 0;
  }
  auto& out = *ctx.out;
  std::string missing = plugins::bundled_problem(ctx.env, inst.paths.home, ctx.argv0);
  if (!missing.empty()) out << "Warning: " << missing << ".\n";
  if (l.plugins.empty()) {
    out << "No plugins found. Drop a plugin folder into "
        << inst.where(inst.paths.state_dir / "plugins") << "/.\n";
    return 0;
  }
  // STATE is as wide as its longest value, invalid-config.
  out << pad("ID", 18) << pad("KIND", 8) << pad("VERSION", 9) << pad("STATE", 14)
      << "PATH / REASON\n";
  for (const auto& p : l.plugins) {
    std::string reason = str(p, "reason");
    out << pad(str(p, "id"), 18) << pad(str(p, "kind"), 8) << pad(str(p, "version"), 9)
        << pad(str(p, "state"), 14) << str(p, "path")
        << (reason.empty() ? "" : "\n" + std::string(51, ' ') + reason) << "\n";
  }
  return 0;
}

int plugins_info(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("id", po::value<std::string>()->required(), "plugin id")("json", "print JSON");
  po::positional_options_description pos;
  pos.add("id", 1);
  auto vm = parse_command(ctx, "plugins info ID [--json]", "Shows one plugin.", opts, pos, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  std::string id = (*vm)["id"].as<std::string>();
  for (const auto& p : listing(ctx, inst).plugins) {
    if (str(p, "id") != id) continue;
    if (vm->count("json")) {
      *ctx.out << json::serialize(p) << "\n";
    } else {
      *ctx.out << sdk::to_pretty_json(p);
    }
    return 0;
  }
  throw usage_error("no plugin \"" + id +
                    "\" on the search path (see `openclaw-host plugins list`)");
}

}  // namespace

int plugins_manage(Context& ctx, const std::string& sub, const std::vector<std::string>& args);

int cmd_plugins(Context& ctx, const std::vector<std::string>& args) {
  constexpr const char* kSubcommands = "list, info, install, remove, enable, disable, doctor, new";
  if (args.empty()) {
    throw usage_error(std::string("plugins: missing subcommand: ") + kSubcommands +
                      " (see `openclaw-host plugins --help`)");
  }
  if (args[0] == "--help" || args[0] == "-h") {
    *ctx.out << "Usage: openclaw-host [--profile NAME] plugins <subcommand>\n\n"
                "Subcommands:\n"
                "  list [--json]                every plugin on the search path and its state\n"
                "  info ID [--json]             one plugin\n"
                "  install PATH [--force]       install a plugin folder or .tar.gz into <state "
                "dir>/plugins/\n"
                "  remove ID                    remove an installed plugin\n"
                "  enable ID | disable ID       set plugins.entries.ID.enabled in the config file\n"
                "  doctor [--json]              check manifests, ABI, permissions and the ports "
                "plugins would lease\n"
                "  new NAME [--dir D]           create an out-of-tree plugin project\n\n"
                "Search path: the bundled plugin dir, <state dir>/plugins/, plugins.load.paths.\n"
                "A running gateway applies installs, removals and enable/disable at once, without "
                "a restart.\n";
    return 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "list") return plugins_list(ctx, rest);
  if (args[0] == "info") return plugins_info(ctx, rest);
  if (int rc = plugins_manage(ctx, args[0], rest); rc >= 0) return rc;
  throw usage_error("plugins: unknown subcommand \"" + args[0] + "\" (" + kSubcommands + ")");
}

}  // namespace openclaw::cli
