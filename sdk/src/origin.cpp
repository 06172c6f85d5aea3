// OriginPolicy: Host and Origin checks against DNS rebinding and cross-site requests; see
// origin.hpp.
#include "openclaw/sdk/origin.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

namespace openclaw::sdk {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The host part of a Host value or an origin's authority: "[::1]:80" -> "[::1]", "a.b:1" -> "a.b".
std::string_view host_part(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

bool is_ipv4(std::string_view h) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= h.size()) {
    std::size_t j = i;
    while (j < h.size() && std::isdigit(static_cast<unsigned char>(h[j]))) ++j;
    if (j == i || j - i > 3) return false;
    if (std::stoi(std::string(h.substr(i, j - i))) > 255) return false;
    ++parts;
    if (j == h.size()) break;
    if (h[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool is_ipv6_literal(std::string_view h) {
  if (h.size() < 4 || h.front() != '[' || h.back() != ']') return false;
  return std::all_of(h.begin() + 1, h.end() - 1, [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
  });
}

bool is_local_name(std::string_view h) {
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);  // "localhost." is localhost
  constexpr std::string_view kSuffix = ".localhost";
  return h == "localhost" ||
         (h.size() > kSuffix.size() && h.substr(h.size() - kSuffix.size()) == kSuffix);
}

// "http://Example.org:8080/" -> "http://example.org:8080" (path and trailing slash dropped).
std::string normal_origin(std::string_view origin) {
  std::string o = lower(origin);
  auto scheme_end = o.find("://");
  if (scheme_end == std::string::npos) return o;
  auto slash = o.find('/', scheme_end + 3);
  if (slash != std::string::npos) o.resize(slash);
  return o;
}

std::string_view authority_of(std::string_view origin) {
  auto scheme_end = origin.find("://");
  return scheme_end == std::string_view::npos ? std::string_view() : origin.substr(scheme_end + 3);
}

}  // namespace

OriginPolicy OriginPolicy::from_config(const boost::json::object& root) {
  OriginPolicy p;
  const auto* gw = root.if_contains("gateway");
  const auto* ui = gw && gw->is_object() ? gw->get_object().if_contains("controlUi") : nullptr;
  const auto* list =
      ui && ui->is_object() ? ui->get_object().if_contains("allowedOrigins") : nullptr;
  if (list && list->is_array()) {
    for (const auto& v : list->get_array()) {
      if (v.is_string() && !v.get_string().empty())
        p.allowed_origins.push_back(normal_origin(v.get_string()));
    }
  }
  return p;
}

std::string check_host(const OriginPolicy& policy, std::string_view host) {
  if (!policy.enabled || host.empty()) return "";
  std::string h = lower(host_part(host));
  if (is_ipv4(h) || is_ipv6_literal(h) || is_local_name(h)) return "";
  for (const auto& o : policy.allowed_origins) {
    if (lower(host_part(authority_of(o))) == h) return "";
  }
  std::string shown(host.substr(0, 100));
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return "Host \"" + shown +
         "\" is not this machine's (loopback names and addresses, or the hosts of "
         "gateway.controlUi.allowedOrigins)";
}

std::string check_origin(const OriginPolicy& policy, std::string_view origin,
                         std::string_view host) {
  if (!policy.enabled || origin.empty()) return "";
  std::string o = normal_origin(origin);
  if (!host.empty() && (o == "http://" + lower(host) || o == "https://" + lower(host))) return "";
  if (std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), o) !=
      policy.allowed_origins.end()) {
    return "";
  }
  std::string shown(origin.substr(0, 100));
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return "requests from origin " + shown +
         " are refused: only this server's own pages and gateway.controlUi.allowedOrigins may call "
         "it";
}

}  // namespace openclaw::sdk
