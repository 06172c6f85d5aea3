// Request paths as any client sends them to the canvas host, resolved under a real root that has
// a file, a folder with an index, a symlink that stays inside and one that leads out. Whatever the
// path, a file served lies under the root (checked on the open descriptor itself), a redirect goes
// to the same path with a '/', and nothing outside the root is ever opened.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_support.hpp"
#include "static_files.hpp"

namespace fs = std::filesystem;

namespace {

struct Tree {
  fs::path base, root, canon_root;
  int root_fd = -1;
  Tree() {
    char tmpl[] = "/tmp/openclaw-fuzz-canvas-XXXXXX";
    base = ::mkdtemp(tmpl);
    root = base / "root";
    fs::create_directories(root / "sub" / "deeper");
    std::ofstream(root / "index.html") << "<p>home</p>";
    std::ofstream(root / "app.js") << "1";
    std::ofstream(root / "sub" / "index.html") << "<p>sub</p>";
    std::ofstream(root / "sub" / "deeper" / "a b.txt") << "x";
    std::ofstream(base / "secret") << "outside";
    fs::create_directories(base / "outside-dir");
    std::ofstream(base / "outside-dir" / "index.html") << "outside";
    fs::create_symlink("../secret", root / "leak");
    fs::create_symlink("../outside-dir", root / "leakdir");
    fs::create_symlink("/etc/passwd", root / "passwd");
    fs::create_symlink("sub/index.html", root / "alias.html");
    canon_root = fs::canonical(root);
    root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  ~Tree() {
    ::close(root_fd);
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

bool under(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Tree tree;
  std::string path(reinterpret_cast<const char*>(data), size);
  const std::string mount = "/__openclaw__/canvas";
  for (int pass = 0; pass < 2; ++pass) {
    canvas::Resolved r = pass == 0 ? canvas::resolve_at(tree.root_fd, tree.root, path, mount)
                                   : canvas::resolve(tree.root, path, mount);
    switch (r.kind) {
      case canvas::Resolved::Kind::file: {
        FUZZ_CHECK(r.fd >= 0);
        std::error_code ec;
        fs::path opened = fs::read_symlink("/proc/self/fd/" + std::to_string(r.fd), ec);
        FUZZ_CHECK(!ec && under(tree.canon_root, opened));
        break;
      }
      case canvas::Resolved::Kind::redirect:
        FUZZ_CHECK(r.fd < 0 && r.location == mount + path + "/");
        break;
      default:
        FUZZ_CHECK(r.fd < 0 && !r.why.empty());
    }
    (void)canvas::content_type(r.file.native());
  }
  return 0;
}
