#pragma once

#include <chrono>
#include <cstdint>

namespace openclaw {

/// Milliseconds since the Unix epoch, as OpenClaw's frames carry them.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace openclaw
