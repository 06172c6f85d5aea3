#include "openclaw/sdk/json.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/config_schema.hpp"

#include <cmath>
#include <optional>
#include <regex>

#include <boost/json.hpp>

namespace openclaw::sdk {
namespace json = boost::json;

namespace {
void pretty(const json::value& v, std::string& out, int indent) {
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(level) * 2, ' ');
  };
  switch (v.kind()) {
    case json::kind::object: {
      const auto& obj = v.get_object();
      if (obj.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& kv : obj) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        out += json::serialize(json::string_view(kv.key()));
        out += ": ";
        pretty(kv.value(), out, indent + 1);
      }
      newline(indent);
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& arr = v.get_array();
      if (arr.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : arr) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        pretty(item, out, indent + 1);
      }
      newline(indent);
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
  }
}
}  // namespace

std::string to_pretty_json(const json::value& value) {
  std::string out;
  pretty(value, out, 0);
  out += '\n';
  return out;
}

namespace {
thread_local ConfigSchemaRecorder* t_recorder = nullptr;
}  // namespace

ConfigSchemaRecorder::ConfigSchemaRecorder(std::string reader)
    : reader_(std::move(reader)), outer_(t_recorder) {
  t_recorder = this;
}

ConfigSchemaRecorder::~ConfigSchemaRecorder() {
  t_recorder = outer_;
}

ConfigSchemaRecorder* ConfigSchemaRecorder::active() {
  return t_recorder;
}

void ConfigSchemaRecorder::record(std::string key, std::string type, std::string fallback) {
  for (auto& k : keys_) {
    if (k.key != key) continue;
    if (k.type.empty()) k.type = std::move(type);
    if (k.fallback.empty()) k.fallback = std::move(fallback);
    return;
  }
  keys_.push_back({std::move(key), std::move(type), std::move(fallback), reader_});
}

void ConfigSchemaRecorder::asked(const std::string& path, const std::string& key) {
  if (first_asked_.empty()) first_asked_ = path + "." + key;
  // The host's own settings block is where openclaw-host keeps what OpenClaw's schema lacks: a
  // key asked for there exists there, whatever its reader does next.
  if (path.rfind(host_settings_path(""), 0) == 0) record(path + "." + key, "", "");
}

std::string ConfigSchemaRecorder::place(const std::string& path, const std::string& key) {
  std::string asked = std::move(first_asked_);
  first_asked_.clear();
  const std::string leaf = "." + key;
  if (asked.size() > leaf.size() &&
      asked.compare(asked.size() - leaf.size(), leaf.size(), leaf) == 0)
    return asked;
  return path + "." + key;
}

ConfigBlock::ConfigBlock(const json::object& root, std::string path,
                         std::vector<ConfigProblem>* problems)
    : path_(std::move(path)), problems_(problems) {
  // Recording: every block is there (empty when absent), so each getter runs with its fallback.
  static const json::object empty;
  if (t_recorder) block_ = &empty;
  const json::object* cur = &root;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = path_.find('.', start);
    const json::value* v = cur->if_contains(
        path_.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (!v) return;
    if (!v->is_object()) {
      if (dot == std::string::npos && problems_) problems_->push_back({path_, "must be an object"});
      return;
    }
    cur = &v->get_object();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  block_ = cur;
}

void ConfigBlock::problem(const std::string& key, const std::string& message) {
  if (problems_) problems_->push_back({path_ + "." + key, message});
}

void ConfigBlock::string(const char* key, std::string& out) {
  if (t_recorder)
    t_recorder->record(
        t_recorder->place(path_, key), "string",
        out.empty() ? "" : (is_secret_key(key) ? "(set)" : json::serialize(json::value(out))));
  const json::value* v = block_ ? block_->if_contains(key) : nullptr;
  if (!v) return;
  if (v->is_string()) {
    out = std::string(v->get_string());
  } else {
    problem(key, "must be a string, got " + shown_value(key, *v));
  }
}

void ConfigBlock::boolean(const char* key, bool& out) {
  if (t_recorder)
    t_recorder->record(t_recorder->place(path_, key), "boolean", out ? "true" : "false");
  const json::value* v = block_ ? block_->if_contains(key) : nullptr;
  if (!v) return;
  if (v->is_bool()) {
    out = v->get_bool();
  } else {
    problem(key, "must be true or false, got " + shown_value(key, *v));
  }
}

void ConfigBlock::integer(const char* key, int& out, int lo, int hi) {
  if (t_recorder)
    t_recorder->record(t_recorder->place(path_, key),
                       "integer " + std::to_string(lo) + ".." + std::to_string(hi),
                       std::to_string(out));
  const json::value* v = block_ ? block_->if_contains(key) : nullptr;
  if (!v) return;
  std::optional<std::int64_t> whole;
  if (v->is_int64()) {
    whole = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() <= static_cast<std::uint64_t>(hi))
      whole = static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_double()) {
    double d = v->get_double();
    if (std::isfinite(d) && d == std::floor(d) && d >= lo && d <= hi)
      whole = static_cast<std::int64_t>(d);
  }
  if (whole && *whole >= lo && *whole <= hi) {
    out = static_cast<int>(*whole);
  } else {
    problem(key, "must be a whole number " + std::to_string(lo) + ".." + std::to_string(hi) +
                     ", got " + shown_value(key, *v));
  }
}

bool ConfigBlock::has(const char* key) const {
  if (t_recorder) t_recorder->asked(path_, key);
  return block_ && block_->contains(key);
}

std::string host_settings_path(std::string_view plugin_id) {
  return std::string("plugins.entries.") + kHostSettingsEntry + ".config." + std::string(plugin_id);
}

bool ConfigBlock::require(const char* key) {
  if (!block_ || block_->contains(key)) return true;
  problem(key, "is required");
  return false;
}

bool is_secret_key(std::string_view key) {
  auto dot = key.rfind('.');
  std::string name(dot == std::string_view::npos ? key : key.substr(dot + 1));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word :
       {"token", "secret", "password", "passwd", "apikey", "api_key", "privatekey", "credential"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string shown_value(std::string_view key, const json::value& value) {
  if (is_secret_key(key)) {
    const char* kind = value.is_string()   ? "a string"
                       : value.is_object() ? "an object"
                       : value.is_array()  ? "a list"
                       : value.is_bool()   ? "a boolean"
                       : value.is_null()   ? "null"
                                           : "a number";
    return std::string(kind) + " (value not shown)";
  }
  std::string s = json::serialize(value);
  if (s.size() > 120) s = s.substr(0, 120) + "...";
  return s;
}

json::value redact_secrets(const json::value& value) {
  if (value.is_object()) {
    json::object out;
    for (const auto& kv : value.get_object()) {
      out[kv.key()] = is_secret_key(kv.key()) ? json::value("__OPENCLAW_REDACTED__")
                                              : redact_secrets(kv.value());
    }
    return out;
  }
  if (value.is_array()) {
    json::array out;
    for (const auto& x : value.get_array()) out.push_back(redact_secrets(x));
    return out;
  }
  return value;
}

std::string redact_text(std::string_view text) {
  static const std::regex patterns[] = {
      // A key and its value: `token=abc`, `"token": "abc"`, `password: "abc"`. A colon with a
      // bare word after it is prose, kept as is.
      std::regex(
          R"((token|password|passwd|secret|apikey|api_key)((?:"?\s*=\s*"?)|(?:"?\s*:\s*"))[^\s",}]+)",
          std::regex::icase),
      std::regex(R"((Bearer\s+)[A-Za-z0-9._~+/=-]+)", std::regex::icase),
      std::regex(R"(\b[0-9]{6,12}:[A-Za-z0-9_-]{30,}\b)"),  // a Telegram bot token
  };
  std::string line(text);
  line = std::regex_replace(line, patterns[0], "$1$2***");
  line = std::regex_replace(line, patterns[1], "$1***");
  line = std::regex_replace(line, patterns[2], "***");
  return line;
}

}  // namespace openclaw::sdk
