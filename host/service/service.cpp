#include "service/service.hpp"

#include <string.h>

#include <vector>
#include "core/xml.hpp"

namespace openclaw::service {
namespace fs = std::filesystem;

namespace {

// The restart delay and the stop timeout, the same for systemd and launchd.
constexpr int restart_seconds = 5;
constexpr int stop_timeout_seconds = 20;

// systemd: % starts a specifier; quote words with spaces or quotes (systemd.syntax(7)).
std::string systemd_word(const std::string& s) {
  std::string out;
  bool quote = s.empty() || s.find_first_of(" \t\"'\\") != std::string::npos;
  for (char c : s) {
    if (c == '%') {
      out += "%%";
    } else if (quote && (c == '"' || c == '\\')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return quote ? "\"" + out + "\"" : out;
}

std::vector<std::string> arguments(const Spec& spec) {
  std::vector<std::string> args{spec.exe};
  if (spec.profile) {
    args.push_back("--profile");
    args.push_back(*spec.profile);
  }
  args.push_back("gateway");
  args.push_back("--port");
  args.push_back(std::to_string(spec.port));
  return args;
}

// `dir` lies in (or is) `root`, both absolute and normal.
bool within(const fs::path& dir, const fs::path& root) {
  fs::path rel = dir.lexically_normal().lexically_relative(root.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

void line(std::string& out, const char* key, const std::string& value) {
  out += key;
  out += '=';
  out += value;
  out += '\n';
}

}  // namespace

// The unit, group by group:
//  - Supervision: Type=notify (the gateway says READY=1 once every plugin started and its ports
//    are served, WATCHDOG=1 from its I/O loop every WatchdogSec/2, STOPPING=1 when it stops), so
//    "active" means serving and a hung loop is killed and restarted. Restarts are 5 s apart
//    (longer than a start) and bounded by StartLimit* so a broken install gives up instead of
//    cycling; exit 1 (bad config) and 2 (port or state dir held) are never retried.
//  - Sandbox: everything read-only but the state dir, the workspace, the config's folder and the
//    port registry; no capabilities, no set-uid, no devices, no kernel knobs, native system calls
//    of @system-service only. What Chromium (the browser plugin) needs stays: user, pid and net
//    namespaces for its sandbox, W+X memory for V8, chroot and seccomp.
//  - Left out, each with its reason, as comments in the unit itself.
std::string render_systemd_unit(const Spec& spec) {
  std::string exec;
  for (const auto& a : arguments(spec)) {
    if (!exec.empty()) exec += ' ';  // appended, not "lit" + str: g++ 12 -O3 false -Wrestrict
    exec += systemd_word(a);
  }
  std::string who = spec.profile ? "profile " + *spec.profile : "default profile";
  std::string port = std::to_string(spec.port);

  // The writable paths; "-" = a path that does not exist yet is no error.
  std::vector<std::string> writable{systemd_word("-" + spec.state_dir.string())};
  if (spec.workspace) {
    if (!within(*spec.workspace, spec.state_dir))
      writable.push_back(systemd_word("-" + spec.workspace->string()));
  } else {
    // Profile names are [A-Za-z0-9_-]: nothing to quote; %h is the service's home.
    writable.push_back("-%h/.openclaw/workspace" + (spec.profile ? "-" + *spec.profile : ""));
  }
  fs::path config_dir = spec.config_path.parent_path();
  if (!config_dir.empty() && !within(config_dir, spec.state_dir))
    writable.push_back(systemd_word("-" + config_dir.string()));  // the config is saved there
  // A rescue instance fixes the instances it watches: their state dirs (config, history, logs).
  for (const auto& dir : spec.also_writable) writable.push_back(systemd_word("-" + dir.string()));

  std::string u;
  u += "# Written by openclaw-host gateway install; reinstall with --force after editing, or put\n"
       "# local changes in a drop-in (systemctl --user edit ";
  u += spec.unit_name;
  u += ").\n[Unit]\n";
  line(u, "Description", "OpenClaw gateway (openclaw-host, " + who + ", port " + port + ")");
  u +=
      "After=network-online.target\n"
      "Wants=network-online.target\n"
      "# Five failed starts within five minutes and systemd gives up (the unit stays failed until\n"
      "# `systemctl --user reset-failed` or a start by hand) instead of restarting forever.\n"
      "StartLimitIntervalSec=300\n"
      "StartLimitBurst=5\n"
      "\n"
      "[Service]\n"
      "# --- Supervision ---\n"
      "# The gateway sends READY=1 once every plugin started and its ports are served,\n"
      "# WATCHDOG=1 from its I/O loop every WatchdogSec/2, and STOPPING=1 when it stops.\n"
      "Type=notify\n"
      "NotifyAccess=main\n";
  line(u, "ExecStart", exec);
  line(u, "Environment", systemd_word("OPENCLAW_STATE_DIR=" + spec.state_dir.string()));
  line(u, "Environment", systemd_word("OPENCLAW_CONFIG_PATH=" + spec.config_path.string()));
  u += "# A start takes milliseconds, a few seconds with many plugins or a browser.\n"
       "TimeoutStartSec=60\n"
       "# An I/O loop silent for 30 s is hung: systemd aborts the gateway and restarts it.\n"
       "WatchdogSec=30\n"
       "Restart=on-failure\n"
       "# Longer than a start, so a crashing gateway does not spin.\n";
  line(u, "RestartSec", std::to_string(restart_seconds));
  u += "# 1 = bad config, 2 = a port or the state dir is held: restarting cannot fix either.\n"
       "RestartPreventExitStatus=1 2\n"
       "# SIGTERM to the gateway alone: it stops its plugins and their browsers itself; whatever\n"
       "# is left when TimeoutStopSec runs out is killed.\n"
       "KillMode=mixed\n"
       "KillSignal=SIGTERM\n";
  line(u, "TimeoutStopSec", std::to_string(stop_timeout_seconds));
  u += "\n"
       "# --- Sandbox (systemd-analyze security rates it below 5.0) ---\n"
       "# A user manager (systemd 252 on Debian 12) applies the file-system options below only\n"
       "# inside a user namespace: PrivateUsers=yes gives one (only this user is mapped, other\n"
       "# users' files show as nobody). Options that need privileges a user manager lacks\n"
       "# (DevicePolicy from PrivateDevices/ProtectClock, ProtectProc on some kernels) are\n"
       "# skipped or fall back quietly; the rest are enforced.\n"
       "PrivateUsers=yes\n"
       "UMask=0077\n"
       "NoNewPrivileges=yes\n"
       "CapabilityBoundingSet=\n"
       "AmbientCapabilities=\n"
       "RestrictSUIDSGID=yes\n"
       "KeyringMode=private\n"
       "RemoveIPC=yes\n"
       "LockPersonality=yes\n"
       "RestrictRealtime=yes\n"
       "# Files: read-only everywhere (plugins load from the install prefix and from any folder\n"
       "# the config lists), writable where the gateway writes: the state dir (plugins, logs,\n"
       "# browser profiles), the workspace, the config's folder, the port registry.\n"
       "ProtectSystem=strict\n"
       "ProtectHome=read-only\n";
  for (const auto& w : writable) line(u, "ReadWritePaths", w);
  u += "# The port registry all instances share: $XDG_RUNTIME_DIR/openclaw-ports (a custom\n"
       "# OPENCLAW_PORT_REGISTRY_DIR needs its own ReadWritePaths= in a drop-in). Kept when the\n"
       "# unit stops: other instances hold leases in it.\n"
       "RuntimeDirectory=openclaw-ports\n"
       "RuntimeDirectoryMode=0700\n"
       "RuntimeDirectoryPreserve=yes\n"
       "PrivateTmp=yes\n"
       "# A headful browser on X11 still reaches the display through the private /tmp.\n"
       "BindReadOnlyPaths=-/tmp/.X11-unix\n"
       "PrivateMounts=yes\n"
       "# /dev/null, /dev/shm, ... but no hardware (a browser renders without a GPU).\n"
       "PrivateDevices=yes\n"
       "ProtectKernelTunables=yes\n"
       "ProtectKernelModules=yes\n"
       "ProtectKernelLogs=yes\n"
       "ProtectControlGroups=yes\n"
       "ProtectClock=yes\n"
       "ProtectHostname=yes\n"
       "ProtectProc=invisible\n"
       "# Channels speak TCP/IP (IRC, HTTPS); AF_UNIX and AF_NETLINK for local sockets and\n"
       "# interface lookups.\n"
       "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n"
       "# Chromium's sandbox creates user, pid and net namespaces; no others are allowed.\n"
       "RestrictNamespaces=user pid net\n"
       "SystemCallArchitectures=native\n"
       "# @system-service, plus what Chromium's sandbox calls: chroot (into an empty dir) and\n"
       "# seccomp (its own filters), and memory protection keys (V8). Other calls fail with\n"
       "# EPERM instead of killing the process (Chromium probes ptrace, and copes).\n"
       "SystemCallFilter=@system-service chroot seccomp @pkey\n"
       "SystemCallErrorNumber=EPERM\n"
       "# Left out, on purpose:\n"
       "# - MemoryDenyWriteExecute: V8's JIT (Chromium) needs W+X memory, and the browser\n"
       "#   inherits the gateway's restrictions.\n"
       "# - RestrictNamespaces=~user/~pid/~net: Chromium's sandbox needs them (see above).\n"
       "# - PrivateNetwork, IPAddressDeny/IPAddressAllow: channels reach the internet (IRC,\n"
       "#   Telegram) and any host the config names.\n"
       "# - ProcSubset=pid: it hides /proc/sys and /proc/stat, which the gateway (the\n"
       "#   ephemeral port range) and Chromium (/proc/stat, /proc/cpuinfo) read.\n"
       "# - ProtectHome=yes/tmpfs: plugins and agents read files under the home (config paths,\n"
       "#   plugin folders); read-only is enough.\n"
       "# - SystemCallFilter=~@privileged/~@mount: chroot, which Chromium's sandbox needs, is\n"
       "#   in both.\n"
       "# - User=/DynamicUser=/RootDirectory=: a user unit already runs as its user, on the\n"
       "#   host's tree.\n"
       "\n"
       "[Install]\n"
       "WantedBy=default.target\n";
  return u;
}

std::string render_launchd_plist(const Spec& spec) {
  std::string args;
  for (const auto& a : arguments(spec)) args += "    <string>" + xml_escape(a) + "</string>\n";
  fs::path logs = spec.state_dir / "logs";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
         "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
         "<plist version=\"1.0\">\n"
         "<dict>\n"
         "  <key>Label</key>\n"
         "  <string>" +
         xml_escape(spec.label) +
         "</string>\n"
         "  <key>ProgramArguments</key>\n"
         "  <array>\n" +
         args +
         "  </array>\n"
         "  <key>EnvironmentVariables</key>\n"
         "  <dict>\n"
         "    <key>OPENCLAW_STATE_DIR</key>\n"
         "    <string>" +
         xml_escape(spec.state_dir.string()) +
         "</string>\n"
         "    <key>OPENCLAW_CONFIG_PATH</key>\n"
         "    <string>" +
         xml_escape(spec.config_path.string()) +
         "</string>\n"
         "  </dict>\n"
         "  <key>RunAtLoad</key>\n"
         "  <true/>\n"
         "  <key>KeepAlive</key>\n"
         "  <dict>\n"
         "    <key>SuccessfulExit</key>\n"
         "    <false/>\n"
         "  </dict>\n"
         "  <!-- Matching the unit's RestartSec and TimeoutStopSec. -->\n"
         "  <key>ThrottleInterval</key>\n"
         "  <integer>" +
         std::to_string(restart_seconds) +
         "</integer>\n"
         "  <key>ExitTimeOut</key>\n"
         "  <integer>" +
         std::to_string(stop_timeout_seconds) +
         "</integer>\n"
         "  <key>Umask</key>\n"
         "  <integer>63</integer>\n"  // decimal for 0077
         "  <!-- A server: not throttled like a Background job. -->\n"
         "  <key>ProcessType</key>\n"
         "  <string>Standard</string>\n"
         "  <key>StandardOutPath</key>\n"
         "  <string>" +
         xml_escape((logs / "gateway.out.log").string()) +
         "</string>\n"
         "  <key>StandardErrorPath</key>\n"
         "  <string>" +
         xml_escape((logs / "gateway.err.log").string()) +
         "</string>\n"
         "</dict>\n"
         "</plist>\n";
}

Kind native_kind() {
#ifdef __APPLE__
  return Kind::launchd;
#else
  return Kind::systemd;
#endif
}

fs::path unit_dir(Kind kind, const Environment& env, const fs::path& home) {
  if (auto d = env.get("OPENCLAW_SERVICE_DIR")) return fs::path(*d);
  if (kind == Kind::launchd) return home / "Library" / "LaunchAgents";
  if (auto x = env.get("XDG_CONFIG_HOME")) return fs::path(*x) / "systemd" / "user";
  return home / ".config" / "systemd" / "user";
}

std::string unit_file_name(Kind kind, const Spec& spec) {
  return kind == Kind::launchd ? spec.label + ".plist" : spec.unit_name;
}

SystemdState parse_systemd_show(std::string_view text) {
  SystemdState st;
  auto number = [](std::string_view v, int& out) {
    int n = 0;
    if (v.empty() || v.size() > 9) return;
    for (char ch : v) {
      if (ch < '0' || ch > '9') return;
      n = n * 10 + (ch - '0');
    }
    out = n;
  };
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    auto word = [&](std::string& out) {
      if (value.size() <= 64) out = std::string(value);
    };
    if (key == "ActiveState") word(st.active);
    if (key == "SubState") word(st.sub);
    if (key == "Result") word(st.result);
    if (key == "NRestarts") number(value, st.restarts);
    if (key == "ExecMainCode") number(value, st.main_code);
    if (key == "ExecMainStatus") number(value, st.main_status);
  }
  return st;
}

std::string describe(const SystemdState& st) {
  if (st.active.empty()) return "";
  std::string out;
  if (st.active == "activating" && st.sub == "auto-restart") {
    out = "restarting it (auto-restart, after RestartSec)";
  } else if (st.active == "failed" && st.result == "start-limit-hit") {
    out =
        "gave up: it failed too often in a row (start-limit-hit); `systemctl --user "
        "reset-failed` and a start clear it";
  } else if (st.active == "failed") {
    out = "gave up: the unit failed (" + st.result + ") and is not restarted";
  } else if (st.active == "activating") {
    out = "starting it";
  } else if (st.active == "active") {
    out = "running it";
  } else if (st.active == "deactivating") {
    out = "stopping it";
  } else if (st.active == "inactive") {
    out = "not running it (stopped)";
  } else {
    out = st.active + (st.sub.empty() ? "" : " (" + st.sub + ")");
  }
  if (st.restarts > 0) out += "; " + std::to_string(st.restarts) + " restart(s) so far";
  if (st.result == "watchdog") out += "; its watchdog fired (no WATCHDOG=1 within WatchdogSec)";
  if (st.main_code == 1 && st.main_status != 0) {
    out += "; its last run exited with status " + std::to_string(st.main_status);
  } else if (st.main_code == 2 || st.main_code == 3) {
    const char* name = nullptr;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
    if (st.main_status > 0 && st.main_status < 65) name = sigabbrev_np(st.main_status);
#endif
    out += std::string("; its last run was ") +
           (st.main_code == 3 ? "dumped core on" : "killed by") + " signal " +
           std::to_string(st.main_status) +
           (name ? std::string(" (SIG") + name + ")" : std::string());
  }
  return out;
}

}  // namespace openclaw::service

namespace openclaw::service {
namespace {

// systemd.syntax(7) words: whitespace separates, "..." and '...' quote, a backslash escapes the
// next character; `%%` is a literal %.
std::vector<std::string> unit_words(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '\\' && i + 1 < s.size()) {
        word += s[++i];
      } else if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '\\' && i + 1 < s.size()) {
      word += s[++i];
    } else if (c == '%' && i + 1 < s.size() && s[i + 1] == '%') {
      word += '%';
      ++i;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

UnitView read_systemd_unit(std::string_view text) {
  UnitView v;
  std::string section;
  std::string logical;  // one setting, continuation lines joined
  auto setting = [&](std::string_view line) {
    auto eq = line.find('=');
    if (eq == std::string_view::npos || section != "Service") return;
    std::string_view key = trimmed(line.substr(0, eq));
    std::string_view value = trimmed(line.substr(eq + 1));
    if (key == "ExecStart" && !value.empty()) {
      v.has_exec = true;
      v.exec = std::string(value);
      while (!value.empty() &&
             std::string_view("-@:+!").find(value.front()) != std::string_view::npos)
        value.remove_prefix(1);
      auto words = unit_words(value);
      for (std::size_t i = 1; i < words.size(); ++i) {
        const std::string& w = words[i];
        auto next = [&]() -> std::optional<std::string> {
          if (i + 1 < words.size()) return words[++i];
          return std::nullopt;
        };
        if (w == "gateway") v.runs_gateway = true;
        if (w == "--profile") {
          if (auto n = next()) v.profile = *n;
        } else if (w.rfind("--profile=", 0) == 0) {
          v.profile = w.substr(10);
        } else if (w == "--dev") {
          v.profile = "dev";
        } else if (w == "--port") {
          if (auto n = next()) v.port = *n;
        } else if (w.rfind("--port=", 0) == 0) {
          v.port = w.substr(7);
        }
      }
    } else if (key == "Environment") {
      for (const auto& w : unit_words(value)) {
        auto e = w.find('=');
        if (e == std::string::npos) continue;
        std::string name = w.substr(0, e), val = w.substr(e + 1);
        if (name == "OPENCLAW_PROFILE" && !v.profile && !val.empty()) v.profile = val;
        if (name == "OPENCLAW_GATEWAY_PORT" && !v.port && !val.empty()) v.port = val;
        if (name == "OPENCLAW_STATE_DIR" && !val.empty()) v.state_dir = val;
      }
    }
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    std::string_view line = trimmed(raw);
    if (logical.empty()) {
      if (line.empty() || line.front() == '#' || line.front() == ';') continue;
      if (line.front() == '[') {
        auto close = line.find(']');
        section = std::string(
            line.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
        continue;
      }
    } else if (!line.empty() && (line.front() == '#' || line.front() == ';')) {
      continue;  // a comment inside a continued setting is skipped (systemd does the same)
    }
    if (!line.empty() && line.back() == '\\') {
      logical += line.substr(0, line.size() - 1);
      logical += ' ';
      continue;
    }
    logical += line;
    setting(logical);
    logical.clear();
  }
  if (!logical.empty()) setting(logical);
  // An explicit "default" profile is no profile.
  if (v.profile && (*v.profile == "default" || v.profile->empty())) v.profile.reset();
  return v;
}

std::optional<std::optional<std::string>> profile_of_unit_name(std::string_view name) {
  constexpr std::string_view prefix = "openclaw-gateway", suffix = ".service";
  if (name.size() < prefix.size() + suffix.size() || name.substr(0, prefix.size()) != prefix ||
      name.substr(name.size() - suffix.size()) != suffix)
    return std::nullopt;
  std::string_view middle = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (middle.empty()) return std::optional<std::string>();
  if (middle.front() != '-' || middle.size() == 1) return std::nullopt;
  return std::optional<std::string>(std::string(middle.substr(1)));
}

}  // namespace openclaw::service
