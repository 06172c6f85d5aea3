#pragma once
// A file, or a byte range of it, going out on a non-blocking socket: what the HTTP server does
// for HttpResponder::send_file. Plain POSIX, no Asio: the session calls send_some() and, when
// it asks to wait, waits until the socket is writable and calls again. Internal to
// libopenclaw-sdk.so.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace openclaw::sdk {

class FileStream {
 public:
  FileStream() = default;
  FileStream(const FileStream&) = delete;
  FileStream& operator=(const FileStream&) = delete;
  ~FileStream() { reset(); }

  /// Takes `fd` (closed by reset(), also when the stream finishes) to send `length` bytes from
  /// `offset`.
  void start(int fd, std::uint64_t offset, std::uint64_t length);

  enum class Step {
    done,    ///< every byte was handed to the socket (the file is closed)
    wait,    ///< the socket is full, or this turn's share was sent: call again once writable
    failed,  ///< a socket error, or the file shrank under us: the promised length cannot be kept
  };
  /// Sends what `socket` takes now: with sendfile(2), no copy through user space, or (a file
  /// system without it) pread into a 64 KiB buffer and send. At most 1 MiB per call, so one fast
  /// reader does not starve the other connections of the thread.
  Step send_some(int socket);

  /// True between start() and the end of the file (or reset()).
  bool active() const { return fd_ >= 0; }
  /// Bytes handed to sockets over this object's life: the stall watch compares two readings.
  std::uint64_t progress() const { return progress_; }
  /// Closes the file; nothing more is sent.
  void reset();

 private:
  Step send_read(int socket, std::uint64_t& budget);
  void sent(std::uint64_t n);

  static constexpr std::size_t kChunk = 64 * 1024;
  int fd_ = -1;
  std::uint64_t offset_ = 0;  ///< the next byte of the file to send (sendfile) or read (pread)
  std::uint64_t left_ = 0;    ///< bytes not yet handed to the socket
  std::uint64_t progress_ = 0;
  bool use_sendfile_ = true;
  bool started_sending_ = false;   ///< sendfile's EINVAL/ENOSYS can only mean "not here" before
  std::unique_ptr<char[]> chunk_;  ///< pread fallback only
  std::size_t chunk_at_ = 0, chunk_end_ = 0;  ///< the chunk's bytes not yet sent
};

}  // namespace openclaw::sdk
