#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
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

/// "2026-12-02T18:36:04.564Z": a moment as OpenClaw's payloads write it (ISO 8601, UTC).
inline std::string iso8601_utc(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

/// "12 s ago", "3 min ago", "5 h ago", "2 days ago": how long ago `ms` was.
inline std::string ago(std::int64_t ms) {
  std::int64_t s = (now_ms() - ms) / 1000;
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 172800) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

}  // namespace openclaw
