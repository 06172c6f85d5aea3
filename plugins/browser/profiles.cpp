// Profiles created at run time (POST /profiles/create, persisted in the plugin's data dir), and
// one browser per instance: a cdpUrl must not reach a browser another instance drives.
#include <openclaw/sdk/claims.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/http_client.hpp>
#include <openclaw/sdk/instances.hpp>

#include "browser.hpp"

namespace browser {

void BrowserPlugin::load_created_profiles() {
  std::string text;
  try {
    sdk::OpenOptions options;
    options.no_symlinks = true;  // ours, written atomically; a FIFO here is refused, not waited on
    auto content = sdk::read_regular_file(created_file(), options, 4u << 20);
    if (!content) return;
    text = std::move(*content);
  } catch (const std::exception& e) {
    host_->log(sdk::LogLevel::warn,
               std::string(e.what()) + "; profiles created at run time are not loaded");
    return;
  }
  boost::system::error_code jec;
  json::value v = json::parse(text, jec);
  if (jec || !v.is_object()) {
    host_->log(sdk::LogLevel::warn, created_file().string() + ": not a JSON object; ignored");
    return;
  }
  for (const auto& [k, pv] : obj(v.get_object(), "profiles")) {
    std::string name(k);
    if (profiles_.count(name) || !pv.is_object() || !valid_profile_name(name)) continue;
    const auto& o = pv.get_object();
    Profile p;
    p.name = name;
    p.created = true;
    p.color = str(o, "color", kDefaultColor);
    p.cdp_url = str(o, "cdpUrl");
    if (p.cdp_url.empty()) {
      const json::value* port = o.if_contains("cdpPort");
      if (!port || !port->is_int64()) continue;
      sdk::PortRequest req;
      req.name = "browser.cdp." + name;
      req.source = sdk::PortSource::config;
      req.port = static_cast<int>(port->get_int64());
      req.config_key = created_file().string() + ": profiles." + name + ".cdpPort";
      try {
        p.cdp_port = host_->lease_port(req);
      } catch (const std::exception& e) {
        p.problem = "profile \"" + name + "\": " + e.what();
        host_->log(sdk::LogLevel::warn, p.problem);
      }
    }
    profiles_.emplace(name, std::move(p));
  }
}

void BrowserPlugin::save_created_profiles() {
  json::object list;
  for (const auto& [n, p] : profiles_) {
    if (!p.created) continue;
    json::object o{{"color", p.color}};
    if (p.remote()) {
      o["cdpUrl"] = p.cdp_url;
    } else {
      o["cdpPort"] = p.cdp_port;
    }
    list[n] = std::move(o);
  }
  sdk::write_file_atomic(created_file(),
                         json::serialize(json::object{{"profiles", std::move(list)}}) + "\n");
}

void BrowserPlugin::create_profile(const json::object& body, const Reply& reply) {
  std::string name = str(body, "name");
  if (!valid_profile_name(name)) {
    return reply(400, err("invalid profile name \"" + name +
                              "\": use 1-64 lower-case letters, digits, '-' and '_'",
                          "INVALID_PROFILE_NAME"));
  }
  if (profiles_.count(name)) {
    return reply(409, err("Profile \"" + name + "\" already exists", "PROFILE_EXISTS"));
  }
  Profile p;
  p.name = name;
  p.created = true;
  p.color = str(body, "color", kDefaultColor);
  p.cdp_url = str(body, "cdpUrl");
  const json::value* port = body.if_contains("cdpPort");
  if (!p.cdp_url.empty()) {
    auto u = sdk::Url::parse(p.cdp_url);
    if (!u ||
        (u->scheme != "http" && u->scheme != "https" && u->scheme != "ws" && u->scheme != "wss")) {
      return reply(400,
                   err("cdpUrl must be an http(s):// or ws(s):// URL, got \"" + p.cdp_url + "\"",
                       "INVALID_CDP_URL"));
    }
    if (auto problem = shared_cdp_url_problem(p.cdp_url, "cdpUrl"); !problem.empty()) {
      return reply(409, err(problem, "CDP_URL_IN_USE"));
    }
  } else {
    sdk::PortRequest req;
    req.name = "browser.cdp." + name;
    if (port) {
      if (!port->is_int64() || port->get_int64() < 1 || port->get_int64() > 65535) {
        return reply(400, err("cdpPort must be a port number (1-65535)", "INVALID_CDP_PORT"));
      }
      req.source = sdk::PortSource::config;
      req.port = static_cast<int>(port->get_int64());
      req.config_key = "cdpPort";
    } else {
      // The registry picks a free port in this instance's CDP range.
      req.source = sdk::PortSource::range;
      req.offset = sdk::PortLayout::cdp_first;
      req.range_end = sdk::PortLayout::cdp_last;
    }
    try {
      p.cdp_port = host_->lease_port(req);
    } catch (const std::exception& e) {
      return reply(409, err(e.what(), "CDP_PORT_UNAVAILABLE"));
    }
  }
  json::object out{{"ok", true},
                   {"profile", name},
                   {"cdpPort", p.cdp_port ? json::value(p.cdp_port) : json::value(nullptr)},
                   {"cdpUrl", p.remote() ? json::value(p.cdp_url) : json::value(nullptr)},
                   {"color", p.color},
                   {"isRemote", p.remote()}};
  profiles_.emplace(name, std::move(p));
  try {
    save_created_profiles();
  } catch (const std::exception& e) {
    host_->release_port("browser.cdp." + name);
    profiles_.erase(name);
    return reply(500, err(std::string("could not save the profile: ") + e.what()));
  }
  reply(200, out);
}

void BrowserPlugin::delete_profile(const std::string& name, const Reply& reply) {
  auto it = profiles_.find(name);
  if (it == profiles_.end()) {
    return reply(404,
                 err("Profile \"" + name + "\" not found. Available profiles: " + profile_names()));
  }
  if (!it->second.created) {
    return reply(400, err("Profile \"" + name + "\" is defined in the config file" +
                              (name == kDefaultProfile ? " (the managed default)" : "") +
                              "; remove it there",
                          "PROFILE_IN_CONFIG"));
  }
  auto finish = [this, name, reply] {
    auto pit = profiles_.find(name);
    if (pit == profiles_.end()) return reply(404, err("Profile \"" + name + "\" not found"));
    std::error_code ec;
    fs::path dir = host_->state_dir() / "browser" / name;
    fs::remove_all(dir, ec);
    host_->release_port("browser.cdp." + name);
    profiles_.erase(pit);
    try {
      save_created_profiles();
    } catch (const std::exception& e) {
      host_->log(sdk::LogLevel::warn, std::string("could not save profiles: ") + e.what());
    }
    reply(200, json::object{{"ok", true}, {"profile", name}, {"deleted", true}});
  };
  stop_browser(it->second, finish);
}

// One instance per browser: a cdpUrl aimed at a CDP port another live instance leased is the
// "common footgun" the docs warn of (two bots driving one browser).
std::string BrowserPlugin::shared_cdp_url_problem(const std::string& url, const std::string& key) {
  auto u = sdk::Url::parse(url);
  if (!u || !is_loopback_host(u->host) || !u->port) return {};
  auto* instances = host_->service<sdk::Instances>();
  if (!instances) return {};
  auto holder = instances->holder_of(u->port);
  if (!holder || holder->first.self) return {};
  std::string who = holder->first.profile ? "profile \"" + *holder->first.profile + "\""
                                          : std::string("the default profile");
  return key + " " + url + " points at port " + std::to_string(u->port) + " (" + holder->second +
         ") of another running instance, " + who + " (pid " + std::to_string(holder->first.pid) +
         ", state dir " + holder->first.state_dir +
         "); two instances must not drive one browser: give each its own cdpPort";
}
void BrowserPlugin::check_shared_cdp_urls() {
  for (auto& [n, p] : profiles_) {
    if (!p.remote()) continue;
    p.problem = shared_cdp_url_problem(p.cdp_url, cdp_url_key(p));
    if (!p.problem.empty()) host_->log(sdk::LogLevel::error, p.problem);
  }
}

std::string BrowserPlugin::cdp_url_key(const Profile& p) const {
  if (p.created) return "profile " + p.name + " cdpUrl";
  if (p.name == kDefaultProfile && p.from_config && !settings_.profiles.contains(p.name)) {
    return "browser.cdpUrl";
  }
  return "browser.profiles." + p.name + ".cdpUrl";
}

// Two instances attached to one browser would fight over its tabs: the first to attach claims it
// machine-wide, whatever URL each wrote for it, and the second is refused, naming the first. The
// profiles of one instance may share a browser (the claim counts them).
std::string BrowserPlugin::claim_endpoint(Profile& p) {
  if (p.endpoint_claim.active()) return "";
  auto* claims = host_->service<sdk::Claims>();
  auto endpoint = browser_endpoint(p.cdp_url);
  if (!claims || !endpoint) return "";  // an older host; a bad URL fails the attach itself
  try {
    p.endpoint_claim = claims->claim("browser endpoint " + *endpoint);
  } catch (const std::exception& e) {
    return cdp_url_key(p) + " " + p.cdp_url + ": " + e.what() +
           "; two instances must not drive one browser: give this one a browser of its own "
           "(a cdpPort, or another cdpUrl)";
  }
  return "";
}

}  // namespace browser
