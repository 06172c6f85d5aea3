#include "signature.hpp"

#include <openclaw/sdk/auth.hpp>
#include <openclaw/sdk/channels.hpp>

namespace webhook {

std::string sign(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string data;
  data.reserve(timestamp.size() + 1 + body.size());
  data.append(timestamp).append(".").append(body);
  return "sha256=" + openclaw::sdk::hmac_sha256_hex(secret, data);
}

Verdict verify(std::string_view secret, std::string_view ts, std::string_view sig,
               std::string_view body, std::int64_t now_s, std::int64_t tolerance_s) {
  Verdict v;
  if (ts.empty() || sig.empty()) {
    v.why = "missing X-OpenClaw-Timestamp or X-OpenClaw-Signature";
    return v;
  }
  // Digits only: strtoll would also take " 12", "+12" and "-12", each a different signed text
  // for the same time. Twelve digits (year 33658) keep the arithmetic below far from overflow.
  bool digits = ts.size() <= 12;
  std::int64_t t = 0;
  for (char c : ts) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) t = t * 10 + (c - '0');
  }
  if (!digits) {
    v.why = "X-OpenClaw-Timestamp must be Unix seconds";
    return v;
  }
  v.timestamp = t;
  std::int64_t skew = now_s - t;
  if (skew > tolerance_s || -skew > tolerance_s) {
    v.why = "stale timestamp (more than " + std::to_string(tolerance_s) +
            " s from the gateway's clock)";
    return v;
  }
  if (secret.empty() || !openclaw::sdk::constant_time_equals(sig, sign(secret, ts, body))) {
    v.why = "bad signature";
    return v;
  }
  v.ok = true;
  return v;
}

}  // namespace webhook
