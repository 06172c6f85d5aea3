// Port registry benchmark: lease + release latency with N other live instances in the store,
// and many processes leasing overlapping plans at once; and `doctor --all` (the isolation
// checklist) over N profiles, in process and as the command, beside the binary's own start
// (`--version`). Prints tables; not a test.
//
//   build/bench/bench_ports [iterations]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "bench_util.hpp"
#include "cli/isolation.hpp"
#include "core/error.hpp"
#include "ports/lease_store.hpp"
#include "ports/plan.hpp"
#include "ports/system.hpp"

using namespace openclaw;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using openclaw::bench::percentile;

namespace {

ports::Plan plan_at(int base) {
  return ports::make_plan(base, "gateway.port", ports::standard_requests(boost::json::object{}));
}

ports::Owner owner_for(const std::string& name, int base) {
  return {name, "/bench/" + name, ports::self_pid(), ports::self_start_time(), base};
}

void latency_row(const fs::path& root, const char* label, int others, int iterations) {
  fs::path dir =
      root / ("openclaw-bench-" + std::to_string(::getpid()) + "-" + std::to_string(others));
  fs::remove_all(dir);
  ports::LeaseStore store(dir);
  // Other live instances: this process under other state dirs, far from the measured plan.
  for (int i = 0; i < others; ++i) {
    store.acquire(owner_for("other" + std::to_string(i), 30000 + i * 120),
                  plan_at(30000 + i * 120));
  }
  std::vector<double> lease_us, release_us;
  auto me = owner_for("me", 20000);
  auto plan = plan_at(20000);
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    store.acquire(me, plan);
    auto t1 = Clock::now();
    store.release(me);
    auto t2 = Clock::now();
    lease_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    release_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  std::printf("| %-28s | %6d | %10.1f | %10.1f | %12.1f | %12.1f |\n", label, others,
              percentile(lease_us, 0.5), percentile(lease_us, 0.99), percentile(release_us, 0.5),
              percentile(release_us, 0.99));
  fs::remove_all(dir);
}

void concurrent_row(int processes) {
  fs::path dir = fs::temp_directory_path() / ("openclaw-bench-conc-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  int ready[2];
  int go[2];
  if (::pipe(ready) != 0 || ::pipe(go) != 0) return;
  std::vector<pid_t> kids;
  for (int i = 0; i < processes; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      ::close(go[1]);
      char c;
      if (::read(go[0], &c, 1) != 1) ::_exit(3);  // start together
      int code = 0;
      try {
        // Bases 2 apart: every plan overlaps its neighbours'.
        ports::LeaseStore store(dir);
        // Appended: "c" + std::to_string(i) trips g++ 12's false -Wrestrict at -O3.
        std::string name = "c", state_dir = "/bench/c";
        name += std::to_string(i);
        state_dir += std::to_string(i);
        store.acquire(
            {name, state_dir, ports::self_pid(),
             ports::system_processes().start_time(ports::self_pid()).value_or(0), 20000 + 2 * i},
            plan_at(20000 + 2 * i));
      } catch (const Error& e) {
        code = e.code() == Exit::conflict ? 2 : 1;
      }
      char r = static_cast<char>(code);
      if (::write(ready[1], &r, 1) != 1) ::_exit(4);
      ::pause();  // hold the leases until the parent has checked them
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  ::close(ready[1]);
  ::close(go[0]);
  auto t0 = Clock::now();
  std::string start(static_cast<size_t>(processes), 'g');
  if (::write(go[1], start.data(), start.size()) != static_cast<ssize_t>(start.size())) return;
  int granted = 0, refused = 0, failed = 0;
  for (int i = 0; i < processes; ++i) {
    char r;
    if (::read(ready[0], &r, 1) != 1) break;
    (r == 0 ? granted : r == 2 ? refused : failed)++;
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ports::LeaseStore store(dir);
  std::set<int> seen;
  size_t total = 0;
  for (const auto& inst : store.list(false)) {
    for (const auto& l : inst.leases) {
      seen.insert(l.port);
      ++total;
    }
  }
  std::printf("| %9d | %10.1f | %7d | %7d | %6d | %8zu |\n", processes, ms, granted, refused,
              failed, total - seen.size());
  for (pid_t k : kids) ::kill(k, SIGKILL);
  for (pid_t k : kids) ::waitpid(k, nullptr, 0);
  fs::remove_all(dir);
}

// N profiles set up by the real `setup` in a temp HOME, bases 200 apart; then the checklist.
void doctor_row(int profiles, int iterations) {
  fs::path home =
      fs::temp_directory_path() /
      ("openclaw-bench-doctor-" + std::to_string(::getpid()) + "-" + std::to_string(profiles));
  fs::remove_all(home);
  fs::create_directories(home);
  std::vector<std::string> env{
      "HOME=" + home.string(), "OPENCLAW_PORT_REGISTRY_DIR=" + (home / "registry").string(),
      "OPENCLAW_SERVICE_DIR=" + (home / "units").string(), "PATH=/usr/local/bin:/usr/bin:/bin"};
  for (int i = 0; i < profiles; ++i) {
    bench::run_program({OPENCLAW_HOST_BINARY, "--profile", "p" + std::to_string(i), "setup",
                        "--no-token", "--port", std::to_string(21000 + i * 200)},
                       env);
  }
  cli::isolation::Scope scope;
  scope.home = scope.real_home = home;
  scope.env = Environment({{"HOME", home.string()},
                           {"OPENCLAW_PORT_REGISTRY_DIR", (home / "registry").string()},
                           {"OPENCLAW_SERVICE_DIR", (home / "units").string()},
                           {"PATH", "/usr/local/bin:/usr/bin:/bin"}});
  std::vector<double> in_process, command, floor;
  std::size_t found = 0, findings = 0;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    auto s = cli::isolation::survey(scope);
    in_process.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    found = s.members.size();
    findings = s.findings.size();
  }
  for (int i = 0; i < std::max(5, iterations / 10); ++i) {
    auto t0 = Clock::now();
    bench::run_program({OPENCLAW_HOST_BINARY, "doctor", "--all"}, env);
    command.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    t0 = Clock::now();
    bench::run_program({OPENCLAW_HOST_BINARY, "--version"}, env);
    floor.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::printf("| %8d | %9zu | %8zu | %12.2f | %12.2f | %11.1f | %11.1f | %14.1f |\n", profiles,
              found, findings, percentile(in_process, 0.5), percentile(in_process, 0.99),
              percentile(command, 0.5), percentile(command, 0.99), percentile(floor, 0.5));
  fs::remove_all(home);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::printf(
      "Lease + release of one instance's plan (5 ports, 4 fixed + 1 CDP range), %d runs\n\n",
      iterations);
  std::printf(
      "| registry dir                 | others | lease p50 µs | lease p99 µs | release p50 µs | "
      "release p99 µs |\n");
  std::printf(
      "|------------------------------|-------:|-----------:|-----------:|-------------:|----------"
      "---:|\n");
  // The default registry lives in $XDG_RUNTIME_DIR (tmpfs) when there is one, else the temp dir.
  for (int others : {0, 10, 100})
    latency_row(fs::temp_directory_path(), "temp dir", others, iterations);
  if (fs::is_directory("/dev/shm")) {
    for (int others : {0, 10, 100})
      latency_row("/dev/shm", "tmpfs (like XDG_RUNTIME_DIR)", others, iterations);
  }
  std::printf("\nProcesses leasing overlapping plans at once (bases 2 apart)\n\n");
  std::printf("| processes | total ms   | granted | refused | errors | overlaps |\n");
  std::printf("|----------:|-----------:|--------:|--------:|-------:|---------:|\n");
  for (int n : {16, 64}) concurrent_row(n);
  std::printf("\n`doctor --all` over N profiles (target: < 50 ms for 10), %d runs in process\n\n",
              std::max(20, iterations / 20));
  std::printf(
      "| profiles | instances | findings | survey p50 ms | survey p99 ms | command p50 ms | "
      "command p99 ms | --version p50 ms |\n");
  std::printf(
      "|---------:|----------:|---------:|-------------:|-------------:|------------:|------------:"
      "|---------------:|\n");
  for (int n : {1, 10, 30}) doctor_row(n, std::max(20, iterations / 20));
  return 0;
}
