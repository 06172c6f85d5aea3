#include "openclaw/sdk/json.hpp"

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

}  // namespace openclaw::sdk
