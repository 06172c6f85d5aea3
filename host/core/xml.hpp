#pragma once
// Text for XML documents the host writes (a launchd plist, the port map's SVG).

#include <string>
#include <string_view>

namespace openclaw {

/// `s` as XML character data or an attribute value: & < > " ' escaped, and the control
/// characters XML cannot hold (all below 0x20 but tab, LF and CR) left out.
inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
    }
  }
  return out;
}

}  // namespace openclaw
