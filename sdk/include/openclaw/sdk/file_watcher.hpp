#pragma once
/// \file
/// A recursive file watcher on the host's I/O context (Linux inotify): a plugin learns that
/// files under a folder changed — new subfolders included — without polling and without a thread.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/config.hpp>

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

/// Watches `root` and every folder below it. Changes (a file written and closed, created,
/// deleted, renamed, its attributes changed) are collected and reported together once no new
/// change came for `debounce`, so an editor's save or a copy of many files is one call.
/// OWNERSHIP: destroying the watcher stops it; no call comes after. Members on the I/O thread.
class BOOST_SYMBOL_VISIBLE FileWatcher {
 public:
  struct Options {
    std::chrono::milliseconds debounce{50};
  };
  /// The changed paths (absolute, each once, sorted), on the I/O thread.
  using Handler = std::function<void(const std::vector<std::filesystem::path>& changed)>;

  /// Starts watching. Throws std::system_error naming `root` when it cannot be watched (missing,
  /// not a folder, or the inotify limits reached).
  BOOST_SYMBOL_EXPORT static std::unique_ptr<FileWatcher> watch(boost::asio::io_context& io,
                                                                const std::filesystem::path& root,
                                                                Handler on_change, Options options);
  BOOST_SYMBOL_EXPORT static std::unique_ptr<FileWatcher> watch(boost::asio::io_context& io,
                                                                const std::filesystem::path& root,
                                                                Handler on_change);
  BOOST_SYMBOL_EXPORT ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  /// How many folders are watched now.
  BOOST_SYMBOL_EXPORT std::size_t folders() const;

  struct Impl;

 private:
  explicit FileWatcher(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace openclaw::sdk
