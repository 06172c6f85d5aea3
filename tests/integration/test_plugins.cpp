// Plugins dropped into a profile's plugins/ folder, loaded by the real gateway.
#include <signal.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "openclaw/sdk/version.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

struct PluginSandbox {
  Sandbox sb;
  PortBlock block;
  fs::path plugins = sb.home() / ".openclaw-p" / "plugins";

  PluginSandbox() {
    auto r =
        sb.run({"--profile", "p", "config", "set", "gateway.port", std::to_string(block.base())});
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
    fs::create_directories(plugins);
    fs::permissions(plugins, fs::perms(0755));
    sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block);
  }

  Result run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--profile", "p"});
    return sb.run(args);
  }

  std::unique_ptr<Child> start() const {
    auto child = sb.spawn({"--profile", "p", "gateway"});
    BOOST_REQUIRE_MESSAGE(child->wait_for_output("gateway ready"),
                          "gateway did not start: " + child->err());
    return child;
  }

  // id -> {state, reason} from `plugins list --json`.
  std::map<std::string, std::pair<std::string, std::string>> states() const {
    auto r = run({"plugins", "list", "--json"});
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
    std::map<std::string, std::pair<std::string, std::string>> out;
    json::value v = json::parse(r.out);
    for (const auto& p : v.at("plugins").as_array()) {
      // The first plugin of an id wins, as in the host (a duplicate is reported after it).
      out.emplace(std::string(p.at("id").as_string()),
                  std::make_pair(std::string(p.at("state").as_string()),
                                 std::string(p.at("reason").as_string())));
    }
    return out;
  }

  int leased(const std::string& name) const {
    auto r = run({"ports", "--json"});
    json::value v = json::parse(r.out);
    for (const auto& p : v.at("ports").as_array()) {
      if (p.at("name").as_string() == name && p.at("state").as_string() == "leased") {
        return static_cast<int>(p.at("port").as_int64());
      }
    }
    return 0;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_host)

BOOST_AUTO_TEST_CASE(dropped_in_plugin_runs_on_its_leased_port) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  BOOST_TEST(ps.run({"config", "set", "plugins.entries.fixture-ok.config.greeting", "ahoy"}).code ==
             0);
  // Checked (its config too) but not started while no gateway runs.
  BOOST_TEST(ps.states()["fixture-ok"].first == "ok");

  auto gw = ps.start();
  int port = ps.leased("fixture-ok.http");
  // Any free port: here from the pool the test gave the gateway, outside its derived span.
  BOOST_TEST(port > ps.block.base() + 110);
  BOOST_TEST(port < ps.block.base() + 120);
  auto own = http_get(port, "/anything");
  BOOST_REQUIRE(own);
  auto v = json::parse(own->body);
  BOOST_TEST(v.at("greeting").as_string() == "ahoy");
  BOOST_TEST(v.at("port").as_int64() == port);
  auto route = http_get(ps.block.base(), "/fixture-ok");
  BOOST_REQUIRE(route);
  BOOST_TEST(route->body == R"({"route":"fixture-ok"})");
  BOOST_TEST(must_get(ps.block.base(), "/ready").status == 200);
  BOOST_TEST(ps.states()["fixture-ok"].first == "running");
  auto info = ps.run({"plugins", "info", "fixture-ok", "--json"});
  BOOST_TEST(json::parse(info.out).at("version").as_string() == "1.2.3");

  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  BOOST_TEST(!port_accepts(port));
  BOOST_TEST(contains(gw->err(), "[fixture-ok] listening on " + std::to_string(port)));
}

BOOST_AUTO_TEST_CASE(every_broken_plugin_is_contained_and_reported) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  for (const char* f : {"throws", "unresolved", "badapi", "badabi", "nosym"}) {
    install_fixture(f, ps.plugins / f);
  }
  // Not a shared library at all.
  fs::create_directories(ps.plugins / "text");
  write_file(ps.plugins / "text" / "text.so", "this is not an ELF file\n");
  write_file(ps.plugins / "text" / "openclaw.plugin.json",
             R"({"id":"fixture-text","kind":"other","version":"1","apiVersion":4})");
  // A manifest for another API version: refused before dlopen.
  install_fixture("ok", ps.plugins / "future");
  write_file(ps.plugins / "future" / "openclaw.plugin.json",
             R"({"id":"fixture-future","kind":"other","version":"9","apiVersion":7})");
  // Broken and missing manifests.
  install_fixture("ok", ps.plugins / "badjson");
  write_file(ps.plugins / "badjson" / "openclaw.plugin.json", "{ \"id\": ");
  install_fixture("ok", ps.plugins / "nokind");
  write_file(ps.plugins / "nokind" / "openclaw.plugin.json",
             R"({"id":"fixture-nokind","kind":"gizmo","version":"1","apiVersion":4})");
  install_fixture("ok", ps.plugins / "nomanifest");
  fs::remove(ps.plugins / "nomanifest" / "openclaw.plugin.json");
  // The same id twice.
  install_fixture("ok", ps.plugins / "zz-duplicate");

  auto gw = ps.start();
  auto s = ps.states();
  auto failed_with = [&](const std::string& id, const std::string& reason) {
    BOOST_TEST(s[id].first == "failed", id);
    BOOST_TEST(contains(s[id].second, reason), id + ": " + s[id].second);
  };
  failed_with("fixture-throws", "start() threw: boom: cannot open device");
  failed_with("fixture-unresolved",
              "undefined symbol: openclaw_fixture_symbol_that_does_not_exist");
  failed_with("fixture-badapi", "plugin API version 999, this host speaks " +
                                    std::to_string(OPENCLAW_SDK_API_VERSION));
  failed_with("fixture-badabi",
              "ABI mismatch: plugin gcc-9/libstdc++-cxx11abi0/boost-107400/sdk-api-1, host ");
  failed_with("fixture-nosym", "symbol openclaw_plugin_api_version is missing");
  failed_with("fixture-text", "cannot load the shared library");
  failed_with("fixture-future", "built for plugin API version 7 (manifest), this host speaks " +
                                    std::to_string(OPENCLAW_SDK_API_VERSION));
  failed_with("badjson", "manifest is not valid JSON");
  failed_with(
      "nokind",
      "manifest field \"kind\" must be one of browser, canvas, channel, other, got \"gizmo\"");
  failed_with("nomanifest", "no openclaw.plugin.json beside the library");
  BOOST_TEST(s["fixture-ok"].first == "running");
  // The duplicate is reported under its id with the first folder named.
  auto r = ps.run({"plugins", "list", "--json"});
  BOOST_TEST(contains(r.out, "duplicate plugin id \\\"fixture-ok\\\": already loaded from " +
                                 (ps.plugins / "ok").string()),
             r.out);
  // Failures name the file in the log; the host and the good plugin keep working.
  BOOST_TEST(contains(gw->err(), (ps.plugins / "throws" / "fixture_throws.so").string()));
  BOOST_TEST(must_get(ps.block.base(), "/health").status == 200);
  BOOST_TEST(must_get(ps.leased("fixture-ok.http"), "/").status == 200);
  auto ready = must_get(ps.block.base(), "/ready");
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(json::parse(ready.body).at("status").as_string() == "degraded");
  BOOST_TEST(gw->stop(SIGINT) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(files_other_users_can_write_are_refused) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  ::chmod((ps.plugins / "ok").c_str(), 0777);
  auto s = ps.states();
  BOOST_TEST(s["ok"].first == "failed");
  BOOST_TEST(contains(s["ok"].second, "is writable by group or others"), s["ok"].second);
  ::chmod((ps.plugins / "ok").c_str(), 0755);
  ::chmod((ps.plugins / "ok" / "fixture_ok.so").c_str(), 0775);
  s = ps.states();
  BOOST_TEST(s["fixture-ok"].first == "failed");
  BOOST_TEST(contains(s["fixture-ok"].second, "fixture_ok.so is writable by group or others"));
  ::chmod((ps.plugins / "ok" / "fixture_ok.so").c_str(), 0755);
  BOOST_TEST(ps.states()["fixture-ok"].first == "ok");
}

BOOST_AUTO_TEST_CASE(disabled_plugins_are_not_loaded_and_hold_no_ports) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  install_fixture("ports", ps.plugins / "ports");
  write_file(
      ps.plugins / "ports" / "openclaw.plugin.json",
      R"({"id":"fixture-ports","kind":"other","version":"1","apiVersion":4,"enabledByDefault":false})");
  BOOST_TEST(ps.run({"config", "set", "plugins.entries.fixture-ok.enabled", "false"}).code == 0);
  auto gw = ps.start();
  auto s = ps.states();
  BOOST_TEST(s["fixture-ok"].first == "disabled");
  BOOST_TEST(contains(s["fixture-ok"].second, "plugins.entries.fixture-ok.enabled"));
  BOOST_TEST(s["fixture-ports"].first == "disabled");
  BOOST_TEST(contains(s["fixture-ports"].second, "disabled by default"));
  BOOST_TEST(ps.leased("fixture-ok.http") == 0);
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(ports_the_registry_refuses_fail_only_that_plugin) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  install_fixture("ports", ps.plugins / "ports");
  int busy_port = ps.block.base() + 60;
  Listener busy(busy_port);
  BOOST_REQUIRE(busy.ok());
  BOOST_TEST(ps.run({"config", "set", "plugins.entries.fixture-ports.config.port",
                     std::to_string(busy_port)})
                 .code == 0);
  {
    auto gw = ps.start();
    auto s = ps.states();
    BOOST_TEST(s["fixture-ports"].first == "failed");
    BOOST_TEST(contains(s["fixture-ports"].second,
                        "ports refused by the registry: port " + std::to_string(busy_port) +
                            " (fixture-ports.main) is in use by another program"),
               s["fixture-ports"].second);
    BOOST_TEST(s["fixture-ok"].first == "running");
    BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  }
  // A port that collides with the instance's own plan, and a name outside its namespace.
  BOOST_TEST(ps.run({"config", "set", "plugins.entries.fixture-ports.config.port",
                     std::to_string(ps.block.base() + 4)})
                 .code == 0);
  {
    auto gw = ps.start();
    auto s = ps.states();
    BOOST_TEST(contains(s["fixture-ports"].second, "is planned twice"), s["fixture-ports"].second);
    BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  }
  BOOST_TEST(ps.run({"config", "unset", "plugins.entries.fixture-ports.config.port"}).code == 0);
  BOOST_TEST(
      ps.run({"config", "set", "plugins.entries.fixture-ports.config.name", "stolen.port"}).code ==
      0);
  auto gw = ps.start();
  auto s = ps.states();
  BOOST_TEST(contains(s["fixture-ports"].second,
                      "port name \"stolen.port\" must start with \"fixture-ports.\""),
             s["fixture-ports"].second);
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(a_plugin_validates_its_own_config_naming_the_key_and_file) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  install_fixture("ports", ps.plugins / "ports");
  // `config set` runs the plugin's own validate(): refused, naming the key ...
  auto set = ps.run({"config", "set", "plugins.entries.fixture-ports.config.port", "\"abc\""});
  BOOST_TEST(set.code == 1);
  BOOST_TEST(
      contains(set.err, "plugins.entries.fixture-ports.config.port: must be an integer port"),
      set.err);
  // ... and a file edited by hand fails that plugin alone at start.
  auto cfg = ps.sb.home() / ".openclaw-p" / "openclaw.json";
  auto root = json::parse(read_file(cfg)).as_object();
  root["plugins"] = json::object{
      {"entries",
       json::object{{"fixture-ports", json::object{{"config", json::object{{"port", "abc"}}}}}}}};
  write_file(cfg, json::serialize(root));
  auto gw = ps.start();
  auto s = ps.states();
  BOOST_TEST(s["fixture-ports"].first == "failed");
  BOOST_TEST(contains(s["fixture-ports"].second,
                      "invalid config (~/.openclaw-p/openclaw.json): "
                      "plugins.entries.fixture-ports.config.port: must be an integer port "
                      "1..65535, got \"abc\""),
             s["fixture-ports"].second);
  BOOST_TEST(s["fixture-ok"].first == "running");
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(list_info_and_doctor_report_an_invalid_config_alike) {
  PluginSandbox ps;
  install_fixture("ok", ps.plugins / "ok");
  install_fixture("ports", ps.plugins / "ports");
  // Edited by hand (`config set` refuses it): a value fixture-ports' validate() rejects.
  auto cfg = ps.sb.home() / ".openclaw-p" / "openclaw.json";
  auto root = json::parse(read_file(cfg)).as_object();
  root["plugins"] = json::object{
      {"entries",
       json::object{{"fixture-ports", json::object{{"config", json::object{{"port", "abc"}}}}}}}};
  write_file(cfg, json::serialize(root));
  const std::string problem =
      "invalid config (~/.openclaw-p/openclaw.json): plugins.entries.fixture-ports.config.port: "
      "must be an integer port 1..65535, got \"abc\"";

  // list: the state and the problem, key path included; the other plugin is unaffected.
  auto s = ps.states();
  BOOST_TEST(s["fixture-ports"].first == "invalid-config");
  BOOST_TEST(s["fixture-ports"].second == problem);
  BOOST_TEST(s["fixture-ok"].first == "ok");
  auto list = ps.run({"plugins", "list"});
  BOOST_TEST(list.code == 0);
  BOOST_TEST(contains(list.out, "invalid-config"), list.out);
  BOOST_TEST(contains(list.out, problem), list.out);

  // info, as JSON and as text.
  auto info = ps.run({"plugins", "info", "fixture-ports", "--json"});
  BOOST_TEST(info.code == 0, info.err);
  json::value i = json::parse(info.out);
  BOOST_TEST(i.at("state").as_string() == "invalid-config");
  BOOST_TEST(i.at("reason").as_string() == problem);
  auto info_text = ps.run({"plugins", "info", "fixture-ports"});
  BOOST_TEST(info_text.code == 0, info_text.err);
  BOOST_TEST(contains(info_text.out, "invalid-config"), info_text.out);
  BOOST_TEST(contains(info_text.out,
                      "plugins.entries.fixture-ports.config.port: must be an "
                      "integer port 1..65535"),
             info_text.out);

  // doctor: the same state and problem, under the config check; its load was fine.
  auto doctor = ps.run({"plugins", "doctor", "--json"});
  BOOST_TEST(doctor.code == 1);
  json::value report = json::parse(doctor.out);
  BOOST_TEST(report.at("problems").as_int64() == 1);
  std::map<std::string, std::pair<bool, std::string>> checks;
  for (const auto& p : report.at("plugins").as_array()) {
    if (p.at("id").as_string() != "fixture-ports") continue;
    BOOST_TEST(p.at("state").as_string() == "invalid-config");
    BOOST_TEST(p.at("reason").as_string() == problem);
    for (const auto& c : p.at("checks").as_array()) {
      checks[std::string(c.at("check").as_string())] = {c.at("ok").as_bool(),
                                                        std::string(c.at("detail").as_string())};
    }
  }
  BOOST_TEST(checks["manifest, API and ABI"].first);
  BOOST_TEST(!checks["config"].first);
  BOOST_TEST(checks["config"].second == problem);
  auto doctor_text = ps.run({"plugins", "doctor"});
  BOOST_TEST(doctor_text.code == 1);
  BOOST_TEST(contains(doctor_text.out, "FAIL config: " + problem), doctor_text.out);
  BOOST_TEST(!contains(doctor_text.out, "FAIL manifest, API and ABI"), doctor_text.out);
}

BOOST_AUTO_TEST_CASE(load_paths_from_config_and_plugins_commands) {
  PluginSandbox ps;
  auto extra = ps.sb.home() / "more-plugins";
  install_fixture("ok", extra / "ok");
  fs::permissions(extra, fs::perms(0755));
  BOOST_TEST(ps.run({"config", "set", "plugins.load.paths", "[\"" + extra.string() + "\"]"}).code ==
             0);
  auto list = ps.run({"plugins", "list"});
  BOOST_TEST(list.code == 0);
  BOOST_TEST(contains(list.out, (extra / "ok" / "fixture_ok.so").string()), list.out);
  auto missing = ps.run({"plugins", "info", "nope"});
  BOOST_TEST(missing.code == 1);
  BOOST_TEST(contains(missing.err, "no plugin \"nope\""));
  BOOST_TEST(ps.run({"plugins", "--help"}).code == 0);
  BOOST_TEST(ps.run({"plugins"}).code == 1);
}

BOOST_AUTO_TEST_SUITE_END()
