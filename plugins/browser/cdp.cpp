// The plugin's one Asio translation unit: CDP calls with timers, browser discovery, and DNS for
// the SSRF policy.
#include "cdp.hpp"

#include <boost/asio.hpp>

namespace browser {
namespace asio = boost::asio;
namespace json = boost::json;

struct Cdp::Pending {
  explicit Pending(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  Reply reply;
  std::string method;
};

Cdp::Cdp(asio::io_context& io) : io_(io) {}

Cdp::~Cdp() {
  close("browser connection closed");
}

std::shared_ptr<Cdp> Cdp::connect(asio::io_context& io, const std::string& ws_url,
                                  std::function<void(const std::string&)> on_ready,
                                  std::function<void(const std::string&)> on_closed) {
  std::shared_ptr<Cdp> self(new Cdp(io));
  self->url_ = ws_url;
  self->on_closed_ = std::move(on_closed);
  std::weak_ptr<Cdp> weak = self;
  auto ready = std::make_shared<std::function<void(const std::string&)>>(std::move(on_ready));
  openclaw::sdk::WebSocketClient::Handlers h;
  h.on_open = [weak, ready] {
    if (auto s = weak.lock()) {
      s->open_ = true;
      if (*ready) {
        auto r = std::move(*ready);
        *ready = nullptr;
        r("");
      }
    }
  };
  h.on_message = [weak](std::string text) {
    if (auto s = weak.lock()) s->receive(text);
  };
  h.on_close = [weak, ready](int code, std::string reason) {
    auto s = weak.lock();
    if (!s) return;
    bool was_open = s->open_;
    s->open_ = false;
    std::string why = "browser connection closed (" + std::to_string(code) +
                      (reason.empty() ? "" : ": " + reason) + ")";
    s->fail_all(why);
    if (*ready) {
      auto r = std::move(*ready);
      *ready = nullptr;
      r(reason.empty() ? why : reason);
    } else if (was_open && s->on_closed_) {
      auto c = s->on_closed_;
      c(why);
    }
  };
  openclaw::sdk::WebSocketClient::Options options;
  options.connect_timeout = std::chrono::seconds(10);
  self->ws_ = openclaw::sdk::WebSocketClient::connect(io, ws_url, std::move(h), options);
  return self;
}

void Cdp::call(const std::string& method, json::object params, const std::string& session_id,
               std::chrono::milliseconds timeout, Reply reply) {
  if (!open_ || !ws_) {
    asio::post(io_, [reply = std::move(reply), method] {
      reply(method + ": the browser is not connected", {});
    });
    return;
  }
  long long id = next_id_++;
  auto p = std::make_shared<Pending>(io_);
  p->reply = std::move(reply);
  p->method = method;
  pending_[id] = p;
  p->timer.expires_after(timeout);
  std::weak_ptr<Cdp> weak = shared_from_this();
  p->timer.async_wait([weak, id, timeout](boost::system::error_code ec) {
    if (ec) return;
    auto s = weak.lock();
    if (!s) return;
    auto it = s->pending_.find(id);
    if (it == s->pending_.end()) return;
    auto pending = it->second;
    s->pending_.erase(it);
    pending->reply(pending->method + " timed out after " + std::to_string(timeout.count()) + " ms",
                   {});
  });
  ws_->send(cdp_request(id, method, std::move(params), session_id));
}

void Cdp::receive(const std::string& text) {
  json::value v;
  boost::system::error_code ec;
  v = json::parse(text, ec);
  if (ec || !v.is_object()) return;
  auto& o = v.get_object();
  if (auto* id = o.if_contains("id"); id && id->is_int64()) {
    auto it = pending_.find(id->as_int64());
    if (it == pending_.end()) return;
    auto p = it->second;
    pending_.erase(it);
    p->timer.cancel();
    if (auto* err = o.if_contains("error"); err && err->is_object()) {
      std::string message = p->method + ": ";
      if (auto* m = err->get_object().if_contains("message"); m && m->is_string()) {
        message += std::string(m->get_string());
      } else {
        message += "error";
      }
      if (auto* d = err->get_object().if_contains("data"); d && d->is_string()) {
        message += " (" + std::string(d->get_string()) + ")";
      }
      p->reply(message, {});
      return;
    }
    static const json::object empty;
    const json::value* r = o.if_contains("result");
    p->reply("", r && r->is_object() ? r->get_object() : empty);
    return;
  }
  if (auto* m = o.if_contains("method"); m && m->is_string() && event_) {
    static const json::object empty;
    const json::value* params = o.if_contains("params");
    std::string session;
    if (auto* s = o.if_contains("sessionId"); s && s->is_string()) session = s->get_string();
    event_(std::string(m->get_string()),
           params && params->is_object() ? params->get_object() : empty, session);
  }
}

void Cdp::fail_all(const std::string& reason) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    p->timer.cancel();
    p->reply(p->method + ": " + reason, {});
  }
}

void Cdp::close(const std::string& reason) {
  open_ = false;
  on_closed_ = nullptr;
  if (ws_) {
    ws_->close();
    ws_.reset();
  }
  fail_all(reason);
}

void fetch_version(asio::io_context& io, const std::string& origin,
                   std::chrono::milliseconds timeout,
                   std::function<void(const VersionReply&)> done) {
  openclaw::sdk::HttpClientRequest req;
  req.url = origin + "/json/version";
  req.timeout = timeout;
  openclaw::sdk::http_request(
      io, req, [done = std::move(done)](openclaw::sdk::HttpClientResponse res) {
        VersionReply v;
        v.error = res.error;
        v.status = res.status;
        if (res.error.empty() && res.status == 200) {
          boost::system::error_code ec;
          auto body = json::parse(res.body, ec);
          const json::value* ws = !ec && body.is_object()
                                      ? body.get_object().if_contains("webSocketDebuggerUrl")
                                      : nullptr;
          if (ws && ws->is_string()) v.websocket_url = std::string(ws->get_string());
        }
        done(v);
      });
}

void resolve_host(asio::io_context& io, const std::string& host,
                  std::function<void(const std::string&, std::vector<std::string>)> done) {
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(io);
  resolver->async_resolve(
      host, "80",
      [resolver, done = std::move(done), host](boost::system::error_code ec,
                                               asio::ip::tcp::resolver::results_type results) {
        std::vector<std::string> out;
        if (ec) return done("cannot resolve " + host + ": " + ec.message(), out);
        for (const auto& r : results) {
          out.push_back(r.endpoint().address().to_string());
        }
        done("", out);
      });
}

}  // namespace browser
