// `canvas status [--json]`: the canvas plugin's state from the running gateway (`canvas.status`).
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "core/error.hpp"

namespace openclaw::cli {
namespace json = boost::json;

int cmd_canvas(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print the canvas.status payload");
  add_gateway_client_options(opts, 5000);
  opts.add_options()("words", po::value<std::vector<std::string>>(), "subcommand");
  po::positional_options_description pos;
  pos.add("words", -1);
  auto vm = parse_command(ctx, "canvas status [--json] [--url URL] [--token T]",
                          "The canvas host of this instance: port, root folder, live reload, pages "
                          "connected, last change.\nExit code: 0, 1 refused, 3 no gateway answers.",
                          opts, pos, args);
  if (!vm) return 0;
  std::vector<std::string> words;
  if (vm->count("words")) words = (*vm)["words"].as<std::vector<std::string>>();
  if (words.size() != 1 || words[0] != "status") {
    throw usage_error("canvas takes one subcommand: status (see canvas --help)");
  }
  Instance inst = ctx.instance();
  auto options = gateway_client_options(ctx, *vm, inst);
  // A plugin's method: OpenClaw's gateway lets only operator.admin call methods it does not
  // list as read-only, so it answers "unknown method" (not "missing scope") to this scope.
  options.scopes = {"operator.admin"};
  json::value s;
  try {
    gateway::Client client(options);
    s = client.call("canvas.status");
  } catch (const gateway::GatewayError& e) {
    if (std::string(e.what()).find("unknown method") != std::string::npos) {
      throw usage_error("the gateway has no canvas plugin running (plugins list shows why)",
                        options.url);
    }
    throw usage_error(std::string("canvas status: ") + e.what(), options.url);
  }
  if (vm->count("json")) {
    *ctx.out << json::serialize(s) << "\n";
    return 0;
  }
  const auto& o = s.as_object();
  auto& out = *ctx.out;
  out << "Canvas:      http://127.0.0.1:" << o.at("port").as_int64() << "/__openclaw__/canvas/\n"
      << "Root:        " << o.at("root").as_string().c_str() << "\n"
      << "Documents:   " << o.at("documentsRoot").as_string().c_str() << "\n"
      << "Live reload: " << (o.at("liveReload").as_bool() ? "on" : "off") << ", "
      << o.at("pagesConnected").as_int64() << " page(s) connected\n";
  if (o.at("lastChange").is_object()) {
    const auto& lc = o.at("lastChange").as_object();
    out << "Last change: " << lc.at("paths").as_array().size() << " file(s) at "
        << lc.at("ts").as_int64() << " ms\n";
  }
  return 0;
}

}  // namespace openclaw::cli
