#pragma once
// What every command gets: the global options, the environment snapshot and the resolved
// profile paths, plus helpers shared by the command families.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/program_options.hpp>

#include "core/environment.hpp"
#include "gateway/client.hpp"
#include "instance/instance.hpp"
#include "profile/profile.hpp"

namespace openclaw::plugins {
struct Record;
}

namespace openclaw::cli {

namespace po = boost::program_options;

/// A command's help as data: the usage, summary and options parse_command() prints for --help.
struct CommandSpec {
  struct Option {
    std::string name;        ///< the long name, without "--"
    std::string value_name;  ///< "N", "DIR", ...; empty for a flag
    std::string description;
  };
  std::string usage;    ///< after "openclaw-host [--profile NAME] "
  std::string summary;  ///< the text between the usage line and the options
  std::vector<Option> options;
};

struct Context {
  profile::Selection selection;
  Environment env;
  profile::Paths paths;
  std::string log_level = "info";
  bool color = true;
  std::string argv0;  ///< absolute path of this executable when known
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  /// When set, `--help` records the command's spec here instead of printing it (parse_command);
  /// the `completion` command reads every command's options this way, from the tables --help
  /// prints.
  CommandSpec* spec = nullptr;

  /// Loads the config and resolves the instance (base port from `port_flag` first).
  Instance instance(std::optional<int> port_flag = std::nullopt) const;
};

/// One command's parsed arguments, or nullopt when --help was printed.
std::optional<po::variables_map> parse_command(Context& ctx, const std::string& usage,
                                               const std::string& summary,
                                               const po::options_description& options,
                                               const po::positional_options_description& positional,
                                               const std::vector<std::string>& args);

/// The gateway token: `--token` (when the command has it) > OPENCLAW_GATEWAY_TOKEN >
/// gateway.auth.token.
std::optional<std::string> gateway_token(const Context& ctx, const po::variables_map& vm,
                                         const Instance& inst);

/// Client options for the running gateway of `inst`: `--url` (else the live record's port, else
/// the base port), the token as gateway_token(), and `--timeout` (a positive MS).
/// Adds `--url`, `--token` and `--timeout MS` (default `timeout_ms`): what gateway_client_options()
/// reads.
void add_gateway_client_options(po::options_description& opts, int timeout_ms);

gateway::ClientOptions gateway_client_options(const Context& ctx, const po::variables_map& vm,
                                              const Instance& inst);

/// `s` padded with spaces to `width`, plus one separating space (for tables).
std::string pad(std::string s, size_t width);

/// Reads an optional `--port` value from parsed options (validated 1..65535).
std::optional<int> port_option(const po::variables_map& vm, const char* name = "port");

/// A plugin as `plugins list|info|doctor` report it when they check it themselves: its record as
/// JSON, the state `ok` for a loaded one, or `invalid-config` with `config_problem` (what its
/// validate() refuses, key paths included) as the reason when that is not empty.
boost::json::object checked_plugin(const plugins::Record& record,
                                   const std::string& config_problem);

using CommandFn = int (*)(Context&, const std::vector<std::string>&);

/// A row of the command table (cli.cpp): what `openclaw-host --help` lists and `completion`
/// completes.
struct CommandInfo {
  std::string name;
  std::string summary;
  std::vector<std::string> subcommands;  ///< the words its first argument may be, or none
  CommandFn fn = nullptr;
};

/// Every command, in the order `--help` lists them.
std::vector<CommandInfo> commands();

/// The global options (before the command), as `--help` shows them.
po::options_description global_options();

/// The options of `options` as `--help` shows them, as data.
std::vector<CommandSpec::Option> describe_options(const po::options_description& options);

// Command families, one file each.
int cmd_setup(Context& ctx, const std::vector<std::string>& args);
int cmd_onboard(Context& ctx, const std::vector<std::string>& args);
int cmd_config(Context& ctx, const std::vector<std::string>& args);
int cmd_doctor(Context& ctx, const std::vector<std::string>& args);
/// Every problem `config validate` reports for `cfg`: the host's checks, the enabled plugins'
/// own validate(), and the port plan.
std::vector<config::Problem> config_problems(Context& ctx, const config::Config& cfg);
int cmd_status(Context& ctx, const std::vector<std::string>& args);
int cmd_ports(Context& ctx, const std::vector<std::string>& args);
int cmd_gateway(Context& ctx, const std::vector<std::string>& args);
int cmd_plugins(Context& ctx, const std::vector<std::string>& args);
int cmd_health(Context& ctx, const std::vector<std::string>& args);
int cmd_browser(Context& ctx, const std::vector<std::string>& args);
int cmd_canvas(Context& ctx, const std::vector<std::string>& args);
int cmd_channels(Context& ctx, const std::vector<std::string>& args);
int cmd_message(Context& ctx, const std::vector<std::string>& args);
int cmd_pairing(Context& ctx, const std::vector<std::string>& args);
int cmd_completion(Context& ctx, const std::vector<std::string>& args);

/// Entry point: parses global options, dispatches, prints errors as one line.
int run(int argc, char** argv);

}  // namespace openclaw::cli
