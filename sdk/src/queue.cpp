// DurableQueue: a JSON-lines journal with group commit on a writer thread; see queue.hpp.
#include "openclaw/sdk/queue.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "openclaw/sdk/files.hpp"

namespace openclaw::sdk {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kCompactAt = 4 << 20;  // journal bytes before it is rewritten

std::system_error sys_error(int err, const std::string& what) {
  return std::system_error(err, std::generic_category(), what);
}

bool write_all(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

// The journal file and its writer thread, shared by DurableQueue and DurableLog: lines handed
// over on the I/O thread are written (and, when a callback waits, fdatasync'd) by the writer in
// groups; callbacks are posted back to the I/O thread.
struct Journal {
  using Done = std::function<void(bool, const std::string&)>;
  boost::asio::io_context& io;
  fs::path path;
  int fd = -1;

  mutable std::mutex mu;  ///< guards everything below, and the owner's index (DurableQueue)
  std::condition_variable cv;
  std::string batch;                   ///< journal lines not yet written
  std::vector<Done> batch_done;        ///< their callbacks
  std::optional<std::string> replace;  ///< the file's new content (DurableLog::rewrite)
  std::size_t replace_cut = 0;         ///< bytes of `batch` queued before `replace` was set
  bool stopping = false;
  std::size_t journal_bytes = 0;
  std::size_t compact_at = kCompactAt;  ///< grows with what stays, so compaction stays linear
  std::size_t sync_count = 0;
  /// Called under `mu` on the writer thread once the journal passed compact_at: the content to
  /// rewrite it to (nullopt: leave it).
  std::function<std::optional<std::string>()> compaction;
  std::thread writer;

  Journal(boost::asio::io_context& c, fs::path p) : io(c), path(std::move(p)) {}
  ~Journal() { stop(); }

  // Opens (creating it 0600) and returns its complete lines' text; a torn last line is cut off.
  std::string load() {
    create_private_dirs(path.parent_path());
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                0600);
    if (fd < 0) throw sys_error(errno, "cannot open journal " + path.string());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      fd = -1;
      throw sys_error(EINVAL, "journal " + path.string() + " is not a regular file");
    }
    std::string text;
    char buf[65536];
    for (;;) {
      ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw sys_error(errno, "cannot read journal " + path.string());
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t good = text.rfind('\n');
    good = good == std::string::npos ? 0 : good + 1;
    if (good != text.size()) {
      if (::ftruncate(fd, static_cast<off_t>(good)) != 0) {
        throw sys_error(errno, "cannot trim the torn end of journal " + path.string());
      }
      text.resize(good);
    }
    journal_bytes = good;
    return text;
  }

  void start() {
    writer = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_one();
    if (writer.joinable()) writer.join();
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  // Under `mu`: queues `lines`; `done` (set: the caller waits for the sync) runs after it.
  void add(std::string_view lines, Done done, bool wants_sync) {
    batch += lines;
    if (wants_sync)
      batch_done.push_back(done ? std::move(done) : Done([](bool, const std::string&) {}));
  }

  void run() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !batch.empty() || replace; });
      if (batch.empty() && !replace && stopping) return;
      std::string lines = std::move(batch);
      batch.clear();
      std::vector<Done> done = std::move(batch_done);
      batch_done.clear();
      std::optional<std::string> content = std::move(replace);
      replace.reset();
      // Lines queued before a rewrite was asked for go to the old file (the new content holds
      // them); lines queued after it, to the new one.
      std::string_view before(lines), after;
      if (content) {
        before = before.substr(0, replace_cut);
        after = std::string_view(lines).substr(replace_cut);
      }
      lock.unlock();
      std::string error;
      if (!write_all(fd, before))
        error = "cannot write journal " + path.string() + ": " + std::strerror(errno);
      lock.lock();
      journal_bytes += before.size();
      if (error.empty() && content) rewrite(*content);
      lock.unlock();
      if (error.empty() && !write_all(fd, after)) {
        error = "cannot write journal " + path.string() + ": " + std::strerror(errno);
      }
      if (error.empty() && !done.empty() && ::fdatasync(fd) != 0) {
        error = "cannot sync journal " + path.string() + ": " + std::strerror(errno);
      }
      lock.lock();
      if (!done.empty()) ++sync_count;
      journal_bytes += after.size();
      if (error.empty() && journal_bytes > compact_at && compaction) {
        if (auto c = compaction()) rewrite(*c);
      }
      lock.unlock();
      if (!done.empty()) {
        boost::asio::post(io, [done = std::move(done), error] {
          for (const auto& d : done) {
            if (d) d(error.empty(), error);
          }
        });
      }
      lock.lock();
    }
  }

  // Replaces the journal with `content` (temp + fsync + rename), under `mu`.
  void rewrite(const std::string& content) {
    try {
      write_file_atomic(path, content, fs::perms(0600));
    } catch (const std::exception&) {
      return;  // the long journal stays valid; try again after the next write
    }
    int nfd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    if (nfd < 0) return;
    ::close(fd);
    fd = nfd;
    journal_bytes = content.size();
    compact_at = std::max(kCompactAt, 2 * content.size());
  }
};

struct DurableQueue::Impl {
  Journal journal;
  // The index, under journal.mu (the writer reads it when compacting).
  std::list<std::string> order;  ///< pending ids, oldest first
  std::unordered_map<std::string, std::pair<json::value, std::list<std::string>::iterator>> records;

  Impl(boost::asio::io_context& c, fs::path p) : journal(c, std::move(p)) {}

  void load() {
    std::string text = journal.load();
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      apply(std::string_view(text).substr(start, nl - start));
      start = nl + 1;
    }
    journal.compaction = [this]() -> std::optional<std::string> {
      std::string content;
      for (const auto& id : order) {
        content += json::serialize(json::object{{"add", id}, {"record", records.at(id).first}});
        content += '\n';
      }
      return content;
    };
  }

  // One journal line: {"add":id,"record":...} or {"ack":id}. Unreadable lines are skipped.
  void apply(std::string_view line) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) return;
    const auto& o = v.get_object();
    if (const auto* a = o.if_contains("add"); a && a->is_string()) {
      std::string id(a->get_string());
      const json::value* rec = o.if_contains("record");
      if (records.count(id)) return;
      order.push_back(id);
      records.emplace(id,
                      std::make_pair(rec ? *rec : json::value(nullptr), std::prev(order.end())));
    } else if (const auto* k = o.if_contains("ack"); k && k->is_string()) {
      erase(std::string(k->get_string()));
    }
  }

  bool erase(const std::string& id) {
    auto it = records.find(id);
    if (it == records.end()) return false;
    order.erase(it->second.second);
    records.erase(it);
    return true;
  }
};

DurableQueue::DurableQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<DurableQueue> DurableQueue::open(boost::asio::io_context& io,
                                                 const fs::path& path) {
  auto impl = std::make_unique<Impl>(io, path);
  impl->load();
  impl->journal.start();
  return std::unique_ptr<DurableQueue>(new DurableQueue(std::move(impl)));
}

DurableQueue::~DurableQueue() {
  impl_->journal.stop();
}

void DurableQueue::push(const std::string& id, const json::value& record,
                        std::function<void(bool, const std::string&)> done) {
  std::string line = json::serialize(json::object{{"add", id}, {"record", record}});
  line += '\n';
  {
    std::lock_guard lock(impl_->journal.mu);
    if (impl_->records.count(id)) {
      if (done) {
        boost::asio::post(impl_->journal.io,
                          [done = std::move(done), id] { done(false, "duplicate id " + id); });
      }
      return;
    }
    impl_->order.push_back(id);
    impl_->records.emplace(id, std::make_pair(record, std::prev(impl_->order.end())));
    // A push without a callback still wants the group's sync.
    impl_->journal.add(line, std::move(done), true);
  }
  impl_->journal.cv.notify_one();
}

bool DurableQueue::ack(const std::string& id) {
  {
    std::lock_guard lock(impl_->journal.mu);
    if (!impl_->erase(id)) return false;
    impl_->journal.add(json::serialize(json::object{{"ack", id}}) + "\n", nullptr, false);
  }
  impl_->journal.cv.notify_one();
  return true;
}

std::vector<std::pair<std::string, json::value>> DurableQueue::pending() const {
  std::lock_guard lock(impl_->journal.mu);
  std::vector<std::pair<std::string, json::value>> out;
  out.reserve(impl_->order.size());
  for (const auto& id : impl_->order) out.emplace_back(id, impl_->records.at(id).first);
  return out;
}

std::size_t DurableQueue::depth() const {
  std::lock_guard lock(impl_->journal.mu);
  return impl_->order.size();
}

bool DurableQueue::contains(const std::string& id) const {
  std::lock_guard lock(impl_->journal.mu);
  return impl_->records.count(id) != 0;
}

std::size_t DurableQueue::syncs() const {
  std::lock_guard lock(impl_->journal.mu);
  return impl_->journal.sync_count;
}

const fs::path& DurableQueue::path() const {
  return impl_->journal.path;
}

// ---- DurableLog ---------------------------------------------------------------------------------

struct DurableLog::Impl {
  Journal journal;
  std::vector<std::string> initial;
  Impl(boost::asio::io_context& c, fs::path p) : journal(c, std::move(p)) {}
};

DurableLog::DurableLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<DurableLog> DurableLog::open(boost::asio::io_context& io, const fs::path& path) {
  auto impl = std::make_unique<Impl>(io, path);
  std::string text = impl->journal.load();
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    impl->initial.emplace_back(text, start, nl - start);
    start = nl + 1;
  }
  impl->journal.start();
  return std::unique_ptr<DurableLog>(new DurableLog(std::move(impl)));
}

DurableLog::~DurableLog() {
  impl_->journal.stop();
}

const std::vector<std::string>& DurableLog::lines_at_open() const {
  return impl_->initial;
}

void DurableLog::release_lines_at_open() {
  std::vector<std::string>().swap(impl_->initial);
}

void DurableLog::append(std::string_view line,
                        std::function<void(bool ok, const std::string& error)> done) {
  {
    std::lock_guard lock(impl_->journal.mu);
    impl_->journal.batch += line;
    impl_->journal.batch += '\n';
    impl_->journal.add({}, std::move(done), true);
  }
  impl_->journal.cv.notify_one();
}

void DurableLog::rewrite(const std::vector<std::string>& lines) {
  std::string content;
  for (const auto& l : lines) {
    content += l;
    content += '\n';
  }
  {
    std::lock_guard lock(impl_->journal.mu);
    impl_->journal.replace = std::move(content);
    impl_->journal.replace_cut = impl_->journal.batch.size();
  }
  impl_->journal.cv.notify_one();
}

std::size_t DurableLog::bytes() const {
  std::lock_guard lock(impl_->journal.mu);
  return impl_->journal.journal_bytes + impl_->journal.batch.size();
}

const fs::path& DurableLog::path() const {
  return impl_->journal.path;
}

}  // namespace openclaw::sdk
