// openclaw.plugin.json as a third-party plugin ships it. An accepted manifest must satisfy what
// the loader relies on (a valid id, a library name that stays beside the manifest); a refused one
// gets a one-line error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "plugins/manifest.hpp"

namespace pl = openclaw::plugins;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  pl::Manifest m;
  try {
    m = pl::parse_manifest(text);
  } catch (const openclaw::Error& e) {
    FUZZ_CHECK(fuzz::one_line(e.line()));
    return 0;
  }
  FUZZ_CHECK(pl::valid_plugin_id(m.id));
  FUZZ_CHECK(m.kind == "browser" || m.kind == "canvas" || m.kind == "channel" || m.kind == "other");
  FUZZ_CHECK(m.api_version >= 1);
  FUZZ_CHECK(m.library.find('/') == std::string::npos && m.library != "." && m.library != "..");
  FUZZ_CHECK(m.library.find('\0') == std::string::npos);
  return 0;
}
