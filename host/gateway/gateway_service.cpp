#include "gateway/gateway_service.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include <openclaw/sdk/auth.hpp>

#include "gateway/protocol.hpp"

namespace openclaw::gateway {

sdk::WebSocketHandlers GatewayService::route_websockets(sdk::WebSocketHandlers protocol) {
  protocol_ = std::move(protocol);
  sdk::WebSocketHandlers h;
  h.on_open = [this](const std::shared_ptr<sdk::WebSocket>& ws, const sdk::HttpRequest& req) {
    for (auto& [path, route] : ws_routes_) {
      if (req.path == path || req.path.rfind(path + "/", 0) == 0) {
        ws_owner_[ws->id()] = path;
        route.sockets[ws->id()] = ws;
        if (route.handlers.on_open) route.handlers.on_open(ws, req);
        return;
      }
    }
    if (protocol_.on_open) protocol_.on_open(ws, req);
  };
  h.on_message = [this](const std::shared_ptr<sdk::WebSocket>& ws, std::string m) {
    if (auto* route = owner(ws->id())) {
      if (route->handlers.on_message) route->handlers.on_message(ws, std::move(m));
    } else if (!ws_owner_.count(ws->id()) && protocol_.on_message) {
      protocol_.on_message(ws, std::move(m));
    }
  };
  h.on_close = [this](const std::shared_ptr<sdk::WebSocket>& ws, int code) {
    auto it = ws_owner_.find(ws->id());
    if (it == ws_owner_.end()) {
      if (protocol_.on_close) protocol_.on_close(ws, code);
      return;
    }
    if (auto* route = owner(ws->id())) {
      route->sockets.erase(ws->id());
      if (route->handlers.on_close) route->handlers.on_close(ws, code);
    }
    ws_owner_.erase(it);
  };
  return h;
}

sdk::Registration GatewayService::add_websocket(std::string path, sdk::WebSocketHandlers handlers) {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
      path.find("..") != std::string::npos) {
    throw std::invalid_argument("WebSocket path \"" + path +
                                "\" must look like /__openclaw__/name");
  }
  if (path == "/" || ws_routes_.count(path)) {
    throw std::invalid_argument("WebSocket path " + path + " is taken");
  }
  ws_routes_[path].handlers = std::move(handlers);
  return sdk::Registration([this, path] {
    auto it = ws_routes_.find(path);
    if (it == ws_routes_.end()) return;
    auto sockets = std::move(it->second.sockets);
    ws_routes_.erase(it);
    for (auto& [id, ws] : sockets) ws->close(1001, "the plugin serving " + path + " stopped");
  });
}

bool GatewayService::authorized(const sdk::HttpRequest& request) const {
  if (!token_) return true;
  auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return false;
  auto given = sdk::bearer_token(it->second);
  return given && !token_->empty() && sdk::constant_time_equals(*given, *token_);
}

GatewayService::WsRoute* GatewayService::owner(std::uint64_t id) {
  auto it = ws_owner_.find(id);
  if (it == ws_owner_.end()) return nullptr;
  auto r = ws_routes_.find(it->second);
  return r == ws_routes_.end() ? nullptr : &r->second;
}

}  // namespace openclaw::gateway
