#pragma once
// Errors inside the host are exceptions; the command boundary prints them as one line,
// `openclaw-host: error: <what> (<where>)`, and exits with the error's code.

#include <stdexcept>
#include <string>

namespace openclaw {

/// Process exit codes shared by every command.
enum class Exit : int {
  ok = 0,
  usage = 1,        ///< bad CLI arguments, bad config, any ordinary failure
  conflict = 2,     ///< a port or state dir is held by someone else
  not_running = 3,  ///< status-like commands: the instance is not running
};

class Error : public std::runtime_error {
 public:
  Error(Exit code, std::string what, std::string where = {})
      : std::runtime_error(what), code_(code), where_(std::move(where)) {}

  Exit code() const noexcept { return code_; }
  /// Where the problem is: a file, a config key's file, an env var. May be empty.
  const std::string& where() const noexcept { return where_; }
  /// `what (where)`, the text after "error: ".
  std::string line() const {
    return where_.empty() ? std::string(what()) : std::string(what()) + " (" + where_ + ")";
  }

 private:
  Exit code_;
  std::string where_;
};

/// A conflict about one named port of the plan, so the caller can tell whose port it was.
class PortConflict : public Error {
 public:
  PortConflict(std::string port_name, std::string what)
      : Error(Exit::conflict, std::move(what)), port_name_(std::move(port_name)) {}
  const std::string& port_name() const noexcept { return port_name_; }

 private:
  std::string port_name_;
};

inline Error usage_error(std::string what, std::string where = {}) {
  return Error(Exit::usage, std::move(what), std::move(where));
}
inline Error conflict_error(std::string what, std::string where = {}) {
  return Error(Exit::conflict, std::move(what), std::move(where));
}

}  // namespace openclaw
