#pragma once
// The browser plugin's class and its types, private to plugins/browser. One BrowserPlugin, its
// members defined by concern:
//
//   browser.cpp        configuration, lifecycle (start, stop, status, reconfigure), the export
//   routes.cpp         the two doors (HTTP control port, gateway method) and the route table
//   profiles.cpp       profiles created at run time; one browser per instance (cdpUrl checks)
//   launcher.cpp       launching Chromium, attaching to a browser, stopping, losing it
//   targets.cpp        targets and sessions, navigation, tabs
//   page_commands.cpp  snapshot, screenshot, evaluate, act (click, type, press, wait, batch, ...)
//   page_watch.cpp     what pages report (console, errors, requests, dialogs, downloads, file
//                      choosers, responses) and the routes that read or wait for it
//   browser_state.cpp  cookies, storage, emulation (set/*), pdf, highlight, trace, doctor
//
// Every route answers asynchronously; nothing waits on the host's one I/O thread. A callback that
// outlives a wait finds its profile again by name and launch generation (find()), since the
// profile or its browser may be gone by then.
#include <chrono>
#include <deque>
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
/// A random UUID v4 ("561fc2b1-b33f-4723-aad4-2ef87132416c"), as OpenClaw names its files.
std::string random_uuid();
/// `reply` answered at most once: later calls are dropped (a route that a timer, an event and a
/// CDP reply race to answer).
Reply once(Reply reply);
/// "" when `dir` (made 0700 when missing) and its parents up to temp_root() are directories of
/// this user that nobody else can write (no symlinks): else why we will not write there.
std::string own_directory(const fs::path& dir);
/// OpenClaw's shared temp root: `<system temp dir>/openclaw` (downloads and traces go there).
fs::path temp_root();
bool is_loopback_host(const std::string& h);

// Something waiting on a tab's events (a response body, a file chooser, a dialog's effect on an
// action): `fire` gets the event's data; `fail` answers why it will never come.
struct Watcher {
  std::function<void(const json::object& data)> fire;
  std::function<void(const std::string& why)> fail;
};

struct Tab {
  int seq = 0;          // creation order: lists show the newest tab first
  std::string handle;   // "t1", "t2", ... for the plugin's lifetime
  std::string label;    // `tab new --label side`: another name for it
  std::string session;  // flattened CDP session, once attached
  std::string url;
  std::string title;
  RefTable refs;
  bool had_document = false;  // a page other than about:blank was loaded (refs get "fN" after)
  bool loaded = true;         // the main frame's load event came since its last navigation
  bool network_idle = false;  // Chromium's "networkIdle" lifecycle event for this document
  std::vector<Done> load_waiters;

  // What the page reported since the control service first attached to it (capped buffers).
  std::deque<json::object> console, errors, requests;
  std::map<std::string, std::size_t> request_index;  // CDP requestId -> position in `requests`
  std::size_t requests_dropped = 0;                  // entries dropped off the front
  int request_counter = 0;
  // Requests without an answer yet (networkidle): requestId -> the document (loaderId) it is for.
  std::map<std::string, std::string> pending_loads;
  std::chrono::steady_clock::time_point network_quiet_since = std::chrono::steady_clock::now();

  // Dialogs: pending (open, waiting for `dialog`) and recent (closed), as OpenClaw reports them.
  json::array dialogs_pending, dialogs_recent;
  std::optional<json::object> dialog_armed;  // {accept, promptText?}, with its deadline
  std::chrono::steady_clock::time_point dialog_armed_until;
  std::map<int, Watcher> dialog_watchers;    // actions in flight that a dialog would block
  std::map<int, Watcher> response_watchers;  // responsebody: by pattern, then requestId
  std::map<int, Watcher> chooser_watchers;   // upload --ref: Page.fileChooserOpened
  std::optional<json::value> drag_data;      // Input.dragIntercepted during a drag
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

  // Emulation every tab of the browser gets (set/*): CDP method -> params, replayed on attach.
  std::map<std::string, json::object> emulation;
  std::optional<std::pair<std::string, std::string>> credentials;  // set credentials
  std::map<int, Watcher> download_watchers;    // download / waitfordownload (browser events)
  std::map<std::string, int> download_claims;  // download guid -> the watcher it belongs to
  bool tracing = false;
  std::optional<Watcher> trace_watcher;  // trace stop: Tracing.tracingComplete

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
  // The tab a command acts on: `wanted` (a targetId, a tN handle, a label or a unique targetId
  // prefix), else the current one, else a new about:blank tab.
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
  // POST /tabs/action {action: list|new|select|close|label, index?, label?, targetId?}.
  void tab_action(Profile& p, const json::object& body, const Reply& reply);
  // Tabs newest first (how OpenClaw lists them, and what `tab select N` counts).
  std::vector<std::string> tab_order(const Profile& p) const;
  // The session's enables (Page, Runtime, Network) and the profile's emulation, on attach.
  void prepare_session(Profile& p, const std::string& session, Done done);
  // Sends every call at once; `done` with the first error once all answered.
  void call_all(Profile& p, const std::string& session,
                std::vector<std::pair<std::string, json::object>> calls, Done done);

  // ---- page commands (page_commands.cpp) ------------------------------------------------------
  std::string tab_url(const std::string& name, const std::string& id);
  void snapshot(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void snapshot_ai(Profile& p, const std::string& id, const std::string& session,
                   const Reply& reply);
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
  void dispatch_all(Profile& p, const std::string& session, const std::string& method,
                    std::vector<json::object> events, size_t i, Done done);
  void press_key(Profile& p, const std::string& session, const std::string& key, Done done);
  void type_text(Profile& p, const std::string& session, long long node, const std::string& text,
                 bool submit, Done done);
  // The backend node a ref (or CSS selector) names on the tab, or the route's error.
  using NodeDone = std::function<void(int status, json::value error, long long node)>;
  void resolve_element(Profile& p, const std::string& id, const std::string& session,
                       const std::string& ref, const std::string& selector, NodeDone done);
  void run_action(Profile& p, const std::string& id, const std::string& session,
                  const json::object& body, const Reply& reply);
  void run_batch(const std::string& name, const std::string& id, const std::string& session,
                 std::shared_ptr<json::array> actions, bool stop_on_error, std::size_t i,
                 std::shared_ptr<json::array> results, const Reply& reply);
  void fill_fields(Profile& p, const std::string& id, const std::string& session,
                   std::shared_ptr<json::array> fields, std::size_t i, Reply done);
  void drag(Profile& p, const std::string& id, const std::string& session, long long from,
            long long to, Done done);
  void center_of(Profile& p, const std::string& session, long long node,
                 std::function<void(const std::string& error, double x, double y)> done);
  void click_at(Profile& p, const std::string& session, double x, double y,
                const std::string& button, int clicks, int delay_ms, Done done);
  void click_node(const std::string& name, int gen, const std::string& session, long long node,
                  const Reply& done);
  // evaluate's `fn`: an expression, a function, or a function body, as a function declaration
  // `async function(el)` (one Runtime.compileScript tells which, once per distinct `fn`: the
  // answer is kept, so a repeated evaluate or wait --fn is one CDP call).
  void user_function(Profile& p, const std::string& session, const std::string& fn,
                     std::function<void(const std::string& decl)> done);
  void evaluate_fn(Profile& p, const std::string& id, const std::string& session,
                   const json::object& body, const Reply& reply);
  void wait_for(Profile& p, const std::string& id, const std::string& session,
                std::shared_ptr<json::object> body, int phase, const Reply& reply);
  // Polls `check` (a JS predicate expression) in the page until true, its deadline, or an error.
  void poll_page(const std::string& name, const std::string& id, const std::string& session,
                 const std::string& check, std::chrono::steady_clock::time_point until,
                 std::function<void(const std::string& error, bool met)> done);
  // Polls `ready` every 50 ms on the I/O thread until true (done(true)) or `until` (false).
  void poll(std::function<bool()> ready, std::chrono::steady_clock::time_point until,
            std::function<void(bool met)> done);

  // ---- what pages report, and the routes on it (page_watch.cpp) --------------------------------
  void on_page_event(Profile& p, const std::string& id, Tab& t, const std::string& method,
                     const json::object& params);
  void on_browser_event(Profile& p, const std::string& method, const json::object& params);
  // Answers everything waiting on `t` (the tab or its browser went away).
  void fail_watchers(Tab& t, const std::string& why);
  void fail_profile_watchers(Profile& p, const std::string& why);
  json::object dialog_state(const Tab& t) const;
  void dialog_opened(Profile& p, const std::string& id, Tab& t, const json::object& params);
  void console_route(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void errors_route(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void requests_route(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void dialog_route(Profile& p, const std::string& target, const json::object& body,
                    const Reply& reply);
  void file_chooser_route(Profile& p, const std::string& target, const json::object& body,
                          const Reply& reply);
  void download_route(Profile& p, const std::string& target, const json::object& body, bool click,
                      const Reply& reply);
  void response_body_route(Profile& p, const std::string& target, const json::object& body,
                           const Reply& reply);
  fs::path inbound_dir() const { return host_->state_dir() / "media" / "inbound"; }
  // Saves `bytes` under <state dir>/media/browser/<uuid>.<ext> (0600); its path, or throws.
  fs::path save_media(const std::string& bytes, const std::string& ext);

  // ---- cookies, storage, emulation, pdf, highlight, trace, doctor (browser_state.cpp) ---------
  void cookies_route(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void storage_route(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  void set_route(Profile& p, const std::string& target, const Request& r, const Reply& reply);
  // Applies `method(params)` to every attached tab and remembers it for tabs attached later
  // (`clear_method` undoes it; empty params: cleared). `done` once the target's call answered.
  void emulate(Profile& p, const std::string& session, const std::string& method,
               json::object params, Done done);
  void pdf_route(Profile& p, const std::string& target, const Reply& reply);
  void highlight_route(Profile& p, const std::string& target, const json::object& body,
                       const Reply& reply);
  void trace_route(Profile& p, const std::string& target, bool start, const json::object& body,
                   const Reply& reply);
  void read_trace(const std::string& name, int gen, const std::string& stream, std::string data,
                  fs::path path, std::function<void(const std::string& error)> done);
  void doctor_route(Profile& p, const Reply& reply);

  sdk::Host* host_ = nullptr;
  const sdk::Gateway* gateway_ = nullptr;
  std::unique_ptr<sdk::HttpServer> server_;
  std::map<std::string, Profile> profiles_;
  std::map<std::string, std::string> declarations_;  ///< user_function's answers (at most 256)
  Settings settings_;
  int tab_counter_ = 0;
  int dialog_counter_ = 0;
  int watcher_counter_ = 0;
};

}  // namespace browser
