#pragma once
// The HTTP session hands an accepted WebSocket upgrade over (websocket_session.cpp). Internal to
// libopenclaw-sdk.so.
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "openclaw/sdk/http_server.hpp"

namespace openclaw::sdk {

/// Takes `socket` over and answers the upgrade `request` (`upgrade` is the same as the handlers
/// see it); the session joins the server's WebSocket set until it closes.
void start_websocket_session(boost::asio::ip::tcp::socket socket,
                             std::shared_ptr<HttpServer::Impl> server, std::string remote,
                             boost::beast::http::request<boost::beast::http::string_body> request,
                             HttpRequest upgrade);

}  // namespace openclaw::sdk
