#pragma once
// IRC lines (RFC 1459 / 2812, with IRCv3 message tags): parsing what the server sends and
// building what we send. Pure functions, unit-tested on malformed input.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace irc {

struct Line {
  std::string tags;                 ///< raw IRCv3 tags without the '@' (empty when none)
  std::string prefix;               ///< without the ':' ("nick!user@host" or a server name)
  std::string command;              ///< upper case ("PRIVMSG", "001", ...)
  std::vector<std::string> params;  ///< the trailing parameter last, without its ':'
};

/// Parses one line (without CR LF). nullopt for a line with no command, a NUL byte, or a
/// command that is neither letters nor three digits.
std::optional<Line> parse(std::string_view raw);

/// The nick of a "nick!user@host" prefix (the whole prefix when it has no '!').
std::string nick_of(std::string_view prefix);

/// The value of tag `key` in raw tags ("msgid=abc;time=..."), unescaped; empty when absent.
std::string tag(std::string_view tags, std::string_view key);

/// True for a CTCP message (\x01...\x01): VERSION, ACTION, PING ... ignored by the bot.
bool is_ctcp(std::string_view text);

/// True when `target` names a channel (#, &, + or ! first).
bool is_channel(std::string_view target);

/// A command line with CR, LF and NUL removed from every part; the last parameter is sent as
/// trailing (':') when it is empty, has a space or starts with ':'.
std::string build(std::string_view command, const std::vector<std::string>& params);

/// PRIVMSG lines to `target` carrying `text`, each at most 512 bytes with CR LF once the
/// server prefixes it with our "nick!user@host" (`prefix_budget` bytes reserved for that);
/// split on line breaks first, never inside a UTF-8 sequence. Empty lines are skipped.
std::vector<std::string> privmsg_lines(std::string_view target, std::string_view text,
                                       std::size_t prefix_budget = 100);

/// Standard base64 (for SASL PLAIN).
std::string base64(std::string_view data);

}  // namespace irc
