// irc: the IRC channel. An RFC 1459/2812 client on the SDK's TCP/TLS stream: registration
// (server password, SASL PLAIN, NICK/USER with a fallback when the nick is taken), PING/PONG
// both ways (a server silent past the ping timeout is a dead link: reconnect), JOIN, PRIVMSG in
// and out (lines under 512 bytes, UTF-8 safe; a text counts as delivered once a PING sent after
// it is answered, i.e. the server has read it), CTCP ignored, flood control, reconnect with
// exponential backoff and jitter. Messages go to the host's channels service,
// which queues them durably, applies the access policy and answers through this driver.
// Public SDK only.
#include <cstdlib>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>

#include <boost/json.hpp>

#include <openclaw/sdk/channels.hpp>
#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/config_schema.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/plugin_export.hpp>
#include <openclaw/sdk/tcp_client.hpp>

#include "irc_line.hpp"

namespace sdk = openclaw::sdk;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBlock = "channels.irc";

struct Settings {
  bool configured = false;
  bool enabled = true;
  std::string host;
  int port = 0;
  bool tls = true;
  std::string ca_file;
  std::string nick = "openclaw";
  std::string username, realname;
  std::string password;  // server password (PASS)
  std::vector<std::string> channels;
  std::string nickserv_password, nickserv_service = "NickServ";
  bool sasl = false;
  std::string sasl_user, sasl_password;
  bool allow_without_sasl = false;  // go on unauthenticated when SASL fails
  int flood_burst = 5;
  int flood_interval_ms = 400;
  int ping_interval_ms = 60000;  // silence before we PING the server
  int ping_timeout_ms = 30000;   // no reply that long after a PING: the link is dead
};

bool valid_nick(const std::string& n) {
  if (n.empty() || n.size() > 30 || std::isdigit(static_cast<unsigned char>(n[0])) || n[0] == '-')
    return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("-_[]\\`^{}|").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Reads channels.irc; problems as {key, message}.
// channels.irc holds what OpenClaw's irc schema has; what it lacks (caFile, sasl, floodBurst,
// floodIntervalMs) lives in plugins.entries.openclaw-host.config.irc, and is still read from
// channels.irc, where earlier versions wrote it (the new place wins).
Settings settings_of(const json::object& root, std::vector<sdk::ConfigProblem>* problems) {
  Settings s;
  sdk::ConfigBlock c(root, kBlock, problems);
  sdk::ConfigBlock x(root, sdk::host_settings_path("irc"), problems);
  auto extra = [&](const char* key) -> sdk::ConfigBlock& { return x.has(key) ? x : c; };
  if (!c.present()) return s;
  const json::object* b = c.object();
  c.boolean("enabled", s.enabled);
  c.string("host", s.host);
  s.configured = !s.host.empty();
  c.boolean("tls", s.tls);
  s.port = s.tls ? 6697 : 6667;
  c.integer("port", s.port, 1, 65535);
  extra("caFile").string("caFile", s.ca_file);
  c.string("nick", s.nick);
  // Shown JSON-quoted: a nick with a CR/LF in it must not become a second log line.
  if (!valid_nick(s.nick))
    c.problem("nick", sdk::shown_value("nick", json::string(s.nick)) + " is not a valid IRC nick");
  c.string("username", s.username);
  c.string("realname", s.realname);
  if (s.username.empty()) s.username = s.nick;
  if (s.realname.empty()) s.realname = "OpenClaw host";
  c.string("password", s.password);
  std::string password_file;
  c.string("passwordFile", password_file);
  if (!password_file.empty()) {
    try {
      s.password = sdk::read_secret_file(password_file);
    } catch (const std::exception& e) {
      c.problem("passwordFile", e.what());
    }
  }
  // The keys read by hand below, for `config schema` (sdk::ConfigSchemaRecorder).
  if (auto* r = sdk::ConfigSchemaRecorder::active()) {
    const std::string at(kBlock);
    r->record(at + ".channels", "list of channel names (\"#ops\")", "[]");
    r->record(at + ".nickserv", "password string or {enabled, service, password, passwordFile}",
              "");
    r->record(at + ".nickserv.enabled", "boolean", "true");
    r->record(at + ".nickserv.service", "string", "\"NickServ\"");
    r->record(at + ".nickserv.password", "string", "");
    r->record(at + ".nickserv.passwordFile", "string", "");
    r->record(sdk::host_settings_path("irc") + ".sasl", "true | false | {username, password}",
              "false");
  }
  if (const auto* v = b->if_contains("channels")) {
    if (!v->is_array()) {
      c.problem("channels", "must be a list of channel names like \"#ops\"");
    } else {
      for (std::size_t i = 0; i < v->get_array().size(); ++i) {
        const auto& name = v->get_array()[i];
        if (name.is_string() && irc::is_channel(name.get_string()) &&
            name.get_string().find(' ') == json::string::npos) {
          s.channels.emplace_back(name.get_string());
        } else {
          c.problem("channels[" + std::to_string(i) + "]",
                    "must be a channel name like \"#ops\", got " + json::serialize(name));
        }
      }
    }
  }
  if (const auto* v = b->if_contains("nickserv")) {
    if (v->is_string()) {
      s.nickserv_password = std::string(v->get_string());
    } else if (v->is_object()) {
      // OpenClaw's shape: {enabled, service, password, passwordFile}.
      sdk::ConfigBlock n(root, std::string(kBlock) + ".nickserv", problems);
      bool enabled = true;
      n.boolean("enabled", enabled);
      n.string("service", s.nickserv_service);
      n.string("password", s.nickserv_password);
      std::string file;
      n.string("passwordFile", file);
      if (!file.empty()) {
        try {
          s.nickserv_password = sdk::read_secret_file(file);
        } catch (const std::exception& e) {
          n.problem("passwordFile", e.what());
        }
      }
      if (!enabled) s.nickserv_password.clear();
    } else {
      c.problem("nickserv", "must be an object {password, passwordFile, service} or the password");
    }
  }
  sdk::ConfigBlock& sasl_block = extra("sasl");
  if (const auto* v = sasl_block.has("sasl") ? &sasl_block.object()->at("sasl") : nullptr) {
    if (v->is_bool()) {
      s.sasl = v->get_bool();
    } else if (v->is_object()) {
      s.sasl = true;
      const auto& o = v->get_object();
      if (const auto* p = o.if_contains("username"); p && p->is_string())
        s.sasl_user = std::string(p->get_string());
      if (const auto* p = o.if_contains("password"); p && p->is_string())
        s.sasl_password = std::string(p->get_string());
    } else {
      sasl_block.problem("sasl", "must be true, false or {username, password}");
    }
  }
  if (s.sasl_user.empty()) s.sasl_user = s.nick;
  if (s.sasl_password.empty()) s.sasl_password = s.password;
  if (s.sasl && s.sasl_password.empty())
    sasl_block.problem("sasl", "needs a password (sasl.password, password or passwordFile)");
  x.boolean("allowWithoutSasl", s.allow_without_sasl);
  extra("floodBurst").integer("floodBurst", s.flood_burst, 1, 100);
  extra("floodIntervalMs").integer("floodIntervalMs", s.flood_interval_ms, 0, 60000);
  x.integer("pingIntervalMs", s.ping_interval_ms, 200, 3600000);
  x.integer("pingTimeoutMs", s.ping_timeout_ms, 200, 600000);
  return s;
}

class IrcPlugin final : public sdk::Plugin {
 public:
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    std::vector<sdk::ConfigProblem> problems;
    settings_of(host.root_config(), &problems);
    return problems;
  }

  void start(sdk::Host& host) override {
    host_ = &host;
    s_ = settings_of(host.root_config(), nullptr);
    channels_ = sdk::start_channel(host, kBlock, s_.enabled,
                                   s_.configured ? "" : "channels.irc.host is not set");
    if (!channels_) return;
    sdk::ChannelDriver d;
    d.id = "irc";
    d.text_limit = 16384;  // split into 512-byte lines here, per target
    d.send = [this](const sdk::OutboundPart& part, std::function<void(sdk::Delivery)> done) {
      send_text(part.to, part.text, std::move(done));
    };
    d.status = [this] { return status(); };
    driver_ = channels_->register_channel(std::move(d));
    tokens_ = s_.flood_burst;
    connect();
  }

  void stop() override {
    stopping_ = true;
    driver_.revoke();
    if (client_ && registered_) client_->write("QUIT :openclaw-host stopping\r\n");
    client_.reset();  // sends what is queued (the QUIT) within 2 s, then closes
    ++generation_;
    fail_pending("IRC stopped");
    fail_unconfirmed("IRC stopped before the server confirmed it");
    host_ = nullptr;
  }

  json::value status() const override {
    if (!s_.configured) return json::object{{"configured", false}};
    return json::object{
        {"configured", true},
        {"server", s_.host + ":" + std::to_string(s_.port)},
        {"tls", s_.tls},
        {"connected", registered_},
        {"nick", nick_},
        {"loggedInAs", logged_in_as_.empty() ? json::value(nullptr) : json::value(logged_in_as_)},
        {"channels", json::value_from(s_.channels)},
        {"lastError", last_error_.empty() ? json::value(nullptr) : json::value(last_error_)},
        {"reconnects", reconnects_},
        {"in", in_},
        {"queued", static_cast<std::int64_t>(out_.size())},
        {"unconfirmed", static_cast<std::int64_t>(unconfirmed_.size() + awaiting_.size())},
        {"silentMs", registered_ ? json::value(now_ms() - last_heard_ms_) : json::value(nullptr)}};
  }

 private:
  struct Out {
    std::string line;
    std::function<void(sdk::Delivery)> done;  // on the last line of a text
    int parts = 0;                            // how many lines that text took
  };

  void connect() {
    if (stopping_) return;
    sdk::TcpClient::Options o;
    o.tls = s_.tls;
    o.ca_file = s_.ca_file;
    sdk::TcpClient::Handlers h;
    h.on_open = [this] { on_open(); };
    h.on_data = [this](std::string_view data) { on_data(data); };
    h.on_close = [this](const std::string& why) { on_close(why); };
    buffer_.clear();
    nick_ = s_.nick;
    nick_tries_ = 0;
    client_ = sdk::TcpClient::connect(host_->io(), s_.host, s_.port, std::move(h), o);
    ++generation_;
  }

  void raw(const std::string& line) {
    if (client_) client_->write(line);
  }

  void on_open() {
    host_->log(sdk::LogLevel::info, "irc: connected to " + s_.host + ":" + std::to_string(s_.port) +
                                        (s_.tls ? " (TLS, certificate verified)" : ""));
    sasl_ = Sasl::none;
    sasl_error_ = false;
    logged_in_as_.clear();
    heard();
    watch_link(generation_);
    if (s_.sasl) {
      raw("CAP REQ :sasl\r\n");
      sasl_ = Sasl::requested;
    }
    if (!s_.password.empty() && !s_.sasl) raw(irc::build("PASS", {s_.password}));
    raw(irc::build("NICK", {nick_}));
    raw(irc::build("USER", {s_.username, "0", "*", s_.realname}));
  }

  void on_data(std::string_view data) {
    heard();
    buffer_.append(data);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      if (auto l = irc::parse(line)) {
        handle(*l);
      } else if (!line.empty() && line != "\r") {
        host_->log(sdk::LogLevel::debug, "irc: ignored a malformed line from the server");
      }
      if (!client_) return;  // handle() may have closed the connection
    }
    buffer_.erase(0, start);
    if (buffer_.size() > 16384) {
      host_->log(sdk::LogLevel::warn, "irc: the server sent 16 KB without a line break: dropped");
      buffer_.clear();
    }
  }

  static bool has_word(const std::string& list, std::string_view word) {
    std::size_t i = 0;
    while (i < list.size()) {
      std::size_t j = list.find(' ', i);
      if (j == std::string::npos) j = list.size();
      if (std::string_view(list).substr(i, j - i) == word) return true;
      i = j + 1;
    }
    return false;
  }

  void handle(const irc::Line& l) {
    const auto& p = l.params;
    if (l.command == "PING") {
      raw(irc::build("PONG",
                     {p.empty() ? std::string() : p.back()}));  // never held back by flood control
    } else if (l.command == "PONG") {
      if (!p.empty()) confirmed(p.back());
    } else if (l.command == "CAP" && p.size() >= 3) {
      // Only the answer to our own request counts, and only the exact capability: an unsolicited
      // or look-alike ACK must not make us send credentials with SASL off.
      if (p[1] == "ACK" && sasl_ == Sasl::requested && has_word(p.back(), "sasl")) {
        sasl_ = Sasl::authenticating;
        raw("AUTHENTICATE PLAIN\r\n");
        sasl_deadline(generation_);
      } else if (p[1] == "NAK" && sasl_ == Sasl::requested) {
        sasl_ = Sasl::none;
        if (sasl_failed("the server does not offer SASL")) return;
        raw("CAP END\r\n");
      }
    } else if (l.command == "AUTHENTICATE" && !p.empty() && p[0] == "+" &&
               sasl_ == Sasl::authenticating) {
      sasl_ = Sasl::sent;
      std::string plain = s_.sasl_user + std::string(1, '\0') + s_.sasl_user +
                          std::string(1, '\0') + s_.sasl_password;
      raw("AUTHENTICATE " + irc::base64(plain) + "\r\n");
    } else if (l.command == "900" && p.size() >= 3) {
      logged_in_as_ = p[2];  // RPL_LOGGEDIN <nick> <nick!user@host> <account> :text
      host_->log(sdk::LogLevel::info, "irc: logged in as " + logged_in_as_);
    } else if (l.command == "903") {
      sasl_ = Sasl::none;  // done: the deadline has nothing left to wait for
      raw("CAP END\r\n");
    } else if ((l.command == "904" || l.command == "905" || l.command == "902" ||
                l.command == "906") &&
               sasl_ != Sasl::none) {
      // inspircd/atheme: "904 * :SASL authentication failed" for a wrong password or account.
      sasl_ = Sasl::none;
      if (sasl_failed("SASL authentication as " + s_.sasl_user +
                      " failed: " + (p.empty() ? l.command : p.back() + " (" + l.command + ")")))
        return;
      raw("CAP END\r\n");
    } else if (l.command == "001") {
      registered_ = true;
      attempt_ = 0;
      if (!p.empty()) nick_ = p[0];
      if (!sasl_error_) last_error_.clear();
      // Connected, but not as the account it was told to use: channels status says so.
      channels_->report("irc", "default", true, sasl_error_ ? last_error_ : "");
      host_->log(sasl_error_ ? sdk::LogLevel::warn : sdk::LogLevel::info,
                 "irc: registered as " + nick_ +
                     (sasl_error_ ? ", not logged in (SASL failed; allowWithoutSasl)" : ""));
      if (!s_.nickserv_password.empty()) {
        raw(irc::build("PRIVMSG", {s_.nickserv_service, "IDENTIFY " + s_.nickserv_password}));
      }
      for (const auto& c : s_.channels) raw(irc::build("JOIN", {c}));
      pump();
    } else if ((l.command == "433" || l.command == "432" || l.command == "436") && !registered_) {
      // The nick is taken (or refused): nick_, nick__, then nick + digits.
      ++nick_tries_;
      nick_ = nick_tries_ <= 2 ? s_.nick + std::string(static_cast<size_t>(nick_tries_), '_')
                               : s_.nick.substr(0, 20) + std::to_string(1000 + rng_() % 9000);
      host_->log(sdk::LogLevel::info,
                 "irc: nick " + (p.size() > 1 ? p[1] : s_.nick) + " is taken, trying " + nick_);
      raw(irc::build("NICK", {nick_}));
    } else if (l.command == "NICK" && irc::nick_of(l.prefix) == nick_ && !p.empty()) {
      nick_ = p[0];
    } else if (l.command == "PRIVMSG" && p.size() >= 2) {
      on_privmsg(l);
    } else if (l.command == "ERROR") {
      last_error_ = "server: " + (p.empty() ? std::string("ERROR") : p.back());
      host_->log(sdk::LogLevel::warn, "irc: " + last_error_);
    } else if (l.command == "474" || l.command == "473" || l.command == "475" ||
               l.command == "471") {
      host_->log(sdk::LogLevel::warn,
                 "irc: cannot join " + (p.size() > 1 ? p[1] : "") + ": " + p.back());
    }
  }

  static bool same_nick(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }

  void on_privmsg(const irc::Line& l) {
    const std::string& target = l.params[0];
    const std::string& text = l.params[1];
    std::string from_nick = irc::nick_of(l.prefix);
    if (irc::is_ctcp(text) || from_nick.empty() || same_nick(from_nick, nick_)) return;
    ++in_;
    sdk::ChannelMessage m;
    m.channel = "irc";
    m.account = "default";
    m.from = l.prefix;  // nick!user@host: what allowFrom masks match
    m.from_name = from_nick;
    m.group = irc::is_channel(target);
    m.chat = m.group ? target : from_nick;
    m.text = text;
    m.id = irc::tag(l.tags, "msgid");
    if (m.id.empty()) m.id = std::to_string(++seq_) + "-" + sdk::random_hex(4);
    channels_->receive(std::move(m), nullptr);
  }

  void on_close(const std::string& why) {
    bool was = registered_;
    registered_ = false;
    client_.reset();
    ++generation_;  // the liveness timer of that connection stops
    fail_unconfirmed("the connection to " + s_.host + " closed before the server confirmed it (" +
                     why + ")");
    if (stopping_) return;
    last_error_ = why;
    channels_->report("irc", "default", false, why);
    fail_pending("not connected to " + s_.host + ": " + why);
    // 1 s, 2 s, 4 s ... up to 60 s, each with up to 50% jitter so a fleet does not reconnect at
    // once.
    auto base = std::min<std::int64_t>(60000, 1000LL << std::min(attempt_, 6));
    auto delay = std::chrono::milliseconds(
        base / 2 + static_cast<std::int64_t>(rng_() % static_cast<unsigned>(base / 2 + 1)));
    ++attempt_;
    ++reconnects_;
    host_->log(was ? sdk::LogLevel::warn : sdk::LogLevel::info,
               "irc: " + why + "; reconnecting in " + std::to_string(delay.count()) + " ms");
    host_->after(delay, [this] { connect(); });
  }

  void send_text(const std::string& to, const std::string& text,
                 std::function<void(sdk::Delivery)> done) {
    if (!registered_) {
      done(sdk::Delivery{
          false,
          "not connected to " + s_.host + (last_error_.empty() ? "" : ": " + last_error_),
          {},
          0});
      return;
    }
    auto lines = irc::privmsg_lines(to, text, 1 + nick_.size() + 1 + s_.username.size() + 1 + 64);
    if (lines.empty()) {
      done(sdk::Delivery{false, "nothing to send after removing line breaks", {}, 0});
      return;
    }
    // The last line carries `done`: the message is delivered once all its lines are out.
    int n = static_cast<int>(lines.size());
    for (int i = 0; i + 1 < n; ++i)
      out_.push_back(Out{std::move(lines[static_cast<size_t>(i)]), nullptr, n});
    out_.push_back(Out{std::move(lines.back()), std::move(done), n});
    pump();
  }

  // Flood control: a burst of flood_burst lines, then one per flood_interval_ms.
  void pump() {
    while (registered_ && client_ && !out_.empty() && tokens_ > 0) {
      Out o = std::move(out_.front());
      out_.pop_front();
      --tokens_;
      client_->write(o.line);
      if (o.done) awaiting_.push_back(Unconfirmed{std::move(o.done), o.parts});
    }
    // What was written counts once the server has read it: it answers a PING only after the
    // lines before it (a socket buffer is not a delivery).
    if (!awaiting_.empty() && client_) {
      std::string token = "d" + std::to_string(++ping_seq_);
      raw(irc::build("PING", {token}));
      for (auto& u : awaiting_) {
        u.token = ping_seq_;
        unconfirmed_.push_back(std::move(u));
      }
      awaiting_.clear();
      if (!unconfirmed_deadline_) {
        unconfirmed_deadline_ = true;
        std::uint64_t gen = generation_;
        host_->after(std::chrono::milliseconds(s_.ping_timeout_ms), [this, gen] {
          unconfirmed_deadline_ = false;
          if (gen == generation_ && !unconfirmed_.empty()) {
            drop("no answer from " + s_.host + " for " + std::to_string(s_.ping_timeout_ms) +
                 " ms after a message (ping timeout)");
          }
        });
      }
    }
    if (tokens_ < s_.flood_burst && !refilling_) {
      refilling_ = true;
      host_->after(std::chrono::milliseconds(s_.flood_interval_ms), [this] {
        refilling_ = false;
        tokens_ = std::min(s_.flood_burst, tokens_ + 1);
        pump();
      });
    }
  }

  // A PONG for "d<n>": every text written before PING d<n> reached the server.
  void confirmed(const std::string& token) {
    if (token.size() < 2 || token[0] != 'd') return;
    std::uint64_t n = std::strtoull(token.c_str() + 1, nullptr, 10);
    while (!unconfirmed_.empty() && unconfirmed_.front().token <= n) {
      Unconfirmed u = std::move(unconfirmed_.front());
      unconfirmed_.pop_front();
      u.done(sdk::Delivery{true, {}, {}, u.parts});
    }
  }

  void fail_unconfirmed(const std::string& why) {
    auto list = std::move(unconfirmed_);
    unconfirmed_.clear();
    for (auto& u : awaiting_) list.push_back(std::move(u));
    awaiting_.clear();
    for (auto& u : list) u.done(sdk::Delivery{false, why, {}, 0});
  }

  void heard() { last_heard_ms_ = now_ms(); }

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // Liveness of connection `gen`: after pingIntervalMs of silence a PING; nothing heard for
  // pingTimeoutMs after it, and the link is dead (a stopped or cut-off server keeps a TCP
  // connection open for minutes): drop it and reconnect.
  void watch_link(std::uint64_t gen) {
    host_->after(std::chrono::milliseconds(std::min(s_.ping_interval_ms, s_.ping_timeout_ms)),
                 [this, gen] {
                   if (gen != generation_ || !client_) return;
                   std::int64_t silent = now_ms() - last_heard_ms_;
                   if (silent >= s_.ping_interval_ms + s_.ping_timeout_ms) {
                     drop("no answer from " + s_.host + " for " + std::to_string(silent) +
                          " ms (ping timeout)");
                     return;
                   }
                   if (silent >= s_.ping_interval_ms) raw(irc::build("PING", {"alive"}));
                   watch_link(gen);
                 });
  }

  // Ends the connection from our side, then the same path as a close by the server.
  void drop(const std::string& why) {
    host_->log(sdk::LogLevel::warn, "irc: " + why);
    if (client_) client_->close();
    on_close(why);
  }

  // SASL did not authenticate: the connection stops with `why` as its error (shown in channels
  // status), unless allowWithoutSasl lets it go on unauthenticated. True when it stopped.
  // An exchange the server never finishes (its services are down or stopped: the ircd still
  // answers PINGs, so the link looks alive) fails after pingTimeoutMs, as a refusal would.
  void sasl_deadline(std::uint64_t gen) {
    host_->after(std::chrono::milliseconds(s_.ping_timeout_ms), [this, gen] {
      if (gen != generation_ || !client_ || sasl_ == Sasl::none || registered_) return;
      sasl_ = Sasl::none;
      if (sasl_failed("SASL authentication as " + s_.sasl_user + " got no answer from " + s_.host +
                      " within " + std::to_string(s_.ping_timeout_ms) +
                      " ms (are its services down?)"))
        return;
      raw("CAP END\r\n");
    });
  }

  bool sasl_failed(const std::string& why) {
    last_error_ = why;
    sasl_error_ = true;
    if (s_.allow_without_sasl) {
      host_->log(sdk::LogLevel::warn, "irc: " + why + "; going on without it (allowWithoutSasl)");
      return false;
    }
    host_->log(sdk::LogLevel::error, "irc: " + why + "; disconnecting (set " +
                                         sdk::host_settings_path("irc") +
                                         ".allowWithoutSasl to go on without it)");
    raw("QUIT :SASL failed\r\n");
    drop(why);
    return true;
  }

  void fail_pending(const std::string& why) {
    auto out = std::move(out_);
    out_.clear();
    for (auto& o : out) {
      if (o.done) o.done(sdk::Delivery{false, why, {}, 0});
    }
  }

  sdk::Host* host_ = nullptr;
  sdk::Channels* channels_ = nullptr;
  sdk::Registration driver_;
  Settings s_;
  std::unique_ptr<sdk::TcpClient> client_;
  std::string buffer_;
  std::string nick_;
  int nick_tries_ = 0;
  enum class Sasl { none, requested, authenticating, sent } sasl_ = Sasl::none;
  bool registered_ = false;
  bool stopping_ = false;
  int attempt_ = 0;
  std::int64_t reconnects_ = 0, in_ = 0;
  std::uint64_t seq_ = 0;
  std::string last_error_;
  std::deque<Out> out_;
  struct Unconfirmed {
    std::function<void(sdk::Delivery)> done;
    int parts = 0;
    std::uint64_t token = 0;  // confirmed by the PONG to PING d<token>
  };
  std::vector<Unconfirmed> awaiting_;    // written in this pump, PING not sent yet
  std::deque<Unconfirmed> unconfirmed_;  // PING sent, PONG not seen yet
  std::uint64_t ping_seq_ = 0;
  bool unconfirmed_deadline_ = false;
  std::uint64_t generation_ = 0;  // one per connection: timers of an old one do nothing
  std::int64_t last_heard_ms_ = 0;
  bool sasl_error_ = false;
  std::string logged_in_as_;  // the account of RPL_LOGGEDIN (900), this connection
  int tokens_ = 5;
  bool refilling_ = false;
  std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace

OPENCLAW_PLUGIN(IrcPlugin)
