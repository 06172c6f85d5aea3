// Canvas benchmark: static requests/s for a 10 KB and a 1 MB file with keep-alive from 1 and 50
// connections, measured with wrk, side by side in one run with nginx (nginx-light, one worker,
// sendfile on) and Python's http.server serving the same folder; the gateway's RSS during the
// run and while a 200 MB file streams; file change -> page notified latency. Prints tables.
//
//   scripts/setup-bench                # wrk + nginx-light
//   build/bench/bench_canvas [seconds-per-run] [--rounds N] [--compare OTHER_BINARY]
//
// --compare: the openclaw-host of another build tree (an earlier commit's), its bundled plugins
// taken from that tree's plugins/ folder, measured as one more row of the same table, so before
// and after come from one run. --rounds: every cell measured N times, the servers taking turns
// (the order reversed each round), and the median printed: on a busy machine one run says little.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "bench_util.hpp"
#include "gateway/client.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/process.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace sdk = openclaw::sdk;
using Clock = std::chrono::steady_clock;
using openclaw::bench::percentile;
using openclaw::bench::rss_kb;

namespace {

fs::path g_home;

// A build of openclaw-host and the bundled plugins that go with it.
struct Build {
  std::string binary = OPENCLAW_HOST_BINARY;
  std::string plugins = OPENCLAW_BUNDLED_DIR;
};

std::vector<std::string> env_strings(const Build& build = {}) {
  return {"HOME=" + g_home.string(), "OPENCLAW_PORT_REGISTRY_DIR=" + (g_home / "registry").string(),
          "OPENCLAW_BUNDLED_PLUGINS_DIR=" + build.plugins,
          "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"};
}

std::string run(std::vector<std::string> argv, pid_t* bg = nullptr, const std::string& until = {}) {
  return openclaw::bench::run_program(std::move(argv), env_strings(), bg, until);
}

std::string host(std::vector<std::string> args, pid_t* bg = nullptr, const Build& build = {}) {
  args.insert(args.begin(), build.binary);
  return openclaw::bench::run_program(std::move(args), env_strings(build), bg,
                                      bg ? "gateway ready" : "");
}

// A gateway of `build` with the canvas on `www` under its own profile; its canvas port.
int start_canvas(const std::string& profile, const fs::path& www, pid_t& pid,
                 const Build& build = {}) {
  host({"--profile", profile, "setup"}, nullptr, build);
  int base =
      std::stoi(host({"--profile", profile, "config", "get", "gateway.port"}, nullptr, build));
  host({"--profile", profile, "config", "set", "canvasHost.root", www.string()}, nullptr, build);
  host({"--profile", profile, "config", "set", "browser.enabled", "false"}, nullptr, build);
  host({"--profile", profile, "gateway"}, &pid, build);
  return base + 4;
}

bool answers(int port) {
  asio::io_context io;
  sdk::HttpClientRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  r.timeout = std::chrono::milliseconds(500);
  bool ok = false;
  sdk::http_request(io, r, [&](sdk::HttpClientResponse res) { ok = res.error.empty(); });
  io.run();
  return ok;
}

void wait_answers(int port) {
  for (int i = 0; i < 400 && !answers(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

double wrk(const std::string& url, int connections, int seconds) {
  std::string out =
      run({"/usr/bin/wrk", "-t" + std::to_string(connections > 1 ? 2 : 1),
           "-c" + std::to_string(connections), "-d" + std::to_string(seconds) + "s", url});
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) return std::stod(m[1]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 3, rounds = 1;
  std::optional<Build> compared;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--compare" && i + 1 < argc) {
      compared = Build{argv[++i], ""};
      compared->plugins =
          (fs::path(compared->binary).parent_path().parent_path() / "plugins").string();
      if (!fs::exists(compared->binary) || !fs::exists(fs::path(compared->plugins) / "canvas")) {
        std::fprintf(stderr,
                     "bench_canvas: --compare needs an openclaw-host in a build tree (%s "
                     "with its plugins in %s)\n",
                     compared->binary.c_str(), compared->plugins.c_str());
        return 1;
      }
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      seconds = std::max(1, std::atoi(argv[i]));
    }
  }
  if (!fs::exists("/usr/bin/wrk") || !fs::exists("/usr/sbin/nginx")) {
    std::fprintf(stderr, "bench_canvas: needs wrk and nginx-light: run scripts/setup-bench\n");
    return 1;
  }
  char tmpl[] = "/tmp/openclaw-bench-canvas-XXXXXX";
  g_home = ::mkdtemp(tmpl);
  ::chmod(g_home.c_str(), 0755);  // nginx's worker reads the files
  fs::path www = g_home / "www";
  fs::create_directories(www);
  ::chmod(www.c_str(), 0755);
  auto make = [&](const std::string& name, size_t size) {
    std::ofstream out(www / name, std::ios::binary);
    std::string data(size, 'x');
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  make("10k.bin", 10 * 1024);
  make("1m.bin", 1 << 20);
  make("200m.bin", 200u << 20);
  { std::ofstream(www / "index.html") << "<html><body>bench</body></html>"; }

  // Ours: the canvas plugin, its root set to the same folder (and the build compared with).
  pid_t gw = -1, gw_before = -1;
  const int canvas_port = start_canvas("bench", www, gw);
  const int base = canvas_port - 4;
  const int before_port = compared ? start_canvas("before", www, gw_before, *compared) : 0;
  long rss_idle = rss_kb(gw);

  // nginx: one worker, sendfile, access log off; and Python's http.server.
  // Ports of their own, free and clear of the gateways' spans.
  const int nginx_port =
      openclaw::bench::free_base(2, {base, before_port ? before_port - 4 : base});
  const int python_port = nginx_port + 1;
  fs::create_directories(g_home / "nginx" / "logs");
  {
    std::ofstream conf(g_home / "nginx" / "nginx.conf");
    conf << (::geteuid() == 0 ? "user root;\n" : "") << "worker_processes 1;\nerror_log stderr;\n"
         << "pid " << (g_home / "nginx" / "nginx.pid").string() << ";\n"
         << "events { worker_connections 1024; }\n"
         << "http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;\n"
         << "  default_type application/octet-stream;\n"
         << "  client_body_temp_path " << (g_home / "nginx").string() << "/tmp;\n"
         << "  server { listen 127.0.0.1:" << nginx_port << "; root " << www.string() << "; } }\n";
  }
  pid_t nginx = -1, python = -1;
  run({"/usr/sbin/nginx", "-p", (g_home / "nginx").string() + "/", "-c",
       (g_home / "nginx" / "nginx.conf").string(), "-g", "daemon off;"},
      &nginx);
  run({"/usr/bin/python3", "-m", "http.server", std::to_string(python_port), "--bind", "127.0.0.1",
       "--directory", www.string()},
      &python);
  wait_answers(nginx_port);
  wait_answers(python_port);
  wait_answers(canvas_port);
  if (compared) wait_answers(before_port);

  struct Server {
    std::string name;
    std::string base;
  };
  auto canvas_url = [](int port) {
    return "http://127.0.0.1:" + std::to_string(port) + "/__openclaw__/canvas/";
  };
  std::vector<Server> servers = {
      {"openclaw-host canvas", canvas_url(canvas_port)},
      {"nginx 1.22 (1 worker)", "http://127.0.0.1:" + std::to_string(nginx_port) + "/"},
      {"python3 http.server", "http://127.0.0.1:" + std::to_string(python_port) + "/"}};
  if (compared)
    servers.push_back({"openclaw-host canvas, before (--compare)", canvas_url(before_port)});
  std::printf("\nStatic requests/s (wrk, keep-alive, %d s per run", seconds);
  if (rounds > 1) std::printf(", median of %d rounds", rounds);
  std::printf(
      ")\n\n| server | 10 KB, 1 conn | 10 KB, 50 conns | 1 MB, 1 conn | 1 MB, 50 conns "
      "|\n|---|---|---|---|---|\n");
  // runs[server][cell]: every round's rate; the servers take turns within a round.
  std::vector<std::vector<std::vector<double>>> runs(servers.size(),
                                                     std::vector<std::vector<double>>(4));
  long rss_peak = rss_idle;
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < servers.size(); ++k) {
      const std::size_t i = round % 2 ? servers.size() - 1 - k : k;
      int cell = 0;
      for (const char* file : {"10k.bin", "1m.bin"}) {
        for (int c : {1, 50}) {
          runs[i][static_cast<std::size_t>(cell++)].push_back(
              wrk(servers[i].base + file, c, seconds));
          rss_peak = std::max(rss_peak, rss_kb(gw));
        }
      }
    }
  }
  std::vector<std::vector<double>> rates;
  for (std::size_t k = 0; k < servers.size(); ++k) {
    std::vector<double> r;
    for (const auto& cell : runs[k]) r.push_back(percentile(cell, 0.5));
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f |\n", servers[k].name.c_str(), r[0], r[1], r[2],
                r[3]);
    rates.push_back(r);
  }
  auto ratio_row = [&](const char* name, std::size_t a, std::size_t b) {
    std::printf("| %s | %.2fx | %.2fx | %.2fx | %.2fx |\n", name, rates[a][0] / rates[b][0],
                rates[a][1] / rates[b][1], rates[a][2] / rates[b][2], rates[a][3] / rates[b][3]);
  };
  ratio_row("ours / nginx", 0, 1);
  if (compared) {
    ratio_row("before / nginx", 3, 1);
    ratio_row("ours / before", 0, 3);
  }

  // RSS while a 200 MB file streams to a client that reads it all.
  long before = rss_kb(gw), peak = before;
  {
    std::thread reader([&] {
      run({"/usr/bin/wrk", "-t1", "-c1", "-d2s", servers[0].base + "200m.bin"});
    });
    auto until = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < until) {
      peak = std::max(peak, rss_kb(gw));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    reader.join();
  }

  // File change -> page notified, through the live-reload WebSocket (debounce 50 ms included).
  std::vector<double> latency;
  {
    asio::io_context io;
    std::optional<Clock::time_point> told;
    bool open = false;
    sdk::WebSocketClient::Handlers h;
    h.on_open = [&] { open = true; };
    h.on_message = [&](std::string) { told = Clock::now(); };
    auto ws = sdk::WebSocketClient::connect(
        io, "ws://127.0.0.1:" + std::to_string(canvas_port) + "/__openclaw__/ws", h);
    while (!open) io.run_one();
    for (int i = 0; i < 50; ++i) {
      told.reset();
      auto t0 = Clock::now();
      { std::ofstream(www / "index.html") << "<html><body>bench " << i << "</body></html>"; }
      while (!told) io.run_one();
      latency.push_back(std::chrono::duration<double, std::milli>(*told - t0).count());
      io.run_for(std::chrono::milliseconds(80));  // let the debounce window close
    }
  }

  std::printf("\nGateway (canvas plugin loaded)\n\n| measure | value |\n|---|---|\n");
  std::printf("| RSS idle, MB | %.1f |\n", rss_idle / 1024.0);
  std::printf("| RSS peak during the wrk runs, MB | %.1f |\n", rss_peak / 1024.0);
  std::printf("| RSS while a 200 MB file streams: before / peak, MB | %.1f / %.1f |\n",
              before / 1024.0, peak / 1024.0);
  std::printf(
      "| file change -> page notified, p50 / p99 ms (50 changes, 50 ms debounce) | %.1f / %.1f |\n",
      percentile(latency, 0.5), percentile(latency, 0.99));

  for (pid_t p : {gw, gw_before, nginx, python}) {
    if (p <= 0) continue;
    ::kill(p, SIGTERM);
    ::waitpid(p, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(g_home, ec);
  return 0;
}
