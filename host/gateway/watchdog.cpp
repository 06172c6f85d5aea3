#include "gateway/watchdog.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/clock.hpp"

namespace openclaw::gateway {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kBeat = std::chrono::milliseconds(100);

std::int64_t ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string where(const std::optional<plugins::Activity::Now>& now) {
  if (!now) return "outside any call the host made into a plugin";
  return "in plugin " + now->plugin + " (" + now->what + ")";
}
}  // namespace

bool sd_notify(const Environment& env, const std::string& state) {
  auto socket_path = env.get("NOTIFY_SOCKET");
  if (!socket_path || socket_path->empty()) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path->size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, socket_path->data(), socket_path->size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // an abstract socket
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path->size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&addr), len);
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

std::optional<std::chrono::milliseconds> watchdog_interval(const Environment& env) {
  auto usec = env.get("WATCHDOG_USEC");
  if (!usec) return std::nullopt;
  if (auto pid = env.get("WATCHDOG_PID"); pid && *pid != std::to_string(::getpid())) {
    return std::nullopt;  // meant for another process
  }
  char* end = nullptr;
  unsigned long long v = std::strtoull(usec->c_str(), &end, 10);
  if (!end || *end || v == 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<unsigned long long>(v / 2000, 1));
}

Watchdog::Watchdog(boost::asio::io_context& io, const Environment& env,
                   const plugins::Activity& activity, Logger log,
                   std::chrono::milliseconds threshold)
    : io_(io),
      env_(env),
      activity_(activity),
      log_(std::move(log)),
      threshold_(threshold),
      systemd_every_(watchdog_interval(env)),
      timer_(io) {
  last_beat_ns_ = ns_of(Clock::now());
  beat();
  thread_ = std::thread([this] { monitor(); });
}

Watchdog::~Watchdog() {
  stop();
}

void Watchdog::stop() {
  timer_.cancel();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::beat() {
  auto now = Clock::now();
  last_beat_ns_.store(ns_of(now), std::memory_order_relaxed);
  if (due_ != Clock::time_point{}) {
    auto late = std::chrono::duration_cast<std::chrono::microseconds>(now - due_).count();
    std::lock_guard<std::mutex> lock(mutex_);
    delays_us_[delay_count_++ % delays_us_.size()] = std::max<std::int64_t>(late, 0);
  }
  if (systemd_every_ && now - last_systemd_ >= *systemd_every_) {
    sd_notify(env_, "WATCHDOG=1");
    last_systemd_ = now;
  }
  auto every = systemd_every_ ? std::min<std::chrono::milliseconds>(kBeat, *systemd_every_) : kBeat;
  due_ = now + every;
  timer_.expires_at(due_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) beat();
  });
}

void Watchdog::monitor() {
  bool stalled = false;
  Clock::time_point stalled_since;
  std::optional<plugins::Activity::Now> blamed;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kBeat);
    if (stopping_) break;
    Clock::time_point last{std::chrono::nanoseconds(last_beat_ns_.load(std::memory_order_relaxed))};
    auto now = Clock::now();
    auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - last);
    if (!stalled && silent > threshold_) {
      stalled = true;
      stalled_since = last;
      blamed = activity_.now();
      ++count_;
      last_ = where(blamed);
      last_at_ms_ = now_ms();
      lock.unlock();
      log_(sdk::LogLevel::warn, "the I/O thread is blocked: " + seconds(silent) + " " +
                                    where(blamed) + "; nothing else is answered meanwhile");
      lock.lock();
    } else if (stalled && on_start_hang_) {
      // Past the deadline in one plugin's start(): what runs now, not what ran when it began.
      if (auto cur = activity_.now();
          cur && cur->what == "start" && now - cur->since > start_deadline_) {
        auto handler = on_start_hang_;
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - cur->since);
        lock.unlock();
        handler(cur->plugin, took);  // does not return when it ends the process
        lock.lock();
      }
    }
    if (stalled && silent < kBeat * 3) {
      stalled = false;
      auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(last - stalled_since);
      last_ms_ = lasted.count();
      lock.unlock();
      log_(sdk::LogLevel::warn,
           "the I/O thread was blocked for " + seconds(lasted) + " " + where(blamed));
      lock.lock();
    }
  }
}

void Watchdog::on_start_hang(std::chrono::milliseconds deadline, StartHang handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  start_deadline_ = deadline;
  on_start_hang_ = std::move(handler);
}

json::object Watchdog::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  json::object o{{"count", count_}, {"lastMs", last_ms_}, {"lastAt", last_at_ms_}};
  // health asks this at every call and tick: a copy on the stack and one selection, no sort.
  const std::size_t n = std::min(delay_count_, delays_us_.size());
  auto d = delays_us_;
  const auto end = d.begin() + static_cast<std::ptrdiff_t>(n);
  auto ms = [](std::int64_t us) { return static_cast<double>(us / 100) / 10.0; };  // 0.1 ms
  double p99 = 0, max = 0;
  if (n > 0) {
    max = ms(*std::max_element(d.begin(), end));
    const auto at = d.begin() + static_cast<std::ptrdiff_t>(std::min(n - 1, n * 99 / 100));
    std::nth_element(d.begin(), at, end);
    p99 = ms(*at);
  }
  o["delayP99Ms"] = p99;
  o["delayMaxMs"] = max;
  o["intervalMs"] = static_cast<std::int64_t>(kBeat.count());
  if (!last_.empty()) o["last"] = last_;
  return o;
}

}  // namespace openclaw::gateway
