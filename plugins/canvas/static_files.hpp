#pragma once
// Static file serving for the canvas plugin, as pure functions tested without a server: URL path
// to file (with every traversal trick refused), content types, validators (ETag, Last-Modified),
// byte ranges, and the live-reload script injected into HTML.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace canvas {

/// Where a request path leads under a root.
struct Resolved {
  enum class Kind { file, redirect, forbidden, not_found, bad_request } kind = Kind::not_found;
  std::filesystem::path file;  ///< file: the regular file to send
  int fd = -1;                 ///< file: open for reading (owned; release() hands it over)
  std::uint64_t size = 0;      ///< file: its size and modification time, from the open file
  std::int64_t mtime_sec = 0, mtime_nsec = 0;
  std::string location;  ///< redirect: where (a folder asked for without its '/')
  std::string why;       ///< forbidden / bad_request: for the log
  std::string shown;     ///< forbidden / not_found: the file's path under the root, for the log

  Resolved() = default;
  Resolved(Resolved&& o) noexcept;
  Resolved& operator=(Resolved&& o) noexcept;
  ~Resolved();
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

/// Resolves `url_path` (the part after the mount prefix, still percent-encoded, "" or starting
/// with '/') under `root`. Refused: "..", percent-encoded and double-encoded dot segments and
/// slashes, backslashes, NUL bytes, and symlinks whose target leaves the root. A folder serves its
/// index.html. `mount` is the prefix the path was mounted at (for redirects).
Resolved resolve(const std::filesystem::path& root, std::string_view url_path,
                 std::string_view mount);
/// The same with the root already open (`root_fd`, O_PATH is enough): the file is opened by the
/// kernel beneath it in one call (openat2 RESOLVE_BENEATH), symlinks that stay inside included.
Resolved resolve_at(int root_fd, const std::filesystem::path& root, std::string_view url_path,
                    std::string_view mount);

/// The Content-Type for a file name ("text/html; charset=utf-8", "image/png", ...), by its
/// extension in any case; "application/octet-stream" for one it does not know or none.
std::string_view content_type(std::string_view file);

/// Validators of a file: a strong ETag from size and modification time, and its HTTP date.
struct Validators {
  std::string etag;
  std::string last_modified;
  std::uint64_t size = 0;
};
std::optional<Validators> validators(const std::filesystem::path& file);
/// The same from what resolve() learnt (no system call).
Validators validators_of(std::uint64_t size, std::int64_t mtime_sec, std::int64_t mtime_nsec);

/// True when If-None-Match (or, without it, If-Modified-Since) says the client's copy is current.
bool not_modified(const Validators& v, const std::map<std::string, std::string>& headers);

/// A "Range: bytes=..." header against a file of `size` bytes (RFC 9110 §14.2): nullopt when
/// absent, malformed or several ranges (the whole file is sent, as a server may); `unsatisfiable`
/// when no range overlaps the file, which for an empty file is every range (416 with
/// "Content-Range: bytes */size").
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool unsatisfiable = false;
};
std::optional<ByteRange> parse_range(const std::string& header, std::uint64_t size);

/// The live-reload client: opens a WebSocket to /__openclaw__/ws on the page's own host, reloads
/// on {"type":"reload"} and swaps stylesheets on {"type":"css"}; reconnects after a drop.
extern const char* const kLiveReloadScript;
/// `html` with the live-reload script before </body> (or at the end).
std::string inject_live_reload(const std::string& html);

/// The HTTP date of a time since the epoch ("Wed, 25 Nov 2026 15:00:00 GMT").
std::string http_date(std::int64_t seconds_since_epoch);

}  // namespace canvas
