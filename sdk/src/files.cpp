#include "openclaw/sdk/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <cstdlib>
#include <random>
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

std::string read_secret_file(const std::string& given) {
  const fs::path path = expand_home(given);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    throw std::runtime_error(path.string() + " cannot be read: " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) throw std::runtime_error(path.string() + " is a symlink: give the regular file itself");
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path.string() + " is not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw std::runtime_error(path.string() + " cannot be read");
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace openclaw::sdk
