#pragma once
// The instance's side of messaging channels (sdk::Channels): drivers the channel plugins
// register, the durable inbound queue, access checks and pairing, command handlers, and paced,
// split sends. One per gateway, on its I/O thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "channels/access.hpp"
#include "channels/pairing.hpp"
#include "core/logger.hpp"
#include "instance/instance.hpp"
#include "openclaw/sdk/channels.hpp"
#include "openclaw/sdk/queue.hpp"

namespace openclaw::gateway {

class ChannelRouter final : public sdk::Channels {
 public:
  using Broadcast =
      std::function<void(const std::string& event, const boost::json::value& payload)>;

  ChannelRouter(boost::asio::io_context& io, const Instance& inst, Logger log, Broadcast broadcast);
  ~ChannelRouter() override;

  /// Opens `<state dir>/channels/inbound.journal`. Throws naming the file.
  void open_queue();
  /// Hands the messages an earlier run accepted but did not finish to the handlers (after the
  /// plugins started, so their drivers can answer). Messages of a channel that is not
  /// registered now stay queued.
  void replay();
  /// A new config (live): each channel's access policy (dmPolicy, allowFrom, ...) follows it.
  void reconfigure(const boost::json::object& root);
  /// Fails every send in flight and forgets the drivers (the plugins are stopping). Messages
  /// whose replies were not delivered stay queued for the next start.
  void stop();
  /// The gateway is stopping: new messages are refused ("the gateway is stopping"), and `then`
  /// runs once every accepted message is answered, or at `deadline` with what is left logged
  /// (it stays queued and is answered at the next start).
  void drain(std::chrono::milliseconds deadline, std::function<void()> then);

  /// {"<id>": {"registered", "accounts": {...}, "in", "out", "queue"}} for channels.status.
  boost::json::value status() const;
  /// True when a channel plugin registered a driver under `channel`.
  bool has(const std::string& channel) const { return drivers_.count(channel) > 0; }
  /// Messages accepted and not yet handled.
  std::size_t queue_depth() const;

  sdk::Registration register_channel(sdk::ChannelDriver driver) override;
  void receive(sdk::ChannelMessage message,
               std::function<void(bool, const std::string&)> accepted) override;
  void report(const std::string& channel, const std::string& account, bool connected,
              const std::string& last_error) override;
  void send(const std::string& channel, const std::string& account, const std::string& to,
            const std::string& text, std::function<void(sdk::Delivery)> done) override;
  sdk::Registration add_command_handler(sdk::CommandHandler handler) override;

 private:
  struct Job;
  struct Driver;
  struct Answer;
  struct AccountState {
    bool connected = false;
    std::string last_error;
    std::int64_t since_ms = 0;
  };
  struct Stats {
    std::int64_t in = 0, out = 0, denied = 0, failed = 0;
    std::int64_t retried = 0, dead_lettered = 0;
    std::int64_t queued = 0;  ///< its messages in the inbound queue
    std::map<std::string, AccountState> accounts;
  };

  void dispatch(const sdk::ChannelMessage& m, const std::string& key);
  /// Takes `key` off the inbound queue (the message is handled).
  void handled(const std::string& key);
  /// Queues `text` for `to`; a reply (`answer` set) is retried until delivered or dead-lettered
  /// and counts toward its message's answer.
  void enqueue(const std::string& channel, const std::string& account, const std::string& to,
               const std::string& text, std::shared_ptr<Answer> answer,
               std::function<void(sdk::Delivery)> done);
  /// Takes the message of `a` off the queue once its handler finished and its replies are out.
  void settle(const std::shared_ptr<Answer>& a);
  /// Hands the queued messages of `channel` (all channels when empty) that nobody is answering
  /// now to the handlers again.
  void redispatch(const std::string& channel);
  void dead_letter(const Job& job, const std::string& part, const sdk::Delivery& why);
  void on_delivery(const std::shared_ptr<Driver>& d, const std::shared_ptr<Job>& job,
                   sdk::Delivery r);
  void close_driver(Driver& d);
  /// drain(): runs the continuation once nothing is being answered or the deadline passed.
  void check_drained(const std::shared_ptr<boost::asio::steady_timer>& timer);
  /// `a` is no longer being answered (its channel stopped); its message stays queued.
  void forget(const std::shared_ptr<Answer>& a);
  void pump(const std::shared_ptr<Driver>& d);
  std::vector<std::string> approved(const std::string& channel);

  boost::asio::io_context& io_;
  const Instance& inst_;
  boost::json::object config_;  ///< the current config (the instance's, then live changes)
  Logger log_;
  Broadcast broadcast_;
  channels::PairingStore pairing_;
  std::unique_ptr<sdk::DurableQueue> queue_;
  std::map<std::string, std::shared_ptr<Driver>> drivers_;
  /// Messages handed to a handler whose answer is not complete yet, by queue key.
  std::map<std::string, std::shared_ptr<Answer>> answering_;
  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_until_;
  std::function<void()> drain_then_;
  bool replayed_ = false;  ///< replay() ran: a channel registering later gets its backlog at once
  std::map<std::string, Stats> stats_;
  struct Handler {
    std::uint64_t id;
    sdk::CommandHandler fn;
  };
  std::vector<Handler> handlers_;
  std::uint64_t next_id_ = 1;
  struct Approved {
    std::filesystem::file_time_type mtime{};
    bool exists = false;
    std::vector<std::string> list;
  };
  std::map<std::string, Approved> approved_cache_;
};

}  // namespace openclaw::gateway
