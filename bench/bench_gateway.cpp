// Gateway benchmark: cold start to ready, idle RSS, `status` CLI latency, and WebSocket `health`
// round trips per second with 1, 10 and 100 concurrent clients. Runs the real binary.
// Prints tables; not a test.
//
//   build/bench/bench_gateway [seconds-per-load-run] [--compare OTHER_BINARY] [--burst-only]
//
// Every table runs for OTHER_BINARY (e.g. a build of an earlier commit, with its
// libopenclaw-sdk.so beside it) and then for this build's binary, so a before/after comparison
// comes from one run on one machine. The burst table (1000 clients at once: peak RSS, concurrent
// `health` p99) comes first.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

using openclaw::bench::percentile;
using openclaw::bench::rss_kb;

namespace {

fs::path g_home;
int g_port = 0;
std::string g_binary = OPENCLAW_HOST_BINARY;

std::vector<std::string> env_strings() {
  std::vector<std::string> env{
      "HOME=" + g_home.string(), "OPENCLAW_PORT_REGISTRY_DIR=" + (g_home / "registry").string(),
      "OPENCLAW_BUNDLED_PLUGINS_DIR=" + (g_home / "none").string(),
      "OPENCLAW_GATEWAY_PORT=" + std::to_string(g_port), "PATH=/usr/bin:/bin"};
  // A binary compared with --compare may bring its own libopenclaw-sdk.so beside it.
  fs::path dir = fs::path(g_binary).parent_path();
  if (fs::exists(dir / "libopenclaw-sdk.so.0")) env.push_back("LD_LIBRARY_PATH=" + dir.string());
  return env;
}

pid_t spawn(std::vector<std::string> args, int out_fd) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    auto envs = env_strings();
    std::vector<char*> envp, argv{g_binary.data()};
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// Starts the gateway and returns its pid once it printed its ready line; ms is the wall time.
pid_t start_gateway(double& ms) {
  int out[2];
  if (::pipe(out) != 0) return -1;
  auto t0 = Clock::now();
  pid_t pid = spawn({"gateway"}, out[1]);
  ::close(out[1]);
  std::string got;
  char buf[512];
  while (got.find("gateway ready") == std::string::npos) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ::close(out[0]);
  return pid;
}

double stop_gateway(pid_t pid) {
  auto t0 = Clock::now();
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// One client: handshake, then `health` requests back to back until the deadline.
class LoadClient : public std::enable_shared_from_this<LoadClient> {
 public:
  LoadClient(asio::io_context& io, Clock::time_point until, long& count)
      : ws_(io), resolver_(io), until_(until), count_(count) {}

  void start() {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(g_port));
    ws_.next_layer().async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->ws_.async_handshake("127.0.0.1", "/", [self](beast::error_code ec) {
        if (ec) return;
        self->read([self] {  // connect.challenge
          self->send(
              R"({"type":"req","id":"c","method":"connect","params":{"minProtocol":4,"maxProtocol":4}})",
              [self] { self->read_response([self] { self->loop(); }); });
        });
      });
    });
  }

 private:
  template <typename F>
  void read(F then) {
    buffer_.consume(buffer_.size());
    ws_.async_read(buffer_, [self = shared_from_this(), then](beast::error_code ec, std::size_t) {
      if (!ec) then();
    });
  }
  // Skips events until a response frame.
  template <typename F>
  void read_response(F then) {
    read([self = shared_from_this(), then] {
      std::string_view text(static_cast<const char*>(self->buffer_.cdata().data()),
                            self->buffer_.size());
      if (text.find(R"("type":"res")") == std::string_view::npos) return self->read_response(then);
      then();
    });
  }
  template <typename F>
  void send(std::string text, F then) {
    out_ = std::move(text);
    ws_.async_write(asio::buffer(out_),
                    [self = shared_from_this(), then](beast::error_code ec, std::size_t) {
                      if (!ec) then();
                    });
  }
  void loop() {
    if (Clock::now() >= until_) {
      beast::error_code ec;
      ws_.next_layer().close(ec);
      return;
    }
    send(R"({"type":"req","id":"h","method":"health"})", [self = shared_from_this()] {
      self->read_response([self] {
        ++self->count_;
        self->loop();
      });
    });
  }

  websocket::stream<tcp::socket> ws_;
  tcp::resolver resolver_;
  beast::flat_buffer buffer_;
  std::string out_;
  Clock::time_point until_;
  long& count_;
};

double round_trips_per_second(int clients, double seconds) {
  asio::io_context io;
  long count = 0;
  auto until = Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  for (int i = 0; i < clients; ++i) std::make_shared<LoadClient>(io, until, count)->start();
  auto t0 = Clock::now();
  io.run();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(count) / elapsed;
}

/// Peak resident set size of `pid` in kB (VmHWM), or -1.
long peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A burst client: connects with every other client at once, completes the handshake, then on the
// signal sends one `health` request and times its answer. Reads every frame (events included), as
// a well-behaved client does.
struct Burst {
  int clients = 0;
  int hello = 0;               // clients that got hello-ok
  int answered = 0;            // clients whose health call was answered
  std::vector<double> rtt_ms;  // health round trips
  std::function<void()> on_all_hello;
};

class BurstClient : public std::enable_shared_from_this<BurstClient> {
 public:
  BurstClient(asio::io_context& io, Burst& burst) : ws_(io), burst_(burst) {}

  void start() {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(g_port));
    ws_.next_layer().async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->ws_.async_handshake("127.0.0.1", "/", [self](beast::error_code ec) {
        if (!ec) self->read();
      });
    });
  }

  void ask_health() {
    t0_ = Clock::now();
    out_ = R"({"type":"req","id":"h","method":"health"})";
    ws_.async_write(asio::buffer(out_),
                    [self = shared_from_this()](beast::error_code, std::size_t) {});
  }

  void close() {
    beast::error_code ec;
    ws_.next_layer().close(ec);
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->on_frame(beast::buffers_to_string(self->buffer_.data()));
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void on_frame(const std::string& text) {
    if (text.find(R"("event":"connect.challenge")") != std::string::npos) {
      out_ =
          R"({"type":"req","id":"c","method":"connect","params":{"minProtocol":4,"maxProtocol":4}})";
      ws_.async_write(asio::buffer(out_),
                      [self = shared_from_this()](beast::error_code, std::size_t) {});
    } else if (text.find(R"("type":"hello-ok")") != std::string::npos) {
      if (++burst_.hello == burst_.clients && burst_.on_all_hello) burst_.on_all_hello();
    } else if (text.find(R"("id":"h")") != std::string::npos) {
      burst_.rtt_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0_).count());
      ++burst_.answered;
    }
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  std::string out_;
  Clock::time_point t0_;
  Burst& burst_;
};

struct BurstResult {
  int hello = 0, answered = 0;
  double p50 = 0, p99 = 0, max = 0;
  double peak_mb = 0, settled_mb = 0;
};

// A fresh gateway, `n` clients connecting at once; once all have their hello-ok, all call `health`
// at once. Peak RSS is the gateway's VmHWM since its start.
BurstResult burst(int n) {
  double ms = 0;
  pid_t gw = start_gateway(ms);
  asio::io_context io;
  Burst b;
  b.clients = n;
  std::vector<std::shared_ptr<BurstClient>> clients;
  for (int i = 0; i < n; ++i) clients.push_back(std::make_shared<BurstClient>(io, b));
  b.on_all_hello = [&] {
    for (auto& c : clients) c->ask_health();
  };
  for (auto& c : clients) c->start();
  // Done when every health call is answered, or after 30 s (a failed run shows in the counts).
  asio::steady_timer poll(io);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  std::function<void()> check = [&] {
    if (b.answered == n || Clock::now() > deadline) {
      for (auto& c : clients) c->close();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([&](beast::error_code) { check(); });
  };
  check();
  io.run();
  BurstResult r;
  r.hello = b.hello;
  r.answered = b.answered;
  if (!b.rtt_ms.empty()) {
    r.p50 = percentile(b.rtt_ms, 0.5);
    r.p99 = percentile(b.rtt_ms, 0.99);
    r.max = percentile(b.rtt_ms, 1.0);
  }
  r.peak_mb = static_cast<double>(peak_rss_kb(gw)) / 1024.0;
  r.settled_mb = static_cast<double>(rss_kb(gw)) / 1024.0;
  stop_gateway(gw);
  return r;
}

void burst_table(int n, const std::vector<std::string>& binaries) {
  std::printf("\n%d WebSocket clients connecting at once, then %d concurrent `health` calls\n\n", n,
              n);
  std::printf(
      "| binary | hello-ok | answered | health p50 (ms) | p99 (ms) | max (ms) | peak RSS VmHWM "
      "(MB) | RSS after (MB) |\n");
  std::printf(
      "|--------|---------:|---------:|----------------:|---------:|---------:|--------------------"
      ":|---------------:|\n");
  for (const auto& bin : binaries) {
    g_binary = bin;
    BurstResult r = burst(n);
    std::printf("| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n", bin.c_str(), r.hello,
                r.answered, r.p50, r.p99, r.max, r.peak_mb, r.settled_mb);
    std::fflush(stdout);
  }
  g_binary = OPENCLAW_HOST_BINARY;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3.0;
  std::vector<std::string> binaries{OPENCLAW_HOST_BINARY};
  bool burst_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--compare" && i + 1 < argc) {
      binaries.insert(binaries.begin(), argv[++i]);  // the reference first: "before", then "after"
    } else if (a == "--burst-only") {
      burst_only = true;
    } else {
      seconds = std::atof(argv[i]);
    }
  }
  g_port = openclaw::bench::free_base();
  g_home = fs::temp_directory_path() / ("openclaw-bench-gateway-" + std::to_string(::getpid()));
  fs::remove_all(g_home);
  fs::create_directories(g_home);

  burst_table(1000, binaries);
  if (burst_only) {
    fs::remove_all(g_home);
    return 0;
  }

  // Every table below, for each binary in turn (the reference first), so a before/after pair
  // comes from one run.
  for (const auto& binary : binaries) {
    g_binary = binary;
    std::printf("\n### %s\n\n", binary.c_str());
    // Cold start, idle RSS, stop time.
    std::vector<double> start_ms, stop_ms, rss_mb;
    for (int i = 0; i < 20; ++i) {
      double ms = 0;
      pid_t pid = start_gateway(ms);
      start_ms.push_back(ms);
      rss_mb.push_back(static_cast<double>(rss_kb(pid)) / 1024.0);
      stop_ms.push_back(stop_gateway(pid));
    }
    std::printf("Gateway (no plugins), 20 runs\n\n");
    std::printf(
        "| measure                    | p50      | p90      "
        "|\n|----------------------------|---------:|---------:|\n");
    std::printf("| cold start to ready (ms)   | %8.1f | %8.1f |\n", percentile(start_ms, 0.5),
                percentile(start_ms, 0.9));
    std::printf("| RSS when ready (MB)        | %8.1f | %8.1f |\n", percentile(rss_mb, 0.5),
                percentile(rss_mb, 0.9));
    std::printf("| SIGTERM to exit (ms)       | %8.1f | %8.1f |\n", percentile(stop_ms, 0.5),
                percentile(stop_ms, 0.9));

    double ms = 0;
    pid_t gw = start_gateway(ms);
    // `status` CLI latency against the running gateway (exec to exit).
    std::vector<double> status_ms;
    int devnull = ::open("/dev/null", O_WRONLY);
    for (int i = 0; i < 50; ++i) {
      auto t0 = Clock::now();
      pid_t pid = spawn({"status", "--json"}, devnull);
      ::waitpid(pid, nullptr, 0);
      status_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    ::close(devnull);
    std::printf("| `status --json` CLI (ms)   | %8.1f | %8.1f |\n", percentile(status_ms, 0.5),
                percentile(status_ms, 0.9));

    std::printf(
        "\nWebSocket `health` round trips, %.0f s per row (client and gateway share the 2 "
        "cores)\n\n",
        seconds);
    std::printf("| clients | round trips/s |\n|--------:|--------------:|\n");
    for (int clients : {1, 10, 100}) {
      std::printf("| %7d | %13.0f |\n", clients, round_trips_per_second(clients, seconds));
      std::fflush(stdout);
    }
    // What the load leaves behind: peak (VmHWM), right after, and one minute later, idle.
    double after_mb = static_cast<double>(rss_kb(gw)) / 1024.0;
    std::this_thread::sleep_for(std::chrono::seconds(60));
    std::printf(
        "\n| RSS (MB) | idle at ready | peak | right after the load | one minute after |\n"
        "|---|---|---|---|---|\n| gateway | %.1f | %.1f | %.1f | %.1f |\n",
        percentile(rss_mb, 0.5), static_cast<double>(peak_rss_kb(gw)) / 1024.0, after_mb,
        static_cast<double>(rss_kb(gw)) / 1024.0);
    stop_gateway(gw);
  }
  fs::remove_all(g_home);
  return 0;
}
