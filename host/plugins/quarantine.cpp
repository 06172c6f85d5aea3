#include "plugins/quarantine.hpp"

#include <boost/json.hpp>

#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/json.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;
namespace json = boost::json;

fs::path quarantine_path(const fs::path& state_dir) {
  return state_dir / "plugins-quarantine.json";
}

Quarantine parse_quarantine(std::string_view text) {
  Quarantine q;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return q;
  for (const auto& [id, e] : v.get_object()) {
    if (!e.is_object()) continue;
    const auto& o = e.get_object();
    QuarantineEntry entry;
    if (const auto* at = o.if_contains("at"); at && at->is_int64()) entry.at_ms = at->get_int64();
    if (const auto* r = o.if_contains("reason"); r && r->is_string())
      entry.reason = r->get_string();
    if (const auto* s = o.if_contains("stamp"); s && s->is_string()) entry.stamp = s->get_string();
    q[std::string(id)] = std::move(entry);
  }
  return q;
}

std::string quarantine_text(const Quarantine& q) {
  json::object o;
  for (const auto& [id, e] : q) {
    o[id] = json::object{{"at", e.at_ms}, {"reason", e.reason}, {"stamp", e.stamp}};
  }
  return sdk::to_pretty_json(o);
}

Quarantine read_quarantine(const fs::path& state_dir) {
  std::optional<std::string> text;
  try {
    sdk::OpenOptions options;
    options.no_symlinks = true;
    text = sdk::read_regular_file(quarantine_path(state_dir), options, 1u << 20);
  } catch (const std::exception&) {
    return {};
  }
  return text ? parse_quarantine(*text) : Quarantine{};
}

void write_quarantine(const fs::path& state_dir, const Quarantine& q) {
  try {
    if (q.empty()) {
      std::error_code ec;
      fs::remove(quarantine_path(state_dir), ec);
      return;
    }
    sdk::write_file_atomic(quarantine_path(state_dir), quarantine_text(q), fs::perms(0600));
  } catch (const std::exception&) {
    // best effort: the plugin then loads again, which the crash line and the exit record show
  }
}

void quarantine_plugin(const fs::path& state_dir, const std::string& id, const std::string& reason,
                       std::int64_t at_ms) {
  Quarantine q = read_quarantine(state_dir);
  q[id] = QuarantineEntry{at_ms, reason, {}};
  write_quarantine(state_dir, q);
}

bool release_plugin(const fs::path& state_dir, const std::string& id) {
  Quarantine q = read_quarantine(state_dir);
  if (!q.erase(id)) return false;
  write_quarantine(state_dir, q);
  return true;
}

}  // namespace openclaw::plugins
