#include "service/service.hpp"

#include <vector>

namespace openclaw::service {
namespace fs = std::filesystem;

namespace {

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

std::string xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
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

}  // namespace

std::string render_systemd_unit(const Spec& spec) {
  std::string exec;
  for (const auto& a : arguments(spec)) {
    if (!exec.empty()) exec += ' ';  // appended, not "lit" + str: g++ 12 -O3 false -Wrestrict
    exec += systemd_word(a);
  }
  std::string who = spec.profile ? "profile " + *spec.profile : "default profile";
  return "# Written by openclaw-host gateway install; reinstall with --force after editing.\n"
         "[Unit]\n"
         "Description=OpenClaw gateway (openclaw-host, " +
         who + ", port " + std::to_string(spec.port) +
         ")\n"
         "After=network-online.target\n"
         "Wants=network-online.target\n"
         "\n"
         "[Service]\n"
         "Type=simple\n"
         "ExecStart=" +
         exec +
         "\n"
         "Environment=" +
         systemd_word("OPENCLAW_STATE_DIR=" + spec.state_dir.string()) +
         "\n"
         "Environment=" +
         systemd_word("OPENCLAW_CONFIG_PATH=" + spec.config_path.string()) +
         "\n"
         "Restart=on-failure\n"
         "RestartSec=2\n"
         "# 1 = bad config, 2 = a port or the state dir is held: restarting cannot fix either.\n"
         "RestartPreventExitStatus=1 2\n"
         "KillSignal=SIGTERM\n"
         "TimeoutStopSec=10\n"
         "\n"
         "[Install]\n"
         "WantedBy=default.target\n";
}

std::string render_launchd_plist(const Spec& spec) {
  std::string args;
  for (const auto& a : arguments(spec)) args += "    <string>" + xml(a) + "</string>\n";
  fs::path logs = spec.state_dir / "logs";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
         "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
         "<plist version=\"1.0\">\n"
         "<dict>\n"
         "  <key>Label</key>\n"
         "  <string>" +
         xml(spec.label) +
         "</string>\n"
         "  <key>ProgramArguments</key>\n"
         "  <array>\n" +
         args +
         "  </array>\n"
         "  <key>EnvironmentVariables</key>\n"
         "  <dict>\n"
         "    <key>OPENCLAW_STATE_DIR</key>\n"
         "    <string>" +
         xml(spec.state_dir.string()) +
         "</string>\n"
         "    <key>OPENCLAW_CONFIG_PATH</key>\n"
         "    <string>" +
         xml(spec.config_path.string()) +
         "</string>\n"
         "  </dict>\n"
         "  <key>RunAtLoad</key>\n"
         "  <true/>\n"
         "  <key>KeepAlive</key>\n"
         "  <dict>\n"
         "    <key>SuccessfulExit</key>\n"
         "    <false/>\n"
         "  </dict>\n"
         "  <key>StandardOutPath</key>\n"
         "  <string>" +
         xml((logs / "gateway.out.log").string()) +
         "</string>\n"
         "  <key>StandardErrorPath</key>\n"
         "  <string>" +
         xml((logs / "gateway.err.log").string()) +
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

}  // namespace openclaw::service
