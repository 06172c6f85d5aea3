// hello: the smallest useful openclaw-host plugin. It asks the port registry for one port,
// serves GET / on it, adds GET /hello on the gateway's own port, a gateway method `hello.later`
// that answers after a delay without blocking the host's one I/O thread, and `hello.fetch`,
// which fetches a URL with the SDK's asynchronous HTTP client.
//
// Config (plugins.entries.hello.config):  { "greeting": "hi there" }
#include <chrono>
#include <cstdint>

#include <boost/json.hpp>

#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/plugin_export.hpp>

namespace sdk = openclaw::sdk;

class Hello final : public sdk::Plugin {
 public:
  // 1. Declare ports. The host leases them machine-wide before anything binds.
  std::vector<sdk::PortRequest> ports(const sdk::Host&) override {
    return {sdk::plugin_port("hello.http")};
  }

  // 2. Start on the granted port, on the host's I/O context.
  void start(sdk::Host& host) override {
    greeting_ = "hello";
    if (const auto* g = host.config().if_contains("greeting"); g && g->is_string()) {
      greeting_ = std::string(g->get_string());
    }
    profile_ = host.profile().value_or("default");
    port_ = host.port("hello.http");
    server_ = std::make_unique<sdk::HttpServer>(host.io(), [this](const sdk::HttpRequest& req) {
      if (req.path != "/") return sdk::HttpResponse::error(404, "NOT_FOUND", "try GET /");
      ++served_;
      return sdk::HttpResponse::text(200, reply(), "application/json");
    });
    server_->listen(host.bind_address("hello.http"), port_);
    host.add_route("GET", "/hello", [this](const sdk::HttpRequest&) {
      return sdk::HttpResponse::text(200, reply(), "application/json");
    });
    // An asynchronous method: keep the responder, answer when the result is there. Meanwhile the
    // host serves every other request. The host owns the registration and the timer: both end
    // when this plugin stops.
    host.add_method_async(
        "hello.later",
        [this, &host](const boost::json::value&, const sdk::Caller& caller,
                      sdk::MethodResponder respond) {
          host.after(std::chrono::milliseconds(100), [this, respond, who = caller.client_id] {
            respond.ok(boost::json::object{{"hello", greeting_}, {"to", who}});
          });
        },
        sdk::MethodOptions{std::chrono::seconds(5)});
    // Another service over HTTP, without blocking: the responder answers when the reply is in.
    host.add_method_async(
        "hello.fetch",
        [&host](const boost::json::value& params, const sdk::Caller&,
                sdk::MethodResponder respond) {
          const auto* url = params.is_object() ? params.as_object().if_contains("url") : nullptr;
          if (!url || !url->is_string())
            return (void)respond.error("INVALID_REQUEST", "url is required");
          sdk::HttpClientRequest req;
          req.url = std::string(url->get_string());
          req.timeout = std::chrono::seconds(3);
          sdk::http_request(host.io(), req, [respond](sdk::HttpClientResponse res) {
            if (!res.error.empty()) return (void)respond.error("UNAVAILABLE", res.error);
            respond.ok(boost::json::object{{"status", res.status},
                                           {"bytes", static_cast<std::int64_t>(res.body.size())}});
          });
        },
        sdk::MethodOptions{std::chrono::seconds(5)});
    host.log(sdk::LogLevel::info, "serving on port " + std::to_string(port_));
  }

  // 3. Stop: release what start() took.
  void stop() override {
    if (server_) server_->stop();
    server_.reset();
  }

  boost::json::value status() const override {
    return boost::json::object{{"port", port_}, {"served", served_}};
  }

 private:
  std::string reply() const {
    return boost::json::serialize(
        boost::json::object{{"hello", greeting_}, {"profile", profile_}, {"port", port_}});
  }

  std::string greeting_;
  std::string profile_;
  int port_ = 0;
  int served_ = 0;
  std::unique_ptr<sdk::HttpServer> server_;
};

OPENCLAW_PLUGIN(Hello)
