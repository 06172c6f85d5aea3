#include "ports/lease_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include <boost/json.hpp>

#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"
#include "profile/profile.hpp"

namespace openclaw::ports {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kStoreFile = "leases.json";
constexpr const char* kLockFile = "lock";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* source_name(sdk::PortSource s) {
  switch (s) {
    case sdk::PortSource::offset: return "offset";
    case sdk::PortSource::config: return "config";
    case sdk::PortSource::range: return "range";
  }
  return "offset";
}

json::value to_json(const InstanceLeases& inst) {
  json::array leases;
  for (const auto& l : inst.leases) {
    leases.push_back(json::object{{"name", l.name},
                                  {"port", l.port},
                                  {"bind", l.bind},
                                  {"source", l.source},
                                  {"grantedAt", l.granted_at_ms}});
  }
  json::object o;
  o["profile"] = inst.owner.profile ? json::value(*inst.owner.profile) : json::value(nullptr);
  o["stateDir"] = inst.owner.state_dir;
  o["pid"] = inst.owner.pid;
  o["startTime"] = inst.owner.start_time;
  o["base"] = inst.owner.base;
  o["leases"] = std::move(leases);
  return o;
}

// Tolerant reader: a record with a missing or mistyped field is skipped, never fatal.
std::optional<InstanceLeases> from_json(const json::value& v) {
  const json::object* o = v.if_object();
  if (!o) return std::nullopt;
  InstanceLeases inst;
  const json::value* profile = o->if_contains("profile");
  if (profile && profile->is_string()) inst.owner.profile = std::string(profile->get_string());
  const json::value* sd = o->if_contains("stateDir");
  const json::value* pid = o->if_contains("pid");
  const json::value* st = o->if_contains("startTime");
  const json::value* leases = o->if_contains("leases");
  if (!sd || !sd->is_string() || !pid || !pid->is_int64() || !st || !leases ||
      !leases->is_array()) {
    return std::nullopt;
  }
  inst.owner.state_dir = std::string(sd->get_string());
  inst.owner.pid = static_cast<int>(pid->get_int64());
  inst.owner.start_time = st->is_uint64() ? st->get_uint64()
                          : st->is_int64() ? static_cast<std::uint64_t>(st->get_int64())
                                           : 0;
  if (const json::value* base = o->if_contains("base"); base && base->is_int64()) {
    inst.owner.base = static_cast<int>(base->get_int64());
  }
  for (const auto& lv : leases->get_array()) {
    const json::object* lo = lv.if_object();
    if (!lo) continue;
    Lease l;
    const json::value* name = lo->if_contains("name");
    const json::value* port = lo->if_contains("port");
    if (!name || !name->is_string() || !port || !port->is_int64()) continue;
    l.name = std::string(name->get_string());
    l.port = static_cast<int>(port->get_int64());
    if (const json::value* b = lo->if_contains("bind"); b && b->is_string()) {
      l.bind = std::string(b->get_string());
    }
    if (const json::value* s = lo->if_contains("source"); s && s->is_string()) {
      l.source = std::string(s->get_string());
    }
    if (const json::value* g = lo->if_contains("grantedAt"); g && g->is_int64()) {
      l.granted_at_ms = g->get_int64();
    }
    inst.leases.push_back(std::move(l));
  }
  return inst;
}

bool same_owner(const Owner& a, const Owner& b) {
  return a.pid == b.pid && a.start_time == b.start_time && a.state_dir == b.state_dir;
}

}  // namespace

const Lease* InstanceLeases::find(const std::string& name) const {
  for (const auto& l : leases) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

// Holds the store's flock for one transaction.
class LeaseStore::Lock {
 public:
  explicit Lock(const fs::path& dir) {
    fs::path path = dir / kLockFile;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      throw usage_error("cannot open the port registry lock: " + std::string(std::strerror(errno)),
                        path.string());
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        int saved = errno;
        ::close(fd_);
        throw usage_error("cannot lock the port registry: " + std::string(std::strerror(saved)),
                          path.string());
      }
    }
  }
  ~Lock() { ::close(fd_); }  // closing releases the flock
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  int fd_ = -1;
};

LeaseStore::LeaseStore(fs::path dir, fs::path home, const ProcessTable& processes,
                       const PortProbe& probe)
    : dir_(std::move(dir)), home_(std::move(home)), processes_(processes), probe_(probe) {}

fs::path LeaseStore::default_dir(const Environment& env) {
  if (auto d = env.get("OPENCLAW_PORT_REGISTRY_DIR")) return fs::path(*d);
  if (auto x = env.get("XDG_RUNTIME_DIR")) return fs::path(*x) / "openclaw-ports";
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  return tmp / ("openclaw-ports-" + std::to_string(::getuid()));
}

void LeaseStore::ensure_dir() const {
  try {
    sdk::create_private_dirs(dir_);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot create the port registry: ") + e.what(), dir_.string());
  }
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw usage_error("port registry is not a directory", dir_.string());
  }
  // A shared temp dir: refuse a registry another user could plant or edit.
  if (st.st_uid != ::geteuid()) {
    throw usage_error("port registry directory belongs to another user (uid " +
                          std::to_string(st.st_uid) + ")",
                      dir_.string());
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    throw usage_error("port registry directory is writable by group or others; chmod 700 it",
                      dir_.string());
  }
}

std::string LeaseStore::describe(const Owner& owner) const {
  std::string who = owner.profile ? "profile \"" + *owner.profile + "\"" : "the default profile";
  return who + " (pid " + std::to_string(owner.pid) + ", " +
         profile::display_path(owner.state_dir, home_) + ")";
}

bool LeaseStore::is_live(const Owner& owner) const {
  auto st = processes_.start_time(owner.pid);
  return st && *st == owner.start_time;
}

std::vector<InstanceLeases> LeaseStore::read_locked() {
  std::vector<InstanceLeases> out;
  fs::path path = dir_ / kStoreFile;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::value* instances = nullptr;
  if (!ec && v.is_object()) instances = v.get_object().if_contains("instances");
  if (!instances || !instances->is_array()) {
    // Writes are atomic, so this is damage from outside: keep the evidence, start empty. Live
    // gateways re-lease on their next start; until then a bind probe still protects their ports.
    fs::path aside = path;
    aside += ".corrupt";
    ::rename(path.c_str(), aside.c_str());
    return out;
  }
  for (const auto& iv : instances->get_array()) {
    if (auto inst = from_json(iv)) out.push_back(std::move(*inst));
  }
  return out;
}

void LeaseStore::write_locked(const std::vector<InstanceLeases>& instances) {
  json::array arr;
  for (const auto& inst : instances) {
    if (!inst.stale) arr.push_back(to_json(inst));
  }
  json::object root{{"version", 1}, {"instances", std::move(arr)}};
  try {
    // Leases describe running processes; they need atomicity, not durability across power loss.
    sdk::write_file_atomic(dir_ / kStoreFile, json::serialize(root), fs::perms(0600), false,
                           /*durable=*/false);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot write the port registry: ") + e.what(), dir_.string());
  }
}

std::vector<Lease> LeaseStore::acquire(const Owner& owner, const Plan& plan,
                                       const std::map<std::string, int>& remembered) {
  ensure_dir();
  Lock lock(dir_);
  auto instances = read_locked();

  // Liveness is checked lazily, only for instances that stand in the way, so the cost does not
  // grow with the number of unrelated instances on the machine.
  std::vector<int> live(instances.size(), -1);
  auto alive = [&](size_t i) {
    if (live[i] < 0) live[i] = is_live(instances[i].owner) ? 1 : 0;
    if (!live[i]) instances[i].stale = true;
    return live[i] == 1;
  };

  std::optional<size_t> mine;
  std::unordered_map<int, size_t> holder;  // port -> instance index (other instances only)
  for (size_t i = 0; i < instances.size(); ++i) {
    const Owner& o = instances[i].owner;
    if (same_owner(o, owner)) {
      mine = i;
      continue;
    }
    if (o.state_dir == owner.state_dir) {
      if (alive(i)) {
        throw conflict_error("state dir " + profile::display_path(owner.state_dir, home_) +
                             " is already served by " + describe(o) +
                             "; one gateway per state dir");
      }
      continue;
    }
    for (const auto& l : instances[i].leases) holder.emplace(l.port, i);
  }
  auto held_by_other = [&](int port) -> std::optional<size_t> {
    auto it = holder.find(port);
    if (it == holder.end() || !alive(it->second)) return std::nullopt;
    return it->second;
  };
  auto mine_already = [&](int port) {
    if (!mine) return false;
    for (const auto& l : instances[*mine].leases) {
      if (l.port == port) return true;
    }
    return false;
  };

  std::vector<Lease> granted;
  std::set<int> taken;
  const std::int64_t now = now_ms();
  for (const auto& p : plan.ports) {
    if (!p.is_range()) taken.insert(p.port);
  }
  for (const auto& p : plan.ports) {
    Lease lease{p.name(), p.port, p.request.bind, source_name(p.request.source), now};
    if (!p.is_range()) {
      if (auto other = held_by_other(p.port)) {
        throw conflict_error("port " + std::to_string(p.port) + " (" + p.name() +
                             ") is held by " + describe(instances[*other].owner));
      }
      if (!mine_already(p.port) && !probe_.bindable(p.port, p.request.bind)) {
        std::string who = probe_.holder(p.port);
        throw conflict_error("port " + std::to_string(p.port) + " (" + p.name() +
                             ") is in use by another program" +
                             (who.empty() ? "" : " (" + who + ")"));
      }
    } else {
      std::vector<int> candidates;
      if (auto r = remembered.find(p.name());
          r != remembered.end() && r->second >= p.range_lo && r->second <= p.range_hi) {
        candidates.push_back(r->second);
      }
      for (int port = p.range_lo; port <= p.range_hi; ++port) candidates.push_back(port);
      lease.port = 0;
      for (int port : candidates) {
        if (taken.count(port) || held_by_other(port)) continue;
        if (!mine_already(port) && !probe_.bindable(port, p.request.bind)) continue;
        lease.port = port;
        taken.insert(port);
        break;
      }
      if (lease.port == 0) {
        throw conflict_error("no free port for " + p.name() + " in " +
                             std::to_string(p.range_lo) + ".." + std::to_string(p.range_hi) +
                             ": every port there is held by another instance or program");
      }
    }
    granted.push_back(std::move(lease));
  }

  InstanceLeases record{owner, granted, false};
  if (mine) {
    instances[*mine] = std::move(record);
  } else {
    instances.push_back(std::move(record));
  }
  write_locked(instances);
  return granted;
}

bool LeaseStore::release(const Owner& owner) {
  ensure_dir();
  Lock lock(dir_);
  auto instances = read_locked();
  bool found = false;
  for (auto& inst : instances) {
    if (same_owner(inst.owner, owner)) {
      inst.stale = true;  // write_locked drops it
      found = true;
    }
  }
  if (found) write_locked(instances);
  return found;
}

std::vector<InstanceLeases> LeaseStore::list(bool prune) {
  ensure_dir();
  Lock lock(dir_);
  auto instances = read_locked();
  bool any_stale = false;
  for (auto& inst : instances) {
    inst.stale = !is_live(inst.owner);
    any_stale = any_stale || inst.stale;
  }
  if (prune && any_stale) write_locked(instances);
  return instances;
}

std::optional<InstanceLeases> LeaseStore::find_instance(const std::string& state_dir) {
  for (auto& inst : list(false)) {
    if (!inst.stale && inst.owner.state_dir == state_dir) return inst;
  }
  return std::nullopt;
}

}  // namespace openclaw::ports
