// The one Beast/OpenSSL translation unit of the SDK's clients: HTTP and WebSocket (see
// http_client.hpp) and the TCP/TLS stream (tcp_client.hpp), sharing the TLS setup.
#include "openclaw/sdk/http_client.hpp"
#include "openclaw/sdk/tcp_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <map>
#include <set>

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

namespace openclaw::sdk {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return "timed out";
  return ec.message();
}

// "" when `url` suits the client (tls tells whether it is encrypted), else why not.
std::string scheme_problem(const Url& url, bool websocket_wanted, bool& tls) {
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
// Peers are always verified: the certificate chain and the host name.
std::shared_ptr<ssl::context> tls_context(const std::string& ca_file, std::string& error) {
  auto make = [&](const std::string& file) -> std::shared_ptr<ssl::context> {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
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

// The TLS error text a user can act on ("certificate verify failed: self-signed certificate").
std::string describe_tls(const boost::system::error_code& ec, SSL* handle) {
  std::string what = describe(ec);
  if (handle) {
    long v = SSL_get_verify_result(handle);
    if (v != X509_V_OK) what += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
  }
  return what;
}

// Resolves `host`, or, for an IP literal (the common case on loopback), skips the resolver:
// Asio resolves on a thread of its own, a handoff each way that a literal does not need.
template <typename Handler>
void resolve(tcp::resolver& resolver, const std::string& host, int port, Handler&& handler) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (!ec) {
    auto results = tcp::resolver::results_type::create(
        tcp::endpoint(addr, static_cast<unsigned short>(port)), host, std::to_string(port));
    asio::post(resolver.get_executor(), [h = std::forward<Handler>(handler), results]() mutable {
      h(boost::system::error_code{}, results);
    });
    return;
  }
  resolver.async_resolve(host, std::to_string(port), std::forward<Handler>(handler));
}

// Plain and TLS streams behind one set of operations.
template <typename Stream>
struct Transport;

template <>
struct Transport<beast::tcp_stream> {
  static SSL* handle(beast::tcp_stream&) { return nullptr; }
  template <typename Handler>
  static void handshake(beast::tcp_stream&, const std::string&, Handler&& h) {
    h(boost::system::error_code{});
  }
};

template <>
struct Transport<beast::ssl_stream<beast::tcp_stream>> {
  using S = beast::ssl_stream<beast::tcp_stream>;
  static SSL* handle(S& s) { return s.native_handle(); }
  template <typename Handler>
  static void handshake(S& s, const std::string& host, Handler&& h) {
    // SNI, and the certificate must name this host.
    if (!SSL_set_tlsext_host_name(s.native_handle(), host.c_str())) {
      return h(boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                         asio::error::get_ssl_category()));
    }
    s.set_verify_callback(ssl::host_name_verification(host));
    s.async_handshake(ssl::stream_base::client, std::forward<Handler>(h));
  }
};

}  // namespace

// ---- HTTP client ---------------------------------------------------------------------------

namespace {

// The request on the wire: method, target, Host, our User-Agent, the caller's headers, and a body
// with its Content-Type when there is one (or the method is POST/PUT).
void build_request(http::request<http::string_body>& out, const HttpClientRequest& req,
                   const Url& url, bool keep_alive) {
  auto verb = http::string_to_verb(req.method);
  out.method(verb == http::verb::unknown ? http::verb::get : verb);
  if (verb == http::verb::unknown) out.method_string(req.method);
  out.target(url.target);
  out.version(11);
  out.set(http::field::host, url.host + ":" + std::to_string(url.port));
  out.set(http::field::user_agent, "openclaw-host");
  out.keep_alive(keep_alive);
  for (auto& [k, v] : req.headers) out.set(k, v);
  if (!req.body.empty() || verb == http::verb::post || verb == http::verb::put) {
    out.set(http::field::content_type, req.content_type);
    out.body() = req.body;
    out.prepare_payload();
  }
}

HttpClientResponse response_of(http::response<http::string_body>& res) {
  HttpClientResponse r;
  r.status = static_cast<int>(res.result_int());
  for (const auto& f : res) r.headers[lower(f.name_string())] = std::string(f.value());
  r.body = std::move(res.body());
  return r;
}

template <typename Stream>
struct HttpExchange : std::enable_shared_from_this<HttpExchange<Stream>> {
  template <typename... Args>
  HttpExchange(asio::io_context& io, Args&&... args)
      : resolver(io), stream(io, std::forward<Args>(args)...), deadline(io) {}

  tcp::resolver resolver;
  Stream stream;
  asio::steady_timer deadline;
  std::shared_ptr<ssl::context> tls;  // kept alive with the stream
  HttpClientRequest req;
  Url url;
  http::request<http::string_body> out;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  std::function<void(HttpClientResponse)> done;
  bool timed_out = false;

  void finish(HttpClientResponse r) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    deadline.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream).close();
    d(std::move(r));
  }

  void fail(const std::string& what, const std::string& why) {
    HttpClientResponse r;
    if (timed_out) {
      r.error = req.method + " " + req.url + ": timed out after " +
                std::to_string(req.timeout.count()) + " ms";
    } else {
      r.error = req.method + " " + req.url + ": " + what + ": " + why;
    }
    finish(std::move(r));
  }

  void run() {
    auto self = this->shared_from_this();
    deadline.expires_after(req.timeout);
    deadline.async_wait([self](boost::system::error_code ec) {
      if (ec || !self->done) return;
      self->timed_out = true;
      self->resolver.cancel();
      beast::get_lowest_layer(self->stream).cancel();
    });
    resolve(resolver, url.host, url.port,
            [self](boost::system::error_code ec, tcp::resolver::results_type r) {
              if (ec) return self->fail("resolve " + self->url.host, describe(ec));
              beast::get_lowest_layer(self->stream)
                  .async_connect(r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
                    if (ec2) return self->fail("connect", describe(ec2));
                    Transport<Stream>::handshake(
                        self->stream, self->url.host, [self](boost::system::error_code ec3) {
                          if (ec3) {
                            return self->fail(
                                "TLS handshake",
                                describe_tls(ec3, Transport<Stream>::handle(self->stream)));
                          }
                          self->send();
                        });
                  });
            });
  }

  void send() {
    build_request(out, req, url, false);
    auto self = this->shared_from_this();
    http::async_write(stream, out, [self](boost::system::error_code ec, std::size_t) {
      if (ec) return self->fail("send", describe(ec));
      self->parser.emplace();
      self->parser->body_limit(self->req.body_limit);
      if (self->req.method == "HEAD")
        self->parser->skip(true);  // headers only, whatever the length
      http::async_read(
          self->stream, self->buffer, *self->parser,
          [self](boost::system::error_code ec2, std::size_t) {
            // A TLS peer that closes without close_notify after a complete
            // response is common and harmless.
            if (ec2 && !(ec2 == ssl::error::stream_truncated && self->parser->is_done())) {
              return self->fail("read response", describe(ec2));
            }
            self->finish(response_of(self->parser->get()));
          });
    });
  }
};

}  // namespace

void http_request(asio::io_context& io, HttpClientRequest request,
                  std::function<void(HttpClientResponse)> done) {
  auto url = Url::parse(request.url);
  std::string problem;
  bool tls = false;
  std::shared_ptr<ssl::context> ctx;
  if (!url) {
    problem = "not an absolute URL: \"" + request.url + "\"";
  } else {
    problem = scheme_problem(*url, false, tls);
    if (problem.empty() && tls) ctx = tls_context(request.ca_file, problem);
  }
  auto start = [&](auto x) {
    x->done = std::move(done);
    x->req = std::move(request);
    x->tls = ctx;
    if (!problem.empty()) {
      asio::post(io, [x, problem] {
        HttpClientResponse r;
        r.error = problem;
        x->finish(std::move(r));
      });
      return;
    }
    x->url = *url;
    asio::post(io, [x] { x->run(); });
  };
  if (tls && ctx) {
    start(std::make_shared<HttpExchange<beast::ssl_stream<beast::tcp_stream>>>(io, *ctx));
  } else {
    start(std::make_shared<HttpExchange<beast::tcp_stream>>(io));
  }
}

// ---- HTTP client with kept connections -------------------------------------------------------

namespace {

struct PooledJob {
  HttpClientRequest req;
  Url url;
  std::function<void(HttpClientResponse)> done;
  bool retried = false;

  void finish(HttpClientResponse r) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    d(std::move(r));
  }
  void fail(const std::string& why) {
    HttpClientResponse r;
    r.error = req.method + " " + req.url + ": " + why;
    finish(std::move(r));
  }
};

struct PooledConnBase {
  virtual ~PooledConnBase() = default;
  virtual void send(std::shared_ptr<PooledJob> job) = 0;
  virtual void close() = 0;
  std::chrono::steady_clock::time_point idle_since;
};

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  struct Pool {
    std::vector<std::shared_ptr<PooledConnBase>> idle;
    std::set<PooledConnBase*> busy;
    std::size_t open = 0;
    std::deque<std::shared_ptr<PooledJob>> waiting;
  };
  Impl(asio::io_context& c, HttpClient::Options o) : io(c), options(o) {}
  asio::io_context& io;
  HttpClient::Options options;
  std::map<std::string, Pool> pools;
  std::map<PooledConnBase*, std::shared_ptr<PooledConnBase>> live;  // every open connection
  bool closed = false;

  void submit(std::shared_ptr<PooledJob> job);
  std::shared_ptr<PooledConnBase> make(const std::string& key,
                                       const std::shared_ptr<PooledJob>& job, std::string& problem);
  // A connection finished a job: reusable (back to the pool, or straight to the next job) or gone.
  void released(const std::string& key, PooledConnBase* conn, bool reusable);
  std::size_t open_connections() const { return live.size(); }
  void close_all() {
    closed = true;
    auto conns = std::move(live);
    live.clear();
    for (auto& [p, c] : conns) c->close();
    for (auto& [k, pool] : pools) {
      for (auto& j : pool.waiting) j->fail("the client was closed");
    }
    pools.clear();
  }
};

namespace {

template <typename Stream>
struct PooledConn final : PooledConnBase, std::enable_shared_from_this<PooledConn<Stream>> {
  template <typename... Args>
  PooledConn(std::weak_ptr<HttpClient::Impl> o, std::string k, asio::io_context& io, Args&&... args)
      : owner(std::move(o)),
        key(std::move(k)),
        resolver(io),
        stream(io, std::forward<Args>(args)...),
        deadline(io) {}

  std::weak_ptr<HttpClient::Impl> owner;
  std::string key;
  tcp::resolver resolver;
  Stream stream;
  asio::steady_timer deadline;
  std::shared_ptr<ssl::context> tls;
  beast::flat_buffer buffer;
  std::optional<http::request<http::string_body>> out;
  std::optional<http::response_parser<http::string_body>> parser;
  std::shared_ptr<PooledJob> job;
  bool connected = false;
  bool reused = false;
  bool timed_out = false;
  bool dead = false;

  void close() override {
    dead = true;
    deadline.cancel();
    resolver.cancel();
    boost::system::error_code ig;
    beast::get_lowest_layer(stream).socket().close(ig);
    if (job) {
      auto j = std::move(job);
      j->fail("the client was closed");
    }
  }

  void send(std::shared_ptr<PooledJob> j) override {
    job = std::move(j);
    timed_out = false;
    auto self = this->shared_from_this();
    deadline.expires_after(job->req.timeout);
    deadline.async_wait([self](boost::system::error_code ec) {
      if (ec || !self->job) return;
      self->timed_out = true;
      self->resolver.cancel();
      beast::get_lowest_layer(self->stream).cancel();
    });
    if (connected) {
      reused = true;
      return write();
    }
    reused = false;
    resolve(resolver, job->url.host, job->url.port,
            [self](boost::system::error_code ec, tcp::resolver::results_type r) {
              if (self->dead) return;
              if (ec) return self->failed("resolve " + self->job->url.host, describe(ec), false);
              beast::get_lowest_layer(self->stream)
                  .async_connect(r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
                    if (self->dead) return;
                    if (ec2) return self->failed("connect", describe(ec2), false);
                    Transport<Stream>::handshake(
                        self->stream, self->job->url.host, [self](boost::system::error_code ec3) {
                          if (self->dead) return;
                          if (ec3)
                            return self->failed(
                                "TLS handshake",
                                describe_tls(ec3, Transport<Stream>::handle(self->stream)), false);
                          self->connected = true;
                          self->write();
                        });
                  });
            });
  }

  void write() {
    out.emplace();
    build_request(*out, job->req, job->url, true);
    auto self = this->shared_from_this();
    http::async_write(stream, *out, [self](boost::system::error_code ec, std::size_t) {
      if (self->dead) return;
      // A kept connection the server closed meanwhile fails here or with an empty read: retried.
      if (ec) return self->failed("send", describe(ec), self->reused);
      self->parser.emplace();
      self->parser->body_limit(self->job->req.body_limit);
      if (self->job->req.method == "HEAD") self->parser->skip(true);
      http::async_read(self->stream, self->buffer, *self->parser,
                       [self](boost::system::error_code ec2, std::size_t n) {
                         if (self->dead) return;
                         if (ec2)
                           return self->failed("read response", describe(ec2),
                                               self->reused && n == 0 && !self->parser->got_some());
                         bool keep = self->parser->get().keep_alive();
                         HttpClientResponse r = response_of(self->parser->get());
                         self->deadline.cancel();
                         auto j = std::move(self->job);
                         self->give_back(keep);
                         j->finish(std::move(r));
                       });
    });
  }

  void failed(const std::string& what, const std::string& why, bool retry) {
    deadline.cancel();
    auto j = std::move(job);
    dead = true;
    boost::system::error_code ig;
    beast::get_lowest_layer(stream).socket().close(ig);
    auto o = owner.lock();
    if (o) o->released(key, this, false);
    if (retry && !timed_out && !j->retried && o && !o->closed) {
      j->retried = true;
      o->submit(std::move(j));
      return;
    }
    if (timed_out)
      return j->fail("timed out after " + std::to_string(j->req.timeout.count()) + " ms");
    j->fail(what + ": " + why);
  }

  void give_back(bool keep) {
    idle_since = std::chrono::steady_clock::now();
    if (!keep) {
      dead = true;
      boost::system::error_code ig;
      beast::get_lowest_layer(stream).socket().close(ig);
    }
    if (auto o = owner.lock()) o->released(key, this, keep);
  }
};

}  // namespace

std::shared_ptr<PooledConnBase> HttpClient::Impl::make(const std::string& key,
                                                       const std::shared_ptr<PooledJob>& job,
                                                       std::string& problem) {
  bool tls = false;
  problem = scheme_problem(job->url, false, tls);
  if (!problem.empty()) return nullptr;
  if (!tls) return std::make_shared<PooledConn<beast::tcp_stream>>(weak_from_this(), key, io);
  auto ctx = tls_context(job->req.ca_file, problem);
  if (!ctx) return nullptr;
  auto c = std::make_shared<PooledConn<beast::ssl_stream<beast::tcp_stream>>>(weak_from_this(), key,
                                                                              io, *ctx);
  c->tls = ctx;
  return c;
}

void HttpClient::Impl::submit(std::shared_ptr<PooledJob> job) {
  if (closed) return job->fail("the client was closed");
  const std::string key = job->url.origin() + "|" + job->req.ca_file;
  auto& pool = pools[key];
  auto now = std::chrono::steady_clock::now();
  if (job->retried) {
    // A kept connection just proved dead: its idle siblings most likely are too (a server
    // restart), and the retry must not meet one.
    for (auto& conn : pool.idle) {
      live.erase(conn.get());
      --pool.open;
      conn->close();
    }
    pool.idle.clear();
  }
  while (!pool.idle.empty()) {
    auto conn = pool.idle.back();
    pool.idle.pop_back();
    if (now - conn->idle_since >
        options.idle_timeout) {  // the server may have dropped it: don't bet on it
      live.erase(conn.get());
      --pool.open;
      conn->close();
      continue;
    }
    pool.busy.insert(conn.get());
    return conn->send(std::move(job));
  }
  if (pool.open >= options.max_connections) {
    pool.waiting.push_back(std::move(job));
    return;
  }
  std::string problem;
  auto conn = make(key, job, problem);
  if (!conn) return job->fail(problem);
  ++pool.open;
  live[conn.get()] = conn;
  pool.busy.insert(conn.get());
  conn->send(std::move(job));
}

void HttpClient::Impl::released(const std::string& key, PooledConnBase* conn, bool reusable) {
  auto it = pools.find(key);
  if (it == pools.end()) return;
  auto& pool = it->second;
  pool.busy.erase(conn);
  auto l = live.find(conn);
  if (l == live.end()) return;
  if (!reusable) {
    --pool.open;
    auto keep_alive_until_return = l->second;  // the connection is inside its own callback
    live.erase(l);
    asio::post(io, [keep_alive_until_return] {});
    if (!pool.waiting.empty()) {
      auto next = std::move(pool.waiting.front());
      pool.waiting.pop_front();
      submit(std::move(next));
    }
    return;
  }
  auto conn_ptr = l->second;
  if (!pool.waiting.empty()) {
    auto next = std::move(pool.waiting.front());
    pool.waiting.pop_front();
    pool.busy.insert(conn);
    // On a fresh turn: the caller is still inside the connection's read handler.
    asio::post(io,
               [conn_ptr, next = std::move(next)]() mutable { conn_ptr->send(std::move(next)); });
    return;
  }
  pool.idle.push_back(conn_ptr);
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() {
  impl_->close_all();
}

std::unique_ptr<HttpClient> HttpClient::create(asio::io_context& io, Options options) {
  return std::unique_ptr<HttpClient>(new HttpClient(std::make_shared<Impl>(io, options)));
}

std::unique_ptr<HttpClient> HttpClient::create(asio::io_context& io) {
  return create(io, Options{});
}

void HttpClient::request(HttpClientRequest request, std::function<void(HttpClientResponse)> done) {
  auto job = std::make_shared<PooledJob>();
  job->done = std::move(done);
  auto url = Url::parse(request.url);
  job->req = std::move(request);
  std::weak_ptr<Impl> weak = impl_;
  if (!url) {
    std::string problem = "not an absolute URL: \"" + job->req.url + "\"";
    asio::post(impl_->io, [job, problem] {
      HttpClientResponse r;
      r.error = problem;
      job->finish(std::move(r));
    });
    return;
  }
  job->url = *url;
  asio::post(impl_->io, [weak, job] {
    if (auto impl = weak.lock()) {
      impl->submit(job);
    } else {
      job->fail("the client was closed");
    }
  });
}

std::size_t HttpClient::open_connections() const {
  return impl_->open_connections();
}

// ---- WebSocket client ----------------------------------------------------------------------

struct WebSocketClient::Impl {
  virtual ~Impl() = default;
  virtual void begin(std::string problem) = 0;
  virtual bool send(std::string text) = 0;
  virtual void close(int code) = 0;
  virtual bool is_open() const = 0;
};

namespace {

template <typename Stream>
struct WsImpl final : WebSocketClient::Impl, std::enable_shared_from_this<WsImpl<Stream>> {
  template <typename... Args>
  WsImpl(asio::io_context& io, Args&&... args)
      : io_(io), resolver(io), ws(io, std::forward<Args>(args)...) {}

  asio::io_context& io_;
  tcp::resolver resolver;
  websocket::stream<Stream> ws;
  std::shared_ptr<ssl::context> tls;
  WebSocketClient::Handlers handlers;
  WebSocketClient::Options options;
  Url url;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;
  bool writing = false;
  bool open = false;
  bool closed = false;  // no callbacks any more

  void begin(std::string problem) override {
    auto self = this->shared_from_this();
    if (!problem.empty()) {
      asio::post(io_, [self, problem] { self->end(1006, problem); });
    } else {
      asio::post(io_, [self] {
        if (!self->closed) self->start();
      });
    }
  }

  void end(int code, std::string reason) {
    if (closed) return;
    closed = true;
    open = false;
    queue.clear();
    auto cb = std::move(handlers.on_close);
    handlers = {};
    if (cb) cb(code, std::move(reason));
  }

  void start() {
    auto self = this->shared_from_this();
    beast::get_lowest_layer(ws).expires_after(options.connect_timeout);
    resolve(
        resolver, url.host, url.port,
        [self](boost::system::error_code ec, tcp::resolver::results_type r) {
          if (self->closed) return;
          if (ec) return self->end(1006, "resolve " + self->url.host + ": " + describe(ec));
          beast::get_lowest_layer(self->ws).async_connect(
              r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
                if (self->closed) return;
                if (ec2) {
                  return self->end(1006, "connect " + self->url.origin() + ": " + describe(ec2));
                }
                Transport<Stream>::handshake(
                    self->ws.next_layer(), self->url.host, [self](boost::system::error_code ec3) {
                      if (self->closed) return;
                      if (ec3) {
                        return self->end(1006, "TLS handshake with " + self->url.origin() + ": " +
                                                   describe_tls(ec3, Transport<Stream>::handle(
                                                                         self->ws.next_layer())));
                      }
                      self->handshake();
                    });
              });
        });
  }

  void handshake() {
    auto self = this->shared_from_this();
    ws.read_message_max(options.message_limit);
    // The decorator is stored in the stream this object owns: it must not hold `self` (a cycle
    // that would keep every connection alive forever).
    ws.set_option(websocket::stream_base::decorator(
        [headers = options.headers](websocket::request_type& req) {
          req.set(http::field::user_agent, "openclaw-host");
          for (const auto& [k, v] : headers) req.set(k, v);
        }));
    ws.async_handshake(url.host + ":" + std::to_string(url.port), url.target,
                       [self](boost::system::error_code ec) {
                         if (self->closed) return;
                         if (ec)
                           return self->end(1006, "WebSocket handshake with " + self->url.origin() +
                                                      self->url.target + ": " + describe(ec));
                         beast::get_lowest_layer(self->ws).expires_never();
                         self->ws.set_option(websocket::stream_base::timeout{
                             std::chrono::seconds(10), websocket::stream_base::none(), false});
                         self->open = true;
                         if (self->handlers.on_open) self->handlers.on_open();
                         self->flush();
                         self->read();
                       });
  }

  void read() {
    auto self = this->shared_from_this();
    ws.async_read(buffer, [self](boost::system::error_code ec, std::size_t) {
      if (self->closed) return;
      if (ec) {
        int code = 1006;
        std::string reason = describe(ec);
        if (ec == websocket::error::closed) {
          code = self->ws.reason().code;
          reason = std::string(self->ws.reason().reason.c_str());
        } else if (ec == websocket::error::message_too_big) {
          code = 1009;
          reason = "message too big";
        }
        return self->end(code, reason);
      }
      std::string msg = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      if (self->handlers.on_message) self->handlers.on_message(std::move(msg));
      if (!self->closed) self->read();
    });
  }

  void flush() {
    if (writing || !open || queue.empty()) return;
    writing = true;
    auto self = this->shared_from_this();
    ws.text(true);
    ws.async_write(asio::buffer(queue.front()), [self](boost::system::error_code ec, std::size_t) {
      self->writing = false;
      if (self->closed) return;
      if (ec) return self->end(1006, "send: " + describe(ec));
      self->queue.pop_front();
      self->flush();
    });
  }

  bool send(std::string text) override {
    if (closed) return false;
    queue.push_back(std::move(text));
    flush();
    return true;
  }

  bool is_open() const override { return open; }

  void close(int code) override {
    if (closed) return;
    bool was_open = open;
    closed = true;
    open = false;
    handlers = {};
    queue.clear();
    auto self = this->shared_from_this();
    resolver.cancel();
    if (was_open && !writing) {
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
      ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                     [self](boost::system::error_code) {
                       boost::system::error_code ig;
                       beast::get_lowest_layer(self->ws).socket().close(ig);
                     });
    } else {
      boost::system::error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
    }
  }
};

}  // namespace

WebSocketClient::WebSocketClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocketClient::~WebSocketClient() {
  if (impl_) impl_->close(1000);
}

std::unique_ptr<WebSocketClient> WebSocketClient::connect(asio::io_context& io,
                                                          const std::string& url,
                                                          Handlers handlers) {
  return connect(io, url, std::move(handlers), Options{});
}

std::unique_ptr<WebSocketClient> WebSocketClient::connect(asio::io_context& io,
                                                          const std::string& url, Handlers handlers,
                                                          Options options) {
  auto parsed = Url::parse(url);
  bool tls = false;
  std::shared_ptr<ssl::context> ctx;
  std::string problem =
      parsed ? scheme_problem(*parsed, true, tls) : "not an absolute URL: \"" + url + "\"";
  if (problem.empty() && tls) ctx = tls_context(options.ca_file, problem);
  auto setup = [&](auto impl) -> std::shared_ptr<Impl> {
    impl->handlers = std::move(handlers);
    impl->options = std::move(options);
    impl->tls = ctx;
    if (parsed) impl->url = *parsed;
    impl->begin(problem);
    return impl;
  };
  std::shared_ptr<Impl> impl =
      tls && ctx ? setup(std::make_shared<WsImpl<beast::ssl_stream<beast::tcp_stream>>>(io, *ctx))
                 : setup(std::make_shared<WsImpl<beast::tcp_stream>>(io));
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl)));
}

bool WebSocketClient::send(std::string text) {
  return impl_->send(std::move(text));
}

void WebSocketClient::close(int code) {
  impl_->close(code);
}

bool WebSocketClient::is_open() const {
  return impl_->is_open();
}

// ---- TCP client ----------------------------------------------------------------------------

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
    boost::system::error_code ig;
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
    deadline.async_wait([self](boost::system::error_code ec) {
      if (ec || self->closed || self->open) return;
      self->resolver.cancel();
      boost::system::error_code ig;
      self->stream.lowest_layer().close(ig);
      self->end("connect " + self->where() + ": timed out after " +
                std::to_string(self->options.connect_timeout.count()) + " ms");
    });
    resolve(resolver, host, port,
            [self](boost::system::error_code ec, tcp::resolver::results_type r) {
              if (self->closed) return;
              if (ec) return self->end("resolve " + self->host + ": " + describe(ec));
              asio::async_connect(
                  self->stream.lowest_layer(), r,
                  [self](boost::system::error_code ec2, const tcp::endpoint&) {
                    if (self->closed) return;
                    if (ec2) return self->end("connect " + self->where() + ": " + describe(ec2));
                    boost::system::error_code ig;
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
    stream.async_handshake(ssl::stream_base::client, [self](boost::system::error_code ec) {
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
      s.async_read_some(asio::buffer(buf), [self](boost::system::error_code ec, std::size_t n) {
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
      asio::async_write(s, asio::buffer(queue.front()),
                        [self](boost::system::error_code ec, std::size_t) {
                          self->writing = false;
                          if (self->closed) return;
                          if (ec)
                            return self->end("write to " + self->where() + ": " + describe(ec));
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
      deadline.async_wait([self](boost::system::error_code ec) {
        if (ec) return;
        boost::system::error_code ig;
        self->stream.lowest_layer().close(ig);
      });
      io_op([&](auto& s) {
        asio::async_write(s, asio::buffer(*data),
                          [self, data](boost::system::error_code, std::size_t) {
                            self->deadline.cancel();
                            boost::system::error_code ig;
                            self->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ig);
                            self->stream.lowest_layer().close(ig);
                          });
      });
    } else {
      deadline.cancel();
      boost::system::error_code ig;
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
