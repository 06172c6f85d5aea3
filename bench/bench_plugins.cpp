// Host start with 0, 5 and 50 trivial plugins: wall time from exec to the "ready" line, and
// the gateway's RSS once ready. Then the live plugin set: a plugin folder renamed into a running
// gateway's plugin dir -> the plugin running (its route and port answering), and removed -> gone,
// p50/p99 over N cycles, with the gateway's WebSocket `health` rate from one client measured
// before and during that storm. Runs the real binary. Prints tables; not a test.
//
//   build/bench/bench_plugins [runs] [drop-in cycles] [--compare OTHER_BINARY]
//
// --compare runs everything with OTHER_BINARY first ("before"), then with this tree's binary
// ("after"), in one run; the plugins are this tree's (built for the same SDK API).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "gateway/client.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using openclaw::bench::percentile;
using openclaw::bench::rss_kb;

namespace {

// The openclaw-host binary measured now (--compare switches it).
std::string g_binary = OPENCLAW_HOST_BINARY;

struct Sample {
  double ms = 0;
  long rss = 0;
};

// Starts the gateway, waits for its ready line on stdout, measures, stops it.
Sample run_once(const fs::path& home, int port) {
  int out[2];
  if (::pipe(out) != 0) return {};
  auto t0 = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::close(out[0]);
    std::string home_env = "HOME=" + home.string();
    std::string reg = "OPENCLAW_PORT_REGISTRY_DIR=" + (home / "registry").string();
    std::string bundled = "OPENCLAW_BUNDLED_PLUGINS_DIR=" + (home / "none").string();
    std::string port_env = "OPENCLAW_GATEWAY_PORT=" + std::to_string(port);
    char* envp[] = {home_env.data(), reg.data(), bundled.data(), port_env.data(), nullptr};
    char* argv[] = {g_binary.data(), const_cast<char*>("gateway"), nullptr};
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string got;
  char buf[512];
  Sample s;
  while (got.find("gateway ready") == std::string::npos) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  s.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  s.rss = rss_kb(pid);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ::close(out[0]);
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The status of GET `target` on 127.0.0.1:`port`, 0 when nothing answers.
int http_status(int port, const char* target) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req =
        std::string("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[64] = {};
      if (::recv(fd, buf, sizeof buf - 1, 0) >= 12) status = std::atoi(buf + 9);
    }
  }
  ::close(fd);
  return status;
}

// Polls until GET `target` answers `want`; the milliseconds that took, or -1 after 10 s.
double wait_status(int port, const char* target, int want, Clock::time_point since) {
  while (Clock::now() - since < std::chrono::seconds(10)) {
    if (http_status(port, target) == want) {
      return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

void drop_in(int cycles) {
  fs::path home =
      fs::temp_directory_path() / ("openclaw-bench-dropin-" + std::to_string(::getpid()));
  fs::remove_all(home);
  fs::path plugins = home / ".openclaw" / "plugins";
  fs::create_directories(plugins);
  int port = openclaw::bench::free_base();
  pid_t gw = -1;
  openclaw::bench::run_program(
      {g_binary, "gateway"},
      {"HOME=" + home.string(), "OPENCLAW_PORT_REGISTRY_DIR=" + (home / "registry").string(),
       "OPENCLAW_BUNDLED_PLUGINS_DIR=" + (home / "none").string(),
       "OPENCLAW_GATEWAY_PORT=" + std::to_string(port)},
      &gw, "gateway ready");
  // One WebSocket client calling `health` back to back; its count per phase.
  std::atomic<long> calls{0};
  std::atomic<bool> done{false};
  std::thread client([&] {
    openclaw::gateway::ClientOptions o;
    o.url = "ws://127.0.0.1:" + std::to_string(port);
    openclaw::gateway::Client c(o);
    while (!done) {
      c.call("health");
      ++calls;
    }
  });
  auto rate_over = [&](auto&& during) {
    long before = calls;
    auto t0 = Clock::now();
    during();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(calls - before) / s;
  };
  double idle_rate = rate_over([] { std::this_thread::sleep_for(std::chrono::seconds(2)); });
  long rss_before = rss_kb(gw);
  std::vector<double> added, removed;
  int failed = 0;
  double storm_rate = rate_over([&] {
    for (int i = 0; i < cycles; ++i) {
      // Copied beside (a hidden folder is not a plugin), then renamed into place: "copy finished".
      fs::path staged = plugins / (".stage-" + std::to_string(i));
      fs::create_directories(staged);
      fs::permissions(staged, fs::perms(0755));
      for (const auto& f : fs::directory_iterator(OPENCLAW_LIVE_PLUGIN_DIR)) {
        fs::copy_file(f.path(), staged / f.path().filename());
      }
      auto t0 = Clock::now();
      fs::rename(staged, plugins / "live");
      double in = wait_status(port, "/fixture-live", 200, t0);
      auto t1 = Clock::now();
      fs::rename(plugins / "live", plugins / (".gone-" + std::to_string(i)));
      double out = wait_status(port, "/fixture-live", 404, t1);
      fs::remove_all(plugins / (".gone-" + std::to_string(i)));
      if (in < 0 || out < 0) {
        ++failed;
        continue;
      }
      added.push_back(in);
      removed.push_back(out);
    }
  });
  long rss_after = rss_kb(gw);
  done = true;
  client.join();
  ::kill(gw, SIGTERM);
  ::waitpid(gw, nullptr, 0);
  fs::remove_all(home);
  std::printf(
      "\nLive plugin set: %d drop-in/remove cycles of a plugin that leases a port and serves\n\n",
      cycles);
  std::printf("| measure | p50 ms | p99 ms |\n|---|---|---|\n");
  if (!added.empty()) {
    std::printf(
        "| folder renamed in -> plugin running (route and port answering) | %.1f | %.1f |\n",
        percentile(added, 0.5), percentile(added, 0.99));
    std::printf("| folder renamed out -> plugin gone (route 404, port released) | %.1f | %.1f |\n",
                percentile(removed, 0.5), percentile(removed, 0.99));
  }
  std::printf("\n| gateway | value |\n|---|---|\n");
  std::printf("| WebSocket health calls/s, one client, idle | %.0f |\n", idle_rate);
  std::printf("| WebSocket health calls/s, one client, during the storm | %.0f |\n", storm_rate);
  std::printf("| RSS before / after the %d cycles, MB | %.1f / %.1f |\n", cycles,
              rss_before / 1024.0, rss_after / 1024.0);
  std::printf("| cycles that did not complete within 10 s | %d |\n", failed);
}

void start_to_ready(int runs) {
  int port = openclaw::bench::free_base();
  std::printf("Gateway start to \"ready\" with N trivial plugins (median of %d runs)\n\n", runs);
  std::printf("| plugins | start to ready ms | p90 ms | RSS when ready MB |\n");
  std::printf("|--------:|------------------:|-------:|------------------:|\n");
  for (int n : {0, 5, 50}) {
    fs::path home =
        fs::temp_directory_path() /
        ("openclaw-bench-plugins-" + std::to_string(::getpid()) + "-" + std::to_string(n));
    fs::remove_all(home);
    fs::path plugins = home / ".openclaw" / "plugins";
    fs::create_directories(plugins);
    for (int i = 0; i < n; ++i) {
      fs::path dir = plugins / ("trivial-" + std::to_string(i));
      fs::create_directories(dir);
      fs::permissions(dir, fs::perms(0755));
      fs::copy_file(fs::path(OPENCLAW_TRIVIAL_PLUGIN), dir / "trivial.so");
      std::ofstream(dir / "openclaw.plugin.json")
          << R"({"id":"trivial-)" << i << R"(","kind":"other","version":"1.0.0","apiVersion":4})";
    }
    std::vector<double> ms;
    std::vector<double> rss;
    for (int r = 0; r < runs; ++r) {
      auto s = run_once(home, port);
      ms.push_back(s.ms);
      rss.push_back(static_cast<double>(s.rss) / 1024.0);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("| %7d | %17.1f | %6.1f | %17.1f |\n", n, median(ms), ms[ms.size() * 9 / 10],
                median(rss));
    fs::remove_all(home);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> binaries{OPENCLAW_HOST_BINARY};
  std::vector<int> numbers;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--compare" && i + 1 < argc) {
      binaries.insert(binaries.begin(), argv[++i]);  // the reference first: "before", then "after"
    } else {
      numbers.push_back(std::atoi(argv[i]));
    }
  }
  int runs = numbers.size() > 0 ? numbers[0] : 20;
  int cycles = numbers.size() > 1 ? numbers[1] : 50;
  for (std::size_t b = 0; b < binaries.size(); ++b) {
    g_binary = binaries[b];
    if (binaries.size() > 1) {
      std::printf("\n## %s: %s\n\n", b + 1 < binaries.size() ? "before" : "after",
                  g_binary.c_str());
    }
    start_to_ready(runs);
    drop_in(cycles);
  }
  return 0;
}
