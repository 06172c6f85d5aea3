// The browser plugin's config in one place: what its validate() refuses (the full check of the
// browser block), which live changes it applies in place rather than restart, and which cdpUrls
// name one browser.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "browser_config.hpp"

namespace json = boost::json;

namespace {

std::vector<std::string> problems(const char* config) {
  std::vector<std::string> out;
  for (const auto& p : browser::check_config(json::parse(config).as_object()))
    out.push_back(p.key + ": " + p.message);
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& want) {
  for (const auto& s : list) {
    if (s == want) return true;
  }
  BOOST_TEST_MESSAGE("missing: " << want);
  return false;
}

browser::Settings browser_settings(const char* config) {
  return browser::read_settings(json::parse(config).as_object());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(browser_config)

BOOST_AUTO_TEST_CASE(every_problem_of_the_browser_block_names_its_key_path) {
  auto m = problems(R"({"browser":{"headless":1,"cdpUrl":"localhost:9222","extraArgs":[1],
      "bind":"0.0.0.0","ssrfPolicy":{"allowedHostnames":[""]},"defaultProfile":"nope",
      "profiles":{"work":{},"remote":{"cdpUrl":"ftp://x"},"c":{"cdpPort":9,"color":5}}},
      "plugins":{"entries":{"browser":{"config":{"maxConnections":0}}}}})");
  BOOST_TEST(has(m, "browser.headless: must be true or false, got 1"));
  BOOST_TEST(
      has(m, "browser.cdpUrl: must be an http(s):// or ws(s):// URL, got \"localhost:9222\""));
  BOOST_TEST(has(m, "browser.extraArgs: must be an array of strings"));
  BOOST_TEST(has(m,
                 "browser.bind: the browser control service is loopback only (it drives a browser "
                 "with your sessions); got 0.0.0.0, use \"loopback\" or remove the key"));
  BOOST_TEST(has(m,
                 "browser.ssrfPolicy.allowedHostnames: must be an array of hostnames "
                 "(\"*.example.com\" wildcards allowed)"));
  BOOST_TEST(has(m,
                 "browser.defaultProfile: names no profile: \"nope\" (define it under "
                 "browser.profiles)"));
  BOOST_TEST(has(m, "browser.profiles.work: Profile must set cdpPort or cdpUrl"));
  BOOST_TEST(has(
      m, "browser.profiles.remote.cdpUrl: must be an http(s):// or ws(s):// URL, got \"ftp://x\""));
  BOOST_TEST(has(m, "browser.profiles.c.color: must be a string, got 5"));
  bool cap = false;
  for (const auto& s : m)
    cap = cap || s.rfind("plugins.entries.browser.config.maxConnections", 0) == 0;
  BOOST_TEST(cap);
  BOOST_TEST(m.size() == 10u);
}

BOOST_AUTO_TEST_CASE(a_good_browser_block_has_no_problems) {
  BOOST_TEST(problems(R"({})").empty());
  BOOST_TEST(problems(R"({"browser":{"enabled":true,"headless":true,"defaultProfile":"work",
      "cdpUrl":"ws://127.0.0.1:9222/devtools/browser/x","ssrfPolicy":{"blockedHostnames":["*.x"]},
      "profiles":{"work":{"cdpPort":19020,"color":"#00AA00"},"r":{"cdpUrl":"https://h:9"}}}})")
                 .empty());
  BOOST_TEST(problems(R"({"browser":5})") ==
             std::vector<std::string>{"browser: must be an object"});
}

BOOST_AUTO_TEST_CASE(the_navigation_policy_and_allowed_origins_apply_in_place) {
  auto running = browser_settings(R"({"browser":{"headless":true}})");
  auto next = browser_settings(R"({"browser":{"headless":true,"evaluateEnabled":true,
      "ssrfPolicy":{"allowedHostnames":["intranet.example"],"dangerouslyAllowPrivateNetwork":true}},
      "gateway":{"controlUi":{"allowedOrigins":["https://ui.example.org"]}}})");
  BOOST_TEST(!(running == next));
  BOOST_TEST(browser::restart_reason(running, next) == "");
  BOOST_TEST(next.policy.allowed == std::vector<std::string>{"intranet.example"});
  BOOST_TEST(next.allowed_origins == std::vector<std::string>{"https://ui.example.org"});
}

BOOST_AUTO_TEST_CASE(what_a_launched_browser_was_built_with_needs_a_restart) {
  const char* base = R"({"browser":{"headless":true,"profiles":{"w":{"cdpPort":19020}}}})";
  auto running = browser_settings(base);
  BOOST_TEST(browser::restart_reason(running, browser_settings(base)) == "");
  std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"browser":{"headless":false,"profiles":{"w":{"cdpPort":19020}}}})", "browser.headless"},
      {R"({"browser":{"headless":true,"executablePath":"/x","profiles":{"w":{"cdpPort":19020}}}})",
       "browser.executablePath"},
      {R"({"browser":{"headless":true,"extraArgs":["--x"],"profiles":{"w":{"cdpPort":19020}}}})",
       "browser.extraArgs"},
      {R"({"browser":{"headless":true,"profiles":{"w":{"cdpPort":19021}}}})", "browser.profiles"},
      {R"({"browser":{"headless":true,"cdpUrl":"http://h:1","profiles":{"w":{"cdpPort":19020}}}})",
       "browser.cdpUrl"},
      {R"({"browser":{"enabled":false,"headless":true,"profiles":{"w":{"cdpPort":19020}}}})",
       "browser.enabled"},
      {R"({"browser":{"headless":true,"profiles":{"w":{"cdpPort":19020}}},
          "plugins":{"entries":{"browser":{"config":{"maxConnections":5}}}}})",
       "plugins.entries.openclaw-host.config.browser.maxConnections"},
      {R"({"browser":{"headless":true,"profiles":{"w":{"cdpPort":19020}}},
          "plugins":{"entries":{"openclaw-host":{"config":{"browser":{"maxConnections":6}}}}}})",
       "plugins.entries.openclaw-host.config.browser.maxConnections"}};
  for (const auto& [config, key] : cases) {
    BOOST_TEST(browser::restart_reason(running, browser_settings(config)) == key, config);
  }
}

BOOST_AUTO_TEST_CASE(every_way_of_writing_one_browser_is_one_endpoint) {
  for (const char* url : {"http://127.0.0.1:9222", "http://localhost:9222/",
                          "ws://127.0.0.1:9222/devtools/browser/abc",
                          "http://[::1]:9222/json/version", "http://127.0.0.2:9222"}) {
    BOOST_TEST(browser::browser_endpoint(url).value_or("") == "http://127.0.0.1:9222", url);
  }
  BOOST_TEST(browser::browser_endpoint("wss://Remote.Example:443/x").value_or("") ==
             "https://remote.example:443");
  BOOST_TEST(browser::browser_endpoint("https://remote.example").value_or("") ==
             "https://remote.example:443");
  BOOST_TEST(browser::browser_endpoint("http://10.0.0.5:9222").value_or("") ==
             "http://10.0.0.5:9222");
  BOOST_TEST(!browser::browser_endpoint("ftp://h:1"));
  BOOST_TEST(!browser::browser_endpoint("not a url"));
}

BOOST_AUTO_TEST_SUITE_END()
