// `health [--json] [--url U] [--token T] [--timeout MS]`: calls the gateway's `health` method over
// WebSocket, on the profile's own port (never the default one).
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "gateway/client.hpp"

namespace openclaw::cli {
namespace json = boost::json;

int cmd_health(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print the health payload as JSON")(
      "url", po::value<std::string>()->value_name("URL"),
      "gateway WebSocket URL (default: this profile's running gateway, else ws://127.0.0.1:<base "
      "port>)")("token", po::value<std::string>()->value_name("T"),
                "token (else OPENCLAW_GATEWAY_TOKEN, else gateway.auth.token)")(
      "timeout", po::value<int>()->value_name("MS")->default_value(5000),
      "give up after MS milliseconds");
  auto vm =
      parse_command(ctx, "health [--json] [--url URL] [--token T] [--timeout MS]",
                    "Calls the gateway's health method over WebSocket.\nExit code: 0 healthy, "
                    "3 no gateway answers, 1 refused (e.g. wrong token).",
                    opts, {}, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  gateway::ClientOptions options = gateway_client_options(ctx, *vm, inst);

  json::value health;
  try {
    gateway::Client client(options);
    health = client.call("health");
  } catch (const gateway::GatewayError& e) {
    throw usage_error(std::string("gateway refused: ") + e.what() + " [" + e.code + "]",
                      options.url);
  }
  if (vm->count("json")) {
    *ctx.out << json::serialize(health) << "\n";
    return 0;
  }
  const auto& h = health.as_object();
  const auto& plugins = h.at("plugins").as_object();
  *ctx.out << "Gateway healthy: "
           << (inst.paths.profile ? "profile " + *inst.paths.profile : "default profile") << " at "
           << options.url << ", up " << h.at("uptimeMs").as_int64() / 1000 << " s\n"
           << "Plugins: " << plugins.at("loaded").as_array().size() << " running, "
           << plugins.at("errors").as_array().size() << " failed, "
           << plugins.at("unavailable").as_array().size() << " disabled\n";
  for (const auto& e : plugins.at("errors").as_array()) {
    *ctx.out << "  " << e.at("id").as_string().c_str() << ": " << e.at("error").as_string().c_str()
             << "\n";
  }
  return 0;
}

}  // namespace openclaw::cli
