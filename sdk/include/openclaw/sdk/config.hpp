#pragma once
/// \file
/// Reading a plugin's block of the instance config (e.g. "channels.irc") with typed getters that
/// report a value of the wrong type or range as a ConfigProblem naming its full key path, so a
/// plugin's validate() and start() share one reader and every error says where it is.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

#include "openclaw/sdk/plugin.hpp"

namespace openclaw::sdk {

class BOOST_SYMBOL_VISIBLE ConfigBlock {
 public:
  /// The object at dotted `path` under `root` (absent, or not an object: present() is false; the
  /// latter is a problem). Problems go to `problems` when it is not null.
  BOOST_SYMBOL_EXPORT ConfigBlock(const boost::json::object& root, std::string path,
                                  std::vector<ConfigProblem>* problems);
  bool present() const { return block_ != nullptr; }
  /// The block itself (nullptr when absent), for values the getters do not cover.
  const boost::json::object* object() const { return block_; }
  /// Each getter leaves `out` unchanged when the key is absent or its value is wrong (a problem).
  BOOST_SYMBOL_EXPORT void string(const char* key, std::string& out);
  BOOST_SYMBOL_EXPORT void boolean(const char* key, bool& out);
  BOOST_SYMBOL_EXPORT void integer(const char* key, int& out, int lo, int hi);
  /// Records a problem for `key` ("<path>.<key>").
  BOOST_SYMBOL_EXPORT void problem(const std::string& key, const std::string& message);

 private:
  const boost::json::object* block_ = nullptr;
  std::string path_;
  std::vector<ConfigProblem>* problems_;
};

}  // namespace openclaw::sdk
