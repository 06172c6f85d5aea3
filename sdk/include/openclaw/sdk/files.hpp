#pragma once
/// \file
/// Crash-safe file writes, and reads that cannot hang, shared by the host and plugins.

#include <cstdint>
#include <filesystem>
#include <optional>
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

/// A file opened for reading by open_regular_file(), or why it was not. Move-only; the
/// descriptor is closed with the object unless release()d.
struct BOOST_SYMBOL_VISIBLE RegularFile {
  /// What was wrong when `fd < 0`: the open (or fstat) failed with `error`, or the path named
  /// something that is not a regular file.
  enum class Refusal { none, error, symlink, directory, fifo, socket, device, other };

  int fd = -1;             ///< O_RDONLY | O_CLOEXEC, blocking unless OpenOptions::keep_nonblocking
  std::uint64_t size = 0;  ///< from fstat of the open file
  std::int64_t mtime_sec = 0, mtime_nsec = 0;
  std::uint64_t inode = 0;  ///< with size and mtime: which version of the file this is
  Refusal refusal = Refusal::none;
  int error = 0;  ///< errno, when refusal is `error` (ENOENT: no such file)

  RegularFile() = default;
  BOOST_SYMBOL_EXPORT RegularFile(RegularFile&& o) noexcept;
  BOOST_SYMBOL_EXPORT RegularFile& operator=(RegularFile&& o) noexcept;
  BOOST_SYMBOL_EXPORT ~RegularFile();
  explicit operator bool() const { return fd >= 0; }
  /// Hands the descriptor over: the caller closes it.
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
  /// One lower-case phrase for an error message: "no such file", "is a FIFO, not a regular
  /// file", "is a symlink", "cannot be opened: Permission denied", ...
  BOOST_SYMBOL_EXPORT std::string why() const;
};

struct OpenOptions {
  /// A symlink as the last component is refused (Refusal::symlink) instead of followed: for
  /// files that are ours (state, secrets), which nobody should be able to point elsewhere.
  bool no_symlinks = false;
  /// With a directory descriptor: the whole resolution stays beneath it (openat2
  /// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS; leaving it is `error` EXDEV). Needs Linux 5.6: on an
  /// older kernel the answer is `error` ENOSYS and the caller resolves some other way.
  bool beneath = false;
  /// Leaves O_NONBLOCK set on the descriptor, saving one fcntl. Linux ignores the flag for
  /// read, pread and sendfile from a regular file, so a hot path that does only those may.
  bool keep_nonblocking = false;
};

/// Opens `path` for reading without ever waiting: the open is O_NONBLOCK | O_NOCTTY (a FIFO
/// does not wait for a writer, a terminal does not become ours), the descriptor is fstat'ed,
/// and anything but a regular file (FIFO, socket, device, directory) is closed and refused. A
/// regular file never blocks, so the flag is then cleared (see OpenOptions::keep_nonblocking).
/// Costs open + fstat (+ fcntl) and never throws. Safe to call on the I/O thread.
BOOST_SYMBOL_EXPORT RegularFile open_regular_file(const std::filesystem::path& path,
                                                  const OpenOptions& options = {});
/// The same for `relative` under the directory `dir_fd` (an O_PATH descriptor is enough).
BOOST_SYMBOL_EXPORT RegularFile open_regular_file(int dir_fd, const char* relative,
                                                  const OpenOptions& options = {});

/// The rest of `file` from its position, read to the end (not to `file.size`: a file may grow,
/// and /proc files say 0). Throws std::runtime_error starting with `name` ("<name> cannot be
/// read: ...", "<name> is larger than <max_bytes> bytes").
BOOST_SYMBOL_EXPORT std::string read_to_end(const RegularFile& file, const std::string& name,
                                            std::uint64_t max_bytes = 16u << 20);

/// The content of the regular file at `path`, opened by open_regular_file() with `options`;
/// nullopt when it does not exist. Throws std::runtime_error naming the path and what is wrong
/// ("is a FIFO, not a regular file", "is larger than 1048576 bytes", "cannot be read: ...").
/// Reads to the end (a file whose size fstat does not know, as in /proc, included).
BOOST_SYMBOL_EXPORT std::optional<std::string> read_regular_file(const std::filesystem::path& path,
                                                                 const OpenOptions& options = {},
                                                                 std::uint64_t max_bytes = 16u
                                                                                           << 20);

/// The content of a secret file (a token, a password): `path` after expand_home(), which must be
/// a regular file itself (a symlink is refused: it could be pointed elsewhere later; a FIFO or a
/// device is refused at once, never waited on), with trailing newlines and spaces trimmed.
/// Throws std::runtime_error naming the file and what is wrong ("is a symlink", "is a FIFO, not
/// a regular file", "cannot be read: ..."); the content never appears in an error.
BOOST_SYMBOL_EXPORT std::string read_secret_file(const std::string& path);

/// Creates `dir` and missing parents; directories this call creates get `mode` (default 0700).
BOOST_SYMBOL_EXPORT void create_private_dirs(
    const std::filesystem::path& dir, std::filesystem::perms mode = std::filesystem::perms(0700));

}  // namespace openclaw::sdk
