// The TCP client stream, plain or TLS (see tcp_client.hpp): for line protocols such as IRC.
#include "openclaw/sdk/tcp_client.hpp"

#include <array>
#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "client_transport.hpp"

namespace openclaw::sdk {
using namespace client;

struct TcpClient::Impl : std::enable_shared_from_this<TcpClient::Impl> {
  Impl(asio::io_context& io, std::shared_ptr<ssl::context> ctx)
      : io_(io),
        resolver(io),
        deadline(io),
        tls_ctx(std::move(ctx)),
        stream(io, tls_ctx ? *tls_ctx : plain_context()) {}

  // An ssl::stream needs a context even when it is only used for its plain socket.
  static ssl::context& plain_context() {
    static ssl::context ctx(ssl::context::tls_client);
    return ctx;
  }

  asio::io_context& io_;
  tcp::resolver resolver;
  asio::steady_timer deadline;
  std::shared_ptr<ssl::context> tls_ctx;
  ssl::stream<tcp::socket> stream;
  TcpClient::Handlers handlers;
  TcpClient::Options options;
  std::string host;
  int port = 0;
  std::array<char, 16384> buf{};
  std::deque<std::string> queue;
  std::size_t queued = 0;
  bool writing = false;
  bool open = false;
  bool closed = false;

  std::string where() const { return host + ":" + std::to_string(port); }

  void end(const std::string& reason) {
    if (closed) return;
    closed = true;
    open = false;
    queue.clear();
    deadline.cancel();
    error_code ig;
    stream.lowest_layer().close(ig);
    auto cb = std::move(handlers.on_close);
    handlers = {};
    if (cb) cb(reason);
  }

  template <typename F>
  void io_op(F&& f) {
    if (tls_ctx) {
      f(stream);
    } else {
      f(stream.next_layer());
    }
  }

  void start() {
    auto self = shared_from_this();
    deadline.expires_after(options.connect_timeout);
    deadline.async_wait([self](error_code ec) {
      if (ec || self->closed || self->open) return;
      self->resolver.cancel();
      error_code ig;
      self->stream.lowest_layer().close(ig);
      self->end("connect " + self->where() + ": timed out after " +
                std::to_string(self->options.connect_timeout.count()) + " ms");
    });
    resolve(resolver, host, port, [self](error_code ec, tcp::resolver::results_type r) {
      if (self->closed) return;
      if (ec) return self->end("resolve " + self->host + ": " + describe(ec));
      asio::async_connect(self->stream.lowest_layer(), r,
                          [self](error_code ec2, const tcp::endpoint&) {
                            if (self->closed) return;
                            if (ec2)
                              return self->end("connect " + self->where() + ": " + describe(ec2));
                            error_code ig;
                            self->stream.lowest_layer().set_option(tcp::no_delay(true), ig);
                            if (!self->tls_ctx) return self->opened();
                            self->handshake();
                          });
    });
  }

  void handshake() {
    auto self = shared_from_this();
    const std::string name = options.server_name.empty() ? host : options.server_name;
    if (!SSL_set_tlsext_host_name(stream.native_handle(), name.c_str())) {
      return end("TLS handshake with " + where() + ": cannot set the server name");
    }
    stream.set_verify_callback(ssl::host_name_verification(name));
    stream.async_handshake(ssl::stream_base::client, [self](error_code ec) {
      if (self->closed) return;
      if (ec) {
        return self->end("TLS handshake with " + self->where() + ": " +
                         describe_tls(ec, self->stream.native_handle()));
      }
      self->opened();
    });
  }

  void opened() {
    deadline.cancel();
    open = true;
    if (handlers.on_open) handlers.on_open();
    if (closed) return;
    flush();
    read();
  }

  void read() {
    auto self = shared_from_this();
    io_op([&](auto& s) {
      s.async_read_some(asio::buffer(buf), [self](error_code ec, std::size_t n) {
        if (self->closed) return;
        if (ec) {
          bool eof = ec == asio::error::eof || ec == ssl::error::stream_truncated;
          return self->end(eof ? "closed by the peer"
                               : "read from " + self->where() + ": " + describe(ec));
        }
        if (self->handlers.on_data) self->handlers.on_data(std::string_view(self->buf.data(), n));
        if (!self->closed) self->read();
      });
    });
  }

  void flush() {
    if (writing || !open || queue.empty()) return;
    writing = true;
    auto self = shared_from_this();
    io_op([&](auto& s) {
      asio::async_write(s, asio::buffer(queue.front()), [self](error_code ec, std::size_t) {
        self->writing = false;
        if (self->closed) return;
        if (ec) return self->end("write to " + self->where() + ": " + describe(ec));
        self->queued -= self->queue.front().size();
        self->queue.pop_front();
        self->flush();
      });
    });
  }

  bool write(std::string data) {
    if (closed) return false;
    queued += data.size();
    queue.push_back(std::move(data));
    if (queued > options.send_limit) {
      end("write to " + where() + ": the peer took nothing while " + std::to_string(queued) +
          " bytes waited");
      return false;
    }
    flush();
    return true;
  }

  void close() {
    if (closed) return;
    closed = true;
    handlers = {};
    resolver.cancel();
    auto self = shared_from_this();
    // What is queued goes out first (an IRC QUIT), within 2 s.
    if (open && !queue.empty() && !writing) {
      std::string rest;
      for (auto& q : queue) rest += q;
      queue.clear();
      auto data = std::make_shared<std::string>(std::move(rest));
      deadline.expires_after(std::chrono::seconds(2));
      deadline.async_wait([self](error_code ec) {
        if (ec) return;
        error_code ig;
        self->stream.lowest_layer().close(ig);
      });
      io_op([&](auto& s) {
        asio::async_write(s, asio::buffer(*data), [self, data](error_code, std::size_t) {
          self->deadline.cancel();
          error_code ig;
          self->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ig);
          self->stream.lowest_layer().close(ig);
        });
      });
    } else {
      deadline.cancel();
      error_code ig;
      stream.lowest_layer().close(ig);
    }
    open = false;
  }
};

TcpClient::TcpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpClient::~TcpClient() {
  if (impl_) impl_->close();
}

std::unique_ptr<TcpClient> TcpClient::connect(asio::io_context& io, const std::string& host,
                                              int port, Handlers handlers, Options options) {
  std::string problem;
  std::shared_ptr<ssl::context> ctx;
  if (options.tls) ctx = tls_context(options.ca_file, problem);
  if (host.empty()) problem = "no host to connect to";
  if (port < 1 || port > 65535) problem = "port " + std::to_string(port) + " is not 1..65535";
  if (options.tls && !ctx && problem.empty()) problem = "TLS is not available";
  auto impl = std::make_shared<Impl>(io, ctx);
  impl->handlers = std::move(handlers);
  impl->options = std::move(options);
  impl->host = host;
  impl->port = port;
  if (!problem.empty()) {
    asio::post(io, [impl, problem] { impl->end(problem); });
  } else {
    asio::post(io, [impl] {
      if (!impl->closed) impl->start();
    });
  }
  return std::unique_ptr<TcpClient>(new TcpClient(std::move(impl)));
}

bool TcpClient::write(std::string data) {
  return impl_->write(std::move(data));
}

void TcpClient::close() {
  impl_->close();
}

bool TcpClient::is_open() const {
  return impl_->open;
}

}  // namespace openclaw::sdk
