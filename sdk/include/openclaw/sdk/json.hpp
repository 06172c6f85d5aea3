#pragma once
/// \file
/// JSON helpers shared by the host and plugins.

#include <string>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

namespace openclaw::sdk {

/// Serializes `value` with two-space indentation and a trailing newline, for files people edit.
BOOST_SYMBOL_EXPORT std::string to_pretty_json(const boost::json::value& value);

}  // namespace openclaw::sdk
