#pragma once
/// \file
/// Log levels, as a plugin writes them (Host::log) and as the host's log, its `--log-level` and
/// `gateway.log` name them.

#include <optional>
#include <string_view>

namespace openclaw::sdk {

/// From the most to the least severe; a log set to one level writes it and those above it.
enum class LogLevel { error, warn, info, debug };

/// "error", "warn", "info" or "debug".
constexpr const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "error";
    case LogLevel::warn:
      return "warn";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "info";
}

/// The level named `name` (log_level_name()'s inverse), nullopt for another word.
constexpr std::optional<LogLevel> log_level_from_name(std::string_view name) {
  for (LogLevel l : {LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug}) {
    if (name == log_level_name(l)) return l;
  }
  return std::nullopt;
}

}  // namespace openclaw::sdk
