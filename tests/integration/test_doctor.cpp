// `doctor --all`: the isolation checklist across every instance of one (sandboxed) machine, with
// the real binary. Each broken setup is made the way a user makes it (a second profile given the
// first one's port, a copied workspace, OpenClaw's unit without --profile ...), found, and fixed by
// running the very command the finding prints.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include <boost/json.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <boost/test/unit_test.hpp>

#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

json::object doctor_json(const Sandbox& sb, int expected_code,
                         const std::map<std::string, std::string>& env = {}) {
  auto r = sb.run({"doctor", "--all", "--json"}, env);
  BOOST_TEST(r.code == expected_code, r.out + r.err);
  boost::system::error_code ec;
  auto v = json::parse(r.out, ec);
  BOOST_TEST_REQUIRE(!ec, r.out + r.err);
  BOOST_TEST_REQUIRE(v.is_object());
  return v.as_object();
}

// The findings of `check`, as "severity what" lines.
std::vector<json::object> findings(const json::object& o, const std::string& check) {
  std::vector<json::object> out;
  for (const auto& f : o.at("findings").as_array()) {
    if (f.at("check").as_string() == check) out.push_back(f.as_object());
  }
  return out;
}

// Runs a finding's fix ("openclaw-host --profile P config set K V") as the user would type it.
Result run_fix(const Sandbox& sb, const json::object& finding) {
  std::string fix(finding.at("fix").as_string());
  BOOST_TEST_REQUIRE(fix.rfind("openclaw-host ", 0) == 0, fix);
  std::vector<std::string> args;
  std::istringstream words(fix.substr(std::string("openclaw-host ").size()));
  for (std::string w; words >> w;) args.push_back(w);
  return sb.run(args);
}

// The SVG parsed as XML: every <g class="instance"> by its data-name, with its attributes and
// the data-port of each port rect (and whether it is marked a conflict).
struct DrawnInstance {
  std::string state;
  int base = 0;
  std::map<int, bool> ports;  // port -> drawn as a conflict
};
std::map<std::string, DrawnInstance> parse_map(const std::string& svg, bool* ephemeral = nullptr) {
  namespace pt = boost::property_tree;
  pt::ptree tree;
  std::istringstream in(svg);
  pt::read_xml(in, tree);  // throws on anything that is not well-formed XML
  std::map<std::string, DrawnInstance> out;
  if (ephemeral) *ephemeral = false;
  for (const auto& [tag, node] : tree.get_child("svg")) {
    if (tag == "rect" && node.get("<xmlattr>.class", "") == "ephemeral" && ephemeral)
      *ephemeral = true;
    if (tag != "g" || node.get("<xmlattr>.class", "") != "instance") continue;
    DrawnInstance d;
    d.state = node.get("<xmlattr>.data-state", "");
    d.base = node.get("<xmlattr>.data-base", 0);
    for (const auto& [t, child] : node) {
      std::string cls = child.get("<xmlattr>.class", "");
      if (t == "rect" && cls.rfind("port", 0) == 0)
        d.ports[child.get("<xmlattr>.data-port", 0)] = contains(cls, "conflict");
    }
    out[node.get("<xmlattr>.data-name", "")] = d;
  }
  return out;
}

// PNG width and height from its IHDR chunk; {0, 0} when it is no PNG.
std::pair<unsigned, unsigned> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

// Two profiles set up the normal way: `setup` gives each a base of its own.
void two_profiles(Sandbox& sb) {
  BOOST_REQUIRE(sb.run({"setup", "--no-token"}).code == 0);
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "setup", "--no-token"}).code == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(doctor_all)

BOOST_AUTO_TEST_CASE(a_machine_set_up_by_setup_is_clean) {
  Sandbox sb;
  two_profiles(sb);
  BOOST_REQUIRE(sb.run({"--profile", "work", "setup", "--no-token"}).code == 0);
  auto o = doctor_json(sb, 0);
  BOOST_TEST(o.at("instances").as_array().size() == 3u);
  BOOST_TEST(o.at("findings").as_array().empty(), json::serialize(o.at("findings")));
  auto text = sb.run({"doctor", "--all"});
  BOOST_TEST(text.code == 0, text.out + text.err);
  BOOST_TEST(contains(text.out, "3 instance(s) on this machine"), text.out);
  BOOST_TEST(contains(text.out, "ok     isolation:"), text.out);
  BOOST_TEST(contains(text.out, "no error, 0 warning(s)"), text.out);
  // --json belongs to --all.
  auto bad = sb.run({"doctor", "--json"});
  BOOST_TEST(bad.code == 1);
  BOOST_TEST(contains(bad.err, "--json goes with --all"), bad.err);
}

BOOST_AUTO_TEST_CASE(the_same_base_and_overlapping_ports_are_errors_and_the_fix_works) {
  Sandbox sb;
  two_profiles(sb);
  auto base = sb.run({"config", "get", "gateway.port"});
  BOOST_REQUIRE(base.code == 0);
  const int main_base = std::stoi(base.out);

  // The rescue bot given main's port, as the guide's first mistake.
  BOOST_REQUIRE(
      sb.run({"--profile", "rescue", "config", "set", "gateway.port", std::to_string(main_base)})
          .code == 0);
  auto o = doctor_json(sb, 2);
  auto ports = findings(o, "ports");
  BOOST_TEST_REQUIRE(ports.size() == 1u, json::serialize(o.at("findings")));
  BOOST_TEST(ports[0].at("severity").as_string() == "error");
  BOOST_TEST(contains(std::string(ports[0].at("what").as_string()),
                      "same base port " + std::to_string(main_base)));
  // The single-instance doctor says it too (the rescue bot's /doctor answers with it).
  auto single = sb.run({"--profile", "rescue", "doctor"});
  BOOST_TEST(single.code == 2);
  BOOST_TEST(contains(single.out, "same base port"), single.out);
  // The printed fix, run as printed, leaves the machine clean.
  auto fixed = run_fix(sb, ports[0]);
  BOOST_TEST(fixed.code == 0, fixed.out + fixed.err);
  BOOST_TEST(doctor_json(sb, 0).at("findings").as_array().empty());

  // Three apart: rescue's bridge (+1) is main's canvas (+4).
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "config", "set", "gateway.port",
                        std::to_string(main_base + 3)})
                    .code == 0);
  o = doctor_json(sb, 2);
  ports = findings(o, "ports");
  // The shared port (an error, each port once), and the overlapping spans (a warning).
  BOOST_TEST_REQUIRE(ports.size() == 2u, json::serialize(o.at("findings")));
  BOOST_TEST(ports[0].at("severity").as_string() == "error");
  BOOST_TEST(ports[1].at("severity").as_string() == "warn");
  std::string what(ports[0].at("what").as_string());
  BOOST_TEST(what == "default and rescue share " + std::to_string(main_base + 4) +
                         " (canvas of default, bridge of rescue)",
             what);
  // Six apart: no port shared, but the CDP ranges overlap: a warning, exit 0.
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "config", "set", "gateway.port",
                        std::to_string(main_base + 6)})
                    .code == 0);
  o = doctor_json(sb, 0);
  ports = findings(o, "ports");
  BOOST_TEST_REQUIRE(ports.size() == 1u, json::serialize(o.at("findings")));
  BOOST_TEST(ports[0].at("severity").as_string() == "warn");
  BOOST_TEST(contains(std::string(ports[0].at("what").as_string()), "6 apart"));
  // An explicit CDP port of one profile inside the other's plan.
  BOOST_TEST(sb.run({"--profile", "rescue", "config", "set", "gateway.port",
                     std::to_string(main_base + 500)})
                 .code == 0);
  BOOST_TEST(sb.run({"--profile", "rescue", "config", "set", "browser.profiles.work.cdpPort",
                     std::to_string(main_base + 2)})
                 .code == 0);
  o = doctor_json(sb, 2);
  ports = findings(o, "ports");
  BOOST_TEST_REQUIRE(ports.size() == 1u, json::serialize(o.at("findings")));
  BOOST_TEST(contains(std::string(ports[0].at("what").as_string()),
                      "browser.control of default, browser.cdp.work of rescue"),
             json::serialize(ports[0]));
  // A port set by a key moves by that key (not by the base, which would change nothing).
  const std::string fix(ports[0].at("fix").as_string());
  BOOST_TEST(contains(fix, "config set browser.profiles.work.cdpPort "), fix);
  auto moved = run_fix(sb, ports[0]);
  BOOST_TEST(moved.code == 0, moved.out + moved.err);
  o = doctor_json(sb, 0);
  BOOST_TEST(findings(o, "ports").empty(), json::serialize(o.at("findings")));
}

BOOST_AUTO_TEST_CASE(shared_paths_browsers_and_channel_accounts_are_errors) {
  Sandbox sb;
  two_profiles(sb);
  // A workspace copied from main's config.
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "config", "set", "agents.defaults.workspace",
                        "~/.openclaw/workspace"})
                    .code == 0);
  // One Chromium attached by both.
  for (const char* p : {"default", "rescue"}) {
    BOOST_REQUIRE(
        sb.run({"--profile", p, "config", "set", "browser.cdpUrl", "http://127.0.0.1:9222/"})
            .code == 0);
  }
  // One IRC nick on one server, and one Telegram bot (inline in one, from a file in the other).
  const std::string token = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789";
  write_file(sb.home() / "bot.token", token + "\n");
  ::chmod((sb.home() / "bot.token").c_str(), 0600);
  BOOST_REQUIRE(
      sb.run({"config", "set", "channels.irc", R"({"host": "irc.example.net", "nick": "clawbot"})"})
          .code == 0);
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "config", "set", "channels.irc",
                        R"({"host": "irc.example.net", "nick": "ClawBot"})"})
                    .code == 0);
  BOOST_REQUIRE(
      sb.run({"config", "set", "channels.telegram", R"({"botToken": ")" + token + "\"}"}).code ==
      0);
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "config", "set", "channels.telegram",
                        R"({"tokenFile": ")" + (sb.home() / "bot.token").string() + "\"}"})
                    .code == 0);
  auto r = sb.run({"doctor", "--all"});
  BOOST_TEST(r.code == 2, r.out + r.err);
  BOOST_TEST(contains(r.out, "share the workspace ~/.openclaw/workspace"), r.out);
  BOOST_TEST(contains(r.out, "attach to the same browser http://127.0.0.1:9222"), r.out);
  BOOST_TEST(contains(r.out, "use IRC nick clawbot on irc.example.net:6667"), r.out);
  BOOST_TEST(contains(r.out, "use the same Telegram bot token"), r.out);
  BOOST_TEST(!contains(r.out + r.err, "ABCdef"), "a token was shown");
  auto o = doctor_json(sb, 2);
  auto paths = findings(o, "paths");
  BOOST_TEST_REQUIRE(paths.size() == 1u);
  BOOST_TEST(run_fix(sb, paths[0]).code == 0);
  BOOST_TEST(findings(doctor_json(sb, 2), "paths").empty());
  // Another nick on the same server is another account.
  BOOST_REQUIRE(
      sb.run({"--profile", "rescue", "config", "set", "channels.irc.nick", "rescuebot"}).code == 0);
  BOOST_TEST(findings(doctor_json(sb, 2), "channels").size() == 1u);  // the Telegram one is left
}

BOOST_AUTO_TEST_CASE(service_units_that_run_another_profile_or_none_are_found) {
  Sandbox sb;
  sb.env()["OPENCLAW_SERVICE_DIR"] = (sb.home() / "units").string();
  sb.env()["OPENCLAW_SYSTEMCTL"] = "false";  // no service manager here: only the files
  two_profiles(sb);
  auto install = sb.run({"--profile", "rescue", "gateway", "install"});
  BOOST_REQUIRE_MESSAGE(install.code == 0, install.out + install.err);
  const fs::path unit = sb.home() / "units" / "openclaw-gateway-rescue.service";
  BOOST_REQUIRE(fs::exists(unit));
  auto o = doctor_json(sb, 0);
  BOOST_TEST(findings(o, "service").empty(), json::serialize(o.at("findings")));

  // OpenClaw's #15970: the rescue profile's unit without --profile runs the default gateway.
  const auto rescue_base =
      std::stoi(sb.run({"--profile", "rescue", "config", "get", "gateway.port"}).out);
  write_file(unit,
             "[Unit]\nDescription=OpenClaw Gateway (rescue)\n[Service]\n"
             "ExecStart=/usr/bin/node /opt/openclaw/dist/index.js gateway --port " +
                 std::to_string(rescue_base) + "\n");
  o = doctor_json(sb, 2);
  auto service = findings(o, "service");
  BOOST_TEST_REQUIRE(service.size() == 1u, json::serialize(o.at("findings")));
  BOOST_TEST(contains(std::string(service[0].at("what").as_string()), "no --profile"));
  BOOST_TEST(contains(std::string(service[0].at("what").as_string()), "#15970"));
  // Its fix rewrites the unit (--force), and the unit is right again.
  auto fixed = run_fix(sb, service[0]);
  BOOST_TEST(fixed.code == 0, fixed.out + fixed.err);
  BOOST_TEST(findings(doctor_json(sb, 0), "service").empty());

  // A unit whose --port is not the config's, and one left for a profile that is gone.
  std::string text = read_file(unit);
  auto at = text.find("--port " + std::to_string(rescue_base));
  BOOST_REQUIRE(at != std::string::npos);
  text.replace(at, 7 + std::to_string(rescue_base).size(), "--port 24999");
  write_file(unit, text);
  write_file(sb.home() / "units" / "openclaw-gateway-old.service",
             "[Service]\nExecStart=/usr/bin/openclaw-host --profile old gateway --port 25999\n");
  o = doctor_json(sb, 2);
  service = findings(o, "service");
  BOOST_TEST_REQUIRE(service.size() == 2u, json::serialize(o.at("findings")));
  std::string all = json::serialize(o.at("findings"));
  BOOST_TEST(contains(all, "--port 24999 but the config says " + std::to_string(rescue_base)), all);
  BOOST_TEST(contains(all, "openclaw-gateway-old.service is left for profile old"), all);
}

BOOST_AUTO_TEST_CASE(fix_repairs_permissions_and_says_what_it_changed) {
  Sandbox sb;
  two_profiles(sb);
  const fs::path state = sb.home() / ".openclaw-rescue";
  fs::create_directories(state / "plugins" / "mine");
  ::chmod(state.c_str(), 0755);
  ::chmod((state / "openclaw.json").c_str(), 0644);
  ::chmod((state / "plugins" / "mine").c_str(), 0777);
  auto o = doctor_json(sb, 0);
  auto perms = findings(o, "permissions");
  BOOST_TEST(perms.size() == 3u, json::serialize(o.at("findings")));
  for (const auto& f : perms) BOOST_TEST(f.at("fixable") == true);
  auto r = sb.run({"doctor", "--all", "--fix"});
  BOOST_TEST(r.code == 0, r.out + r.err);
  BOOST_TEST(contains(r.out, "fixed  chmod 700 " + state.string()), r.out);
  BOOST_TEST(contains(r.out, "fixed  chmod 600 " + (state / "openclaw.json").string()), r.out);
  BOOST_TEST(contains(r.out, "fixed  chmod go-w " + (state / "plugins" / "mine").string()), r.out);
  BOOST_TEST(mode_of(state) == 0700u);
  BOOST_TEST(mode_of(state / "openclaw.json") == 0600u);
  BOOST_TEST(mode_of(state / "plugins" / "mine") == 0755u);
  BOOST_TEST(doctor_json(sb, 0).at("findings").as_array().empty());
}

BOOST_AUTO_TEST_CASE(a_port_another_instance_holds_is_named_by_its_holder) {
  Sandbox sb;
  PortBlock block;
  for (const char* p : {"first", "second"}) {
    BOOST_REQUIRE(
        sb.run({"--profile", p, "setup", "--no-token", "--port", std::to_string(block.base())})
            .code == 0);
  }
  auto gw = sb.spawn({"--profile", "first", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  auto r = sb.run({"--profile", "second", "doctor"});
  BOOST_TEST(r.code == 2, r.out + r.err);
  BOOST_TEST(contains(r.out, "ports: " + std::to_string(block.base()) +
                                 " (gateway) is held by profile \"first\" (pid " +
                                 std::to_string(gw->pid())),
             r.out);
  BOOST_REQUIRE(gw->stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(env_var_instances_stale_leases_ephemeral_bases_and_no_chromium) {
  Sandbox sb;
  PortBlock mine, block;  // the default profile's base and the env-var instance's, apart
  BOOST_REQUIRE(sb.run({"setup", "--no-token", "--port", std::to_string(mine.base())}).code == 0);
  // An instance known only through its env vars, running: the registry knows it.
  const fs::path elsewhere = sb.home() / "srv" / "bot";
  const std::map<std::string, std::string> env{
      {"OPENCLAW_STATE_DIR", elsewhere.string()},
      {"OPENCLAW_CONFIG_PATH", (elsewhere / "openclaw.json").string()},
      {"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block)}};
  BOOST_REQUIRE(sb.run({"setup", "--no-token", "--port", std::to_string(block.base())}, env).code ==
                0);
  auto gw = sb.spawn({"gateway"}, env);
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  // Seen from the plain default profile: two instances, one of them running.
  auto o = doctor_json(sb, 2);
  const auto& members = o.at("instances").as_array();
  BOOST_TEST_REQUIRE(members.size() == 2u, json::serialize(members));
  const auto& bot = members[1].as_object();
  BOOST_TEST(bot.at("envInstance") == true);
  BOOST_TEST(bot.at("stateDir").as_string() == elsewhere.string());
  BOOST_TEST(bot.at("pid").as_int64() == gw->pid());
  // OPENCLAW_STATE_DIR alone leaves the workspace at the default profile's.
  auto paths = findings(o, "paths");
  BOOST_TEST_REQUIRE(paths.size() == 1u, json::serialize(o.at("findings")));
  BOOST_TEST(contains(std::string(paths[0].at("fix").as_string()),
                      "OPENCLAW_STATE_DIR=" + elsewhere.string() + " OPENCLAW_CONFIG_PATH="));
  BOOST_REQUIRE(
      sb.run({"config", "set", "agents.defaults.workspace", (elsewhere / "workspace").string()},
             env)
          .code == 0);
  o = doctor_json(sb, 0);
  BOOST_TEST(o.at("findings").as_array().empty(), json::serialize(o.at("findings")));

  // Killed without a word: its lease and its record stay behind until --fix.
  BOOST_REQUIRE(gw->stop(SIGKILL).has_value());
  o = doctor_json(sb, 0);
  BOOST_TEST(findings(o, "registry").size() == 1u, json::serialize(o.at("findings")));
  auto r = sb.run({"doctor", "--all", "--fix"});
  BOOST_TEST(r.code == 0, r.out + r.err);
  BOOST_TEST(contains(r.out, "fixed  pruned the stale lease records"), r.out);
  o = doctor_json(sb, 0);
  BOOST_TEST(findings(o, "registry").empty(), json::serialize(o.at("findings")));

  // A base in the kernel's ephemeral range (as the kernel says it; here the test's override).
  auto base = std::stoi(sb.run({"config", "get", "gateway.port"}).out);
  o = doctor_json(sb, 0,
                  {{"OPENCLAW_EPHEMERAL_PORT_RANGE",
                    std::to_string(base - 1000) + "-" + std::to_string(base + 1000)}});
  BOOST_TEST(findings(o, "ports").size() == 1u, json::serialize(o.at("findings")));
  // The browser plugin enabled and no Chromium on PATH; none asked for when it is disabled.
  o = doctor_json(sb, 0, {{"PATH", "/nonexistent"}});
  auto browser = findings(o, "browser");
  BOOST_TEST_REQUIRE(browser.size() == 1u, json::serialize(o.at("findings")));
  BOOST_TEST(contains(std::string(browser[0].at("what").as_string()), "no Chromium"));
  BOOST_REQUIRE(sb.run({"config", "set", "browser.enabled", "false"}).code == 0);
  BOOST_TEST(findings(doctor_json(sb, 0, {{"PATH", "/nonexistent"}}), "browser").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(machine_gateways)

BOOST_AUTO_TEST_CASE(probe_finds_every_gateway_and_the_ones_without_a_lease) {
  Sandbox sb;
  PortBlock main_ports, rescue_ports;
  BOOST_REQUIRE(sb.run({"setup", "--port", std::to_string(main_ports.base())}).code == 0);
  BOOST_REQUIRE(
      sb.run({"--profile", "rescue", "setup", "--port", std::to_string(rescue_ports.base())})
          .code == 0);
  // Each with a token of its own (setup made them): probe asks each with its own.
  auto main_gw = sb.spawn({"gateway"});
  auto rescue_gw = sb.spawn({"--profile", "rescue", "gateway"});
  BOOST_REQUIRE_MESSAGE(main_gw->wait_for_output("gateway ready"), main_gw->err());
  BOOST_REQUIRE_MESSAGE(rescue_gw->wait_for_output("gateway ready"), rescue_gw->err());
  auto r = sb.run({"gateway", "probe", "--json"});
  BOOST_TEST(r.code == 0, r.out + r.err);
  auto o = json::parse(r.out).as_object();
  const auto& gws = o.at("gateways").as_array();
  BOOST_TEST_REQUIRE(gws.size() == 2u, r.out);
  for (const auto& g : gws) {
    BOOST_TEST(g.at("answered") == true, json::serialize(g));
    BOOST_TEST(g.at("leased") == true);
  }
  BOOST_TEST(gws[0].at("pid").as_string() == std::to_string(main_gw->pid()));
  BOOST_TEST(gws[1].at("pid").as_string() == std::to_string(rescue_gw->pid()));
  BOOST_TEST(gws[1].at("instance").as_string() == "rescue");
  BOOST_TEST(o.at("warnings").as_array().empty(), r.out);

  // Rescue stopped, and started again under another registry (as the real OpenClaw would be:
  // a gateway on the profile's port that our registry does not know).
  BOOST_REQUIRE(rescue_gw->stop(SIGTERM) == 0);
  r = sb.run({"gateway", "probe"});
  BOOST_TEST(r.code == 0, r.out);
  BOOST_TEST(contains(r.out, "1 of 2 gateway port(s) answered"), r.out);
  TempDir other_registry;
  auto stray = sb.spawn({"--profile", "rescue", "gateway"},
                        {{"OPENCLAW_PORT_REGISTRY_DIR", other_registry.path().string()}});
  BOOST_REQUIRE_MESSAGE(stray->wait_for_output("gateway ready"), stray->err());
  r = sb.run({"gateway", "probe"});
  BOOST_TEST(contains(r.out, "warn: port " + std::to_string(rescue_ports.base()) +
                                 " (rescue) answers as a gateway but holds no lease"),
             r.out);
  BOOST_REQUIRE(stray->stop(SIGTERM) == 0);
  BOOST_REQUIRE(main_gw->stop(SIGTERM) == 0);
  r = sb.run({"gateway", "probe"});
  BOOST_TEST(r.code == 3, r.out + r.err);
}

BOOST_AUTO_TEST_CASE(call_reaches_any_method_a_plugin_s_too) {
  Sandbox sb;
  PortBlock block;
  BOOST_REQUIRE(sb.run({"setup", "--port", std::to_string(block.base())}).code == 0);
  install_fixture("ok", sb.home() / ".openclaw" / "plugins" / "ok");
  auto gw = sb.spawn({"gateway"}, {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block)}});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  // The plugin author's case: his own method, with params, and no WebSocket client to write.
  auto r =
      sb.run({"gateway", "call", "fixture-ok.echo", "--params", R"({"hello": [1, 2]})", "--json"});
  BOOST_TEST(r.code == 0, r.out + r.err);
  BOOST_TEST(r.out == "{\"hello\":[1,2]}\n", r.out);
  r = sb.run({"gateway", "call", "status"});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(json::parse(r.out).at("pid").as_int64() == gw->pid(), r.out);
  // Errors: the gateway's code and message; bad params never sent.
  r = sb.run({"gateway", "call", "fixture-ok.refuse"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "fixture-ok.refuse: no params wanted [INVALID_REQUEST]"), r.err);
  r = sb.run({"gateway", "call", "no.such.method"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "unknown method"), r.err);
  r = sb.run({"gateway", "call", "health", "--params", "{nope"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "--params is not JSON"), r.err);
  r = sb.run({"gateway", "call"});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "missing METHOD"), r.err);
  // A wrong token is refused by the gateway, and said so.
  r = sb.run({"gateway", "call", "health", "--token", "wrong"});
  BOOST_TEST(r.code == 1, r.out + r.err);
  BOOST_TEST(!contains(r.err, "wrong"), r.err);
  BOOST_REQUIRE(gw->stop(SIGTERM) == 0);
  r = sb.run({"gateway", "call", "health"});
  BOOST_TEST(r.code == 3, r.err);
}

BOOST_AUTO_TEST_CASE(status_deep_sets_the_unit_beside_the_live_gateway) {
  Sandbox sb;
  PortBlock block;
  sb.env()["OPENCLAW_SERVICE_DIR"] = (sb.home() / "units").string();
  sb.env()["OPENCLAW_SYSTEMCTL"] = "false";
  BOOST_REQUIRE(
      sb.run({"--profile", "rescue", "setup", "--port", std::to_string(block.base())}).code == 0);
  auto r = sb.run({"--profile", "rescue", "gateway", "status", "--deep"});
  BOOST_TEST(r.code == 3);
  BOOST_TEST(contains(r.out,
                      "Unit: none; install it with: openclaw-host --profile rescue "
                      "gateway install"),
             r.out);
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "gateway", "install"}).code == 0);
  auto gw = sb.spawn({"--profile", "rescue", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  r = sb.run({"--profile", "rescue", "gateway", "status", "--deep"});
  BOOST_TEST(r.code == 0, r.out + r.err);
  BOOST_TEST(contains(r.out, "Unit ExecStart: profile rescue, port " +
                                 std::to_string(block.base()) + ", state dir ~/.openclaw-rescue\n"),
             r.out);
  BOOST_TEST(contains(r.out, "systemd: no user service manager is reachable here"), r.out);
  BOOST_TEST(contains(r.out, "Live gateway: pid " + std::to_string(gw->pid()) + ", port " +
                                 std::to_string(block.base())),
             r.out);
  // The unit edited to start the default profile: said, with the fix.
  const fs::path unit = sb.home() / "units" / "openclaw-gateway-rescue.service";
  std::string text = read_file(unit);
  auto at = text.find(" --profile rescue");
  BOOST_REQUIRE(at != std::string::npos);
  text.erase(at, 17);
  at = text.find("Environment=OPENCLAW_STATE_DIR=");
  BOOST_REQUIRE(at != std::string::npos);
  text.erase(at, text.find('\n', at) - at + 1);
  write_file(unit, text);
  r = sb.run({"--profile", "rescue", "gateway", "status", "--deep"});
  BOOST_TEST(contains(r.out, "profile (none: the default)"), r.out);
  BOOST_TEST(contains(r.out,
                      "<- not this profile's: reinstall with `openclaw-host --profile "
                      "rescue gateway install --force`"),
             r.out);
  BOOST_REQUIRE(gw->stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(the_port_map_draws_every_instance_and_marks_what_collides) {
  Sandbox sb;
  PortBlock main_ports, rescue_ports, stray_ports;
  bundle_plugins(sb, {"rescue"});
  BOOST_REQUIRE(sb.run({"setup", "--no-token", "--port", std::to_string(main_ports.base())}).code ==
                0);
  BOOST_REQUIRE(sb.run({"--profile", "rescue", "setup", "--no-token", "--watch", "default",
                        "--port", std::to_string(rescue_ports.base())})
                    .code == 0);
  // "work" given a base 3 above main's: its bridge is main's canvas. Configured, not running.
  BOOST_REQUIRE(sb.run({"--profile", "work", "setup", "--no-token", "--port",
                        std::to_string(main_ports.base() + 3)})
                    .code == 0);
  // An instance killed without a word leaves a stale lease in the registry.
  const fs::path gone = sb.home() / "srv" / "gone";
  const std::map<std::string, std::string> gone_env{
      {"OPENCLAW_STATE_DIR", gone.string()},
      {"OPENCLAW_CONFIG_PATH", (gone / "openclaw.json").string()}};
  BOOST_REQUIRE(
      sb.run({"setup", "--no-token", "--port", std::to_string(stray_ports.base())}, gone_env)
          .code == 0);
  auto stray = sb.spawn({"gateway"}, gone_env);
  BOOST_REQUIRE_MESSAGE(stray->wait_for_output("gateway ready"), stray->err());
  BOOST_REQUIRE(stray->stop(SIGKILL).has_value());

  // The kernel's ephemeral range as this test says it: around main's base, so it is shaded.
  const std::map<std::string, std::string> eph{
      {"OPENCLAW_EPHEMERAL_PORT_RANGE",
       std::to_string(main_ports.base() - 5) + "-" + std::to_string(main_ports.base() + 200)}};
  auto main_gw = sb.spawn({"gateway"}, eph);
  auto rescue_gw = sb.spawn({"--profile", "rescue", "gateway"}, eph);
  BOOST_REQUIRE_MESSAGE(main_gw->wait_for_output("gateway ready"), main_gw->err());
  BOOST_REQUIRE_MESSAGE(rescue_gw->wait_for_output("gateway ready"), rescue_gw->err());

  // The rescue bot's page: its map says who is up as the bot sees it (once it has looked).
  std::map<std::string, DrawnInstance> drawn;
  std::string svg;
  bool shaded = false;
  BOOST_TEST_REQUIRE(poll_until(
                         [&] {
                           auto r = http_get(rescue_ports.base(), "/api/portmap.svg");
                           if (!r || r->status != 200) return false;
                           svg = r->body;
                           return contains(svg, "rescue bot: up");
                         },
                         10s),
                     svg);
  drawn = parse_map(svg, &shaded);
  BOOST_TEST(shaded, "the ephemeral range is not drawn");
  BOOST_TEST_REQUIRE(drawn.size() == 4u, svg);
  BOOST_TEST(drawn["default"].state == "running");
  BOOST_TEST(drawn["rescue"].state == "running");
  BOOST_TEST(drawn["work"].state == "stopped");
  BOOST_TEST(drawn["~/srv/gone"].state == "stale", svg);
  BOOST_TEST(drawn["work"].base == main_ports.base() + 3);
  // The shared port, marked on both strips; a port of its own, not.
  const int shared = main_ports.base() + 4;
  BOOST_TEST(drawn["default"].ports[shared] == true, svg);
  BOOST_TEST(drawn["work"].ports[shared] == true);
  BOOST_TEST(drawn["rescue"].ports.count(rescue_ports.base()) == 1u);
  BOOST_TEST(drawn["rescue"].ports[rescue_ports.base()] == false);
  BOOST_TEST(contains(svg, "class=\"overlap\""), "the spans of default and work overlap");

  // The same map as a file from the CLI, written whole.
  const fs::path file = sb.home() / "map.svg";
  auto r = sb.run({"ports", "--all", "--svg", file.string()});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(parse_map(read_file(file)).size() == 4u);
  BOOST_TEST(sb.run({"ports", "--svg", file.string()}).code == 1);  // --svg goes with --all

  // The page in headless Chromium: the map inlined in its DOM, and drawn on the screenshot.
  TempDir chrome;
  auto chromium = [&](const std::string& what, const std::string& url) {
    std::string cmd =
        "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
        "--no-first-run --disable-background-networking --disable-component-update "
        "--disable-sync --hide-scrollbars --user-data-dir=" +
        (chrome.path() / "profile").string() + " --window-size=1100,700 " +
        "--virtual-time-budget=5000 " + what + " " + url + " 2>/dev/null";
    return std::system(cmd.c_str());
  };
  const std::string page = "http://127.0.0.1:" + std::to_string(rescue_ports.base()) + "/";
  const fs::path dom = chrome.path() / "dom.html";
  BOOST_REQUIRE(chromium("--dump-dom", page + " > " + dom.string()) == 0);
  std::string text = read_file(dom);
  BOOST_TEST(contains(text, "data-loaded=\"true\""), text.substr(0, 300));
  BOOST_TEST(contains(text, "<g class=\"instance\" data-name=\"work\""), text.substr(0, 300));
  const fs::path shot = chrome.path() / "page.png", blank = chrome.path() / "blank.png";
  BOOST_REQUIRE(chromium("--screenshot=" + shot.string(), page) == 0);
  BOOST_REQUIRE(chromium("--screenshot=" + blank.string(), "about:blank") == 0);
  const std::string png = read_file(shot);
  BOOST_TEST((png_size(png) == std::pair<unsigned, unsigned>{1100, 700}));
  // A page with a map and tables compresses to far more than an empty one.
  BOOST_TEST(png.size() > 4 * read_file(blank).size(), png.size()
                                                           << " vs " << read_file(blank).size());
  BOOST_REQUIRE(main_gw->stop(SIGTERM) == 0);
  BOOST_REQUIRE(rescue_gw->stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
