// The recursive inotify watcher; see file_watcher.hpp.
#include "openclaw/sdk/file_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <map>
#include <set>
#include <system_error>

#include <boost/asio.hpp>

namespace openclaw::sdk {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
}

struct FileWatcher::Impl : std::enable_shared_from_this<FileWatcher::Impl> {
  Impl(asio::io_context& io) : stream(io), timer(io) {}

  asio::posix::stream_descriptor stream;
  asio::steady_timer timer;
  Handler handler;
  Options options;
  std::map<int, fs::path> dirs;  // watch descriptor -> folder
  std::set<fs::path> pending;
  std::array<char, 64 * 1024> buf{};
  bool stopped = false;

  // Watches `dir` and the folders below it; files already there count as changed (they may have
  // been written before the watch existed).
  void add_tree(const fs::path& dir, bool report_existing) {
    int wd = ::inotify_add_watch(stream.native_handle(), dir.c_str(), kMask);
    if (wd < 0) return;
    dirs[wd] = dir;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ec2;
      if (it->is_directory(ec2) && !it->is_symlink(ec2)) {
        add_tree(it->path(), report_existing);
      } else if (report_existing) {
        pending.insert(it->path());
      }
    }
  }

  void read() {
    stream.async_read_some(asio::buffer(buf), [self = shared_from_this()](
                                                  boost::system::error_code ec, std::size_t n) {
      if (ec || self->stopped) return;
      self->take(n);
      self->read();
    });
  }

  void take(std::size_t n) {
    std::size_t i = 0;
    bool any = false;
    while (i + sizeof(inotify_event) <= n) {
      auto* e = reinterpret_cast<const inotify_event*>(buf.data() + i);
      i += sizeof(inotify_event) + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        // Events were lost: report the root so the user re-reads everything.
        if (!dirs.empty()) pending.insert(dirs.begin()->second);
        any = true;
        continue;
      }
      auto it = dirs.find(e->wd);
      if (it == dirs.end()) continue;
      if (e->mask & IN_IGNORED) {
        dirs.erase(it);
        continue;
      }
      fs::path p = e->len ? it->second / e->name : it->second;
      if ((e->mask & IN_ISDIR) && (e->mask & (IN_CREATE | IN_MOVED_TO))) add_tree(p, true);
      pending.insert(p);
      any = true;
    }
    if (any) {
      timer.expires_after(options.debounce);
      timer.async_wait(
          [weak = std::weak_ptr<Impl>(shared_from_this())](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->stopped || self->pending.empty()) return;
            std::vector<fs::path> changed(self->pending.begin(), self->pending.end());
            self->pending.clear();
            if (self->handler) self->handler(changed);
          });
    }
  }
};

FileWatcher::FileWatcher(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

FileWatcher::~FileWatcher() {
  impl_->stopped = true;
  impl_->handler = nullptr;
  boost::system::error_code ec;
  impl_->timer.cancel();
  impl_->stream.close(ec);
}

std::unique_ptr<FileWatcher> FileWatcher::watch(asio::io_context& io, const fs::path& root,
                                                Handler on_change) {
  return watch(io, root, std::move(on_change), Options{});
}

std::unique_ptr<FileWatcher> FileWatcher::watch(asio::io_context& io, const fs::path& root,
                                                Handler on_change, Options options) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw std::system_error(ENOTDIR, std::generic_category(),
                            "cannot watch " + root.string() + ": not a folder");
  }
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot watch " + root.string() + ": inotify_init1");
  }
  auto impl = std::make_shared<Impl>(io);
  impl->stream.assign(fd);
  impl->handler = std::move(on_change);
  impl->options = options;
  int wd = ::inotify_add_watch(fd, root.c_str(), kMask);
  if (wd < 0) {
    int err = errno;
    throw std::system_error(err, std::generic_category(),
                            "cannot watch " + root.string() +
                                (err == ENOSPC ? " (fs.inotify.max_user_watches reached)" : ""));
  }
  impl->dirs[wd] = root;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2) && !it->is_symlink(ec2)) {
      int w = ::inotify_add_watch(fd, it->path().c_str(), kMask);
      if (w >= 0) impl->dirs[w] = it->path();
    }
  }
  impl->read();
  return std::unique_ptr<FileWatcher>(new FileWatcher(std::move(impl)));
}

std::size_t FileWatcher::folders() const {
  return impl_->dirs.size();
}

}  // namespace openclaw::sdk
