// Parsers of input from outside, as tests/fuzz drives them: the pure pieces extracted for the
// fuzz targets (Telegram's answers and updates, webhook signatures, lease store records), and
// every input a fuzz target found a fault with, kept here with the fix (see scripts/fuzz).
#include <cstdint>
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "irc_line.hpp"
#include "openclaw/sdk/channels.hpp"
#include "page_model.hpp"
#include "plugins/manifest.hpp"
#include "ports/lease_record.hpp"
#include "signature.hpp"
#include "update.hpp"

namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(untrusted)

BOOST_AUTO_TEST_CASE(telegram_answers) {
  auto ok = telegram::read_answer(R"({"ok":true,"result":{"username":"rescue_bot"}})", 200);
  BOOST_REQUIRE(ok.result);
  BOOST_TEST(ok.result->at("username") == "rescue_bot");
  BOOST_TEST(ok.error.empty());

  auto limited = telegram::read_answer(
      R"({"ok":false,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}})",
      429);
  BOOST_TEST(!limited.result);
  BOOST_TEST(limited.error == "HTTP 429: Too Many Requests: retry after 3");
  BOOST_TEST(limited.retry_after == 3);
  // A wait Telegram would never ask for is not honoured (backoff applies instead).
  BOOST_TEST(telegram::read_answer(R"({"ok":false,"parameters":{"retry_after":9999999999}})", 429)
                 .retry_after == 0);
  BOOST_TEST(
      telegram::read_answer(R"({"ok":false,"parameters":{"retry_after":-5}})", 429).retry_after ==
      0);
  BOOST_TEST(telegram::read_answer("<html>502</html>", 502).error ==
             "HTTP 502 with a body that is not JSON");
  BOOST_TEST(!telegram::read_answer(R"({"ok":true})", 200).result);  // ok without a result
}

BOOST_AUTO_TEST_CASE(telegram_updates) {
  auto updates = json::parse(R"([
    {"update_id":99,"message":{"text":"old","from":{"id":1},"chat":{"id":1}}},
    {"update_id":100,"message":{"text":"/status","date":1767225600,"from":{"id":42,"username":"owner"},
                                "chat":{"id":42,"type":"private"}}},
    {"update_id":101,"edited_message":{"text":"x"}},
    {"update_id":"102"}, 7,
    {"update_id":103,"message":{"text":"hi","from":{"id":43},"chat":{"id":-1001,"type":"supergroup"}}}
  ])")
                     .as_array();
  auto b = telegram::read_updates(updates, 100);
  BOOST_TEST(b.next_offset == 104);
  BOOST_REQUIRE(b.messages.size() == 2u);
  BOOST_TEST(b.messages[0].id == "100");
  BOOST_TEST(b.messages[0].from == "42");
  BOOST_TEST(b.messages[0].from_name == "@owner");
  BOOST_TEST(b.messages[0].ts == 1767225600000);
  BOOST_TEST(!b.messages[0].group);
  BOOST_TEST(b.messages[1].group);
  BOOST_TEST(b.messages[1].chat == "-1001");
  BOOST_TEST(telegram::read_updates(json::array{}, 5).next_offset == 5);
}

// Found reading the parser for its fuzz target: `update_id + 1` and `date * 1000` overflowed
// (undefined behaviour) on the largest integers a server can send.
BOOST_AUTO_TEST_CASE(telegram_extreme_numbers) {
  auto updates = json::parse(R"([{"update_id":9223372036854775807,
    "message":{"text":"x","from":{"id":1},"chat":{"id":1},"date":9223372036854775807}},
    {"update_id":5,"message":{"text":"y","from":{"id":1},"chat":{"id":1},"date":9223372036854775807}}])")
                     .as_array();
  auto b = telegram::read_updates(updates, 0);
  BOOST_TEST(b.next_offset == 6);  // the id that cannot be moved past is no update
  BOOST_REQUIRE(b.messages.size() == 1u);
  BOOST_TEST(b.messages[0].ts == 0);  // left to the host (arrival time)
}

BOOST_AUTO_TEST_CASE(webhook_signatures) {
  const std::string secret = "s3cret-webhook", body = R"({"text":"hello"})";
  const std::int64_t now = 1767225600;
  std::string sig = webhook::sign(secret, "1767225600", body);
  BOOST_TEST(sig.rfind("sha256=", 0) == 0);
  BOOST_TEST(sig.size() == 7 + 64);
  BOOST_TEST(webhook::verify(secret, "1767225600", sig, body, now, 300).ok);
  BOOST_TEST(webhook::verify(secret, "1767225600", sig, body, now, 300).timestamp == now);
  BOOST_TEST(webhook::verify(secret, "1767225600", sig, body, now + 300, 300).ok);
  BOOST_TEST(webhook::verify(secret, "1767225600", sig, body, now + 301, 300).why ==
             "stale timestamp (more than 300 s from the gateway's clock)");
  BOOST_TEST(webhook::verify(secret, "1767225600", sig, body + " ", now, 300).why ==
             "bad signature");
  BOOST_TEST(webhook::verify(secret + "x", "1767225600", sig, body, now, 300).why ==
             "bad signature");
  BOOST_TEST(webhook::verify(secret, "", sig, body, now, 300).why ==
             "missing X-OpenClaw-Timestamp or X-OpenClaw-Signature");
  BOOST_TEST(webhook::verify(secret, "1767225600", "", body, now, 300).why ==
             "missing X-OpenClaw-Timestamp or X-OpenClaw-Signature");
  // strtoll took these; each is another signed text for the same time.
  for (const char* ts :
       {"+1767225600", " 1767225600", "1767225600 ", "-1", "0x10", "1e9", "9999999999999"}) {
    auto v = webhook::verify(secret, ts, webhook::sign(secret, ts, body), body, now, 300);
    BOOST_TEST(!v.ok, ts);
    BOOST_TEST(v.why == "X-OpenClaw-Timestamp must be Unix seconds", ts);
  }
  auto bad = webhook::verify(secret, "1767225600", "sha256=00", body, now, 300);
  BOOST_TEST(bad.why.find(secret) == std::string::npos);
  BOOST_TEST(bad.why.find(sig.substr(7)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(lease_record_readers_agree) {
  namespace rec = openclaw::ports::record;
  const std::string good =
      "1234 98765 18789 ~ /home/u/.openclaw 2 gateway 18789 127.0.0.1 offset 1767225600000 "
      "browser 18791 127.0.0.1 offset 1767225600000";
  auto full = rec::from_line(good);
  auto row = rec::scan_line(good);
  BOOST_REQUIRE(full);
  BOOST_REQUIRE(row);
  BOOST_TEST(full->owner.pid == 1234);
  BOOST_TEST(row->ports == (std::vector<int>{18789, 18791}));
  BOOST_TEST(rec::to_line(*full) == good);
  BOOST_TEST(*rec::unescape(rec::escape(std::string("a b%\n\x7f", 6))) ==
             std::string("a b%\n\x7f", 6));
  BOOST_TEST(rec::escape("") == "%");
  for (const char* damaged :
       {"1 2 3 ~ a 1 n x b s 0", "1 2 3", "x 2 3 ~ a 0", "1 2 3 ~ a 0 extra", "1  2 3 ~ a 0"}) {
    BOOST_TEST(!rec::from_line(damaged).has_value(), damaged);
    BOOST_TEST(!rec::scan_line(damaged).has_value(), damaged);
  }
}

// fuzz_lease_record: the hot path's scan accepted lines the full reader drops (a bad escape in
// a string field, a grantedAt that is no number), so a damaged line held ports that no listing
// showed, and conflicts named its owner as "pid 0". And "%-1" unescaped (from_chars takes a sign).
BOOST_AUTO_TEST_CASE(lease_record_scan_checks_what_the_reader_checks) {
  namespace rec = openclaw::ports::record;
  for (const char* damaged :
       {"1 2 3 ~ a%zz 0", "1 2 3 p%4 a 0", "1 2 3 ~ a 1 n%g 5 b s 0", "1 2 3 ~ a 1 n 5 b%zz s 0",
        "1 2 3 ~ a 1 n 5 b s%1 0", "1 2 3 ~ a 1 n 5 b s later", "1 2 3 ~ a%-1 0"}) {
    BOOST_TEST(!rec::from_line(damaged).has_value(), damaged);
    BOOST_TEST(!rec::scan_line(damaged).has_value(), damaged);
  }
  BOOST_TEST(!rec::unescape("%-1").has_value());
  BOOST_TEST(!rec::unescape("%+f").has_value());
  BOOST_TEST(*rec::unescape("%7f%2A") == "\x7f*");
}

// fuzz_irc_line: a run of UTF-8 continuation bytes longer than one part (text that is not UTF-8,
// e.g. from a reply) made split_text cut nothing and loop forever on the I/O thread.
BOOST_AUTO_TEST_CASE(split_text_on_invalid_utf8_ends) {
  std::string junk(600, '\x99');
  auto parts = openclaw::sdk::split_text(junk, 100);
  BOOST_TEST(parts.size() == 6u);
  std::string joined;
  for (const auto& p : parts) {
    BOOST_TEST(p.size() <= 100u);
    joined += p;
  }
  BOOST_TEST(joined == junk);
  auto lines = irc::privmsg_lines("#ops", ":owner PRIVMSG " + junk + "in");
  BOOST_TEST(!lines.empty());
  for (const auto& l : lines) BOOST_TEST(l.size() <= 512u - 102u);
}

// fuzz_manifest: a value quoted raw into the error could carry a line break into the one-line
// error ("got \"a\rb\""); a NUL in "library" would open another file than the one named.
BOOST_AUTO_TEST_CASE(manifest_errors_stay_one_line) {
  using openclaw::plugins::parse_manifest;
  auto error_of = [](const std::string& text) {
    try {
      parse_manifest(text);
    } catch (const openclaw::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  BOOST_TEST(
      error_of(R"({"id":"a\rb","kind":"other","version":"1","apiVersion":1})") ==
      "manifest field \"id\" must be lower case letters, digits, '.', '_' or '-', got \"a\\rb\"");
  BOOST_TEST(error_of(R"({"id":"x","kind":"\n","version":"1","apiVersion":1})") ==
             "manifest field \"kind\" must be one of browser, canvas, channel, other, got \"\\n\"");
  BOOST_TEST(
      error_of(
          R"({"id":"x","kind":"other","version":"1","apiVersion":1,"library":"a.so\u0000b"})") ==
      "manifest field \"library\" must be a file name beside the manifest, got \"a.so\\u0000b\"");
}

// A page's accessibility tree is the renderer's word, not a tree we can trust: a childIds cycle
// recursed until the stack overflowed, and a node listed under many parents multiplied the
// output exponentially. Each node is now shown once, where it is first reached.
BOOST_AUTO_TEST_CASE(snapshot_node_graphs) {
  auto node = [](const std::string& id, const std::string& role, const std::string& name,
                 json::array kids, long long backend) {
    return json::object{{"nodeId", id},
                        {"role", {{"type", "role"}, {"value", role}}},
                        {"name", {{"type", "computedString"}, {"value", name}}},
                        {"childIds", std::move(kids)},
                        {"backendDOMNodeId", backend}};
  };
  json::array cycle{node("1", "RootWebArea", "t", {"2"}, 1),
                    node("2", "button", "Go", {"1", "2"}, 2)};
  cycle[1].as_object()["parentId"] = "1";
  browser::RefTable table;
  auto s = browser::render_snapshot(cycle, table);
  BOOST_TEST(s.text == "- button \"Go\" [ref=e1]");

  // 40 levels, each node listed twice under the one above: 2^40 paths, 41 nodes.
  json::array dag{node("0", "RootWebArea", "t", {"1", "1"}, 1)};
  for (int i = 1; i <= 40; ++i) {
    json::array kids;
    if (i < 40) kids = {json::value(std::to_string(i + 1)), json::value(std::to_string(i + 1))};
    auto n = node(std::to_string(i), "group", "g" + std::to_string(i), kids, 100 + i);
    n["parentId"] = std::to_string(i - 1);
    dag.push_back(n);
  }
  browser::RefTable t2;
  auto d = browser::render_snapshot(dag, t2);
  BOOST_TEST(d.lines == 40);

  // A chain deeper than the renderer walks is cut, not a stack overflow.
  json::array chain{node("0", "RootWebArea", "t", {"1"}, 1)};
  for (int i = 1; i <= 100000; ++i) {
    auto n = node(std::to_string(i), "group", "", {json::value(std::to_string(i + 1))}, 0);
    n["parentId"] = std::to_string(i - 1);
    chain.push_back(n);
  }
  browser::RefTable t3;
  auto c = browser::render_snapshot(chain, t3);
  BOOST_TEST(c.lines <= 300);

  // A number too large for an integer is shown, not cast (undefined behaviour).
  json::array big{node("1", "RootWebArea", "t", {"2"}, 1),
                  json::object{{"nodeId", "2"},
                               {"parentId", "1"},
                               {"role", {{"value", "slider"}}},
                               {"name", {{"value", 1e300}}},
                               {"backendDOMNodeId", 2}}};
  browser::RefTable t4;
  BOOST_TEST(browser::render_snapshot(big, t4).text.find("1E300") != std::string::npos);
}

// fuzz_config: a number too large for a double parsed as infinity, which Boost.JSON writes back
// as `Infinity`: the next `config set` left a file that no longer parsed. Refused when read.
BOOST_AUTO_TEST_CASE(config_number_too_large) {
  try {
    openclaw::config::Config::parse(R"({"gateway":{"port":19001e400}})",
                                    "/h/.openclaw/openclaw.json", "/h");
    BOOST_FAIL("accepted");
  } catch (const openclaw::Error& e) {
    BOOST_TEST(e.line() ==
               "config is not valid JSON: the number at \"gateway.port\" is too large "
               "(~/.openclaw/openclaw.json)");
  }
  BOOST_TEST(
      openclaw::config::Config::parse(R"({"a":[1.5e300]})", "/h/c.json", "/h").root().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
