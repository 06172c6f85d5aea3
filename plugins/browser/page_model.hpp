#pragma once
// The browser plugin's pure logic, unit-tested without a browser: the accessibility-tree
// snapshots (ai text with stable refs, aria node lists), the navigation (SSRF) policy, key names
// for `press`, URL globs, device descriptors, output paths confined to a directory, and the zip
// a trace is stored in.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace browser {

struct Snapshot;

/// Refs handed out for one tab: the same element keeps its ref across snapshots; an element that
/// appears (or changes its role or name) gets a fresh one.
class RefTable {
 public:
  /// The DOM backend node of `ref`, or nullopt when this tab never issued it.
  std::optional<long long> node_of(const std::string& ref) const;
  /// True when `ref` was issued for this tab, in any snapshot.
  bool issued(const std::string& ref) const { return all_.count(ref) != 0; }
  int snapshots() const { return snapshots_; }
  /// Forget everything (the tab navigated to another document).
  void reset();
  /// reset() for the Nth document after a tab's first one: its refs are "fN" + "eM", numbered
  /// from 1 again (OpenClaw's frame-prefixed refs after a navigation).
  void new_document();
  /// "" for a tab's first document, else "fN".
  const std::string& prefix() const { return prefix_; }
  /// True when the refs in use come from an ai snapshot (not an aria one, and not none).
  bool has_ai_refs() const { return !aria_ && !current_.empty(); }
  /// An aria snapshot's refs (axN -> backend node) replace the refs in use.
  void use_aria(std::map<std::string, long long> refs);

 private:
  friend struct SnapshotBuilder;
  friend Snapshot render_snapshot(const boost::json::array&, RefTable&);
  std::map<std::string, std::string> by_key_;  // "backend|role|name" -> ref
  std::map<std::string, long long> current_;   // ref -> backend node, last snapshot
  std::map<std::string, long long> all_;
  int next_ = 1;
  int snapshots_ = 0;
  bool aria_ = false;
  int documents_ = 0;
  std::string prefix_;
};

/// Why `ref` cannot be acted on with `table` (error empty when table.node_of(ref) has it), in
/// OpenClaw's words: a ref missing from an ai snapshot's refs (or one with a frame prefix) is an
/// element "not found or not visible" (code ACT_OPERATION_FAILED); with no ai refs in use (none
/// taken since the page loaded, or an aria snapshot replaced them) it is an "Unknown ref".
struct RefProblem {
  std::string error;
  std::string code;
};
RefProblem ref_problem(const RefTable& table, const std::string& ref);

/// `snapshot --format aria`: every accessibility node in document order with its depth, as
/// {ref: "axN", role, name, value?, backendDOMNodeId?, depth}, at most `limit` of them, and the
/// refs that name a DOM node.
struct AriaSnapshot {
  boost::json::array nodes;
  std::map<std::string, long long> refs;
};
AriaSnapshot render_aria(const boost::json::array& nodes, std::size_t limit);

/// The text of a console call's arguments (Runtime.RemoteObject list), joined by spaces.
std::string console_text(const boost::json::array& args);
/// "2026-12-01T19:34:49.261Z" for milliseconds since the epoch.
std::string iso_time(double epoch_ms);
/// Playwright's URL glob: `**` any characters, `*` any but "/", `{a,b}` alternatives, `\`
/// escapes; everything else literal (`?` too). A pattern without wildcards must match exactly.
bool glob_match(const std::string& pattern, const std::string& text);

/// A device `set device` emulates (a few of Playwright's descriptors).
struct Device {
  const char* name;
  int width, height;
  double scale;
  bool mobile;
  const char* user_agent;
};
const Device* find_device(const std::string& name);

/// `requested` (relative to `root`, or absolute inside it) as a path under `root`, or nullopt
/// when it leaves `root` ("..", another absolute path) or names `root` itself. Lexical only: the
/// caller checks the filesystem (symlinks) before writing.
std::optional<std::filesystem::path> confined_path(const std::filesystem::path& root,
                                                   const std::string& requested);

/// The bytes of base64 `in` (CDP's binary payloads); characters outside the alphabet are skipped.
std::string base64_decode(const std::string& in);

/// A zip archive (stored, no compression) of `files` (name, content): what `trace stop` writes.
std::string zip_store(const std::vector<std::pair<std::string, std::string>>& files);

struct Snapshot {
  std::string text;          ///< "- role \"name\" [ref=eN]" lines, two spaces per level
  boost::json::object refs;  ///< eN -> {role, name?}
  int lines = 0;
  int interactive = 0;
  int new_elements = 0;  ///< since the previous snapshot of this tab
  /// The page's readable text as its tree reads it: every text run in document order, one per
  /// line, at most kReadableLimit bytes (the snapshot's `text`: no second call to the page).
  std::string readable;
  static constexpr std::size_t kReadableLimit = 20000;
};

/// Renders `Accessibility.getFullAXTree`'s `nodes` as compact text with refs from `table`.
Snapshot render_snapshot(const boost::json::array& nodes, RefTable& table);

/// `browser.ssrfPolicy`.
struct NavPolicy {
  bool allow_private = false;        ///< dangerouslyAllowPrivateNetwork
  std::vector<std::string> allowed;  ///< allowedHostnames: may be private; "*.x" wildcards
  std::vector<std::string> blocked;  ///< blockedHostnames: never; "*.x" wildcards

  bool operator==(const NavPolicy&) const = default;
};

/// True for loopback, private, link-local, unique-local, CGNAT and unspecified addresses.
bool is_private_address(const std::string& ip);
/// `pattern` is a hostname or "*.domain" (matching subdomains only).
bool host_matches(const std::string& pattern, const std::string& host);

/// Why `url` may not be opened, before DNS: "" when it may (then its host's addresses must pass
/// check_addresses). Only http(s) and about:blank are navigable.
std::string check_url(const NavPolicy& policy, const std::string& url, std::string* host_out);
/// Why a host resolving to `addresses` may not be opened ("" when it may).
std::string check_addresses(const NavPolicy& policy, const std::string& host,
                            const std::vector<std::string>& addresses);

/// CDP Input.dispatchKeyEvent fields for a key name ("Enter", "Tab", "a", "ArrowDown", ...).
struct KeyInfo {
  std::string key;
  std::string code;
  int key_code = 0;
  std::string text;  ///< what typing it inserts ("" for none)
};
std::optional<KeyInfo> key_info(const std::string& name);

}  // namespace browser
