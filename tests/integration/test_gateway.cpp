// The gateway as OpenClaw's CLI and apps see it: the WebSocket protocol of the recorded trace,
// HTTP endpoints, the status page in a real headless Chromium, live status and health.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>

#include "core/error.hpp"
#include "gateway/client.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
using openclaw::gateway::Client;
using openclaw::gateway::ClientOptions;
using openclaw::gateway::GatewayError;
namespace json = boost::json;

namespace {

// One profile with a token, the well-behaved and the channel fixture plugins, and its gateway.
struct Gateway {
  Sandbox sb;
  PortBlock block;
  std::string profile;
  std::unique_ptr<Child> child;
  std::chrono::steady_clock::time_point spawned;

  explicit Gateway(std::string p = "main", const std::string& token = "t-main")
      : profile(std::move(p)) {
    run({"config", "set", "gateway.port", std::to_string(block.base())});
    if (!token.empty()) run({"config", "set", "gateway.auth.token", token, "--string"});
    sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block);
    auto plugins = sb.home() / (".openclaw-" + profile) / "plugins";
    install_fixture("ok", plugins / "ok");
    install_fixture("channel", plugins / "channel");
    spawned = std::chrono::steady_clock::now();
    child = sb.spawn({"--profile", profile, "gateway"});
    BOOST_REQUIRE_MESSAGE(child->wait_for_output("gateway ready"),
                          "gateway did not start: " + child->err());
  }
  ~Gateway() {
    if (child && child->running()) child->stop(SIGTERM);
  }
  Result run(std::vector<std::string> args,
             const std::map<std::string, std::string>& env = {}) const {
    args.insert(args.begin(), {"--profile", profile});
    auto r = sb.run(args, env);
    return r;
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(block.base()); }
  ClientOptions options(std::optional<std::string> token = std::string("t-main")) const {
    ClientOptions o;
    o.url = url();
    o.token = std::move(token);
    return o;
  }
};

json::value parse(const std::string& s) {
  return json::parse(s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_protocol)

BOOST_AUTO_TEST_CASE(handshake_has_the_shapes_of_the_recorded_trace) {
  Gateway gw;
  ClientOptions raw = gw.options();
  raw.handshake = false;
  Client c(raw);
  // S>C connect.challenge
  auto challenge = parse(value_of(c.read_text()));
  BOOST_TEST(challenge.at("type").as_string() == "event");
  BOOST_TEST(challenge.at("event").as_string() == "connect.challenge");
  BOOST_TEST(challenge.at("payload").at("nonce").as_string().size() == 36u);
  BOOST_TEST(challenge.at("payload").at("ts").is_int64());
  // C>S connect, byte for byte as the OpenClaw 2026.9.6 CLI sends it
  c.send_text(
      R"({"type":"req","id":"1:3dc5cc7b-d8fb-466f-ab2f-f59670819763","method":"connect","params":{"minProtocol":4,"maxProtocol":4,"client":{"id":"cli","version":"2026.9.6","platform":"linux","deviceFamily":"Linux","mode":"cli","instanceId":"e28f8edc-9b17-4a5f-84f2-7b2ece4091fe"},"caps":[],"auth":{"token":"t-main"},"role":"operator","scopes":["operator.read"]}})");
  auto hello = parse(value_of(c.read_text()));
  BOOST_TEST(hello.at("type").as_string() == "res");
  BOOST_TEST(hello.at("id").as_string() == "1:3dc5cc7b-d8fb-466f-ab2f-f59670819763");
  BOOST_TEST(hello.at("ok").as_bool());
  const auto& p = hello.at("payload");
  BOOST_TEST(p.at("type").as_string() == "hello-ok");
  BOOST_TEST(p.at("protocol").as_int64() == 4);
  BOOST_TEST(p.at("server").at("version").is_string());
  BOOST_TEST(p.at("server").at("connId").as_string().size() == 36u);
  std::set<std::string> methods, events;
  for (const auto& m : p.at("features").at("methods").as_array())
    methods.insert(std::string(m.as_string()));
  for (const auto& e : p.at("features").at("events").as_array())
    events.insert(std::string(e.as_string()));
  for (const char* m : {"health", "status", "ports.list", "plugins.list", "channels.status", "send",
                        "config.get", "fixture-ok.echo"}) {
    BOOST_TEST(methods.count(m) == 1u, m);
  }
  for (const char* e : {"connect.challenge", "tick", "health", "shutdown", "presence", "chat"}) {
    BOOST_TEST(events.count(e) == 1u, e);
  }
  BOOST_TEST(p.at("snapshot").at("health").at("ok").as_bool());
  // Presence lists the gateway itself; the CLI's own connection is not presence (as in the trace).
  bool self_listed = false, cli_listed = false;
  for (const auto& entry : p.at("snapshot").at("presence").as_array()) {
    const auto& e = entry.as_object();
    if (e.contains("mode") && e.at("mode") == "gateway")
      self_listed = e.at("pid").as_int64() == gw.child->pid();
    if (e.contains("connId") && e.at("connId") == p.at("server").at("connId")) cli_listed = true;
  }
  BOOST_TEST(self_listed);
  BOOST_TEST(!cli_listed);
  BOOST_TEST(p.at("policy").at("maxPayload").as_int64() > 0);
  BOOST_TEST(p.at("auth").at("method").as_string() == "token");
  // C>S health
  c.send_text(R"({"type":"req","id":"2:923c121d-59c2-41e7-8059-94efd3cb14df","method":"health"})");
  std::optional<json::value> health;
  while (auto t = c.read_text()) {
    auto v = parse(*t);
    if (v.at("type").as_string() == "res") {
      health = v;
      break;
    }
  }
  BOOST_REQUIRE(health);
  BOOST_TEST(health->at("id").as_string() == "2:923c121d-59c2-41e7-8059-94efd3cb14df");
  BOOST_TEST(health->at("ok").as_bool());
  BOOST_TEST(health->at("payload").at("ok").as_bool());
  BOOST_TEST(health->at("payload").at("plugins").at("loaded").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_app_client_is_in_presence_and_its_leaving_is_broadcast) {
  Gateway gw;
  Client watcher(gw.options());
  auto join = [&](const std::string& instance) {
    ClientOptions raw = gw.options();
    raw.handshake = false;
    auto c = std::make_unique<Client>(raw);
    value_of(c->read_text());  // connect.challenge
    c->send_text(
        R"({"type":"req","id":"1","method":"connect","params":{"minProtocol":4,"maxProtocol":4,"client":{"id":"webchat","mode":"webchat","instanceId":")" +
        instance + R"("},"auth":{"token":"t-main"}}})");
    auto reply = parse(value_of(c->read_text()));
    return std::make_pair(std::move(c), std::move(reply));
  };
  auto listed = [](const json::value& list, const std::string& instance) {
    for (const auto& e : list.as_array()) {
      if (e.as_object().contains("instanceId") && e.at("instanceId") == json::value(instance))
        return true;
    }
    return false;
  };
  auto [app, hello] = join("app-1");
  BOOST_TEST_REQUIRE(hello.at("ok").as_bool());
  // Its own hello-ok lists it; so does the presence event the other client gets.
  BOOST_TEST(listed(hello.at("payload").at("snapshot").at("presence"), "app-1"));
  BOOST_TEST(hello.at("payload").at("snapshot").at("stateVersion").at("presence").as_int64() >= 1);
  auto presence = watcher.wait_event("presence");
  BOOST_TEST_REQUIRE(presence.has_value());
  BOOST_TEST(listed(*presence, "app-1"));
  // A second app sees the first in its snapshot; once the first leaves, presence says so.
  auto [app2, hello2] = join("app-2");
  BOOST_TEST(listed(hello2.at("payload").at("snapshot").at("presence"), "app-2"));
  app.reset();
  bool gone = false;
  for (int i = 0; i < 5 && !gone; ++i) {
    auto next = watcher.wait_event("presence");
    BOOST_TEST_REQUIRE(next.has_value());
    gone = !listed(*next, "app-1") && listed(*next, "app-2");
  }
  BOOST_TEST(gone);
}

BOOST_AUTO_TEST_CASE(wrong_token_is_refused_as_openclaw_does_and_closed_1008) {
  Gateway gw;
  try {
    Client c(gw.options(std::string("wrong")));
    BOOST_FAIL("connect with a wrong token succeeded");
  } catch (const GatewayError& e) {
    BOOST_TEST(e.code == "INVALID_REQUEST");
    BOOST_TEST(std::string(e.what()) ==
               "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or "
               "pair the device)");
    BOOST_TEST(
        json::serialize(e.details) ==
        R"({"code":"AUTH_TOKEN_MISMATCH","authReason":"token_mismatch","canRetryWithDeviceToken":false,"recommendedNextStep":"update_auth_credentials"})");
  }
  // And the socket is closed with 1008 and the message as reason.
  ClientOptions raw = gw.options();
  raw.handshake = false;
  Client c(raw);
  c.read_text();
  c.send_text(
      R"({"type":"req","id":"1","method":"connect","params":{"minProtocol":4,"maxProtocol":4,"auth":{"token":"wrong"}}})");
  auto res = parse(value_of(c.read_text()));
  BOOST_TEST(!res.at("ok").as_bool());
  BOOST_TEST(!c.read_text().has_value());
  BOOST_TEST(c.close_code() == 1008);
  BOOST_TEST(contains(c.close_reason(), "unauthorized: gateway token mismatch"));
  // A missing token is named as such.
  try {
    Client none(gw.options(std::nullopt));
    BOOST_FAIL("connect without a token succeeded");
  } catch (const GatewayError& e) {
    BOOST_TEST(e.details.at("code").as_string() == "AUTH_TOKEN_MISSING");
  }
}

BOOST_AUTO_TEST_CASE(connect_must_come_first_and_protocol_must_match) {
  Gateway gw;
  for (
      const std::string& frame :
      {std::string(R"({"type":"req","id":"1","method":"health"})"),
       std::string(
           R"({"type":"req","id":"1","method":"connect","params":{"minProtocol":5,"maxProtocol":6}})"),
       std::string("this is not json")}) {
    ClientOptions raw = gw.options();
    raw.handshake = false;
    Client c(raw);
    c.read_text();
    c.send_text(frame);
    auto res = parse(value_of(c.read_text()));
    BOOST_TEST(!res.at("ok").as_bool(), frame);
    BOOST_TEST(res.at("error").at("code").as_string() == "INVALID_REQUEST");
    BOOST_TEST(!c.read_text().has_value());
    BOOST_TEST(c.close_code() == 1008, frame);
  }
  ClientOptions raw = gw.options();
  raw.handshake = false;
  Client c(raw);
  c.read_text();
  c.send_text(
      R"({"type":"req","id":"1","method":"connect","params":{"minProtocol":5,"maxProtocol":6}})");
  auto res = parse(value_of(c.read_text()));
  BOOST_TEST(res.at("error").at("details").at("code").as_string() == "PROTOCOL_MISMATCH");
}

BOOST_AUTO_TEST_CASE(malformed_frames_get_errors_and_never_crash_the_gateway) {
  Gateway gw;
  Client c(gw.options());
  for (const std::string& frame :
       {std::string("{not json"), std::string("[1,2,3]"),
        std::string(R"({"type":"evt","id":"x","method":"health"})"),
        std::string(R"({"type":"req","id":"","method":"health"})"),
        std::string(R"({"type":"req","id":"x","method":5})"),
        std::string(R"({"type":"req","id":"x","method":"health","params":[1]})"),
        std::string(R"({"type":"req","id":"x","method":"no.such.method"})"), std::string("\"\"")}) {
    c.send_text(frame);
    std::optional<json::value> res;
    while (auto t = c.read_text()) {
      auto v = parse(*t);
      if (v.at("type").as_string() == "res") {
        res = v;
        break;
      }
    }
    BOOST_REQUIRE_MESSAGE(res, frame);
    BOOST_TEST(!res->at("ok").as_bool(), frame);
    BOOST_TEST(res->at("error").at("code").as_string() == "INVALID_REQUEST", frame);
  }
  // Still connected and answering.
  BOOST_TEST(c.call("health").at("ok").as_bool());
  // A 10 MB frame exceeds the advertised maxPayload: an error response, then a 1009 close.
  std::size_t max_payload =
      static_cast<std::size_t>(c.hello().at("policy").at("maxPayload").as_int64());
  BOOST_TEST(max_payload < 10u * 1024 * 1024);
  std::string huge = R"({"type":"req","id":"big","method":"health","params":{"x":")" +
                     std::string(10 * 1024 * 1024, 'a') + "\"}}";
  c.send_text(huge);
  std::optional<json::value> too_big;
  while (auto t = c.read_text()) {
    auto v = parse(*t);
    if (v.at("type").as_string() == "res") too_big = v;
  }
  BOOST_REQUIRE(too_big);
  BOOST_TEST(too_big->at("error").at("details").at("code").as_string() == "PAYLOAD_TOO_LARGE");
  BOOST_TEST(c.close_code() == 1009);
  Client again(gw.options());
  BOOST_TEST(again.call("health").at("ok").as_bool());
  BOOST_TEST(gw.child->running());
}

BOOST_AUTO_TEST_CASE(methods_answer_and_secrets_stay_hidden) {
  Gateway gw;
  Client c(gw.options());
  auto status = c.call("status");
  BOOST_TEST(status.at("profile").as_string() == "main");
  BOOST_TEST(status.at("pid").as_int64() == gw.child->pid());
  BOOST_TEST(status.at("ports").at("gateway").as_int64() == gw.block.base());
  auto ports = c.call("ports.list").at("ports").as_array();
  BOOST_TEST(ports.size() == 6u);  // 5 derived + fixture-ok.http
  auto plugins = c.call("plugins.list").at("plugins").as_array();
  BOOST_TEST(plugins.size() == 2u);
  auto channels = c.call("channels.status");
  BOOST_TEST(channels.at("channels").at("fixture-channel").at("state").as_string() == "running");
  auto cfg = c.call("config.get");
  BOOST_TEST(cfg.at("config").at("gateway").at("auth").at("token").as_string() ==
             "__OPENCLAW_REDACTED__");
  BOOST_TEST(!contains(json::serialize(cfg), "t-main"));
  BOOST_TEST(c.call("fixture-ok.echo", json::object{{"a", 1}}).at("a").as_int64() == 1);
  try {
    c.call("fixture-ok.refuse", json::object{{"b", 2}});
    BOOST_FAIL("a refusing method answered ok");
  } catch (const GatewayError& e) {
    BOOST_TEST(e.code == "INVALID_REQUEST");
    BOOST_TEST(std::string(e.what()) == "no params wanted");
  }
  try {
    c.call("send", json::object{{"channel", "telegram"}, {"to", "me"}, {"text", "hi"}});
    BOOST_FAIL("send to a channel that is not installed succeeded");
  } catch (const GatewayError& e) {
    BOOST_TEST(e.code == "UNAVAILABLE");
    BOOST_TEST(std::string(e.what()) == "channel telegram is not running");
  }
  try {
    c.call("send", json::object{{"channel", "fixture-channel"}});
    BOOST_FAIL("send without text succeeded");
  } catch (const GatewayError& e) {
    BOOST_TEST(e.code == "INVALID_REQUEST");
  }
}

BOOST_AUTO_TEST_CASE(send_through_a_channel_emits_chat_events) {
  Gateway gw;
  Client c(gw.options());
  c.send_text(
      R"({"type":"req","id":"s1","method":"send","params":{"channel":"fixture-channel","to":"owner","text":"are you there?"}})");
  // The response and two chat events (out, then the channel's answer), in whatever order.
  std::optional<json::value> res, out, in;
  while (!(res && out && in)) {
    auto t = c.read_text();
    BOOST_REQUIRE_MESSAGE(t, "connection ended before the chat events");
    auto v = parse(*t);
    if (v.at("type").as_string() == "res") res = v;
    if (v.at("type").as_string() == "event" && v.at("event").as_string() == "chat") {
      (v.at("payload").at("direction").as_string() == "out" ? out : in) = v.at("payload");
    }
  }
  BOOST_TEST(res->at("ok").as_bool());
  BOOST_TEST(out->at("text").as_string() == "are you there?");
  BOOST_TEST(in->at("peer").as_string() == "owner");
  BOOST_TEST(in->at("text").as_string() == "echo: are you there?");
  BOOST_TEST(in->at("channel").as_string() == "fixture-channel");
}

// OpenClaw's send params: `message`, `accountId`, `idempotencyKey`. A retry with the same key is
// the same send (the first answer again), another key is another send.
BOOST_AUTO_TEST_CASE(send_takes_openclaws_params_and_answers_a_retry_with_the_first_answer) {
  Gateway gw;
  Client c(gw.options());
  json::object p{{"channel", "fixture-channel"},
                 {"to", "owner"},
                 {"message", "once only"},
                 {"accountId", "default"},
                 {"idempotencyKey", "key-1"}};
  json::value first = c.call("send", p);
  json::value again = c.call("send", p);
  BOOST_TEST(first.at("runId").as_string() == "key-1");
  BOOST_TEST(json::serialize(first.at("messageId")) == json::serialize(again.at("messageId")));
  p["idempotencyKey"] = "key-2";
  json::value other = c.call("send", p);
  BOOST_TEST(json::serialize(other.at("messageId")) != json::serialize(first.at("messageId")));
  try {
    c.call("send", json::object{{"channel", "fixture-channel"}, {"message", "to nobody"}});
    BOOST_FAIL("a send without `to` was accepted");
  } catch (const GatewayError& e) {
    BOOST_TEST(e.code == "INVALID_REQUEST");
    BOOST_TEST(contains(e.what(), "params.to"), e.what());
  }
}

// logs.tail as OpenClaw's `logs` uses it: the tail, then what came since the cursor it gave; a
// cursor past the end (a rotated log) starts over; bad params are refused.
BOOST_AUTO_TEST_CASE(logs_tail_follows_the_gateway_log_with_openclaws_cursor) {
  Gateway gw;
  Client c(gw.options());
  json::value tail = c.call("logs.tail", json::object{{"limit", 50}});
  const auto& lines = tail.at("lines").as_array();
  BOOST_REQUIRE(!lines.empty());
  bool ready = false;
  for (const auto& l : lines) ready = ready || contains(std::string(l.as_string()), "ready in");
  BOOST_TEST(ready, json::serialize(tail));
  BOOST_TEST(tail.at("cursor") == tail.at("size"));
  const fs::path log = gw.sb.home() / ".openclaw-main" / "logs" / "gateway.log";
  BOOST_TEST(tail.at("file").as_string() == log.string());

  json::value none = c.call("logs.tail", json::object{{"cursor", tail.at("cursor")}});
  BOOST_TEST(none.at("lines").as_array().empty(), json::serialize(none));
  {
    std::ofstream out(log, std::ios::app);
    out << "a line another writer appended\n";
  }
  json::value since = c.call("logs.tail", json::object{{"cursor", tail.at("cursor")}});
  BOOST_REQUIRE_EQUAL(since.at("lines").as_array().size(), 1u);
  BOOST_TEST(since.at("lines").at(0).as_string() == "a line another writer appended");
  BOOST_TEST(since.at("reset") == json::value(false));

  json::value past = c.call("logs.tail", json::object{{"cursor", 1 << 30}, {"limit", 1}});
  BOOST_TEST(past.at("reset") == json::value(true), json::serialize(past));
  BOOST_TEST(past.at("lines").as_array().size() == 1u);
  for (const json::object& bad : {json::object{{"limit", 0}}, json::object{{"cursor", "x"}},
                                  json::object{{"maxBytes", -1}}}) {
    try {
      c.call("logs.tail", bad);
      BOOST_FAIL("accepted " << json::serialize(bad));
    } catch (const GatewayError& e) {
      BOOST_TEST(e.code == "INVALID_REQUEST", json::serialize(bad) << ": " << e.what());
    }
  }
}

// The read-only methods OpenClaw's status --all and gateway probe call.
BOOST_AUTO_TEST_CASE(openclaws_read_only_methods_answer_in_its_shapes) {
  Gateway gw;
  Client c(gw.options());
  json::value presence = c.call("system-presence");
  BOOST_REQUIRE(!presence.as_array().empty());
  BOOST_TEST(presence.at(0).at("mode").as_string() == "gateway");
  BOOST_TEST(c.call("last-heartbeat").is_null());
  json::value stability = c.call("diagnostics.stability", json::object{{"limit", 10}});
  bool started = false;
  for (const auto& e : stability.at("events").as_array())
    started = started || e.at("type").as_string() == "gateway.start";
  BOOST_TEST(started, json::serialize(stability));
  BOOST_TEST(c.call("node.list").at("nodes").as_array().empty());
  BOOST_TEST(c.call("cron.list").at("jobs").as_array().empty());
  BOOST_TEST(c.call("usage.cost").at("daily").as_array().empty());
  json::value status = c.call("status");
  BOOST_TEST(status.at("sessions").at("count") == json::value(0));
  BOOST_TEST(status.at("sessions").at("byAgent").as_array().empty());
  json::value health = c.call("health");
  BOOST_TEST(health.at("eventLoop").at("intervalMs") == json::value(100));
  BOOST_TEST(health.at("eventLoop").at("utilization").is_number());
  BOOST_TEST(c.hello().at("policy").at("maxPayload").is_number());
}

BOOST_AUTO_TEST_CASE(sigterm_sends_shutdown_closes_clients_and_exits_0) {
  Gateway gw;
  Client c(gw.options());
  Client watcher(gw.options());
  ::kill(gw.child->pid(), SIGTERM);
  auto shutdown = c.wait_event("shutdown");
  BOOST_REQUIRE(shutdown);
  BOOST_TEST(shutdown->at("reason").as_string() == "gateway stopping");
  while (c.read_text()) {
  }
  BOOST_TEST(c.close_code() == 1001);
  BOOST_TEST(gw.child->wait(std::chrono::seconds(3)) == std::optional<int>(0));
  BOOST_TEST(!port_accepts(gw.block.base()));
  BOOST_TEST(
      json::parse(gw.sb.run({"ports", "--all", "--json"}).out).at("instances").as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gateway_http_and_cli)

BOOST_AUTO_TEST_CASE(http_endpoints_on_the_base_port) {
  Gateway gw;
  BOOST_TEST(parse(must_get(gw.block.base(), "/health").body) ==
             parse(R"({"ok":true,"status":"live"})"));
  BOOST_TEST(parse(must_get(gw.block.base(), "/healthz").body) ==
             parse(R"({"ok":true,"status":"live"})"));
  auto ready = must_get(gw.block.base(), "/ready");
  BOOST_TEST(ready.status == 200);
  BOOST_TEST(parse(ready.body).at("plugins").as_array().size() == 2u);
  auto api = parse(must_get(gw.block.base(), "/api/status").body);
  BOOST_TEST(api.at("profile").as_string() == "main");
  auto page = must_get(gw.block.base(), "/");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(contains(page.body, "<title>openclaw-host gateway</title>"));
  BOOST_TEST(must_get(gw.block.base(), "/missing").status == 404);
}

BOOST_AUTO_TEST_CASE(bad_http_requests_get_clear_errors) {
  Gateway gw;
  auto raw = [&](const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(gw.block.base()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return reply;
  };
  BOOST_TEST(raw("GARBAGE / NOPE\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0u);
  BOOST_TEST(raw("POST /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n")
                 .rfind("HTTP/1.1 413 ", 0) == 0u);
  BOOST_TEST(
      raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n")
          .rfind("HTTP/1.1 431 ", 0) == 0u);
  auto post = raw(
      "POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  BOOST_TEST(post.rfind("HTTP/1.1 405 ", 0) == 0u);
  BOOST_TEST(contains(post, "METHOD_NOT_ALLOWED"));
  BOOST_TEST(must_get(gw.block.base(), "/health").status == 200);
}

BOOST_AUTO_TEST_CASE(status_page_renders_in_headless_chromium) {
  Gateway gw;
  TempDir profile_dir;
  auto dom_file = profile_dir.path() / "dom.html";
  std::string cmd =
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--no-first-run --disable-background-networking --disable-component-update "
      "--disable-sync --user-data-dir=" +
      (profile_dir.path() / "chrome").string() +
      " --virtual-time-budget=5000 --dump-dom http://127.0.0.1:" + std::to_string(gw.block.base()) +
      "/ > " + dom_file.string() + " 2>/dev/null";
  int rc = std::system(cmd.c_str());
  BOOST_REQUIRE_MESSAGE(rc == 0,
                        "chromium failed (exit " << rc << "); is the chromium package installed?");
  std::string dom = read_file(dom_file);
  // Filled in by the page's script from /api/status.
  BOOST_TEST(contains(dom, "data-loaded=\"true\""), dom.substr(0, 400));
  BOOST_TEST(contains(dom, "— profile main"));
  BOOST_TEST(contains(dom, "fixture-ok"));
  BOOST_TEST(contains(dom, "fixture-channel"));
  BOOST_TEST(contains(dom, "<td>" + std::to_string(gw.block.base()) + "</td>"));
  BOOST_TEST(contains(dom, "class=\"state running\""));
}

BOOST_AUTO_TEST_CASE(status_and_health_report_the_live_instance) {
  Gateway gw;
  auto status = gw.run({"status", "--json"});
  BOOST_TEST(status.code == 0, status.err);
  auto v = parse(status.out);
  BOOST_TEST(v.at("running").as_bool());
  BOOST_TEST(v.at("pid").as_int64() == gw.child->pid());
  BOOST_TEST(v.at("version").is_string());
  // Uptime counts from the gateway's start: never more than the time since this test spawned it.
  auto since_spawn = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - gw.spawned)
                         .count();
  BOOST_TEST(v.at("uptimeMs").as_int64() >= 0);
  BOOST_TEST(v.at("uptimeMs").as_int64() <= since_spawn);
  BOOST_TEST(v.at("healthy").as_bool());
  BOOST_TEST(v.at("leasedPorts").at("gateway").at("answers").as_bool());
  BOOST_TEST(!v.at("leasedPorts").at("bridge").at("answers").as_bool());
  BOOST_TEST(v.at("plugins").as_array().size() == 2u);

  auto health = gw.run({"health", "--json"});
  BOOST_TEST(health.code == 0, health.err);
  BOOST_TEST(parse(health.out).at("profile").as_string() == "main");
  auto wrong = gw.run({"health", "--token", "nope"});
  BOOST_TEST(wrong.code == 1);
  BOOST_TEST(contains(wrong.err, "gateway token mismatch"));
  auto env_token = gw.run({"health"}, {{"OPENCLAW_GATEWAY_TOKEN", "t-main"}});
  BOOST_TEST(env_token.code == 0);
}

BOOST_AUTO_TEST_CASE(each_profile_talks_to_its_own_gateway) {
  // Two profiles in one HOME, one registry: main and rescue side by side.
  Sandbox sb;
  PortBlock block(260);
  std::map<std::string, int> base{{"main", block.base()}, {"rescue", block.base() + 130}};
  std::vector<std::unique_ptr<Child>> gateways;
  for (const auto& [profile, port] : base) {
    BOOST_REQUIRE(sb.run({"--profile", profile, "setup", "--port", std::to_string(port)}).code ==
                  0);
    gateways.push_back(sb.spawn({"--profile", profile, "gateway"}));
    BOOST_REQUIRE_MESSAGE(gateways.back()->wait_for_output("gateway ready"),
                          gateways.back()->err());
  }
  for (const auto& [profile, port] : base) {
    auto h = sb.run({"--profile", profile, "health", "--json"});
    BOOST_TEST(h.code == 0, h.err);
    BOOST_TEST(parse(h.out).at("profile").as_string() == profile);
    auto s = parse(sb.run({"--profile", profile, "status", "--json"}).out);
    BOOST_TEST(s.at("running").as_bool());
    BOOST_TEST(s.at("ports").at("gateway").as_int64() == port);
    BOOST_TEST(must_get(port, "/health").status == 200);
  }
  // A profile with no gateway says so with exit 3, probing its own port, not a neighbour's.
  BOOST_TEST(sb.run({"--profile", "nobody", "config", "set", "gateway.port",
                     std::to_string(block.base() + 60)})
                 .code == 0);
  auto down = sb.run({"--profile", "nobody", "health"});
  BOOST_TEST(down.code == 3);
  BOOST_TEST(contains(down.err, "ws://127.0.0.1:" + std::to_string(block.base() + 60)), down.err);
  for (auto& g : gateways) BOOST_TEST(g->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(children_of_the_gateway_do_not_inherit_its_identity) {
  Sandbox sb;
  PortBlock block;
  sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block);
  install_fixture("ok", sb.home() / ".openclaw-x" / "plugins" / "ok");
  auto gw = sb.spawn({"gateway"}, {{"OPENCLAW_PROFILE", "x"},
                                   {"OPENCLAW_GATEWAY_PORT", std::to_string(block.base())}});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(block.base());
  Client c(o);
  std::string env(c.call("fixture-ok.childenv").at("env").as_string());
  BOOST_TEST(contains(env, "HOME="));  // the child's environment was read
  BOOST_TEST(!contains(env, "OPENCLAW_GATEWAY_PORT"), env);
  BOOST_TEST(!contains(env, "OPENCLAW_PROFILE"), env);
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(lan_bind_requires_a_token) {
  Sandbox sb;
  PortBlock block;
  auto r = sb.run({"gateway", "--bind", "lan", "--port", std::to_string(block.base())});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(contains(r.err, "needs a token"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gateway_lan)

BOOST_AUTO_TEST_CASE(lan_bind_with_a_token_listens_on_every_interface) {
  Sandbox sb;
  PortBlock block;
  auto gw = sb.spawn({"gateway", "--bind", "lan", "--token", "lan-secret", "--port",
                      std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  BOOST_TEST(contains(gw->out(), "on http://0.0.0.0:" + std::to_string(block.base())));
  BOOST_TEST(must_get(block.base(), "/health").status == 200);
  ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(block.base());
  o.token = "lan-secret";
  Client c(o);
  BOOST_TEST(c.hello().at("auth").at("method").as_string() == "token");
  // The browser control port stays loopback-only even on lan.
  auto ports = c.call("ports.list").at("ports").as_array();
  for (const auto& p : ports) {
    if (p.at("name").as_string() == "browser.control")
      BOOST_TEST(p.at("bind").as_string() == "127.0.0.1");
    if (p.at("name").as_string() == "gateway") BOOST_TEST(p.at("bind").as_string() == "0.0.0.0");
  }
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()
