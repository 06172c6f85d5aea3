// The canvas plugin's static-file rules: every traversal form refused, folders and redirects,
// content types, validators and byte ranges.
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
    fs::create_symlink("sub/index.html", root / "inside.html");          // relative, inside
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
  BOOST_TEST((t.kind("/inside.html") == Resolved::Kind::file));  // a relative symlink inside the root
  // An absolute symlink is refused even when it points inside (the kernel's RESOLVE_BENEATH rule).
  BOOST_TEST((t.kind("/absolute.html") == Resolved::Kind::forbidden));
}

BOOST_AUTO_TEST_CASE(every_traversal_form_is_refused) {
  Tree t;
  for (const char* p : {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                        "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/%252e%252e/secret.txt",
                        "/..%2fsecret.txt", "/..%252fsecret.txt", "/..\\secret.txt",
                        "/..%5csecret.txt", "/leak.txt", "/leakdir/other.txt"}) {
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

BOOST_AUTO_TEST_SUITE_END()
