#pragma once
/// \file
/// An asynchronous TCP client stream, plain or TLS, on the host's I/O context: for line
/// protocols such as IRC (and any other a channel speaks). TLS is 1.2+ with the peer always
/// verified: its chain against the system's trust store (or `ca_file`) and its name against
/// the host (SNI sent). A verification failure names OpenSSL's reason ("self-signed
/// certificate", "unable to get local issuer certificate"). There is no switch to skip it.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/config.hpp>

namespace boost::asio {
class io_context;
}

namespace openclaw::sdk {

/// OWNERSHIP: the callbacks stop when close() is called or the handle is destroyed. Call
/// members on the I/O thread.
class BOOST_SYMBOL_VISIBLE TcpClient {
 public:
  struct Options {
    bool tls = false;
    /// tls: trust this PEM file's CAs instead of the system's.
    std::string ca_file;
    /// tls: the name the certificate must carry; empty: the host connected to.
    std::string server_name;
    std::chrono::milliseconds connect_timeout{15000};  ///< resolve + connect + TLS handshake
    /// A peer that leaves this much unsent in our queue is cut off (a stuck server).
    std::size_t send_limit = 4 << 20;
  };
  struct Handlers {
    /// Connected (and, with TLS, the handshake and verification passed).
    std::function<void()> on_open;
    /// Bytes as they arrive (any split: a line protocol buffers its own lines).
    std::function<void(std::string_view data)> on_data;
    /// Once: the connection could not be made or is gone, and why ("connect 127.0.0.1:6697:
    /// Connection refused", "TLS handshake with irc.example:6697: ... (self-signed
    /// certificate)", "closed by the peer").
    std::function<void(const std::string& reason)> on_close;
  };

  /// Starts connecting; the outcome comes through `handlers`, never from inside this call.
  BOOST_SYMBOL_EXPORT static std::unique_ptr<TcpClient> connect(boost::asio::io_context& io,
                                                                const std::string& host, int port,
                                                                Handlers handlers, Options options);
  BOOST_SYMBOL_EXPORT ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  /// Queues bytes (sent in order once open). False when closed.
  BOOST_SYMBOL_EXPORT bool write(std::string data);
  /// Sends what is queued (bounded by 2 s), then closes; no callback runs after this call.
  BOOST_SYMBOL_EXPORT void close();
  /// True between on_open and the close.
  BOOST_SYMBOL_EXPORT bool is_open() const;

  struct Impl;

 private:
  explicit TcpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace openclaw::sdk
