#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"
#include "support/harness.hpp"

using namespace openclaw;
using openclaw::test::value_of;
using namespace openclaw::config;
namespace json = boost::json;

namespace {
Config parse_text(const std::string& text) {
  return Config::parse(text, "/home/u/.openclaw-rescue/openclaw.json", "/home/u");
}

std::vector<std::string> messages(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& p : validate(parse_text(text).root())) out.push_back(p.message);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v) {
    if (x == s) return true;
  }
  return false;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(config_parse)

BOOST_AUTO_TEST_CASE(comments_and_trailing_commas_are_accepted) {
  auto c = parse_text(R"(// main bot
{
  /* the base */ "gateway": { "port": 19001, },
  "browser": { "profiles": { "work": { "cdpPort": 19020, }, }, },
})");
  BOOST_TEST(value_of(get_int(c.root(), "gateway.port")) == 19001);
  BOOST_TEST(value_of(get_int(c.root(), "browser.profiles.work.cdpPort")) == 19020);
}

BOOST_AUTO_TEST_CASE(empty_file_is_an_empty_config) {
  BOOST_TEST(parse_text("  \n").root().empty());
}

BOOST_AUTO_TEST_CASE(parse_errors_name_file_line_and_column) {
  try {
    parse_text("{\n  \"gateway\": {\n    \"port\": 19001\n  \n");
    BOOST_FAIL("expected a parse error");
  } catch (const Error& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 1);
    BOOST_TEST(e.where() == "~/.openclaw-rescue/openclaw.json");
    BOOST_TEST(e.line().find("config is not valid JSON") != std::string::npos);
    BOOST_TEST(e.line().find("line 5") != std::string::npos, e.line());
  }
  try {
    parse_text("{\"a\": 1}}");
    BOOST_FAIL("expected a parse error");
  } catch (const Error& e) {
    BOOST_TEST(e.line().find("line 1, column 9") != std::string::npos, e.line());
  }
}

BOOST_AUTO_TEST_CASE(root_must_be_an_object) {
  try {
    parse_text("[1, 2]");
    BOOST_FAIL("expected an error");
  } catch (const Error& e) {
    BOOST_TEST(e.line().find("config must be a JSON object, got an array") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_validate)

BOOST_AUTO_TEST_CASE(a_good_config_has_no_problems) {
  BOOST_TEST(messages(R"({"gateway":{"port":19001,"bind":"loopback","auth":{"token":"t"}},
      "canvasHost":{"port":19100,"enabled":true},"browser":{"enabled":true,"headless":true,
      "profiles":{"work":{"cdpPort":19020},"remote":{"cdpUrl":"http://10.0.0.5:9222"}}},
      "agents":{"defaults":{"workspace":"~/ws"}},"plugins":{"load":{"paths":["/opt/p"]},
      "entries":{"canvas":{"enabled":false,"config":{"x":1}}}},"someUnknownKey":{"kept":true}})")
                 .empty());
}

BOOST_AUTO_TEST_CASE(every_problem_names_its_key_path) {
  auto m = messages(R"({"gateway":{"port":"abc","bind":"everywhere","auth":{"token":5}},
      "canvasHost":{"port":70000,"enabled":"yes"},
      "browser":{"headless":1,"cdpUrl":"localhost:9222","profiles":{"work":{},"x y":{"cdpPort":1},
      "p":{"cdpPort":0}}},
      "agents":{"defaults":{"workspace":7}},"plugins":{"load":{"paths":["ok",3]},
      "entries":{"a":{"enabled":"no"}}}})");
  BOOST_TEST(has(m, "gateway.port must be an integer 1..65535, got \"abc\""));
  BOOST_TEST(has(m, "gateway.bind must be \"loopback\" or \"lan\", got \"everywhere\""));
  BOOST_TEST(has(m, "gateway.auth.token must be a string, got a number (value not shown)"));
  BOOST_TEST(has(m, "canvasHost.port must be an integer 1..65535, got 70000"));
  BOOST_TEST(has(m, "canvasHost.enabled must be true or false, got \"yes\""));
  // The rest of the browser block is the browser plugin's to check (test_browser_config.cpp).
  BOOST_TEST(has(m, "browser.profiles.p.cdpPort must be an integer 1..65535, got 0"));
  BOOST_TEST(has(m, "agents.defaults.workspace must be a string, got 7"));
  BOOST_TEST(has(m, "plugins.load.paths[1] must be a string, got 3"));
  BOOST_TEST(has(m, "plugins.entries.a.enabled must be true or false, got \"no\""));
  bool bad_name = false;
  for (const auto& s : m)
    bad_name = bad_name || s.find("invalid browser profile name \"x y\"") != std::string::npos;
  BOOST_TEST(bad_name);
}

// Found by fuzz_config: a browser profile named "w\rk" carried the CR into its invalid-name
// message. Every message is one line; the control character is reported once, as such.
BOOST_AUTO_TEST_CASE(a_control_character_in_a_profile_name_stays_out_of_the_messages) {
  auto found = messages(R"({"browser": {"profiles": {"w\rk": {"cdpPort": 18800}}},
                             "gateway": {"mode": "loca"}})");
  BOOST_TEST_REQUIRE(found.size() == 2u);
  bool control = false, mode = false;
  for (const auto& m : found) {
    BOOST_TEST(m.find_first_of("\r\n") == std::string::npos, m);
    control = control || m.find("control character (U+000D)") != std::string::npos;
    mode = mode || m.find("gateway.mode") != std::string::npos;
  }
  BOOST_TEST(control);
  BOOST_TEST(mode);
}

BOOST_AUTO_TEST_CASE(base_port_must_leave_room_for_derived_ports) {
  auto m = messages(R"({"gateway":{"port":65500}})");
  BOOST_TEST(m.size() == 1u);
  BOOST_TEST(m[0].find("gateway.port 65500 leaves no room") != std::string::npos);
  BOOST_TEST(messages(R"({"gateway":{"port":65425}})").empty());
}

BOOST_AUTO_TEST_CASE(require_valid_names_the_file) {
  auto c = parse_text(R"({"gateway":{"port":"abc"}})");
  try {
    require_valid(c);
    BOOST_FAIL("expected an error");
  } catch (const Error& e) {
    BOOST_TEST(
        e.line() ==
        "gateway.port must be an integer 1..65535, got \"abc\" (~/.openclaw-rescue/openclaw.json)");
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_edit)

BOOST_AUTO_TEST_CASE(assign_find_erase_by_key_path) {
  json::object root;
  assign(root, split_key("browser.profiles.work.cdpPort"), 19020);
  BOOST_TEST(value_of(get_int(root, "browser.profiles.work.cdpPort")) == 19020);
  BOOST_TEST(find(root, split_key("browser.profiles.nope")) == nullptr);
  BOOST_TEST(erase(root, split_key("browser.profiles.work.cdpPort")));
  BOOST_TEST(!erase(root, split_key("browser.profiles.work.cdpPort")));
  BOOST_TEST(root.at("browser").at("profiles").at("work").as_object().empty());
}

// Keys earlier versions kept where OpenClaw's strict schema refuses them, and their places now.
BOOST_AUTO_TEST_CASE(moved_keys_map_to_places_openclaw_accepts) {
  BOOST_TEST(current_key("channels.irc.sasl") == "plugins.entries.openclaw-host.config.irc.sasl");
  BOOST_TEST(current_key("channels.irc.sasl.password") ==
             "plugins.entries.openclaw-host.config.irc.sasl.password");
  BOOST_TEST(current_key("channels.irc.saslx") == "channels.irc.saslx");  // a look-alike stays
  BOOST_TEST(current_key("channels.webhook.hooks[0]") == "plugins.entries.webhook.config.hooks[0]");
  BOOST_TEST(current_key("canvasHost.enabled") == "plugins.entries.canvas.config.host.enabled");
  BOOST_TEST(current_key("gateway.port") == "gateway.port");
}

BOOST_AUTO_TEST_CASE(moving_retired_keys_keeps_values_and_leaves_no_empty_root_block) {
  json::object root = boost::json::parse(R"({
      "canvasHost": {"port": 19504, "enabled": false},
      "channels": {"irc": {"host": "irc.example", "sasl": true, "nickserv": "pw"},
                   "webhook": {"secret": "old-secret-0123456789", "replyUrl": "https://a/r"}},
      "plugins": {"entries": {"webhook": {"config": {"secret": "new-secret-0123456789"}}}}})")
                          .as_object();
  auto moves = move_retired_keys(root);
  BOOST_TEST(moves.size() == 5u);
  BOOST_TEST(!root.contains("canvasHost"));
  BOOST_TEST(value_of(get_int(root, "plugins.entries.openclaw-host.config.canvas.port")) == 19504);
  BOOST_TEST(value_of(get_bool(root, "plugins.entries.canvas.config.host.enabled")) == false);
  BOOST_TEST(value_of(get_bool(root, "plugins.entries.openclaw-host.config.irc.sasl")) == true);
  BOOST_TEST(value_of(get_string(root, "channels.irc.host")) == "irc.example");
  BOOST_TEST(value_of(get_string(root, "channels.irc.nickserv.password")) == "pw");
  BOOST_TEST(!find(root, split_key("channels.webhook")));
  // What is already at the new place wins; the rest of the old block comes along.
  BOOST_TEST(value_of(get_string(root, "plugins.entries.webhook.config.secret")) ==
             "new-secret-0123456789");
  BOOST_TEST(value_of(get_string(root, "plugins.entries.webhook.config.replyUrl")) ==
             "https://a/r");
  BOOST_TEST(move_retired_keys(root).empty());  // once
}

BOOST_AUTO_TEST_CASE(assign_through_a_scalar_is_an_error) {
  json::object root{{"gateway", 5}};
  try {
    assign(root, split_key("gateway.port"), 1);
    BOOST_FAIL("expected an error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "cannot set gateway.port: gateway is a number, not an object");
  }
}

BOOST_AUTO_TEST_CASE(bad_keys_are_rejected) {
  for (const char* bad : {"", ".a", "a.", "a..b"}) {
    BOOST_CHECK_THROW(split_key(bad), Error);
  }
}

BOOST_AUTO_TEST_CASE(cli_values_are_json_or_strings) {
  BOOST_TEST(parse_cli_value("19001").as_int64() == 19001);
  BOOST_TEST(parse_cli_value("true").as_bool());
  BOOST_TEST(parse_cli_value("{\"a\":1}").is_object());
  BOOST_TEST(parse_cli_value("hello world").as_string() == "hello world");
  BOOST_TEST(parse_cli_value("\"19001\"").as_string() == "19001");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_save)

BOOST_AUTO_TEST_CASE(save_is_atomic_keeps_a_backup_and_unknown_keys) {
  test::TempDir dir;
  auto path = dir.path() / "state" / "openclaw.json";
  test::write_file(path,
                   "// hand-written\n{\"unknown\":{\"deep\":[1,2]},\"gateway\":{\"port\":1},}\n");
  auto c = Config::load(path, dir.path());
  assign(c.root(), split_key("gateway.port"), 19001);
  c.save();
  auto again = Config::load(path, dir.path());
  BOOST_TEST(value_of(get_int(again.root(), "gateway.port")) == 19001);
  BOOST_TEST(json::serialize(again.root().at("unknown")) == "{\"deep\":[1,2]}");
  BOOST_TEST(test::mode_of(path) == 0600u);
  auto bak = test::read_file(dir.path() / "state" / "openclaw.json.bak");
  BOOST_TEST(bak.find("// hand-written") == 0u);
  // No temp files are left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "state")) {
    (void)e;
    ++files;
  }
  BOOST_TEST(files == 2);
}

BOOST_AUTO_TEST_CASE(new_parent_dirs_are_private) {
  test::TempDir dir;
  auto path = dir.path() / "a" / "b" / "openclaw.json";
  auto c = Config::load(path, dir.path());
  BOOST_TEST(!c.exists());
  c.save();
  BOOST_TEST(test::mode_of(dir.path() / "a") == 0700u);
  BOOST_TEST(test::mode_of(dir.path() / "a" / "b") == 0700u);
  BOOST_TEST(test::mode_of(path) == 0600u);
}

BOOST_AUTO_TEST_CASE(failed_write_leaves_the_old_file) {
  test::TempDir dir;
  auto path = dir.path() / "cfg.json";
  test::write_file(path, "{\"keep\":1}");
  // The target is a directory's entry we cannot replace: rename onto a non-empty dir fails.
  auto blocked = dir.path() / "blocked";
  std::filesystem::create_directories(blocked / "child");
  BOOST_CHECK_THROW(sdk::write_file_atomic(blocked, "{}"), std::system_error);
  BOOST_TEST(std::filesystem::is_directory(blocked / "child"));
  BOOST_TEST(test::read_file(path) == "{\"keep\":1}");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  BOOST_TEST(entries == 2);  // cfg.json and blocked/, no stray temp file
}

BOOST_AUTO_TEST_SUITE_END()
