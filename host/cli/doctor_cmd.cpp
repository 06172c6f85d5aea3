// `doctor`: this instance's checks in a few lines — its config (the host's checks, the plugins'
// own, the port plan), its ports, the permissions of what holds its secrets, its plugins, and
// whether its gateway runs or how it last ended, then what the machine-wide isolation checklist
// finds about it. `doctor --all`: the isolation checklist across every instance on the machine
// (cli/isolation.hpp). Each finding says what to run to fix it; `--fix` applies the safe fixes.
// The rescue bot's `/doctor <profile>` answers with this.
#include <sys/stat.h>

#include <sstream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/isolation.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "gateway/instance_record.hpp"
#include "openclaw/sdk/run_history.hpp"
#include "ports/lease_store.hpp"
#include "ports/system.hpp"

namespace openclaw::cli {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct Findings {
  std::ostream& out;
  int errors = 0;
  int warnings = 0;
  void ok(const std::string& what) { out << "ok     " << what << "\n"; }
  void warn(const std::string& what) {
    ++warnings;
    out << "warn   " << what << "\n";
  }
  void error(const std::string& what) {
    ++errors;
    out << "error  " << what << "\n";
  }
};

// `--fix`: applies each finding's safe fix, says what it did, and drops it from the findings.
std::vector<std::string> apply_fixes(isolation::Survey& s) {
  std::vector<std::string> done;
  std::vector<isolation::Finding> left;
  for (auto& f : s.findings) {
    if (!f.apply) {
      left.push_back(std::move(f));
      continue;
    }
    try {
      done.push_back(f.apply());
    } catch (const std::exception& e) {
      f.what += std::string(" (--fix failed: ") + e.what() + ")";
      left.push_back(std::move(f));
    }
  }
  s.findings = std::move(left);
  return done;
}

std::string finding_line(const isolation::Finding& f) {
  std::string line = f.check + ": " + f.what;
  if (!f.where.empty() || !f.fix.empty()) {
    line += " (";
    if (!f.where.empty()) line += f.where;
    if (!f.fix.empty()) line += std::string(f.where.empty() ? "" : "; ") + "fix: " + f.fix;
    line += ")";
  }
  return line;
}

void report(Findings& f, const isolation::Finding& finding) {
  switch (finding.severity) {
    case isolation::Severity::error:
      f.error(finding_line(finding));
      break;
    case isolation::Severity::warning:
      f.warn(finding_line(finding));
      break;
    case isolation::Severity::info:
      f.out << "info   " << finding_line(finding) << "\n";
      break;
  }
}

// `doctor --all`: the checklist across the machine, as text or JSON.
int doctor_all(Context& ctx, bool as_json, bool fix) {
  auto s = isolation::survey(isolation::scope_for(ctx.env, ctx.paths));
  auto fixed = fix ? apply_fixes(s) : std::vector<std::string>{};
  auto o = isolation::to_json(s);
  if (as_json) {
    json::array changes;
    for (auto& c : fixed) changes.emplace_back(c);
    o["fixed"] = std::move(changes);
    *ctx.out << json::serialize(o) << "\n";
    return o["errors"].as_int64() > 0 ? static_cast<int>(Exit::conflict) : 0;
  }
  auto& out = *ctx.out;
  out << s.members.size() << " instance(s) on this machine (registry "
      << profile::display_path(s.registry_dir, ctx.paths.home) << ", " << s.units
      << " service unit(s) in " << profile::display_path(s.unit_dir, ctx.paths.home) << "):\n";
  for (const auto& m : s.members) {
    out << "  " << pad(m.name(), 12) << pad(m.base ? std::to_string(m.base) : "-", 6)
        << pad(m.pid ? "running pid " + std::to_string(m.pid) : "stopped", 18)
        << profile::display_path(m.config_path, ctx.paths.home) << "\n";
  }
  for (const auto& c : fixed) out << "fixed  " << c << "\n";
  Findings f{out};
  for (const auto& finding : s.findings) report(f, finding);
  if (s.findings.empty()) {
    f.ok(
        "isolation: no shared path, port, browser or channel account; units and permissions "
        "right");
  }
  out << (f.errors ? std::to_string(f.errors) + " error(s)" : std::string("no error")) << ", "
      << f.warnings << " warning(s)\n";
  return f.errors ? static_cast<int>(Exit::conflict) : 0;
}

}  // namespace

int cmd_doctor(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("all",
                     "the isolation checklist across every instance on the machine (profiles "
                     "under the home dir,\ninstances the port registry knows, service units)")(
      "json", "with --all: print JSON")("fix",
                                        "apply the safe fixes (permissions, stale records and "
                                        "leases) and say what changed");
  auto vm = parse_command(ctx, "doctor [--all] [--json] [--fix]",
                          "Checks this instance: its config (types, the plugins' own checks, the "
                          "port plan), its\nports, the permissions of its state dir and config, "
                          "its plugins, its gateway (running,\nor how it last ended), and what the "
                          "isolation checklist finds about it: a path, port,\nbrowser or channel "
                          "account it shares with another instance, a service unit that runs\n"
                          "another profile. --all runs the checklist for every instance on the "
                          "machine. Each finding\nsays the command that fixes it. Exit 0 when "
                          "nothing is wrong (warnings allowed), 2 on errors.",
                          opts, {}, args);
  if (!vm) return 0;
  const bool as_json = vm->count("json") > 0;
  const bool fix = vm->count("fix") > 0;
  if (vm->count("all")) return doctor_all(ctx, as_json, fix);
  if (as_json) throw usage_error("--json goes with --all (see `openclaw-host doctor --help`)");
  Findings f{*ctx.out};
  const auto& paths = ctx.paths;
  const std::string flag = paths.profile ? " --profile " + *paths.profile : std::string();
  const std::string where = profile::display_path(paths.config_path, paths.home);

  // Config: what `config validate` says, in one place.
  std::optional<config::Config> cfg;
  try {
    cfg = config::Config::load(paths.config_path, paths.home);
    auto problems = config_problems(ctx, *cfg);
    if (problems.empty()) {
      f.ok(std::string("config: ") + (cfg->exists() ? "valid (" : "no file yet, defaults (") +
           where + ")");
    }
    for (const auto& p : problems) {
      f.error("config: " + p.message + " (" + where + "; fix: openclaw-host" + flag +
              " config set|unset " + p.key + ")");
    }
  } catch (const Error& e) {
    f.error("config: " + e.line() + " (fix it, or: openclaw-host" + flag +
            " config rollback good)");
    cfg.reset();
  }

  // Permissions: the state dir and the config hold tokens.
  if (auto m = isolation::mode_of(paths.state_dir); m && (*m & 077)) {
    f.warn("permissions: state dir is " + isolation::octal(*m) +
           ", others can look in (fix: chmod 700 " + paths.state_dir.string() + ")");
  } else if (auto c = isolation::mode_of(paths.config_path); c && (*c & 077)) {
    f.warn("permissions: config is " + isolation::octal(*c) +
           ", others can read its tokens (fix: chmod 600 " + paths.config_path.string() + ")");
  } else if (m) {
    f.ok("permissions: state dir and config are the owner's only");
  }

  // The gateway and its ports.
  auto live = gateway::read_live_record(paths.state_dir);
  std::optional<Instance> inst;
  if (cfg) {
    try {
      inst = ctx.instance();
    } catch (const Error&) {
      // the plan's problem is reported with the config above
    }
  }
  if (live) {
    f.ok("gateway: running, pid " + std::to_string(live->pid) + ", port " +
         std::to_string(live->base) + ", up since " + utc_time_of_day(live->started_at_ms));
  } else {
    auto h = sdk::read_run_history(paths.state_dir);
    std::string how = "never ran";
    if (h.ended_silently()) {
      how = "died without a word (SIGKILL, out of memory) " + ago(h.starts.back());
    } else if (h.last_exit) {
      how = h.last_exit->kind + " " + ago(h.last_exit->at_ms) + ": " + h.last_exit->reason;
    }
    if (h.last_exit && h.last_exit->kind != "stopped" && !h.ended_silently()) {
      f.warn("gateway: not running; " + how);
    } else {
      f.ok("gateway: not running; " + how);
    }
    if (inst) {
      int busy = 0;
      // Another instance's lease names its holder better than the socket table does.
      ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), paths.home);
      auto leased = store.snapshot();
      auto lease_holder = [&](int port) -> std::string {
        for (const auto& i : leased) {
          if (i.stale || i.owner.state_dir == paths.state_dir.string()) continue;
          for (const auto& l : i.leases) {
            if (l.port == port) return "is held by " + store.describe(i.owner);
          }
        }
        return {};
      };
      for (const auto& p : inst->plan.ports) {
        if (p.port == 0 || p.is_range()) continue;
        const auto& probe = ports::system_probe();
        if (!probe.bindable(p.port, p.request.bind)) {
          ++busy;
          std::string why = lease_holder(p.port);
          f.error("ports: " + std::to_string(p.port) + " (" + p.name() + ") " +
                  (why.empty() ? probe.why_unbindable(p.port) : why) + " (fix: openclaw-host" +
                  flag + " config set gateway.port N)");
        }
      }
      if (busy == 0)
        f.ok("ports: every port of the plan is free (base " + std::to_string(inst->plan.base) +
             ")");
    }
  }

  // Plugins: what `plugins doctor` finds, counted.
  if (inst) {
    std::ostringstream report;
    std::ostream* saved = ctx.out;
    ctx.out = &report;
    try {
      cmd_plugins(ctx, {"doctor", "--json"});
    } catch (const Error& e) {
      report.str("");
      f.error("plugins: " + e.line());
    }
    ctx.out = saved;
    boost::system::error_code ec;
    json::value v = json::parse(report.str(), ec);
    if (!ec && v.is_object()) {
      const json::object& o = v.get_object();
      std::string bad;
      std::size_t count = 0;
      if (const auto* list = o.if_contains("plugins"); list && list->is_array()) {
        count = list->get_array().size();
        for (const auto& p : list->get_array()) {
          const json::object* po = p.if_object();
          if (!po || !po->contains("ok") || po->at("ok") == json::value(true)) continue;
          const auto* id = po->if_contains("id");
          bad += (bad.empty() ? "" : ", ") +
                 (id && id->is_string() ? std::string(id->get_string()) : std::string("?"));
        }
      }
      if (bad.empty()) {
        f.ok("plugins: " + std::to_string(count) + " found, none with a problem");
      } else {
        f.error("plugins: problems in " + bad + " (see: openclaw-host" + flag + " plugins doctor)");
      }
    }
  }
  // The machine-wide checklist, as far as it concerns this instance.
  auto s = isolation::survey(isolation::scope_for(ctx.env, ctx.paths));
  std::string self;
  for (const auto& m : s.members) {
    if (m.state_dir == paths.state_dir ||
        (!m.env_instance && m.profile == paths.profile && !ctx.env.get("OPENCLAW_STATE_DIR")))
      self = m.name();
  }
  std::erase_if(s.findings, [&](const isolation::Finding& x) {
    // Permissions were checked above; the rest only when it names this instance.
    return x.check == "permissions" || x.check == "config" ||
           std::find(x.instances.begin(), x.instances.end(), self) == x.instances.end();
  });
  if (fix) {
    for (const auto& c : apply_fixes(s)) *ctx.out << "fixed  " << c << "\n";
  }
  for (const auto& finding : s.findings) report(f, finding);
  if (s.findings.empty() && !self.empty()) {
    f.ok("isolation: shares no path, port, browser or channel account with the " +
         std::to_string(s.members.size() - 1) + " other instance(s)");
  }
  *ctx.out << (f.errors ? std::to_string(f.errors) + " error(s)" : std::string("no error")) << ", "
           << f.warnings << " warning(s)\n";
  return f.errors ? static_cast<int>(Exit::conflict) : 0;
}

}  // namespace openclaw::cli
