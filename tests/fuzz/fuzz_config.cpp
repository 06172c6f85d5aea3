// The config file as anything that can write it leaves it: JSON with comments and trailing
// commas, then validation. A file that parses must validate without crashing, validate() and
// require_valid() must agree, errors stay one line, and what save() writes reads back the same.
// The same bytes as a config-history entry (config/history.hpp) parse without a crash.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "config/history.hpp"
#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "openclaw/sdk/json.hpp"

namespace cfg = openclaw::config;
namespace json = boost::json;

namespace {

// Equal, except that a double may come back one unit in the last place off: Boost 1.81's parser
// is not exact for every double (its serializer is), e.g. 1.9001111111111112E74.
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!same(p[i], q[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& kv : p) {
      const json::value* other = q.if_contains(kv.key());
      if (!other || !same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A config-history entry as a damaged disk leaves it; the keys between it and a file, any text.
  if (auto e = cfg::parse_history_entry(text)) {
    auto keys = cfg::changed_between(e->text, std::string(text));
    FUZZ_CHECK(std::is_sorted(keys.begin(), keys.end()) || keys.size() == 1);
  }
  (void)cfg::changed_between(std::string(text), "{}");
  std::optional<cfg::Config> c;
  try {
    c = cfg::Config::parse(text, "/home/u/.openclaw/openclaw.json", "/home/u");
  } catch (const openclaw::Error& e) {
    FUZZ_CHECK(fuzz::one_line(e.line()));
    return 0;
  }
  auto problems = cfg::validate(c->root());
  for (const auto& p : problems) FUZZ_CHECK(!p.message.empty() && fuzz::one_line(p.message));
  try {
    cfg::require_valid(*c);
    FUZZ_CHECK(problems.empty());
  } catch (const openclaw::Error&) {
    FUZZ_CHECK(!problems.empty());
  }
  for (const char* key : {"gateway.port", "gateway.bind", "gateway.auth.token", "browser.enabled",
                          "canvasHost.port", "canvasHost.root", "plugins.load.paths"}) {
    (void)cfg::get_int(c->root(), key);
    (void)cfg::get_string(c->root(), key);
    (void)cfg::get_bool(c->root(), key);
  }
  std::string saved = openclaw::sdk::to_pretty_json(c->root());
  auto again = cfg::Config::parse(saved, c->path(), "/home/u");
  FUZZ_CHECK(same(again.root(), c->root()));
  return 0;
}
