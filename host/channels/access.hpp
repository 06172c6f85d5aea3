#pragma once
// Who may talk to the bot on a channel, with OpenClaw's keys and meanings: `channels.<id>.enabled`,
// `dmPolicy` (allowlist | pairing | open | disabled; allowlist by default here), `allowFrom`,
// `groupPolicy` (allowlist | open | disabled), `groupAllowFrom`, `dangerouslyAllowNameMatching`.
// Pure functions (the pairing store's approvals are passed in), unit-tested.

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "openclaw/sdk/channels.hpp"

namespace openclaw::channels {

struct Access {
  bool enabled = true;
  std::string dm_policy = "allowlist";
  std::vector<std::string> allow_from;
  std::string group_policy = "allowlist";
  std::vector<std::string> group_allow_from;  ///< empty: allow_from applies in groups too
  bool name_matching = false;                 ///< dangerouslyAllowNameMatching
};

/// `channels.<channel>` of `root` (the whole config). Problems are appended as
/// "channels.<id>.<key>: what is wrong"; the defaults stand in for a bad value.
Access access_of(const boost::json::object& root, const std::string& channel,
                 std::vector<std::string>* problems = nullptr);

enum class Decision {
  allow,  ///< hand it to the command handlers
  deny,   ///< log it, answer nothing
  pair,   ///< unknown sender under dmPolicy "pairing": answer with a one-time code
};

/// What to do with `m` given the channel's access and the senders approved through pairing.
/// `why` says which rule decided (for the log).
Decision decide(const Access& access, const sdk::ChannelMessage& m,
                const std::vector<std::string>& approved, std::string* why = nullptr);

/// True when an allowFrom entry admits the sender: `*`, a mask matching the stable id
/// (`nick!user@host` with * and ?), or, only with name matching, the display name.
bool admits(const std::vector<std::string>& list, const sdk::ChannelMessage& m, bool name_matching);

}  // namespace openclaw::channels
