#pragma once
/// \file
/// Answers given later and registrations the host owns (SDK API 2).
///
/// One I/O thread runs the host and every plugin; nothing on it may block. A handler that must
/// wait (for Chromium, a CDP reply, an HTTPS call) keeps its responder and answers when the reply
/// arrives. The rules follow gRPC's callback reactors: an answer is given exactly once, the host
/// answers for a handler that takes too long or whose plugin stops, and a responder dropped
/// without an answer answers an error instead of leaving the caller waiting.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

namespace openclaw::sdk {

struct HttpResponse;
struct HttpFileResponse;

/// Answers one gateway method call, now or later, exactly once. Copies share the one answer.
/// - The first ok() / error() is the answer; later calls change nothing and return false.
/// - Answer on the host's I/O thread (from another thread, post to host.io() first).
/// - When the last copy is destroyed unanswered, the caller gets INTERNAL "… without answering".
/// - Past the method's deadline, or when the plugin stops, the host has answered already
///   (TIMEOUT / UNAVAILABLE); cancelled() is then true and a later answer is dropped.
/// - A caller that disconnected is not an error: the answer is dropped silently.
class BOOST_SYMBOL_VISIBLE MethodResponder {
 public:
  /// How the host receives the answer: ok, the payload (ok) or details (error), code, message.
  using Sink = std::function<void(bool ok, const boost::json::value& payload_or_details,
                                  const std::string& code, const std::string& message)>;
  struct State;

  /// For the host: a responder whose answer goes to `sink` (called at most once).
  BOOST_SYMBOL_EXPORT explicit MethodResponder(Sink sink);

  BOOST_SYMBOL_EXPORT bool ok(const boost::json::value& payload) const;
  BOOST_SYMBOL_EXPORT bool error(const std::string& code, const std::string& message) const;
  BOOST_SYMBOL_EXPORT bool error(const std::string& code, const std::string& message,
                                 const boost::json::value& details) const;
  /// True once answered, by the handler or by the host.
  BOOST_SYMBOL_EXPORT bool done() const;
  /// True when the host answered for the handler (deadline passed, plugin stopped).
  BOOST_SYMBOL_EXPORT bool cancelled() const;

  /// For the host: a reference that does not keep the responder alive (so dropping the last copy
  /// is still seen), and the answer it gives on the handler's behalf.
  BOOST_SYMBOL_EXPORT std::weak_ptr<State> watch() const;
  BOOST_SYMBOL_EXPORT static bool cancel(const std::weak_ptr<State>& watched,
                                         const std::string& code, const std::string& message);

 private:
  std::shared_ptr<State> state_;
};

/// Answers one HTTP request, now or later, exactly once; the same rules as MethodResponder, with
/// 500 for a dropped responder and 504 past the server's deadline.
class BOOST_SYMBOL_VISIBLE HttpResponder {
 public:
  using Sink = std::function<void(HttpResponse response)>;
  using FileSink = std::function<void(HttpFileResponse file)>;
  struct State;

  BOOST_SYMBOL_EXPORT explicit HttpResponder(Sink sink);
  /// For servers that stream files: `file_sink` receives send_file() answers.
  BOOST_SYMBOL_EXPORT HttpResponder(Sink sink, FileSink file_sink);
  BOOST_SYMBOL_EXPORT bool send(HttpResponse response) const;
  /// Answers with a file (or a byte range of it) streamed from disk in chunks, never read whole
  /// into memory: the SDK's HttpServer (a plugin's own, and the gateway's for plugin routes)
  /// streams it. A responder made without a file sink reads up to 64 MiB into an ordinary
  /// response and answers 500 for more. Same once-only rule as send().
  BOOST_SYMBOL_EXPORT bool send_file(HttpFileResponse file) const;
  BOOST_SYMBOL_EXPORT bool done() const;
  BOOST_SYMBOL_EXPORT bool cancelled() const;
  BOOST_SYMBOL_EXPORT std::weak_ptr<State> watch() const;
  BOOST_SYMBOL_EXPORT static bool cancel(const std::weak_ptr<State>& watched,
                                         HttpResponse response);

 private:
  std::shared_ptr<State> state_;
};

/// Something a plugin registered (a method, a route, a subscription, a timer). The host owns the
/// registration and revokes it when the plugin's start() throws or when the plugin stops;
/// revoke() ends it earlier. Copies refer to the same registration, and destroying a handle does
/// not revoke (ignoring the handle is fine). Revoking is idempotent, also during a dispatch.
class BOOST_SYMBOL_VISIBLE Registration {
 public:
  Registration() = default;
  /// For the host: `revoke` runs once, on the first revoke().
  BOOST_SYMBOL_EXPORT explicit Registration(std::function<void()> revoke);
  BOOST_SYMBOL_EXPORT void revoke() const;
  /// False once revoked (or for a default-constructed handle).
  BOOST_SYMBOL_EXPORT bool active() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

/// Who called a gateway method: the connection and what its `connect` declared.
struct BOOST_SYMBOL_VISIBLE Caller {
  std::string conn_id;      ///< the connection's id (hello-ok's server.connId)
  std::string client_id;    ///< connect params.client.id ("cli", "webchat", ...)
  std::string client_mode;  ///< connect params.client.mode
  std::string role;         ///< "operator", "node", ...
  std::vector<std::string> scopes;
  std::string remote_address;  ///< the peer's IP address
  /// True when `scope` was granted in connect (e.g. "operator.admin").
  BOOST_SYMBOL_EXPORT bool has_scope(std::string_view scope) const;
};

/// Per-method settings.
struct BOOST_SYMBOL_VISIBLE MethodOptions {
  /// How long a call may stay unanswered before the host answers TIMEOUT for the handler.
  std::chrono::milliseconds timeout{30000};
};

/// A gateway method handler that answers through `respond`, now or later.
using AsyncMethodHandler = std::function<void(const boost::json::value& params,
                                              const Caller& caller, MethodResponder respond)>;

}  // namespace openclaw::sdk
