#include "gateway/channel_router.hpp"

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "channels/access.hpp"
#include "core/clock.hpp"

namespace openclaw::gateway {
namespace json = boost::json;
namespace fs = std::filesystem;

// One text being sent: its parts, and where the delivery is reported.
struct ChannelRouter::Job {
  std::string account, to;
  std::deque<std::string> parts;
  int total = 0;
  bool sending = false;  ///< one of its parts is with the driver
  std::string last_id;
  std::function<void(sdk::Delivery)> done;
  /// Reports the delivery, once.
  void deliver(sdk::Delivery d) {
    if (!done) return;
    auto f = std::move(done);
    done = nullptr;
    f(std::move(d));
  }
};

struct ChannelRouter::Driver {
  explicit Driver(boost::asio::io_context& io) : pace(io) {}
  sdk::ChannelDriver spec;
  std::deque<std::shared_ptr<Job>> jobs;
  channels::Access access;  ///< the channel's access policy, read from the config once
  std::size_t in_flight = 0;  ///< parts with the driver now
  bool pacing = false;        ///< waiting out min_interval
  bool gone = false;
  boost::asio::steady_timer pace;

  /// The plugin stopped: no more sends; every text still waiting is reported undelivered.
  void abandon() {
    gone = true;
    pace.cancel();
    for (auto& job : jobs) job->deliver(sdk::Delivery{false, "channel " + spec.id + " stopped", {}, job->total});
    jobs.clear();
  }
};

namespace {
constexpr std::size_t kMaxQueued = 10000;

std::string key_of(const sdk::ChannelMessage& m) { return m.channel + "/" + m.account + "/" + m.id; }
std::string channel_of(const std::string& key) { return key.substr(0, key.find('/')); }
}  // namespace

ChannelRouter::ChannelRouter(boost::asio::io_context& io, const Instance& inst, Log log,
                             Broadcast broadcast)
    : io_(io), inst_(inst), log_(std::move(log)), broadcast_(std::move(broadcast)),
      pairing_(inst.paths.state_dir) {}

ChannelRouter::~ChannelRouter() { stop(); }

void ChannelRouter::open_queue() {
  queue_ = sdk::DurableQueue::open(io_, inst_.paths.state_dir / "channels" / "inbound.journal");
  for (const auto& [key, record] : queue_->pending()) ++stats_[channel_of(key)].queued;
  if (auto n = queue_->depth()) {
    log_("info", "channels: " + std::to_string(n) + " message(s) accepted before the last stop are still to be handled");
  }
}

void ChannelRouter::replay() {
  if (!queue_) return;
  for (auto& [key, record] : queue_->pending()) {
    sdk::ChannelMessage m;
    try {
      m = sdk::ChannelMessage::from_json(record);
    } catch (const std::exception& e) {
      log_("warn", "channels: dropping an unreadable queued message " + key + ": " + e.what());
      handled(key);
      continue;
    }
    if (!drivers_.count(m.channel)) continue;  // its plugin is not running: keep it for later
    log_("info", "channels: handling " + key + ", accepted before the last stop");
    dispatch(m, key);
  }
}

void ChannelRouter::stop() {
  for (auto& [id, d] : drivers_) d->abandon();
  drivers_.clear();
}

json::value ChannelRouter::status() const {
  json::object out;
  auto entry = [&](const std::string& id) {
    json::object o;
    o["registered"] = drivers_.count(id) > 0;
    auto s = stats_.find(id);
    json::object accounts;
    if (s != stats_.end()) {
      for (const auto& [acc, st] : s->second.accounts) {
        accounts[acc] = json::object{{"connected", st.connected},
                                     {"lastError", st.last_error.empty() ? json::value(nullptr)
                                                                         : json::value(st.last_error)},
                                     {"since", st.since_ms}};
      }
      o["in"] = s->second.in;
      o["out"] = s->second.out;
      o["denied"] = s->second.denied;
      o["failed"] = s->second.failed;
    } else {
      o["in"] = 0, o["out"] = 0, o["denied"] = 0, o["failed"] = 0;
    }
    o["accounts"] = std::move(accounts);
    o["queue"] = s != stats_.end() ? s->second.queued : 0;
    if (auto d = drivers_.find(id); d != drivers_.end() && d->second->spec.status) {
      try {
        o["driver"] = d->second->spec.status();
      } catch (const std::exception& e) {
        o["driver"] = json::object{{"error", e.what()}};
      }
    }
    return o;
  };
  for (const auto& [id, d] : drivers_) out[id] = entry(id);
  for (const auto& [id, s] : stats_) {
    if (!out.contains(id)) out[id] = entry(id);
  }
  return out;
}

std::size_t ChannelRouter::queue_depth() const { return queue_ ? queue_->depth() : 0; }

sdk::Registration ChannelRouter::register_channel(sdk::ChannelDriver driver) {
  if (!channels::valid_channel_id(driver.id)) {
    throw std::invalid_argument("channel id \"" + driver.id + "\" must be letters, digits, - and _");
  }
  if (drivers_.count(driver.id)) throw std::invalid_argument("channel " + driver.id + " is already registered");
  if (!driver.send) throw std::invalid_argument("channel " + driver.id + " has no send function");
  auto d = std::make_shared<Driver>(io_);
  d->spec = std::move(driver);
  const std::string id = d->spec.id;
  std::vector<std::string> problems;
  d->access = channels::access_of(inst_.config.root(), id, &problems);
  for (const auto& p : problems) log_("warn", "channels: " + p + " (" + inst_.config.where() + ")");
  drivers_[id] = d;
  stats_[id];
  return sdk::Registration([this, id, weak = std::weak_ptr<Driver>(d)] {
    auto it = drivers_.find(id);
    if (it == drivers_.end() || it->second != weak.lock()) return;
    auto dr = it->second;
    drivers_.erase(it);
    dr->abandon();
    auto s = stats_.find(id);
    if (s != stats_.end()) {
      for (auto& [acc, st] : s->second.accounts) st.connected = false;
    }
  });
}

void ChannelRouter::receive(sdk::ChannelMessage m, std::function<void(bool, const std::string&)> accepted) {
  auto refuse = [&](const std::string& why) {
    if (accepted) {
      boost::asio::post(io_, [accepted = std::move(accepted), why] { accepted(false, why); });
    }
  };
  if (!drivers_.count(m.channel)) return refuse("channel \"" + m.channel + "\" is not registered");
  if (!queue_) return refuse("the inbound queue is not open");
  if (m.account.empty()) m.account = "default";
  if (m.ts == 0) m.ts = now_ms();
  if (m.id.empty()) m.id = std::to_string(m.ts) + "-" + sdk::random_hex(4);
  if (m.chat.empty()) m.chat = m.from_name.empty() ? m.from : m.from_name;
  std::string key = key_of(m);
  if (queue_->contains(key)) return refuse("message " + key + " is already queued");
  // Back-pressure: a sender faster than the answers waits (a webhook gets 503) instead of the
  // backlog growing in memory without bound.
  std::size_t outbound = 0;
  for (const auto& [id, d] : drivers_) outbound += d->jobs.size();
  if (queue_->depth() >= kMaxQueued || outbound >= kMaxQueued) {
    return refuse("the gateway is behind (" + std::to_string(kMaxQueued) +
                  " messages wait to be handled or answered): try again shortly");
  }
  queue_->push(key, m.to_json(), [this, m, key, accepted = std::move(accepted)](bool ok, const std::string& err) {
    if (accepted) accepted(ok, err);
    if (!ok) {
      log_("error", "channels: message " + key + " not accepted: " + err);
      return;
    }
    ++stats_[m.channel].in;
    ++stats_[m.channel].queued;
    dispatch(m, key);
  });
}

void ChannelRouter::report(const std::string& channel, const std::string& account, bool connected,
                           const std::string& last_error) {
  auto& st = stats_[channel].accounts[account.empty() ? "default" : account];
  if (st.connected != connected) st.since_ms = now_ms();
  st.connected = connected;
  if (!last_error.empty() || connected) st.last_error = last_error;
}

void ChannelRouter::handled(const std::string& key) {
  if (queue_ && queue_->ack(key)) --stats_[channel_of(key)].queued;
}

std::vector<std::string> ChannelRouter::approved(const std::string& channel) {
  // The approved list changes when the owner runs `pairing approve` (another process): re-read
  // it when its file changed, not on every message.
  auto& c = approved_cache_[channel];
  std::error_code ec;
  fs::path file = inst_.paths.state_dir / "credentials" / (channel + "-allowFrom.json");
  auto mtime = fs::last_write_time(file, ec);
  bool exists = !ec;
  if (exists != c.exists || (exists && mtime != c.mtime)) {
    c.exists = exists;
    c.mtime = mtime;
    try {
      c.list = exists ? pairing_.approved(channel) : std::vector<std::string>{};
    } catch (const std::exception& e) {
      log_("warn", std::string("channels: ") + e.what());
      c.list.clear();
    }
  }
  return c.list;
}

void ChannelRouter::dispatch(const sdk::ChannelMessage& m, const std::string& key) {
  json::object event = m.to_json().as_object();
  event["direction"] = "in";
  event["peer"] = m.from;
  if (broadcast_) broadcast_("chat", event);

  std::string why;
  auto d = drivers_.find(m.channel);
  auto access = d != drivers_.end() ? d->second->access : channels::access_of(inst_.config.root(), m.channel);
  auto decision = channels::decide(access, m, approved(m.channel), &why);
  if (decision == channels::Decision::deny) {
    ++stats_[m.channel].denied;
    log_("info", "channels: " + m.channel + " message from " + m.from + " not answered: " + why);
    handled(key);
    return;
  }
  if (decision == channels::Decision::pair) {
    std::string code;
    try {
      code = pairing_.request(m.channel, m.from, m.from_name, m.account, now_ms());
    } catch (const std::exception& e) {
      log_("error", std::string("channels: pairing: ") + e.what());
      handled(key);
      return;
    }
    log_("info", "channels: pairing code for " + m.channel + " sender " + m.from + " issued");
    send(m.channel, m.account, m.chat,
         "This bot does not know you yet. Pairing code: " + code +
             "\nAsk its owner to run: openclaw-host pairing approve " + m.channel + " " + code,
         nullptr);
    handled(key);
    return;
  }
  // Handlers are looked up now; one that is revoked while it works still finishes through `finish`.
  auto finished = std::make_shared<bool>(false);
  sdk::CommandContext ctx;
  ctx.message = m;
  ctx.reply = [this, channel = m.channel, account = m.account, chat = m.chat](const std::string& text) {
    send(channel, account, chat, text, nullptr);
  };
  ctx.finish = [this, key, finished] {
    if (*finished) return;
    *finished = true;
    handled(key);
  };
  auto handlers = handlers_;  // a handler may add or revoke handlers
  for (const auto& h : handlers) {
    bool taken = false;
    try {
      taken = h.fn(ctx);
    } catch (const std::exception& e) {
      log_("warn", "channels: a command handler threw on " + key + ": " + e.what());
      continue;
    }
    if (taken) return;
  }
  ctx.finish();  // nobody wanted it
}

void ChannelRouter::send(const std::string& channel, const std::string& account, const std::string& to,
                         const std::string& text, std::function<void(sdk::Delivery)> done) {
  auto fail = [&](const std::string& why) {
    if (done) boost::asio::post(io_, [done = std::move(done), why] { done(sdk::Delivery{false, why, {}, 0}); });
  };
  auto it = drivers_.find(channel);
  if (it == drivers_.end()) return fail("channel \"" + channel + "\" is not running");
  if (to.empty()) return fail("no target to send to");
  if (text.empty()) return fail("no text to send");
  auto job = std::make_shared<Job>();
  job->account = account.empty() ? "default" : account;
  job->to = to;
  for (auto& p : sdk::split_text(text, it->second->spec.text_limit)) job->parts.push_back(std::move(p));
  job->total = static_cast<int>(job->parts.size());
  job->done = std::move(done);
  it->second->jobs.push_back(job);
  pump(it->second);
}

// Starts sends until the driver has `max_in_flight` parts out (one at a time with pacing). The
// parts of one text go in order, and so do texts to one destination: a job starts only when no
// earlier job for the same account and target is still queued. Only the front of the queue is
// searched (kScan jobs), so a long backlog for one busy destination costs no quadratic scan.
void ChannelRouter::pump(const std::shared_ptr<Driver>& d) {
  constexpr std::size_t kScan = 64;
  if (d->gone || d->pacing) return;
  const std::size_t limit = d->spec.min_interval.count() > 0 ? 1 : std::max<std::size_t>(1, d->spec.max_in_flight);
  while (d->in_flight < limit && !d->jobs.empty()) {
    std::shared_ptr<Job> job;
    std::vector<std::pair<std::string_view, std::string_view>> earlier;  // destinations ahead
    for (std::size_t i = 0; i < d->jobs.size() && i < kScan; ++i) {
      const auto& j = d->jobs[i];
      std::pair<std::string_view, std::string_view> dest{j->account, j->to};
      bool blocked = std::find(earlier.begin(), earlier.end(), dest) != earlier.end();
      if (!blocked && !j->sending) {
        job = j;
        break;
      }
      if (!blocked) earlier.push_back(dest);
    }
    if (!job) return;  // every candidate waits for a send in flight
    std::string part = std::move(job->parts.front());
    job->parts.pop_front();
    job->sending = true;
    ++d->in_flight;
    std::weak_ptr<Driver> weak = d;
    auto after = [this, weak, job](sdk::Delivery r) {
      auto dr = weak.lock();
      if (!dr || dr->gone) return;
      --dr->in_flight;
      job->sending = false;
      if (!r.ok || job->parts.empty()) {
        std::erase(dr->jobs, job);
        if (r.ok) {
          ++stats_[dr->spec.id].out;
          job->deliver(sdk::Delivery{true, {}, r.message_id, job->total});
        } else {
          ++stats_[dr->spec.id].failed;
          r.parts = job->total;
          job->deliver(std::move(r));
        }
      } else {
        job->last_id = r.message_id;
      }
      if (dr->spec.min_interval.count() > 0) {
        dr->pacing = true;
        dr->pace.expires_after(dr->spec.min_interval);
        dr->pace.async_wait([this, weak](const boost::system::error_code& ec) {
          auto d2 = weak.lock();
          if (ec || !d2) return;
          d2->pacing = false;
          pump(d2);
        });
      } else {
        pump(dr);
      }
    };
    try {
      d->spec.send(job->account, job->to, part, [this, after](sdk::Delivery r) {
        // Always continue on a fresh turn: a driver may answer from inside send().
        boost::asio::post(io_, [after, r = std::move(r)]() mutable { after(std::move(r)); });
      });
    } catch (const std::exception& e) {
      boost::asio::post(io_, [after, why = std::string(e.what())] { after(sdk::Delivery{false, why, {}, 0}); });
    }
  }
}

sdk::Registration ChannelRouter::add_command_handler(sdk::CommandHandler handler) {
  std::uint64_t id = next_id_++;
  handlers_.push_back(Handler{id, std::move(handler)});
  return sdk::Registration([this, id] {
    std::erase_if(handlers_, [id](const Handler& h) { return h.id == id; });
  });
}

}  // namespace openclaw::gateway
