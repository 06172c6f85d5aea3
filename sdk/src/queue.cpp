// DurableQueue: a JSON-lines journal with group commit on a writer thread; see queue.hpp.
#include "openclaw/sdk/queue.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
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

bool write_all(int fd, const std::string& data) {
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

struct DurableQueue::Impl {
  using Done = std::function<void(bool, const std::string&)>;
  boost::asio::io_context& io;
  fs::path path;
  int fd = -1;

  // I/O-thread state (the writer reads `order`/`records` only under `mu`, when compacting).
  mutable std::mutex mu;
  std::list<std::string> order;  ///< pending ids, oldest first
  std::unordered_map<std::string, std::pair<json::value, std::list<std::string>::iterator>> records;

  // Handed to the writer thread.
  std::condition_variable cv;
  std::string batch;                  ///< journal lines not yet written
  std::vector<Done> batch_done;       ///< their callbacks
  bool stopping = false;
  std::size_t journal_bytes = 0;
  std::size_t sync_count = 0;
  std::thread writer;

  Impl(boost::asio::io_context& c, fs::path p) : io(c), path(std::move(p)) {}

  void load() {
    create_private_dirs(path.parent_path());
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw sys_error(errno, "cannot open queue journal " + path.string());
    std::string text;
    char buf[65536];
    for (;;) {
      ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw sys_error(errno, "cannot read queue journal " + path.string());
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t good = 0;  // bytes up to the last complete line
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) break;  // a torn last line: dropped below
      apply(std::string_view(text).substr(start, nl - start));
      start = nl + 1;
      good = start;
    }
    if (good != text.size()) {
      if (::ftruncate(fd, static_cast<off_t>(good)) != 0) {
        throw sys_error(errno, "cannot trim the torn end of queue journal " + path.string());
      }
    }
    journal_bytes = good;
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
      records.emplace(id, std::make_pair(rec ? *rec : json::value(nullptr), std::prev(order.end())));
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

  void run() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !batch.empty(); });
      if (batch.empty() && stopping) return;
      std::string lines = std::move(batch);
      batch.clear();
      std::vector<Done> done = std::move(batch_done);
      batch_done.clear();
      lock.unlock();
      std::string error;
      if (!write_all(fd, lines)) {
        error = "cannot write queue journal " + path.string() + ": " + std::strerror(errno);
      } else if (!done.empty() && ::fdatasync(fd) != 0) {
        error = "cannot sync queue journal " + path.string() + ": " + std::strerror(errno);
      }
      lock.lock();
      if (!done.empty()) ++sync_count;
      journal_bytes += lines.size();
      if (error.empty() && journal_bytes > kCompactAt) compact(lock);
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

  // Rewrites the journal to the pending records (temp + fsync + rename), under `mu`.
  void compact(std::unique_lock<std::mutex>&) {
    std::string content;
    for (const auto& id : order) {
      content += json::serialize(json::object{{"add", id}, {"record", records.at(id).first}});
      content += '\n';
    }
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
  }
};

DurableQueue::DurableQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<DurableQueue> DurableQueue::open(boost::asio::io_context& io, const fs::path& path) {
  auto impl = std::make_unique<Impl>(io, path);
  impl->load();
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->run(); });
  return std::unique_ptr<DurableQueue>(new DurableQueue(std::move(impl)));
}

DurableQueue::~DurableQueue() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_one();
  if (impl_->writer.joinable()) impl_->writer.join();
  if (impl_->fd >= 0) ::close(impl_->fd);
}

void DurableQueue::push(const std::string& id, const json::value& record,
                        std::function<void(bool, const std::string&)> done) {
  std::string line = json::serialize(json::object{{"add", id}, {"record", record}});
  line += '\n';
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->records.count(id)) {
      if (done) {
        boost::asio::post(impl_->io, [done = std::move(done), id] { done(false, "duplicate id " + id); });
      }
      return;
    }
    impl_->order.push_back(id);
    impl_->records.emplace(id, std::make_pair(record, std::prev(impl_->order.end())));
    impl_->batch += line;
    // A push without a callback still wants the group's sync: an empty callback stands for it.
    impl_->batch_done.push_back(done ? std::move(done) : Impl::Done([](bool, const std::string&) {}));
  }
  impl_->cv.notify_one();
}

bool DurableQueue::ack(const std::string& id) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->erase(id)) return false;
    impl_->batch += json::serialize(json::object{{"ack", id}});
    impl_->batch += '\n';
  }
  impl_->cv.notify_one();
  return true;
}

std::vector<std::pair<std::string, json::value>> DurableQueue::pending() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, json::value>> out;
  out.reserve(impl_->order.size());
  for (const auto& id : impl_->order) out.emplace_back(id, impl_->records.at(id).first);
  return out;
}

std::size_t DurableQueue::depth() const {
  std::lock_guard lock(impl_->mu);
  return impl_->order.size();
}

bool DurableQueue::contains(const std::string& id) const {
  std::lock_guard lock(impl_->mu);
  return impl_->records.count(id) != 0;
}

std::size_t DurableQueue::syncs() const {
  std::lock_guard lock(impl_->mu);
  return impl_->sync_count;
}

const fs::path& DurableQueue::path() const { return impl_->path; }

}  // namespace openclaw::sdk
