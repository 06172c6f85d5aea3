// The canvas plugin's live config changes: the root folder, live reload and the allowed origins
// move on the running server; switching it off or a new connection cap restarts it.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "canvas_config.hpp"

namespace json = boost::json;

namespace {

canvas::Settings canvas_settings(const char* config) {
  return canvas::read_settings(json::parse(config).as_object());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canvas_config)

BOOST_AUTO_TEST_CASE(root_live_reload_and_origins_move_without_a_restart) {
  auto running = canvas_settings(R"({})");
  BOOST_TEST(running.live_reload);
  BOOST_TEST(running.root == "");
  auto next = canvas_settings(R"({"canvasHost":{"root":"~/site","liveReload":false},
      "gateway":{"controlUi":{"allowedOrigins":["https://ui.example.org"]}}})");
  BOOST_TEST(canvas::restart_reason(running, next) == "");
  BOOST_TEST(next.root == "~/site");
  BOOST_TEST(!next.live_reload);
  // Ours (plugins.entries.openclaw-host.config.canvas) wins over OpenClaw's retired
  // plugins.entries.canvas.config.host.root, which wins over the seed's canvasHost.root.
  auto own = canvas_settings(R"({"canvasHost":{"root":"old"},
      "plugins":{"entries":{"canvas":{"config":{"host":{"root":"newer"}}}}}})");
  BOOST_TEST(own.root == "newer");
  BOOST_TEST(own.root_key == "plugins.entries.canvas.config.host.root");
  BOOST_TEST(canvas::restart_reason(running, own) == "");
  auto ours = canvas_settings(R"({"canvasHost":{"root":"old","liveReload":true},
      "plugins":{"entries":{"canvas":{"config":{"host":{"root":"newer"}}},
      "openclaw-host":{"config":{"canvas":{"root":"ours","liveReload":false}}}}}})");
  BOOST_TEST(ours.root == "ours");
  BOOST_TEST(ours.root_key == "plugins.entries.openclaw-host.config.canvas.root");
  BOOST_TEST(!ours.live_reload);
}

BOOST_AUTO_TEST_CASE(a_wrong_type_is_named_where_it_was_found) {
  std::vector<openclaw::sdk::ConfigProblem> problems;
  canvas::read_settings(json::parse(R"({"canvasHost":{"enabled":"yes"},
          "plugins":{"entries":{"openclaw-host":{"config":{"canvas":{"liveReload":1}}}}}})")
                            .as_object(),
                        &problems);
  BOOST_REQUIRE(problems.size() == 2u);
  BOOST_TEST(problems[0].key == "canvasHost.enabled");
  BOOST_TEST(problems[1].key == "plugins.entries.openclaw-host.config.canvas.liveReload");
}

BOOST_AUTO_TEST_CASE(switching_off_or_a_new_connection_cap_restarts) {
  auto running = canvas_settings(R"({})");
  BOOST_TEST(
      canvas::restart_reason(running, canvas_settings(R"({"canvasHost":{"enabled":false}})")) ==
      "plugins.entries.canvas.config.host.enabled");
  BOOST_TEST(
      canvas::restart_reason(
          running, canvas_settings(
                       R"({"plugins":{"entries":{"canvas":{"config":{"maxConnections":9}}}}})")) ==
      "plugins.entries.openclaw-host.config.canvas.maxConnections");
}

BOOST_AUTO_TEST_CASE(the_root_folder_is_resolved_like_at_start) {
  BOOST_TEST(canvas::root_folder("", "/ws", "/home/u") == "/ws/canvas");
  BOOST_TEST(canvas::root_folder("~/site", "/ws", "/home/u") == "/home/u/site");
  BOOST_TEST(canvas::root_folder("pages", "/ws", "/home/u") == "/ws/pages");
  BOOST_TEST(canvas::root_folder("/srv/c", "/ws", "/home/u") == "/srv/c");
}

BOOST_AUTO_TEST_SUITE_END()
