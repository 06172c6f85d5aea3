#include "ports/port_choice.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "profile/profile.hpp"

namespace openclaw::ports {
using namespace record;

std::string describe_owner(const Owner& owner, const std::filesystem::path& home) {
  std::string who = owner.profile ? "profile \"" + *owner.profile + "\"" : "the default profile";
  return who + " (pid " + std::to_string(owner.pid) + ", " +
         profile::display_path(owner.state_dir, home) + ")";
}

PortChoice::PortChoice(std::vector<Row>& rows, const Owner& owner, const ChoiceRules& rules,
                       const ProcessTable& processes, const PortProbe& probe)
    : rows_(rows),
      owner_(owner),
      rules_(rules),
      processes_(processes),
      probe_(probe),
      live_(rows.size(), -1) {
  const std::string my_dir = escape(owner.state_dir);
  holder_.reserve(rows.size() * 6);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.state_dir == my_dir) {
      if (r.pid == owner.pid && r.start == owner.start_time) {
        mine_ = i;
      } else if (alive(i)) {
        throw conflict_error("state dir " + profile::display_path(owner.state_dir, rules.home) +
                             " is already served by " + describe_owner(owner_at(i), rules.home) +
                             "; one gateway per state dir");
      }
      continue;
    }
    for (int port : r.ports) holder_.emplace(port, i);
  }
}

bool PortChoice::alive(std::size_t i) {
  if (live_[i] < 0) {
    auto st = processes_.start_time(rows_[i].pid);
    live_[i] = st && *st == rows_[i].start ? 1 : 0;
    if (!live_[i]) rows_[i].drop = true;  // reclaimed
  }
  return live_[i] == 1;
}

Owner PortChoice::owner_at(std::size_t i) const {
  return from_line(rows_[i].line).value_or(InstanceLeases{}).owner;
}

std::optional<std::size_t> PortChoice::held_by_other(int port) {
  auto it = holder_.find(port);
  if (it == holder_.end() || !alive(it->second)) return std::nullopt;
  return it->second;
}

bool PortChoice::mine_already(int port) const {
  if (!mine_) return false;
  const auto& p = rows_[*mine_].ports;
  return std::find(p.begin(), p.end(), port) != p.end();
}

// "Any free port" stays out of every live instance's derived span (base .. base + 110), its own
// included, and out of the spans of instances configured on this machine.
bool PortChoice::in_a_span(int port) {
  if (owner_.base && port >= owner_.base && port <= owner_.base + profile::kDerivedSpan) {
    return true;
  }
  for (const auto& r : rules_.avoided_spans) {
    if (r.contains(port)) return true;
  }
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (static_cast<std::optional<std::size_t>>(i) == mine_ || rows_[i].base <= 0) continue;
    if (port >= rows_[i].base && port <= rows_[i].base + profile::kDerivedSpan && alive(i)) {
      return true;
    }
  }
  return false;
}

std::vector<Lease> PortChoice::own_leases() const {
  if (!mine_) {
    throw usage_error("cannot lease a port at run time: " + describe_owner(owner_, rules_.home) +
                      " holds no leases in the registry");
  }
  return from_line(rows_[*mine_].line).value_or(InstanceLeases{}).leases;
}

// The fixed ports of `plan` and the ports already leased are taken before anything is chosen, so
// a range or "any" port never lands on one of them.
void PortChoice::reserve_fixed(const Plan& plan, const std::vector<Lease>* existing) {
  static const std::vector<Lease> kNone;
  const auto& kept = existing ? *existing : kNone;
  for (const auto& l : kept) taken_.insert(l.port);
  for (const auto& p : plan.ports) {
    for (const auto& l : kept) {
      if (l.name == p.name()) {
        throw usage_error("port name \"" + p.name() + "\" is already leased by this instance");
      }
    }
    if (p.is_range() || p.is_any()) continue;
    if (existing && taken_.count(p.port)) {
      throw PortConflict(p.name(), "port " + std::to_string(p.port) + " (" + p.name() +
                                       ") is already leased by this instance");
    }
    taken_.insert(p.port);
  }
}

int PortChoice::first_free(const std::vector<int>& candidates, const PlannedPort& p, bool any) {
  for (int port : candidates) {
    if (taken_.count(port) || held_by_other(port)) continue;
    if (any && (port < 1024 || port > 65535 || rules_.ephemeral.contains(port) || in_a_span(port)))
      continue;
    if ((any || !mine_already(port)) && !probe_.bindable(port, p.request.bind)) continue;
    taken_.insert(port);
    return port;
  }
  return 0;
}

int PortChoice::choose_any(const PlannedPort& p, const std::map<std::string, int>& remembered) {
  std::vector<int> candidates;
  if (auto r = remembered.find(p.name()); r != remembered.end()) candidates.push_back(r->second);
  if (rules_.any_pool) {
    for (int port = rules_.any_pool->lo; port <= rules_.any_pool->hi; ++port) {
      candidates.push_back(port);
    }
  } else {
    for (int port = rules_.ephemeral.hi + 1; port <= 65535; ++port) candidates.push_back(port);
    for (int port = rules_.ephemeral.lo - 1; port >= 1024; --port) candidates.push_back(port);
  }
  int port = first_free(candidates, p, true);
  if (port == 0) {
    throw PortConflict(p.name(), "no free port for " + p.name() +
                                     " outside the ephemeral range and every instance's "
                                     "derived ports");
  }
  return port;
}

void PortChoice::check_fixed(const PlannedPort& p) {
  if (auto other = held_by_other(p.port)) {
    throw PortConflict(p.name(), "port " + std::to_string(p.port) + " (" + p.name() +
                                     ") is held by " +
                                     describe_owner(owner_at(*other), rules_.home));
  }
  if (!mine_already(p.port) && !probe_.bindable(p.port, p.request.bind)) {
    throw PortConflict(p.name(), "port " + std::to_string(p.port) + " (" + p.name() + ") " +
                                     probe_.why_unbindable(p.port));
  }
}

int PortChoice::choose_in_range(const PlannedPort& p,
                                const std::map<std::string, int>& remembered) {
  std::vector<int> candidates;
  if (auto r = remembered.find(p.name());
      r != remembered.end() && r->second >= p.range_lo && r->second <= p.range_hi) {
    candidates.push_back(r->second);
  }
  // Ports outside the kernel's ephemeral range first: inside it, any outgoing connection on the
  // machine may take the port at random (an explicit base there leaves no choice).
  for (int port = p.range_lo; port <= p.range_hi; ++port) {
    if (!rules_.ephemeral.contains(port)) candidates.push_back(port);
  }
  for (int port = p.range_lo; port <= p.range_hi; ++port) {
    if (rules_.ephemeral.contains(port)) candidates.push_back(port);
  }
  int port = first_free(candidates, p, false);
  if (port == 0) {
    throw PortConflict(p.name(), "no free port for " + p.name() + " in " +
                                     std::to_string(p.range_lo) + ".." +
                                     std::to_string(p.range_hi) +
                                     ": every port there is held by another instance or program");
  }
  return port;
}

std::vector<Lease> PortChoice::choose(const Plan& plan,
                                      const std::map<std::string, int>& remembered,
                                      const std::vector<Lease>* existing, std::int64_t now_ms) {
  reserve_fixed(plan, existing);
  std::vector<Lease> granted;
  granted.reserve(plan.ports.size());
  for (const auto& p : plan.ports) {
    Lease lease{p.name(), p.port, p.request.bind, p.request.source, now_ms};
    if (p.is_any()) {
      lease.port = choose_any(p, remembered);
    } else if (p.is_range()) {
      lease.port = choose_in_range(p, remembered);
    } else {
      check_fixed(p);
    }
    granted.push_back(std::move(lease));
  }
  return granted;
}

}  // namespace openclaw::ports
