#include "update.hpp"

#include <boost/json.hpp>

namespace telegram {
namespace json = boost::json;

namespace {
// Update ids are small (Telegram's fit in 52 bits); the bound keeps `id + 1` from overflowing.
constexpr std::int64_t kMaxUpdateId = std::int64_t{1} << 62;
}  // namespace

Answer read_answer(std::string_view body, int status) {
  Answer a;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    a.error = "HTTP " + std::to_string(status) + " with a body that is not JSON";
    return a;
  }
  auto& o = v.get_object();
  const auto* ok = o.if_contains("ok");
  if (ok && ok->is_bool() && ok->get_bool()) {
    if (auto* r = o.if_contains("result")) {
      a.result = std::move(*r);
      return a;
    }
  }
  if (const auto* p = o.if_contains("parameters"); p && p->is_object()) {
    if (const auto* ra = p->get_object().if_contains("retry_after"); ra && ra->is_int64()) {
      std::int64_t s = ra->get_int64();
      a.retry_after = s > 0 && s <= 3600 ? static_cast<int>(s) : 0;
    }
  }
  a.error = "HTTP " + std::to_string(status);
  if (const auto* d = o.if_contains("description"); d && d->is_string()) {
    a.error += ": " + std::string(d->get_string());
  }
  return a;
}

std::optional<openclaw::sdk::ChannelMessage> message_of(std::int64_t uid,
                                                        const json::object& update) {
  const auto* mv = update.if_contains("message");
  if (!mv || !mv->is_object()) return std::nullopt;
  const auto& msg = mv->get_object();
  const auto* text = msg.if_contains("text");
  const auto* from = msg.if_contains("from");
  const auto* chat = msg.if_contains("chat");
  if (!text || !text->is_string() || !from || !from->is_object() || !chat || !chat->is_object()) {
    return std::nullopt;
  }
  const auto* fid = from->get_object().if_contains("id");
  const auto* cid = chat->get_object().if_contains("id");
  if (!fid || !fid->is_int64() || !cid || !cid->is_int64()) return std::nullopt;
  openclaw::sdk::ChannelMessage m;
  m.channel = "telegram";
  m.id = std::to_string(uid);
  m.from = std::to_string(fid->get_int64());
  if (const auto* un = from->get_object().if_contains("username"); un && un->is_string()) {
    m.from_name = "@" + std::string(un->get_string());
  }
  m.chat = std::to_string(cid->get_int64());
  const auto* type = chat->get_object().if_contains("type");
  m.group = type && type->is_string() && type->get_string() != "private";
  m.text = std::string(text->get_string());
  // Unix seconds; a date that would not fit in milliseconds is left to the host (arrival time).
  if (const auto* d = msg.if_contains("date");
      d && d->is_int64() && d->get_int64() > 0 && d->get_int64() <= INT64_MAX / 1000) {
    m.ts = d->get_int64() * 1000;
  }
  return m;
}

Updates read_updates(const json::array& updates, std::int64_t offset) {
  Updates out;
  out.next_offset = offset;
  for (const auto& u : updates) {
    if (!u.is_object()) continue;
    const auto* id = u.get_object().if_contains("update_id");
    if (!id || !id->is_int64()) continue;
    std::int64_t uid = id->get_int64();
    if (uid < 0 || uid >= kMaxUpdateId || uid < offset) continue;
    out.next_offset = std::max(out.next_offset, uid + 1);
    if (auto m = message_of(uid, u.get_object())) out.messages.push_back(std::move(*m));
  }
  return out;
}

}  // namespace telegram
