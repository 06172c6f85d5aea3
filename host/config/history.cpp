#include "config/history.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "openclaw/sdk/files.hpp"

namespace openclaw::config {
namespace fs = std::filesystem;

namespace {

// One entry file, or nullopt when it is not one (a stray file, a hand edit).
std::optional<HistoryEntry> read_entry(const fs::path& file) {
  try {
    auto text = sdk::read_regular_file(file, {}, 64u << 20);
    if (!text) return std::nullopt;
    auto e = parse_history_entry(*text);
    if (e) e->file = file;
    return e;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool is_entry_name(const std::string& name) {
  return name.size() > 5 && name != "good.json" && name.compare(name.size() - 5, 5, ".json") == 0 &&
         std::isdigit(static_cast<unsigned char>(name[0]));
}

}  // namespace

std::optional<HistoryEntry> parse_history_entry(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return std::nullopt;
  const json::value* at = o->if_contains("at");
  const json::value* body = o->if_contains("text");
  if (!at || !at->is_int64() || !body || !body->is_string()) return std::nullopt;
  HistoryEntry e;
  e.at_ms = at->get_int64();
  e.text = std::string(body->get_string());
  if (const json::value* by = o->if_contains("by"); by && by->is_string()) {
    e.by = std::string(by->get_string());
  }
  if (const json::value* keys = o->if_contains("keys"); keys && keys->is_array()) {
    for (const auto& k : keys->get_array()) {
      if (k.is_string()) e.keys.emplace_back(k.get_string());
    }
  }
  return e;
}

fs::path history_dir(const fs::path& state_dir) {
  return state_dir / "config-history";
}

std::string writer(const std::string& fallback) {
  const char* w = std::getenv("OPENCLAW_CONFIG_WRITER");
  if (!w || !*w) return fallback;
  std::string s(w);
  if (s.size() > 120) s.resize(120);
  std::replace_if(
      s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  return s;
}

namespace {

void keep(const fs::path& dir, const std::string& text, const std::string& by,
          const std::vector<std::string>& keys, int seq) {
  json::array k;
  for (const auto& key : keys) k.emplace_back(key);
  const std::int64_t at = now_ms();
  json::object o{{"at", at}, {"by", by}, {"keys", std::move(k)}, {"text", text}};
  char name[80];
  std::snprintf(name, sizeof name, "%013lld-%d-%d.json", static_cast<long long>(at),
                static_cast<int>(::getpid()), seq);
  sdk::write_file_atomic(dir / name, json::serialize(o) + "\n");
}

}  // namespace

void record_write(const fs::path& state_dir, const std::string& on_disk, const std::string& text,
                  const std::string& by) {
  const fs::path dir = history_dir(state_dir);
  sdk::create_private_dirs(dir);
  auto versions = read_history(state_dir);
  const std::string newest = versions.empty() ? std::string() : versions.front().text;
  if (!on_disk.empty() && on_disk != newest) {
    keep(dir, on_disk, "found on disk",
         newest.empty() ? std::vector<std::string>{} : changed_between(newest, on_disk), 0);
  }
  keep(dir, text, by, changed_between(on_disk, text), 1);
  // Bounded: the newest kHistoryKeep stay.
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (is_entry_name(e.path().filename().string())) entries.push_back(e.path());
  }
  std::sort(entries.begin(), entries.end());
  for (std::size_t i = 0; i + kHistoryKeep < entries.size(); ++i) fs::remove(entries[i], ec);
}

std::vector<HistoryEntry> read_history(const fs::path& state_dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(history_dir(state_dir), ec)) {
    if (is_entry_name(e.path().filename().string())) files.push_back(e.path());
  }
  std::sort(files.rbegin(), files.rend());
  std::vector<HistoryEntry> out;
  for (const auto& f : files) {
    if (auto e = read_entry(f)) {
      e->n = static_cast<int>(out.size()) + 1;
      out.push_back(std::move(*e));
    }
  }
  return out;
}

std::optional<HistoryEntry> read_good(const fs::path& state_dir) {
  return read_entry(history_dir(state_dir) / "good.json");
}

void mark_good(const fs::path& state_dir, const std::string& text) {
  if (auto good = read_good(state_dir); good && good->text == text) return;
  sdk::create_private_dirs(history_dir(state_dir));
  json::object o{{"at", now_ms()}, {"by", "gateway"}, {"text", text}};
  sdk::write_file_atomic(history_dir(state_dir) / "good.json", json::serialize(o) + "\n");
}

std::vector<std::string> changed_between(const std::string& before, const std::string& after) {
  try {
    auto a = Config::parse(before, "before", "");
    auto b = Config::parse(after, "after", "");
    return changed_keys(a.root(), b.root());
  } catch (const std::exception&) {
    return {"(the whole file)"};
  }
}

}  // namespace openclaw::config
