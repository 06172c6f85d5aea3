// `setup` / `onboard`: create the state dir, config and workspace of a profile, and give it a
// base port whose whole derived set overlaps no other profile on this machine.
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/files.hpp"
#include "ports/lease_store.hpp"
#include "ports/system.hpp"

namespace openclaw::cli {
namespace fs = std::filesystem;

namespace {

std::string profile_label(const std::optional<std::string>& p) {
  return p ? "profile \"" + *p + "\"" : "the default profile";
}

// A base is usable when its fixed derived ports can be bound right now.
bool fixed_ports_bindable(int base) {
  const auto& probe = ports::system_probe();
  for (int offset : {0, 1, 2, 4}) {
    if (!probe.bindable(base + offset, "127.0.0.1")) return false;
  }
  return true;
}

}  // namespace

namespace {
int setup_as(Context& ctx, const std::vector<std::string>& args, const std::string& name) {
  po::options_description opts("Options");
  opts.add_options()("port", po::value<std::string>()->value_name("N"),
                     "base port to write to gateway.port")(
      "workspace", po::value<std::string>()->value_name("DIR"),
      "workspace dir to write to agents.defaults.workspace")(
      "no-token",
      "do not create a gateway token (any local program, and any web page that "
      "gets past the Origin checks, can then drive the gateway)");
  auto vm = parse_command(ctx, name + " [--port N] [--workspace DIR] [--no-token]",
                          "Creates the state dir (0700), config (0600) and workspace of the "
                          "profile.\nWithout --port, a profile with no gateway.port gets the "
                          "profile's default base port,\nor the nearest one whose derived ports "
                          "(base .. base + 110) overlap no other profile.\nA profile without "
                          "gateway.auth.token gets a random one (gateway.auth.mode \"token\"),\n"
                          "which the CLI reads from the config; --no-token skips it.\nRunning "
                          "it again changes nothing.",
                          opts, {}, args);
  if (!vm) return 0;
  const auto& paths = ctx.paths;
  auto shown = [&](const fs::path& p) { return profile::display_path(p, paths.home); };

  // Load first: a config that does not parse is reported and never overwritten.
  auto cfg = config::Config::load(paths.config_path, paths.home);
  config::require_valid(cfg);

  std::vector<std::string> changes;
  bool config_changed = !cfg.exists();

  std::error_code ec;
  if (!fs::is_directory(paths.state_dir, ec)) {
    try {
      sdk::create_private_dirs(paths.state_dir);
    } catch (const std::system_error& e) {
      throw usage_error(std::string("cannot create the state dir: ") + e.what(),
                        shown(paths.state_dir));
    }
    changes.push_back("created state dir " + shown(paths.state_dir) + " (0700)");
  }

  auto current_port = config::get_int(cfg.root(), "gateway.port");
  if (auto flag = port_option(*vm)) {
    if (*flag > profile::kMaxBasePort) {
      throw usage_error("--port " + std::to_string(*flag) +
                        " leaves no room for the derived ports: base + 110 must be <= 65535");
    }
    if (auto warning = ports::ephemeral_base_warning(
            *flag, "--port", ports::system_ephemeral_range(), paths.profile);
        !warning.empty()) {
      *ctx.err << "openclaw-host: warning: " << warning << "\n";
    }
    if (current_port != *flag) {
      config::assign(cfg.root(), {"gateway", "port"}, *flag);
      changes.push_back("set gateway.port = " + std::to_string(*flag));
      config_changed = true;
    }
  } else if (!current_port) {
    int preferred = profile::default_base_port(paths.profile);
    if (auto e = ctx.env.get("OPENCLAW_GATEWAY_PORT")) {
      preferred = profile::parse_port(*e, "OPENCLAW_GATEWAY_PORT");
    }
    ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), paths.home);
    auto occupied = occupied_ports(discover_profiles(paths.home), store.list(false),
                                   paths.state_dir, paths.home);
    // The kernel's ephemeral range is nobody's: outgoing connections take ports there at random.
    // Only if no base outside it is left does the choice fall back to one inside.
    const auto& eph = ports::system_ephemeral_range();
    auto avoiding = occupied;
    avoiding.push_back({eph.lo, eph.hi, "the kernel's ephemeral port range " + eph.text()});
    auto base = ports::choose_base(preferred, avoiding, fixed_ports_bindable);
    if (base) occupied = std::move(avoiding);
    if (!base) base = ports::choose_base(preferred, occupied, fixed_ports_bindable);
    if (!base)
      throw conflict_error("no base port with a free derived set (base .. base + 110) is left");
    std::string why = "default for " + profile_label(paths.profile);
    if (*base != preferred) {
      for (const auto& iv : occupied) {
        if (preferred <= iv.hi && iv.lo <= preferred + profile::kDerivedSpan) {
          why = std::to_string(preferred) + ".." +
                std::to_string(preferred + profile::kDerivedSpan) + " overlaps " + iv.owner +
                "; nearest free base";
          break;
        }
      }
      if (why.rfind("default", 0) == 0)
        why = std::to_string(preferred) + " is in use; nearest free base";
    }
    config::assign(cfg.root(), {"gateway", "port"}, *base);
    changes.push_back("set gateway.port = " + std::to_string(*base) + " (" + why + ")");
    config_changed = true;
  }

  // A gateway without a token accepts every local client: the default is a random one, as
  // OpenClaw's onboarding makes. Its value is never printed; the CLI reads it from the config.
  if (!vm->count("no-token") && !config::get_string(cfg.root(), "gateway.auth.token") &&
      !ctx.env.get("OPENCLAW_GATEWAY_TOKEN")) {
    config::assign(cfg.root(), {"gateway", "auth", "mode"}, boost::json::string("token"));
    config::assign(cfg.root(), {"gateway", "auth", "token"},
                   boost::json::string(sdk::random_hex(24)));
    changes.push_back(
        "created a gateway token (gateway.auth.token; `config get` shows it redacted)");
    config_changed = true;
  }

  if (vm->count("workspace")) {
    fs::path ws =
        fs::absolute(profile::expand_user((*vm)["workspace"].as<std::string>(), paths.home))
            .lexically_normal();
    if (config::get_string(cfg.root(), "agents.defaults.workspace") != ws.string()) {
      config::assign(cfg.root(), {"agents", "defaults", "workspace"},
                     boost::json::string(ws.string()));
      changes.push_back("set agents.defaults.workspace = " + shown(ws));
      config_changed = true;
    }
  }

  if (config_changed) {
    config::require_valid(cfg);
    bool existed = cfg.exists();
    cfg.save();
    changes.push_back((existed ? "updated config " : "created config ") + cfg.where() + " (0600)");
  }

  fs::path workspace = resolve_workspace(paths, cfg);
  if (!fs::is_directory(workspace, ec)) {
    try {
      sdk::create_private_dirs(workspace);
    } catch (const std::system_error& e) {
      throw usage_error(std::string("cannot create the workspace: ") + e.what(), shown(workspace));
    }
    changes.push_back("created workspace " + shown(workspace));
  }

  auto& out = *ctx.out;
  if (changes.empty()) {
    out << "Nothing to change: " << profile_label(paths.profile) << " is already set up ("
        << cfg.where() << ", gateway.port " << *config::get_int(cfg.root(), "gateway.port")
        << ").\n";
    return 0;
  }
  out << "Set up " << profile_label(paths.profile) << ":\n";
  for (const auto& c : changes) out << "  - " << c << "\n";
  out << "Start it with: openclaw-host" << (paths.profile ? " --profile " + *paths.profile : "")
      << " gateway\n";
  return 0;
}
}  // namespace

int cmd_setup(Context& ctx, const std::vector<std::string>& args) {
  return setup_as(ctx, args, "setup");
}

int cmd_onboard(Context& ctx, const std::vector<std::string>& args) {
  return setup_as(ctx, args, "onboard");
}

}  // namespace openclaw::cli
