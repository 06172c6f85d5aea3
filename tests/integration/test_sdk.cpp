// The SDK is real: install it, build examples/hello-plugin out of tree against it with nothing
// but find_package(OpenClawSDK), drop the result into a profile and see it serve.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "gateway/client.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {
// Runs a shell command with a deadline; its output goes to `log`.
int sh(const std::string& cmd, const fs::path& log) {
  std::string full = "timeout 600 " + cmd + " >>" + log.string() + " 2>&1";
  int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_out_of_tree)

BOOST_AUTO_TEST_CASE(third_party_plugin_builds_against_the_installed_sdk_and_runs) {
  TempDir work;
  fs::path prefix = work.path() / "prefix";
  fs::path build = work.path() / "hello-build";
  fs::path log = work.path() / "build.log";
  BOOST_REQUIRE_MESSAGE(
      sh("cmake --install " + std::string(OPENCLAW_BUILD_DIR) + " --prefix " + prefix.string(),
         log) == 0,
      read_file(log));
  BOOST_TEST(fs::exists(prefix / "lib" / "cmake" / "OpenClawSDK" / "OpenClawSDKConfig.cmake"));
  BOOST_TEST(fs::exists(prefix / "include" / "openclaw" / "sdk" / "plugin.hpp"));
  // Only the installed prefix: the example never sees the source tree.
  BOOST_REQUIRE_MESSAGE(
      sh("cmake -S " + std::string(OPENCLAW_SOURCE_DIR) + "/examples/hello-plugin -B " +
             build.string() + " -DCMAKE_PREFIX_PATH=" + prefix.string(),
         log) == 0,
      read_file(log));
  BOOST_REQUIRE_MESSAGE(sh("cmake --build " + build.string(), log) == 0, read_file(log));
  BOOST_REQUIRE(fs::exists(build / "hello" / "hello.so"));
  BOOST_REQUIRE(fs::exists(build / "hello" / "openclaw.plugin.json"));

  Sandbox sb;
  PortBlock block;
  sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block);
  BOOST_TEST(sb.run({"--profile", "demo", "setup", "--port", std::to_string(block.base())}).code ==
             0);
  fs::path dest = sb.home() / ".openclaw-demo" / "plugins" / "hello";
  fs::create_directories(dest.parent_path());
  fs::copy(build / "hello", dest);
  BOOST_TEST(sb.run({"--profile", "demo", "config", "set", "plugins.entries.hello.config.greeting",
                     "hi there"})
                 .code == 0);

  // The installed host runs the plugin too.
  auto gw = sb.spawn({"--profile", "demo", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  auto ports = json::parse(sb.run({"--profile", "demo", "ports", "--json"}).out);
  int port = 0;
  for (const auto& p : ports.at("ports").as_array()) {
    if (p.at("name").as_string() == "hello.http") port = static_cast<int>(p.at("port").as_int64());
  }
  BOOST_REQUIRE(port != 0);
  auto reply = http_get(port, "/");
  BOOST_REQUIRE(reply);
  auto v = json::parse(reply->body);
  BOOST_TEST(v.at("hello").as_string() == "hi there");
  BOOST_TEST(v.at("profile").as_string() == "demo");
  BOOST_TEST(v.at("port").as_int64() == port);
  BOOST_TEST(must_get(block.base(), "/hello").status == 200);
  // The example's asynchronous method answers later, through the gateway protocol.
  openclaw::gateway::ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(block.base());
  // setup gave the profile a token, which a client reads from its config like the CLI does.
  o.token = std::string(json::parse(read_file(sb.home() / ".openclaw-demo" / "openclaw.json"))
                            .at("gateway")
                            .at("auth")
                            .at("token")
                            .as_string());
  openclaw::gateway::Client c(o);
  auto later = c.call("hello.later");
  BOOST_TEST(later.at("hello").as_string() == "hi there");
  BOOST_TEST(later.at("to").as_string() == "cli");
  // ... and fetches over HTTP with the SDK's client (here: the gateway's own /health).
  auto fetched =
      c.call("hello.fetch",
             json::object{{"url", "http://127.0.0.1:" + std::to_string(block.base()) + "/health"}});
  BOOST_TEST(fetched.at("status").as_int64() == 200);
  BOOST_TEST(fetched.at("bytes").as_int64() > 0);
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(plugins_new_builds_as_generated_and_installs_into_a_running_gateway) {
  TempDir work;
  fs::path prefix = work.path() / "prefix";
  fs::path project = work.path() / "proj";
  fs::path build = project / "build";
  fs::path log = work.path() / "build.log";
  BOOST_REQUIRE_MESSAGE(
      sh("cmake --install " + std::string(OPENCLAW_BUILD_DIR) + " --prefix " + prefix.string(),
         log) == 0,
      read_file(log));
  Sandbox sb;
  PortBlock block;
  sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block);
  auto made = sb.run({"plugins", "new", "pager-duty", "--dir", project.string()});
  BOOST_REQUIRE_MESSAGE(made.code == 0, made.err);
  auto again = sb.run({"plugins", "new", "pager-duty", "--dir", project.string()});
  BOOST_TEST(again.code == 1);
  BOOST_TEST(contains(again.err, "not empty"));
  auto bad = sb.run({"plugins", "new", "Bad Name"});
  BOOST_TEST(bad.code == 1);
  BOOST_TEST(contains(bad.err, "not a valid plugin id"));
  // As generated, warnings as errors, against nothing but the installed prefix; its test passes.
  BOOST_REQUIRE_MESSAGE(sh("cmake -S " + project.string() + " -B " + build.string() +
                               " -DCMAKE_PREFIX_PATH=" + prefix.string() +
                               " '-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror'",
                           log) == 0,
                        read_file(log));
  BOOST_REQUIRE_MESSAGE(sh("cmake --build " + build.string(), log) == 0, read_file(log));
  BOOST_REQUIRE_MESSAGE(sh("ctest --test-dir " + build.string(), log) == 0, read_file(log));

  BOOST_TEST(sb.run({"--profile", "pd", "setup", "--port", std::to_string(block.base())}).code ==
             0);
  auto gw = sb.spawn({"--profile", "pd", "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  auto installed =
      sb.run({"--profile", "pd", "plugins", "install", (build / "pager-duty").string()});
  BOOST_REQUIRE_MESSAGE(installed.code == 0, installed.err);
  BOOST_TEST(contains(installed.out, "The running gateway applies it now."));
  std::optional<HttpReply> reply;
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              reply = http_get(block.base(), "/pager-duty");
                              return reply && reply->status == 200;
                            },
                            10s),
                        gw->err());
  BOOST_TEST(json::parse(reply->body).at("plugin").as_string() == "pager-duty");
  auto doctor = sb.run({"--profile", "pd", "plugins", "doctor", "--json"});
  BOOST_TEST(doctor.code == 0, doctor.out);
  BOOST_TEST(contains(doctor.out, "leased by the running gateway"));
  BOOST_TEST(sb.run({"--profile", "pd", "plugins", "remove", "pager-duty"}).code == 0);
  BOOST_REQUIRE(poll_until(
      [&] {
        auto r = http_get(block.base(), "/pager-duty");
        return r && r->status == 404;
      },
      10s));
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()
