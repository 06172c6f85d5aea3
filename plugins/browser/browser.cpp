// browser: each instance's own browser control service on base + 2, driving real Chromium over
// the DevTools protocol. Built on the public SDK only, as a third party would write it.
//
// One request model serves both doors: the HTTP control port (loopback, gateway token) and the
// gateway method `browser.request` ({method, path, query, body}) that OpenClaw's CLI uses (see
// routes.cpp). This file: the configuration, the plugin's lifecycle and its export.
#include "browser.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include <openclaw/sdk/plugin_export.hpp>

namespace browser {

json::value err(const std::string& message, const std::string& code, const std::string& reason) {
  json::object o{{"error", message}};
  if (!code.empty()) o["code"] = code;
  if (!reason.empty()) o["reason"] = reason;
  return o;
}

bool valid_profile_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string random_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

std::string random_uuid() {
  std::string h = random_id();
  h[12] = '4';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

Reply once(Reply reply) {
  auto slot = std::make_shared<Reply>(std::move(reply));
  return [slot](int status, json::value body) {
    if (!*slot) return;
    Reply r = std::move(*slot);
    *slot = nullptr;
    r(status, std::move(body));
  };
}

fs::path temp_root() {
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec || tmp.empty()) tmp = "/tmp";
  return tmp / "openclaw";
}

bool is_loopback_host(const std::string& h) {
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

// ---- configuration ------------------------------------------------------------------------------

std::vector<sdk::ConfigProblem> BrowserPlugin::validate(const sdk::Host& host) const {
  return check_config(host.root_config());
}

// ---- lifecycle ----------------------------------------------------------------------------------

void BrowserPlugin::start(sdk::Host& host) {
  host_ = &host;
  settings_ = read_settings(host.root_config());
  gateway_ = host.service<sdk::Gateway>();
  if (!settings_.enabled) {
    host.log(sdk::LogLevel::info, "browser.enabled is false: no browser control service");
    return;
  }
  add_configured_profiles();
  load_created_profiles();
  check_shared_cdp_urls();
  serve(host);
}

// The managed default profile, then the config's (those created at run time come next).
void BrowserPlugin::add_configured_profiles() {
  const json::object& conf_profiles = settings_.profiles;
  if (!conf_profiles.contains(kDefaultProfile)) {
    Profile p;
    p.name = kDefaultProfile;
    p.cdp_url = settings_.cdp_url;
    p.attach_only = settings_.attach_only;
    p.from_config = true;
    if (p.cdp_url.empty()) p.cdp_port = host_->port("browser.cdp." + p.name);
    std::string n = p.name;
    profiles_.emplace(n, std::move(p));
  }
  for (const auto& [k, v] : conf_profiles) {
    if (!v.is_object()) continue;
    Profile p;
    p.name = std::string(k);
    const auto& o = v.get_object();
    p.cdp_url = str(o, "cdpUrl");
    p.executable = str(o, "executablePath");
    p.color = str(o, "color", kDefaultColor);
    p.attach_only = flag(o, "attachOnly", settings_.attach_only);
    p.from_config = true;
    if (p.cdp_url.empty()) p.cdp_port = host_->port("browser.cdp." + p.name);
    std::string n = p.name;
    profiles_.emplace(n, std::move(p));
  }
}

// The two doors: the control port and the gateway method.
void BrowserPlugin::serve(sdk::Host& host) {
  // No web page may drive the browser: Host and Origin are checked before any route (see
  // sdk/origin.hpp), and a POST must be JSON (serve_http).
  sdk::HttpServer::Options options;
  options.origin_policy = sdk::OriginPolicy::from_config(host.root_config());
  options.max_connections = static_cast<std::size_t>(settings_.max_connections);
  options.on_warning = [&host](const std::string& w) {
    host.log(sdk::LogLevel::warn, "browser control: " + w);
  };
  server_ = std::make_unique<sdk::HttpServer>(
      host.io(),
      sdk::AsyncHttpHandler([this](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
        serve_http(req, std::move(respond));
      }),
      options);
  // Loopback only, whatever gateway.bind says: this port drives a browser with the user's
  // sessions in it.
  server_->listen("127.0.0.1", host.port("browser.control"));

  host.add_method_async(
      "browser.request",
      [this](const json::value& params, const sdk::Caller&, sdk::MethodResponder respond) {
        serve_method(params, std::move(respond));
      },
      sdk::MethodOptions{std::chrono::milliseconds(180000)});
  host.log(sdk::LogLevel::info,
           "Browser control listening on http://127.0.0.1:" +
               std::to_string(host.port("browser.control")) +
               "/ (auth=" + (gateway_ && gateway_->requires_token() ? "token" : "none") + ")");
}

void BrowserPlugin::stop() {
  if (server_) server_->stop();
  server_.reset();
  for (auto& [name, p] : profiles_) {
    disconnect(p, "the browser plugin is stopping");
    p.proc.reset();  // SIGTERM, then the supervisor sweeps the browser's whole tree
  }
  profiles_.clear();
  host_ = nullptr;
}

json::value BrowserPlugin::status() const {
  json::array list;
  for (const auto& [name, p] : profiles_) {
    json::object o{{"name", name}, {"running", p.running()}, {"cdpPort", p.cdp_port}};
    if (p.proc) o["pid"] = p.proc->pid();
    if (!p.last_error.empty()) o["lastError"] = p.last_error;
    list.push_back(std::move(o));
  }
  int control = 0;
  try {
    if (host_) control = host_->port("browser.control");
  } catch (const std::exception&) {
  }
  return json::object{{"controlPort", control},
                      {"defaultProfile", settings_.default_profile},
                      {"profiles", std::move(list)}};
}

// Settings a running plugin can take as they come (the navigation policy, the origins allowed on
// the control port, evaluate, the default profile) apply in place: profiles, their browsers and
// tabs stay. Anything a launched browser or the control server was built with needs a restart.
bool BrowserPlugin::reconfigure(sdk::Host& host) {
  Settings next = read_settings(host.root_config());
  if (std::string key = restart_reason(settings_, next); !key.empty()) {
    host.log(sdk::LogLevel::info, "browser: " + key + " changed; the plugin restarts to apply it");
    return false;
  }
  settings_ = std::move(next);
  if (server_) server_->set_origin_policy(sdk::OriginPolicy::from_config(host.root_config()));
  host.log(sdk::LogLevel::info, "browser: config applied in place; browsers and tabs kept");
  return true;
}

}  // namespace browser

OPENCLAW_PLUGIN(browser::BrowserPlugin)
