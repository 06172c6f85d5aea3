#include "support/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/error.hpp"
#include "gateway/client.hpp"
#include "ports/lease_store.hpp"
#include "ports/system.hpp"

namespace openclaw::test {

namespace {
std::string unique_suffix() {
  static std::atomic<int> counter{0};
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rng() % 1000000);
}

}  // namespace

TempDir::TempDir() {
  path_ = fs::temp_directory_path() / ("openclaw-test-" + unique_suffix());
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

// ---- PortBlock ---------------------------------------------------------------------------------

namespace {
fs::path shared_registry() {
  return fs::temp_directory_path() / ("openclaw-test-ports-" + std::to_string(::getuid()));
}
}  // namespace

PortBlock::PortBlock(int size) : size_(size) {
  ports::LeaseStore store(shared_registry());
  std::vector<sdk::PortRequest> requests;
  for (int i = 0; i < size; ++i) {
    sdk::PortRequest r;
    r.name = "p";  // appended: "p" + std::to_string(i) trips g++ 12's false -Wrestrict at -O3
    r.name += std::to_string(i);
    r.offset = i;
    r.reserved = true;
    requests.push_back(r);
  }
  static std::mt19937 rng{std::random_device{}()};
  key_ = "test-block-" + unique_suffix();
  // Below Linux's ephemeral range (32768+), so client sockets never sit on our servers' ports.
  std::uniform_int_distribution<int> pick(20000, 32000 - size);
  // Tests that check OpenClaw's default bases (18789, 19001, main 23592, rescue 23532) probe
  // those ports; blocks stay clear of them.
  auto near_defaults = [size](int base) {
    for (int d : {18789, 19001, 23532, 23592}) {
      if (base <= d + 115 && d <= base + size) return true;
    }
    return false;
  };
  for (int attempt = 0; attempt < 500; ++attempt) {
    int base = pick(rng);
    if (near_defaults(base)) continue;
    auto plan = ports::make_plan(base, "test", requests);
    ports::Owner owner{std::string("test"), key_, ports::self_pid(), ports::self_start_time(),
                       base};
    try {
      store.acquire(owner, plan);
      base_ = base;
      return;
    } catch (const Error& e) {
      if (e.code() != Exit::conflict) throw;
    }
  }
  throw std::runtime_error("no free block of " + std::to_string(size) + " ports for the test");
}

PortBlock::~PortBlock() {
  try {
    ports::LeaseStore store(shared_registry());
    store.release({std::string("test"), key_, ports::self_pid(), ports::self_start_time(), base_});
  } catch (...) {
  }
}

std::string plugin_ports(const PortBlock& block, int first) {
  return std::to_string(block.base() + first) + "-" +
         std::to_string(block.base() + block.size() - 1);
}

// ---- Sandbox -----------------------------------------------------------------------------------

Sandbox::Sandbox() {
  home_ = dir_.path() / "home";
  registry_ = dir_.path() / "registry";
  fs::create_directories(home_);
  env_["HOME"] = home_.string();
  env_["OPENCLAW_PORT_REGISTRY_DIR"] = registry_.string();
  env_["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env_["NO_COLOR"] = "1";
  env_["LANG"] = "C.UTF-8";
  // Only the plugins a test installs: not the build tree's bundled ones.
  env_["OPENCLAW_BUNDLED_PLUGINS_DIR"] = (dir_.path() / "no-bundled-plugins").string();
  // The sanitizer suite's settings (report files, suppressions) reach every child.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* v = std::getenv(name)) env_[name] = v;
  }
}

Result Sandbox::run(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& extra_env) const {
  auto child = spawn(args, extra_env);
  auto code = child->wait(60s);
  Result r;
  r.code = code.value_or(-1);
  r.out = child->out();
  r.err = child->err();
  return r;
}

std::unique_ptr<Child> Sandbox::spawn(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& extra_env) const {
  std::vector<std::string> argv{host_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = env_;
  for (const auto& [k, v] : extra_env) env[k] = v;
  return std::make_unique<Child>(argv, env, dir_.path());
}

// ---- Child -------------------------------------------------------------------------------------

Child::Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const fs::path& log_dir) {
  std::string id = unique_suffix();
  out_ = log_dir / ("child-" + id + ".out");
  err_ = log_dir / ("child-" + id + ".err");
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env_strings) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  int out_fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Child::~Child() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(10s);
  }
}

std::string Child::out() const {
  return read_file(out_);
}
std::string Child::err() const {
  return read_file(err_);
}

bool Child::running() {
  if (code_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

std::optional<int> Child::wait(std::chrono::milliseconds deadline) {
  poll_until([&] { return !running(); }, deadline);
  return code_;
}

bool Child::wait_for_output(const std::string& needle, std::chrono::milliseconds deadline) {
  bool found = false;
  poll_until(
      [&] {
        found = out().find(needle) != std::string::npos;
        return found || !running();
      },
      deadline);
  return found || out().find(needle) != std::string::npos;
}

std::optional<int> Child::stop(int sig, std::chrono::milliseconds deadline) {
  if (running()) ::kill(pid_, sig);
  return wait(deadline);
}

// ---- helpers -----------------------------------------------------------------------------------

int connect_loopback(int port, std::chrono::seconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

fs::path host_binary() {
  return fs::path(OPENCLAW_HOST_BINARY);
}

void install_fixture(const std::string& name, const fs::path& dest) {
  fs::create_directories(dest);
  fs::permissions(dest, fs::perms(0755));
  for (const auto& e : fs::directory_iterator(fs::path(OPENCLAW_FIXTURES_DIR) / name)) {
    fs::copy_file(e.path(), dest / e.path().filename(), fs::copy_options::overwrite_existing);
    fs::permissions(dest / e.path().filename(),
                    e.path().extension() == ".so" ? fs::perms(0755) : fs::perms(0644));
  }
}

fs::path bundle_plugins(Sandbox& sb, const std::vector<std::string>& ids) {
  fs::path dir = sb.home() / "bundled";
  for (const auto& id : ids) {
    fs::create_directories(dir / id);
    // The manifest and the library only (a plugin's output dir may be its CMake binary dir too).
    for (const auto& e : fs::directory_iterator(fs::path(OPENCLAW_BUILD_DIR) / "plugins" / id)) {
      auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".so" && ext != ".json")) continue;
      fs::copy_file(e.path(), dir / id / e.path().filename(), fs::copy_options::overwrite_existing);
    }
    fs::permissions(dir / id, fs::perms(0755));
  }
  fs::permissions(dir, fs::perms(0755));
  sb.env()["OPENCLAW_BUNDLED_PLUGINS_DIR"] = dir.string();
  return dir;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

// The host's own HTTP/TCP helpers: the tests use what the CLI uses.
bool port_accepts(int port) {
  return gateway::port_answers("127.0.0.1", port, 5s);
}

std::optional<HttpReply> http_get(int port, const std::string& target, const std::string& host) {
  auto reply = gateway::http_get(host, port, target, 5s);
  if (!reply) return std::nullopt;
  return HttpReply{reply->first, reply->second};
}

HttpReply must_get(int port, const std::string& target, const std::string& host) {
  auto reply = http_get(port, target, host);
  BOOST_TEST_REQUIRE(reply.has_value(), "no HTTP answer from " << host << ":" << port << target);
  return *reply;
}

Listener::Listener(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // As servers do (nginx, ours): a connection an earlier test left in TIME_WAIT on this port must
  // not stop the bind (the block was free in the registry; only a listener counts as "in use").
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 4) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace openclaw::test
