#pragma once
// The browser plugin's class and its types, private to plugins/browser. One BrowserPlugin, its
// members defined by concern:
//
//   browser.cpp        configuration, lifecycle (start, stop, status, reconfigure), the export
//   routes.cpp         the two doors (HTTP control port, gateway method) and the route table
//   profiles.cpp       profiles created at run time; one browser per instance (cdpUrl checks)
//   launcher.cpp       launching Chromium, attaching to a browser, stopping, losing it
//   targets.cpp        targets and sessions, navigation, tabs
//   page_commands.cpp  snapshot, screenshot, evaluate, act (click, type, press, ...)
//
// Every route answers asynchronously; nothing waits on the host's one I/O thread. A callback that
// outlives a wait finds its profile again by name and launch generation (find()), since the
// profile or its browser may be gone by then.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <openclaw/sdk/gateway_service.hpp>
#include <openclaw/sdk/http_server.hpp>
#include <openclaw/sdk/plugin.hpp>
#include <openclaw/sdk/process.hpp>

#include "browser_config.hpp"
#include "cdp.hpp"
#include "page_model.hpp"

namespace browser {

namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kDefaultColor = "#FF4500";
constexpr auto kLaunchDeadline = 30s;
constexpr auto kCallTimeout = 20s;
constexpr auto kLoadTimeout = 15s;

// One route's answer: an HTTP status and a JSON body (an error body is {error, code?, reason?}).
using Reply = std::function<void(int status, json::value body)>;
// A step's outcome: "" when it worked, else why not.
using Done = std::function<void(const std::string& error)>;

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  json::object body;
};

// An error payload; the JSON readers (str, flag, obj, strings) are in browser_config.hpp.
json::value err(const std::string& message, const std::string& code = {},
                const std::string& reason = {});

bool valid_profile_name(const std::string& n);
std::string random_id();
bool is_loopback_host(const std::string& h);

struct Tab {
  std::string handle;   // "t1", "t2", ... for the plugin's lifetime
  std::string session;  // flattened CDP session, once attached
  std::string url;
  std::string title;
  RefTable refs;
  std::vector<Done> load_waiters;
};

struct Profile {
  std::string name;
  int cdp_port = 0;
  std::string cdp_url;  // remote browser: http(s) discovery or ws(s) endpoint
  std::string executable;
  std::string color = kDefaultColor;
  bool attach_only = false;
  bool from_config = false;
  bool created = false;  // by POST /profiles/create (persisted in the plugin's data dir)
  std::string problem;   // set when the profile must not be used (e.g. a shared cdpUrl)

  enum class State { stopped, starting, running, stopping } state = State::stopped;
  std::unique_ptr<sdk::ChildProcess> proc;
  std::shared_ptr<Cdp> cdp;
  sdk::Registration endpoint_claim;  // a remote browser, claimed machine-wide while attached
  int generation = 0;
  bool headless = true;
  std::string headless_source = "config";
  std::string chosen_executable;
  std::string last_error;
  std::chrono::steady_clock::time_point launch_started;
  double launch_ms = 0;
  std::vector<Done> start_waiters;
  std::vector<std::function<void()>> stop_waiters;
  std::map<std::string, Tab> tabs;  // by CDP targetId
  std::string current;              // targetId the next command acts on

  bool remote() const { return !cdp_url.empty(); }
  bool launchable() const { return !remote() && !attach_only; }
  bool running() const { return state == State::running && cdp && cdp->is_open(); }
};

class BrowserPlugin final : public sdk::Plugin {
 public:
  // ---- configuration and lifecycle (browser.cpp) ----------------------------------------------
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override;
  void start(sdk::Host& host) override;
  void stop() override;
  json::value status() const override;
  bool reconfigure(sdk::Host& host) override;

 private:
  void add_configured_profiles();
  void serve(sdk::Host& host);

  // ---- the two doors and the routes (routes.cpp) ----------------------------------------------
  void serve_http(const sdk::HttpRequest& req, sdk::HttpResponder respond);
  void serve_method(const json::value& params, sdk::MethodResponder respond);
  void handle(const Request& r, Reply reply);
  void handle_profile(Profile& p, const Request& r, const Reply& reply);
  std::string profile_names() const;
  json::object status_json(const Profile& p) const;
  json::object profiles_json() const;
  json::object tab_json(const Profile& p, const std::string& id, const Tab& t) const;
  json::object tabs_json(const Profile& p, bool with_running) const;

  // ---- profiles created at run time; one browser per instance (profiles.cpp) ------------------
  fs::path created_file() const { return host_->data_dir() / "profiles.json"; }
  void load_created_profiles();
  void save_created_profiles();
  void create_profile(const json::object& body, const Reply& reply);
  void delete_profile(const std::string& name, const Reply& reply);
  // One instance per browser: a cdpUrl aimed at a CDP port another live instance leased is the
  // "common footgun" the docs warn of (two bots driving one browser).
  std::string shared_cdp_url_problem(const std::string& url, const std::string& key);
  void check_shared_cdp_urls();
  // The key that set the profile's cdpUrl, as messages name it.
  std::string cdp_url_key(const Profile& p) const;
  // Claims the remote browser of `p` machine-wide (sdk::Claims): "" when this instance may drive
  // it, else why not, naming the instance that does.
  std::string claim_endpoint(Profile& p);

  // ---- launching and attaching (launcher.cpp) -------------------------------------------------
  bool headless_default() const;
  bool sandbox_off() const;
  fs::path user_data_dir(const Profile& p) const;
  std::optional<std::string> detect_executable(const Profile& p) const;
  std::string missing_browser_message(const Profile& p) const;
  // Runs `done("")` once the profile's browser answers CDP, launching or attaching as needed;
  // `done(error)` otherwise. Concurrent callers share one launch.
  void ensure_running(Profile& p, bool may_launch, std::optional<bool> headless, Done done);
  void start_finished(Profile& p, int gen, const std::string& error);
  void launch(Profile& p, int gen, bool headless);
  void spawn(Profile& p, int gen, const std::string& exe, const fs::path& ud, bool headless);
  Profile* find(const std::string& name, int gen);
  // Polls /json/version until Chromium answers, it exits, or the deadline passes.
  void wait_for_cdp(const std::string& name, int gen, std::chrono::steady_clock::time_point until);
  void attach_remote(Profile& p, int gen);
  void connect_cdp(Profile& p, int gen, const std::string& ws);
  // Once connected: follow targets from events, so /tabs answers without a round trip.
  void follow_targets(const std::string& name, int gen);
  // Drops what a running browser gave the profile: the connection, its tabs, the claim.
  void disconnect(Profile& p, const std::string& why);
  void lost(Profile& p, const std::string& why);
  void browser_exited(const std::string& name, int gen, const sdk::ProcessExit& e);
  void stop_browser(Profile& p, std::function<void()> done);
  void start_route(Profile& p, const Request& r, const Reply& reply);
  void stop_route(Profile& p, const Reply& reply);

  // ---- targets, sessions, navigation, tabs (targets.cpp) --------------------------------------
  void target_info(Profile& p, const json::object& info);
  void on_cdp_event(Profile& p, const std::string& method, const json::object& params,
                    const std::string& session);
  void target_gone(Profile& p, const std::string& id);
  void page_loaded(Profile& p, const std::string& id);
  // The tab a command acts on: `wanted` (a targetId or a tN handle), else the current one, else a
  // new about:blank tab.
  void with_page(Profile& p, const std::string& wanted,
                 std::function<void(const std::string& error, const std::string& target)> done);
  // A new about:blank tab, made the current one.
  void new_tab(Profile& p,
               std::function<void(const std::string& error, const std::string& target)> done);
  // A flattened session on `target` (attached once, Page events on).
  void with_session(Profile& p, const std::string& target,
                    std::function<void(const std::string& error, const std::string& session)> done);
  using TabDone = std::function<void(int status, const std::string& error,
                                     const std::string& target, const std::string& session)>;
  // Everything a page command needs: the browser running (launched when allowed), a tab, a session.
  void with_tab(Profile& p, const std::string& wanted, bool may_launch, TabDone done);
  void with_tab_session(const std::string& name, int gen, const std::string& target, TabDone done);
  // Checks `url` against browser.ssrfPolicy, DNS included; done("") when it may be opened.
  void check_navigation(const std::string& url, Done done);
  void load(Profile& p, const std::string& target, const std::string& session,
            const std::string& url, Done done);
  void open_tab(Profile& p, const std::string& url, const Reply& reply);
  void open_in_new_tab(Profile& p, const std::string& url, const Reply& reply);
  void navigate(Profile& p, const std::string& target, const std::string& url, const Reply& reply);
  // Runs `fn` on an open tab of a running browser (`target`: a targetId or tN; empty: the
  // current tab), or answers why it cannot.
  void on_tab(Profile& p, const std::string& target, const Reply& reply,
              std::function<void(Profile&, const std::string& id)> fn);
  void focus_tab(Profile& p, const std::string& target, const Reply& reply);
  void close_tab(Profile& p, const std::string& target, const Reply& reply);

  // ---- page commands (page_commands.cpp) ------------------------------------------------------
  std::string tab_url(const std::string& name, const std::string& id);
  void snapshot(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void snapshot_reply(const std::string& name, const std::string& id, const std::string& session,
                      const std::string& format, const json::object& tree, const Reply& reply);
  void screenshot(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void save_screenshot(const std::string& name, const std::string& id, const std::string& type,
                       const json::object& result, const Reply& reply);
  void evaluate(Profile& p, const std::string& target, const json::object& body,
                const Reply& reply);
  void act(Profile& p, const std::string& target, const json::object& body, const Reply& reply);
  void act_on(Profile& p, const std::string& id, const std::string& session,
              const json::object& body, const Reply& reply);
  void select_options(Profile& p, const std::string& session, long long node,
                      const json::object& body, Done done);
  void run_js(Profile& p, const std::string& session, const std::string& expr, Done done);
  void call_on(Profile& p, const std::string& session, long long node, const std::string& fn,
               json::array args, Done done);
  void click(Profile& p, const std::string& session, long long node, int clicks, Done done);
  void click_quads(Profile& p, const std::string& session, long long node, int clicks, Done done);
  void dispatch_all(Profile& p, const std::string& session, const std::string& method,
                    std::vector<json::object> events, size_t i, Done done);
  void press_key(Profile& p, const std::string& session, const std::string& key, Done done);
  void type_text(Profile& p, const std::string& session, long long node, const std::string& text,
                 bool submit, Done done);

  sdk::Host* host_ = nullptr;
  const sdk::Gateway* gateway_ = nullptr;
  std::unique_ptr<sdk::HttpServer> server_;
  std::map<std::string, Profile> profiles_;
  Settings settings_;
  int tab_counter_ = 0;
};

}  // namespace browser
