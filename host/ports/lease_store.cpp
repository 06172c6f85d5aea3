#include "ports/lease_store.hpp"
#include "ports/lease_record.hpp"
#include "ports/plan.hpp"
#include "ports/port_choice.hpp"

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

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/files.hpp"
#include "profile/profile.hpp"

namespace openclaw::ports {
namespace fs = std::filesystem;
using namespace record;

namespace {

constexpr const char* kStoreFile = "leases";
constexpr const char* kLockFile = "lock";

// The store file: a header line, then one line per instance, fields separated by single spaces:
//   <pid> <startTime> <base> <profile|~> <stateDir> <n> (<name> <port> <bind> <source>
//   <grantedAt>){n}
// String fields are %-escaped (space, %, control bytes). A line-per-instance text format instead
// of JSON keeps a transaction's cost flat: unchanged instances are copied back verbatim.
constexpr std::string_view kHeader = "openclaw-port-leases 1";

}  // namespace

boost::json::object to_json(const Lease& l) {
  return {{"name", l.name},
          {"port", l.port},
          {"bind", l.bind},
          {"source", source_name(l.source)},
          {"grantedAt", l.granted_at_ms}};
}

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
  if (dir_checked_) return;
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
    throw usage_error(
        "port registry directory belongs to another user (uid " + std::to_string(st.st_uid) + ")",
        dir_.string());
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    throw usage_error("port registry directory is writable by group or others; chmod 700 it",
                      dir_.string());
  }
  dir_checked_ = true;
}

std::string LeaseStore::describe(const Owner& owner) const {
  return describe_owner(owner, home_);
}

bool LeaseStore::is_live(const Owner& owner) const {
  if (owner.pid == ::getpid()) {  // this process: alive, and its start time never changes
    if (!own_start_) own_start_ = processes_.start_time(owner.pid);
    return own_start_ && *own_start_ == owner.start_time;
  }
  auto st = processes_.start_time(owner.pid);
  return st && *st == owner.start_time;
}

namespace {

// The records (after the header line) of the store file open as `fd`: "" for an empty file,
// nullopt for one that is not a store file.
std::optional<std::string> records_of(int fd) {
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  if (std::string_view(text).substr(0, kHeader.size() + 1) == std::string(kHeader) + "\n") {
    return text.substr(kHeader.size() + 1);
  }
  if (text.empty()) return std::string();
  return std::nullopt;
}

std::vector<InstanceLeases> parse_records(std::string_view records) {
  std::vector<InstanceLeases> out;
  for (std::string_view line : record_lines(records)) {
    if (auto inst = from_line(line)) {
      inst->raw.assign(line);
      out.push_back(std::move(*inst));
    }
  }
  return out;
}

}  // namespace

std::string LeaseStore::read_text_locked() {
  fs::path path = dir_ / kStoreFile;
  // Read on the I/O thread too (run-time leases): a FIFO or a device in its place is damage from
  // outside like any other, never waited on.
  sdk::RegularFile file = sdk::open_regular_file(path);
  if (!file && file.refusal == sdk::RegularFile::Refusal::error) return {};
  auto records = file ? records_of(file.fd) : std::nullopt;
  if (records) return std::move(*records);
  // Writes are atomic, so this is damage from outside: keep the evidence, start empty. Live
  // gateways re-lease on their next start; until then a bind probe still protects their ports.
  fs::path aside = path;
  aside += ".corrupt";
  ::rename(path.c_str(), aside.c_str());
  return {};
}

std::vector<InstanceLeases> LeaseStore::read_locked() {
  return parse_records(read_text_locked());
}

void LeaseStore::write_text_locked(const std::string& records) {
  std::string text(kHeader);
  text += '\n';
  text += records;
  try {
    // Leases describe running processes; they need atomicity, not durability across power loss.
    sdk::write_file_atomic(dir_ / kStoreFile, text, fs::perms(0600), false, /*durable=*/false);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot write the port registry: ") + e.what(), dir_.string());
  }
}

void LeaseStore::write_locked(const std::vector<InstanceLeases>& instances) {
  std::string records;
  for (const auto& inst : instances) {
    if (inst.stale) continue;
    records += inst.raw.empty() ? to_line(inst) : inst.raw;
    records += '\n';
  }
  write_text_locked(records);
}

std::vector<Lease> LeaseStore::acquire(const Owner& owner, const Plan& plan,
                                       const std::map<std::string, int>& remembered) {
  return grant(owner, plan, remembered, /*append=*/false);
}

std::vector<Lease> LeaseStore::lease_more(const Owner& owner, const Plan& plan,
                                          const std::map<std::string, int>& remembered) {
  return grant(owner, plan, remembered, /*append=*/true);
}

// The store read, the choice made (port_choice.hpp), the store written back: `owner`'s record
// replaced by its leases and those granted, rows of dead instances dropped, the others verbatim.
std::vector<Lease> LeaseStore::grant(const Owner& owner, const Plan& plan,
                                     const std::map<std::string, int>& remembered, bool append) {
  ensure_dir();
  Lock lock(dir_);
  const std::string text = read_text_locked();
  std::vector<Row> rows;
  for (std::string_view line : record_lines(text)) {
    if (auto row = scan_line(line)) rows.push_back(std::move(*row));
  }
  const ChoiceRules rules{ephemeral_, any_pool_, avoided_spans_, home_};
  PortChoice choice(rows, owner, rules, processes_, probe_);
  std::vector<Lease> all;
  if (append) all = choice.own_leases();
  std::vector<Lease> granted = choice.choose(plan, remembered, append ? &all : nullptr, now_ms());
  all.insert(all.end(), granted.begin(), granted.end());

  if (auto mine = choice.own_row()) rows[*mine].drop = true;
  std::string records;
  records.reserve(text.size() + 512);
  for (const auto& r : rows) {
    if (r.drop) continue;
    records.append(r.line);
    records += '\n';
  }
  records += to_line(InstanceLeases{owner, std::move(all), false, {}});
  records += '\n';
  write_text_locked(records);
  return granted;
}

// Rewrites the store with `owner`'s record changed by `edit` (nullopt: the record goes), under
// the lock; other records stay as they are and damaged ones are dropped. False, and nothing is
// written, when the owner has no record or `edit` changes nothing.
bool LeaseStore::edit_own_record(
    const Owner& owner, const std::function<bool(InstanceLeases& record, bool& drop)>& edit) {
  ensure_dir();
  Lock lock(dir_);
  const std::string text = read_text_locked();
  const std::string my_dir = escape(owner.state_dir);
  std::string records;
  records.reserve(text.size());
  bool changed = false;
  for (std::string_view line : record_lines(text)) {
    auto row = scan_line(line);
    if (!row) continue;  // damaged records are dropped on write
    if (row->pid == owner.pid && row->start == owner.start_time && row->state_dir == my_dir) {
      auto inst = from_line(line).value_or(InstanceLeases{});
      bool drop = false;
      if (edit(inst, drop)) {
        changed = true;
        if (drop) continue;
        records += to_line(inst);
        records += '\n';
        continue;
      }
    }
    records.append(line);
    records += '\n';
  }
  if (changed) write_text_locked(records);
  return changed;
}

bool LeaseStore::release_port(const Owner& owner, const std::string& name) {
  return edit_own_record(owner, [&](InstanceLeases& inst, bool&) {
    return std::erase_if(inst.leases, [&](const Lease& l) { return l.name == name; }) > 0;
  });
}

bool LeaseStore::release(const Owner& owner) {
  return edit_own_record(owner, [](InstanceLeases&, bool& drop) {
    drop = true;
    return true;
  });
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

std::vector<InstanceLeases> LeaseStore::snapshot() {
  ensure_dir();
  const fs::path path = dir_ / kStoreFile;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  FileVersion version{static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
                      st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  if (!(version == snapshot_version_)) {
    sdk::RegularFile file = sdk::open_regular_file(path);  // never a FIFO: see read_text_locked
    if (!file) return {};
    // The version read, which may be newer than the one stat'ed.
    version = FileVersion{file.inode, file.size, file.mtime_sec, file.mtime_nsec};
    auto records = records_of(file.fd);
    snapshot_ = parse_records(records.value_or(""));
    snapshot_version_ = version;
  }
  std::vector<InstanceLeases> out = snapshot_;
  for (auto& inst : out) inst.stale = !is_live(inst.owner);
  return out;
}

}  // namespace openclaw::ports
