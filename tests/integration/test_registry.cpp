// Real gateways in real processes: leases, conflicts, races, crashes.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

void set_port(const Sandbox& sb, const std::string& profile, int port) {
  auto r = sb.run({"--profile", profile, "config", "set", "gateway.port", std::to_string(port)});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
}

// Starts `--profile P gateway` and waits for its ready line.
std::unique_ptr<Child> start_gateway(const Sandbox& sb, const std::string& profile,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--profile", profile, "gateway"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto child = sb.spawn(args);
  BOOST_REQUIRE_MESSAGE(child->wait_for_output("gateway ready"),
                        "gateway did not start: " + child->err());
  return child;
}

json::value ports_all(const Sandbox& sb) {
  auto r = sb.run({"ports", "--all", "--json"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

std::map<std::string, int> leased(const Sandbox& sb, const std::string& profile) {
  auto r = sb.run({"--profile", profile, "ports", "--json"});
  std::map<std::string, int> out;
  json::value v = json::parse(r.out);
  for (const auto& p : v.at("ports").as_array()) {
    if (p.at("state").as_string() == "leased") {
      out[std::string(p.at("name").as_string())] = static_cast<int>(p.at("port").as_int64());
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_lifecycle)

BOOST_AUTO_TEST_CASE(gateway_serves_health_holds_leases_and_releases_on_sigint) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "rescue", block.base());
  auto gw = start_gateway(sb, "rescue");
  auto health = http_get(block.base(), "/health");
  BOOST_REQUIRE(health);
  BOOST_TEST(health->status == 200);
  BOOST_TEST(json::parse(health->body) == json::parse(R"({"ok":true,"status":"live"})"));
  BOOST_TEST(must_get(block.base(), "/healthz").status == 200);
  BOOST_TEST(must_get(block.base(), "/nope").status == 404);

  auto status = sb.run({"--profile", "rescue", "status", "--json"});
  BOOST_TEST(status.code == 0, status.err);
  auto sv = json::parse(status.out);
  BOOST_TEST(sv.at("running").as_bool());
  BOOST_TEST(sv.at("pid").as_int64() == gw->pid());

  auto held = leased(sb, "rescue");
  BOOST_TEST(held.size() == 5u);
  BOOST_TEST(held["gateway"] == block.base());
  BOOST_TEST(held["browser.control"] == block.base() + 2);
  BOOST_TEST(held["canvas"] == block.base() + 4);
  BOOST_TEST(held["browser.cdp.openclaw"] == block.base() + 11);

  BOOST_TEST(gw->stop(SIGINT) == std::optional<int>(0));
  BOOST_TEST(!port_accepts(block.base()));
  BOOST_TEST(ports_all(sb).at("instances").as_array().empty());
  BOOST_TEST(!fs::exists(sb.home() / ".openclaw-rescue" / "gateway.json"));
  BOOST_TEST(sb.run({"--profile", "rescue", "status"}).code == 3);
}

BOOST_AUTO_TEST_CASE(sigterm_also_stops_cleanly) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "main", block.base());
  auto gw = start_gateway(sb, "main");
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  BOOST_TEST(ports_all(sb).at("instances").as_array().empty());
}

BOOST_AUTO_TEST_CASE(second_gateway_on_one_state_dir_fails_naming_the_pid) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "main", block.base());
  auto gw = start_gateway(sb, "main");
  auto second = sb.run({"--profile", "main", "gateway"});
  BOOST_TEST(second.code == 2);
  BOOST_TEST(contains(second.err, "pid " + std::to_string(gw->pid())), second.err);
  BOOST_TEST(contains(second.err, "one gateway per state dir"), second.err);
  BOOST_TEST(gw->running());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(range_ports_are_stable_across_restarts) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "main", block.base());
  {
    auto gw = start_gateway(sb, "main");
    BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  }
  // Remembered in the state dir, not the config (OpenClaw's schema has no "ports" key).
  std::string remembered = read_file(sb.home() / ".openclaw-main" / "ports-assigned.json");
  BOOST_TEST(contains(remembered, "\"browser.cdp.openclaw\": " + std::to_string(block.base() + 11)),
             remembered);
  BOOST_TEST(!contains(read_file(sb.home() / ".openclaw-main" / "openclaw.json"), "\"ports\""));
  // The remembered port is taken again while free...
  {
    auto gw = start_gateway(sb, "main");
    BOOST_TEST(leased(sb, "main")["browser.cdp.openclaw"] == block.base() + 11);
    BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
  }
  // ...and skipped (not refused) when another program holds it.
  Listener busy(block.base() + 11);
  BOOST_REQUIRE(busy.ok());
  auto gw = start_gateway(sb, "main");
  BOOST_TEST(leased(sb, "main")["browser.cdp.openclaw"] == block.base() + 12);
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_conflicts)

BOOST_AUTO_TEST_CASE(main_and_rescue_with_overlapping_ranges_never_share_a_port) {
  Sandbox sb;
  PortBlock block(200);
  // 60 apart: rescue's CDP range (base + 11 .. base + 110) covers main's fixed ports.
  set_port(sb, "rescue", block.base());
  set_port(sb, "main", block.base() + 60);
  auto main = start_gateway(sb, "main");
  auto rescue = start_gateway(sb, "rescue");
  auto a = leased(sb, "main");
  auto b = leased(sb, "rescue");
  BOOST_TEST(a.size() == 5u);
  BOOST_TEST(b.size() == 5u);
  std::set<int> all;
  for (const auto& [k, v] : a) all.insert(v);
  for (const auto& [k, v] : b) all.insert(v);
  BOOST_TEST(all.size() == 10u);  // no port granted twice
  BOOST_TEST(must_get(block.base(), "/health").status == 200);
  BOOST_TEST(must_get(block.base() + 60, "/health").status == 200);
  BOOST_TEST(main->stop(SIGTERM) == std::optional<int>(0));
  BOOST_TEST(rescue->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(fixed_port_collision_is_refused_naming_the_other_instance) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "main", block.base() + 10);
  set_port(sb, "rescue", block.base() + 8);  // rescue's browser control (+2) = main's gateway
  auto main = start_gateway(sb, "main");
  auto r = sb.run({"--profile", "rescue", "gateway"});
  BOOST_TEST(r.code == 2);
  std::string expected = "openclaw-host: error: port " + std::to_string(block.base() + 10) +
                         " (browser.control) is held by profile \"main\" (pid " +
                         std::to_string(main->pid()) + ", ~/.openclaw-main)\n";
  BOOST_TEST(r.err == expected);
  BOOST_TEST(main->running());
  BOOST_TEST(main->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(port_held_by_a_plain_socket_is_refused_naming_the_program) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "main", block.base());
  Listener busy(block.base() + 4);
  BOOST_REQUIRE(busy.ok());
  auto r = sb.run({"--profile", "main", "gateway"});
  BOOST_TEST(r.code == 2);
  BOOST_TEST(contains(r.err, "port " + std::to_string(block.base() + 4) +
                                 " (canvas) is in use by another program (pid " +
                                 std::to_string(::getpid()) + ": "),
             r.err);
  auto plan = sb.run({"--profile", "main", "ports"});
  BOOST_TEST(contains(plan.out, "in use by another program"), plan.out);
  BOOST_TEST(ports_all(sb).at("instances").as_array().empty());
}

BOOST_AUTO_TEST_CASE(kill_9_never_blocks_the_next_start) {
  Sandbox sb;
  PortBlock block;
  set_port(sb, "main", block.base());
  auto gw = start_gateway(sb, "main");
  int dead_pid = gw->pid();
  BOOST_TEST(gw->stop(SIGKILL) == std::optional<int>(128 + SIGKILL));
  // The lease of the dead process is still on file, marked stale...
  auto all = ports_all(sb);
  BOOST_REQUIRE(all.at("instances").as_array().size() == 1u);
  BOOST_TEST(all.at("instances").at(0).at("pid").as_int64() == dead_pid);
  BOOST_TEST(all.at("instances").at(0).at("stale").as_bool());
  // ...and status knows it is not running.
  BOOST_TEST(sb.run({"--profile", "main", "status"}).code == 3);
  auto again = start_gateway(sb, "main");
  BOOST_TEST(must_get(block.base(), "/health").status == 200);
  BOOST_TEST(again->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_races)

BOOST_AUTO_TEST_CASE(sixteen_processes_racing_for_overlapping_plans_never_share_a_port) {
  Sandbox sb;
  PortBlock block(140);
  constexpr int kRacers = 16;
  // Bases 0, 2, 4, ... apart: every plan overlaps its neighbours' fixed ports and CDP ranges.
  for (int i = 0; i < kRacers; ++i) set_port(sb, "r" + std::to_string(i), block.base() + 2 * i);
  std::vector<std::unique_ptr<Child>> racers;
  for (int i = 0; i < kRacers; ++i)
    racers.push_back(sb.spawn({"--profile", "r" + std::to_string(i), "gateway"}));

  std::vector<int> winners;
  for (int i = 0; i < kRacers; ++i) {
    auto& c = racers[static_cast<size_t>(i)];
    // Each racer either becomes ready or exits with the conflict code.
    c->wait_for_output("gateway ready");
    if (c->running()) {
      winners.push_back(i);
    } else {
      BOOST_TEST(c->wait() == std::optional<int>(2), c->err());
      BOOST_TEST((contains(c->err(), "is held by profile \"r") ||
                  contains(c->err(), "is in use by another program")),
                 c->err());
    }
  }
  BOOST_TEST_MESSAGE("racers that won: " << winners.size() << " of " << kRacers);
  BOOST_TEST(!winners.empty());
  BOOST_TEST(winners.size() < static_cast<size_t>(kRacers));  // the plans overlap: some must lose

  // The store is intact and no port is granted twice.
  auto all = ports_all(sb);
  auto& instances = all.at("instances").as_array();
  BOOST_TEST(instances.size() == winners.size());
  std::set<int> ports;
  size_t total = 0;
  for (const auto& inst : instances) {
    BOOST_TEST(!inst.at("stale").as_bool());
    for (const auto& l : inst.at("leases").as_array()) {
      ports.insert(static_cast<int>(l.at("port").as_int64()));
      ++total;
    }
  }
  BOOST_TEST(ports.size() == total);
  BOOST_TEST(total == winners.size() * 5);
  for (int w : winners) {
    BOOST_TEST(must_get(block.base() + 2 * w, "/health").status == 200);
  }
  for (int w : winners) {
    BOOST_TEST(racers[static_cast<size_t>(w)]->stop(SIGTERM) == std::optional<int>(0));
  }
  BOOST_TEST(ports_all(sb).at("instances").as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()
