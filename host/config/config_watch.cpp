#include "config/config_watch.hpp"

#include <sys/stat.h>

#include <chrono>

namespace openclaw::config {

ConfigWatch::ConfigWatch(boost::asio::io_context& io, std::filesystem::path path,
                         std::filesystem::path home, std::function<void(Config)> on_change,
                         std::function<void(const std::string&)> on_error)
    : timer_(io),
      path_(std::move(path)),
      home_(std::move(home)),
      on_change_(std::move(on_change)),
      on_error_(std::move(on_error)),
      last_(stamp()) {
  schedule();
}

void ConfigWatch::stop() {
  stopped_ = true;
  timer_.cancel();
}

std::string ConfigWatch::stamp() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

void ConfigWatch::schedule() {
  timer_.expires_after(std::chrono::milliseconds(250));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    check();
    schedule();
  });
}

void ConfigWatch::check() {
  std::string now = stamp();
  if (now == last_) return;
  last_ = now;
  try {
    on_change_(Config::load(path_, home_));
  } catch (const std::exception& e) {
    on_error_(e.what());
  }
}

}  // namespace openclaw::config
