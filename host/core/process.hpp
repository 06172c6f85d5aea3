#pragma once
// Running another program (systemctl, launchctl) without a shell.

#include <cstddef>
#include <string>
#include <vector>

namespace openclaw {

/// Runs argv[0] (looked up on PATH) with argv and waits. With `quiet`, its output goes to
/// /dev/null. Returns the exit code, 127 when it could not be started, 128 + signal when killed.
int run_program(const std::vector<std::string>& argv, bool quiet = false);

/// Runs argv[0] (looked up on PATH) as run_program does, its stdout captured into `out` (at
/// most `limit` bytes kept; stderr to /dev/null). Returns the exit code as run_program does.
int run_program_output(const std::vector<std::string>& argv, std::string& out,
                       std::size_t limit = 1u << 16);

/// Starts argv[0] (a path) in a session of its own, stdin from /dev/null, stdout and stderr
/// appended to `output` (created 0600), and returns its pid without waiting: a daemon that
/// outlives the caller (the caller may reap it with waitpid while it waits for it to be ready).
/// Throws std::system_error naming the program when it cannot be started.
int spawn_detached(const std::vector<std::string>& argv, const std::string& output);

}  // namespace openclaw
