#pragma once
// Which ports a grant takes: the choice LeaseStore::grant makes between reading the store and
// writing it back, with no file I/O of its own. It reads the store's rows as scanned, asks the
// process table whether an instance in the way is alive (lazily: the cost does not grow with the
// number of unrelated instances) and the probe whether a port can be bound.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ports/lease_record.hpp"
#include "ports/lease_store.hpp"
#include "ports/plan.hpp"
#include "ports/system.hpp"

namespace openclaw::ports {

/// "profile \"main\" (pid 4121, ~/.openclaw-main)": how errors name an instance (paths under
/// `home` abbreviated).
std::string describe_owner(const Owner& owner, const std::filesystem::path& home);

/// Where "any" and range ports may go, beyond what other instances hold.
struct ChoiceRules {
  PortRange ephemeral;                   ///< avoided when a range leaves a choice
  std::optional<PortRange> any_pool;     ///< where "any" ports come from, when set
  std::vector<PortRange> avoided_spans;  ///< derived spans of instances configured, not running
  std::filesystem::path home;            ///< for paths in messages
};

class PortChoice {
 public:
  /// Throws a conflict error when another live process serves `owner`'s state dir. Rows found
  /// dead on the way are marked `drop` (reclaimed when the store is written back).
  PortChoice(std::vector<record::Row>& rows, const Owner& owner, const ChoiceRules& rules,
             const ProcessTable& processes, const PortProbe& probe);

  /// The row of `owner`'s own record, when the store has one.
  std::optional<std::size_t> own_row() const { return mine_; }
  /// The leases of `owner`'s own record (a run-time lease adds to them); throws when it has none.
  std::vector<Lease> own_leases() const;

  /// A lease for every port of `plan`, in plan order, all or nothing (throws PortConflict naming
  /// the port and the other side). `existing`: the leases the owner keeps when the plan is added
  /// to them (they stand in the way, their names may not be asked for again); nullptr when the
  /// plan replaces the owner's leases.
  std::vector<Lease> choose(const Plan& plan, const std::map<std::string, int>& remembered,
                            const std::vector<Lease>* existing, std::int64_t now_ms);

 private:
  bool alive(std::size_t row);
  Owner owner_at(std::size_t row) const;
  std::optional<std::size_t> held_by_other(int port);
  bool mine_already(int port) const;
  bool in_a_span(int port);
  void reserve_fixed(const Plan& plan, const std::vector<Lease>* existing);
  int choose_any(const PlannedPort& p, const std::map<std::string, int>& remembered);
  void check_fixed(const PlannedPort& p);
  int choose_in_range(const PlannedPort& p, const std::map<std::string, int>& remembered);
  /// The first of `candidates` free for `p`; 0 when none is.
  int first_free(const std::vector<int>& candidates, const PlannedPort& p, bool any);

  std::vector<record::Row>& rows_;
  const Owner& owner_;
  const ChoiceRules& rules_;
  const ProcessTable& processes_;
  const PortProbe& probe_;
  std::vector<signed char> live_;  ///< per row: -1 not asked yet, 0 dead, 1 alive
  std::optional<std::size_t> mine_;
  std::unordered_map<int, std::size_t> holder_;  ///< port -> row (other instances only)
  std::set<int> taken_;                          ///< ports this grant (and `existing`) holds
};

}  // namespace openclaw::ports
