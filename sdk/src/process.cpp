// Supervised child processes; see process.hpp for the model.
//
// host ──fork──> supervisor (own process group, subreaper, ignores SIGTERM/SIGINT/SIGHUP)
//                  └─fork──> child (own process group = its pid) ──exec──> program
//
// Pipes (all O_CLOEXEC in the host):
//   control  host holds the write end; its EOF (host gone or kill()) makes the supervisor sweep
//   exec     supervisor writes the child's pid, the child writes errno if exec fails; EOF = done
//   report   the supervisor writes the child's wait status just before it exits
//   output   the child's stdout + stderr
// Between fork and exec only async-signal-safe calls are made (the host is multi-threaded).
#include "openclaw/sdk/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <system_error>

#include <boost/asio.hpp>

extern char** environ;

namespace openclaw::sdk {
namespace asio = boost::asio;

namespace {

struct Msg {
  int tag;  // 1 = child pid, 2 = exec errno, 3 = wait status
  int value;
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Closes every fd >= 3 except those in `keep` (async-signal-safe).
void close_all_but(int* keep, int n) {
  std::sort(keep, keep + n);
  unsigned lo = 3;
  for (int i = 0; i < n; ++i) {
    if (keep[i] < 3) continue;
    if (static_cast<unsigned>(keep[i]) > lo) ::syscall(SYS_close_range, lo, keep[i] - 1, 0);
    lo = static_cast<unsigned>(keep[i]) + 1;
  }
  ::syscall(SYS_close_range, lo, ~0U, 0);
}

bool write_msg(int fd, int tag, int value) {
  Msg m{tag, value};
  ssize_t n;
  do {
    n = ::write(fd, &m, sizeof m);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof m);
}

// Reads the pids listed in /proc/self/task/<pid>/children (async-signal-safe: open/read only).
int read_children(int* out, int max) {
  char path[64] = "/proc/self/task/";
  int len = 16;
  char digits[16];
  int nd = 0;
  for (int v = static_cast<int>(::getpid()); v > 0; v /= 10)
    digits[nd++] = static_cast<char>('0' + v % 10);
  while (nd > 0) path[len++] = digits[--nd];
  const char tail[] = "/children";
  for (char c : tail) path[len++] = c;  // copies the terminating NUL too
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  int count = 0;
  int cur = -1;
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        cur = (cur < 0 ? 0 : cur * 10) + (buf[i] - '0');
      } else if (cur >= 0) {
        if (count < max) out[count++] = cur;
        cur = -1;
      }
    }
  }
  if (cur >= 0 && count < max) out[count++] = cur;
  ::close(fd);
  return count;
}

// Kills the child's group and every descendant the supervisor (a subreaper) inherits, reaping all.
// With `leave_detached`, a descendant that leads a session of its own (a daemon the child
// started with setsid) is left running; it is re-parented when the supervisor exits.
void sweep(pid_t child_group, bool leave_detached) {
  ::kill(-child_group, SIGKILL);
  if (leave_detached) {
    const pid_t own_session = ::getsid(0);
    for (int round = 0; round < 5000; ++round) {
      int status;
      while (::waitpid(-1, &status, WNOHANG) > 0) {
      }
      int kids[256];
      int n = read_children(kids, 256);
      int left = 0;
      for (int i = 0; i < n; ++i) {
        if (::getsid(kids[i]) != own_session) continue;  // detached: not ours to end
        ::kill(-kids[i], SIGKILL);
        ::kill(kids[i], SIGKILL);
        ++left;
      }
      if (left == 0) return;
      struct timespec ms {
        0, 1000000
      };
      ::nanosleep(&ms, nullptr);
    }
    return;
  }
  for (;;) {
    int kids[256];
    int n = read_children(kids, 256);
    for (int i = 0; i < n; ++i) {
      ::kill(-kids[i], SIGKILL);  // its group (a detached helper leads its own)
      ::kill(kids[i], SIGKILL);
    }
    int status;
    pid_t r = ::waitpid(-1, &status, 0);
    if (r < 0 && errno == ECHILD) return;
  }
}

// Renames the supervisor in `ps` and /proc/<pid>/cmdline: as a fork of the host it would
// otherwise carry the host's command line, and a `pkill -f <host command>` aimed at the host
// would kill it too, before it could sweep. Async-signal-safe: /proc/self/stat gives where the
// argument strings live (fields 48 and 49); they are overwritten in place.
void set_title(const char* title) {
  ::prctl(PR_SET_NAME, "oc-supervisor");
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[2048];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  // Fields after the command name (which may hold spaces) are counted from its closing ')'.
  char* p = nullptr;
  for (ssize_t i = n - 1; i >= 0; --i) {
    if (buf[i] == ')') {
      p = buf + i + 1;
      break;
    }
  }
  if (!p) return;
  unsigned long vals[2] = {0, 0};
  int field = 2;  // the ')' ends field 2
  while (*p && field < 49) {
    while (*p == ' ') ++p;
    ++field;
    unsigned long v = 0;
    while (*p && *p != ' ') {
      v = (*p >= '0' && *p <= '9') ? v * 10 + static_cast<unsigned long>(*p - '0') : v;
      ++p;
    }
    if (field == 48) vals[0] = v;
    if (field == 49) vals[1] = v;
  }
  if (vals[0] == 0 || vals[1] <= vals[0]) return;
  char* start = reinterpret_cast<char*>(vals[0]);
  size_t len = vals[1] - vals[0];
  size_t i = 0;
  for (; title[i] && i + 1 < len; ++i) start[i] = title[i];
  for (; i < len; ++i) start[i] = 0;
}

[[noreturn]] void run_child(const char* path, char* const* argv, char* const* envp, const char* cwd,
                            int exec_w, int out_w, pid_t supervisor) {
  ::setpgid(0, 0);
  // Second line of defence: should the supervisor itself be killed, the child goes too.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != supervisor) ::_exit(127);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD}) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    if (devnull > 2) ::close(devnull);
  }
  ::dup2(out_w, 1);
  ::dup2(out_w, 2);
  int keep[] = {exec_w};
  close_all_but(keep, 1);
  if (cwd && *cwd && ::chdir(cwd) != 0) {
    write_msg(exec_w, 2, errno);
    ::_exit(127);
  }
  ::execve(path, argv, envp);
  write_msg(exec_w, 2, errno);
  ::_exit(127);
}

[[noreturn]] void run_supervisor(const char* path, char* const* argv, char* const* envp,
                                 const char* cwd, int control_r, int exec_w, int report_w,
                                 int out_w, bool leave_detached) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  set_title("openclaw-supervisor");
  pid_t self = ::getpid();
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT}) ::sigaction(s, &ign, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, nullptr);
  int keep[] = {control_r, exec_w, report_w, out_w};
  close_all_but(keep, 4);

  pid_t child = ::fork();
  if (child < 0) {
    write_msg(exec_w, 2, errno);
    ::_exit(127);
  }
  if (child == 0) {
    ::close(control_r);
    ::close(report_w);
    run_child(path, argv, envp, cwd, exec_w, out_w, self);
  }
  ::setpgid(child, child);  // also done by the child: whichever runs first
  ::close(out_w);
  write_msg(exec_w, 1, child);
  ::close(exec_w);

  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  int status = 0;
  for (;;) {
    struct pollfd fds[2] = {{control_r, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int r = ::poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
    if (r < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) {
      // The host went away or asked for a kill: nothing may outlive it.
      sweep(child, leave_detached);
      ::_exit(0);
    }
    pid_t w = ::waitpid(child, &status, pidfd >= 0 ? 0 : WNOHANG);
    if (w == child) break;
  }
  sweep(child, leave_detached);  // helpers it left behind
  write_msg(report_w, 3, status);
  ::_exit(0);
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
}

}  // namespace

std::string ProcessExit::describe() const {
  if (signal != 0) {
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) +
           (name ? std::string(" (") + name + ")" : "");
  }
  return "exited with status " + std::to_string(exit_code);
}

std::optional<std::filesystem::path> find_program(std::string_view name) {
  namespace fs = std::filesystem;
  auto usable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    fs::path p(name);
    if (usable(p)) return p;
    return std::nullopt;
  }
  const char* env = ::getenv("PATH");
  std::string_view path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    fs::path p = fs::path(dir.empty() ? "." : std::string(dir)) / std::string(name);
    if (usable(p)) return p;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

struct ChildProcess::Impl : std::enable_shared_from_this<ChildProcess::Impl> {
  Impl(asio::io_context& io) : output(io), report(io), grace_timer(io) {}

  asio::posix::stream_descriptor output;
  asio::posix::stream_descriptor report;
  asio::steady_timer grace_timer;
  int control_w = -1;
  pid_t supervisor = -1;
  pid_t child = -1;
  std::chrono::milliseconds grace{3000};
  std::string program;
  OutputHandler on_output;
  ExitHandler on_exit;
  std::string partial;
  std::array<char, 8192> buf{};
  std::string report_data;
  std::array<char, 64> report_buf{};
  std::optional<ProcessExit> exited;
  bool stopping = false;
  bool output_done = false;
  bool reaped = false;

  void read_output() {
    output.async_read_some(asio::buffer(buf), [self = shared_from_this()](
                                                  boost::system::error_code ec, std::size_t n) {
      if (n > 0) self->take_output(std::string_view(self->buf.data(), n));
      if (ec) {
        if (!self->partial.empty()) self->emit_line(self->partial);
        self->partial.clear();
        self->output_done = true;
        self->maybe_finish();
        return;
      }
      self->read_output();
    });
  }

  void take_output(std::string_view data) {
    while (!data.empty()) {
      auto nl = data.find('\n');
      if (nl == std::string_view::npos) {
        partial.append(data);
        if (partial.size() > 16384) {
          emit_line(partial);
          partial.clear();
        }
        return;
      }
      partial.append(data.substr(0, nl));
      emit_line(partial);
      partial.clear();
      data.remove_prefix(nl + 1);
    }
  }

  void emit_line(const std::string& line) {
    if (!on_output) return;
    try {
      on_output(std::string_view(line).substr(0, 16384));
    } catch (...) {
    }
  }

  void read_report() {
    report.async_read_some(
        asio::buffer(report_buf),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          self->report_data.append(self->report_buf.data(), n);
          if (!ec) return self->read_report();
          if (ec == asio::error::operation_aborted) return;
          self->reap();
          self->maybe_finish();
        });
  }

  // The supervisor closed its report pipe: it is exiting. Collect it and the child's status.
  void reap() {
    if (reaped) return;
    reaped = true;
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(supervisor, &st, 0);
    } while (r < 0 && errno == EINTR);
    ProcessExit e;
    int status = -1;
    if (report_data.size() >= sizeof(Msg)) {
      Msg m;
      std::memcpy(&m, report_data.data(), sizeof m);
      if (m.tag == 3) status = m.value;
    }
    if (status >= 0 && WIFEXITED(status)) {
      e.exit_code = WEXITSTATUS(status);
    } else if (status >= 0 && WIFSIGNALED(status)) {
      e.signal = WTERMSIG(status);
    } else {
      // No report: the supervisor was killed (kill()) before the child's status was known.
      e.signal = SIGKILL;
    }
    exited = e;
    grace_timer.cancel();
    close_fd(control_w);
  }

  void maybe_finish() {
    if (!reaped || !output_done || !on_exit) return;
    auto handler = std::move(on_exit);
    on_exit = nullptr;
    on_output = nullptr;
    try {
      handler(*exited);
    } catch (...) {
    }
  }

  // Synchronous teardown (destructor): the supervisor sweeps and exits.
  void shutdown() {
    on_exit = nullptr;
    on_output = nullptr;
    if (!reaped) {
      // A short grace for a clean exit (a browser saves its profile on SIGTERM), then the
      // supervisor kills what is left.
      ::kill(-child, SIGTERM);
      auto until =
          std::chrono::steady_clock::now() + std::min(grace, std::chrono::milliseconds(2000));
      int st;
      while (std::chrono::steady_clock::now() < until) {
        if (::waitpid(supervisor, &st, WNOHANG) == supervisor) {
          reaped = true;
          break;
        }
        ::usleep(5000);
      }
      close_fd(control_w);
      if (!reaped) {
        while (::waitpid(supervisor, &st, 0) < 0 && errno == EINTR) {
        }
        reaped = true;
      }
    }
    boost::system::error_code ec;
    grace_timer.cancel();
    output.close(ec);
    report.close(ec);
  }
};

ChildProcess::ChildProcess(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ChildProcess::~ChildProcess() {
  if (impl_) impl_->shutdown();
}

namespace {

// What the forked processes run, built before fork (nothing is allocated after it).
struct ExecImage {
  std::string path;
  std::vector<std::string> args;  ///< argv[0] is the path
  std::vector<std::string> env;   ///< "NAME=value"
  std::vector<char*> argv, envp;  ///< pointers into args and env, null-terminated
  std::string cwd;
  bool leave_detached = false;
};

// The child's environment: the parent's (with inherit_env), then options.env set or unset.
std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::map<std::string, std::string> env_map;
  if (options.inherit_env) {
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      env_map[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
  }
  for (const auto& [k, v] : options.env) {
    if (v) {
      env_map[k] = *v;
    } else {
      env_map.erase(k);
    }
  }
  std::vector<std::string> env;
  env.reserve(env_map.size());
  for (const auto& [k, v] : env_map) env.push_back(k + "=" + v);
  return env;
}

std::unique_ptr<ExecImage> exec_image(const ProcessOptions& options, bool leave_detached) {
  auto path = find_program(options.program);
  if (!path) {
    throw std::system_error(
        ENOENT, std::generic_category(),
        "cannot run \"" + options.program + "\": not found" +
            (options.program.find('/') == std::string::npos ? " on PATH" : " or not executable"));
  }
  auto image = std::make_unique<ExecImage>();
  image->path = path->string();
  image->args.push_back(image->path);
  for (const auto& a : options.args) image->args.push_back(a);
  image->env = child_environment(options);
  for (auto& a : image->args) image->argv.push_back(a.data());
  image->argv.push_back(nullptr);
  for (auto& e : image->env) image->envp.push_back(e.data());
  image->envp.push_back(nullptr);
  image->cwd = options.cwd.string();
  image->leave_detached = leave_detached;
  return image;
}

// The supervisor's answer on the exec pipe, read to EOF: the child's pid (or -1) and the errno
// of a failed exec (or 0).
std::pair<pid_t, int> read_exec_result(int fd) {
  std::string got;
  char b[64];
  for (;;) {
    ssize_t n = ::read(fd, b, sizeof b);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(b, static_cast<size_t>(n));
  }
  pid_t child = -1;
  int exec_errno = 0;
  for (size_t i = 0; i + sizeof(Msg) <= got.size(); i += sizeof(Msg)) {
    Msg m;
    std::memcpy(&m, got.data() + i, sizeof m);
    if (m.tag == 1) child = m.value;
    if (m.tag == 2) exec_errno = m.value;
  }
  return {child, exec_errno};
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::start(asio::io_context& io, ProcessOptions options,
                                                  OutputHandler on_output, ExitHandler on_exit) {
  return start_child(io, options, false, std::move(on_output), std::move(on_exit));
}

std::unique_ptr<ChildProcess> ChildProcess::start_launcher(asio::io_context& io,
                                                           ProcessOptions options,
                                                           OutputHandler on_output,
                                                           ExitHandler on_exit) {
  return start_child(io, options, true, std::move(on_output), std::move(on_exit));
}

std::unique_ptr<ChildProcess> ChildProcess::start_child(asio::io_context& io,
                                                        const ProcessOptions& options,
                                                        bool leave_detached,
                                                        OutputHandler on_output,
                                                        ExitHandler on_exit) {
  auto image = exec_image(options, leave_detached);
  int control[2], exec[2], report[2], out[2];
  make_pipe(control);
  int opened[8] = {control[0], control[1], -1, -1, -1, -1, -1, -1};
  auto close_opened = [&] {
    for (int& fd : opened) close_fd(fd);
  };
  try {
    make_pipe(exec);
    opened[2] = exec[0], opened[3] = exec[1];
    make_pipe(report);
    opened[4] = report[0], opened[5] = report[1];
    make_pipe(out);
    opened[6] = out[0], opened[7] = out[1];
  } catch (...) {
    close_opened();
    throw;
  }

  pid_t sup = ::fork();
  if (sup < 0) {
    int err = errno;
    close_opened();
    throw std::system_error(err, std::generic_category(),
                            "cannot run \"" + image->path + "\": fork");
  }
  if (sup == 0) {
    run_supervisor(image->path.c_str(), image->argv.data(), image->envp.data(), image->cwd.c_str(),
                   control[0], exec[1], report[1], out[1], image->leave_detached);
  }
  ::close(control[0]);
  ::close(exec[1]);
  ::close(report[1]);
  ::close(out[1]);

  // Wait for the exec (EOF on the exec pipe): the child's pid, or why it could not run.
  auto [child, exec_errno] = read_exec_result(exec[0]);
  ::close(exec[0]);
  auto impl = std::make_shared<Impl>(io);
  impl->supervisor = sup;
  impl->control_w = control[1];
  impl->output.assign(out[0]);
  impl->report.assign(report[0]);
  impl->child = child;
  impl->grace = options.stop_grace;
  impl->program = image->path;
  if (child < 0 || exec_errno != 0) {
    impl->shutdown();
    throw std::system_error(exec_errno ? exec_errno : ECHILD, std::generic_category(),
                            "cannot run \"" + image->path + "\"");
  }
  impl->on_output = std::move(on_output);
  impl->on_exit = std::move(on_exit);
  impl->read_output();
  impl->read_report();
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(impl)));
}

int ChildProcess::pid() const {
  return impl_->child;
}

bool ChildProcess::running() const {
  return !impl_->reaped;
}

std::optional<ProcessExit> ChildProcess::exit() const {
  return impl_->exited;
}

void ChildProcess::signal(int sig) {
  if (!impl_->reaped) ::kill(-impl_->child, sig);
}

void ChildProcess::stop() {
  if (impl_->reaped || impl_->stopping) return;
  impl_->stopping = true;
  ::kill(-impl_->child, SIGTERM);
  impl_->grace_timer.expires_after(impl_->grace);
  impl_->grace_timer.async_wait([weak = std::weak_ptr<Impl>(impl_)](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self && !self->reaped) close_fd(self->control_w);  // the supervisor sweeps
  });
}

void ChildProcess::kill() {
  if (!impl_->reaped) close_fd(impl_->control_w);
}

const std::vector<std::string>& instance_environment() {
  static const std::vector<std::string> names{"OPENCLAW_PROFILE", "OPENCLAW_STATE_DIR",
                                              "OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_PORT",
                                              "OPENCLAW_GATEWAY_TOKEN"};
  return names;
}

namespace {

class PidfdWatch final : public ExitWatch {
 public:
  PidfdWatch(asio::io_context& io, int pid, int fd, std::function<void()> on_exit)
      : pid_(pid), stream_(io, fd), alive_(std::make_shared<bool>(true)) {
    stream_.async_wait(
        asio::posix::stream_descriptor::wait_read,
        [alive = alive_, on_exit = std::move(on_exit)](const boost::system::error_code& ec) {
          if (!ec && *alive) on_exit();
        });
  }
  ~PidfdWatch() override {
    *alive_ = false;
    boost::system::error_code ec;
    stream_.close(ec);
  }
  int pid() const override { return pid_; }

 private:
  int pid_;
  asio::posix::stream_descriptor stream_;
  std::shared_ptr<bool> alive_;
};

}  // namespace

std::unique_ptr<ExitWatch> ExitWatch::watch(asio::io_context& io, int pid,
                                            std::function<void()> on_exit) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot watch pid " + std::to_string(pid));
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // pidfds are close-on-exec already; said for the reader
  return std::make_unique<PidfdWatch>(io, pid, fd, std::move(on_exit));
}

}  // namespace openclaw::sdk
