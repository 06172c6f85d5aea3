// Responders and registrations: see async.hpp for the contract.
#include "openclaw/sdk/async.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <boost/json/value.hpp>

#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/http_server.hpp"

namespace openclaw::sdk {
namespace json = boost::json;

namespace {
// What both responders promise: the first answer goes to the sink, later ones are refused, and an
// answer given by the host (a deadline, a plugin stopping) marks the responder cancelled.
template <typename Answer>
struct Once {
  std::function<void(Answer)> sink;
  bool done = false;
  bool cancelled = false;

  bool answer(Answer a) {
    if (done) return false;
    done = true;
    if (sink) sink(std::move(a));
    return true;
  }
  // A destructor never throws: a failing sink leaves the caller to its deadline.
  void answer_if_dropped(Answer a) noexcept {
    if (done) return;
    try {
      answer(std::move(a));
    } catch (...) {
    }
  }
};

struct MethodAnswer {
  bool ok;
  json::value value;
  std::string code, message;
};
}  // namespace

// ---- MethodResponder ---------------------------------------------------------------------------

struct MethodResponder::State : Once<MethodAnswer> {
  bool answer(bool ok, const json::value& v, const std::string& code, const std::string& msg) {
    return Once::answer(MethodAnswer{ok, v, code, msg});
  }
  ~State() {
    if (done) return;
    answer_if_dropped(MethodAnswer{false, nullptr, "INTERNAL",
                                   "the method handler dropped the request without answering"});
  }
};

MethodResponder::MethodResponder(Sink sink) : state_(std::make_shared<State>()) {
  state_->sink = [sink = std::move(sink)](MethodAnswer a) {
    if (sink) sink(a.ok, a.value, a.code, a.message);
  };
}

bool MethodResponder::ok(const json::value& payload) const {
  return state_->answer(true, payload, {}, {});
}

bool MethodResponder::error(const std::string& code, const std::string& message) const {
  return state_->answer(false, nullptr, code, message);
}

bool MethodResponder::error(const std::string& code, const std::string& message,
                            const json::value& details) const {
  return state_->answer(false, details, code, message);
}

bool MethodResponder::done() const {
  return state_->done;
}

bool MethodResponder::cancelled() const {
  return state_->cancelled;
}

std::weak_ptr<MethodResponder::State> MethodResponder::watch() const {
  return state_;
}

bool MethodResponder::cancel(const std::weak_ptr<State>& watched, const std::string& code,
                             const std::string& message) {
  auto s = watched.lock();
  if (!s || s->done) return false;
  s->cancelled = true;
  return s->answer(false, nullptr, code, message);
}

// ---- HttpResponder -----------------------------------------------------------------------------

struct HttpResponder::State : Once<HttpResponse> {
  FileSink file_sink;
  ~State() {
    if (done) return;  // the common case: no error response built for nothing
    answer_if_dropped(HttpResponse::error(
        500, "INTERNAL", "the route handler dropped the request without answering"));
  }
};

HttpResponder::HttpResponder(Sink sink) : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
}

HttpResponder::HttpResponder(Sink sink, FileSink file_sink) : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
  state_->file_sink = std::move(file_sink);
}

bool HttpResponder::send(HttpResponse response) const {
  return state_->answer(std::move(response));
}

bool HttpResponder::send_file(HttpFileResponse file) const {
  if (state_->done) return false;
  if (state_->file_sink) {
    state_->done = true;
    state_->file_sink(std::move(file));
    return true;
  }
  // No streaming server behind this responder: small files go as an ordinary body.
  constexpr std::uint64_t kLimit = 64ull << 20;
  if (file.fd >= 0) {
    file.path = "/proc/self/fd/" + std::to_string(file.fd);
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{file.fd};
    file.fd = -1;
    return send_file(std::move(file));
  }
  RegularFile in = open_regular_file(file.path);  // a FIFO here would hold the I/O thread
  if (!in) return send(HttpResponse::error(404, "NOT_FOUND", "file is gone"));
  std::uint64_t size = in.size;
  std::uint64_t offset = std::min(file.offset, size);
  std::uint64_t length = std::min(file.length.value_or(size - offset), size - offset);
  if (length > kLimit) {
    return send(
        HttpResponse::error(500, "INTERNAL", "this responder cannot stream a file that large"));
  }
  HttpResponse r;
  r.status = file.status;
  r.content_type = file.content_type;
  r.headers = std::move(file.headers);
  if (!file.head) {
    r.body.resize(length);
    std::size_t have = 0;
    while (have < length) {
      ssize_t n =
          ::pread(in.fd, r.body.data() + have, length - have, static_cast<off_t>(offset + have));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      have += static_cast<std::size_t>(n);
    }
    r.body.resize(have);
  }
  return send(std::move(r));
}

bool HttpResponder::done() const {
  return state_->done;
}

bool HttpResponder::cancelled() const {
  return state_->cancelled;
}

std::weak_ptr<HttpResponder::State> HttpResponder::watch() const {
  return state_;
}

bool HttpResponder::cancel(const std::weak_ptr<State>& watched, HttpResponse response) {
  auto s = watched.lock();
  if (!s || s->done) return false;
  s->cancelled = true;
  return s->answer(std::move(response));
}

// ---- Registration ------------------------------------------------------------------------------

struct Registration::State {
  std::function<void()> revoke;
  bool active = true;
};

Registration::Registration(std::function<void()> revoke) : state_(std::make_shared<State>()) {
  state_->revoke = std::move(revoke);
}

void Registration::revoke() const {
  if (!state_ || !state_->active) return;
  state_->active = false;
  auto fn = std::move(state_->revoke);
  if (fn) fn();
}

bool Registration::active() const {
  return state_ && state_->active;
}

// ---- Caller ------------------------------------------------------------------------------------

bool Caller::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

}  // namespace openclaw::sdk
