// Messaging from the command line: `channels list|status` (the running gateway's channels),
// `message send` (OpenClaw's flags) and `pairing list|approve` (the pairing store, with or
// without a running gateway).
#include <iostream>

#include <boost/json.hpp>

#include "channels/pairing.hpp"
#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "gateway/protocol.hpp"

namespace openclaw::cli {
namespace json = boost::json;

namespace {

std::vector<std::string> words_of(const po::variables_map& vm) {
  return vm.count("words") ? vm["words"].as<std::vector<std::string>>()
                           : std::vector<std::string>{};
}

std::string text(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  if (!v || v->is_null()) return "";
  return v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
}

// An account entry's `connected`, as either gateway writes it (false when absent).
bool connected_of(const json::value& account) {
  const auto* up = account.is_object() ? account.get_object().if_contains("connected") : nullptr;
  return up && up->is_bool() && up->get_bool();
}

}  // namespace

int cmd_channels(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print the channels.status payload")(
      "probe", "exit 1 unless every registered channel account is connected");
  add_gateway_client_options(opts, 10000);
  opts.add_options()("words", po::value<std::vector<std::string>>(), "subcommand");
  po::positional_options_description pos;
  pos.add("words", -1);
  auto vm = parse_command(ctx, "channels list|status [--json] [--probe]",
                          "The running gateway's messaging channels: per channel and account, "
                          "connected or not, last error, messages in and out, queue depth.\n"
                          "Exit code: 0, 1 refused (or --probe found a channel down), 3 no gateway "
                          "answers.",
                          opts, pos, args);
  if (!vm) return 0;
  auto words = words_of(*vm);
  if (words.size() != 1 || (words[0] != "list" && words[0] != "status")) {
    throw usage_error("channels takes one subcommand: list or status (see channels --help)");
  }
  Instance inst = ctx.instance();
  auto options = gateway_client_options(ctx, *vm, inst);
  json::value s;
  try {
    gateway::Client client(options);
    s = client.call("channels.status");
  } catch (const gateway::GatewayError& e) {
    throw usage_error(std::string("channels status: ") + e.what(), options.url);
  }
  const auto& o = s.as_object();
  const auto& chans = o.at("channels").as_object();
  bool all_up = true;
  for (const auto& [id, v] : chans) {
    const auto& c = v.as_object();
    if (const auto* acc = c.if_contains("accounts"); acc && acc->is_object()) {
      for (const auto& [a, st] : acc->as_object()) all_up = all_up && connected_of(st);
      if (acc->as_object().empty() && c.if_contains("registered") && c.at("registered").as_bool())
        all_up = false;
    }
  }
  if (vm->count("json")) {
    *ctx.out << json::serialize(s) << "\n";
  } else if (chans.empty()) {
    *ctx.out << "No channels (configure channels.irc, channels.telegram or "
                "plugins.entries.webhook.config).\n";
  } else {
    auto& out = *ctx.out;
    out << pad("CHANNEL", 10) << pad("ACCOUNT", 10) << pad("STATE", 13) << pad("IN", 7)
        << pad("OUT", 7) << pad("QUEUE", 6) << "LAST ERROR\n";
    for (const auto& [id, v] : chans) {
      const auto& c = v.as_object();
      const auto* acc = c.if_contains("accounts");
      const std::string channel(id);  // a lambda may not capture a structured binding (clang 14)
      auto row = [&](const std::string& account, const std::string& state, const std::string& err) {
        out << pad(channel, 10) << pad(account, 10) << pad(state, 13) << pad(text(c, "in"), 7)
            << pad(text(c, "out"), 7) << pad(text(c, "queue"), 6) << err << "\n";
      };
      if (!acc || !acc->is_object() || acc->as_object().empty()) {
        std::string st = text(c, "state");
        row("-", st.empty() ? "idle" : st == "running" ? "idle" : st, text(c, "reason"));
        continue;
      }
      for (const auto& [a, stv] : acc->as_object()) {
        const auto& st = stv.as_object();
        row(std::string(a), connected_of(stv) ? "connected" : "disconnected",
            text(st, "lastError"));
      }
    }
  }
  return vm->count("probe") && !all_up ? 1 : 0;
}

int cmd_message(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("channel", po::value<std::string>()->value_name("C"),
                     "channel id (irc, telegram, webhook, ...)")(
      "target", po::value<std::string>()->value_name("T"),
      "where to: a nick, \"#channel\", a chat id")(
      "message", po::value<std::string>()->value_name("TEXT"), "the text (long texts are split)")(
      "account", po::value<std::string>()->value_name("A"),
      "the channel account (default: default)")("json", "print the send payload");
  add_gateway_client_options(opts, 10000);
  opts.add_options()("words", po::value<std::vector<std::string>>(), "subcommand");
  po::positional_options_description pos;
  pos.add("words", -1);
  auto vm =
      parse_command(ctx, "message send --channel C --target T --message TEXT [--account A]",
                    "Sends a message through the running gateway's channel and waits for its "
                    "delivery to the channel's server.\nWithout --timeout the wait grows with the "
                    "text (long texts go out in paced parts); a failure says how many\nparts "
                    "were delivered.\nExit code: 0 delivered, 1 refused or not delivered, 3 no "
                    "gateway answers.",
                    opts, pos, args);
  if (!vm) return 0;
  auto words = words_of(*vm);
  if (words.size() != 1 || words[0] != "send")
    throw usage_error("message takes one subcommand: send (see message --help)");
  for (const char* k : {"channel", "target", "message"}) {
    if (!vm->count(k) || (*vm)[k].as<std::string>().empty()) {
      throw usage_error(std::string("message send needs --") + k);
    }
  }
  Instance inst = ctx.instance();
  auto options = gateway_client_options(ctx, *vm, inst);
  // A long text is split and paced by the channel (an IRC line of ~400 bytes about every
  // second): without --timeout the wait grows with the text, so a slow send is not reported as
  // failed (and resent by its user) while it is still going out.
  if (vm->count("timeout") == 0 || vm->at("timeout").defaulted()) {
    auto bytes = static_cast<long long>((*vm)["message"].as<std::string>().size());
    options.timeout =
        std::chrono::milliseconds(std::min<long long>(600000, 10000 + (bytes / 350 + 1) * 2500));
  }
  // OpenClaw's send params, which our gateway takes too; the idempotency key makes a retry
  // after a lost answer deliver once (both gateways replay the first answer).
  json::object params{{"channel", (*vm)["channel"].as<std::string>()},
                      {"to", (*vm)["target"].as<std::string>()},
                      {"message", (*vm)["message"].as<std::string>()},
                      {"idempotencyKey", gateway::uuid4()}};
  if (vm->count("account")) params["accountId"] = (*vm)["account"].as<std::string>();
  options.scopes = {"operator.write"};
  json::value r;
  try {
    gateway::Client client(options);
    r = client.call("send", params);
  } catch (const gateway::GatewayError& e) {
    throw usage_error(std::string("message send: ") + e.what(), options.url);
  }
  if (vm->count("json")) {
    *ctx.out << json::serialize(r) << "\n";
  } else {
    *ctx.out << "Sent to " << text(r.as_object(), "to") << " on " << text(r.as_object(), "channel")
             << " (" << text(r.as_object(), "parts") << " part(s))\n";
  }
  return 0;
}

int cmd_pairing(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()("json", "print JSON")("words", po::value<std::vector<std::string>>(),
                                           "subcommand and arguments");
  po::positional_options_description pos;
  pos.add("words", -1);
  auto vm =
      parse_command(ctx, "pairing list [CHANNEL] [--json] | pairing approve CHANNEL CODE",
                    "Senders unknown to a channel with dmPolicy \"pairing\" get a one-time code; "
                    "approving it lets that sender talk to the bot (stored in "
                    "<state dir>/credentials/<channel>-allowFrom.json). Works with or without a "
                    "running gateway.",
                    opts, pos, args);
  if (!vm) return 0;
  auto words = words_of(*vm);
  channels::PairingStore store(ctx.paths.state_dir);
  std::int64_t now = now_ms();
  if (!words.empty() && words[0] == "approve") {
    if (words.size() != 3) throw usage_error("pairing approve needs CHANNEL and CODE");
    channels::PairingRequest done;
    try {
      done = store.approve(words[1], words[2], now);
    } catch (const std::runtime_error& e) {
      throw usage_error(e.what(), (ctx.paths.state_dir / "credentials").string());
    }
    *ctx.out << "Approved " << done.from << " on " << words[1] << "\n";
    return 0;
  }
  if (!words.empty() && words[0] == "list" && words.size() <= 2) {
    std::vector<std::string> chans;
    if (words.size() == 2) {
      chans.push_back(words[1]);
    } else {
      std::error_code ec;
      for (const auto& e :
           std::filesystem::directory_iterator(ctx.paths.state_dir / "credentials", ec)) {
        std::string n = e.path().filename().string();
        const std::string suffix = "-pairing.json";
        if (n.size() > suffix.size() &&
            n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
          chans.push_back(n.substr(0, n.size() - suffix.size()));
        }
      }
    }
    json::array all;
    for (const auto& c : chans) {
      std::vector<channels::PairingRequest> reqs;
      try {
        reqs = store.pending(c, now);
      } catch (const std::runtime_error& e) {
        throw usage_error(e.what());
      }
      for (const auto& q : reqs) {
        all.push_back(json::object{{"channel", c},
                                   {"code", q.code},
                                   {"from", q.from},
                                   {"fromName", q.from_name},
                                   {"account", q.account},
                                   {"ts", q.ts}});
      }
    }
    if (vm->count("json")) {
      *ctx.out << json::serialize(all) << "\n";
    } else if (all.empty()) {
      *ctx.out << "No pending pairing requests.\n";
    } else {
      for (const auto& e : all) {
        const auto& o = e.as_object();
        *ctx.out << text(o, "channel") << "  " << text(o, "code") << "  " << text(o, "from")
                 << "\n";
      }
    }
    return 0;
  }
  throw usage_error("pairing takes: list [CHANNEL] | approve CHANNEL CODE (see pairing --help)");
}

}  // namespace openclaw::cli
