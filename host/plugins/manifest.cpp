#include "plugins/manifest.hpp"

#include <boost/json.hpp>

#include "core/error.hpp"

namespace openclaw::plugins {
namespace json = boost::json;

bool valid_plugin_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return id.front() != '.' && id.front() != '-';
}

bool valid_config_path(const std::string& path) {
  if (path.empty() || path.size() > 200 || path.front() == '.' || path.back() == '.') return false;
  char prev = 0;
  for (char c : path) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

namespace {
// A value from the file as JSON text: control characters escaped, so the error stays one line.
std::string json_text(const std::string& s) {
  return json::serialize(json::string_view(s));
}
}  // namespace

Manifest parse_manifest(const std::string& text) {
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) throw usage_error("manifest is not valid JSON: " + ec.message());
  if (!v.is_object()) throw usage_error("manifest must be a JSON object");
  const auto& o = v.get_object();
  auto field = [&](const char* name, bool required) -> const json::value* {
    const json::value* f = o.if_contains(name);
    if (!f && required)
      throw usage_error(std::string("manifest field \"") + name + "\" is missing");
    return f;
  };
  auto string_field = [&](const char* name, bool required) -> std::string {
    const json::value* f = field(name, required);
    if (!f) return {};
    if (!f->is_string()) {
      throw usage_error(std::string("manifest field \"") + name + "\" must be a string, got " +
                        json::serialize(*f));
    }
    return std::string(f->get_string());
  };
  Manifest m;
  m.id = string_field("id", true);
  if (!valid_plugin_id(m.id)) {
    throw usage_error(
        "manifest field \"id\" must be lower case letters, digits, '.', '_' or '-', got " +
        json_text(m.id));
  }
  m.kind = string_field("kind", true);
  if (m.kind != "browser" && m.kind != "canvas" && m.kind != "channel" && m.kind != "other") {
    throw usage_error(
        "manifest field \"kind\" must be one of browser, canvas, channel, other, got " +
        json_text(m.kind));
  }
  m.version = string_field("version", true);
  const json::value* api = field("apiVersion", true);
  if (!api->is_int64() || api->get_int64() < 1 || api->get_int64() > 1000000) {
    throw usage_error("manifest field \"apiVersion\" must be a positive integer, got " +
                      json::serialize(*api));
  }
  m.api_version = static_cast<int>(api->get_int64());
  m.description = string_field("description", false);
  m.library = string_field("library", false);
  // A NUL would end the name early when the library is opened: another file than the one named.
  if (m.library.find('/') != std::string::npos || m.library.find('\0') != std::string::npos ||
      m.library == "." || m.library == "..") {
    throw usage_error("manifest field \"library\" must be a file name beside the manifest, got " +
                      json_text(m.library));
  }
  if (const json::value* paths = field("configPaths", false)) {
    const json::array* a = paths->if_array();
    if (!a) {
      throw usage_error("manifest field \"configPaths\" must be an array of key paths, got " +
                        json::serialize(*paths));
    }
    for (const auto& p : *a) {
      if (!p.is_string() || !valid_config_path(std::string(p.get_string()))) {
        throw usage_error(
            "manifest field \"configPaths\" holds key paths like \"channels.irc\" (letters, "
            "digits, '_' or '-' between dots), got " +
            json::serialize(p));
      }
      m.config_paths.emplace_back(p.get_string());
    }
  }
  if (const json::value* e = field("enabledByDefault", false)) {
    if (!e->is_bool()) {
      throw usage_error("manifest field \"enabledByDefault\" must be true or false, got " +
                        json::serialize(*e));
    }
    m.enabled_by_default = e->get_bool();
  }
  return m;
}

}  // namespace openclaw::plugins
