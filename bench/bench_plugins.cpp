// Host start with 0, 5 and 50 trivial plugins: wall time from exec to the "ready" line, and
// the gateway's RSS once ready. Runs the real binary. Prints a table; not a test.
//
//   build/bench/bench_plugins [runs]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using openclaw::bench::rss_kb;

namespace {

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
    char* argv[] = {const_cast<char*>(OPENCLAW_HOST_BINARY), const_cast<char*>("gateway"), nullptr};
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

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  std::mt19937 rng{std::random_device{}()};
  int port = 22000 + static_cast<int>(rng() % 8000);
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
          << R"({"id":"trivial-)" << i << R"(","kind":"other","version":"1.0.0","apiVersion":2})";
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
  return 0;
}
