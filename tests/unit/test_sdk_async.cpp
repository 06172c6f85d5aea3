// The SDK's responders and registrations keep their promises (see openclaw/sdk/async.hpp).
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "openclaw/sdk/async.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace sdk = openclaw::sdk;
namespace json = boost::json;

namespace {
struct Answers {
  std::vector<std::string> seen;  // "ok:<payload>" or "<code>:<message>"
  sdk::MethodResponder::Sink sink() {
    return [this](bool ok, const json::value& v, const std::string& code, const std::string& msg) {
      seen.push_back(ok ? "ok:" + json::serialize(v) : code + ":" + msg);
    };
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_async)

BOOST_AUTO_TEST_CASE(a_method_is_answered_exactly_once) {
  Answers a;
  sdk::MethodResponder r(a.sink());
  auto copy = r;
  BOOST_TEST(!r.done());
  BOOST_TEST(copy.ok(json::object{{"n", 1}}));
  BOOST_TEST(r.done());
  BOOST_TEST(!r.ok(json::object{{"n", 2}}));
  BOOST_TEST(!r.error("X", "late"));
  BOOST_TEST(!sdk::MethodResponder::cancel(r.watch(), "TIMEOUT", "too late"));
  BOOST_TEST(!r.cancelled());
  BOOST_REQUIRE(a.seen.size() == 1u);
  BOOST_TEST(a.seen[0] == R"(ok:{"n":1})");
}

BOOST_AUTO_TEST_CASE(a_dropped_responder_answers_for_itself_and_a_cancel_wins_over_a_late_answer) {
  Answers a;
  std::weak_ptr<sdk::MethodResponder::State> watch;
  {
    sdk::MethodResponder r(a.sink());
    watch = r.watch();
  }
  BOOST_REQUIRE(a.seen.size() == 1u);
  BOOST_TEST(a.seen[0].rfind("INTERNAL:", 0) == 0u, a.seen[0]);
  BOOST_TEST(!sdk::MethodResponder::cancel(watch, "TIMEOUT", "gone"));  // nothing left to cancel

  Answers b;
  sdk::MethodResponder r(b.sink());
  BOOST_TEST(sdk::MethodResponder::cancel(r.watch(), "TIMEOUT", "too slow"));
  BOOST_TEST(r.cancelled());
  BOOST_TEST(!r.ok(json::object{}));
  BOOST_REQUIRE(b.seen.size() == 1u);
  BOOST_TEST(b.seen[0] == "TIMEOUT:too slow");
}

BOOST_AUTO_TEST_CASE(an_http_responder_keeps_the_same_promises) {
  std::vector<int> statuses;
  {
    sdk::HttpResponder r([&](sdk::HttpResponse res) { statuses.push_back(res.status); });
  }
  sdk::HttpResponder later([&](sdk::HttpResponse res) { statuses.push_back(res.status); });
  BOOST_TEST(later.send(sdk::HttpResponse::text(201, "made")));
  BOOST_TEST(!later.send(sdk::HttpResponse::text(200, "again")));
  BOOST_TEST(statuses == (std::vector<int>{500, 201}));
}

BOOST_AUTO_TEST_CASE(a_registration_revokes_once_and_copies_share_it) {
  int revoked = 0;
  sdk::Registration r([&] { ++revoked; });
  auto copy = r;
  BOOST_TEST(r.active());
  copy.revoke();
  r.revoke();
  BOOST_TEST(revoked == 1);
  BOOST_TEST(!r.active());
  BOOST_TEST(!sdk::Registration().active());
  sdk::Registration().revoke();  // a default handle revokes nothing, and does not crash
  {
    sdk::Registration ignored([&] { ++revoked; });
  }
  BOOST_TEST(revoked == 1);  // destroying a handle does not revoke
}

BOOST_AUTO_TEST_CASE(a_caller_has_the_scopes_its_connect_granted) {
  sdk::Caller c;
  c.scopes = {"operator.read", "operator.admin"};
  BOOST_TEST(c.has_scope("operator.admin"));
  BOOST_TEST(!c.has_scope("operator.write"));
}

BOOST_AUTO_TEST_SUITE_END()
