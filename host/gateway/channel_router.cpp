#include "gateway/channel_router.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

// One inbound message handed to the handlers: it leaves the queue once the handler finished and
// every reply it sent is delivered or dead-lettered.
struct ChannelRouter::Answer {
  std::string key;               ///< its queue key
  std::int64_t accepted_ms = 0;  ///< when it was accepted (the retry deadline counts from here)
  bool redelivery = false;       ///< an earlier run may have answered it already
  int replies = 0;               ///< reply texts begun
  int open = 0;                  ///< reply texts not yet delivered or dead-lettered
  bool finished = false;         ///< the handler called finish (or nobody wanted it)
  bool abandoned = false;        ///< its channel stopped first: it stays queued for later
};

// One text being sent: its parts, and where the delivery is reported.
struct ChannelRouter::Job {
  std::string account, to;
  std::deque<std::string> parts;  ///< the front one is sent (and re-sent) until delivered
  int total = 0;
  int next_part = 0;     ///< index of parts.front() in the text
  int attempt = 0;       ///< tries of the front part so far
  bool sending = false;  ///< one of its parts is with the driver
  bool waiting = false;  ///< backing off before the next try
  std::string key;       ///< idempotency key of the text ("<queue key>#<reply>"); parts add ".<n>"
  std::shared_ptr<Answer> answer;  ///< the message this replies to; nullptr for a plain send()
  std::int64_t retry_until_ms = 0;
  std::shared_ptr<boost::asio::steady_timer> backoff;
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
  channels::Access access;    ///< the channel's access policy, read from the config once
  std::size_t in_flight = 0;  ///< parts with the driver now
  bool pacing = false;        ///< waiting out min_interval
  bool gone = false;
  boost::asio::steady_timer pace;
};

namespace {
constexpr std::size_t kMaxQueued = 10000;

std::string key_of(const sdk::ChannelMessage& m) {
  return m.channel + "/" + m.account + "/" + m.id;
}
std::string channel_of(const std::string& key) {
  return key.substr(0, key.find('/'));
}
}  // namespace

ChannelRouter::ChannelRouter(boost::asio::io_context& io, const Instance& inst, Logger log,
                             Broadcast broadcast)
    : io_(io),
      inst_(inst),
      config_(inst.config.root()),
      log_(std::move(log)),
      broadcast_(std::move(broadcast)),
      pairing_(inst.paths.state_dir) {}

void ChannelRouter::reconfigure(const json::object& root) {
  config_ = root;
  for (auto& [id, d] : drivers_) {
    std::vector<std::string> problems;
    d->access = channels::access_of(config_, id, &problems);
    for (const auto& p : problems)
      log_(sdk::LogLevel::warn, "channels: " + p + " (" + inst_.config.where() + ")");
  }
}

ChannelRouter::~ChannelRouter() {
  stop();
}

void ChannelRouter::open_queue() {
  queue_ = sdk::DurableQueue::open(io_, inst_.paths.state_dir / "channels" / "inbound.journal");
  for (const auto& [key, record] : queue_->pending()) ++stats_[channel_of(key)].queued;
  if (auto n = queue_->depth()) {
    log_(sdk::LogLevel::info,
         "channels: " + std::to_string(n) +
             " message(s) accepted before the last stop are still to be handled");
  }
}

void ChannelRouter::replay() {
  replayed_ = true;
  redispatch("");
}

void ChannelRouter::redispatch(const std::string& channel) {
  if (!queue_) return;
  for (auto& [key, record] : queue_->pending()) {
    if (answering_.count(key)) continue;  // being answered now
    if (!channel.empty() && channel_of(key) != channel) continue;
    sdk::ChannelMessage m;
    try {
      m = sdk::ChannelMessage::from_json(record);
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::warn,
           "channels: dropping an unreadable queued message " + key + ": " + e.what());
      handled(key);
      continue;
    }
    if (!drivers_.count(m.channel)) continue;  // its plugin is not running: keep it for later
    log_(sdk::LogLevel::info,
         "channels: handling " + key + ", accepted before its channel last stopped");
    m.redelivery = true;
    dispatch(m, key);
  }
}

void ChannelRouter::stop() {
  auto drivers = std::move(drivers_);
  drivers_.clear();
  for (auto& [id, d] : drivers) close_driver(*d);
}

// The plugin stopped: no more sends. A plain send still waiting is reported undelivered; a reply
// is not: its message stays queued and is handled again when the channel is back.
void ChannelRouter::close_driver(Driver& d) {
  d.gone = true;
  d.pace.cancel();
  for (auto& job : d.jobs) {
    if (job->backoff) job->backoff->cancel();
    if (job->answer) {
      forget(job->answer);
    } else {
      job->deliver(sdk::Delivery{false, "channel " + d.spec.id + " stopped", {}, job->total});
    }
  }
  d.jobs.clear();
  for (auto it = answering_.begin(); it != answering_.end();) {
    auto a = it++->second;
    if (channel_of(a->key) == d.spec.id) forget(a);
  }
}

void ChannelRouter::forget(const std::shared_ptr<Answer>& a) {
  a->abandoned = true;
  auto it = answering_.find(a->key);
  if (it != answering_.end() && it->second == a) answering_.erase(it);
}

void ChannelRouter::drain(std::chrono::milliseconds deadline, std::function<void()> then) {
  draining_ = true;
  drain_until_ = std::chrono::steady_clock::now() + deadline;
  drain_then_ = std::move(then);
  check_drained(std::make_shared<boost::asio::steady_timer>(io_));
}

void ChannelRouter::check_drained(const std::shared_ptr<boost::asio::steady_timer>& timer) {
  if (!drain_then_) return;
  if (!answering_.empty() && std::chrono::steady_clock::now() < drain_until_) {
    timer->expires_after(std::chrono::milliseconds(10));
    timer->async_wait([this, timer](const boost::system::error_code& ec) {
      if (!ec) check_drained(timer);
    });
    return;
  }
  if (!answering_.empty()) {
    log_(sdk::LogLevel::warn,
         "channels: stopping with " + std::to_string(answering_.size()) +
             " accepted message(s) not answered yet; they stay queued and are answered at "
             "the next start");
  }
  auto then = std::move(drain_then_);
  drain_then_ = nullptr;
  then();
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
        accounts[acc] =
            json::object{{"connected", st.connected},
                         {"lastError", st.last_error.empty() ? json::value(nullptr)
                                                             : json::value(st.last_error)},
                         {"since", st.since_ms}};
      }
      o["in"] = s->second.in;
      o["out"] = s->second.out;
      o["denied"] = s->second.denied;
      o["failed"] = s->second.failed;
      o["retried"] = s->second.retried;
      o["deadLettered"] = s->second.dead_lettered;
    } else {
      o["in"] = 0, o["out"] = 0, o["denied"] = 0, o["failed"] = 0, o["retried"] = 0,
      o["deadLettered"] = 0;
    }
    std::int64_t answering = 0;
    for (const auto& [key, a] : answering_) answering += channel_of(key) == id ? 1 : 0;
    o["answering"] = answering;
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

std::size_t ChannelRouter::queue_depth() const {
  return queue_ ? queue_->depth() : 0;
}

sdk::Registration ChannelRouter::register_channel(sdk::ChannelDriver driver) {
  if (!channels::valid_channel_id(driver.id)) {
    throw std::invalid_argument("channel id \"" + driver.id +
                                "\" must be letters, digits, - and _");
  }
  if (drivers_.count(driver.id))
    throw std::invalid_argument("channel " + driver.id + " is already registered");
  if (!driver.send) throw std::invalid_argument("channel " + driver.id + " has no send function");
  auto d = std::make_shared<Driver>(io_);
  d->spec = std::move(driver);
  const std::string id = d->spec.id;
  std::vector<std::string> problems;
  d->access = channels::access_of(config_, id, &problems);
  for (const auto& p : problems)
    log_(sdk::LogLevel::warn, "channels: " + p + " (" + inst_.config.where() + ")");
  drivers_[id] = d;
  stats_[id];
  // A channel plugin started again (live restart, reconfigure): what it left unanswered is
  // handled now. At the gateway's start replay() does this once for every channel.
  if (replayed_) boost::asio::post(io_, [this, id] { redispatch(id); });
  return sdk::Registration([this, id, weak = std::weak_ptr<Driver>(d)] {
    auto it = drivers_.find(id);
    if (it == drivers_.end() || it->second != weak.lock()) return;
    auto dr = it->second;
    drivers_.erase(it);
    close_driver(*dr);
    auto s = stats_.find(id);
    if (s != stats_.end()) {
      for (auto& [acc, st] : s->second.accounts) st.connected = false;
    }
  });
}

void ChannelRouter::receive(sdk::ChannelMessage m,
                            std::function<void(bool, const std::string&)> accepted) {
  auto refuse = [&](const std::string& why) {
    if (accepted) {
      boost::asio::post(io_, [accepted = std::move(accepted), why] { accepted(false, why); });
    }
  };
  if (!drivers_.count(m.channel)) return refuse("channel \"" + m.channel + "\" is not registered");
  if (!queue_) return refuse("the inbound queue is not open");
  if (draining_) return refuse("the gateway is stopping: try again shortly");
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
  queue_->push(key, m.to_json(),
               [this, m, key, accepted = std::move(accepted)](bool ok, const std::string& err) {
                 if (accepted) accepted(ok, err);
                 if (!ok) {
                   log_(sdk::LogLevel::error, "channels: message " + key + " not accepted: " + err);
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
      log_(sdk::LogLevel::warn, std::string("channels: ") + e.what());
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
  auto access = d != drivers_.end() ? d->second->access : channels::access_of(config_, m.channel);
  auto decision = channels::decide(access, m, approved(m.channel), &why);
  if (decision == channels::Decision::deny) {
    ++stats_[m.channel].denied;
    log_(sdk::LogLevel::info,
         "channels: " + m.channel + " message from " + m.from + " not answered: " + why);
    handled(key);
    return;
  }
  auto answer = std::make_shared<Answer>();
  answer->key = key;
  answer->accepted_ms = m.ts;
  answer->redelivery = m.redelivery;
  answering_[key] = answer;
  if (decision == channels::Decision::pair) {
    std::string code;
    try {
      code = pairing_.request(m.channel, m.from, m.from_name, m.account, now_ms());
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::error, std::string("channels: pairing: ") + e.what());
      answer->finished = true;
      settle(answer);
      return;
    }
    log_(sdk::LogLevel::info,
         "channels: pairing code for " + m.channel + " sender " + m.from + " issued");
    enqueue(m.channel, m.account, m.chat,
            "This bot does not know you yet. Pairing code: " + code +
                "\nAsk its owner to run: openclaw-host" +
                (inst_.paths.profile ? " --profile " + *inst_.paths.profile : std::string()) +
                " pairing approve " + m.channel + " " + code,
            answer, nullptr);
    answer->finished = true;
    settle(answer);
    return;
  }
  // Handlers are looked up now; one that is revoked while it works still finishes through `finish`.
  sdk::CommandContext ctx;
  ctx.message = m;
  ctx.reply = [this, answer, channel = m.channel, account = m.account,
               chat = m.chat](const std::string& text) {
    if (answer->abandoned) return;  // its channel stopped: the message is handled again later
    enqueue(channel, account, chat, text, answer, nullptr);
  };
  ctx.finish = [this, answer] {
    if (answer->finished) return;
    answer->finished = true;
    settle(answer);
  };
  auto handlers = handlers_;  // a handler may add or revoke handlers
  for (const auto& h : handlers) {
    bool taken = false;
    try {
      taken = h.fn(ctx);
    } catch (const std::exception& e) {
      log_(sdk::LogLevel::warn, "channels: a command handler threw on " + key + ": " + e.what());
      continue;
    }
    if (taken) return;
  }
  ctx.finish();  // nobody wanted it
}

void ChannelRouter::settle(const std::shared_ptr<Answer>& a) {
  if (a->abandoned || !a->finished || a->open > 0) return;
  forget(a);
  handled(a->key);
}

void ChannelRouter::dead_letter(const Job& job, const std::string& part, const sdk::Delivery& why) {
  std::string channel = channel_of(job.answer->key);
  const std::string key = job.key + "." + std::to_string(job.next_part);
  log_(sdk::LogLevel::error, "channels: reply " + key + " to " + job.to + " on " + channel +
                                 " dead-lettered after " + std::to_string(job.attempt) +
                                 " attempt(s): " + why.error);
  json::object line{{"at", now_ms()},          {"key", key},        {"channel", channel},
                    {"account", job.account},  {"to", job.to},      {"text", part},
                    {"attempts", job.attempt}, {"error", why.error}};
  // An append of one line to a regular file of ours: a torn last line after a crash is skipped
  // by whoever reads it; nothing earlier is ever rewritten.
  std::string text = json::serialize(line) + "\n";
  fs::path file = inst_.paths.state_dir / "channels" / "dead-letter.jsonl";
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                  0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    log_(sdk::LogLevel::error,
         "channels: cannot append to " + file.string() + ": " + std::strerror(errno));
  }
  if (fd >= 0) ::close(fd);
}

void ChannelRouter::send(const std::string& channel, const std::string& account,
                         const std::string& to, const std::string& text,
                         std::function<void(sdk::Delivery)> done) {
  enqueue(channel, account, to, text, nullptr, std::move(done));
}

void ChannelRouter::enqueue(const std::string& channel, const std::string& account,
                            const std::string& to, const std::string& text,
                            std::shared_ptr<Answer> answer,
                            std::function<void(sdk::Delivery)> done) {
  auto fail = [&](const std::string& why) {
    if (done)
      boost::asio::post(io_, [done = std::move(done), why] {
        done(sdk::Delivery{false, why, {}, 0});
      });
  };
  auto it = drivers_.find(channel);
  if (it == drivers_.end()) {
    if (answer) forget(answer);  // it stays queued until the channel is back
    return fail("channel \"" + channel + "\" is not running");
  }
  if (to.empty()) return fail("no target to send to");
  if (text.empty()) return fail("no text to send");
  auto job = std::make_shared<Job>();
  job->account = account.empty() ? "default" : account;
  job->to = to;
  for (auto& p : sdk::split_text(text, it->second->spec.text_limit))
    job->parts.push_back(std::move(p));
  job->total = static_cast<int>(job->parts.size());
  job->done = std::move(done);
  if (answer) {
    job->key = answer->key + "#" + std::to_string(answer->replies++);
    job->retry_until_ms =
        answer->accepted_ms +
        std::chrono::duration_cast<std::chrono::milliseconds>(it->second->spec.retry_for).count();
    ++answer->open;
    job->answer = std::move(answer);
  } else {
    job->key = "send/" + sdk::random_hex(8) + "#0";
  }
  it->second->jobs.push_back(job);
  pump(it->second);
}

// Starts sends until the driver has `max_in_flight` parts out (one at a time with pacing). The
// parts of one text go in order, and so do texts to one destination: a job starts only when no
// earlier job for the same account and target is still queued (a reply backing off before its
// retry holds the ones behind it). Only the front of the queue is searched (kScan jobs), so a
// long backlog for one busy destination costs no quadratic scan.
void ChannelRouter::pump(const std::shared_ptr<Driver>& d) {
  constexpr std::size_t kScan = 64;
  if (d->gone || d->pacing) return;
  const std::size_t limit =
      d->spec.min_interval.count() > 0 ? 1 : std::max<std::size_t>(1, d->spec.max_in_flight);
  while (d->in_flight < limit && !d->jobs.empty()) {
    std::shared_ptr<Job> job;
    std::vector<std::pair<std::string_view, std::string_view>> earlier;  // destinations ahead
    for (std::size_t i = 0; i < d->jobs.size() && i < kScan; ++i) {
      const auto& j = d->jobs[i];
      std::pair<std::string_view, std::string_view> dest{j->account, j->to};
      bool blocked = std::find(earlier.begin(), earlier.end(), dest) != earlier.end();
      if (!blocked && !j->sending && !j->waiting) {
        job = j;
        break;
      }
      if (!blocked) earlier.push_back(dest);
    }
    if (!job) return;  // every candidate waits for a send in flight
    sdk::OutboundPart part;
    part.account = job->account;
    part.to = job->to;
    part.text = job->parts.front();
    part.key = job->key + "." + std::to_string(job->next_part);
    part.attempt = ++job->attempt;
    part.redelivery = job->attempt > 1 || (job->answer && job->answer->redelivery);
    job->sending = true;
    ++d->in_flight;
    std::weak_ptr<Driver> weak = d;
    auto after = [this, weak, job](sdk::Delivery r) {
      auto dr = weak.lock();
      if (!dr || dr->gone) return;
      --dr->in_flight;
      job->sending = false;
      on_delivery(dr, job, std::move(r));
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
      d->spec.send(part, [this, after](sdk::Delivery r) {
        // Always continue on a fresh turn: a driver may answer from inside send().
        boost::asio::post(io_, [after, r = std::move(r)]() mutable { after(std::move(r)); });
      });
    } catch (const std::exception& e) {
      boost::asio::post(io_, [after, why = std::string(e.what())] {
        after(sdk::Delivery{false, why, {}, 0});
      });
    }
  }
}

// One part's outcome: the next part, the text's delivery, a retry after a backoff, or (a reply out
// of retries) the dead-letter file.
void ChannelRouter::on_delivery(const std::shared_ptr<Driver>& d, const std::shared_ptr<Job>& job,
                                sdk::Delivery r) {
  auto& st = stats_[d->spec.id];
  if (r.ok) {
    std::string part = std::move(job->parts.front());
    job->parts.pop_front();
    ++job->next_part;
    job->attempt = 0;
    job->last_id = r.message_id;
    if (!job->parts.empty()) return;
    std::erase(d->jobs, job);
    ++st.out;
    sdk::Delivery ok{true, {}, r.message_id, job->total};
    ok.delivered = job->total;
    job->deliver(std::move(ok));
    if (job->answer) {
      --job->answer->open;
      settle(job->answer);
    }
    return;
  }
  if (job->answer && !r.permanent && now_ms() < job->retry_until_ms) {
    ++st.retried;
    if (job->attempt == 1) {
      log_(sdk::LogLevel::warn, "channels: reply " + job->key + " to " + job->to + " on " +
                                    d->spec.id + " failed (" + r.error +
                                    "); retrying with backoff");
    }
    auto delay = std::chrono::milliseconds(1000) * (1 << std::min(job->attempt - 1, 5));
    job->waiting = true;
    if (!job->backoff) job->backoff = std::make_shared<boost::asio::steady_timer>(io_);
    job->backoff->expires_after(
        std::min<std::chrono::milliseconds>(delay, std::chrono::seconds(30)));
    std::weak_ptr<Driver> weak = d;
    job->backoff->async_wait([this, weak, job](const boost::system::error_code& ec) {
      auto dr = weak.lock();
      if (ec || !dr || dr->gone) return;
      job->waiting = false;
      pump(dr);
    });
    return;
  }
  std::erase(d->jobs, job);
  ++st.failed;
  if (job->answer) {
    ++st.dead_lettered;
    dead_letter(*job, job->parts.empty() ? std::string() : job->parts.front(), r);
    --job->answer->open;
    settle(job->answer);
  }
  r.parts = job->total;
  r.delivered = job->next_part;
  job->deliver(std::move(r));
}

sdk::Registration ChannelRouter::add_command_handler(sdk::CommandHandler handler) {
  std::uint64_t id = next_id_++;
  handlers_.push_back(Handler{id, std::move(handler)});
  return sdk::Registration(
      [this, id] { std::erase_if(handlers_, [id](const Handler& h) { return h.id == id; }); });
}

}  // namespace openclaw::gateway
