#pragma once
// The instance's config file: JSON with comments and trailing commas (a JSON5 subset OpenClaw
// users write), validated with key-path errors, saved atomically with a .bak of the previous
// version. Unknown keys are preserved.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace openclaw::config {

namespace json = boost::json;
using KeyPath = std::vector<std::string>;

class Config {
 public:
  /// Reads and parses `path`. A missing file is an empty config (exists() false). A file that
  /// does not parse throws a usage error naming the file, line and column; it is never written.
  static Config load(const std::filesystem::path& path, const std::filesystem::path& home);
  /// Parses `text` as the content of `path` (no I/O).
  static Config parse(std::string_view text, const std::filesystem::path& path,
                      const std::filesystem::path& home);

  const std::filesystem::path& path() const { return path_; }
  /// The path for messages, with `~` for the home directory.
  std::string where() const;
  bool exists() const { return exists_; }
  json::object& root() { return root_; }
  const json::object& root() const { return root_; }

  /// Writes the config atomically (0600; parent dirs created 0700); keeps the old one as .bak.
  /// Saves without a history entry (the gateway's own rewrites of its file).
  void save();
  /// save(), and first the file's previous version goes to `state_dir`'s config history
  /// (config/history.hpp) with who wrote — config::writer(by) — and the keys that changed.
  /// Every write a person or the rescue bot makes (config set, setup, plugins enable, ...).
  void save(const std::filesystem::path& state_dir, const std::string& by);
  /// The file's text as loaded or last saved (empty when it did not exist).
  const std::string& text() const { return text_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path home_;
  json::object root_;
  std::string text_;
  bool exists_ = false;
};

/// Splits `a.b.c`; throws a usage error on an empty key or empty segment.
KeyPath split_key(std::string_view key);
std::string join_key(const KeyPath& key);

/// The value at `key`, or nullptr when any segment is missing or not an object.
const json::value* find(const json::object& root, const KeyPath& key);
/// Sets `key`, creating missing objects; throws a usage error if a parent is not an object.
void assign(json::object& root, const KeyPath& key, json::value value);
/// Removes `key`; returns false when it was not there.
bool erase(json::object& root, const KeyPath& key);

/// The dotted keys whose values differ between `before` and `after`: objects are compared key by
/// key down to their leaves, anything else (arrays included) as a whole. Sorted.
std::vector<std::string> changed_keys(const json::object& before, const json::object& after);
/// True when `key` is `block` or lies under it ("gateway.port" under "gateway"), or is a parent
/// of it (replacing "gateway" replaces "gateway.port").
bool overlaps(std::string_view key, std::string_view block);
/// True when a change of `key` reaches a running gateway only through a restart: what the host
/// reads once at start (gateway.*, ports.* but ports.assigned, plugins.load.*).
bool needs_gateway_restart(std::string_view key);

/// A key earlier versions of openclaw-host documented or wrote where OpenClaw's strict schema
/// refuses it (the real OpenClaw 2026.9.6 would not start on the profile), and where it lives
/// now: a place OpenClaw accepts (plugins.entries.openclaw-host.config.<plugin>, the plugin
/// entry of a channel OpenClaw does not know, or OpenClaw's own key). Both places are read, the
/// new one wins. docs/configuration.md lists them.
struct MovedKey {
  std::string from;  ///< e.g. "channels.irc.sasl"; everything under it moves with it
  std::string to;    ///< e.g. "plugins.entries.openclaw-host.config.irc.sasl"
  std::string why;   ///< what OpenClaw says of the old place
};
const std::vector<MovedKey>& moved_keys();
/// Where `key` (or the key it lies under) lives now; `key` itself when it did not move.
std::string current_key(std::string_view key);
/// Moves every moved key `root` holds to its place now (a value already there wins and the old
/// one is dropped), removes the objects the moves leave empty (OpenClaw refuses even an empty
/// root canvasHost), and turns an IRC NickServ password given as a string into OpenClaw's
/// {"password": ...}. Returns "FROM -> TO" for each move.
std::vector<std::string> move_retired_keys(json::object& root);

/// A CLI value: JSON when it parses as JSON, otherwise the literal string.
json::value parse_cli_value(std::string_view raw);

/// One validation problem: the key path and a message that starts with it.
struct Problem {
  std::string key;
  std::string message;
};

/// Checks the type and range of every key openclaw-host uses. Empty = valid.
std::vector<Problem> validate(const json::object& root);
/// Throws a usage error for the first problem (message names the key, where names the file).
void require_valid(const Config& config);

/// Typed reads of validated keys; nullopt when absent.
std::optional<std::int64_t> get_int(const json::object& root, std::string_view key);
std::optional<std::string> get_string(const json::object& root, std::string_view key);
std::optional<bool> get_bool(const json::object& root, std::string_view key);

}  // namespace openclaw::config
