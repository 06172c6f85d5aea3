// webhook: a channel over plain HTTP. Inbound `POST /hooks/<name>` on the gateway's port, signed
// with a shared secret (HMAC-SHA256 over "<timestamp>.<body>", a replay window) or carrying a
// bearer token; the message is answered 202 once the host has queued it durably. Replies are
// POSTed, signed the same way, to `channels.webhook.replyUrl`. Public SDK only.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <openclaw/sdk/auth.hpp>
#include <openclaw/sdk/channels.hpp>
#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/config_schema.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/plugin_export.hpp>
#include <openclaw/sdk/queue.hpp>

#include "signature.hpp"

namespace sdk = openclaw::sdk;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBlock = "plugins.entries.webhook.config";
constexpr const char* kLegacyBlock = "channels.webhook";

struct Settings {
  std::string block = kLegacyBlock;  // where the settings were found, for messages
  bool configured = false;
  bool enabled = true;
  std::string secret;  // HMAC key
  std::string token;   // bearer token
  std::string reply_url;
  std::string ca_file;
  std::size_t max_body = 64 * 1024;
  std::int64_t tolerance_s = 300;
  std::int64_t retry_s = 3600;  // how long a failing reply is retried before it is dead-lettered
  std::set<std::string> hooks;  // allowed names; empty: any
};

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Settings settings_of(const json::object& root, std::vector<sdk::ConfigProblem>* problems) {
  Settings s;
  // OpenClaw knows no "webhook" channel and refuses channels.webhook ("unknown channel id"): the
  // block lives in this plugin's own entry, plugins.entries.webhook.config; channels.webhook,
  // where earlier versions kept it, is still read when that is absent.
  sdk::ConfigBlock own(root, kBlock, problems);
  sdk::ConfigBlock legacy(root, kLegacyBlock, own.present() ? nullptr : problems);
  sdk::ConfigBlock& c = own.present() ? own : legacy;
  s.block = c.path();
  if (!c.present()) return s;
  const auto& o = *c.object();
  c.boolean("enabled", s.enabled);
  c.string("secret", s.secret);
  c.string("token", s.token);
  if (!s.secret.empty() && s.secret.size() < 16)
    c.problem("secret", "must be at least 16 characters");
  for (auto [file_key, target] :
       {std::pair{"secretFile", &s.secret}, std::pair{"tokenFile", &s.token}}) {
    std::string f;
    c.string(file_key, f);
    if (f.empty()) continue;
    try {
      *target = sdk::read_secret_file(f);
    } catch (const std::exception& e) {
      c.problem(file_key, e.what());
    }
  }
  c.string("replyUrl", s.reply_url);
  if (!s.reply_url.empty()) {
    auto u = sdk::Url::parse(s.reply_url);
    if (!u || (u->scheme != "http" && u->scheme != "https"))
      c.problem("replyUrl", "must be an http(s) URL");
  }
  c.string("caFile", s.ca_file);
  int max_body = static_cast<int>(s.max_body), tolerance = static_cast<int>(s.tolerance_s);
  c.integer("maxBodyBytes", max_body, 256, 1 << 20);
  c.integer("toleranceSeconds", tolerance, 1, 3600);
  s.max_body = static_cast<std::size_t>(max_body);
  s.tolerance_s = tolerance;
  int retry = static_cast<int>(s.retry_s);
  c.integer("replyRetrySeconds", retry, 1, 7 * 24 * 3600);
  s.retry_s = retry;
  if (auto* r = sdk::ConfigSchemaRecorder::active())  // read by hand below: `config schema`
    r->record(std::string(c.path()) + ".hooks", "list of hook names", "[]");
  if (const auto* v = o.if_contains("hooks")) {
    if (!v->is_array()) {
      c.problem("hooks", "must be a list of hook names");
    } else {
      for (const auto& h : v->get_array()) {
        if (h.is_string())
          s.hooks.insert(std::string(h.get_string()));
        else
          c.problem("hooks", "must hold strings");
      }
    }
  }
  s.configured = !s.secret.empty() || !s.token.empty();
  if (!s.configured && s.enabled && problems) {
    c.problem("secret",
              "the webhook needs secret/secretFile (signed requests) or token/tokenFile (bearer)");
  }
  return s;
}

sdk::HttpResponse answer(int status, const std::string& code, const std::string& message) {
  return sdk::HttpResponse::error(status, code, message);
}

std::string header_of(const sdk::HttpRequest& r, const char* name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

// What was accepted within the replay window: a 60-bit hash per request (its id, or its
// signature), on disk as a DurableLog of "<unix seconds> <hex>" lines, so a restart still refuses a
// replay. In memory two flat arrays, an open-addressing hash set and a time-ordered ring (~40 bytes
// an entry): tens of thousands of small nodes, allocated between the messages of a burst and kept
// for the whole window, would pin the heap's pages long after the burst (RSS stayed +25 MB).
class ReplayWindow {
 public:
  void open(boost::asio::io_context& io, const std::filesystem::path& file, std::int64_t oldest) {
    log_ = sdk::DurableLog::open(io, file);
    std::vector<std::pair<std::int64_t, std::uint64_t>> lines;
    for (const auto& line : log_->lines_at_open()) {
      char* end = nullptr;
      long long at = std::strtoll(line.c_str(), &end, 10);
      if (!end || *end != ' ' || at < oldest) continue;
      lines.emplace_back(at, std::strtoull(end + 1, nullptr, 16) | kMark);
    }
    log_->release_lines_at_open();
    std::sort(lines.begin(), lines.end());
    for (const auto& [at, h] : lines) {
      if (insert(h)) order_.emplace_back(at, h);
    }
    compact();
  }
  void close() { log_.reset(); }
  bool contains(const std::string& key) const { return find(hash(key)) != npos; }
  /// Records `key` at `at`; `durable` runs once it is on disk (at once without a journal).
  void add(const std::string& key, std::int64_t at, std::function<void()> durable) {
    std::uint64_t h = hash(key);
    if (insert(h)) order_.emplace_back(at, h);
    if (!log_) return durable();
    log_->append(line_of(at, h),
                 [durable = std::move(durable)](bool, const std::string&) { durable(); });
  }
  /// Forgets `key` (it was not accepted after all). Its line on disk stays until the next
  /// rewrite: a restart may refuse that one resend as a replay, never accept a replay.
  void remove(const std::string& key) {
    if (auto i = find(hash(key)); i != npos) {
      slots_[i] = kErased;
      --live_;
    }
  }
  void prune(std::int64_t oldest) {
    while (head_ < order_.size() && order_[head_].first < oldest)
      remove_hash(order_[head_++].second);
    if (head_ == order_.size()) {
      std::vector<std::pair<std::int64_t, std::uint64_t>>().swap(order_);
      head_ = 0;
    } else if (head_ > 1024 && head_ * 2 > order_.size()) {
      order_.erase(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(head_));
      order_.shrink_to_fit();
      head_ = 0;
    }
    if (live_ == 0) {
      std::vector<std::uint64_t>().swap(slots_);
      used_ = 0;
    } else if (slots_.size() > 64 && live_ * 8 < slots_.size()) {
      rehash(live_ * 4);
    }
    compact();
  }

 private:
  static constexpr std::uint64_t kEmpty = 0, kErased = 1,
                                 kMark = 1ull << 62;  // live hashes have bit 62
  static constexpr std::size_t npos = ~std::size_t{0};
  static std::uint64_t hash(const std::string& key) {
    return (std::hash<std::string>{}(key) & ((1ull << 60) - 1)) | kMark;
  }
  static std::string line_of(std::int64_t at, std::uint64_t h) {
    char line[40];
    std::snprintf(line, sizeof line, "%lld %llx", static_cast<long long>(at),
                  static_cast<unsigned long long>(h & ~kMark));
    return line;
  }
  std::size_t find(std::uint64_t h) const {
    if (slots_.empty()) return npos;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return i;
      if (slots_[i] == kEmpty) return npos;
    }
  }
  bool insert(std::uint64_t h) {
    if (find(h) != npos) return false;
    if ((used_ + 1) * 2 > slots_.size()) rehash(std::max<std::size_t>(live_ * 4, 64));
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i] != kEmpty && slots_[i] != kErased) i = (i + 1) & mask;
    if (slots_[i] == kEmpty) ++used_;
    slots_[i] = h;
    ++live_;
    return true;
  }
  void remove_hash(std::uint64_t h) {
    if (auto i = find(h); i != npos) {
      slots_[i] = kErased;
      --live_;
    }
  }
  void rehash(std::size_t want) {
    std::size_t n = 64;
    while (n < want) n *= 2;
    std::vector<std::uint64_t> old(n, kEmpty);
    old.swap(slots_);
    used_ = live_ = 0;
    for (std::uint64_t h : old) {
      if (h != kEmpty && h != kErased) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = h & mask;
        while (slots_[i] != kEmpty) i = (i + 1) & mask;
        slots_[i] = h;
        ++used_;
        ++live_;
      }
    }
  }
  // The journal keeps every entry ever added; it is rewritten to the live ones once mostly dead.
  void compact() {
    if (!log_ || log_->bytes() < (1u << 20) || log_->bytes() < 4 * 24 * (live_ + 1)) return;
    std::vector<std::string> live;
    live.reserve(live_);
    for (std::size_t i = head_; i < order_.size(); ++i) {
      if (find(order_[i].second) != npos)
        live.push_back(line_of(order_[i].first, order_[i].second));
    }
    log_->rewrite(live);
  }

  std::unique_ptr<sdk::DurableLog> log_;
  std::vector<std::uint64_t>
      slots_;                        ///< open addressing, a power of two; kEmpty / kErased / a hash
  std::size_t used_ = 0, live_ = 0;  ///< slots not empty (erased included), slots holding a hash
  std::vector<std::pair<std::int64_t, std::uint64_t>>
      order_;  ///< by time; entries before head_ are gone
  std::size_t head_ = 0;
};

class Webhook final : public sdk::Plugin {
 public:
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    std::vector<sdk::ConfigProblem> p;
    settings_of(host.root_config(), &p);
    return p;
  }

  void start(sdk::Host& host) override {
    host_ = &host;
    s_ = settings_of(host.root_config(), nullptr);
    channels_ = sdk::start_channel(host, s_.block, s_.enabled,
                                   s_.configured ? "" : s_.block + " has no secret or token");
    if (!channels_) return;
    sdk::ChannelDriver d;
    d.id = "webhook";
    d.text_limit = 60000;
    // Replies are independent HTTP requests: as many at once as the client keeps connections
    // (replies to one chat still go in order).
    d.max_in_flight = sdk::HttpClient::Options{}.max_connections;
    d.retry_for = std::chrono::seconds(s_.retry_s);
    d.send = [this](const sdk::OutboundPart& part, std::function<void(sdk::Delivery)> done) {
      reply(part, std::move(done));
    };
    d.status = [this] { return status(); };
    driver_ = channels_->register_channel(std::move(d));
    http_ = sdk::HttpClient::create(host.io());  // replies reuse their connections
    open_seen(host);
    channels_->report("webhook", "default", true, "");
    host.add_route_async("POST", "/hooks/",
                         [this](const sdk::HttpRequest& r, sdk::HttpResponder respond) {
                           inbound(r, std::move(respond));
                         });
    for (const char* m : {"GET", "PUT", "DELETE", "PATCH", "HEAD"}) {
      host.add_route(m, "/hooks/", [](const sdk::HttpRequest&) {
        auto r = answer(405, "METHOD_NOT_ALLOWED", "hooks take POST");
        r.headers.push_back({"Allow", "POST"});
        return r;
      });
    }
    host.log(sdk::LogLevel::info,
             std::string("webhook: POST /hooks/<name> on the gateway port (") +
                 (s_.secret.empty() ? "bearer token" : "HMAC-SHA256 signatures") + ")" +
                 (s_.reply_url.empty() ? ", no replyUrl: replies are dropped" : ""));
  }

  void stop() override {
    driver_.revoke();
    *alive_ = false;  // replies still in flight must not touch this object
    http_.reset();
    prune_timer_.reset();
    window_.close();
    host_ = nullptr;
  }

  json::value status() const override {
    return json::object{
        {"configured", s_.configured},
        {"auth", s_.secret.empty() ? "bearer" : "hmac-sha256"},
        {"replyUrl", s_.reply_url.empty() ? json::value(nullptr) : json::value(s_.reply_url)},
        {"accepted", accepted_},
        {"refused", refused_},
        {"replies", replies_},
        {"replyErrors", reply_errors_}};
  }

 private:
  // Why a request may not pass, or "" when it may. `status` is set for a refusal.
  std::string authenticate(const sdk::HttpRequest& r, int& status) {
    status = 401;
    auto header = [&](const char* k) {
      auto it = r.headers.find(k);
      return it == r.headers.end() ? std::string() : it->second;
    };
    if (!s_.secret.empty()) {
      std::string sig = header("x-openclaw-signature");
      auto verdict = webhook::verify(s_.secret, header("x-openclaw-timestamp"), sig, r.body,
                                     now_s(), s_.tolerance_s);
      if (!verdict.ok) return verdict.why;
      // The same signed request twice within the window is a replay (recorded once accepted).
      if (window_.contains("s:" + sig)) {
        status = 409;
        return "replayed request (this signature was already accepted)";
      }
      return "";
    }
    // "bearer" in any case (RFC 7235), the token trimmed; an empty token never matches.
    auto token = sdk::bearer_token(header("authorization"));
    if (!token || !sdk::constant_time_equals(*token, s_.token)) {
      return "missing or wrong bearer token";
    }
    return "";
  }

  void open_seen(sdk::Host& host) {
    try {
      window_.open(host.io(), host.data_dir() / "seen.journal", now_s() - s_.tolerance_s - 1);
    } catch (const std::exception& e) {
      host.log(sdk::LogLevel::warn,
               std::string("webhook: replays are refused only until a restart: ") + e.what());
    }
    // Entries age out on a timer, not only when requests come: after a burst the window's memory
    // is given back once the window has passed.
    prune_timer_ = std::make_unique<boost::asio::steady_timer>(host.io());
    schedule_prune();
  }

  void schedule_prune() {
    prune_timer_->expires_after(std::chrono::seconds(1));
    prune_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      window_.prune(now_s() - s_.tolerance_s - 1);
      schedule_prune();
    });
  }

  struct Join {
    int waiting = 1;  // the message itself
    std::function<void()> finish;
    void done() {
      if (--waiting == 0 && finish) finish();
    }
  };

  void inbound(const sdk::HttpRequest& r, sdk::HttpResponder respond) {
    auto refuse = [&](int status, const std::string& code, const std::string& why) {
      ++refused_;
      respond.send(answer(status, code, why));
    };
    std::string name = r.path.substr(std::string("/hooks/").size());
    if (name.empty() || name.size() > 64 || name.find('/') != std::string::npos) {
      return refuse(404, "NOT_FOUND", "POST /hooks/<name>");
    }
    if (!s_.hooks.empty() && !s_.hooks.count(name))
      return refuse(404, "NOT_FOUND", "no hook named " + name);
    if (r.body.size() > s_.max_body) {
      return refuse(413, "PAYLOAD_TOO_LARGE",
                    "the body is over " + std::to_string(s_.max_body) + " bytes");
    }
    int status = 401;
    if (auto why = authenticate(r, status); !why.empty()) {
      return refuse(status, status == 409 ? "REPLAYED" : "UNAUTHORIZED", why);
    }
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object())
      return refuse(400, "INVALID_REQUEST", "the body must be a JSON object");
    const auto& o = v.get_object();
    auto field = [&](const char* k) -> std::optional<std::string> {
      const auto* f = o.if_contains(k);
      if (!f) return std::string();
      if (f->is_string()) return std::string(f->get_string());
      if (f->is_int64()) return std::to_string(f->get_int64());
      return std::nullopt;
    };
    auto text = field("text"), from = field("from"), chat = field("chat"), id = field("id");
    if (!text || !from || !chat || !id)
      return refuse(400, "INVALID_REQUEST", "text, from, chat and id must be strings");
    if (text->empty()) return refuse(400, "INVALID_REQUEST", "text is required");
    if (from->empty()) return refuse(400, "INVALID_REQUEST", "from is required (the sender's id)");
    // A sender retrying (same id, new signature) within the window is answered once.
    // One entry per accepted request in the replay window: its id when it has one (a resend
    // signed anew is then a duplicate too), else its signature.
    std::string key =
        !id->empty() ? "i:" + name + "/" + *id : "s:" + header_of(r, "x-openclaw-signature");
    if (!id->empty() && window_.contains(key)) {
      return refuse(409, "DUPLICATE",
                    "message " + *id + " was already accepted (a replayed or repeated request)");
    }
    sdk::ChannelMessage m;
    m.channel = "webhook";
    m.account = name;
    m.from = *from;
    m.from_name = *from;
    m.chat = chat->empty() ? *from : *chat;
    m.text = *text;
    m.id = *id;
    if (const auto* g = o.if_contains("group"); g && g->is_bool()) m.group = g->get_bool();
    // The 202 waits for the message's own record and for its replay-window entry (both
    // group-committed, side by side): a replay after a restart is refused too.
    auto join = std::make_shared<Join>();
    const bool remembered = key != "s:";
    if (remembered) {
      ++join->waiting;
      window_.add(key, now_s(), [join] { join->done(); });
    }
    channels_->receive(std::move(m), [this, alive = alive_, respond, key, remembered, join](
                                         bool ok, const std::string& why) {
      join->finish = [this, alive, respond, key, remembered, ok, why] {
        if (!*alive)
          return (void)respond.send(answer(503, "UNAVAILABLE", "the webhook plugin stopped"));
        if (ok) {
          ++accepted_;
          respond.send(
              sdk::HttpResponse::text(202, R"({"ok":true,"queued":true})", "application/json"));
          return;
        }
        ++refused_;
        bool dup = why.find("already queued") != std::string::npos;
        if (!dup && remembered) window_.remove(key);  // not accepted: it may be sent again
        auto res = answer(dup ? 409 : 503, dup ? "DUPLICATE" : "UNAVAILABLE", why);
        if (!dup) res.headers.push_back({"Retry-After", "1"});
        respond.send(std::move(res));
      };
      join->done();
    });
  }

  // POSTs one reply part to replyUrl. The body and the Idempotency-Key header carry the part's key
  // (the same for every attempt, across restarts) so the receiver can drop a redelivery.
  void reply(const sdk::OutboundPart& part, std::function<void(sdk::Delivery)> done) {
    if (s_.reply_url.empty()) {
      sdk::Delivery d{false, s_.block + ".replyUrl is not set", {}, 0};
      d.permanent = true;
      done(std::move(d));
      return;
    }
    std::string body = json::serialize(json::object{{"channel", "webhook"},
                                                    {"hook", part.account},
                                                    {"to", part.to},
                                                    {"text", part.text},
                                                    {"id", part.key},
                                                    {"redelivery", part.redelivery}});
    sdk::HttpClientRequest req;
    req.method = "POST";
    req.url = s_.reply_url;
    req.body = body;
    req.timeout = 10s;
    req.ca_file = s_.ca_file;
    if (!s_.secret.empty()) {
      std::string ts = std::to_string(now_s());
      req.headers = {{"X-OpenClaw-Timestamp", ts},
                     {"X-OpenClaw-Signature", webhook::sign(s_.secret, ts, body)}};
    } else {
      req.headers = {{"Authorization", "Bearer " + s_.token}};
    }
    req.headers.push_back({"Idempotency-Key", part.key});
    if (part.redelivery)
      req.headers.push_back({"X-OpenClaw-Redelivery", std::to_string(part.attempt)});
    http_->request(std::move(req), [this, alive = alive_,
                                    done = std::move(done)](sdk::HttpClientResponse res) {
      if (!*alive) return done(sdk::Delivery{false, "the webhook plugin stopped", {}, 0});
      if (res.error.empty() && res.status / 100 == 2) {
        ++replies_;
        done(sdk::Delivery{true, {}, {}, 1});
        return;
      }
      ++reply_errors_;
      std::string why =
          res.error.empty() ? "replyUrl answered HTTP " + std::to_string(res.status) : res.error;
      if (channels_) channels_->report("webhook", "default", true, why);
      sdk::Delivery d{false, why, {}, 0};
      // A refusal the receiver means (4xx but timeout, too early, too many) will not change.
      d.permanent = res.error.empty() && res.status / 100 == 4 && res.status != 408 &&
                    res.status != 425 && res.status != 429;
      done(std::move(d));
    });
  }

  sdk::Host* host_ = nullptr;
  sdk::Channels* channels_ = nullptr;
  ReplayWindow window_;
  std::unique_ptr<boost::asio::steady_timer> prune_timer_;

  sdk::Registration driver_;
  Settings s_;
  std::int64_t accepted_ = 0, refused_ = 0, replies_ = 0, reply_errors_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<sdk::HttpClient> http_;
};

}  // namespace

OPENCLAW_PLUGIN(Webhook)
