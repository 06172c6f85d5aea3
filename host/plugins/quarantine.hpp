#pragma once
// `<state dir>/plugins-quarantine.json`: plugins that took the gateway down (a fatal signal in
// their code, or a start() that hung past its deadline). Every start skips them, with the state
// `quarantined` and the reason, so the instance comes back without them, until their files change
// (a new version is loaded again) or `plugins enable <id>` clears the entry.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace openclaw::plugins {

struct QuarantineEntry {
  std::int64_t at_ms = 0;
  std::string reason;  ///< "crashed the gateway at 14:03:11 UTC (signal 11, SIGSEGV)"
  std::string stamp;   ///< folder_stamp() of its folder when first skipped ("" until then)
};
using Quarantine = std::map<std::string, QuarantineEntry>;  ///< by plugin id

std::filesystem::path quarantine_path(const std::filesystem::path& state_dir);
/// The entries in `text` (the file's content); what has the wrong type is left out. Never throws.
Quarantine parse_quarantine(std::string_view text);
/// The file's text for `q` (what parse_quarantine reads back).
std::string quarantine_text(const Quarantine& q);
/// The entries; none when the file is missing or damaged (never throws).
Quarantine read_quarantine(const std::filesystem::path& state_dir);
/// Writes `q` atomically (the file goes when `q` is empty); best effort.
void write_quarantine(const std::filesystem::path& state_dir, const Quarantine& q);
/// Adds (or renews) the entry of plugin `id`.
void quarantine_plugin(const std::filesystem::path& state_dir, const std::string& id,
                       const std::string& reason, std::int64_t at_ms);
/// Removes the entry of `id`; false when there was none.
bool release_plugin(const std::filesystem::path& state_dir, const std::string& id);

}  // namespace openclaw::plugins
