// SDK pieces for serving files: opening only regular files without ever waiting, responses
// streamed from disk (send_file) and the recursive file watcher, against real files, FIFOs,
// sockets, a real server and real inotify.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include "openclaw/sdk/file_watcher.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace asio = boost::asio;

namespace {

sdk::HttpClientResponse get(asio::io_context& io, const std::string& url,
                            const std::string& method = "GET") {
  std::optional<sdk::HttpClientResponse> got;
  sdk::HttpClientRequest req;
  req.url = url;
  req.method = method;
  sdk::http_request(io, req, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  return *got;
}

// Runs `f` on another thread and says whether it returned within `deadline`. If it did not (it
// is stuck opening `fifo` for reading), a writer is opened so that the thread and the test end
// instead of hanging.
template <class F>
bool returns_promptly(F f, const fs::path& fifo, std::chrono::milliseconds deadline = 2s) {
  auto done = std::async(std::launch::async, std::move(f));
  if (done.wait_for(deadline) == std::future_status::ready) {
    done.get();
    return true;
  }
  int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  done.wait();
  if (w >= 0) ::close(w);
  return false;
}

// A listening Unix socket at `path`, closed with the object.
struct UnixSocket {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  explicit UnixSocket(const fs::path& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string p = path.string();
    BOOST_REQUIRE(p.size() < sizeof a.sun_path);
    std::copy(p.begin(), p.end(), a.sun_path);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~UnixSocket() { ::close(fd); }
};

using Refusal = sdk::RegularFile::Refusal;

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_files)

BOOST_AUTO_TEST_CASE(open_regular_file_opens_files_and_refuses_everything_else_at_once) {
  TempDir dir;
  write_file(dir.path() / "f", "hello");
  auto f = sdk::open_regular_file(dir.path() / "f");
  BOOST_REQUIRE(f);
  BOOST_TEST(f.size == 5u);
  BOOST_TEST(f.inode != 0u);
  BOOST_TEST((::fcntl(f.fd, F_GETFL) & O_NONBLOCK) == 0);  // callers get blocking semantics
  sdk::OpenOptions keep;
  keep.keep_nonblocking = true;
  auto nb = sdk::open_regular_file(dir.path() / "f", keep);
  BOOST_TEST((::fcntl(nb.fd, F_GETFL) & O_NONBLOCK) != 0);

  const fs::path fifo = dir.path() / "fifo";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  sdk::RegularFile got;
  BOOST_TEST(returns_promptly([&] { got = sdk::open_regular_file(fifo); }, fifo));
  BOOST_TEST(!got);
  BOOST_TEST((got.refusal == Refusal::fifo));
  BOOST_TEST(got.why() == "is a FIFO, not a regular file");

  UnixSocket sock(dir.path() / "sock");
  auto s = sdk::open_regular_file(dir.path() / "sock");
  BOOST_TEST((s.refusal == Refusal::socket));
  BOOST_TEST(s.why() == "is a socket, not a regular file");
  BOOST_TEST((sdk::open_regular_file(dir.path()).refusal == Refusal::directory));
  BOOST_TEST((sdk::open_regular_file("/dev/null").refusal == Refusal::device));
  auto missing = sdk::open_regular_file(dir.path() / "nope");
  BOOST_TEST((missing.refusal == Refusal::error && missing.error == ENOENT));
  BOOST_TEST(missing.why() == "no such file");

  // Symlinks: followed by default (and judged by what they lead to), refused on request.
  fs::create_symlink(dir.path() / "f", dir.path() / "link");
  fs::create_symlink("/dev/zero", dir.path() / "zero");
  BOOST_TEST(sdk::open_regular_file(dir.path() / "link").size == 5u);
  BOOST_TEST((sdk::open_regular_file(dir.path() / "zero").refusal == Refusal::device));
  sdk::OpenOptions own;
  own.no_symlinks = true;
  BOOST_TEST((sdk::open_regular_file(dir.path() / "link", own).refusal == Refusal::symlink));
  BOOST_TEST(sdk::open_regular_file(dir.path() / "link", own).why() == "is a symlink");

  // Beneath a directory: the file, but nothing outside it.
  int root = ::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  sdk::OpenOptions beneath;
  beneath.beneath = true;
  BOOST_TEST(sdk::open_regular_file(root, "f", beneath).size == 5u);
  auto up = sdk::open_regular_file(root, "../x", beneath);
  BOOST_TEST((up.refusal == Refusal::error && (up.error == EXDEV || up.error == ENOSYS)));
  sdk::RegularFile first = sdk::open_regular_file(root, "f", beneath);
  sdk::RegularFile moved = std::move(first);  // the descriptor has one owner
  BOOST_TEST(moved.fd >= 0);
  BOOST_TEST(first.fd < 0);
  ::close(root);
}

BOOST_AUTO_TEST_CASE(read_regular_file_reads_files_and_names_what_is_wrong) {
  TempDir dir;
  std::string big(100000, 'x');
  write_file(dir.path() / "big", big);
  BOOST_TEST(*sdk::read_regular_file(dir.path() / "big") == big);
  BOOST_TEST(!sdk::read_regular_file(dir.path() / "missing").has_value());
  BOOST_TEST(sdk::read_regular_file("/proc/self/stat")->find(')') != std::string::npos);  // size 0
  auto message = [](auto f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(message([&] { sdk::read_regular_file(dir.path() / "big", {}, 1000); }) ==
             (dir.path() / "big").string() + " is larger than 1000 bytes");
  const fs::path fifo = dir.path() / "fifo";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string why;
  BOOST_TEST(returns_promptly([&] { why = message([&] { sdk::read_regular_file(fifo); }); }, fifo));
  BOOST_TEST(why == fifo.string() + " is a FIFO, not a regular file");
}

// A tokenFile or secretFile that is a FIFO, a device or a symlink is refused at once, with the
// file named and its content never shown.
BOOST_AUTO_TEST_CASE(read_secret_file_refuses_fifos_devices_and_symlinks_promptly) {
  TempDir dir;
  write_file(dir.path() / "token", "s3cr3t-value\n");
  BOOST_TEST(sdk::read_secret_file((dir.path() / "token").string()) == "s3cr3t-value");
  auto message = [](const fs::path& p) {
    try {
      sdk::read_secret_file(p.string());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const fs::path fifo = dir.path() / "fifo";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string why;
  BOOST_TEST(returns_promptly([&] { why = message(fifo); }, fifo));
  BOOST_TEST(why == fifo.string() + " is a FIFO, not a regular file");
  fs::create_symlink(dir.path() / "token", dir.path() / "link");
  why = message(dir.path() / "link");
  BOOST_TEST(why == (dir.path() / "link").string() + " is a symlink: give the regular file itself");
  BOOST_TEST(!contains(why, "s3cr3t"));
  BOOST_TEST(message("/dev/zero") == "/dev/zero is a device, not a regular file");
  BOOST_TEST(message(dir.path()) == dir.path().string() + " is a directory, not a regular file");
  BOOST_TEST(message(dir.path() / "nope") == (dir.path() / "nope").string() + " no such file");
}

BOOST_AUTO_TEST_CASE(send_file_refuses_a_fifo_and_keeps_serving) {
  asio::io_context io;
  TempDir dir;
  write_file(dir.path() / "f", "fine");
  BOOST_REQUIRE(::mkfifo((dir.path() / "fifo").c_str(), 0600) == 0);
  PortBlock block(1);
  sdk::HttpServer server(
      io, sdk::AsyncHttpHandler([&](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
        sdk::HttpFileResponse f;
        f.path = dir.path() / r.path.substr(1);
        respond.send_file(f);
      }));
  server.listen("127.0.0.1", block.base());
  std::string base = "http://127.0.0.1:" + std::to_string(block.base());
  // On the old open() this run never ended: the I/O thread waited for the FIFO's writer.
  BOOST_TEST(get(io, base + "/fifo").status == 404);
  BOOST_TEST(get(io, base + "/f").body == "fine");
  // The same through a responder without a streaming server behind it.
  std::optional<sdk::HttpResponse> got;
  sdk::HttpResponder plain([&](sdk::HttpResponse res) { got = std::move(res); });
  sdk::HttpFileResponse f;
  f.path = dir.path() / "fifo";
  BOOST_TEST(returns_promptly([&] { plain.send_file(f); }, dir.path() / "fifo"));
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->status == 404);
  server.stop();
}

BOOST_AUTO_TEST_CASE(send_file_streams_whole_files_ranges_and_heads) {
  asio::io_context io;
  TempDir dir;
  std::string content;
  for (int i = 0; i < 300000; ++i) content += static_cast<char>('a' + i % 26);  // > 4 chunks
  write_file(dir.path() / "big.txt", content);
  PortBlock block(1);
  sdk::HttpServer server(
      io, sdk::AsyncHttpHandler([&](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
        sdk::HttpFileResponse f;
        f.content_type = "text/plain";
        f.path = dir.path() / "big.txt";
        f.headers = {{"ETag", "\"x\""}};
        if (r.path == "/range") {
          f.status = 206;
          f.offset = 100000;
          f.length = 50;
        } else if (r.path == "/gone") {
          f.path = dir.path() / "nope";
        }
        respond.send_file(f);
      }));
  server.listen("127.0.0.1", block.base());
  std::string base = "http://127.0.0.1:" + std::to_string(block.base());
  auto whole = get(io, base + "/");
  BOOST_TEST(whole.status == 200);
  BOOST_TEST(whole.body.size() == content.size());
  BOOST_TEST((whole.body == content));
  BOOST_TEST(whole.headers["etag"] == "\"x\"");
  BOOST_TEST(whole.headers["content-type"] == "text/plain");
  auto range = get(io, base + "/range");
  BOOST_TEST(range.status == 206);
  BOOST_TEST(range.body == content.substr(100000, 50));
  auto head = get(io, base + "/", "HEAD");
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.headers["content-length"] == std::to_string(content.size()));
  BOOST_TEST(head.body.empty());
  BOOST_TEST(get(io, base + "/gone").status == 404);
  server.stop();
}

BOOST_AUTO_TEST_CASE(small_files_pipelined_to_a_client_that_reads_late_arrive_whole_in_order) {
  // Files up to 32 KiB go out with their head in one call; what the socket does not take then
  // (here: a client that sends every request before reading any answer) is written later.
  TempDir dir;
  std::vector<std::string> files;
  for (std::size_t size : {1u, 10240u, 32767u, 32768u, 32769u}) {
    std::string content(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
      content[i] = static_cast<char>('a' + (i * 31 + size) % 26);
    write_file(dir.path() / std::to_string(files.size()), content);
    files.push_back(content);
  }
  asio::io_context io;
  PortBlock block(1);
  sdk::HttpServer server(
      io, sdk::AsyncHttpHandler([&](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
        sdk::HttpFileResponse f;
        f.path = dir.path() / r.path.substr(1);
        respond.send_file(f);
      }));
  server.listen("127.0.0.1", block.base());
  std::thread thread([&] {
    auto guard = asio::make_work_guard(io);
    io.run();
  });
  int fd = connect_loopback(block.base());
  BOOST_REQUIRE(fd >= 0);
  constexpr int kRounds = 200;  // ~20 MB: more than the socket buffers hold
  std::string requests, expected_bodies;
  for (int round = 0; round < kRounds; ++round) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      requests += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      expected_bodies += files[i];
    }
  }
  BOOST_REQUIRE(::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(requests.size()));
  std::this_thread::sleep_for(200ms);  // the server fills its socket buffer meanwhile
  std::string got, bodies;
  char buf[65536];
  std::size_t answers = 0;
  while (answers < kRounds * files.size()) {
    // Whole answers from the front of `got`: the head, then Content-Length bytes.
    auto end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      auto at = got.find("Content-Length: ");
      BOOST_REQUIRE(at != std::string::npos && at < end);
      const std::size_t length = std::stoul(got.substr(at + 16));
      if (got.size() >= end + 4 + length) {
        BOOST_TEST(got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0u);
        bodies += got.substr(end + 4, length);
        got.erase(0, end + 4 + length);
        ++answers;
        continue;
      }
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    BOOST_REQUIRE(n > 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  BOOST_TEST(got.empty());
  BOOST_TEST((bodies == expected_bodies));
  ::close(fd);
  asio::post(io, [&] {
    server.stop();
    io.stop();
  });
  thread.join();
}

BOOST_AUTO_TEST_CASE(send_file_without_a_streaming_server_reads_small_files) {
  TempDir dir;
  write_file(dir.path() / "f", "hello file");
  std::optional<sdk::HttpResponse> got;
  sdk::HttpResponder r([&](sdk::HttpResponse res) { got = std::move(res); });
  sdk::HttpFileResponse f;
  f.path = dir.path() / "f";
  f.offset = 6;
  BOOST_TEST(r.send_file(f));
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->body == "file");
  BOOST_TEST(!r.send_file(f));  // once only
}

BOOST_AUTO_TEST_CASE(watcher_reports_changes_once_debounced_new_folders_included) {
  asio::io_context io;
  TempDir dir;
  fs::create_directories(dir.path() / "a");
  std::vector<std::vector<fs::path>> calls;
  auto w = sdk::FileWatcher::watch(
      io, dir.path(), [&](const std::vector<fs::path>& c) { calls.push_back(c); },
      sdk::FileWatcher::Options{std::chrono::milliseconds(50)});
  BOOST_TEST(w->folders() == 2u);
  // Several writes in a burst: one call.
  write_file(dir.path() / "a" / "one.html", "1");
  write_file(dir.path() / "two.css", "2");
  BOOST_REQUIRE(run_until(io, [&] { return !calls.empty(); }));
  io.run_for(150ms);
  BOOST_TEST(calls.size() == 1u);
  BOOST_TEST(std::count(calls[0].begin(), calls[0].end(), dir.path() / "a" / "one.html") == 1);
  BOOST_TEST(std::count(calls[0].begin(), calls[0].end(), dir.path() / "two.css") == 1);
  // A new folder is watched too, and a file written into it right away is seen.
  calls.clear();
  fs::create_directories(dir.path() / "new" / "deep");
  write_file(dir.path() / "new" / "deep" / "x.js", "x");
  BOOST_REQUIRE(run_until(io, [&] {
    for (auto& c : calls)
      if (std::count(c.begin(), c.end(), dir.path() / "new" / "deep" / "x.js")) return true;
    return false;
  }));
  BOOST_TEST(w->folders() == 4u);
  calls.clear();
  write_file(dir.path() / "new" / "deep" / "x.js", "changed");
  BOOST_REQUIRE(run_until(io, [&] { return !calls.empty(); }));
  fs::remove(dir.path() / "two.css");
  calls.clear();
  BOOST_REQUIRE(run_until(io, [&] { return !calls.empty(); }));
  BOOST_TEST(calls[0].front() == dir.path() / "two.css");
  // Nothing after the watcher is gone.
  w.reset();
  calls.clear();
  write_file(dir.path() / "late", "x");
  io.run_for(200ms);
  BOOST_TEST(calls.empty());
  BOOST_CHECK_THROW(sdk::FileWatcher::watch(io, dir.path() / "missing", {}), std::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
