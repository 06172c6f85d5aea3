// What every plugin built on the host inherits: a shutdown that destroys every session, memory
// bounded per client, ports the kernel cannot steal, and atomic writes that leave no litter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gateway/client.hpp"
#include "ports/system.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
using openclaw::gateway::Client;
using openclaw::gateway::ClientOptions;
namespace json = boost::json;

namespace {

ClientOptions client_options(int port) {
  ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port);
  return o;
}

std::unique_ptr<Child> start_gateway(const Sandbox& sb, int port,
                                     const std::map<std::string, std::string>& env = {}) {
  auto child = sb.spawn({"gateway", "--port", std::to_string(port)}, env);
  BOOST_REQUIRE_MESSAGE(child->wait_for_output("gateway ready"),
                        "gateway did not start: " + child->err());
  return child;
}

int loopback_socket() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(fd >= 0);
  return fd;
}

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A WebSocket client on a raw socket that sends and never reads: the consumer the gateway must
// not let grow its queue. Its receive buffer is kept small so the kernel buffers little for it.
class NonReadingClient {
 public:
  explicit NonReadingClient(int port) : fd_(loopback_socket()) {
    int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto addr = loopback(port);
    BOOST_TEST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string upgrade =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    BOOST_TEST_REQUIRE(send_all(upgrade));
    // Only the 101 response is read, to know the upgrade happened; nothing after it ever is.
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) head += c;
    BOOST_TEST_REQUIRE(head.rfind("HTTP/1.1 101", 0) == 0u, head);
  }
  ~NonReadingClient() { ::close(fd_); }

  /// Sends one masked text frame; false once the gateway has closed the connection.
  bool send_text(const std::string& text) {
    std::string frame;
    frame += static_cast<char>(0x81);
    if (text.size() < 126) {
      frame += static_cast<char>(0x80 | text.size());
    } else {
      frame += static_cast<char>(0x80 | 126);
      frame += static_cast<char>((text.size() >> 8) & 0xff);
      frame += static_cast<char>(text.size() & 0xff);
    }
    frame.append(4, '\0');  // masking key 0: the payload goes as is
    frame += text;
    return send_all(frame);
  }

 private:
  // False once the connection is gone; a send that only timed out (the gateway busy) is retried.
  bool send_all(const std::string& data) {
    size_t off = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
          std::chrono::steady_clock::now() < deadline) {
        continue;
      }
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  int fd_;
};

// TCP sockets on `port` in state `state` ("06" = TIME_WAIT), from /proc/net/tcp.
int sockets_in_state(int port, const std::string& state) {
  int n = 0;
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string sl, local, remote, st;
    ls >> sl >> local >> remote >> st;
    auto colon = local.rfind(':');
    if (colon != std::string::npos && std::strtol(local.c_str() + colon + 1, nullptr, 16) == port &&
        st == state) {
      ++n;
    }
  }
  return n;
}

std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (contains(e.path().filename().string(), ".tmp-")) out.push_back(e.path().filename());
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_bounded_clients)

BOOST_AUTO_TEST_CASE(sigterm_with_50_clients_connected_exits_0_and_destroys_every_session) {
  // Under the sanitizer suite, a session left undestroyed at exit is a LeakSanitizer report and
  // a non-zero exit.
  Sandbox sb;
  PortBlock block;
  auto gw = start_gateway(sb, block.base());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 50; ++i)
    clients.push_back(std::make_unique<Client>(client_options(block.base())));
  BOOST_TEST(clients.back()->call("health").at("ok").as_bool());
  // None of the clients reads from here on, so no close handshake completes.
  BOOST_TEST(gw->stop(SIGTERM, std::chrono::seconds(20)) == std::optional<int>(0), gw->err());
  BOOST_TEST(contains(gw->err(), "stopped; ports released"), gw->err());
}

BOOST_AUTO_TEST_CASE(a_client_that_never_reads_is_closed_at_max_buffered_bytes) {
  Sandbox sb;
  PortBlock block;
  auto gw = start_gateway(sb, block.base());
  Client good(client_options(block.base()));
  const auto limit = good.hello().at("policy").at("maxBufferedBytes").as_int64();
  BOOST_TEST_REQUIRE(limit > 0);
  const std::size_t status_size = json::serialize(good.call("status")).size();

  NonReadingClient slow(block.base());
  BOOST_TEST_REQUIRE(slow.send_text(
      R"({"type":"req","id":"c","method":"connect","params":{"minProtocol":4,"maxProtocol":4}})"));
  // Each `status` answer waits in the gateway's queue for the slow client. Enough of them to pass
  // the limit several times over, whatever the kernel buffers; the gateway must close it first.
  const std::size_t enough = 4 * static_cast<std::size_t>(limit) / status_size + 20000;
  bool closed = false;
  std::size_t sent = 0;
  int answered = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sent < enough && std::chrono::steady_clock::now() < deadline) {
    if (!slow.send_text(R"({"type":"req","id":"s","method":"status"})")) {
      closed = true;
      break;
    }
    if (++sent % 1000 == 0) {
      // The other client is not slowed down: its calls keep being answered.
      answered += good.call("health").at("ok").as_bool() ? 1 : 0;
    }
  }
  // The close may still be on its way (the gateway gives a non-reader a grace period).
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    closed = !slow.send_text(R"({"type":"req","id":"s","method":"health"})");
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_TEST(closed, "the gateway kept a client that never reads after " << sent << " requests");
  BOOST_TEST(answered == static_cast<int>(sent / 1000));
  BOOST_TEST(good.call("health").at("ok").as_bool());
  BOOST_TEST(poll_until([&] { return contains(gw->err(), "slow consumer"); }, 10s), gw->err());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ephemeral_ports)

BOOST_AUTO_TEST_CASE(setup_picks_a_base_whose_whole_span_is_outside_the_ephemeral_range) {
  // `work` hashes to 41984, inside Linux's default ephemeral range.
  Sandbox sb;
  auto r = sb.run({"--profile", "work", "setup"});
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  auto base = json::parse(read_file(sb.home() / ".openclaw-work/openclaw.json"))
                  .at("gateway")
                  .at("port")
                  .as_int64();
  const auto eph = openclaw::ports::ephemeral_range(std::nullopt);  // the kernel's
  BOOST_TEST(!eph.meets(static_cast<int>(base), static_cast<int>(base) + 110),
             base << " .. " << base + 110 << " meets " << eph.text());
  if (eph.meets(41984, 41984 + 110)) {
    BOOST_TEST(contains(r.out, "ephemeral port range"), r.out);
  }
}

BOOST_AUTO_TEST_CASE(a_range_set_for_the_test_is_avoided_and_an_explicit_base_in_it_warned) {
  Sandbox sb;
  PortBlock block;
  // The test's own block plays the ephemeral range.
  const std::string range = std::to_string(block.base()) + "-" + std::to_string(block.base() + 119);
  const std::map<std::string, std::string> env{
      {"OPENCLAW_EPHEMERAL_PORT_RANGE", range},
      {"OPENCLAW_GATEWAY_PORT", std::to_string(block.base() + 10)}};
  auto r = sb.run({"--profile", "x", "setup"}, env);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  auto base = static_cast<int>(json::parse(read_file(sb.home() / ".openclaw-x/openclaw.json"))
                                   .at("gateway")
                                   .at("port")
                                   .as_int64());
  BOOST_TEST((base + 110 < block.base() || base > block.base() + 119), base);

  // An explicit base inside is accepted, with a warning that says why.
  auto explicit_port =
      sb.run({"--profile", "y", "setup", "--port", std::to_string(block.base())}, env);
  BOOST_TEST(explicit_port.code == 0, explicit_port.err);
  BOOST_TEST(contains(explicit_port.err, "warning: base port " + std::to_string(block.base())),
             explicit_port.err);
  BOOST_TEST(contains(explicit_port.err, "ephemeral port range " + std::to_string(block.base())),
             explicit_port.err);
  auto gw = start_gateway(sb, block.base(), env);
  BOOST_TEST(contains(gw->err(), "TIME_WAIT"), gw->err());
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0));
}

BOOST_AUTO_TEST_CASE(a_port_left_in_time_wait_is_refused_saying_so) {
  Sandbox sb;
  PortBlock block;
  const int canvas = block.base() + 4, server_port = block.base() + 60;
  // A server, and an outgoing connection from the canvas port to it, closed by the client first:
  // the client's side of the connection stays in TIME_WAIT on the canvas port.
  int server = loopback_socket();
  auto saddr = loopback(server_port);
  BOOST_TEST_REQUIRE(::bind(server, reinterpret_cast<sockaddr*>(&saddr), sizeof saddr) == 0);
  BOOST_TEST_REQUIRE(::listen(server, 4) == 0);
  int client = loopback_socket();
  auto caddr = loopback(canvas);
  BOOST_TEST_REQUIRE(::bind(client, reinterpret_cast<sockaddr*>(&caddr), sizeof caddr) == 0);
  BOOST_TEST_REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&saddr), sizeof saddr) == 0);
  int accepted = ::accept(server, nullptr, nullptr);
  BOOST_TEST_REQUIRE(accepted >= 0);
  ::close(client);
  ::close(accepted);
  ::close(server);
  BOOST_TEST_REQUIRE(poll_until([&] { return sockets_in_state(canvas, "06") > 0; }, 5s));

  auto r = sb.run({"gateway", "--port", std::to_string(block.base())});
  BOOST_TEST(r.code == 2, r.err);
  BOOST_TEST(contains(r.err, "port " + std::to_string(canvas) + " (canvas)"), r.err);
  BOOST_TEST(contains(r.err, "a recent outgoing connection left it in TIME_WAIT; free within 60 s"),
             r.err);
  BOOST_TEST(!contains(r.err, "another program"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(atomic_writes)

BOOST_AUTO_TEST_CASE(killed_config_writers_leave_no_temp_file_after_the_next_write) {
  Sandbox sb;
  const fs::path state = sb.home() / ".openclaw";
  BOOST_TEST_REQUIRE(sb.run({"config", "set", "gateway.port", "20001"}).code == 0);
  // 50 writers killed at random points of their run.
  std::mt19937 rng{std::random_device{}()};
  for (int i = 0; i < 50; ++i) {
    auto c = sb.spawn({"config", "set", "agents.defaults.workspace", "/tmp/w" + std::to_string(i)});
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 8000));
    c->stop(SIGKILL);
  }
  // And for certain, the litter a writer killed between creating its temp files and renaming
  // leaves: a dead pid's config and backup temps.
  auto dead = sb.spawn({"--version"});
  BOOST_TEST_REQUIRE(dead->wait() == std::optional<int>(0));
  const std::string pid = std::to_string(dead->pid());
  write_file(state / ("openclaw.json.tmp-" + pid + "-12345"), "{\"half\":");
  write_file(state / ("openclaw.json.bak.tmp-" + pid), "{}");
  // A temp file of a writer still running (this test) is not touched.
  const fs::path live = state / ("openclaw.json.tmp-" + std::to_string(::getpid()) + "-1");
  write_file(live, "{}");

  auto r = sb.run({"config", "set", "gateway.port", "20002"});
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  auto left = temp_files(state);
  BOOST_TEST(left.size() == 1u);
  BOOST_TEST(fs::exists(live));
  BOOST_TEST(json::parse(read_file(state / "openclaw.json")).at("gateway").at("port").as_int64() ==
             20002);
}

BOOST_AUTO_TEST_SUITE_END()
