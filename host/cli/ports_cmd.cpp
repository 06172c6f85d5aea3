// `ports [--json]`: this instance's port plan and the state of each port.
// `ports --all [--json]`: every lease in the machine-wide registry, grouped by instance.
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "core/error.hpp"
#include "ports/lease_store.hpp"
#include "ports/plan.hpp"
#include "ports/system.hpp"

namespace openclaw::cli {
namespace json = boost::json;
using ports::InstanceLeases;

namespace {

struct PortRow {
  std::string name, port, bind, source, state, detail;
  json::object json;
};

int show_all(Context& ctx, bool as_json) {
  ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), ctx.paths.home);
  auto instances = store.list(/*prune=*/true);
  if (as_json) {
    json::array arr;
    for (const auto& inst : instances) {
      json::array leases;
      for (const auto& l : inst.leases) {
        leases.push_back(ports::to_json(l));
      }
      arr.push_back(json::object{
          {"profile", inst.owner.profile ? json::value(*inst.owner.profile) : json::value(nullptr)},
          {"stateDir", inst.owner.state_dir},
          {"pid", inst.owner.pid},
          {"startTime", inst.owner.start_time},
          {"base", inst.owner.base},
          {"stale", inst.stale},
          {"leases", std::move(leases)}});
    }
    *ctx.out << json::serialize(
                    json::object{{"registry", store.dir().string()}, {"instances", std::move(arr)}})
             << "\n";
    return 0;
  }
  auto& out = *ctx.out;
  out << "Port registry: " << store.dir().string() << "\n";
  if (instances.empty()) {
    out << "No instance holds ports on this machine.\n";
    return 0;
  }
  for (const auto& inst : instances) {
    out << "\n"
        << store.describe(inst.owner)
        << (inst.stale ? "  [stale: process gone, leases reclaimed]" : "") << "\n";
    for (const auto& l : inst.leases) {
      out << "  " << pad(l.name, 24) << pad(std::to_string(l.port), 6) << pad(l.bind, 10)
          << ports::source_name(l.source) << "\n";
    }
  }
  return 0;
}

}  // namespace

int cmd_ports(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()(
      "all", "every live lease on the machine, grouped by instance (stale ones are pruned)")(
      "json", "print JSON")("port", po::value<std::string>()->value_name("N"),
                            "plan for this base port instead");
  auto vm = parse_command(ctx, "ports [--all] [--json] [--port N]",
                          "Shows the instance's port plan: name, port, bind address, source "
                          "(offset/config/range) and state\n(leased by this instance, free, held "
                          "by another instance, or in use by another program).",
                          opts, {}, args);
  if (!vm) return 0;
  const bool as_json = vm->count("json") > 0;
  if (vm->count("all")) return show_all(ctx, as_json);

  Instance inst = ctx.instance(port_option(*vm));
  ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), ctx.paths.home);
  auto instances = store.list(false);
  const InstanceLeases* mine = nullptr;
  for (const auto& i : instances) {
    if (!i.stale && i.owner.state_dir == inst.paths.state_dir.string()) mine = &i;
  }
  auto holder_of = [&](int port) -> const InstanceLeases* {
    for (const auto& i : instances) {
      if (i.stale || &i == mine) continue;
      for (const auto& l : i.leases) {
        if (l.port == port) return &i;
      }
    }
    return nullptr;
  };
  const auto remembered = ports::remembered_ports(inst.config.root());
  const auto& probe = ports::system_probe();

  std::vector<PortRow> rows;
  for (const auto& p : inst.plan.ports) {
    PortRow r{p.name(), {}, p.request.bind, ports::source_name(p.request.source), {}, {}, {}};
    int port = p.port;
    const ports::Lease* lease = mine ? mine->find(p.name()) : nullptr;
    if (lease) port = lease->port;
    if ((p.is_range() || p.is_any()) && !lease) {
      auto rem = remembered.find(p.name());
      if (rem != remembered.end() &&
          (p.is_any() || (rem->second >= p.range_lo && rem->second <= p.range_hi))) {
        port = rem->second;
      }
    }
    json::value holder = nullptr;
    if (lease) {
      r.state = "leased";
      r.detail = "leased by this instance (pid " + std::to_string(mine->owner.pid) + ")";
    } else if (port == 0) {
      r.state = "free";
      r.detail = p.is_any() ? std::string("chosen at start: any free port")
                            : "chosen at start from " + std::to_string(p.range_lo) + "-" +
                                  std::to_string(p.range_hi);
    } else if (const auto* h = holder_of(port)) {
      r.state = "held";
      r.detail = "held by " + store.describe(h->owner);
      holder = json::object{
          {"profile", h->owner.profile ? json::value(*h->owner.profile) : json::value(nullptr)},
          {"pid", h->owner.pid},
          {"stateDir", h->owner.state_dir}};
    } else if (!probe.bindable(port, p.request.bind)) {
      r.state = "in-use";
      std::string who = probe.holder(port);
      r.detail = probe.why_unbindable(port);
      if (r.detail.rfind("is ", 0) == 0) r.detail.erase(0, 3);
      holder = json::object{{"program", who}};
    } else {
      r.state = "free";
      r.detail = p.is_range() || p.is_any() ? "free (remembered choice)" : "free";
    }
    r.port =
        port ? std::to_string(port) : std::to_string(p.range_lo) + "-" + std::to_string(p.range_hi);
    r.json = json::object{
        {"name", p.name()},       {"port", port ? json::value(port) : json::value(nullptr)},
        {"bind", p.request.bind}, {"source", r.source},
        {"origin", p.origin},     {"state", r.state},
        {"detail", r.detail},     {"holder", holder}};
    if (p.is_range()) r.json["range"] = json::array{p.range_lo, p.range_hi};
    rows.push_back(std::move(r));
  }

  // Ports plugins of the running instance claimed beyond the derived plan.
  if (mine) {
    for (const auto& l : mine->leases) {
      if (inst.plan.find(l.name)) continue;
      PortRow r{l.name,   std::to_string(l.port),
                l.bind,   ports::source_name(l.source),
                "leased", "leased by this instance (pid " + std::to_string(mine->owner.pid) + ")",
                {}};
      r.json = json::object{{"name", l.name},     {"port", l.port},
                            {"bind", l.bind},     {"source", ports::source_name(l.source)},
                            {"origin", "plugin"}, {"state", "leased"},
                            {"detail", r.detail}, {"holder", nullptr}};
      rows.push_back(std::move(r));
    }
  }

  if (as_json) {
    json::array arr;
    for (auto& r : rows) arr.push_back(std::move(r.json));
    *ctx.out << json::serialize(
                    json::object{{"profile", inst.paths.profile ? json::value(*inst.paths.profile)
                                                                : json::value(nullptr)},
                                 {"stateDir", inst.paths.state_dir.string()},
                                 {"base", inst.plan.base},
                                 {"baseSource", inst.base.source},
                                 {"running", mine != nullptr},
                                 {"ports", std::move(arr)}})
             << "\n";
    return 0;
  }
  auto& out = *ctx.out;
  out << pad("NAME", 24) << pad("PORT", 11) << pad("BIND", 10) << pad("SOURCE", 7) << "STATE\n";
  for (const auto& r : rows) {
    out << pad(r.name, 24) << pad(r.port, 11) << pad(r.bind, 10) << pad(r.source, 7) << r.detail
        << "\n";
  }
  return 0;
}

}  // namespace openclaw::cli
