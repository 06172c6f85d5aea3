// Global options, command dispatch and the error boundary of `openclaw-host`.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iostream>
#include <set>
#include <string_view>

#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/instance_record.hpp"
#include "openclaw/sdk/log.hpp"

namespace openclaw::cli {
namespace fs = std::filesystem;

namespace {

// `subcommands`: the words the command's first argument may be (space-separated), for
// `completion`; tests/integration/test_completion.cpp checks them against each command's own help
// and errors, so a subcommand missing here fails the suite.
struct Command {
  const char* name;
  const char* summary;
  CommandFn fn;
  const char* subcommands = "";
};

constexpr std::array kCommands{
    Command{"setup", "create the state dir, config and workspace; pick a free base port",
            cmd_setup},
    Command{"onboard",
            "setup with questions on a terminal (port, workspace, rescue watch, channel, "
            "service)",
            cmd_onboard},
    Command{"gateway", "run the gateway in the foreground (holds the instance's port leases)",
            cmd_gateway, "run install uninstall start stop restart status call probe"},
    Command{"status", "show the instance: paths, services, ports, running or not", cmd_status},
    Command{"health", "call the running gateway's health method over WebSocket", cmd_health},
    Command{"ports",
            "show this instance's port plan, every lease on the machine (--all), or its map "
            "(--all --svg)",
            cmd_ports},
    Command{"config",
            "file | get | set | unset | validate | history | rollback the instance's config",
            cmd_config, "file get set unset validate schema history rollback"},
    Command{"doctor",
            "check this instance, or the isolation of every instance on the machine (--all)",
            cmd_doctor},
    Command{"plugins",
            "list | info | install | remove | enable | disable | doctor | new: manage plugins",
            cmd_plugins, "list info install remove enable disable doctor new"},
    Command{"browser", "drive this instance's browser (status, start, open, snapshot, click, ...)",
            cmd_browser,
            "status profiles create-profile delete-profile start stop tabs open focus close "
            "navigate screenshot snapshot click type press evaluate"},
    Command{"canvas", "the canvas host: status [--json]", cmd_canvas, "status"},
    Command{"channels", "messaging channels: list | status [--json] [--probe]", cmd_channels,
            "list status"},
    Command{"message", "send --channel C --target T --message TEXT through a channel", cmd_message,
            "send"},
    Command{"pairing", "list | approve CHANNEL CODE: let a new sender talk to the bot", cmd_pairing,
            "list approve"},
    Command{"completion", "print a bash or zsh completion script", cmd_completion, "bash zsh"},
};

}  // namespace

po::options_description global_options() {
  po::options_description opts("Global options (before the command)");
  opts.add_options()(
      "profile", po::value<std::string>()->value_name("NAME"),
      "isolate state dir, config, workspace, service name and ports under profile NAME")(
      "dev", "shorthand for --profile dev (default base port 19001)")(
      "log-level", po::value<std::string>()->value_name("LEVEL")->default_value("info"),
      "error, warn, info or debug")("no-color", "plain output without ANSI colors")(
      "version,V", "print the version and exit")("help,h", "show this help");
  return opts;
}

std::vector<CommandInfo> commands() {
  std::vector<CommandInfo> out;
  for (const auto& c : kCommands) {
    CommandInfo info{c.name, c.summary, {}, c.fn};
    std::string_view subs = c.subcommands;
    while (!subs.empty()) {
      auto end = subs.find(' ');
      if (end != 0) info.subcommands.emplace_back(subs.substr(0, end));
      if (end == std::string_view::npos) break;
      subs.remove_prefix(end + 1);
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<CommandSpec::Option> describe_options(const po::options_description& options) {
  std::vector<CommandSpec::Option> out;
  for (const auto& o : options.options()) {
    CommandSpec::Option opt{o->long_name(), {}, o->description()};
    if (o->semantic()->max_tokens() > 0) {
      // The semantic's name is the value name, plus " (=default)" when there is a default.
      std::string name = o->semantic()->name();
      opt.value_name = name.substr(0, name.find(" (="));
    }
    out.push_back(std::move(opt));
  }
  return out;
}

namespace {

void print_help(std::ostream& out) {
  out << "openclaw-host " << kVersion
      << " - run isolated OpenClaw-style gateways (main, rescue, ...) on one machine\n\n"
         "Usage: openclaw-host [--profile NAME | --dev] [--log-level L] [--no-color] <command> "
         "[args]\n\n"
      << global_options() << "\nCommands:\n";
  size_t width = 0;
  for (const auto& c : kCommands) width = std::max(width, std::string_view(c.name).size());
  for (const auto& c : kCommands) {
    std::string name = c.name;
    name.resize(width + 2, ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nRun `openclaw-host <command> --help` for a command's options.\n"
         "Environment: OPENCLAW_PROFILE, OPENCLAW_HOME, OPENCLAW_STATE_DIR, "
         "OPENCLAW_CONFIG_PATH,\n"
         "  OPENCLAW_GATEWAY_PORT, OPENCLAW_PORT_REGISTRY_DIR (flags win over env, env over "
         "config).\n";
}

// Options before the command are global; the first other word is the command.
size_t split_global(const std::vector<std::string>& argv) {
  size_t i = 0;
  while (i < argv.size()) {
    const std::string& a = argv[i];
    if (a.empty() || a[0] != '-' || a == "-" || a == "--") break;
    bool takes_value = a == "--profile" || a == "--log-level";
    ++i;
    if (takes_value && i < argv.size() && !argv[i].empty() && argv[i][0] != '-') ++i;
  }
  return i;
}

std::string self_path(const char* argv0) {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) return p.string();
  return argv0 ? fs::absolute(argv0).string() : "openclaw-host";
}

}  // namespace

Instance Context::instance(std::optional<int> port_flag) const {
  return resolve_instance(paths, config::Config::load(paths.config_path, paths.home), port_flag,
                          env);
}

std::optional<po::variables_map> parse_command(Context& ctx, const std::string& usage,
                                               const std::string& summary,
                                               const po::options_description& options,
                                               const po::positional_options_description& positional,
                                               const std::vector<std::string>& args) {
  po::options_description all(options);
  all.add_options()("help", "show this help (also -h)");
  // Long options only: a negative number ("config set KEY -5") is then a value, not an option.
  std::vector<std::string> argv = args;
  for (auto& a : argv) {
    if (a == "-h") a = "--help";
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argv)
                  .options(all)
                  .positional(positional)
                  .style(po::command_line_style::unix_style ^ po::command_line_style::allow_short)
                  .run(),
              vm);
    // --help wins over missing required arguments.
    if (vm.count("help")) {
      // The positional arguments are in the usage line, not listed as --options.
      std::set<std::string> positional_names;
      for (unsigned i = 0; i < std::min(positional.max_total_count(), 8u); ++i) {
        positional_names.insert(positional.name_for_position(i));
      }
      po::options_description shown("Options");
      for (const auto& o : all.options()) {
        if (!positional_names.count(o->long_name())) shown.add(o);
      }
      if (ctx.spec) {
        *ctx.spec = CommandSpec{usage, summary, describe_options(shown)};
        return std::nullopt;
      }
      *ctx.out << "Usage: openclaw-host [--profile NAME] " << usage << "\n\n"
               << summary << "\n\n"
               << shown;
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::string command = usage.substr(0, usage.find(" ["));
    throw usage_error(std::string(e.what()) + " (see `openclaw-host " + command + " --help`)");
  }
  return vm;
}

std::optional<std::string> gateway_token(const Context& ctx, const po::variables_map& vm,
                                         const Instance& inst) {
  if (vm.count("token")) return vm["token"].as<std::string>();
  if (auto t = ctx.env.get("OPENCLAW_GATEWAY_TOKEN")) return t;
  return config::get_string(inst.config.root(), "gateway.auth.token");
}

void add_gateway_client_options(po::options_description& opts, int timeout_ms) {
  opts.add_options()("url", po::value<std::string>()->value_name("URL"),
                     "gateway WebSocket URL (default: this profile's running gateway)")(
      "token", po::value<std::string>()->value_name("T"),
      "token (else OPENCLAW_GATEWAY_TOKEN, else gateway.auth.token)")(
      "timeout", po::value<int>()->value_name("MS")->default_value(timeout_ms),
      "give up after MS milliseconds");
}

gateway::ClientOptions gateway_client_options(const Context& ctx, const po::variables_map& vm,
                                              const Instance& inst) {
  gateway::ClientOptions options;
  if (vm.count("url")) {
    options.url = vm["url"].as<std::string>();
  } else if (auto rec = gateway::read_live_record(inst.paths.state_dir);
             rec && rec->ports.count("gateway")) {
    options.url = "ws://127.0.0.1:" + std::to_string(rec->ports.at("gateway"));
  } else {
    options.url = "ws://127.0.0.1:" + std::to_string(inst.plan.base);
  }
  options.token = gateway_token(ctx, vm, inst);
  int timeout = vm["timeout"].as<int>();
  if (timeout <= 0) throw usage_error("--timeout must be a positive number of milliseconds");
  options.timeout = std::chrono::milliseconds(timeout);
  return options;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s + " ";
}

std::optional<int> port_option(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return profile::parse_port(vm[name].as<std::string>(), std::string("--") + name);
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  try {
    size_t split = split_global(args);
    std::vector<std::string> global(args.begin(), args.begin() + static_cast<long>(split));
    std::vector<std::string> rest(args.begin() + static_cast<long>(split), args.end());

    po::variables_map vm;
    try {
      po::store(po::command_line_parser(global).options(global_options()).run(), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      throw usage_error(std::string(e.what()) + " (see `openclaw-host --help`)");
    }
    if (vm.count("help") || (!rest.empty() && rest[0] == "help" && rest.size() == 1)) {
      print_help(std::cout);
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "openclaw-host " << kVersion << "\n";
      return 0;
    }
    if (rest.empty()) {
      throw usage_error("missing command (see `openclaw-host --help`)");
    }
    if (rest[0] == "help") {  // `help CMD` == `CMD --help`
      rest.erase(rest.begin());
      rest.push_back("--help");
    }
    if (vm.count("profile")) ctx.selection.profile_flag = vm["profile"].as<std::string>();
    ctx.selection.dev = vm.count("dev") > 0;
    ctx.log_level = vm["log-level"].as<std::string>();
    if (!sdk::log_level_from_name(ctx.log_level)) {
      throw usage_error("--log-level must be error, warn, info or debug, got \"" + ctx.log_level +
                        "\"");
    }
    ctx.env = Environment::from_process();
    ctx.color = !vm.count("no-color") && !ctx.env.get("NO_COLOR") && ::isatty(1);
    ctx.argv0 = self_path(argc > 0 ? argv[0] : nullptr);
    ctx.paths = profile::resolve_paths(ctx.selection, ctx.env);

    const std::string name = rest[0];
    rest.erase(rest.begin());
    for (const auto& c : kCommands) {
      if (name == c.name) return c.fn(ctx, rest);
    }
    if (!name.empty() && name[0] == '-') {
      throw usage_error("unknown global option " + name + " (see `openclaw-host --help`)");
    }
    throw usage_error("unknown command \"" + name + "\" (see `openclaw-host --help`)");
  } catch (const Error& e) {
    std::cout.flush();
    std::cerr << "openclaw-host: error: " << e.line() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "openclaw-host: error: " << e.what() << "\n";
    return static_cast<int>(Exit::usage);
  }
}

}  // namespace openclaw::cli
