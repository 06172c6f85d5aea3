// The real OpenClaw judges us: npm's openclaw@2026.9.6 on Node 24 (scripts/setup-compat installs
// it; scripts/test-compat runs this suite with OPENCLAW_COMPAT_CLI naming its launcher). A profile
// our host set up, changed and ran must still be one the real OpenClaw validates and starts its
// gateway on; a profile OpenClaw's own onboarding wrote must work with us. Real processes on
// registry-granted ports, each test in its own HOME.
#define BOOST_TEST_MODULE openclaw_compat
#include <signal.h>

#include <cstdlib>

#include <boost/test/unit_test.hpp>

#include "support/harness.hpp"

using namespace openclaw::test;

namespace {

// The real OpenClaw CLI, run to completion in the sandbox's HOME.
struct OpenClaw {
  fs::path cli;
  const Sandbox& sb;
  explicit OpenClaw(const Sandbox& s) : sb(s) {
    const char* p = std::getenv("OPENCLAW_COMPAT_CLI");
    BOOST_REQUIRE_MESSAGE(p && fs::exists(p),
                          "OPENCLAW_COMPAT_CLI does not name the real OpenClaw CLI: run "
                          "scripts/test-compat (it installs it with scripts/setup-compat)");
    cli = p;
  }
  std::map<std::string, std::string> env() const {
    return {{"HOME", sb.home().string()},
            {"PATH", "/usr/local/bin:/usr/bin:/bin"},
            {"TMPDIR", sb.home().string()},
            {"NO_COLOR", "1"}};
  }
  Result run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{cli.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Child c(argv, env(), sb.home());
    Result r;
    auto code = c.wait(180s);
    if (!code) c.stop(SIGKILL);
    r.code = code.value_or(-1);
    r.out = c.out();
    r.err = c.err();
    return r;
  }
  std::unique_ptr<Child> spawn(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{cli.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Child>(argv, env(), sb.home());
  }
};

void run_our_gateway(const Sandbox& sb, const std::string& profile) {
  auto gw = sb.spawn({"--profile", profile, "gateway"});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(openclaw_compat)

// The keys below are the ones OpenClaw's schema accepts where we write them today; the keys of
// ours it does not know yet (channels.irc.sasl, floodBurst, the root canvasHost, ...) are issue
// 23's next step and join this list as they move.
BOOST_AUTO_TEST_CASE(a_profile_we_set_up_changed_and_ran_still_starts_the_real_openclaw) {
  Sandbox sb;
  PortBlock block;
  OpenClaw openclaw(sb);
  auto setup = sb.run({"--profile", "t", "setup", "--port", std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(setup.code == 0, setup.err);
  for (std::vector<std::string> kv : std::vector<std::vector<std::string>>{
           {"gateway.bind", "loopback"},
           {"gateway.controlUi.allowedOrigins", R"(["https://ui.example.org"])"},
           {"browser.enabled", "true"},
           {"agents.defaults.workspace", (sb.home() / "work").string()},
           {"plugins.entries.rescue.config.watch", R"(["main"])"},
           {"plugins.entries.rescue.config.intervalMs", "500"}}) {
    auto r = sb.run({"--profile", "t", "config", "set", kv[0], kv[1]});
    BOOST_REQUIRE_MESSAGE(r.code == 0, kv[0] + ": " + r.err);
  }
  run_our_gateway(sb, "t");  // it remembers its browser's CDP port: in the state dir

  auto valid = openclaw.run({"--profile", "t", "config", "validate"});
  BOOST_TEST(valid.code == 0, valid.out + valid.err);
  BOOST_TEST(contains(valid.out + valid.err, "Config valid"), valid.out + valid.err);

  // The real gateway starts on it, on the profile's port.
  auto gw = openclaw.spawn({"--profile", "t", "gateway"});
  BOOST_TEST(poll_until([&] { return contains(gw->out() + gw->err(), "[gateway] ready"); }, 150s),
             gw->out() + gw->err());
  BOOST_TEST(port_accepts(block.base()));
  gw->stop(SIGTERM, 30s);
}

// And the other way round: what OpenClaw's own onboarding writes, we read, serve and leave
// valid for it.
BOOST_AUTO_TEST_CASE(a_profile_openclaws_onboarding_wrote_works_with_us) {
  Sandbox sb;
  PortBlock block;
  OpenClaw openclaw(sb);
  auto onboard =
      openclaw.run({"--profile", "u", "onboard", "--non-interactive", "--accept-risk", "--mode",
                    "local", "--skip-health", "--gateway-port", std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(onboard.code == 0, onboard.out + onboard.err);
  auto ours = sb.run({"--profile", "u", "config", "validate"});
  BOOST_TEST(ours.code == 0, ours.out + ours.err);
  run_our_gateway(sb, "u");
  auto valid = openclaw.run({"--profile", "u", "config", "validate"});
  BOOST_TEST(valid.code == 0, valid.out + valid.err);
}

BOOST_AUTO_TEST_SUITE_END()
