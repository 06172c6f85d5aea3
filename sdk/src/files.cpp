#include "openclaw/sdk/files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

namespace openclaw::sdk {
namespace fs = std::filesystem;

namespace {
[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some filesystems refuse fsync on directories
    ::close(fd);
  }
}
// The pid in a temp name "<file>.tmp-<pid>-<n>" or "<file>.bak.tmp-<pid>", or 0.
long temp_writer_pid(const std::string& name, const std::string& file) {
  for (const std::string& prefix : {file + ".tmp-", file + ".bak.tmp-"}) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid > 0 && (*end == '\0' || *end == '-')) return pid;
  }
  return 0;
}

// A writer killed between creating its temp file and the rename leaves the temp behind (a full
// copy of the file). The next write of the same file removes those of writers that are gone.
void remove_dead_writers_temps(const fs::path& path) {
  const std::string file = path.filename().string();
  std::error_code ec;
  for (fs::directory_iterator it(path.parent_path().empty() ? "." : path.parent_path(), ec), end;
       !ec && it != end; it.increment(ec)) {
    long pid = temp_writer_pid(it->path().filename().string(), file);
    if (pid == 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlink(it->path().c_str());
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content, fs::perms mode,
                       bool keep_backup, bool durable) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const fs::path dir = path.parent_path();
  remove_dead_writers_temps(path);
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000007ull);

  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  static_cast<mode_t>(mode) & 07777);
  if (fd < 0) throw_errno("cannot create", tmp);
  auto fail = [&](const char* what) {
    int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    errno = saved;
    throw_errno(what, tmp);
  };
  if (::fchmod(fd, static_cast<mode_t>(mode) & 07777) != 0) fail("cannot chmod");
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) fail("cannot fsync");
  if (::close(fd) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    throw_errno("cannot close", tmp);
  }

  if (keep_backup) {
    // The old inode becomes <path>.bak: a hard link, then an atomic rename over any older backup.
    fs::path bak = path;
    bak += ".bak";
    fs::path bak_tmp = bak;
    bak_tmp += ".tmp-" + std::to_string(::getpid());
    ::unlink(bak_tmp.c_str());
    if (::link(path.c_str(), bak_tmp.c_str()) == 0) {
      ::rename(bak_tmp.c_str(), bak.c_str());
      // Gone after a rename, except when the rename failed or when <path>.bak already was <path>
      // (a writer killed between its two renames): renaming a hard link onto another link of
      // the same inode succeeds and changes nothing, leaving the temp behind.
      ::unlink(bak_tmp.c_str());
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    throw_errno("cannot rename into", path);
  }
  if (durable) fsync_dir(dir);
}

void create_private_dirs(const fs::path& dir, fs::perms mode) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  create_private_dirs(dir.parent_path(), mode);
  if (::mkdir(dir.c_str(), static_cast<mode_t>(mode) & 07777) != 0 && errno != EEXIST) {
    throw_errno("cannot create directory", dir);
  }
  ::chmod(dir.c_str(), static_cast<mode_t>(mode) & 07777);  // umask may have narrowed it
}

fs::path expand_home(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "") / path.substr(2);
}

RegularFile::RegularFile(RegularFile&& o) noexcept
    : fd(o.release()),
      size(o.size),
      mtime_sec(o.mtime_sec),
      mtime_nsec(o.mtime_nsec),
      inode(o.inode),
      refusal(o.refusal),
      error(o.error) {}

RegularFile& RegularFile::operator=(RegularFile&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) ::close(fd);
    fd = o.release();
    size = o.size;
    mtime_sec = o.mtime_sec;
    mtime_nsec = o.mtime_nsec;
    inode = o.inode;
    refusal = o.refusal;
    error = o.error;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd >= 0) ::close(fd);
}

std::string RegularFile::why() const {
  switch (refusal) {
    case Refusal::none:
      return "is a regular file";
    case Refusal::symlink:
      return "is a symlink";
    case Refusal::directory:
      return "is a directory, not a regular file";
    case Refusal::fifo:
      return "is a FIFO, not a regular file";
    case Refusal::socket:
      return "is a socket, not a regular file";
    case Refusal::device:
      return "is a device, not a regular file";
    case Refusal::other:
      return "is not a regular file";
    case Refusal::error:
      break;
  }
  if (error == ENOENT) return "no such file";
  return std::string("cannot be opened: ") + std::strerror(error);
}

namespace {
RegularFile::Refusal refusal_of(mode_t mode) {
  if (S_ISREG(mode)) return RegularFile::Refusal::none;
  if (S_ISDIR(mode)) return RegularFile::Refusal::directory;
  if (S_ISFIFO(mode)) return RegularFile::Refusal::fifo;
  if (S_ISSOCK(mode)) return RegularFile::Refusal::socket;
  if (S_ISCHR(mode) || S_ISBLK(mode)) return RegularFile::Refusal::device;
  if (S_ISLNK(mode)) return RegularFile::Refusal::symlink;
  return RegularFile::Refusal::other;
}
}  // namespace

RegularFile open_regular_file(int dir_fd, const char* relative, const OpenOptions& options) {
  RegularFile out;
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, and some devices wait
  // too. O_NOCTTY: a terminal opened here must not become the process's controlling terminal.
  const int flags =
      O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (options.no_symlinks ? O_NOFOLLOW : 0);
  int fd;
  if (options.beneath) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    fd = static_cast<int>(::syscall(SYS_openat2, dir_fd, relative, &how, sizeof how));
  } else {
    fd = ::openat(dir_fd, relative, flags);
  }
  if (fd < 0) {
    out.refusal = RegularFile::Refusal::error;
    out.error = errno;
    // Only on failure, so it costs the common path nothing: say what the path is when that is
    // why (O_NOFOLLOW fails a symlink with ELOOP; a socket cannot be opened at all, ENXIO).
    if (out.error == ELOOP || out.error == ENXIO) {
      struct stat st {};
      if (::fstatat(dir_fd, relative, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
          !(S_ISLNK(st.st_mode) && !options.no_symlinks)) {
        out.refusal = refusal_of(st.st_mode);
      }
    }
    return out;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    out.refusal = RegularFile::Refusal::error;
    out.error = errno;
    ::close(fd);
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    out.refusal = refusal_of(st.st_mode);
    ::close(fd);
    return out;
  }
  // Reads from a regular file never wait for a writer; callers get ordinary blocking semantics.
  if (!options.keep_nonblocking) ::fcntl(fd, F_SETFL, 0);
  out.fd = fd;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime_sec = st.st_mtim.tv_sec;
  out.mtime_nsec = st.st_mtim.tv_nsec;
  out.inode = static_cast<std::uint64_t>(st.st_ino);
  return out;
}

RegularFile open_regular_file(const fs::path& path, const OpenOptions& options) {
  return open_regular_file(AT_FDCWD, path.c_str(), options);
}

std::string read_to_end(const RegularFile& f, const std::string& name, std::uint64_t max_bytes) {
  auto too_large = [&] {
    return std::runtime_error(name + " is larger than " + std::to_string(max_bytes) + " bytes");
  };
  if (f.size > max_bytes) throw too_large();
  std::string out(f.size > 0 ? static_cast<size_t>(f.size) + 1 : 4096, '\0');
  size_t have = 0;
  for (;;) {
    if (have == out.size()) {
      if (have > max_bytes) throw too_large();
      out.resize(out.size() * 2);
    }
    ssize_t n = ::read(f.fd, out.data() + have, out.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(name + " cannot be read: " + std::strerror(errno));
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > max_bytes) throw too_large();
  out.resize(have);
  return out;
}

std::optional<std::string> read_regular_file(const fs::path& path, const OpenOptions& options,
                                             std::uint64_t max_bytes) {
  RegularFile f = open_regular_file(path, options);
  if (!f) {
    if (f.refusal == RegularFile::Refusal::error && f.error == ENOENT) return std::nullopt;
    throw std::runtime_error(path.string() + " " + f.why());
  }
  return read_to_end(f, path.string(), max_bytes);
}

std::string read_secret_file(const std::string& given) {
  const fs::path path = expand_home(given);
  OpenOptions options;
  options.no_symlinks = true;
  RegularFile f = open_regular_file(path, options);
  if (f.refusal == RegularFile::Refusal::symlink) {
    throw std::runtime_error(path.string() + " is a symlink: give the regular file itself");
  }
  if (!f) throw std::runtime_error(path.string() + " " + f.why());
  std::string s = read_to_end(f, path.string(), 1u << 20);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace openclaw::sdk
