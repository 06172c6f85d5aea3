#pragma once
/// \file
/// `<state dir>/gateway-exit.json`: how a gateway last ended and when it was last started, so a
/// watcher (the rescue bot, or any plugin), `status` and the next start can say what happened
/// while nothing ran: {"lastExit": {"at", "kind", "code"?, "signal"?, "reason", "plugin"?},
/// "starts": [...]}. The gateway writes it atomically at every start, clean stop and failed start,
/// and from its crash handler on a fatal signal. A gateway killed outright (SIGKILL, power loss)
/// writes nothing: its last start is then newer than its last exit.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>

namespace openclaw::sdk {

struct BOOST_SYMBOL_VISIBLE LastExit {
  std::int64_t at_ms = 0;
  /// "stopped" (a clean stop), "failed-start" (it never became ready), "crashed" (a fatal signal)
  std::string kind;
  std::optional<int> code;    ///< the exit code, when it exited
  std::optional<int> signal;  ///< the fatal signal, when it crashed
  std::string reason;         ///< one line: the start's error, "signal 11 (SIGSEGV) in plugin x"
  std::string plugin;         ///< the plugin whose code faulted, when one did
};

struct BOOST_SYMBOL_VISIBLE RunHistory {
  std::optional<LastExit> last_exit;
  std::vector<std::int64_t> starts;  ///< the latest starts (at most kKeptStarts), oldest first
  static constexpr std::size_t kKeptStarts = 10;

  /// Starts at or after `since_ms` (crash-looping: 3 or more in 5 minutes).
  std::size_t starts_since(std::int64_t since_ms) const {
    std::size_t n = 0;
    for (auto s : starts) n += s >= since_ms ? 1 : 0;
    return n;
  }
  /// The last start has no exit after it: the gateway runs, or died without a word (SIGKILL).
  bool ended_silently() const {
    return !starts.empty() && (!last_exit || last_exit->at_ms < starts.back());
  }
};

BOOST_SYMBOL_EXPORT std::filesystem::path exit_record_path(const std::filesystem::path& state_dir);

/// The record in `text` (the file's content); what does not parse or has the wrong type is left
/// out (an empty history for text that is no JSON object). Never throws.
BOOST_SYMBOL_EXPORT RunHistory parse_run_history(std::string_view text);

/// The record; empty when there is none or it does not parse (never throws).
BOOST_SYMBOL_EXPORT RunHistory read_run_history(const std::filesystem::path& state_dir);

/// Adds a start at `at_ms` (the oldest dropped past kKeptStarts); best effort, returns the
/// history written.
BOOST_SYMBOL_EXPORT RunHistory note_start(const std::filesystem::path& state_dir,
                                          std::int64_t at_ms);

/// Records how the gateway ended; best effort (a state dir that cannot be written is not a
/// second error).
BOOST_SYMBOL_EXPORT void note_exit(const std::filesystem::path& state_dir, const LastExit& exit);

/// The pid of the gateway serving `state_dir` right now, starting or running (it holds
/// `<state dir>/gateway.lock` from the first moment of its start, before it writes the start
/// record or leases a port), or 0 when none does. A watcher tells with it a start in progress
/// (a start newer than the last exit, nothing in the registry yet) from a gateway that died
/// without a word. Reads only (never takes the lock, so a start is never disturbed); on Linux
/// from /proc/locks, elsewhere from the pid the lock file names. Never throws.
BOOST_SYMBOL_EXPORT int serving_pid(const std::filesystem::path& state_dir);

/// The record's JSON text for `history` (the gateway's crash handler writes the same shape).
BOOST_SYMBOL_EXPORT std::string to_text(const RunHistory& history);

}  // namespace openclaw::sdk
