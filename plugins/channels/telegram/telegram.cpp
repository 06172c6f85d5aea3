// telegram: the Telegram channel over the Bot API (HTTPS, certificate verified): getMe at start,
// getUpdates long polling with the offset persisted in the plugin's data dir (an update is
// handed to the host once, across restarts), sendMessage, and backoff on 429 (honouring
// retry_after), 5xx, timeouts and malformed answers. The bot token never appears in logs,
// status or errors, and never on a command line. Public SDK only.

#include <cstdlib>
#include <optional>
#include <random>

#include <boost/json.hpp>

#include <openclaw/sdk/channels.hpp>
#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/plugin_export.hpp>

#include "update.hpp"

namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBlock = "channels.telegram";

struct Settings {
  bool configured = false;
  bool enabled = true;
  std::string token;
  std::string api_root = "https://api.telegram.org";
  std::string ca_file;
  int poll_timeout_s = 30;
};

bool loopback_host(const std::string& h) {
  return h == "127.0.0.1" || h == "localhost" || h == "::1";
}

Settings settings_of(const json::object& root, std::vector<sdk::ConfigProblem>* problems) {
  Settings s;
  sdk::ConfigBlock c(root, kBlock, problems);
  if (!c.present()) return s;
  c.boolean("enabled", s.enabled);
  c.string("botToken", s.token);
  std::string file;
  c.string("tokenFile", file);
  if (!file.empty()) {
    try {
      s.token = sdk::read_secret_file(file);
    } catch (const std::exception& e) {
      c.problem("tokenFile", e.what());
    }
  }
  // A bot token is "<digits>:<35 characters>"; anything else would end up in a URL path.
  if (!s.token.empty()) {
    auto colon = s.token.find(':');
    bool ok = colon != std::string::npos && colon > 0;
    for (char ch : s.token) {
      ok = ok &&
           (std::isalnum(static_cast<unsigned char>(ch)) || ch == ':' || ch == '_' || ch == '-');
    }
    if (!ok)
      c.problem(file.empty() ? "botToken" : "tokenFile",
                "is not a bot token (<digits>:<letters>, from @BotFather)");
  }
  std::string api;
  c.string("apiRoot", api);
  if (!api.empty()) {
    while (!api.empty() && api.back() == '/') api.pop_back();
    auto u = sdk::Url::parse(api);
    if (!u || (u->scheme != "https" && !(u->scheme == "http" && loopback_host(u->host)))) {
      c.problem("apiRoot",
                "must be an https:// URL (http:// only on loopback, for a local Bot API server)");
    } else {
      s.api_root = api;
    }
  }
  // What OpenClaw's channels.telegram lacks lives in plugins.entries.openclaw-host.config.telegram
  // (still read from channels.telegram, where earlier versions kept it; the new place wins).
  sdk::ConfigBlock x(root, sdk::host_settings_path("telegram"), problems);
  (x.has("caFile") ? x : c).string("caFile", s.ca_file);
  (x.has("pollTimeoutSeconds") ? x : c).integer("pollTimeoutSeconds", s.poll_timeout_s, 0, 50);
  s.configured = !s.token.empty();
  return s;
}

class Telegram final : public sdk::Plugin {
 public:
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    std::vector<sdk::ConfigProblem> p;
    settings_of(host.root_config(), &p);
    return p;
  }

  void start(sdk::Host& host) override {
    host_ = &host;
    s_ = settings_of(host.root_config(), nullptr);
    channels_ =
        sdk::start_channel(host, "channels.telegram", s_.enabled,
                           s_.configured ? "" : "channels.telegram has no botToken or tokenFile");
    if (!channels_) return;
    offset_file_ = host.data_dir() / "offset.json";
    load_offset();
    sdk::ChannelDriver d;
    d.id = "telegram";
    d.text_limit = 4096;  // sendMessage's limit is 4096 characters: bytes are never more
    d.send = [this](const sdk::OutboundPart& part, std::function<void(sdk::Delivery)> done) {
      send_message(part.to, part.text, std::move(done), 0);
    };
    d.status = [this] { return status(); };
    driver_ = channels_->register_channel(std::move(d));
    http_ = sdk::HttpClient::create(host.io());  // one TLS handshake, not one per call
    get_me();
  }

  void stop() override {
    *alive_ = false;
    driver_.revoke();
    http_.reset();
    host_ = nullptr;
  }

  json::value status() const override {
    if (!s_.configured) return json::object{{"configured", false}};
    return json::object{
        {"configured", true},
        {"bot", username_.empty() ? json::value(nullptr) : json::value("@" + username_)},
        {"connected", connected_},
        {"offset", offset_},
        {"lastError", last_error_.empty() ? json::value(nullptr) : json::value(last_error_)},
        {"updates", updates_},
        {"sent", sent_}};
  }

 private:
  // Error text with the token taken out: request URLs carry it.
  std::string scrub(std::string text) const {
    if (s_.token.empty()) return text;
    for (std::size_t p; (p = text.find(s_.token)) != std::string::npos;)
      text.replace(p, s_.token.size(), "<token>");
    return text;
  }

  void load_offset() {
    std::optional<std::string> text;
    try {
      sdk::OpenOptions options;
      options.no_symlinks = true;  // ours, written atomically: never a link, a FIFO or a device
      text = sdk::read_regular_file(offset_file_, options, 1u << 20);
    } catch (const std::exception& e) {
      host_->log(sdk::LogLevel::warn,
                 std::string("telegram: ") + e.what() + "; starting from Telegram's own offset");
      return;
    }
    if (!text) return;
    boost::system::error_code ec;
    auto v = json::parse(*text, ec);
    if (!ec && v.is_object()) {
      if (const auto* o = v.get_object().if_contains("offset"); o && o->is_int64())
        offset_ = o->get_int64();
    } else {
      host_->log(sdk::LogLevel::warn, "telegram: " + offset_file_.string() +
                                          " is unreadable; starting from Telegram's own offset");
    }
  }

  void save_offset() {
    sdk::write_file_atomic(offset_file_, json::serialize(json::object{{"offset", offset_}}) + "\n");
  }

  // One Bot API call; `done` gets the "result" or an error, and the retry_after Telegram asked.
  void call(const std::string& method, json::object params, std::chrono::milliseconds timeout,
            std::function<void(const json::value* result, const std::string& error, int status,
                               int retry_after)>
                done) {
    sdk::HttpClientRequest r;
    r.method = "POST";
    r.url = s_.api_root + "/bot" + s_.token + "/" + method;
    r.body = json::serialize(params);
    r.timeout = timeout;
    r.ca_file = s_.ca_file;
    r.body_limit = 16 << 20;
    http_->request(std::move(r), [this, alive = alive_, method,
                                  done = std::move(done)](sdk::HttpClientResponse res) {
      if (!*alive) return;
      if (!res.error.empty()) return done(nullptr, scrub(res.error), 0, 0);
      auto answer = telegram::read_answer(res.body, res.status);
      if (answer.result) return done(&*answer.result, "", res.status, 0);
      done(nullptr, method + ": " + scrub(answer.error), res.status, answer.retry_after);
    });
  }

  void fail(const std::string& why, std::chrono::milliseconds retry_in,
            std::function<void()> again) {
    last_error_ = why;
    if (connected_ || first_error_) {
      host_->log(sdk::LogLevel::warn,
                 "telegram: " + why + "; retrying in " + std::to_string(retry_in.count()) + " ms");
    }
    first_error_ = false;
    connected_ = false;
    channels_->report("telegram", "default", false, why);
    host_->after(retry_in, std::move(again));
  }

  std::chrono::milliseconds backoff() {
    auto base = std::min<std::int64_t>(60000, 500LL << std::min(attempt_, 7));
    ++attempt_;
    return std::chrono::milliseconds(
        base / 2 + static_cast<std::int64_t>(rng_() % static_cast<unsigned>(base / 2 + 1)));
  }

  void get_me() {
    call("getMe", {}, 15s,
         [this](const json::value* result, const std::string& error, int status, int retry) {
           if (!result || !result->is_object()) {
             auto wait = retry > 0 ? std::chrono::milliseconds(retry * 1000LL)
                         : status == 401 || status == 404 ? 60000ms
                                                          : backoff();
             return fail(error.empty()
                             ? "getMe: unexpected answer"
                             : error + (status == 401 ? " (is the bot token right?)" : ""),
                         wait, [this] { get_me(); });
           }
           if (const auto* u = result->get_object().if_contains("username"); u && u->is_string()) {
             username_ = std::string(u->get_string());
           }
           host_->log(sdk::LogLevel::info, "telegram: connected as @" + username_);
           connected_ = true;
           last_error_.clear();
           channels_->report("telegram", "default", true, "");
           poll();
         });
  }

  void poll() {
    json::object params{{"timeout", s_.poll_timeout_s},
                        {"allowed_updates", json::array{"message"}}};
    if (offset_ > 0) params["offset"] = offset_;
    call("getUpdates", params, std::chrono::seconds(s_.poll_timeout_s + 5),
         [this](const json::value* result, const std::string& error, int status, int retry) {
           if (!result || !result->is_array()) {
             auto wait = retry > 0 ? std::chrono::milliseconds(retry * 1000LL)
                         : status == 401 || status == 404 ? 60000ms
                                                          : backoff();
             return fail(error.empty() ? "getUpdates: the result is not a list" : error, wait,
                         [this] { poll(); });
           }
           if (!connected_) {
             connected_ = true;
             last_error_.clear();
             channels_->report("telegram", "default", true, "");
           }
           attempt_ = 0;
           handle_updates(result->get_array());
         });
  }

  // Every update of the batch is handed to the host; once all are durably queued the offset moves
  // past them (and is saved), then the next poll starts.
  void handle_updates(const json::array& updates) {
    auto pending = std::make_shared<int>(1);
    auto next = std::make_shared<std::int64_t>(offset_);
    auto finish = [this, alive = alive_, pending, next] {
      if (--*pending > 0 || !*alive) return;
      if (*next != offset_) {
        offset_ = *next;
        try {
          save_offset();
        } catch (const std::exception& e) {
          host_->log(sdk::LogLevel::error,
                     std::string("telegram: cannot save the offset: ") + e.what());
        }
      }
      poll();
    };
    auto batch = telegram::read_updates(updates, offset_);
    *next = batch.next_offset;
    for (auto& m : batch.messages) {
      ++updates_;
      ++*pending;
      std::string uid = m.id;
      channels_->receive(
          std::move(m), [finish, uid, this, alive = alive_](bool ok, const std::string& why) {
            if (!ok && *alive && why.find("already queued") == std::string::npos) {
              host_->log(sdk::LogLevel::error, "telegram: update " + uid + " not accepted: " + why);
            }
            finish();
          });
    }
    finish();
  }

  void send_message(const std::string& chat, const std::string& text,
                    std::function<void(sdk::Delivery)> done, int tries) {
    json::object params{{"chat_id", chat}, {"text", text}};
    call("sendMessage", params, 20s,
         [this, chat, text, done = std::move(done), tries](
             const json::value* result, const std::string& error, int status, int retry) mutable {
           if (result) {
             ++sent_;
             std::string id;
             if (result->is_object()) {
               if (const auto* mid = result->get_object().if_contains("message_id");
                   mid && mid->is_int64()) {
                 id = std::to_string(mid->get_int64());
               }
             }
             return done(sdk::Delivery{true, {}, id, 1});
           }
           // 429 and 5xx are worth another try (Telegram says when); 4xx are not.
           bool again = (status == 429 || status >= 500 || status == 0) && tries < 3;
           if (!again) return done(sdk::Delivery{false, error, {}, 0});
           auto wait = retry > 0 ? std::chrono::milliseconds(retry * 1000LL)
                                 : std::chrono::milliseconds(500LL << tries);
           host_->after(wait, [this, chat, text, done = std::move(done), tries]() mutable {
             send_message(chat, text, std::move(done), tries + 1);
           });
         });
  }

  sdk::Host* host_ = nullptr;
  sdk::Channels* channels_ = nullptr;
  sdk::Registration driver_;
  Settings s_;
  fs::path offset_file_;
  std::int64_t offset_ = 0;
  std::string username_;
  bool connected_ = false;
  bool first_error_ = true;
  std::string last_error_;
  int attempt_ = 0;
  std::int64_t updates_ = 0, sent_ = 0;
  std::minstd_rand rng_{std::random_device{}()};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<sdk::HttpClient> http_;
};

}  // namespace

OPENCLAW_PLUGIN(Telegram)
