#pragma once
/// \file
/// Host service "openclaw.channels" (version 2): messaging channels (IRC, Telegram, a webhook,
/// yours) carry messages between people and the gateway. A channel plugin registers a driver
/// (how to send) and hands every inbound message to receive(); the host does the rest, the same
/// way for every channel:
///
/// - receive(): the message is appended to the instance's durable inbound queue and fsync'd
///   (group commit: every message of one I/O turn shares one write and one fdatasync, on a
///   writer thread) before `accepted` is called, so an accepted message survives a crash or
///   restart; then it is emitted as a `chat` event, checked against the channel's access policy
///   (`channels.<id>.dmPolicy`, `allowFrom`, `groupPolicy`, `groupAllowFrom`), and handed to the
///   command handlers. "Accepted" means "will be answered": the message leaves the queue only
///   once its handler has called `finish` and every reply it sent through `reply` was delivered
///   (or dead-lettered, see below), or when no handler wanted it. A reply that fails is retried
///   with backoff (1 s doubling to 30 s) for `ChannelDriver::retry_for` after the message was
///   accepted; then it is dead-lettered: a line in the gateway log and in
///   `<state dir>/channels/dead-letter.jsonl`. After a crash, a stop that could not drain, or the
///   channel plugin's restart, messages still queued are handled again: delivery is at least
///   once, and every part carries an idempotency key (OutboundPart::key) a receiver can drop
///   duplicates by.
/// - send(): the text is split at the driver's `text_limit` (UTF-8 safe, at line or word
///   boundaries when it can), paced by `min_interval`, and each part goes through the driver;
///   `done` reports the delivery of the whole text. Texts to one destination (account and
///   target) are delivered in the order they were sent; up to `max_in_flight` parts to different
///   destinations are with the driver at once.
///
/// Version 2 added `ChannelDriver::max_in_flight`; version 3 made `ChannelDriver::send` take an
/// OutboundPart (with its idempotency key) and added `retry_for` and `Delivery::permanent`. A
/// plugin built for an older version gets nullptr from `host.service<Channels>()` and must be
/// rebuilt.
///
/// A plugin asks for it with `host.service<openclaw::sdk::Channels>()` (nullptr on a host
/// without it). Everything runs on the host's I/O thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

#include "openclaw/sdk/async.hpp"
#include "openclaw/sdk/auth.hpp"  // constant_time_equals was declared here; kept for sources

namespace openclaw::sdk {

/// One message from a person to the gateway.
struct BOOST_SYMBOL_VISIBLE ChannelMessage {
  std::string id;  ///< unique per channel and account (a Telegram update id, a generated id, ...)
  std::string channel;              ///< the channel id, e.g. "irc"
  std::string account = "default";  ///< which of the channel's accounts received it
  /// The sender's stable id, what `allowFrom` matches: IRC `nick!user@host`, a Telegram user id.
  std::string from;
  /// The sender's display name (IRC nick, Telegram @username): matched by `allowFrom` only with
  /// `channels.<id>.dangerouslyAllowNameMatching`, because names change owners.
  std::string from_name;
  /// Where a reply goes: the sender for a direct message, else the group ("#ops", a chat id).
  std::string chat;
  bool group = false;  ///< true when `chat` is a group or channel, not a direct conversation
  std::string text;
  std::int64_t ts = 0;  ///< milliseconds since the epoch; 0: the host fills in the time it arrived
  /// Set by the host when it hands a handler a message that an earlier run (or an earlier start of
  /// its channel plugin) already accepted: it may have been handled, and answered, before.
  bool redelivery = false;

  /// {"id","channel","account","from","fromName","chat","group","text","ts"}.
  BOOST_SYMBOL_EXPORT boost::json::value to_json() const;
  /// The inverse of to_json(); throws std::invalid_argument naming the missing or mistyped field.
  BOOST_SYMBOL_EXPORT static ChannelMessage from_json(const boost::json::value& v);
};

/// The outcome of a send: delivered to the channel's server (ok), or why not.
struct BOOST_SYMBOL_VISIBLE Delivery {
  bool ok = false;
  std::string error;       ///< why not (empty when ok)
  std::string message_id;  ///< the channel's id of the (last) sent part, when it has one
  int parts = 0;           ///< how many parts the text was split into
  int delivered = 0;  ///< how many of them were delivered (all when ok; those before a failure)
  /// Set by a driver when retrying cannot help (no reply address configured, a target that does
  /// not exist): a reply is then dead-lettered at once instead of retried.
  bool permanent = false;
};

/// One part of a text, as the host hands it to ChannelDriver::send.
struct BOOST_SYMBOL_VISIBLE OutboundPart {
  std::string account;  ///< the channel's account to send from ("default" when unnamed)
  std::string to;       ///< the destination (a nick, a chat id, a webhook chat)
  std::string text;     ///< at most ChannelDriver::text_limit bytes
  /// Idempotency key: the same for every attempt of this part, across restarts. For a reply to
  /// an inbound message `<channel>/<account>/<message id>#<reply>.<part>` (both from 0); for a
  /// plain send() `send/<random>#0.<part>`. A receiver that can drop duplicates drops by it.
  std::string key;
  /// True when this part may have been delivered before: a retry, or a reply to a message that
  /// is handled again after a crash or restart.
  bool redelivery = false;
  int attempt = 1;  ///< 1 for the first try of this part in this run
};

/// What a channel plugin registers: its id and how to send one part of a text.
struct BOOST_SYMBOL_VISIBLE ChannelDriver {
  std::string id;  ///< the channel id (the plugin's id by convention)
  /// The longest text one send may carry, in bytes (IRC lines are far shorter than Telegram's
  /// 4096 characters). Longer texts are split before send is called.
  std::size_t text_limit = 4000;
  /// Pacing between two parts sent by this driver (flood control); 0: none. With pacing, parts
  /// go one at a time whatever max_in_flight says.
  std::chrono::milliseconds min_interval{0};
  /// How many parts may be with `send` at once, to different destinations (parts to one
  /// destination always go one at a time, in order). 1 (the default) suits a channel that
  /// writes to one connection; one whose sends are independent requests (HTTP) may allow more.
  std::size_t max_in_flight = 1;
  /// How long after an inbound message was accepted a reply to it that fails is retried before it
  /// is dead-lettered (default one hour).
  std::chrono::seconds retry_for{3600};
  /// Sends one part, then calls `done` once, on the I/O thread, with the delivery. Must not
  /// block.
  std::function<void(const OutboundPart& part, std::function<void(Delivery)> done)> send;
  /// Optional: {"connected", "lastError", ...} per account for `channels status`.
  std::function<boost::json::value()> status;
};

/// A command handler sees every message a channel's access policy let through. It returns false
/// when the message is not for it; true when it takes it, and then calls `reply` (any number of
/// times, now or later) and finally `finish`. The message leaves the durable queue once
/// `finish` was called and every reply was delivered. `message.redelivery` tells a handler that
/// the message may have been handled before (a crash or restart came between); a handler whose
/// command must not run twice can ask its owner to confirm instead.
struct BOOST_SYMBOL_VISIBLE CommandContext {
  ChannelMessage message;
  std::function<void(const std::string& text)> reply;  ///< sends to message.chat on its channel
  std::function<void()> finish;                        ///< the message is handled
};
using CommandHandler = std::function<bool(const CommandContext& context)>;

class BOOST_SYMBOL_VISIBLE Channels {
 public:
  static constexpr const char* kServiceName = "openclaw.channels";
  static constexpr int kServiceVersion = 3;
  virtual ~Channels() = default;

  /// Registers a channel. Throws std::invalid_argument for an empty id or one already taken.
  virtual Registration register_channel(ChannelDriver driver) = 0;
  /// Hands an inbound message to the host (see the file comment). `accepted(true, "")` once it
  /// is durably queued; `accepted(false, why)` when it is refused (no such channel registered,
  /// the queue cannot be written, a duplicate id). `accepted` may be empty.
  virtual void receive(ChannelMessage message,
                       std::function<void(bool accepted, const std::string& why)> accepted) = 0;
  /// Tells the host whether `account` of `channel` is connected, and the last error (for
  /// `channels status` and the `channels.status` method).
  virtual void report(const std::string& channel, const std::string& account, bool connected,
                      const std::string& last_error) = 0;
  /// Sends `text` to `to` on `channel` (account "default" when empty); `done` (may be empty) is
  /// called once with the delivery.
  virtual void send(const std::string& channel, const std::string& account, const std::string& to,
                    const std::string& text, std::function<void(Delivery)> done) = 0;
  /// Adds a command handler (tried in the order they were added).
  virtual Registration add_command_handler(CommandHandler handler) = 0;
};

/// `text` cut into parts of at most `limit` bytes, never inside a UTF-8 sequence, preferring a
/// line break, then a space in the second half of a part. Empty text: no parts.
BOOST_SYMBOL_EXPORT std::vector<std::string> split_text(std::string_view text, std::size_t limit);

/// True when `mask` matches `text`, with `*` (any run) and `?` (one byte), case-insensitive
/// (ASCII): IRC host masks like `alice!*@*.example.org`.
BOOST_SYMBOL_EXPORT bool glob_match(std::string_view mask, std::string_view text);

/// HMAC-SHA256 of `data` under `key`, as lower-case hex (64 characters).
BOOST_SYMBOL_EXPORT std::string hmac_sha256_hex(std::string_view key, std::string_view data);
class Host;

/// The host's channels service, for a channel plugin's start(): throws std::runtime_error
/// ("this host has no channels service (openclaw.channels 3)") on a host without it.
BOOST_SYMBOL_EXPORT Channels& channels_service(Host& host);

/// The start every channel plugin makes, written once: nullptr when the channel does not run,
/// with the reason logged at info level: `enabled` false ("channels.irc.enabled is false: the
/// channel is off") or a non-empty `idle_reason` ("channels.irc.host is not set: the channel is
/// idle"). Else the host's channels service (channels_service(), which throws without one).
BOOST_SYMBOL_EXPORT Channels* start_channel(Host& host, std::string_view block, bool enabled,
                                            std::string_view idle_reason);

/// `bytes` random bytes from the system's CSPRNG as lower-case hex.
BOOST_SYMBOL_EXPORT std::string random_hex(std::size_t bytes);

}  // namespace openclaw::sdk
