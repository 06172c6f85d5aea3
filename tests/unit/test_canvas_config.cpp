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
  // The plugin's own key wins over the older canvasHost.root.
  auto own = canvas_settings(R"({"canvasHost":{"root":"old"},
      "plugins":{"entries":{"canvas":{"config":{"host":{"root":"new"}}}}}})");
  BOOST_TEST(own.root == "new");
  BOOST_TEST(canvas::restart_reason(running, own) == "");
}

BOOST_AUTO_TEST_CASE(switching_off_or_a_new_connection_cap_restarts) {
  auto running = canvas_settings(R"({})");
  BOOST_TEST(
      canvas::restart_reason(running, canvas_settings(R"({"canvasHost":{"enabled":false}})")) ==
      "canvasHost.enabled");
  BOOST_TEST(
      canvas::restart_reason(
          running, canvas_settings(
                       R"({"plugins":{"entries":{"canvas":{"config":{"maxConnections":9}}}}})")) ==
      "plugins.entries.canvas.config.maxConnections");
}

BOOST_AUTO_TEST_CASE(the_root_folder_is_resolved_like_at_start) {
  BOOST_TEST(canvas::root_folder("", "/ws", "/home/u") == "/ws/canvas");
  BOOST_TEST(canvas::root_folder("~/site", "/ws", "/home/u") == "/home/u/site");
  BOOST_TEST(canvas::root_folder("pages", "/ws", "/home/u") == "/ws/pages");
  BOOST_TEST(canvas::root_folder("/srv/c", "/ws", "/home/u") == "/srv/c");
}

BOOST_AUTO_TEST_SUITE_END()
