#include "channels/access.hpp"

#include "openclaw/sdk/config_schema.hpp"

#include <boost/json.hpp>

#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/config_schema.hpp"

namespace openclaw::channels {
namespace json = boost::json;

namespace {

void note(std::vector<std::string>* problems, const std::string& key, const std::string& what) {
  if (problems) problems->push_back(key + ": " + what);
}

std::vector<std::string> string_list(const json::value& v, const std::string& key,
                                     std::vector<std::string>* problems) {
  std::vector<std::string> out;
  if (!v.is_array()) {
    note(problems, key, "must be a list of sender ids, got " + openclaw::sdk::shown_value(key, v));
    return out;
  }
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const auto& e = v.get_array()[i];
    if (e.is_string()) {
      out.emplace_back(e.get_string());
    } else if (e.is_int64() || e.is_uint64()) {
      out.push_back(json::serialize(e));  // Telegram ids written as numbers
    } else {
      note(problems, key + "[" + std::to_string(i) + "]",
           "must be a string, got " + openclaw::sdk::shown_value(key, e));
    }
  }
  return out;
}

std::string one_of(const json::value& v, const std::string& key,
                   std::initializer_list<const char*> allowed, const std::string& fallback,
                   std::vector<std::string>* problems) {
  std::string list;
  for (const char* a : allowed) {
    if (v.is_string() && v.get_string() == a) return a;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  note(problems, key, "must be one of " + list + ", got " + openclaw::sdk::shown_value(key, v));
  return fallback;
}

// The value at `keys` under `root`, or nullptr.
const json::value* at(const json::object& root, std::initializer_list<std::string_view> keys) {
  const json::object* cur = &root;
  const json::value* v = nullptr;
  for (std::string_view k : keys) {
    if (!cur || !(v = cur->if_contains(k))) return nullptr;
    cur = v->if_object();
  }
  return v;
}

}  // namespace

Access access_of(const json::object& root, const std::string& channel,
                 std::vector<std::string>* problems) {
  Access a;
  // `config schema`: the access keys every channel has (its defaults are Access's).
  if (auto* r = sdk::ConfigSchemaRecorder::active()) {
    const std::string b = "channels." + channel;
    r->record(b + ".enabled", "boolean", "true");
    r->record(b + ".dmPolicy", "\"allowlist\" | \"pairing\" | \"open\" | \"disabled\"",
              "\"allowlist\"");
    r->record(b + ".allowFrom", "list of sender ids (IRC masks, Telegram user ids)", "[]");
    r->record(b + ".groupPolicy", "\"allowlist\" | \"open\" | \"disabled\"", "\"allowlist\"");
    r->record(b + ".groupAllowFrom", "list of sender ids", "allowFrom");
    r->record(b + ".dangerouslyAllowNameMatching", "boolean", "false");
  }
  // channels.<id>, or for a channel OpenClaw does not know (it refuses channels.<id> as an
  // "unknown channel id"), the channel plugin's own plugins.entries.<id>.config.
  std::string base = "channels." + channel;
  const json::value* c = at(root, {"channels", channel});
  if (!c) {
    base = "plugins.entries." + channel + ".config";
    c = at(root, {"plugins", "entries", channel, "config"});
  }
  if (!c) return a;
  if (!c->is_object()) {
    note(problems, base, "must be an object");
    return a;
  }
  const auto& o = c->get_object();
  if (const auto* v = o.if_contains("enabled")) {
    if (v->is_bool()) {
      a.enabled = v->get_bool();
    } else {
      note(problems, base + ".enabled", "must be true or false");
    }
  }
  if (const auto* v = o.if_contains("dmPolicy")) {
    a.dm_policy = one_of(*v, base + ".dmPolicy", {"allowlist", "pairing", "open", "disabled"},
                         "allowlist", problems);
  }
  if (const auto* v = o.if_contains("allowFrom"))
    a.allow_from = string_list(*v, base + ".allowFrom", problems);
  if (const auto* v = o.if_contains("groupPolicy")) {
    a.group_policy =
        one_of(*v, base + ".groupPolicy", {"allowlist", "open", "disabled"}, "allowlist", problems);
  }
  if (const auto* v = o.if_contains("groupAllowFrom")) {
    a.group_allow_from = string_list(*v, base + ".groupAllowFrom", problems);
  }
  if (const auto* v = o.if_contains("dangerouslyAllowNameMatching")) {
    if (v->is_bool()) {
      a.name_matching = v->get_bool();
    } else {
      note(problems, base + ".dangerouslyAllowNameMatching", "must be true or false");
    }
  }
  bool star = false;
  for (const auto& e : a.allow_from) star = star || e == "*";
  if (a.dm_policy == "open" && !star) {
    note(problems, base + ".dmPolicy",
         "\"open\" needs \"*\" in " + base + ".allowFrom (anyone may then command the bot)");
    a.dm_policy = "allowlist";
  }
  return a;
}

bool admits(const std::vector<std::string>& list, const sdk::ChannelMessage& m,
            bool name_matching) {
  for (const auto& e : list) {
    if (e == "*") return true;
    if (!m.from.empty() && sdk::glob_match(e, m.from)) return true;
    // A bare name (no '!' or '@') stands for a nick or username: only when the user accepted that
    // names change owners.
    if (name_matching && !m.from_name.empty() && e.find_first_of("!@") == std::string::npos &&
        sdk::glob_match(e, m.from_name)) {
      return true;
    }
  }
  return false;
}

Decision decide(const Access& access, const sdk::ChannelMessage& m,
                const std::vector<std::string>& approved, std::string* why) {
  auto because = [&](Decision d, const std::string& w) {
    if (why) *why = w;
    return d;
  };
  if (!access.enabled) return because(Decision::deny, m.channel + ": enabled is false");
  if (m.group) {
    if (access.group_policy == "disabled")
      return because(Decision::deny, "groupPolicy is disabled");
    if (access.group_policy == "open") return because(Decision::allow, "groupPolicy is open");
    const auto& list =
        access.group_allow_from.empty() ? access.allow_from : access.group_allow_from;
    if (admits(list, m, access.name_matching) || admits(approved, m, false)) {
      return because(Decision::allow, "sender allowed in groups");
    }
    return because(Decision::deny, "sender not in groupAllowFrom/allowFrom");
  }
  if (access.dm_policy == "disabled") return because(Decision::deny, "dmPolicy is disabled");
  if (admits(access.allow_from, m, access.name_matching))
    return because(Decision::allow, "sender in allowFrom");
  if (admits(approved, m, false)) return because(Decision::allow, "sender approved by pairing");
  if (access.dm_policy == "pairing")
    return because(Decision::pair, "unknown sender, dmPolicy pairing");
  return because(Decision::deny, "sender not in allowFrom");
}

}  // namespace openclaw::channels
