#pragma once
// The browser plugin's pure logic, unit-tested without a browser: the accessibility-tree
// snapshot with stable refs, the navigation (SSRF) policy, and key names for `press`.
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

 private:
  friend struct SnapshotBuilder;
  friend Snapshot render_snapshot(const boost::json::array&, RefTable&);
  std::map<std::string, std::string> by_key_;  // "backend|role|name" -> ref
  std::map<std::string, long long> current_;   // ref -> backend node, last snapshot
  std::map<std::string, long long> all_;
  int next_ = 1;
  int snapshots_ = 0;
};

struct Snapshot {
  std::string text;          ///< "- role \"name\" [ref=eN]" lines, two spaces per level
  boost::json::object refs;  ///< eN -> {role, name?}
  int lines = 0;
  int interactive = 0;
  int new_elements = 0;  ///< since the previous snapshot of this tab
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
