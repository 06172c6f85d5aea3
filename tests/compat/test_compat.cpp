// The real OpenClaw judges us: npm's openclaw@2026.9.6 on Node 24 (scripts/setup-compat installs
// it; scripts/test-compat runs this suite with OPENCLAW_COMPAT_CLI naming its launcher). A profile
// our host set up, changed and ran must still be one the real OpenClaw validates and starts its
// gateway on; a profile OpenClaw's own onboarding wrote must work with us. Real processes on
// registry-granted ports, each test in its own HOME.
#define BOOST_TEST_MODULE openclaw_compat
#include <signal.h>

#include <cstdlib>

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

// The real OpenClaw CLI, run to completion in the sandbox's HOME.
struct OpenClaw {
  fs::path cli;
  const Sandbox& sb;
  explicit OpenClaw(const Sandbox& s) : sb(s) {
    const char* p = std::getenv("OPENCLAW_COMPAT_CLI");
    BOOST_REQUIRE_MESSAGE(p && fs::exists(p),
                          "OPENCLAW_COMPAT_CLI does not name the real OpenClaw CLI: run "
                          "scripts/test-compat (it installs it with scripts/setup-compat)");
    cli = p;
  }
  std::map<std::string, std::string> env() const {
    return {{"HOME", sb.home().string()},
            {"PATH", "/usr/local/bin:/usr/bin:/bin"},
            {"TMPDIR", sb.home().string()},
            {"NO_COLOR", "1"}};
  }
  Result run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{cli.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Child c(argv, env(), sb.home());
    Result r;
    auto code = c.wait(180s);
    if (!code) c.stop(SIGKILL);
    r.code = code.value_or(-1);
    r.out = c.out();
    r.err = c.err();
    return r;
  }
  std::unique_ptr<Child> spawn(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{cli.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Child>(argv, env(), sb.home());
  }
};

// Debian's ngircd on a registry-granted loopback port, stopped by PID: the IRC server our
// gateway's channel links to while the real CLI looks at it.
struct Ngircd {
  TempDir dir;
  PortBlock block{1};
  std::unique_ptr<Child> proc;
  Ngircd() {
    BOOST_REQUIRE_MESSAGE(fs::exists("/usr/sbin/ngircd"), "ngircd is not installed: scripts/setup");
    write_file(dir.path() / "ngircd.conf",
               "[Global]\nName = irc.compat.local\nInfo = compat\nListen = 127.0.0.1\nPorts = " +
                   std::to_string(block.base()) +
                   "\n[Limits]\nMaxConnectionsIP = 0\nMaxPenaltyTime = 0\n"
                   "[Options]\nPAM = no\nIdent = no\nDNS = no\n");
    fs::permissions(dir.path(), fs::perms(0755));  // ngircd run as root drops to nobody
    fs::permissions(dir.path() / "ngircd.conf", fs::perms(0644));
    proc = std::make_unique<Child>(std::vector<std::string>{"/usr/sbin/ngircd", "-n", "-f",
                                                            (dir.path() / "ngircd.conf").string()},
                                   std::map<std::string, std::string>{}, dir.path());
    BOOST_REQUIRE_MESSAGE(poll_until([&] { return port_accepts(block.base()); }, 10s),
                          proc->out() + proc->err());
  }
  ~Ngircd() { proc->stop(SIGTERM); }
};

json::value parse_json(const Result& r) {
  // The CLI may print config warnings before the JSON: it starts at the first line opening one.
  auto at = r.out.find("\n{");
  std::string text = r.out.rfind('{', 0) == 0 || r.out.rfind('[', 0) == 0 || at == std::string::npos
                         ? r.out
                         : r.out.substr(at + 1);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  BOOST_TEST(!ec, "not JSON (" << ec.message() << "):\n" << r.out << r.err);
  return v;
}

// `config set` of each key and value, with our CLI, on `profile`.
void config_set(const Sandbox& sb, const std::string& profile,
                const std::vector<std::pair<std::string, std::string>>& keys) {
  for (const auto& [key, value] : keys) {
    auto r = sb.run({"--profile", profile, "config", "set", key, value});
    BOOST_REQUIRE_MESSAGE(r.code == 0, key + ": " + r.err);
  }
}

// A profile our `setup` made on `base`, then `keys` set.
void set_up_profile(const Sandbox& sb, const std::string& profile, int base,
                    const std::vector<std::pair<std::string, std::string>>& keys) {
  auto setup = sb.run({"--profile", profile, "setup", "--port", std::to_string(base)});
  BOOST_REQUIRE_MESSAGE(setup.code == 0, setup.err);
  config_set(sb, profile, keys);
}

void run_our_gateway(const Sandbox& sb, const std::string& profile) {
  auto gw = sb.spawn({"--profile", profile, "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(openclaw_compat)

// Every key docs/configuration.md documents, set with our CLI (the old places of moved keys
// too: config set writes their place now), then our gateway runs on the profile: the real
// OpenClaw must still validate it and start its gateway on it.
BOOST_AUTO_TEST_CASE(a_profile_we_set_up_changed_and_ran_still_starts_the_real_openclaw) {
  Sandbox sb;
  PortBlock block;
  OpenClaw openclaw(sb);
  auto setup = sb.run({"--profile", "t", "setup", "--port", std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(setup.code == 0, setup.err);
  fs::create_directories(sb.home() / "plugins-extra");
  write_file(sb.home() / "ca.pem", "not read: the IRC server is never reached\n");
  const std::string ours = "plugins.entries.openclaw-host.config.";
  const std::string closed = std::to_string(block.base() + 60);  // nobody listens there
  config_set(sb, "t",
             {{"gateway.bind", "loopback"},
              {"gateway.controlUi.allowedOrigins", R"(["https://ui.example.org"])"},
              {"browser.enabled", "true"},
              {"browser.headless", "true"},
              {"browser.executablePath", "/usr/bin/chromium"},
              {"browser.defaultProfile", "openclaw"},
              {"browser.profiles.work.cdpPort", std::to_string(block.base() + 40)},
              {ours + "browser.maxConnections", "32"},
              {"plugins.entries.canvas.config.host.enabled", "true"},
              {ours + "canvas.port", std::to_string(block.base() + 4)},
              {ours + "canvas.root", (sb.home() / "canvas").string()},
              {ours + "canvas.liveReload", "false"},
              {ours + "canvas.maxConnections", "256"},
              {"channels.irc.host", "127.0.0.1"},
              {"channels.irc.port", closed},
              {"channels.irc.tls", "false"},
              {"channels.irc.nick", "compatbot"},
              {"channels.irc.channels", R"(["#ops"])"},
              {"channels.irc.nickserv.service", "NickServ"},
              {"channels.irc.dmPolicy", "allowlist"},
              {"channels.irc.allowFrom", R"(["owner!*@*"])"},
              {ours + "irc.floodBurst", "4"},
              {ours + "irc.floodIntervalMs", "500"},
              {"channels.irc.sasl", "false"},  // an old place: written to the new one
              {"channels.irc.caFile", (sb.home() / "ca.pem").string()},  // likewise
              {"channels.telegram.enabled", "false"},
              {"channels.telegram.apiRoot", "https://api.telegram.org"},
              {ours + "telegram.pollTimeoutSeconds", "20"},
              {"plugins.entries.webhook.config.secret", "a-webhook-secret-of-32-characters"},
              {"plugins.entries.webhook.config.hooks", R"(["ci"])"},
              {"channels.webhook.replyUrl", "https://replies.example.org/hook"},  // old place
              {"canvasHost.enabled", "true"},                                     // old place
              {"agents.defaults.workspace", (sb.home() / "work").string()},
              {"plugins.load.paths", "[\"" + (sb.home() / "plugins-extra").string() + "\"]"},
              {"plugins.entries.rescue.config.watch", R"(["main"])"},
              {"plugins.entries.rescue.config.intervalMs", "500"}});
  const std::string cfg = read_file(sb.home() / ".openclaw-t" / "openclaw.json");
  const json::value parsed = json::parse(cfg);
  for (const char* old :
       {"/canvasHost", "/channels/irc/sasl", "/channels/irc/caFile", "/channels/webhook"}) {
    boost::system::error_code ec;
    BOOST_TEST(!parsed.find_pointer(old, ec), old << " is still at its old place:\n" << cfg);
  }
  run_our_gateway(sb, "t");  // it remembers its browser's CDP port: in the state dir

  auto valid = openclaw.run({"--profile", "t", "config", "validate"});
  BOOST_TEST(valid.code == 0, valid.out + valid.err);
  BOOST_TEST(contains(valid.out + valid.err, "Config valid"), valid.out + valid.err);

  // The real gateway starts on it, on the profile's port.
  auto gw = openclaw.spawn({"--profile", "t", "gateway"});
  BOOST_TEST(poll_until([&] { return contains(gw->out() + gw->err(), "[gateway] ready"); }, 150s),
             gw->out() + gw->err());
  BOOST_TEST(port_accepts(block.base()));

  // And our CLI reads the real gateway: it asks the scopes each method needs there (the browser
  // is operator.admin) and reads OpenClaw's payloads (no uptimeMs, other channel entries).
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
           {"health"}, {"health", "--json"}, {"browser", "status"}, {"channels", "status"}}) {
    cmd.insert(cmd.begin(), {"--profile", "t"});
    auto r = sb.run(cmd);
    BOOST_TEST(r.code == 0, cmd[2] << ": " << r.out << r.err);
    BOOST_TEST(!contains(r.err, "out of range"), r.err);
    BOOST_TEST(!contains(r.err, "missing scope"), r.err);
  }
  auto health = sb.run({"--profile", "t", "health"});
  BOOST_TEST(contains(health.out, "Gateway healthy"), health.out + health.err);
  auto browser = sb.run({"--profile", "t", "browser", "status"});
  BOOST_TEST(contains(browser.out, "Profile:"), browser.out + browser.err);
  gw->stop(SIGTERM, 30s);
}

// A profile written by hand after our older docs (the keys at their old places) is read as it
// is, and our gateway's first start moves them: then the real OpenClaw accepts it.
BOOST_AUTO_TEST_CASE(keys_at_the_places_older_versions_used_move_at_the_gateways_start) {
  Sandbox sb;
  PortBlock block;
  OpenClaw openclaw(sb);
  auto setup = sb.run({"--profile", "o", "setup", "--port", std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(setup.code == 0, setup.err);
  const fs::path file = sb.home() / ".openclaw-o" / "openclaw.json";
  json::object root = json::parse(read_file(file)).as_object();
  root["canvasHost"] = json::object{{"enabled", true}, {"liveReload", false}};
  root["channels"] =
      json::object{{"irc", json::object{{"host", "127.0.0.1"},
                                        {"port", block.base() + 60},
                                        {"tls", false},
                                        {"nick", "oldbot"},
                                        {"nickserv", "a-nickserv-password"},
                                        {"floodBurst", 3}}},
                   {"webhook", json::object{{"secret", "a-webhook-secret-of-32-characters"}}}};
  root["plugins"] = json::object{
      {"entries",
       json::object{{"browser", json::object{{"config", json::object{{"maxConnections", 16}}}}}}}};
  write_file(file, json::serialize(root));
  auto before = openclaw.run({"--profile", "o", "config", "validate"});
  BOOST_TEST(before.code != 0, "the real OpenClaw accepted the old places:\n" + before.out);
  auto ours = sb.run({"--profile", "o", "config", "validate"});
  BOOST_TEST(ours.code == 0, ours.err);
  BOOST_TEST(contains(ours.out, "Note: channels.irc.floodBurst is read"), ours.out);

  auto gw = sb.spawn({"--profile", "o", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_TEST(
      contains(gw->err(), "config: moved channels.webhook -> plugins.entries.webhook.config"),
      gw->err());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  auto after = openclaw.run({"--profile", "o", "config", "validate"});
  BOOST_TEST(after.code == 0, after.out + after.err);
}

// And the other way round: what OpenClaw's own onboarding writes, we read, serve and leave
// valid for it.
BOOST_AUTO_TEST_CASE(a_profile_openclaws_onboarding_wrote_works_with_us) {
  Sandbox sb;
  PortBlock block;
  OpenClaw openclaw(sb);
  auto onboard =
      openclaw.run({"--profile", "u", "onboard", "--non-interactive", "--accept-risk", "--mode",
                    "local", "--skip-health", "--gateway-port", std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(onboard.code == 0, onboard.out + onboard.err);
  auto ours = sb.run({"--profile", "u", "config", "validate"});
  BOOST_TEST(ours.code == 0, ours.out + ours.err);
  run_our_gateway(sb, "u");
  auto valid = openclaw.run({"--profile", "u", "config", "validate"});
  BOOST_TEST(valid.code == 0, valid.out + valid.err);
}

BOOST_AUTO_TEST_SUITE_END()

// Its own suite: CTest runs it beside the config round trips (each CLI command is seconds).
BOOST_AUTO_TEST_SUITE(openclaw_cli_drives_us)

// The real CLI drives our gateway, an IRC channel connected to a real ngircd: every read-only
// command a user types first says what is true (IRC connected and working, the read probe ok,
// our log), the methods it calls answer in OpenClaw's shapes, and a send with OpenClaw's params
// is delivered once per idempotency key.
BOOST_AUTO_TEST_CASE(the_real_cli_drives_our_gateway) {
  Sandbox sb;
  PortBlock block;
  Ngircd irc;
  OpenClaw openclaw(sb);
  bundle_plugins(sb, {"irc", "canvas"});
  set_up_profile(sb, "t", block.base(),
                 {{"channels.irc.host", "127.0.0.1"},
                  {"channels.irc.port", std::to_string(irc.block.base())},
                  {"channels.irc.tls", "false"},
                  {"channels.irc.nick", "compatbot"},
                  {"channels.irc.channels", R"(["#ops"])"},
                  {"plugins.entries.canvas.config.host.enabled", "true"}});
  auto gw = sb.spawn({"--profile", "t", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_REQUIRE_MESSAGE(
      poll_until([&] { return contains(gw->err(), "registered as compatbot"); }, 20s), gw->err());
  auto both = [](const Result& r) { return r.out + r.err; };

  auto health = openclaw.run({"--profile", "t", "health"});
  BOOST_TEST(health.code == 0, both(health));
  BOOST_TEST(contains(health.out, "IRC: ok"), both(health));
  BOOST_TEST(contains(health.out, "Gateway event loop: ok"), both(health));
  BOOST_TEST(!contains(health.out, "NaN"), both(health));
  BOOST_TEST(!contains(health.out, "undefined"), both(health));

  auto channels = openclaw.run({"--profile", "t", "channels", "status"});
  BOOST_TEST(channels.code == 0, both(channels));
  BOOST_TEST(contains(channels.out, "IRC default: enabled, configured, running, connected"),
             both(channels));
  auto channels_json = openclaw.run({"--profile", "t", "channels", "status", "--json"});
  BOOST_TEST(channels_json.code == 0, both(channels_json));
  json::value cj = parse_json(channels_json);
  boost::system::error_code ec;
  const json::value* connected = cj.find_pointer("/channelAccounts/irc/0/connected", ec);
  BOOST_TEST((connected && *connected == json::value(true)), both(channels_json));

  auto status = openclaw.run({"--profile", "t", "status", "--json"});
  BOOST_TEST(status.code == 0, both(status));
  BOOST_TEST(!contains(both(status), "Cannot read properties"), both(status));
  parse_json(status);
  auto all = openclaw.run({"--profile", "t", "status", "--all"});
  BOOST_TEST(all.code == 0, both(all));
  BOOST_TEST(contains(all.out, "Gateway last log line"), both(all));
  BOOST_TEST(!contains(both(all), "Cannot read properties"), both(all));

  auto probe = openclaw.run({"--profile", "t", "gateway", "probe"});
  BOOST_TEST(probe.code == 0, both(probe));
  BOOST_TEST(contains(probe.out, "Read probe: ok"), both(probe));
  auto gstatus = openclaw.run({"--profile", "t", "gateway", "status"});
  BOOST_TEST(contains(gstatus.out, "Connectivity probe: ok"), both(gstatus));

  auto logs = openclaw.run({"--profile", "t", "logs", "--limit", "50"});
  BOOST_TEST(logs.code == 0, both(logs));
  BOOST_TEST(contains(logs.out, "registered as compatbot"), both(logs));

  auto call = [&](const std::string& method, const std::string& params = "{}") {
    auto r =
        openclaw.run({"--profile", "t", "gateway", "call", method, "--params", params, "--json"});
    BOOST_TEST(r.code == 0, method << ": " << both(r));
    return parse_json(r);
  };
  json::value presence = call("system-presence");
  BOOST_TEST((presence.is_array() && !presence.as_array().empty()), json::serialize(presence));
  BOOST_TEST(call("last-heartbeat").is_null());
  json::value stability = call("diagnostics.stability");
  BOOST_TEST(stability.as_object().at("events").as_array().size() >= 1u);
  BOOST_TEST(call("node.list").as_object().at("nodes").as_array().empty());
  BOOST_TEST(call("cron.list").as_object().at("total") == json::value(0));
  BOOST_TEST(call("usage.cost").as_object().contains("totals"));

  const std::string send =
      R"({"to":"#ops","message":"hello from the real CLI","channel":"irc","idempotencyKey":"k-1"})";
  json::value first = call("send", send);
  json::value again = call("send", send);
  BOOST_TEST(first.as_object().at("runId") == json::value("k-1"), json::serialize(first));
  BOOST_TEST(first.as_object().at("messageId") == again.as_object().at("messageId"),
             json::serialize(first) << " vs " << json::serialize(again));
  auto ours = sb.run({"--profile", "t", "channels", "status", "--json"});
  BOOST_REQUIRE_MESSAGE(ours.code == 0, ours.err);
  json::value out = json::parse(ours.out).at("channels").at("irc").at("out");
  BOOST_TEST(out == json::value(1), "sent twice under one key:\n" << ours.out);

  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()

// Its own suite too: the real CLI's browser commands against our browser plugin and a real
// headless Chromium, on a page our canvas serves.
BOOST_AUTO_TEST_SUITE(openclaw_cli_browser)

BOOST_AUTO_TEST_CASE(the_real_clis_browser_commands_drive_our_chromium) {
  Sandbox sb;
  PortBlock block;
  OpenClaw openclaw(sb);
  bundle_plugins(sb, {"browser", "canvas"});
  set_up_profile(sb, "b", block.base(),
                 {{"browser.enabled", "true"},
                  {"browser.headless", "true"},
                  {"browser.noSandbox", "true"},
                  {"browser.evaluateEnabled", "true"},
                  {"browser.ssrfPolicy.allowedHostnames", R"(["127.0.0.1"])"},
                  {"plugins.entries.canvas.config.host.enabled", "true"}});
  const fs::path canvas = sb.home() / ".openclaw" / "workspace-b" / "canvas";
  fs::create_directories(canvas);
  write_file(canvas / "page.html",
             "<html><head><title>Compat page</title></head><body><button "
             "onclick=\"document.title='pressed'\">Press me</button><script>console.log('hello "
             "from the page')</script></body></html>");
  auto gw = sb.spawn({"--profile", "b", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  auto browser = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--profile", "b", "browser"});
    auto r = openclaw.run(args);
    BOOST_TEST(r.code == 0, args[3] << ": " << r.out << r.err);
    return r;
  };
  BOOST_TEST(contains(browser({"start"}).out, "running: true"));
  const std::string page =
      "http://127.0.0.1:" + std::to_string(block.base() + 4) + "/__openclaw__/canvas/page.html";
  BOOST_TEST(contains(browser({"open", page}).out, "opened: " + page));
  auto snap = browser({"snapshot"});
  BOOST_TEST(contains(snap.out, "button \"Press me\" [ref=e1]"), snap.out);
  browser(
      {"click", "e1"});  // before the aria snapshot: that one replaces the ref map (as OpenClaw)
  json::value aria = parse_json(browser({"--json", "snapshot", "--format", "aria"}));
  BOOST_TEST(!aria.at("nodes").as_array().empty(), json::serialize(aria));
  BOOST_TEST(aria.at("nodes").at(0).at("name").as_string() == "pressed");  // the click ran
  json::value title = parse_json(browser({"--json", "evaluate", "--fn", "document.title"}));
  BOOST_TEST(title.at("result").as_string() == "pressed", json::serialize(title));
  BOOST_TEST(contains(browser({"console"}).out, "hello from the page"));
  auto shot = browser({"screenshot"});
  BOOST_TEST(contains(shot.out, ".png"), shot.out);
  browser({"stop"});
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()
