// Channel helpers shared by the host and channel plugins: the message's JSON form, text
// splitting, host-mask matching, and the HMAC / random helpers webhooks and pairing codes need.
#include "openclaw/sdk/channels.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>

#include <boost/json.hpp>

#include "openclaw/sdk/plugin.hpp"

namespace openclaw::sdk {
namespace json = boost::json;

namespace {

std::string string_field(const json::object& o, const char* key, bool required) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required)
      throw std::invalid_argument(std::string("message field \"") + key + "\" is missing");
    return {};
  }
  if (!v->is_string()) {
    throw std::invalid_argument(std::string("message field \"") + key + "\" must be a string");
  }
  return std::string(v->get_string());
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

// Bytes a UTF-8 sequence starting with `lead` takes (1 for a stray continuation byte).
bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

}  // namespace

json::value ChannelMessage::to_json() const {
  return json::object{{"id", id},       {"channel", channel},    {"account", account},
                      {"from", from},   {"fromName", from_name}, {"chat", chat},
                      {"group", group}, {"text", text},          {"ts", ts}};
}

ChannelMessage ChannelMessage::from_json(const json::value& v) {
  if (!v.is_object()) throw std::invalid_argument("a message must be a JSON object");
  const auto& o = v.get_object();
  ChannelMessage m;
  m.id = string_field(o, "id", true);
  m.channel = string_field(o, "channel", true);
  m.account = string_field(o, "account", false);
  if (m.account.empty()) m.account = "default";
  m.from = string_field(o, "from", true);
  m.from_name = string_field(o, "fromName", false);
  m.chat = string_field(o, "chat", true);
  m.text = string_field(o, "text", true);
  if (const json::value* g = o.if_contains("group")) {
    if (!g->is_bool()) throw std::invalid_argument("message field \"group\" must be true or false");
    m.group = g->get_bool();
  }
  if (const json::value* t = o.if_contains("ts")) {
    if (!t->is_number()) throw std::invalid_argument("message field \"ts\" must be a number");
    m.ts = t->to_number<std::int64_t>();
  }
  return m;
}

std::vector<std::string> split_text(std::string_view text, std::size_t limit) {
  std::vector<std::string> parts;
  if (limit < 4) limit = 4;  // room for one UTF-8 sequence
  while (!text.empty()) {
    if (text.size() <= limit) {
      parts.emplace_back(text);
      break;
    }
    std::size_t cut = limit;
    while (cut > 0 && continuation(static_cast<unsigned char>(text[cut]))) --cut;
    // Not UTF-8 (a run of continuation bytes longer than a part): there is no sequence to keep
    // whole, so the cut is hard. Cutting nothing would loop forever on the I/O thread.
    if (cut == 0) cut = limit;
    // A line break, else a space in the second half of the part, reads better than a hard cut.
    std::size_t nl = text.rfind('\n', cut - 1);
    std::size_t sp = text.rfind(' ', cut - 1);
    std::size_t soft = nl != std::string_view::npos && nl > 0          ? nl
                       : sp != std::string_view::npos && sp >= cut / 2 ? sp
                                                                       : std::string_view::npos;
    if (soft != std::string_view::npos && soft > 0) {
      parts.emplace_back(text.substr(0, soft));
      text.remove_prefix(soft + 1);
    } else {
      parts.emplace_back(text.substr(0, cut));
      text.remove_prefix(cut);
    }
  }
  return parts;
}

bool glob_match(std::string_view mask, std::string_view text) {
  // Iterative wildcard match with one backtrack point (the last '*').
  std::size_t m = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  while (t < text.size()) {
    if (m < mask.size() && (mask[m] == '?' || (mask[m] != '*' && eq(mask[m], text[t])))) {
      ++m, ++t;
    } else if (m < mask.size() && mask[m] == '*') {
      star = m++;
      mark = t;
    } else if (star != std::string_view::npos) {
      m = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (m < mask.size() && mask[m] == '*') ++m;
  return m == mask.size();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return hex(out, len);
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (bytes &&
      ::RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("the system's random generator failed");
  }
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

Channels& channels_service(Host& host) {
  auto* channels = host.service<Channels>();
  if (!channels) {
    throw std::runtime_error(std::string("this host has no channels service (") +
                             Channels::kServiceName + " " +
                             std::to_string(Channels::kServiceVersion) + ")");
  }
  return *channels;
}

Channels* start_channel(Host& host, std::string_view block, bool enabled,
                        std::string_view idle_reason) {
  if (!enabled) {
    host.log(LogLevel::info, std::string(block) + ".enabled is false: the channel is off");
    return nullptr;
  }
  if (!idle_reason.empty()) {
    host.log(LogLevel::info, std::string(idle_reason) + ": the channel is idle");
    return nullptr;
  }
  return &channels_service(host);
}

}  // namespace openclaw::sdk
