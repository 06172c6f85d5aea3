// The request-head parser of the HTTP server; see http_head.hpp. No Asio, no Beast: a fuzz target
// compiles this file alone.
#include "http_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace openclaw::sdk::http_head {

namespace {

// tchar (RFC 9110 5.6.2): what a method or a header name is made of.
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool all_tchar(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated header list, trimmed.
template <typename F>
void for_each_token(std::string_view list, F&& f) {
  while (true) {
    auto comma = list.find(',');
    auto token = trim_ows(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool is_base64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool websocket_key_valid(std::string_view key) {
  // 16 bytes are 128 bits: 21 characters of 6 bits, a 22nd holding the last 2 bits (its low 4
  // bits zero: one of A, Q, g, w), then "==".
  if (key.size() != 24 || key.substr(22) != "==") return false;
  if (!std::all_of(key.begin(), key.begin() + 22, is_base64)) return false;
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

int check_websocket(const std::string* key, const std::string* version, std::string& why,
                    bool& version_error) {
  version_error = false;
  if (!version || *version != "13") {
    // RFC 6455 4.4: refuse, and say which version this server speaks.
    version_error = true;
    why = version ? "unsupported Sec-WebSocket-Version (this server speaks 13)"
                  : "missing Sec-WebSocket-Version (this server speaks 13)";
    return 400;
  }
  if (!key) {
    why = "missing Sec-WebSocket-Key";
    return 400;
  }
  if (!websocket_key_valid(*key)) {
    why = "malformed Sec-WebSocket-Key (must be the base64 of 16 bytes)";
    return 400;
  }
  return 0;
}

Result parse(const char* data, std::size_t size, const Limits& limits, HttpRequest& req,
             RequestHead& head) {
  constexpr auto npos = std::string_view::npos;
  const std::string_view in(data, size);
  auto fail = [&](int status, std::string why) {
    head.status = status;
    head.error = std::move(why);
    return Result::error;
  };
  std::size_t skip = 0;  // RFC 9112 2.2: blank lines before a request line are ignored
  while (skip + 1 < in.size() && in[skip] == '\r' && in[skip + 1] == '\n') skip += 2;
  auto end = in.find("\r\n\r\n", skip);
  if (end == npos) {
    if (in.size() - skip > limits.header_limit) {
      return fail(431, "the request head exceeds 16 KiB");
    }
    return Result::need_more;
  }
  if (end + 4 - skip > limits.header_limit) return fail(431, "the request head exceeds 16 KiB");
  head.size = end + 4;
  const std::string_view text = in.substr(skip, end + 2 - skip);  // each line ends with CRLF
  auto eol = text.find("\r\n");
  std::string_view line = text.substr(0, eol);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == npos ? npos : line.find(' ', sp1 + 1);
  if (sp2 == npos || line.find(' ', sp2 + 1) != npos) return fail(400, "malformed request line");
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (!all_tchar(method)) return fail(400, "malformed method");
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
      })) {
    return fail(400, "malformed request target");
  }
  bool http11;
  if (version == "HTTP/1.1") {
    http11 = true;
  } else if (version == "HTTP/1.0") {
    http11 = false;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
             std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    return fail(505, "HTTP version " + std::string(version.substr(5)) + " is not supported");
  } else {
    return fail(400, "malformed HTTP version");
  }
  req.method.assign(method);
  req.target.assign(target);
  auto q = target.find('?');
  req.path.assign(target.substr(0, q));
  if (q != npos) req.query.assign(target.substr(q + 1));
  bool has_length = false, has_te = false, chunked = false, close = false, keep = false,
       upgrade = false, connection_upgrade = false, upgrade_websocket = false;
  int hosts = 0;
  for (std::size_t pos = eol + 2; pos < text.size();) {
    eol = text.find("\r\n", pos);
    line = text.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "folded header line");
    auto colon = line.find(':');
    if (colon == npos || !all_tchar(line.substr(0, colon))) {
      return fail(400, "malformed header line");
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = ascii_lower(c);
    if (std::any_of(value.begin(), value.end(), [](char c) {
          auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && u != '\t') || u == 0x7f;
        })) {
      return fail(400, "control character in header " + name);
    }
    if (name == "content-length") {
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size()) {
        return fail(400, "malformed Content-Length");
      }
      if (has_length && n != head.content_length) {
        return fail(400, "conflicting Content-Length headers");
      }
      has_length = true;
      head.content_length = n;
      continue;  // the body's length is known; the header is not repeated
    }
    if (name == "host") {
      ++hosts;
    } else if (name == "transfer-encoding") {
      has_te = true;
      chunked = false;
      for_each_token(value, [&](std::string_view t) { chunked = iequal(t, "chunked"); });
    } else if (name == "connection") {
      for_each_token(value, [&](std::string_view t) {
        if (iequal(t, "close")) close = true;
        if (iequal(t, "keep-alive")) keep = true;
        if (iequal(t, "upgrade")) connection_upgrade = true;
      });
    } else if (name == "upgrade") {
      upgrade = true;
      for_each_token(value, [&](std::string_view t) {
        if (iequal(t, "websocket")) upgrade_websocket = true;
      });
    } else if (name == "expect") {
      head.expect_continue = http11 && iequal(value, "100-continue");
    }
    auto [it, fresh] = req.headers.try_emplace(std::move(name), value);
    if (!fresh) {
      it->second += it->first == "cookie" ? "; " : ", ";
      it->second.append(value);
    }
  }
  if (has_length) req.headers["content-length"] = std::to_string(head.content_length);
  if (has_te && has_length) return fail(400, "both Transfer-Encoding and Content-Length");
  if (has_te && !chunked) return fail(400, "a Transfer-Encoding other than chunked");
  // RFC 9112 3.2: exactly one Host on HTTP/1.1, at most one before. Two would let a proxy and this
  // server disagree about which site was asked for.
  if (hosts > 1) return fail(400, "more than one Host header");
  if (hosts == 0 && http11) return fail(400, "missing Host header (HTTP/1.1 requires one)");
  head.keep_alive = http11 ? !close : keep && !close;
  head.beast = has_te || (upgrade && limits.websocket);
  // What Beast's websocket::is_upgrade() takes for a handshake (it sees only the first Connection
  // and Upgrade header, so whatever it accepts has been checked here).
  if (limits.websocket && http11 && method == "GET" && connection_upgrade && upgrade_websocket) {
    auto find = [&](const char* name) {
      auto it = req.headers.find(name);
      return it == req.headers.end() ? nullptr : &it->second;
    };
    std::string why;
    bool version_error = false;
    if (int status = check_websocket(find("sec-websocket-key"), find("sec-websocket-version"), why,
                                     version_error)) {
      head.websocket_version_error = version_error;
      return fail(status, std::move(why));
    }
    head.websocket = true;
  }
  return Result::complete;
}

Parsed parse(const char* data, std::size_t size, const Limits& limits) {
  Parsed p;
  p.result = parse(data, size, limits, p.request, p.head);
  return p;
}

}  // namespace openclaw::sdk::http_head
