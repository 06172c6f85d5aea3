// One accepted WebSocket connection of the HTTP server: accept the upgrade, read messages,
// write a bounded queue in order; see http_server.hpp (WebSocket).
#include "websocket_session.hpp"

#include <deque>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "http_server_impl.hpp"

namespace openclaw::sdk {
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

// One WebSocket connection: accept the upgrade, read messages, write a queue in order.
class WsSession final : public WebSocket, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(beast::tcp_stream stream, std::shared_ptr<HttpServer::Impl> server, std::string remote,
            std::uint64_t id)
      : ws_(std::move(stream)), server_(std::move(server)), remote_(std::move(remote)), id_(id) {}

  void start(http::request<http::string_body> req, HttpRequest upgrade) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "openclaw-host"); }));
    ws_.read_message_max(server_->options.websocket_message_limit);
    upgrade_ = std::move(upgrade);
    req_ = std::move(req);
    ws_.async_accept(req_, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  void send(std::string text) override {
    send(std::make_shared<const std::string>(std::move(text)));
  }

  // dispatch: on the I/O thread (the common case) the frame is queued at once, without a posted
  // handler per connection; from another thread it is posted.
  void send(SharedFrame frame) override { send(std::vector<SharedFrame>{std::move(frame)}); }

  void send(std::vector<SharedFrame> parts) override {
    asio::dispatch(ws_.get_executor(),
                   [self = shared_from_this(), parts = std::move(parts)]() mutable {
                     self->enqueue(std::move(parts));
                   });
  }

  void close(int code, std::string reason) override {
    asio::dispatch(ws_.get_executor(),
                   [self = shared_from_this(), code, reason = std::move(reason)]() {
                     self->begin_close(code, reason);
                   });
  }

  std::size_t buffered_bytes() const override { return queued_bytes_; }
  std::string close_reason() const override { return close_reason_; }

  const std::string& remote_address() const override { return remote_; }
  std::uint64_t id() const override { return id_; }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return finish(1006);
    accepted_ = true;
    if (server_->ws_handlers && server_->ws_handlers->on_open) {
      server_->ws_handlers->on_open(shared_from_this(), upgrade_);
    }
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      int code = 1006;
      if (ec == websocket::error::closed) code = ws_.reason().code;
      if (ec == websocket::error::message_too_big) code = 1009;
      if (close_code_) code = *close_code_;
      return finish(code);
    }
    std::string msg = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (server_->ws_handlers && server_->ws_handlers->on_message) {
      server_->ws_handlers->on_message(shared_from_this(), std::move(msg));
    }
    if (!closed_) do_read();
  }

  // One message waiting to be written: its parts go out as one buffer sequence.
  struct Outgoing {
    std::vector<SharedFrame> parts;
    std::vector<asio::const_buffer> buffers;
    std::size_t bytes = 0;
  };

  void enqueue(std::vector<SharedFrame> parts) {
    if (closed_ || close_code_) return;
    Outgoing out;
    for (const auto& p : parts) {
      if (!p) continue;
      out.buffers.push_back(asio::buffer(*p));
      out.bytes += p->size();
    }
    out.parts = std::move(parts);
    const std::size_t limit = server_->options.websocket_send_limit;
    if (limit && queued_bytes_ + out.bytes > limit) {
      // A consumer that does not read: drop what it has not received and close it, rather than
      // let its queue grow. The frame being written (if any) stays: Beast is in the middle of it.
      const std::string reason =
          "slow consumer: more than " + std::to_string(limit) + " bytes waiting to be sent";
      while (queue_.size() > (writing_ ? 1u : 0u)) {
        queued_bytes_ -= queue_.back().bytes;
        queue_.pop_back();
      }
      return begin_close(1008, reason);
    }
    queued_bytes_ += out.bytes;
    queue_.push_back(std::move(out));
    if (!writing_) do_write();
  }

  void begin_close(int code, const std::string& reason) {
    if (closed_ || close_code_) return;
    close_code_ = code;
    close_reason_ = reason.substr(0, 120);  // a close frame carries at most 123 bytes
    // A peer that never reads would hold the close handshake (and this session) forever.
    close_timer_.expires_after(
        std::chrono::milliseconds(server_->options.websocket_close_grace_ms));
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);  // the read fails: finish()
    });
    if (!writing_) do_close();
  }

  void do_write() {
    if (queue_.empty()) {
      writing_ = false;
      if (close_code_) do_close();
      return;
    }
    writing_ = true;
    ws_.text(true);
    // Deque elements stay in place while others are added, so the buffers outlive the write.
    ws_.async_write(queue_.front().buffers,
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->queued_bytes_ -= self->queue_.front().bytes;
                      self->queue_.pop_front();
                      if (ec) {
                        self->writing_ = false;
                        return;  // the read side reports the failure
                      }
                      self->do_write();
                    });
  }

  void do_close() {
    if (close_sent_ || !accepted_) return;
    close_sent_ = true;
    websocket::close_reason reason(static_cast<websocket::close_code>(*close_code_), close_reason_);
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->finish(*self->close_code_);
    });
  }

  void finish(int code) {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();
    if (accepted_ && server_->ws_handlers && server_->ws_handlers->on_close) {
      server_->ws_handlers->on_close(self, code);
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    close_timer_.cancel();
    server_->ws_sessions.erase(std::static_pointer_cast<WebSocket>(self));
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::string remote_;
  std::uint64_t id_;
  http::request<http::string_body> req_;
  HttpRequest upgrade_;
  std::deque<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  asio::steady_timer close_timer_{ws_.get_executor()};
  bool writing_ = false;
  bool accepted_ = false;
  bool closed_ = false;
  bool close_sent_ = false;
  std::optional<int> close_code_;
  std::string close_reason_;
};

}  // namespace

void start_websocket_session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server,
                             std::string remote, http::request<http::string_body> request,
                             HttpRequest upgrade) {
  const std::uint64_t id = server->next_ws_id++;
  auto ws = std::make_shared<WsSession>(beast::tcp_stream(std::move(socket)), server,
                                        std::move(remote), id);
  server->ws_sessions.insert(ws);
  ws->start(std::move(request), std::move(upgrade));
}

}  // namespace openclaw::sdk
