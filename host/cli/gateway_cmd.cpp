// `gateway [run]`: run the instance's gateway in the foreground.
// `gateway install|uninstall|start|stop|restart|status [--deep]`: the profile's own service
// (systemd user unit or launchd agent). Every subcommand acts on THIS profile's unit only.
// `gateway call METHOD [--params JSON]`: any gateway method, as OpenClaw's CLI has it.
// `gateway probe`: every gateway reachable on this machine, one line per gateway.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <fstream>
#include <iostream>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/isolation.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "gateway/gateway.hpp"
#include "gateway/instance_record.hpp"
#include "gateway/log.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/json.hpp"
#include "openclaw/sdk/run_history.hpp"
#include "ports/lease_store.hpp"
#include "service/service.hpp"

namespace openclaw::cli {
namespace fs = std::filesystem;

namespace {

// A start that failed, for whoever looks later (a watcher, `status`, the next start): the line in
// logs/gateway.log as well as on stderr, and gateway-exit.json saying "failed-start" and why.
// Not when another live gateway serves the state dir: its record is not this process's to change.
void record_failed_start(const Context& ctx, const std::string& line, int code) {
  const fs::path& state_dir = ctx.paths.state_dir;
  if (auto live = gateway::read_live_record(state_dir); live && live->pid != ::getpid()) return;
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec)) return;  // never started: nothing to tell yet
  std::ostream no_stderr(nullptr);               // the CLI prints the error itself
  gateway::GatewayLog log(state_dir, "error", no_stderr, {});
  log(sdk::LogLevel::error, "the gateway did not start: " + line);
  sdk::note_exit(state_dir, sdk::LastExit{now_ms(), "failed-start", code, std::nullopt, line, {}});
}

int run_gateway(Context& ctx, const po::variables_map& vm);

int gateway_run(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("port", po::value<std::string>()->value_name("N"),
                     "base port (wins over OPENCLAW_GATEWAY_PORT and gateway.port)")(
      "bind", po::value<std::string>()->value_name("MODE"),
      "loopback (default) or lan; lan requires a token")(
      "token", po::value<std::string>()->value_name("T"),
      "gateway token (else OPENCLAW_GATEWAY_TOKEN, else gateway.auth.token)");
  auto vm = parse_command(
      ctx, "gateway [run] [--port N] [--bind loopback|lan] [--token T]",
      "Runs the gateway in the foreground: loads plugins, leases every port of the instance's "
      "plan\n"
      "in the machine-wide registry, serves HTTP and the OpenClaw WebSocket protocol on the base\n"
      "port, and on Ctrl-C (SIGINT) or SIGTERM stops and releases everything (exit 0).\n\n"
      "Service management (this profile's own unit):\n"
      "  gateway install [--port N] [--force] [--dry-run]\n"
      "  gateway uninstall | start | stop | restart | status [--deep]\n\n"
      "Any gateway:\n"
      "  gateway call METHOD [--params JSON]   call any method (the host's or a plugin's)\n"
      "  gateway probe                         every gateway on this machine",
      opts, {}, args);
  if (!vm) return 0;
  try {
    return run_gateway(ctx, *vm);
  } catch (const Error& e) {
    record_failed_start(ctx, e.line(), static_cast<int>(e.code()));
    throw;
  } catch (const std::exception& e) {
    record_failed_start(ctx, e.what(), 1);
    throw;
  }
}

// The gateway as the options and the config say, in the foreground.
int run_gateway(Context& ctx, const po::variables_map& vm) {
  auto port = port_option(vm);
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  if (vm.count("bind")) {
    std::string bind = vm["bind"].as<std::string>();
    if (bind != "loopback" && bind != "lan") {
      throw usage_error("--bind must be loopback or lan, got \"" + bind + "\"");
    }
    // In memory only: --bind is for this run, the config file is not changed.
    config::assign(cfg.root(), {"gateway", "bind"}, boost::json::string(bind));
  }
  Instance inst = resolve_instance(ctx.paths, std::move(cfg), port, ctx.env);
  gateway::Options options;
  options.log_level = ctx.log_level;
  options.self_exe = ctx.argv0;
  options.token = gateway_token(ctx, vm, inst);
  return gateway::run(std::move(inst), ctx.env, options, *ctx.out, *ctx.err);
}

service::Spec spec_for(Context& ctx, const Instance& inst) {
  service::Spec spec;
  spec.profile = inst.paths.profile;
  spec.exe = ctx.argv0;
  spec.port = inst.plan.base;
  spec.state_dir = inst.paths.state_dir;
  spec.config_path = inst.paths.config_path;
  spec.unit_name = inst.paths.systemd_unit;
  spec.label = inst.paths.launchd_label;
  // A workspace of its own (agents.defaults.workspace) must be writable in the unit's sandbox.
  if (inst.workspace != inst.paths.default_workspace) spec.workspace = inst.workspace;
  // A rescue bot writes the configs of the instances it watches ("*": every profile's).
  if (const auto* watch =
          config::find(inst.config.root(), {"plugins", "entries", "rescue", "config", "watch"})) {
    std::vector<std::string> names;
    if (watch->is_string()) names.emplace_back(watch->get_string());
    if (watch->is_array()) {
      for (const auto& w : watch->get_array()) {
        if (w.is_string()) names.emplace_back(w.get_string());
      }
    }
    for (const auto& n : names) {
      if (n == "*") {
        spec.also_writable.push_back(inst.paths.home);
        break;
      }
      if (n.empty() || n.find('/') != std::string::npos || n.find("..") != std::string::npos) {
        continue;
      }
      spec.also_writable.push_back(profile::default_state_dir(
          inst.paths.home, n == "default" ? std::nullopt : std::optional(n)));
    }
  }
  return spec;
}

fs::path real_home(const Context& ctx) {
  auto h = ctx.env.get("HOME");
  return h ? fs::path(*h) : ctx.paths.home;
}

std::string systemctl(const Context& ctx) {
  return ctx.env.get("OPENCLAW_SYSTEMCTL").value_or("systemctl");
}

// A user systemd answers (a login session with a user bus).
bool systemd_reachable(const Context& ctx) {
  return run_program({systemctl(ctx), "--user", "show-environment"}, /*quiet=*/true) == 0;
}

std::string manager_command(const Context& ctx, service::Kind kind, const std::string& verb,
                            const service::Spec& spec, const fs::path& file) {
  if (kind == service::Kind::launchd) {
    if (verb == "start" || verb == "install") return "launchctl load -w " + file.string();
    if (verb == "stop" || verb == "uninstall") return "launchctl unload -w " + file.string();
    if (verb == "restart") return "launchctl kickstart -k gui/$(id -u)/" + spec.label;
    return "launchctl list " + spec.label;
  }
  std::string sc = systemctl(ctx) + " --user ";
  if (verb == "install") return sc + "daemon-reload && " + sc + "enable --now " + spec.unit_name;
  if (verb == "uninstall")
    return sc + "disable --now " + spec.unit_name + " && " + sc + "daemon-reload";
  return sc + verb + " " + spec.unit_name;
}

// Runs the manager's commands for `verb` on this profile's unit; false when no manager answers.
bool drive_manager(Context& ctx, service::Kind kind, const std::string& verb,
                   const service::Spec& spec, const fs::path& file) {
  if (kind == service::Kind::launchd) {
    std::vector<std::string> argv;
    if (verb == "start" || verb == "install")
      argv = {"launchctl", "load", "-w", file.string()};
    else if (verb == "stop" || verb == "uninstall")
      argv = {"launchctl", "unload", "-w", file.string()};
    else if (verb == "restart")
      argv = {"launchctl", "kickstart", "-k",
              "gui/" + std::to_string(::getuid()) + "/" + spec.label};
    else
      argv = {"launchctl", "list", spec.label};
    return run_program(argv) == 0;
  }
  if (!systemd_reachable(ctx)) return false;
  auto sc = [&](std::vector<std::string> rest) {
    std::vector<std::string> argv{systemctl(ctx), "--user"};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return run_program(argv);
  };
  int rc = 0;
  if (verb == "install") {
    rc = sc({"daemon-reload"});
    if (rc == 0) rc = sc({"enable", "--now", spec.unit_name});
  } else if (verb == "uninstall") {
    rc = sc({"disable", "--now", spec.unit_name});
    sc({"daemon-reload"});
  } else {
    rc = sc({verb, spec.unit_name});
  }
  if (rc != 0 && verb != "status") {
    throw usage_error(systemctl(ctx) + " --user " + verb + " " + spec.unit_name + " failed (exit " +
                      std::to_string(rc) + ")");
  }
  return true;
}

int gateway_install(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("port", po::value<std::string>()->value_name("N"),
                     "base port for the service (default: the profile's)")(
      "force", "replace an existing, different unit")(
      "dry-run", "print the unit and where it would go; change nothing");
  auto vm = parse_command(ctx, "gateway install [--port N] [--force] [--dry-run]",
                          "Writes this profile's service unit (systemd user unit on Linux, launchd "
                          "agent on macOS)\nand enables it when the service manager is reachable; "
                          "otherwise prints the exact commands.\nOther profiles' units are never "
                          "touched. OPENCLAW_SERVICE_DIR overrides the unit directory.",
                          opts, {}, args);
  if (!vm) return 0;
  Instance inst = ctx.instance(port_option(*vm));
  auto spec = spec_for(ctx, inst);
  auto kind = service::native_kind();
  std::string content = kind == service::Kind::launchd ? service::render_launchd_plist(spec)
                                                       : service::render_systemd_unit(spec);
  fs::path file =
      service::unit_dir(kind, ctx.env, real_home(ctx)) / service::unit_file_name(kind, spec);
  auto& out = *ctx.out;
  if (vm->count("dry-run")) {
    out << "# " << file.string() << "\n" << content;
    return 0;
  }
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::ifstream in(file);
    std::string existing((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (existing == content) {
      out << "Service " << file.filename().string() << " is already installed and unchanged ("
          << file.string() << ").\n";
      return 0;
    }
    if (!vm->count("force")) {
      throw usage_error("a different " + file.filename().string() +
                            " is already installed; use --force to replace it",
                        file.string());
    }
  }
  try {
    sdk::create_private_dirs(file.parent_path(), fs::perms(0755));
    sdk::write_file_atomic(file, content, fs::perms(0644), /*keep_backup=*/true);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot write the unit: ") + e.what(), file.string());
  }
  out << "Wrote " << file.string() << "\n";
  if (drive_manager(ctx, kind, "install", spec, file)) {
    out << "Enabled and started " << file.filename().string() << ".\n";
  } else {
    out << "No user service manager is reachable here; to enable it run:\n  "
        << manager_command(ctx, kind, "install", spec, file) << "\n";
  }
  return 0;
}

std::string profile_args(const Instance& inst) {
  return inst.paths.profile ? " --profile " + *inst.paths.profile : std::string();
}

std::string who(const Instance& inst) {
  return inst.paths.profile ? *inst.paths.profile : std::string("default");
}

// One GET /readyz on the gateway at `port`: {status, what fails}; status 0 when nothing answered.
std::pair<int, std::string> ask_ready(int port) {
  boost::asio::io_context io;
  sdk::HttpClientRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  r.timeout = std::chrono::milliseconds(2000);
  std::pair<int, std::string> out{0, ""};
  sdk::http_request(io, r, [&out](sdk::HttpClientResponse res) {
    if (!res.error.empty()) return;
    out.first = res.status;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(res.body, ec);
    const boost::json::value* f =
        ec || !v.is_object() ? nullptr : v.get_object().if_contains("failing");
    if (!f || !f->is_array()) return;
    for (const auto& x : f->get_array()) {
      if (x.is_string())
        out.second += (out.second.empty() ? "" : "; ") + std::string(x.get_string());
    }
  });
  io.run();
  return out;
}

// The gateway started directly (no service): in a session of its own, its output appended to
// logs/gateway.out.log, outliving this command (and a rescue bot that ran it). Waits until it is
// ready, has failed (the reason from its run history), or `wait_ms` passed.
int start_directly(Context& ctx, const Instance& inst, int wait_ms) {
  const fs::path& state_dir = inst.paths.state_dir;
  if (auto live = gateway::read_live_record(state_dir)) {
    *ctx.out << who(inst) << " is already running (pid " << live->pid << ")\n";
    return 0;
  }
  std::vector<std::string> argv{ctx.argv0};
  if (inst.paths.profile) argv.insert(argv.end(), {"--profile", *inst.paths.profile});
  argv.insert(argv.end(), {"gateway", "run"});
  fs::path output = state_dir / "logs" / "gateway.out.log";
  const std::int64_t t0 = now_ms();
  int pid = 0;
  try {
    sdk::create_private_dirs(output.parent_path());
    pid = spawn_detached(argv, output.string());
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot start the gateway: ") + e.what(), output.string());
  }
  while (now_ms() - t0 < wait_ms) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      auto h = sdk::read_run_history(state_dir);
      std::string why =
          h.last_exit && h.last_exit->at_ms >= t0 - 1000
              ? h.last_exit->reason
              : (WIFEXITED(status) ? "it exited with status " + std::to_string(WEXITSTATUS(status))
                                   : "it was killed by signal " + std::to_string(WTERMSIG(status)));
      throw Error(WIFEXITED(status) && WEXITSTATUS(status) == 2 ? Exit::conflict : Exit::usage,
                  who(inst) + " did not start: " + why, output.string());
    }
    if (auto live = gateway::read_live_record(state_dir); live && live->pid == pid) {
      auto [code, failing] = ask_ready(live->base);
      if (code == 200 || code == 503) {
        *ctx.out << "Started " << who(inst) << " (pid " << pid << ", no service): "
                 << (code == 200 ? "ready" : "up but degraded (" + failing + ")") << " in "
                 << now_ms() - t0 << " ms on port " << live->base << "; output in "
                 << profile::display_path(output, ctx.paths.home) << "\n";
        return 0;
      }
    }
    ::usleep(10000);  // the next look at a real condition: its record, its /readyz, its exit
  }
  throw usage_error(who(inst) + " (pid " + std::to_string(pid) + ") was not ready within " +
                        std::to_string(wait_ms) + " ms; it keeps starting (see `openclaw-host" +
                        profile_args(inst) + " status`)",
                    output.string());
}

// True while `pid` is a live process (a zombie counts as gone).
bool alive(int pid) {
  if (::kill(pid, 0) != 0) return errno == EPERM;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'Z';
}

// The running gateway stopped directly: SIGTERM (and SIGCONT, so a stopped one hears it), then
// SIGKILL after `wait_ms`.
int stop_directly(Context& ctx, const Instance& inst, int wait_ms) {
  auto live = gateway::read_live_record(inst.paths.state_dir);
  if (!live) {
    *ctx.out << who(inst) << " is not running; nothing to stop\n";
    return 0;
  }
  const int pid = live->pid;
  const std::int64_t t0 = now_ms();
  ::kill(pid, SIGTERM);
  ::kill(pid, SIGCONT);
  while (alive(pid) && now_ms() - t0 < wait_ms) ::usleep(10000);
  if (!alive(pid)) {
    *ctx.out << "Stopped " << who(inst) << " (pid " << pid << ") in " << now_ms() - t0 << " ms\n";
    return 0;
  }
  ::kill(pid, SIGKILL);
  while (alive(pid) && now_ms() - t0 < wait_ms + 5000) ::usleep(10000);
  if (alive(pid)) {
    throw usage_error(who(inst) + " (pid " + std::to_string(pid) +
                      ") is still alive after SIGTERM and SIGKILL");
  }
  *ctx.out << "Killed " << who(inst) << " (pid " << pid << "): it did not stop within " << wait_ms
           << " ms of SIGTERM\n";
  return 0;
}

// Waits for the gateway a service manager (re)started to be ready, and says so.
void report_ready(Context& ctx, const Instance& inst, int wait_ms, std::int64_t t0) {
  while (now_ms() - t0 < wait_ms) {
    if (auto live = gateway::read_live_record(inst.paths.state_dir);
        live && live->started_at_ms >= t0 - 1000) {
      auto [code, failing] = ask_ready(live->base);
      if (code == 200 || code == 503) {
        *ctx.out << who(inst) << " (pid " << live->pid << ") "
                 << (code == 200 ? "is ready" : "is up but degraded (" + failing + ")") << " after "
                 << now_ms() - t0 << " ms\n";
        return;
      }
    }
    ::usleep(10000);
  }
  auto h = sdk::read_run_history(inst.paths.state_dir);
  std::string why = h.last_exit && h.last_exit->at_ms >= t0 ? ": " + h.last_exit->reason : "";
  throw usage_error(who(inst) + " was not ready within " + std::to_string(wait_ms) + " ms" + why +
                    " (see `openclaw-host" + profile_args(inst) + " gateway status`)");
}

// `status --deep`: what the service manager and the unit file say, beside the live gateway.
void deep_status(Context& ctx, const Instance& inst, service::Kind kind, const service::Spec& spec,
                 const fs::path& file, bool installed,
                 const std::optional<gateway::InstanceRecord>& live) {
  auto& out = *ctx.out;
  if (!installed) {
    out << "Unit: none; install it with: openclaw-host" << profile_args(inst)
        << " gateway install\n";
  } else if (kind == service::Kind::systemd) {
    std::string text;
    try {
      text = sdk::read_regular_file(file, {}, 1 << 20).value_or("");
    } catch (const std::exception& e) {
      out << "Unit: cannot read it: " << e.what() << "\n";
    }
    auto view = service::read_systemd_unit(text);
    const fs::path runs = isolation::unit_state_dir(view, inst.paths.home);
    const bool same_instance = same_dir(runs, inst.paths.state_dir);
    out << "Unit ExecStart: profile "
        << (view.profile ? *view.profile : std::string("(none: the default)")) << ", port "
        << view.port.value_or("(none: the config's)") << ", state dir "
        << profile::display_path(runs, inst.paths.home)
        << (same_instance ? ""
                          : "  <- not this profile's: reinstall with `openclaw-host" +
                                profile_args(inst) + " gateway install --force`")
        << "\n";
    if (view.port && *view.port != std::to_string(inst.plan.base)) {
      out << "Unit port " << *view.port << " is not the config's " << inst.plan.base
          << " (reinstall: openclaw-host" << profile_args(inst) << " gateway install --force)\n";
    }
    if (systemd_reachable(ctx)) {
      std::string enabled, shown;
      run_program_output({systemctl(ctx), "--user", "is-enabled", spec.unit_name}, enabled);
      while (!enabled.empty() && (enabled.back() == '\n' || enabled.back() == ' '))
        enabled.pop_back();
      run_program_output(
          {systemctl(ctx), "--user", "show", "-p", "ActiveState,SubState,MainPID", spec.unit_name},
          shown);
      auto st = service::parse_systemd_show(shown);
      std::string main_pid;
      if (auto at = shown.find("MainPID="); at != std::string::npos)
        main_pid = shown.substr(at + 8, shown.find('\n', at) - at - 8);
      out << "systemd: " << (enabled.empty() ? "unknown" : enabled) << ", "
          << (st.active.empty() ? "unknown" : st.active) << " (" << st.sub << ")"
          << (main_pid.empty() || main_pid == "0" ? "" : ", main pid " + main_pid) << "\n";
      if (live && !main_pid.empty() && main_pid != "0" && main_pid != std::to_string(live->pid)) {
        out << "The running gateway (pid " << live->pid
            << ") is not the unit's: it was started another way\n";
      }
    } else {
      out << "systemd: no user service manager is reachable here (" << systemctl(ctx)
          << " --user)\n";
    }
  } else {
    drive_manager(ctx, kind, "status", spec, file);
  }
  if (live) {
    out << "Live gateway: pid " << live->pid << ", port " << live->base << ", version "
        << live->version << ", up since " << utc_time_of_day(live->started_at_ms)
        << (live->base != inst.plan.base
                ? " (config says " + std::to_string(inst.plan.base) + ": restart to apply)"
                : std::string())
        << "\n";
  }
}

// `gateway call METHOD [--params JSON]`: any method, its payload printed as JSON.
int gateway_call(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("method", po::value<std::string>()->value_name("METHOD"), "the method")(
      "params", po::value<std::string>()->value_name("JSON")->default_value("{}"),
      "the method's params, a JSON value (default {})")(
      "json", "print the payload on one line (default: indented)");
  add_gateway_client_options(opts, 10000);
  po::positional_options_description pos;
  pos.add("method", 1);
  auto vm =
      parse_command(ctx, "gateway call METHOD [--params JSON] [--json] [--url URL] [--token T]",
                    "Calls any gateway method (the host's or a plugin's) and prints its "
                    "payload as JSON. Asks the\noperator scopes read, write and admin. Exit "
                    "0 on ok, 1 when the gateway answers an error\n(its code and message on "
                    "stderr), 3 when no gateway answers.",
                    opts, pos, args);
  if (!vm) return 0;
  if (!vm->count("method"))
    throw usage_error("gateway call: missing METHOD (see `openclaw-host gateway call --help`)");
  const std::string method = (*vm)["method"].as<std::string>();
  const std::string raw = (*vm)["params"].as<std::string>();
  boost::system::error_code ec;
  boost::json::value params = boost::json::parse(raw, ec);
  if (ec) throw usage_error("--params is not JSON: " + ec.message(), "--params");
  Instance inst = ctx.instance();
  gateway::ClientOptions options = gateway_client_options(ctx, *vm, inst);
  options.scopes = {"operator.read", "operator.write", "operator.admin"};
  boost::json::value payload;
  try {
    gateway::Client client(options);
    payload = client.call(method, params);
  } catch (const gateway::GatewayError& e) {
    throw usage_error(method + ": " + e.what() + " [" + e.code + "]", options.url);
  }
  *ctx.out << (vm->count("json") ? boost::json::serialize(payload) + "\n"
                                 : sdk::to_pretty_json(payload));
  return 0;
}

// One gateway that answered a probe.
struct Probed {
  std::string who;  ///< the instance whose port it is ("rescue", a state dir, "?")
  int port = 0;
  bool answered = false;
  std::string error;     ///< why it did not answer / refused
  std::string identity;  ///< bootId when the gateway says it (one process, one id)
  std::string version, pid, uptime, profile;
  bool leased = false;  ///< the registry has the port as some instance's gateway lease
};

Probed probe_one(const std::string& who, int port, const std::optional<std::string>& token,
                 int timeout_ms) {
  Probed p;
  p.who = who;
  p.port = port;
  gateway::ClientOptions options;
  options.url = "ws://127.0.0.1:" + std::to_string(port);
  options.token = token;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  auto str = [](const boost::json::value* v) {
    if (!v) return std::string();
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    return std::string();
  };
  try {
    gateway::Client client(options);
    p.answered = true;
    const auto* server =
        client.hello().is_object() ? client.hello().get_object().if_contains("server") : nullptr;
    if (server && server->is_object()) {
      p.identity = str(server->get_object().if_contains("bootId"));
      p.version = str(server->get_object().if_contains("version"));
    }
    auto h = client.call("health");
    if (h.is_object()) {
      const auto& o = h.get_object();
      if (const auto* up = o.if_contains("uptimeMs"); up && up->is_int64())
        p.uptime = std::to_string(up->get_int64() / 1000) + " s";
      if (const auto* pr = o.if_contains("profile"))
        p.profile = pr->is_string() ? std::string(pr->get_string()) : std::string("default");
    }
    try {
      auto st = client.call("status");
      if (st.is_object()) p.pid = str(st.get_object().if_contains("pid"));
    } catch (const gateway::GatewayError&) {
      // OpenClaw's status may refuse a read scope; the pid is then not said
    }
  } catch (const gateway::GatewayError& e) {
    p.error = std::string("refused: ") + e.what() + " [" + e.code + "]";
  } catch (const std::exception& e) {
    p.error = e.what();
  }
  return p;
}

// `gateway probe`: the gateway port of every instance on the machine (its lease when it runs,
// else its config's base), each asked for health with that instance's own token.
int gateway_probe(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print JSON")("timeout",
                                           po::value<int>()->value_name("MS")->default_value(1500),
                                           "give up on one gateway after MS milliseconds");
  auto vm = parse_command(ctx, "gateway probe [--json] [--timeout MS]",
                          "Finds every gateway on this machine: the gateway port of each instance "
                          "(profiles under the\nhome dir, instances the port registry knows) and "
                          "every gateway lease in the registry,\neach asked for health with its "
                          "instance's token. One line per gateway: who, port, pid,\nversion, "
                          "uptime. Warns when two ports answer as one gateway, or a gateway runs "
                          "with no\nlease (the real OpenClaw, or another registry dir). Exit 0 "
                          "when at least one answers, 3 when none.",
                          opts, {}, args);
  if (!vm) return 0;
  const int timeout = (*vm)["timeout"].as<int>();
  if (timeout <= 0) throw usage_error("--timeout must be a positive number of milliseconds");
  auto members = isolation::instances(isolation::scope_for(ctx.env, ctx.paths));
  ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), ctx.paths.home);
  std::set<int> leased_gateways;
  std::vector<std::pair<std::string, int>> extra;  // leases of instances not among the members
  for (const auto& i : store.list(false)) {
    if (i.stale) continue;
    if (const auto* l = i.find("gateway")) {
      leased_gateways.insert(l->port);
      extra.emplace_back(i.owner.profile ? *i.owner.profile : i.owner.state_dir, l->port);
    }
  }
  std::vector<Probed> found;
  std::set<int> asked;
  for (const auto& m : members) {
    const int port = m.gateway_port ? m.gateway_port : m.base;
    if (port <= 0 || !asked.insert(port).second) continue;
    auto token = ctx.env.get("OPENCLAW_GATEWAY_TOKEN");
    if (auto t = config::get_string(m.config, "gateway.auth.token")) token = t;
    found.push_back(probe_one(m.name(), port, token, timeout));
  }
  for (const auto& [who, port] : extra) {
    if (!asked.insert(port).second) continue;
    found.push_back(probe_one(who, port, ctx.env.get("OPENCLAW_GATEWAY_TOKEN"), timeout));
  }
  std::vector<std::string> warnings;
  std::map<std::string, int> first_port_of;
  int answering = 0;
  for (auto& p : found) {
    p.leased = leased_gateways.count(p.port) > 0;
    if (!p.answered) continue;
    ++answering;
    if (!p.leased) {
      warnings.push_back("port " + std::to_string(p.port) + " (" + p.who +
                         ") answers as a gateway but holds no lease in " + store.dir().string() +
                         ": the real OpenClaw, or a gateway with another registry dir");
    }
    if (!p.identity.empty()) {
      auto [it, fresh] = first_port_of.emplace(p.identity, p.port);
      if (!fresh) {
        warnings.push_back("ports " + std::to_string(it->second) + " and " +
                           std::to_string(p.port) + " answer as one gateway (boot " + p.identity +
                           ")");
      }
    }
  }
  if (vm->count("json")) {
    boost::json::array arr;
    for (const auto& p : found) {
      arr.push_back(boost::json::object{
          {"instance", p.who},
          {"port", p.port},
          {"answered", p.answered},
          {"error", p.error.empty() ? boost::json::value() : boost::json::value(p.error)},
          {"leased", p.leased},
          {"bootId", p.identity},
          {"version", p.version},
          {"pid", p.pid},
          {"profile", p.profile},
          {"uptime", p.uptime}});
    }
    boost::json::array warn;
    for (const auto& w : warnings) warn.emplace_back(w);
    *ctx.out << boost::json::serialize(boost::json::object{{"gateways", std::move(arr)},
                                                           {"warnings", std::move(warn)}})
             << "\n";
  } else {
    auto& out = *ctx.out;
    out << pad("INSTANCE", 12) << pad("PORT", 6) << pad("PID", 8) << pad("VERSION", 10)
        << pad("UP", 9) << "STATE\n";
    for (const auto& p : found) {
      out << pad(p.who, 12) << pad(std::to_string(p.port), 6) << pad(p.pid.empty() ? "-" : p.pid, 8)
          << pad(p.version.empty() ? "-" : p.version, 10)
          << pad(p.uptime.empty() ? "-" : p.uptime, 9)
          << (p.answered
                  ? "ok" + (p.profile.empty() ? std::string() : " (profile " + p.profile + ")")
                  : (p.error.empty() ? "not answering" : p.error))
          << "\n";
    }
    for (const auto& w : warnings) out << "warn: " << w << "\n";
    out << answering << " of " << found.size() << " gateway port(s) answered\n";
  }
  return answering > 0 ? 0 : static_cast<int>(Exit::not_running);
}

int gateway_service_verb(Context& ctx, const std::string& verb,
                         const std::vector<std::string>& args) {
  po::options_description opts("Options");
  const bool acts = verb == "start" || verb == "stop" || verb == "restart";
  if (verb == "status") {
    opts.add_options()("deep",
                       "the service manager's view beside the live gateway's: unit enabled and "
                       "active, its\nExecStart's profile and port, and whether they are what "
                       "runs");
  }
  if (acts) {
    opts.add_options()("wait", po::value<int>()->value_name("MS")->default_value(30000),
                       "start: how long to wait for ready; stop: for the exit before SIGKILL")(
        "no-wait", "through a service: return once the manager took the request");
  }
  auto vm = parse_command(
      ctx,
      "gateway " + verb +
          (acts ? " [--wait MS] [--no-wait]" : (verb == "status" ? " [--deep]" : "")),
      "Acts on this profile's own service unit (" + ctx.paths.systemd_unit + " / " +
          ctx.paths.launchd_label + ") and no other." +
          (acts ? std::string("\nWithout an installed service (or a reachable service manager) "
                              "the gateway is\nstarted directly, in a session of its own that "
                              "outlives this command, and stopped\nby its pid (SIGTERM, then "
                              "SIGKILL after --wait). start and restart wait until it\nis ready "
                              "and say so, or say why it did not start.")
                : std::string()),
      opts, {}, args);
  if (!vm) return 0;
  std::optional<Instance> resolved;
  try {
    resolved = ctx.instance();
  } catch (const Error& e) {
    // A start refused for its config is a failed start, for whoever looks later (a watcher).
    if (verb == "start" || verb == "restart")
      record_failed_start(ctx, e.line(), static_cast<int>(e.code()));
    throw;
  }
  Instance& inst = *resolved;
  auto spec = spec_for(ctx, inst);
  auto kind = service::native_kind();
  fs::path file =
      service::unit_dir(kind, ctx.env, real_home(ctx)) / service::unit_file_name(kind, spec);
  std::error_code ec;
  const bool installed = fs::exists(file, ec);
  auto& out = *ctx.out;
  if (verb == "uninstall") {
    if (!installed) {
      out << "Service " << file.filename().string() << " is not installed; nothing to do.\n";
      return 0;
    }
    bool driven = drive_manager(ctx, kind, "uninstall", spec, file);
    fs::remove(file, ec);
    out << "Removed " << file.string() << "\n";
    if (!driven) {
      out << "No user service manager is reachable; if it was enabled elsewhere run:\n  "
          << manager_command(ctx, kind, "uninstall", spec, file) << "\n";
    }
    return 0;
  }
  if (verb == "status") {
    auto live = gateway::read_live_record(inst.paths.state_dir);
    out << "Service " << file.filename().string() << ": "
        << (installed ? "installed" : "not installed") << " (" << file.string() << ")\n";
    out << "Gateway: "
        << (live ? "running (pid " + std::to_string(live->pid) + ")" : std::string("not running"))
        << "\n";
    if (vm->count("deep")) deep_status(ctx, inst, kind, spec, file, installed, live);
    if (vm->count("deep")) {
      // said above, in full
    } else if (installed && kind == service::Kind::systemd && systemd_reachable(ctx)) {
      // What systemd did and does, in one line (a watcher relays it: "restarting it", "gave up").
      std::string shown;
      run_program_output(
          {systemctl(ctx), "--user", "show", "-p", service::kSystemdShowProperties, spec.unit_name},
          shown);
      std::string line = service::describe(service::parse_systemd_show(shown));
      out << "systemd: " << (line.empty() ? "says nothing of " + spec.unit_name : line)
          << "; more: " << manager_command(ctx, kind, "status", spec, file) << "\n";
    } else if (installed && !drive_manager(ctx, kind, "status", spec, file)) {
      out << "No user service manager is reachable; check with: "
          << manager_command(ctx, kind, "status", spec, file) << "\n";
    }
    return live ? 0 : static_cast<int>(Exit::not_running);
  }
  const int wait_ms = std::max(100, (*vm)["wait"].as<int>());
  const std::int64_t t0 = now_ms();
  if (installed && drive_manager(ctx, kind, verb, spec, file)) {
    out << verb << ": " << file.filename().string() << "\n";
    if (verb != "stop" && !vm->count("no-wait")) report_ready(ctx, inst, wait_ms, t0);
    return 0;
  }
  // No service to ask: this command does it.
  if (installed) {
    out << "No user service manager is reachable; acting on the gateway directly.\n";
  }
  if (verb == "stop") return stop_directly(ctx, inst, wait_ms);
  if (verb == "restart") stop_directly(ctx, inst, wait_ms);
  return start_directly(ctx, inst, wait_ms);
}

}  // namespace

int cmd_gateway(Context& ctx, const std::vector<std::string>& all_args) {
  std::vector<std::string> args = all_args;
  if (!args.empty()) {
    const std::string sub = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "run") return gateway_run(ctx, rest);
    if (sub == "install") return gateway_install(ctx, rest);
    if (sub == "call") return gateway_call(ctx, rest);
    if (sub == "probe") return gateway_probe(ctx, rest);
    if (sub == "uninstall" || sub == "start" || sub == "stop" || sub == "restart" ||
        sub == "status") {
      return gateway_service_verb(ctx, sub, rest);
    }
    if (sub[0] != '-') {
      throw usage_error("gateway: unknown subcommand \"" + sub +
                        "\" (run, install, uninstall, start, stop, restart, status, call, probe)");
    }
  }
  return gateway_run(ctx, args);
}

}  // namespace openclaw::cli
