#pragma once
// What `setup` and `onboard` do, as one request: setup's flags, and what the onboard wizard (or
// its flags) adds for a rescue bot — the channel it talks on, whom it tells, the service.

#include <optional>
#include <string>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "cli/context.hpp"

namespace openclaw::cli {

struct SetupRequest {
  std::optional<int> port;
  std::optional<std::string> workspace;
  std::optional<std::string> watch;             ///< "main,other" or "*"
  bool token = true;                            ///< create gateway.auth.token when none is set
  std::optional<boost::json::object> irc;       ///< merged into channels.irc
  std::optional<boost::json::object> telegram;  ///< merged into channels.telegram
  boost::json::array notify;  ///< plugins.entries.rescue.config.notify targets (empty: unchanged)
  bool install_service = false;  ///< then `gateway install`
};

/// Applies `request` to the profile of `ctx` (idempotent: only what is missing or differs
/// changes), prints what changed and what to run next. Nothing is written when the result would
/// not validate (the host's checks and the enabled plugins' own).
int run_setup(Context& ctx, const SetupRequest& request);

/// A base for this profile when its config has none: its default, or the nearest one whose
/// derived set overlaps no other instance; with why it was chosen.
std::pair<int, std::string> suggested_base(const Context& ctx);

}  // namespace openclaw::cli
