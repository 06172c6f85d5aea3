// The gateway protocol as any client on the base port can drive it: the input is the text frames
// one WebSocket connection sends (one per line), fed through the real request handling over a
// fake connection, once with a gateway token and once without. Every frame sent back must be a
// JSON object; every request gets exactly one answer with its id (a method that never answers
// gets TIMEOUT when its deadline fires); after a close nothing more is read, as on the wire.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "gateway/protocol.hpp"

namespace json = boost::json;
namespace gw = openclaw::gateway;
namespace sdk = openclaw::sdk;

namespace {

class FakeSocket : public sdk::WebSocket {
 public:
  std::vector<std::string> sent;
  bool closed = false;
  int close_code = 0;
  std::string reason;

  void send(std::string text) override { push(std::move(text)); }
  void send(sdk::SharedFrame frame) override { push(*frame); }
  void send(std::vector<sdk::SharedFrame> parts) override {
    std::string joined;
    for (const auto& p : parts) joined += *p;
    push(std::move(joined));
  }
  void close(int code, std::string why) override {
    if (closed) return;
    closed = true;
    close_code = code;
    reason = std::move(why);
  }
  const std::string& remote_address() const override { return address_; }
  std::uint64_t id() const override { return 7; }
  std::size_t buffered_bytes() const override { return 0; }
  std::string close_reason() const override { return reason; }

 private:
  void push(std::string text) {
    if (!closed) sent.push_back(std::move(text));  // frames queued after close never leave
  }
  std::string address_ = "127.0.0.1";
};

// The gateway around the protocol: timers queued (run after the input), three plugin methods.
class FuzzHost final : public gw::ProtocolHost {
 public:
  FuzzHost(std::vector<std::function<void()>>& timers, std::vector<sdk::MethodResponder>& held)
      : timers_(timers), held_(held) {}
  void log(sdk::LogLevel, const std::string&) override {}
  json::value health() override { return json::object{{"ok", true}}; }
  json::value presence_self() override {
    return json::object{{"host", "fuzz"}, {"mode", "gateway"}};
  }
  void after(std::chrono::milliseconds, std::function<void()> fn) override {
    timers_.push_back(std::move(fn));
  }
  std::optional<std::chrono::milliseconds> call_plugin_method(
      const std::string& name, const json::value& params, const sdk::Caller&,
      sdk::MethodResponder respond) override {
    if (name == "plugin.echo") {
      respond.ok(params);
    } else if (name == "plugin.later") {
      held_.push_back(std::move(respond));
    } else if (name == "plugin.fail") {
      respond.error("UNAVAILABLE", "plugin failed", params);
    } else {
      return std::nullopt;
    }
    return std::chrono::milliseconds(1000);
  }
  std::vector<std::string> plugin_method_names() override {
    return {"plugin.echo", "plugin.later", "plugin.fail", "health"};
  }

 private:
  std::vector<std::function<void()>>& timers_;
  std::vector<sdk::MethodResponder>& held_;
};

void run(std::string_view input, bool with_token) {
  std::vector<std::function<void()>> timers;
  gw::ProtocolIdentity identity;
  if (with_token) identity.token = "t-main";
  identity.version = "0.1.0";
  identity.boot_id = "boot";
  std::vector<sdk::MethodResponder> held;  // a plugin method answering later (or never)
  FuzzHost host(timers, held);
  gw::Protocol protocol(host, identity);
  protocol.add_method("health", [](const json::value& params) {
    return json::value(json::object{{"ok", true}});
  });
  protocol.add_method("fails", [](const json::value& params) -> json::value {
    throw gw::MethodError("INVALID_REQUEST", "bad params", params);
  });
  protocol.add_method("throws",
                      [](const json::value&) -> json::value { throw std::runtime_error("boom"); });
  protocol.add_async_method("status", [](const json::value& params, const sdk::Caller& caller,
                                         sdk::MethodResponder respond) {
    respond.ok(json::object{{"role", caller.role}, {"scopes", caller.scopes.size()}});
  });

  auto handlers = protocol.handlers();
  auto ws = std::make_shared<FakeSocket>();
  handlers.on_open(ws, sdk::HttpRequest{});
  FUZZ_CHECK(ws->sent.size() == 1);  // connect.challenge
  std::size_t requests = 0;
  while (!input.empty() && !ws->closed) {
    auto nl = input.find('\n');
    std::string frame(input.substr(0, nl));
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    ++requests;
    handlers.on_message(ws, frame);
  }
  for (std::size_t i = 0; i < timers.size(); ++i) {
    auto fn = std::move(timers[i]);
    fn();
  }
  held.clear();  // a responder dropped unanswered answers for its handler
  bool closed = ws->closed;
  if (closed) handlers.on_close(ws, ws->close_code);

  std::size_t answers = 0;
  for (std::size_t i = 1; i < ws->sent.size(); ++i) {
    boost::system::error_code ec;
    json::value v = json::parse(ws->sent[i], ec);
    FUZZ_CHECK(!ec && v.is_object());
    const auto& o = v.get_object();
    const json::value* type = o.if_contains("type");
    FUZZ_CHECK(type && type->is_string());
    if (type->get_string() == "res") {
      ++answers;
      FUZZ_CHECK(o.contains("id") && o.contains("ok"));
      if (!o.at("ok").as_bool()) {
        const auto& err = o.at("error").as_object();
        FUZZ_CHECK(err.at("code").is_string() && err.at("message").is_string());
      }
    }
  }
  // One answer per request read; a rejected connect is answered, then the connection closes.
  FUZZ_CHECK(answers == requests);
  if (closed) FUZZ_CHECK(protocol.open_connections() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  run(input, true);
  run(input, false);
  return 0;
}
