// `gateway [run] [--port N] [--bind loopback|lan] [--token T]`: run the instance's gateway in
// the foreground.
#include <iostream>

#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "gateway/gateway.hpp"

namespace openclaw::cli {

int cmd_gateway(Context& ctx, const std::vector<std::string>& all_args) {
  std::vector<std::string> args = all_args;
  if (!args.empty() && args[0] == "run") args.erase(args.begin());
  po::options_description opts("Options");
  opts.add_options()
      ("port", po::value<std::string>()->value_name("N"),
       "base port (wins over OPENCLAW_GATEWAY_PORT and gateway.port)")
      ("bind", po::value<std::string>()->value_name("MODE"),
       "loopback (default) or lan; lan requires a token")
      ("token", po::value<std::string>()->value_name("T"),
       "gateway token (else OPENCLAW_GATEWAY_TOKEN, else gateway.auth.token)");
  auto vm = parse_command(ctx, "gateway [run] [--port N] [--bind loopback|lan] [--token T]",
                          "Runs the gateway in the foreground: leases every port of the "
                          "instance's plan in the machine-wide\nregistry, serves GET /health on "
                          "the base port, and on Ctrl-C (SIGINT) or SIGTERM releases\neverything "
                          "and exits 0.",
                          opts, {}, args);
  if (!vm) return 0;
  auto port = port_option(*vm);
  auto cfg = config::Config::load(ctx.paths.config_path, ctx.paths.home);
  if (vm->count("bind")) {
    std::string bind = (*vm)["bind"].as<std::string>();
    if (bind != "loopback" && bind != "lan") {
      throw usage_error("--bind must be loopback or lan, got \"" + bind + "\"");
    }
    // In memory only: --bind is for this run, the config file is not changed.
    config::assign(cfg.root(), {"gateway", "bind"}, boost::json::string(bind));
  }
  Instance inst = resolve_instance(ctx.paths, std::move(cfg), port, ctx.env);
  gateway::Options options;
  options.log_level = ctx.log_level;
  options.self_exe = ctx.argv0;
  if (vm->count("token")) {
    options.token = (*vm)["token"].as<std::string>();
  } else if (auto t = ctx.env.get("OPENCLAW_GATEWAY_TOKEN")) {
    options.token = *t;
  } else {
    options.token = config::get_string(inst.config.root(), "gateway.auth.token");
  }
  return gateway::run(std::move(inst), ctx.env, options, *ctx.out, *ctx.err);
}

}  // namespace openclaw::cli
