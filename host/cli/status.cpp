// `status [--json]`: the resolved instance (profile, paths, services, ports) and whether its
// gateway runs. Exit 0 running, 3 not running.
#include <chrono>
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "gateway/client.hpp"
#include "gateway/instance_record.hpp"

namespace openclaw::cli {
namespace json = boost::json;

namespace {
json::value port_or_null(const ports::Plan& plan, const std::string& name) {
  const auto* p = plan.find(name);
  return p && !p->is_range() ? json::value(p->port) : json::value(nullptr);
}
}  // namespace

int cmd_status(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print one JSON object");
  auto vm = parse_command(ctx, "status [--json]",
                          "Shows the instance's profile, paths, service names and ports, and "
                          "whether its gateway runs.\nExit code: 0 running, 3 not running.",
                          opts, {}, args);
  if (!vm) return 0;
  Instance inst = ctx.instance();
  auto live = gateway::read_live_record(inst.paths.state_dir);
  const auto& plan = inst.plan;
  // A running gateway's real ports win over the config's (it may run on --port).
  const int base = live ? live->base : plan.base;
  auto port_of = [&](const std::string& name) -> json::value {
    if (live) {
      auto it = live->ports.find(name);
      return it != live->ports.end() ? json::value(it->second) : json::value(nullptr);
    }
    return port_or_null(plan, name);
  };
  // The CDP range is control + 9 .. control + 108, whatever profiles exist.
  const int cdp_lo = base + sdk::PortLayout::cdp_first, cdp_hi = base + sdk::PortLayout::cdp_last;

  // A running instance: probe every leased port and ask the gateway for its plugins' states.
  std::map<std::string, bool> answers;
  std::optional<std::pair<int, std::string>> ready;
  json::array plugins;
  if (live) {
    for (const auto& [name, port] : live->ports) {
      answers[name] = gateway::port_answers("127.0.0.1", port, std::chrono::milliseconds(300));
    }
    if (live->ports.count("gateway")) {
      ready = gateway::http_get("127.0.0.1", live->ports.at("gateway"), "/ready",
                                std::chrono::milliseconds(1000));
    }
    if (ready) {
      boost::system::error_code ec;
      json::value v = json::parse(ready->second, ec);
      if (!ec && v.is_object() && v.as_object().contains("plugins"))
        plugins = v.at("plugins").as_array();
    }
  }

  if (vm->count("json")) {
    json::object o = status_json(inst, port_of);
    o["running"] = live.has_value();
    o["pid"] = live ? json::value(live->pid) : json::value(nullptr);
    if (live) {
      o["version"] = live->version;
      o["uptimeMs"] = now_ms() - live->started_at_ms;
      json::object leased;
      for (const auto& [name, port] : live->ports) {
        leased[name] = json::object{{"port", port}, {"answers", answers.at(name)}};
      }
      o["leasedPorts"] = std::move(leased);
      o["healthy"] = ready.has_value() && ready->first == 200;
      o["plugins"] = plugins;
      json::array restart;
      for (const auto& k : live->restart_needed) restart.emplace_back(k);
      o["restartNeeded"] = std::move(restart);
    }
    *ctx.out << json::serialize(o) << "\n";
  } else {
    auto& out = *ctx.out;
    auto row = [&](const char* k, const std::string& v) {
      std::string key = k;
      key.resize(12, ' ');
      out << key << v << "\n";
    };
    auto port_text = [&](const std::string& name) {
      json::value p = port_of(name);
      return p.is_int64() ? std::to_string(p.get_int64()) : std::string("disabled");
    };
    row("Profile:", inst.paths.profile ? *inst.paths.profile : "default");
    row("State dir:", inst.where(inst.paths.state_dir));
    row("Config:", inst.where(inst.paths.config_path) +
                       (inst.config.exists() ? "" : " (not created yet: run setup)"));
    row("Workspace:", inst.where(inst.workspace));
    row("Service:",
        inst.paths.systemd_unit + " (systemd), " + inst.paths.launchd_label + " (launchd)");
    std::string running = live ? "running (pid " + std::to_string(live->pid) + ")" : "not running";
    if (ctx.color) running = (live ? "\033[32m" : "\033[33m") + running + "\033[0m";
    std::string source = inst.base.source;
    if (live && live->base != plan.base) {
      source = "as it was started; the config says " + std::to_string(plan.base);
    }
    row("Gateway:", running + " on port " + std::to_string(base) + " (" + source + ")");
    row("Ports:", "gateway " + port_text("gateway") + ", browser control " +
                      port_text("browser.control") + ", canvas " + port_text("canvas") + ", CDP " +
                      std::to_string(cdp_lo) + "-" + std::to_string(cdp_hi));
    if (live) {
      row("Version:",
          live->version + ", up " + std::to_string((now_ms() - live->started_at_ms) / 1000) + " s");
      row("Health:", !ready                ? "gateway does not answer HTTP"
                     : ready->first == 200 ? "ok"
                                           : "degraded (a plugin failed)");
      for (const auto& [name, port] : live->ports) {
        row("", name + " " + std::to_string(port) +
                    (answers[name] ? " answers" : " leased, not listening"));
      }
      for (const auto& p : plugins) {
        std::string reason(p.at("reason").as_string());
        row("", "plugin " + std::string(p.at("id").as_string()) + ": " +
                    std::string(p.at("state").as_string()) +
                    (reason.empty() ? "" : " (" + reason + ")"));
      }
      for (const auto& key : live->restart_needed) {
        row("Restart:", key + " changed: restart the gateway to apply it");
      }
    }
  }
  return live ? 0 : static_cast<int>(Exit::not_running);
}

}  // namespace openclaw::cli
