#include "gateway/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "core/clock.hpp"
#include "openclaw/sdk/files.hpp"

namespace openclaw::gateway {
namespace fs = std::filesystem;

namespace {
// A level name from --log-level (the CLI checks it); another word logs everything.
int level_rank(const std::string& level) {
  return static_cast<int>(sdk::log_level_from_name(level).value_or(sdk::LogLevel::debug));
}

// The part of a message that names what happened, before the details that vary (a path, an
// address, a count): lines that share it are one burst.
std::string shape_of(sdk::LogLevel level, const std::string& line) {
  std::string shape = sdk::log_level_name(level);
  shape += ':';
  for (char c : line.substr(0, 40)) shape += (c >= '0' && c <= '9') ? '#' : c;
  return shape;
}
}  // namespace

GatewayLog::GatewayLog(const fs::path& state_dir, const std::string& level, std::ostream& err,
                       Limits limits)
    : rank_(level_rank(level)),
      err_(err),
      limits_(limits),
      path_(state_dir / "logs" / "gateway.log") {
  try {
    sdk::create_private_dirs(path_.parent_path());
  } catch (const std::exception&) {
    return;  // stderr still works
  }
  open_file();
}

GatewayLog::~GatewayLog() {
  for (auto& [shape, b] : bursts_) {
    if (b.suppressed > 0) {
      write(b.level, std::to_string(b.suppressed) + " more line(s) like \"" +
                         shape.substr(shape.find(':') + 1) + "...\" were not written");
    }
  }
  if (fd_ >= 0) ::close(fd_);
}

void GatewayLog::open_file() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
               0600);
  if (fd_ < 0) return;
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    // A FIFO in the log's place would have blocked a plain open (the gateway would never start).
    ::close(fd_);
    fd_ = -1;
    err_ << "[warn] " << path_.string() << " is not a regular file: logging to stderr only\n";
    return;
  }
  if ((st.st_mode & 0777) != 0600)
    ::fchmod(fd_, 0600);  // a log written by an older version was 0644
  size_ = static_cast<std::uint64_t>(st.st_size);
}

// gateway.log -> .1 -> .2 ... -> .keep (the oldest goes); renames, so a reader holding the old
// file keeps reading it whole.
void GatewayLog::rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  auto numbered = [&](int n) { return fs::path(path_.string() + "." + std::to_string(n)); };
  fs::remove(numbered(limits_.keep), ec);
  for (int n = limits_.keep - 1; n >= 1; --n) fs::rename(numbered(n), numbered(n + 1), ec);
  if (limits_.keep > 0) {
    fs::rename(path_, numbered(1), ec);
  } else {
    fs::remove(path_, ec);
  }
  open_file();
}

std::string GatewayLog::one_line(const std::string& message) {
  std::string out;
  out.reserve(std::min(message.size(), kMaxLine) + 16);
  std::size_t i = 0;
  for (; i < message.size() && out.size() < kMaxLine; ++i) {
    unsigned char c = static_cast<unsigned char>(message[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (i < message.size()) out += "...(" + std::to_string(message.size() - i) + " bytes more)";
  return out;
}

void GatewayLog::operator()(sdk::LogLevel level, const std::string& message) {
  if (static_cast<int>(level) > rank_) return;
  std::lock_guard<std::mutex> lock(mutex_);  // the watchdog's thread logs too
  std::string line = one_line(message);
  // Bursts: a flood of one kind of line (refused requests, a failing peer) is written `burst`
  // times per window, then counted; the count is written when the window ends.
  auto now = std::chrono::steady_clock::now();
  if (bursts_.size() > 4096) bursts_.clear();  // bounded whatever the traffic
  auto shape = shape_of(level, line);
  auto& b = bursts_[shape];
  if (b.lines == 0 || now - b.since >= limits_.window) {
    if (b.suppressed > 0) {
      write(b.level, std::to_string(b.suppressed) + " more line(s) like \"" +
                         shape.substr(shape.find(':') + 1) + "...\" were not written");
    }
    b.since = now;
    b.lines = 0;
    b.suppressed = 0;
  }
  b.level = level;
  if (++b.lines > limits_.burst) {
    ++b.suppressed;
    return;
  }
  write(level, line);
}

void GatewayLog::write(sdk::LogLevel level, const std::string& line) {
  const char* name = sdk::log_level_name(level);
  err_ << "[" << name << "] " << line << "\n";
  err_.flush();
  if (fd_ < 0) return;
  std::string text = std::to_string(now_ms()) + " [" + name + "] " + line + "\n";
  if (size_ + text.size() > limits_.max_bytes && size_ > 0) rotate();
  if (fd_ < 0) return;
  ssize_t n = ::write(fd_, text.data(), text.size());
  if (n > 0) size_ += static_cast<std::uint64_t>(n);
}

GatewayLog::Limits GatewayLog::limits_from(const char* max_bytes, const char* keep) {
  Limits l;
  if (max_bytes && *max_bytes) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(max_bytes, &end, 10);
    if (end && !*end && v >= 1024) l.max_bytes = v;
  }
  if (keep && *keep) {
    char* end = nullptr;
    long v = std::strtol(keep, &end, 10);
    if (end && !*end && v >= 0 && v <= 100) l.keep = static_cast<int>(v);
  }
  return l;
}

}  // namespace openclaw::gateway
