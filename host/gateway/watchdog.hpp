#pragma once
// The I/O thread watched from outside it. A heartbeat on the loop (every 100 ms) and a monitor
// thread: a loop that has not beaten for longer than the threshold (1 s) is reported in the log
// with the plugin and method or route it is in (plugins/activity.hpp), again when it is free,
// and counted for health. The same heartbeat sends systemd's WATCHDOG=1 when the unit asks for
// it (WatchdogSec=): a blocked loop gets the gateway restarted by systemd. READY=1 and
// STOPPING=1 follow the documented sd_notify protocol (a datagram to $NOTIFY_SOCKET).

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "core/environment.hpp"
#include "core/logger.hpp"
#include "plugins/activity.hpp"

namespace openclaw::gateway {

/// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...") to the service manager
/// when $NOTIFY_SOCKET names one; false when there is none or the send failed.
bool sd_notify(const Environment& env, const std::string& state);

/// How often systemd wants WATCHDOG=1 ($WATCHDOG_USEC, for this pid): half its timeout.
std::optional<std::chrono::milliseconds> watchdog_interval(const Environment& env);

class Watchdog {
 public:
  /// `log` is called from the monitor thread too: it must be thread-safe (the gateway's log is).
  Watchdog(boost::asio::io_context& io, const Environment& env, const plugins::Activity& activity,
           Logger log, std::chrono::milliseconds threshold = std::chrono::milliseconds(1000));
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Stops the heartbeat and the monitor thread (at the gateway's stop).
  void stop();

  /// Called from the monitor thread when a plugin's start() has not returned after `deadline`:
  /// the gateway can do nothing else meanwhile, so the handler quarantines it and ends the
  /// process (the next start comes up without it). Set before the plugins start.
  using StartHang = std::function<void(const std::string& plugin, std::chrono::milliseconds)>;
  void on_start_hang(std::chrono::milliseconds deadline, StartHang handler);

  /// {"count", "lastMs", "lastAt", "last"}: stalls seen since the start (the last one's length,
  /// when it began, where), for health; and the loop's delay as OpenClaw's eventLoop reports it:
  /// how late the heartbeat's timer fired over its last 256 beats ("delayP99Ms", "delayMaxMs")
  /// and the beat interval ("intervalMs").
  boost::json::object stats() const;

 private:
  void beat();
  void monitor();

  boost::asio::io_context& io_;
  const Environment& env_;
  const plugins::Activity& activity_;
  Logger log_;
  std::chrono::milliseconds threshold_;
  std::optional<std::chrono::milliseconds> systemd_every_;
  std::chrono::steady_clock::time_point last_systemd_;
  boost::asio::steady_timer timer_;
  std::atomic<std::int64_t> last_beat_ns_{0};
  mutable std::mutex mutex_;  // the stats, and the monitor's wake-up
  std::condition_variable wake_;
  bool stopping_ = false;
  std::int64_t count_ = 0;
  std::int64_t last_ms_ = 0;
  std::int64_t last_at_ms_ = 0;  ///< when the last stall began (epoch ms; 0: none yet)
  std::string last_;
  std::chrono::steady_clock::time_point due_;  ///< when the heartbeat's timer should fire
  std::array<std::int64_t, 256> delays_us_{};  ///< how late it fired, the last 256 beats
  std::size_t delay_count_ = 0;
  std::chrono::milliseconds start_deadline_{0};
  StartHang on_start_hang_;
  std::thread thread_;
};

}  // namespace openclaw::gateway
