#pragma once
// What the HTTP server's translation units share: the server's state (HttpServer::Impl: the
// acceptor, the sessions, the idle list, the counters) and the HTTP session (one connection's
// requests and answers). The acceptor is http_server.cpp, the session http_session.cpp, file
// answers go through file_stream.hpp, WebSocket upgrades to websocket_session.cpp. Internal to
// libopenclaw-sdk.so; Beast's parser stays in http_session.cpp.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "file_stream.hpp"
#include "http_head.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace openclaw::sdk {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class Session;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, AsyncHttpHandler h, Options o)
      : io(io), acceptor(io), accept_timer(io), handler(std::move(h)), options(std::move(o)) {}
  ~Impl() { close_reserve(); }

  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_timer;  ///< the accept loop's pause when descriptors run out
  AsyncHttpHandler handler;
  Options options;
  bool stopped = false;
  std::set<std::shared_ptr<Session>> sessions;
  std::optional<WebSocketHandlers> ws_handlers;
  std::set<std::shared_ptr<WebSocket>> ws_sessions;
  std::uint64_t next_ws_id = 1;
  // HTTP sessions waiting for the first byte of a request, the one idle longest first: an
  // intrusive list (linking and unlinking allocate nothing, once per request).
  Session* idle_first = nullptr;
  Session* idle_last = nullptr;
  int reserve_fd = -1;  ///< /dev/null, given up when accept() runs out of descriptors
  int backoff_ms = 0;
  std::string where;       ///< "127.0.0.1:18789", for warnings
  std::string busy_reply;  ///< the whole 503 answer to a refused newcomer
  Stats counters;
  std::optional<std::chrono::steady_clock::time_point> warned_cap, warned_fds;
  /// Where a small file is read to go out with its head in one call (Session::send_small_file):
  /// one buffer for the server, its sessions run on one thread. Allocated on first use.
  std::unique_ptr<char[]> file_scratch;

  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);
  void admit(tcp::socket socket);
  void start_session(tcp::socket socket);
  void on_out_of_descriptors(const error_code& ec);
  void back_off();
  void await_client();
  bool shed_idle();
  void refuse(tcp::socket& socket);
  void open_reserve();
  void close_reserve();
  void warn(std::optional<std::chrono::steady_clock::time_point>& last, const std::string& what);
  std::size_t connections() const { return sessions.size() + ws_sessions.size(); }
};

// One connection: read a request, answer it, repeat while keep-alive holds.
//
// Requests are read by the session's own parser from a buffer it keeps (see http_head.hpp); only
// a chunked body or a WebSocket upgrade goes through Beast's parser. Timeouts use one timer per
// connection that is re-armed only when it fires before the (moved-on) deadline, not a timer
// update per read and per write: on small keep-alive requests these two were most of the
// server's own time.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server);
  ~Session();

  void start() { next_request(); }
  /// Closes the socket (the server is stopping, or the session ends).
  void close();
  /// Closes and leaves the server's set: the session ends once its handlers have run.
  void finish();

  /// The next session on the server's idle list (see link_idle).
  Session* next_idle() const { return idle_next_; }
  /// True when the next request's bytes have arrived but are not read yet: not idle after all.
  bool has_unread_bytes();

 private:
  struct BeastRead;  // a chunked body or an upgrade, read by Beast's parser (http_session.cpp)

  static constexpr std::size_t kHeaderLimit = 16 * 1024;
  static constexpr std::size_t kInitialBuffer = 4096;
  // A connection whose buffer grew past this for a large body gives it back once idle.
  static constexpr std::size_t kKeptBuffer = 64 * 1024;
  // Files up to this size are read and sent with their head in one call (send_small_file).
  static constexpr std::size_t kSmallFile = 32 * 1024;

  // What the connection waits for when the deadline passes: a read or write (idle), the rest of
  // a request's head or body (408 once its own deadline is past), a handler (504), a file
  // reader.
  enum class Wait { io, head, body, handler, file };
  using Clock = std::chrono::steady_clock;

  // Reading requests.
  void next_request();
  bool parse_head(std::string_view data);
  void clear_request();
  void send_continue();
  void read_more(std::size_t need);
  void send_head_error();
  void answer_timeout();
  void read_with_beast();
  void on_beast_read(error_code ec);
  void link_idle();
  void unlink_idle();

  // Handing a request to the handler.
  std::optional<std::pair<int, std::string>> origin_refusal(std::string_view host,
                                                            std::string_view origin) const;
  void dispatch(bool keep_alive, bool head);
  template <typename F>
  void on_thread(F&& f);
  void on_answer(HttpResponse out, bool keep_alive, bool head);

  // The deadline.
  static Clock::time_point after_ms(int ms);
  void set_deadline(Wait what, int seconds);
  void set_deadline(Wait what, Clock::time_point when);
  void arm_deadline();
  void on_deadline(error_code ec, std::uint64_t gen);

  // Answering.
  void send_error(int status, const std::string& code, const std::string& message);
  void send(HttpResponse out, bool keep_alive, bool head);
  void send_file(HttpFileResponse f, bool keep_alive, bool head);
  bool open_file(const HttpFileResponse& f, int& fd, std::uint64_t& offset, std::uint64_t& length);
  void send_small_file(int fd, std::uint64_t offset, std::size_t length);
  void stream_file(int fd, std::uint64_t offset, std::uint64_t length);
  void format_head(int status, std::string_view content_type,
                   const std::vector<std::pair<std::string, std::string>>& extra,
                   std::optional<std::uint64_t> length, bool keep_alive, bool default_no_store);
  void write_buffered();
  void after_response(error_code ec);
  void response_sent();
  void linger();
  void drain();
  void pump_file();

  tcp::socket socket_;
  std::shared_ptr<HttpServer::Impl> server_;
  // Requests: bytes read and not yet consumed are in_[in_start_, in_end_).
  std::vector<char> in_;
  std::size_t in_start_ = 0, in_end_ = 0;
  /// The request being read (pending_: its body is awaited) or answered; kept from one request
  /// to the next for its strings' capacity.
  HttpRequest request_;
  http_head::RequestHead head_;
  bool pending_ = false;
  bool head_started_ = false;  ///< bytes of a head are buffered: head_deadline_ runs
  Clock::time_point head_deadline_, body_deadline_;
  bool timed_out_ = false;  ///< the head or body deadline passed: the cancelled read answers 408
  // On the server's idle list (see link_idle).
  bool idle_ = false;
  Session* idle_prev_ = nullptr;
  Session* idle_next_ = nullptr;
  std::unique_ptr<BeastRead> beast_;  ///< chunked bodies and upgrades only
  // The deadline (see set_deadline).
  asio::steady_timer deadline_;
  Clock::time_point expiry_;
  Wait wait_ = Wait::io;
  bool timer_armed_ = false;
  std::uint64_t timer_gen_ = 0;
  std::weak_ptr<HttpResponder::State> watch_;  ///< Wait::handler: the responder to answer 504
  bool closed_ = false;
  bool waiting_ = false;  ///< a request was handed to the handler and is not answered yet
  std::string remote_;    ///< the peer's address
  // The response being written: head and (buffered) body, reused from one request to the next.
  std::string out_head_;
  std::string body_;
  bool keep_alive_ = true;
  std::size_t lingered_ = 0;     ///< bytes discarded after a closing answer
  FileStream file_;              ///< a file being sent
  std::uint64_t file_seen_ = 0;  ///< file_.progress() when the stall watch last looked
};

}  // namespace openclaw::sdk
