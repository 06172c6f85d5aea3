// rescue: the rescue bot. It watches the other instances of the machine (rescue.watch, in
// plugins.entries.rescue.config) and tells its owner (rescue.notify) the moment one crashes,
// hangs, fails to start, degrades or comes back; and it answers allowed senders on every channel:
// /help, /status [profile], /profiles, /ports [profile], /logs <profile> [n], /restart <profile>.
// It needs nothing from the instance it watches: the machine-wide registry (the SDK's instances
// service), the kernel's word when a process exits (sdk::ExitWatch), that instance's /readyz
// and /api/status over loopback, its run history (sdk/run_history.hpp) and log file, and
// its service through `openclaw-host --profile P gateway restart`. A gateway on another machine
// is watched over HTTPS with its token (/readyz only; acting on it is for its own machine). A
// plugin like any other
// (public SDK only): disable it with plugins.entries.rescue.enabled = false, or write another.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <sstream>
#include <system_error>

#include <boost/json.hpp>

#include <openclaw/sdk/channels.hpp>
#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/config_schema.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/instances.hpp>
#include <openclaw/sdk/plugin_export.hpp>
#include <openclaw/sdk/process.hpp>
#include <openclaw/sdk/run_history.hpp>
#include <openclaw/sdk/url.hpp>

namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* kHelp =
    "Commands: /status [profile] - is it running, pid, uptime, ports, plugins; if not, how it "
    "ended and whether its config would start | /profiles - every instance on this machine | "
    "/ports [profile] | /logs <profile> [n] - its last log lines | /start, /stop, /restart "
    "<profile> - through its service, else directly | /config <profile> get|set|unset|validate "
    "[key] [value] | /history <profile> - its config versions | /rollback <profile> [n|good] | "
    "/doctor <profile> | /help. Watched instances (plugins.entries.rescue.config.watch, "
    "remote gateways too: /status only) are reported here unasked.";

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

// A log line as people read it: its leading epoch milliseconds as "14:03:11 UTC".
std::string readable(const std::string& line) {
  std::size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits != 13 || digits >= line.size() || line[digits] != ' ') return line;
  std::time_t t = static_cast<std::time_t>(std::stoll(line.substr(0, digits)) / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", &tm);
  return buf + line.substr(digits);
}

// Secrets never leave in a reply (sdk::redact_text): tokens, passwords, bearer headers, bot
// tokens.
std::string redact(const std::string& line) {
  return sdk::redact_text(line);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kBlock = "plugins.entries.rescue.config";

// What the rescue bot watches and whom it tells: plugins.entries.rescue.config.
struct WatchSettings {
  std::vector<std::string> profiles;  ///< "watch": names, or "*" for every other instance
  bool everyone = false;
  int interval_ms = 1000;      ///< "intervalMs": how often /readyz is asked
  int hung_after = 3;          ///< "hungAfter": /readyz misses in a row that make it hung
  int alerts_per_minute = 10;  ///< "alertsPerMinute": past it, changes are counted, not sent
  struct Target {
    std::string channel, to;
  };
  std::vector<Target> notify;  ///< "notify": [{"channel": "irc", "to": "owner"}]
  int start_wait_ms = 30000;   ///< "startWaitMs": how long /start waits for ready
  /// "autoRestart": {enabled, maxRestarts, windowMs, backoffMs, maxBackoffMs}
  struct AutoRestart {
    bool enabled = false;
    int max_restarts = 5;
    int window_ms = 600000;
    int backoff_ms = 1000;
    int max_backoff_ms = 300000;
  } auto_restart;
  bool auto_rollback = false;  ///< "autoRollback": a failing start with a changed config
  /// A gateway on another machine: {"name", "url", "tokenFile"?, "caFile"?} in "watch". Watched
  /// over HTTPS (certificate verified) with its token; start, stop and config stay local-only.
  struct Remote {
    std::string name, url;  ///< url: "https://gw.example:18789", no trailing '/'
    std::string token;      ///< the content of tokenFile (never logged, never shown)
    std::string ca_file;    ///< a private CA's PEM file, else the system's trust store
  };
  std::vector<Remote> remotes;
};

// A profile name as the CLI accepts it (letters, digits, '-', '_').
bool valid_name(const std::string& p) {
  return !p.empty() && p.size() <= 64 && std::all_of(p.begin(), p.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

// One {"name", "url", "tokenFile", "caFile"} entry of "watch" (`at` is its key path).
void remote_entry(sdk::ConfigBlock& c, const std::string& at, const json::object& e,
                  WatchSettings& s) {
  WatchSettings::Remote r;
  auto text = [&](const char* key, bool required) -> std::optional<std::string> {
    const json::value* v = e.if_contains(key);
    if (!v) {
      if (required) c.problem(at + "." + key, "is required");
      return std::nullopt;
    }
    if (!v->is_string() || v->get_string().empty()) {
      c.problem(at + "." + key, "must be a non-empty string, got " + json::serialize(*v));
      return std::nullopt;
    }
    return std::string(v->get_string());
  };
  for (const auto& [key, v] : e) {
    if (key != "name" && key != "url" && key != "tokenFile" && key != "caFile") {
      c.problem(at + "." + std::string(key),
                "is not a key of a remote watch (name, url, tokenFile, caFile)");
    }
  }
  auto name = text("name", true), url = text("url", true);
  auto token_file = text("tokenFile", false), ca_file = text("caFile", false);
  if (!name || !url) return;
  if (!valid_name(*name)) {
    return c.problem(at + ".name", "must be letters, digits, '-' or '_', got \"" + *name + "\"");
  }
  auto parsed = sdk::Url::parse(*url);
  if (!parsed || parsed->scheme != "https") {
    // Its token goes with every check: never in the clear.
    return c.problem(at + ".url",
                     "must be an https:// URL (the gateway's token is sent), got \"" + *url + "\"");
  }
  r.name = *name;
  r.url = parsed->origin();
  if (token_file) {
    try {
      r.token = sdk::read_secret_file(*token_file);
    } catch (const std::exception& ex) {
      return c.problem(at + ".tokenFile", ex.what());
    }
    if (r.token.empty()) return c.problem(at + ".tokenFile", *token_file + " is empty");
  }
  if (ca_file) r.ca_file = sdk::expand_home(*ca_file).string();
  for (const auto& other : s.remotes) {
    if (other.name == r.name) return c.problem(at + ".name", "\"" + r.name + "\" is listed twice");
  }
  s.remotes.push_back(std::move(r));
}

WatchSettings watch_settings(const json::object& root, std::vector<sdk::ConfigProblem>* problems) {
  WatchSettings s;
  sdk::ConfigBlock c(root, kBlock, problems);
  c.integer("intervalMs", s.interval_ms, 100, 3600000);
  c.integer("hungAfter", s.hung_after, 1, 100);
  c.integer("alertsPerMinute", s.alerts_per_minute, 1, 10000);
  c.integer("startWaitMs", s.start_wait_ms, 100, 600000);
  c.boolean("autoRollback", s.auto_rollback);
  {
    sdk::ConfigBlock r(root, std::string(kBlock) + ".autoRestart", problems);
    auto& a = s.auto_restart;
    r.boolean("enabled", a.enabled);
    r.integer("maxRestarts", a.max_restarts, 1, 100);
    r.integer("windowMs", a.window_ms, 1000, 86400000);
    r.integer("backoffMs", a.backoff_ms, 0, 3600000);
    r.integer("maxBackoffMs", a.max_backoff_ms, 0, 86400000);
  }
  const json::object* o = c.object();
  if (!o) return s;
  if (auto* r = sdk::ConfigSchemaRecorder::active()) {  // read by hand below: `config schema`
    r->record(std::string(c.path()) + ".watch",
              "list of profile names, \"*\", or {name, url, tokenFile, caFile}", "[]");
    r->record(std::string(c.path()) + ".notify", "list of {channel, to}", "[]");
  }
  if (const json::value* w = o->if_contains("watch")) {
    if (w->is_string() && w->get_string() == "*") {
      s.everyone = true;
    } else if (w->is_array()) {
      std::size_t index = 0;
      for (const auto& p : w->get_array()) {
        const std::string at = "watch[" + std::to_string(index++) + "]";
        if (p.is_object()) {
          remote_entry(c, at, p.get_object(), s);
        } else if (p.is_string() && p.get_string() == "*") {
          s.everyone = true;
        } else if (p.is_string() && !p.get_string().empty()) {
          s.profiles.emplace_back(p.get_string());
        } else {
          c.problem(at,
                    "must be a profile name, \"*\" or {\"name\", \"url\", \"tokenFile\"}, got " +
                        json::serialize(p));
        }
      }
    } else {
      c.problem("watch", "must be a list of profile names, \"*\" or remote gateways");
    }
    for (const auto& r : s.remotes) {
      if (std::find(s.profiles.begin(), s.profiles.end(), r.name) != s.profiles.end()) {
        c.problem("watch",
                  "\"" + r.name + "\" names a profile of this machine and a remote gateway");
      }
    }
  }
  if (const json::value* n = o->if_contains("notify")) {
    if (!n->is_array()) {
      c.problem("notify", "must be a list of {\"channel\", \"to\"}");
    } else {
      for (const auto& t : n->get_array()) {
        const json::object* to = t.if_object();
        const json::value* ch = to ? to->if_contains("channel") : nullptr;
        const json::value* dest = to ? to->if_contains("to") : nullptr;
        if (!ch || !ch->is_string() || !dest || !dest->is_string() || ch->get_string().empty() ||
            dest->get_string().empty()) {
          c.problem("notify",
                    "each entry needs \"channel\" and \"to\" (strings), got " + json::serialize(t));
          continue;
        }
        s.notify.push_back({std::string(ch->get_string()), std::string(dest->get_string())});
      }
    }
  }
  return s;
}

// "12 s ago" / "3 min ago": how a reply says when something happened.
std::string ago(std::int64_t at_ms) {
  std::int64_t s = std::max<std::int64_t>(0, (now_ms() - at_ms) / 1000);
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 172800) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

// How a stopped instance last ended, from its run history: {state, what to say}.
std::pair<std::string, std::string> ended(const sdk::RunHistory& h) {
  if (h.starts.empty() && !h.last_exit) return {"never-started", "has never run"};
  std::string state, text;
  if (h.ended_silently()) {
    state = "crashed";
    text = "died without a word " + ago(h.starts.back()) + " (killed: SIGKILL, out of memory, ...)";
  } else if (h.last_exit->kind == "crashed") {
    state = "crashed";
    text = "crashed " + ago(h.last_exit->at_ms) + ": " + h.last_exit->reason;
  } else if (h.last_exit->kind == "failed-start") {
    state = "failing";
    text = "its last start failed " + ago(h.last_exit->at_ms) + ": " + h.last_exit->reason;
  } else {
    state = "stopped";
    text = "stopped " + ago(h.last_exit->at_ms) + " (" + h.last_exit->reason + ")";
  }
  if (state != "stopped" && h.starts_since(now_ms() - 5 * 60 * 1000) >= 3) {
    state = "crash-looping";
    text = std::to_string(h.starts_since(now_ms() - 5 * 60 * 1000)) + " starts in 5 min; " + text;
  }
  return {state, text};
}

class Rescue final : public sdk::Plugin {
 public:
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    std::vector<sdk::ConfigProblem> problems;
    watch_settings(host.root_config(), &problems);
    return problems;
  }

  void start(sdk::Host& host) override {
    host_ = &host;
    channels_ = &sdk::channels_service(host);
    instances_ = host.service<sdk::Instances>();
    handler_ =
        channels_->add_command_handler([this](const sdk::CommandContext& c) { return on(c); });
    settings_ = watch_settings(host.root_config(), nullptr);
    http_ = sdk::HttpClient::create(host.io());  // kept connections: one per watched gateway
    if (watches_any()) {
      std::vector<std::string> names = settings_.profiles;
      for (const auto& r : settings_.remotes) names.push_back(r.name + " at " + r.url);
      host.log(sdk::LogLevel::info,
               "rescue: watching " +
                   (settings_.everyone ? std::string("every other instance") : join(names)) +
                   " every " + std::to_string(settings_.interval_ms) + " ms; telling " +
                   std::to_string(settings_.notify.size()) + " target(s)");
      tick();
    }
  }

  // The watch list, the interval and the targets follow the config file.
  bool reconfigure(sdk::Host& host) override {
    settings_ = watch_settings(host.root_config(), nullptr);
    for (auto it = watched_.begin(); it != watched_.end();) {
      it = is_watched(it->first) ? std::next(it) : watched_.erase(it);
    }
    if (!ticking_ && watches_any()) tick();
    return true;
  }

  void stop() override {
    *alive_ = false;
    tick_.revoke();
    recovery_.clear();
    watched_.clear();
    http_.reset();
    handler_.revoke();
    for (auto& [pid, child] : children_) child->stop();
    children_.clear();
    host_ = nullptr;
  }

  json::value status() const override {
    json::object watching;
    for (const auto& [name, w] : watched_) {
      watching[name] = json::object{{"state", w.state}, {"detail", w.detail}};
    }
    return json::object{
        {"answered", answered_}, {"watching", std::move(watching)}, {"alertsSent", alerts_sent_}};
  }

 private:
  // ---- watching ------------------------------------------------------------------------------

  // One watched instance: its state as last seen, and how it is being watched.
  struct Watched {
    std::string state;   ///< "" before the first look; up, degraded, hung, crashed, ...
    std::string detail;  ///< what to say about it
    int pid = 0;
    int base = 0;
    fs::path state_dir;    ///< where it ran when last seen alive
    int misses = 0;        ///< /readyz misses in a row
    bool probing = false;  ///< a /readyz is in flight
    std::int64_t down_since = 0;
    std::unique_ptr<sdk::ExitWatch> exit;  ///< the kernel's word when its process ends
  };

  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  const WatchSettings::Remote* remote(const std::string& name) const {
    for (const auto& r : settings_.remotes) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }

  bool is_watched(const std::string& profile) const {
    if (remote(profile)) return true;
    if (profile == self_name()) return false;  // an instance never watches itself
    if (settings_.everyone) return true;
    return std::find(settings_.profiles.begin(), settings_.profiles.end(), profile) !=
           settings_.profiles.end();
  }

  // Every profile with a state dir under the home folder (for "*"), and the live ones.
  std::vector<std::string> profiles_to_watch(const std::vector<sdk::InstanceInfo>& all) const {
    std::vector<std::string> out = settings_.profiles;
    if (settings_.everyone) {
      for (const auto& i : all) out.push_back(name_of(i.profile));
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(home_dir(), ec)) {
        std::string n = e.path().filename().string();
        if (n == ".openclaw") out.emplace_back("default");
        if (n.rfind(".openclaw-", 0) == 0 && valid_name(n.substr(10))) out.push_back(n.substr(10));
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    out.erase(std::remove_if(out.begin(), out.end(),
                             [this](const std::string& p) { return !is_watched(p); }),
              out.end());
    return out;
  }

  bool watches_any() const {
    return !settings_.profiles.empty() || settings_.everyone || !settings_.remotes.empty();
  }

  void tick() {
    ticking_ = true;
    if (!host_) return;
    auto all = live();
    for (const auto& profile : profiles_to_watch(all)) look_at(profile, all);
    for (const auto& r : settings_.remotes) probe(r.name, watched_[r.name]);
    tick_ = host_->after(std::chrono::milliseconds(settings_.interval_ms), [this] { tick(); });
  }

  void look_at(const std::string& profile, const std::vector<sdk::InstanceInfo>& all) {
    Watched& w = watched_[profile];
    const sdk::InstanceInfo* inst = nullptr;
    for (const auto& i : all) {
      if (name_of(i.profile) == profile && !i.self) inst = &i;
    }
    if (!inst) {
      // Missing from one registry read is no proof of death (a record being rewritten, a busy
      // lock): while the kernel has not said its process ended, it is looked at as before.
      const bool alive = w.pid > 0 && (w.exit || (no_pidfd_ && ::kill(w.pid, 0) == 0));
      if (!alive) return gone(profile, w);
      return probe(profile, w);
    }
    if (w.pid != inst->pid) {
      // A pid that does not listen on the gateway port yet is a start in progress, or a command
      // of that profile holding a lease for a moment (`gateway start` itself): adopted once it
      // serves, so the short-lived one's exit is never taken for a crash.
      if (!inst->answers) return;
      w.pid = inst->pid;
      w.base = inst->base;
      w.state_dir = inst->state_dir;
      w.misses = 0;
      w.exit.reset();
    }
    if (!w.exit && !no_pidfd_) {
      try {
        // The moment it exits, not at the next tick: a crash reaches the owner in milliseconds.
        w.exit = sdk::ExitWatch::watch(host_->io(), inst->pid, [this, profile, alive = alive_] {
          if (!*alive) return;
          auto it = watched_.find(profile);
          if (it == watched_.end()) return;
          it->second.exit.reset();
          gone(profile, it->second);
        });
      } catch (const std::system_error& e) {
        // Exited between the registry read and now; or a kernel without pidfds (ENOSYS, a
        // sandbox): then the registry's liveness at every look tells, one interval later.
        if (e.code().value() == ESRCH) return gone(profile, w);
        host_->log(
            sdk::LogLevel::warn,
            std::string("rescue: exits are seen at the next look, not at once: ") + e.what());
        no_pidfd_ = true;
      }
    }
    probe(profile, w);
  }

  // Its process is gone: how it ended, from its run history.
  // Called at every look while it stays down: one small file read, the log only on a change.
  void gone(const std::string& profile, Watched& w) {
    w.exit.reset();
    w.pid = 0;
    // Where it last ran (a state dir of its own stays known), else OpenClaw's convention; the
    // registry is not asked again: the look that found it gone has just read it.
    fs::path dir = w.state_dir.empty() ? conventional_state_dir(profile) : w.state_dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return change(profile, w, "absent", "no such profile here");
    const sdk::RunHistory history = sdk::read_run_history(dir);
    // A start newer than the last exit while a process holds its state dir is a start in
    // progress (not in the registry yet: it leases its ports a moment later), not a crash.
    if (history.ended_silently() && sdk::serving_pid(dir) > 0) return;
    auto [state, text] = ended(history);
    if (state == w.state) return;
    if (state == "crashed" || state == "failing" || state == "crash-looping") {
      text += last_lines(dir, 5);
    }
    change(profile, w, state, text);
  }

  // One GET /readyz over a kept connection: any answer means the I/O loop lives (a 503 is
  // degraded, with what fails); no answer within the deadline is a miss, and hungAfter misses in
  // a row are a hang. (/healthz says only the first half; one request says both.)
  void probe(const std::string& profile, Watched& w) {
    if (w.probing) return;
    w.probing = true;
    sdk::HttpClientRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(w.base) + "/readyz";
    r.timeout = std::chrono::milliseconds(std::max(100, settings_.interval_ms / 2 + 200));
    if (const auto* far = remote(profile)) {
      // Another machine: a longer way.
      r = readyz_request(
          *far, std::chrono::milliseconds(std::max(1000, settings_.interval_ms / 2 + 500)));
    }
    int pid = w.pid;
    http_->request(std::move(r), [this, profile, pid, alive = alive_](sdk::HttpClientResponse res) {
      if (!*alive) return;
      auto it = watched_.find(profile);
      if (it == watched_.end()) return;
      Watched& w = it->second;
      // One probe at a time: this one is done, even when the answer is about a process that
      // has since gone (else a probe in flight at a crash stopped every later look at it).
      w.probing = false;
      if (w.pid != pid) return;
      if (!res.error.empty() || (res.status != 200 && res.status != 503)) {
        const std::string why =
            res.error.empty() ? "HTTP " + std::to_string(res.status) : redact(res.error);
        const auto* far = remote(profile);
        if (++w.misses >= settings_.hung_after && far) {
          // From afar a hang, a crash and a broken network look alike: it does not answer.
          change(profile, w, "unreachable",
                 "its /readyz at " + far->url + " missed " + std::to_string(w.misses) +
                     " checks in a row (" + why + ")");
        } else if (w.misses >= settings_.hung_after) {
          change(profile, w, "hung",
                 "its /readyz missed " + std::to_string(w.misses) + " checks in a row; pid " +
                     std::to_string(pid) + " is alive");
        }
        return;
      }
      w.misses = 0;
      if (res.status == 200) {
        return change(
            profile, w, "up",
            remote(profile) ? "at " + remote(profile)->url : "pid " + std::to_string(pid));
      }
      change(profile, w, "degraded", failing_of(res.body));
    });
  }

  // What a 503 from /readyz says fails ("plugin x: ...; channel irc (default): ..."), redacted.
  static std::string failing_of(const std::string& body) {
    std::string failing;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (const auto* o = ec ? nullptr : v.if_object()) {
      if (const auto* f = o->if_contains("failing"); f && f->is_array()) {
        for (const auto& x : f->get_array()) {
          if (x.is_string()) failing += (failing.empty() ? "" : "; ") + std::string(x.get_string());
        }
      }
    }
    return failing.empty() ? "its /readyz fails" : redact(failing);
  }

  static bool is_down(const std::string& state) {
    return state == "crashed" || state == "hung" || state == "failing" || state == "unreachable" ||
           state == "crash-looping" || state == "stopped";
  }

  // A new state: told to the owner (never the first look, which is how things were when the
  // watcher started; never the same state twice).
  void change(const std::string& profile, Watched& w, const std::string& state,
              const std::string& detail) {
    if (state == w.state) return;
    std::string before = w.state;
    w.state = state;
    w.detail = detail;
    if (is_down(state) && !is_down(before)) w.down_since = now_ms();
    if (before.empty() || (state == "absent" && before == "absent")) return;
    tell_change(profile, w, before, state, detail);
    if (!is_down(state) || state == "stopped" || remote(profile)) {
      return recover(profile, state, detail);
    }
    // Down: what its service manager did and does (systemd restarts a unit that failed, or gave
    // up), from `gateway status`; told, and a restart systemd makes is left to it.
    run_cli(profile, {"gateway", "status"}, "rescue",
            [this, profile, state, detail](int, std::vector<std::string> lines) {
              std::string systemd;
              for (const auto& l : lines) {
                if (l.rfind("systemd: ", 0) == 0) systemd = l.substr(9, l.find("; more: ") - 9);
              }
              const bool restarting = systemd.rfind("restarting it", 0) == 0 ||
                                      systemd.rfind("starting it", 0) == 0 ||
                                      systemd.rfind("running it", 0) == 0;
              if (systemd.rfind("says nothing", 0) == 0) systemd.clear();  // no such unit
              if (!systemd.empty()) {
                alert(profile + ": its service (systemd): " + systemd +
                      (restarting && settings_.auto_restart.enabled
                           ? "; autoRestart leaves it to systemd"
                           : ""));
              }
              auto it = watched_.find(profile);
              if (it == watched_.end() || it->second.state != state) return;  // moved on
              if (restarting && state != "failing") return;
              recover(profile, state, detail);
            });
  }

  void tell_change(const std::string& profile, const Watched& w, const std::string& before,
                   const std::string& state, const std::string& detail) {
    std::string text;
    if (state == "up") {
      text = profile + " is up" +
             (is_down(before) ? " again (down " + duration(now_ms() - w.down_since) + ")"
                              : std::string(" (no longer ") + before + ")");
    } else if (state == "degraded") {
      text = profile + " is degraded: " + detail;
    } else if (state == "hung") {
      text = profile + " is hung: " + detail;
    } else if (state == "unreachable") {
      text = profile + " is unreachable: " + detail;
    } else if (state == "crashed") {
      text = profile + " crashed: " + detail;
    } else if (state == "failing") {
      text = profile + " is failing to start: " + detail;
    } else if (state == "crash-looping") {
      text = profile + " is crash-looping: " + detail;
    } else if (state == "stopped") {
      text = profile + " " + detail;
    } else {
      text = profile + ": " + detail;
    }
    alert(text);
  }

  // ---- recovering by itself (opt-in) -----------------------------------------------------------

  // What the rescue bot did about one watched instance.
  struct Recovery {
    std::deque<std::int64_t> restarts;  ///< when it restarted it, within autoRestart.windowMs
    bool pending = false;               ///< a restart is scheduled or running
    bool gave_up = false;               ///< told "gave up"; no restart until it is up again
    bool rolled_back = false;           ///< autoRollback tried for this failure
    sdk::Registration timer;
  };

  // A state change may call for a restart (crashed, hung, crash-looping: autoRestart) or a
  // rollback (failing to start with a config that is not its last-known-good: autoRollback).
  void recover(const std::string& profile, const std::string& state, const std::string& detail) {
    Recovery& r = recovery_[profile];
    if (state == "up" || state == "degraded") {
      r.gave_up = false;
      r.rolled_back = false;
      return;
    }
    if (state == "failing" && settings_.auto_rollback && !r.rolled_back) {
      r.rolled_back = true;
      return roll_back(profile);
    }
    if ((state == "crashed" || state == "hung" || state == "crash-looping") &&
        settings_.auto_restart.enabled) {
      restart_later(profile, detail);
    }
  }

  // Restarts `profile` after a backoff that doubles with every restart in the window; past
  // maxRestarts in the window it gives up and says so. Never a loop: every attempt counts.
  void restart_later(const std::string& profile, const std::string& why) {
    Recovery& r = recovery_[profile];
    const auto& a = settings_.auto_restart;
    if (r.pending || r.gave_up) return;
    const std::int64_t now = now_ms();
    while (!r.restarts.empty() && r.restarts.front() < now - a.window_ms) r.restarts.pop_front();
    if (static_cast<int>(r.restarts.size()) >= a.max_restarts) {
      r.gave_up = true;
      alert(profile + ": gave up after " + std::to_string(r.restarts.size()) + " restarts in " +
            duration(a.window_ms) + "; last: " + why);
      return;
    }
    std::int64_t delay = a.backoff_ms;
    for (std::size_t i = 0; i < r.restarts.size() && delay < a.max_backoff_ms; ++i) delay *= 2;
    delay = std::min<std::int64_t>(delay, a.max_backoff_ms);
    r.pending = true;
    r.timer = host_->after(std::chrono::milliseconds(delay), [this, profile, delay] {
      Recovery& r = recovery_[profile];
      r.restarts.push_back(now_ms());
      alert(profile + ": restarting it (" + std::to_string(r.restarts.size()) + " of " +
            std::to_string(settings_.auto_restart.max_restarts) + " in " +
            duration(settings_.auto_restart.window_ms) + ", after " + std::to_string(delay) +
            " ms)");
      run_cli(profile, {"gateway", "restart", "--wait", std::to_string(settings_.start_wait_ms)},
              "rescue (autoRestart)", [this, profile](int code, std::vector<std::string> out) {
                recovery_[profile].pending = false;
                if (code == 0) return;  // the watcher says "up again" when it is
                // The watcher sees what the failed restart left (a failed start: autoRollback's
                // to act on) and asks again on the next change; no retry loop from here.
                alert(profile + ": restart failed: " + joined(out));
              });
    });
  }

  // autoRollback: its config back to the last-known-good one, once, then a start.
  void roll_back(const std::string& profile) {
    run_cli(profile, {"config", "rollback", "good"}, "rescue (autoRollback)",
            [this, profile](int code, std::vector<std::string> out) {
              std::string said = joined(out);
              if (code != 0) return alert(profile + ": could not roll its config back: " + said);
              if (said.find("nothing changed") != std::string::npos) {
                return alert(profile +
                             ": its config already is its last-known-good one; not rolled back");
              }
              alert(profile + ": rolled its config back: " + said);
              run_cli(
                  profile, {"gateway", "start", "--wait", std::to_string(settings_.start_wait_ms)},
                  "rescue (autoRollback)", [this, profile](int code, std::vector<std::string> out) {
                    alert(profile +
                          (code == 0 ? ": started after the rollback: "
                                     : ": did not start after the rollback: ") +
                          joined(out));
                  });
            });
  }

  // One short message per target; at most alertsPerMinute, then one summary of how many were
  // held back (a flapping instance does not flood anyone).
  void alert(const std::string& text) {
    host_->log(sdk::LogLevel::info, "rescue: " + redact(text));
    const std::int64_t now = now_ms();
    while (!recent_.empty() && recent_.front() < now - 60000) recent_.pop_front();
    if (recent_.size() >= static_cast<std::size_t>(settings_.alerts_per_minute)) {
      ++held_back_;
      return;
    }
    recent_.push_back(now);
    std::string out = redact(text);
    if (held_back_ > 0) {
      out += " (" + std::to_string(held_back_) + " earlier change(s) not sent: too many)";
      held_back_ = 0;
    }
    for (const auto& t : settings_.notify) {
      ++alerts_sent_;
      channels_->send(t.channel, "", t.to, out, [this, t, alive = alive_](sdk::Delivery d) {
        if (*alive && !d.ok) {
          host_->log(sdk::LogLevel::warn,
                     "rescue: alert to " + t.channel + " " + t.to + " not delivered: " + d.error);
        }
      });
    }
  }

  // " | last log lines: a | b": the end of its log, secrets redacted.
  std::string last_lines(const fs::path& state_dir, int n) const {
    auto lines = tail_of(state_dir / "logs" / "gateway.log", n);
    if (lines.empty()) return "";
    std::string out = " | last log lines: ";
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? " | " : "") + lines[i];
    return out;
  }

  bool on(const sdk::CommandContext& c) {
    const std::string& text = c.message.text;
    if (text.empty() || text[0] != '/') return false;
    auto w = words(text);
    std::string cmd = w[0];
    // "/status@rescue_bot" (Telegram groups) means /status.
    if (auto at = cmd.find('@'); at != std::string::npos) cmd.resize(at);
    std::string arg = w.size() > 1 ? w[1] : "";
    ++answered_;
    if (const auto* r = remote(arg); r && cmd != "/status" && cmd != "/help") {
      // Another machine's gateway: watched from here, acted on only there.
      done(c, arg + " is a gateway on another machine (" + r->url + "): " + cmd +
                  " works only for this machine's instances; /status " + arg +
                  " asks it how it is");
    } else if (cmd == "/help" || (cmd == "/start" && arg.empty())) {  // Telegram's first /start
      done(c, kHelp);
    } else if (cmd == "/profiles") {
      profiles(c);
    } else if (cmd == "/status") {
      status_of(c, arg);
    } else if (cmd == "/ports") {
      ports_of(c, arg);
    } else if (cmd == "/logs") {
      logs_of(c, arg, w.size() > 2 ? w[2] : "");
    } else if (cmd == "/restart" || cmd == "/stop" || (cmd == "/start" && !arg.empty())) {
      lifecycle(c, cmd.substr(1), arg);
    } else if (cmd == "/config") {
      config_of(c, w);
    } else if (cmd == "/history") {
      profile_cli(c, arg, "/history <profile>", {"config", "history"}, "history");
    } else if (cmd == "/rollback") {
      profile_cli(c, arg, "/rollback <profile> [n|good]",
                  {"config", "rollback", w.size() > 2 ? w[2] : "1"}, "rollback");
    } else if (cmd == "/doctor") {
      profile_cli(c, arg, "/doctor <profile>", {"doctor"}, "doctor");
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

  // GET <url>/readyz of a gateway on another machine: HTTPS (its certificate verified against
  // the system's store or caFile), with its token.
  static sdk::HttpClientRequest readyz_request(const WatchSettings::Remote& r,
                                               std::chrono::milliseconds timeout) {
    sdk::HttpClientRequest q;
    q.url = r.url + "/readyz";
    q.ca_file = r.ca_file;
    if (!r.token.empty()) q.headers.emplace_back("Authorization", "Bearer " + r.token);
    q.timeout = timeout;
    return q;
  }

  // /status of a remote gateway: its /readyz now, over HTTPS with its token.
  void remote_status(const sdk::CommandContext& c, const WatchSettings::Remote& r) {
    sdk::http_request(host_->io(), readyz_request(r, 5s),
                      [c, name = r.name, url = r.url](sdk::HttpClientResponse res) {
                        std::string out = name + " (" + url + ", on another machine): ";
                        if (!res.error.empty())
                          return done(c, out + "does not answer: " + redact(res.error));
                        if (res.status == 200) return done(c, out + "up, ready");
                        if (res.status != 503)
                          return done(c, out + "answers HTTP " + std::to_string(res.status));
                        done(c, out + "degraded: " + failing_of(res.body));
                      });
  }

  void status_of(const sdk::CommandContext& c, std::string profile) {
    if (const auto* r = remote(profile)) return remote_status(c, *r);
    if (profile.empty()) profile = self_name();
    auto inst = find(profile);
    if (!inst) {
      // Not running: say how it ended, from its run history (or that there is no such profile).
      fs::path dir = state_dir_of(profile);
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) return done(c, profile + ": no such profile on this machine");
      auto [state, text] = ended(sdk::read_run_history(dir));
      // Would it start now? Its config checked as `config validate` checks it.
      return run_cli(profile, {"config", "validate"}, "rescue",
                     [c, profile, text = text](int code, std::vector<std::string> lines) {
                       std::string out = profile + ": not running — " + text;
                       if (code == 0) {
                         out += "; its config is valid";
                       } else {
                         out += "; it would not start: " + joined(lines);
                       }
                       done(c, out);
                     });
    }
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

  // The folder state dirs live under: OPENCLAW_HOME, else $HOME.
  static fs::path home_dir() {
    const char* home = std::getenv("OPENCLAW_HOME");
    if (!home || !*home) home = std::getenv("HOME");
    return home ? home : "";
  }

  // OpenClaw's convention: ~/.openclaw-<profile>, ~/.openclaw for the default.
  static fs::path conventional_state_dir(const std::string& profile) {
    return profile == "default" ? home_dir() / ".openclaw" : home_dir() / (".openclaw-" + profile);
  }

  // The state dir of `profile`: a live instance's own, else the convention.
  fs::path state_dir_of(const std::string& profile) const {
    if (auto i = find(profile)) return i->state_dir;
    if (profile == self_name()) return host_->state_dir();
    return conventional_state_dir(profile);
  }

  void logs_of(const sdk::CommandContext& c, const std::string& profile, const std::string& count) {
    if (!valid_name(profile)) return done(c, "usage: /logs <profile> [lines, 1-50]");
    int n = 10;
    if (!count.empty()) {
      char* end = nullptr;
      long v = std::strtol(count.c_str(), &end, 10);
      if (*end || v < 1 || v > 50) return done(c, "usage: /logs <profile> [lines, 1-50]");
      n = static_cast<int>(v);
    }
    std::string why;
    auto lines = tail_of(state_dir_of(profile) / "logs" / "gateway.log", n, &why);
    if (!why.empty()) return done(c, profile + ": " + why);
    if (lines.empty()) return done(c, profile + ": the log is empty");
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    out.pop_back();
    done(c, out);
  }

  // The last `n` lines of the log `file`, secrets redacted; empty with `why` set when it cannot
  // be read.
  static std::vector<std::string> tail_of(const fs::path& file, int n, std::string* why = nullptr) {
    // A FIFO or a device in the log's place is refused, not waited on (this is the I/O thread).
    sdk::OpenOptions options;
    options.no_symlinks = true;
    sdk::RegularFile log = sdk::open_regular_file(file, options);
    if (!log) {
      if (why) {
        *why = log.refusal == sdk::RegularFile::Refusal::error && log.error == ENOENT
                   ? "no log at " + file.string()
                   : "cannot read " + file.string() + ": it " + log.why();
      }
      return {};
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
      lines.push_back(readable(redact(line)));
      if (static_cast<int>(lines.size()) > n) lines.pop_front();
    }
    return {lines.begin(), lines.end()};
  }

  // ---- acting on another instance: through the host's own CLI --------------------------------

  // Runs `openclaw-host [--profile P] ARGS...` for `profile`: the same code paths, checks and
  // atomic writes as a person at that profile's terminal (config set refuses what the CLI
  // refuses, gateway start uses its service or starts it detached). `by` is who the config
  // history names. `on_done` gets the exit code and the output lines, secrets redacted.
  void run_cli(const std::string& profile, std::vector<std::string> args, const std::string& by,
               std::function<void(int, std::vector<std::string>)> on_done) {
    sdk::ProcessOptions o;
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    o.program = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
    if (profile != "default") args.insert(args.begin(), {"--profile", profile});
    o.args = std::move(args);
    // The other profile's own paths, port and token, never ours.
    for (const auto& name : sdk::instance_environment()) o.env[name] = std::nullopt;
    o.env["OPENCLAW_CONFIG_WRITER"] = by;
    o.stop_grace = 5s;
    auto lines = std::make_shared<std::vector<std::string>>();
    try {
      // A launcher: the gateway `gateway start` leaves running outlives this rescue bot.
      auto child = sdk::ChildProcess::start_launcher(
          host_->io(), o,
          [lines](std::string_view l) {
            if (lines->size() < 60 && !l.empty()) lines->push_back(shown(std::string(l)));
          },
          [this, lines, on_done = std::move(on_done), alive = alive_](const sdk::ProcessExit& e) {
            if (!*alive) return;
            on_done(e.exit_code, std::move(*lines));
            host_->after(0ms, [this, alive] {
              if (*alive) reap();
            });
          });
      children_[child->pid()] = std::move(child);
    } catch (const std::exception& e) {
      on_done(-1, {std::string("cannot run openclaw-host: ") + e.what()});
    }
  }

  // A line of the CLI's output as a reply shows it: secrets as ***, "openclaw-host: error: " cut.
  static std::string shown(std::string line) {
    for (std::size_t at; (at = line.find("__OPENCLAW_REDACTED__")) != std::string::npos;) {
      line.replace(at, 21, "***");
    }
    const std::string prefix = "openclaw-host: error: ";
    if (line.rfind(prefix, 0) == 0) line.erase(0, prefix.size());
    return redact(line);
  }

  static std::string joined(const std::vector<std::string>& lines, const char* sep = " | ") {
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : sep) + l;
    return out;
  }

  static std::string by_whom(const sdk::CommandContext& c) {
    std::string who = c.message.from_name.empty() ? c.message.from : c.message.from_name;
    return "rescue (" + c.message.channel + " " + who + ")";
  }

  // A command that runs the CLI for a profile and replies with what it printed.
  void cli_reply(const sdk::CommandContext& c, const std::string& profile,
                 std::vector<std::string> args, const std::string& what) {
    run_cli(profile, std::move(args), by_whom(c),
            [c, profile, what](int code, std::vector<std::string> lines) {
              std::string text = joined(lines);
              if (code == 0) {
                done(c, profile + ": " + (text.empty() ? what + ": done" : text));
              } else {
                done(c, profile + ": " + what +
                            " failed: " + (text.empty() ? "exit " + std::to_string(code) : text));
              }
            });
  }

  void profile_cli(const sdk::CommandContext& c, const std::string& profile, const char* usage,
                   std::vector<std::string> args, const std::string& what) {
    if (!valid_name(profile)) return done(c, std::string("usage: ") + usage);
    cli_reply(c, profile, std::move(args), what);
  }

  // /config <profile> get|set|unset|validate [key] [value...]
  void config_of(const sdk::CommandContext& c, const std::vector<std::string>& w) {
    const char* usage = "usage: /config <profile> get KEY | set KEY VALUE | unset KEY | validate";
    if (w.size() < 3 || !valid_name(w[1])) return done(c, usage);
    const std::string& profile = w[1];
    const std::string& sub = w[2];
    if (sub == "validate" && w.size() == 3) {
      return cli_reply(c, profile, {"config", "validate"}, "config validate");
    }
    if ((sub == "get" || sub == "unset") && w.size() == 4) {
      return cli_reply(c, profile, {"config", sub, w[3]}, "config " + sub);
    }
    if (sub == "set" && w.size() >= 5) {
      // The value is the rest of the message as typed (spaces kept): JSON when it parses.
      const std::string& text = c.message.text;
      std::size_t at = text.find(w[3], text.find(" set ") + 5) + w[3].size();
      std::string value = text.substr(text.find_first_not_of(' ', at));
      return cli_reply(c, profile, {"config", "set", w[3], value}, "config set");
    }
    done(c, usage);
  }

  // /start, /stop, /restart <profile>: its service where it has one, else directly; start and
  // restart report whether it became ready within startWaitMs.
  void lifecycle(const sdk::CommandContext& c, const std::string& verb,
                 const std::string& profile) {
    if (!valid_name(profile)) return done(c, "usage: /" + verb + " <profile>");
    if (profile == self_name()) return done(c, profile + ": that is me; ask another instance");
    cli_reply(c, profile, {"gateway", verb, "--wait", std::to_string(settings_.start_wait_ms)},
              verb);
  }

  void reap() {
    for (auto it = children_.begin(); it != children_.end();) {
      it = it->second->running() ? std::next(it) : children_.erase(it);
    }
  }

  sdk::Host* host_ = nullptr;
  sdk::Channels* channels_ = nullptr;
  sdk::Instances* instances_ = nullptr;
  sdk::Registration handler_;
  WatchSettings settings_;
  std::map<std::string, Watched> watched_;
  sdk::Registration tick_;
  bool ticking_ = false;
  std::unique_ptr<sdk::HttpClient> http_;
  bool no_pidfd_ = false;  ///< the kernel gives no pidfd: exits are seen at the next look
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::deque<std::int64_t> recent_;  ///< when the alerts of the last minute went out
  std::int64_t held_back_ = 0;
  std::int64_t alerts_sent_ = 0;
  std::map<int, std::unique_ptr<sdk::ChildProcess>> children_;
  std::map<std::string, Recovery> recovery_;
  std::int64_t answered_ = 0;
};

}  // namespace

OPENCLAW_PLUGIN(Rescue)
