#include <dlfcn.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "plugins/loader.hpp"
#include "plugins/manifest.hpp"
#include "service/service.hpp"
#include "support/harness.hpp"

using namespace openclaw;
using namespace openclaw::plugins;

BOOST_AUTO_TEST_SUITE(plugin_manifest)

BOOST_AUTO_TEST_CASE(a_full_manifest_parses) {
  auto m = parse_manifest(R"({"id":"hello","kind":"channel","version":"1.0.0","apiVersion":1,
      "description":"d","enabledByDefault":false,"library":"hello.so",})");
  BOOST_TEST(m.id == "hello");
  BOOST_TEST(m.kind == "channel");
  BOOST_TEST(m.api_version == 1);
  BOOST_TEST(!m.enabled_by_default);
  BOOST_TEST(m.library == "hello.so");
  BOOST_TEST(parse_manifest(R"({"id":"x","kind":"other","version":"1","apiVersion":1})")
                 .enabled_by_default);
}

BOOST_AUTO_TEST_CASE(every_bad_field_is_named) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"[]", "manifest must be a JSON object"},
           {"{", "manifest is not valid JSON"},
           {R"({"kind":"other","version":"1","apiVersion":1})", "manifest field \"id\" is missing"},
           {R"({"id":"Bad Id","kind":"other","version":"1","apiVersion":1})",
            "manifest field \"id\" must be lower case"},
           {R"({"id":"x","kind":"other","version":1,"apiVersion":1})",
            "manifest field \"version\" must be a string, got 1"},
           {R"({"id":"x","kind":"other","version":"1","apiVersion":"1"})",
            "manifest field \"apiVersion\" must be a positive integer"},
           {R"({"id":"x","kind":"other","version":"1","apiVersion":1,"library":"../x.so"})",
            "must be a file name"},
           {R"({"id":"x","kind":"other","version":"1","apiVersion":1,"enabledByDefault":"yes"})",
            "\"enabledByDefault\" must be true or false"},
       }) {
    try {
      parse_manifest(c.text);
      BOOST_ERROR("expected an error for " << c.text);
    } catch (const Error& e) {
      BOOST_TEST(std::string(e.what()).find(c.message) != std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plugin_unload)

// The fixtures are built with -fno-gnu-unique, so dlclose really unmaps them: a plugin object
// outliving its library would crash here instead of hiding in production.
BOOST_AUTO_TEST_CASE(library_unloads_only_after_its_last_object) {
  test::TempDir dir;
  test::install_fixture("ok", dir.path() / "ok");
  LoadOptions options;
  options.keep_loaded = false;
  auto records = load_all({dir.path()}, boost::json::object{}, options);
  BOOST_REQUIRE(records.size() == 1u);
  BOOST_REQUIRE_MESSAGE(records[0].state == State::loaded, records[0].reason);
  auto lib = records[0].library.string();
  auto is_mapped = [&] {
    void* h = ::dlopen(lib.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (h) ::dlclose(h);
    return h != nullptr;
  };
  BOOST_TEST(is_mapped());
  std::shared_ptr<sdk::Plugin> plugin = records[0].plugin;
  records.clear();  // the record goes; the object still holds the library
  BOOST_TEST(is_mapped());
  // Calls into the plugin's code still work.
  BOOST_TEST(plugin->status().as_object().at("requests").as_int64() == 0);
  plugin.reset();  // object destroyed by its own code, then the library unloads
  BOOST_TEST(!is_mapped());
}

BOOST_AUTO_TEST_CASE(check_only_loading_creates_nothing) {
  test::TempDir dir;
  test::install_fixture("ok", dir.path() / "ok");
  LoadOptions options;
  options.create = false;
  options.keep_loaded = false;
  auto records = load_all({dir.path()}, boost::json::object{}, options);
  BOOST_REQUIRE(records.size() == 1u);
  BOOST_TEST(std::string(state_name(records[0].state)) == "loaded");
  BOOST_TEST(!records[0].plugin);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(service_render)

BOOST_AUTO_TEST_CASE(units_quote_paths_and_always_name_the_profile) {
  openclaw::service::Spec spec;
  spec.profile = "rescue";
  spec.exe = "/opt/open claw/bin/openclaw-host";
  spec.port = 19001;
  spec.state_dir = "/home/u/.openclaw-rescue";
  spec.config_path = "/home/u/100%/openclaw.json";
  spec.unit_name = "openclaw-gateway-rescue.service";
  spec.label = "ai.openclaw.rescue";
  auto unit = openclaw::service::render_systemd_unit(spec);
  BOOST_TEST(unit.find("ExecStart=\"/opt/open claw/bin/openclaw-host\" --profile rescue gateway "
                       "--port 19001\n") != std::string::npos,
             unit);
  BOOST_TEST(unit.find("Environment=OPENCLAW_CONFIG_PATH=/home/u/100%%/openclaw.json") !=
                 std::string::npos,
             unit);
  auto plist = openclaw::service::render_launchd_plist(spec);
  BOOST_TEST(plist.find("<string>ai.openclaw.rescue</string>") != std::string::npos);
  BOOST_TEST(
      plist.find("<string>--profile</string>\n    <string>rescue</string>") != std::string::npos,
      plist);
  spec.profile.reset();
  spec.label = "ai.openclaw.gateway";
  spec.state_dir = "/home/u/<x>&";
  auto def = openclaw::service::render_systemd_unit(spec);
  BOOST_TEST(def.find("--profile") == std::string::npos);
  BOOST_TEST(openclaw::service::render_launchd_plist(spec).find("/home/u/&lt;x&gt;&amp;") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(doctor_reads_back_which_instance_a_unit_runs) {
  namespace svc = openclaw::service;
  svc::Spec spec;
  spec.profile = "rescue";
  spec.exe = "/opt/open claw/bin/openclaw-host";
  spec.port = 19001;
  spec.state_dir = "/home/u/.openclaw-rescue";
  spec.config_path = "/home/u/100%/openclaw.json";
  spec.unit_name = "openclaw-gateway-rescue.service";
  auto ours = svc::read_systemd_unit(svc::render_systemd_unit(spec));
  BOOST_TEST(ours.has_exec);
  BOOST_TEST(ours.runs_gateway);
  BOOST_TEST(ours.profile.value_or("") == "rescue");
  BOOST_TEST(ours.port.value_or("") == "19001");
  BOOST_TEST(ours.state_dir.value_or("") == "/home/u/.openclaw-rescue");
  // OpenClaw's #15970: a profile's unit without --profile; continuation lines, quotes, prefixes.
  auto theirs = svc::read_systemd_unit(
      "[Unit]\nDescription=x --profile nope\n[Service]\n# ExecStart=commented --profile no\n"
      "ExecStart=-/usr/bin/node \"/opt/my app/openclaw\" \\\n  gateway --port=18800\n"
      "Environment=\"OPENCLAW_GATEWAY_PORT=1\" OPENCLAW_X=2\n");
  BOOST_TEST(theirs.runs_gateway);
  BOOST_TEST(!theirs.profile.has_value());
  BOOST_TEST(theirs.port.value_or("") == "18800");
  BOOST_TEST(!theirs.state_dir.has_value());
  auto dev = svc::read_systemd_unit("[Service]\nExecStart=openclaw --dev gateway\n");
  BOOST_TEST(dev.profile.value_or("") == "dev");
  BOOST_TEST(!svc::read_systemd_unit("[Install]\nExecStart=x gateway\n").has_exec);
  BOOST_TEST(!svc::profile_of_unit_name("openclaw-gateway.service")->has_value());
  BOOST_TEST(svc::profile_of_unit_name("openclaw-gateway-rescue.service")->value_or("") ==
             "rescue");
  BOOST_TEST(!svc::profile_of_unit_name("openclaw-gateway-.service").has_value());
  BOOST_TEST(!svc::profile_of_unit_name("openclaw-gatewayx.service").has_value());
  BOOST_TEST(!svc::profile_of_unit_name("nginx.service").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
