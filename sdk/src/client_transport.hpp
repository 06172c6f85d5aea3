#pragma once
// What the SDK's clients (http_client.cpp, websocket_client.cpp, tcp_client.cpp) share: the
// TLS client context, resolving (with IP literals skipping the resolver thread), the TLS
// handshake of a plain or TLS Beast stream, and error texts a user can act on. Internal to
// libopenclaw-sdk.so.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "openclaw/sdk/url.hpp"

namespace openclaw::sdk::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

inline std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return "timed out";
  return ec.message();
}

// The TLS error text a user can act on ("certificate verify failed: self-signed certificate").
inline std::string describe_tls(const error_code& ec, SSL* handle) {
  std::string what = describe(ec);
  if (handle) {
    long v = SSL_get_verify_result(handle);
    if (v != X509_V_OK) what += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
  }
  return what;
}

// "" when `url` suits the client (`tls` tells whether it is encrypted), else why not.
inline std::string scheme_problem(const Url& url, bool websocket_wanted, bool& tls) {
  if (websocket_wanted) {
    tls = url.scheme == "wss";
    if (url.scheme == "ws" || url.scheme == "wss") return {};
    return "not a WebSocket URL (ws:// or wss://): scheme \"" + url.scheme + "\"";
  }
  tls = url.scheme == "https";
  if (url.scheme == "http" || url.scheme == "https") return {};
  return "not an HTTP URL (http:// or https://): scheme \"" + url.scheme + "\"";
}

// The TLS client context: the system's trust store (shared, built once), or a given CA file.
// Peers are always verified: the certificate chain and the host name. nullptr and `error` set
// when the trust store or the file cannot be loaded.
inline std::shared_ptr<ssl::context> tls_context(const std::string& ca_file, std::string& error) {
  auto make = [&](const std::string& file) -> std::shared_ptr<ssl::context> {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->set_verify_mode(ssl::verify_peer);
    error_code ec;
    if (file.empty()) {
      ctx->set_default_verify_paths(ec);
    } else {
      ctx->load_verify_file(file, ec);
    }
    if (ec) {
      error = (file.empty() ? "cannot load the system's CA certificates: "
                            : "cannot load CA file " + file + ": ") +
              ec.message();
      return nullptr;
    }
    return ctx;
  };
  if (!ca_file.empty()) return make(ca_file);
  static std::shared_ptr<ssl::context> system_ctx;
  static std::string system_error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    system_ctx = make("");
    system_error = error;
  }
  error = system_error;
  return system_ctx;
}

// Resolves `host`, or, for an IP literal (the common case on loopback), skips the resolver:
// Asio resolves on a thread of its own, a handoff each way that a literal does not need.
template <typename Handler>
void resolve(tcp::resolver& resolver, const std::string& host, int port, Handler&& handler) {
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (!ec) {
    auto results = tcp::resolver::results_type::create(
        tcp::endpoint(addr, static_cast<unsigned short>(port)), host, std::to_string(port));
    asio::post(resolver.get_executor(), [h = std::forward<Handler>(handler), results]() mutable {
      h(error_code{}, results);
    });
    return;
  }
  resolver.async_resolve(host, std::to_string(port), std::forward<Handler>(handler));
}

// Plain and TLS Beast streams behind one set of operations.
template <typename Stream>
struct Transport;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <>
struct Transport<PlainStream> {
  static SSL* handle(PlainStream&) { return nullptr; }
  template <typename Handler>
  static void handshake(PlainStream&, const std::string&, Handler&& h) {
    h(error_code{});
  }
};

template <>
struct Transport<TlsStream> {
  static SSL* handle(TlsStream& s) { return s.native_handle(); }
  template <typename Handler>
  static void handshake(TlsStream& s, const std::string& host, Handler&& h) {
    // SNI, and the certificate must name this host.
    if (!SSL_set_tlsext_host_name(s.native_handle(), host.c_str())) {
      return h(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
    }
    s.set_verify_callback(ssl::host_name_verification(host));
    s.async_handshake(ssl::stream_base::client, std::forward<Handler>(h));
  }
};

// The step of opening a connection that failed.
enum class OpenStep { resolve, connect, tls_handshake };

// Resolves `url`'s host, connects `stream` and, for TLS, handshakes (SNI, the name verified).
// Then `done(error_code{}, step, "")` once open, or `done(ec, step, why)` with the step that
// failed. `gone()` is asked after each step: when true (the owner closed the connection
// meanwhile) nothing further starts and `done` is not called. `gone` or `done` holds the owner
// (a shared_ptr): `stream` and `url` are its members.
template <typename Stream, typename Gone, typename Done>
void open_stream(Stream& stream, tcp::resolver& resolver, const Url& url, Gone gone, Done done) {
  auto on_resolved = [&stream, &url, gone, done](error_code ec,
                                                 tcp::resolver::results_type r) mutable {
    if (gone()) return;
    if (ec) return done(ec, OpenStep::resolve, describe(ec));
    auto on_connected = [&stream, &url, gone, done](error_code ec2, const tcp::endpoint&) mutable {
      if (gone()) return;
      if (ec2) return done(ec2, OpenStep::connect, describe(ec2));
      // Requests and replies are small and answered one by one (CDP, the gateway protocol): a
      // write must not wait for the ACK of the previous one (Nagle with delayed ACK).
      error_code ignored;
      beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true), ignored);
      Transport<Stream>::handshake(stream, url.host, [&stream, gone, done](error_code ec3) mutable {
        if (gone()) return;
        if (!ec3) return done(ec3, OpenStep::tls_handshake, "");
        done(ec3, OpenStep::tls_handshake, describe_tls(ec3, Transport<Stream>::handle(stream)));
      });
    };
    beast::get_lowest_layer(stream).async_connect(r, std::move(on_connected));
  };
  resolve(resolver, url.host, url.port, std::move(on_resolved));
}

}  // namespace openclaw::sdk::client
