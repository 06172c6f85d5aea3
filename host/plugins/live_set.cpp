#include "plugins/live_set.hpp"

#include "openclaw/sdk/file_watcher.hpp"

namespace openclaw::plugins {
namespace fs = std::filesystem;

LiveSet::LiveSet(Manager& manager, const Instance& instance, const Environment& env,
                 const fs::path& self_exe)
    : manager_(manager) {
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

void LiveSet::load() {
  std::error_code ec;
  fs::remove_all(options_.copy_dir, ec);
  manager_.load(search_, options_);
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
