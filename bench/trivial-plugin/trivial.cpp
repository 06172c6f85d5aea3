// The cheapest possible plugin, for measuring the host's per-plugin cost.
#include "openclaw/sdk/plugin_export.hpp"

namespace {
class Trivial final : public openclaw::sdk::Plugin {
 public:
  void start(openclaw::sdk::Host&) override {}
};
}  // namespace

OPENCLAW_PLUGIN(Trivial)
