// Channels against real peers: Debian's ngircd (and inspircd, with atheme-services for SASL)
// started by each test on registry-granted loopback ports with its own config, and a raw-socket
// IRC client in the test playing the owner. The product's story end to end: main and rescue on
// one machine, each its own nick; the owner asks the rescue bot about main, main is killed, the
// rescue bot keeps answering.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "gateway/client.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/http_server.hpp"
#include "support/harness.hpp"

using namespace openclaw::test;
namespace json = boost::json;

namespace {

// ngircd on a port of its own (and a TLS port with a certificate the test made, when asked).
struct IrcServer {
  TempDir dir;
  PortBlock block{2};
  std::unique_ptr<Child> proc;
  int port() const { return block.base(); }
  int tls_port() const { return block.base() + 1; }
  fs::path ca() const { return dir.path() / "ca.pem"; }

  explicit IrcServer(const std::string& password = "", bool tls = false) {
    BOOST_REQUIRE_MESSAGE(fs::exists("/usr/sbin/ngircd"),
                          "ngircd is not installed: run scripts/setup");
    std::string d = dir.path().string();
    std::string conf =
        "[Global]\nName = irc.test.local\nInfo = openclaw-host test server\n"
        "Listen = 127.0.0.1\nPorts = " +
        std::to_string(port()) + "\nMotdPhrase = hello\n";
    if (!password.empty()) conf += "Password = " + password + "\n";
    conf +=
        "[Limits]\nMaxConnectionsIP = 0\nMaxNickLength = 30\nPingTimeout = 120\nMaxPenaltyTime = "
        "0\n"
        "[Options]\nPAM = no\nIdent = no\nDNS = no\n";
    if (tls) {
      make_certificates();
      conf += "[SSL]\nCertFile = " + d + "/srv.pem\nKeyFile = " + d +
              "/srv.key\nPorts = " + std::to_string(tls_port()) + "\n";
    }
    write_file(dir.path() / "ngircd.conf", conf);
    // ngircd drops root to "nobody": what it reads must be readable by it.
    fs::permissions(dir.path(), fs::perms(0755));
    for (const auto& e : fs::directory_iterator(dir.path()))
      fs::permissions(e.path(), fs::perms(0644));
    proc = std::make_unique<Child>(
        std::vector<std::string>{"/usr/sbin/ngircd", "-n", "-f", d + "/ngircd.conf"},
        std::map<std::string, std::string>{}, dir.path());
    BOOST_REQUIRE_MESSAGE(poll_until([&] { return port_accepts(port()); }, 10s),
                          proc->out() + proc->err());
    if (tls) BOOST_REQUIRE(poll_until([&] { return port_accepts(tls_port()); }, 10s));
  }
  ~IrcServer() {
    if (proc) proc->stop(SIGTERM);
  }
  void stop() { proc->stop(SIGTERM); }
  void restart() {
    std::string d = dir.path().string();
    proc = std::make_unique<Child>(
        std::vector<std::string>{"/usr/sbin/ngircd", "-n", "-f", d + "/ngircd.conf"},
        std::map<std::string, std::string>{}, dir.path());
    BOOST_REQUIRE(poll_until([&] { return port_accepts(port()); }, 10s));
  }

  void make_certificates() {
    std::string d = dir.path().string();
    auto ca = [&](const std::string& name) {
      return "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
             name + ".key -out " + name + ".pem -days 2 -subj '/CN=" + name +
             " test CA' 2>/dev/null";
    };
    std::string cmd =
        "cd " + d + " && " + ca("ca") + " && " + ca("otherca") +
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key"
        " -out srv.csr -subj '/CN=localhost' 2>/dev/null && printf "
        "'subjectAltName=DNS:localhost\\n' > ext"
        " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem"
        " -days 2 -extfile ext 2>/dev/null";
    BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
  }
};

// A person on IRC: a raw socket, every line it received kept.
class IrcUser {
 public:
  IrcUser(int port, const std::string& nick, const std::string& password = "") : nick_(nick) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{0, 50000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (!password.empty()) send("PASS " + password);
    send("NICK " + nick);
    send("USER " + nick + " 0 * :Test user");
    BOOST_REQUIRE_MESSAGE(!wait_for(" 001 ", 10s).empty(),
                          "IRC registration of " + nick + " failed");
  }
  ~IrcUser() { ::close(fd_); }
  void send(const std::string& line) {
    std::string l = line + "\r\n";
    BOOST_REQUIRE(::write(fd_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }
  void say(const std::string& to, const std::string& text) { send("PRIVMSG " + to + " :" + text); }
  /// Waits for a line containing `needle` (and `also`) that arrived after mark(); returns it
  /// ("" on timeout).
  std::string wait_for(const std::string& needle, std::chrono::milliseconds deadline = 15s,
                       const std::string& also = "") {
    std::string found;
    poll_until(
        [&] {
          pump();
          for (std::size_t i = mark_; i < lines_.size(); ++i) {
            if (contains(lines_[i], needle) && contains(lines_[i], also)) {
              found = lines_[i];
              return true;
            }
          }
          return false;
        },
        deadline);
    return found;
  }
  /// Lines from `from` (a nick) to us, from the mark on.
  std::vector<std::string> privmsgs_from(const std::string& from) {
    pump();
    std::vector<std::string> out;
    for (std::size_t i = mark_; i < lines_.size(); ++i) {
      if (lines_[i].rfind(":" + from + "!", 0) == 0 &&
          contains(lines_[i], " PRIVMSG " + nick_ + " :")) {
        out.push_back(lines_[i]);
      }
    }
    return out;
  }
  void mark() {
    pump();
    mark_ = lines_.size();
  }
  /// Calls `f` with every line from the mark on.
  template <typename F>
  void each_line(F&& f) {
    pump();
    for (std::size_t i = mark_; i < lines_.size(); ++i) f(lines_[i]);
  }
  /// Asks `bot` and returns the text of its first reply line that contains `expect` ("" when
  /// none came): replies to earlier questions may still be arriving.
  std::string ask(const std::string& bot, const std::string& text, const std::string& expect = "",
                  std::chrono::milliseconds deadline = 15s) {
    mark();
    say(bot, text);
    std::string line = wait_for(":" + bot + "!", deadline, expect);
    auto pos = line.find(" :", 1);
    return pos == std::string::npos ? "" : line.substr(pos + 2);
  }

 private:
  void pump() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      partial_.append(buf, static_cast<size_t>(n));
    }
    std::size_t nl;
    while ((nl = partial_.find("\r\n")) != std::string::npos) {
      std::string l = partial_.substr(0, nl);
      partial_.erase(0, nl + 2);
      if (l.rfind("PING ", 0) == 0) {
        std::string pong = "PONG " + l.substr(5) + "\r\n";
        (void)!::write(fd_, pong.data(), pong.size());
      }
      lines_.push_back(l);
    }
  }
  int fd_ = -1;
  std::string nick_;
  std::string partial_;
  std::vector<std::string> lines_;
  std::size_t mark_ = 0;
};

// A copy of the bundled channel plugins a test needs, as a plugins folder of its own.
fs::path channel_plugins(Sandbox& sb, const std::vector<std::string>& ids) {
  return bundle_plugins(sb, ids);
}

// Writes `root` as the config of `profile` (state dir 0700, file 0600); returns the file.
fs::path write_profile_config(Sandbox& sb, const std::string& profile, const json::object& root) {
  fs::path cfg = sb.home() / (".openclaw-" + profile) / "openclaw.json";
  fs::create_directories(cfg.parent_path());
  fs::permissions(cfg.parent_path(), fs::perms(0700));
  write_file(cfg, json::serialize(root));
  fs::permissions(cfg, fs::perms(0600));
  return cfg;
}

struct Bot {
  Sandbox& sb;
  std::string profile;
  PortBlock block{130};
  std::unique_ptr<Child> gw;
  /// `ours`: the IRC settings only openclaw-host reads (plugins.entries.openclaw-host.config.irc).
  Bot(Sandbox& s, std::string name, const json::object& irc, const json::object& ours = {})
      : sb(s), profile(std::move(name)) {
    json::object root{{"gateway", json::object{{"port", block.base()}}},
                      {"channels", json::object{{"irc", irc}}}};
    if (!ours.empty()) {
      root["plugins"] = json::object{
          {"entries",
           json::object{{"openclaw-host", json::object{{"config", json::object{{"irc", ours}}}}}}}};
    }
    write_profile_config(sb, profile, root);
  }
  ~Bot() {
    if (gw && gw->running()) gw->stop(SIGTERM, 20s);
  }
  void start() {
    gw = sb.spawn({"--profile", profile, "gateway"},
                  {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block, 111)}});
    BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  }
  bool registered() {
    return poll_until([&] { return contains(gw->err(), "irc: registered as"); }, 15s);
  }
  std::string logs() {
    return gw->err() + gw->out() +
           read_file(sb.home() / (".openclaw-" + profile) / "logs" / "gateway.log");
  }
  Result cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--profile", profile});
    return sb.run(args);
  }
};

json::object irc_config(int port, const std::string& nick) {
  return json::object{{"host", "127.0.0.1"},
                      {"port", port},
                      {"tls", false},
                      {"nick", nick},
                      {"channels", json::array{"#ops"}},
                      {"allowFrom", json::array{"owner!*@*"}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(channels_irc)

BOOST_AUTO_TEST_CASE(the_rescue_bot_answers_while_main_is_killed) {
  const std::string secret = "irc-server-secret-4f1c";
  IrcServer server(secret);
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  fs::path calls = sb.home() / "systemctl.calls";
  fs::path fake = sb.home() / "fake-systemctl";
  write_file(fake, "#!/bin/sh\necho \"$*\" >> '" + calls.string() + "'\nexit 0\n");
  fs::permissions(fake, fs::perms(0755));
  sb.env()["OPENCLAW_SYSTEMCTL"] = fake.string();
  sb.env()["OPENCLAW_SERVICE_DIR"] = (sb.home() / "units").string();

  auto main_irc = irc_config(server.port(), "mainbot");
  main_irc["password"] = secret;
  auto rescue_irc = irc_config(server.port(), "rescuebot");
  rescue_irc["password"] = secret;
  Bot main(sb, "main", main_irc), rescue(sb, "rescue", rescue_irc);
  main.start();
  // The stand-in service manager starts nothing: /restart through it reports "not ready" soon.
  BOOST_REQUIRE_EQUAL(
      rescue.cli({"config", "set", "plugins.entries.rescue.config.startWaitMs", "3000"}).code, 0);
  rescue.start();
  BOOST_REQUIRE_MESSAGE(main.registered(), main.logs());
  BOOST_REQUIRE_MESSAGE(rescue.registered(), rescue.logs());

  IrcUser owner(server.port(), "owner", secret);
  std::string s = owner.ask("rescuebot", "/status main", "main: ");
  BOOST_TEST(contains(s, "main: running, pid " + std::to_string(main.gw->pid())), s);
  BOOST_TEST(contains(s, "port " + std::to_string(main.block.base())), s);
  BOOST_TEST(contains(s, "irc running"), s);
  std::string p = owner.ask("rescuebot", "/ports main", "main ");
  BOOST_TEST(contains(p, "gateway=" + std::to_string(main.block.base())), p);
  // Each bot answers for itself on its own nick.
  BOOST_TEST(contains(owner.ask("mainbot", "/status", "main: "), "main: running"));

  BOOST_TEST(main.gw->stop(SIGKILL).has_value());
  s = owner.ask("rescuebot", "/status main", "main: ");
  BOOST_TEST(contains(s, "main: not running"), s);
  std::string all = owner.ask("rescuebot", "/profiles", "1 instance");
  BOOST_TEST(contains(all, "rescue pid " + std::to_string(rescue.gw->pid())), all);
  BOOST_TEST(!contains(all, "main pid"), all);
  BOOST_TEST(contains(owner.ask("rescuebot", "/status", "rescue: "), "rescue: running"));
  // The last line main logged before it was killed.
  std::string logs = owner.ask("rescuebot", "/logs main 1", "] ");
  BOOST_TEST_REQUIRE(!logs.empty());
  // Its time as people read it ("14:03:11 UTC [info] ..."), not the file's epoch milliseconds.
  BOOST_TEST(logs.substr(8, 5) == " UTC ", logs);
  BOOST_TEST(contains(main.logs(), logs.substr(logs.find(" ["))), logs);

  // /restart without a service starts main directly; with one, goes through it.
  std::string r = owner.ask("rescuebot", "/restart main", "main: ", 30s);
  BOOST_TEST(contains(r, "no service): ready in"), r + rescue.logs());
  std::string stopped = owner.ask("rescuebot", "/stop main", "main: ");
  BOOST_TEST(contains(stopped, "Stopped main"), stopped);
  BOOST_REQUIRE_EQUAL(main.cli({"gateway", "install"}).code, 0);
  r = owner.ask("rescuebot", "/restart main", "main: restart");
  BOOST_TEST(contains(r, "restart: openclaw-gateway-main.service"), r);
  BOOST_TEST(contains(read_file(calls), "restart openclaw-gateway-main.service"));

  // The server password is in no output, log or status.
  auto status = rescue.cli({"channels", "status", "--json"});
  BOOST_TEST(status.code == 0);
  BOOST_TEST(contains(status.out, "\"connected\":true"));
  BOOST_TEST(!contains(status.out, secret));
  BOOST_TEST(!contains(rescue.cli({"status", "--json"}).out, secret));
  BOOST_TEST(!contains(rescue.logs(), secret));
  BOOST_TEST(!contains(main.logs(), secret));
}

// The rescue bot watches main and tells the owner each change, unasked: a kill -9 the moment the
// kernel reports it, a hang (SIGSTOP) after hungAfter missed /readyz checks, and main coming
// back. Nothing is sent for how things were when the watcher started.
BOOST_AUTO_TEST_CASE(the_rescue_bot_tells_the_owner_when_main_crashes_hangs_and_comes_back) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  Bot main(sb, "main", irc_config(server.port(), "mainbot"));
  Bot rescue(sb, "rescue", irc_config(server.port(), "rescuebot"));
  write_profile_config(
      sb, "rescue",
      json::object{
          {"gateway", json::object{{"port", rescue.block.base()}}},
          {"channels", json::object{{"irc", irc_config(server.port(), "rescuebot")}}},
          {"plugins",
           json::object{{"entries",
                         json::object{{"rescue",
                                       json::object{{"config",
                                                     json::object{{"watch", json::array{"main"}},
                                                                  {"intervalMs", 200},
                                                                  {"hungAfter", 3},
                                                                  {"notify",
                                                                   json::array{json::object{
                                                                       {"channel", "irc"},
                                                                       {"to", "owner"}}}}}}}}}}}}});
  // A stand-in for a user systemd (none runs here): `show` says what systemd.show holds.
  fs::path show = sb.home() / "systemd.show", fake = sb.home() / "fake-systemctl";
  write_file(fake, "#!/bin/sh\nif [ \"$2\" = show ] && [ -f '" + show.string() + "' ]; then cat '" +
                       show.string() + "'; fi\nexit 0\n");
  fs::permissions(fake, fs::perms(0755));
  sb.env()["OPENCLAW_SYSTEMCTL"] = fake.string();
  sb.env()["OPENCLAW_SERVICE_DIR"] = (sb.home() / "units").string();
  IrcUser owner(server.port(), "owner");
  main.start();
  rescue.start();
  BOOST_REQUIRE_MESSAGE(rescue.registered(), rescue.logs());
  auto watching = [&](const std::string& state) {
    return poll_until(
        [&] {
          auto r = http_get(rescue.block.base(), "/api/status");
          return r && contains(r->body, "\"main\":{\"state\":\"" + state + "\"");
        },
        10s);
  };
  BOOST_REQUIRE_MESSAGE(watching("up"), rescue.logs());
  owner.mark();
  BOOST_TEST(owner.privmsgs_from("rescuebot").empty());  // nothing for the first look

  auto t0 = std::chrono::steady_clock::now();
  BOOST_REQUIRE(main.gw->stop(SIGKILL).has_value());
  std::string crashed = owner.wait_for(":rescuebot!", 10s, "main crashed");
  auto crash_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  BOOST_TEST(contains(crashed, "died without a word"), crashed);
  BOOST_TEST(crash_ms < 2000, crash_ms);  // the kernel's word, not the next tick (bench: p99)

  owner.mark();
  main.start();
  std::string back = owner.wait_for(":rescuebot!", 10s, "main is up again");
  BOOST_TEST(contains(back, "(down "), back);

  owner.mark();
  BOOST_REQUIRE(::kill(main.gw->pid(), SIGSTOP) == 0);
  std::string hung = owner.wait_for(":rescuebot!", 10s, "main is hung");
  BOOST_TEST(contains(hung, "missed 3 checks in a row"), hung);
  owner.mark();
  BOOST_REQUIRE(::kill(main.gw->pid(), SIGCONT) == 0);
  BOOST_TEST(!owner.wait_for(":rescuebot!", 10s, "main is up again").empty());

  owner.mark();
  BOOST_TEST(main.gw->stop(SIGTERM) == std::optional<int>(0));
  std::string stopped = owner.wait_for(":rescuebot!", 10s, "main stopped");
  BOOST_TEST(contains(stopped, "stopped cleanly (SIGTERM)"), stopped);
  // /status says the same, in words.
  BOOST_TEST(contains(owner.ask("rescuebot", "/status main", "main: "), "not running — stopped"));
  BOOST_TEST(contains(owner.ask("rescuebot", "/status nosuch", "nosuch: "), "no such profile"));

  // With a service: what systemd does about a crash is told as well.
  write_file(show,
             "ActiveState=activating\nSubState=auto-restart\nResult=signal\nNRestarts=1\n"
             "ExecMainCode=2\nExecMainStatus=9\n");
  BOOST_REQUIRE_EQUAL(main.cli({"gateway", "install"}).code, 0);
  owner.mark();
  main.start();
  BOOST_REQUIRE(!owner.wait_for(":rescuebot!", 10s, "main is up").empty());
  owner.mark();
  BOOST_REQUIRE(main.gw->stop(SIGKILL).has_value());
  std::string told = owner.wait_for(":rescuebot!", 10s, "main: its service (systemd): restarting");
  BOOST_TEST(contains(told, "1 restart(s) so far; its last run was killed by signal 9 (SIGKILL)"),
             told);
}

// The rescue profile's config: IRC as rescuebot, watching main, telling the owner; `extra` goes
// into plugins.entries.rescue.config.
void write_rescue_config(Sandbox& sb, const Bot& rescue, int irc_port, json::object extra = {}) {
  json::object cfg{{"watch", json::array{"main"}},
                   {"intervalMs", 200},
                   {"hungAfter", 3},
                   {"notify", json::array{json::object{{"channel", "irc"}, {"to", "owner"}}}}};
  for (auto& [k, v] : extra) cfg[k] = v;
  write_profile_config(
      sb, "rescue",
      json::object{
          {"gateway", json::object{{"port", rescue.block.base()}}},
          {"channels", json::object{{"irc", irc_config(irc_port, "rescuebot")}}},
          {"plugins",
           json::object{{"entries", json::object{{"rescue", json::object{{"config", cfg}}}}}}}});
}

// The pid main's record names (0 when it does not run); stopped by the test that started it,
// whoever started it (a detached start by the rescue bot included).
int main_pid(Sandbox& sb) {
  std::string rec = read_file(sb.home() / ".openclaw-main" / "gateway.json");
  auto at = rec.find("\"pid\":");
  int pid = at == std::string::npos ? 0 : std::atoi(rec.c_str() + at + 6);
  // A record a SIGKILL left behind names no live process (a zombie is dead too).
  std::string stat = pid > 0 ? read_file("/proc/" + std::to_string(pid) + "/stat") : "";
  auto close = stat.rfind(')');
  if (stat.empty() || close == std::string::npos || stat.compare(close, 3, ") Z") == 0) return 0;
  return pid;
}
struct StopMain {
  Sandbox& sb;
  ~StopMain() {
    if (int pid = main_pid(sb); pid > 0) ::kill(pid, SIGKILL);
  }
};

// Story 2 and 6: main broken on disk is diagnosed and fixed from the channel, started without a
// service, stopped, and outlives the rescue bot that started it.
BOOST_AUTO_TEST_CASE(the_rescue_bot_fixes_mains_config_and_starts_it_without_a_service) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  StopMain cleanup{sb};
  PortBlock main_block{130};
  fs::path main_cfg = write_profile_config(
      sb, "main",
      json::object{{"gateway", json::object{{"port", main_block.base()},
                                            {"auth", json::object{{"token", "s3cr3t-main"}}}}}});
  BOOST_REQUIRE_EQUAL(
      sb.run({"--profile", "main", "config", "set", "gateway.bind", "loopback"}).code,
      0);  // a version in the history
  Bot rescue(sb, "rescue", irc_config(server.port(), "rescuebot"));
  write_rescue_config(sb, rescue, server.port());
  IrcUser owner(server.port(), "owner");
  rescue.start();
  BOOST_REQUIRE_MESSAGE(rescue.registered(), rescue.logs());

  write_file(main_cfg, "{\"gateway\": {\"port\": 1,,}");
  std::string status = owner.ask("rescuebot", "/status main", "main: ");
  BOOST_TEST(contains(status, "not running"), status);
  BOOST_TEST(contains(status, "it would not start: config is not valid JSON"), status);
  BOOST_TEST(contains(status, "line 1, column"), status);
  std::string undo = owner.ask("rescuebot", "/rollback main", "main: ");
  BOOST_TEST(contains(undo, "Restored version 1"), undo);
  BOOST_TEST(contains(read_file(main_cfg), "loopback"));

  // A bad type: validate lists it, set fixes it, secrets never show.
  std::string text = read_file(main_cfg);
  auto at = text.find(std::to_string(main_block.base()));
  BOOST_REQUIRE(at != std::string::npos);
  write_file(main_cfg, text.replace(at, std::to_string(main_block.base()).size(), "\"many\""));
  std::string invalid = owner.ask("rescuebot", "/config main validate", "main: ");
  BOOST_TEST(contains(invalid, "config validate failed"), invalid);
  BOOST_TEST(contains(invalid, "gateway.port must be an integer"), invalid);
  std::string set = owner.ask(
      "rescuebot", "/config main set gateway.port " + std::to_string(main_block.base()), "main: ");
  BOOST_TEST(contains(set, "Set gateway.port = " + std::to_string(main_block.base())), set);
  std::string token = owner.ask("rescuebot", "/config main get gateway.auth.token", "main: ");
  BOOST_TEST(token == "main: ***", token);
  std::string history = owner.ask("rescuebot", "/history main", "main: ");
  BOOST_TEST(contains(history, "by rescue (irc owner"), history);
  BOOST_TEST(contains(history, "gateway.port  (now)"), history);

  std::string started = owner.ask("rescuebot", "/start main", "main: ", 30s);
  BOOST_TEST(contains(started, "no service): ready in"), started);
  const int pid = main_pid(sb);
  BOOST_TEST_REQUIRE(pid > 0);
  BOOST_TEST(::getsid(pid) == pid);
  std::string doctor = owner.ask("rescuebot", "/doctor main", "main: ");
  BOOST_TEST(contains(doctor, "gateway: running, pid " + std::to_string(pid)), doctor);
  BOOST_TEST(contains(doctor, "no error"), doctor);

  std::string restarted = owner.ask("rescuebot", "/restart main", "main: ", 30s);
  BOOST_TEST(contains(restarted, "Stopped main (pid " + std::to_string(pid) + ")"), restarted);
  BOOST_TEST(contains(restarted, "ready in"), restarted);
  const int restarted_pid = main_pid(sb);
  BOOST_TEST(restarted_pid != pid);
  std::string stopped = owner.ask("rescuebot", "/stop main", "main: ");
  BOOST_TEST(contains(stopped, "Stopped main (pid " + std::to_string(restarted_pid) + ")"),
             stopped);
  BOOST_TEST(main_pid(sb) == 0);

  // Started by the rescue bot, it outlives the rescue bot.
  BOOST_TEST(contains(owner.ask("rescuebot", "/start main", "main: ", 30s), "ready in"));
  const int second = main_pid(sb);
  BOOST_REQUIRE(rescue.gw->stop(SIGTERM).has_value());
  BOOST_TEST(second > 0);
  BOOST_TEST(::kill(second, 0) == 0);
  BOOST_TEST(port_accepts(main_block.base()));
  auto stop = sb.run({"--profile", "main", "gateway", "stop"});
  BOOST_TEST(contains(stop.out, "Stopped main (pid " + std::to_string(second) + ")"), stop.out);
  // No secret in any reply or log.
  BOOST_TEST(!contains(rescue.logs(), "s3cr3t-main"));
  BOOST_TEST(
      !contains(read_file(sb.home() / ".openclaw-main" / "logs" / "gateway.log"), "s3cr3t-main"));
}

// Story 3 and 4: autoRollback reverts a start-breaking change by itself; autoRestart restarts a
// crash nobody explains, backs off, and gives up after maxRestarts.
BOOST_AUTO_TEST_CASE(the_rescue_bot_rolls_back_and_restarts_by_itself_within_its_limit) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  sb.env()["OPENCLAW_CONFIG_GOOD_AFTER_MS"] = "300";
  StopMain cleanup{sb};
  PortBlock main_block{130};
  fs::path main_cfg = write_profile_config(
      sb, "main", json::object{{"gateway", json::object{{"port", main_block.base()}}}});
  Bot rescue(sb, "rescue", irc_config(server.port(), "rescuebot"));
  write_rescue_config(sb, rescue, server.port(),
                      json::object{{"autoRollback", true},
                                   {"alertsPerMinute", 100},  // the ladder says 3 things per crash
                                   {"autoRestart", json::object{{"enabled", true},
                                                                {"maxRestarts", 2},
                                                                {"windowMs", 600000},
                                                                {"backoffMs", 100}}}});
  IrcUser owner(server.port(), "owner");
  rescue.start();
  BOOST_REQUIRE_MESSAGE(rescue.registered(), rescue.logs());
  auto start = sb.run({"--profile", "main", "gateway", "start"});
  BOOST_REQUIRE_MESSAGE(start.code == 0, start.err);
  // Healthy for a while: last-known-good.
  fs::path good = sb.home() / ".openclaw-main" / "config-history" / "good.json";
  BOOST_REQUIRE(poll_until([&] { return fs::exists(good); }, 10s));
  BOOST_REQUIRE(sb.run({"--profile", "main", "gateway", "stop"}).code == 0);

  // A change that keeps it from starting: it fails, is rolled back, and starts.
  owner.mark();
  std::string text = read_file(main_cfg);
  write_file(main_cfg,
             text.substr(0, text.rfind('}')) + ", \"canvasHost\": {\"enabled\": \"yes\"}}");
  BOOST_TEST(sb.run({"--profile", "main", "gateway", "start"}).code != 0);
  std::string reverted = owner.wait_for(":rescuebot!", 15s, "rolled its config back");
  BOOST_TEST(contains(reverted, "Restored the last-known-good version"), reverted);
  BOOST_TEST(contains(reverted, "canvasHost"), reverted);
  BOOST_TEST(!owner.wait_for(":rescuebot!", 30s, "started after the rollback").empty());
  BOOST_TEST(!contains(read_file(main_cfg), "canvasHost"));
  BOOST_TEST_REQUIRE(poll_until([&] { return main_pid(sb) > 0; }, 10s));

  // Crashes nobody explains (SIGKILL): restarted twice with backoff, then it gives up.
  for (int round = 1; round <= 2; ++round) {
    owner.mark();
    int pid = main_pid(sb);
    BOOST_REQUIRE(pid > 0 && ::kill(pid, SIGKILL) == 0);
    std::string restarting = owner.wait_for(":rescuebot!", 15s, "main: restarting it");
    BOOST_TEST(contains(restarting, "(" + std::to_string(round) + " of 2"), [&] {
      std::string all;
      for (const auto& l : owner.privmsgs_from("rescuebot")) all += l + "\n";
      return all;
    }());
    BOOST_TEST(!owner.wait_for(":rescuebot!", 30s, "main is up").empty(), rescue.logs());
    BOOST_REQUIRE(poll_until([&] { return main_pid(sb) > 0 && main_pid(sb) != pid; }, 10s));
  }
  owner.mark();
  int last = main_pid(sb);
  BOOST_REQUIRE(::kill(last, SIGKILL) == 0);
  std::string gave_up = owner.wait_for(":rescuebot!", 15s, "main: gave up after 2 restarts");
  BOOST_TEST(contains(gave_up, "died without a word"), gave_up);
  // And nothing more: it stays down (the next looks find it down, no restart).
  std::string later = owner.ask("rescuebot", "/status main", "main: ");
  BOOST_TEST(contains(later, "not running"), later);
  BOOST_TEST(owner.wait_for(":rescuebot!", 1s, "restarting it").empty());
  BOOST_TEST(main_pid(sb) == 0);
}

// A gateway on another machine (its own HOME and registry: invisible to the rescue bot's), behind
// a real TLS reverse proxy (nginx) that lets only its token through: watched over HTTPS with the
// certificate verified; start, stop and config refused as local-only.
BOOST_AUTO_TEST_CASE(the_rescue_bot_watches_a_gateway_on_another_machine_over_https) {
  BOOST_REQUIRE_MESSAGE(fs::exists("/usr/sbin/nginx"), "nginx is not installed: run scripts/setup");
  IrcServer server("", true);  // its test CA and "localhost" certificate serve nginx too
  Sandbox far;
  channel_plugins(far, {"irc"});
  Bot remote(far, "main", json::object{{"nick", "farbot"}});  // no host: the channel is idle
  remote.start();
  const std::string token = "s3cr3t-far-token-9d2e";

  // nginx: TLS on a port of its own, the token required, proxied to the far gateway's loopback.
  PortBlock proxy_port{1};
  TempDir nginx;
  fs::create_directories(nginx.path() / "logs");
  const std::string d = server.dir.path().string();
  write_file(nginx.path() / "nginx.conf",
             std::string(::geteuid() == 0 ? "user root;\n" : "") +
                 "worker_processes 1;\nerror_log stderr;\npid " + nginx.path().string() +
                 "/nginx.pid;\nevents { worker_connections 64; }\n"
                 "http { access_log off; client_body_temp_path " +
                 nginx.path().string() + "/tmp; proxy_temp_path " + nginx.path().string() +
                 "/ptmp;\n  server { listen 127.0.0.1:" + std::to_string(proxy_port.base()) +
                 " ssl; ssl_certificate " + d + "/srv.pem; ssl_certificate_key " + d +
                 "/srv.key;\n    location / { if ($http_authorization != \"Bearer " + token +
                 "\") { return 401; }\n      proxy_pass http://127.0.0.1:" +
                 std::to_string(remote.block.base()) + "; proxy_set_header Host 127.0.0.1:" +
                 std::to_string(remote.block.base()) + "; } } }\n");
  auto proxy = std::make_unique<Child>(
      std::vector<std::string>{"/usr/sbin/nginx", "-p", nginx.path().string() + "/", "-c",
                               (nginx.path() / "nginx.conf").string(), "-g", "daemon off;"},
      std::map<std::string, std::string>{}, nginx.path());
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return port_accepts(proxy_port.base()); }, 10s),
                        proxy->err());

  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  fs::path token_file = sb.home() / "main-eu.token";
  write_file(token_file, token + "\n");
  fs::permissions(token_file, fs::perms(0600));
  const std::string url = "https://localhost:" + std::to_string(proxy_port.base());
  Bot rescue(sb, "rescue", irc_config(server.port(), "rescuebot"));
  write_rescue_config(
      sb, rescue, server.port(),
      json::object{{"watch", json::array{json::object{{"name", "main-eu"},
                                                      {"url", url},
                                                      {"tokenFile", token_file.string()},
                                                      {"caFile", server.ca().string()}}}},
                   {"hungAfter", 2}});
  // A watch that would send the token in the clear is refused, naming the key.
  auto refused = rescue.cli({"config", "set", "plugins.entries.rescue.config.watch",
                             R"([{"name": "x", "url": "http://gw.example:18789"}])"});
  BOOST_TEST(refused.code != 0);
  BOOST_TEST(contains(refused.err, "plugins.entries.rescue.config.watch[0].url"), refused.err);
  BOOST_TEST(contains(refused.err, "must be an https:// URL"), refused.err);

  IrcUser owner(server.port(), "owner");
  rescue.start();
  BOOST_REQUIRE_MESSAGE(rescue.registered(), rescue.logs());
  BOOST_TEST(contains(rescue.logs(), "watching main-eu at " + url), rescue.logs());
  std::string st = owner.ask("rescuebot", "/status main-eu", "main-eu ");
  BOOST_TEST(contains(st, "main-eu (" + url + ", on another machine): up, ready"), st);

  // Down over there: the proxy answers 502; told once it missed hungAfter checks.
  owner.mark();
  BOOST_REQUIRE(remote.gw->stop(SIGTERM).has_value());
  std::string down = owner.wait_for(":rescuebot!", 15s, "main-eu is unreachable");
  BOOST_TEST(contains(down, "missed 2 checks in a row (HTTP 502)"), down);
  BOOST_TEST(contains(owner.ask("rescuebot", "/status main-eu", "main-eu "), "answers HTTP 502"));
  // Acting on it is for its own machine.
  std::string start = owner.ask("rescuebot", "/start main-eu", "main-eu ");
  BOOST_TEST(contains(start, "is a gateway on another machine"), start);
  BOOST_TEST(contains(owner.ask("rescuebot", "/config main-eu validate", "main-eu "),
                      "works only for this machine's instances"));
  owner.mark();
  remote.start();
  BOOST_TEST(!owner.wait_for(":rescuebot!", 15s, "main-eu is up again").empty());

  // A certificate it cannot verify is a failure, never a fallback: nginx's cert against a CA
  // that did not sign it.
  json::array other{json::object{{"name", "main-eu"},
                                 {"url", url},
                                 {"tokenFile", token_file.string()},
                                 {"caFile", (server.dir.path() / "otherca.pem").string()}}};
  auto set =
      rescue.cli({"config", "set", "plugins.entries.rescue.config.watch", json::serialize(other)});
  BOOST_REQUIRE_MESSAGE(set.code == 0, set.err);
  owner.mark();
  std::string bad = owner.wait_for(":rescuebot!", 15s, "main-eu is unreachable");
  BOOST_TEST(contains(bad, "certificate"), bad);
  BOOST_TEST(!contains(rescue.logs(), token));
  for (const auto& l : owner.privmsgs_from("rescuebot")) BOOST_TEST(!contains(l, token), l);
  proxy->stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(strangers_get_nothing_and_pairing_lets_them_in) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  Bot bot(sb, "rescue", irc_config(server.port(), "rescuebot"));
  bot.start();
  BOOST_REQUIRE(bot.registered());
  IrcUser owner(server.port(), "owner"), stranger(server.port(), "mallory");
  stranger.mark();
  stranger.say("rescuebot", "/status");
  stranger.say("rescuebot", "/logs rescue");
  // Messages are handled in order: once the owner's later question is answered, the stranger's
  // were decided too.
  BOOST_TEST(contains(owner.ask("rescuebot", "/status", "rescue: "), "rescue: running"));
  BOOST_TEST(stranger.privmsgs_from("rescuebot").empty());
  BOOST_TEST(poll_until(
      [&] { return contains(bot.logs(), "not answered: sender not in allowFrom"); }, 5s));

  // With dmPolicy "pairing" the stranger gets a code; the owner approves it from the CLI.
  BOOST_REQUIRE(bot.gw->stop(SIGTERM).has_value());
  BOOST_REQUIRE_EQUAL(bot.cli({"config", "set", "channels.irc.dmPolicy", "pairing"}).code, 0);
  bot.start();
  BOOST_REQUIRE(bot.registered());
  std::string reply = stranger.ask("rescuebot", "/status");
  BOOST_TEST_REQUIRE(contains(reply, "Pairing code: "), reply);
  std::string code = reply.substr(reply.find("Pairing code: ") + 14, 8);
  // The hint names the profile: run as printed, it works.
  std::string hint = stranger.wait_for(":rescuebot!", 10s, "Ask its owner to run: ");
  std::string printed = hint.substr(hint.find("openclaw-host ") + 14);
  BOOST_TEST(printed == "--profile rescue pairing approve irc " + code);
  auto list = bot.cli({"pairing", "list", "irc", "--json"});
  BOOST_TEST(contains(list.out, code));
  BOOST_TEST(contains(list.out, "mallory!"));
  auto wrong = bot.cli({"pairing", "approve", "irc", "ZZZZZZZZ"});
  BOOST_TEST(wrong.code == 1);
  BOOST_TEST(contains(wrong.err, "no pending pairing code ZZZZZZZZ"));
  std::vector<std::string> words;
  std::istringstream split(printed);
  for (std::string w; split >> w;) words.push_back(w);
  auto ok = sb.run(words);
  BOOST_TEST_REQUIRE(ok.code == 0, ok.err);
  BOOST_TEST(contains(stranger.ask("rescuebot", "/status"), "rescue: running"));
}

BOOST_AUTO_TEST_CASE(a_message_accepted_before_a_crash_is_answered_once_after_restart) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  // The service manager stand-in holds `restart` while the hold file exists: the message is
  // accepted and queued, and its answer cannot come before the gateway is killed.
  fs::path hold = sb.home() / "hold", called = sb.home() / "called";
  fs::path fake = sb.home() / "fake-systemctl";
  write_file(fake, "#!/bin/sh\necho \"$*\" >> '" + called.string() +
                       "'\ncase \"$*\" in *restart*)\n"
                       "  while [ -e '" +
                       hold.string() + "' ]; do sleep 0.05; done;;\nesac\nexit 0\n");
  fs::permissions(fake, fs::perms(0755));
  sb.env()["OPENCLAW_SYSTEMCTL"] = fake.string();
  sb.env()["OPENCLAW_SERVICE_DIR"] = (sb.home() / "units").string();
  Bot target(sb, "main", irc_config(server.port(), "mainbot"));
  BOOST_REQUIRE_EQUAL(target.cli({"gateway", "install"}).code, 0);
  Bot bot(sb, "rescue", irc_config(server.port(), "rescuebot"));
  // The stand-in starts nothing: /restart reports "not ready" after startWaitMs.
  write_profile_config(
      sb, "rescue",
      json::object{
          {"gateway", json::object{{"port", bot.block.base()}}},
          {"channels", json::object{{"irc", irc_config(server.port(), "rescuebot")}}},
          {"plugins",
           json::object{
               {"entries",
                json::object{
                    {"rescue", json::object{{"config", json::object{{"startWaitMs", 300}}}}}}}}}});
  bot.start();
  BOOST_REQUIRE(bot.registered());
  IrcUser owner(server.port(), "owner");

  write_file(hold, "");
  fs::remove(called);
  owner.mark();
  owner.say("rescuebot", "/restart main");
  BOOST_REQUIRE(poll_until([&] { return contains(read_file(called), "restart"); }, 15s));
  fs::path journal = sb.home() / ".openclaw-rescue" / "channels" / "inbound.journal";
  BOOST_TEST(contains(read_file(journal), "/restart main"));
  BOOST_REQUIRE(bot.gw->stop(SIGKILL).has_value());  // between accepting and answering
  BOOST_TEST(owner.privmsgs_from("rescuebot").empty());
  fs::remove(hold);

  bot.start();
  BOOST_REQUIRE(bot.registered());
  std::string answer = owner.wait_for("main: restart", 20s);
  BOOST_TEST(contains(answer, "restart: openclaw-gateway-main.service"), answer);
  BOOST_TEST(contains(bot.logs(), "accepted before the last stop"));
  // Handled once: a later question gets its answer, and there is still one restart reply.
  BOOST_TEST(contains(owner.ask("rescuebot", "/status", "rescue: "), "rescue: running"));
  BOOST_TEST(owner.privmsgs_from("rescuebot").size() == 1u);
  // And nothing is left to replay at the next start.
  BOOST_TEST(bot.gw->stop(SIGTERM).has_value());
  bot.start();
  BOOST_REQUIRE(bot.registered());
  owner.mark();
  BOOST_TEST(contains(owner.ask("rescuebot", "/help"), "Commands:"));
  auto after = owner.privmsgs_from("rescuebot");
  BOOST_TEST(!after.empty());  // the help (one or more lines), and no replayed restart answer
  for (const auto& l : after) BOOST_TEST(!contains(l, "main: restart"), l);
}

BOOST_AUTO_TEST_CASE(a_taken_nick_falls_back_and_a_lost_server_is_reconnected) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  Bot first(sb, "one", irc_config(server.port(), "dupbot")),
      second(sb, "two", irc_config(server.port(), "dupbot"));
  first.start();
  BOOST_REQUIRE(first.registered());
  second.start();
  BOOST_REQUIRE(second.registered());
  BOOST_TEST(contains(second.logs(), "nick dupbot is taken, trying dupbot_"), second.logs());
  BOOST_TEST(contains(second.logs(), "registered as dupbot_"));
  {
    IrcUser owner(server.port(), "owner");
    BOOST_TEST(contains(owner.ask("dupbot_", "/status", "two: "), "two: running"));
  }
  BOOST_TEST(second.gw->stop(SIGTERM).has_value());
  // The server goes away: the bot says so, retries with backoff, and is back when it returns.
  server.stop();
  BOOST_REQUIRE(poll_until([&] { return contains(first.logs(), "reconnecting in"); }, 10s));
  auto down = first.cli({"channels", "status", "--probe"});
  BOOST_TEST(down.code == 1);
  server.restart();
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              auto log = first.logs();
                              return log.find("registered as", log.find("reconnecting in")) !=
                                     std::string::npos;
                            },
                            20s),
                        first.logs());
  BOOST_TEST(poll_until(
      [&] {
        return first.cli({"channels", "status", "--probe"}).code == 0;
      },
      10s));
  IrcUser owner(server.port(), "owner");
  BOOST_TEST(contains(owner.ask("dupbot", "/status", "one: "), "one: running"));
}

// A server that stops answering (SIGSTOP: the TCP connection stays open) is a dead link after
// the ping timeout: the bot says so, shows it down, reconnects when the server is back, and never
// reports a text delivered that only reached a socket buffer.
BOOST_AUTO_TEST_CASE(a_silent_server_is_a_dead_link_and_no_send_counts_before_the_server_read_it) {
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc"});
  Bot bot(sb, "live", irc_config(server.port(), "livebot"),
          json::object{{"pingIntervalMs", 400}, {"pingTimeoutMs", 800}});
  bot.start();
  BOOST_REQUIRE(bot.registered());
  IrcUser owner(server.port(), "owner");
  owner.mark();
  auto sent = bot.cli(
      {"message", "send", "--channel", "irc", "--target", "owner", "--message", "before the stop"});
  BOOST_TEST(sent.code == 0, sent.err);
  BOOST_TEST(!owner.wait_for("before the stop").empty());

  BOOST_REQUIRE(::kill(server.proc->pid(), SIGSTOP) == 0);
  auto stuck = bot.cli({"message", "send", "--channel", "irc", "--target", "owner", "--message",
                        "while it is stopped"});
  BOOST_TEST(stuck.code != 0, stuck.out);
  BOOST_TEST(!contains(stuck.out, "Sent"), stuck.out);
  BOOST_TEST(contains(stuck.err, "ping timeout"), stuck.err);
  BOOST_TEST(poll_until([&] { return contains(bot.logs(), "(ping timeout)"); }, 10s), bot.logs());
  auto down = bot.cli({"channels", "status", "--probe"});
  BOOST_TEST(down.code == 1, down.out);
  BOOST_TEST(contains(down.out, "disconnected"), down.out);

  BOOST_REQUIRE(::kill(server.proc->pid(), SIGCONT) == 0);
  BOOST_TEST(poll_until(
                 [&] {
                   return bot.cli({"channels", "status", "--probe"}).code == 0;
                 },
                 30s),
             bot.logs());
}

BOOST_AUTO_TEST_CASE(tls_is_verified_against_the_configured_ca) {
  IrcServer server("", true);
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  auto irc = irc_config(server.tls_port(), "tlsbot");
  irc["tls"] = true;
  irc["host"] = "localhost";
  irc["caFile"] = server.ca().string();
  Bot good(sb, "good", irc);
  good.start();
  BOOST_REQUIRE_MESSAGE(good.registered(), good.logs());
  BOOST_TEST(contains(good.logs(), "(TLS, certificate verified)"));
  IrcUser owner(server.port(), "owner");
  BOOST_TEST(contains(owner.ask("tlsbot", "/status"), "good: running"));

  auto bad_irc = irc;
  bad_irc["nick"] = "badbot";
  bad_irc["caFile"] = (server.dir.path() / "otherca.pem").string();
  Bot bad(sb, "bad", bad_irc);
  bad.start();
  BOOST_TEST(poll_until([&] { return contains(bad.logs(), "TLS handshake with localhost:"); }, 15s),
             bad.logs());
  BOOST_TEST(contains(bad.logs(), "certificate verify failed"), bad.logs());
  BOOST_TEST(!contains(bad.logs(), "registered as"));
  auto st = bad.cli({"channels", "status", "--probe"});
  BOOST_TEST(st.code == 1);
  BOOST_TEST(contains(st.out, "disconnected"));
}

BOOST_AUTO_TEST_CASE(a_20kb_text_is_sent_whole_and_the_cli_waits_for_every_paced_line) {
  // 45-odd lines paced by flood control take longer than the old fixed 10 s: the CLI waited
  // that long, then reported a failure for a text that was still going out.
  IrcServer server;
  Sandbox sb;
  channel_plugins(sb, {"irc"});
  Bot bot(sb, "long", irc_config(server.port(), "longbot"));
  bot.start();
  BOOST_REQUIRE(bot.registered());
  IrcUser owner(server.port(), "owner");
  owner.mark();
  std::string text;
  int words = 0;
  for (; text.size() < 20000; ++words)
    text += "w" + std::to_string(words) + "w " + std::string(90, 'x') + " ";
  auto t0 = std::chrono::steady_clock::now();
  auto r = bot.cli({"message", "send", "--channel", "irc", "--target", "owner", "--message", text});
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(contains(r.out, "Sent to owner on irc"), r.out);
  BOOST_TEST_MESSAGE("20 KB sent in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms");
  // Every word arrives, once.
  std::string last = "w" + std::to_string(words - 1) + "w";
  BOOST_TEST(poll_until(
      [&] {
        auto ls = owner.privmsgs_from("longbot");
        return !ls.empty() && contains(ls.back(), last);
      },
      30s));
  auto lines = owner.privmsgs_from("longbot");
  BOOST_TEST(lines.size() >= 40u);
  std::string got;
  for (const auto& l : lines) got += l;
  for (int i = 0; i < words; ++i) {
    std::string w = "w" + std::to_string(i) + "w";
    auto first = got.find(w);
    BOOST_TEST((first != std::string::npos && got.find(w, first + 1) == std::string::npos), w);
  }
}

BOOST_AUTO_TEST_CASE(an_unsolicited_sasl_exchange_gets_no_credentials) {
  // A server (or a man in the middle on a plain connection) that ACKs a SASL request nobody made
  // and asks for AUTHENTICATE: the bot, with SASL off, must send nothing of its password.
  PortBlock ircd{1};
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(ircd.base()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  BOOST_REQUIRE(::listen(listener, 1) == 0);
  std::mutex mu;
  std::string got;
  std::atomic<bool> joined{false};
  std::thread server([&] {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    timeval tv{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool greeted = false;
    char buf[4096];
    while (!joined) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      std::lock_guard lock(mu);
      got.append(buf, static_cast<size_t>(n));
      if (!greeted && contains(got, "USER ")) {
        greeted = true;
        std::string evil =
            ":srv CAP * ACK :sasl\r\n:srv AUTHENTICATE +\r\n:srv 001 bot :welcome\r\n";
        ::send(fd, evil.data(), evil.size(), MSG_NOSIGNAL);
      }
      if (contains(got, "JOIN ")) joined = true;  // the bot went on after the server's lines
    }
    ::close(fd);
  });
  Sandbox sb;
  channel_plugins(sb, {"irc"});
  json::object irc = irc_config(ircd.base(), "bot");
  irc["password"] = "server-password-never-for-sasl";
  Bot bot(sb, "nosasl", irc);
  bot.start();
  BOOST_TEST(poll_until([&] { return joined.load(); }, 20s), bot.logs());
  bot.gw->stop(SIGTERM);
  server.join();
  ::close(listener);
  std::lock_guard lock(mu);
  BOOST_TEST(!contains(got, "AUTHENTICATE"), got);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- inspircd + atheme -----------------------------------------------------------------------

namespace {

// Debian's inspircd 3 on a port of its own, the second real IRC server beside ngircd; with
// `services`, atheme-services linked to it (a server link on a second port): NickServ registers
// accounts and SaslServ checks SASL PLAIN, as on a real network. Each its own dir, stopped by PID.
struct InspIrcd {
  TempDir dir;
  PortBlock block{2};  // clients, the services link
  std::unique_ptr<Child> ircd, services;
  int port() const { return block.base(); }
  int link_port() const { return block.base() + 1; }

  explicit InspIrcd(bool with_services = false) {
    BOOST_REQUIRE_MESSAGE(fs::exists("/usr/sbin/inspircd"),
                          "inspircd is not installed: run scripts/setup");
    std::string d = dir.path().string();
    auto q = [](const std::string& v) { return "\"" + v + "\""; };
    // No DNS or ident lookups, and flood limits no test reaches: registration takes no wait.
    std::string conf =
        "<server name=\"irc.test.local\" description=\"openclaw-host test server\" "
        "network=\"TestNet\">\n"
        "<admin name=\"test\" nick=\"test\" email=\"test@localhost\">\n"
        "<bind address=\"127.0.0.1\" port=" +
        q(std::to_string(port())) +
        " type=\"clients\">\n"
        "<connect allow=\"*\" timeout=\"60\" pingfreq=\"120\" threshold=\"1000\" "
        "commandrate=\"100000\" fakelag=\"no\" localmax=\"100\" globalmax=\"100\" "
        "hardsendq=\"1048576\" softsendq=\"65536\" recvq=\"65536\" resolvehostnames=\"no\" "
        "useident=\"no\">\n"
        "<path datadir=" +
        q(d) + " logdir=" + q(d) + " runtimedir=" + q(d) +
        ">\n<pid file=" + q(d + "/inspircd.pid") +
        ">\n<log method=\"file\" type=\"* -USERINPUT -USEROUTPUT\" level=\"default\" target=" +
        q(d + "/ircd.log") + ">\n<dns server=\"127.0.0.1\" timeout=\"1\">\n<module name=\"cap\">\n";
    if (with_services) {
      // inspircd 3's services link: spanningtree + a <link> atheme connects to, ulined, and
      // m_sasl sending AUTHENTICATE to it (m_services_account: accounts, WHOIS 330).
      conf +=
          "<module name=\"sasl\">\n<module name=\"services_account\">\n"
          "<module name=\"spanningtree\">\n<bind address=\"127.0.0.1\" port=" +
          q(std::to_string(link_port())) +
          " type=\"servers\">\n"
          "<link name=\"services.test.local\" ipaddr=\"127.0.0.1\" port=" +
          q(std::to_string(link_port())) +
          " allowmask=\"127.0.0.0/8\" sendpass=\"test-link\" recvpass=\"test-link\">\n"
          "<uline server=\"services.test.local\" silent=\"yes\">\n"
          "<sasl target=\"services.test.local\">\n";
    }
    write_file(dir.path() / "inspircd.conf", conf);
    std::vector<std::string> argv{"/usr/sbin/inspircd", "--config", d + "/inspircd.conf",
                                  "--nofork"};
    if (::geteuid() == 0) argv.emplace_back("--runasroot");  // it refuses root without it
    ircd = std::make_unique<Child>(argv, std::map<std::string, std::string>{}, dir.path());
    BOOST_REQUIRE_MESSAGE(poll_until([&] { return port_accepts(port()); }, 10s),
                          ircd->out() + ircd->err());
    if (!with_services) return;
    BOOST_REQUIRE(poll_until([&] { return port_accepts(link_port()); }, 10s));
    BOOST_REQUIRE_MESSAGE(fs::exists("/usr/bin/atheme-services"),
                          "atheme-services is not installed: run scripts/setup");
    // No crypto module: the test accounts' passwords are kept as given, in this dir only.
    write_file(dir.path() / "atheme.conf",
               "loadmodule \"modules/protocol/inspircd\";\n"
               "loadmodule \"modules/backend/opensex\";\n"
               "loadmodule \"modules/nickserv/main\";\n"
               "loadmodule \"modules/nickserv/register\";\n"
               "loadmodule \"modules/saslserv/main\";\n"
               "loadmodule \"modules/saslserv/plain\";\n"
               "serverinfo { name = \"services.test.local\"; desc = \"atheme test services\"; "
               "numeric = \"00A\"; recontime = 1; netname = \"TestNet\"; hidehostsuffix = "
               "\"users.test\"; adminname = \"test\"; adminemail = \"test@localhost\"; "
               "registeremail = \"noreply@localhost\"; loglevel = { error; info; admin; network; "
               "}; maxlogins = 5; maxusers = 5; auth = none; casemapping = rfc1459; };\n"
               "uplink \"irc.test.local\" { host = \"127.0.0.1\"; password = \"test-link\"; "
               "port = " +
                   std::to_string(link_port()) +
                   "; };\n"
                   "nickserv { nick = \"NickServ\"; user = \"NickServ\"; host = "
                   "\"services.test.local\"; real = \"Nickname Services\"; };\n"
                   "saslserv { nick = \"SaslServ\"; user = \"SaslServ\"; host = "
                   "\"services.test.local\"; real = \"SASL Authentication Agent\"; };\n"
                   "general { ratelimit_uses = 100; ratelimit_period = 60; commit_interval = 5; "
                   "language = \"en\"; };\n");
    fs::create_directories(dir.path() / "atheme");
    services = std::make_unique<Child>(
        std::vector<std::string>{"/usr/bin/atheme-services", "-n", "-c", d + "/atheme.conf", "-D",
                                 d + "/atheme", "-l", d + "/atheme.log", "-p", d + "/atheme.pid"},
        std::map<std::string, std::string>{}, dir.path());
    // Linked and its burst taken: NickServ and SaslServ are on the network.
    BOOST_REQUIRE_MESSAGE(poll_until(
                              [&] {
                                return contains(services->out() + services->err(),
                                                "finished synching with uplink");
                              },
                              15s),
                          services->out() + services->err() + read_file(dir.path() / "ircd.log"));
  }
  ~InspIrcd() {
    if (services) services->stop(SIGTERM);
    if (ircd) ircd->stop(SIGTERM);
  }

  /// Registers the account `account` (that nick) with NickServ, then frees the nick for the bot.
  void register_account(const std::string& account, const std::string& password) {
    IrcUser u(port(), account);
    u.mark();
    u.say("NickServ", "REGISTER " + password + " " + account + "@example.com");
    // "\x02rescuebot\x02 is now registered to ...": atheme bolds the names.
    if (u.wait_for(" is now registered to ", 15s).empty()) {
      std::string said;
      u.each_line([&](const std::string& l) { said += l + "\n"; });
      BOOST_FAIL("NickServ did not register " + account + ":\n" + said + services->out());
    }
    u.send("QUIT :registered");
    // The server has dropped the user (and its nick) once it says goodbye.
    BOOST_REQUIRE(!u.wait_for("ERROR :", 10s).empty());
  }
};

// `who`'s WHOIS as `asker` sees it: every numeric line up to the end (318) or the no-such-nick
// answer (401), joined.
std::string whois(IrcUser& asker, const std::string& who) {
  asker.mark();
  asker.send("WHOIS " + who);
  std::string end = asker.wait_for(" " + who + " :", 10s, "End of /WHOIS");
  std::string none = end.empty() ? asker.wait_for(" 401 ", 1s, who) : "";
  BOOST_REQUIRE_MESSAGE(!end.empty() || !none.empty(), "no WHOIS answer for " + who);
  std::string all;
  asker.each_line([&](const std::string& l) { all += l + "\n"; });
  return all;
}

json::object irc_driver_status(Bot& bot) {
  auto r = bot.cli({"channels", "status", "--json"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out).at("channels").at("irc").as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(channels_inspircd)

BOOST_AUTO_TEST_CASE(on_inspircd_the_bot_joins_its_channel_and_messages_go_both_ways) {
  InspIrcd server;
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  IrcUser owner(server.port(), "owner");
  owner.send("JOIN #ops");
  BOOST_REQUIRE(!owner.wait_for(" 366 ", 10s).empty());  // end of NAMES: we are in
  owner.mark();
  Bot bot(sb, "insp", irc_config(server.port(), "rescuebot"));
  bot.start();
  BOOST_REQUIRE_MESSAGE(bot.registered(), bot.logs());
  BOOST_REQUIRE_MESSAGE(!owner.wait_for(":rescuebot!", 15s, " JOIN ").empty(), bot.logs());

  // In: the owner's message in the channel reaches the gateway; out: its answer, to the channel.
  owner.mark();
  owner.say("#ops", "/status");
  std::string answer = owner.wait_for(":rescuebot!", 15s, "PRIVMSG #ops :");
  BOOST_TEST(contains(answer, "insp: running"), answer + bot.logs());
  // And a send from the gateway, to the owner.
  owner.mark();
  auto sent = bot.cli({"message", "send", "--channel", "irc", "--target", "owner", "--message",
                       "hello from the gateway"});
  BOOST_TEST(sent.code == 0, sent.err);
  BOOST_TEST(!owner.wait_for(":rescuebot!", 10s, "PRIVMSG owner :hello from the gateway").empty());
  auto st = irc_driver_status(bot);
  BOOST_TEST(st.at("accounts").at("default").at("connected").as_bool());
  BOOST_TEST(st.at("in").as_int64() >= 1);
  BOOST_TEST(st.at("driver").at("loggedInAs").is_null());
}

BOOST_AUTO_TEST_CASE(sasl_with_atheme_logs_the_bot_in_to_its_account) {
  InspIrcd server(true);
  const std::string password = "sasl-pass-7d2e";
  server.register_account("rescuebot", password);
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  Bot bot(sb, "sasl", irc_config(server.port(), "rescuebot"),
          json::object{{"sasl", json::object{{"username", "rescuebot"}, {"password", password}}}});
  bot.start();
  BOOST_REQUIRE_MESSAGE(bot.registered(), bot.logs());
  BOOST_TEST(contains(bot.logs(), "irc: logged in as rescuebot"), bot.logs());
  BOOST_TEST(contains(bot.logs(), "irc: registered as rescuebot\n"), bot.logs());
  auto st = irc_driver_status(bot);
  BOOST_TEST(st.at("accounts").at("default").at("connected").as_bool());
  BOOST_TEST(st.at("accounts").at("default").at("lastError").is_null());
  BOOST_TEST(st.at("driver").at("loggedInAs") == "rescuebot");

  // The server agrees: the bot's nick is logged in to the account.
  IrcUser owner(server.port(), "owner");
  std::string w = whois(owner, "rescuebot");
  BOOST_TEST(contains(w, " 330 owner rescuebot rescuebot :is logged in as"), w);
  BOOST_TEST(contains(owner.ask("rescuebot", "/status", "sasl: "), "sasl: running"));
  BOOST_TEST(!contains(bot.logs(), password));
  BOOST_TEST(!contains(bot.cli({"channels", "status", "--json"}).out, password));
}

BOOST_AUTO_TEST_CASE(a_wrong_sasl_password_stops_the_connection_with_the_error_in_status) {
  InspIrcd server(true);
  server.register_account("rescuebot", "the-right-pass-91");
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  const std::string wrong = "not-the-pass-3c";
  Bot bot(sb, "nosasl", irc_config(server.port(), "rescuebot"),
          json::object{{"sasl", json::object{{"username", "rescuebot"}, {"password", wrong}}}});
  bot.start();
  // It fails, disconnects, and on its retry fails and stops again: never registered.
  auto failures = [&] {
    std::string l = bot.logs();
    std::size_t n = 0;
    for (auto i = l.find("SASL authentication as rescuebot failed"); i != std::string::npos;
         i = l.find("SASL authentication as rescuebot failed", i + 1)) {
      n += contains(l.substr(i, 200), "disconnecting") ? 1 : 0;
    }
    return n;
  };
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return failures() >= 2; }, 20s), bot.logs());
  BOOST_TEST(!contains(bot.logs(), "registered as"), bot.logs());
  auto st = irc_driver_status(bot);
  const auto& acc = st.at("accounts").at("default").as_object();
  BOOST_TEST(!acc.at("connected").as_bool());
  BOOST_REQUIRE(acc.at("lastError").is_string());
  std::string err(acc.at("lastError").as_string());
  BOOST_TEST(contains(err, "SASL authentication as rescuebot failed: SASL authentication failed"),
             err);
  BOOST_TEST(contains(json::serialize(st.at("driver").at("lastError")), "SASL"));
  auto table = bot.cli({"channels", "status"});
  BOOST_TEST(contains(table.out, "disconnected"), table.out);
  BOOST_TEST(contains(table.out, "SASL authentication as rescuebot failed"), table.out);
  BOOST_TEST(bot.cli({"channels", "status", "--probe"}).code == 1);

  // Nobody on the server under its nick or a fallback one.
  IrcUser owner(server.port(), "owner");
  for (std::string nick : {"rescuebot", "rescuebot_", "rescuebot__"}) {
    std::string w = whois(owner, nick);
    BOOST_TEST(contains(w, " 401 owner " + nick + " :No such nick"), w);
  }
  BOOST_TEST(!contains(bot.logs(), wrong));
}

// Services stopped (SIGSTOP: the link to the ircd stays, nobody answers): the exchange fails
// after pingTimeoutMs, as a refusal would, instead of leaving the bot half-registered forever.
BOOST_AUTO_TEST_CASE(sasl_that_services_never_answer_fails_after_the_ping_timeout) {
  InspIrcd server(true);
  server.register_account("rescuebot", "the-right-pass-91");
  BOOST_REQUIRE(server.services);
  BOOST_REQUIRE(::kill(server.services->pid(), SIGSTOP) == 0);
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  Bot bot(sb, "stall", irc_config(server.port(), "rescuebot"),
          json::object{
              {"sasl", json::object{{"username", "rescuebot"}, {"password", "the-right-pass-91"}}},
              {"pingTimeoutMs", 1500}});
  bot.start();
  const std::string said =
      "SASL authentication as rescuebot got no answer from 127.0.0.1 within 1500 ms";
  BOOST_TEST_REQUIRE(poll_until([&] { return contains(bot.logs(), said); }, 20s), bot.logs());
  BOOST_TEST(contains(bot.logs(), "disconnecting"), bot.logs());
  BOOST_TEST(!contains(bot.logs(), "registered as"), bot.logs());
  auto table = bot.cli({"channels", "status"});
  BOOST_TEST(contains(table.out, "got no answer"), table.out);
  ::kill(server.services->pid(), SIGCONT);
}

BOOST_AUTO_TEST_CASE(allow_without_sasl_goes_on_unauthenticated_and_says_so) {
  InspIrcd server(true);
  server.register_account("rescuebot", "the-right-pass-91");
  Sandbox sb;
  channel_plugins(sb, {"irc", "rescue"});
  Bot bot(sb, "anyway", irc_config(server.port(), "rescuebot"),
          json::object{{"sasl", json::object{{"username", "rescuebot"}, {"password", "nope-x1"}}},
                       {"allowWithoutSasl", true}});
  bot.start();
  BOOST_REQUIRE_MESSAGE(bot.registered(), bot.logs());
  std::string logs = bot.logs();
  BOOST_TEST(contains(logs,
                      "SASL authentication as rescuebot failed: SASL authentication failed"
                      " (904); going on without it (allowWithoutSasl)"),
             logs);
  BOOST_TEST(contains(logs,
                      "irc: registered as rescuebot, not logged in (SASL failed; "
                      "allowWithoutSasl)"),
             logs);
  auto st = irc_driver_status(bot);
  const auto& acc = st.at("accounts").at("default").as_object();
  BOOST_TEST(acc.at("connected").as_bool());
  BOOST_TEST(contains(json::serialize(acc.at("lastError")), "SASL authentication as rescuebot"));
  BOOST_TEST(st.at("driver").at("loggedInAs").is_null());
  auto table = bot.cli({"channels", "status"});
  BOOST_TEST(contains(table.out, "connected"), table.out);
  BOOST_TEST(contains(table.out, "SASL authentication as rescuebot failed"), table.out);
  BOOST_TEST(bot.cli({"channels", "status", "--probe"}).code == 0);

  // On the server as itself, not logged in; and it works.
  IrcUser owner(server.port(), "owner");
  std::string w = whois(owner, "rescuebot");
  BOOST_TEST(contains(w, " 311 owner rescuebot "), w);
  BOOST_TEST(!contains(w, " 330 "), w);
  BOOST_TEST(contains(owner.ask("rescuebot", "/status", "anyway: "), "anyway: running"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- webhook ---------------------------------------------------------------------------------

namespace {

// Where the bot's replies go: a real HTTP server on its own thread, every request kept. With
// `hold`, requests are not answered until release(): what the bot sends meanwhile is what it
// has in flight at once.
struct ReplySink {
  PortBlock block{1};
  boost::asio::io_context io;
  std::unique_ptr<openclaw::sdk::HttpServer> server;
  std::thread thread;
  std::mutex mu;
  std::vector<openclaw::sdk::HttpRequest> got;
  bool hold = false;
  std::vector<openclaw::sdk::HttpResponder> held;  // on the sink's thread only
  explicit ReplySink(bool hold_answers = false) : hold(hold_answers) {
    server = std::make_unique<openclaw::sdk::HttpServer>(
        io, openclaw::sdk::AsyncHttpHandler(
                [this](const openclaw::sdk::HttpRequest& r, openclaw::sdk::HttpResponder respond) {
                  {
                    std::lock_guard lock(mu);
                    got.push_back(r);
                  }
                  if (hold) {
                    held.push_back(std::move(respond));
                  } else {
                    respond.send(openclaw::sdk::HttpResponse::text(200, "{}", "application/json"));
                  }
                }));
    server->listen("127.0.0.1", block.base());
    thread = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io);
      io.run();
    });
  }
  ~ReplySink() {
    boost::asio::post(io, [this] {
      held.clear();
      server->stop();
      io.stop();
    });
    thread.join();
  }
  // Answers what is held and everything after.
  void release() {
    boost::asio::post(io, [this] {
      hold = false;
      for (auto& r : held) r.send(openclaw::sdk::HttpResponse::text(200, "{}", "application/json"));
      held.clear();
    });
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(block.base()) + "/replies";
  }
  std::vector<openclaw::sdk::HttpRequest> requests() {
    std::lock_guard lock(mu);
    return got;
  }
};

struct Post {
  int status = 0;
  std::string body;
};

Post post(int port, const std::string& path, const std::string& body,
          std::vector<std::pair<std::string, std::string>> headers,
          const std::string& method = "POST") {
  boost::asio::io_context io;
  openclaw::sdk::HttpClientRequest r;
  r.method = method;
  r.url = "http://127.0.0.1:" + std::to_string(port) + path;
  r.body = body;
  r.headers = std::move(headers);
  r.timeout = 10s;
  std::optional<openclaw::sdk::HttpClientResponse> res;
  openclaw::sdk::http_request(io, r,
                              [&](openclaw::sdk::HttpClientResponse x) { res = std::move(x); });
  BOOST_REQUIRE(run_until(
      io, [&] { return res.has_value(); }, 15s));
  BOOST_REQUIRE_MESSAGE(res->error.empty(), res->error);
  return Post{res->status, res->body};
}

std::vector<std::pair<std::string, std::string>> signed_headers(const std::string& secret,
                                                                const std::string& body,
                                                                std::int64_t ts) {
  std::string t = std::to_string(ts);
  return {
      {"X-OpenClaw-Timestamp", t},
      {"X-OpenClaw-Signature", "sha256=" + openclaw::sdk::hmac_sha256_hex(secret, t + "." + body)}};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::string kWebhookSecret = "webhook-secret-0123456789abcdef";

// A gateway of `profile` with the webhook (replies to `sink`, senders ops-*) and the commands
// plugin.
std::unique_ptr<Child> start_webhook_gateway(Sandbox& sb, const PortBlock& block,
                                             const std::string& profile, const ReplySink& sink,
                                             json::object extra = {}) {
  channel_plugins(sb, {"webhook", "rescue"});
  json::object hook{
      {"secret", kWebhookSecret}, {"replyUrl", sink.url()}, {"allowFrom", json::array{"ops-*"}}};
  for (auto& [k, v] : extra) hook[k] = v;
  json::object root{{"gateway", json::object{{"port", block.base()}}},
                    {"channels", json::object{{"webhook", std::move(hook)}}}};
  write_profile_config(sb, profile, root);
  auto gw = sb.spawn({"--profile", profile, "gateway"},
                     {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block, 111)}});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  return gw;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(channels_webhook)

BOOST_AUTO_TEST_CASE(signed_requests_are_answered_and_bad_ones_refused_with_the_right_status) {
  ReplySink sink;
  Sandbox sb;
  PortBlock block{130};
  auto gw = start_webhook_gateway(sb, block, "hook", sink, {{"maxBodyBytes", 4096}});
  int port = block.base();

  std::string body = R"({"id":"m1","from":"ops-alice","chat":"ops-room","text":"/status"})";
  auto first = signed_headers(kWebhookSecret, body, unix_now());
  auto ok = post(port, "/hooks/ops", body, first);
  BOOST_TEST(ok.status == 202, ok.body);
  BOOST_REQUIRE(poll_until([&] { return !sink.requests().empty(); }, 10s));
  auto reply = sink.requests().front();
  auto rj = json::parse(reply.body).as_object();
  BOOST_TEST(rj.at("to").as_string() == "ops-room");
  BOOST_TEST(rj.at("hook").as_string() == "ops");
  BOOST_TEST(contains(std::string(rj.at("text").as_string()), "hook: running"));
  // The reply is signed with the same secret.
  auto ts = reply.headers.at("x-openclaw-timestamp");
  BOOST_TEST(reply.headers.at("x-openclaw-signature") ==
             "sha256=" + openclaw::sdk::hmac_sha256_hex(kWebhookSecret, ts + "." + reply.body));

  // The same signed request again is a replay; the same message id signed anew, a duplicate.
  auto replay = post(port, "/hooks/ops", body, first);
  BOOST_TEST(replay.status == 409);
  BOOST_TEST(contains(replay.body, "replayed"));
  auto dup = post(port, "/hooks/ops", body, signed_headers(kWebhookSecret, body, unix_now() - 1));
  BOOST_TEST(dup.status == 409);
  BOOST_TEST(contains(dup.body, "already"));
  auto wrong = signed_headers("another-kWebhookSecret-0123456789", body, unix_now());
  auto bad = post(port, "/hooks/ops", body, wrong);
  BOOST_TEST(bad.status == 401);
  BOOST_TEST(contains(bad.body, "bad signature"));
  auto stale =
      post(port, "/hooks/ops", body, signed_headers(kWebhookSecret, body, unix_now() - 3600));
  BOOST_TEST(stale.status == 401);
  BOOST_TEST(contains(stale.body, "stale timestamp"));
  BOOST_TEST(post(port, "/hooks/ops", body, {}).status == 401);
  std::string big = R"({"id":"m2","from":"ops-a","text":")" + std::string(5000, 'x') + "\"}";
  BOOST_TEST(
      post(port, "/hooks/ops", big, signed_headers(kWebhookSecret, big, unix_now())).status == 413);
  std::string junk = "{not json";
  BOOST_TEST(
      post(port, "/hooks/ops", junk, signed_headers(kWebhookSecret, junk, unix_now())).status ==
      400);
  std::string notext = R"({"id":"m3","from":"ops-a"})";
  BOOST_TEST(
      post(port, "/hooks/ops", notext, signed_headers(kWebhookSecret, notext, unix_now())).status ==
      400);
  BOOST_TEST(post(port, "/hooks/ops", "", {}, "GET").status == 405);

  // A sender outside allowFrom is queued (202) but never answered.
  std::size_t before = sink.requests().size();
  std::string stranger = R"({"id":"m4","from":"mallory","text":"/logs hook"})";
  BOOST_TEST(
      post(port, "/hooks/ops", stranger, signed_headers(kWebhookSecret, stranger, unix_now()))
          .status == 202);
  std::string later = R"({"id":"m5","from":"ops-alice","text":"/help"})";
  BOOST_TEST(
      post(port, "/hooks/ops", later, signed_headers(kWebhookSecret, later, unix_now())).status ==
      202);
  BOOST_REQUIRE(poll_until([&] { return sink.requests().size() == before + 1; }, 10s));
  BOOST_TEST(contains(sink.requests().back().body, "Commands:"));
  BOOST_TEST(!contains(gw->err(), kWebhookSecret));
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_CASE(replies_to_different_senders_go_out_together_and_one_senders_in_order) {
  ReplySink sink(/*hold=*/true);
  Sandbox sb;
  PortBlock block{130};
  auto gw = start_webhook_gateway(sb, block, "order", sink);
  auto send = [&](const std::string& body) {
    auto r =
        post(block.base(), "/hooks/ops", body, signed_headers(kWebhookSecret, body, unix_now()));
    BOOST_TEST(r.status == 202, r.body);
  };
  send(R"({"id":"o1","from":"ops-a","text":"/help"})");
  send(R"({"id":"o2","from":"ops-b","text":"/help"})");
  send(R"({"id":"o3","from":"ops-a","text":"/ports"})");
  // Both senders' first replies are with the sink at once, though it answers neither (well
  // before the webhook's 10 s reply timeout could free a one-at-a-time sender)...
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return sink.requests().size() >= 2; }, 5s), gw->err());
  // ...and once all three messages are handled (their replies queued), ops-a's second reply is
  // still waiting for its first.
  BOOST_REQUIRE(poll_until(
      [&] {
        return contains(sb.run({"--profile", "order", "channels", "status", "--json"}).out,
                        "\"answering\":3");
      },
      10s));
  BOOST_TEST(sink.requests().size() == 2u);
  sink.release();
  BOOST_REQUIRE(poll_until([&] { return sink.requests().size() == 3u; }, 10s));
  auto to_of = [](const openclaw::sdk::HttpRequest& r) {
    return std::string(json::parse(r.body).at("to").as_string());
  };
  auto got = sink.requests();
  std::vector<std::string> for_a;
  for (const auto& r : got) {
    if (to_of(r) == "ops-a") for_a.push_back(r.body);
  }
  BOOST_REQUIRE(for_a.size() == 2u);
  BOOST_TEST(contains(for_a[0], "Commands:"));
  BOOST_TEST(contains(for_a[1], "ports:"));
  BOOST_TEST(to_of(got.back()) == "ops-a");
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- durability: "accepted" means "will be answered" -------------------------------------------

namespace {

// One signed POST that may fail (the gateway is being killed): the status, or 0 when the
// connection broke.
int try_post(int port, const std::string& body) {
  boost::asio::io_context io;
  openclaw::sdk::HttpClientRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/hooks/ops";
  r.body = body;
  r.headers = signed_headers(kWebhookSecret, body, unix_now());
  r.timeout = 10s;
  std::optional<openclaw::sdk::HttpClientResponse> res;
  openclaw::sdk::http_request(io, r,
                              [&](openclaw::sdk::HttpClientResponse x) { res = std::move(x); });
  if (!run_until(
          io, [&] { return res.has_value(); }, 15s) ||
      !res->error.empty())
    return 0;
  return res->status;
}

// What the sink got, by idempotency key: how often, and how often unmarked as a redelivery.
struct Deliveries {
  std::map<std::string, int> times, unmarked;
  explicit Deliveries(const std::vector<openclaw::sdk::HttpRequest>& got) {
    for (const auto& r : got) {
      auto key = r.headers.find("idempotency-key");
      if (key == r.headers.end()) continue;
      ++times[key->second];
      auto body = json::parse(r.body).as_object();
      bool marked = r.headers.count("x-openclaw-redelivery") && body.at("redelivery").as_bool();
      if (!marked) ++unmarked[key->second];
      BOOST_TEST(std::string(body.at("id").as_string()) == key->second);
    }
  }
  bool answered(const std::string& id) const {
    return times.count("webhook/ops/" + id + "#0.0") > 0;
  }
};

std::unique_ptr<Child> restart_gateway(Sandbox& sb, const PortBlock& block,
                                       const std::string& profile) {
  auto gw = sb.spawn({"--profile", profile, "gateway"},
                     {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block, 111)}});
  BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
  return gw;
}

std::string command(const std::string& id) {
  return R"({"id":")" + id + R"(","from":"ops-)" + id + R"(","text":"/help"})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(channels_durability)

BOOST_AUTO_TEST_CASE(every_acknowledged_message_is_answered_across_kill_9_rounds) {
  ReplySink sink;
  Sandbox sb;
  PortBlock block{130};
  auto gw = start_webhook_gateway(sb, block, "durable", sink);
  std::mt19937 rng(std::random_device{}());
  std::set<std::string> acked;
  constexpr int kRounds = 3, kPerRound = 400, kSenders = 4;
  for (int round = 0; round < kRounds; ++round) {
    std::mutex mu;
    std::atomic<int> accepted{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < kSenders; ++t) {
      senders.emplace_back([&, t] {
        for (int i = t; i < kPerRound; i += kSenders) {
          std::string id = "r" + std::to_string(round) + "-" + std::to_string(i);
          int status = try_post(block.base(), command(id));
          if (status == 0) return;  // killed: the rest of this sender's messages are never sent
          if (status == 202) {
            std::lock_guard lock(mu);
            acked.insert(id);
            ++accepted;
          }
        }
      });
    }
    // Killed at a random moment while messages arrive and answers leave.
    int at = std::uniform_int_distribution<int>(kPerRound / 10, kPerRound * 8 / 10)(rng);
    BOOST_REQUIRE(poll_until([&] { return accepted.load() >= at; }, 60s));
    BOOST_REQUIRE(gw->stop(SIGKILL).has_value());
    for (auto& s : senders) s.join();
    gw = restart_gateway(sb, block, "durable");
  }
  // Every 202 is answered; a message answered twice was in flight at a kill, and the second
  // delivery says so (same idempotency key, marked as a redelivery).
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              Deliveries d(sink.requests());
                              return std::all_of(
                                  acked.begin(), acked.end(),
                                  [&](const std::string& id) { return d.answered(id); });
                            },
                            60s),
                        "not every acknowledged message was answered");
  Deliveries d(sink.requests());
  int duplicated = 0;
  for (const auto& [key, n] : d.times) {
    if (n > 1) ++duplicated;
    BOOST_TEST(d.unmarked[key] <= 1,
               key << " delivered " << n << " times, " << d.unmarked[key] << " unmarked");
  }
  BOOST_TEST_MESSAGE("acknowledged " << acked.size() << ", answered all, duplicated "
                                     << duplicated);
  // At most the replies in flight at each kill (8 at once per round, plus those whose
  // acknowledgement was not written yet) come twice.
  BOOST_TEST(duplicated <= kRounds * 16);
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_CASE(a_reply_sink_that_never_answers_loses_nothing_and_sigterm_drains_in_time) {
  Sandbox sb;
  PortBlock block{130};
  std::set<std::string> acked;
  {
    ReplySink deaf(/*hold=*/true);
    auto gw = start_webhook_gateway(sb, block, "deaf", deaf);
    for (int i = 0; i < 30; ++i) {
      std::string id = "d" + std::to_string(i);
      BOOST_REQUIRE_EQUAL(try_post(block.base(), command(id)), 202);
      acked.insert(id);
    }
    BOOST_REQUIRE(poll_until([&] { return deaf.requests().size() >= 8; }, 10s));
    // SIGTERM waits for the answers (which cannot come) for a bounded time, then stops and
    // says what stays queued.
    auto t0 = std::chrono::steady_clock::now();
    BOOST_TEST(gw->stop(SIGTERM, 15s) == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 9s));
    BOOST_TEST(contains(read_file(sb.home() / ".openclaw-deaf" / "logs" / "gateway.log"),
                        "30 accepted message(s) not answered yet"));
  }
  // The same sink's port, answering now: every accepted message is answered after the restart.
  ReplySink sink;
  auto cfg = sb.home() / ".openclaw-deaf" / "openclaw.json";
  auto root = json::parse(read_file(cfg)).as_object();
  // The gateway's first start moved channels.webhook (OpenClaw refuses it) to the plugin's entry.
  BOOST_REQUIRE(!root.contains("channels") || !root["channels"].as_object().contains("webhook"));
  root["plugins"]
      .as_object()["entries"]
      .as_object()["webhook"]
      .as_object()["config"]
      .as_object()["replyUrl"] = sink.url();
  write_file(cfg, json::serialize(root));
  auto gw = restart_gateway(sb, block, "deaf");
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              Deliveries d(sink.requests());
                              return std::all_of(
                                  acked.begin(), acked.end(),
                                  [&](const std::string& id) { return d.answered(id); });
                            },
                            30s),
                        gw->err());
  BOOST_REQUIRE(poll_until(
      [&] {
        return contains(sb.run({"--profile", "deaf", "channels", "status", "--json"}).out,
                        "\"queue\":0");
      },
      10s));
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_CASE(a_reply_that_keeps_failing_is_retried_then_dead_lettered_with_a_log_line) {
  Sandbox sb;
  PortBlock block{130};
  PortBlock closed{1};  // nobody listens here: every reply is refused
  ReplySink unused;
  auto gw = start_webhook_gateway(
      sb, block, "dead", unused,
      {{"replyUrl", "http://127.0.0.1:" + std::to_string(closed.base()) + "/r"},
       {"replyRetrySeconds", 2}});
  BOOST_REQUIRE_EQUAL(try_post(block.base(), command("x1")), 202);
  fs::path dead = sb.home() / ".openclaw-dead" / "channels" / "dead-letter.jsonl";
  BOOST_REQUIRE_MESSAGE(
      poll_until([&] { return fs::exists(dead) && !read_file(dead).empty(); }, 15s), gw->err());
  auto line = json::parse(read_file(dead)).as_object();
  BOOST_TEST(std::string(line.at("key").as_string()) == "webhook/ops/x1#0.0");
  BOOST_TEST(line.at("attempts").as_int64() >= 2);  // retried before giving up
  BOOST_TEST(contains(std::string(line.at("text").as_string()), "Commands:"));
  auto status = sb.run({"--profile", "dead", "channels", "status", "--json"}).out;
  BOOST_TEST(contains(status, "\"deadLettered\":1"));
  BOOST_TEST(contains(status, "\"queue\":0"));
  BOOST_TEST(contains(read_file(sb.home() / ".openclaw-dead" / "logs" / "gateway.log"),
                      "dead-lettered after"));
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_CASE(a_signed_request_replayed_after_a_restart_is_still_refused) {
  ReplySink sink;
  Sandbox sb;
  PortBlock block{130};
  auto gw = start_webhook_gateway(sb, block, "replay", sink);
  std::string body = command("once");
  auto headers = signed_headers(kWebhookSecret, body, unix_now());
  BOOST_TEST(post(block.base(), "/hooks/ops", body, headers).status == 202);
  BOOST_REQUIRE(gw->stop(SIGKILL).has_value());
  gw = restart_gateway(sb, block, "replay");
  auto again = post(block.base(), "/hooks/ops", body, headers);
  BOOST_TEST(again.status == 409, again.body);
  // The same message id signed anew is a duplicate too.
  auto resigned =
      post(block.base(), "/hooks/ops", body, signed_headers(kWebhookSecret, body, unix_now()));
  BOOST_TEST(resigned.status == 409, resigned.body);
  // A new message still passes.
  BOOST_TEST(try_post(block.base(), command("twice")) == 202);
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- telegram --------------------------------------------------------------------------------

namespace {

// A stand-in for the Bot API: getMe, getUpdates long polling (held until an update is queued or
// its timeout), sendMessage; faults (429, 500, malformed JSON, no answer) on request.
struct BotApi {
  PortBlock block{1};
  boost::asio::io_context io;
  std::unique_ptr<openclaw::sdk::HttpServer> server;
  std::thread thread;
  std::mutex mu;
  std::string token;
  std::vector<json::object> updates;  // queued, not yet delivered past an offset
  std::vector<std::int64_t> offsets;  // every getUpdates offset asked
  std::vector<std::pair<json::object, std::chrono::steady_clock::time_point>>
      sends;                                           // every sendMessage attempt
  std::deque<std::string> update_faults, send_faults;  // "429", "500", "junk", "hang"
  std::vector<openclaw::sdk::HttpResponder> held;
  std::shared_ptr<boost::asio::steady_timer> hold_timer;

  explicit BotApi(std::string t) : token(std::move(t)) {
    server = std::make_unique<openclaw::sdk::HttpServer>(
        io, openclaw::sdk::AsyncHttpHandler(
                [this](const openclaw::sdk::HttpRequest& r, openclaw::sdk::HttpResponder respond) {
                  handle(r, std::move(respond));
                }));
    server->listen("127.0.0.1", block.base());
    thread = std::thread([this] { io.run(); });
  }
  ~BotApi() {
    boost::asio::post(io, [this] {
      held.clear();
      server->stop();
      io.stop();
    });
    thread.join();
  }
  std::string root() const { return "http://127.0.0.1:" + std::to_string(block.base()); }

  static openclaw::sdk::HttpResponse ok(json::value result) {
    return openclaw::sdk::HttpResponse::text(
        200, json::serialize(json::object{{"ok", true}, {"result", result}}), "application/json");
  }
  static std::optional<openclaw::sdk::HttpResponse> fault(const std::string& f) {
    if (f == "429") {
      return openclaw::sdk::HttpResponse::text(
          429,
          R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})",
          "application/json");
    }
    if (f == "500")
      return openclaw::sdk::HttpResponse::text(500, "<html>bad gateway</html>", "text/html");
    if (f == "junk")
      return openclaw::sdk::HttpResponse::text(200, "{\"ok\":tru", "application/json");
    return std::nullopt;
  }

  void handle(const openclaw::sdk::HttpRequest& r, openclaw::sdk::HttpResponder respond) {
    std::lock_guard lock(mu);
    std::string prefix = "/bot" + token + "/";
    if (r.path.rfind(prefix, 0) != 0) {
      respond.send(openclaw::sdk::HttpResponse::text(
          401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})",
          "application/json"));
      return;
    }
    std::string method = r.path.substr(prefix.size());
    json::object params;
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (!ec && v.is_object()) params = v.get_object();
    if (method == "getMe") {
      respond.send(ok(json::object{{"id", 1}, {"is_bot", true}, {"username", "rescue_bot"}}));
    } else if (method == "getUpdates") {
      std::int64_t offset = params.contains("offset") ? params.at("offset").as_int64() : 0;
      offsets.push_back(offset);
      if (!update_faults.empty()) {
        auto f = update_faults.front();
        update_faults.pop_front();
        if (f == "hang") {
          held.push_back(respond);  // never answered: the client's deadline must fire
          return;
        }
        respond.send(*fault(f));
        return;
      }
      deliver(std::move(respond), offset);
    } else if (method == "sendMessage") {
      sends.emplace_back(params, std::chrono::steady_clock::now());
      if (!send_faults.empty()) {
        auto f = send_faults.front();
        send_faults.pop_front();
        respond.send(*fault(f));
        return;
      }
      respond.send(ok(json::object{{"message_id", static_cast<std::int64_t>(sends.size())}}));
    } else {
      respond.send(openclaw::sdk::HttpResponse::text(
          404, R"({"ok":false,"description":"Not Found"})", "application/json"));
    }
  }

  // Answers with the updates at or past `offset`, now or when one is queued (within 1 s).
  void deliver(openclaw::sdk::HttpResponder respond, std::int64_t offset) {
    json::array out;
    for (const auto& u : updates) {
      if (u.at("update_id").as_int64() >= offset) out.push_back(u);
    }
    if (!out.empty()) {
      respond.send(ok(out));
      return;
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(50));
    auto deadline = std::chrono::steady_clock::now() + 1s;
    poll_later(std::move(respond), offset, timer, deadline);
  }
  void poll_later(openclaw::sdk::HttpResponder respond, std::int64_t offset,
                  std::shared_ptr<boost::asio::steady_timer> timer,
                  std::chrono::steady_clock::time_point deadline) {
    timer->expires_after(std::chrono::milliseconds(20));
    timer->async_wait([this, respond, offset, timer, deadline](const boost::system::error_code& e) {
      if (e) return;
      json::array out;
      {
        std::lock_guard lock(mu);
        for (const auto& u : updates) {
          if (u.at("update_id").as_int64() >= offset) out.push_back(u);
        }
      }
      if (!out.empty() || std::chrono::steady_clock::now() >= deadline) {
        respond.send(ok(out));
        return;
      }
      poll_later(respond, offset, timer, deadline);
    });
  }

  void add_message(std::int64_t id, std::int64_t from, const std::string& text) {
    std::lock_guard lock(mu);
    updates.push_back(json::object{
        {"update_id", id},
        {"message",
         json::object{{"message_id", id},
                      {"from", json::object{{"id", from},
                                            {"is_bot", false},
                                            {"username", "user" + std::to_string(from)}}},
                      {"chat", json::object{{"id", from}, {"type", "private"}}},
                      {"date", unix_now()},
                      {"text", text}}}});
  }
  std::size_t send_count() {
    std::lock_guard lock(mu);
    return sends.size();
  }
  std::vector<std::pair<json::object, std::chrono::steady_clock::time_point>> sent() {
    std::lock_guard lock(mu);
    return sends;
  }
  std::vector<std::int64_t> asked_offsets() {
    std::lock_guard lock(mu);
    return offsets;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(channels_telegram)

BOOST_AUTO_TEST_CASE(
    updates_are_answered_once_across_faults_and_restarts_and_the_token_stays_secret) {
  const std::string token = "123456789:AAF-test_Token0123456789abcdefghijklm";
  BotApi api(token);
  Sandbox sb;
  channel_plugins(sb, {"telegram", "rescue"});
  PortBlock block{130};
  fs::path dir = sb.home() / ".openclaw-tg";
  // The token comes from a file (a symlink to it is refused; checked below).
  write_file(sb.home() / "tg-token", token + "\n");
  json::object root{
      {"gateway", json::object{{"port", block.base()}}},
      {"channels",
       json::object{{"telegram", json::object{{"tokenFile", (sb.home() / "tg-token").string()},
                                              {"apiRoot", api.root()},
                                              {"pollTimeoutSeconds", 1},
                                              {"allowFrom", json::array{"42"}}}}}}};
  write_profile_config(sb, "tg", root);
  auto start = [&] {
    auto gw = sb.spawn({"--profile", "tg", "gateway"},
                       {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block, 111)}});
    BOOST_REQUIRE_MESSAGE(gw->wait_for_output("gateway ready"), gw->err());
    BOOST_REQUIRE_MESSAGE(
        poll_until([&] { return contains(gw->err(), "telegram: connected as @rescue_bot"); }, 10s),
        gw->err());
    return gw;
  };
  auto gw = start();

  api.add_message(100, 42, "/status");
  BOOST_REQUIRE(poll_until([&] { return api.send_count() == 1; }, 10s));
  auto first = api.sent().front().first;
  BOOST_TEST(first.at("chat_id").as_string() == "42");
  BOOST_TEST(contains(std::string(first.at("text").as_string()), "tg: running"));

  // 429 with retry_after 1: the reply comes on the second try, a second later.
  {
    std::lock_guard lock(api.mu);
    api.send_faults.push_back("429");
  }
  api.add_message(101, 42, "/help");
  BOOST_REQUIRE(poll_until([&] { return api.send_count() == 3; }, 10s));
  auto s = api.sent();
  BOOST_TEST(
      std::chrono::duration_cast<std::chrono::milliseconds>(s[2].second - s[1].second).count() >=
      900);
  BOOST_TEST(contains(std::string(s[2].first.at("text").as_string()), "Commands:"));

  // getUpdates failing (5xx, malformed JSON, no answer at all) is retried; updates still arrive.
  {
    std::lock_guard lock(api.mu);
    api.update_faults = {"500", "junk", "hang"};
  }
  api.add_message(102, 7, "/logs tg");  // a stranger: never answered
  api.add_message(103, 42, "/ports");
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return api.send_count() == 4; }, 30s), gw->err());
  BOOST_TEST(contains(std::string(api.sent()[3].first.at("text").as_string()), "tg ports:"));
  for (const auto& [p, t] : api.sent()) BOOST_TEST(p.at("chat_id").as_string() == "42");

  // Every fault served (the unanswered poll costs the client its 6 s deadline), and polling goes
  // on.
  std::size_t polls = 0;
  BOOST_REQUIRE(poll_until(
      [&] {
        std::lock_guard lock(api.mu);
        polls = api.offsets.size();
        return api.update_faults.empty();
      },
      30s));
  BOOST_REQUIRE(poll_until(
      [&] {
        auto o = api.asked_offsets();
        return o.size() > polls && o.back() == 104;
      },
      20s));
  // Restart: the persisted offset is asked first, and nothing is answered again.
  BOOST_TEST(gw->stop(SIGTERM).has_value());
  std::size_t asked_before = api.asked_offsets().size();
  gw = start();
  BOOST_REQUIRE(poll_until([&] { return api.asked_offsets().size() > asked_before; }, 10s));
  BOOST_TEST(api.asked_offsets()[asked_before] == 104);
  api.add_message(104, 42, "/status");
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return api.send_count() == 5; }, 10s), gw->err());
  BOOST_TEST(api.send_count() == 5u);

  // The token: in no log, status, error or command line.
  auto st = sb.run({"--profile", "tg", "channels", "status", "--json"});
  BOOST_TEST(contains(st.out, "\"connected\":true"));
  BOOST_TEST(!contains(st.out, token));
  BOOST_TEST(!contains(sb.run({"--profile", "tg", "status", "--json"}).out, token));
  BOOST_TEST(!contains(sb.run({"--profile", "tg", "health", "--json"}).out, token));
  BOOST_TEST(!contains(gw->err() + gw->out(), token));
  BOOST_TEST(!contains(read_file(dir / "logs" / "gateway.log"), token));
  BOOST_TEST(
      !contains(read_file(fs::path("/proc") / std::to_string(gw->pid()) / "cmdline"), token));
  BOOST_TEST(gw->stop(SIGTERM).has_value());

  // A symlinked token file is refused, naming the key.
  fs::create_symlink(sb.home() / "tg-token", sb.home() / "tg-link");
  root["channels"].as_object()["telegram"].as_object()["tokenFile"] =
      (sb.home() / "tg-link").string();
  write_profile_config(sb, "tg", root);
  gw = sb.spawn({"--profile", "tg", "gateway"},
                {{"OPENCLAW_PLUGIN_PORT_RANGE", plugin_ports(block, 111)}});
  BOOST_REQUIRE(gw->wait_for_output("gateway ready"));
  BOOST_TEST(contains(gw->err(), "channels.telegram.tokenFile"), gw->err());
  BOOST_TEST(contains(gw->err(), "is a symlink"), gw->err());
  BOOST_TEST(gw->stop(SIGTERM).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- config changes reach a running gateway -----------------------------------------------------

BOOST_AUTO_TEST_SUITE(live_config)

// The blocks plugins read (channels.irc, browser, canvasHost) change under a running gateway and
// each takes effect without a gateway restart; gateway.port is reported as needing one.
BOOST_AUTO_TEST_CASE(irc_nick_browser_policy_and_canvas_root_apply_live_gateway_port_says_restart) {
  IrcServer server;
  Sandbox sb;
  bundle_plugins(sb, {"irc", "browser", "canvas"});
  TempDir roots;
  fs::create_directories(roots.path() / "a");
  fs::create_directories(roots.path() / "b");
  write_file(roots.path() / "a" / "who.txt", "root a");
  write_file(roots.path() / "b" / "who.txt", "root b");
  Bot bot(sb, "live", irc_config(server.port(), "livebot1"));
  auto set = [&](const std::string& key, const std::string& value) {
    auto r = bot.cli({"config", "set", key, value});
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.out;
  };
  set("browser.noSandbox", "true");
  set("browser.headless", "true");
  set("browser.ssrfPolicy.allowedHostnames", "[\"127.0.0.1\"]");
  set("canvasHost.root", (roots.path() / "a").string());
  bot.start();
  BOOST_REQUIRE(bot.registered());
  const int pid = bot.gw->pid();
  const int canvas = bot.block.base() + 4;
  auto canvas_says = [&] {
    auto r = http_get(canvas, "/__openclaw__/canvas/who.txt");
    return r ? r->body : std::string();
  };
  BOOST_TEST(canvas_says() == "root a");

  // IRC: the new nick registers on the server.
  IrcUser watcher(server.port(), "watcher");
  std::string said = set("channels.irc.nick", "livebot2");
  BOOST_TEST(contains(said, "the running gateway applies it at once"), said);
  BOOST_TEST(poll_until([&] { return contains(bot.logs(), "irc: registered as livebot2"); }, 20s),
             bot.logs());
  watcher.mark();
  watcher.send("WHOIS livebot2");
  BOOST_TEST(!watcher.wait_for(" 311 watcher livebot2 ").empty());

  // Browser: a host the policy refused opens once it is allowed.
  openclaw::gateway::ClientOptions options;
  options.url = "ws://127.0.0.1:" + std::to_string(bot.block.base());
  options.timeout = 60s;
  auto open_tab = [&](const std::string& url) -> std::string {
    openclaw::gateway::Client c(options);
    try {
      c.call("browser.request", json::object{{"method", "POST"},
                                             {"path", "/tabs/open"},
                                             {"body", json::object{{"url", url}}},
                                             {"timeoutMs", 45000}});
      return "opened";
    } catch (const openclaw::gateway::GatewayError& e) {
      return e.what();
    }
  };
  const std::string page = "http://localhost:" + std::to_string(canvas) + "/__openclaw__/canvas/";
  std::string before = open_tab(page + "who.txt");
  BOOST_TEST(contains(before, "blocked by policy"), before);
  set("browser.ssrfPolicy.allowedHostnames", "[\"127.0.0.1\",\"localhost\"]");
  std::string after;
  BOOST_TEST(poll_until(
                 [&] {
                   after = open_tab(page + "who.txt");
                   return after == "opened";
                 },
                 30s),
             after);

  // The browser applied its new policy in place: the browser it launched still runs.
  BOOST_TEST(contains(bot.logs(), "browser.so): config changed: applied in place"), bot.logs());
  BOOST_TEST(!contains(bot.logs(), "browser.so): its config changed: restarting it"));

  // Canvas: the new root is served on the same port, in place too.
  set("canvasHost.root", (roots.path() / "b").string());
  BOOST_TEST(poll_until([&] { return canvas_says() == "root b"; }, 10s), canvas_says());
  BOOST_TEST(contains(bot.logs(), "canvas.so): config changed: applied in place"), bot.logs());

  // gateway.port: saved, said to need a restart, shown by status; the gateway keeps its port.
  PortBlock other{1};
  said = set("gateway.port", std::to_string(other.base()));
  BOOST_TEST(contains(said, "restart the gateway to apply"), said);
  BOOST_TEST(poll_until(
                 [&] {
                   auto st = bot.cli({"status", "--json"});
                   return contains(st.out, "\"restartNeeded\":[\"gateway.port\"]");
                 },
                 10s),
             bot.logs());
  auto st = bot.cli({"status"});
  BOOST_TEST(contains(st.out, "gateway.port changed: restart the gateway"), st.out);
  BOOST_TEST(contains(st.out, "on port " + std::to_string(bot.block.base())), st.out);
  BOOST_TEST(contains(bot.logs(), "config: gateway.port changed: restart the gateway to apply it"));
  BOOST_TEST(port_accepts(bot.block.base()));
  BOOST_TEST(bot.gw->running());
  BOOST_TEST(bot.gw->pid() == pid);  // never restarted
}

BOOST_AUTO_TEST_SUITE_END()
