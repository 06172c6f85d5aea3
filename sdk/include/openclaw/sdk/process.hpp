#pragma once
/// \file
/// Supervised child processes on the host's I/O context (a browser, a helper daemon).
///
/// Each child runs under a small supervisor process that the SDK forks first:
/// - the child is in a process group of its own (its pid), so a stop reaches its whole tree;
/// - the supervisor is a subreaper: what the child double-forks or detaches into a new session
///   (Chromium's `chrome_crashpad_handler` does) stays its descendant and is swept with it;
/// - when the host process goes away for any reason (a clean stop, a crash, `kill -9`), the
///   supervisor sees its control pipe close and kills the child's group and every descendant;
///   nothing is ever orphaned (but the daemons of a launcher: start_launcher()).
/// Output (stdout and stderr) is read on the I/O thread line by line; the exit is reported there
/// too. Nothing here blocks the I/O thread except start(), for the fork and exec (milliseconds).

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

struct BOOST_SYMBOL_VISIBLE ProcessOptions {
  /// A path, or a name looked up on PATH (see find_program).
  std::string program;
  std::vector<std::string> args;  ///< without argv[0]
  /// Start from the host's environment (true) or an empty one; then `env` is applied
  /// (a name mapped to nullopt is removed).
  bool inherit_env = true;
  std::map<std::string, std::optional<std::string>> env;
  std::filesystem::path cwd;  ///< empty: the host's
  /// stop(): how long after SIGTERM before everything left is killed.
  std::chrono::milliseconds stop_grace{3000};
};

/// The environment variables that select an OpenClaw instance: its profile, state dir, config
/// file, gateway port and token. A child started for another instance (or for none) must not
/// inherit them; the host removes them from its own environment at start, and a plugin starting
/// `openclaw-host --profile other ...` removes them from `ProcessOptions::env` the same way.
BOOST_SYMBOL_EXPORT const std::vector<std::string>& instance_environment();

/// How a child ended.
struct BOOST_SYMBOL_VISIBLE ProcessExit {
  int exit_code = -1;  ///< when it exited; -1 when killed by a signal
  int signal = 0;      ///< the signal that killed it, 0 when it exited
  /// "exited with status 0", "killed by signal 9 (Killed)".
  BOOST_SYMBOL_EXPORT std::string describe() const;
};

/// One supervised child. OWNERSHIP: destroying the handle kills the child (and its group and
/// descendants) and waits for the supervisor, so a plugin that drops it in stop() leaves nothing.
/// Every member must be called on the I/O thread.
class BOOST_SYMBOL_VISIBLE ChildProcess {
 public:
  /// One line of the child's stdout or stderr, without the newline (long lines are cut at 16 KiB).
  using OutputHandler = std::function<void(std::string_view line)>;
  /// Once, on the I/O thread, when the child has exited and its descendants are gone.
  using ExitHandler = std::function<void(const ProcessExit&)>;

  /// Starts `options.program`. Throws std::system_error naming the program when it cannot be
  /// run (not found, not executable, exec failed). `on_output` and `on_exit` may be empty.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<ChildProcess> start(boost::asio::io_context& io,
                                                                 ProcessOptions options,
                                                                 OutputHandler on_output,
                                                                 ExitHandler on_exit);
  /// start(), for a launcher (`openclaw-host --profile main gateway start`): a daemon the child
  /// starts in a session of its own (setsid) is left running when the child exits or is
  /// stopped, instead of being swept with it; it then belongs to no one here (re-parented to
  /// init or the next subreaper up). What stays in the child's session is swept as always.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<ChildProcess> start_launcher(
      boost::asio::io_context& io, ProcessOptions options, OutputHandler on_output,
      ExitHandler on_exit);
  BOOST_SYMBOL_EXPORT ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The child's pid (also its process group id).
  BOOST_SYMBOL_EXPORT int pid() const;
  BOOST_SYMBOL_EXPORT bool running() const;
  /// The exit, once it happened.
  BOOST_SYMBOL_EXPORT std::optional<ProcessExit> exit() const;
  /// SIGTERM to the child's process group; after options.stop_grace, SIGKILL to it and every
  /// descendant. The exit handler runs when it is gone. Idempotent.
  BOOST_SYMBOL_EXPORT void stop();
  /// SIGKILL to the group and every descendant, now.
  BOOST_SYMBOL_EXPORT void kill();
  /// Sends `signal` to the child's process group (e.g. SIGHUP).
  BOOST_SYMBOL_EXPORT void signal(int signal);

  struct Impl;

 private:
  explicit ChildProcess(std::shared_ptr<Impl> impl);
  static std::unique_ptr<ChildProcess> start_child(boost::asio::io_context& io,
                                                   const ProcessOptions& options,
                                                   bool leave_detached, OutputHandler on_output,
                                                   ExitHandler on_exit);
  std::shared_ptr<Impl> impl_;
};

/// `name` looked up on PATH (or checked as given when it contains a '/'): the first executable
/// regular file found, or nullopt.
BOOST_SYMBOL_EXPORT std::optional<std::filesystem::path> find_program(std::string_view name);

/// Tells when a process of this user exits — any process, not only a child — the moment the
/// kernel knows it (a pidfd, no polling): what a watcher uses to learn of another gateway's
/// death within milliseconds. `on_exit` runs once, on the I/O thread; destroying the watch
/// cancels it.
class BOOST_SYMBOL_VISIBLE ExitWatch {
 public:
  /// Throws std::system_error when `pid` names no process (ESRCH) or the kernel has no pidfd.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<ExitWatch> watch(boost::asio::io_context& io, int pid,
                                                              std::function<void()> on_exit);
  virtual ~ExitWatch() = default;
  virtual int pid() const = 0;
};

}  // namespace openclaw::sdk
