// SDK pieces for serving files: responses streamed from disk (send_file) and the recursive
// file watcher, against real files, a real server and real inotify.
#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include "openclaw/sdk/file_watcher.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace sdk = openclaw::sdk;
namespace asio = boost::asio;

namespace {

sdk::HttpClientResponse get(asio::io_context& io, const std::string& url, const std::string& method = "GET") {
  std::optional<sdk::HttpClientResponse> got;
  sdk::HttpClientRequest req;
  req.url = url;
  req.method = method;
  sdk::http_request(io, req, [&](sdk::HttpClientResponse r) { got = std::move(r); });
  BOOST_REQUIRE(run_until(io, [&] { return got.has_value(); }));
  return *got;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_files)

BOOST_AUTO_TEST_CASE(send_file_streams_whole_files_ranges_and_heads) {
  asio::io_context io;
  TempDir dir;
  std::string content;
  for (int i = 0; i < 300000; ++i) content += static_cast<char>('a' + i % 26);  // > 4 chunks
  write_file(dir.path() / "big.txt", content);
  PortBlock block(1);
  sdk::HttpServer server(io, sdk::AsyncHttpHandler([&](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
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
  auto w = sdk::FileWatcher::watch(io, dir.path(), [&](const std::vector<fs::path>& c) { calls.push_back(c); },
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
