// `config file|get|set|unset|validate`: read and edit the instance's config by dotted key path.
// Writes are atomic with a .bak; unknown keys are kept; a config that does not parse is never
// written.
#include <iostream>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "channels/access.hpp"
#include "cli/context.hpp"
#include "config/config.hpp"
#include "config/history.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "gateway/instance_record.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/config_schema.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/json.hpp"
#include "plugins/loader.hpp"
#include "plugins/manager.hpp"

namespace openclaw::cli {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kConfigHelp =
    "Usage: openclaw-host [--profile NAME] config <subcommand>\n\n"
    "Subcommands:\n"
    "  file                 print the active config path\n"
    "  get KEY [--json] [--show-secrets]\n"
    "                       print the value at a dotted key path (e.g. gateway.port);\n"
    "                       secrets print redacted unless --show-secrets\n"
    "  set KEY VALUE        set a key; VALUE is JSON when it parses as JSON, else a string\n"
    "                       (--string forces a string); the result must validate\n"
    "  unset KEY            remove a key\n"
    "  validate [--json]    check every key openclaw-host uses; exit 1 listing each problem\n"
    "  schema [--json]      every key the host and the plugins check: type, default, reader\n"
    "  history [--json]     the versions kept before each write (newest 20) and the\n"
    "                       last-known-good one (a gateway ran healthy with it for 60 s)\n"
    "  rollback [N|good] [--dry-run]\n"
    "                       restore version N of `config history` (default 1: undo the last\n"
    "                       write) or the last-known-good one; says which keys change\n";

// What OpenClaw says of the old place of `key` (a moved key).
std::string moved_reason(const std::string& key) {
  for (const auto& m : config::moved_keys()) {
    if (config::current_key(key) != key && config::overlaps(key, m.from)) return m.why;
  }
  return "OpenClaw's schema refuses the old place";
}

bool starts_with_key(const std::string& key, const std::string& prefix) {
  return key == prefix || key.rfind(prefix + ".", 0) == 0 || prefix.rfind(key + ".", 0) == 0 ||
         key.rfind(prefix + "[", 0) == 0;
}

// The problems the enabled plugins' own validate() finds in `cfg`: the checks they make at start,
// so the CLI never stores a config a plugin then refuses. Loading costs a few ms per plugin.
std::vector<config::Problem> plugin_problems(Context& ctx, const config::Config& cfg) {
  std::vector<config::Problem> out;
  std::optional<Instance> inst;
  try {
    inst = resolve_instance(ctx.paths, cfg, std::nullopt, ctx.env);
  } catch (const Error&) {
    return out;  // the host's own checks or the port plan fail: reported on their own
  }
  auto search =
      plugins::search_path(inst->paths.state_dir, inst->paths.home, cfg.root(), ctx.env, ctx.argv0);
  boost::asio::io_context io;
  plugins::Manager manager(*inst, io, [](sdk::LogLevel, const std::string&) {});
  manager.load(search);
  for (auto& p : manager.validate_configs()) out.push_back({p.key, p.key + ": " + p.message});
  return out;
}

// Why the instance's port plan cannot be made from `cfg`, empty when it can.
std::string plan_error(Context& ctx, const config::Config& cfg) {
  try {
    resolve_instance(ctx.paths, cfg, std::nullopt, ctx.env);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// After a write: whether the profile's running gateway applies `key` at once (its plugins and
// channels follow the file) or only after a restart. Nothing when no gateway runs.
void say_how_applied(Context& ctx, const std::string& key) {
  auto live = gateway::read_live_record(ctx.paths.state_dir);
  if (!live) return;
  if (config::needs_gateway_restart(key)) {
    *ctx.out << "Saved; restart the gateway to apply it (pid " << live->pid << " runs the old "
             << key << ")\n";
  } else {
    *ctx.out << "Saved; the running gateway applies it at once (pid " << live->pid << ")\n";
  }
}

int config_get(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("key", po::value<std::string>()->required(), "dotted key path")(
      "json", "print the value as JSON (strings quoted)")(
      "show-secrets", "print tokens, secrets and passwords instead of __OPENCLAW_REDACTED__");
  po::positional_options_description pos;
  pos.add("key", 1);
  auto vm = parse_command(ctx, "config get KEY [--json] [--show-secrets]",
                          "Prints the value at KEY. Secrets (tokens, passwords, ...) print as\n"
                          "__OPENCLAW_REDACTED__ unless --show-secrets is given.",
                          opts, pos, args);
  if (!vm) return 0;
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  std::string key = (*vm)["key"].as<std::string>();
  const json::value* found = config::find(cfg.root(), config::split_key(key));
  if (!found) found = config::find(cfg.root(), config::split_key(config::current_key(key)));
  if (!found) throw usage_error("config key " + key + " is not set", cfg.where());
  json::value shown = *found;
  if (!vm->count("show-secrets")) {
    shown =
        sdk::is_secret_key(key) ? json::value("__OPENCLAW_REDACTED__") : sdk::redact_secrets(shown);
  }
  const json::value* v = &shown;
  if (v->is_string() && !vm->count("json")) {
    *ctx.out << v->get_string().c_str() << "\n";
  } else if (v->is_object() || v->is_array()) {
    *ctx.out << sdk::to_pretty_json(*v);
  } else {
    *ctx.out << json::serialize(*v) << "\n";
  }
  return 0;
}

int config_set(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("key", po::value<std::string>()->required(), "dotted key path")(
      "value", po::value<std::string>()->required(), "JSON value or string")(
      "string", "store VALUE as a string even when it parses as JSON");
  po::positional_options_description pos;
  pos.add("key", 1).add("value", 1);
  auto vm =
      parse_command(ctx, "config set KEY VALUE [--string]",
                    "Sets KEY (creating parent objects) and saves atomically.", opts, pos, args);
  if (!vm) return 0;
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  std::string key = (*vm)["key"].as<std::string>();
  std::string raw = (*vm)["value"].as<std::string>();
  json::value value =
      vm->count("string") ? json::value(json::string(raw)) : config::parse_cli_value(raw);
  if (config::overlaps(key, "ports")) {
    // Host-private state, not config: a root "ports" key makes OpenClaw refuse the whole file.
    throw usage_error("ports is not a config key: the gateway remembers the ports it chose in " +
                          ctx.paths.state_dir.string() +
                          "/ports-assigned.json (OpenClaw's schema has no root \"ports\" key)",
                      cfg.where());
  }
  const bool plan_was_valid = plan_error(ctx, cfg).empty();
  // A key OpenClaw's schema refuses where earlier versions kept it goes to its place now, and
  // anything else still at an old place moves with it: the profile stays one OpenClaw starts on.
  if (std::string now = config::current_key(key); now != key) {
    *ctx.out << "Note: " << key << " is kept at " << now << " (" << moved_reason(key) << ")\n";
    key = now;
  }
  config::assign(cfg.root(), config::split_key(key), value);
  for (const auto& move : config::move_retired_keys(cfg.root())) {
    *ctx.out << "Moved " << move << " (OpenClaw's schema refuses the old place)\n";
  }
  // Refuse a value that breaks the key being set; problems elsewhere stay fixable key by key.
  for (const auto& p : config::validate(cfg.root())) {
    if (starts_with_key(p.key, key)) throw usage_error(p.message, cfg.where());
  }
  // The whole port plan must still hold (else every command of the profile would fail after).
  if (std::string why = plan_error(ctx, cfg); plan_was_valid && !why.empty()) {
    throw usage_error(key + " = " + json::serialize(value) + " breaks the port plan: " + why,
                      cfg.where());
  }
  for (const auto& p : plugin_problems(ctx, cfg)) {
    if (starts_with_key(p.key, key)) throw usage_error(p.message, cfg.where());
  }
  cfg.save(ctx.paths.state_dir, "cli");
  std::string printed =
      sdk::is_secret_key(key) ? "(secret, not shown)" : json::serialize(sdk::redact_secrets(value));
  *ctx.out << "Set " << key << " = " << printed << " (" << cfg.where() << ")\n";
  say_how_applied(ctx, key);
  return 0;
}

int config_unset(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("key", po::value<std::string>()->required(), "dotted key path");
  po::positional_options_description pos;
  pos.add("key", 1);
  auto vm =
      parse_command(ctx, "config unset KEY", "Removes KEY and saves atomically.", opts, pos, args);
  if (!vm) return 0;
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  std::string key = (*vm)["key"].as<std::string>();
  // Both places of a moved key (see config::moved_keys).
  bool at_new = false;
  if (std::string now = config::current_key(key); now != key) {
    at_new = config::erase(cfg.root(), config::split_key(now));
  }
  if (!config::erase(cfg.root(), config::split_key(key)) && !at_new) {
    *ctx.out << "Config key " << key << " was not set; nothing changed (" << cfg.where() << ")\n";
    return 0;
  }
  cfg.save(ctx.paths.state_dir, "cli");
  *ctx.out << "Removed " << key << " (" << cfg.where() << ")\n";
  say_how_applied(ctx, key);
  return 0;
}

int config_validate(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print {\"ok\":bool,\"path\":...,\"problems\":[{key,message}]}");
  auto vm =
      parse_command(ctx, "config validate [--json]",
                    "Checks the types and ranges of every key openclaw-host uses.", opts, {}, args);
  if (!vm) return 0;
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  auto problems = config_problems(ctx, cfg);
  if (vm->count("json")) {
    json::array arr;
    for (const auto& p : problems)
      arr.push_back(json::object{{"key", p.key}, {"message", p.message}});
    json::object o{{"ok", problems.empty()},
                   {"path", cfg.path().string()},
                   {"exists", cfg.exists()},
                   {"problems", std::move(arr)}};
    *ctx.out << json::serialize(o) << "\n";
  } else if (problems.empty()) {
    *ctx.out << (cfg.exists() ? "Config is valid (" : "No config file yet; defaults apply (")
             << cfg.where() << ")\n";
    json::object copy = cfg.root();
    for (const auto& move : config::move_retired_keys(copy)) {
      *ctx.out << "Note: " << move.substr(0, move.find(' '))
               << " is read, but the real OpenClaw refuses it there: the gateway's next start (or "
                  "any `config set`) moves it ("
               << move << ")\n";
    }
  } else {
    *ctx.err << "openclaw-host: error: config has " << problems.size() << " problem"
             << (problems.size() == 1 ? "" : "s") << " (" << cfg.where() << "):\n";
    for (const auto& p : problems) *ctx.err << "  " << p.message << "\n";
  }
  return problems.empty() ? 0 : static_cast<int>(Exit::usage);
}

std::string keys_text(const std::vector<std::string>& keys) {
  if (keys.empty()) return "no key changed";
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

int config_history(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json",
                     "print {\"good\": {at, now}|null, \"versions\": [{n, at, by, keys, now}]}");
  auto vm = parse_command(ctx, "config history [--json]",
                          "Lists the versions the config had (newest first, the last 20): when, "
                          "who wrote each\n(cli, setup, rescue (irc owner), found on disk) and "
                          "which keys it changed; the one the\nfile holds now is marked, and the "
                          "last-known-good version (a gateway ran healthy with\nit for 60 s). "
                          "`config rollback N|good` restores one.",
                          opts, {}, args);
  if (!vm) return 0;
  const auto& state_dir = ctx.paths.state_dir;
  auto versions = config::read_history(state_dir);
  auto good = config::read_good(state_dir);
  std::string current;
  try {
    current = sdk::read_regular_file(ctx.paths.config_path).value_or("");
  } catch (const std::exception&) {
    // listed without the "(now)" mark
  }
  if (vm->count("json")) {
    json::array arr;
    for (const auto& v : versions) {
      json::array keys;
      for (const auto& k : v.keys) keys.emplace_back(k);
      arr.push_back(json::object{{"n", v.n},
                                 {"at", v.at_ms},
                                 {"by", v.by},
                                 {"keys", std::move(keys)},
                                 {"now", v.text == current}});
    }
    json::value g =
        good ? json::value(json::object{{"at", good->at_ms}, {"now", good->text == current}})
             : json::value(nullptr);
    *ctx.out << json::serialize(json::object{{"good", g}, {"versions", std::move(arr)}}) << "\n";
    return 0;
  }
  std::string where = profile::display_path(ctx.paths.config_path, ctx.paths.home);
  if (versions.empty() && !good) {
    *ctx.out << "No version of " << where << " is kept yet (every write keeps one).\n";
    return 0;
  }
  auto now = [&](const std::string& text) { return text == current ? "  (now)" : ""; };
  *ctx.out << "Versions of " << where << ", newest first (`config rollback N|good`):\n";
  if (good) {
    *ctx.out << "  good  " << utc_time_of_day(good->at_ms) << " (" << ago(good->at_ms)
             << ")  last-known-good: a gateway ran healthy with it" << now(good->text) << "\n";
  }
  for (const auto& v : versions) {
    *ctx.out << "  " << v.n << (v.n < 10 ? "     " : "    ") << utc_time_of_day(v.at_ms) << " ("
             << ago(v.at_ms) << ")  by " << (v.by.empty() ? "?" : v.by) << ": " << keys_text(v.keys)
             << now(v.text) << "\n";
  }
  return 0;
}

// The version `which` names ("good", "N", or "" for the newest that is not `current`).
config::HistoryEntry chosen_version(Context& ctx, std::string& which, const std::string& current) {
  const auto& state_dir = ctx.paths.state_dir;
  std::string history_where = profile::display_path(config::history_dir(state_dir), ctx.paths.home);
  if (which == "good") {
    auto good = config::read_good(state_dir);
    if (!good) {
      throw usage_error("no last-known-good config yet (a gateway marks it after 60 s healthy)",
                        history_where);
    }
    return *good;
  }
  auto versions = config::read_history(state_dir);
  if (which.empty()) {
    for (auto& v : versions) {
      if (v.text == current) continue;
      which = std::to_string(v.n);
      return v;
    }
    throw usage_error("no earlier version of the config is kept", history_where);
  }
  char* end = nullptr;
  long n = std::strtol(which.c_str(), &end, 10);
  if (*end || n < 1 || n > 1000) {
    throw usage_error("config rollback: expected N (1, 2, ...) or good, got \"" + which + "\"");
  }
  if (static_cast<std::size_t>(n) > versions.size()) {
    throw usage_error("config rollback: there is no version " + which + " (" +
                          std::to_string(versions.size()) + " kept; see `config history`)",
                      history_where);
  }
  return versions[static_cast<std::size_t>(n - 1)];
}

int config_rollback(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("version", po::value<std::string>(), "N or good")(
      "dry-run", "say what would change; write nothing");
  po::positional_options_description pos;
  pos.add("version", 1);
  auto vm = parse_command(ctx, "config rollback [N|good] [--dry-run]",
                          "Restores version N of `config history`, or the last-known-good one, "
                          "atomically. Without N:\nthe newest version that is not the file now "
                          "(undoes the last write, or a hand edit since).\nThe rollback is a "
                          "version of its own, so it can be rolled back. Works when the\ncurrent "
                          "file does not parse.",
                          opts, pos, args);
  if (!vm) return 0;
  const auto& state_dir = ctx.paths.state_dir;
  const auto& path = ctx.paths.config_path;
  std::string where = profile::display_path(path, ctx.paths.home);
  std::string current;
  try {
    current = sdk::read_regular_file(path).value_or("");
  } catch (const std::exception& e) {
    throw usage_error(std::string("cannot read the config: ") + e.what(), where);
  }
  std::string which = vm->count("version") ? (*vm)["version"].as<std::string>() : "";
  config::HistoryEntry chosen = chosen_version(ctx, which, current);
  std::string label = which == "good"
                          ? "the last-known-good version"
                          : "version " + which + " (from " + utc_time_of_day(chosen.at_ms) + ", " +
                                ago(chosen.at_ms) + ")";
  if (current == chosen.text) {
    *ctx.out << where << " already is " << label << "; nothing changed.\n";
    return 0;
  }
  auto keys = config::changed_between(current, chosen.text);
  if (vm->count("dry-run")) {
    *ctx.out << "Would restore " << label << " of " << where << ": " << keys_text(keys) << "\n";
    return 0;
  }
  try {
    config::record_write(state_dir, current, chosen.text,
                         config::writer("rollback") + " (restored " +
                             (which == "good" ? std::string("good") : "version " + which) + ")");
    sdk::create_private_dirs(path.parent_path());
    sdk::write_file_atomic(path, chosen.text, fs::perms(0600), /*keep_backup=*/true);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot write config: ") + e.what(), where);
  }
  *ctx.out << "Restored " << label << " of " << where << ": " << keys_text(keys) << "\n";
  for (const auto& k : keys) {
    if (config::needs_gateway_restart(k)) {
      say_how_applied(ctx, k);
      return 0;
    }
  }
  if (!keys.empty()) say_how_applied(ctx, keys.front());
  return 0;
}

}  // namespace

std::vector<config::Problem> config_problems(Context& ctx, const config::Config& cfg) {
  auto problems = config::validate(cfg.root());
  for (auto& p : plugin_problems(ctx, cfg)) problems.push_back(std::move(p));
  if (problems.empty()) {
    // The derived plan can still be impossible (two ports of the instance coincide).
    if (std::string why = plan_error(ctx, cfg); !why.empty()) problems.push_back({"ports", why});
  }
  return problems;
}

// The fallbacks the host applies where its validator cannot see them (they are computed, or read
// by the code that uses the key); every other default comes from the readers themselves.
const std::map<std::string, std::string>& host_fallbacks() {
  static const std::map<std::string, std::string> m{
      {"gateway.port", "18789 (the default profile), 19001 (dev), 20000 + hash (others)"},
      {"gateway.bind", "\"loopback\""},
      {"gateway.auth.mode", "\"token\" when a token is set"},
      {"browser.enabled", "true"},
      {"browser.headless", "false with a display, else true"},
      {"browser.evaluateEnabled", "false"},
      {"browser.attachOnly", "false"},
      {"browser.noSandbox", "false"},
      {"browser.defaultProfile", "\"openclaw\""},
      {"canvasHost.enabled", "true"},
      {"canvasHost.port", "gateway.port + 4"},
      {"canvasHost.root", "<state dir>/canvas"},
      {"agents.defaults.workspace", "~/.openclaw/workspace[-<profile>]"},
  };
  return m;
}

// `config schema`: the validators themselves, run on an empty config under a recorder (the
// host's checks, then each plugin found on the search path), say which keys exist.
int config_schema(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print [{key, type, default, readers}]")(
      "markdown", "print the table of docs/config-reference.md");
  auto vm = parse_command(ctx, "config schema [--json | --markdown]",
                          "Lists every config key the host and the plugins on the search path "
                          "check, with its type,\nits default and who reads it — learned from "
                          "the validators themselves, run on an\nempty config.",
                          opts, {}, args);
  if (!vm) return 0;
  std::vector<sdk::ConfigKey> keys;
  {
    sdk::ConfigSchemaRecorder host("host");
    (void)config::validate(json::object{});
    (void)channels::access_of(json::object{}, "<channel>", nullptr);  // who may talk to a bot
    keys = host.keys();
  }
  Instance inst = resolve_instance(
      ctx.paths, config::Config::parse("{}", ctx.paths.config_path, ctx.paths.home), std::nullopt,
      ctx.env);
  auto search = plugins::search_path(inst.paths.state_dir, inst.paths.home, inst.config.root(),
                                     ctx.env, ctx.argv0);
  boost::asio::io_context io;
  plugins::Manager manager(inst, io, [](sdk::LogLevel, const std::string&) {});
  manager.load(search);
  for (auto& k : manager.config_schema()) keys.push_back(std::move(k));
  // One row per key: its readers joined, the first type and fallback that say something.
  struct Row {
    std::string type, fallback, readers;
  };
  std::map<std::string, Row> rows;
  for (const auto& k : keys) {
    Row& r = rows[k.key];
    if (r.type.empty()) r.type = k.type;
    if (r.fallback.empty()) r.fallback = k.fallback;
    if (r.readers.find(k.reader) == std::string::npos)
      r.readers += (r.readers.empty() ? "" : ", ") + k.reader;
  }
  for (const auto& [key, fallback] : host_fallbacks()) {
    if (auto it = rows.find(key); it != rows.end() && it->second.fallback.empty())
      it->second.fallback = fallback;
  }
  if (vm->count("json")) {
    json::array arr;
    for (const auto& [key, r] : rows) {
      arr.push_back(json::object{
          {"key", key}, {"type", r.type}, {"default", r.fallback}, {"readers", r.readers}});
    }
    *ctx.out << json::serialize(arr) << "\n";
    return 0;
  }
  auto cell = [](const std::string& s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  if (vm->count("markdown")) {
    *ctx.out << "| key | type | default | read by |\n|---|---|---|---|\n";
    for (const auto& [key, r] : rows) {
      *ctx.out << "| `" << key << "` | " << cell(r.type) << " | "
               << (r.fallback.empty() ? "" : "`" + cell(r.fallback) + "`") << " | " << r.readers
               << " |\n";
    }
    return 0;
  }
  for (const auto& [key, r] : rows) {
    *ctx.out << pad(key, 58) << pad(r.type, 26) << pad(r.fallback.empty() ? "-" : r.fallback, 20)
             << r.readers << "\n";
  }
  return 0;
}

int cmd_config(Context& ctx, const std::vector<std::string>& args) {
  if (args.empty()) {
    throw usage_error(
        "config: missing subcommand: file, get, set, unset, validate, history or rollback (see "
        "`openclaw-host config --help`)");
  }
  if (args[0] == "--help" || args[0] == "-h") {
    *ctx.out << kConfigHelp;
    return 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& sub = args[0];
  if (sub == "file") {
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
      *ctx.out << "Usage: openclaw-host [--profile NAME] config file\n\nPrints the active config "
                  "path.\n";
      return 0;
    }
    if (!rest.empty()) throw usage_error("config file takes no arguments, got \"" + rest[0] + "\"");
    *ctx.out << ctx.paths.config_path.string() << "\n";
    return 0;
  }
  if (sub == "get") return config_get(ctx, rest);
  if (sub == "set") return config_set(ctx, rest);
  if (sub == "unset") return config_unset(ctx, rest);
  if (sub == "validate") return config_validate(ctx, rest);
  if (sub == "schema") return config_schema(ctx, rest);
  if (sub == "history") return config_history(ctx, rest);
  if (sub == "rollback") return config_rollback(ctx, rest);
  throw usage_error("config: unknown subcommand \"" + sub +
                    "\" (file, get, set, unset, validate, schema, history, rollback)");
}

}  // namespace openclaw::cli
