// `onboard` as a person meets it: through a pseudo-terminal (the questions read off the screen,
// the answers typed), and without one (flags only, nothing asked).
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

// openclaw-host on a pseudo-terminal: what it prints is the screen, what we write is typed.
class Terminal {
 public:
  Terminal(Sandbox& sb, const std::vector<std::string>& args) {
    std::vector<std::string> argv{host_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env;
    for (const auto& [k, v] : sb.env()) env.push_back(k + "=" + v);
    pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
    BOOST_TEST_REQUIRE(pid_ >= 0, "forkpty failed");
    if (pid_ == 0) {
      std::vector<char*> a, e;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      for (auto& s : env) e.push_back(s.data());
      e.push_back(nullptr);
      ::execve(a[0], a.data(), e.data());
      ::_exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Reads the screen until `text` appears after what was already matched; false on timeout/EOF.
  bool expect(const std::string& text, std::chrono::milliseconds deadline = 10s) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (screen_.find(text, seen_) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return false;  // EIO: the program exited and closed the terminal
      screen_.append(buf, static_cast<std::size_t>(n));
    }
    seen_ = screen_.find(text, seen_) + text.size();
    return true;
  }
  void type(const std::string& line) {
    std::string s = line + "\r";  // Enter on a terminal
    BOOST_TEST_REQUIRE(::write(fd_, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
  }
  void end_of_input() {
    const char eot = 4;  // Ctrl-D at the start of a line
    BOOST_TEST_REQUIRE(::write(fd_, &eot, 1) == 1);
  }
  std::optional<int> wait(std::chrono::milliseconds deadline = 20s) {
    // Drain the screen while waiting, so the program never blocks on a full terminal.
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        char buf[4096];
        pollfd p{fd_, POLLIN, 0};
        while (::poll(&p, 1, 50) > 0) {
          ssize_t n = ::read(fd_, buf, sizeof buf);
          if (n <= 0) break;
          screen_.append(buf, static_cast<std::size_t>(n));
        }
        return code_;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char buf[4096];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n > 0) screen_.append(buf, static_cast<std::size_t>(n));
      }
    }
    return std::nullopt;
  }
  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string screen_;
  std::size_t seen_ = 0;
  std::optional<int> code_;
};

json::object config_of(const fs::path& file) {
  return json::parse(read_file(file)).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(onboard)

BOOST_AUTO_TEST_CASE(the_wizard_asks_checks_each_answer_and_writes_once) {
  Sandbox sb;
  sb.env()["OPENCLAW_SERVICE_DIR"] = (sb.home() / "units").string();
  sb.env()["OPENCLAW_SYSTEMCTL"] = "false";
  BOOST_REQUIRE(sb.run({"setup", "--no-token"}).code == 0);  // main, to be watched
  Terminal t(sb, {"--profile", "rescue", "onboard"});
  BOOST_TEST_REQUIRE(t.expect("state dir  ~/.openclaw-rescue"), t.screen());
  // The suggestion comes with its reason, and a bad port is asked again.
  BOOST_TEST_REQUIRE(t.expect("Base port ["), t.screen());
  t.type("70000");
  BOOST_TEST_REQUIRE(t.expect("must be an integer 1..65535"), t.screen());
  BOOST_TEST_REQUIRE(t.expect("Base port ["), t.screen());
  t.type("");  // the suggestion
  BOOST_TEST_REQUIRE(t.expect("Workspace (where its agents write) [~/.openclaw/workspace-rescue]"),
                     t.screen());
  t.type("");
  BOOST_TEST_REQUIRE(t.expect("Instances on this machine: default"), t.screen());
  BOOST_TEST_REQUIRE(t.expect("Watch which"), t.screen());
  t.type("rescue");
  BOOST_TEST_REQUIRE(t.expect("an instance does not watch itself"), t.screen());
  t.type("");  // default
  BOOST_TEST_REQUIRE(t.expect("Tell the owner through: irc, telegram, or none [irc]"), t.screen());
  t.type("irc");
  BOOST_TEST_REQUIRE(t.expect("IRC server (host or host:port) [irc.libera.chat]"), t.screen());
  t.type("irc.example.net:6697");
  BOOST_TEST_REQUIRE(t.expect("Connect with TLS (Y/n)"), t.screen());
  t.type("");
  BOOST_TEST_REQUIRE(t.expect("The bot's nick [rescuebot]"), t.screen());
  t.type("bad nick");
  BOOST_TEST_REQUIRE(t.expect("not an IRC nick"), t.screen());
  t.type("");
  BOOST_TEST_REQUIRE(t.expect("Your IRC mask"), t.screen());
  t.type("me");
  BOOST_TEST_REQUIRE(t.expect("give your IRC mask as nick!user@host"), t.screen());
  // Nothing is written while the wizard asks.
  BOOST_TEST(!fs::exists(sb.home() / ".openclaw-rescue" / "openclaw.json"));
  t.type("me!*@home.example");
  BOOST_TEST_REQUIRE(t.expect("Install it as a service (systemd user unit) (y/N)"), t.screen());
  t.type("y");
  BOOST_TEST_REQUIRE(t.wait() == std::optional<int>(0), t.screen());
  const std::string& screen = t.screen();
  BOOST_TEST(contains(screen, "Set up profile \"rescue\":"), screen);
  BOOST_TEST(contains(screen, "Wrote " + (sb.home() / "units").string() +
                                  "/openclaw-gateway-rescue.service"),
             screen);
  BOOST_TEST(contains(screen, "openclaw-host --profile rescue channels status"), screen);

  auto cfg = config_of(sb.home() / ".openclaw-rescue" / "openclaw.json");
  const auto& irc = cfg.at("channels").at("irc");
  BOOST_TEST(irc.at("host").as_string() == "irc.example.net");
  BOOST_TEST(irc.at("port").as_int64() == 6697);
  BOOST_TEST(irc.at("tls") == true);
  BOOST_TEST(irc.at("nick").as_string() == "rescuebot");
  BOOST_TEST(irc.at("allowFrom").as_array().at(0).as_string() == "me!*@home.example");
  const auto& rescue = cfg.at("plugins").at("entries").at("rescue").at("config");
  BOOST_TEST(json::serialize(rescue.at("watch")) == R"(["default"])");
  BOOST_TEST(json::serialize(rescue.at("notify")) == R"([{"channel":"irc","to":"me"}])");
  // The base it suggested overlaps nobody: the machine is clean.
  auto doctor = sb.run({"doctor", "--all"});
  BOOST_TEST(doctor.code == 0, doctor.out);
  BOOST_TEST(contains(doctor.out, "no error, 0 warning(s)"), doctor.out);
}

BOOST_AUTO_TEST_CASE(ctrl_d_stops_the_wizard_and_nothing_is_written) {
  Sandbox sb;
  Terminal t(sb, {"--profile", "work", "onboard"});
  BOOST_TEST_REQUIRE(t.expect("Base port ["), t.screen());
  t.type("");
  BOOST_TEST_REQUIRE(t.expect("Workspace"), t.screen());
  t.end_of_input();
  BOOST_TEST_REQUIRE(t.wait() == std::optional<int>(1), t.screen());
  BOOST_TEST(contains(t.screen(), "the input ended before the last answer; nothing was written"),
             t.screen());
  BOOST_TEST(!fs::exists(sb.home() / ".openclaw-work"));
}

BOOST_AUTO_TEST_CASE(without_a_terminal_the_flags_say_everything) {
  Sandbox sb;
  BOOST_REQUIRE(sb.run({"setup", "--no-token"}).code == 0);
  const fs::path token = sb.home() / "tg.token";
  write_file(token, "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789\n");
  ::chmod(token.c_str(), 0600);
  auto r = sb.run({"--profile", "rescue", "onboard", "--watch", "default", "--telegram-token-file",
                   token.string(), "--telegram-owner", "424242", "--workspace", "~/bots/rescue"});
  BOOST_TEST(r.code == 0, r.out + r.err);
  BOOST_TEST(!contains(r.out, "Base port ["), r.out);  // nothing asked
  BOOST_TEST(!contains(r.out + r.err, "ABCdef"), "the token was shown");
  auto cfg = config_of(sb.home() / ".openclaw-rescue" / "openclaw.json");
  BOOST_TEST(cfg.at("channels").at("telegram").at("tokenFile").as_string() == token.string());
  BOOST_TEST(json::serialize(cfg.at("plugins").at("entries").at("rescue").at("config").at(
                 "notify")) == R"([{"channel":"telegram","to":"424242"}])");
  BOOST_TEST(fs::is_directory(sb.home() / "bots" / "rescue"));
  // The same again changes nothing.
  auto again = sb.run({"--profile", "rescue", "onboard", "--non-interactive"});
  BOOST_TEST(again.code == 0);
  BOOST_TEST(contains(again.out, "Nothing to change"), again.out);

  // Bad flags: one line each, and nothing written.
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const auto& c : std::vector<Case>{
           {{"--irc-server", "irc.example.net"}, "--irc-server and --irc-nick go together"},
           {{"--irc-server", "x", "--irc-nick", "a b"}, "--irc-nick: not an IRC nick"},
           {{"--irc-server", "x", "--irc-nick", "bot", "--irc-owner", "me"},
            "--irc-owner: give your IRC mask as nick!user@host"},
           {{"--telegram-token-file", "/nonexistent/tok"}, "--telegram-token-file:"},
           {{"--telegram-token-file", token.string(), "--telegram-owner", "@me"},
            "--telegram-owner: a Telegram user id is a number"},
           {{"--notify", "irc"}, "--notify irc needs --irc-owner"},
           {{"--notify", "pigeon"}, "--notify must be irc, telegram, both or none"}}) {
    std::vector<std::string> args{"--profile", "other", "onboard"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto bad = sb.run(args);
    BOOST_TEST(bad.code == 1, c.error);
    BOOST_TEST(contains(bad.err, c.error), bad.err);
    BOOST_TEST(!fs::exists(sb.home() / ".openclaw-other"), c.error);
  }
}

BOOST_AUTO_TEST_SUITE_END()
