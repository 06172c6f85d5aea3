// Channels benchmark. One gateway with the webhook, IRC and Telegram channels connected and the
// rescue plugin, against real peers started here: ngircd, a reply sink and a Bot API
// stand-in (both SDK HTTP servers on a thread of their own). Prints tables:
//   - webhook in -> command reply out: signed POSTs over keep-alive connections from a C++ client,
//     one sender per connection (every 202 means the message was fsync'd to the inbound queue
//     first; replies to one sender go in order, to different senders side by side); requests/s
//     accepted and replies/s delivered;
//   - IRC round trip (owner PRIVMSG -> the bot's reply) p50/p99 through ngircd, beside ngircd's
//     own echo round trip between two raw clients (the floor), both paced under ngircd's
//     throttle (3 commands/s per client);
//   - Telegram stand-in update -> sendMessage latency;
//   - the gateway's RSS with all three connected, and after the load.
//
//   - after the load, the RSS once the replies are out and one minute later (what is given back).
//
//   build/bench/bench_channels [seconds-of-webhook-load] [connections]
//   build/bench/bench_channels --kill-rounds [rounds] [messages-per-round]
//     the durability table: rounds of signed webhook commands, the gateway killed with SIGKILL at a
//     random moment of each and restarted; then every 202 must be answered, and a reply delivered
//     twice must carry the same idempotency key, marked as a redelivery.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "bench_util.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace json = boost::json;
namespace sdk = openclaw::sdk;
using Clock = std::chrono::steady_clock;
using openclaw::bench::anon_kb;
using openclaw::bench::percentile;
using openclaw::bench::rss_kb;

namespace {

fs::path g_home;
const std::string kSecret = "bench-webhook-secret-0123456789";
const std::string kToken = "4242:BENCH-token_abcdefghijklmnopqrstuvwxyz";

std::vector<std::string> env_strings() {
  return {"HOME=" + g_home.string(), "OPENCLAW_PORT_REGISTRY_DIR=" + (g_home / "registry").string(),
          "OPENCLAW_BUNDLED_PLUGINS_DIR=" + std::string(OPENCLAW_BUNDLED_DIR),
          "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"};
}

std::string host(std::vector<std::string> args, pid_t* bg = nullptr) {
  args.insert(args.begin(), OPENCLAW_HOST_BINARY);
  return openclaw::bench::run_program(std::move(args), env_strings(), bg,
                                      bg ? "gateway ready" : "");
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// ---- peers in this process: the webhook reply sink and the Bot API stand-in -----------------

struct Peers {
  asio::io_context io;
  std::unique_ptr<sdk::HttpServer> sink, bot;
  std::thread thread;
  std::atomic<long> replies{0};
  std::mutex mu;
  std::condition_variable cv;
  // Telegram
  std::vector<json::object> updates;
  std::optional<sdk::HttpResponder> held;
  std::int64_t held_offset = 0;
  long sends = 0;
  Clock::time_point last_send;

  // Deliveries by idempotency key: how often, and how often not marked as a redelivery.
  std::map<std::string, std::pair<int, int>> by_key;

  Peers(int sink_port, int bot_port) {
    sink = std::make_unique<sdk::HttpServer>(io, [this](const sdk::HttpRequest& r) {
      replies.fetch_add(1);
      if (auto k = r.headers.find("idempotency-key"); k != r.headers.end()) {
        std::lock_guard lock(mu);
        auto& e = by_key[k->second];
        ++e.first;
        if (!r.headers.count("x-openclaw-redelivery")) ++e.second;
      }
      return sdk::HttpResponse::text(200, "{}", "application/json");
    });
    sink->listen("127.0.0.1", sink_port);
    bot = std::make_unique<sdk::HttpServer>(
        io, sdk::AsyncHttpHandler([this](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
          api(r, respond);
        }));
    bot->listen("127.0.0.1", bot_port);
    thread = std::thread([this] { io.run(); });
  }
  ~Peers() {
    asio::post(io, [this] {
      held.reset();
      sink->stop();
      bot->stop();
      io.stop();
    });
    thread.join();
  }
  static sdk::HttpResponse ok(json::value v) {
    return sdk::HttpResponse::text(200, json::serialize(json::object{{"ok", true}, {"result", v}}),
                                   "application/json");
  }
  json::array ready(std::int64_t offset) {
    json::array out;
    for (const auto& u : updates) {
      if (u.at("update_id").as_int64() >= offset) out.push_back(u);
    }
    return out;
  }
  void api(const sdk::HttpRequest& r, sdk::HttpResponder respond) {
    std::string method = r.path.substr(r.path.rfind('/') + 1);
    auto params = json::parse(r.body.empty() ? "{}" : r.body).as_object();
    if (method == "getMe")
      return (void)respond.send(ok(json::object{{"id", 1}, {"username", "bench_bot"}}));
    if (method == "sendMessage") {
      {
        std::lock_guard lock(mu);
        ++sends;
        last_send = Clock::now();
      }
      cv.notify_all();
      return (void)respond.send(ok(json::object{{"message_id", 1}}));
    }
    // getUpdates: answered at once when something is there, else held until an update comes.
    std::int64_t offset = params.contains("offset") ? params.at("offset").as_int64() : 0;
    auto out = ready(offset);
    if (!out.empty()) return (void)respond.send(ok(out));
    held = respond;
    held_offset = offset;
  }
  void add_update(std::int64_t id) {
    asio::post(io, [this, id] {
      updates.push_back(json::object{
          {"update_id", id},
          {"message", json::object{{"message_id", id},
                                   {"from", json::object{{"id", 42}, {"username", "owner"}}},
                                   {"chat", json::object{{"id", 42}, {"type", "private"}}},
                                   {"date", unix_now()},
                                   {"text", "/ports"}}}});
      if (held) {
        auto out = ready(held_offset);
        if (!out.empty()) {
          held->send(ok(out));
          held.reset();
        }
      }
    });
  }
};

// ---- a raw IRC client --------------------------------------------------------------------------

struct Irc {
  int fd = -1;
  std::string buf;
  Irc(int port, const std::string& nick) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("IRC connect failed");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    send("NICK " + nick);
    send("USER " + nick + " 0 * :bench");
    while (line().find(" 001 ") == std::string::npos) {
    }
  }
  ~Irc() { ::close(fd); }
  void send(const std::string& l) {
    std::string s = l + "\r\n";
    if (::write(fd, s.data(), s.size()) < 0) throw std::runtime_error("IRC write failed");
  }
  std::string line() {
    for (;;) {
      auto nl = buf.find("\r\n");
      if (nl != std::string::npos) {
        std::string l = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        if (l.rfind("PING ", 0) == 0) send("PONG " + l.substr(5));
        return l;
      }
      char b[4096];
      ssize_t n = ::read(fd, b, sizeof b);
      if (n <= 0) throw std::runtime_error("IRC connection closed");
      buf.append(b, static_cast<size_t>(n));
    }
  }
  std::string privmsg() {
    for (;;) {
      std::string l = line();
      if (l.find(" PRIVMSG ") != std::string::npos) return l;
    }
  }
};

// ---- the webhook load generator
// ------------------------------------------------------------------

struct Conn : std::enable_shared_from_this<Conn> {
  asio::ip::tcp::socket sock;
  std::string out, in;
  std::array<char, 8192> buf{};
  int id;
  long* sent;
  long* accepted;
  long* refused;
  Clock::time_point* until;
  long limit = -1;  // stop after this many sent (all connections), -1: none
  std::vector<std::string>* acked = nullptr;  // ids answered 202, when kept
  std::string pending_id;
  Conn(asio::io_context& io, int i, long* s, long* a, long* r, Clock::time_point* u)
      : sock(io), id(i), sent(s), accepted(a), refused(r), until(u) {}

  asio::steady_timer wait{sock.get_executor()};
  std::string pending_body;  // a message refused with 503, sent again after a pause

  void next() {
    if (Clock::now() >= *until || (limit >= 0 && *sent >= limit)) return;
    long n = ++*sent;
    pending_id = std::to_string(id) + "-" + std::to_string(n) + "-" + std::to_string(limit);
    send_body(R"({"id":")" + pending_id + R"(","from":"bench-)" + std::to_string(id) +
              R"(","text":"/ports"})");
  }
  void send_body(std::string body) {
    pending_body = body;
    std::string ts = std::to_string(unix_now());
    std::string sig = "sha256=" + sdk::hmac_sha256_hex(kSecret, ts + "." + body);
    out =
        "POST /hooks/bench HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "application/json\r\nX-OpenClaw-Timestamp: " +
        ts + "\r\nX-OpenClaw-Signature: " + sig +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto self = shared_from_this();
    asio::async_write(sock, asio::buffer(out), [self](boost::system::error_code ec, std::size_t) {
      if (!ec) self->read();
    });
  }
  void read() {
    auto self = shared_from_this();
    sock.async_read_some(asio::buffer(buf), [self](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      self->in.append(self->buf.data(), n);
      auto end = self->in.find("\r\n\r\n");
      if (end == std::string::npos) return self->read();
      auto cl = self->in.find("Content-Length: ");
      std::size_t len = cl == std::string::npos ? 0 : std::stoul(self->in.substr(cl + 16));
      if (self->in.size() < end + 4 + len) return self->read();
      bool ok = self->in.compare(9, 3, "202") == 0;
      bool busy = self->in.compare(9, 3, "503") == 0;
      self->in.erase(0, end + 4 + len);
      if (busy) {
        // The gateway is behind: as a well-behaved sender, pause, then send the same message again.
        *self->refused += 1;
        self->wait.expires_after(std::chrono::milliseconds(20));
        self->wait.async_wait([self](boost::system::error_code) {
          if (Clock::now() < *self->until) self->send_body(self->pending_body);
        });
        return;
      }
      *self->accepted += ok ? 1 : 0;
      if (ok && self->acked) self->acked->push_back(self->pending_id);
      self->next();
    });
  }
};

// Writes the bench profile's config: the webhook (replies to the sink) and, unless `webhook_only`,
// IRC and Telegram against the local peers.
void write_config(const fs::path& cfg, int sink_port, int irc_port, int bot_port,
                  bool webhook_only) {
  std::ifstream in(cfg);
  std::stringstream ss;
  ss << in.rdbuf();
  json::object root = json::parse(ss.str()).as_object();
  root["browser"] = json::object{{"enabled", false}};
  root["canvasHost"] = json::object{{"enabled", false}};
  json::object channels{
      {"webhook", json::object{{"secret", kSecret},
                               {"replyUrl", "http://127.0.0.1:" + std::to_string(sink_port) + "/r"},
                               {"allowFrom", json::array{"*"}},
                               {"dmPolicy", "open"}}}};
  if (!webhook_only) {
    channels["irc"] = json::object{{"host", "127.0.0.1"},
                                   {"port", irc_port},
                                   {"tls", false},
                                   {"nick", "benchbot"},
                                   {"allowFrom", json::array{"owner!*@*"}}};
    channels["telegram"] = json::object{{"botToken", kToken},
                                        {"apiRoot", "http://127.0.0.1:" + std::to_string(bot_port)},
                                        {"pollTimeoutSeconds", 30},
                                        {"allowFrom", json::array{"42"}}};
  }
  root["channels"] = std::move(channels);
  std::ofstream out(cfg);
  out << json::serialize(root);
}

// The durability table: see the file comment.
int kill_rounds(int rounds, int per_round) {
  host({"--profile", "bench", "setup", "--no-token"});
  int base = std::stoi(host({"--profile", "bench", "config", "get", "gateway.port"}));
  const int sink_port = openclaw::bench::free_base(2, {base});
  Peers peers(sink_port, sink_port + 1);
  write_config(g_home / ".openclaw-bench" / "openclaw.json", sink_port, 0, 0, true);
  std::mt19937 rng(std::random_device{}());
  std::vector<std::string> all_acked;
  struct Row {
    long sent, acked;
  };
  std::vector<Row> rows;
  pid_t gw = -1;
  for (int round = 0; round < rounds; ++round) {
    host({"--profile", "bench", "gateway"}, &gw);
    long sent = 0, accepted = 0, refused = 0;
    std::vector<std::string> acked;
    Clock::time_point until = Clock::now() + std::chrono::minutes(10);
    asio::io_context io;
    std::vector<std::shared_ptr<Conn>> conns;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(base));
    for (int i = 0; i < 16; ++i) {
      auto c = std::make_shared<Conn>(io, i + 100 * round, &sent, &accepted, &refused, &until);
      c->limit = per_round;
      c->acked = &acked;
      c->sock.connect(ep);
      c->sock.set_option(asio::ip::tcp::no_delay(true));
      conns.push_back(c);
      c->next();
    }
    // SIGKILL once a random share of the round is acknowledged, while replies are leaving.
    long at = std::uniform_int_distribution<long>(per_round / 10, per_round * 9 / 10)(rng);
    while (accepted < at && !io.stopped()) io.run_for(std::chrono::milliseconds(1));
    ::kill(gw, SIGKILL);
    ::waitpid(gw, nullptr, 0);
    io.run_for(std::chrono::milliseconds(200));  // answers already on their way are read
    rows.push_back({sent, static_cast<long>(acked.size())});
    all_acked.insert(all_acked.end(), acked.begin(), acked.end());
  }
  host({"--profile", "bench", "gateway"}, &gw);
  auto answered = [&] {
    std::lock_guard lock(peers.mu);
    long n = 0;
    for (const auto& id : all_acked) n += peers.by_key.count("webhook/bench/" + id + "#0.0");
    return n;
  };
  auto t0 = Clock::now();
  while (answered() < static_cast<long>(all_acked.size()) && ms_since(t0) < 180000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(gw, SIGTERM);
  ::waitpid(gw, nullptr, 0);
  long dup = 0, unmarked_dup = 0;
  {
    std::lock_guard lock(peers.mu);
    for (const auto& [key, e] : peers.by_key) {
      if (e.first > 1) ++dup;
      if (e.second > 1) ++unmarked_dup;
    }
  }
  std::printf(
      "\nkill -9 rounds: %d rounds of %d signed webhook commands over 16 keep-alive connections, "
      "the gateway "
      "SIGKILLed at a random moment of each, then restarted\n\n",
      rounds, per_round);
  std::printf("| round | sent | acknowledged (202) |\n|---|---|---|\n");
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::printf("| %zu | %ld | %ld |\n", i + 1, rows[i].sent, rows[i].acked);
  std::printf(
      "\n| acknowledged | answered | never answered | delivered twice or more | of those, unmarked "
      "twice |\n"
      "|---|---|---|---|---|\n| %zu | %ld | %ld | %ld | %ld |\n",
      all_acked.size(), answered(), static_cast<long>(all_acked.size()) - answered(), dup,
      unmarked_dup);
  std::error_code ec;
  fs::remove_all(g_home, ec);
  return answered() == static_cast<long>(all_acked.size()) && unmarked_dup == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--kill-rounds") {
    char tmpl[] = "/tmp/openclaw-bench-kill-XXXXXX";
    g_home = ::mkdtemp(tmpl);
    ::chmod(g_home.c_str(), 0755);
    return kill_rounds(argc > 2 ? std::max(1, std::atoi(argv[2])) : 5,
                       argc > 3 ? std::max(10, std::atoi(argv[3])) : 5000);
  }
  int seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  int connections = argc > 2 ? std::max(1, std::atoi(argv[2])) : 32;
  if (!fs::exists("/usr/sbin/ngircd")) {
    std::fprintf(stderr, "bench_channels: needs ngircd: run scripts/setup\n");
    return 1;
  }
  char tmpl[] = "/tmp/openclaw-bench-channels-XXXXXX";
  g_home = ::mkdtemp(tmpl);
  ::chmod(g_home.c_str(), 0755);

  host({"--profile", "bench", "setup", "--no-token"});
  int base = std::stoi(host({"--profile", "bench", "config", "get", "gateway.port"}));
  const int irc_port = openclaw::bench::free_base(3, {base});
  const int sink_port = irc_port + 1, bot_port = irc_port + 2;

  pid_t ngircd = openclaw::bench::start_ngircd(g_home / "ngircd", irc_port, env_strings());
  Peers peers(sink_port, bot_port);

  // The config: all three channels, the rescue plugin; no browser, no canvas.
  write_config(g_home / ".openclaw-bench" / "openclaw.json", sink_port, irc_port, bot_port, false);
  pid_t gw = -1;
  host({"--profile", "bench", "gateway"}, &gw);
  // Connected: every channel account up in channels status.
  bool up = false;
  std::string s;
  for (int i = 0; i < 300 && !up; ++i) {
    s = host({"--profile", "bench", "channels", "status", "--json"});
    up = s.find("\"connected\":false") == std::string::npos &&
         s.find("\"irc\"") != std::string::npos && s.find("\"telegram\"") != std::string::npos;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!up) {
    std::fprintf(stderr, "bench_channels: the channels did not connect: %s\n", s.c_str());
    for (pid_t p : {gw, ngircd}) {
      ::kill(p, SIGTERM);
      ::waitpid(p, nullptr, 0);
    }
    return 1;
  }
  long rss_connected = rss_kb(gw), anon_connected = anon_kb(gw);

  // Webhook load.
  long sent = 0, accepted = 0, refused = 0;
  long replies_before = peers.replies.load();
  Clock::time_point t0 = Clock::now(), until = t0 + std::chrono::seconds(seconds);
  {
    asio::io_context io;
    std::vector<std::shared_ptr<Conn>> conns;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(base));
    for (int i = 0; i < connections; ++i) {
      auto c = std::make_shared<Conn>(io, i, &sent, &accepted, &refused, &until);
      c->sock.connect(ep);
      c->sock.set_option(asio::ip::tcp::no_delay(true));
      conns.push_back(c);
      c->next();
    }
    io.run();
  }
  double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // Every accepted message is answered: wait for the replies to drain (bounded).
  auto drain_start = Clock::now();
  while (peers.replies.load() - replies_before < accepted && ms_since(drain_start) < 30000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double all_s = std::chrono::duration<double>(Clock::now() - t0).count();
  long replies = peers.replies.load() - replies_before;
  long rss_after_load = rss_kb(gw), anon_after_load = anon_kb(gw);

  // IRC round trips, paced under ngircd's throttle; the floor first.
  const int kRounds = 40;
  const auto kPace = std::chrono::milliseconds(400);
  std::vector<double> floor_ms, ours_ms;
  {
    Irc a(irc_port, "floora"), b(irc_port, "floorb");
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    for (int i = 0; i < kRounds; ++i) {
      auto t = Clock::now();
      a.send("PRIVMSG floorb :ping " + std::to_string(i));
      b.privmsg();
      b.send("PRIVMSG floora :pong " + std::to_string(i));
      a.privmsg();
      floor_ms.push_back(ms_since(t));
      std::this_thread::sleep_for(kPace);
    }
  }
  {
    Irc owner(irc_port, "owner");
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    for (int i = 0; i < kRounds; ++i) {
      auto t = Clock::now();
      owner.send("PRIVMSG benchbot :/ports");
      owner.privmsg();
      ours_ms.push_back(ms_since(t));
      std::this_thread::sleep_for(kPace);
    }
  }

  // Telegram: update queued at the stand-in -> sendMessage received.
  std::vector<double> tg_ms;
  for (int i = 0; i < 30; ++i) {
    long before;
    {
      std::lock_guard lock(peers.mu);
      before = peers.sends;
    }
    auto t = Clock::now();
    peers.add_update(1000 + i);
    std::unique_lock lock(peers.mu);
    if (!peers.cv.wait_for(lock, std::chrono::seconds(10), [&] { return peers.sends > before; }))
      break;
    tg_ms.push_back(std::chrono::duration<double, std::milli>(peers.last_send - t).count());
  }
  long rss_end = rss_kb(gw), anon_end = anon_kb(gw);
  // What is given back: one minute later, idle.
  std::this_thread::sleep_for(std::chrono::seconds(60));
  long rss_minute = rss_kb(gw), anon_minute = anon_kb(gw);

  std::printf(
      "\nWebhook in -> command reply out (%d keep-alive connections, signed requests, %d s)\n\n",
      connections, seconds);
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| messages sent | %ld |\n", sent);
  std::printf("| accepted (202: fsync'd to the inbound queue first), per s | %.0f |\n",
              accepted / load_s);
  std::printf(
      "| answered 503 (gateway behind: the client paused 20 ms and sent it again) | %ld |\n",
      refused);
  std::printf("| replies delivered to the reply URL, per s (until the last reply) | %.0f |\n",
              replies / all_s);
  std::printf("| replies / accepted | %ld / %ld |\n", replies, accepted);

  std::printf(
      "\nIRC round trip through ngircd (%d rounds, one per %lld ms: ngircd throttles a client past "
      "~3 "
      "commands/s)\n\n| path | p50 ms | p99 ms |\n|---|---|---|\n",
      kRounds, static_cast<long long>(kPace.count()));
  std::printf("| ngircd echo floor (client A -> B -> A) | %.2f | %.2f |\n",
              percentile(floor_ms, 0.5), percentile(floor_ms, 0.99));
  std::printf("| owner -> rescue bot /ports -> owner | %.2f | %.2f |\n", percentile(ours_ms, 0.5),
              percentile(ours_ms, 0.99));
  if (!tg_ms.empty()) {
    std::printf(
        "\nTelegram stand-in: update queued -> sendMessage received (%zu updates)\n\n| p50 ms | "
        "p99 ms |\n|---|---|\n",
        tg_ms.size());
    std::printf("| %.2f | %.2f |\n", percentile(tg_ms, 0.5), percentile(tg_ms, 0.99));
  }
  std::printf(
      "\nGateway RSS (webhook + IRC + Telegram connected, rescue plugin); anonymous = heap and "
      "stacks,\n"
      "the rest is clean library code pages the load touched\n\n| when | RSS MB | anonymous MB "
      "|\n|---|---|---|\n");
  std::printf(
      "| connected, idle | %.1f | %.1f |\n| after the webhook load | %.1f | %.1f |\n| at the end | "
      "%.1f | %.1f |\n"
      "| one minute after the end | %.1f | %.1f |\n",
      rss_connected / 1024.0, anon_connected / 1024.0, rss_after_load / 1024.0,
      anon_after_load / 1024.0, rss_end / 1024.0, anon_end / 1024.0, rss_minute / 1024.0,
      anon_minute / 1024.0);

  for (pid_t p : {gw, ngircd}) {
    ::kill(p, SIGTERM);
    ::waitpid(p, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(g_home, ec);
  return 0;
}
