#pragma once
/// \file
/// What `openclaw-host config schema` is made of: the config readers record, on request, every key
/// they check (see ConfigSchemaRecorder). A plugin needs nothing of this: its ConfigBlock reads
/// are recorded by themselves.

#include <string>
#include <vector>

#include <boost/config.hpp>

namespace openclaw::sdk {

/// One key a reader of the config checks, as `openclaw-host config schema` lists it.
struct ConfigKey {
  std::string key;       ///< full dotted path: "channels.irc.nick"
  std::string type;      ///< "string", "boolean", "integer 1..65535", "object"
  std::string fallback;  ///< what the reader uses when the key is absent, as JSON ("": none)
  std::string reader;    ///< who reads it: "host" or a plugin id
};

/// Records, on its thread and while it lives, every key the config readers check: each
/// ConfigBlock getter records its key, type and fallback (the value `out` held before the read),
/// and an absent block reads as an empty one, so a validate() run on an empty config walks every
/// key it knows. A reader that asks `a.has(key) ? a : b` before reading names its preferred place:
/// the key is recorded under the block it asked first. How `config schema` learns the keys from
/// the validators themselves. Recorders nest; the innermost records.
class BOOST_SYMBOL_VISIBLE ConfigSchemaRecorder {
 public:
  BOOST_SYMBOL_EXPORT explicit ConfigSchemaRecorder(std::string reader);
  BOOST_SYMBOL_EXPORT ~ConfigSchemaRecorder();
  ConfigSchemaRecorder(const ConfigSchemaRecorder&) = delete;
  ConfigSchemaRecorder& operator=(const ConfigSchemaRecorder&) = delete;
  /// The recorder of this thread, nullptr when none.
  BOOST_SYMBOL_EXPORT static ConfigSchemaRecorder* active();
  /// Adds a key (a key already recorded keeps its first type and fallback that say something).
  BOOST_SYMBOL_EXPORT void record(std::string key, std::string type, std::string fallback);
  const std::vector<ConfigKey>& keys() const { return keys_; }
  /// ConfigBlock's side: `has(key)` was asked of the block at `path`.
  BOOST_SYMBOL_EXPORT void asked(const std::string& path, const std::string& key);
  /// The key a getter of the block at `path` reads as `key` is recorded under.
  BOOST_SYMBOL_EXPORT std::string place(const std::string& path, const std::string& key);

 private:
  std::string reader_;
  std::string first_asked_;  // the first has() since the last getter: "path.key"
  std::vector<ConfigKey> keys_;
  ConfigSchemaRecorder* outer_ = nullptr;
};

}  // namespace openclaw::sdk
