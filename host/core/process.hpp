#pragma once
// Running another program (systemctl, launchctl) without a shell.

#include <string>
#include <vector>

namespace openclaw {

/// Runs argv[0] (looked up on PATH) with argv and waits. With `quiet`, its output goes to
/// /dev/null. Returns the exit code, 127 when it could not be started, 128 + signal when killed.
int run_program(const std::vector<std::string>& argv, bool quiet = false);

}  // namespace openclaw
