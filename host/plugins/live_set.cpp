#include "plugins/live_set.hpp"

#include "openclaw/sdk/file_watcher.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;

LiveSet::LiveSet(Manager& manager, const Instance& instance, const Environment& env,
                 const fs::path& self_exe)
    : manager_(manager), state_dir_(instance.paths.state_dir) {
  const auto& paths = instance.paths;
  search_ = search_path(paths.state_dir, paths.home, instance.config.root(), env, self_exe);
  // Dropped-in libraries run from private copies (see LoadOptions::copy_dir).
  options_.copy_dir = paths.state_dir / "plugins-cache";
  options_.trusted_dir = bundled_dir(env, paths.home, self_exe);
  bundled_problem_ = plugins::bundled_problem(env, paths.home, self_exe);
  std::error_code ec;
  fs::create_directories(paths.state_dir / "plugins", ec);
}

LiveSet::~LiveSet() = default;

std::vector<std::string> LiveSet::load() {
  std::error_code ec;
  fs::remove_all(options_.copy_dir, ec);
  options_.quarantined = read_quarantine(state_dir_);
  manager_.load(search_, options_);
  Quarantine& kept = options_.quarantined;
  bool changed = false;
  // A quarantined plugin is skipped while its files stay as they were when it was first skipped;
  // one whose files changed is a new version, loaded again.
  std::vector<std::string> lines;
  for (const auto& slot : manager_.slots()) {
    const Record& r = slot->record;
    auto q = kept.find(r.id);
    if (q == kept.end()) continue;
    if (r.state == State::quarantined) {
      if (q->second.stamp.empty()) {
        q->second.stamp = r.stamp;
        changed = true;
      }
      lines.push_back("plugin " + r.id + " skipped: " + r.reason + " (`plugins enable " + r.id +
                      "` or a new version loads it again)");
    } else if (r.state != State::disabled) {  // disabled: not loaded, nothing learned
      lines.push_back("plugin " + r.id + " was quarantined (" + q->second.reason +
                      ") but its files changed: loading it again");
      kept.erase(q);
      changed = true;
    }
  }
  if (changed) write_quarantine(state_dir_, kept);
  return lines;
}

void LiveSet::watch(boost::asio::io_context& io, Publish publish,
                    const std::function<void(const std::string&)>& warn) {
  publish_ = std::move(publish);
  for (const auto& dir : search_) {
    std::error_code ec;
    if (dir == options_.trusted_dir || !fs::is_directory(dir, ec)) continue;
    try {
      watchers_.push_back(sdk::FileWatcher::watch(
          io, dir, [this](const auto&) { publish_(manager_.sync(search_, options_)); }));
    } catch (const std::exception& e) {
      warn(std::string("plugins: cannot watch for dropped-in plugins: ") + e.what());
    }
  }
}

void LiveSet::reconfigure(boost::json::object root) {
  auto changes = manager_.reconfigure(std::move(root), options_);
  if (publish_) publish_(changes);
}

void LiveSet::stop() {
  watchers_.clear();
}

}  // namespace openclaw::plugins
