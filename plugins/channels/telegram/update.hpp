#pragma once
// What the Telegram Bot API sends back, read without I/O: the answer envelope of every call and
// the updates of getUpdates. Everything here comes from the network (or whatever answers at
// `apiRoot`), so nothing in it is trusted: unit-tested and fuzzed
// (tests/fuzz/fuzz_telegram_update.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <openclaw/sdk/channels.hpp>

namespace telegram {

/// One Bot API answer: {"ok":true,"result":...} or {"ok":false,"description":...,
/// "parameters":{"retry_after":N}}.
struct Answer {
  std::optional<boost::json::value> result;  ///< set for an ok answer
  std::string error;    ///< why not ("HTTP 429: Too Many Requests"); "" with a result
  int retry_after = 0;  ///< seconds Telegram asked us to wait, 0..3600 (0: none or nonsense)
};
/// Reads the body of an answer that came with HTTP `status`.
Answer read_answer(std::string_view body, int status);

/// The messages of one getUpdates batch, in order, and the offset to ask from next.
struct Updates {
  std::vector<openclaw::sdk::ChannelMessage> messages;
  /// Past every update of the batch at or after `offset` (message or not), else `offset`.
  std::int64_t next_offset = 0;
};
/// Updates before `offset` were handled already (Telegram repeats them when asked from older
/// offsets) and are skipped; so is anything that is not an update with an id in 0..2^62.
Updates read_updates(const boost::json::array& updates, std::int64_t offset);

/// The text message an update carries (from a user, to a chat), or nullopt for anything else.
std::optional<openclaw::sdk::ChannelMessage> message_of(std::int64_t update_id,
                                                        const boost::json::object& update);

}  // namespace telegram
