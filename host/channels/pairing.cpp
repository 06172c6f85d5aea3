#include "channels/pairing.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <boost/json.hpp>

#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/files.hpp"

namespace openclaw::channels {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Our own files (written atomically, so never a symlink); a FIFO or a device put in their place
// is refused at once instead of read on the I/O thread.
json::object read_json(const fs::path& p) {
  sdk::OpenOptions options;
  options.no_symlinks = true;
  std::optional<std::string> text = sdk::read_regular_file(p, options, 4u << 20);
  if (!text) return {};
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) {
    throw std::runtime_error("cannot read " + p.string() +
                             ": not a JSON object (fix or remove it)");
  }
  return v.get_object();
}

std::string str(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<PairingRequest> requests_of(const json::object& o) {
  std::vector<PairingRequest> out;
  const auto* r = o.if_contains("requests");
  if (!r || !r->is_array()) return out;
  for (const auto& e : r->get_array()) {
    if (!e.is_object()) continue;
    const auto& x = e.get_object();
    PairingRequest q{str(x, "code"), str(x, "from"), str(x, "fromName"), str(x, "account"), 0};
    if (const auto* t = x.if_contains("ts"); t && t->is_number())
      q.ts = t->to_number<std::int64_t>();
    if (!q.code.empty() && !q.from.empty()) out.push_back(std::move(q));
  }
  return out;
}

void save_requests(const fs::path& p, const std::vector<PairingRequest>& reqs) {
  json::array a;
  for (const auto& q : reqs) {
    a.push_back(json::object{{"code", q.code},
                             {"from", q.from},
                             {"fromName", q.from_name},
                             {"account", q.account},
                             {"ts", q.ts}});
  }
  sdk::write_file_atomic(p, json::serialize(json::object{{"version", 1}, {"requests", a}}) + "\n");
}

std::string new_code() {
  // No 0/O, 1/I/L: read aloud or typed from a phone without mistakes.
  static const char* alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  std::string hex = sdk::random_hex(8);
  std::string code;
  for (int i = 0; i < 8; ++i) {
    int byte = std::stoi(hex.substr(static_cast<size_t>(2 * i), 2), nullptr, 16);
    code += alphabet[byte % 31];
  }
  return code;
}

}  // namespace

bool valid_channel_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

PairingStore::PairingStore(fs::path state_dir) : dir_(state_dir / "credentials") {}

fs::path PairingStore::file(const std::string& channel, const char* what) const {
  if (!valid_channel_id(channel)) {
    throw std::runtime_error("\"" + channel + "\" is not a channel id (letters, digits, - and _)");
  }
  return dir_ / (channel + "-" + what + ".json");
}

std::string PairingStore::request(const std::string& channel, const std::string& from,
                                  const std::string& from_name, const std::string& account,
                                  std::int64_t now_ms) {
  sdk::create_private_dirs(dir_);
  fs::path p = file(channel, "pairing");
  auto reqs = pending(channel, now_ms);
  for (const auto& q : reqs) {
    if (q.from == from) return q.code;
  }
  PairingRequest q{new_code(), from, from_name, account, now_ms};
  reqs.push_back(q);
  while (reqs.size() > 20) reqs.erase(reqs.begin());
  save_requests(p, reqs);
  return q.code;
}

PairingRequest PairingStore::approve(const std::string& channel, const std::string& code,
                                     std::int64_t now_ms) {
  fs::path p = file(channel, "pairing");
  auto reqs = pending(channel, now_ms);
  std::string wanted = code;
  std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  auto it = std::find_if(reqs.begin(), reqs.end(), [&](const auto& q) { return q.code == wanted; });
  if (it == reqs.end()) {
    throw std::runtime_error("no pending pairing code " + code + " on channel " + channel +
                             " (codes last an hour; `openclaw-host pairing list " + channel +
                             "` shows the pending ones)");
  }
  PairingRequest done = *it;
  reqs.erase(it);
  sdk::create_private_dirs(dir_);
  auto list = approved(channel);
  if (std::find(list.begin(), list.end(), done.from) == list.end()) list.push_back(done.from);
  json::array a;
  for (const auto& s : list) a.push_back(json::value(s));
  sdk::write_file_atomic(file(channel, "allowFrom"),
                         json::serialize(json::object{{"version", 1}, {"allowFrom", a}}) + "\n");
  save_requests(p, reqs);
  return done;
}

std::vector<PairingRequest> PairingStore::pending(const std::string& channel,
                                                  std::int64_t now_ms) const {
  auto all = requests_of(read_json(file(channel, "pairing")));
  std::vector<PairingRequest> out;
  for (auto& q : all) {
    if (now_ms - q.ts < kTtlMs) out.push_back(std::move(q));
  }
  return out;
}

std::vector<std::string> PairingStore::approved(const std::string& channel) const {
  std::vector<std::string> out;
  json::object o = read_json(file(channel, "allowFrom"));
  if (const auto* a = o.if_contains("allowFrom"); a && a->is_array()) {
    for (const auto& e : a->get_array()) {
      if (e.is_string()) out.emplace_back(e.get_string());
    }
  }
  return out;
}

}  // namespace openclaw::channels
