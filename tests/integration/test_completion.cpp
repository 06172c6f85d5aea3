// Shell completion: `completion bash|zsh` prints a script that completes what this binary
// accepts. The scripts run in real bash and zsh here, driven as the shells' completion systems
// drive them; the command table they come from is checked against each command's own help.
#include <regex>
#include <set>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "support/harness.hpp"

using namespace openclaw::test;

namespace {

std::set<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::set<std::string> out;
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

std::string shown(const std::set<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return "{" + out + "}";
}

bool has_all(const std::set<std::string>& got, const std::set<std::string>& wanted) {
  for (const auto& w : wanted) {
    if (!got.count(w)) return false;
  }
  return true;
}

// command -> its subcommands, from `completion --list` (the command table).
std::map<std::string, std::set<std::string>> command_table(const Sandbox& sb) {
  auto r = sb.run({"completion", "--list"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) {
      out[line];
    } else {
      out[line.substr(0, space)].insert(line.substr(space + 1));
    }
  }
  return out;
}

// A home with profiles main and rescue (state dirs), and things that are not profiles.
struct CompletionSandbox {
  mutable Sandbox sb;
  TempDir files;  // the script, the drivers and their output: not in the home
  fs::path script;
  fs::path far_home = sb.home() / "elsewhere";
  fs::path work = sb.home() / "work";  // the shells' working directory

  explicit CompletionSandbox(const std::string& shell) {
    for (const char* d : {".openclaw-main", ".openclaw-rescue", ".openclaw", ".openclaw-bad.name",
                          "elsewhere/.openclaw-far"}) {
      fs::create_directories(sb.home() / d);
    }
    write_file(sb.home() / ".openclaw-plainfile", "");
    fs::create_directories(work / "plugin-dir");
    write_file(work / "plugin.tar.gz", "");
    auto r = sb.run({"completion", shell});
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
    script = files.path() / ("completion." + shell);
    write_file(script, r.out);
  }

  // The candidates the script offers for `words` (the last one is the word being completed).
  std::set<std::string> bash(const std::vector<std::string>& words,
                             const std::map<std::string, std::string>& env = {}) const {
    std::string array;
    for (const auto& w : words) array += " '" + w + "'";
    std::string driver = "cd '" + work.string() + "' || exit 9\nsource '" + script.string() +
                         "' || exit 9\n"
                         "COMP_WORDS=(openclaw-host" +
                         array +
                         ")\n"
                         "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                         "_openclaw_host\n"
                         "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    return run_shell("/bin/bash", driver, env, {});
  }

  // zsh's completion builtins replaced by ones that print what they are given.
  std::set<std::string> zsh(const std::vector<std::string>& words,
                            const std::map<std::string, std::string>& env = {}) const {
    std::string array;
    for (const auto& w : words) array += " '" + w + "'";
    std::string driver =
        "compdef() { :; }\n"
        "compset() { :; }\n"
        "compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; "
        "print -l -- \"$@\"; }\n"
        "_describe() { local e; for e in \"${(@P)${@[-1]}}\"; do print -r -- \"${e%%:*}\"; "
        "done; }\n"
        "_files() { print -r -- \"<files$*>\"; }\n"
        "cd '" +
        work.string() +
        "' || exit 9\n"
        "source '" +
        script.string() +
        "' || exit 9\n"
        "words=(openclaw-host" +
        array +
        ")\n"
        "CURRENT=${#words}\n"
        "_openclaw-host\n";
    return run_shell("/usr/bin/zsh", driver, env, {"-f"});
  }

  std::set<std::string> run_shell(const std::string& shell, const std::string& driver,
                                  const std::map<std::string, std::string>& extra,
                                  std::vector<std::string> argv) const {
    fs::path file = files.path() / "driver.sh";
    write_file(file, driver);
    auto env = sb.env();
    for (const auto& [k, v] : extra) env[k] = v;
    argv.insert(argv.begin(), shell);
    argv.push_back(file.string());
    Child c(argv, env, files.path());
    auto code = c.wait(20s);
    BOOST_REQUIRE_MESSAGE(code == std::optional<int>(0), shell + " failed: " + c.err());
    BOOST_TEST(c.err().empty(), c.err());
    return words_of(c.out());
  }
};

// What the shell says for each case; `complete` is CompletionSandbox::bash or ::zsh.
template <typename Complete>
void completes_commands_options_subcommands_and_profiles(const CompletionSandbox& cs,
                                                         Complete complete,
                                                         const std::set<std::string>& files) {
  const auto table = command_table(cs.sb);
  std::set<std::string> names;  // the commands; `help` goes before any of them too
  for (const auto& [c, subs] : table) names.insert(c);
  std::set<std::string> commands = names;
  commands.insert("help");
  BOOST_TEST(shown(complete({""}, {})) == shown(commands));
  BOOST_TEST(has_all(complete({"--"}, {}), {"--profile", "--dev", "--log-level", "--version"}));
  BOOST_TEST(shown(complete({"help", ""}, {})) == shown(names));
  BOOST_TEST(shown(complete({"config", ""}, {})) == shown(table.at("config")));
  BOOST_TEST(shown(complete({"config", "get", "--"}, {})) ==
             shown({"--json", "--show-secrets", "--help"}));
  BOOST_TEST(has_all(complete({"--profile", "main", "gateway", "install", "--"}, {}),
                     {"--port", "--force", "--dry-run", "--help"}));
  BOOST_TEST(has_all(complete({"gateway", "start", "--"}, {}), {"--wait", "--no-wait"}));
  // A value is not taken for the subcommand: --browser-profile takes one.
  BOOST_TEST(shown(complete({"browser", "--browser-profile", "work", ""}, {})) ==
             shown(table.at("browser")));
  BOOST_TEST(has_all(complete({"browser", "screenshot", "--"}, {}),
                     {"--out", "--full-page", "--browser-profile", "--json", "--timeout"}));
  BOOST_TEST(shown(complete({"completion", ""}, {})) == shown({"bash", "zsh"}));
  // Values: profile names from the state dirs on disk (under OPENCLAW_HOME when set), the
  // words an option takes, paths.
  BOOST_TEST(shown(complete({"--profile", ""}, {})) == shown({"main", "rescue"}));
  BOOST_TEST(shown(complete({"setup", "--watch", ""}, {})) == shown({"main", "rescue"}));
  BOOST_TEST(shown(complete({"--profile", ""}, {{"OPENCLAW_HOME", cs.far_home.string()}})) ==
             shown({"far"}));
  BOOST_TEST(shown(complete({"--log-level", ""}, {})) == shown({"error", "warn", "info", "debug"}));
  BOOST_TEST(shown(complete({"gateway", "--bind", ""}, {})) == shown({"loopback", "lan"}));
  BOOST_TEST(shown(complete({"--profile", "rescue", "plugins", "install", ""}, {})) ==
             shown(files));
  // Nothing is offered where anything may be typed (a config key).
  BOOST_TEST(complete({"config", "get", ""}, {}).empty());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(completion)

BOOST_AUTO_TEST_CASE(bash_completes_commands_options_subcommands_and_profiles) {
  CompletionSandbox cs("bash");
  auto bash = [&](const std::vector<std::string>& w, const std::map<std::string, std::string>& e) {
    return cs.bash(w, e);
  };
  // compgen -f: the entries of the working directory.
  completes_commands_options_subcommands_and_profiles(cs, bash, {"plugin-dir", "plugin.tar.gz"});
  // bash splits --profile=NAME at '='.
  BOOST_TEST(shown(cs.bash({"--profile", "=", ""})) == shown({"main", "rescue"}));
  BOOST_TEST(shown(cs.bash({"--profile", "=", "re"})) == shown({"rescue"}));
  BOOST_TEST(shown(cs.bash({"con"})) == shown({"config"}));
  BOOST_TEST(shown(cs.bash({"config", "get", "--s"})) == shown({"--show-secrets"}));
}

BOOST_AUTO_TEST_CASE(zsh_completes_commands_options_subcommands_and_profiles) {
  CompletionSandbox cs("zsh");
  auto zsh = [&](const std::vector<std::string>& w, const std::map<std::string, std::string>& e) {
    return cs.zsh(w, e);
  };
  completes_commands_options_subcommands_and_profiles(cs, zsh, {"<files>"});
  BOOST_TEST(shown(cs.zsh({"--profile=ma"})) == shown({"main", "rescue"}));
  BOOST_TEST(shown(cs.zsh({"plugins", "new", "x", "--dir", ""})) == shown({"<files-/>"}));
}

BOOST_AUTO_TEST_CASE(other_shells_are_refused_naming_the_supported_ones) {
  Sandbox sb;
  auto fish = sb.run({"completion", "fish"});
  BOOST_TEST(fish.code == 1);
  BOOST_TEST(fish.out.empty());
  BOOST_TEST(fish.err ==
             "openclaw-host: error: completion: unsupported shell \"fish\" (supported: bash, "
             "zsh)\n");
  auto none = sb.run({"completion"});
  BOOST_TEST(none.code == 1);
  BOOST_TEST(contains(none.err, "completion needs a shell: bash or zsh"), none.err);
  auto help = sb.run({"completion", "--help"});
  BOOST_TEST(help.code == 0);
  BOOST_TEST(contains(help.out, "source <(openclaw-host completion bash)"), help.out);
}

// The command table that completion (and the docs) use must name what each command accepts:
// the subcommands its own "unknown subcommand" error or help lists.
BOOST_AUTO_TEST_CASE(the_command_table_matches_every_command_s_own_subcommands) {
  Sandbox sb;
  const auto table = command_table(sb);
  // Every command the top-level help lists, and no other.
  auto top = sb.run({"--help"});
  std::set<std::string> listed;
  std::istringstream lines(top.out.substr(top.out.find("\nCommands:\n")));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
    listed.insert(line.substr(2, line.find(' ', 2) - 2));
  }
  std::set<std::string> names;
  for (const auto& [c, subs] : table) names.insert(c);
  BOOST_TEST(shown(names) == shown(listed));

  const std::regex list(R"(\((?:supported: )?([a-z-]+(?:, [a-z-]+)+)\))");
  const std::regex word(R"([a-z][a-z-]*)");
  for (const auto& [command, subs] : table) {
    if (subs.empty()) continue;
    auto error = sb.run({command, "no-such-subcommand"});
    BOOST_TEST_REQUIRE(error.code != 0, command);
    std::set<std::string> named;
    std::smatch m;
    if (std::regex_search(error.err, m, list)) {
      std::string items = m[1];
      for (std::sregex_iterator it(items.begin(), items.end(), word), end; it != end; ++it)
        named.insert(it->str());
    } else if (auto at = error.err.find(" takes"); at != std::string::npos) {
      // "canvas takes one subcommand: status", "pairing takes: list [CHANNEL] | approve ..."
      std::string rest = error.err.substr(error.err.find(':', at) + 1);
      rest = rest.substr(0, rest.find(" (see"));
      std::istringstream in(rest);
      std::string w;
      while (in >> w) {
        if (std::regex_match(w, word) && w != "or") named.insert(w);
      }
    } else {
      // "unknown browser subcommand": the help's Subcommands: section lists them.
      auto help = sb.run({command, "--help"});
      std::istringstream in(help.out.substr(help.out.find("Subcommands:\n") + 13));
      while (std::getline(in, line) && line.rfind("  ", 0) == 0) {
        named.insert(line.substr(2, line.find(' ', 2) - 2));
      }
    }
    BOOST_TEST(shown(named) == shown(subs), command << ": " << error.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
