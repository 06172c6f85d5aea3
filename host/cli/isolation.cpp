#include "cli/isolation.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "gateway/instance_record.hpp"
#include "instance/instance.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/files.hpp"
#include "ports/lease_store.hpp"
#include "profile/profile.hpp"
#include "service/service.hpp"

namespace openclaw::cli::isolation {
namespace fs = std::filesystem;
namespace json = boost::json;

std::string Member::name() const {
  if (profile) return *profile;
  return env_instance ? state_dir.string() : "default";
}

std::string Member::command(const std::string& rest) const {
  if (env_instance) {
    return "OPENCLAW_STATE_DIR=" + state_dir.string() +
           " OPENCLAW_CONFIG_PATH=" + config_path.string() + " openclaw-host " + rest;
  }
  return "openclaw-host" + (profile ? " --profile " + *profile : std::string()) + " " + rest;
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warn";
    case Severity::error:
      return "error";
  }
  return "?";
}

std::optional<unsigned> mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<unsigned>(st.st_mode & 07777);
}

std::string octal(unsigned mode) {
  std::ostringstream s;
  s << std::oct << mode;
  return s.str();
}

namespace {

// The instance with its config read (`known`: already read by discover_profiles) and its plan
// resolved, `problem` saying why not; then what its running gateway (`live`) really holds.
void load(Member& m, const fs::path& home, const ConfiguredProfile* known,
          const std::optional<gateway::InstanceRecord>& live) {
  std::error_code ec;
  m.has_config = known || fs::is_regular_file(m.config_path, ec);
  Environment env({{"HOME", home.string()}});
  profile::Paths paths = profile::resolve_paths(profile::Selection{m.profile, false}, env);
  paths.state_dir = m.state_dir;
  paths.config_path = m.config_path;
  if (known) {
    m.problem = known->problem;
    if (known->config) {
      m.config = known->config->root();
      m.workspace = resolve_workspace(paths, *known->config);
      m.base = known->base;
      m.base_source = known->base_source;
      m.ports = known->plan.ports;
    }
  } else {
    try {
      auto cfg = config::Config::load(m.config_path, home);
      config::require_valid(cfg);
      m.config = cfg.root();
      m.workspace = resolve_workspace(paths, cfg);
      m.base = profile::default_base_port(m.profile);
      m.base_source = "default";
      if (auto p = config::get_int(m.config, "gateway.port")) {
        m.base = static_cast<int>(*p);
        m.base_source = "gateway.port";
      }
      m.ports = ports::make_plan(m.base, m.base_source, ports::standard_requests(m.config)).ports;
    } catch (const Error& e) {
      m.problem = e.line();
    }
  }
  if (m.workspace.empty()) m.workspace = paths.default_workspace;
  if (!live) return;
  m.pid = live->pid;
  if (auto it = live->ports.find("gateway"); it != live->ports.end()) m.gateway_port = it->second;
  // What it really holds wins over what its config says now.
  const bool moved = live->base > 0 && live->base != m.base;
  if (moved) {
    m.base = live->base;
    m.base_source = "running";
  }
  for (auto& p : m.ports) {
    auto it = live->ports.find(p.name());
    if (it != live->ports.end() && (moved || p.is_range())) p.port = it->second;
  }
}

struct Checker {
  const Scope& scope;
  Survey& s;

  Finding& add(Severity sev, std::string check, std::string what, std::string where,
               std::string fix, std::vector<std::string> who) {
    Finding f;
    f.severity = sev;
    f.check = std::move(check);
    f.what = std::move(what);
    f.where = std::move(where);
    f.fix = std::move(fix);
    f.instances = std::move(who);
    s.findings.push_back(std::move(f));
    return s.findings.back();
  }

  std::string shown(const fs::path& p) const { return profile::display_path(p, scope.home); }

  // ---- who is there ----------------------------------------------------------------------
  void gather() {
    for (const auto& cp : discover_profiles(scope.home)) {
      Member m;
      m.profile = cp.profile;
      m.state_dir = cp.state_dir;
      m.config_path = cp.config_path;
      load(m, scope.home, &cp, gateway::read_live_record(m.state_dir));
      s.members.push_back(std::move(m));
    }
    auto known = [&](const fs::path& dir) {
      return std::any_of(s.members.begin(), s.members.end(),
                         [&](const Member& m) { return same_dir(m.state_dir, dir); });
    };
    std::error_code ec;
    if (!scope.self_state_dir.empty() && !known(scope.self_state_dir) &&
        fs::is_regular_file(scope.self_config_path, ec)) {
      Member m;
      m.profile = scope.self_profile;
      m.env_instance = true;
      m.state_dir = scope.self_state_dir;
      m.config_path = scope.self_config_path;
      load(m, scope.home, nullptr, gateway::read_live_record(m.state_dir));
      s.members.push_back(std::move(m));
    }
    ports::LeaseStore store(ports::LeaseStore::default_dir(scope.env), scope.home);
    s.registry_dir = store.dir();
    std::vector<ports::InstanceLeases> leased;
    try {
      leased = store.list(/*prune=*/false);
    } catch (const std::exception& e) {
      add(Severity::error, "registry", std::string("the port registry cannot be read: ") + e.what(),
          store.dir().string(), "", {});
    }
    int stale = 0;
    for (const auto& inst : leased) {
      if (inst.stale) {
        ++stale;
        continue;
      }
      if (known(inst.owner.state_dir)) continue;
      Member m;
      m.profile = inst.owner.profile;
      m.env_instance = true;
      m.state_dir = inst.owner.state_dir;
      auto live = gateway::read_live_record(m.state_dir);
      m.config_path = live && !live->config_path.empty() ? fs::path(live->config_path)
                                                         : m.state_dir / "openclaw.json";
      load(m, scope.home, nullptr, live);
      s.members.push_back(std::move(m));
    }
    std::sort(s.members.begin(), s.members.end(), [](const Member& a, const Member& b) {
      auto key = [](const Member& m) {
        return std::tuple(m.env_instance, m.profile.has_value(), m.name());
      };
      return key(a) < key(b);
    });
    if (stale > 0) {
      auto& f = add(Severity::warning, "registry",
                    std::to_string(stale) + " stale lease record(s): their gateways are gone",
                    store.dir().string(), "openclaw-host ports --all (prunes them)", {});
      f.apply = [dir = store.dir(), home = scope.home] {
        ports::LeaseStore st(dir, home);
        st.list(/*prune=*/true);
        return std::string("pruned the stale lease records in ") + dir.string();
      };
    }
  }

  // ---- one by one -------------------------------------------------------------------------
  void config_checks(const Member& m) {
    if (!m.problem.empty()) {
      add(Severity::error, "config", m.problem, shown(m.config_path), m.command("config validate"),
          {m.name()});
    }
  }

  void permission_checks(const Member& m) {
    if (auto mode = mode_of(m.state_dir); mode && (*mode & 077)) {
      fs::path dir = m.state_dir;
      auto& f = add(Severity::warning, "permissions",
                    "state dir is " + octal(*mode) + ", others can look in (want 700)",
                    shown(m.state_dir), "chmod 700 " + m.state_dir.string(), {m.name()});
      f.apply = [dir] {
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
        return "chmod 700 " + dir.string();
      };
    }
    if (auto mode = mode_of(m.config_path); mode && (*mode & 077)) {
      fs::path file = m.config_path;
      auto& f = add(Severity::warning, "permissions",
                    "config is " + octal(*mode) + ", others can read its tokens (want 600)",
                    shown(m.config_path), "chmod 600 " + m.config_path.string(), {m.name()});
      f.apply = [file] {
        fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        return "chmod 600 " + file.string();
      };
    }
    // Plugin folders others can write: the host refuses to load what is in them.
    std::error_code ec;
    fs::path plugins = m.state_dir / "plugins";
    std::vector<fs::path> dirs;
    if (fs::is_directory(plugins, ec)) {
      dirs.push_back(plugins);
      for (const auto& e : fs::directory_iterator(plugins, ec)) {
        if (e.is_directory(ec) && !e.is_symlink(ec)) dirs.push_back(e.path());
      }
    }
    for (const auto& d : dirs) {
      auto mode = mode_of(d);
      if (!mode || !(*mode & 022)) continue;
      auto& f = add(Severity::warning, "permissions",
                    "plugin folder is " + octal(*mode) +
                        ": other users can write it, so its plugins are refused",
                    shown(d), "chmod go-w " + d.string(), {m.name()});
      f.apply = [d, mode] {
        fs::permissions(d, static_cast<fs::perms>(*mode & ~022u), fs::perm_options::replace);
        return "chmod go-w " + d.string();
      };
    }
  }

  void ephemeral_check(const Member& m) {
    if (!m.problem.empty() || m.base == 0) return;
    std::string w = ports::ephemeral_base_warning(m.base, m.base_source,
                                                  ports::system_ephemeral_range(), m.profile);
    if (w.empty()) return;
    add(Severity::warning, "ports", w, shown(m.config_path), m.command("config set gateway.port N"),
        {m.name()});
  }

  // The one Chromium the browser plugin would start, looked up once.
  std::optional<bool> chromium_on_path;
  bool chromium_found() {
    if (chromium_on_path) return *chromium_on_path;
    chromium_on_path = false;
    std::string path = scope.env.get("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      for (const char* n :
           {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
        if (!dir.empty() && ::access((fs::path(dir) / n).c_str(), X_OK) == 0) {
          chromium_on_path = true;
          return true;
        }
      }
    }
    return false;
  }

  void browser_check(const Member& m) {
    if (!m.problem.empty()) return;
    if (config::get_bool(m.config, "plugins.entries.browser.enabled") == false ||
        config::get_bool(m.config, "browser.enabled") == false ||
        config::get_bool(m.config, "browser.attachOnly") == true ||
        config::get_string(m.config, "browser.cdpUrl")) {
      return;
    }
    if (auto exe = config::get_string(m.config, "browser.executablePath")) {
      fs::path p = profile::expand_user(*exe, scope.home);
      if (::access(p.c_str(), X_OK) != 0) {
        add(Severity::warning, "browser",
            "browser.executablePath " + *exe + " is not an executable file", shown(m.config_path),
            m.command("config set browser.executablePath /usr/bin/chromium"), {m.name()});
      }
      return;
    }
    if (!chromium_found()) {
      add(Severity::warning, "browser",
          "the browser plugin is enabled but no Chromium is on PATH (chromium, chromium-browser, "
          "google-chrome): `browser start` will fail",
          shown(m.config_path), "sudo apt-get install chromium", {m.name()});
    }
  }

  // ---- two by two -------------------------------------------------------------------------
  std::vector<ports::Interval> others_occupy(std::size_t except) const {
    std::vector<ports::Interval> out;
    for (std::size_t i = 0; i < s.members.size(); ++i) {
      const auto& o = s.members[i];
      if (i == except || o.base == 0) continue;
      out.push_back({o.base, o.base + profile::kDerivedSpan, o.name()});
      for (const auto& p : o.ports) {
        if (p.port > 0) out.push_back({p.port, p.port, o.name()});
      }
    }
    const auto& eph = ports::system_ephemeral_range();
    out.push_back({eph.lo, eph.hi, "the ephemeral range"});
    return out;
  }

  // `config set gateway.port N` with N a base that overlaps nobody, for the instance to move.
  std::string move_fix(std::size_t who) const {
    const Member& m = s.members[who];
    auto base = ports::choose_base(m.base, others_occupy(who), [](int) { return true; });
    return m.command("config set gateway.port " + (base ? std::to_string(*base) : "N"));
  }

  static std::string port_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  void pair_ports(std::size_t i, std::size_t j) {
    const Member& a = s.members[i];
    const Member& b = s.members[j];
    if (a.base == 0 || b.base == 0) return;
    // Move the one that is not running (its change costs nothing now), else the second.
    const std::size_t mover = a.pid != 0 && b.pid == 0 ? j : (a.pid == 0 && b.pid != 0 ? i : j);
    const std::string where = shown(a.config_path) + ", " + shown(b.config_path);
    if (a.base == b.base) {
      add(Severity::error, "ports",
          a.name() + " and " + b.name() + " have the same base port " + std::to_string(a.base),
          where, move_fix(mover), {a.name(), b.name()});
      return;
    }
    // One line per port: the same fixed port in both is an error; a fixed port inside the
    // other's CDP range (which our registry skips while it is held, and OpenClaw does not) is a
    // warning, as is any overlap of the two spans.
    std::map<int, std::string> exact, in_range;
    const ports::PlannedPort* mover_port = nullptr;  // the mover's side of the first exact share
    for (const auto& p : a.ports) {
      for (const auto& q : b.ports) {
        const bool pf = p.port != 0 && !p.is_range(), qf = q.port != 0 && !q.is_range();
        const std::string both =
            " (" + p.name() + " of " + a.name() + ", " + q.name() + " of " + b.name() + ")";
        if (pf && qf && p.port == q.port) {
          if (exact.emplace(p.port, std::to_string(p.port) + both).second && !mover_port)
            mover_port = mover == i ? &p : &q;
        } else if (pf && q.is_range() && p.port >= q.range_lo && p.port <= q.range_hi) {
          in_range.emplace(p.port, std::to_string(p.port) + both);
        } else if (qf && p.is_range() && q.port >= p.range_lo && q.port <= p.range_hi) {
          in_range.emplace(q.port, std::to_string(q.port) + both);
        }
      }
    }
    auto lines = [](const std::map<int, std::string>& m, const std::map<int, std::string>& skip) {
      std::vector<std::string> out;
      for (const auto& [port, text] : m) {
        if (!skip.count(port)) out.push_back(text);
      }
      return out;
    };
    if (!exact.empty()) {
      // A port set by a config key moves by that key; a derived one moves with the base.
      std::string fix = move_fix(mover);
      if (mover_port && mover_port->request.source == sdk::PortSource::config &&
          mover_port->origin.find('.') != std::string::npos) {
        fix = s.members[mover].command("config set " + mover_port->origin + " " +
                                       std::to_string(free_port_for(mover)));
      }
      add(Severity::error, "ports",
          a.name() + " and " + b.name() + " share " + port_names(lines(exact, {})), where, fix,
          {a.name(), b.name()});
    }
    const int gap = std::abs(a.base - b.base);
    auto ranged = lines(in_range, exact);
    if (gap <= profile::kDerivedSpan || !ranged.empty()) {
      add(Severity::warning, "ports",
          "the bases of " + a.name() + " (" + std::to_string(a.base) + ") and " + b.name() + " (" +
              std::to_string(b.base) + ") are " + std::to_string(gap) +
              " apart, closer than the derived span (" + std::to_string(profile::kDerivedSpan) +
              "): their CDP ranges overlap" +
              (ranged.empty() ? std::string()
                              : " and take in the other's ports " + port_names(ranged)) +
              ", so a browser profile either adds can collide",
          where, move_fix(mover), {a.name(), b.name()});
    }
  }

  // A port for a config-set port of `who` that no other instance has: in its own CDP range
  // first (where a browser's port belongs), else above its span.
  int free_port_for(std::size_t who) const {
    const Member& m = s.members[who];
    auto taken = others_occupy(who);
    auto ok = [&](int port) {
      for (const auto& iv : taken) {
        if (port >= iv.lo && port <= iv.hi) return false;
      }
      return std::none_of(m.ports.begin(), m.ports.end(), [&](const ports::PlannedPort& p) {
        return !p.is_range() && p.port == port;
      });
    };
    for (const auto& p : m.ports) {
      if (!p.is_range()) continue;
      for (int port = p.range_lo; port <= p.range_hi; ++port) {
        if (ok(port)) return port;
      }
    }
    for (int port = m.base + profile::kDerivedSpan + 1; port <= 65535; ++port) {
      if (ok(port)) return port;
    }
    return 0;
  }

  void pair_paths(const Member& a, const Member& b) {
    auto both = std::vector<std::string>{a.name(), b.name()};
    if (same_dir(a.state_dir, b.state_dir)) {
      add(Severity::error, "paths",
          a.name() + " and " + b.name() + " share the state dir " + shown(a.state_dir),
          shown(a.state_dir), "", both);
    } else if (same_dir(a.config_path, b.config_path)) {
      add(Severity::error, "paths",
          a.name() + " and " + b.name() + " share the config " + shown(a.config_path),
          shown(a.config_path), "", both);
    }
    if (!a.workspace.empty() && same_dir(a.workspace, b.workspace)) {
      const Member& mover = a.profile && !b.profile ? a : b;
      // A profile's own default; an env-var instance's inside its state dir.
      std::string ws = mover.env_instance || !mover.profile
                           ? (mover.state_dir / "workspace").string()
                           : "~/.openclaw/workspace-" + *mover.profile;
      add(Severity::error, "paths",
          a.name() + " and " + b.name() + " share the workspace " + shown(a.workspace) +
              ": their agents would write each other's files",
          shown(a.config_path) + ", " + shown(b.config_path),
          mover.command("config set agents.defaults.workspace " + ws), both);
    }
  }

  // Every cdpUrl an instance's browser attaches to (browser.cdpUrl, browser.profiles.*.cdpUrl).
  static std::vector<std::pair<std::string, std::string>> cdp_urls(const Member& m) {
    std::vector<std::pair<std::string, std::string>> out;
    auto norm = [](std::string u) {
      while (!u.empty() && u.back() == '/') u.pop_back();
      std::transform(u.begin(), u.end(), u.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return u;
    };
    if (auto u = config::get_string(m.config, "browser.cdpUrl"))
      out.emplace_back(norm(*u), "browser.cdpUrl");
    if (const auto* p = config::find(m.config, {"browser", "profiles"}); p && p->is_object()) {
      for (const auto& [name, v] : p->get_object()) {
        const auto* url = v.is_object() ? v.get_object().if_contains("cdpUrl") : nullptr;
        if (url && url->is_string())
          out.emplace_back(norm(std::string(url->get_string())),
                           "browser.profiles." + std::string(name) + ".cdpUrl");
      }
    }
    return out;
  }

  // Accounts a channel signs in with: one login on a server is one bot, never two.
  std::vector<std::pair<std::string, std::string>> accounts(const Member& m) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (config::get_bool(m.config, "channels.irc.enabled") != false) {
      auto host = config::get_string(m.config, "channels.irc.host");
      auto nick = config::get_string(m.config, "channels.irc.nick");
      if (host && nick) {
        bool tls = config::get_bool(m.config, "channels.irc.tls").value_or(false);
        auto port = config::get_int(m.config, "channels.irc.port").value_or(tls ? 6697 : 6667);
        std::string key = "irc:" + *host + ":" + std::to_string(port) + ":" + *nick;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.emplace_back(key, "IRC nick " + *nick + " on " + *host + ":" + std::to_string(port) +
                                  " (channels.irc)");
      }
    }
    if (config::get_bool(m.config, "channels.telegram.enabled") != false) {
      std::optional<std::string> token = config::get_string(m.config, "channels.telegram.botToken");
      if (!token) {
        if (auto file = config::get_string(m.config, "channels.telegram.tokenFile")) {
          try {
            token = sdk::read_secret_file(profile::expand_user(*file, scope.home).string());
          } catch (const std::exception&) {
            // the plugin's own validation says what is wrong with the file
          }
        }
      }
      // Compared, never shown: the finding names the key, not the token.
      if (token && !token->empty())
        out.emplace_back("telegram:" + std::to_string(profile::fnv1a32(*token)) + ":" +
                             std::to_string(token->size()),
                         "the same Telegram bot token (channels.telegram)");
    }
    return out;
  }

  void pair_endpoints(const Member& a, const Member& b) {
    auto both = std::vector<std::string>{a.name(), b.name()};
    const std::string where = shown(a.config_path) + ", " + shown(b.config_path);
    for (const auto& [ua, ka] : cdp_urls(a)) {
      for (const auto& [ub, kb] : cdp_urls(b)) {
        if (ua != ub) continue;
        add(Severity::error, "browser",
            a.name() + " (" + ka + ") and " + b.name() + " (" + kb + ") attach to the same " +
                "browser " + ua + ": each would drive the other's tabs",
            where, b.command("config unset " + kb), both);
      }
    }
    for (const auto& [ka, what] : accounts(a)) {
      for (const auto& [kb, unused] : accounts(b)) {
        if (ka != kb) continue;
        add(Severity::error, "channels",
            a.name() + " and " + b.name() + " use " + what +
                ": the server lets one of them in (or they kick each other out)",
            where, "", both);
      }
    }
  }

  // ---- service units ----------------------------------------------------------------------
  void service_checks() {
    s.unit_dir = service::unit_dir(service::Kind::systemd, scope.env, scope.real_home);
    std::error_code ec;
    std::vector<fs::path> units;
    for (const auto& e : fs::directory_iterator(s.unit_dir, ec)) {
      std::string name = e.path().filename().string();
      if (service::profile_of_unit_name(name)) units.push_back(e.path());
    }
    std::sort(units.begin(), units.end());
    s.units = static_cast<int>(units.size());
    for (const auto& file : units) {
      std::string name = file.filename().string();
      std::optional<std::string> unit_profile = *service::profile_of_unit_name(name);
      std::string text;
      try {
        text = sdk::read_regular_file(file, {}, 1 << 20).value_or("");
      } catch (const std::exception& e) {
        add(Severity::warning, "service", std::string("cannot read the unit: ") + e.what(),
            file.string(), "", {});
        continue;
      }
      auto view = service::read_systemd_unit(text);
      std::string label = unit_profile ? *unit_profile : "default";
      std::string install = "openclaw-host" +
                            (unit_profile ? " --profile " + *unit_profile : std::string()) +
                            " gateway install --force";
      const Member* owner = nullptr;
      for (const auto& m : s.members) {
        if (!m.env_instance && m.profile == unit_profile) owner = &m;
      }
      if (!owner) {
        add(Severity::warning, "service",
            name + " is left for profile " + label + ", whose config is gone", file.string(),
            "systemctl --user disable --now " + name + " && rm " + file.string() +
                " && systemctl --user daemon-reload",
            {label});
        continue;
      }
      if (!view.has_exec || !view.runs_gateway) continue;
      const fs::path runs = unit_state_dir(view, scope.home);
      if (!same_dir(runs, owner->state_dir)) {
        std::string what =
            view.profile || view.state_dir
                ? name + " runs another instance (" + shown(runs) + "), not " + label
                : name +
                      " has no --profile in its ExecStart: it runs the default profile's "
                      "gateway, not " +
                      label + " (OpenClaw #15970)";
        add(Severity::error, "service", what, file.string(), install, {label});
        continue;
      }
      if (view.port && owner->base != 0 && *view.port != std::to_string(owner->base) &&
          owner->base_source != "running") {
        add(Severity::error, "service",
            name + " starts the gateway on --port " + *view.port + " but the config says " +
                std::to_string(owner->base) + " (" + owner->base_source + ")",
            file.string() + ", " + shown(owner->config_path), install, {label});
      }
    }
  }

  // A gateway.json whose process is gone: stale, and `--fix` removes it.
  void record_check(const Member& m) {
    fs::path rec = gateway::record_path(m.state_dir);
    std::error_code ec;
    if (m.pid != 0 || !fs::exists(rec, ec)) return;
    int pid = 0;
    {
      std::ifstream in(rec);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      boost::system::error_code jec;
      auto v = json::parse(text, jec);
      if (!jec && v.is_object()) {
        if (const auto* p = v.get_object().if_contains("pid"); p && p->is_int64())
          pid = static_cast<int>(p->get_int64());
      }
    }
    fs::path dir = m.state_dir;
    auto& f = add(Severity::info, "records",
                  "stale gateway record of pid " + std::to_string(pid) + ": that gateway is gone",
                  shown(rec), "rm " + rec.string(), {m.name()});
    f.apply = [dir, pid, rec] {
      gateway::remove_record(dir, pid);
      return "removed " + rec.string();
    };
  }

  void run() {
    gather();
    for (const auto& m : s.members) {
      config_checks(m);
      permission_checks(m);
      ephemeral_check(m);
      browser_check(m);
      record_check(m);
    }
    for (std::size_t i = 0; i < s.members.size(); ++i) {
      for (std::size_t j = i + 1; j < s.members.size(); ++j) {
        pair_paths(s.members[i], s.members[j]);
        pair_ports(i, j);
        pair_endpoints(s.members[i], s.members[j]);
      }
    }
    service_checks();
    std::stable_sort(s.findings.begin(), s.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  }
};

}  // namespace

fs::path unit_state_dir(const service::UnitView& unit, const fs::path& home) {
  return unit.state_dir ? profile::expand_user(*unit.state_dir, home)
                        : profile::default_state_dir(home, unit.profile);
}

Scope scope_for(const Environment& env, const profile::Paths& paths) {
  Scope scope;
  scope.home = paths.home;
  auto h = env.get("HOME");
  scope.real_home = h ? fs::path(*h) : paths.home;
  scope.env = env;
  scope.self_state_dir = paths.state_dir;
  scope.self_config_path = paths.config_path;
  scope.self_profile = paths.profile;
  return scope;
}

std::vector<Member> instances(const Scope& scope) {
  Survey s;
  Checker c{scope, s, std::nullopt};
  c.gather();
  return std::move(s.members);
}

Survey survey(const Scope& scope) {
  Survey s;
  Checker c{scope, s, std::nullopt};
  c.run();
  return s;
}

json::object to_json(const Survey& s) {
  json::array members;
  for (const auto& m : s.members) {
    json::array ports;
    for (const auto& p : m.ports) {
      json::object o{{"name", p.name()}, {"port", p.port ? json::value(p.port) : json::value()}};
      if (p.is_range()) o["range"] = json::array{p.range_lo, p.range_hi};
      ports.push_back(std::move(o));
    }
    members.push_back(
        json::object{{"name", m.name()},
                     {"profile", m.profile ? json::value(*m.profile) : json::value()},
                     {"envInstance", m.env_instance},
                     {"stateDir", m.state_dir.string()},
                     {"configPath", m.config_path.string()},
                     {"workspace", m.workspace.string()},
                     {"base", m.base ? json::value(m.base) : json::value()},
                     {"baseSource", m.base_source},
                     {"running", m.pid != 0},
                     {"pid", m.pid ? json::value(m.pid) : json::value()},
                     {"problem", m.problem.empty() ? json::value() : json::value(m.problem)},
                     {"ports", std::move(ports)}});
  }
  json::array findings;
  int errors = 0, warnings = 0;
  for (const auto& f : s.findings) {
    if (f.severity == Severity::error) ++errors;
    if (f.severity == Severity::warning) ++warnings;
    json::array who;
    for (const auto& n : f.instances) who.emplace_back(n);
    findings.push_back(json::object{{"severity", severity_name(f.severity)},
                                    {"check", f.check},
                                    {"what", f.what},
                                    {"where", f.where},
                                    {"fix", f.fix.empty() ? json::value() : json::value(f.fix)},
                                    {"fixable", static_cast<bool>(f.apply)},
                                    {"instances", std::move(who)}});
  }
  return json::object{{"registry", s.registry_dir.string()},
                      {"unitDir", s.unit_dir.string()},
                      {"instances", std::move(members)},
                      {"findings", std::move(findings)},
                      {"errors", errors},
                      {"warnings", warnings}};
}

}  // namespace openclaw::cli::isolation
