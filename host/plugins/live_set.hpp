#pragma once
// The instance's plugin set while the gateway runs: where plugins come from (the search path, the
// private copies of dropped-in libraries), watching the writable plugin folders for plugins
// dropped in, replaced or removed, and adopting a changed config. Each change is a line handed to
// the gateway's `publish` (logged, written to the instance record, broadcast).

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/environment.hpp"
#include "plugins/loader.hpp"
#include "plugins/manager.hpp"

namespace openclaw::sdk {
class FileWatcher;
}

namespace openclaw::plugins {

class LiveSet {
 public:
  using Publish = std::function<void(const std::vector<std::string>& changes)>;

  /// The search path and load options of `instance` (the bundled dir found from `self_exe`).
  LiveSet(Manager& manager, const Instance& instance, const Environment& env,
          const std::filesystem::path& self_exe);
  ~LiveSet();
  LiveSet(const LiveSet&) = delete;
  LiveSet& operator=(const LiveSet&) = delete;

  /// Loads every plugin on the search path (this instance's private copies from an earlier run
  /// are removed first: nobody uses them now), skipping quarantined ones (quarantine.hpp).
  /// Returns lines to log: plugins skipped, and plugins loaded again because their files changed.
  std::vector<std::string> load();
  /// Why the bundled plugins are missing (see plugins::bundled_problem), "" when they are there.
  const std::string& bundled_problem() const { return bundled_problem_; }
  /// Watches the writable folders of the search path; each change syncs the set and publishes.
  /// A folder that cannot be watched is logged as a warning through `warn`.
  void watch(boost::asio::io_context& io, Publish publish,
             const std::function<void(const std::string&)>& warn);
  /// Adopts a new config (see Manager::reconfigure) and publishes what changed.
  void reconfigure(boost::json::object root);
  /// Stops watching (a stopping gateway takes no new plugins).
  void stop();

  const std::vector<std::filesystem::path>& search() const { return search_; }
  /// The bundled plugin dir, empty when none was found.
  const std::filesystem::path& bundled() const { return options_.trusted_dir; }

 private:
  Manager& manager_;
  std::filesystem::path state_dir_;
  std::vector<std::filesystem::path> search_;
  LoadOptions options_;
  std::string bundled_problem_;
  Publish publish_;
  std::vector<std::unique_ptr<sdk::FileWatcher>> watchers_;
};

}  // namespace openclaw::plugins
