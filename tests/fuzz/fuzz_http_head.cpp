// The SDK's request head reader (sdk/src/http_head.cpp) and the Host/Origin policy every port
// applies (sdk/origin.hpp), on the bytes a client sends, with what servers read from a request
// next: percent-decoding (sdk/url.hpp) and the bearer token (sdk/auth.hpp). The input is a request
// as it arrives. A complete head is a prefix of the input, ends in a blank line and names a
// method; an error has a status to answer and a one-line reason; a head is never complete on fewer
// bytes than a longer input proved it needs; the origin checks accept or refuse with a one-line
// reason. A strict decode that succeeds agrees with the lenient one and never grows the text; a
// lenient decode always succeeds; a bearer token is a non-empty, trimmed part of its header that
// reads back the same from "Bearer <token>".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http_head.hpp"
#include "openclaw/sdk/auth.hpp"
#include "openclaw/sdk/origin.hpp"
#include "openclaw/sdk/url.hpp"

namespace head = openclaw::sdk::http_head;
namespace sdk = openclaw::sdk;

namespace {

void check_percent_decode(std::string_view text) {
  for (bool plus : {false, true}) {
    auto strict = sdk::percent_decode(text, {.plus_as_space = plus});
    auto lenient = sdk::percent_decode(text, {.plus_as_space = plus, .keep_malformed = true});
    FUZZ_CHECK(lenient.has_value() && lenient->size() <= text.size());
    if (strict) FUZZ_CHECK(*strict == *lenient);
    if (text.find('%') == std::string_view::npos && !plus) FUZZ_CHECK(strict && *strict == text);
  }
}

void check_bearer(std::string_view header) {
  auto token = sdk::bearer_token(header);
  if (!token) return;
  FUZZ_CHECK(!token->empty());
  FUZZ_CHECK(token->data() >= header.data() &&
             token->data() + token->size() <= header.data() + header.size());
  for (char edge : {token->front(), token->back()}) FUZZ_CHECK(edge != ' ' && edge != '\t');
  const std::string again = "Bearer " + std::string(*token);
  auto reread = sdk::bearer_token(again);
  FUZZ_CHECK(reread && *reread == *token);
  FUZZ_CHECK(sdk::constant_time_equals(*reread, *token));
}

}  // namespace

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
    check_percent_decode(p.request.path);
    check_percent_decode(p.request.query);
    if (auto it = p.request.headers.find("authorization"); it != p.request.headers.end()) {
      check_bearer(it->second);
    }
  } else if (p.result == head::Result::error) {
    FUZZ_CHECK(p.head.status >= 400 && p.head.status < 600);
    FUZZ_CHECK(!p.head.error.empty());
  }
  // Any bytes as a Sec-WebSocket-Key: valid only when 24 characters ending in "==".
  std::string_view key(text, size);
  if (head::websocket_key_valid(key)) FUZZ_CHECK(key.size() == 24 && key.substr(22) == "==");
  // And as a path or query, and as an Authorization value, whatever the parser made of them.
  check_percent_decode(key);
  check_bearer(key);
  return 0;
}
