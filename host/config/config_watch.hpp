#pragma once
// Follows the config file while the gateway runs: its stat (inode, size, mtime) every 250 ms,
// which sees an editor's save-by-rename and `config set`'s atomic write alike for one stat(2) a
// turn. A changed file is parsed and handed on; one that does not parse is reported instead.

#include <filesystem>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"

namespace openclaw::config {

class ConfigWatch {
 public:
  ConfigWatch(boost::asio::io_context& io, std::filesystem::path path, std::filesystem::path home,
              std::function<void(Config)> on_change,
              std::function<void(const std::string&)> on_error);
  void stop();

 private:
  std::string stamp() const;
  void schedule();
  void check();

  boost::asio::steady_timer timer_;
  std::filesystem::path path_, home_;
  std::function<void(Config)> on_change_;
  std::function<void(const std::string&)> on_error_;
  std::string last_;
  bool stopped_ = false;
};

}  // namespace openclaw::config
