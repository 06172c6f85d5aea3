#pragma once
/// \file
/// Checking a caller's secret: comparing it without a timing side channel and reading it from an
/// `Authorization: Bearer` header. Pure functions, the same for the gateway, its protocol and
/// every plugin that takes a token.

#include <optional>
#include <string_view>

#include <boost/config.hpp>

namespace openclaw::sdk {

/// True when `a` and `b` are the same bytes, in time that does not depend on where they differ
/// (only on their lengths). Two empty strings are equal: a caller whose secret may be unset
/// refuses that case itself.
BOOST_SYMBOL_EXPORT bool constant_time_equals(std::string_view a, std::string_view b);

/// The token of an `Authorization` header value of the Bearer scheme (RFC 6750 2.1): the scheme
/// name in any case (RFC 7235), one or more blanks (spaces or tabs), the token; blanks around
/// the whole value and the token are trimmed. nullopt for another scheme, no blank after the
/// scheme, or an empty token. The view points into `authorization_header`.
BOOST_SYMBOL_EXPORT std::optional<std::string_view> bearer_token(
    std::string_view authorization_header);

}  // namespace openclaw::sdk
