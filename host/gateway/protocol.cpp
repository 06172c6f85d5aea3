#include "gateway/protocol.hpp"

#include <random>

#include <boost/json.hpp>

#include <openclaw/sdk/auth.hpp>

#include "core/clock.hpp"

namespace openclaw::gateway {
namespace json = boost::json;

namespace {

std::string event_frame(const std::string& event, const json::value& payload) {
  return json::serialize(json::object{{"type", "event"}, {"event", event}, {"payload", payload}});
}

}  // namespace

std::string uuid4() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

Protocol::Protocol(ProtocolHost& host, ProtocolIdentity identity)
    : host_(host), id_(std::move(identity)) {}

void Protocol::add_method(std::string name, sdk::MethodHandler handler) {
  methods_[std::move(name)] = std::move(handler);
}

void Protocol::add_async_method(std::string name, sdk::AsyncMethodHandler handler,
                                std::chrono::milliseconds timeout) {
  async_timeouts_[name] = timeout;
  async_methods_[std::move(name)] = std::move(handler);
}

std::vector<std::string> Protocol::method_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : methods_) out.push_back(k);
  for (const auto& [k, v] : async_methods_) out.push_back(k);
  {
    for (auto& name : host_.plugin_method_names()) {
      if (!methods_.count(name) && !async_methods_.count(name)) out.push_back(std::move(name));
    }
  }
  return out;
}

const std::vector<std::string>& Protocol::event_names() {
  static const std::vector<std::string> events{"connect.challenge", "tick",     "health",
                                               "presence",          "shutdown", "chat"};
  return events;
}

std::string Protocol::response_ok(const json::value& id, const json::value& payload) {
  return json::serialize(
      json::object{{"type", "res"}, {"id", id}, {"ok", true}, {"payload", payload}});
}

std::string Protocol::response_error(const json::value& id, const std::string& code,
                                     const std::string& message, const json::value& details) {
  json::object err{{"code", code}, {"message", message}};
  if (!details.is_null()) err["details"] = details;
  return json::serialize(
      json::object{{"type", "res"}, {"id", id}, {"ok", false}, {"error", std::move(err)}});
}

sdk::WebSocketHandlers Protocol::handlers() {
  sdk::WebSocketHandlers h;
  h.on_open = [this](const std::shared_ptr<sdk::WebSocket>& ws, const sdk::HttpRequest& req) {
    on_open(ws);
    if (auto it = req.headers.find("host"); it != req.headers.end()) {
      connections_[ws->id()].host = it->second;
    }
  };
  h.on_message = [this](const std::shared_ptr<sdk::WebSocket>& ws, std::string text) {
    on_message(ws, text);
  };
  h.on_close = [this](const std::shared_ptr<sdk::WebSocket>& ws, int code) {
    if (code == 1008 && ws->close_reason().rfind("slow consumer", 0) == 0) {
      ++slow_consumers_;
      last_slow_consumer_ms_ = now_ms();
      host_.log(sdk::LogLevel::warn, "closed client " + ws->remote_address() + " (connection " +
                                         std::to_string(ws->id()) + "): " + ws->close_reason());
    }
    on_close(ws);
  };
  return h;
}

void Protocol::on_open(const std::shared_ptr<sdk::WebSocket>& ws) {
  Connection c;
  c.ws = ws;
  c.nonce = uuid4();
  c.conn_id = uuid4();
  c.since_ms = now_ms();
  ws->send(event_frame(
      "connect.challenge",
      json::object{{"nonce", c.nonce}, {"ts", now_ms()}, {"capabilities", json::array{}}}));
  connections_[ws->id()] = std::move(c);
}

void Protocol::on_close(const std::shared_ptr<sdk::WebSocket>& ws) {
  auto it = connections_.find(ws->id());
  if (it == connections_.end()) return;
  bool was_listed = it->second.connected && it->second.in_presence;
  connections_.erase(it);
  if (was_listed) presence_changed();
}

void Protocol::presence_changed() {
  if (presence_pending_) return;
  presence_pending_ = true;
  auto send = [this] {
    presence_pending_ = false;
    refresh_presence();
    send_to_connected(std::make_shared<const std::string>(
        R"({"type":"event","event":"presence","payload":[)" + *presence_entries_ + "]}"));
  };
  host_.after(std::chrono::milliseconds(200), send);
}

void Protocol::reject(Connection& c, const json::value& id, const std::string& code,
                      const std::string& message, const json::value& details) {
  c.ws->send(response_error(id, code, message, details));
  c.ws->close(1008, message);
}

void Protocol::on_message(const std::shared_ptr<sdk::WebSocket>& ws, const std::string& text) {
  auto it = connections_.find(ws->id());
  if (it == connections_.end()) return;
  Connection& c = it->second;

  boost::system::error_code ec;
  json::value frame;
  json::value id = nullptr;
  std::string problem;
  if (text.size() > kMaxPayload) {
    problem = "frame too large: " + std::to_string(text.size()) + " bytes, maxPayload is " +
              std::to_string(kMaxPayload);
  } else if (frame = json::parse(text, ec); ec) {
    problem = "invalid frame: not JSON (" + ec.message() + ")";
  } else if (!frame.is_object()) {
    problem = "invalid frame: expected a JSON object";
  } else {
    const auto& o = frame.get_object();
    if (const json::value* i = o.if_contains("id"); i && (i->is_string() || i->is_int64())) id = *i;
    const json::value* type = o.if_contains("type");
    const json::value* method = o.if_contains("method");
    if (!type || !type->is_string() || type->get_string() != "req") {
      problem = "invalid frame: \"type\" must be \"req\"";
    } else if (id.is_null() || (id.is_string() && id.get_string().empty())) {
      problem = "invalid frame: \"id\" must be a non-empty string";
    } else if (!method || !method->is_string() || method->get_string().empty()) {
      problem = "invalid frame: \"method\" must be a non-empty string";
    } else if (const json::value* p = o.if_contains("params");
               p && !p->is_object() && !p->is_null()) {
      problem = "invalid frame: \"params\" must be an object";
    }
  }
  if (!problem.empty()) {
    if (!c.connected) return reject(c, id, "INVALID_REQUEST", problem, nullptr);
    if (text.size() > kMaxPayload) {
      // Answer, then close: a client that sends past the advertised limit is out of step.
      ws->send(response_error(id, "INVALID_REQUEST", problem,
                              json::object{{"code", "PAYLOAD_TOO_LARGE"}}));
      ws->close(1009, "frame exceeds maxPayload");
      return;
    }
    ws->send(response_error(id, "INVALID_REQUEST", problem, nullptr));
    return;
  }

  const auto& o = frame.get_object();
  std::string method(o.at("method").get_string());
  json::value params =
      o.contains("params") && o.at("params").is_object() ? o.at("params") : json::object();
  if (!c.connected) {
    if (method != "connect") {
      return reject(c, id, "INVALID_REQUEST", "first request must be connect", nullptr);
    }
    return handle_connect(c, id, params);
  }
  if (method == "connect") {
    ws->send(response_error(id, "INVALID_REQUEST", "already connected", nullptr));
    return;
  }
  dispatch(c, id, method, params);
}

// Each request gets a responder; the answer goes out whenever it comes, matched by id, while the
// connection goes on reading and answering other requests.
void Protocol::dispatch(Connection& c, const json::value& id, const std::string& method,
                        const json::value& params) {
  std::weak_ptr<sdk::WebSocket> weak = c.ws;
  sdk::MethodResponder respond([weak, id](bool ok, const json::value& v, const std::string& code,
                                          const std::string& message) {
    // A client that went away is not an error for the handler: the answer is dropped.
    if (auto ws = weak.lock()) {
      ws->send(ok ? response_ok(id, v) : response_error(id, code, message, v));
    }
  });
  std::optional<std::chrono::milliseconds> timeout;
  if (auto m = methods_.find(method); m != methods_.end()) {
    timeout = kDefaultTimeout;
    try {
      respond.ok(m->second(params));
    } catch (const MethodError& e) {
      respond.error(e.code, e.what(), e.details);
    } catch (const std::exception& e) {
      host_.log(sdk::LogLevel::warn, "method " + method + " failed: " + e.what());
      respond.error("UNAVAILABLE", method + " failed: " + e.what());
    }
  } else if (auto a = async_methods_.find(method); a != async_methods_.end()) {
    timeout = async_timeouts_.at(method);
    try {
      a->second(params, c.caller, respond);
    } catch (const std::exception& e) {
      host_.log(sdk::LogLevel::warn, "method " + method + " failed: " + e.what());
      respond.error("UNAVAILABLE", method + " failed: " + e.what());
    }
  } else {
    timeout = host_.call_plugin_method(method, params, c.caller, respond);
  }
  if (!timeout) {
    respond.error("INVALID_REQUEST", "unknown method: " + method);
    return;
  }
  if (!respond.done()) {
    host_.after(*timeout, [watch = respond.watch(), method, ms = timeout->count()] {
      sdk::MethodResponder::cancel(watch, "TIMEOUT",
                                   method + " did not answer within " + std::to_string(ms) + " ms");
    });
  }
}

namespace {

// Why a connect is refused: the error frame's code, message and details.
struct ConnectRefusal {
  std::string message;
  json::value details;
};

json::object auth_refusal(const char* code, const char* reason) {
  return json::object{{"code", code},
                      {"authReason", reason},
                      {"canRetryWithDeviceToken", false},
                      {"recommendedNextStep", "update_auth_credentials"}};
}

// The protocol range and the token of a connect's params, checked as OpenClaw checks them (the
// same messages and details: its CLI reads them).
std::optional<ConnectRefusal> connect_refusal(const json::object& p,
                                              const std::optional<std::string>& token) {
  auto int_param = [&](const char* name) -> std::optional<std::int64_t> {
    const json::value* v = p.if_contains(name);
    if (v && v->is_int64()) return v->get_int64();
    return std::nullopt;
  };
  auto min = int_param("minProtocol"), max = int_param("maxProtocol");
  if (!min || !max) {
    return ConnectRefusal{"invalid connect params: minProtocol and maxProtocol must be integers",
                          nullptr};
  }
  if (*min > kProtocolVersion || *max < kProtocolVersion) {
    return ConnectRefusal{
        "protocol mismatch: this gateway speaks protocol " + std::to_string(kProtocolVersion) +
            ", the client " + std::to_string(*min) + ".." + std::to_string(*max),
        json::object{{"code", "PROTOCOL_MISMATCH"}, {"expectedProtocol", kProtocolVersion}}};
  }
  if (!token) return std::nullopt;
  std::string_view given;
  if (const json::value* auth = p.if_contains("auth"); auth && auth->is_object()) {
    if (const json::value* t = auth->get_object().if_contains("token"); t && t->is_string()) {
      given = t->get_string();
    }
  }
  if (given.empty()) {
    return ConnectRefusal{
        "unauthorized: gateway token missing (provide this gateway's gateway.auth.token)",
        auth_refusal("AUTH_TOKEN_MISSING", "token_missing")};
  }
  if (token->empty() || !sdk::constant_time_equals(given, *token)) {
    return ConnectRefusal{
        "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the "
        "device)",
        auth_refusal("AUTH_TOKEN_MISMATCH", "token_mismatch")};
  }
  return std::nullopt;
}

}  // namespace

void Protocol::handle_connect(Connection& c, const json::value& id, const json::value& params) {
  const auto& p = params.get_object();
  if (auto refusal = connect_refusal(p, id_.token)) {
    return reject(c, id, "INVALID_REQUEST", refusal->message, refusal->details);
  }
  admit(c, p);
  send_hello(c, id);
  if (c.in_presence) presence_changed();
}

// The client as its connect params describe it: role, scopes, presence, what handlers learn.
void Protocol::admit(Connection& c, const json::object& p) {
  c.connected = true;
  c.client = p.contains("client") ? p.at("client") : json::value(json::object());
  // As OpenClaw: the CLI's short-lived connections are not presence (the recorded trace's
  // hello-ok lists only the gateway itself for the CLI).
  c.in_presence = !(c.client.is_object() && c.client.get_object().contains("mode") &&
                    c.client.get_object().at("mode") == "cli");
  c.role = p.contains("role") && p.at("role").is_string() ? std::string(p.at("role").get_string())
                                                          : "operator";
  c.scopes = p.contains("scopes") && p.at("scopes").is_array() ? p.at("scopes")
                                                               : json::value(json::array());

  c.caller.conn_id = c.conn_id;
  c.caller.role = c.role;
  c.caller.remote_address = c.ws->remote_address();
  if (c.client.is_object()) {
    const auto& client = c.client.get_object();
    if (const auto* v = client.if_contains("id"); v && v->is_string())
      c.caller.client_id = std::string(v->get_string());
    if (const auto* v = client.if_contains("mode"); v && v->is_string())
      c.caller.client_mode = std::string(v->get_string());
  }
  for (const auto& scope : c.scopes.as_array()) {
    if (scope.is_string()) c.caller.scopes.emplace_back(scope.get_string());
  }
}

json::object Protocol::hello_payload(const Connection& c) const {
  json::array methods;
  for (const auto& name : method_names()) methods.push_back(json::value(name));
  json::array events;
  for (const auto& e : event_names()) events.push_back(json::value(e));
  return json::object{
      {"type", "hello-ok"},
      {"protocol", kProtocolVersion},
      {"server", json::object{{"version", id_.version},
                              {"buildId", "openclaw-host-" + id_.version},
                              {"bootId", id_.boot_id},
                              {"connId", c.conn_id}}},
      {"features", json::object{{"methods", std::move(methods)},
                                {"events", std::move(events)},
                                {"capabilities", json::array{}}}},
      {"snapshot",
       json::object{{"presence", kPresenceMarker},
                    {"health", host_.health()},
                    {"stateVersion", json::object{{"presence", presence_version_}, {"health", 1}}},
                    {"uptimeMs", now_ms() - id_.started_ms}}},
      {"auth",
       json::object{
           {"method", id_.token ? "token" : "none"}, {"role", c.role}, {"scopes", c.scopes}}},
      {"pluginSurfaceUrls", host_.plugin_surface_urls(c.host)},
      {"policy", json::object{{"maxPayload", kMaxPayload},
                              {"maxBufferedBytes", kMaxBufferedBytes},
                              {"tickIntervalMs", kTickIntervalMs}}}};
}

// The presence list is the one part of hello-ok that grows with the number of clients: it is
// shared (serialized at most once per presence broadcast), with this client's own entry added,
// so a burst of N connects costs O(N) memory and CPU, not O(N^2).
void Protocol::send_hello(Connection& c, const json::value& id) {
  std::string text = response_ok(id, hello_payload(c));
  const std::string marker = json::serialize(json::value(kPresenceMarker));
  const auto at = text.find(marker);
  if (!presence_entries_) refresh_presence();
  std::string tail = c.in_presence ? "," + json::serialize(presence_entry(c)) : std::string();
  tail += "]";
  tail.append(text, at + marker.size(), std::string::npos);
  text.resize(at);
  text += "[";
  c.ws->send(std::vector<sdk::SharedFrame>{std::make_shared<const std::string>(std::move(text)),
                                           presence_entries_,
                                           std::make_shared<const std::string>(std::move(tail))});
}

json::object Protocol::presence_entry(const Connection& c) const {
  json::object entry{{"connId", c.conn_id},
                     {"role", c.role},
                     {"ip", c.ws->remote_address()},
                     {"ts", c.since_ms},
                     {"reason", "connect"}};
  if (c.client.is_object()) {
    for (const char* k : {"id", "version", "platform", "mode", "instanceId"}) {
      if (const json::value* v = c.client.get_object().if_contains(k)) entry[k] = *v;
    }
  }
  return entry;
}

json::array Protocol::presence() const {
  json::array out{host_.presence_self()};
  for (const auto& [id, c] : connections_) {
    if (c.connected && c.in_presence) out.push_back(presence_entry(c));
  }
  return out;
}

void Protocol::refresh_presence() {
  std::string out = json::serialize(host_.presence_self());
  for (const auto& [id, c] : connections_) {
    if (!c.connected || !c.in_presence) continue;
    out += ',';
    out += json::serialize(presence_entry(c));
  }
  presence_entries_ = std::make_shared<const std::string>(std::move(out));
  ++presence_version_;
}

void Protocol::broadcast(const std::string& event, const json::value& payload) {
  send_to_connected(std::make_shared<const std::string>(event_frame(event, payload)));
}

// Serialized once; every connection's queue shares the one string.
void Protocol::send_to_connected(const sdk::SharedFrame& frame) {
  for (auto& [id, c] : connections_) {
    if (c.connected) c.ws->send(frame);
  }
}

void Protocol::shutdown(const std::string& reason) {
  broadcast("shutdown", json::object{{"reason", reason}, {"restartExpectedMs", nullptr}});
  for (auto& [id, c] : connections_) c.ws->close(1001, "gateway stopping");
}

}  // namespace openclaw::gateway
