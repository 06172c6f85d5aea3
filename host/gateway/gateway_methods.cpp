#include "gateway/gateway_methods.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <thread>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/version.hpp"
#include "gateway/status_page.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/config.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/run_history.hpp"

namespace openclaw::gateway {
namespace json = boost::json;

namespace {
// A long text goes out in paced parts (45 IRC lines take most of a minute): every send is
// answered by its channel (delivered, or why not), so its deadline is generous.
constexpr std::chrono::milliseconds kSendTimeout{600000};
}  // namespace

namespace {

// The names OpenClaw's CLI shows for our channels (its channelLabels).
std::string channel_label(const std::string& id) {
  if (id == "irc") return "IRC";
  if (id == "telegram") return "Telegram";
  if (id == "webhook") return "Webhook";
  return id;
}

// One account of a channel as OpenClaw's ChannelAccountSnapshot has it (accountId, enabled,
// configured, running, connected, lastConnectedAt, lastError, probe), beside our own fields. A
// connected account's link is proven live by the channel itself (IRC: PING/PONG within
// pingIntervalMs + pingTimeoutMs; Telegram: its long poll), so `probe.ok` says so: OpenClaw's CLI
// prints "ok" for a channel only then.
json::object account_view(const std::string& account, json::object ours, bool running,
                          bool configured) {
  const json::value* connected = ours.if_contains("connected");
  const bool up = connected && connected->is_bool() && connected->get_bool();
  const json::value* since = ours.if_contains("since");
  json::object a{{"accountId", account},
                 {"enabled", true},
                 {"configured", configured},
                 {"running", running},
                 {"connected", up},
                 {"lastConnectedAt", up && since ? *since : json::value(nullptr)},
                 {"lastError", ours.if_contains("lastError") ? ours.at("lastError") : nullptr}};
  if (up) a["probe"] = json::object{{"ok", true}, {"via", "link"}};
  for (auto& [k, v] : ours) {
    if (!a.contains(k)) a[k] = std::move(v);
  }
  return a;
}

// /proc/self/statm's resident set, in bytes (0 where there is none).
std::int64_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "re");
  if (!f) return 0;
  long long pages = 0, resident = 0;
  const int got = std::fscanf(f, "%lld %lld", &pages, &resident);
  std::fclose(f);
  return got == 2 ? resident * ::sysconf(_SC_PAGESIZE) : 0;
}

// An optional integer param of `method` within [lo, hi]; `fallback` when absent or null.
std::int64_t int_param(const json::object& params, const char* method, const char* key,
                       std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
  const json::value* v = params.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_int64() || v->get_int64() < lo || v->get_int64() > hi) {
    throw MethodError("INVALID_REQUEST", std::string("invalid ") + method + " params: " + key +
                                             " must be an integer from " + std::to_string(lo) +
                                             " to " + std::to_string(hi));
  }
  return v->get_int64();
}

// A method's params as an object (a request without params has none).
const json::object& object_of(const json::value& params) {
  static const json::object none;
  return params.is_object() ? params.get_object() : none;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

json::object GatewayMethods::channel_views() const {
  json::object channels;
  json::array order;
  for (const auto& slot : manager_.slots()) {
    const plugins::Record& r = slot->record;
    if (r.unloaded || r.kind != "channel") continue;
    channels[r.id] = json::object{{"state", plugins::state_name(r.state)}, {"reason", r.reason}};
    order.push_back(json::value(r.id));
  }
  // What the channel router knows: connected accounts, last errors, counts, queue depth.
  json::value routed = channels_.status();
  for (auto& [id, st] : routed.as_object()) {
    json::object entry = st.as_object();
    if (auto* known = channels.if_contains(id)) {
      for (auto& [k, v] : known->as_object()) entry[k] = v;
    } else {
      entry["state"] = "running";
      order.push_back(json::value(id));
    }
    channels[id] = std::move(entry);
  }
  // OpenClaw's fields, the default account's on the channel itself.
  json::object labels, accounts_of, default_of;
  for (auto& [id, v] : channels) {
    json::object& entry = v.as_object();
    const std::string name(id);
    const bool running = entry.at("state") == "running";
    const json::value* driver = entry.if_contains("driver");
    const json::value* configured_v =
        driver && driver->is_object() ? driver->get_object().if_contains("configured") : nullptr;
    const bool configured =
        configured_v && configured_v->is_bool() ? configured_v->get_bool() : running;
    entry["enabled"] = entry.at("state") != "disabled";
    entry["configured"] = configured;
    entry["running"] = running;
    json::array list;
    json::object* accounts =
        entry.if_contains("accounts") ? entry["accounts"].if_object() : nullptr;
    if (accounts) {
      for (auto& [account, a] : *accounts) {
        json::object view =
            account_view(std::string(account), a.is_object() ? a.get_object() : json::object{},
                         running, configured);
        a = view;
        list.push_back(std::move(view));
      }
    }
    std::string first;
    if (accounts && accounts->contains("default"))
      first = "default";
    else if (accounts && !accounts->empty())
      first = std::string(accounts->begin()->key());
    if (!first.empty()) {
      const json::object& d = accounts->at(first).get_object();
      for (const char* k : {"accountId", "connected", "lastConnectedAt", "lastError", "probe"}) {
        if (const json::value* x = d.if_contains(k)) entry[k] = *x;
      }
    } else if (!entry.if_contains("lastError")) {
      entry["lastError"] =
          entry.at("reason").is_string() && !entry.at("reason").get_string().empty()
              ? entry.at("reason")
              : json::value(nullptr);
    }
    labels[id] = channel_label(name);
    default_of[id] = first.empty() ? "default" : first;
    accounts_of[id] = std::move(list);
  }
  return json::object{{"channels", std::move(channels)},
                      {"channelOrder", std::move(order)},
                      {"channelLabels", std::move(labels)},
                      {"channelAccounts", std::move(accounts_of)},
                      {"channelDefaultAccountId", std::move(default_of)}};
}

json::value GatewayMethods::health() const {
  json::array loaded, errors, unavailable;
  for (const auto& slot : manager_.slots()) {
    const plugins::Record& r = slot->record;
    if (r.unloaded) continue;
    if (r.state == plugins::State::running) loaded.push_back(json::value(r.id));
    if (r.state == plugins::State::failed)
      errors.push_back(json::object{{"id", r.id}, {"error", r.reason}});
    if (r.state == plugins::State::disabled) unavailable.push_back(json::value(r.id));
  }
  json::object views = channel_views();
  const auto& profile = inst_.paths.profile;
  // This host runs no agents: OpenClaw's agent and session fields are there, empty.
  return json::object{
      {"ok", true},
      {"ts", now_ms()},
      {"durationMs", 0},
      {"profile", profile ? json::value(*profile) : json::value(nullptr)},
      {"uptimeMs", now_ms() - claims_.started_ms()},
      {"plugins", json::object{{"loaded", std::move(loaded)},
                               {"errors", std::move(errors)},
                               {"unavailable", std::move(unavailable)}}},
      {"configReload", json::object{{"hotReloadStatus", "active"}}},
      {"channels", std::move(views["channels"])},
      {"channelOrder", std::move(views["channelOrder"])},
      {"channelLabels", std::move(views["channelLabels"])},
      {"defaultAgentId", nullptr},
      {"agents", json::array{}},
      {"sessions", json::object{{"path", nullptr}, {"count", 0}, {"recent", json::array{}}}},
      {"eventLoop", event_loop()},
      {"stalls", watchdog_.stats()}};
}

// The I/O thread's health as OpenClaw's eventLoop block has it, from the watchdog: degraded
// while a stall is in progress or one ended less than a minute ago.
json::object GatewayMethods::event_loop() const {
  json::object w = watchdog_.stats();
  const std::int64_t count = w.at("count").to_number<std::int64_t>();
  const std::int64_t last_ms = w.at("lastMs").to_number<std::int64_t>();
  const std::int64_t last_at = w.at("lastAt").to_number<std::int64_t>();
  const bool recent = count > 0 && last_at > 0 && now_ms() - last_at < 60000;
  json::array reasons;
  if (recent) reasons.emplace_back("stall");
  // CPU since the start, in cores: the whole process, and this (the I/O) thread, which is
  // OpenClaw's "utilization" of its one loop.
  auto cpu_s = [](int who) {
    rusage u{};
    ::getrusage(who, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double up_s =
      std::max(0.001, static_cast<double>(now_ms() - claims_.started_ms()) / 1000.0);
  auto ratio = [&](double cpu) { return std::round(cpu / up_s * 1000.0) / 1000.0; };
  const double process = ratio(cpu_s(RUSAGE_SELF)), loop = ratio(cpu_s(RUSAGE_THREAD));
  const json::value max_ms =
      std::max(w.at("delayMaxMs").to_number<double>(), recent ? static_cast<double>(last_ms) : 0.0);
  return json::object{
      {"degraded", recent},
      {"degradedSinceMs", recent ? json::value(last_at) : nullptr},
      {"reasons", std::move(reasons)},
      {"intervalMs", w.at("intervalMs")},
      {"delayP99Ms", w.at("delayP99Ms")},
      {"delayMaxMs", max_ms},
      {"utilization", loop},
      {"cpuCoreRatio", process},
      {"cpuBreakdown", json::object{{"mainThreadCoreRatio", loop},
                                    {"hostCpuCount", static_cast<std::int64_t>(
                                                         std::thread::hardware_concurrency())},
                                    {"workerCoreRatio", 0},
                                    {"otherThreadsCoreRatio", std::max(0.0, process - loop)}}},
      {"stalls", count},
      {"lastStallMs", last_ms}};
}

json::array GatewayMethods::lease_list() const {
  json::array arr;
  for (const auto& l : claims_.leases()) arr.push_back(ports::to_json(l));
  return arr;
}

json::value GatewayMethods::status(const json::object& params) const {
  json::object o = status_json(inst_, [&](const std::string& name) -> json::value {
    for (const auto& l : claims_.leases()) {
      if (l.name == name) return l.port;
    }
    return nullptr;
  });
  o["running"] = true;
  o["pid"] = claims_.owner().pid;
  o["version"] = kVersion;
  o["runtimeVersion"] = kVersion;
  o["uptimeMs"] = now_ms() - claims_.started_ms();
  o["leases"] = lease_list();
  o["plugins"] = manager_.describe();
  json::object views = channel_views();
  json::array restart;
  for (const auto& k : claims_.restart_needed()) restart.emplace_back(k);
  o["restartNeeded"] = std::move(restart);

  // OpenClaw's status fields its CLI reads (`openclaw status --json` dereferences
  // sessions.byAgent and cliProjection.agents): this host runs no agents, no tasks, no
  // heartbeat, so they are there and empty.
  auto flag = [&](const char* k, bool fallback) {
    const json::value* v = params.if_contains(k);
    return v && v->is_bool() ? v->get_bool() : fallback;
  };
  json::array summary;
  if (flag("includeChannelSummary", true)) {
    for (const auto& id : views.at("channelOrder").as_array()) {
      const auto& key = id.get_string();
      const json::object& c = views.at("channels").at(key).as_object();
      const bool up = c.if_contains("connected") && c.at("connected") == true;
      std::string state = c.at("state") != "running"   ? std::string(c.at("state").get_string())
                          : up                         ? "connected"
                          : c.at("configured") == true ? "configured"
                                                       : "not configured";
      summary.emplace_back(std::string(views.at("channelLabels").at(key).get_string()) + ": " +
                           state);
      for (const auto& a : views.at("channelAccounts").at(key).as_array()) {
        const auto& ao = a.as_object();
        summary.emplace_back("  - " + std::string(ao.at("accountId").get_string()) +
                             (ao.at("connected") == true ? " (connected)" : " (disconnected)"));
      }
    }
  }
  o["channels"] = std::move(views["channels"]);
  o["channelSummary"] = std::move(summary);
  o["heartbeat"] = json::object{{"defaultAgentId", nullptr}, {"agents", json::array{}}};
  o["queuedSystemEvents"] = json::array{};
  o["degradedSecretOwners"] = json::array{};
  o["degradedPlugins"] = json::array{};
  o["tasks"] = json::object{{"total", 0}, {"active", 0}, {"terminal", 0}, {"failures", 0}};
  o["sessions"] =
      json::object{{"paths", json::array{}},
                   {"count", 0},
                   {"defaults", json::object{{"model", nullptr}, {"contextTokens", nullptr}}},
                   {"recent", json::array{}},
                   {"byAgent", json::array{}}};
  o["eventLoop"] = event_loop();
  o["processMemory"] = json::object{{"rssBytes", rss_bytes()}};
  if (flag("includeCliProjection", false)) {
    o["cliProjection"] =
        json::object{{"agents", json::object{{"defaultId", nullptr},
                                             {"ownership", "none"},
                                             {"selectionRequired", false},
                                             {"rows", json::array{}}}},
                     {"updateChannel", nullptr},
                     {"memoryPlugin", json::object{{"enabled", false}, {"slot", nullptr}}}};
  }
  return o;
}

json::value GatewayMethods::presence_self() const {
  static const std::string host = host_name();
  return json::object{{"host", host},
                      {"mode", "gateway"},
                      {"reason", "self"},
                      {"version", kVersion},
                      {"platform", "linux"},
                      {"deviceFamily", "Linux"},
                      {"pid", claims_.owner().pid},
                      {"text", "Gateway: " + host + " · openclaw-host " + kVersion +
                                   " · mode gateway · reason self"},
                      {"ts", claims_.started_ms()}};
}

// Ready as OpenClaw's /readyz means it: every enabled plugin running (none failed or
// quarantined), and every channel account
// that reported itself connected once still connected. `failing` says which is not, and why.
sdk::HttpResponse GatewayMethods::ready() const {
  json::array plugins = manager_.describe();
  json::array failing;
  for (const auto& p : plugins) {
    // A quarantined plugin (it crashed the gateway) is missing from the instance too.
    const auto& state = p.at("state").as_string();
    if (state != "failed" && state != "quarantined") continue;
    failing.push_back(json::value("plugin " + std::string(p.at("id").as_string()) + ": " +
                                  std::string(p.at("reason").as_string())));
  }
  json::value channels = channels_.status();
  for (const auto& [id, st] : channels.as_object()) {
    const json::value* accounts = st.as_object().if_contains("accounts");
    if (!accounts || !accounts->is_object()) continue;
    for (const auto& [account, a] : accounts->get_object()) {
      const auto& ao = a.as_object();
      if (ao.at("connected").as_bool()) continue;
      std::string why = ao.at("lastError").is_string()
                            ? std::string(ao.at("lastError").get_string())
                            : std::string("disconnected");
      failing.push_back(
          json::value("channel " + std::string(id) + " (" + std::string(account) + "): " + why));
    }
  }
  const bool ok = failing.empty();
  json::object ports;
  for (const auto& l : claims_.leases()) ports[l.name] = l.port;
  json::object o{{"ok", ok},
                 {"status", ok ? "ready" : "degraded"},
                 {"failing", std::move(failing)},
                 {"ports", std::move(ports)},
                 {"plugins", std::move(plugins)}};
  return sdk::HttpResponse::text(ok ? 200 : 503, json::serialize(o), "application/json");
}

// channels.status as OpenClaw's ChannelsStatusResult has it (channelAccounts, channelMeta,
// statusIssues: its CLI lists accounts from channelAccounts only and takes statusIssues as
// given), beside our own `channels` entries and the router's queue depth. `channel` narrows
// it to one channel.
json::value GatewayMethods::channels_status(const json::object& params) const {
  json::object v = channel_views();
  if (const json::value* only = params.if_contains("channel")) {
    if (!only->is_string() || only->get_string().empty()) {
      throw MethodError("INVALID_REQUEST",
                        "invalid channels.status params: channel must be a non-empty string");
    }
    const std::string id(only->get_string());
    for (const char* k :
         {"channels", "channelLabels", "channelAccounts", "channelDefaultAccountId"}) {
      json::object& o = v[k].as_object();
      json::object kept;
      if (auto* x = o.if_contains(id)) kept[id] = *x;
      o = std::move(kept);
    }
    json::array order;
    if (v.at("channels").as_object().contains(id)) order.emplace_back(id);
    v["channelOrder"] = std::move(order);
  }
  json::array meta, issues;
  for (const auto& [id, label] : v.at("channelLabels").as_object()) {
    meta.push_back(json::object{{"id", id}, {"label", label}, {"detailLabel", label}});
    const json::object& c = v.at("channels").at(id).as_object();
    if (c.at("running") != true) {
      const json::value& why = c.at("reason");
      issues.push_back(json::object{
          {"channel", id},
          {"accountId", v.at("channelDefaultAccountId").at(id)},
          {"kind", "runtime"},
          {"message",
           "not running (" + std::string(c.at("state").get_string()) +
               (why.is_string() && !why.get_string().empty() ? "): " + std::string(why.get_string())
                                                             : std::string(")"))}});
      continue;
    }
    for (const auto& a : v.at("channelAccounts").at(id).as_array()) {
      const json::object& ao = a.as_object();
      if (ao.at("connected") == true) continue;
      const json::value& err = ao.at("lastError");
      issues.push_back(json::object{
          {"channel", id},
          {"accountId", ao.at("accountId")},
          {"kind", "runtime"},
          {"message", err.is_string() ? "disconnected: " + std::string(err.get_string())
                                      : std::string("disconnected")}});
    }
  }
  v["ts"] = now_ms();
  v["channelDetailLabels"] = v.at("channelLabels");
  v["channelMeta"] = std::move(meta);
  v["statusIssues"] = std::move(issues);
  v["queue"] = static_cast<std::int64_t>(channels_.queue_depth());
  return v;
}

// logs.tail with OpenClaw's params and result (LogsTailParams / LogsTailResult): the gateway's
// own log, <state dir>/logs/gateway.log. Without a cursor, the last `limit` lines of the last
// `maxBytes`; with one, the lines written since (reset when the file was rotated or more than
// maxBytes came since). The returned cursor is where the next call goes on. Lines are redacted
// (sdk::redact_text) though the log should hold no secret; a FIFO or a link in the log's
// place is refused (the read is on the I/O thread, bounded by maxBytes).
json::value GatewayMethods::logs_tail(const json::object& params) const {
  const std::int64_t limit = int_param(params, "logs.tail", "limit", 1, 5000, 500);
  const std::int64_t max_bytes = int_param(params, "logs.tail", "maxBytes", 1, 1000000, 250000);
  const std::int64_t cursor = int_param(params, "logs.tail", "cursor", 0, INT64_MAX, -1);
  const std::filesystem::path file = inst_.paths.state_dir / "logs" / "gateway.log";
  json::object out{{"file", file.string()},  {"cursor", 0},        {"size", 0},
                   {"lines", json::array{}}, {"truncated", false}, {"reset", false}};
  sdk::OpenOptions options;
  options.no_symlinks = true;
  sdk::RegularFile log = sdk::open_regular_file(file, options);
  if (!log) {
    if (log.refusal == sdk::RegularFile::Refusal::error && log.error == ENOENT) return out;
    throw MethodError("UNAVAILABLE", "cannot read " + file.string() + ": it " + log.why());
  }
  const auto size = static_cast<std::int64_t>(log.size);
  std::int64_t from = 0;
  bool reset = false, truncated = false, mid_line = false;
  if (cursor >= 0 && cursor <= size) {
    from = cursor;
    if (size - from > max_bytes) {
      from = size - max_bytes;
      reset = truncated = mid_line = true;
      out["skippedBytes"] = from - cursor;
    }
  } else {
    reset = cursor > size;  // rotated (or a cursor from another file): start over at the tail
    from = size > max_bytes ? size - max_bytes : 0;
    truncated = mid_line = from > 0;
  }
  std::string text(static_cast<std::size_t>(size - from), '\0');
  ssize_t got = text.empty() ? 0 : ::pread(log.fd, text.data(), text.size(), from);
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  std::size_t at = 0;
  if (mid_line) {  // the first line is cut in the middle
    auto nl = text.find('\n');
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  std::deque<std::string> lines;
  std::size_t end = at;
  while (true) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) break;  // a line still being written is the next call's
    lines.push_back(sdk::redact_text(std::string_view(text).substr(at, nl - at)));
    at = end = nl + 1;
    if (static_cast<std::int64_t>(lines.size()) > limit) {
      lines.pop_front();
      truncated = true;
    }
  }
  json::array arr;
  for (auto& l : lines) arr.emplace_back(std::move(l));
  out["cursor"] = from + static_cast<std::int64_t>(end);
  out["size"] = size;
  out["lines"] = std::move(arr);
  out["truncated"] = truncated;
  out["reset"] = reset;
  return out;
}

// diagnostics.stability in OpenClaw's shape: what this gateway knows of its own stability,
// newest last: how the previous run ended and the recent starts (the run history), stalls of
// the I/O thread, clients closed as slow consumers, plugins that failed or were quarantined.
json::value GatewayMethods::stability(const json::object& params) const {
  const std::int64_t limit = int_param(params, "diagnostics.stability", "limit", 1, 1000, 50);
  std::string only;
  if (const json::value* v = params.if_contains("type"); v && v->is_string()) {
    only = std::string(v->get_string());
  }
  std::vector<json::object> events;
  const sdk::RunHistory history = sdk::read_run_history(inst_.paths.state_dir);
  for (auto at : history.starts) {
    events.push_back(json::object{{"ts", at}, {"type", "gateway.start"}});
  }
  if (const auto& e = history.last_exit) {
    json::object x{
        {"ts", e->at_ms}, {"type", "gateway.exit"}, {"kind", e->kind}, {"reason", e->reason}};
    if (e->code) x["code"] = *e->code;
    if (e->signal) x["signal"] = *e->signal;
    if (!e->plugin.empty()) x["plugin"] = e->plugin;
    events.push_back(std::move(x));
  }
  if (history.starts.size() >= 2 && history.ended_silently() && history.last_exit &&
      history.last_exit->at_ms < history.starts[history.starts.size() - 2]) {
    // The run before this one ended without a word (SIGKILL, power loss).
    events.push_back(json::object{{"ts", history.starts.back()},
                                  {"type", "gateway.exit"},
                                  {"kind", "silent"},
                                  {"reason", "the previous run left no exit record (killed?)"}});
  }
  json::object w = watchdog_.stats();
  if (w.at("count").to_number<std::int64_t>() > 0) {
    json::object x{{"ts", w.at("lastAt")},
                   {"type", "loop.stall"},
                   {"count", w.at("count")},
                   {"durationMs", w.at("lastMs")}};
    if (const auto* where = w.if_contains("last")) x["where"] = *where;
    events.push_back(std::move(x));
  }
  if (protocol_ && protocol_->slow_consumer_closes() > 0) {
    events.push_back(json::object{{"ts", protocol_->last_slow_consumer_ms()},
                                  {"type", "client.slow-consumer"},
                                  {"count", protocol_->slow_consumer_closes()}});
  }
  for (const auto& p : manager_.describe()) {
    const auto& po = p.as_object();
    const auto& state = po.at("state").as_string();
    if (state != "failed" && state != "quarantined") continue;
    events.push_back(json::object{{"ts", now_ms()},
                                  {"type", "plugin." + std::string(state)},
                                  {"plugin", po.at("id")},
                                  {"reason", po.at("reason")}});
  }
  std::stable_sort(events.begin(), events.end(), [](const json::object& a, const json::object& b) {
    return a.at("ts").to_number<std::int64_t>() < b.at("ts").to_number<std::int64_t>();
  });
  json::array kept;
  json::object by_type;
  std::int64_t seq = 0, count = 0;
  for (auto& e : events) {
    e["seq"] = ++seq;
    if (!only.empty() && e.at("type").get_string() != only) continue;
    ++count;
    auto& n = by_type[e.at("type").get_string()];
    n = n.is_int64() ? n.get_int64() + 1 : 1;
    kept.push_back(std::move(e));
  }
  const auto first = static_cast<std::int64_t>(kept.size()) > limit
                         ? static_cast<std::int64_t>(kept.size()) - limit
                         : 0;
  json::array newest(kept.begin() + first, kept.end());
  json::object out{{"generatedAt", iso8601_utc(now_ms())},
                   {"capacity", 1000},
                   {"count", count},
                   {"dropped", 0},
                   {"events", json::array{}},
                   {"summary", json::object{{"byType", std::move(by_type)}}}};
  if (!newest.empty()) {
    out["firstSeq"] = newest.front().at("seq");
    out["lastSeq"] = newest.back().at("seq");
  }
  out["events"] = std::move(newest);
  return out;
}

std::optional<sdk::HttpResponse> GatewayMethods::http(const sdk::HttpRequest& req) const {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (req.path == "/health" || req.path == "/healthz") {
    if (!get) {
      return sdk::HttpResponse::error(405, "METHOD_NOT_ALLOWED",
                                      req.method + " is not supported here");
    }
    return sdk::HttpResponse::text(200, R"({"ok":true,"status":"live"})", "application/json");
  }
  if ((req.path == "/ready" || req.path == "/readyz") && get) return ready();
  if (req.path == "/startupz" && get) {
    // OpenClaw's CLI asks this before it trusts a gateway: this one answers only once started.
    json::object o{{"ok", true},
                   {"status", "started"},
                   {"version", kVersion},
                   {"uptimeMs", now_ms() - claims_.started_ms()}};
    auto res = sdk::HttpResponse::text(200, json::serialize(o), "application/json");
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
  }
  if (req.path == "/api/status" && get) {
    return sdk::HttpResponse::text(200, json::serialize(status()), "application/json");
  }
  if (req.path == "/api/portmap.svg" && get) {
    auto res = sdk::HttpResponse::text(200, port_map_svg(), "image/svg+xml; charset=utf-8");
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
  }
  if (req.path == "/" && get) {
    return sdk::HttpResponse::text(200, kStatusPage, "text/html; charset=utf-8");
  }
  return std::nullopt;
}

std::string GatewayMethods::port_map_svg() const {
  const std::int64_t now = now_ms();
  if (port_map_at_ >= 0 && now - port_map_at_ < 1000) return port_map_;
  const auto& paths = inst_.paths;
  auto map = machine_port_map(discover_profiles(paths.home), claims_.registry_snapshot(),
                              paths.state_dir, paths.home);
  // The rescue bot's word on each instance it watches, as its status() says it.
  for (const auto& p : manager_.describe()) {
    const auto* o = p.if_object();
    if (!o || !o->contains("id") || o->at("id") != json::value("rescue")) continue;
    const auto* st = o->if_contains("status");
    const auto* watching =
        st && st->is_object() ? st->get_object().if_contains("watching") : nullptr;
    if (!watching || !watching->is_object()) continue;
    for (const auto& [name, w] : watching->get_object()) {
      const auto* state = w.is_object() ? w.get_object().if_contains("state") : nullptr;
      if (state && state->is_string() && !state->get_string().empty())
        map.rescue_view[std::string(name)] = std::string(state->get_string());
    }
  }
  port_map_ = ports::render_svg(map);
  port_map_at_ = now;
  return port_map_;
}

void GatewayMethods::add_methods(Protocol& protocol) {
  protocol_ = &protocol;
  protocol.add_method("health", [this](const json::value&) { return health(); });
  protocol.add_method("status",
                      [this](const json::value& params) { return status(object_of(params)); });
  protocol.add_method("ports.list", [this](const json::value&) -> json::value {
    return json::object{{"ports", lease_list()}};
  });
  protocol.add_method("plugins.list", [this](const json::value&) -> json::value {
    return json::object{{"plugins", manager_.describe()}};
  });
  protocol.add_method("channels.status", [this](const json::value& params) -> json::value {
    return channels_status(object_of(params));
  });
  protocol.add_method("config.get", [this](const json::value&) -> json::value {
    const auto& paths = inst_.paths;
    auto cfg = config::Config::load(paths.config_path, paths.home);
    return json::object{{"path", paths.config_path.string()},
                        {"exists", cfg.exists()},
                        {"config", sdk::redact_secrets(cfg.root())}};
  });
  protocol.add_method("system-presence",
                      [this](const json::value&) -> json::value { return protocol_->presence(); });
  protocol.add_method("logs.tail", [this](const json::value& params) -> json::value {
    return logs_tail(object_of(params));
  });
  protocol.add_method("diagnostics.stability", [this](const json::value& params) -> json::value {
    return stability(object_of(params));
  });
  // What OpenClaw's `status --all` and `last-heartbeat` read about agents, nodes, cron jobs and
  // model costs: this host runs none of them, and says so in OpenClaw's shapes.
  protocol.add_method("last-heartbeat", [](const json::value&) -> json::value { return nullptr; });
  protocol.add_method("node.list", [](const json::value&) -> json::value {
    return json::object{{"ts", now_ms()}, {"nodes", json::array{}}};
  });
  protocol.add_method("cron.list", [](const json::value&) -> json::value {
    return json::object{{"jobs", json::array{}},
                        {"total", 0},
                        {"offset", 0},
                        {"limit", 0},
                        {"hasMore", false},
                        {"nextOffset", nullptr},
                        {"deliveryPreviews", json::object{}}};
  });
  protocol.add_method("usage.cost", [](const json::value&) -> json::value {
    json::object zero{
        {"input", 0},         {"output", 0},         {"cacheRead", 0},         {"cacheWrite", 0},
        {"totalTokens", 0},   {"totalCost", 0},      {"inputCost", 0},         {"outputCost", 0},
        {"cacheReadCost", 0}, {"cacheWriteCost", 0}, {"missingCostEntries", 0}};
    return json::object{
        {"updatedAt", now_ms()},
        {"days", 0},
        {"daily", json::array{}},
        {"totals", std::move(zero)},
        {"cacheStatus",
         json::object{
             {"status", "fresh"}, {"cachedFiles", 0}, {"pendingFiles", 0}, {"staleFiles", 0}}}};
  });
  protocol.add_async_method(
      "send",
      [this](const json::value& params, const sdk::Caller&, sdk::MethodResponder respond) {
        send(object_of(params), std::move(respond));
      },
      kSendTimeout);
}

// A send's answer, kept by idempotency key: a client that retries (its connection dropped before
// the answer came) gets the first attempt's answer, and the text goes out once; a failed send
// may be retried with the same key. Bounded: the
// oldest answered keys are forgotten past kKept.
struct GatewayMethods::SendCache {
  static constexpr std::size_t kKept = 1000;
  struct Entry {
    bool done = false;
    bool ok = false;
    json::value value;
    std::string code, message;
    std::vector<sdk::MethodResponder> waiting;
  };
  std::map<std::string, Entry> entries;
  std::deque<std::string> order;

  void answer(const std::string& key, bool ok, json::value value, std::string code,
              std::string message) {
    auto it = entries.find(key);
    if (it == entries.end()) return;
    Entry& e = it->second;
    e.done = true, e.ok = ok, e.value = std::move(value), e.code = std::move(code),
    e.message = std::move(message);
    auto waiting = std::move(e.waiting);
    for (auto& r : waiting) replay(e, r);
    // A failure is not remembered: the client may try again with the same key.
    if (!ok) entries.erase(it);
    while (order.size() > kKept) {
      auto old = entries.find(order.front());
      if (old != entries.end() && !old->second.done) break;  // still in flight: kept
      if (old != entries.end()) entries.erase(old);
      order.pop_front();
    }
  }
  static void replay(const Entry& e, sdk::MethodResponder& r) {
    if (e.ok) {
      r.ok(e.value);
    } else {
      r.error(e.code, e.message, e.value);
    }
  }
};

// `send` with OpenClaw's params ({to, message, channel, accountId, idempotencyKey}; its answer
// {runId, messageId, channel}) as well as ours (text, account, target/peer). Answered when the
// channel says the text was delivered, or why not.
void GatewayMethods::send(const json::object& p, sdk::MethodResponder respond) {
  auto text_of = [&](const char* k) -> std::string {
    const json::value* v = p.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  std::string channel = text_of("channel"), to = text_of("to"), text = text_of("text"),
              account = text_of("account"), key = text_of("idempotencyKey");
  if (text.empty()) text = text_of("message");
  if (account.empty()) account = text_of("accountId");
  if (to.empty()) to = text_of("target");
  if (to.empty()) to = text_of("peer");
  if (channel.empty()) {
    // As OpenClaw: the channel may be left out when there is only one.
    std::vector<std::string> running;
    for (const auto& slot : manager_.slots()) {
      const plugins::Record& r = slot->record;
      if (!r.unloaded && r.kind == "channel" && r.state == plugins::State::running)
        running.push_back(r.id);
    }
    if (running.size() == 1) channel = running.front();
  }
  if (to.empty() || text.empty()) {
    respond.error("INVALID_REQUEST",
                  "invalid send params: params.to and the text (params.message or params.text) "
                  "are required");
    return;
  }
  if (channel.empty()) {
    respond.error("INVALID_REQUEST",
                  "invalid send params: params.channel is required when more than one channel "
                  "(or none) runs");
    return;
  }
  if (!key.empty()) {
    if (!sends_) sends_ = std::make_shared<SendCache>();
    auto [it, fresh] = sends_->entries.try_emplace(key);
    if (!fresh) {
      // Answered already: the same answer. In flight: a retry waits for the first's answer.
      if (it->second.done) return SendCache::replay(it->second, respond);
      it->second.waiting.push_back(std::move(respond));
      return;
    }
    auto& e = it->second;
    e.waiting.push_back(std::move(respond));
    sends_->order.push_back(key);
    respond = sdk::MethodResponder([cache = sends_, key](bool ok, const json::value& v,
                                                         const std::string& code,
                                                         const std::string& message) {
      cache->answer(key, ok, v, code, message);
    });
  }
  const std::string run_id = key.empty() ? uuid4() : key;
  if (!channels_.has(channel)) {
    const plugins::Record* rec = nullptr;
    for (const auto& slot : manager_.slots()) {
      const plugins::Record& r = slot->record;
      if (!r.unloaded && r.id == channel && r.kind == "channel") rec = &r;
    }
    if (!rec || rec->state != plugins::State::running) {
      respond.error(
          "UNAVAILABLE", "channel " + channel + " is not running",
          json::object{{"channel", channel},
                       {"state", rec ? plugins::state_name(rec->state) : "not installed"}});
      return;
    }
    // A channel plugin on the message bus (SDK API 2's first channel contract): the message
    // is published; the plugin reports nothing back.
    manager_.bus().publish(sdk::Message{channel, "out", to, text});
    respond.ok(json::object{{"ok", true},
                            {"runId", run_id},
                            {"messageId", uuid4()},
                            {"channel", channel},
                            {"to", to},
                            {"ts", now_ms()}});
    return;
  }
  channels_.send(channel, account, to, text, [respond, channel, to, run_id](sdk::Delivery d) {
    if (d.ok) {
      respond.ok(json::object{{"ok", true},
                              {"runId", run_id},
                              {"messageId", d.message_id.empty() ? uuid4() : d.message_id},
                              {"channel", channel},
                              {"to", to},
                              {"parts", d.parts},
                              {"delivered", d.delivered},
                              {"ts", now_ms()}});
    } else {
      // What went out before the failure is said, so nobody resends the whole text blindly.
      std::string sent = d.parts > 1 ? " (" + std::to_string(d.delivered) + " of " +
                                           std::to_string(d.parts) + " parts delivered)"
                                     : "";
      respond.error("UNAVAILABLE",
                    "send on " + channel + " to " + to + " failed" + sent + ": " + d.error,
                    json::object{{"channel", channel},
                                 {"to", to},
                                 {"runId", run_id},
                                 {"parts", d.parts},
                                 {"delivered", d.delivered}});
    }
  });
}

}  // namespace openclaw::gateway
