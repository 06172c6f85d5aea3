// The HTTP client (see http_client.hpp): one exchange, HttpConnection, carries every request;
// http_request() gives it a connection of its own that closes after the answer, HttpClient
// keeps connections per origin and hands each request an idle one.
#include "openclaw/sdk/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "client_transport.hpp"

namespace openclaw::sdk {
namespace http = boost::beast::http;
using namespace client;

namespace {

// One request, and who is told of its answer (exactly once).
struct HttpJob {
  HttpClientRequest req;
  Url url;
  std::function<void(HttpClientResponse)> done;
  bool retried = false;  ///< sent once more after a kept connection turned out closed

  void finish(HttpClientResponse r) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    d(std::move(r));
  }
  // "GET https://host/path: why": which request failed, and why.
  void fail(const std::string& why) {
    HttpClientResponse r;
    r.error = req.method + " " + req.url + ": " + why;
    finish(std::move(r));
  }
  void fail_timed_out() { fail("timed out after " + std::to_string(req.timeout.count()) + " ms"); }
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

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

// A connection to one origin that carries requests one after another; the pool holds it by this
// base, whatever its stream.
struct HttpConnection {
  virtual ~HttpConnection() = default;
  /// Sends `job` (connecting first when not connected yet) and answers it.
  virtual void send(std::shared_ptr<HttpJob> job) = 0;
  /// Closes the socket; a job in flight fails with "the client was closed".
  virtual void close() = 0;
  std::chrono::steady_clock::time_point idle_since;
};

}  // namespace

// The pool: per origin (and CA file), idle connections, the busy ones, and requests waiting for
// one (at most Options::max_connections open per origin).
struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  struct Pool {
    std::vector<std::shared_ptr<HttpConnection>> idle;
    std::set<HttpConnection*> busy;
    std::size_t open = 0;
    std::deque<std::shared_ptr<HttpJob>> waiting;
  };
  Impl(asio::io_context& c, HttpClient::Options o) : io(c), options(o) {}
  asio::io_context& io;
  HttpClient::Options options;
  std::map<std::string, Pool> pools;
  std::map<HttpConnection*, std::shared_ptr<HttpConnection>> live;  // every open connection
  bool closed = false;

  void submit(std::shared_ptr<HttpJob> job);
  // A connection finished a job: reusable (back to the pool, or straight to the next job) or gone.
  void released(const std::string& key, HttpConnection* conn, bool reusable);
  void close_all();

 private:
  void drop_idle(Pool& pool, bool all);
  void next_waiting(Pool& pool);
};

namespace {

// The exchange, on a plain or TLS stream: connect once, then per job write the request, read
// the answer (the job's timeout covers all of it) and either keep the connection for the pool
// or close it. Without an owner (http_request) the request says "Connection: close" and the
// connection ends with its one answer.
template <typename Stream>
class HttpExchange final : public HttpConnection,
                           public std::enable_shared_from_this<HttpExchange<Stream>> {
 public:
  template <typename... Args>
  HttpExchange(std::weak_ptr<HttpClient::Impl> owner, std::string key, bool pooled,
               std::shared_ptr<ssl::context> tls, asio::io_context& io, Args&&... args)
      : owner_(std::move(owner)),
        key_(std::move(key)),
        pooled_(pooled),
        tls_(std::move(tls)),
        resolver_(io),
        stream_(io, std::forward<Args>(args)...),
        deadline_(io) {}

  void send(std::shared_ptr<HttpJob> job) override {
    job_ = std::move(job);
    timed_out_ = false;
    arm_deadline();
    if (connected_) {
      reused_ = true;
      return write();
    }
    reused_ = false;
    auto self = this->shared_from_this();
    open_stream(
        stream_, resolver_, job_->url, [self] { return self->dead_; },
        [self](error_code ec, OpenStep step, const std::string& why) {
          if (!ec) {
            self->connected_ = true;
            return self->write();
          }
          const char* what = step == OpenStep::connect ? "connect" : "TLS handshake";
          self->failed(step == OpenStep::resolve ? "resolve " + self->job_->url.host : what, why,
                       false);
        });
  }

  void close() override {
    dead_ = true;
    deadline_.cancel();
    resolver_.cancel();
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    if (auto job = std::move(job_)) job->fail("the client was closed");
  }

 private:
  void arm_deadline() {
    deadline_.expires_after(job_->req.timeout);
    deadline_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec || !self->job_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::get_lowest_layer(self->stream_).cancel();
    });
  }

  void write() {
    out_.emplace();
    build_request(*out_, job_->req, job_->url, pooled_);
    http::async_write(stream_, *out_,
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        if (self->dead_) return;
                        // A kept connection the server closed meanwhile fails here or with an
                        // empty read: the job is sent once more on a new one.
                        if (ec) return self->failed("send", describe(ec), self->reused_);
                        self->read();
                      });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(job_->req.body_limit);
    if (job_->req.method == "HEAD") parser_->skip(true);  // headers only, whatever the length
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, std::size_t n) {
                       if (self->dead_) return;
                       self->on_read(ec, n);
                     });
  }

  void on_read(error_code ec, std::size_t n) {
    // A TLS peer that closes without close_notify after a complete response is common and
    // harmless; the connection is not reused after it.
    const bool truncated = ec == ssl::error::stream_truncated && parser_->is_done();
    if (ec && !truncated) {
      return failed("read response", describe(ec), reused_ && n == 0 && !parser_->got_some());
    }
    const bool keep = pooled_ && !ec && parser_->get().keep_alive();
    HttpClientResponse r = response_of(parser_->get());
    deadline_.cancel();
    auto job = std::move(job_);
    give_back(keep);
    job->finish(std::move(r));
  }

  void failed(const std::string& what, const std::string& why, bool retry) {
    deadline_.cancel();
    auto job = std::move(job_);
    dead_ = true;
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    auto owner = owner_.lock();
    if (owner) owner->released(key_, this, false);
    if (retry && !timed_out_ && !job->retried && owner && !owner->closed) {
      job->retried = true;
      return owner->submit(std::move(job));
    }
    if (timed_out_) return job->fail_timed_out();
    job->fail(what + ": " + why);
  }

  void give_back(bool keep) {
    idle_since = std::chrono::steady_clock::now();
    if (!keep) {
      dead_ = true;
      error_code ignored;
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream_).socket().close(ignored);
    }
    if (auto owner = owner_.lock()) owner->released(key_, this, keep);
  }

  std::weak_ptr<HttpClient::Impl> owner_;  ///< empty for http_request's one-shot connection
  std::string key_;                        ///< the owner's pool
  bool pooled_;
  std::shared_ptr<ssl::context> tls_;  ///< kept alive with the stream
  tcp::resolver resolver_;
  Stream stream_;
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request<http::string_body>> out_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::shared_ptr<HttpJob> job_;
  bool connected_ = false;
  bool reused_ = false;  ///< the job went out on a connection an earlier job opened
  bool timed_out_ = false;
  bool dead_ = false;
};

// A connection for `job`'s origin: plain or TLS (with the job's CA file). nullptr with `problem`
// set when the URL's scheme is not HTTP or the trust store cannot be loaded.
std::shared_ptr<HttpConnection> make_connection(asio::io_context& io,
                                                std::weak_ptr<HttpClient::Impl> owner,
                                                std::string key, const HttpJob& job,
                                                std::string& problem) {
  bool tls = false;
  problem = scheme_problem(job.url, false, tls);
  if (!problem.empty()) return nullptr;
  const bool pooled = !owner.expired();
  if (!tls) {
    return std::make_shared<HttpExchange<PlainStream>>(std::move(owner), std::move(key), pooled,
                                                       nullptr, io);
  }
  auto ctx = tls_context(job.req.ca_file, problem);
  if (!ctx) return nullptr;
  auto& context = *ctx;
  return std::make_shared<HttpExchange<TlsStream>>(std::move(owner), std::move(key), pooled,
                                                   std::move(ctx), io, context);
}

// A job for `request`, or nullptr when its URL does not parse: the caller is then told so on a
// later turn.
std::shared_ptr<HttpJob> make_job(asio::io_context& io, HttpClientRequest request,
                                  std::function<void(HttpClientResponse)> done) {
  auto job = std::make_shared<HttpJob>();
  job->done = std::move(done);
  auto url = Url::parse(request.url);
  job->req = std::move(request);
  if (!url) {
    asio::post(io, [job] {
      HttpClientResponse r;
      r.error = "not an absolute URL: \"" + job->req.url + "\"";
      job->finish(std::move(r));
    });
    return nullptr;
  }
  job->url = std::move(*url);
  return job;
}

}  // namespace

void http_request(asio::io_context& io, HttpClientRequest request,
                  std::function<void(HttpClientResponse)> done) {
  auto job = make_job(io, std::move(request), std::move(done));
  if (!job) return;
  std::string problem;
  auto conn = make_connection(io, {}, {}, *job, problem);
  asio::post(io, [job, conn, problem] {
    if (!conn) return job->fail(problem);
    conn->send(job);
  });
}

// ---- the pool -------------------------------------------------------------------------------

void HttpClient::Impl::submit(std::shared_ptr<HttpJob> job) {
  if (closed) return job->fail("the client was closed");
  const std::string key = job->url.origin() + "|" + job->req.ca_file;
  auto& pool = pools[key];
  // A kept connection just proved dead: its idle siblings most likely are too (a server
  // restart), and the retry must not meet one.
  drop_idle(pool, job->retried);
  if (!pool.idle.empty()) {
    auto conn = std::move(pool.idle.back());
    pool.idle.pop_back();
    pool.busy.insert(conn.get());
    return conn->send(std::move(job));
  }
  if (pool.open >= options.max_connections) {
    pool.waiting.push_back(std::move(job));
    return;
  }
  std::string problem;
  auto conn = make_connection(io, weak_from_this(), key, *job, problem);
  if (!conn) return job->fail(problem);
  ++pool.open;
  live[conn.get()] = conn;
  pool.busy.insert(conn.get());
  conn->send(std::move(job));
}

// Closes the pool's idle connections: all of them, or those idle longer than the idle timeout
// (the server may have dropped them: not worth betting a request on).
void HttpClient::Impl::drop_idle(Pool& pool, bool all) {
  const auto now = std::chrono::steady_clock::now();
  auto stale = [&](const std::shared_ptr<HttpConnection>& conn) {
    if (!all && now - conn->idle_since <= options.idle_timeout) return false;
    live.erase(conn.get());
    --pool.open;
    conn->close();
    return true;
  };
  pool.idle.erase(std::remove_if(pool.idle.begin(), pool.idle.end(), stale), pool.idle.end());
}

void HttpClient::Impl::next_waiting(Pool& pool) {
  if (pool.waiting.empty()) return;
  auto next = std::move(pool.waiting.front());
  pool.waiting.pop_front();
  submit(std::move(next));
}

void HttpClient::Impl::released(const std::string& key, HttpConnection* conn, bool reusable) {
  auto it = pools.find(key);
  if (it == pools.end()) return;
  auto& pool = it->second;
  pool.busy.erase(conn);
  auto l = live.find(conn);
  if (l == live.end()) return;
  auto conn_ptr = l->second;
  if (!reusable) {
    --pool.open;
    live.erase(l);
    // The connection is inside its own callback: it goes on a later turn.
    asio::post(io, [conn_ptr] {});
    return next_waiting(pool);
  }
  if (pool.waiting.empty()) {
    pool.idle.push_back(std::move(conn_ptr));
    return;
  }
  auto next = std::move(pool.waiting.front());
  pool.waiting.pop_front();
  pool.busy.insert(conn);
  // On a fresh turn: the caller is still inside the connection's read handler.
  asio::post(io, [conn_ptr, next = std::move(next)]() mutable { conn_ptr->send(std::move(next)); });
}

void HttpClient::Impl::close_all() {
  closed = true;
  auto conns = std::move(live);
  live.clear();
  for (auto& [p, c] : conns) c->close();
  for (auto& [k, pool] : pools) {
    for (auto& j : pool.waiting) j->fail("the client was closed");
  }
  pools.clear();
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
  auto job = make_job(impl_->io, std::move(request), std::move(done));
  if (!job) return;
  asio::post(impl_->io, [weak = std::weak_ptr<Impl>(impl_), job] {
    if (auto impl = weak.lock()) return impl->submit(job);
    job->fail("the client was closed");
  });
}

std::size_t HttpClient::open_connections() const {
  return impl_->live.size();
}

}  // namespace openclaw::sdk
