// The machine-wide lease store file as a damaged disk, another user's tool or a half-written
// edit leaves it: every line goes through both readers (the full parser and the hot path's scan),
// which must accept the same lines and agree on them; an accepted record written back reads
// back the same, and escaping round-trips any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "ports/lease_record.hpp"

namespace rec = openclaw::ports::record;
using openclaw::ports::InstanceLeases;

namespace {

bool same(const InstanceLeases& a, const InstanceLeases& b) {
  if (a.owner.pid != b.owner.pid || a.owner.start_time != b.owner.start_time ||
      a.owner.base != b.owner.base || a.owner.profile != b.owner.profile ||
      a.owner.state_dir != b.owner.state_dir || a.leases.size() != b.leases.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.leases.size(); ++i) {
    const auto &x = a.leases[i], &y = b.leases[i];
    if (x.name != y.name || x.port != y.port || x.bind != y.bind || x.source != y.source ||
        x.granted_at_ms != y.granted_at_ms) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view line : rec::record_lines(text)) {
    FUZZ_CHECK(!line.empty() && line.find('\n') == std::string_view::npos);
    auto full = rec::from_line(line);
    auto row = rec::scan_line(line);
    FUZZ_CHECK(full.has_value() == row.has_value());
    if (!full) continue;
    FUZZ_CHECK(row->pid == full->owner.pid && row->start == full->owner.start_time &&
               row->base == full->owner.base && row->ports.size() == full->leases.size());
    for (std::size_t i = 0; i < row->ports.size(); ++i)
      FUZZ_CHECK(row->ports[i] == full->leases[i].port);
    FUZZ_CHECK(rec::unescape(row->state_dir) == full->owner.state_dir);
    std::string written = rec::to_line(*full);
    auto again = rec::from_line(written);
    FUZZ_CHECK(again && same(*again, *full) && rec::scan_line(written).has_value());
  }
  // Any bytes as a string field: escaped, they make one field that unescapes to them.
  std::string escaped = rec::escape(text);
  FUZZ_CHECK(escaped.find_first_of(std::string_view(" \n\r\t\0", 5)) == std::string::npos);
  FUZZ_CHECK(rec::unescape(escaped) == std::string(text));
  return 0;
}
