#pragma once
// `<state dir>/gateway-exit.json`: how the gateway last ended and when it was last started, so
// a watcher (the rescue bot), `status` and the next start can say what happened while nothing
// ran: {"lastExit": {"at", "kind", "code"?, "signal"?, "reason", "plugin"?}, "starts": [...]}.
// Written atomically at every start, clean stop and failed start; a fatal signal writes it from
// the crash handler (see crash.hpp) with only async-signal-safe calls.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace openclaw::gateway {

struct LastExit {
  std::int64_t at_ms = 0;
  /// "stopped" (a clean stop), "failed-start" (it never became ready), "crashed" (a fatal signal)
  std::string kind;
  std::optional<int> code;    ///< the exit code, when it exited
  std::optional<int> signal;  ///< the fatal signal, when it crashed
  std::string reason;         ///< one line: the start's error, "signal 11 (SIGSEGV) in plugin x"
  std::string plugin;         ///< the plugin whose code faulted, when one did
};

struct RunHistory {
  std::optional<LastExit> last_exit;
  std::vector<std::int64_t> starts;  ///< the latest starts (at most kKeptStarts), oldest first
  static constexpr std::size_t kKeptStarts = 10;
};

std::filesystem::path exit_record_path(const std::filesystem::path& state_dir);

/// The record; empty when there is none or it does not parse (never throws).
RunHistory read_run_history(const std::filesystem::path& state_dir);

/// Adds a start at `at_ms` (the oldest dropped past kKeptStarts); best effort, returns the
/// history written.
RunHistory note_start(const std::filesystem::path& state_dir, std::int64_t at_ms);

/// Records how the gateway ended; best effort (a state dir that cannot be written is not a
/// second error).
void note_exit(const std::filesystem::path& state_dir, const LastExit& exit);

/// The record's JSON text for `history` (what the crash handler writes, pre-built around it).
std::string to_text(const RunHistory& history);

}  // namespace openclaw::gateway
