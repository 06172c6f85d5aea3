#include "instance/machine.hpp"

#include <algorithm>

#include "config/config.hpp"
#include "core/error.hpp"
#include "profile/profile.hpp"

namespace openclaw {
namespace fs = std::filesystem;

bool same_dir(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return a.lexically_normal() == b.lexically_normal() || fs::equivalent(a, b, ec);
}

std::vector<ConfiguredProfile> discover_profiles(const fs::path& home) {
  std::vector<ConfiguredProfile> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(home, ec)) {
    std::string name = entry.path().filename().string();
    std::optional<std::string> profile;
    if (name == ".openclaw") {
      profile = std::nullopt;
    } else if (name.rfind(".openclaw-", 0) == 0) {
      try {
        profile = profile::normalize_name(name.substr(10), "");
      } catch (const Error&) {
        continue;
      }
      if (!profile) continue;  // ".openclaw-default" is not a profile dir
    } else {
      continue;
    }
    ConfiguredProfile cp;
    cp.profile = profile;
    cp.state_dir = entry.path();
    cp.config_path = entry.path() / "openclaw.json";
    if (!fs::is_regular_file(cp.config_path, ec)) continue;
    cp.base = profile::default_base_port(profile);
    cp.base_source = "default";
    try {
      auto cfg = config::Config::load(cp.config_path, home);
      config::require_valid(cfg);
      if (auto p = config::get_int(cfg.root(), "gateway.port")) {
        cp.base = static_cast<int>(*p);
        cp.base_source = "gateway.port";
      }
      cp.plan = ports::make_plan(cp.base, cp.base_source, ports::standard_requests(cfg.root()));
      cp.config = std::move(cfg);
    } catch (const Error& e) {
      cp.problem = e.line();
    }
    out.push_back(std::move(cp));
  }
  return out;
}

std::vector<ports::Interval> occupied_ports(const std::vector<ConfiguredProfile>& profiles,
                                            const std::vector<ports::InstanceLeases>& live,
                                            const fs::path& self_state_dir, const fs::path& home) {
  std::vector<ports::Interval> out;
  for (const auto& cp : profiles) {
    if (same_dir(cp.state_dir, self_state_dir)) continue;
    std::string owner = (cp.profile ? "profile \"" + *cp.profile + "\"" : "the default profile") +
                        " (" + profile::display_path(cp.config_path, home) + ")";
    out.push_back({cp.base, cp.base + profile::kDerivedSpan, owner});
    for (const auto& p : cp.plan.ports) {
      if (!p.is_range() && !p.is_any()) out.push_back({p.port, p.port, owner});
    }
  }
  for (const auto& inst : live) {
    if (inst.stale || same_dir(inst.owner.state_dir, self_state_dir)) continue;
    std::string owner = "running instance (pid " + std::to_string(inst.owner.pid) + ")";
    if (inst.owner.base > 0) {
      out.push_back({inst.owner.base, inst.owner.base + profile::kDerivedSpan, owner});
    }
    for (const auto& l : inst.leases) out.push_back({l.port, l.port, owner});
  }
  return out;
}

ports::PortMap machine_port_map(const std::vector<ConfiguredProfile>& profiles,
                                const std::vector<ports::InstanceLeases>& leases,
                                const fs::path& self_state_dir, const fs::path& home) {
  ports::PortMap map;
  map.ephemeral = ports::system_ephemeral_range();
  std::vector<bool> shown(leases.size(), false);
  auto add_leases = [](ports::MapInstance& m, const ports::InstanceLeases& l) {
    for (const auto& lease : l.leases) m.ports.push_back({lease.name, lease.port});
  };
  for (const auto& cp : profiles) {
    ports::MapInstance m;
    m.name = cp.profile.value_or("default");
    m.base = cp.problem.empty() ? cp.base : 0;
    m.state = "stopped";
    m.self = same_dir(cp.state_dir, self_state_dir);
    const ports::InstanceLeases* live = nullptr;
    for (std::size_t i = 0; i < leases.size(); ++i) {
      if (!leases[i].stale && same_dir(leases[i].owner.state_dir, cp.state_dir)) {
        live = &leases[i];
        shown[i] = true;
      }
    }
    for (const auto& p : cp.plan.ports) {
      if (p.is_range()) {
        m.cdp_lo = m.cdp_lo ? std::min(m.cdp_lo, p.range_lo) : p.range_lo;
        m.cdp_hi = std::max(m.cdp_hi, p.range_hi);
      }
    }
    if (live) {
      m.state = "running";
      m.base = live->owner.base;
      add_leases(m, *live);
    } else {
      for (const auto& p : cp.plan.ports) {
        if (!p.is_range() && !p.is_any()) m.ports.push_back({p.name(), p.port});
      }
    }
    map.instances.push_back(std::move(m));
  }
  for (std::size_t i = 0; i < leases.size(); ++i) {
    if (shown[i]) continue;
    const auto& l = leases[i];
    // A stale record of a configured profile is still worth seeing, apart from its live self.
    ports::MapInstance m;
    m.name = l.owner.profile ? *l.owner.profile : profile::display_path(l.owner.state_dir, home);
    m.base = l.owner.base;
    m.state = l.stale ? "stale" : "running";
    m.self = !l.stale && same_dir(l.owner.state_dir, self_state_dir);
    add_leases(m, l);
    map.instances.push_back(std::move(m));
  }
  // Along the axis, top to bottom; unknown bases last.
  std::stable_sort(map.instances.begin(), map.instances.end(),
                   [](const ports::MapInstance& a, const ports::MapInstance& b) {
                     return (a.base ? a.base : 1 << 20) < (b.base ? b.base : 1 << 20);
                   });
  map.title = "Ports on this machine: " + std::to_string(map.instances.size()) + " instance(s)";
  return map;
}

}  // namespace openclaw
