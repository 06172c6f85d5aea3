#pragma once
// The HTTP server's request-head parser and WebSocket handshake check, apart from its sockets.
//
// Internal to libopenclaw-sdk.so (nothing here is exported): pure functions of bytes, no Asio, no
// Beast, no I/O, so a unit test or a libFuzzer target can call them on any input. A fuzz target
// compiles sdk/src/http_head.cpp into itself (it needs only the SDK's public include directory)
// and calls, for example:
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     openclaw::sdk::http_head::parse(reinterpret_cast<const char*>(data), size);
//     return 0;
//   }
//
// Contract of parse(): it never reads outside [data, data + size), never throws but std::bad_alloc,
// and its answer is one of need_more (a prefix of a head; nothing is past the limit yet), complete
// (`head.size` bytes are the head; the body, if any, follows) or error (`head.status` and
// `head.error` say what to answer; the connection closes after it).
//
// Chunked bodies are not decoded here: the server hands them to Beast's request parser.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "openclaw/sdk/http_server.hpp"

namespace openclaw::sdk::http_head {

/// What the connection needs from a request head beyond the HttpRequest.
struct RequestHead {
  std::size_t size = 0;  ///< bytes of the head, the blank line included (complete only)
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  bool beast = false;            ///< a chunked body or an upgrade: read by Beast's parser instead
  bool expect_continue = false;  ///< the client waits for "100 Continue" before the body
  bool websocket = false;        ///< a valid WebSocket upgrade (only when Limits::websocket)
  int status = 0;                ///< error: the status to answer (400, 431, 505)
  std::string error;             ///< error: what was wrong, for the client, one line
  /// error: the answer must carry "Sec-WebSocket-Version: 13" (RFC 6455 4.4).
  bool websocket_version_error = false;
};

struct Limits {
  std::size_t header_limit = 16 * 1024;  ///< longer heads are a 431
  /// Upgrades are accepted: WebSocket handshakes are checked, and upgrades go to Beast.
  bool websocket = false;
};

enum class Result { need_more, complete, error };

/// Parses the request head at the start of [data, data + size) into `request` (method, target,
/// path, query; headers with lower-case names, a repeated header's values joined with ", ",
/// cookies with "; ") and `head`. The caller passes `head` fresh (default-constructed) and
/// `request` with empty fields (default-constructed, or cleared to reuse their capacity). The
/// common request (no body, or a Content-Length body) costs one pass over the head and no
/// allocation but the request's own strings. Framing that could be read two ways (folded lines,
/// conflicting lengths, Transfer-Encoding with Content-Length) is an error; so are a missing Host
/// on HTTP/1.1 and a repeated Host (RFC 9112 3.2), and a WebSocket upgrade whose
/// Sec-WebSocket-Key or Sec-WebSocket-Version is not RFC 6455's (see check_websocket).
Result parse(const char* data, std::size_t size, const Limits& limits, HttpRequest& request,
             RequestHead& head);

/// parse() with its own request and head: the shape a fuzz target calls.
struct Parsed {
  Result result = Result::need_more;
  HttpRequest request;
  RequestHead head;
};
Parsed parse(const char* data, std::size_t size, const Limits& limits = {});

/// True if `key` is a Sec-WebSocket-Key RFC 6455 4.1 allows: the base64 of exactly 16 bytes
/// (24 characters, the last two "==", no stray bits in the 22nd).
bool websocket_key_valid(std::string_view key);

/// Checks a WebSocket handshake's headers (values as parse() joins them; nullptr = absent):
/// 0 when a server may answer 101, else 400 with `why` set (and `version_error` when the answer
/// must say "Sec-WebSocket-Version: 13").
int check_websocket(const std::string* key, const std::string* version, std::string& why,
                    bool& version_error);

/// ASCII case-insensitive equality (header names and tokens).
bool iequal(std::string_view a, std::string_view b);

/// `c` in lower case if it is an ASCII letter: header names are ASCII, and std::tolower is a
/// call into the C library per character.
inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace openclaw::sdk::http_head
