// The SDK's request head reader (sdk/src/http_head.cpp) and the Host/Origin policy every port
// applies (sdk/origin.hpp), on the bytes a client sends. The input is a request as it arrives.
// A complete head is a prefix of the input, ends in a blank line and names a method; an error
// has a status to answer and a one-line reason; a head is never complete on fewer bytes than a
// longer input proved it needs; the origin checks accept or refuse with a one-line reason.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http_head.hpp"
#include "openclaw/sdk/origin.hpp"

namespace head = openclaw::sdk::http_head;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  head::Limits limits;
  limits.websocket = size > 0 && (data[0] & 1);
  auto p = head::parse(text, size, limits);
  if (p.result == head::Result::complete) {
    FUZZ_CHECK(p.head.size > 0 && p.head.size <= size);
    FUZZ_CHECK(std::string_view(text, p.head.size).ends_with("\n"));
    FUZZ_CHECK(!p.request.method.empty());
    // A complete head reads the same from the bytes of the head alone.
    auto again = head::parse(text, p.head.size, limits);
    FUZZ_CHECK(again.result == head::Result::complete && again.head.size == p.head.size);
    openclaw::sdk::OriginPolicy policy;
    auto host = p.request.headers.count("host") ? p.request.headers.at("host") : std::string();
    auto origin =
        p.request.headers.count("origin") ? p.request.headers.at("origin") : std::string();
    for (const auto& why : {openclaw::sdk::check_host(policy, host),
                            openclaw::sdk::check_origin(policy, origin, host)}) {
      FUZZ_CHECK(why.find('\n') == std::string::npos && why.find('\r') == std::string::npos);
    }
  } else if (p.result == head::Result::error) {
    FUZZ_CHECK(p.head.status >= 400 && p.head.status < 600);
    FUZZ_CHECK(!p.head.error.empty());
  }
  // Any bytes as a Sec-WebSocket-Key: valid only when 24 characters ending in "==".
  std::string_view key(text, size);
  if (head::websocket_key_valid(key)) FUZZ_CHECK(key.size() == 24 && key.substr(22) == "==");
  return 0;
}
