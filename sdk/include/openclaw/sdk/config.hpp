#pragma once
/// \file
/// Reading a plugin's block of the instance config (e.g. "channels.irc") with typed getters that
/// report a value of the wrong type or range as a ConfigProblem naming its full key path, so a
/// plugin's validate() and start() share one reader and every error says where it is.

#include <cstdint>
#include <string>
#include <string_view>
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
  /// True when the block is present and holds `key` (of any value).
  BOOST_SYMBOL_EXPORT bool has(const char* key) const;
  /// The block's dotted path, as problems name it.
  const std::string& path() const { return path_; }
  /// The block itself (nullptr when absent), for values the getters do not cover.
  const boost::json::object* object() const { return block_; }
  /// Each getter leaves `out` unchanged when the key is absent or its value is wrong (a problem).
  BOOST_SYMBOL_EXPORT void string(const char* key, std::string& out);
  BOOST_SYMBOL_EXPORT void boolean(const char* key, bool& out);
  /// A whole number in lo..hi; written as 1000, 1e3 or 1000.0 alike (JSON does not tell them
  /// apart to a person), 1.5 is a problem.
  BOOST_SYMBOL_EXPORT void integer(const char* key, int& out, int lo, int hi);
  /// Marks `key` required: a problem ("<path>.<key> is required") when the block is present and
  /// `key` is not. False then. An absent block requires nothing (the plugin is off or idle).
  BOOST_SYMBOL_EXPORT bool require(const char* key);
  /// Records a problem for `key` ("<path>.<key>").
  BOOST_SYMBOL_EXPORT void problem(const std::string& key, const std::string& message);

 private:
  const boost::json::object* block_ = nullptr;
  std::string path_;
  std::vector<ConfigProblem>* problems_;
};

/// The `plugins.entries` id under which openclaw-host keeps the settings OpenClaw's schema does
/// not have. OpenClaw's config schema is strict: it refuses a key it does not know in its own
/// blocks (`channels.irc`, `browser`, ...) and in `plugins.entries.<id>.config` of its own plugin
/// ids (`browser`, `canvas`, `irc`, `telegram`), and a profile it refuses stops the real OpenClaw
/// from starting. An id it does not know is only a warning ("plugin not found").
inline constexpr const char* kHostSettingsEntry = "openclaw-host";
/// `plugins.entries.openclaw-host.config.<plugin_id>`: where a plugin whose id OpenClaw also uses
/// keeps the settings only openclaw-host reads (read it with ConfigBlock). A plugin whose id
/// OpenClaw does not know keeps them in its own `plugins.entries.<id>.config`, Host::config().
BOOST_SYMBOL_EXPORT std::string host_settings_path(std::string_view plugin_id);

/// True when the config key `key` (a dotted path or one name) holds a secret: its last name
/// contains token, secret, password, passwd, apikey/api_key, privatekey or credential
/// (case-insensitive). Such values never appear in an error, a log line or a reply.
BOOST_SYMBOL_EXPORT bool is_secret_key(std::string_view key);
/// `value` as an error message may show it: its JSON, cut after 120 bytes; for a secret key
/// only its kind ("a string (value not shown)").
BOOST_SYMBOL_EXPORT std::string shown_value(std::string_view key, const boost::json::value& value);
/// A copy of `value` whose secret keys' values (any JSON kind) read "__OPENCLAW_REDACTED__":
/// what the gateway's config.get and `config get` print.
BOOST_SYMBOL_EXPORT boost::json::value redact_secrets(const boost::json::value& value);
/// `line` (a log line, a command's output) as it may be shown to someone: the value of a secret
/// key written as `key=value` or `"key": "value"` / `key: "value"`, a Bearer credential and a
/// Telegram bot token replaced by `***`. Prose is left alone: in "no secret or token: the channel
/// is idle" nothing is a value.
BOOST_SYMBOL_EXPORT std::string redact_text(std::string_view line);

}  // namespace openclaw::sdk
