#pragma once
/// \file
/// Crash-safe file writes shared by the host and plugins.

#include <filesystem>
#include <string>
#include <string_view>

#include <boost/config.hpp>

namespace openclaw::sdk {

/// Writes `content` to `path` atomically: a temp file in the same directory is written, fsynced
/// and renamed over `path`, so readers see the old or the new file, never a half-written one.
/// With `keep_backup`, the previous file (if any) stays as `<path>.bak`. `mode` is applied to the
/// new file. With `durable`, the data and the rename are fsynced (survives power loss); without,
/// the write is still atomic for readers and crashes of this process (enough for runtime state).
/// Temp files that writers killed mid-write left beside `path` (their pid is gone) are removed.
/// Throws std::system_error naming the path on failure; `path` is then untouched.
BOOST_SYMBOL_EXPORT void write_file_atomic(
    const std::filesystem::path& path, std::string_view content,
    std::filesystem::perms mode = std::filesystem::perms(0600), bool keep_backup = false,
    bool durable = true);

/// `path` with a leading "~/" replaced by $HOME (as a shell does); any other path unchanged.
BOOST_SYMBOL_EXPORT std::filesystem::path expand_home(const std::string& path);

/// The content of a secret file (a token, a password): `path` after expand_home(), which must be
/// a regular file itself (a symlink is refused: it could be pointed elsewhere later), with
/// trailing newlines and spaces trimmed. Throws std::runtime_error naming the file and what is
/// wrong ("is a symlink", "is not a regular file", "cannot be read: ...").
BOOST_SYMBOL_EXPORT std::string read_secret_file(const std::string& path);

/// Creates `dir` and missing parents; directories this call creates get `mode` (default 0700).
BOOST_SYMBOL_EXPORT void create_private_dirs(
    const std::filesystem::path& dir, std::filesystem::perms mode = std::filesystem::perms(0700));

}  // namespace openclaw::sdk
