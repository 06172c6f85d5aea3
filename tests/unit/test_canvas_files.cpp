// The canvas plugin's static-file rules: every traversal form refused, folders and redirects,
// content types, validators and byte ranges.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "static_files.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
using canvas::Resolved;

namespace {
struct Tree {
  TempDir outside_dir, dir;
  fs::path root;
  Tree() {
    root = dir.path() / "root";
    fs::create_directories(root / "sub");
    write_file(root / "index.html", "<html></html>");
    write_file(root / "sub" / "index.html", "sub");
    write_file(root / "a b.txt", "space");
    write_file(dir.path() / "secret.txt", "secret");
    write_file(outside_dir.path() / "other.txt", "other");
    fs::create_symlink(dir.path() / "secret.txt", root / "leak.txt");
    fs::create_symlink(outside_dir.path(), root / "leakdir");
    fs::create_symlink("sub/index.html", root / "inside.html");               // relative, inside
    fs::create_symlink(root / "sub" / "index.html", root / "absolute.html");  // absolute
  }
  Resolved::Kind kind(const std::string& p) { return canvas::resolve(root, p, "/m").kind; }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(canvas_files)

BOOST_AUTO_TEST_CASE(files_folders_and_redirects) {
  Tree t;
  auto r = canvas::resolve(t.root, "/", "/m");
  BOOST_TEST((r.kind == Resolved::Kind::file));
  BOOST_TEST(r.file.filename() == "index.html");
  BOOST_TEST((t.kind("") == Resolved::Kind::file));
  auto sub = canvas::resolve(t.root, "/sub", "/m");
  BOOST_TEST((sub.kind == Resolved::Kind::redirect));
  BOOST_TEST(sub.location == "/m/sub/");
  BOOST_TEST((t.kind("/sub/") == Resolved::Kind::file));
  BOOST_TEST((t.kind("/a%20b.txt") == Resolved::Kind::file));
  BOOST_TEST((t.kind("/./sub/./index.html") == Resolved::Kind::file));
  BOOST_TEST((t.kind("/missing.html") == Resolved::Kind::not_found));
  BOOST_TEST(
      (t.kind("/inside.html") == Resolved::Kind::file));  // a relative symlink inside the root
  // An absolute symlink is refused even when it points inside (the kernel's RESOLVE_BENEATH rule).
  BOOST_TEST((t.kind("/absolute.html") == Resolved::Kind::forbidden));
}

BOOST_AUTO_TEST_CASE(every_traversal_form_is_refused) {
  Tree t;
  for (const char* p :
       {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/.%2e/secret.txt", "/%252e%252e/secret.txt", "/..%2fsecret.txt", "/..%252fsecret.txt",
        "/..\\secret.txt", "/..%5csecret.txt", "/leak.txt", "/leakdir/other.txt"}) {
    auto k = t.kind(p);
    BOOST_TEST((k == Resolved::Kind::forbidden || k == Resolved::Kind::not_found), p);
    BOOST_TEST((k != Resolved::Kind::file), p);
  }
  BOOST_TEST((t.kind("/index.html%00.txt") == Resolved::Kind::bad_request));
  BOOST_TEST((t.kind("/bad%zz") == Resolved::Kind::bad_request));
}

BOOST_AUTO_TEST_CASE(types_validators_and_ranges) {
  BOOST_TEST(canvas::content_type("a.HTML") == "text/html; charset=utf-8");
  BOOST_TEST(canvas::content_type("x.woff2") == "font/woff2");
  BOOST_TEST(canvas::content_type("v.mp4") == "video/mp4");
  BOOST_TEST(canvas::content_type("noext") == "application/octet-stream");
  TempDir d;
  write_file(d.path() / "f", "0123456789");
  auto v = canvas::validators(d.path() / "f");
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(v->size == 10u);
  BOOST_TEST(canvas::not_modified(*v, {{"if-none-match", v->etag}}));
  BOOST_TEST(canvas::not_modified(*v, {{"if-none-match", "\"other\", " + v->etag}}));
  BOOST_TEST(!canvas::not_modified(*v, {{"if-none-match", "\"other\""}}));
  BOOST_TEST(canvas::not_modified(*v, {{"if-modified-since", v->last_modified}}));
  BOOST_TEST(!canvas::not_modified(*v, {}));
  auto r = canvas::parse_range("bytes=2-5", 10);
  BOOST_TEST((r && r->offset == 2 && r->length == 4));
  r = canvas::parse_range("bytes=7-", 10);
  BOOST_TEST((r && r->offset == 7 && r->length == 3));
  r = canvas::parse_range("bytes=-3", 10);
  BOOST_TEST((r && r->offset == 7 && r->length == 3));
  r = canvas::parse_range("bytes=5-100", 10);
  BOOST_TEST((r && r->length == 5));
  BOOST_TEST(canvas::parse_range("bytes=10-", 10)->unsatisfiable);
  BOOST_TEST(!canvas::parse_range("bytes=1-2,4-5", 10).has_value());
  BOOST_TEST(!canvas::parse_range("items=1-2", 10).has_value());
  BOOST_TEST(!canvas::parse_range("bytes=5-2", 10).has_value());
  BOOST_TEST(canvas::http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  std::string page = canvas::inject_live_reload("<html><BODY>x</BODY></html>");
  BOOST_TEST(page.find("/__openclaw__/ws") < page.find("</BODY>"));
  BOOST_TEST(canvas::inject_live_reload("plain").find("plain<script>") == 0u);
}

// RFC 9110 §14: what is unsatisfiable gets 416 (never a Content-Range of
// "0-18446744073709551615/0"); what is malformed, or several ranges, is ignored and the whole file
// sent.
BOOST_AUTO_TEST_CASE(ranges_at_the_edges) {
  auto unsatisfiable = [](const std::string& h, std::uint64_t size) {
    auto r = canvas::parse_range(h, size);
    return r && r->unsatisfiable;
  };
  auto ignored = [](const std::string& h, std::uint64_t size) {
    return !canvas::parse_range(h, size);
  };
  // An empty file has no byte to give, whatever the form.
  for (const char* h : {"bytes=-5", "bytes=0-", "bytes=0-0", "bytes=-1", "bytes=0-0,-1"}) {
    BOOST_TEST(unsatisfiable(h, 0), h);
  }
  // A suffix longer than the file is the whole file; a zero suffix is unsatisfiable.
  auto r = canvas::parse_range("bytes=-50", 10);
  BOOST_TEST((r && !r->unsatisfiable && r->offset == 0 && r->length == 10));
  BOOST_TEST(unsatisfiable("bytes=-0", 10));
  // Starting past the end, also with a number too large for 64 bits.
  BOOST_TEST(unsatisfiable("bytes=10-20", 10));
  BOOST_TEST(unsatisfiable("bytes=99999999999999999999999-", 10));
  r = canvas::parse_range("bytes=9-99999999999999999999999", 10);
  BOOST_TEST((r && r->offset == 9 && r->length == 1));
  BOOST_TEST(ignored("bytes = 0-0", 10));      // no whitespace around '=' (RFC 9110 §14.2)
  r = canvas::parse_range(" BYTES=0-0 ", 10);  // the unit is case-insensitive
  BOOST_TEST((r && r->offset == 0 && r->length == 1));
  // Several ranges: the whole file, unless none of them fits (416).
  BOOST_TEST(ignored("bytes=0-1,4-5", 10));
  BOOST_TEST(ignored("bytes=0-1, 20-30", 10));
  BOOST_TEST(unsatisfiable("bytes=20-30, 40-", 10));
  r = canvas::parse_range("bytes=, 2-3,", 10);  // empty list elements do not count
  BOOST_TEST((r && r->offset == 2 && r->length == 2));
  // Garbage voids the header.
  for (const char* h : {"bytes=", "bytes=-", "bytes=abc", "bytes=1-x", "bytes=1 2-3", "bytes=--1",
                        "bytes=3-2", "bytes=0-1,garbage", "bytes 0-1", "0-1", ""}) {
    BOOST_TEST(ignored(h, 10), h);
  }
}

// A FIFO opened for reading waits for a writer: on the I/O thread that stopped the gateway. A
// FIFO, a socket or a device in the root is refused at once, and says what it is.
BOOST_AUTO_TEST_CASE(fifos_sockets_and_devices_are_refused_without_waiting) {
  Tree t;
  BOOST_REQUIRE(::mkfifo((t.root / "pipe.html").c_str(), 0644) == 0);
  fs::create_directories(t.root / "pipedir");
  BOOST_REQUIRE(::mkfifo((t.root / "pipedir" / "index.html").c_str(), 0644) == 0);
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string sp = (t.root / "sock").string();
  BOOST_REQUIRE(sp.size() < sizeof a.sun_path);
  std::copy(sp.begin(), sp.end(), a.sun_path);
  BOOST_REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  fs::create_symlink("../../../../../../../../dev/null", t.root / "null");  // relative, leaves
  struct Case {
    const char *path, *why, *shown;
  };
  for (auto [path, why, shown] :
       {Case{"/pipe.html", "is a FIFO, not a regular file", "/pipe.html"},
        Case{"/pipedir/", "is a FIFO, not a regular file", "/pipedir/index.html"},
        Case{"/sock", "is a socket, not a regular file", "/sock"},
        Case{"/null", "symlink leaves the root", "/null"}}) {
    auto r = canvas::resolve(t.root, path, "/m");
    BOOST_TEST((r.kind == Resolved::Kind::forbidden), path);
    BOOST_TEST(r.why == why, path);
    BOOST_TEST(r.shown == shown, path);
    BOOST_TEST(r.fd < 0, path);
  }
  fs::create_directories(t.root / "d" / "index.html");  // a folder where index.html should be
  BOOST_TEST((t.kind("/d/") == Resolved::Kind::not_found));
  ::close(sock);
}

BOOST_AUTO_TEST_SUITE_END()
