// The HTTP server's file sender (sdk/src/file_stream.hpp, compiled in from the SDK's sources) on
// a real socket pair: a file, a range of it, a file that shrank, and the pread fallback for a file
// system without sendfile(2).
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>

#include "file_stream.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
using openclaw::sdk::FileStream;

namespace {

// A connected pair: [0] non-blocking with a small send buffer (the server's end), [1] read by
// a thread until the writer closes its end.
struct Pipe {
  Pipe() {
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    int small = 16 * 1024;
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    reader = std::thread([this] {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(fds[1], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    });
  }
  ~Pipe() {
    end();
    ::close(fds[1]);
  }
  // Runs the stream to its end, waiting for the socket between steps; the last step and how many
  // waits it took.
  FileStream::Step run(FileStream& f, int& waits) {
    waits = 0;
    for (;;) {
      auto step = f.send_some(fds[0]);
      if (step != FileStream::Step::wait) return step;
      ++waits;
      pollfd p{fds[0], POLLOUT, 0};
      ::poll(&p, 1, 5000);
    }
  }
  // What the reader got once the writer's end is closed.
  const std::string& received() {
    end();
    return got;
  }
  void end() {
    if (fds[0] >= 0) ::close(fds[0]);
    fds[0] = -1;
    if (reader.joinable()) reader.join();
  }

  int fds[2] = {-1, -1};
  std::string got;
  std::thread reader;
};

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

int open_read(const fs::path& p) {
  return ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_file_stream)

BOOST_AUTO_TEST_CASE(a_file_larger_than_a_turn_arrives_whole_across_waits) {
  TempDir dir;
  const std::string data = pattern(3 * 1024 * 1024 + 17);
  write_file(dir.path() / "f", data);
  Pipe pipe;
  FileStream f;
  f.start(open_read(dir.path() / "f"), 0, data.size());
  BOOST_TEST(f.active());
  int waits = 0;
  BOOST_TEST((pipe.run(f, waits) == FileStream::Step::done));
  BOOST_TEST(waits >= 3);   // 1 MiB a turn at most, and a small socket buffer
  BOOST_TEST(!f.active());  // the file is closed at the end
  BOOST_TEST(f.progress() == data.size());
  BOOST_TEST((pipe.received() == data));
}

BOOST_AUTO_TEST_CASE(a_range_sends_exactly_its_bytes) {
  TempDir dir;
  const std::string data = pattern(100000);
  write_file(dir.path() / "f", data);
  Pipe pipe;
  FileStream f;
  f.start(open_read(dir.path() / "f"), 12345, 5000);
  int waits = 0;
  BOOST_TEST((pipe.run(f, waits) == FileStream::Step::done));
  BOOST_TEST((pipe.received() == data.substr(12345, 5000)));
}

BOOST_AUTO_TEST_CASE(a_file_that_shrank_under_the_promised_length_fails) {
  TempDir dir;
  write_file(dir.path() / "f", pattern(1000));
  Pipe pipe;
  FileStream f;
  f.start(open_read(dir.path() / "f"), 0, 5000);
  int waits = 0;
  BOOST_TEST((pipe.run(f, waits) == FileStream::Step::failed));
  f.reset();
  BOOST_TEST(!f.active());
  BOOST_TEST(pipe.received().size() == 1000u);
}

BOOST_AUTO_TEST_CASE(without_sendfile_the_file_is_read_and_sent) {
  // procfs files have no sendfile on current kernels (EINVAL) but read like any file.
  const char* path = "/proc/self/cmdline";
  const std::string data = read_file(path);
  int probe[2];
  BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, probe) == 0);
  int fd = open_read(path);
  off_t off = 0;
  const bool refused = ::sendfile(probe[0], fd, &off, 1) < 0 && errno == EINVAL;
  ::close(fd);
  ::close(probe[0]);
  ::close(probe[1]);
  if (!refused) {
    BOOST_TEST_MESSAGE("this kernel sends " << path << " with sendfile: fallback not exercised");
  }
  Pipe pipe;
  FileStream f;
  f.start(open_read(path), 0, data.size());
  int waits = 0;
  BOOST_TEST((pipe.run(f, waits) == FileStream::Step::done));
  BOOST_TEST((pipe.received() == data));
}

BOOST_AUTO_TEST_SUITE_END()
