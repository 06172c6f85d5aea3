// `onboard`: what a person meets first. On a terminal, a short wizard — the profile's paths, a
// base port (the registry's free suggestion, and why), the workspace, for a rescue bot which
// instances to watch and where to tell the owner (IRC or Telegram), whether to install the
// service — then a summary and the commands that follow. Without a terminal, or with
// --non-interactive, the flags say all of it and nothing is asked. Either way the answers become
// one SetupRequest (setup.hpp), applied only once every answer is in: a wizard left half-way
// writes nothing.
#include <unistd.h>

#include <cctype>
#include <functional>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "cli/isolation.hpp"
#include "cli/setup.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"

namespace openclaw::cli {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Questions on the terminal: "Question [default]: ", Enter takes the default; a bad answer is
// said and asked again; the end of the input ends the wizard with nothing written.
class Prompter {
 public:
  Prompter(std::istream& in, std::ostream& out) : in_(in), out_(out) {}

  std::string ask(const std::string& question, const std::string& def,
                  const std::function<std::string(const std::string&)>& problem = {}) {
    while (true) {
      out_ << question << (def.empty() ? "" : " [" + def + "]") << ": " << std::flush;
      std::string line;
      if (!std::getline(in_, line)) {
        out_ << "\n";
        throw usage_error("onboard: the input ended before the last answer; nothing was written");
      }
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      while (!line.empty() && line.front() == ' ') line.erase(0, 1);
      if (line.empty()) line = def;
      std::string why = problem ? problem(line) : std::string();
      if (why.empty()) return line;
      out_ << "  " << why << "\n";
    }
  }

  bool yes(const std::string& question, bool def) {
    auto a = ask(question + (def ? " (Y/n)" : " (y/N)"), "", [](const std::string& s) {
      if (s.empty() || s == "y" || s == "Y" || s == "yes" || s == "n" || s == "N" || s == "no")
        return std::string();
      return std::string("answer y or n");
    });
    if (a.empty()) return def;
    return a[0] == 'y' || a[0] == 'Y';
  }

  std::ostream& out() { return out_; }

 private:
  std::istream& in_;
  std::ostream& out_;
};

// "" when `s` is a base port with room for the derived ports, else why not.
std::string port_problem(const std::string& s) {
  try {
    int p = profile::parse_port(s, "the base port");
    if (p > profile::kMaxBasePort)
      return "the base port must leave room for its derived ports: at most " +
             std::to_string(profile::kMaxBasePort);
  } catch (const Error& e) {
    return e.line();
  }
  return {};
}

// IRC masks say nick!user@host; a bare nick would let anyone take the name.
std::string mask_problem(const std::string& s) {
  auto bang = s.find('!'), at = s.find('@');
  if (s.empty() || bang == std::string::npos || at == std::string::npos || bang > at || bang == 0 ||
      s.find(' ') != std::string::npos)
    return "give your IRC mask as nick!user@host (wildcards * and ? allowed), e.g. "
           "me!*@my.host.example";
  return {};
}

// RFC 2812 nicks: a letter or one of []\`_^{|} first, then those, digits and '-'.
std::string nick_problem(const std::string& s) {
  auto special = [](char c) { return std::string_view("[]\\`_^{|}").find(c) != std::string::npos; };
  bool ok = !s.empty() && s.size() <= 30 &&
            (std::isalpha(static_cast<unsigned char>(s[0])) || special(s[0]));
  for (char c : s) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || special(c) || c == '-');
  }
  return ok ? std::string() : "not an IRC nick (letters, digits, []\\`_^{|}-, at most 30)";
}

std::string id_problem(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return "a Telegram user id is a number (ask @userinfobot)";
  return {};
}

std::string file_problem(const std::string& s, const fs::path& home) {
  try {
    sdk::read_secret_file(profile::expand_user(s, home).string());
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

// host[:port] -> the channels.irc keys.
json::object irc_block(const std::string& server, bool tls, const std::string& nick,
                       const std::optional<std::string>& owner) {
  json::object b;
  auto colon = server.rfind(':');
  if (colon != std::string::npos && server.find(']') == std::string::npos) {
    b["host"] = server.substr(0, colon);
    b["port"] = profile::parse_port(server.substr(colon + 1), "--irc-server's port");
  } else {
    b["host"] = server;
  }
  if (tls) b["tls"] = true;
  b["nick"] = nick;
  if (owner) b["allowFrom"] = json::array{json::value(*owner)};
  return b;
}

std::string nick_of(const std::string& mask) {
  return mask.substr(0, mask.find('!'));
}

struct Flags {
  SetupRequest request;
  std::optional<std::string> irc_server, irc_nick, irc_owner, telegram_file, telegram_owner;
  bool irc_tls = false;
  std::optional<std::string> notify;  ///< irc, telegram, both, none
};

// The channel blocks and notify targets the flags (or the answers) describe.
void channels_into(Flags& f, const fs::path& home) {
  auto& r = f.request;
  if (f.irc_server || f.irc_nick || f.irc_owner) {
    if (!f.irc_server || !f.irc_nick)
      throw usage_error("--irc-server and --irc-nick go together (and --irc-owner with them)");
    if (auto why = nick_problem(*f.irc_nick); !why.empty()) throw usage_error("--irc-nick: " + why);
    if (f.irc_owner) {
      if (auto why = mask_problem(*f.irc_owner); !why.empty())
        throw usage_error("--irc-owner: " + why);
    }
    r.irc = irc_block(*f.irc_server, f.irc_tls, *f.irc_nick, f.irc_owner);
  }
  if (f.telegram_file || f.telegram_owner) {
    if (!f.telegram_file) throw usage_error("--telegram-owner needs --telegram-token-file");
    fs::path file = fs::absolute(profile::expand_user(*f.telegram_file, home)).lexically_normal();
    if (auto why = file_problem(file.string(), home); !why.empty())
      throw usage_error("--telegram-token-file: " + why);
    json::object b{{"tokenFile", file.string()}};
    if (f.telegram_owner) {
      if (auto why = id_problem(*f.telegram_owner); !why.empty())
        throw usage_error("--telegram-owner: " + why);
      b["allowFrom"] = json::array{json::value(*f.telegram_owner)};
    }
    r.telegram = std::move(b);
  }
  std::string notify = f.notify.value_or("both");
  if (notify != "irc" && notify != "telegram" && notify != "both" && notify != "none")
    throw usage_error("--notify must be irc, telegram, both or none, got \"" + notify + "\"");
  const bool explicit_notify = f.notify.has_value();
  if ((notify == "irc" || notify == "both") && f.irc_owner) {
    r.notify.push_back(json::object{{"channel", "irc"}, {"to", nick_of(*f.irc_owner)}});
  } else if (explicit_notify && notify == "irc") {
    throw usage_error("--notify irc needs --irc-owner (whom to tell)");
  }
  if ((notify == "telegram" || notify == "both") && f.telegram_owner) {
    r.notify.push_back(json::object{{"channel", "telegram"}, {"to", *f.telegram_owner}});
  } else if (explicit_notify && notify == "telegram") {
    throw usage_error("--notify telegram needs --telegram-owner (whom to tell)");
  }
}

// The wizard: asks what the flags did not say.
void wizard(Context& ctx, Flags& f, Prompter& ask) {
  const auto& paths = ctx.paths;
  auto shown = [&](const fs::path& p) { return profile::display_path(p, paths.home); };
  auto& out = ask.out();
  const std::string who =
      paths.profile ? "profile \"" + *paths.profile + "\"" : "the default profile";
  out << "Setting up " << who << " (Enter takes the answer in brackets; Ctrl-D stops, nothing "
      << "written):\n"
      << "  state dir  " << shown(paths.state_dir) << "\n"
      << "  config     " << shown(paths.config_path) << "\n";
  auto cfg = config::Config::load(paths.config_path, paths.home);
  if (!f.request.port) {
    if (auto current = config::get_int(cfg.root(), "gateway.port")) {
      out << "  base port  " << *current << " (gateway.port, kept; --port changes it)\n";
    } else {
      auto [base, why] = suggested_base(ctx);
      out << "Base port: " << base << " is " << why << " (its ports " << base << ".."
          << base + profile::kDerivedSpan << " are free of every other instance).\n";
      f.request.port =
          profile::parse_port(ask.ask("Base port", std::to_string(base), port_problem), "port");
    }
  }
  if (!f.request.workspace) {
    auto ws = config::get_string(cfg.root(), "agents.defaults.workspace");
    std::string def = ws ? *ws : shown(paths.default_workspace);
    std::string a = ask.ask("Workspace (where its agents write)", def);
    if (a != def || ws) f.request.workspace = a;
  }
  // A rescue bot: what it watches, and whom it tells.
  const bool rescue_name = paths.profile && paths.profile->find("rescue") != std::string::npos;
  if (!f.request.watch &&
      (rescue_name || ask.yes("Is this a rescue bot that watches other instances?", false))) {
    std::string others;
    for (const auto& m : isolation::instances(isolation::scope_for(ctx.env, paths))) {
      if (m.env_instance || m.state_dir == paths.state_dir) continue;
      others += (others.empty() ? "" : ",") + m.name();
    }
    out << "Instances on this machine: " << (others.empty() ? "(none yet)" : others) << "\n";
    std::string w = ask.ask("Watch which (comma-separated, * for every other one, - for none)",
                            others.empty() ? "main" : others, [&](const std::string& s) {
                              if (s == "-") return std::string();
                              try {
                                std::istringstream in(s);
                                for (std::string item; std::getline(in, item, ',');) {
                                  if (item.empty() || item == "*") continue;
                                  if (profile::normalize_name(item, "watch") == paths.profile)
                                    return std::string("an instance does not watch itself");
                                }
                              } catch (const Error& e) {
                                return e.line();
                              }
                              return std::string();
                            });
    if (w != "-") f.request.watch = w;
  }
  if (f.request.watch && !f.irc_server && !f.telegram_file) {
    std::string how =
        ask.ask("Tell the owner through: irc, telegram, or none", "irc", [](const std::string& s) {
          return s == "irc" || s == "telegram" || s == "none"
                     ? std::string()
                     : std::string("answer irc, telegram or none");
        });
    if (how == "irc") {
      f.irc_server = ask.ask("IRC server (host or host:port)", "irc.libera.chat");
      f.irc_tls = ask.yes("Connect with TLS", true);
      f.irc_nick = ask.ask("The bot's nick", paths.profile ? *paths.profile + "bot" : "clawbot",
                           nick_problem);
      f.irc_owner = ask.ask("Your IRC mask (who may command it; nick!user@host)", "", mask_problem);
      f.notify = "irc";
    } else if (how == "telegram") {
      f.telegram_file = ask.ask("File holding the bot token (from @BotFather; 0600)", "",
                                [&](const std::string& s) { return file_problem(s, paths.home); });
      f.telegram_owner = ask.ask("Your Telegram user id", "", id_problem);
      f.notify = "telegram";
    } else {
      f.notify = "none";
    }
  }
  if (!f.request.install_service)
    f.request.install_service = ask.yes("Install it as a service (systemd user unit)", false);
}

}  // namespace

int cmd_onboard(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("non-interactive", "ask nothing: the flags (and defaults) say everything")(
      "port", po::value<std::string>()->value_name("N"), "base port (gateway.port)")(
      "workspace", po::value<std::string>()->value_name("DIR"),
      "workspace dir (agents.defaults.workspace)")(
      "watch", po::value<std::string>()->value_name("PROFILES"),
      "a rescue bot: the profiles it watches (comma-separated, or \"*\")")(
      "irc-server", po::value<std::string>()->value_name("HOST[:PORT]"),
      "the bot's IRC server (channels.irc.host/port)")("irc-tls", "connect to it with TLS")(
      "irc-nick", po::value<std::string>()->value_name("NICK"), "the bot's IRC nick")(
      "irc-owner", po::value<std::string>()->value_name("MASK"),
      "your IRC mask nick!user@host: may command the bot (allowFrom), is told (notify)")(
      "telegram-token-file", po::value<std::string>()->value_name("FILE"),
      "file holding the Telegram bot token (channels.telegram.tokenFile)")(
      "telegram-owner", po::value<std::string>()->value_name("ID"),
      "your Telegram user id: may command the bot, is told")(
      "notify", po::value<std::string>()->value_name("WHERE"),
      "irc, telegram, both (default: each channel with an owner) or none")(
      "install-service", "install the systemd user unit afterwards (gateway install)")(
      "no-token", "do not create a gateway token");
  auto vm = parse_command(
      ctx,
      "onboard [--non-interactive] [--port N] [--workspace DIR] [--watch PROFILES] [--irc-server "
      "H] [--irc-nick N] [--irc-owner MASK] [--telegram-token-file F] [--telegram-owner ID] "
      "[--notify WHERE] [--install-service]",
      "Sets up the profile as `setup` does, and for a rescue bot its channel and whom it tells.\n"
      "On a terminal it asks, one question at a time, what the flags do not say: the base port\n"
      "(the registry's free suggestion, and why), the workspace, which instances to watch, IRC "
      "or\nTelegram, the owner, the service. Without a terminal, or with --non-interactive, it "
      "asks\nnothing. Nothing is written until every answer is in and the result validates.",
      opts, {}, args);
  if (!vm) return 0;
  Flags f;
  f.request.port = port_option(*vm);
  f.request.token = !vm->count("no-token");
  f.request.install_service = vm->count("install-service") > 0;
  auto opt = [&](const char* k) -> std::optional<std::string> {
    if (!vm->count(k)) return std::nullopt;
    return (*vm)[k].as<std::string>();
  };
  f.request.workspace = opt("workspace");
  f.request.watch = opt("watch");
  f.irc_server = opt("irc-server");
  f.irc_nick = opt("irc-nick");
  f.irc_owner = opt("irc-owner");
  f.irc_tls = vm->count("irc-tls") > 0;
  f.telegram_file = opt("telegram-token-file");
  f.telegram_owner = opt("telegram-owner");
  f.notify = opt("notify");
  const bool interactive = !vm->count("non-interactive") && ::isatty(0) && ::isatty(1);
  if (interactive) {
    Prompter ask(std::cin, *ctx.out);
    wizard(ctx, f, ask);
    *ctx.out << "\n";
  }
  channels_into(f, ctx.paths.home);
  const int rc = run_setup(ctx, f.request);
  if (rc != 0) return rc;
  const std::string p = ctx.paths.profile ? " --profile " + *ctx.paths.profile : std::string();
  auto& out = *ctx.out;
  out << "Next:\n";
  auto next = [&](const std::string& cmd, const std::string& why) {
    out << "  " << pad(cmd, 44) << "# " << why << "\n";
  };
  if (!f.request.install_service) next("openclaw-host" + p + " gateway", "run it");
  next("openclaw-host" + p + " health", "is it up");
  next("openclaw-host doctor --all", "nothing shared with another instance");
  if (f.request.watch) next("openclaw-host" + p + " channels status", "its own line is up");
  return 0;
}

}  // namespace openclaw::cli
