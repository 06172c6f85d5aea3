#pragma once
/// \file
/// The error codes gateway methods and plugin routes answer with (OpenClaw's, as its CLI expects
/// them), and MethodError: what a synchronous method handler (Host::add_method) throws to answer
/// one of them. Any other exception a handler throws answers UNAVAILABLE naming the method.

#include <stdexcept>
#include <string>

#include <boost/config.hpp>
#include <boost/json/value.hpp>

namespace openclaw::sdk {

/// Error codes, as MethodResponder::error() and HttpResponse::error() take them.
namespace errors {
/// The request is wrong (unknown method, bad params, a refused value): the caller must change it.
inline constexpr const char* kInvalidRequest = "INVALID_REQUEST";
/// The handler cannot answer now (its plugin failed or stopped, a peer is down): try later.
inline constexpr const char* kUnavailable = "UNAVAILABLE";
/// No answer within the method's timeout (MethodOptions::timeout).
inline constexpr const char* kTimeout = "TIMEOUT";
/// What the request names does not exist (HTTP 404).
inline constexpr const char* kNotFound = "NOT_FOUND";
/// A body over the route's limit (HTTP 413).
inline constexpr const char* kPayloadTooLarge = "PAYLOAD_TOO_LARGE";
/// A bug on the answering side (HTTP 500).
inline constexpr const char* kInternal = "INTERNAL";
}  // namespace errors

/// Thrown by a synchronous method handler to answer `code` (e.g. errors::kInvalidRequest) with
/// `message` and optional `details`, instead of the UNAVAILABLE a plain exception answers.
struct BOOST_SYMBOL_VISIBLE MethodError : std::runtime_error {
  MethodError(std::string code, const std::string& message, boost::json::value details = nullptr)
      : std::runtime_error(message), code(std::move(code)), details(std::move(details)) {}
  std::string code;
  boost::json::value details;
};

}  // namespace openclaw::sdk
