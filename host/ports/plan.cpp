#include "ports/plan.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/json.hpp"
#include "profile/profile.hpp"

namespace openclaw::ports {
namespace json = boost::json;
using sdk::PortRequest;
using sdk::PortSource;

namespace {
// OpenClaw's offsets (sdk::PortLayout). CDP: browser control + 9 .. control + 108.
using Layout = sdk::PortLayout;
constexpr int kBridgeOffset = Layout::bridge;
constexpr int kBrowserControlOffset = Layout::browser_control;
constexpr int kCanvasOffset = Layout::canvas;
constexpr int kCdpFirstOffset = Layout::cdp_first;
constexpr int kCdpLastOffset = Layout::cdp_last;
constexpr const char* kDefaultBrowserProfile = "openclaw";

PortRequest offset_request(std::string name, int offset, std::string bind, bool reserved = false) {
  PortRequest r;
  r.name = std::move(name);
  r.source = PortSource::offset;
  r.offset = offset;
  r.bind = std::move(bind);
  r.reserved = reserved;
  return r;
}

PortRequest config_request(std::string name, int port, std::string key, std::string bind) {
  PortRequest r;
  r.name = std::move(name);
  r.source = PortSource::config;
  r.port = port;
  r.config_key = std::move(key);
  r.bind = std::move(bind);
  return r;
}

PortRequest cdp_range_request(const std::string& profile) {
  PortRequest r;
  r.name = "browser.cdp." + profile;
  r.source = PortSource::range;
  r.offset = kCdpFirstOffset;
  r.range_end = kCdpLastOffset;
  r.bind = "127.0.0.1";
  return r;
}
}  // namespace

const char* source_name(sdk::PortSource source) {
  switch (source) {
    case PortSource::offset:
      return "offset";
    case PortSource::config:
      return "config";
    case PortSource::range:
      return "range";
    case PortSource::any:
      return "any";
  }
  return "offset";
}

std::optional<sdk::PortSource> source_from_name(std::string_view name) {
  for (auto s : {PortSource::offset, PortSource::config, PortSource::range, PortSource::any}) {
    if (name == source_name(s)) return s;
  }
  return std::nullopt;
}

const PlannedPort* Plan::find(const std::string& name) const {
  for (const auto& p : ports) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

std::string gateway_bind_address(const json::object& config) {
  auto bind = config::get_string(config, "gateway.bind");
  return bind && *bind == "lan" ? "0.0.0.0" : "127.0.0.1";
}

std::vector<PortRequest> standard_requests(const json::object& config) {
  std::vector<PortRequest> out;
  const std::string gw_bind = gateway_bind_address(config);
  out.push_back(offset_request("gateway", 0, gw_bind));
  out.push_back(offset_request("bridge", kBridgeOffset, gw_bind, /*reserved=*/true));

  if (config::get_bool(config, "browser.enabled").value_or(true)) {
    // The browser control service is loopback only, whatever gateway.bind says.
    out.push_back(offset_request("browser.control", kBrowserControlOffset, "127.0.0.1"));
    const json::value* profiles = config::find(config, {"browser", "profiles"});
    bool default_listed = profiles && profiles->is_object() &&
                          profiles->get_object().contains(kDefaultBrowserProfile);
    if (!default_listed && !config::get_string(config, "browser.cdpUrl")) {
      out.push_back(cdp_range_request(kDefaultBrowserProfile));
    }
    if (profiles && profiles->is_object()) {
      for (const auto& kv : profiles->get_object()) {
        std::string name(kv.key());
        if (!kv.value().is_object()) continue;
        const auto& p = kv.value().get_object();
        const std::string key = "browser.profiles." + name + ".cdpPort";
        if (auto port = config::get_int(p, "cdpPort")) {
          out.push_back(
              config_request("browser.cdp." + name, static_cast<int>(*port), key, "127.0.0.1"));
        } else if (!p.contains("cdpUrl")) {
          out.push_back(cdp_range_request(name));
        }
      }
    }
  }

  auto enabled = canvas_setting(config, "enabled");
  if (!enabled.value || !enabled.value->is_bool() || enabled.value->get_bool()) {
    auto port = canvas_setting(config, "port");
    if (port.value && port.value->is_int64()) {
      out.push_back(
          config_request("canvas", static_cast<int>(port.value->get_int64()), port.key, gw_bind));
    } else {
      out.push_back(offset_request("canvas", kCanvasOffset, gw_bind));
    }
  }
  return out;
}

Setting canvas_setting(const json::object& config, std::string_view name) {
  const std::string key(name);
  for (std::string path : {sdk::host_settings_path("canvas") + "." + key,
                           "plugins.entries.canvas.config.host." + key, "canvasHost." + key}) {
    if (const json::value* v = config::find(config, config::split_key(path))) return {v, path};
  }
  return {nullptr, "canvasHost." + key};
}

Plan make_plan(int base, const std::string& base_source, const std::vector<PortRequest>& requests) {
  Plan plan;
  plan.base = base;
  const std::string base_name = base_source == "default" ? "base port" : base_source;
  for (const auto& r : requests) {
    if (plan.find(r.name)) {
      throw usage_error("port name \"" + r.name + "\" is requested twice");
    }
    PlannedPort p;
    p.request = r;
    switch (r.source) {
      case PortSource::offset:
        p.port = base + r.offset;
        p.origin = r.offset == 0 ? base_name : base_name + " + " + std::to_string(r.offset);
        break;
      case PortSource::config:
        p.port = r.port;
        p.origin = r.config_key.empty() ? "config" : r.config_key;
        break;
      case PortSource::any:
        p.origin = "any free port";
        break;
      case PortSource::range:
        p.range_lo = base + r.offset;
        p.range_hi = base + r.range_end;
        p.origin =
            base_name + " + " + std::to_string(r.offset) + ".." + std::to_string(r.range_end);
        if (r.offset > r.range_end || p.range_lo < 1 || p.range_hi > 65535) {
          throw usage_error("port range for " + r.name + " (" + std::to_string(p.range_lo) + ".." +
                            std::to_string(p.range_hi) + ") is outside 1..65535");
        }
        break;
    }
    if (!p.is_range() && !p.is_any() && (p.port < 1 || p.port > 65535)) {
      throw usage_error(r.name + " port " + std::to_string(p.port) + " (" + p.origin +
                        ") is outside 1..65535");
    }
    if (!p.is_range() && !p.is_any()) {
      for (const auto& other : plan.ports) {
        if (!other.is_range() && !other.is_any() && other.port == p.port) {
          throw usage_error("port " + std::to_string(p.port) + " is planned twice: " +
                            other.name() + " (" + other.origin + ") and " + p.name() + " (" +
                            p.origin + "); two ports of one instance must differ");
        }
      }
    }
    plan.ports.push_back(std::move(p));
  }
  return plan;
}

namespace {

void read_assigned(const json::value* assigned, std::map<std::string, int>& out) {
  if (!assigned || !assigned->is_object()) return;
  for (const auto& kv : assigned->get_object()) {
    const auto& v = kv.value();
    if (v.is_int64() && v.get_int64() >= 1 && v.get_int64() <= 65535 && !kv.key().empty())
      out[std::string(kv.key())] = static_cast<int>(v.get_int64());
  }
}

}  // namespace

std::map<std::string, int> legacy_remembered_ports(const json::object& config) {
  std::map<std::string, int> out;
  read_assigned(config::find(config, {"ports", "assigned"}), out);
  return out;
}

std::filesystem::path remembered_ports_path(const std::filesystem::path& state_dir) {
  return state_dir / "ports-assigned.json";
}

std::map<std::string, int> parse_remembered_ports(std::string_view text) {
  std::map<std::string, int> out;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (!ec && v.is_object()) read_assigned(v.get_object().if_contains("assigned"), out);
  return out;
}

std::map<std::string, int> remembered_ports(const std::filesystem::path& state_dir,
                                            const json::object& config) {
  std::map<std::string, int> out;
  try {
    sdk::OpenOptions options;
    options.no_symlinks = true;  // ours, written atomically
    if (auto text = sdk::read_regular_file(remembered_ports_path(state_dir), options, 1u << 20))
      out = parse_remembered_ports(*text);
  } catch (const std::exception&) {
    // unreadable: the ports are chosen anew, as on a first start
  }
  for (const auto& [name, port] : legacy_remembered_ports(config)) out[name] = port;
  return out;
}

void save_remembered_ports(const std::filesystem::path& state_dir,
                           const std::map<std::string, int>& ports) {
  json::object assigned;
  for (const auto& [name, port] : ports) assigned[name] = port;
  sdk::write_file_atomic(remembered_ports_path(state_dir),
                         sdk::to_pretty_json(json::object{{"assigned", std::move(assigned)}}),
                         std::filesystem::perms(0600));
}

std::optional<int> choose_base(int preferred, const std::vector<Interval>& occupied,
                               const std::function<bool(int)>& usable) {
  auto fits = [&](int b) {
    if (b < 1024 || b > profile::kMaxBasePort) return false;
    for (const auto& iv : occupied) {
      if (b <= iv.hi && iv.lo <= b + profile::kDerivedSpan) return false;
    }
    return usable(b);
  };
  for (int d = 0; d <= 65535; ++d) {
    if (fits(preferred + d)) return preferred + d;
    if (d > 0 && fits(preferred - d)) return preferred - d;
    if (preferred + d > profile::kMaxBasePort && preferred - d < 1024) break;
  }
  return std::nullopt;
}

std::string ephemeral_base_warning(int base, const std::string& base_source,
                                   const PortRange& ephemeral,
                                   const std::optional<std::string>& profile) {
  const int last = base + profile::kDerivedSpan;
  if (!ephemeral.meets(base, last)) return {};
  const std::string origin = base_source == "default" ? "the profile's default" : base_source;
  const std::string setup = std::string("openclaw-host") +
                            (profile ? " --profile " + *profile : std::string()) + " setup";
  return "base port " + std::to_string(base) + " (" + origin + ") puts ports " +
         std::to_string(base) + ".." + std::to_string(last) +
         " in the kernel's ephemeral port range " + ephemeral.text() +
         ": outgoing connections of any program take ports there at random and leave them in "
         "TIME_WAIT for up to 60 s, so a start may find one taken; a base outside it avoids this" +
         (base_source == "default" ? " (`" + setup + "` picks one)" : std::string());
}

}  // namespace openclaw::ports
