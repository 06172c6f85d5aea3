#pragma once
// The machine's live gateway instances as plugins see them (host service "openclaw.instances",
// sdk::Instances), read from the port registry that knows them.

#include <memory>

#include "openclaw/sdk/instances.hpp"
#include "ports/lease_store.hpp"

namespace openclaw::ports {

/// The registry's live instances; `self` is the instance asking. Both must outlive it.
std::unique_ptr<sdk::Instances> registry_instances(LeaseStore& store, const Owner& self);

}  // namespace openclaw::ports
