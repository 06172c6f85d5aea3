#include "gateway/lifecycle.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/client.hpp"
#include "gateway/instance_record.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/instances.hpp"
#include "ports/plan.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

int level_rank(const std::string& level) {
  if (level == "error") return 0;
  if (level == "warn") return 1;
  if (level == "info") return 2;
  return 3;
}

// One logger: stderr and <state dir>/logs/gateway.log.
class Log {
 public:
  Log(const fs::path& state_dir, const std::string& level, std::ostream& err)
      : rank_(level_rank(level)), err_(err) {
    try {
      sdk::create_private_dirs(state_dir / "logs");
      const fs::path path = state_dir / "logs" / "gateway.log";
      // A FIFO in the log's place would block this open until something reads it (the gateway
      // would never start): checked non-blocking first, and anything but a regular file skipped.
      int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
      struct stat st {};
      const bool regular = fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
      if (fd >= 0) ::close(fd);
      if (regular) {
        file_.open(path, std::ios::app);
      } else {
        err_ << "[warn] " << path.string() << " is not a regular file: logging to stderr only\n";
      }
    } catch (const std::exception&) {
      // Logging to the file is best effort; stderr still works.
    }
  }
  void operator()(const std::string& level, const std::string& msg) {
    if (level_rank(level) > rank_) return;
    err_ << "[" << level << "] " << msg << "\n";
    err_.flush();
    if (file_) file_ << now_ms() << " [" << level << "] " << msg << "\n" << std::flush;
  }

 private:
  int rank_;
  std::ostream& err_;
  std::ofstream file_;
};

// One gateway per state dir: an exclusive flock held for the process's lifetime. The file holds
// the owner's pid so a second start can name it.
class StateDirLock {
 public:
  StateDirLock(const fs::path& state_dir, const std::string& shown) {
    fs::path path = state_dir / "gateway.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw usage_error("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      ::close(fd_);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      throw conflict_error("state dir " + shown + " is already served by a running gateway (pid " +
                           pid + "); one gateway per state dir");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // The lock itself holds; the pid is only for messages.
    }
  }
  ~StateDirLock() { ::close(fd_); }
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Remembers range choices in the config (`ports.assigned.<name>`) so a browser profile keeps its
// CDP port across starts. Compares with (and edits) the file as it is now, not as it was at
// start-up: edits made since are not clobbered, and a port leased again at run time (a plugin
// dropped in anew) rewrites nothing when the file already says so.
void remember_range_ports(const Instance& inst, const std::vector<ports::Lease>& leases, Log& log) {
  bool any = false;
  for (const auto& l : leases) any = any || l.source == "range" || l.source == "any";
  if (!any) return;
  try {
    auto cfg = config::Config::load(inst.paths.config_path, inst.paths.home);
    auto remembered = ports::remembered_ports(cfg.root());
    std::vector<const ports::Lease*> changed;
    for (const auto& l : leases) {
      if ((l.source == "range" || l.source == "any") && remembered[l.name] != l.port) changed.push_back(&l);
    }
    if (changed.empty()) return;
    for (const auto* l : changed)
      config::assign(cfg.root(), {"ports", "assigned", l->name}, l->port);
    cfg.save();
  } catch (const std::exception& e) {
    log("warn", std::string("could not remember range ports in the config: ") + e.what());
  }
}

// Processes the gateway (or its plugins) start must not inherit this instance's identity:
// OpenClaw once leaked OPENCLAW_GATEWAY_PORT into children, which then talked to the wrong gateway.
void scrub_child_environment() {
  for (const char* name : {"OPENCLAW_GATEWAY_PORT", "OPENCLAW_PROFILE", "OPENCLAW_STATE_DIR",
                           "OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_TOKEN"}) {
    ::unsetenv(name);
  }
}

// The registry's live instances as plugins see them (sdk::Instances).
class RegistryInstances final : public sdk::Instances {
 public:
  RegistryInstances(ports::LeaseStore& store, const ports::Owner& self)
      : store_(store), self_(self) {}

  std::vector<sdk::InstanceInfo> list() override {
    std::vector<sdk::InstanceInfo> out;
    for (const auto& inst : store_.snapshot()) {
      if (!inst.stale) out.push_back(info(inst));
    }
    return out;
  }

  std::optional<std::pair<sdk::InstanceInfo, std::string>> holder_of(int port) override {
    for (const auto& inst : store_.snapshot()) {
      if (inst.stale) continue;
      for (const auto& l : inst.leases) {
        if (l.port == port) return std::make_pair(info(inst), l.name);
      }
    }
    return std::nullopt;
  }

 private:
  sdk::InstanceInfo info(const ports::InstanceLeases& inst) const {
    sdk::InstanceInfo i;
    i.profile = inst.owner.profile;
    i.pid = inst.owner.pid;
    i.state_dir = inst.owner.state_dir;
    i.base = inst.owner.base;
    i.self = inst.owner.pid == self_.pid && inst.owner.state_dir == self_.state_dir;
    for (const auto& l : inst.leases) {
      i.ports.emplace_back(l.name, l.port);
      // This instance answers by definition: probing its own port from its own I/O thread
      // waits for an accept only that thread could do (under load, with a full backlog, the
      // whole probe timeout). Another's is answered (or refused) by the kernel at once.
      if (l.name == "gateway") i.answers = i.self || port_answers("127.0.0.1", l.port, kProbeTimeout);
    }
    return i;
  }
  static constexpr std::chrono::milliseconds kProbeTimeout{200};
  ports::LeaseStore& store_;
  const ports::Owner& self_;
};

// Every client is a file descriptor: take the hard limit, as nginx's worker_rlimit_nofile does,
// so a burst of clients is not refused at the default soft limit of 1024.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

class Lifecycle::Impl {
 public:
  Impl(const fs::path& state_dir, const std::string& shown, const std::string& level,
       std::ostream& err)
      : lock(state_dir, shown), log(state_dir, level, err) {}
  StateDirLock lock;
  Log log;
  std::unique_ptr<RegistryInstances> instances;
};

Lifecycle::Lifecycle(const Instance& inst, const Environment& env, const Options& options,
                     std::ostream& err)
    : inst_(inst),
      store_(ports::LeaseStore::default_dir(env), inst.paths.home),
      owner_{inst.paths.profile, inst.paths.state_dir.string(), ports::self_pid(),
             ports::self_start_time(), inst.plan.base} {
  const auto& paths = inst.paths;
  try {
    sdk::create_private_dirs(paths.state_dir);
  } catch (const std::system_error& e) {
    throw usage_error(std::string("cannot create the state dir: ") + e.what(),
                      inst.where(paths.state_dir));
  }
  impl_ =
      std::make_unique<Impl>(paths.state_dir, inst.where(paths.state_dir), options.log_level, err);
  if (auto warning = ports::ephemeral_base_warning(inst.plan.base, inst.base.source,
                                                   ports::system_ephemeral_range(), paths.profile);
      !warning.empty()) {
    log("warn", warning);
  }
  raise_fd_limit();
  scrub_child_environment();
  started_ = now_ms();
}

Lifecycle::~Lifecycle() {
  if (record_written_) remove_record(inst_.paths.state_dir, owner_.pid);
  if (!leased_) return;
  try {
    store_.release(owner_);
  } catch (const std::exception&) {
    // The next acquire reclaims a dead process's leases anyway.
  }
}

void Lifecycle::log(const std::string& level, const std::string& message) {
  impl_->log(level, message);
}

plugins::Manager::LogFn Lifecycle::plugin_log() {
  return [this](sdk::LogLevel level, const std::string& msg) {
    static const char* names[] = {"error", "warn", "info", "debug"};
    log(names[static_cast<int>(level)], msg);
  };
}

void Lifecycle::lease(plugins::Manager& manager) {
  const auto& inst = inst_;
  const auto& paths = inst.paths;
  // "Any free port" requests also stay out of the spans of profiles configured on this machine
  // that are not running now (the registry knows the running ones).
  auto avoid_configured_profiles = [this, &paths] {
    std::vector<ports::PortRange> spans;
    for (const auto& iv :
         occupied_ports(discover_profiles(paths.home), {}, paths.state_dir, paths.home)) {
      spans.push_back({iv.lo, iv.hi});
    }
    store_.set_avoided_spans(std::move(spans));
  };
  const auto wanted = manager.remaining_requests();
  if (std::any_of(wanted.begin(), wanted.end(),
                  [](const sdk::PortRequest& r) { return r.source == sdk::PortSource::any; })) {
    avoid_configured_profiles();
  }
  while (true) {
    auto plan = ports::make_plan(inst.plan.base, inst.base.source, manager.remaining_requests());
    try {
      leases_ = store_.acquire(owner_, plan, ports::remembered_ports(inst.config.root()));
      leased_ = true;
      break;
    } catch (const PortConflict& conflict) {
      if (!manager.refuse_port(conflict.port_name(), conflict.what())) throw;
    }
  }
  remember_range_ports(inst, leases_, impl_->log);

  // The machine's live instances, for plugins (service "openclaw.instances").
  impl_->instances = std::make_unique<RegistryInstances>(store_, owner_);
  manager.add_service(sdk::Instances::kServiceName, sdk::Instances::kServiceVersion,
                      impl_->instances.get());

  // Plugins lease more ports at run time with the same guarantees.
  manager.set_runtime_ports(plugins::Manager::RuntimePorts{
      [this, avoid_configured_profiles](const sdk::PortRequest& request) {
        avoid_configured_profiles();
        auto plan = ports::make_plan(inst_.plan.base, inst_.base.source, {request});
        // The choices remembered in the file now (a plugin dropped in again gets its port back).
        std::map<std::string, int> remembered;
        try {
          remembered = ports::remembered_ports(config::Config::load(inst_.paths.config_path, inst_.paths.home).root());
        } catch (const std::exception&) {
          remembered = ports::remembered_ports(inst_.config.root());
        }
        auto granted = store_.lease_more(owner_, plan, remembered);
        leases_.push_back(granted.at(0));
        remember_range_ports(inst_, granted, impl_->log);
        return granted.at(0);
      },
      [this](const std::string& name) {
        std::erase_if(leases_, [&](const ports::Lease& l) { return l.name == name; });
        return store_.release_port(owner_, name);
      }});
}

void Lifecycle::write_record(const std::string& bind, const json::array& plugins) {
  const auto& paths = inst_.paths;
  InstanceRecord record;
  record.pid = owner_.pid;
  record.start_time = owner_.start_time;
  record.profile = paths.profile;
  record.state_dir = paths.state_dir.string();
  record.config_path = paths.config_path.string();
  record.version = kVersion;
  record.started_at_ms = started_;
  record.bind = bind;
  record.base = inst_.plan.base;
  for (const auto& l : leases_) record.ports[l.name] = l.port;
  record.plugins = plugins;
  openclaw::gateway::write_record(paths.state_dir, record);
  record_written_ = true;
}

}  // namespace openclaw::gateway
