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

// What status reports: the instance as its config has it and, when its gateway runs, what the
// gateway's record, its ports and its /ready say.
struct Status {
  Instance inst;
  std::optional<gateway::InstanceRecord> live;
  std::map<std::string, bool> answers;               ///< leased port name -> something listens
  std::optional<std::pair<int, std::string>> ready;  ///< GET /ready: HTTP status and body
  json::array plugins;                               ///< from /ready

  // A running gateway's real ports win over the config's (it may run on --port).
  int base() const { return live ? live->base : inst.plan.base; }
  json::value port_of(const std::string& name) const {
    if (live) {
      auto it = live->ports.find(name);
      return it != live->ports.end() ? json::value(it->second) : json::value(nullptr);
    }
    const auto* p = inst.plan.find(name);
    return p && !p->is_range() ? json::value(p->port) : json::value(nullptr);
  }
};

// A running instance: probe every leased port and ask the gateway for its plugins' states.
void ask_gateway(Status& s) {
  for (const auto& [name, port] : s.live->ports) {
    s.answers[name] = gateway::port_answers("127.0.0.1", port, std::chrono::milliseconds(300));
  }
  if (s.live->ports.count("gateway")) {
    s.ready = gateway::http_get("127.0.0.1", s.live->ports.at("gateway"), "/ready",
                                std::chrono::milliseconds(1000));
  }
  if (s.ready) {
    boost::system::error_code ec;
    json::value v = json::parse(s.ready->second, ec);
    if (!ec && v.is_object() && v.as_object().contains("plugins"))
      s.plugins = v.at("plugins").as_array();
  }
}

json::object status_object(const Status& s) {
  json::object o = status_json(s.inst, [&](const std::string& name) { return s.port_of(name); });
  const auto& live = s.live;
  o["running"] = live.has_value();
  o["pid"] = live ? json::value(live->pid) : json::value(nullptr);
  if (live) {
    o["version"] = live->version;
    o["uptimeMs"] = now_ms() - live->started_at_ms;
    json::object leased;
    for (const auto& [name, port] : live->ports) {
      leased[name] = json::object{{"port", port}, {"answers", s.answers.at(name)}};
    }
    o["leasedPorts"] = std::move(leased);
    o["healthy"] = s.ready.has_value() && s.ready->first == 200;
    o["plugins"] = s.plugins;
    json::array restart;
    for (const auto& k : live->restart_needed) restart.emplace_back(k);
    o["restartNeeded"] = std::move(restart);
  }
  return o;
}

// "Key:        value", the key column 12 wide.
void row(std::ostream& out, const char* k, const std::string& v) {
  std::string key = k;
  key.resize(12, ' ');
  out << key << v << "\n";
}

// The instance as configured and where its gateway runs (or not).
void print_instance(std::ostream& out, const Status& s, bool color) {
  const auto& inst = s.inst;
  const auto& live = s.live;
  auto port_text = [&](const std::string& name) {
    json::value p = s.port_of(name);
    return p.is_int64() ? std::to_string(p.get_int64()) : std::string("disabled");
  };
  // The CDP range is control + 9 .. control + 108, whatever profiles exist.
  const int cdp_lo = s.base() + sdk::PortLayout::cdp_first;
  const int cdp_hi = s.base() + sdk::PortLayout::cdp_last;
  row(out, "Profile:", inst.paths.profile ? *inst.paths.profile : "default");
  row(out, "State dir:", inst.where(inst.paths.state_dir));
  row(out, "Config:",
      inst.where(inst.paths.config_path) +
          (inst.config.exists() ? "" : " (not created yet: run setup)"));
  row(out, "Workspace:", inst.where(inst.workspace));
  row(out, "Service:",
      inst.paths.systemd_unit + " (systemd), " + inst.paths.launchd_label + " (launchd)");
  std::string running = live ? "running (pid " + std::to_string(live->pid) + ")" : "not running";
  if (color) running = (live ? "\033[32m" : "\033[33m") + running + "\033[0m";
  std::string source = inst.base.source;
  if (live && live->base != inst.plan.base) {
    source = "as it was started; the config says " + std::to_string(inst.plan.base);
  }
  row(out, "Gateway:", running + " on port " + std::to_string(s.base()) + " (" + source + ")");
  row(out, "Ports:",
      "gateway " + port_text("gateway") + ", browser control " + port_text("browser.control") +
          ", canvas " + port_text("canvas") + ", CDP " + std::to_string(cdp_lo) + "-" +
          std::to_string(cdp_hi));
}

// What the running gateway says: version, health, each leased port, each plugin.
void print_live(std::ostream& out, const Status& s) {
  const auto& live = *s.live;
  row(out, "Version:",
      live.version + ", up " + std::to_string((now_ms() - live.started_at_ms) / 1000) + " s");
  row(out, "Health:",
      !s.ready                ? "gateway does not answer HTTP"
      : s.ready->first == 200 ? "ok"
                              : "degraded (a plugin failed)");
  for (const auto& [name, port] : live.ports) {
    row(out, "",
        name + " " + std::to_string(port) +
            (s.answers.at(name) ? " answers" : " leased, not listening"));
  }
  for (const auto& p : s.plugins) {
    std::string reason(p.at("reason").as_string());
    row(out, "",
        "plugin " + std::string(p.at("id").as_string()) + ": " +
            std::string(p.at("state").as_string()) + (reason.empty() ? "" : " (" + reason + ")"));
  }
  for (const auto& key : live.restart_needed) {
    row(out, "Restart:", key + " changed: restart the gateway to apply it");
  }
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
  Status s{std::move(inst), std::move(live), {}, {}, {}};
  if (s.live) ask_gateway(s);

  if (vm->count("json")) {
    *ctx.out << json::serialize(status_object(s)) << "\n";
  } else {
    print_instance(*ctx.out, s, ctx.color);
    if (s.live) print_live(*ctx.out, s);
  }
  return s.live ? 0 : static_cast<int>(Exit::not_running);
}

}  // namespace openclaw::cli
