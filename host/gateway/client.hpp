#pragma once
// A synchronous gateway client: WebSocket handshake, connect.challenge, `connect`, then method
// calls. Used by `openclaw-host health`, the tests and the benchmarks.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace openclaw::gateway {

struct ClientOptions {
  std::string url;  ///< ws://host:port[/path]
  std::optional<std::string> token;
  std::chrono::milliseconds timeout{5000};
  bool handshake = true;  ///< false: stop after the WebSocket upgrade (raw tests)
  /// The operator scopes asked for in `connect`. OpenClaw's gateway enforces them per method
  /// (`browser.request` needs operator.admin, `send` operator.write); ours grants what is asked.
  std::vector<std::string> scopes{"operator.read"};
};

/// A response with ok:false: the error's code, message and details.
struct GatewayError : std::runtime_error {
  GatewayError(std::string code, std::string message, boost::json::value details)
      : std::runtime_error(message), code(std::move(code)), details(std::move(details)) {}
  std::string code;
  boost::json::value details;
};

class Client {
 public:
  /// Connects and (unless options.handshake is false) completes the gateway handshake.
  /// Throws openclaw::Error (exit 3) when nothing answers, GatewayError when connect is refused.
  explicit Client(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// The connect.challenge event and the hello-ok payload.
  const boost::json::value& challenge() const { return challenge_; }
  const boost::json::value& hello() const { return hello_; }

  /// Calls `method`; returns the payload, throws GatewayError for ok:false. Events that arrive
  /// before the response are skipped.
  boost::json::value call(const std::string& method, const boost::json::value& params = nullptr);

  /// Raw frames, for protocol tests.
  void send_text(const std::string& text);
  /// The next text frame; nullopt when the server closed (see close_code()).
  std::optional<std::string> read_text();
  /// The next event frame named `event` (others skipped); nullopt on close or timeout.
  std::optional<boost::json::value> wait_event(const std::string& event);
  int close_code() const { return close_code_; }
  std::string close_reason() const { return close_reason_; }
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  boost::json::value challenge_;
  boost::json::value hello_;
  int close_code_ = 0;
  std::string close_reason_;
  std::uint64_t next_id_ = 1;
};

/// A plain HTTP/1.1 GET to host:port; {status, body}, or nullopt when nothing answers in time.
std::optional<std::pair<int, std::string>> http_get(const std::string& host, int port,
                                                    const std::string& target,
                                                    std::chrono::milliseconds timeout);

/// True when a TCP connection to host:port succeeds within `timeout`.
bool port_answers(const std::string& host, int port, std::chrono::milliseconds timeout);

}  // namespace openclaw::gateway
