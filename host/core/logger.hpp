#pragma once
// The host's one logger type: a level (the SDK's, as plugins log) and a message. The gateway's
// log (gateway/log.hpp) is one; every part of the host that logs takes a Logger.

#include <functional>
#include <string>

#include "openclaw/sdk/log.hpp"

namespace openclaw {

using Logger = std::function<void(sdk::LogLevel level, const std::string& message)>;

}  // namespace openclaw
