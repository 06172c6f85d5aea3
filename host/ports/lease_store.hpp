#pragma once
// The machine-wide lease store: one directory per user shared by every instance, one file of
// live leases, every read-modify-write under one flock. A lease lives only as long as the
// process that took it (pid + start time); dead or reused pids are reclaimed on the next access.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/environment.hpp"
#include "ports/plan.hpp"
#include "ports/system.hpp"

namespace openclaw::ports {

/// The instance that holds leases: one process serving one state dir.
struct Owner {
  std::optional<std::string> profile;
  std::string state_dir;
  int pid = 0;
  std::uint64_t start_time = 0;
  int base = 0;  ///< the instance's base port, so `setup` elsewhere can avoid its derived set
};

struct Lease {
  std::string name;
  int port = 0;
  std::string bind;
  sdk::PortSource source = sdk::PortSource::offset;  ///< how it was chosen
  std::int64_t granted_at_ms = 0;
};

struct InstanceLeases {
  Owner owner;
  std::vector<Lease> leases;
  bool stale = false;  ///< its process is gone (or the pid was reused)
  std::string raw;     ///< the record as read from the store; empty once changed

  const Lease* find(const std::string& name) const;
};

/// {name, port, bind, source, grantedAt}: how leases appear in listings and gateway methods.
boost::json::object to_json(const Lease& lease);

class LeaseStore {
 public:
  /// `home` is only used to abbreviate paths in messages.
  explicit LeaseStore(std::filesystem::path dir, std::filesystem::path home = {},
                      const ProcessTable& processes = system_processes(),
                      const PortProbe& probe = system_probe());

  /// `$OPENCLAW_PORT_REGISTRY_DIR`, else `$XDG_RUNTIME_DIR/openclaw-ports`, else
  /// `<temp dir>/openclaw-ports-<uid>`.
  static std::filesystem::path default_dir(const Environment& env);

  const std::filesystem::path& dir() const { return dir_; }

  /// The ports range leases avoid when the range leaves a choice (default: the system's
  /// ephemeral range, see system_ephemeral_range()).
  void set_ephemeral_range(PortRange range) { ephemeral_ = range; }

  /// Leases every port of `plan` for `owner`, all or nothing, under the lock. Fixed ports held by
  /// another live instance or bound by another program are refused with a conflict error naming
  /// the other side; range ports take `remembered[name]` when free, else the first free port in
  /// the range outside the ephemeral range, else the first free one inside it. "Any" ports take
  /// `remembered[name]` when still free, else the first free port above the ephemeral range,
  /// else below it, outside every live instance's derived span (base .. base + 110). Replaces any
  /// earlier leases of the same owner. Returns the leases granted, in plan order.
  std::vector<Lease> acquire(const Owner& owner, const Plan& plan,
                             const std::map<std::string, int>& remembered = {});

  /// Leases the ports of `plan` in addition to what `owner` already holds (a plugin's port at
  /// run time), with the same checks, all or nothing. The owner must hold leases already.
  std::vector<Lease> lease_more(const Owner& owner, const Plan& plan,
                                const std::map<std::string, int>& remembered = {});
  /// Drops one lease of `owner` by name. Returns false when it held none of that name.
  bool release_port(const Owner& owner, const std::string& name);

  /// Port ranges "any free port" requests also keep out of (e.g. the derived spans of profiles
  /// configured on this machine but not running).
  void set_avoided_spans(std::vector<PortRange> spans) { avoided_spans_ = std::move(spans); }

  /// Drops the leases of `owner` (same pid and state dir). Returns false when it held none.
  bool release(const Owner& owner);

  /// Every instance in the store, stale ones flagged. With `prune`, stale ones are removed.
  std::vector<InstanceLeases> list(bool prune);

  /// The same as list(false), for a caller that asks often (a command answered per message):
  /// read without the lock (every write replaces the file atomically, so a read sees one whole
  /// version), parsed again only when the file changed (inode, mtime, size), and this process's
  /// own record known live without a look at /proc. A damaged file reads as empty here; list()
  /// is what sets it aside.
  std::vector<InstanceLeases> snapshot();

  /// "profile \"main\" (pid 4121, ~/.openclaw-main)" — how errors name an instance.
  std::string describe(const Owner& owner) const;

 private:
  class Lock;
  std::string read_text_locked();  ///< the records after the header line
  std::vector<InstanceLeases> read_locked();
  void write_text_locked(const std::string& records);
  void write_locked(const std::vector<InstanceLeases>& instances);
  bool is_live(const Owner& owner) const;
  void ensure_dir() const;

  std::filesystem::path dir_;
  std::filesystem::path home_;
  const ProcessTable& processes_;
  const PortProbe& probe_;
  PortRange ephemeral_ = system_ephemeral_range();
  std::vector<PortRange> avoided_spans_;
  std::optional<PortRange> any_pool_ = system_plugin_port_pool();
  std::vector<Lease> grant(const Owner& owner, const Plan& plan,
                           const std::map<std::string, int>& remembered, bool append);
  bool edit_own_record(const Owner& owner,
                       const std::function<bool(InstanceLeases& record, bool& drop)>& edit);
  mutable bool dir_checked_ = false;  ///< ownership and mode are checked once per store object
  // snapshot(): the file version last parsed and what it held.
  struct FileVersion {
    std::uint64_t ino = 0, size = 0;
    std::int64_t mtime_sec = -1, mtime_nsec = 0;
    bool operator==(const FileVersion&) const = default;
  };
  FileVersion snapshot_version_;
  std::vector<InstanceLeases> snapshot_;
  mutable std::optional<std::uint64_t> own_start_;  ///< this process's start time, once read
};

}  // namespace openclaw::ports
