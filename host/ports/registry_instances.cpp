#include "ports/registry_instances.hpp"

#include "ports/system.hpp"

namespace openclaw::ports {
namespace {

// The registry's live instances as plugins see them (sdk::Instances).
class RegistryInstances final : public sdk::Instances {
 public:
  RegistryInstances(LeaseStore& store, const Owner& self) : store_(store), self_(self) {}

  std::vector<sdk::InstanceInfo> list() override {
    auto all = store_.snapshot();
    std::vector<int> gateways;
    for (const auto& inst : all) {
      if (const Lease* g = inst.find("gateway"); g && !inst.stale) gateways.push_back(g->port);
    }
    // Every gateway port looked up in one read of the kernel's socket table.
    const std::set<int> up = system_probe().listening_among(gateways);
    std::vector<sdk::InstanceInfo> out;
    for (const auto& inst : all) {
      if (!inst.stale) out.push_back(info(inst, &up));
    }
    return out;
  }

  std::optional<std::pair<sdk::InstanceInfo, std::string>> holder_of(int port) override {
    for (const auto& inst : store_.snapshot()) {
      if (inst.stale) continue;
      for (const auto& l : inst.leases) {
        if (l.port == port) return std::make_pair(info(inst), l.name);
      }
    }
    return std::nullopt;
  }

 private:
  // `up`: the gateway ports known to listen (nullptr: look this one up).
  sdk::InstanceInfo info(const InstanceLeases& inst, const std::set<int>* up = nullptr) const {
    sdk::InstanceInfo i;
    i.profile = inst.owner.profile;
    i.pid = inst.owner.pid;
    i.state_dir = inst.owner.state_dir;
    i.base = inst.owner.base;
    i.self = inst.owner.pid == self_.pid && inst.owner.state_dir == self_.state_dir;
    for (const auto& l : inst.leases) {
      i.ports.emplace_back(l.name, l.port);
      // This instance answers by definition; another's gateway port is looked up in the kernel's
      // socket table: no connection made, nothing waits on the I/O thread.
      if (l.name == "gateway") {
        i.answers = i.self || (up ? up->count(l.port) > 0 : system_probe().listening(l.port));
      }
    }
    return i;
  }
  LeaseStore& store_;
  const Owner& self_;
};

}  // namespace

std::unique_ptr<sdk::Instances> registry_instances(LeaseStore& store, const Owner& self) {
  return std::make_unique<RegistryInstances>(store, self);
}

}  // namespace openclaw::ports
