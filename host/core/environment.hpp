#pragma once
// A snapshot of the environment variables the host reads. Pure code takes this instead of
// calling getenv, so every precedence rule is unit-testable.

#include <map>
#include <optional>
#include <string>

namespace openclaw {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  /// The current process's environment.
  static Environment from_process();

  /// The value of `name`, or nullopt when unset or empty (OpenClaw treats "" as unset).
  std::optional<std::string> get(const std::string& name) const;
  void set(const std::string& name, std::string value) { vars_[name] = std::move(value); }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace openclaw
