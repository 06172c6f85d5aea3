#include "openclaw/sdk/run_history.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/json.hpp"

namespace openclaw::sdk {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::optional<std::int64_t> int_at(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

std::string string_at(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

json::object to_json(const LastExit& e) {
  json::object o{{"at", e.at_ms}, {"kind", e.kind}, {"reason", e.reason}};
  if (e.code) o["code"] = *e.code;
  if (e.signal) o["signal"] = *e.signal;
  if (!e.plugin.empty()) o["plugin"] = e.plugin;
  return o;
}

void write(const fs::path& state_dir, const RunHistory& h) {
  try {
    write_file_atomic(exit_record_path(state_dir), to_text(h), fs::perms(0600));
  } catch (const std::exception&) {
    // best effort: the start or stop itself reports what is wrong with the state dir
  }
}

}  // namespace

fs::path exit_record_path(const fs::path& state_dir) {
  return state_dir / "gateway-exit.json";
}

std::string to_text(const RunHistory& h) {
  json::array starts;
  for (auto s : h.starts) starts.push_back(s);
  json::object o{{"starts", std::move(starts)}};
  if (h.last_exit) o["lastExit"] = to_json(*h.last_exit);
  return to_pretty_json(o);
}

RunHistory parse_run_history(std::string_view text) {
  RunHistory h;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return h;
  const auto& o = v.get_object();
  if (const json::value* s = o.if_contains("starts"); s && s->is_array()) {
    for (const auto& x : s->get_array()) {
      if (x.is_int64()) h.starts.push_back(x.get_int64());
    }
  }
  if (const json::value* e = o.if_contains("lastExit"); e && e->is_object()) {
    const auto& eo = e->get_object();
    LastExit x;
    x.at_ms = int_at(eo, "at").value_or(0);
    x.kind = string_at(eo, "kind");
    auto small = [](std::int64_t v) { return v >= -1000000 && v <= 1000000; };
    if (auto c = int_at(eo, "code"); c && small(*c)) x.code = static_cast<int>(*c);
    if (auto s = int_at(eo, "signal"); s && small(*s)) x.signal = static_cast<int>(*s);
    x.reason = string_at(eo, "reason");
    x.plugin = string_at(eo, "plugin");
    h.last_exit = std::move(x);
  }
  return h;
}

RunHistory read_run_history(const fs::path& state_dir) {
  std::optional<std::string> text;
  try {
    OpenOptions options;
    options.no_symlinks = true;  // ours, written atomically
    text = read_regular_file(exit_record_path(state_dir), options, 1u << 16);
  } catch (const std::exception&) {
    return {};
  }
  return text ? parse_run_history(*text) : RunHistory{};
}

RunHistory note_start(const fs::path& state_dir, std::int64_t at_ms) {
  RunHistory h = read_run_history(state_dir);
  h.starts.push_back(at_ms);
  if (h.starts.size() > RunHistory::kKeptStarts) {
    h.starts.erase(
        h.starts.begin(),
        h.starts.begin() + static_cast<std::ptrdiff_t>(h.starts.size() - RunHistory::kKeptStarts));
  }
  write(state_dir, h);
  return h;
}

void note_exit(const fs::path& state_dir, const LastExit& exit) {
  RunHistory h = read_run_history(state_dir);
  h.last_exit = exit;
  write(state_dir, h);
}

int serving_pid(const fs::path& state_dir) {
  const fs::path lock = state_dir / "gateway.lock";
  struct stat st {};
  if (::stat(lock.c_str(), &st) != 0) return 0;
  int named = 0;  // the pid the gateway wrote once it held the lock
  {
    std::ifstream in(lock);
    in >> named;
  }
#ifdef __linux__
  // "1: FLOCK  ADVISORY  WRITE 1969 fe:00:10952842 0 EOF": a flock on our inode, and its pid.
  std::ifstream locks("/proc/locks");
  if (locks) {
    std::string line;
    while (std::getline(locks, line)) {
      std::istringstream fields(line);
      std::string id, type, mode, access, dev;
      long pid = 0;
      if (!(fields >> id >> type) || type == "->") continue;  // a waiter: "1: -> FLOCK ..."
      if (!(fields >> mode >> access >> pid >> dev) || type != "FLOCK") continue;
      const auto colon = dev.rfind(':');
      if (colon == std::string::npos) continue;
      char* end = nullptr;
      errno = 0;
      const unsigned long long ino = std::strtoull(dev.c_str() + colon + 1, &end, 10);
      if (errno != 0 || *end != '\0' || ino != static_cast<unsigned long long>(st.st_ino)) {
        continue;
      }
      // Same inode on another file system is possible: the lock file's pid must agree, unless
      // the holder has not written it yet (a start in its first microseconds).
      if (pid > 0 && (named == 0 || named == pid)) return static_cast<int>(pid);
    }
    return 0;
  }
#endif
  if (named > 0 && (::kill(named, 0) == 0 || errno == EPERM)) return named;
  return 0;
}

}  // namespace openclaw::sdk
