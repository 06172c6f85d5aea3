// commands: the rescue bot's built-in commands, answered to allowed senders on every channel:
// /help, /status [profile], /profiles, /ports [profile], /logs <profile> [n], /restart <profile>.
// It needs nothing from the instance it asks about: the machine-wide registry (the SDK's
// instances service), that instance's own /api/status over loopback, its log file, and its
// service through `openclaw-host --profile P gateway restart`. A plugin like any other (public
// SDK only): disable it with plugins.entries.commands.enabled = false, or write another.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <regex>
#include <sstream>

#include <boost/json.hpp>

#include <openclaw/sdk/channels.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/instances.hpp>
#include <openclaw/sdk/plugin_export.hpp>
#include <openclaw/sdk/process.hpp>

namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* kHelp =
    "Commands: /status [profile] - is it running, pid, uptime, ports, plugins | /profiles - every "
    "instance on this machine | /ports [profile] | /logs <profile> [n] - its last log lines | "
    "/restart <profile> - through its installed service | /help";

std::string name_of(const std::optional<std::string>& profile) {
  return profile.value_or("default");
}

std::string duration(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h" + std::to_string((s % 3600) / 60) + "m";
  return std::to_string(s / 86400) + "d";
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// Secrets never leave in a reply: tokens, passwords, bearer headers, bot tokens.
std::string redact(std::string line) {
  static const std::regex patterns[] = {
      std::regex(R"((token|password|secret|apikey|api_key)("?\s*[:=]\s*"?)[^\s",}]+)",
                 std::regex::icase),
      std::regex(R"((Bearer\s+)[A-Za-z0-9._~+/=-]+)", std::regex::icase),
      std::regex(R"(\b[0-9]{6,12}:[A-Za-z0-9_-]{30,}\b)"),  // a Telegram bot token
  };
  line = std::regex_replace(line, patterns[0], "$1$2***");
  line = std::regex_replace(line, patterns[1], "$1***");
  line = std::regex_replace(line, patterns[2], "***");
  return line;
}

class Commands final : public sdk::Plugin {
 public:
  void start(sdk::Host& host) override {
    host_ = &host;
    auto* channels = &sdk::channels_service(host);
    instances_ = host.service<sdk::Instances>();
    handler_ =
        channels->add_command_handler([this](const sdk::CommandContext& c) { return on(c); });
  }

  void stop() override {
    handler_.revoke();
    for (auto& [pid, child] : children_) child->stop();
    children_.clear();
    host_ = nullptr;
  }

  json::value status() const override { return json::object{{"answered", answered_}}; }

 private:
  bool on(const sdk::CommandContext& c) {
    const std::string& text = c.message.text;
    if (text.empty() || text[0] != '/') return false;
    auto w = words(text);
    std::string cmd = w[0];
    // "/status@rescue_bot" (Telegram groups) means /status.
    if (auto at = cmd.find('@'); at != std::string::npos) cmd.resize(at);
    std::string arg = w.size() > 1 ? w[1] : "";
    ++answered_;
    if (cmd == "/help" || cmd == "/start") {
      done(c, kHelp);
    } else if (cmd == "/profiles") {
      profiles(c);
    } else if (cmd == "/status") {
      status_of(c, arg);
    } else if (cmd == "/ports") {
      ports_of(c, arg);
    } else if (cmd == "/logs") {
      logs_of(c, arg, w.size() > 2 ? w[2] : "");
    } else if (cmd == "/restart") {
      restart(c, arg);
    } else {
      --answered_;
      return false;
    }
    return true;
  }

  static void done(const sdk::CommandContext& c, const std::string& reply) {
    c.reply(reply);
    c.finish();
  }

  std::string self_name() const { return name_of(host_->profile()); }

  std::vector<sdk::InstanceInfo> live() const {
    return instances_ ? instances_->list() : std::vector<sdk::InstanceInfo>{};
  }

  std::optional<sdk::InstanceInfo> find(const std::string& profile) const {
    for (auto& i : live()) {
      if (name_of(i.profile) == profile) return i;
    }
    return std::nullopt;
  }

  void profiles(const sdk::CommandContext& c) {
    auto all = live();
    if (all.empty()) return done(c, "No instance is running on this machine.");
    std::string out = std::to_string(all.size()) + " instance(s): ";
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& x = all[i];
      out += (i ? "; " : "") + name_of(x.profile) + " pid " + std::to_string(x.pid) + " port " +
             std::to_string(x.base) + (x.answers ? " up" : " NOT ANSWERING") +
             (x.self ? " (me)" : "");
    }
    done(c, out);
  }

  void status_of(const sdk::CommandContext& c, std::string profile) {
    if (profile.empty()) profile = self_name();
    auto inst = find(profile);
    if (!inst) return done(c, profile + ": not running (no live gateway holds its ports)");
    if (!inst->answers) {
      return done(c, profile + ": pid " + std::to_string(inst->pid) + " holds port " +
                         std::to_string(inst->base) + " but does not answer");
    }
    // Its own view, over loopback: uptime and plugin states. The reply waits for it, never the
    // loop.
    sdk::HttpClientRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(inst->base) + "/api/status";
    r.timeout = 3s;
    sdk::http_request(host_->io(), r, [c, profile, i = *inst](sdk::HttpClientResponse res) {
      std::string out =
          profile + ": running, pid " + std::to_string(i.pid) + ", port " + std::to_string(i.base);
      boost::system::error_code ec;
      json::value v =
          res.error.empty() && res.status == 200 ? json::parse(res.body, ec) : json::value();
      if (!ec && v.is_object()) {
        const auto& o = v.get_object();
        if (const auto* u = o.if_contains("uptimeMs"); u && u->is_number()) {
          out += ", up " + duration(u->to_number<std::int64_t>());
        }
        if (const auto* p = o.if_contains("plugins"); p && p->is_array()) {
          std::string list;
          for (const auto& e : p->get_array()) {
            if (!e.is_object()) continue;
            const auto* id = e.get_object().if_contains("id");
            const auto* st = e.get_object().if_contains("state");
            if (id && id->is_string() && st && st->is_string()) {
              list += (list.empty() ? "" : ", ") + std::string(id->get_string()) + " " +
                      std::string(st->get_string());
            }
          }
          if (!list.empty()) out += "; plugins: " + list;
        }
      } else {
        out += " (its status did not answer: " +
               (res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error) + ")";
      }
      done(c, out);
    });
  }

  void ports_of(const sdk::CommandContext& c, std::string profile) {
    if (profile.empty()) profile = self_name();
    auto inst = find(profile);
    if (!inst) return done(c, profile + ": not running, holds no ports");
    std::string out = profile + " ports:";
    for (const auto& [name, port] : inst->ports) out += " " + name + "=" + std::to_string(port);
    done(c, out);
  }

  // The state dir of `profile`: a live instance's own, else OpenClaw's convention
  // (~/.openclaw-<profile>, ~/.openclaw for the default; OPENCLAW_HOME replaces $HOME).
  fs::path state_dir_of(const std::string& profile) const {
    if (auto i = find(profile)) return i->state_dir;
    if (profile == self_name()) return host_->state_dir();
    const char* home = std::getenv("OPENCLAW_HOME");
    if (!home || !*home) home = std::getenv("HOME");
    fs::path h = home ? home : "";
    return profile == "default" ? h / ".openclaw" : h / (".openclaw-" + profile);
  }

  static bool valid_profile(const std::string& p) {
    return !p.empty() && p.size() <= 64 && std::all_of(p.begin(), p.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
    });
  }

  void logs_of(const sdk::CommandContext& c, const std::string& profile, const std::string& count) {
    if (!valid_profile(profile)) return done(c, "usage: /logs <profile> [lines, 1-50]");
    int n = 10;
    if (!count.empty()) {
      char* end = nullptr;
      long v = std::strtol(count.c_str(), &end, 10);
      if (*end || v < 1 || v > 50) return done(c, "usage: /logs <profile> [lines, 1-50]");
      n = static_cast<int>(v);
    }
    fs::path file = state_dir_of(profile) / "logs" / "gateway.log";
    // A FIFO or a device in the log's place is refused, not waited on (this is the I/O thread).
    sdk::OpenOptions options;
    options.no_symlinks = true;
    sdk::RegularFile log = sdk::open_regular_file(file, options);
    if (!log) {
      if (log.refusal == sdk::RegularFile::Refusal::error && log.error == ENOENT) {
        return done(c, profile + ": no log at " + file.string());
      }
      return done(c, profile + ": cannot read " + file.string() + ": it " + log.why());
    }
    // The tail of a log that may be large: read the last 64 KiB only.
    const std::uint64_t from = log.size > 65536 ? log.size - 65536 : 0;
    std::string tail(static_cast<size_t>(log.size - from), '\0');
    ssize_t got = ::pread(log.fd, tail.data(), tail.size(), static_cast<off_t>(from));
    tail.resize(got > 0 ? static_cast<size_t>(got) : 0);
    std::deque<std::string> lines;
    std::istringstream in(tail);
    std::string line;
    if (from > 0) std::getline(in, line);  // the first line is cut in the middle
    while (std::getline(in, line)) {
      lines.push_back(redact(line));
      if (static_cast<int>(lines.size()) > n) lines.pop_front();
    }
    if (lines.empty()) return done(c, profile + ": the log is empty");
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    out.pop_back();
    done(c, out);
  }

  void restart(const sdk::CommandContext& c, const std::string& profile) {
    if (!valid_profile(profile)) return done(c, "usage: /restart <profile>");
    // The host binary this plugin runs in restarts the profile's own service (systemd unit or
    // launchd agent); it refuses, and says why, when the profile has none installed.
    sdk::ProcessOptions o;
    o.program = "/proc/self/exe";
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) o.program = std::string(buf, static_cast<size_t>(n));
    if (profile == "default") {
      o.args = {"gateway", "restart"};
    } else {
      o.args = {"--profile", profile, "gateway", "restart"};
    }
    // The other profile's own paths, port and token, never ours.
    for (const auto& name : sdk::instance_environment()) o.env[name] = std::nullopt;
    auto output = std::make_shared<std::string>();
    try {
      auto child = sdk::ChildProcess::start(
          host_->io(), o, [output](std::string_view l) { *output = std::string(l); },
          [this, c, profile, output](const sdk::ProcessExit& e) {
            std::string last = redact(*output);
            if (e.exit_code == 0) {
              done(c, profile + ": restart requested through its service" +
                          (last.empty() ? "" : " (" + last + ")"));
            } else {
              done(c, profile + ": not restarted: " + (last.empty() ? e.describe() : last));
            }
            host_->after(0ms, [this] { reap(); });
          });
      children_[child->pid()] = std::move(child);
    } catch (const std::exception& e) {
      done(c, profile + ": not restarted: " + e.what());
    }
  }

  void reap() {
    for (auto it = children_.begin(); it != children_.end();) {
      it = it->second->running() ? std::next(it) : children_.erase(it);
    }
  }

  sdk::Host* host_ = nullptr;
  sdk::Instances* instances_ = nullptr;
  sdk::Registration handler_;
  std::map<int, std::unique_ptr<sdk::ChildProcess>> children_;
  std::int64_t answered_ = 0;
};

}  // namespace

OPENCLAW_PLUGIN(Commands)
