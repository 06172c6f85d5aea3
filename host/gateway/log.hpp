#pragma once
// The gateway's one logger: stderr and <state dir>/logs/gateway.log (0600). What any one
// request can make it write is bounded: a line is cut at kMaxLine bytes with its control
// characters escaped (no forged lines), a message repeated in a burst is written a few times and
// then counted, and the file is rotated by size (gateway.log.1 .. .N). Thread-safe (the
// watchdog's monitor thread logs too).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <mutex>
#include <string>
#include <unordered_map>

#include "openclaw/sdk/log.hpp"

namespace openclaw::gateway {

class GatewayLog {
 public:
  struct Limits {
    std::uint64_t max_bytes = 10u << 20;  ///< rotate when the file passes this
    int keep = 5;                         ///< rotated files kept (gateway.log.1 is the newest)
    int burst = 20;                       ///< lines of one shape per window before suppression
    std::chrono::milliseconds window{10000};
  };
  static constexpr std::size_t kMaxLine = 2048;

  /// Opens (creating 0700/0600, fixing a wider mode) `<state_dir>/logs/gateway.log`. Logging
  /// to the file is best effort: when it cannot be opened, stderr still works.
  /// `level` is a --log-level name ("error", "warn", "info", "debug").
  GatewayLog(const std::filesystem::path& state_dir, const std::string& level, std::ostream& err,
             Limits limits);
  ~GatewayLog();
  GatewayLog(const GatewayLog&) = delete;
  GatewayLog& operator=(const GatewayLog&) = delete;

  void operator()(sdk::LogLevel level, const std::string& message);

  /// Limits from OPENCLAW_LOG_MAX_BYTES and OPENCLAW_LOG_KEEP when set (for operators and tests).
  static Limits limits_from(const char* max_bytes, const char* keep);
  /// `message` as one safe log line: control characters escaped (\n, \r, \t, \xNN), cut at
  /// kMaxLine bytes with "...(N bytes more)".
  static std::string one_line(const std::string& message);

 private:
  void write(sdk::LogLevel level, const std::string& line);
  void open_file();
  void rotate();

  int rank_;
  std::mutex mutex_;
  std::ostream& err_;
  Limits limits_;
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  struct Burst {
    std::chrono::steady_clock::time_point since;
    int lines = 0;
    std::int64_t suppressed = 0;
    sdk::LogLevel level = sdk::LogLevel::info;
  };
  std::unordered_map<std::string, Burst> bursts_;  ///< by message shape
};

}  // namespace openclaw::gateway
