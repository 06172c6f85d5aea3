#include "gateway/instance_record.hpp"

#include <boost/json.hpp>

#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/json.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {
std::optional<InstanceRecord> read_record(const fs::path& state_dir) {
  // Also read on the I/O thread (instances of other profiles, for /status): a FIFO or a device
  // in the record's place is no record, not a wait.
  std::optional<std::string> text;
  try {
    sdk::OpenOptions options;
    options.no_symlinks = true;  // ours, written atomically
    text = sdk::read_regular_file(record_path(state_dir), options, 1u << 20);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  InstanceRecord r;
  auto get_int = [&](const char* k) -> std::int64_t {
    const json::value* x = o.if_contains(k);
    return x && x->is_int64()    ? x->get_int64()
           : x && x->is_uint64() ? static_cast<std::int64_t>(x->get_uint64())
                                 : 0;
  };
  auto get_str = [&](const char* k) -> std::string {
    const json::value* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  r.pid = static_cast<int>(get_int("pid"));
  r.start_time = static_cast<std::uint64_t>(get_int("startTime"));
  if (const json::value* p = o.if_contains("profile"); p && p->is_string()) {
    r.profile = std::string(p->get_string());
  }
  r.state_dir = get_str("stateDir");
  r.config_path = get_str("configPath");
  r.version = get_str("version");
  r.started_at_ms = get_int("startedAt");
  r.bind = get_str("bind");
  r.base = static_cast<int>(get_int("base"));
  if (const json::value* ports = o.if_contains("ports"); ports && ports->is_object()) {
    for (const auto& kv : ports->get_object()) {
      if (kv.value().is_int64())
        r.ports[std::string(kv.key())] = static_cast<int>(kv.value().get_int64());
    }
  }
  if (const json::value* plugins = o.if_contains("plugins"); plugins && plugins->is_array()) {
    r.plugins = plugins->get_array();
  }
  if (const json::value* keys = o.if_contains("restartNeeded"); keys && keys->is_array()) {
    for (const auto& k : keys->get_array()) {
      if (k.is_string()) r.restart_needed.emplace_back(k.get_string());
    }
  }
  return r;
}
}  // namespace

fs::path record_path(const fs::path& state_dir) {
  return state_dir / "gateway.json";
}

void write_record(const fs::path& state_dir, const InstanceRecord& r) {
  json::object ports;
  for (const auto& [k, v] : r.ports) ports[k] = v;
  json::object o{{"pid", r.pid},
                 {"startTime", r.start_time},
                 {"profile", r.profile ? json::value(*r.profile) : json::value(nullptr)},
                 {"stateDir", r.state_dir},
                 {"configPath", r.config_path},
                 {"version", r.version},
                 {"startedAt", r.started_at_ms},
                 {"bind", r.bind},
                 {"base", r.base},
                 {"ports", std::move(ports)},
                 {"plugins", r.plugins}};
  if (!r.restart_needed.empty()) {
    json::array keys;
    for (const auto& k : r.restart_needed) keys.emplace_back(k);
    o["restartNeeded"] = std::move(keys);
  }
  sdk::write_file_atomic(record_path(state_dir), sdk::to_pretty_json(o), fs::perms(0600));
}

std::optional<InstanceRecord> read_live_record(const fs::path& state_dir) {
  auto r = read_record(state_dir);
  if (!r) return std::nullopt;
  auto st = ports::system_processes().start_time(r->pid);
  if (!st || *st != r->start_time) return std::nullopt;
  return r;
}

void remove_record(const fs::path& state_dir, int pid) {
  auto r = read_record(state_dir);
  if (r && r->pid == pid) {
    std::error_code ec;
    fs::remove(record_path(state_dir), ec);
  }
}

}  // namespace openclaw::gateway
