#pragma once
// The webhook channel's request signatures, without I/O: X-OpenClaw-Timestamp (Unix seconds) and
// X-OpenClaw-Signature ("sha256=" + hex HMAC-SHA256 under the shared secret of
// "<timestamp>.<body>"), accepted within a replay window around the gateway's clock. The headers
// come from anyone who can reach the port: unit-tested and fuzzed
// (tests/fuzz/fuzz_webhook_signature.cpp).
#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

/// The X-OpenClaw-Signature value for `body` sent at `timestamp` (what a sender computes).
std::string sign(std::string_view secret, std::string_view timestamp, std::string_view body);

/// The outcome of a check: ok, or why not (one line, never containing the secret or the
/// expected signature).
struct Verdict {
  bool ok = false;
  std::string why;
  std::int64_t timestamp = 0;  ///< the header's value, when it was well formed
};

/// Checks the two header values (as received, "" when absent) against `secret` (non-empty) and
/// `body`, at `now_s` with `tolerance_s` seconds of clock difference allowed either way. The
/// timestamp must be 1 to 12 ASCII digits (no sign, no spaces); the signature is compared in
/// constant time. Replays within the window are the caller's to refuse (it keeps the seen ones).
Verdict verify(std::string_view secret, std::string_view timestamp_header,
               std::string_view signature_header, std::string_view body, std::int64_t now_s,
               std::int64_t tolerance_s);

}  // namespace webhook
