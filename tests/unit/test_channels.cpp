// Channels, the pure parts and the durable queue: text splitting, host masks, HMAC, access
// policy, the pairing store, the queue's journal across reopen and a torn write, and the IRC
// line parser on good and malformed lines.
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "channels/access.hpp"
#include "channels/pairing.hpp"
#include "irc_line.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/config_schema.hpp"
#include "openclaw/sdk/queue.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace ch = openclaw::channels;

namespace {
sdk::ChannelMessage msg(std::string from, std::string name, bool group = false) {
  sdk::ChannelMessage m;
  m.id = "1";
  m.channel = "irc";
  m.from = std::move(from);
  m.from_name = std::move(name);
  m.group = group;
  m.chat = group ? "#ops" : m.from_name;
  m.text = "/status";
  return m;
}
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(channels_pure)

BOOST_AUTO_TEST_CASE(split_text_keeps_utf8_whole_and_prefers_line_breaks) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "héllo wörld ✓ ";
  auto parts = sdk::split_text(text, 100);
  std::string joined;
  for (const auto& p : parts) {
    BOOST_TEST(p.size() <= 100u);
    BOOST_TEST(valid_utf8(p));
    joined += p;
  }
  BOOST_TEST(parts.size() > 20u);
  // Only the separators at soft cuts are gone.
  BOOST_TEST(joined.size() + parts.size() - 1 >= text.size() - 1);
  auto lines = sdk::split_text("first line\nsecond line that is longer", 24);
  BOOST_TEST(lines.front() == "first line");
  BOOST_TEST(sdk::split_text("", 10).empty());
  // A run of multi-byte characters with no space is cut between sequences.
  std::string stars;
  for (int i = 0; i < 50; ++i) stars += "✓";
  for (const auto& p : sdk::split_text(stars, 10)) BOOST_TEST(valid_utf8(p));
}

BOOST_AUTO_TEST_CASE(glob_masks_match_like_irc) {
  BOOST_TEST(sdk::glob_match("owner!*@*", "owner!~o@127.0.0.1"));
  BOOST_TEST(sdk::glob_match("OWNER!*@*.example.org", "owner!u@host.example.org"));
  BOOST_TEST(!sdk::glob_match("owner!*@*.example.org", "owner!u@example.org.evil"));
  BOOST_TEST(!sdk::glob_match("owner!*@*", "owner2!u@h"));
  BOOST_TEST(sdk::glob_match("o?ner", "owner"));
  BOOST_TEST(sdk::glob_match("*", ""));
  BOOST_TEST(!sdk::glob_match("", "x"));
}

BOOST_AUTO_TEST_CASE(hmac_matches_rfc_4231_and_secrets_compare_whole) {
  // RFC 4231 test case 2.
  BOOST_TEST(sdk::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  BOOST_TEST(sdk::constant_time_equals("abc", "abc"));
  BOOST_TEST(!sdk::constant_time_equals("abc", "abd"));
  BOOST_TEST(!sdk::constant_time_equals("abc", "abcd"));
  auto a = sdk::random_hex(16), b = sdk::random_hex(16);
  BOOST_TEST(a.size() == 32u);
  BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_CASE(message_json_round_trips_and_names_bad_fields) {
  auto m = msg("owner!u@h", "owner", true);
  m.ts = 42;
  auto back = sdk::ChannelMessage::from_json(m.to_json());
  BOOST_TEST(back.from == m.from);
  BOOST_TEST(back.group);
  BOOST_TEST(back.ts == 42);
  try {
    sdk::ChannelMessage::from_json(
        json::parse(R"({"id":"1","channel":"irc","from":"x","chat":"y"})"));
    BOOST_FAIL("accepted a message without text");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(contains(e.what(), "\"text\""));
  }
}

BOOST_AUTO_TEST_CASE(access_policy_follows_openclaw_keys) {
  auto root = json::parse(R"({"channels":{"irc":{"allowFrom":["owner!*@*"]}}})").as_object();
  auto a = ch::access_of(root, "irc");
  BOOST_TEST(a.dm_policy == "allowlist");
  BOOST_TEST((ch::decide(a, msg("owner!u@h", "owner"), {}) == ch::Decision::allow));
  BOOST_TEST((ch::decide(a, msg("mallory!u@h", "mallory"), {}) == ch::Decision::deny));
  // A bare nick matches only with dangerouslyAllowNameMatching: nicks change owners.
  auto bare = json::parse(R"({"channels":{"irc":{"allowFrom":["owner"]}}})").as_object();
  BOOST_TEST((ch::decide(ch::access_of(bare, "irc"), msg("owner!u@h", "owner"), {}) ==
              ch::Decision::deny));
  bare["channels"].as_object()["irc"].as_object()["dangerouslyAllowNameMatching"] = true;
  BOOST_TEST((ch::decide(ch::access_of(bare, "irc"), msg("owner!u@h", "owner"), {}) ==
              ch::Decision::allow));
  // pairing: unknown senders get a code; approved ones pass.
  auto pairing = json::parse(R"({"channels":{"irc":{"dmPolicy":"pairing"}}})").as_object();
  auto p = ch::access_of(pairing, "irc");
  BOOST_TEST((ch::decide(p, msg("new!u@h", "new"), {}) == ch::Decision::pair));
  BOOST_TEST((ch::decide(p, msg("new!u@h", "new"), {"new!u@h"}) == ch::Decision::allow));
  // open needs "*".
  std::vector<std::string> problems;
  auto open = json::parse(R"({"channels":{"irc":{"dmPolicy":"open"}}})").as_object();
  BOOST_TEST(ch::access_of(open, "irc", &problems).dm_policy == "allowlist");
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(contains(problems[0], "channels.irc.dmPolicy"));
  // Groups: groupAllowFrom, else allowFrom; disabled blocks all.
  BOOST_TEST((ch::decide(a, msg("owner!u@h", "owner", true), {}) == ch::Decision::allow));
  BOOST_TEST((ch::decide(a, msg("other!u@h", "other", true), {}) == ch::Decision::deny));
  auto gd = json::parse(R"({"channels":{"irc":{"allowFrom":["*"],"groupPolicy":"disabled"}}})")
                .as_object();
  BOOST_TEST((ch::decide(ch::access_of(gd, "irc"), msg("owner!u@h", "owner", true), {}) ==
              ch::Decision::deny));
  auto off = json::parse(R"({"channels":{"irc":{"enabled":false,"allowFrom":["*"]}}})").as_object();
  BOOST_TEST(
      (ch::decide(ch::access_of(off, "irc"), msg("owner!u@h", "owner"), {}) == ch::Decision::deny));
  problems.clear();
  auto bad = json::parse(R"({"channels":{"irc":{"dmPolicy":"sometimes","allowFrom":"owner"}}})")
                 .as_object();
  ch::access_of(bad, "irc", &problems);
  BOOST_TEST(problems.size() == 2u);
}

BOOST_AUTO_TEST_CASE(config_blocks_name_the_full_key_of_a_bad_value) {
  auto root =
      json::parse(R"({"channels":{"irc":{"host":"h","port":"6697","tls":1,"nick":"n"},"bad":3}})")
          .as_object();
  std::vector<sdk::ConfigProblem> problems;
  sdk::ConfigBlock irc(root, "channels.irc", &problems);
  BOOST_TEST(irc.present());
  std::string host, nick = "default", missing = "kept";
  int port = 6667;
  bool tls = true;
  irc.string("host", host);
  irc.string("nick", nick);
  irc.string("absent", missing);
  irc.integer("port", port, 1, 65535);
  irc.boolean("tls", tls);
  BOOST_TEST(host == "h");
  BOOST_TEST(nick == "n");
  BOOST_TEST(missing == "kept");
  BOOST_TEST(port == 6667);  // a wrong value leaves the default
  BOOST_TEST(tls);
  BOOST_TEST_REQUIRE(problems.size() == 2u);
  BOOST_TEST(problems[0].key == "channels.irc.port");
  BOOST_TEST(problems[1].key == "channels.irc.tls");
  BOOST_TEST(!sdk::ConfigBlock(root, "channels.telegram", &problems).present());
  BOOST_TEST(!sdk::ConfigBlock(root, "channels.bad", &problems).present());
  BOOST_TEST(problems.back().key == "channels.bad");
  BOOST_TEST(problems.back().message == "must be an object");
}

// What `config schema` is built on: a reader run on an empty config under a recorder names every
// key it checks, with its type and the fallback it would use, at the place it asks for first.
BOOST_AUTO_TEST_CASE(a_schema_recorder_sees_every_key_a_config_block_reads) {
  const json::object empty;
  std::vector<sdk::ConfigKey> keys;
  {
    sdk::ConfigSchemaRecorder rec("mine");
    BOOST_TEST(sdk::ConfigSchemaRecorder::active() == &rec);
    sdk::ConfigBlock ours(empty, sdk::host_settings_path("mine"), nullptr);
    sdk::ConfigBlock theirs(empty, "channels.mine", nullptr);
    BOOST_TEST(theirs.present());  // recording: an absent block reads as empty
    std::string host = "localhost";
    int port = 6667;
    bool tls = false;
    theirs.string("host", host);
    (ours.has("port") ? ours : theirs).integer("port", port, 1, 65535);
    theirs.boolean("tls", tls);
    theirs.string("host", host);  // read twice, listed once
    {
      sdk::ConfigSchemaRecorder inner("other");  // nested: the innermost records
      sdk::ConfigBlock(empty, "x", nullptr).boolean("y", tls);
      BOOST_TEST(inner.keys().size() == 1u);
    }
    BOOST_TEST(sdk::ConfigSchemaRecorder::active() == &rec);
    keys = rec.keys();
  }
  BOOST_TEST(sdk::ConfigSchemaRecorder::active() == nullptr);
  BOOST_TEST(!sdk::ConfigBlock(empty, "channels.mine", nullptr).present());  // not recording
  BOOST_TEST_REQUIRE(keys.size() == 3u);
  BOOST_TEST(keys[0].key == "channels.mine.host");
  BOOST_TEST(keys[0].type == "string");
  BOOST_TEST(keys[0].fallback == "\"localhost\"");
  BOOST_TEST(keys[0].reader == "mine");
  // Asked for in openclaw-host's own block first: that is where it is written.
  BOOST_TEST(keys[1].key == "plugins.entries.openclaw-host.config.mine.port");
  BOOST_TEST(keys[1].type == "integer 1..65535");
  BOOST_TEST(keys[1].fallback == "6667");
  BOOST_TEST(keys[2].key == "channels.mine.tls");
  BOOST_TEST(keys[2].fallback == "false");
}

BOOST_AUTO_TEST_CASE(config_blocks_take_1e3_as_a_whole_number_and_mark_keys_required) {
  auto root = json::parse(R"({"w":{"a":1e3,"b":1000.0,"c":1.5,"d":1e12,"e":-0.0}})").as_object();
  std::vector<sdk::ConfigProblem> problems;
  sdk::ConfigBlock w(root, "w", &problems);
  int a = 0, b = 0, c = 7, d = 7, e = 7;
  w.integer("a", a, 1, 65535);
  w.integer("b", b, 1, 65535);
  w.integer("c", c, 1, 65535);
  w.integer("d", d, 1, 65535);
  w.integer("e", e, 0, 10);
  BOOST_TEST(a == 1000);
  BOOST_TEST(b == 1000);
  BOOST_TEST(c == 7);  // 1.5 is no whole number: a problem, the default kept
  BOOST_TEST(d == 7);  // out of range
  BOOST_TEST(e == 0);
  BOOST_TEST_REQUIRE(problems.size() == 2u);
  BOOST_TEST(problems[0].key == "w.c");
  BOOST_TEST(problems[1].key == "w.d");
  BOOST_TEST(w.require("a"));
  BOOST_TEST(!w.require("host"));
  BOOST_TEST(problems.back().key == "w.host");
  BOOST_TEST(problems.back().message == "is required");
  // An absent block requires nothing.
  BOOST_TEST(sdk::ConfigBlock(root, "none", &problems).require("host"));
  BOOST_TEST(problems.size() == 3u);
}

BOOST_AUTO_TEST_CASE(pairing_codes_are_approved_once) {
  TempDir dir;
  ch::PairingStore store(dir.path());
  auto code = store.request("irc", "new!u@h", "new", "default", 1000);
  BOOST_TEST(code.size() == 8u);
  BOOST_TEST(store.request("irc", "new!u@h", "new", "default", 2000) ==
             code);  // same sender, same code
  BOOST_TEST(store.pending("irc", 3000).size() == 1u);
  auto done = store.approve("irc", code, 4000);
  BOOST_TEST(done.from == "new!u@h");
  BOOST_TEST(store.approved("irc") == std::vector<std::string>{"new!u@h"});
  BOOST_CHECK_THROW(store.approve("irc", code, 5000), std::runtime_error);
  BOOST_TEST(mode_of(dir.path() / "credentials" / "irc-allowFrom.json") == 0600u);
  // Codes expire after an hour.
  auto late = store.request("irc", "late!u@h", "late", "default", 0);
  BOOST_CHECK_THROW(store.approve("irc", late, ch::PairingStore::kTtlMs + 1), std::runtime_error);
  BOOST_CHECK_THROW(store.request("../x", "a", "a", "default", 0), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(irc_lines_parse_and_malformed_ones_are_refused) {
  auto l = irc::parse(":owner!~o@127.0.0.1 PRIVMSG rescuebot :/status main\r\n");
  BOOST_TEST_REQUIRE(l.has_value());
  BOOST_TEST(l->prefix == "owner!~o@127.0.0.1");
  BOOST_TEST(l->command == "PRIVMSG");
  BOOST_TEST_REQUIRE(l->params.size() == 2u);
  BOOST_TEST(l->params[1] == "/status main");
  BOOST_TEST(irc::nick_of(l->prefix) == "owner");
  auto t = irc::parse("@msgid=abc\\:1;time=x :n!u@h PRIVMSG #ops :hi");
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(irc::tag(t->tags, "msgid") == "abc;1");
  auto ping = irc::parse("PING :irc.test");
  BOOST_TEST_REQUIRE(ping.has_value());
  BOOST_TEST(ping->params.back() == "irc.test");
  auto num = irc::parse(":srv 433 * rescuebot :Nickname already in use");
  BOOST_TEST_REQUIRE(num.has_value());
  BOOST_TEST(num->command == "433");
  for (const char* bad : {"", ":", ":prefix-only", "12 x", "PRIV-MSG x", "@tags-only"}) {
    BOOST_TEST(!irc::parse(bad).has_value(), "accepted: " << bad);
  }
  BOOST_TEST(!irc::parse(std::string("PRIVMSG a :b\0c", 14)).has_value());
  BOOST_TEST(irc::is_ctcp("\x01VERSION\x01"));
  BOOST_TEST(irc::is_channel("#ops"));
  BOOST_TEST(!irc::is_channel("owner"));
  // What we send cannot be split by a CR/LF in the text.
  BOOST_TEST(irc::build("PRIVMSG", {"owner", "a\r\nQUIT :x"}) == "PRIVMSG owner :aQUIT :x\r\n");
  BOOST_TEST(irc::base64(std::string("\0u\0p", 4)) == "AHUAcA==");
}

BOOST_AUTO_TEST_CASE(privmsg_lines_stay_under_512_bytes) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "ünïcödé ";
  text += "\nsecond paragraph\n\nthird";
  auto lines = irc::privmsg_lines("#ops", text, 100);
  BOOST_TEST(lines.size() > 4u);
  for (const auto& l : lines) {
    BOOST_TEST(l.size() + 100 + 2 <= 512u);
    BOOST_TEST(l.substr(l.size() - 2) == "\r\n");
    BOOST_TEST(valid_utf8(l));
    BOOST_TEST(l.find('\n') == l.size() - 1);
  }
  BOOST_TEST(lines.back() == "PRIVMSG #ops :third\r\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(durable_queue)

BOOST_AUTO_TEST_CASE(pushes_are_group_committed_and_survive_reopen) {
  TempDir dir;
  auto path = dir.path() / "q" / "inbound.journal";
  boost::asio::io_context io;
  {
    auto q = sdk::DurableQueue::open(io, path);
    int ok = 0;
    for (int i = 0; i < 500; ++i) {
      q->push("m" + std::to_string(i), json::object{{"n", i}},
              [&](bool good, const std::string&) { ok += good; });
    }
    BOOST_REQUIRE(run_until(io, [&] { return ok == 500; }));
    BOOST_TEST(q->syncs() < 500u);  // grouped: far fewer syncs than messages
    BOOST_TEST(q->syncs() >= 1u);
    for (int i = 0; i < 500; i += 2) BOOST_TEST(q->ack("m" + std::to_string(i)));
    BOOST_TEST(!q->ack("m0"));
    bool dup = true;
    q->push("m1", json::object{}, [&](bool good, const std::string&) { dup = good; });
    BOOST_REQUIRE(run_until(io, [&] { return !dup; }));
    BOOST_TEST(q->depth() == 250u);
  }
  BOOST_TEST(mode_of(path) == 0600u);
  auto q = sdk::DurableQueue::open(io, path);
  auto pending = q->pending();
  BOOST_TEST_REQUIRE(pending.size() == 250u);
  BOOST_TEST(pending.front().first == "m1");
  BOOST_TEST(pending.front().second.at("n").as_int64() == 1);
  BOOST_TEST(pending.back().first == "m499");
}

BOOST_AUTO_TEST_CASE(a_torn_last_line_is_dropped_and_appends_stay_readable) {
  TempDir dir;
  auto path = dir.path() / "inbound.journal";
  write_file(path,
             "{\"add\":\"a\",\"record\":{\"x\":1}}\n{\"add\":\"b\",\"rec");  // crash mid-write
  boost::asio::io_context io;
  {
    auto q = sdk::DurableQueue::open(io, path);
    BOOST_TEST(q->depth() == 1u);
    bool done = false;
    q->push("c", json::object{{"x", 3}}, [&](bool good, const std::string&) { done = good; });
    BOOST_REQUIRE(run_until(io, [&] { return done; }));
  }
  auto q = sdk::DurableQueue::open(io, path);
  BOOST_TEST(q->depth() == 2u);
  BOOST_TEST(q->contains("a"));
  BOOST_TEST(q->contains("c"));
  BOOST_TEST(!q->contains("b"));
}

BOOST_AUTO_TEST_CASE(the_journal_is_compacted_to_what_is_pending) {
  TempDir dir;
  auto path = dir.path() / "inbound.journal";
  boost::asio::io_context io;
  auto q = sdk::DurableQueue::open(io, path);
  std::string big(2000, 'x');
  int ok = 0;
  for (int i = 0; i < 3000; ++i) {
    q->push("k" + std::to_string(i), json::object{{"t", big}},
            [&](bool good, const std::string&) { ok += good; });
    if (i != 2999) q->ack("k" + std::to_string(i));
  }
  BOOST_REQUIRE(run_until(io, [&] { return ok == 3000; }));
  BOOST_TEST(std::filesystem::file_size(path) <
             4u * 1024 * 1024);  // 6 MB written, rewritten smaller
  q.reset();
  auto again = sdk::DurableQueue::open(io, path);
  BOOST_TEST(again->depth() == 1u);
  BOOST_TEST(again->contains("k2999"));
}

BOOST_AUTO_TEST_SUITE_END()
