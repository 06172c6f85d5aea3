#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "profile/profile.hpp"
#include "support/harness.hpp"

using namespace openclaw;
using openclaw::test::value_of;
using namespace openclaw::profile;

namespace {
Environment env_with(std::map<std::string, std::string> vars) {
  if (!vars.count("HOME")) vars["HOME"] = "/home/u";
  return Environment(std::move(vars));
}

int error_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(profile_names)

BOOST_AUTO_TEST_CASE(valid_names_pass_and_default_means_no_profile) {
  BOOST_TEST(value_of(normalize_name("rescue", "")) == "rescue");
  BOOST_TEST(value_of(normalize_name("Work_2-b", "")) == "Work_2-b");
  BOOST_TEST(!normalize_name("default", "").has_value());
  BOOST_TEST(!normalize_name("DeFaUlT", "").has_value());
}

BOOST_AUTO_TEST_CASE(invalid_names_are_usage_errors) {
  for (const char* bad : {"", "a b", "x/y", "../etc", "name.with.dot", "ä"}) {
    BOOST_TEST(error_code_of([&] { normalize_name(bad, "--profile"); }) == 1, bad);
  }
  try {
    normalize_name("a/b", "--profile");
    BOOST_FAIL("expected an error");
  } catch (const Error& e) {
    BOOST_TEST(e.line().find("invalid profile name \"a/b\"") != std::string::npos);
    BOOST_TEST(e.where() == "--profile");
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(default_ports)

BOOST_AUTO_TEST_CASE(fnv1a_matches_the_reference_vectors) {
  BOOST_TEST(fnv1a32("") == 2166136261u);
  BOOST_TEST(fnv1a32("a") == 0xe40c292cu);
  BOOST_TEST(fnv1a32("foobar") == 0xbf9cf968u);
}

BOOST_AUTO_TEST_CASE(openclaw_default_base_ports) {
  BOOST_TEST(default_base_port(std::nullopt) == 18789);
  BOOST_TEST(default_base_port(std::string("dev")) == 19001);
  BOOST_TEST(default_base_port(std::string("main")) == 23592);
  BOOST_TEST(default_base_port(std::string("rescue")) == 23532);
  int p = default_base_port(std::string("anything-else"));
  BOOST_TEST(p == 20000 + static_cast<int>(fnv1a32("anything-else") % 40000u));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(profile_paths)

BOOST_AUTO_TEST_CASE(no_profile_uses_dot_openclaw) {
  auto p = resolve_paths({}, env_with({}));
  BOOST_TEST(!p.profile.has_value());
  BOOST_TEST(p.state_dir == "/home/u/.openclaw");
  BOOST_TEST(p.config_path == "/home/u/.openclaw/openclaw.json");
  BOOST_TEST(p.default_workspace == "/home/u/.openclaw/workspace");
  BOOST_TEST(p.systemd_unit == "openclaw-gateway.service");
  BOOST_TEST(p.launchd_label == "ai.openclaw.gateway");
}

BOOST_AUTO_TEST_CASE(named_profile_scopes_everything) {
  auto p = resolve_paths({std::string("rescue"), false}, env_with({}));
  BOOST_TEST(value_of(p.profile) == "rescue");
  BOOST_TEST(p.state_dir == "/home/u/.openclaw-rescue");
  BOOST_TEST(p.config_path == "/home/u/.openclaw-rescue/openclaw.json");
  BOOST_TEST(p.default_workspace == "/home/u/.openclaw/workspace-rescue");
  BOOST_TEST(p.systemd_unit == "openclaw-gateway-rescue.service");
  BOOST_TEST(p.launchd_label == "ai.openclaw.rescue");
}

BOOST_AUTO_TEST_CASE(dev_flag_is_profile_dev_and_conflicts_with_profile) {
  auto p = resolve_paths({std::nullopt, true}, env_with({}));
  BOOST_TEST(value_of(p.profile) == "dev");
  BOOST_TEST(p.state_dir == "/home/u/.openclaw-dev");
  BOOST_TEST(error_code_of([] { resolve_paths({std::string("x"), true}, env_with({})); }) == 1);
}

BOOST_AUTO_TEST_CASE(default_profile_flag_means_no_profile) {
  auto p = resolve_paths({std::string("Default"), false}, env_with({}));
  BOOST_TEST(!p.profile.has_value());
  BOOST_TEST(p.state_dir == "/home/u/.openclaw");
}

BOOST_AUTO_TEST_CASE(flag_wins_over_openclaw_profile_env) {
  auto env = env_with({{"OPENCLAW_PROFILE", "envprof"}});
  BOOST_TEST(value_of(resolve_paths({}, env).profile) == "envprof");
  BOOST_TEST(value_of(resolve_paths({std::string("flagprof"), false}, env).profile) == "flagprof");
  BOOST_TEST(error_code_of([] {
               resolve_paths({}, env_with({{"OPENCLAW_PROFILE", "bad name"}}));
             }) == 1);
}

BOOST_AUTO_TEST_CASE(openclaw_home_replaces_home) {
  auto p = resolve_paths({std::string("main"), false}, env_with({{"OPENCLAW_HOME", "/srv/oc"}}));
  BOOST_TEST(p.state_dir == "/srv/oc/.openclaw-main");
  BOOST_TEST(p.default_workspace == "/srv/oc/.openclaw/workspace-main");
  auto q = resolve_paths({}, env_with({{"OPENCLAW_HOME", "~/alt"}}));
  BOOST_TEST(q.state_dir == "/home/u/alt/.openclaw");
}

BOOST_AUTO_TEST_CASE(explicit_env_paths_always_win_over_the_profile) {
  auto env = env_with({{"OPENCLAW_STATE_DIR", "~/.openclaw-main"},
                       {"OPENCLAW_CONFIG_PATH", "~/.openclaw/main.json"}});
  auto p = resolve_paths({std::string("rescue"), false}, env);
  BOOST_TEST(p.state_dir == "/home/u/.openclaw-main");
  BOOST_TEST(p.config_path == "/home/u/.openclaw/main.json");
  // The profile still names the service and the workspace.
  BOOST_TEST(p.systemd_unit == "openclaw-gateway-rescue.service");
  BOOST_TEST(p.default_workspace == "/home/u/.openclaw/workspace-rescue");
}

BOOST_AUTO_TEST_CASE(state_dir_env_alone_moves_the_config_with_it) {
  auto p = resolve_paths({}, env_with({{"OPENCLAW_STATE_DIR", "/data/oc"}}));
  BOOST_TEST(p.config_path == "/data/oc/openclaw.json");
}

BOOST_AUTO_TEST_CASE(display_path_abbreviates_home) {
  BOOST_TEST(display_path("/home/u/.openclaw/x.json", "/home/u") == "~/.openclaw/x.json");
  BOOST_TEST(display_path("/home/user2/x", "/home/u") == "/home/user2/x");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(base_port_precedence)

BOOST_AUTO_TEST_CASE(flag_beats_env_beats_config_beats_default) {
  auto env = env_with({{"OPENCLAW_GATEWAY_PORT", "30000"}});
  auto none = env_with({});
  std::optional<std::string> rescue = "rescue";
  BOOST_TEST(resolve_base_port(31000, env, 32000, rescue, "").port == 31000);
  BOOST_TEST(resolve_base_port(31000, env, 32000, rescue, "").source == "--port");
  BOOST_TEST(resolve_base_port(std::nullopt, env, 32000, rescue, "").port == 30000);
  BOOST_TEST(resolve_base_port(std::nullopt, env, 32000, rescue, "").source ==
             "OPENCLAW_GATEWAY_PORT");
  BOOST_TEST(resolve_base_port(std::nullopt, none, 32000, rescue, "").port == 32000);
  BOOST_TEST(resolve_base_port(std::nullopt, none, std::nullopt, rescue, "").port == 23532);
  BOOST_TEST(resolve_base_port(std::nullopt, none, std::nullopt, std::string("dev"), "").port ==
             19001);
  BOOST_TEST(resolve_base_port(std::nullopt, none, std::nullopt, std::nullopt, "").port == 18789);
}

BOOST_AUTO_TEST_CASE(bad_env_port_and_no_room_for_derived_ports_are_errors) {
  BOOST_TEST(error_code_of([] {
               resolve_base_port(std::nullopt, env_with({{"OPENCLAW_GATEWAY_PORT", "abc"}}),
                                 std::nullopt, std::nullopt, "");
             }) == 1);
  try {
    resolve_base_port(std::nullopt, env_with({}), 65500, std::nullopt, "~/.openclaw/openclaw.json");
    BOOST_FAIL("expected an error");
  } catch (const Error& e) {
    BOOST_TEST(e.line().find("base + 110 must be <= 65535") != std::string::npos);
    BOOST_TEST(e.where() == "~/.openclaw/openclaw.json");
  }
  BOOST_TEST(resolve_base_port(std::nullopt, env_with({}), 65425, std::nullopt, "").port == 65425);
}

BOOST_AUTO_TEST_CASE(parse_port_rejects_garbage) {
  BOOST_TEST(parse_port("19001", "--port") == 19001);
  for (const char* bad : {"0", "65536", "-1", "12ab", "", "1.5"}) {
    BOOST_TEST(error_code_of([&] { parse_port(bad, "--port"); }) == 1, bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
