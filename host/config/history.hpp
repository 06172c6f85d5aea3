#pragma once
// `<state dir>/config-history/`: the versions a config had, and the one a gateway ran healthy
// with (last-known-good), so a bad change can be undone from the CLI (`config history`,
// `config rollback`) or from a channel (the rescue bot's /history, /rollback).
//
//   <ms>-<pid>.json  {"at": ms, "by": "cli", "keys": ["gateway.port"], "text": "<the file>"}
//                    one per write (the newest 20 kept): the text written, who wrote it and
//                    which keys it changed. A file found changed by something else (a hand edit,
//                    or written before there was a history) is kept first, "by" "found on disk",
//                    so the version a write replaced is always there to go back to.
//   good.json        {"at": ms, "text": "<file>"} written by a gateway that ran healthy for
//                    kGoodAfterMs with that exact file
// Every file is written atomically (0600, the folder 0700): a config holds secrets.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace openclaw::config {

/// How many earlier versions are kept.
inline constexpr std::size_t kHistoryKeep = 20;
/// How long a gateway runs healthy before its config is last-known-good.
inline constexpr std::int64_t kGoodAfterMs = 60000;

struct HistoryEntry {
  int n = 0;                      ///< 1 = the newest
  std::int64_t at_ms = 0;         ///< when it was written (or found, or marked good)
  std::string by;                 ///< who wrote it: "cli", "setup", "rescue (irc owner)", ...
  std::vector<std::string> keys;  ///< the keys it changed from the version before
  std::string text;               ///< the file's text
  std::filesystem::path file;
};

std::filesystem::path history_dir(const std::filesystem::path& state_dir);

/// One entry file's text; nullopt when it is not one (never throws).
std::optional<HistoryEntry> parse_history_entry(std::string_view text);

/// Who writes: $OPENCLAW_CONFIG_WRITER when set (the rescue bot sets "rescue (irc owner)"),
/// else `fallback`.
std::string writer(const std::string& fallback);

/// Records a write by `by` of `text` over `on_disk` (the file's text before it, empty when there
/// was none): `on_disk` first when the newest version is not it, then `text`; the oldest past
/// kHistoryKeep are dropped. Throws std::system_error when the folder cannot be written.
void record_write(const std::filesystem::path& state_dir, const std::string& on_disk,
                  const std::string& text, const std::string& by);

/// The kept versions, newest first (n = 1, 2, ...). Entries that do not parse are skipped.
std::vector<HistoryEntry> read_history(const std::filesystem::path& state_dir);

/// The last-known-good version, when a gateway marked one.
std::optional<HistoryEntry> read_good(const std::filesystem::path& state_dir);
/// Marks `text` last-known-good (a no-op when it already is). Throws std::system_error.
void mark_good(const std::filesystem::path& state_dir, const std::string& text);

/// The keys that differ between two config texts ("(the whole file)" when one does not parse).
std::vector<std::string> changed_between(const std::string& before, const std::string& after);

}  // namespace openclaw::config
