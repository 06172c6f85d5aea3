// `ports [--json]`: this instance's port plan and the state of each port.
// `ports --all [--json]`: every lease in the machine-wide registry, grouped by instance.
// `ports --all --svg FILE`: the port map of the machine (ports/port_map.hpp) as an SVG file.
#include <iostream>

#include <boost/json.hpp>

#include "cli/context.hpp"
#include "core/error.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/files.hpp"
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

// The map: every configured profile and every instance the registry knows, stale ones too.
int write_svg(Context& ctx, const std::string& file) {
  ports::LeaseStore store(ports::LeaseStore::default_dir(ctx.env), ctx.paths.home);
  auto map = machine_port_map(discover_profiles(ctx.paths.home), store.list(/*prune=*/false),
                              ctx.paths.state_dir, ctx.paths.home);
  std::string svg = ports::render_svg(map);
  if (file == "-") {
    *ctx.out << svg;
    return 0;
  }
  try {
    sdk::write_file_atomic(file, svg, std::filesystem::perms(0644), /*keep_backup=*/false);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot write the port map: ") + e.what(), file);
  }
  *ctx.out << "Wrote the port map of " << map.instances.size() << " instance(s) to " << file
           << "\n";
  return 0;
}

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

// What the registry and the system say of this instance's ports right now.
class Standing {
 public:
  Standing(Context& ctx, const Instance& inst)
      : store(ports::LeaseStore::default_dir(ctx.env), ctx.paths.home),
        instances(store.list(false)),
        remembered(ports::remembered_ports(inst.paths.state_dir, inst.config.root())) {
    for (const auto& i : instances) {
      if (!i.stale && i.owner.state_dir == inst.paths.state_dir.string()) mine = &i;
    }
  }
  Standing(const Standing&) = delete;
  Standing& operator=(const Standing&) = delete;

  /// Another live instance leasing `port`, if any.
  const InstanceLeases* holder_of(int port) const {
    for (const auto& i : instances) {
      if (i.stale || &i == mine) continue;
      for (const auto& l : i.leases) {
        if (l.port == port) return &i;
      }
    }
    return nullptr;
  }

  ports::LeaseStore store;
  std::vector<InstanceLeases> instances;
  const InstanceLeases* mine = nullptr;  ///< this instance's leases, when its gateway runs
  std::map<std::string, int> remembered;
  const ports::PortProbe& probe = ports::system_probe();
};

std::string leased_detail(const InstanceLeases& mine) {
  return "leased by this instance (pid " + std::to_string(mine.owner.pid) + ")";
}

// The port `p` stands for: its lease when held, else a range choice remembered from an earlier
// start, else the plan's (0 for one chosen at start).
int port_of(const Standing& s, const ports::PlannedPort& p, const ports::Lease* lease) {
  if (lease) return lease->port;
  if (p.is_range() || p.is_any()) {
    auto rem = s.remembered.find(p.name());
    if (rem != s.remembered.end() &&
        (p.is_any() || (rem->second >= p.range_lo && rem->second <= p.range_hi))) {
      return rem->second;
    }
  }
  return p.port;
}

// One port of the plan: where it stands and, for JSON, who holds it.
PortRow plan_row(const Standing& s, const ports::PlannedPort& p) {
  PortRow r{p.name(), {}, p.request.bind, ports::source_name(p.request.source), {}, {}, {}};
  const ports::Lease* lease = s.mine ? s.mine->find(p.name()) : nullptr;
  const int port = port_of(s, p, lease);
  json::value holder = nullptr;
  if (lease) {
    r.state = "leased";
    r.detail = leased_detail(*s.mine);
  } else if (port == 0) {
    r.state = "free";
    r.detail = p.is_any() ? std::string("chosen at start: any free port")
                          : "chosen at start from " + std::to_string(p.range_lo) + "-" +
                                std::to_string(p.range_hi);
  } else if (const auto* h = s.holder_of(port)) {
    r.state = "held";
    r.detail = "held by " + s.store.describe(h->owner);
    holder = json::object{
        {"profile", h->owner.profile ? json::value(*h->owner.profile) : json::value(nullptr)},
        {"pid", h->owner.pid},
        {"stateDir", h->owner.state_dir}};
  } else if (!s.probe.bindable(port, p.request.bind)) {
    r.state = "in-use";
    std::string who = s.probe.holder(port);
    r.detail = s.probe.why_unbindable(port);
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
  return r;
}

// A port a plugin of the running instance claimed beyond the derived plan.
PortRow plugin_row(const InstanceLeases& mine, const ports::Lease& l) {
  PortRow r{l.name,   std::to_string(l.port), l.bind, ports::source_name(l.source),
            "leased", leased_detail(mine),    {}};
  r.json = json::object{{"name", l.name},     {"port", l.port},
                        {"bind", l.bind},     {"source", ports::source_name(l.source)},
                        {"origin", "plugin"}, {"state", "leased"},
                        {"detail", r.detail}, {"holder", nullptr}};
  return r;
}

std::vector<PortRow> port_rows(const Instance& inst, const Standing& s) {
  std::vector<PortRow> rows;
  for (const auto& p : inst.plan.ports) rows.push_back(plan_row(s, p));
  if (s.mine) {
    for (const auto& l : s.mine->leases) {
      if (!inst.plan.find(l.name)) rows.push_back(plugin_row(*s.mine, l));
    }
  }
  return rows;
}

void print_json(std::ostream& out, const Instance& inst, bool running, std::vector<PortRow> rows) {
  json::array arr;
  for (auto& r : rows) arr.push_back(std::move(r.json));
  out << json::serialize(
             json::object{{"profile", inst.paths.profile ? json::value(*inst.paths.profile)
                                                         : json::value(nullptr)},
                          {"stateDir", inst.paths.state_dir.string()},
                          {"base", inst.plan.base},
                          {"baseSource", inst.base.source},
                          {"running", running},
                          {"ports", std::move(arr)}})
      << "\n";
}

void print_table(std::ostream& out, const std::vector<PortRow>& rows) {
  out << pad("NAME", 24) << pad("PORT", 11) << pad("BIND", 10) << pad("SOURCE", 7) << "STATE\n";
  for (const auto& r : rows) {
    out << pad(r.name, 24) << pad(r.port, 11) << pad(r.bind, 10) << pad(r.source, 7) << r.detail
        << "\n";
  }
}

}  // namespace

int cmd_ports(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()(
      "all", "every live lease on the machine, grouped by instance (stale ones are pruned)")(
      "json", "print JSON")("svg", po::value<std::string>()->value_name("FILE"),
                            "with --all: write the machine's port map as SVG (- for stdout)")(
      "port", po::value<std::string>()->value_name("N"), "plan for this base port instead");
  auto vm = parse_command(ctx, "ports [--all [--json | --svg FILE]] [--json] [--port N]",
                          "Shows the instance's port plan: name, port, bind address, source "
                          "(offset/config/range) and state\n(leased by this instance, free, held "
                          "by another instance, or in use by another program).",
                          opts, {}, args);
  if (!vm) return 0;
  const bool as_json = vm->count("json") > 0;
  if (vm->count("svg")) {
    if (!vm->count("all"))
      throw usage_error("--svg goes with --all (see `openclaw-host ports --help`)");
    return write_svg(ctx, (*vm)["svg"].as<std::string>());
  }
  if (vm->count("all")) return show_all(ctx, as_json);

  Instance inst = ctx.instance(port_option(*vm));
  Standing standing(ctx, inst);
  auto rows = port_rows(inst, standing);
  if (as_json) {
    print_json(*ctx.out, inst, standing.mine != nullptr, std::move(rows));
  } else {
    print_table(*ctx.out, rows);
  }
  return 0;
}

}  // namespace openclaw::cli
