// Installing and packaging: `cmake --install` into a temp prefix lays out the host, its bundled
// plugins, the SDK, man page, completions and docs, and the installed binary runs from there
// without LD_LIBRARY_PATH; `cpack -G DEB` makes openclaw-host and openclaw-host-dev, lintian
// accepts them, and unpacked they run a gateway with the bundled plugins and a plugin built
// against the unpacked -dev files.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <set>

#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

// A shell command with a deadline; its output goes to `log`. The exit code, -1 when it did not
// exit.
int sh(const std::string& cmd, const fs::path& log) {
  std::string full = "timeout 600 " + cmd + " >>'" + log.string() + "' 2>&1";
  int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

// The bundled plugins as the build made them: every folder of <build>/plugins with a manifest.
std::set<std::string> built_plugins() {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(OPENCLAW_BUILD_DIR) / "plugins")) {
    if (fs::exists(e.path() / "openclaw.plugin.json")) out.insert(e.path().filename().string());
  }
  return out;
}

std::set<std::string> subdirs(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) out.insert(e.path().filename().string());
  }
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& w : s) out += (out.empty() ? "" : " ") + w;
  return out;
}

// The installed binary `exe`, run like Sandbox::run runs the built one but with the bundled
// plugins it finds itself (no OPENCLAW_BUNDLED_PLUGINS_DIR) and no LD_LIBRARY_PATH.
struct Installed {
  fs::path exe;
  mutable Sandbox sb;
  TempDir logs;

  explicit Installed(fs::path binary) : exe(std::move(binary)) {
    sb.env().erase("OPENCLAW_BUNDLED_PLUGINS_DIR");
    sb.env().erase("LD_LIBRARY_PATH");
  }

  std::unique_ptr<Child> spawn(std::vector<std::string> args) const {
    args.insert(args.begin(), exe.string());
    return std::make_unique<Child>(args, sb.env(), logs.path());
  }

  Result run(const std::vector<std::string>& args) const {
    auto child = spawn(args);
    auto code = child->wait(60s);
    return Result{code.value_or(-1), child->out(), child->err()};
  }

  // Any other program, with the same environment.
  Result tool(const std::vector<std::string>& argv) const {
    Child c(argv, sb.env(), logs.path());
    auto code = c.wait(60s);
    return Result{code.value_or(-1), c.out(), c.err()};
  }

  // id -> {state, path} from `plugins list --json` of `profile`.
  std::map<std::string, std::pair<std::string, std::string>> plugins(
      const std::string& profile) const {
    auto r = run({"--profile", profile, "plugins", "list", "--json"});
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
    std::map<std::string, std::pair<std::string, std::string>> out;
    const json::value list = json::parse(r.out);
    for (const auto& p : list.at("plugins").as_array()) {
      out.emplace(std::string(p.at("id").as_string()),
                  std::make_pair(std::string(p.at("state").as_string()),
                                 std::string(p.at("path").as_string())));
    }
    return out;
  }
};

// Every bundled plugin of `plugins` (from plugins list) in `state`, loaded from `dir`.
void bundled_plugins_are(const std::map<std::string, std::pair<std::string, std::string>>& plugins,
                         const fs::path& dir, const std::set<std::string>& states) {
  for (const auto& id : built_plugins()) {
    BOOST_TEST_CONTEXT("bundled plugin " << id) {
      BOOST_TEST_REQUIRE(plugins.count(id) == 1u);
      BOOST_TEST(states.count(plugins.at(id).first) == 1u, plugins.at(id).first);
      BOOST_TEST(plugins.at(id).second.rfind(dir.string() + "/", 0) == 0u, plugins.at(id).second);
    }
  }
}

boost::test_tools::assertion_result not_sanitized(boost::unit_test::test_unit_id) {
#ifdef OPENCLAW_TEST_SANITIZE
  boost::test_tools::assertion_result r(false);
  r.message() << "packages are made from a normal build (the sanitizer build's binaries need the "
                 "sanitizer runtimes); the Release run of the suite builds and checks them";
  return r;
#else
  return true;
#endif
}

}  // namespace

BOOST_AUTO_TEST_SUITE(install_tree)

BOOST_AUTO_TEST_CASE(installed_prefix_runs_with_its_own_plugins_and_no_library_path) {
  TempDir work;
  const fs::path prefix = work.path() / "prefix";
  const fs::path log = work.path() / "install.log";
  BOOST_REQUIRE_MESSAGE(
      sh("cmake --install " + q(OPENCLAW_BUILD_DIR) + " --prefix " + q(prefix), log) == 0,
      read_file(log));

  // The layout (cmake/OpenClawInstall.cmake).
  const fs::path pkglib = prefix / "lib" / "openclaw-host";
  for (const fs::path& p :
       {prefix / "bin" / "openclaw-host", pkglib / "libopenclaw-sdk.so.0",
        pkglib / "libopenclaw-sdk.so", prefix / "include" / "openclaw" / "sdk" / "plugin.hpp",
        prefix / "lib" / "cmake" / "OpenClawSDK" / "OpenClawSDKConfig.cmake",
        prefix / "lib" / "cmake" / "OpenClawSDK" / "OpenClawPlugin.cmake",
        prefix / "share" / "man" / "man1" / "openclaw-host.1.gz",
        prefix / "share" / "bash-completion" / "completions" / "openclaw-host",
        prefix / "share" / "zsh" / "vendor-completions" / "_openclaw-host",
        prefix / "share" / "doc" / "openclaw-host" / "README.md",
        prefix / "share" / "doc" / "openclaw-host" / "copyright",
        prefix / "share" / "doc" / "openclaw-host" / "docs" / "cli-reference.md",
        prefix / "share" / "doc" / "openclaw-host" / "docs" / "deployment.md",
        prefix / "share" / "doc" / "openclaw-host-dev" / "examples" / "hello-plugin" /
            "CMakeLists.txt"}) {
    BOOST_TEST(fs::exists(p), p.string() << " is not installed");
  }
  // Every bundled plugin, a folder each, and nothing else: no test fixture, no benchmark.
  const fs::path plugin_dir = pkglib / "plugins";
  BOOST_TEST(joined(subdirs(plugin_dir)) == joined(built_plugins()));
  for (const auto& id : built_plugins()) {
    BOOST_TEST(fs::exists(plugin_dir / id / (id + ".so")), id);
    BOOST_TEST(fs::exists(plugin_dir / id / "openclaw.plugin.json"), id);
    BOOST_TEST((mode_of(plugin_dir / id / (id + ".so")) & 022) == 0u, id);
  }
  std::set<std::string> bins;
  for (const auto& e : fs::directory_iterator(prefix / "bin")) {
    bins.insert(e.path().filename().string());
  }
  BOOST_TEST(joined(bins) == "openclaw-host");
  for (const auto& e : fs::recursive_directory_iterator(prefix)) {
    const std::string rel = e.path().lexically_relative(prefix).string();
    BOOST_TEST(!contains(rel, "fixture"), rel);
    BOOST_TEST(!contains(rel, "bench"), rel);
    BOOST_TEST(!contains(rel, "_tests"), rel);
  }

  // The binary and every plugin resolve libopenclaw-sdk.so.0 to the prefix's copy by themselves.
  Installed host(prefix / "bin" / "openclaw-host");
  std::vector<fs::path> elves{prefix / "bin" / "openclaw-host"};
  for (const auto& id : built_plugins()) elves.push_back(plugin_dir / id / (id + ".so"));
  for (const auto& elf : elves) {
    auto ldd = host.tool({"/usr/bin/ldd", elf.string()});
    BOOST_TEST(ldd.code == 0, ldd.err);
    const std::string arrow = "libopenclaw-sdk.so.0 => ";
    auto at = ldd.out.find(arrow);
    BOOST_TEST_REQUIRE(at != std::string::npos, elf.string() << ":\n" << ldd.out);
    at += arrow.size();
    const fs::path found = ldd.out.substr(at, ldd.out.find(" (", at) - at);
    std::error_code ec;
    BOOST_TEST(fs::canonical(found, ec) == fs::canonical(pkglib / "libopenclaw-sdk.so.0"),
               elf.string() << ":\n"
                            << ldd.out);
    BOOST_TEST(!contains(ldd.out, "not found"), ldd.out);
  }

  auto version = host.run({"--version"});
  BOOST_TEST(version.code == 0, version.err);
  BOOST_TEST(version.out == "openclaw-host " OPENCLAW_HOST_VERSION "\n");
  // The bundled plugins come from <prefix>/lib/openclaw-host/plugins, found from the binary.
  bundled_plugins_are(host.plugins("inst"), plugin_dir, {"ok", "disabled"});
  auto doctor = host.run({"--profile", "inst", "plugins", "doctor", "--json"});
  BOOST_TEST(!contains(doctor.out, "no bundled plugin dir"), doctor.out);

  // The man page renders without a warning.
  auto man = host.tool({"/usr/bin/man", "--warnings", "-l",
                        (prefix / "share" / "man" / "man1" / "openclaw-host.1.gz").string()});
  BOOST_TEST(man.code == 0, man.err);
  BOOST_TEST(man.err.empty(), man.err);
  BOOST_TEST(contains(man.out, "openclaw-host - run isolated OpenClaw-style gateways"), man.out);
  BOOST_TEST(contains(man.out, "config get"), man.out);
  BOOST_TEST(contains(man.out, "--show-secrets"), man.out);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(package, *boost::unit_test::precondition(not_sanitized))

BOOST_AUTO_TEST_CASE(debs_pass_lintian_and_run_a_gateway_and_an_out_of_tree_plugin_unpacked) {
  for (const char* tool : {"/usr/bin/lintian", "/usr/bin/dpkg-deb", "/usr/bin/dpkg-shlibdeps"}) {
    BOOST_TEST_REQUIRE(fs::exists(tool), tool << " is missing: scripts/setup installs it");
  }
  TempDir work;
  const fs::path log = work.path() / "package.log";
  const fs::path debs = work.path() / "debs";
  BOOST_REQUIRE_MESSAGE(sh(q(OPENCLAW_CPACK_COMMAND) + " -G DEB -B " + q(debs) + " --config " +
                               q(fs::path(OPENCLAW_BUILD_DIR) / "CPackConfig.cmake"),
                           log) == 0,
                        read_file(log));
  const std::string version = OPENCLAW_HOST_VERSION "-1";
  std::string arch;
  {
    Child c({"/usr/bin/dpkg", "--print-architecture"}, {{"PATH", "/usr/bin:/bin"}}, work.path());
    BOOST_REQUIRE(c.wait(20s) == std::optional<int>(0));
    arch = c.out().substr(0, c.out().find('\n'));
  }
  const fs::path host_deb = debs / ("openclaw-host_" + version + "_" + arch + ".deb");
  const fs::path dev_deb = debs / ("openclaw-host-dev_" + version + "_" + arch + ".deb");
  BOOST_REQUIRE_MESSAGE(fs::exists(host_deb) && fs::exists(dev_deb), read_file(log));

  // Declared dependencies: from the binaries' own needs (dpkg-shlibdeps), and the -dev package
  // on exactly this version of the host.
  Installed tools(work.path() / "none");
  auto field = [&](const fs::path& deb, const std::string& name) {
    auto r = tools.tool({"/usr/bin/dpkg-deb", "--field", deb.string(), name});
    BOOST_TEST_REQUIRE(r.code == 0, r.err);
    return r.out;
  };
  const std::string depends = field(host_deb, "Depends");
  for (const char* lib : {"libboost-json1.81.0", "libboost-program-options1.81.0", "libssl3",
                          "libstdc++6", "libc6"}) {
    BOOST_TEST(contains(depends, lib), "Depends lacks " << lib << ": " << depends);
  }
  BOOST_TEST(!contains(depends, "openclaw"), depends);  // its private SDK library is inside
  BOOST_TEST(contains(field(host_deb, "Suggests"), "chromium"));
  BOOST_TEST(contains(field(host_deb, "Suggests"), "ngircd"));
  BOOST_TEST(!field(host_deb, "Maintainer").empty());
  BOOST_TEST(contains(field(dev_deb, "Depends"), "openclaw-host (= " + version + ")"));

  // lintian: no error, no warning.
  auto lint = tools.tool(
      {"/usr/bin/lintian", "--fail-on", "error,warning", host_deb.string(), dev_deb.string()});
  BOOST_TEST(lint.code == 0, "lintian:\n" << lint.out << lint.err);

  // Unpacked into a root of its own, as dpkg would install them under /.
  const fs::path root = work.path() / "root";
  for (const auto& deb : {host_deb, dev_deb}) {
    auto x = tools.tool({"/usr/bin/dpkg-deb", "-x", deb.string(), root.string()});
    BOOST_REQUIRE_MESSAGE(x.code == 0, x.err);
  }
  Installed host(root / "usr" / "bin" / "openclaw-host");
  auto v = host.run({"--version"});
  BOOST_TEST(v.out == "openclaw-host " OPENCLAW_HOST_VERSION "\n", v.out << v.err);

  // A third-party plugin, built from the example the -dev package ships, against the unpacked
  // -dev files only.
  const fs::path example =
      root / "usr" / "share" / "doc" / "openclaw-host-dev" / "examples" / "hello-plugin";
  const fs::path build = work.path() / "hello-build";
  BOOST_REQUIRE_MESSAGE(
      sh("cmake -S " + q(example) + " -B " + q(build) + " -DCMAKE_PREFIX_PATH=" + q(root / "usr"),
         log) == 0,
      read_file(log));
  BOOST_TEST(contains(read_file(build / "CMakeCache.txt"),
                      (root / "usr" / "lib" / "cmake" / "OpenClawSDK").string()));
  BOOST_REQUIRE_MESSAGE(sh("cmake --build " + q(build), log) == 0, read_file(log));

  PortBlock block;
  host.sb.env()["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(block);
  auto setup = host.run({"--profile", "pkg", "setup", "--port", std::to_string(block.base())});
  BOOST_REQUIRE_MESSAGE(setup.code == 0, setup.err);
  auto installed = host.run({"--profile", "pkg", "plugins", "install", (build / "hello").string()});
  BOOST_REQUIRE_MESSAGE(installed.code == 0, installed.err);

  auto gw = host.spawn({"--profile", "pkg", "gateway"});
  const bool ready = poll_until(
      [&] {
        auto r = http_get(block.base(), "/readyz");
        return r && r->status == 200;
      },
      20s);
  BOOST_REQUIRE_MESSAGE(ready, "the unpacked gateway is not ready: " << gw->err());
  const fs::path bundled = root / "usr" / "lib" / "openclaw-host" / "plugins";
  auto plugins = host.plugins("pkg");
  bundled_plugins_are(plugins, bundled, {"running"});
  BOOST_TEST(plugins["hello"].first == "running");
  BOOST_TEST(contains(plugins["hello"].second, ".openclaw-pkg/plugins/hello"),
             plugins["hello"].second);
  auto ports = json::parse(host.run({"--profile", "pkg", "ports", "--json"}).out);
  int hello_port = 0;
  for (const auto& p : ports.at("ports").as_array()) {
    if (p.at("name").as_string() == "hello.http")
      hello_port = static_cast<int>(p.at("port").as_int64());
  }
  BOOST_REQUIRE(hello_port != 0);
  auto hello = must_get(hello_port, "/");
  BOOST_TEST(json::parse(hello.body).at("profile").as_string() == "pkg", hello.body);
  BOOST_TEST(must_get(block.base(), "/hello").status == 200);
  BOOST_TEST(gw->stop(SIGTERM) == std::optional<int>(0), gw->err());
}

BOOST_AUTO_TEST_SUITE_END()
