// `setup`: create the state dir, config and workspace of a profile, and give it a base port
// whose whole derived set overlaps no other profile on this machine. `onboard` (onboard.cpp)
// asks for the same and more, then runs the same request.
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "cli/setup.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/config.hpp"
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

// Why `base` was chosen for a profile that preferred `preferred`: its default, or what the
// preferred set overlaps.
std::string why_chosen(int preferred, int base, const std::vector<ports::Interval>& occupied,
                       const std::optional<std::string>& profile, bool from_env) {
  if (base == preferred)
    return from_env ? std::string("from OPENCLAW_GATEWAY_PORT")
                    : "default for " + profile_label(profile);
  for (const auto& iv : occupied) {
    if (preferred <= iv.hi && iv.lo <= preferred + profile::kDerivedSpan) {
      return std::to_string(preferred) + ".." + std::to_string(preferred + profile::kDerivedSpan) +
             " overlaps " + iv.owner + "; nearest free base";
    }
  }
  return std::to_string(preferred) + " is in use; nearest free base";
}

// A base for a profile without gateway.port: its default (or OPENCLAW_GATEWAY_PORT), else the
// nearest one whose derived set overlaps no other profile. The base and why it was chosen.
std::pair<int, std::string> choose_free_base(const Context& ctx) {
  const auto& paths = ctx.paths;
  int preferred = profile::default_base_port(paths.profile);
  const auto from_env = ctx.env.get("OPENCLAW_GATEWAY_PORT");
  if (from_env) preferred = profile::parse_port(*from_env, "OPENCLAW_GATEWAY_PORT");
  ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), paths.home);
  auto occupied =
      occupied_ports(discover_profiles(paths.home), store.list(false), paths.state_dir, paths.home);
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
  return {*base, why_chosen(preferred, *base, occupied, paths.profile, from_env.has_value())};
}

// One run of setup: the config it edits and each change it made, in order. Every step changes
// only what is missing or differs, so running it again changes nothing.
class Setup {
 public:
  // Load first: a config that does not parse is reported and never overwritten.
  explicit Setup(Context& ctx)
      : ctx_(ctx), paths_(ctx.paths), cfg_(config::Config::load(paths_.config_path, paths_.home)) {
    config::require_valid(cfg_);
    config_changed_ = !cfg_.exists();
  }

  void create_state_dir() {
    std::error_code ec;
    if (fs::is_directory(paths_.state_dir, ec)) return;
    try {
      sdk::create_private_dirs(paths_.state_dir);
    } catch (const std::system_error& e) {
      throw usage_error(std::string("cannot create the state dir: ") + e.what(),
                        shown(paths_.state_dir));
    }
    changes_.push_back("created state dir " + shown(paths_.state_dir) + " (0700)");
  }

  // --port when given, else a free base for a profile that has none.
  void set_base_port(std::optional<int> flag) {
    auto current_port = config::get_int(cfg_.root(), "gateway.port");
    if (flag) {
      if (*flag > profile::kMaxBasePort) {
        throw usage_error("--port " + std::to_string(*flag) +
                          " leaves no room for the derived ports: base + 110 must be <= 65535");
      }
      if (auto warning = ports::ephemeral_base_warning(
              *flag, "--port", ports::system_ephemeral_range(), paths_.profile);
          !warning.empty()) {
        *ctx_.err << "openclaw-host: warning: " << warning << "\n";
      }
      if (current_port != *flag) {
        config::assign(cfg_.root(), {"gateway", "port"}, *flag);
        changed("set gateway.port = " + std::to_string(*flag));
      }
    } else if (!current_port) {
      auto [base, why] = choose_free_base(ctx_);
      config::assign(cfg_.root(), {"gateway", "port"}, base);
      changed("set gateway.port = " + std::to_string(base) + " (" + why + ")");
    }
  }

  // OpenClaw's own setup marks a local gateway `gateway.mode: "local"`; without it the real
  // OpenClaw refuses to start a gateway on the profile ("existing config is missing
  // gateway.mode"). A mode already set is left as it is.
  void set_local_mode() {
    if (config::find(cfg_.root(), {"gateway", "mode"})) return;
    config::assign(cfg_.root(), {"gateway", "mode"}, boost::json::string("local"));
    changed("set gateway.mode = local (as OpenClaw's setup does for a gateway on this machine)");
  }

  // A gateway without a token accepts every local client: the default is a random one, as
  // OpenClaw's onboarding makes. Its value is never printed; the CLI reads it from the config.
  void create_token() {
    if (config::get_string(cfg_.root(), "gateway.auth.token") ||
        ctx_.env.get("OPENCLAW_GATEWAY_TOKEN")) {
      return;
    }
    config::assign(cfg_.root(), {"gateway", "auth", "mode"}, boost::json::string("token"));
    config::assign(cfg_.root(), {"gateway", "auth", "token"},
                   boost::json::string(sdk::random_hex(24)));
    changed("created a gateway token (gateway.auth.token; `config get` shows it redacted)");
  }

  // --watch main,other (or "*"): the profiles this instance's rescue bot watches, in its own
  // block (plugins.entries.rescue.config.watch: a root key would make OpenClaw refuse the file).
  void set_watch(const std::string& flag) {
    boost::json::array profiles;
    std::string item;
    std::istringstream in(flag);
    while (std::getline(in, item, ',')) {
      if (item.empty()) continue;
      if (item != "*") {
        auto name = profile::normalize_name(item, "--watch");  // throws for a bad name
        if (name == paths_.profile) {
          throw usage_error("--watch: an instance does not watch itself (\"" + item + "\")");
        }
        item = name.value_or("default");
      }
      profiles.emplace_back(item);
    }
    if (profiles.empty()) throw usage_error("--watch needs profile names, e.g. --watch main");
    const boost::json::value* now =
        config::find(cfg_.root(), {"plugins", "entries", "rescue", "config", "watch"});
    if (now && *now == boost::json::value(profiles)) return;
    config::assign(cfg_.root(), {"plugins", "entries", "rescue", "config", "watch"}, profiles);
    changed("set plugins.entries.rescue.config.watch = " + boost::json::serialize(profiles) +
            " (the rescue bot tells plugins.entries.rescue.config.notify when one fails)");
  }

  void set_workspace(const std::string& flag) {
    fs::path ws = fs::absolute(profile::expand_user(flag, paths_.home)).lexically_normal();
    if (config::get_string(cfg_.root(), "agents.defaults.workspace") == ws.string()) return;
    config::assign(cfg_.root(), {"agents", "defaults", "workspace"},
                   boost::json::string(ws.string()));
    changed("set agents.defaults.workspace = " + shown(ws));
  }

  // A channel block (channels.irc, channels.telegram): each given key set, the others kept.
  void merge_channel(const std::string& channel, const boost::json::object& block) {
    for (const auto& [k, v] : block) {
      const std::string key(k);
      const boost::json::value* now = config::find(cfg_.root(), {"channels", channel, key});
      if (now && *now == v) continue;
      config::assign(cfg_.root(), {"channels", channel, key}, v);
      changed("set channels." + channel + "." + key + " = " + sdk::shown_value(key, v));
    }
  }

  void set_notify(const boost::json::array& targets) {
    const boost::json::value* now =
        config::find(cfg_.root(), {"plugins", "entries", "rescue", "config", "notify"});
    if (targets.empty() || (now && *now == boost::json::value(targets))) return;
    config::assign(cfg_.root(), {"plugins", "entries", "rescue", "config", "notify"}, targets);
    changed("set plugins.entries.rescue.config.notify = " + boost::json::serialize(targets));
  }

  // Before anything is written: the host's checks and the enabled plugins' own (an IRC nick
  // with a space, a token file that cannot be read), each with its key.
  void check(bool with_plugins) {
    config::require_valid(cfg_);
    if (!with_plugins) return;
    auto problems = config_problems(ctx_, cfg_);
    if (problems.empty()) return;
    std::string all;
    for (const auto& p : problems) {
      all += all.empty() ? "" : "; ";
      all += p.message.rfind(p.key, 0) == 0 ? p.message : p.key + ": " + p.message;
    }
    throw usage_error("nothing written: " + all, cfg_.where());
  }

  void save_config(bool with_plugins) {
    if (!config_changed_) return;
    check(with_plugins);
    bool existed = cfg_.exists();
    cfg_.save(paths_.state_dir, "setup");
    changes_.push_back((existed ? "updated config " : "created config ") + cfg_.where() +
                       " (0600)");
  }

  void create_workspace() {
    fs::path workspace = resolve_workspace(paths_, cfg_);
    std::error_code ec;
    if (fs::is_directory(workspace, ec)) return;
    try {
      sdk::create_private_dirs(workspace);
    } catch (const std::system_error& e) {
      throw usage_error(std::string("cannot create the workspace: ") + e.what(), shown(workspace));
    }
    changes_.push_back("created workspace " + shown(workspace));
  }

  void print(std::ostream& out) const {
    if (changes_.empty()) {
      out << "Nothing to change: " << profile_label(paths_.profile) << " is already set up ("
          << cfg_.where() << ", gateway.port " << *config::get_int(cfg_.root(), "gateway.port")
          << ").\n";
      return;
    }
    out << "Set up " << profile_label(paths_.profile) << ":\n";
    for (const auto& c : changes_) out << "  - " << c << "\n";
    out << "Start it with: openclaw-host" << (paths_.profile ? " --profile " + *paths_.profile : "")
        << " gateway\n";
  }

 private:
  std::string shown(const fs::path& p) const { return profile::display_path(p, paths_.home); }
  // A change of the config, saved by save_config().
  void changed(std::string what) {
    changes_.push_back(std::move(what));
    config_changed_ = true;
  }

  Context& ctx_;
  const profile::Paths& paths_;
  config::Config cfg_;
  std::vector<std::string> changes_;
  bool config_changed_ = false;
};

}  // namespace

std::pair<int, std::string> suggested_base(const Context& ctx) {
  return choose_free_base(ctx);
}

int run_setup(Context& ctx, const SetupRequest& r) {
  Setup setup(ctx);
  setup.create_state_dir();
  setup.set_base_port(r.port);
  setup.set_local_mode();
  if (r.token) setup.create_token();
  if (r.workspace) setup.set_workspace(*r.workspace);
  if (r.watch) setup.set_watch(*r.watch);
  if (r.irc) setup.merge_channel("irc", *r.irc);
  if (r.telegram) setup.merge_channel("telegram", *r.telegram);
  setup.set_notify(r.notify);
  // A channel the wizard configured is checked by its plugin before anything is written.
  setup.save_config(r.irc || r.telegram || !r.notify.empty());
  setup.create_workspace();
  setup.print(*ctx.out);
  if (r.install_service) return cmd_gateway(ctx, {"install"});
  return 0;
}

int cmd_setup(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("port", po::value<std::string>()->value_name("N"),
                     "base port to write to gateway.port")(
      "workspace", po::value<std::string>()->value_name("DIR"),
      "workspace dir to write to agents.defaults.workspace")(
      "watch", po::value<std::string>()->value_name("PROFILES"),
      "profiles this instance's rescue bot watches (comma-separated, or \"*\" for every other "
      "one): plugins.entries.rescue.config.watch")(
      "no-token",
      "do not create a gateway token (any local program, and any web page that "
      "gets past the Origin checks, can then drive the gateway)");
  auto vm = parse_command(ctx, "setup [--port N] [--workspace DIR] [--watch PROFILES] [--no-token]",
                          "Creates the state dir (0700), config (0600) and workspace of the "
                          "profile.\nWithout --port, a profile with no gateway.port gets the "
                          "profile's default base port,\nor the nearest one whose derived ports "
                          "(base .. base + 110) overlap no other profile.\nA profile without "
                          "gateway.auth.token gets a random one (gateway.auth.mode \"token\"),\n"
                          "which the CLI reads from the config; --no-token skips it.\nRunning "
                          "it again changes nothing. `onboard` asks for the same and more.",
                          opts, {}, args);
  if (!vm) return 0;
  SetupRequest r;
  r.port = port_option(*vm);
  r.token = !vm->count("no-token");
  if (vm->count("workspace")) r.workspace = (*vm)["workspace"].as<std::string>();
  if (vm->count("watch")) r.watch = (*vm)["watch"].as<std::string>();
  return run_setup(ctx, r);
}

}  // namespace openclaw::cli
