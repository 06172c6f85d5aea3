#pragma once
/// \file
/// A durable queue on disk: records survive a crash or a restart until they are acknowledged.
/// Used by the host for inbound channel messages; any plugin may keep its own (a webhook's
/// outbox, a retry list) in its data_dir(). DurableLog, below, is the same journal without the
/// in-memory index.
///
/// The file is a journal of JSON lines ("add" with the record, "ack" with its id). push() is
/// group-committed: every record pushed while the previous write is on its way shares the next
/// write and fdatasync, done on a writer thread of the queue's own, so the I/O thread never
/// waits on the disk and thousands of pushes a second cost a few syncs. A torn last line (a
/// crash mid-write) is dropped when the file is opened; the journal is rewritten (atomically)
/// to just the pending records when it grows past a few MB.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

class BOOST_SYMBOL_VISIBLE DurableQueue {
 public:
  /// Opens (or creates, 0600, parents 0700) the journal at `path` and reads what it holds.
  /// Callbacks are posted to `io`. Throws std::system_error naming the path.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<DurableQueue> open(boost::asio::io_context& io,
                                                                const std::filesystem::path& path);
  BOOST_SYMBOL_EXPORT ~DurableQueue();
  DurableQueue(const DurableQueue&) = delete;
  DurableQueue& operator=(const DurableQueue&) = delete;

  /// Appends `record` under `id`. `done(true, "")` runs on the I/O thread once it is on disk
  /// (fdatasync returned); `done(false, why)` when the id is already pending or the write failed.
  /// `done` may be empty.
  BOOST_SYMBOL_EXPORT void push(const std::string& id, const boost::json::value& record,
                                std::function<void(bool ok, const std::string& error)> done);
  /// Takes `id` off the queue (journaled with the next write; not synced by itself: after a
  /// crash right now the record is pending again, so handling is at-least-once across crashes).
  /// False when `id` is not pending.
  BOOST_SYMBOL_EXPORT bool ack(const std::string& id);
  /// Records pushed and not acknowledged, oldest first (after open(): what an earlier run left).
  BOOST_SYMBOL_EXPORT std::vector<std::pair<std::string, boost::json::value>> pending() const;
  BOOST_SYMBOL_EXPORT std::size_t depth() const;
  BOOST_SYMBOL_EXPORT bool contains(const std::string& id) const;
  /// How many fdatasync calls were made (each commits one group of pushes).
  BOOST_SYMBOL_EXPORT std::size_t syncs() const;
  BOOST_SYMBOL_EXPORT const std::filesystem::path& path() const;

  struct Impl;

 private:
  explicit DurableQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// An append-only journal of text lines with the same durability as DurableQueue::push (group
/// commit, fdatasync on a writer thread of its own, a torn last line dropped at open) but no index
/// in memory: for records whose owner keeps its own compact index (a replay window's hashes, an
/// audit trail). The owner compacts it with rewrite() when it knows what is still live.
class BOOST_SYMBOL_VISIBLE DurableLog {
 public:
  /// Opens (or creates, 0600, parents 0700) the journal at `path`. A FIFO, device or symlink
  /// there is refused. Callbacks are posted to `io`. Throws std::system_error naming the path.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<DurableLog> open(boost::asio::io_context& io,
                                                              const std::filesystem::path& path);
  BOOST_SYMBOL_EXPORT ~DurableLog();
  DurableLog(const DurableLog&) = delete;
  DurableLog& operator=(const DurableLog&) = delete;

  /// The complete lines the file held when it was opened, oldest first (without the newline).
  BOOST_SYMBOL_EXPORT const std::vector<std::string>& lines_at_open() const;
  /// Frees lines_at_open() once the owner has read them.
  BOOST_SYMBOL_EXPORT void release_lines_at_open();
  /// Appends `line` (no newline in it). `done(true, "")` runs on the I/O thread once it is on
  /// disk; `done(false, why)` when the write failed. `done` may be empty (still synced).
  BOOST_SYMBOL_EXPORT void append(std::string_view line,
                                  std::function<void(bool ok, const std::string& error)> done);
  /// Replaces the file's content with `lines` (temp + fsync + rename) after what was appended
  /// before this call; what is appended after it goes to the new file.
  BOOST_SYMBOL_EXPORT void rewrite(const std::vector<std::string>& lines);
  /// The journal's size in bytes, what is queued included.
  BOOST_SYMBOL_EXPORT std::size_t bytes() const;
  BOOST_SYMBOL_EXPORT const std::filesystem::path& path() const;

  struct Impl;

 private:
  explicit DurableLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace openclaw::sdk
