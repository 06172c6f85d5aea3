#include "instance/machine.hpp"

#include "config/config.hpp"
#include "core/error.hpp"
#include "profile/profile.hpp"

namespace openclaw {
namespace fs = std::filesystem;

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
    try {
      auto cfg = config::Config::load(cp.config_path, home);
      config::require_valid(cfg);
      if (auto p = config::get_int(cfg.root(), "gateway.port")) cp.base = static_cast<int>(*p);
      auto plan = ports::make_plan(cp.base, "gateway.port", ports::standard_requests(cfg.root()));
      for (const auto& p : plan.ports) {
        if (!p.is_range() && !p.is_any()) cp.fixed_ports.push_back(p.port);
      }
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
  auto same_dir = [&](const fs::path& a) {
    std::error_code ec;
    return fs::equivalent(a, self_state_dir, ec) ||
           a.lexically_normal() == self_state_dir.lexically_normal();
  };
  for (const auto& cp : profiles) {
    if (same_dir(cp.state_dir)) continue;
    std::string owner = (cp.profile ? "profile \"" + *cp.profile + "\"" : "the default profile") +
                        " (" + profile::display_path(cp.config_path, home) + ")";
    out.push_back({cp.base, cp.base + profile::kDerivedSpan, owner});
    for (int p : cp.fixed_ports) out.push_back({p, p, owner});
  }
  for (const auto& inst : live) {
    if (inst.stale || same_dir(inst.owner.state_dir)) continue;
    std::string owner = "running instance (pid " + std::to_string(inst.owner.pid) + ")";
    if (inst.owner.base > 0) {
      out.push_back({inst.owner.base, inst.owner.base + profile::kDerivedSpan, owner});
    }
    for (const auto& l : inst.leases) out.push_back({l.port, l.port, owner});
  }
  return out;
}

}  // namespace openclaw
