// What no input may do to the host: write without bound to its log, forge log lines, leak a
// secret through an error, or pass a page's request off as the user's (Host and Origin checks).
#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "gateway/log.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/origin.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace json = boost::json;
using openclaw::gateway::GatewayLog;

BOOST_AUTO_TEST_SUITE(trust_log)

BOOST_AUTO_TEST_CASE(one_line_per_message_cut_and_escaped) {
  BOOST_TEST(GatewayLog::one_line("a\nb\r\x01") == "a\\nb\\r\\x01");
  std::string big(20000, 'x');
  auto line = GatewayLog::one_line(big);
  BOOST_TEST(line.size() < GatewayLog::kMaxLine + 40);
  BOOST_TEST(line.find("bytes more)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_flood_is_counted_not_written_and_the_file_rotates_by_size) {
  TempDir dir;
  std::ostringstream err;
  GatewayLog::Limits limits;
  limits.max_bytes = 4096;
  limits.keep = 2;
  limits.burst = 5;
  fs::path file = dir.path() / "logs" / "gateway.log";
  fs::create_directories(file.parent_path());
  write_file(file, "an older line\n");
  fs::permissions(file, fs::perms(0644));
  {
    GatewayLog log(dir.path(), "info", err, limits);
    BOOST_TEST(mode_of(file) == 0600u);  // an older, wider file is made private
    for (int i = 0; i < 1000; ++i)
      log(openclaw::sdk::LogLevel::warn,
          "canvas: refused GET /" + std::to_string(i) + std::string(3000, 'a'));
    // Five written, the rest counted: the file did not grow by 1000 lines of 2 KB.
    std::size_t total = 0;
    for (const char* name : {"gateway.log", "gateway.log.1", "gateway.log.2", "gateway.log.3"}) {
      if (fs::exists(dir.path() / "logs" / name))
        total += fs::file_size(dir.path() / "logs" / name);
    }
    BOOST_TEST(total < 5u * 4096u);
    for (int i = 0; i < 200; ++i)
      log(openclaw::sdk::LogLevel::info,
          "line " + std::string(1, static_cast<char>('a' + i % 26)) + std::string(100, 'z'));
  }
  // Rotated by size, keeping two, each under the limit plus one line.
  BOOST_TEST(fs::exists(dir.path() / "logs" / "gateway.log.1"));
  BOOST_TEST(fs::exists(dir.path() / "logs" / "gateway.log.2"));
  BOOST_TEST(!fs::exists(dir.path() / "logs" / "gateway.log.3"));
  BOOST_TEST(fs::file_size(file) <= 4096u + GatewayLog::kMaxLine + 64);
  BOOST_TEST(mode_of(file) == 0600u);
  // What was not written is said, once.
  std::string all = read_file(file) + read_file(dir.path() / "logs" / "gateway.log.1") +
                    read_file(dir.path() / "logs" / "gateway.log.2") + err.str();
  BOOST_TEST(all.find("more line(s) like") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(trust_secrets)

BOOST_AUTO_TEST_CASE(secret_keys_are_never_shown_in_errors_or_dumps) {
  BOOST_TEST(sdk::is_secret_key("channels.telegram.botToken"));
  BOOST_TEST(sdk::is_secret_key("gateway.auth.token"));
  BOOST_TEST(sdk::is_secret_key("channels.irc.nickserv.password"));
  BOOST_TEST(sdk::is_secret_key("webhook.secretFile"));
  BOOST_TEST(!sdk::is_secret_key("channels.irc.nick"));
  BOOST_TEST(sdk::shown_value("botToken", json::object{{"v", "123:abc"}}) ==
             "an object (value not shown)");
  BOOST_TEST(sdk::shown_value("port", json::value(5)) == "5");
  auto red = sdk::redact_secrets(
      json::parse(R"({"gateway":{"auth":{"token":"t0k","mode":"token"}},"a":[{"password":1}]})"));
  BOOST_TEST(
      json::serialize(red) ==
      R"({"gateway":{"auth":{"token":"__OPENCLAW_REDACTED__","mode":"token"}},"a":[{"password":"__OPENCLAW_REDACTED__"}]})");
  // Lines of text: values go, prose stays.
  BOOST_TEST(sdk::redact_text("connect token=s3cr3t ok") == "connect token=*** ok");
  BOOST_TEST(sdk::redact_text(R"({"botToken": "123:abc", "port": 1})") ==
             R"({"botToken": "***", "port": 1})");
  BOOST_TEST(sdk::redact_text("Authorization: Bearer abc.def") == "Authorization: Bearer ***");
  BOOST_TEST(sdk::redact_text("sent 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 x") ==
             "sent *** x");
  const std::string prose = "channels.webhook has no secret or token: the channel is idle";
  BOOST_TEST(sdk::redact_text(prose) == prose);
  // The host's own validation: a wrongly typed secret is named by kind.
  auto problems = openclaw::config::validate(
      json::parse(R"({"gateway":{"auth":{"token":{"x":"leaky"}}}})").as_object());
  BOOST_REQUIRE(!problems.empty());
  BOOST_TEST(problems[0].message.find("leaky") == std::string::npos);
  BOOST_TEST(problems[0].key == "gateway.auth.token");
}

BOOST_AUTO_TEST_CASE(control_characters_are_refused_with_their_key_path) {
  auto problems = openclaw::config::validate(
      json::parse(
          R"({"channels":{"irc":{"nick":"bot\r\nQUIT","channels":["#a\u0007"]}},"agents":{"x":"multi\nline"}})")
          .as_object());
  std::vector<std::string> keys;
  for (const auto& p : problems) keys.push_back(p.key);
  BOOST_TEST(std::count(keys.begin(), keys.end(), "channels.irc.nick") == 1);
  BOOST_TEST(std::count(keys.begin(), keys.end(), "channels.irc.channels[0]") == 1);
  BOOST_TEST(keys.size() == 2u);  // OpenClaw's own blocks (agents) may hold multi-line text
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(trust_origin)

BOOST_AUTO_TEST_CASE(host_must_be_this_machine_or_an_allowed_origins_host) {
  sdk::OriginPolicy p;
  for (const char* ok : {"127.0.0.1:18789", "localhost:1", "LOCALHOST", "app.localhost:3",
                         "[::1]:80", "192.168.1.5:18789", "localhost."}) {
    BOOST_TEST(sdk::check_host(p, ok).empty(), ok);
  }
  for (const char* bad : {"evil.example", "evil.example:18789", "localhost.evil.example",
                          "127.0.0.1.nip.io:80", "1.2.3.4.5", "[::1"}) {
    BOOST_TEST(!sdk::check_host(p, bad).empty(), bad);
  }
  p.allowed_origins = {"https://ui.example.org"};
  BOOST_TEST(sdk::check_host(p, "ui.example.org:443").empty());
  BOOST_TEST(!sdk::check_host(p, "other.example.org").empty());
  p.enabled = false;
  BOOST_TEST(sdk::check_host(p, "evil.example").empty());
}

BOOST_AUTO_TEST_CASE(origin_must_be_the_servers_own_or_allowed) {
  sdk::OriginPolicy p;
  BOOST_TEST(sdk::check_origin(p, "", "127.0.0.1:18789").empty());  // curl, the CLIs
  BOOST_TEST(sdk::check_origin(p, "http://127.0.0.1:18789", "127.0.0.1:18789").empty());
  BOOST_TEST(sdk::check_origin(p, "http://LOCALHOST:5", "localhost:5").empty());
  BOOST_TEST(!sdk::check_origin(p, "http://evil.example", "127.0.0.1:18789").empty());
  BOOST_TEST(!sdk::check_origin(p, "null", "127.0.0.1:18789").empty());
  BOOST_TEST(
      !sdk::check_origin(p, "http://127.0.0.1:18791", "127.0.0.1:18789").empty());  // another port
  auto from = sdk::OriginPolicy::from_config(
      json::parse(R"({"gateway":{"controlUi":{"allowedOrigins":["https://UI.example.org/",7]}}})")
          .as_object());
  BOOST_REQUIRE(from.allowed_origins.size() == 1u);
  BOOST_TEST(sdk::check_origin(from, "https://ui.example.org", "127.0.0.1:1").empty());
  BOOST_TEST(
      !sdk::check_origin(from, "https://ui.example.org.evil.example", "127.0.0.1:1").empty());
}

BOOST_AUTO_TEST_SUITE_END()
