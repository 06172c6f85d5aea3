#include "gateway/gateway_methods.hpp"

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/version.hpp"
#include "gateway/status_page.hpp"
#include "openclaw/sdk/config.hpp"

namespace openclaw::gateway {
namespace json = boost::json;

namespace {
// A long text goes out in paced parts (45 IRC lines take most of a minute): every send is
// answered by its channel (delivered, or why not), so its deadline is generous.
constexpr std::chrono::milliseconds kSendTimeout{600000};
}  // namespace

json::value GatewayMethods::health() const {
  json::array loaded, errors, unavailable;
  json::object channels;
  json::array order;
  json::object labels;
  for (const auto& slot : manager_.slots()) {
    const plugins::Record& r = slot->record;
    if (r.unloaded) continue;
    if (r.state == plugins::State::running) loaded.push_back(json::value(r.id));
    if (r.state == plugins::State::failed)
      errors.push_back(json::object{{"id", r.id}, {"error", r.reason}});
    if (r.state == plugins::State::disabled) unavailable.push_back(json::value(r.id));
    if (r.kind == "channel") {
      channels[r.id] = json::object{{"state", plugins::state_name(r.state)}, {"reason", r.reason}};
      order.push_back(json::value(r.id));
      labels[r.id] = r.id;
    }
  }
  // What the channel router knows: connected accounts, last errors, counts, queue depth.
  json::value routed = channels_.status();
  for (auto& [id, st] : routed.as_object()) {
    json::object entry = st.as_object();
    if (auto* known = channels.if_contains(id)) {
      for (auto& [k, v] : known->as_object()) entry[k] = v;
    } else {
      entry["state"] = "running";
      order.push_back(json::value(id));
      labels[id] = id;
    }
    channels[id] = std::move(entry);
  }
  const auto& profile = inst_.paths.profile;
  return json::object{{"ok", true},
                      {"ts", now_ms()},
                      {"durationMs", 0},
                      {"profile", profile ? json::value(*profile) : json::value(nullptr)},
                      {"uptimeMs", now_ms() - claims_.started_ms()},
                      {"plugins", json::object{{"loaded", std::move(loaded)},
                                               {"errors", std::move(errors)},
                                               {"unavailable", std::move(unavailable)}}},
                      {"channels", std::move(channels)},
                      {"channelOrder", std::move(order)},
                      {"channelLabels", std::move(labels)},
                      {"stalls", watchdog_.stats()}};
}

json::array GatewayMethods::lease_list() const {
  json::array arr;
  for (const auto& l : claims_.leases()) arr.push_back(ports::to_json(l));
  return arr;
}

json::value GatewayMethods::status() const {
  json::object o = status_json(inst_, [&](const std::string& name) -> json::value {
    for (const auto& l : claims_.leases()) {
      if (l.name == name) return l.port;
    }
    return nullptr;
  });
  o["running"] = true;
  o["pid"] = claims_.owner().pid;
  o["version"] = kVersion;
  o["uptimeMs"] = now_ms() - claims_.started_ms();
  o["leases"] = lease_list();
  o["plugins"] = manager_.describe();
  o["channels"] = health().as_object().at("channels");
  json::array restart;
  for (const auto& k : claims_.restart_needed()) restart.emplace_back(k);
  o["restartNeeded"] = std::move(restart);
  return o;
}

json::value GatewayMethods::presence_self() const {
  return json::object{{"mode", "gateway"},
                      {"reason", "self"},
                      {"version", kVersion},
                      {"pid", claims_.owner().pid},
                      {"ts", claims_.started_ms()}};
}

// Ready as OpenClaw's /readyz means it: every enabled plugin running (none failed or
// quarantined), and every channel account
// that reported itself connected once still connected. `failing` says which is not, and why.
sdk::HttpResponse GatewayMethods::ready() const {
  json::array plugins = manager_.describe();
  json::array failing;
  for (const auto& p : plugins) {
    // A quarantined plugin (it crashed the gateway) is missing from the instance too.
    const auto& state = p.at("state").as_string();
    if (state != "failed" && state != "quarantined") continue;
    failing.push_back(json::value("plugin " + std::string(p.at("id").as_string()) + ": " +
                                  std::string(p.at("reason").as_string())));
  }
  json::value channels = channels_.status();
  for (const auto& [id, st] : channels.as_object()) {
    const json::value* accounts = st.as_object().if_contains("accounts");
    if (!accounts || !accounts->is_object()) continue;
    for (const auto& [account, a] : accounts->get_object()) {
      const auto& ao = a.as_object();
      if (ao.at("connected").as_bool()) continue;
      std::string why = ao.at("lastError").is_string()
                            ? std::string(ao.at("lastError").get_string())
                            : std::string("disconnected");
      failing.push_back(
          json::value("channel " + std::string(id) + " (" + std::string(account) + "): " + why));
    }
  }
  const bool ok = failing.empty();
  json::object ports;
  for (const auto& l : claims_.leases()) ports[l.name] = l.port;
  json::object o{{"ok", ok},
                 {"status", ok ? "ready" : "degraded"},
                 {"failing", std::move(failing)},
                 {"ports", std::move(ports)},
                 {"plugins", std::move(plugins)}};
  return sdk::HttpResponse::text(ok ? 200 : 503, json::serialize(o), "application/json");
}

std::optional<sdk::HttpResponse> GatewayMethods::http(const sdk::HttpRequest& req) const {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (req.path == "/health" || req.path == "/healthz") {
    if (!get) {
      return sdk::HttpResponse::error(405, "METHOD_NOT_ALLOWED",
                                      req.method + " is not supported here");
    }
    return sdk::HttpResponse::text(200, R"({"ok":true,"status":"live"})", "application/json");
  }
  if ((req.path == "/ready" || req.path == "/readyz") && get) return ready();
  if (req.path == "/api/status" && get) {
    return sdk::HttpResponse::text(200, json::serialize(status()), "application/json");
  }
  if (req.path == "/" && get) {
    return sdk::HttpResponse::text(200, kStatusPage, "text/html; charset=utf-8");
  }
  return std::nullopt;
}

void GatewayMethods::add_methods(Protocol& protocol) {
  protocol.add_method("health", [this](const json::value&) { return health(); });
  protocol.add_method("status", [this](const json::value&) { return status(); });
  protocol.add_method("ports.list", [this](const json::value&) -> json::value {
    return json::object{{"ports", lease_list()}};
  });
  protocol.add_method("plugins.list", [this](const json::value&) -> json::value {
    return json::object{{"plugins", manager_.describe()}};
  });
  protocol.add_method("channels.status", [this](const json::value&) -> json::value {
    json::object h = health().as_object();
    return json::object{{"channels", h.at("channels")},
                        {"channelOrder", h.at("channelOrder")},
                        {"channelLabels", h.at("channelLabels")},
                        {"queue", static_cast<std::int64_t>(channels_.queue_depth())}};
  });
  protocol.add_method("config.get", [this](const json::value&) -> json::value {
    const auto& paths = inst_.paths;
    auto cfg = config::Config::load(paths.config_path, paths.home);
    return json::object{{"path", paths.config_path.string()},
                        {"exists", cfg.exists()},
                        {"config", sdk::redact_secrets(cfg.root())}};
  });
  protocol.add_async_method(
      "send",
      [this](const json::value& params, const sdk::Caller&, sdk::MethodResponder respond) {
        const json::object* p = params.if_object();
        auto text_of = [&](const char* k) -> std::string {
          const json::value* v = p ? p->if_contains(k) : nullptr;
          return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        std::string channel = text_of("channel"), to = text_of("to"), text = text_of("text"),
                    account = text_of("account");
        if (to.empty()) to = text_of("target");
        if (to.empty()) to = text_of("peer");
        if (channel.empty() || to.empty() || text.empty()) {
          respond.error("INVALID_REQUEST",
                        "send needs params.channel, params.to and params.text (strings)");
          return;
        }
        if (!channels_.has(channel)) {
          const plugins::Record* rec = nullptr;
          for (const auto& slot : manager_.slots()) {
            const plugins::Record& r = slot->record;
            if (!r.unloaded && r.id == channel && r.kind == "channel") rec = &r;
          }
          if (!rec || rec->state != plugins::State::running) {
            respond.error(
                "UNAVAILABLE", "channel " + channel + " is not running",
                json::object{{"channel", channel},
                             {"state", rec ? plugins::state_name(rec->state) : "not installed"}});
            return;
          }
          // A channel plugin on the message bus (SDK API 2's first channel contract): the message
          // is published; the plugin reports nothing back.
          manager_.bus().publish(sdk::Message{channel, "out", to, text});
          respond.ok(
              json::object{{"ok", true}, {"channel", channel}, {"to", to}, {"ts", now_ms()}});
          return;
        }
        channels_.send(channel, account, to, text, [respond, channel, to](sdk::Delivery d) {
          if (d.ok) {
            respond.ok(json::object{{"ok", true},
                                    {"channel", channel},
                                    {"to", to},
                                    {"parts", d.parts},
                                    {"delivered", d.delivered},
                                    {"messageId", d.message_id},
                                    {"ts", now_ms()}});
          } else {
            // What went out before the failure is said, so nobody resends the whole text blindly.
            std::string sent = d.parts > 1 ? " (" + std::to_string(d.delivered) + " of " +
                                                 std::to_string(d.parts) + " parts delivered)"
                                           : "";
            respond.error("UNAVAILABLE",
                          "send on " + channel + " to " + to + " failed" + sent + ": " + d.error,
                          json::object{{"channel", channel},
                                       {"to", to},
                                       {"parts", d.parts},
                                       {"delivered", d.delivered}});
          }
        });
      },
      kSendTimeout);
}

}  // namespace openclaw::gateway
