// SDK 2 as a plugin author meets it: answers given later, registrations the host owns and
// revokes, the caller's identity, and ports leased at run time.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "gateway/client.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
using openclaw::gateway::Client;
using openclaw::gateway::ClientOptions;
using openclaw::gateway::GatewayError;
namespace json = boost::json;

namespace {

// One profile `p` with the given fixtures installed, its gateway running.
struct Instance {
  Sandbox sb;
  PortBlock block{400};
  std::unique_ptr<Child> gw;

  explicit Instance(const std::vector<std::string>& fixtures) {
    sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block, 240);
    BOOST_REQUIRE(
        sb.run({"--profile", "p", "config", "set", "gateway.port", std::to_string(block.base())})
            .code == 0);
    for (const auto& f : fixtures) install_fixture(f, sb.home() / ".openclaw-p" / "plugins" / f);
    gw = sb.spawn({"--profile", "p", "gateway"});
    BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  }
  ~Instance() {
    if (gw && gw->running()) gw->stop(SIGTERM);
  }
  ClientOptions options() const {
    ClientOptions o;
    o.url = "ws://127.0.0.1:" + std::to_string(block.base());
    return o;
  }
};

json::value next_frame(Client& c) {
  return json::parse(value_of(c.read_text()));
}

std::string error_code_of(Client& c, const std::string& method, const json::value& params = {}) {
  try {
    c.call(method, params);
  } catch (const GatewayError& e) {
    return e.code + ": " + e.what();
  }
  return "answered";
}

// Every lease of the registry in `sb`, as it lists them: (port, "profile/name").
std::vector<std::pair<int, std::string>> registry_leases(const Sandbox& sb) {
  auto r = sb.run({"ports", "--all", "--json"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  std::vector<std::pair<int, std::string>> out;
  const json::value all = json::parse(r.out);  // kept: the loop below refers into it
  for (const auto& inst : all.at("instances").as_array()) {
    std::string profile =
        inst.at("profile").is_null() ? "-" : std::string(inst.at("profile").as_string());
    for (const auto& l : inst.at("leases").as_array()) {
      out.emplace_back(static_cast<int>(l.at("port").as_int64()),
                       profile + "/" + std::string(l.at("name").as_string()));
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_async)

BOOST_AUTO_TEST_CASE(a_deferred_answer_lets_100_other_requests_on_the_connection_complete) {
  Instance inst({"ok"});
  Client c(inst.options());
  c.send_text(R"({"type":"req","id":"late","method":"fixture-ok.later","params":{"ms":400}})");
  for (int i = 0; i < 100; ++i) {
    c.send_text(R"({"type":"req","id":"h)" + std::to_string(i) + R"(","method":"health"})");
  }
  int health_before_late = 0;
  std::optional<json::value> late;
  while (!late) {
    auto frame = next_frame(c);
    if (frame.at("type") != "res") continue;
    if (frame.at("id") == "late") {
      late = frame;
    } else {
      BOOST_TEST(frame.at("ok").as_bool());
      ++health_before_late;
    }
  }
  BOOST_TEST(health_before_late == 100);
  BOOST_TEST(late->at("ok").as_bool());
  BOOST_TEST(late->at("payload").at("late").as_bool());
  BOOST_TEST(late->at("payload").at("ms").as_int64() == 400);
}

BOOST_AUTO_TEST_CASE(a_handler_that_never_answers_times_out_and_the_gateway_keeps_serving) {
  Instance inst({"ok"});
  Client c(inst.options());
  auto code = error_code_of(c, "fixture-ok.never");
  BOOST_TEST(contains(code, "TIMEOUT: fixture-ok.never did not answer within 300 ms"), code);
  BOOST_TEST(c.call("health").at("ok").as_bool());
  // A responder dropped without an answer answers for itself.
  auto dropped = error_code_of(c, "fixture-ok.drop");
  BOOST_TEST(contains(dropped, "INTERNAL: the method handler dropped the request"), dropped);
  // An HTTP route answers later too.
  auto later = must_get(inst.block.base(), "/fixture-ok/later");
  BOOST_TEST(later.status == 200);
  BOOST_TEST(later.body == R"({"late":true})");
}

BOOST_AUTO_TEST_CASE(a_handler_learns_its_plugin_id_and_the_caller) {
  Instance inst({"ok"});
  Client c(inst.options());
  auto who = c.call("fixture-ok.whoami");
  BOOST_TEST(who.at("plugin").as_string() == "fixture-ok");
  BOOST_TEST(who.at("connId") == c.hello().at("server").at("connId"));
  BOOST_TEST(who.at("client").as_string() == "cli");
  BOOST_TEST(who.at("role").as_string() == "operator");
}

BOOST_AUTO_TEST_CASE(a_plugin_that_throws_in_start_leaves_no_method_route_or_subscription) {
  Instance inst({"throws", "channel"});
  Client c(inst.options());
  for (const auto& m : c.hello().at("features").at("methods").as_array()) {
    BOOST_TEST(m.as_string() != "fixture-throws.echo");
  }
  auto code = error_code_of(c, "fixture-throws.echo");
  BOOST_TEST(contains(code, "INVALID_REQUEST: unknown method: fixture-throws.echo"), code);
  BOOST_TEST(must_get(inst.block.base(), "/fixture-throws").status == 404);
  // A message out reaches the channel, whose echo comes back; the failed plugin's subscription
  // (which would answer "leaked" first, synchronously) is gone.
  c.send_text(
      R"({"type":"req","id":"s","method":"send","params":{"channel":"fixture-channel","to":"me","text":"hi"}})");
  std::vector<std::string> chat;
  while (std::find(chat.begin(), chat.end(), "echo: hi") == chat.end()) {
    auto frame = next_frame(c);
    if (frame.at("type") == "event" && frame.at("event") == "chat") {
      chat.emplace_back(frame.at("payload").at("text").as_string());
    }
  }
  for (const auto& text : chat) BOOST_TEST(!contains(text, "leaked"), text);
}

BOOST_AUTO_TEST_CASE(stopping_with_requests_in_flight_answers_them_and_exits_0) {
  Instance inst({"ok"});
  Client c(inst.options());
  c.send_text(R"({"type":"req","id":"slow","method":"fixture-ok.later","params":{"ms":20000}})");
  BOOST_TEST(c.call("health").at("ok").as_bool());  // the slow call is in flight now
  ::kill(inst.gw->pid(), SIGTERM);
  std::optional<json::value> answer;
  while (auto text = c.read_text()) {
    auto frame = json::parse(*text);
    if (frame.at("type") == "res" && frame.at("id") == "slow") answer = frame;
  }
  BOOST_TEST_REQUIRE(answer.has_value());
  BOOST_TEST(!answer->at("ok").as_bool());
  BOOST_TEST(answer->at("error").at("code").as_string() == "UNAVAILABLE");
  BOOST_TEST(contains(std::string(answer->at("error").at("message").as_string()),
                      "plugin fixture-ok stopped"));
  BOOST_TEST(inst.gw->wait() == std::optional<int>(0), inst.gw->err());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plugin_ports_runtime)

BOOST_AUTO_TEST_CASE(a_port_leased_at_run_time_is_in_the_registry_until_released) {
  Instance inst({"ok"});
  Client c(inst.options());
  auto leased = c.call("fixture-ok.lease", json::object{{"name", "extra"}});
  const int port = static_cast<int>(leased.at("port").as_int64());
  BOOST_TEST(leased.at("same").as_bool());
  BOOST_TEST(port >= inst.block.base() + 240);
  BOOST_TEST(port < inst.block.base() + 400);
  auto leases = registry_leases(inst.sb);
  BOOST_TEST((std::find(leases.begin(), leases.end(),
                        std::make_pair(port, std::string("p/fixture-ok.extra"))) != leases.end()));

  // A port another instance holds is refused, naming it.
  PortBlock other;
  auto b = inst.sb.spawn({"--profile", "b", "gateway", "--port", std::to_string(other.base())});
  BOOST_REQUIRE_MESSAGE(b->wait_for_output("gateway ready"), b->err());
  auto refused = error_code_of(c, "fixture-ok.lease",
                               json::object{{"name", "theirs"}, {"port", other.base()}});
  BOOST_TEST(contains(refused, "port " + std::to_string(other.base()) +
                                   " (fixture-ok.theirs) is held by profile \"b\""),
             refused);
  BOOST_TEST(b->stop(SIGTERM) == std::optional<int>(0));

  BOOST_TEST(
      c.call("fixture-ok.release", json::object{{"name", "extra"}}).at("released").as_bool());
  for (const auto& [p, who] : registry_leases(inst.sb)) BOOST_TEST(p != port, who);
  BOOST_TEST(
      !c.call("fixture-ok.release", json::object{{"name", "extra"}}).at("released").as_bool());
}

BOOST_AUTO_TEST_CASE(a_plugin_sees_the_machines_live_instances) {
  Instance inst({"ok"});
  Client c(inst.options());
  PortBlock other;
  auto b = inst.sb.spawn({"--profile", "b", "gateway", "--port", std::to_string(other.base())});
  BOOST_REQUIRE_MESSAGE(b->wait_for_output("gateway ready"), b->err());
  auto v = c.call("fixture-ok.instances", json::object{{"port", other.base() + 4}});
  std::map<std::string, json::object> by_profile;
  for (const auto& i : v.at("instances").as_array()) {
    by_profile[std::string(i.at("profile").as_string())] = i.as_object();
  }
  BOOST_TEST_REQUIRE(by_profile.size() == 2u);
  BOOST_TEST(by_profile["p"].at("self").as_bool());
  BOOST_TEST(by_profile["p"].at("pid").as_int64() == inst.gw->pid());
  BOOST_TEST(!by_profile["b"].at("self").as_bool());
  BOOST_TEST(by_profile["b"].at("pid").as_int64() == b->pid());
  BOOST_TEST(by_profile["b"].at("base").as_int64() == other.base());
  BOOST_TEST(by_profile["b"].at("answers").as_bool());
  BOOST_TEST(v.at("holder").at("profile").as_string() == "b");
  BOOST_TEST(v.at("holder").at("name").as_string() == "canvas");
  BOOST_TEST(v.at("unknown").as_bool());
  // Once b is gone, it is no longer listed.
  BOOST_TEST(b->stop(SIGTERM) == std::optional<int>(0));
  auto after = c.call("fixture-ok.instances", json::object{{"port", other.base() + 4}});
  BOOST_TEST(after.at("instances").as_array().size() == 1u);
  BOOST_TEST(after.at("holder").is_null());
}

BOOST_AUTO_TEST_CASE(thirty_plugins_with_a_port_each_in_two_instances_never_share_one) {
  Sandbox sb;
  PortBlock block(400);
  // Two instances side by side, one pool of "any free port" ports for both.
  sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block, 240);
  std::vector<std::unique_ptr<Child>> gateways;
  for (const auto& [profile, base] :
       std::map<std::string, int>{{"a", block.base()}, {"b", block.base() + 120}}) {
    json::object entries;
    const fs::path plugins = sb.home() / (".openclaw-" + profile) / "plugins";
    for (int i = 0; i < 30; ++i) {
      const std::string id = "fixture-p" + std::to_string(i);
      install_fixture("ports", plugins / id);
      write_file(plugins / id / "openclaw.plugin.json",
                 R"({"id":")" + id + R"(","kind":"other","version":"1","apiVersion":4})");
      entries[id] = json::object{{"config", json::object{{"name", id + ".main"}}}};
    }
    const fs::path config = sb.home() / (".openclaw-" + profile) / "openclaw.json";
    write_file(config,
               json::serialize(json::object{{"gateway", json::object{{"port", base}}},
                                            {"plugins", json::object{{"entries", entries}}}}));
    fs::permissions(config, fs::perms(0600));
    gateways.push_back(sb.spawn({"--profile", profile, "gateway"}));
    BOOST_REQUIRE_MESSAGE(gateways.back()->wait_for_output("gateway ready"),
                          gateways.back()->err());
  }
  auto leases = registry_leases(sb);
  std::set<int> plugin_ports_seen;
  for (const auto& [port, who] : leases) {
    if (!contains(who, "/fixture-p")) continue;
    plugin_ports_seen.insert(port);
    BOOST_TEST(port >= block.base() + 240, who);
  }
  // 60 plugin leases on 60 distinct ports.
  int plugin_leases = 0;
  for (const auto& [port, who] : leases) plugin_leases += contains(who, "/fixture-p") ? 1 : 0;
  BOOST_TEST(plugin_leases == 60);
  BOOST_TEST(plugin_ports_seen.size() == 60u);
  for (auto& g : gateways) {
    BOOST_TEST(!contains(g->err(), "[error]"), g->err());
    BOOST_TEST(g->stop(SIGTERM) == std::optional<int>(0));
  }
}

BOOST_AUTO_TEST_SUITE_END()
