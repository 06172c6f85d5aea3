#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace openclaw {

/// Milliseconds since the Unix epoch, as OpenClaw's frames carry them.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// "14:03:11 UTC": a moment as people read it in a log line or a reply (never epoch ms).
inline std::string utc_time_of_day(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace openclaw
