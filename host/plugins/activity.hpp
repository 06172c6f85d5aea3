#pragma once
// What the I/O thread is running of a plugin's code right now, for the stall monitor on another
// thread (gateway/stall_monitor.hpp): the host marks every call it makes into a plugin (methods,
// routes, timers, bus messages, start, stop, reconfigure). A plugin's own I/O callbacks are not
// marked: a stall there is reported without a name.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace openclaw::plugins {

class Activity {
 public:
  struct Now {
    std::string plugin;  ///< its id
    std::string what;    ///< "method kv.get", "route GET /kv", "timer", "start", ...
    std::chrono::steady_clock::time_point since;
  };

  /// Marks the I/O thread in `plugin`'s code (`what`) until the scope ends; nested scopes keep
  /// the outermost mark.
  class Scope {
   public:
    /// `what` is `kind` and, when given, `name` ("method" "kv.get"). Assigned into strings the
    /// Activity keeps: no allocation per call once their capacity has grown.
    Scope(Activity& activity, const std::string& plugin, std::string_view kind,
          std::string_view name = {}, std::string_view more = {})
        : activity_(activity) {
      std::lock_guard<std::mutex> lock(activity_.mutex_);
      if (activity_.depth_++ > 0) return;
      activity_.now_.plugin = plugin;
      std::string& what = activity_.now_.what;
      what.assign(kind);
      for (std::string_view part : {name, more}) {
        if (part.empty()) continue;
        what += ' ';
        what += part;
      }
      activity_.now_.since = std::chrono::steady_clock::now();
    }
    ~Scope() {
      std::lock_guard<std::mutex> lock(activity_.mutex_);
      --activity_.depth_;
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Activity& activity_;
  };

  /// What runs now, from any thread; nullopt when the I/O thread is not in a plugin's code.
  std::optional<Now> now() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (depth_ == 0) return std::nullopt;
    return now_;
  }

 private:
  mutable std::mutex mutex_;
  Now now_;
  int depth_ = 0;
};

}  // namespace openclaw::plugins
