#pragma once
// Test harness: every test gets its own temp HOME and port registry, runs the real binary as a
// child process, waits on real conditions with deadlines, and takes its ports from a
// suite-wide registry so parallel tests never collide.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

// Exit codes are compared as std::optional<int> (nullopt = did not exit in time).
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::optional<int>> {
  void operator()(std::ostream& os, const std::optional<int>& v) {
    if (v) {
      os << *v;
    } else {
      os << "(no exit)";
    }
  }
};
}  // namespace boost::test_tools::tt_detail

namespace openclaw::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Polls a real condition every 5 ms until it holds (true) or the deadline passes (false).
template <typename F>
bool poll_until(F&& condition, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// Runs an Asio io_context in 5 ms slices until `condition` holds (true) or `deadline` passes
/// (false): for tests that drive SDK objects on their own io_context.
template <typename IoContext, typename F>
bool run_until(IoContext& io, F&& condition, std::chrono::milliseconds deadline = 10s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    io.run_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
  return true;
}

/// A fresh directory under the temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// A block of `size` consecutive ports leased for this test process in a registry shared by all
/// test processes of this user (so parallel tests never get overlapping blocks), released on
/// destruction and reclaimed automatically if the test process dies.
class PortBlock {
 public:
  explicit PortBlock(int size = 120);
  ~PortBlock();
  PortBlock(const PortBlock&) = delete;
  PortBlock& operator=(const PortBlock&) = delete;
  int base() const { return base_; }
  int size() const { return size_; }

 private:
  int base_ = 0;
  int size_ = 0;
  std::string key_;
};

/// OPENCLAW_PLUGIN_PORT_RANGE for a gateway based at block.base(): the block's ports from
/// `first` (past the derived span base .. base + 110) to its end, so "any free port" requests
/// of that gateway's plugins stay inside ports this test holds.
std::string plugin_ports(const PortBlock& block, int first = 111);

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

class Child;

/// One test's private machine: HOME, registry dir, environment for the binary.
class Sandbox {
 public:
  Sandbox();
  const fs::path& home() const { return home_; }
  const fs::path& registry() const { return registry_; }
  std::map<std::string, std::string>& env() { return env_; }

  /// Runs openclaw-host with `args` to completion (deadline 60 s).
  Result run(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& extra_env = {}) const;
  /// Starts openclaw-host with `args` in the background.
  std::unique_ptr<Child> spawn(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& extra_env = {}) const;

 private:
  TempDir dir_;
  fs::path home_;
  fs::path registry_;
  std::map<std::string, std::string> env_;
};

/// A background process whose stdout/stderr go to files. Killed (SIGKILL) on destruction if
/// still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
        const fs::path& log_dir);
  ~Child();
  pid_t pid() const { return pid_; }
  std::string out() const;
  std::string err() const;
  /// Waits until stdout contains `needle` or the process exits; true when found.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds deadline = 20s);
  /// Waits for exit; returns the exit code (128 + signal when killed), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds deadline = 20s);
  bool running();
  /// Sends `sig` and waits for exit.
  std::optional<int> stop(int sig, std::chrono::milliseconds deadline = 10s);

 private:
  pid_t pid_ = -1;
  std::optional<int> code_;
  fs::path out_, err_;
};

/// Copies the built fixture plugin folder `name` (tests/fixtures/<name>) to `dest` with safe
/// permissions (0755 dirs and library, 0644 manifest).
void install_fixture(const std::string& name, const fs::path& dest);

/// Copies the built bundled plugins `ids` (e.g. "webhook", "irc") into a plugins folder of the
/// sandbox's own and makes it the sandbox's bundled plugin dir; returns the folder.
fs::path bundle_plugins(Sandbox& sb, const std::vector<std::string>& ids);

/// True when `needle` occurs in `hay`.
inline bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

/// A TCP socket connected to 127.0.0.1:`port` whose reads give up after `timeout` (so a test
/// reading an answer that never comes fails instead of hanging); -1 when the connect fails.
int connect_loopback(int port, std::chrono::seconds timeout = std::chrono::seconds(10));

/// Path of the built openclaw-host binary.
fs::path host_binary();
std::string read_file(const fs::path& path);
void write_file(const fs::path& path, const std::string& content);
/// Octal permission bits of `path`.
unsigned mode_of(const fs::path& path);

/// A minimal HTTP/1.1 GET over loopback; returns status and body, nullopt when no connection.
struct HttpReply {
  int status = 0;
  std::string body;
};
std::optional<HttpReply> http_get(int port, const std::string& target,
                                  const std::string& host = "127.0.0.1");
/// http_get that stops the test with a failure (not a crash) when nothing answers.
HttpReply must_get(int port, const std::string& target, const std::string& host = "127.0.0.1");

/// The value of `o`; an empty optional stops the test with a failure instead of a crash.
template <typename T>
T value_of(std::optional<T> o) {
  BOOST_TEST_REQUIRE(o.has_value(), "expected a value, got an empty optional");
  return std::move(*o);
}
/// True when a TCP connect to 127.0.0.1:port succeeds.
bool port_accepts(int port);

/// A plain listening socket on 127.0.0.1:port (not ours), closed on destruction.
class Listener {
 public:
  explicit Listener(int port);
  ~Listener();
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace openclaw::test
