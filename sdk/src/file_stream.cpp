// FileStream: sendfile(2), or pread + send where the file system cannot; see file_stream.hpp.
#include "file_stream.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace openclaw::sdk {

void FileStream::start(int fd, std::uint64_t offset, std::uint64_t length) {
  reset();
  fd_ = fd;
  offset_ = offset;
  left_ = length;
  use_sendfile_ = true;
  started_sending_ = false;
  chunk_at_ = chunk_end_ = 0;
}

void FileStream::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  left_ = 0;
}

void FileStream::sent(std::uint64_t n) {
  left_ -= n;
  progress_ += n;
  started_sending_ = true;
}

FileStream::Step FileStream::send_some(int socket) {
  constexpr std::uint64_t kTurn = 1 << 20;
  std::uint64_t budget = kTurn;
  while (left_ > 0 && budget > 0) {
    if (!use_sendfile_) return send_read(socket, budget);
    const auto want = static_cast<std::size_t>(std::min(left_, budget));
    auto off = static_cast<off_t>(offset_);
    const ssize_t n = ::sendfile(socket, fd_, &off, want);
    if (n > 0) {
      offset_ += static_cast<std::uint64_t>(n);
      budget -= std::min<std::uint64_t>(budget, static_cast<std::uint64_t>(n));
      sent(static_cast<std::uint64_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Step::wait;
    if (n < 0 && (errno == EINVAL || errno == ENOSYS) && !started_sending_) {
      use_sendfile_ = false;
      continue;
    }
    return Step::failed;  // an error, or the file ended early (n == 0)
  }
  if (left_ > 0) return Step::wait;
  reset();
  return Step::done;
}

FileStream::Step FileStream::send_read(int socket, std::uint64_t& budget) {
  if (!chunk_) chunk_ = std::make_unique<char[]>(kChunk);
  while (left_ > 0 && budget > 0) {
    if (chunk_at_ == chunk_end_) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left_, kChunk));
      ssize_t n;
      do {
        n = ::pread(fd_, chunk_.get(), want, static_cast<off_t>(offset_));
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return Step::failed;
      offset_ += static_cast<std::uint64_t>(n);
      chunk_at_ = 0;
      chunk_end_ = static_cast<std::size_t>(n);
    }
    const ssize_t n = ::send(socket, chunk_.get() + chunk_at_, chunk_end_ - chunk_at_,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Step::wait;
    if (n <= 0) return Step::failed;
    chunk_at_ += static_cast<std::size_t>(n);
    budget -= std::min<std::uint64_t>(budget, static_cast<std::uint64_t>(n));
    sent(static_cast<std::uint64_t>(n));
  }
  if (left_ > 0) return Step::wait;
  reset();
  return Step::done;
}

}  // namespace openclaw::sdk
