// Machine-wide claims (service "openclaw.claims"): two instances never hold one resource, the
// refusal names the holder, and a holder that dies (kill -9) leaves the resource free.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "ports/claims.hpp"
#include "support/harness.hpp"

using namespace openclaw;
using namespace openclaw::test;

namespace {

ports::Owner owner(const char* profile, const fs::path& state_dir) {
  ports::Owner o;
  o.profile = profile;
  o.state_dir = state_dir.string();
  o.pid = ::getpid();
  return o;
}

std::string refusal(ports::FileClaims& claims, const std::string& resource) {
  try {
    claims.claim(resource);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(claims)

BOOST_AUTO_TEST_CASE(a_second_instance_is_refused_naming_the_first_until_it_lets_go) {
  TempDir registry;
  ports::FileClaims a(registry.path(), owner("a", "/home/u/.openclaw-a"), "/home/u");
  ports::FileClaims b(registry.path(), owner("b", "/home/u/.openclaw-b"), "/home/u");
  const std::string browser = "browser endpoint http://127.0.0.1:9222";

  auto first = a.claim(browser);
  auto again = a.claim(browser);  // the same instance: counted, not refused
  BOOST_TEST(refusal(b, browser) == browser + " is already claimed by profile \"a\" (pid " +
                                        std::to_string(::getpid()) + ", ~/.openclaw-a)");
  BOOST_TEST(refusal(b, "browser endpoint http://127.0.0.1:9333") == "");  // another resource

  first.revoke();
  BOOST_TEST(!refusal(b, browser).empty());  // still held by the second registration
  again.revoke();
  auto taken = b.claim(browser);
  BOOST_TEST(taken.active());
  BOOST_TEST(contains(refusal(a, browser), "profile \"b\""));
}

BOOST_AUTO_TEST_CASE(a_registration_dropped_without_revoke_still_lets_go) {
  TempDir registry;
  ports::FileClaims a(registry.path(), owner("a", "/s/a"));
  ports::FileClaims b(registry.path(), owner("b", "/s/b"));
  { auto held = a.claim("r"); }
  BOOST_TEST(refusal(b, "r") == "");
}

BOOST_AUTO_TEST_CASE(a_holder_killed_with_sigkill_leaves_the_resource_free) {
  TempDir registry;
  int ready[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    ports::Owner o = owner("dies", "/s/dies");
    o.pid = ::getpid();
    ports::FileClaims mine(registry.path(), o);
    auto held = mine.claim("browser endpoint http://127.0.0.1:9222");
    char c = 1;
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  BOOST_REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  ports::FileClaims me(registry.path(), owner("me", "/s/me"));
  std::string why = refusal(me, "browser endpoint http://127.0.0.1:9222");
  BOOST_TEST(contains(why, "profile \"dies\" (pid " + std::to_string(child)), why);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  BOOST_TEST(refusal(me, "browser endpoint http://127.0.0.1:9222") == "");
}

BOOST_AUTO_TEST_CASE(lock_file_names_are_safe_and_bounded) {
  BOOST_TEST(ports::FileClaims::file_name("browser endpoint http://127.0.0.1:9222") ==
             "browser%20endpoint%20http%3A%2F%2F127.0.0.1%3A9222.lock");
  std::string long_a(300, 'a'), long_b = long_a + "b";
  auto na = ports::FileClaims::file_name(long_a), nb = ports::FileClaims::file_name(long_b);
  BOOST_TEST(na.size() < 200u);
  BOOST_TEST(na != nb);
  BOOST_TEST(ports::FileClaims::file_name("../x").find('/') == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
