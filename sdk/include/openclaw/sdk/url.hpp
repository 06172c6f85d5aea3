#pragma once
/// \file
/// URLs: an absolute URL's parts (what the clients connect to) and percent-decoding (what a server
/// reads from a request's path and query). Pure functions: no I/O, no Asio.

#include <optional>
#include <string>
#include <string_view>

#include <boost/config.hpp>

namespace openclaw::sdk {

/// The parts of an absolute URL.
struct BOOST_SYMBOL_VISIBLE Url {
  std::string scheme;  ///< lower case: "http", "https", "ws", "wss", ...
  std::string host;    ///< without brackets for IPv6 literals, lower case
  int port = 0;        ///< explicit, else the scheme's default (80/443), else 0
  std::string target;  ///< path and query, "/" when empty
  /// Parses `text`; nullopt when it is not an absolute URL with a host (user-info refused).
  BOOST_SYMBOL_EXPORT static std::optional<Url> parse(std::string_view text);
  /// "scheme://host:port" (brackets around IPv6 literals).
  BOOST_SYMBOL_EXPORT std::string origin() const;
};

/// How percent_decode() reads what is not a plain byte.
struct BOOST_SYMBOL_VISIBLE PercentDecoding {
  /// '+' is a space: a query string (application/x-www-form-urlencoded). Else '+' is itself, as
  /// in a path.
  bool plus_as_space = false;
  /// A '%' not followed by two hex digits stays as it is (WHATWG URL, lenient). Else the whole
  /// decode fails: what a server that maps paths to files wants, so "%zz" cannot mean two things.
  bool keep_malformed = false;
};

/// `text` with every "%XX" escape replaced by its byte, in one pass (a decoded '%' is not read
/// again: "%2541" is "%41"). nullopt when an escape is malformed and `how.keep_malformed` is
/// false; never nullopt otherwise. The result may hold any byte, NUL and '/' included: a caller
/// that maps it to a file checks for those itself.
BOOST_SYMBOL_EXPORT std::optional<std::string> percent_decode(std::string_view text,
                                                              PercentDecoding how = {});

}  // namespace openclaw::sdk
