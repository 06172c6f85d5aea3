#include "instance/instance.hpp"

#include <boost/json.hpp>

#include "core/error.hpp"

namespace openclaw {
namespace fs = std::filesystem;

fs::path resolve_workspace(const profile::Paths& paths, const config::Config& config) {
  if (auto ws = config::get_string(config.root(), "agents.defaults.workspace")) {
    return fs::absolute(profile::expand_user(*ws, paths.home)).lexically_normal();
  }
  return paths.default_workspace;
}

Instance resolve_instance(const profile::Paths& paths, config::Config config,
                          std::optional<int> port_flag, const Environment& env) {
  config::require_valid(config);
  Instance inst{paths, std::move(config), {}, {}, {}};
  inst.workspace = resolve_workspace(paths, inst.config);
  std::optional<int> config_port;
  if (auto p = config::get_int(inst.config.root(), "gateway.port"))
    config_port = static_cast<int>(*p);
  inst.base =
      profile::resolve_base_port(port_flag, env, config_port, paths.profile, inst.config.where());
  try {
    inst.plan = ports::make_plan(inst.base.port, inst.base.source,
                                 ports::standard_requests(inst.config.root()));
  } catch (const Error& e) {
    throw usage_error(e.what(), inst.config.where());
  }
  return inst;
}

boost::json::object status_json(
    const Instance& inst, const std::function<boost::json::value(const std::string&)>& port_of) {
  namespace json = boost::json;
  const auto& paths = inst.paths;
  // A running gateway's base wins over the config's (it may run on --port).
  const json::value gw = port_of("gateway");
  const int base = gw.is_int64() ? static_cast<int>(gw.get_int64()) : inst.plan.base;
  return json::object{
      {"profile", paths.profile ? json::value(*paths.profile) : json::value(nullptr)},
      {"stateDir", paths.state_dir.string()},
      {"configPath", paths.config_path.string()},
      {"workspace", inst.workspace.string()},
      {"service", json::object{{"systemd", paths.systemd_unit}, {"launchd", paths.launchd_label}}},
      {"ports", json::object{{"gateway", gw},
                             {"browserControl", port_of("browser.control")},
                             {"canvas", port_of("canvas")},
                             // The whole CDP range, whatever browser profiles exist.
                             {"cdpRange", json::array{base + sdk::PortLayout::cdp_first,
                                                      base + sdk::PortLayout::cdp_last}}}}};
}

}  // namespace openclaw
