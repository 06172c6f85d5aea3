#pragma once
/// \file
/// A durable queue on disk: records survive a crash or a restart until they are acknowledged.
/// Used by the host for inbound channel messages; any plugin may keep its own (a webhook's
/// outbox, a retry list) in its data_dir().
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

}  // namespace openclaw::sdk
