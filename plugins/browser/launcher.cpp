// Launching Chromium on the profile's leased CDP port under the SDK's supervisor, attaching to a
// browser the profile did not start (cdpUrl), and everything that ends either: stop, exit, loss.
#include <unistd.h>

#include <cstdlib>

#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/http_client.hpp>

#include "browser.hpp"

namespace browser {

bool BrowserPlugin::headless_default() const {
  if (settings_.headless) return *settings_.headless;
  const char* d = ::getenv("DISPLAY");
  const char* w = ::getenv("WAYLAND_DISPLAY");
  return !((d && *d) || (w && *w));
}

bool BrowserPlugin::sandbox_off() const {
  return settings_.no_sandbox || ::geteuid() == 0;
}

fs::path BrowserPlugin::user_data_dir(const Profile& p) const {
  return host_->state_dir() / "browser" / p.name / "user-data";
}

std::optional<std::string> BrowserPlugin::detect_executable(const Profile& p) const {
  std::string wanted = !p.executable.empty() ? p.executable : settings_.executable;
  if (!wanted.empty()) {
    auto found = sdk::find_program(wanted);
    return found ? std::optional<std::string>(found->string()) : std::nullopt;
  }
  for (const char* n : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    if (auto found = sdk::find_program(n)) return found->string();
  }
  return std::nullopt;
}

std::string BrowserPlugin::missing_browser_message(const Profile& p) const {
  std::string wanted = !p.executable.empty() ? p.executable : settings_.executable;
  if (!wanted.empty()) {
    std::string key = !p.executable.empty() ? "browser.profiles." + p.name + ".executablePath"
                                            : "browser.executablePath";
    return "no browser at " + key + " \"" + wanted + "\" (not an executable file)";
  }
  return "no Chromium found: tried chromium, chromium-browser, google-chrome, "
         "google-chrome-stable on PATH; install one (apt-get install chromium) or set "
         "browser.executablePath";
}

// Runs `done("")` once the profile's browser answers CDP, launching or attaching as needed;
// `done(error)` otherwise. Concurrent callers share one launch.
void BrowserPlugin::ensure_running(Profile& p, bool may_launch, std::optional<bool> headless,
                                   Done done) {
  if (p.running()) return done("");
  if (p.state == Profile::State::starting) {
    p.start_waiters.push_back(std::move(done));
    return;
  }
  if (p.state == Profile::State::stopping) {
    return done("the browser of profile \"" + p.name + "\" is stopping; try again");
  }
  if (!p.remote() && !may_launch) return done("");
  p.start_waiters.push_back(std::move(done));
  p.state = Profile::State::starting;
  p.last_error.clear();
  p.launch_started = std::chrono::steady_clock::now();
  int gen = ++p.generation;
  if (p.remote()) {
    attach_remote(p, gen);
  } else {
    launch(p, gen, headless.value_or(headless_default()));
  }
}

void BrowserPlugin::start_finished(Profile& p, int gen, const std::string& error) {
  if (p.generation != gen || p.state != Profile::State::starting) return;
  if (error.empty()) {
    p.state = Profile::State::running;
    p.launch_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            p.launch_started)
                      .count();
    host_->log(sdk::LogLevel::info,
               "browser profile \"" + p.name + "\" ready" +
                   (p.proc ? " (pid " + std::to_string(p.proc->pid()) + ", CDP port " +
                                 std::to_string(p.cdp_port) + ")"
                           : " (attached to " + p.cdp_url + ")") +
                   " in " + std::to_string(static_cast<long>(p.launch_ms)) + " ms");
  } else {
    p.state = Profile::State::stopped;
    p.last_error = error;
    disconnect(p, error);
    p.proc.reset();
    host_->log(sdk::LogLevel::warn, "browser profile \"" + p.name + "\": " + error);
  }
  auto waiters = std::move(p.start_waiters);
  p.start_waiters.clear();
  for (auto& w : waiters) w(error);
}

void BrowserPlugin::launch(Profile& p, int gen, bool headless) {
  auto exe = detect_executable(p);
  if (!exe) return start_finished(p, gen, missing_browser_message(p));
  fs::path ud = user_data_dir(p);
  try {
    sdk::create_private_dirs(ud);
  } catch (const std::exception& e) {
    return start_finished(p, gen, std::string("cannot create the user-data dir: ") + e.what());
  }
  p.headless = headless;
  p.chosen_executable = *exe;
  std::string name = p.name;
  // Something else on the CDP port would answer our /json/version: refuse rather than drive a
  // browser that is not ours.
  fetch_version(host_->io(), "http://127.0.0.1:" + std::to_string(p.cdp_port), 1s,
                [this, name, gen, exe = *exe, ud, headless](const VersionReply& res) {
                  Profile* pp = find(name, gen);
                  if (!pp) return;
                  if (res.error.empty()) {
                    return start_finished(
                        *pp, gen,
                        "CDP port " + std::to_string(pp->cdp_port) +
                            " already answers (another browser is using it); stop it or "
                            "give profile \"" +
                            name + "\" another cdpPort");
                  }
                  spawn(*pp, gen, exe, ud, headless);
                });
}

void BrowserPlugin::spawn(Profile& p, int gen, const std::string& exe, const fs::path& ud,
                          bool headless) {
  sdk::ProcessOptions o;
  o.program = exe;
  o.args = {"--remote-debugging-port=" + std::to_string(p.cdp_port),
            "--remote-debugging-address=127.0.0.1",
            "--user-data-dir=" + ud.string(),
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-breakpad",
            "--metrics-recording-only",
            "--no-pings",
            "--password-store=basic",
            "--use-mock-keychain",
            "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--mute-audio"};
  if (headless) o.args.push_back("--headless=new");
  if (sandbox_off()) o.args.push_back("--no-sandbox");
  for (const auto& a : settings_.extra_args) o.args.push_back(a);
  o.args.push_back("about:blank");
  o.stop_grace = 3s;
  std::string name = p.name;
  try {
    p.proc = sdk::ChildProcess::start(
        host_->io(), o,
        [this, name](std::string_view line) {
          if (host_)
            host_->log(sdk::LogLevel::debug, "chromium[" + name + "]: " + std::string(line));
        },
        [this, name, gen](const sdk::ProcessExit& e) { browser_exited(name, gen, e); });
  } catch (const std::exception& e) {
    return start_finished(p, gen, e.what());
  }
  host_->log(sdk::LogLevel::info, "browser profile \"" + name + "\": started " + exe + " (pid " +
                                      std::to_string(p.proc->pid()) + ", CDP port " +
                                      std::to_string(p.cdp_port) + ")");
  wait_for_cdp(name, gen, std::chrono::steady_clock::now() + kLaunchDeadline);
}

Profile* BrowserPlugin::find(const std::string& name, int gen) {
  if (!host_) return nullptr;
  auto it = profiles_.find(name);
  if (it == profiles_.end() || it->second.generation != gen) return nullptr;
  return &it->second;
}

// Polls /json/version until Chromium answers, it exits, or the deadline passes.
void BrowserPlugin::wait_for_cdp(const std::string& name, int gen,
                                 std::chrono::steady_clock::time_point until) {
  Profile* p = find(name, gen);
  if (!p || p->state != Profile::State::starting) return;
  std::string origin = "http://127.0.0.1:" + std::to_string(p->cdp_port);
  fetch_version(host_->io(), origin, 1s, [this, name, gen, until](const VersionReply& res) {
    Profile* p = find(name, gen);
    if (!p || p->state != Profile::State::starting) return;
    if (!res.websocket_url.empty()) return connect_cdp(*p, gen, res.websocket_url);
    if (std::chrono::steady_clock::now() >= until) {
      return start_finished(*p, gen,
                            "Chromium did not answer on CDP port " + std::to_string(p->cdp_port) +
                                " within " + std::to_string(kLaunchDeadline.count()) + " s");
    }
    host_->after(25ms, [this, name, gen, until] { wait_for_cdp(name, gen, until); });
  });
}

void BrowserPlugin::attach_remote(Profile& p, int gen) {
  auto u = sdk::Url::parse(p.cdp_url);
  if (!u) return start_finished(p, gen, "cdpUrl is not a URL: " + p.cdp_url);
  if (auto refused = claim_endpoint(p); !refused.empty()) return start_finished(p, gen, refused);
  if (u->scheme == "ws" || u->scheme == "wss") return connect_cdp(p, gen, p.cdp_url);
  std::string name = p.name;
  fetch_version(host_->io(), u->origin(), 5s, [this, name, gen](const VersionReply& res) {
    Profile* p = find(name, gen);
    if (!p) return;
    if (res.websocket_url.empty()) {
      return start_finished(
          *p, gen,
          "remote browser at " + p->cdp_url + " did not answer: " +
              (res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error));
    }
    connect_cdp(*p, gen, res.websocket_url);
  });
}

void BrowserPlugin::connect_cdp(Profile& p, int gen, const std::string& ws) {
  std::string name = p.name;
  p.cdp = Cdp::connect(
      host_->io(), ws,
      [this, name, gen](const std::string& error) {
        Profile* p = find(name, gen);
        if (!p) return;
        if (!error.empty()) return start_finished(*p, gen, "CDP connection failed: " + error);
        p->cdp->on_event([this, name, gen](const std::string& method, const json::object& params,
                                           const std::string& session) {
          if (Profile* p = find(name, gen)) on_cdp_event(*p, method, params, session);
        });
        follow_targets(name, gen);
      },
      [this, name, gen](const std::string& reason) {
        Profile* p = find(name, gen);
        if (!p || p->state == Profile::State::stopping) return;
        if (p->proc && p->proc->running()) return;  // the exit handler reports it
        lost(*p, "lost the connection to the browser: " + reason);
      });
}

void BrowserPlugin::follow_targets(const std::string& name, int gen) {
  Profile* p = find(name, gen);
  if (!p) return;
  p->cdp->call("Target.setDiscoverTargets", {{"discover", true}},
               [this, name, gen](const std::string& e, const json::object&) {
                 Profile* p = find(name, gen);
                 if (!p) return;
                 if (!e.empty()) return start_finished(*p, gen, e);
                 p->cdp->call("Target.getTargets", {},
                              [this, name, gen](const std::string& e2, const json::object& r) {
                                Profile* p = find(name, gen);
                                if (!p) return;
                                const json::value* infos = r.if_contains("targetInfos");
                                if (e2.empty() && infos && infos->is_array()) {
                                  for (const auto& t : infos->get_array()) {
                                    if (t.is_object()) target_info(*p, t.get_object());
                                  }
                                }
                                start_finished(*p, gen, e2);
                              });
               });
}

void BrowserPlugin::disconnect(Profile& p, const std::string& why) {
  fail_profile_watchers(p, why);  // downloads, traces, responses waited for: they never come
  p.emulation.clear();
  p.credentials.reset();
  if (p.cdp) p.cdp->close(why);
  p.cdp.reset();
  p.tabs.clear();
  p.current.clear();
  p.endpoint_claim.revoke();  // another instance may attach now
}

void BrowserPlugin::lost(Profile& p, const std::string& why) {
  p.last_error = why;
  p.state = Profile::State::stopped;
  disconnect(p, why);
  host_->log(sdk::LogLevel::warn, "browser profile \"" + p.name + "\": " + why);
}

void BrowserPlugin::browser_exited(const std::string& name, int gen, const sdk::ProcessExit& e) {
  Profile* p = find(name, gen);
  if (!p) return;
  bool expected = p->state == Profile::State::stopping;
  if (p->state == Profile::State::starting) {
    start_finished(*p, gen,
                   "Chromium " + e.describe() +
                       " before its CDP port answered (see "
                       "the gateway log for its output)");
  } else if (!expected) {
    lost(*p, "Chromium " + e.describe() + " unexpectedly; POST /start restarts it");
  }
  p->state = Profile::State::stopped;
  disconnect(*p, "the browser exited");
  auto waiters = std::move(p->stop_waiters);
  p->stop_waiters.clear();
  // The ChildProcess handle is dropped after this callback returns.
  host_->after(0ms, [this, name, gen] {
    if (Profile* p = find(name, gen); p && p->proc && !p->proc->running()) p->proc.reset();
  });
  for (auto& w : waiters) w();
}

void BrowserPlugin::stop_browser(Profile& p, std::function<void()> done) {
  if (p.state == Profile::State::starting) {
    start_finished(p, p.generation, "stopped before it was ready");
  }
  if (p.proc && p.proc->running()) {
    p.state = Profile::State::stopping;
    p.stop_waiters.push_back(std::move(done));
    if (p.cdp) {
      // Browser.close lets Chromium shut down cleanly; SIGTERM follows regardless.
      p.cdp->call("Browser.close", {}, [](const std::string&, const json::object&) {});
    }
    p.proc->stop();
    return;
  }
  disconnect(p, "stopped");
  p.state = Profile::State::stopped;
  done();
}

void BrowserPlugin::start_route(Profile& p, const Request& r, const Reply& reply) {
  if (!p.launchable() && !p.remote()) {
    return reply(400, err("profile \"" + p.name +
                              "\" is attach-only: it cannot be started or "
                              "stopped here",
                          "ATTACH_ONLY"));
  }
  std::optional<bool> headless;
  if (auto it = r.query.find("headless"); it != r.query.end()) {
    headless = it->second == "true" || it->second == "1";
  }
  std::string name = p.name;
  ensure_running(p, true, headless, [reply, name](const std::string& e) {
    if (!e.empty()) return reply(500, err(e, "START_FAILED"));
    reply(200, json::object{{"ok", true}, {"profile", name}});
  });
}

void BrowserPlugin::stop_route(Profile& p, const Reply& reply) {
  if (p.remote() || p.attach_only) {
    return reply(400, err("profile \"" + p.name +
                              "\" attaches to a browser it did not start; "
                              "it cannot be stopped here",
                          "ATTACH_ONLY"));
  }
  bool was = p.proc && p.proc->running();
  std::string name = p.name;
  stop_browser(p, [reply, name, was] {
    reply(200, json::object{{"ok", true}, {"stopped", was}, {"profile", name}});
  });
}

}  // namespace browser
