// The webhook channel's signature headers as anyone who can reach the port sends them. The input
// is "<secret>\n<X-OpenClaw-Timestamp>\n<X-OpenClaw-Signature>\n<now>\n<body>". Only the exact
// signature of this body at this time passes, within the window; any other byte fails; the
// reasons never carry the secret or the signature that would have passed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "signature.hpp"

namespace {

std::string_view field(std::string_view& in) {
  auto nl = in.find('\n');
  std::string_view f = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return f;
}

bool digits_only(std::string_view s) {
  if (s.empty() || s.size() > 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string secret(field(in));
  std::string_view ts = field(in), sig = field(in), now_text = field(in), body = in;
  if (secret.empty()) secret = "s3cret-webhook";
  std::int64_t now = 1767225600;  // 2026-01-01
  if (digits_only(now_text)) now = std::stoll(std::string(now_text));
  const std::int64_t tolerance = 300;

  const std::string good = webhook::sign(secret, ts, body);
  auto given = webhook::verify(secret, ts, sig, body, now, tolerance);
  FUZZ_CHECK(!given.ok || sig == good);
  // The reasons are fixed texts: nothing of the request, the secret or the expected signature.
  FUZZ_CHECK(given.ok == given.why.empty());
  FUZZ_CHECK(given.ok || given.why == "missing X-OpenClaw-Timestamp or X-OpenClaw-Signature" ||
             given.why == "X-OpenClaw-Timestamp must be Unix seconds" ||
             given.why == "stale timestamp (more than 300 s from the gateway's clock)" ||
             given.why == "bad signature");

  // The right signature passes exactly when the timestamp is well formed and inside the window.
  auto signed_ok = webhook::verify(secret, ts, good, body, now, tolerance);
  bool in_window = digits_only(ts) && std::stoll(std::string(ts)) >= now - tolerance &&
                   std::stoll(std::string(ts)) <= now + tolerance;
  FUZZ_CHECK(signed_ok.ok == in_window);
  if (in_window) {
    std::string tampered(body);
    tampered += '\0';
    FUZZ_CHECK(!webhook::verify(secret, ts, good, tampered, now, tolerance).ok);
    FUZZ_CHECK(!webhook::verify(secret + "x", ts, good, body, now, tolerance).ok);
  }
  return 0;
}
