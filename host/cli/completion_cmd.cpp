// `completion bash|zsh`: a completion script for this binary; `completion --list`: every command
// and subcommand, one per line. Commands and subcommands come from the command table (cli.cpp),
// each one's options from its own --help (parse_command() records them into Context::spec), so
// the script says what this binary accepts. Profile names are read from disk when completing.
#include <map>
#include <sstream>

#include "cli/context.hpp"
#include "core/error.hpp"
#include "core/version.hpp"

namespace openclaw::cli {
namespace {

// One place on the command line: the root (""), a command ("config") or a subcommand
// ("config get"), with what may follow it there.
struct Level {
  std::string words;
  std::vector<std::pair<std::string, std::string>> subs;  ///< name, description ("" if none)
  std::vector<CommandSpec::Option> options;
  bool file_args = false;  ///< a positional argument names a file (plugins install PATH)
};

// The words some options take: their help says them in prose, not in a table to read them from.
const std::map<std::string, std::vector<std::string>>& value_lists() {
  static const std::map<std::string, std::vector<std::string>> lists{
      {"log-level", {"error", "warn", "info", "debug"}},
      {"bind", {"loopback", "lan"}},
  };
  return lists;
}

// How the value of `o` is completed: a word list, profile names, paths, or nothing.
std::string value_kind(const CommandSpec::Option& o) {
  if (value_lists().count(o.name)) return "list";
  if (o.name == "profile" || o.value_name == "PROFILES") return "profiles";
  if (o.value_name == "DIR" || o.value_name == "D") return "dirs";
  if (o.value_name == "FILE" || o.value_name == "PATH") return "files";
  return "";
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (auto dot = line.find(". "); dot != std::string::npos) line.resize(dot + 1);
  return line;
}

// The spec `words` (a command and its arguments) records for --help, empty when its help is
// hand-written text (`config --help`) or it cannot say.
CommandSpec spec_of(const Context& ctx, const CommandInfo& command,
                    std::vector<std::string> words) {
  Context probe = ctx;
  std::ostringstream discard;
  CommandSpec spec;
  probe.out = &discard;
  probe.err = &discard;
  probe.spec = &spec;
  words.push_back("--help");
  try {
    command.fn(probe, words);
  } catch (const std::exception&) {
    return {};
  }
  return spec;
}

bool names_a_file(const std::string& usage, const std::string& words) {
  if (usage.rfind(words, 0) != 0) return false;
  std::istringstream rest(usage.substr(words.size()));
  std::string token;
  while (rest >> token) {
    if (token == "PATH" || token == "FILE" || token == "DIR") return true;
  }
  return false;
}

std::vector<Level> levels(const Context& ctx) {
  std::vector<Level> out;
  Level root{"", {}, describe_options(global_options()), false};
  Level help{"help", {}, {}, false};
  for (const auto& c : commands()) {
    root.subs.emplace_back(c.name, c.summary);
    help.subs.emplace_back(c.name, c.summary);
  }
  root.subs.emplace_back("help", "show a command's help (help COMMAND)");
  out.push_back(std::move(root));
  out.push_back(std::move(help));
  for (const auto& c : commands()) {
    CommandSpec top = spec_of(ctx, c, {});
    Level level{c.name, {}, top.options, names_a_file(top.usage, c.name)};
    std::vector<Level> subs;
    for (const auto& s : c.subcommands) {
      CommandSpec spec = spec_of(ctx, c, {s});
      std::string words = c.name + " " + s;
      // A subcommand that shares its command's help (browser, channels) has no summary of its own.
      std::string about = spec.summary == top.summary ? "" : first_line(spec.summary);
      level.subs.emplace_back(s, about);
      subs.push_back(Level{words, {}, spec.options, names_a_file(spec.usage, words)});
    }
    out.push_back(std::move(level));
    for (auto& s : subs) out.push_back(std::move(s));
  }
  return out;
}

// `s` as one single-quoted shell word.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Every option name that takes a value, with how its value is completed (first spelling wins).
std::map<std::string, std::pair<std::string, CommandSpec::Option>> value_options(
    const std::vector<Level>& all) {
  std::map<std::string, std::pair<std::string, CommandSpec::Option>> out;
  for (const auto& l : all) {
    for (const auto& o : l.options) {
      if (!o.value_name.empty()) out.emplace(o.name, std::make_pair(value_kind(o), o));
    }
  }
  return out;
}

constexpr const char* kProfilesNote =
    "# Profile names are the state dirs ~/.openclaw-NAME (under $OPENCLAW_HOME when set),\n"
    "# listed when completing: no openclaw-host process runs at TAB.\n";

std::string bash_script(const std::vector<Level>& all) {
  std::ostringstream s;
  s << "# bash completion for openclaw-host " << kVersion
    << ", generated by `openclaw-host completion bash`.\n"
       "# Use: source <(openclaw-host completion bash), or save it as\n"
       "# ~/.local/share/bash-completion/completions/openclaw-host.\n"
    << kProfilesNote << "\n"
    << "_openclaw_host_spec() {\n"
       "  subs='' opts='' vopts='' files=''\n"
       "  case $1 in\n";
  for (const auto& l : all) {
    std::vector<std::string> subs, opts, vopts;
    for (const auto& [name, about] : l.subs) subs.push_back(name);
    for (const auto& o : l.options) {
      opts.push_back("--" + o.name);
      if (!o.value_name.empty()) vopts.push_back("--" + o.name);
    }
    s << "    " << quoted(l.words) << ")";
    if (!subs.empty()) s << " subs=" << quoted(joined(subs));
    if (!opts.empty()) s << " opts=" << quoted(joined(opts));
    if (!vopts.empty()) s << " vopts=" << quoted(joined(vopts));
    if (l.file_args) s << " files=1";
    s << " ;;\n";
  }
  s << "  esac\n}\n\n"
       "_openclaw_host_profiles() {\n"
       "  local d n\n"
       "  for d in \"${OPENCLAW_HOME:-$HOME}\"/.openclaw-*/; do\n"
       "    [[ -d $d ]] || continue\n"
       "    d=${d%/}\n"
       "    n=${d##*/.openclaw-}\n"
       "    [[ $n =~ ^[A-Za-z0-9_-]+$ ]] && printf '%s\\n' \"$n\"\n"
       "  done\n"
       "}\n\n"
       "# The value of option $1.\n"
       "_openclaw_host_value() {\n"
       "  local cur=$2\n"
       "  case $1 in\n";
  for (const auto& [name, kind_option] : value_options(all)) {
    const auto& [kind, option] = kind_option;
    if (kind.empty()) continue;
    s << "    --" << name << ") ";
    if (kind == "list") {
      s << "COMPREPLY=($(compgen -W " << quoted(joined(value_lists().at(name))) << " -- \"$cur\"))";
    } else if (kind == "profiles") {
      s << "COMPREPLY=($(compgen -W \"$(_openclaw_host_profiles)\" -- \"$cur\"))";
    } else if (kind == "dirs") {
      s << "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\"))";
    } else {
      s << "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))";
    }
    s << " ;;\n";
  }
  s << "  esac\n"
       "}\n\n"
       "_openclaw_host() {\n"
       "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
       "  local level='' w i=1 subs opts vopts files\n"
       "  COMPREPLY=()\n"
       "  # --opt=value: bash splits it into --opt, = and value\n"
       "  if [[ $cur == = ]]; then\n"
       "    cur=''\n"
       "  elif [[ $prev == = ]]; then\n"
       "    prev=${COMP_WORDS[COMP_CWORD-2]}\n"
       "  fi\n"
       "  # Where the words before the cursor lead: a command, then maybe a subcommand.\n"
       "  while ((i < COMP_CWORD)); do\n"
       "    w=${COMP_WORDS[i]}\n"
       "    _openclaw_host_spec \"$level\"\n"
       "    if [[ $w == -* ]]; then\n"
       "      if [[ \" $vopts \" == *\" $w \"* ]]; then\n"
       "        if [[ ${COMP_WORDS[i+1]} == = ]]; then ((i += 2)); else ((i += 1)); fi\n"
       "      fi\n"
       "    elif [[ $level != *' '* && -n $subs ]]; then\n"
       "      level=\"${level:+$level }$w\"\n"
       "    fi\n"
       "    ((i += 1))\n"
       "  done\n"
       "  _openclaw_host_spec \"$level\"\n"
       "  if [[ \" $vopts \" == *\" $prev \"* ]]; then\n"
       "    _openclaw_host_value \"$prev\" \"$cur\"\n"
       "  elif [[ $cur == -* ]]; then\n"
       "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
       "  elif [[ $level != *' '* && -n $subs ]]; then\n"
       "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
       "  elif [[ -n $files ]]; then\n"
       "    compopt -o filenames 2>/dev/null\n"
       "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
       "  fi\n"
       "}\n\n"
       "complete -F _openclaw_host openclaw-host\n";
  return s.str();
}

// A zsh _describe entry: "name:description" (colons in the name escaped).
std::string described(const std::string& name, const std::string& about) {
  std::string out;
  for (char c : name) out += c == ':' ? std::string("\\:") : std::string(1, c);
  return about.empty() ? out : out + ":" + about;
}

std::string zsh_array(const std::vector<std::string>& items) {
  std::string out = "(";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + quoted(items[i]);
  return out + ")";
}

std::string zsh_script(const std::vector<Level>& all) {
  std::ostringstream s;
  s << "#compdef openclaw-host\n"
       "# zsh completion for openclaw-host "
    << kVersion
    << ", generated by `openclaw-host completion zsh`.\n"
       "# Use: save it as _openclaw-host in a directory on $fpath (before compinit), or\n"
       "# source <(openclaw-host completion zsh) after compinit.\n"
    << kProfilesNote << "\n"
    << "_openclaw-host_spec() {\n"
       "  subs=() opts=() vopts=() files=0\n"
       "  case $1 in\n";
  for (const auto& l : all) {
    std::vector<std::string> subs, opts, vopts;
    for (const auto& [name, about] : l.subs) subs.push_back(described(name, about));
    for (const auto& o : l.options) {
      opts.push_back(described("--" + o.name, o.description));
      if (!o.value_name.empty()) vopts.push_back("--" + o.name);
    }
    s << "    " << quoted(l.words) << ")";
    if (!subs.empty()) s << " subs=" << zsh_array(subs);
    if (!opts.empty()) s << " opts=" << zsh_array(opts);
    if (!vopts.empty()) s << " vopts=" << zsh_array(vopts);
    if (l.file_args) s << " files=1";
    s << " ;;\n";
  }
  s << "  esac\n}\n\n"
       "_openclaw-host_profiles() {\n"
       "  local d n\n"
       "  local -a names\n"
       "  for d in ${OPENCLAW_HOME:-$HOME}/.openclaw-*(N/); do\n"
       "    n=${d:t}\n"
       "    n=${n#.openclaw-}\n"
       "    [[ $n =~ '^[A-Za-z0-9_-]+$' ]] && names+=($n)\n"
       "  done\n"
       "  compadd -- $names\n"
       "}\n\n"
       "_openclaw-host_value() {\n"
       "  case $1 in\n";
  for (const auto& [name, kind_option] : value_options(all)) {
    const auto& [kind, option] = kind_option;
    if (kind.empty()) continue;
    s << "    --" << name << ") ";
    if (kind == "list") {
      s << "compadd -- " << joined(value_lists().at(name));
    } else if (kind == "profiles") {
      s << "_openclaw-host_profiles";
    } else if (kind == "dirs") {
      s << "_files -/";
    } else {
      s << "_files";
    }
    s << " ;;\n";
  }
  s << "  esac\n"
       "}\n\n"
       "_openclaw-host() {\n"
       "  local -a subs opts vopts\n"
       "  local files level='' w i=2 cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
       "  while ((i < CURRENT)); do\n"
       "    w=${words[i]}\n"
       "    _openclaw-host_spec \"$level\"\n"
       "    if [[ $w == -* ]]; then\n"
       "      ((${vopts[(Ie)$w]})) && ((i += 1))\n"
       "    elif [[ $level != *' '* && ${#subs} -gt 0 ]]; then\n"
       "      level=\"${level:+$level }$w\"\n"
       "    fi\n"
       "    ((i += 1))\n"
       "  done\n"
       "  _openclaw-host_spec \"$level\"\n"
       "  if [[ $cur == --*=* ]]; then\n"
       "    prev=${cur%%=*}\n"
       "    compset -P '*='\n"
       "  fi\n"
       "  if ((${vopts[(Ie)$prev]})); then\n"
       "    _openclaw-host_value $prev\n"
       "  elif [[ $cur == -* ]]; then\n"
       "    _describe -t options option opts\n"
       "  elif [[ $level != *' '* && ${#subs} -gt 0 ]]; then\n"
       "    _describe -t commands command subs\n"
       "  elif ((files)); then\n"
       "    _files\n"
       "  fi\n"
       "}\n\n"
       "if [[ ${funcstack[1]} == _openclaw-host ]]; then\n"
       "  _openclaw-host \"$@\"\n"
       "else\n"
       "  compdef _openclaw-host openclaw-host\n"
       "fi\n";
  return s.str();
}

}  // namespace

int cmd_completion(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("list", "print every command and subcommand, one per line")(
      "shell", po::value<std::string>(), "bash or zsh");
  po::positional_options_description pos;
  pos.add("shell", 1);
  auto vm = parse_command(
      ctx, "completion bash|zsh | completion --list",
      "Prints a completion script for bash or zsh: the commands, each command's options and\n"
      "subcommands, and the profile names found on disk (~/.openclaw-NAME, under OPENCLAW_HOME\n"
      "when set). The packages install both scripts; by hand:\n"
      "  bash   source <(openclaw-host completion bash) in ~/.bashrc, or save the output as\n"
      "         ~/.local/share/bash-completion/completions/openclaw-host\n"
      "  zsh    save the output as _openclaw-host in a directory on $fpath (before compinit)\n\n"
      "--list prints every command and subcommand, one per line (scripts/gen-cli-docs uses it).",
      opts, pos, args);
  if (!vm) return 0;
  if (vm->count("list")) {
    if (vm->count("shell")) throw usage_error("completion --list takes no shell");
    for (const auto& c : commands()) {
      *ctx.out << c.name << "\n";
      for (const auto& s : c.subcommands) *ctx.out << c.name << " " << s << "\n";
    }
    return 0;
  }
  if (!vm->count("shell")) {
    throw usage_error(
        "completion needs a shell: bash or zsh (see `openclaw-host completion --help`)");
  }
  const std::string shell = (*vm)["shell"].as<std::string>();
  if (shell != "bash" && shell != "zsh") {
    throw usage_error("completion: unsupported shell \"" + shell + "\" (supported: bash, zsh)");
  }
  std::vector<Level> all = levels(ctx);
  *ctx.out << (shell == "bash" ? bash_script(all) : zsh_script(all));
  return 0;
}

}  // namespace openclaw::cli
