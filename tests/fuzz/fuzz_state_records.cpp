// The state-dir records one instance reads of another (or of its own last run) as a damaged disk
// or a half-finished edit leaves them: gateway-exit.json (the SDK's run history, read by any
// watcher), plugins-quarantine.json and ports-assigned.json; and `systemctl show` output as
// gateway status reads it, and a service unit file as `doctor` reads which instance it runs. Any
// bytes parse without a crash, and what parses, written back, reads back the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "openclaw/sdk/run_history.hpp"
#include "plugins/quarantine.hpp"
#include "ports/plan.hpp"
#include "service/service.hpp"

namespace sdk = openclaw::sdk;
namespace plugins = openclaw::plugins;

namespace {

bool same(const sdk::RunHistory& a, const sdk::RunHistory& b) {
  if (a.starts != b.starts || a.last_exit.has_value() != b.last_exit.has_value()) return false;
  if (!a.last_exit) return true;
  const auto &x = *a.last_exit, &y = *b.last_exit;
  return x.at_ms == y.at_ms && x.kind == y.kind && x.code == y.code && x.signal == y.signal &&
         x.reason == y.reason && x.plugin == y.plugin;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sdk::RunHistory h = sdk::parse_run_history(text);
  FUZZ_CHECK(same(sdk::parse_run_history(sdk::to_text(h)), h));
  (void)h.ended_silently();
  (void)h.starts_since(0);

  plugins::Quarantine q = plugins::parse_quarantine(text);
  plugins::Quarantine again = plugins::parse_quarantine(plugins::quarantine_text(q));
  FUZZ_CHECK(again.size() == q.size());
  for (const auto& [id, e] : q) {
    auto it = again.find(id);
    FUZZ_CHECK(it != again.end() && it->second.at_ms == e.at_ms && it->second.reason == e.reason &&
               it->second.stamp == e.stamp);
  }

  // ports-assigned.json: what parses is names with ports 1..65535.
  for (const auto& [name, port] : openclaw::ports::parse_remembered_ports(text)) {
    FUZZ_CHECK(!name.empty() && port >= 1 && port <= 65535);
  }

  const auto systemd = openclaw::service::parse_systemd_show(text);
  FUZZ_CHECK(openclaw::service::describe(systemd).size() < 4096);

  // A unit file: what it reads out is made of the input's own bytes, never more of them.
  const auto unit = openclaw::service::read_systemd_unit(text);
  FUZZ_CHECK(unit.exec.size() <= size);
  FUZZ_CHECK(!unit.profile || (unit.profile->size() <= size && *unit.profile != "default"));
  FUZZ_CHECK(!unit.port || unit.port->size() <= size);
  FUZZ_CHECK(unit.has_exec || !unit.runs_gateway);
  (void)openclaw::service::profile_of_unit_name(text);
  return 0;
}
