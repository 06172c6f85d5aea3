#pragma once
// Helpers shared by the benchmarks.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace openclaw::bench {

/// True when 127.0.0.1:`port` can be bound right now (nothing listens or sits on it).
inline bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// A base port whose `span` ports (base .. base + span - 1; default the derived span and one)
/// are all free right now and outside the instance spans in `avoid` (base .. base + 110 each: a
/// gateway's ports not bound yet), at random in 20000..32000 (below the kernel's ephemeral
/// range); a benchmark never aborts on a port someone else holds. Throws when 500 tries found
/// none.
inline int free_base(int span = 111, const std::vector<int>& avoid = {}) {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(20000, 32000 - span);
  for (int attempt = 0; attempt < 500; ++attempt) {
    int base = pick(rng);
    bool all = std::none_of(avoid.begin(), avoid.end(),
                            [&](int b) { return base <= b + 110 && b <= base + span - 1; });
    for (int p = base; all && p < base + span; ++p) all = port_free(p);
    if (all) return base;
  }
  throw std::runtime_error("no free block of " + std::to_string(span) + " ports in 20000..32000");
}

/// Resident set size of `pid` in kB (VmRSS), or -1.
inline long status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}
inline long rss_kb(pid_t pid) {
  return status_kb(pid, "VmRSS:");
}
/// The anonymous part of the RSS (heap, stacks): what a process holds of its own, unlike the
/// clean code pages of the libraries it touched, which the kernel may drop and share.
inline long anon_kb(pid_t pid) {
  return status_kb(pid, "RssAnon:");
}

/// The `p` quantile (0..1) of `v`.
inline double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

/// Runs `argv` (argv[0] an absolute path) with exactly `env`, stderr to /dev/null. Returns its
/// stdout once it exits. With `bg`: stores the pid and returns as soon as stdout contains `until`
/// (at once when `until` is empty), leaving the process running.
inline std::string run_program(std::vector<std::string> argv, std::vector<std::string> env,
                               pid_t* bg = nullptr, const std::string& until = {}) {
  int out[2];
  if (::pipe(out) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::close(out[0]);
    std::vector<char*> envp, args;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  if (bg) {
    *bg = pid;
    while (!until.empty() && got.find(until) == std::string::npos &&
           (n = ::read(out[0], buf, sizeof buf)) > 0) {
      got.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    return got;
  }
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  ::waitpid(pid, nullptr, 0);
  return got;
}

/// A TCP connection to 127.0.0.1:`port`, or -1.
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Debian's ngircd on 127.0.0.1:`port`, as the tests run it, with its config under `dir`; its
/// pid once it accepts connections (4 s at most).
inline pid_t start_ngircd(const std::filesystem::path& dir, int port,
                          const std::vector<std::string>& env) {
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0755);
  std::ofstream(dir / "ngircd.conf")
      << "[Global]\nName = irc.bench.local\nInfo = bench\nListen = 127.0.0.1\nPorts = " << port
      << "\n[Limits]\nMaxConnectionsIP = 0\nMaxNickLength = 30\nMaxPenaltyTime = 0\n[Options]\nPAM "
         "= no\nIdent = "
         "no\nDNS = no\n";
  ::chmod((dir / "ngircd.conf").c_str(), 0644);
  pid_t pid = -1;
  // Its log goes to /dev/null: a pipe nobody reads would end it with SIGPIPE.
  run_program({"/bin/sh", "-c",
               "exec /usr/sbin/ngircd -n -f '" + (dir / "ngircd.conf").string() + "' >/dev/null"},
              env, &pid);
  for (int i = 0; i < 400; ++i) {
    int s = connect_loopback(port);
    if (s >= 0) {
      ::close(s);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pid;
}

}  // namespace openclaw::bench
