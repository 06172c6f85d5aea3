#include "instance/instance.hpp"

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

}  // namespace openclaw
