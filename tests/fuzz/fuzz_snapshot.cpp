// Accessibility.getFullAXTree's `nodes` as a page (any page the agent opens) shapes them: the
// renderer must finish on any graph of nodes (cycles, shared children, deep chains), keep its
// counts true, and give the same element the same ref in the next snapshot.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "page_model.hpp"

namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  json::value v = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  const json::array* nodes = nullptr;
  if (v.is_array()) nodes = &v.get_array();
  if (v.is_object()) {
    if (auto* n = v.get_object().if_contains("nodes"); n && n->is_array()) nodes = &n->get_array();
  }
  if (!nodes) return 0;
  browser::RefTable table;
  browser::Snapshot first = browser::render_snapshot(*nodes, table);
  std::size_t newlines = 0;
  for (char c : first.text) newlines += c == '\n';
  FUZZ_CHECK(first.lines == 0 ? first.text.empty() : newlines + 1 == std::size_t(first.lines));
  FUZZ_CHECK(first.new_elements == 0);  // nothing is "new" in a tab's first snapshot
  FUZZ_CHECK(first.readable.size() <= browser::Snapshot::kReadableLimit);
  for (const auto& [ref, info] : first.refs) {
    FUZZ_CHECK(table.issued(std::string(ref)) && table.node_of(std::string(ref)).has_value());
  }
  browser::Snapshot second = browser::render_snapshot(*nodes, table);
  FUZZ_CHECK(second.text == first.text && second.new_elements == 0 && second.refs == first.refs);
  return 0;
}
