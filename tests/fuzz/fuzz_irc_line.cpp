// Lines an IRC server (or anyone on the network path to a plaintext one) sends. A parsed line
// builds back into the same line; tags decode; what we send stays within IRC's framing (one
// CR LF, at most 512 bytes, never a split UTF-8 sequence) whatever text we are asked to send.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "irc_line.hpp"

namespace {

bool has_line_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool utf8_boundary(std::string_view s) {
  // Ends after a complete sequence: the last lead byte has all its continuation bytes.
  std::size_t i = s.size();
  std::size_t cont = 0;
  while (i > 0 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80 && cont < 4) {
    --i;
    ++cont;
  }
  if (i == 0) return cont == 0;
  unsigned char lead = static_cast<unsigned char>(s[i - 1]);
  std::size_t need = lead < 0x80             ? 0
                     : (lead & 0xE0) == 0xC0 ? 1
                     : (lead & 0xF0) == 0xE0 ? 2
                     : (lead & 0xF8) == 0xF0 ? 3
                                             : cont;
  return cont >= need;
}

// Lead bytes followed by the right number of continuation bytes (structure only).
bool utf8_structure(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80             ? 0
                    : (c & 0xE0) == 0xC0 ? 1
                    : (c & 0xF0) == 0xE0 ? 2
                    : (c & 0xF8) == 0xF0 ? 3
                                         : 9;
    if (n == 9) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (auto line = irc::parse(raw)) {
    FUZZ_CHECK(!line->command.empty());
    for (std::size_t i = 0; i + 1 < line->params.size(); ++i) {
      const auto& p = line->params[i];
      FUZZ_CHECK(!p.empty() && p.find(' ') == std::string::npos && p.front() != ':');
    }
    bool clean = !has_line_break(line->prefix) && !has_line_break(line->tags);
    for (const auto& p : line->params) clean = clean && !has_line_break(p);
    if (clean) {
      // What build() sends for the parsed parts is read back as the same parts.
      std::string built = irc::build(line->command, line->params);
      auto again = irc::parse(built);
      FUZZ_CHECK(again && again->command == line->command && again->params == line->params);
    }
    (void)irc::nick_of(line->prefix);
    for (std::string_view key : {"msgid", "time", "account", ""}) (void)irc::tag(line->tags, key);
    if (!line->params.empty()) {
      (void)irc::is_channel(line->params.front());
      (void)irc::is_ctcp(line->params.back());
    }
  }
  // The same bytes as text we are asked to send: every line is well framed and within 512 bytes.
  auto cut = raw.find('\t');
  std::string_view target =
      cut == std::string_view::npos ? std::string_view("#chan") : raw.substr(0, cut);
  std::string_view text = cut == std::string_view::npos ? raw : raw.substr(cut + 1);
  for (const auto& out : irc::privmsg_lines(target, text)) {
    FUZZ_CHECK(out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0);
    std::string_view body(out.data(), out.size() - 2);
    FUZZ_CHECK(!has_line_break(body));
    if (target.size() < 300) FUZZ_CHECK(1 + 100 + 1 + out.size() <= 512);
    if (utf8_structure(text)) FUZZ_CHECK(utf8_boundary(body));
  }
  (void)irc::base64(raw);
  return 0;
}
