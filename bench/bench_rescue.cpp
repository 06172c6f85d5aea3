// The rescue bot against real processes: gateways of this build and a real ngircd started here.
// main is killed (SIGKILL) N times and stopped (SIGSTOP) M times; each time the time from the
// signal to the alert arriving at the owner's IRC client is measured. Then the watcher's cost:
// the rescue gateway's CPU and RSS while it watches 1, 10 and 50 instances. Prints tables; not
// a test. Then the owner's commands end to end: /start main until ready, /config main set.
//
//   build/bench/bench_rescue [kills] [hangs]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "bench_util.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using openclaw::bench::percentile;
using openclaw::bench::rss_kb;

namespace {

fs::path g_home;

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

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// GET `path` on loopback `port`: the body, "" when nothing answers.
std::string http_get(int port, const std::string& path) {
  int fd = openclaw::bench::connect_loopback(port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) < 0) return "";
  std::string got;
  char b[4096];
  for (ssize_t n; (n = ::read(fd, b, sizeof b)) > 0;) got.append(b, static_cast<size_t>(n));
  ::close(fd);
  auto body = got.find("\r\n\r\n");
  return body == std::string::npos ? "" : got.substr(body + 4);
}

// The owner on IRC: reads the rescue bot's messages with a deadline.
struct Owner {
  int fd = -1;
  std::string buf;
  explicit Owner(int port) {
    fd = openclaw::bench::connect_loopback(port);
    if (fd < 0) throw std::runtime_error("IRC connect failed");
    timeval tv{0, 100000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send("NICK owner");
    send("USER owner 0 * :owner");
    if (wait_for({" 001 "}, 10000).empty()) throw std::runtime_error("IRC registration failed");
  }
  ~Owner() { ::close(fd); }
  void send(const std::string& l) {
    std::string s = l + "\r\n";
    (void)!::write(fd, s.data(), s.size());
  }
  // The first line containing one of `needles` within `ms`; "" on timeout.
  std::string wait_for(const std::vector<std::string>& needles, double ms) {
    auto until = Clock::now() + std::chrono::microseconds(static_cast<long>(ms * 1000));
    while (Clock::now() < until) {
      auto nl = buf.find("\r\n");
      if (nl != std::string::npos) {
        std::string l = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        if (l.rfind("PING ", 0) == 0) send("PONG " + l.substr(5));
        for (const auto& needle : needles) {
          if (l.find(needle) != std::string::npos) return l;
        }
        continue;
      }
      char b[4096];
      ssize_t n = ::read(fd, b, sizeof b);
      if (n > 0) buf.append(b, static_cast<size_t>(n));
    }
    return "";
  }
};

json::object read_config(const std::string& profile) {
  std::ifstream in(g_home / (".openclaw-" + profile) / "openclaw.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str()).as_object();
}

void write_config(const std::string& profile, const json::object& cfg) {
  fs::path p = g_home / (".openclaw-" + profile) / "openclaw.json";
  fs::path tmp = p;
  tmp += ".tmp";
  std::ofstream(tmp) << json::serialize(cfg);
  fs::permissions(tmp, fs::perms(0600));
  fs::rename(tmp, p);
}

int base_of(const std::string& profile) {
  return std::stoi(host({"--profile", profile, "config", "get", "gateway.port"}));
}

// utime + stime of `pid`, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  auto close = s.rfind(')');
  std::istringstream rest(s.substr(close + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return utime + stime;
}

bool watching(int rescue_port, const std::string& profile, const std::string& state) {
  for (int i = 0; i < 500; ++i) {
    if (http_get(rescue_port, "/api/status")
            .find("\"" + profile + "\":{\"state\":\"" + state + "\"") != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  int kills = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  int hangs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  if (!fs::exists("/usr/sbin/ngircd")) {
    std::fprintf(stderr, "bench_rescue: needs ngircd: run scripts/setup\n");
    return 1;
  }
  char tmpl[] = "/tmp/openclaw-bench-rescue-XXXXXX";
  g_home = ::mkdtemp(tmpl);
  ::chmod(g_home.c_str(), 0755);

  host({"--profile", "main", "setup", "--no-token"});
  host({"--profile", "rescue", "setup", "--no-token", "--watch", "main"});
  int rescue_port = base_of("rescue");
  const int irc_port = openclaw::bench::free_base(1, {rescue_port, base_of("main")});
  pid_t ngircd = openclaw::bench::start_ngircd(g_home / "ngircd", irc_port, env_strings());

  const int interval_ms = 200, hung_after = 3;
  json::object cfg = read_config("rescue");
  cfg["channels"] = json::object{{"irc", json::object{{"host", "127.0.0.1"},
                                                      {"port", irc_port},
                                                      {"tls", false},
                                                      {"nick", "rescuebot"},
                                                      {"allowFrom", json::array{"owner!*@*"}},
                                                      {"floodBurst", 20},
                                                      {"floodIntervalMs", 300}}}};
  json::object& rescue_cfg =
      cfg["plugins"].as_object()["entries"].as_object()["rescue"].as_object()["config"].as_object();
  rescue_cfg["intervalMs"] = interval_ms;
  rescue_cfg["hungAfter"] = hung_after;
  rescue_cfg["alertsPerMinute"] = 10000;
  rescue_cfg["notify"] = json::array{json::object{{"channel", "irc"}, {"to", "owner"}}};
  write_config("rescue", cfg);

  Owner owner(irc_port);
  pid_t main_pid = -1, rescue_pid = -1;
  host({"--profile", "main", "gateway"}, &main_pid);
  host({"--profile", "rescue", "gateway"}, &rescue_pid);
  if (!watching(rescue_port, "main", "up")) {
    std::fprintf(stderr, "bench_rescue: the rescue bot never saw main up\n");
    return 1;
  }

  std::vector<double> crash_ms, back_ms;
  int missed = 0;
  for (int i = 0; i < kills; ++i) {
    auto t0 = Clock::now();
    ::kill(main_pid, SIGKILL);
    ::waitpid(main_pid, nullptr, 0);
    // Past 3 starts in 5 minutes a kill is reported as crash-looping, which it then is.
    if (owner.wait_for({"main crashed", "main is crash-looping"}, 5000).empty())
      ++missed;
    else
      crash_ms.push_back(ms_since(t0));
    auto t1 = Clock::now();
    host({"--profile", "main", "gateway"}, &main_pid);
    if (!owner.wait_for({"main is up again"}, 5000).empty()) back_ms.push_back(ms_since(t1));
    // Paced under ngircd's throttle of a client (the bot sends two lines a round).
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  std::vector<double> hang_ms;
  for (int i = 0; i < hangs; ++i) {
    auto t0 = Clock::now();
    ::kill(main_pid, SIGSTOP);
    if (owner.wait_for({"main is hung"}, 10000).empty())
      ++missed;
    else
      hang_ms.push_back(ms_since(t0));
    ::kill(main_pid, SIGCONT);
    owner.wait_for({"main is up again"}, 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }

  // The owner's commands, end to end (PRIVMSG -> the host's CLI for main -> the reply on IRC):
  // /stop then /start main (started detached by the rescue bot, ready), /config main set.
  std::vector<double> start_ms, set_ms;
  ::kill(main_pid, SIGTERM);
  ::waitpid(main_pid, nullptr, 0);  // from here on main is the rescue bot's detached start
  const int commands = std::max(5, kills / 5);
  for (int i = 0; i < commands; ++i) {
    if (i > 0) {
      owner.send("PRIVMSG rescuebot :/stop main");
      if (owner.wait_for({"Stopped main", "stop failed"}, 30000).empty()) ++missed;
    }
    auto t0 = Clock::now();
    owner.send("PRIVMSG rescuebot :/start main");
    std::string started = owner.wait_for({"ready in", "start failed"}, 30000);
    if (started.find("ready in") == std::string::npos) {
      ++missed;
    } else {
      start_ms.push_back(ms_since(t0));
    }
    auto t1 = Clock::now();
    owner.send(std::string("PRIVMSG rescuebot :/config main set canvasHost.enabled ") +
               (i % 2 ? "true" : "false"));
    if (owner.wait_for({"Set canvasHost.enabled", "config set failed"}, 30000).find("Set ") ==
        std::string::npos) {
      ++missed;
    } else {
      set_ms.push_back(ms_since(t1));
    }
  }
  main_pid = 0;
  {
    // The detached main's pid, for the watcher's cost below and the cleanup.
    std::ifstream rec(g_home / ".openclaw-main" / "gateway.json");
    std::string r((std::istreambuf_iterator<char>(rec)), {});
    auto at = r.find("\"pid\":");
    if (at != std::string::npos) main_pid = std::atoi(r.c_str() + at + 6);
  }

  std::printf("Rescue bot, main and rescue on one machine, the owner on a real ngircd\n");
  std::printf("(intervalMs %d, hungAfter %d)\n\n", interval_ms, hung_after);
  std::printf(
      "| event -> alert at the owner | n | p50 ms | p99 ms | target |\n|---|---|---|---|---|\n");
  std::printf(
      "| kill -9 main -> \"main crashed\" (or crash-looping) | %zu | %.1f | %.1f | p99 <= 250 |\n",
      crash_ms.size(), percentile(crash_ms, 0.5), percentile(crash_ms, 0.99));
  std::printf("| main started -> \"main is up again\" (incl. its start) | %zu | %.1f | %.1f | |\n",
              back_ms.size(), percentile(back_ms, 0.5), percentile(back_ms, 0.99));
  std::printf("| SIGSTOP main -> \"main is hung\" | %zu | %.1f | %.1f | <= %d |\n", hang_ms.size(),
              percentile(hang_ms, 0.5), percentile(hang_ms, 0.99), interval_ms * hung_after + 1000);
  std::printf(
      "| \"/start main\" -> \"ready in\" (started detached, ready) | %zu | %.1f | %.1f | |\n",
      start_ms.size(), percentile(start_ms, 0.5), percentile(start_ms, 0.99));
  std::printf(
      "| \"/config main set canvasHost.enabled B\" -> reply (checked, written) | %zu | %.1f | "
      "%.1f | |\n",
      set_ms.size(), percentile(set_ms, 0.5), percentile(set_ms, 0.99));
  std::printf("| alerts or replies that did not come within the deadline | %d | | | 0 |\n\n",
              missed);

  // The watcher's cost: N other gateways watched, the rescue gateway's CPU over 10 s and RSS.
  std::vector<pid_t> others;
  std::printf(
      "| instances watched | intervalMs | rescue CPU, %% of one core | rescue RSS MB |\n"
      "|---|---|---|---|\n");
  long hz = ::sysconf(_SC_CLK_TCK);
  int started = 1;  // main
  for (int n : {1, 10, 50}) {
    for (; started < n; ++started) {
      std::string p = "w" + std::to_string(started);
      host({"--profile", p, "setup", "--no-token"});
      pid_t pid = -1;
      host({"--profile", p, "gateway"}, &pid);
      others.push_back(pid);
    }
    for (int interval : {interval_ms, 1000}) {
      json::object c = read_config("rescue");
      json::object& rc = c["plugins"]
                             .as_object()["entries"]
                             .as_object()["rescue"]
                             .as_object()["config"]
                             .as_object();
      rc["watch"] = n == 1 ? json::value(json::array{"main"}) : json::value("*");
      rc["intervalMs"] = interval;
      write_config("rescue", c);
      std::this_thread::sleep_for(std::chrono::seconds(2));  // applied, every one looked at
      long before = cpu_ticks(rescue_pid);
      auto t0 = Clock::now();
      std::this_thread::sleep_for(std::chrono::seconds(10));
      double cpu = static_cast<double>(cpu_ticks(rescue_pid) - before) / static_cast<double>(hz) /
                   std::chrono::duration<double>(Clock::now() - t0).count() * 100.0;
      std::printf("| %d | %d | %.2f | %.1f |\n", n, interval, cpu,
                  static_cast<double>(rss_kb(rescue_pid)) / 1024.0);
    }
  }
  std::printf(
      "\n(one GET /readyz per watched gateway per interval, on a kept connection; the "
      "registry read once per interval)\n");

  for (pid_t p : others) ::kill(p, SIGTERM);
  for (pid_t p : {main_pid, rescue_pid, ngircd}) {
    if (p > 0) ::kill(p, SIGTERM);
  }
  for (pid_t p : others) ::waitpid(p, nullptr, 0);
  for (pid_t p : {rescue_pid, ngircd}) ::waitpid(p, nullptr, 0);
  // main is no child of ours now: its exit is seen by its pid.
  for (int i = 0; i < 500 && main_pid > 0 && ::kill(main_pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::error_code ec;
  fs::remove_all(g_home, ec);
  return missed == 0 ? 0 : 1;
}
