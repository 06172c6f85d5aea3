#include "irc_line.hpp"

#include <cctype>

#include <openclaw/sdk/channels.hpp>

namespace irc {

std::optional<Line> parse(std::string_view raw) {
  while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
  if (raw.empty() || raw.find('\0') != std::string_view::npos) return std::nullopt;
  Line l;
  auto word = [&]() {
    auto sp = raw.find(' ');
    std::string_view w = raw.substr(0, sp);
    raw = sp == std::string_view::npos ? std::string_view{} : raw.substr(sp + 1);
    while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
    return w;
  };
  if (raw.front() == '@') {
    l.tags = std::string(word().substr(1));
  }
  if (!raw.empty() && raw.front() == ':') {
    l.prefix = std::string(word().substr(1));
    if (l.prefix.empty()) return std::nullopt;
  }
  std::string_view cmd = word();
  if (cmd.empty()) return std::nullopt;
  bool digits = cmd.size() == 3 && std::isdigit(static_cast<unsigned char>(cmd[0])) &&
                std::isdigit(static_cast<unsigned char>(cmd[1])) &&
                std::isdigit(static_cast<unsigned char>(cmd[2]));
  bool letters = true;
  for (char c : cmd) letters = letters && std::isalpha(static_cast<unsigned char>(c));
  if (!digits && !letters) return std::nullopt;
  for (char c : cmd) l.command += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  while (!raw.empty()) {
    if (raw.front() == ':') {
      l.params.emplace_back(raw.substr(1));
      break;
    }
    l.params.emplace_back(word());
  }
  return l;
}

std::string nick_of(std::string_view prefix) {
  auto bang = prefix.find('!');
  return std::string(prefix.substr(0, bang));
}

std::string tag(std::string_view tags, std::string_view key) {
  while (!tags.empty()) {
    auto semi = tags.find(';');
    std::string_view t = tags.substr(0, semi);
    auto eq = t.find('=');
    if (t.substr(0, eq) == key) {
      std::string out;
      if (eq == std::string_view::npos) return out;
      std::string_view v = t.substr(eq + 1);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
          char n = v[++i];
          out += n == ':' ? ';' : n == 's' ? ' ' : n == 'r' ? '\r' : n == 'n' ? '\n' : n;
        } else {
          out += v[i];
        }
      }
      return out;
    }
    if (semi == std::string_view::npos) break;
    tags.remove_prefix(semi + 1);
  }
  return {};
}

bool is_ctcp(std::string_view text) {
  return !text.empty() && text.front() == '\x01';
}

bool is_channel(std::string_view target) {
  return !target.empty() &&
         (target[0] == '#' || target[0] == '&' || target[0] == '+' || target[0] == '!');
}

namespace {
std::string clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  }
  return out;
}
}  // namespace

std::string build(std::string_view command, const std::vector<std::string>& params) {
  std::string out = clean(command);
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::string p = clean(params[i]);
    bool last = i + 1 == params.size();
    if (last && (p.empty() || p.find(' ') != std::string::npos || p.front() == ':')) {
      out += " :" + p;
    } else {
      // A middle parameter cannot hold a space: it would shift the others.
      for (char& c : p) {
        if (c == ' ') c = '_';
      }
      out += " " + p;
    }
  }
  out += "\r\n";
  return out;
}

std::vector<std::string> privmsg_lines(std::string_view target, std::string_view text,
                                       std::size_t prefix_budget) {
  // ":" + prefix + " PRIVMSG " + target + " :" + text + "\r\n" <= 512
  std::string t = clean(target);
  std::size_t overhead = 1 + prefix_budget + 9 + t.size() + 2 + 2;
  std::size_t limit = overhead < 512 - 32 ? 512 - overhead : 32;
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    for (auto& part : openclaw::sdk::split_text(line, limit)) {
      std::string c = clean(part);
      if (!c.empty()) out.push_back("PRIVMSG " + t + " :" + c + "\r\n");
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string base64(std::string_view data) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < data.size()) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
    i += 3;
  }
  if (i + 1 == data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace irc
