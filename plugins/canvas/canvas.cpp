// canvas: each instance's canvas host on its `canvas` port (base + 4, or canvasHost.port), with
// live reload; the same files under /__openclaw__/canvas/ on the gateway port, and OpenClaw's
// hosted documents folder under /__openclaw__/canvas/documents/. Public SDK only.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include <openclaw/sdk/config.hpp>
#include <openclaw/sdk/file_watcher.hpp>
#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/gateway_service.hpp>
#include <openclaw/sdk/http_server.hpp>
#include <openclaw/sdk/plugin_export.hpp>

#include "canvas_config.hpp"
#include "static_files.hpp"

namespace sdk = openclaw::sdk;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace canvas {
namespace {

constexpr const char* kMount = "/__openclaw__/canvas";
constexpr const char* kDocumentsMount = "/__openclaw__/canvas/documents";
constexpr const char* kReloadPath = "/__openclaw__/ws";
constexpr std::uint64_t kInjectLimit = 8 << 20;  // larger HTML is streamed without the script

const char* kStarterPage = R"(<!doctype html>
<html>
<head><meta charset="utf-8"><title>Canvas</title>
<style>body{font-family:system-ui,sans-serif;margin:3rem;color:#222}</style></head>
<body>
<h1>Canvas</h1>
<p>This is your instance's canvas. Put HTML, CSS, JS and media in this folder; open pages reload
by themselves when a file changes.</p>
</body>
</html>
)";

const char* kNotFound =
    "<!doctype html><html><head><title>404 Not Found</title></head>"
    "<body><h1>404 Not Found</h1></body></html>\n";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

sdk::HttpResponse page(int status, std::string body,
                       std::string type = "text/html; charset=utf-8") {
  auto r = sdk::HttpResponse::text(status, std::move(body), std::move(type));
  return r;
}

class CanvasPlugin final : public sdk::Plugin {
 public:
  std::vector<sdk::ConfigProblem> validate(const sdk::Host& host) const override {
    std::vector<sdk::ConfigProblem> out;
    read_settings(host.root_config(), &out);
    return out;
  }

  void start(sdk::Host& host) override {
    host_ = &host;
    settings_ = read_settings(host.root_config());
    if (!settings_.enabled) {
      host.log(sdk::LogLevel::info,
               "the canvas host is off (plugins.entries.canvas.config.host.enabled is false)");
      return;
    }
    documents_ = host.state_dir() / "canvas" / "documents";
    prepare(documents_, false);
    documents_fd_ = ::open(documents_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    open_root(root_of(host));

    sdk::HttpServer::Options options;
    options.websocket_send_limit = 1 << 20;  // a page that stops reading is dropped, not queued for
    // Pages are readable by anyone who may load them; a request from another site's page (its
    // live-reload socket, a fetch) and a rebound Host are refused like on every port.
    options.origin_policy = sdk::OriginPolicy::from_config(host.root_config());
    options.on_warning = [&host](const std::string& w) {
      host.log(sdk::LogLevel::warn, "canvas: " + w);
    };
    options.max_connections = static_cast<std::size_t>(settings_.max_connections);  // pages too
    server_ = std::make_unique<sdk::HttpServer>(
        host.io(),
        sdk::AsyncHttpHandler([this](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
          serve(req, std::move(respond), true);
        }),
        options);
    sdk::WebSocketHandlers ws;
    ws.on_open = [this](const std::shared_ptr<sdk::WebSocket>& socket,
                        const sdk::HttpRequest& req) {
      if (req.path != kReloadPath) {
        socket->close(1008, "live reload is at " + std::string(kReloadPath));
        return;
      }
      pages_[socket.get()] = socket;  // ids repeat across the two servers; pointers do not
    };
    ws.on_message = [](const std::shared_ptr<sdk::WebSocket>&, std::string) {};
    ws.on_close = [this](const std::shared_ptr<sdk::WebSocket>& socket, int) {
      pages_.erase(socket.get());
    };
    server_->set_websocket(ws);
    // The same live-reload socket on the gateway's port, so pages opened there reload too.
    if (auto* gateway = host.service<sdk::Gateway>()) {
      gateway_ws_ = gateway->add_websocket(kReloadPath, ws);
      gateway_reload_ = true;
    }
    port_ = host.port("canvas");
    server_->listen(host.bind_address("canvas"), port_);

    // The same files on the gateway's own port, for clients that only know that one.
    for (const char* m : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
      host.add_route_async(m, kMount,
                           [this](const sdk::HttpRequest& req, sdk::HttpResponder respond) {
                             serve(req, std::move(respond), false);
                           });
    }
    watch();
    host.add_method("canvas.status", [this](const json::value&) { return status(); });
    host.add_method("canvas.reload", [this](const json::value&) {
      int told = notify("reload");
      return json::value(json::object{{"ok", true}, {"notified", told}});
    });
    host.log(sdk::LogLevel::info, "canvas on http://" + host.bind_address("canvas") + ":" +
                                      std::to_string(port_) + kMount + "/ from " + root_.string() +
                                      (settings_.live_reload ? " (live reload)" : ""));
  }

  // The root folder and live reload move on the running server (its port and connections stay,
  // open pages are told to reload from the new root); the origins allowed follow
  // gateway.controlUi.allowedOrigins. Switching the host off or changing its connection cap
  // restarts the plugin.
  bool reconfigure(sdk::Host& host) override {
    Settings next = read_settings(host.root_config());
    if (std::string key = restart_reason(settings_, next); !key.empty()) {
      host.log(sdk::LogLevel::info, "canvas: " + key + " changed; the plugin restarts to apply it");
      return false;
    }
    if (!server_) {  // switched off, and still off
      settings_ = std::move(next);
      return true;
    }
    if (host.port("canvas") != port_) return false;
    fs::path root = root_folder(next.root, host.workspace(), home());
    bool moved = root != root_;
    if (moved) open_root(root);
    bool rewatch = moved || next.live_reload != settings_.live_reload;
    settings_ = std::move(next);
    if (rewatch) watch();
    server_->set_origin_policy(sdk::OriginPolicy::from_config(host.root_config()));
    if (moved) notify("reload");
    host.log(sdk::LogLevel::info, "canvas: config applied in place, serving " + root_.string() +
                                      (settings_.live_reload ? " (live reload)" : ""));
    return true;
  }

  void stop() override {
    gateway_ws_.revoke();
    watcher_.reset();
    if (server_) server_->stop();
    server_.reset();
    pages_.clear();
    for (int* fd : {&root_fd_, &documents_fd_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    host_ = nullptr;
  }

  json::value status() const override {
    json::object o{{"port", port_},
                   {"root", root_.string()},
                   {"documentsRoot", documents_.string()},
                   {"liveReload", settings_.live_reload},
                   {"pagesConnected", static_cast<std::int64_t>(pages_.size())},
                   {"served", served_}};
    if (last_change_ms_) {
      json::array paths;
      for (const auto& p : last_change_) paths.push_back(json::value(p));
      o["lastChange"] = json::object{{"ts", last_change_ms_}, {"paths", std::move(paths)}};
    } else {
      o["lastChange"] = nullptr;
    }
    return o;
  }

 private:
  static fs::path home() {
    const char* h = std::getenv("HOME");
    return fs::path(h ? h : "");
  }

  fs::path root_of(const sdk::Host& host) const {
    return root_folder(settings_.root, host.workspace(), home());
  }

  // Serves `root` from now on (created with a starter page when new). Throws, changing nothing,
  // when it cannot be opened.
  void open_root(const fs::path& root) {
    prepare(root, true);
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open the canvas root " + root.string());
    if (root_fd_ >= 0) ::close(root_fd_);
    root_fd_ = fd;
    root_ = root;
  }

  // Watches the root when live reload is on (and stops watching when it is off).
  void watch() {
    watcher_.reset();
    if (!settings_.live_reload || !host_) return;
    watcher_ = sdk::FileWatcher::watch(
        host_->io(), root_, [this](const std::vector<fs::path>& changed) { on_change(changed); });
  }

  void prepare(const fs::path& dir, bool starter) {
    std::error_code ec;
    bool fresh = !fs::exists(dir, ec);
    sdk::create_private_dirs(dir, fs::perms(0755));
    if (starter && fresh) {
      sdk::write_file_atomic(dir / "index.html", kStarterPage, fs::perms(0644));
    }
  }

  void serve(const sdk::HttpRequest& req, sdk::HttpResponder respond, bool own_port) {
    if (req.method != "GET" && req.method != "HEAD") {
      auto r = page(405, "<!doctype html><h1>405 Method Not Allowed</h1>\n");
      r.headers.push_back({"Allow", "GET, HEAD"});
      respond.send(std::move(r));
      return;
    }
    const std::string_view path = req.path;
    if (own_port && path == "/") {
      auto r = page(302, "");
      r.headers.push_back({"Location", std::string(kMount) + "/"});
      respond.send(std::move(r));
      return;
    }
    auto under = [&](std::string_view m) {
      return path == m || (path.starts_with(m) && path[m.size()] == '/');
    };
    const bool documents = under(kDocumentsMount);  // which root (no path copied per request)
    if (!documents && !under(kMount)) {
      respond.send(page(404, kNotFound));
      return;
    }
    const std::string_view mount = documents ? kDocumentsMount : kMount;
    const std::string_view rest = path.substr(mount.size());
    Resolved res = documents ? resolve_at(documents_fd_, documents_, rest, mount)
                             : resolve_at(root_fd_, root_, rest, mount);
    if (res.kind != Resolved::Kind::file) return refuse(req, respond, res);
    ++served_;
    const std::string_view type = content_type(res.file.native());
    const bool inject = (own_port || gateway_reload_) && settings_.live_reload &&
                        type.starts_with("text/html") && res.size <= kInjectLimit;
    if (inject) return send_injected(req, respond, res, type);
    send_file(req, respond, res, type);
  }

  // What resolve_at() found instead of a file: a redirect to the folder's '/', or a refusal.
  void refuse(const sdk::HttpRequest& req, const sdk::HttpResponder& respond, const Resolved& res) {
    switch (res.kind) {
      case Resolved::Kind::redirect: {
        auto r = page(301, "");
        r.headers.push_back({"Location", res.location});
        respond.send(std::move(r));
        return;
      }
      case Resolved::Kind::forbidden:
        if (host_) {
          // The file under the root when resolution got that far, else the target as sent: either
          // way without a ?token= and capped, so a request cannot put a secret or 16 KB in the log.
          host_->log(sdk::LogLevel::warn,
                     "canvas: refused " +
                         sdk::loggable_target(res.shown.empty() ? req.target : res.shown) + ": " +
                         res.why);
        }
        respond.send(page(403, "<!doctype html><h1>403 Forbidden</h1>\n"));
        return;
      case Resolved::Kind::bad_request:
        respond.send(page(400, "<!doctype html><h1>400 Bad Request</h1>\n"));
        return;
      case Resolved::Kind::not_found:
        respond.send(page(404, kNotFound));
        return;
      case Resolved::Kind::file:
        return;
    }
  }

  // The validators of `res` as response headers; the ETag marked "-lr" for a page with the
  // live-reload script in it (another body than the file's).
  static std::vector<std::pair<std::string, std::string>> validator_headers(const Resolved& res,
                                                                            bool injected) {
    Validators v = validators_of(res.size, res.mtime_sec, res.mtime_nsec);
    if (injected) v.etag.insert(v.etag.size() - 1, "-lr");
    std::vector<std::pair<std::string, std::string>> headers;
    headers.reserve(5);  // and Accept-Ranges, Content-Range
    headers.emplace_back("ETag", std::move(v.etag));
    headers.emplace_back("Last-Modified", std::move(v.last_modified));
    headers.emplace_back("Cache-Control", "no-cache");
    return headers;
  }

  // 304 when the client's copy is current (If-None-Match / If-Modified-Since).
  static bool answered_not_modified(const sdk::HttpRequest& req, const sdk::HttpResponder& respond,
                                    std::vector<std::pair<std::string, std::string>>& headers) {
    Validators current;
    current.etag = headers[0].second;
    current.last_modified = headers[1].second;
    if (!not_modified(current, req.headers)) return false;
    sdk::HttpResponse r = page(304, "");
    r.headers = std::move(headers);
    respond.send(std::move(r));
    return true;
  }

  // An HTML page read whole, the live-reload script added.
  void send_injected(const sdk::HttpRequest& req, const sdk::HttpResponder& respond,
                     const Resolved& res, std::string_view type) {
    auto headers = validator_headers(res, true);
    if (answered_not_modified(req, respond, headers)) return;
    std::string html(res.size, '\0');
    ssize_t n = ::pread(res.fd, html.data(), html.size(), 0);
    html.resize(n > 0 ? static_cast<size_t>(n) : 0);
    sdk::HttpResponse r = page(200, inject_live_reload(html), std::string(type));
    r.headers = std::move(headers);
    respond.send(std::move(r));
  }

  // Any other file, or the byte range asked for, streamed by the server from the descriptor the
  // kernel opened beneath the root (the size known from it: the server need not stat it again).
  void send_file(const sdk::HttpRequest& req, const sdk::HttpResponder& respond, Resolved& res,
                 std::string_view type) {
    auto headers = validator_headers(res, false);
    if (answered_not_modified(req, respond, headers)) return;
    headers.emplace_back("Accept-Ranges", "bytes");
    sdk::HttpFileResponse f;
    f.content_type = type;
    f.head = req.method == "HEAD";
    f.length = res.size;
    if (auto it = req.headers.find("range"); it != req.headers.end()) {
      if (auto range = parse_range(it->second, res.size)) {
        if (range->unsatisfiable) {
          sdk::HttpResponse r = page(416, "");
          r.headers = {{"Content-Range", "bytes */" + std::to_string(res.size)}};
          respond.send(std::move(r));
          return;
        }
        f.status = 206;
        f.offset = range->offset;
        f.length = range->length;
        headers.emplace_back("Content-Range",
                             "bytes " + std::to_string(range->offset) + "-" +
                                 std::to_string(range->offset + range->length - 1) + "/" +
                                 std::to_string(res.size));
      }
    }
    f.headers = std::move(headers);
    f.fd = res.release();
    respond.send_file(std::move(f));
  }

  void on_change(const std::vector<fs::path>& changed) {
    last_change_ms_ = now_ms();
    last_change_.clear();
    bool only_css = true;
    for (const auto& p : changed) {
      std::error_code ec;
      fs::path rel = fs::relative(p, root_, ec);
      last_change_.push_back(ec ? p.string() : rel.string());
      only_css = only_css && p.extension() == ".css";
    }
    notify(only_css ? "css" : "reload");
  }

  int notify(const std::string& type) {
    auto frame = std::make_shared<const std::string>(
        json::serialize(json::object{{"type", type}, {"ts", now_ms()}}));
    int n = 0;
    for (auto& [id, socket] : pages_) {
      socket->send(frame);
      ++n;
    }
    return n;
  }

  sdk::Host* host_ = nullptr;
  std::unique_ptr<sdk::HttpServer> server_;
  std::unique_ptr<sdk::FileWatcher> watcher_;
  sdk::Registration gateway_ws_;
  bool gateway_reload_ = false;
  std::map<const sdk::WebSocket*, std::shared_ptr<sdk::WebSocket>> pages_;
  fs::path root_, documents_;
  int root_fd_ = -1, documents_fd_ = -1;
  int port_ = 0;
  Settings settings_;
  std::int64_t served_ = 0;
  std::int64_t last_change_ms_ = 0;
  std::vector<std::string> last_change_;
};

}  // namespace
}  // namespace canvas

OPENCLAW_PLUGIN(canvas::CanvasPlugin)
