// The real openclaw-host binary, run with a private HOME and registry.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "profile/profile.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(cli_basics)

BOOST_AUTO_TEST_CASE(help_and_version_at_every_level) {
  Sandbox sb;
  auto r = sb.run({"--help"});
  BOOST_TEST(r.code == 0);
  for (const char* cmd : {"setup", "gateway", "status", "ports", "config", "--profile", "--dev"}) {
    BOOST_TEST(contains(r.out, cmd), cmd);
  }
  for (const char* cmd : {"setup", "gateway", "status", "ports", "config"}) {
    auto h = sb.run({cmd, "--help"});
    BOOST_TEST(h.code == 0, cmd);
    BOOST_TEST(contains(h.out, "Usage: openclaw-host"), cmd);
  }
  auto sub = sb.run({"config", "set", "--help"});
  BOOST_TEST(sub.code == 0);
  BOOST_TEST(contains(sub.out, "config set KEY VALUE"));
  // Positional arguments are in the usage line, not listed as internal --options.
  BOOST_TEST(!contains(sub.out, "--key"), sub.out);
  BOOST_TEST(!contains(sub.out, "--value"), sub.out);
  BOOST_TEST(contains(sub.out, "--string"));
  auto onboard = sb.run({"onboard", "--help"});
  BOOST_TEST(onboard.code == 0);
  BOOST_TEST(contains(onboard.out, "Usage: openclaw-host [--profile NAME] onboard"), onboard.out);
  BOOST_TEST(sb.run({"status", "-h"}).code == 0);
  auto v = sb.run({"--version"});
  BOOST_TEST(v.code == 0);
  BOOST_TEST(contains(v.out, "openclaw-host 0."));
}

BOOST_AUTO_TEST_CASE(a_negative_number_is_a_value_and_a_broken_port_plan_is_refused) {
  Sandbox sb;
  BOOST_REQUIRE(sb.run({"setup", "--no-token"}).code == 0);
  // "-5" is the value (refused by the schema, naming the key), not an unknown option.
  auto neg = sb.run({"config", "set", "browser.profiles.work.cdpPort", "-5"});
  BOOST_TEST(neg.code == 1);
  BOOST_TEST(contains(neg.err, "browser.profiles.work.cdpPort"), neg.err);
  BOOST_TEST(!contains(neg.err, "unrecognised option"), neg.err);
  // A canvas port on the browser control port breaks the plan: refused, both sides named, the
  // file unchanged, and the profile's commands keep working.
  auto base = sb.run({"config", "get", "gateway.port"});
  BOOST_REQUIRE(base.code == 0);
  int control = std::stoi(base.out) + 2;
  auto clash = sb.run({"config", "set", "canvasHost.port", std::to_string(control)});
  BOOST_TEST(clash.code == 1);
  BOOST_TEST(contains(clash.err, "breaks the port plan"), clash.err);
  BOOST_TEST(contains(clash.err, "canvas"), clash.err);
  BOOST_TEST(contains(clash.err, "browser.control"), clash.err);
  BOOST_TEST(sb.run({"config", "get", "canvasHost.port"}).code != 0);
  BOOST_TEST(sb.run({"status"}).code == 3);  // not running, but no config error
}

BOOST_AUTO_TEST_CASE(remembered_ports_of_plugins_that_are_gone_are_forgotten_at_start) {
  Sandbox sb;
  BOOST_REQUIRE(sb.run({"setup", "--no-token"}).code == 0);
  const fs::path remembered = sb.home() / ".openclaw" / "ports-assigned.json";
  write_file(remembered, R"({"assigned": {"gone-plugin.http": 40123}})");
  auto gw = sb.spawn({"gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_TEST(!contains(read_file(remembered), "gone-plugin"), read_file(remembered));
  BOOST_TEST(contains(read_file(remembered), "browser.cdp.openclaw"), read_file(remembered));
  BOOST_TEST(contains(gw->err(), "forgot 1 remembered port"), gw->err());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

// An earlier version kept them in the config, where the real OpenClaw refuses the root "ports"
// key ("Unrecognized key"): the gateway moves them to the state dir once, and keeps using them.
BOOST_AUTO_TEST_CASE(ports_assigned_in_the_config_is_moved_to_the_state_dir) {
  Sandbox sb;
  PortBlock block;
  BOOST_REQUIRE(sb.run({"setup", "--no-token"}).code == 0);
  BOOST_REQUIRE(sb.run({"config", "set", "gateway.port", std::to_string(block.base())}).code == 0);
  const fs::path cfg = sb.home() / ".openclaw" / "openclaw.json";
  const int cdp = block.base() + 20;  // in the browser's CDP range, not its first choice
  std::string text = read_file(cfg);
  write_file(cfg, text.substr(0, text.rfind('}')) +
                      R"(, "ports": {"assigned": {"browser.cdp.openclaw": )" + std::to_string(cdp) +
                      "}}}");
  auto gw = sb.spawn({"gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_TEST(contains(gw->err(), "moved ports.assigned (1 remembered port(s)) from the config"),
             gw->err());
  BOOST_TEST(!contains(read_file(cfg), "\"ports\""), read_file(cfg));
  BOOST_TEST(contains(read_file(cfg), "\"gateway\""));  // the rest as it was
  const std::string state = read_file(sb.home() / ".openclaw" / "ports-assigned.json");
  BOOST_TEST(contains(state, "\"browser.cdp.openclaw\": " + std::to_string(cdp)), state);
  auto ports = sb.run({"ports", "--json"});
  BOOST_TEST(contains(ports.out, std::to_string(cdp)), ports.out);  // still its port
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  // And it is no config key any more.
  auto set = sb.run({"config", "set", "ports.assigned.x", "40000"});
  BOOST_TEST(set.code != 0);
  BOOST_TEST(contains(set.err, "ports is not a config key"), set.err);
  BOOST_TEST(!contains(read_file(cfg), "\"ports\""));
}

BOOST_AUTO_TEST_CASE(a_tree_without_bundled_plugins_says_so) {
  Sandbox sb;  // its bundled plugin dir does not exist
  auto list = sb.run({"plugins", "list"});
  BOOST_TEST(list.code == 0);
  BOOST_TEST(contains(list.out, "bundled plugin dir"), list.out);
  BOOST_TEST(contains(list.out, "does not exist"), list.out);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_1_with_one_line) {
  Sandbox sb;
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases{
      {{}, "missing command"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"--dev", "--profile", "x", "status"}, "--dev and --profile cannot be used together"},
      {{"--profile"}, "--profile"},
      {{"--profile", "bad/name", "status"}, "invalid profile name \"bad/name\""},
      {{"--log-level", "loud", "status"}, "--log-level must be"},
      {{"status", "--bogus"}, "unrecognised option '--bogus'"},
      {{"setup", "--port", "70000"}, "--port must be an integer 1..65535, got \"70000\""},
      {{"gateway", "--bind", "everywhere"}, "--bind must be loopback or lan"},
  };
  for (const auto& c : cases) {
    auto r = sb.run(c.args);
    BOOST_TEST(r.code == 1, c.message);
    BOOST_TEST(r.err.rfind("openclaw-host: error: ", 0) == 0u, r.err);
    BOOST_TEST(contains(r.err, c.message), r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
  }
}

BOOST_AUTO_TEST_CASE(global_options_come_before_the_command) {
  Sandbox sb;
  auto r = sb.run({"--profile", "rescue", "--log-level", "debug", "--no-color", "config", "file"});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out == (sb.home() / ".openclaw-rescue" / "openclaw.json").string() + "\n");
  auto eq = sb.run({"--profile=rescue", "config", "file"});
  BOOST_TEST(eq.out == r.out);
  auto dev = sb.run({"--dev", "config", "file"});
  BOOST_TEST(dev.out == (sb.home() / ".openclaw-dev" / "openclaw.json").string() + "\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_setup)

// --watch goes into the rescue plugin's own block (a root key would make OpenClaw refuse the
// file), and the plugin's own validate() accepts what it wrote.
BOOST_AUTO_TEST_CASE(setup_watch_writes_the_rescue_block) {
  Sandbox sb;
  PortBlock block;
  const std::map<std::string, std::string> env{
      {"OPENCLAW_GATEWAY_PORT", std::to_string(block.base())}};
  auto r = sb.run({"--profile", "rescue", "setup", "--watch", "main,other"}, env);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  BOOST_TEST(contains(r.out, "plugins.entries.rescue.config.watch"), r.out);
  auto cfg = json::parse(read_file(sb.home() / ".openclaw-rescue" / "openclaw.json"));
  BOOST_TEST(json::serialize(cfg.at("plugins").at("entries").at("rescue").at("config").at(
                 "watch")) == R"(["main","other"])");
  BOOST_TEST(!cfg.as_object().contains("rescue"));
  auto self = sb.run({"--profile", "rescue", "setup", "--watch", "rescue"}, env);
  BOOST_TEST(self.code != 0);
  BOOST_TEST(contains(self.err, "does not watch itself"), self.err);
  auto bad = sb.run({"--profile", "rescue", "setup", "--watch", "ma in"}, env);
  BOOST_TEST(bad.code != 0);
  BOOST_TEST(contains(bad.err, "invalid profile name"), bad.err);
  BOOST_TEST(sb.run({"--profile", "rescue", "config", "validate"}).code == 0);
}

BOOST_AUTO_TEST_CASE(setup_creates_private_state_config_and_workspace_once) {
  // The preferred base comes from a block this test holds, not from rescue's real default
  // (23532), which some other program on the machine may use.
  Sandbox sb;
  PortBlock block;
  const std::map<std::string, std::string> env{
      {"OPENCLAW_GATEWAY_PORT", std::to_string(block.base())}};
  auto r = sb.run({"--profile", "rescue", "setup"}, env);
  BOOST_TEST(r.code == 0, r.err);
  auto state = sb.home() / ".openclaw-rescue";
  BOOST_TEST(mode_of(state) == 0700u);
  BOOST_TEST(mode_of(state / "openclaw.json") == 0600u);
  BOOST_TEST(fs::is_directory(sb.home() / ".openclaw" / "workspace-rescue"));
  auto cfg = json::parse(read_file(state / "openclaw.json"));
  BOOST_TEST(cfg.at("gateway").at("port").as_int64() == block.base());
  // As OpenClaw's setup writes it: without it the real OpenClaw will not start a gateway here.
  BOOST_TEST(cfg.at("gateway").at("mode").as_string() == "local");
  BOOST_TEST(contains(r.out, "set gateway.mode = local"), r.out);
  auto mode = sb.run({"--profile", "rescue", "config", "set", "gateway.mode", "loca"});
  BOOST_TEST(mode.code != 0);
  BOOST_TEST(contains(mode.err, "gateway.mode"), mode.err);
  // A random gateway token, as OpenClaw's onboarding makes, and never printed.
  BOOST_TEST(cfg.at("gateway").at("auth").at("mode").as_string() == "token");
  std::string token(cfg.at("gateway").at("auth").at("token").as_string());
  BOOST_TEST(token.size() >= 32u);
  BOOST_TEST(!contains(r.out + r.err, token));
  auto before = read_file(state / "openclaw.json");

  auto again = sb.run({"--profile", "rescue", "setup"}, env);
  BOOST_TEST(again.code == 0);
  BOOST_TEST(contains(again.out, "Nothing to change"), again.out);
  BOOST_TEST(read_file(state / "openclaw.json") == before);
  BOOST_TEST(!fs::exists(state / "openclaw.json.bak"));  // nothing was rewritten
}

BOOST_AUTO_TEST_CASE(second_profile_gets_a_base_whose_derived_set_overlaps_nobody) {
  // As main (23592) and rescue (23532) by default, but inside a block this test holds.
  Sandbox sb;
  PortBlock block(360);
  const int rescue_default = block.base() + 120, main_default = block.base() + 180;
  BOOST_TEST(sb.run({"--profile", "rescue", "setup"},
                    {{"OPENCLAW_GATEWAY_PORT", std::to_string(rescue_default)}})
                 .code == 0);
  auto r = sb.run({"--profile", "main", "setup"},
                  {{"OPENCLAW_GATEWAY_PORT", std::to_string(main_default)}});
  BOOST_TEST(r.code == 0, r.err);
  int rescue = static_cast<int>(json::parse(read_file(sb.home() / ".openclaw-rescue/openclaw.json"))
                                    .at("gateway")
                                    .at("port")
                                    .as_int64());
  int main = static_cast<int>(json::parse(read_file(sb.home() / ".openclaw-main/openclaw.json"))
                                  .at("gateway")
                                  .at("port")
                                  .as_int64());
  // main's preferred base overlaps rescue's rescue_default..rescue_default + 110.
  BOOST_TEST(rescue == rescue_default);
  BOOST_TEST(main != main_default);
  BOOST_TEST((main > rescue + 110 || main + 110 < rescue));
  BOOST_TEST(contains(r.out, "overlaps profile \"rescue\""), r.out);
}

BOOST_AUTO_TEST_CASE(setup_port_and_workspace_flags) {
  Sandbox sb;
  PortBlock block;
  auto ws = sb.home() / "my-ws";
  auto r = sb.run({"--profile", "main", "setup", "--port", std::to_string(block.base()),
                   "--workspace", ws.string()});
  BOOST_TEST(r.code == 0, r.err);
  auto cfg = json::parse(read_file(sb.home() / ".openclaw-main/openclaw.json"));
  BOOST_TEST(cfg.at("gateway").at("port").as_int64() == block.base());
  BOOST_TEST(cfg.at("agents").at("defaults").at("workspace").as_string() == ws.string());
  BOOST_TEST(fs::is_directory(ws));
  auto too_high = sb.run({"--profile", "main", "setup", "--port", "65500"});
  BOOST_TEST(too_high.code == 1);
  BOOST_TEST(contains(too_high.err, "base + 110 must be <= 65535"));
}

BOOST_AUTO_TEST_CASE(setup_skips_ports_held_by_running_programs) {
  Sandbox sb;
  PortBlock block;
  Listener busy(block.base() + 2);  // someone sits on base + 2
  BOOST_REQUIRE(busy.ok());
  auto r = sb.run({"--profile", "x", "setup"},
                  {{"OPENCLAW_GATEWAY_PORT", std::to_string(block.base())}});
  BOOST_TEST(r.code == 0, r.err);
  auto port = json::parse(read_file(sb.home() / ".openclaw-x/openclaw.json"))
                  .at("gateway")
                  .at("port")
                  .as_int64();
  BOOST_TEST(port != block.base());
}

BOOST_AUTO_TEST_CASE(setup_never_overwrites_a_config_that_does_not_parse) {
  Sandbox sb;
  auto path = sb.home() / ".openclaw-rescue" / "openclaw.json";
  write_file(path, "{ \"gateway\": { \"port\": 19001 ");
  auto r = sb.run({"--profile", "rescue", "setup"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "config is not valid JSON"), r.err);
  BOOST_TEST(contains(r.err, "(~/.openclaw-rescue/openclaw.json)"), r.err);
  BOOST_TEST(read_file(path) == "{ \"gateway\": { \"port\": 19001 ");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_config)

BOOST_AUTO_TEST_CASE(get_set_unset_round_trip_keeping_unknown_keys) {
  Sandbox sb;
  auto path = sb.home() / ".openclaw" / "openclaw.json";
  write_file(path, "// mine\n{\"custom\":{\"x\":[1,2,3]},\"gateway\":{\"port\":19001,},}\n");
  auto s = sb.run({"config", "set", "browser.profiles.work.cdpPort", "19040"});
  BOOST_TEST(s.code == 0, s.err);
  auto g = sb.run({"config", "get", "browser.profiles.work.cdpPort"});
  BOOST_TEST(g.out == "19040\n");
  auto str = sb.run({"config", "set", "gateway.auth.token", "s3cret token"});
  BOOST_TEST(str.code == 0);
  // A secret is never printed unless asked for: not by set, not by get, not inside an object.
  BOOST_TEST(!contains(str.out, "s3cret"), str.out);
  BOOST_TEST(contains(str.out, "(secret, not shown)"));
  BOOST_TEST(sb.run({"config", "get", "gateway.auth.token"}).out == "__OPENCLAW_REDACTED__\n");
  BOOST_TEST(!contains(sb.run({"config", "get", "gateway"}).out, "s3cret"));
  BOOST_TEST(sb.run({"config", "get", "gateway.auth.token", "--show-secrets"}).out ==
             "s3cret token\n");
  BOOST_TEST(sb.run({"config", "get", "gateway.auth.token", "--json", "--show-secrets"}).out ==
             "\"s3cret token\"\n");
  auto cfg = json::parse(read_file(path));
  BOOST_TEST(json::serialize(cfg.at("custom")) == "{\"x\":[1,2,3]}");
  BOOST_TEST(contains(read_file(fs::path(path.string() + ".bak")), "gateway"));
  BOOST_TEST(mode_of(path) == 0600u);

  BOOST_TEST(sb.run({"config", "unset", "gateway.auth.token"}).code == 0);
  auto missing = sb.run({"config", "get", "gateway.auth.token"});
  BOOST_TEST(missing.code == 1);
  BOOST_TEST(contains(missing.err,
                      "config key gateway.auth.token is not set (~/.openclaw/openclaw.json)"));
  auto unset_again = sb.run({"config", "unset", "gateway.auth.token"});
  BOOST_TEST(unset_again.code == 0);
  BOOST_TEST(contains(unset_again.out, "was not set"));
}

BOOST_AUTO_TEST_CASE(set_refuses_a_value_that_breaks_the_key) {
  Sandbox sb;
  BOOST_TEST(sb.run({"--profile", "rescue", "config", "set", "gateway.port", "19001"}).code == 0);
  auto path = sb.home() / ".openclaw-rescue" / "openclaw.json";
  auto before = read_file(path);
  auto r = sb.run({"--profile", "rescue", "config", "set", "gateway.port", "abc"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err ==
             "openclaw-host: error: gateway.port must be an integer 1..65535, got \"abc\" "
             "(~/.openclaw-rescue/openclaw.json)\n");
  BOOST_TEST(read_file(path) == before);
}

BOOST_AUTO_TEST_CASE(
    what_a_plugin_would_refuse_at_start_is_refused_by_set_and_validate_without_echoing_secrets) {
  Sandbox sb;
  bundle_plugins(sb, {"webhook", "telegram", "irc"});
  BOOST_TEST(sb.run({"--profile", "strict", "setup", "--no-token"}).code == 0);
  auto path = sb.home() / ".openclaw-strict" / "openclaw.json";
  auto before = read_file(path);
  // The webhook plugin's own rule (16+ characters), not a second copy of it in the CLI; the
  // old place of the key (OpenClaw refuses channels.webhook) is set at its place now.
  auto short_secret = sb.run(
      {"--profile", "strict", "config", "set", "channels.webhook.secret", "tooshort-secret"});
  BOOST_TEST(short_secret.code == 1);
  BOOST_TEST(contains(short_secret.out,
                      "Note: channels.webhook.secret is kept at "
                      "plugins.entries.webhook.config.secret"),
             short_secret.out);
  BOOST_TEST(contains(short_secret.err, "plugins.entries.webhook.config.secret"), short_secret.err);
  BOOST_TEST(!contains(short_secret.err, "tooshort-secret"));
  // A bot token that is an object: its kind is named, its content is not.
  auto object_token = sb.run({"--profile", "strict", "config", "set", "channels.telegram.botToken",
                              R"({"value":"123456:leaked-token-body"})"});
  BOOST_TEST(object_token.code == 1);
  BOOST_TEST(contains(object_token.err, "channels.telegram.botToken"), object_token.err);
  BOOST_TEST(!contains(object_token.err, "leaked-token-body"));
  // Control characters in any string the host or a plugin reads.
  auto crlf = sb.run(
      {"--profile", "strict", "config", "set", "channels.irc.nick", "--string", "bot\r\nQUIT"});
  BOOST_TEST(crlf.code == 1);
  BOOST_TEST(contains(crlf.err, "channels.irc.nick contains a control character (U+000D)"),
             crlf.err);
  auto spaced =
      sb.run({"--profile", "strict", "config", "set", "channels.irc.channels", R"(["#ops room"])"});
  BOOST_TEST(spaced.code == 1);
  BOOST_TEST(contains(spaced.err, "channels.irc.channels[0]"), spaced.err);
  BOOST_TEST(read_file(path) == before);  // nothing of it was stored

  // A file edited by hand: validate reports the plugin's problem, also without the secret.
  auto root = json::parse(before).as_object();
  root["channels"] = json::object{{"webhook", json::object{{"secret", "short-secret"}}}};
  write_file(path, json::serialize(root));
  auto v = sb.run({"--profile", "strict", "config", "validate"});
  BOOST_TEST(v.code == 1);
  BOOST_TEST(contains(v.out + v.err, "channels.webhook.secret"), v.out + v.err);
  BOOST_TEST(!contains(v.out + v.err, "short-secret"));
}

BOOST_AUTO_TEST_CASE(commands_never_overwrite_an_unparseable_config) {
  Sandbox sb;
  auto path = sb.home() / ".openclaw" / "openclaw.json";
  write_file(path, "{ broken");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"config", "set", "a", "1"},
        std::vector<std::string>{"config", "unset", "a"}, std::vector<std::string>{"setup"},
        std::vector<std::string>{"status"}}) {
    auto r = sb.run(args);
    BOOST_TEST(r.code == 1, args[0]);
    BOOST_TEST(contains(r.err, "config is not valid JSON"), r.err);
  }
  BOOST_TEST(read_file(path) == "{ broken");
}

BOOST_AUTO_TEST_CASE(validate_lists_every_problem_with_its_key_path) {
  Sandbox sb;
  sb.env()["OPENCLAW_BUNDLED_PLUGINS_DIR"] = std::string(OPENCLAW_BUILD_DIR) + "/plugins";
  write_file(sb.home() / ".openclaw" / "openclaw.json",
             R"({"gateway":{"port":"abc"},"canvasHost":{"enabled":"yes"}})");
  auto r = sb.run({"config", "validate"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "config has 2 problems (~/.openclaw/openclaw.json)"), r.err);
  BOOST_TEST(contains(r.err, "gateway.port must be an integer 1..65535, got \"abc\""));
  BOOST_TEST(contains(r.err, "canvasHost.enabled must be true or false, got \"yes\""));
  auto j = sb.run({"config", "validate", "--json"});
  auto v = json::parse(j.out);
  BOOST_TEST(!v.at("ok").as_bool());
  BOOST_TEST(v.at("problems").as_array().size() == 2u);

  // The browser block is the browser plugin's: its own validate() lists what is wrong there.
  write_file(sb.home() / ".openclaw" / "openclaw.json",
             R"({"browser":{"headless":1,"profiles":{"w":{}}}})");
  auto b = sb.run({"config", "validate"});
  BOOST_TEST(b.code == 1);
  BOOST_TEST(contains(b.err, "config has 2 problems"), b.err);
  BOOST_TEST(contains(b.err, "browser.headless: must be true or false, got 1"), b.err);
  BOOST_TEST(contains(b.err, "browser.profiles.w: Profile must set cdpPort or cdpUrl"), b.err);
  auto set = sb.run({"config", "set", "browser.profiles.w.cdpUrl", "localhost:9222"});
  BOOST_TEST(set.code == 1);
  BOOST_TEST(contains(set.err, "browser.profiles.w.cdpUrl: must be an http(s):// or ws(s):// URL"),
             set.err);

  write_file(sb.home() / ".openclaw" / "openclaw.json",
             R"({"gateway":{"port":19001},"browser":{"profiles":{"x":{"cdpPort":19005}}}})");
  auto clash = sb.run({"config", "validate"});
  BOOST_TEST(clash.code == 1);
  BOOST_TEST(contains(clash.err, "browser.profiles.x.cdpPort"), clash.err);
  BOOST_TEST(contains(clash.err, "gateway.port + 4"), clash.err);

  write_file(sb.home() / ".openclaw" / "openclaw.json", R"({"gateway":{"port":19001}})");
  BOOST_TEST(sb.run({"config", "validate"}).code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_status)

BOOST_AUTO_TEST_CASE(status_json_for_rescue_at_19001_is_the_documented_object) {
  Sandbox sb;
  BOOST_TEST(sb.run({"--profile", "rescue", "config", "set", "gateway.port", "19001"}).code == 0);
  auto r = sb.run({"--profile", "rescue", "status", "--json"});
  BOOST_TEST(r.code == 3);  // not running
  auto home = sb.home().string();
  auto expected = json::parse(R"({"profile":"rescue","stateDir":")" + home + R"(/.openclaw-rescue",
      "configPath":")" + home +
                              R"(/.openclaw-rescue/openclaw.json",
      "workspace":")" + home + R"(/.openclaw/workspace-rescue",
      "service":{"systemd":"openclaw-gateway-rescue.service","launchd":"ai.openclaw.rescue"},
      "running":false,"pid":null,
      "ports":{"gateway":19001,"browserControl":19003,"canvas":19005,"cdpRange":[19012,19111]}})");
  BOOST_TEST(json::parse(r.out) == expected, r.out);
}

BOOST_AUTO_TEST_CASE(status_uses_the_profiles_own_port_and_env_precedence) {
  Sandbox sb;
  auto r = sb.run({"--profile", "main", "status", "--json"});
  BOOST_TEST(json::parse(r.out).at("ports").at("gateway").as_int64() == 23592);
  BOOST_TEST(json::parse(r.out).at("profile").as_string() == "main");
  auto def = sb.run({"status", "--json"});
  BOOST_TEST(json::parse(def.out).at("ports").at("gateway").as_int64() == 18789);
  BOOST_TEST(json::parse(def.out).at("profile").is_null());
  auto env = sb.run({"--profile", "main", "status", "--json"},
                    {{"OPENCLAW_GATEWAY_PORT", "30000"},
                     {"OPENCLAW_STATE_DIR", (sb.home() / "elsewhere").string()}});
  auto v = json::parse(env.out);
  BOOST_TEST(v.at("ports").at("gateway").as_int64() == 30000);
  BOOST_TEST(v.at("stateDir").as_string() == (sb.home() / "elsewhere").string());
  BOOST_TEST(v.at("configPath").as_string() ==
             (sb.home() / "elsewhere" / "openclaw.json").string());
  auto envprof = sb.run({"status", "--json"}, {{"OPENCLAW_PROFILE", "rescue"}});
  BOOST_TEST(json::parse(envprof.out).at("profile").as_string() == "rescue");
  auto human = sb.run({"--profile", "rescue", "status"});
  BOOST_TEST(human.code == 3);
  BOOST_TEST(contains(human.out, "not running on port 23532"), human.out);
}

BOOST_AUTO_TEST_SUITE_END()
