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
  // Read as either gateway answers: ours has uptimeMs and a plugin list with reasons, OpenClaw's
  // plugin errors may be plain ids and it has no uptime.
  const json::object empty;
  const auto& h = health.is_object() ? health.get_object() : empty;
  auto list = [&](const json::object& o, const char* k) -> const json::array& {
    static const json::array none;
    const auto* v = o.if_contains(k);
    return v && v->is_array() ? v->get_array() : none;
  };
  const auto* pv = h.if_contains("plugins");
  const auto& plugins = pv && pv->is_object() ? pv->get_object() : empty;
  *ctx.out << "Gateway healthy: "
           << (inst.paths.profile ? "profile " + *inst.paths.profile : "default profile") << " at "
           << options.url;
  if (const auto* up = h.if_contains("uptimeMs"); up && up->is_int64())
    *ctx.out << ", up " << up->get_int64() / 1000 << " s";
  *ctx.out << "\nPlugins: " << list(plugins, "loaded").size() << " running, "
           << list(plugins, "errors").size() << " failed, " << list(plugins, "unavailable").size()
           << " disabled\n";
  for (const auto& e : list(plugins, "errors")) {
    if (e.is_string()) {
      *ctx.out << "  " << e.get_string().c_str() << "\n";
      continue;
    }
    const auto* id = e.is_object() ? e.get_object().if_contains("id") : nullptr;
    const auto* why = e.is_object() ? e.get_object().if_contains("error") : nullptr;
    *ctx.out << "  " << (id && id->is_string() ? id->get_string().c_str() : "?") << ": "
             << (why && why->is_string() ? why->get_string().c_str() : json::serialize(e).c_str())
             << "\n";
  }
  return 0;
}

}  // namespace openclaw::cli
