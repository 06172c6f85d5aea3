#include "gateway/instance_claims.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "gateway/client.hpp"
#include "gateway/crash.hpp"
#include "gateway/instance_record.hpp"
#include "gateway/log.hpp"
#include "instance/machine.hpp"
#include "openclaw/sdk/files.hpp"
#include "openclaw/sdk/instances.hpp"
#include "openclaw/sdk/process.hpp"
#include "ports/plan.hpp"
#include "ports/registry_instances.hpp"
#include "ports/system.hpp"

namespace openclaw::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// True when process `pid` is on its way out: gone, a zombie, or with SIGKILL pending.
bool holder_exiting(const std::string& pid) {
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  std::ifstream status("/proc/" + pid + "/status");
  if (!status) return true;
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("State:", 0) == 0 &&
        (line.find('Z') != std::string::npos || line.find('X') != std::string::npos)) {
      return true;
    }
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
      unsigned long long mask = std::strtoull(line.substr(line.find(':') + 1).c_str(), nullptr, 16);
      if (mask & (1ull << (SIGKILL - 1))) return true;
    }
  }
  return false;
}

// One gateway per state dir: an exclusive flock held for the process's lifetime. The file holds
// the owner's pid so a second start can name it.
class StateDirLock {
 public:
  StateDirLock(const fs::path& state_dir, const std::string& shown) {
    fs::path path = state_dir / "gateway.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw usage_error("cannot open " + path.string() + ": " + std::strerror(errno));
    // A gateway killed a moment ago still holds the lock until the kernel has torn it down: a
    // holder that is exiting (SIGKILL pending, a zombie, gone) is waited for, briefly.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      if (holder_exiting(pid) && std::chrono::steady_clock::now() < until) {
        ::usleep(2000);
        continue;
      }
      ::close(fd_);
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

// Range choices are remembered in the state dir (ports::remembered_ports: a browser profile
// keeps its CDP port across starts), never in the config file: OpenClaw's strict schema refuses
// a root "ports" key, so a profile we ran would no longer start the real OpenClaw.

// What is remembered now: the state file, and what an earlier version wrote to the config
// (`ports.assigned`), which is moved out once, with a line. One read of the file per start.
std::map<std::string, int> remembered_at_start(const Instance& inst, GatewayLog& log) {
  auto remembered = ports::remembered_ports(inst.paths.state_dir, inst.config.root());
  const json::value* legacy = config::find(inst.config.root(), {"ports", "assigned"});
  if (!legacy) return remembered;
  try {
    ports::save_remembered_ports(inst.paths.state_dir, remembered);
    auto cfg = config::Config::load(inst.paths.config_path, inst.paths.home);
    if (json::value* ports = cfg.root().if_contains("ports"); ports && ports->is_object()) {
      ports->get_object().erase("assigned");
      if (ports->get_object().empty()) cfg.root().erase("ports");
    }
    cfg.save(inst.paths.state_dir, "gateway (ports.assigned moved to the state dir)");
    log(sdk::LogLevel::info, "ports: moved ports.assigned (" + std::to_string(remembered.size()) +
                                 " remembered port(s)) from the config to " +
                                 inst.where(ports::remembered_ports_path(inst.paths.state_dir)) +
                                 ": OpenClaw's schema has no root \"ports\" key");
  } catch (const std::exception& e) {
    log(sdk::LogLevel::warn,
        std::string("could not move ports.assigned out of the config: ") + e.what());
  }
  return remembered;
}

// Adds the registry's range and "any" choices to `remembered` and, given the plugins on the
// search path, forgets the names of plugins that are gone (every plugin dropped in and removed
// again would otherwise stay there for ever; a name belongs to the plugin its first dotted part
// names: "hello.http", "browser.cdp.work"). Writes the state file only when that changed it.
void remember_ports(const Instance& inst, std::map<std::string, int>& remembered,
                    const std::vector<ports::Lease>& leases,
                    const std::set<std::string>* plugin_ids, GatewayLog& log) {
  bool changed = false;
  for (const auto& l : leases) {
    const bool chosen =  // picked by the registry, not fixed by the config
        l.source == sdk::PortSource::range || l.source == sdk::PortSource::any;
    if (chosen && remembered[l.name] != l.port) {
      remembered[l.name] = l.port;
      changed = true;
    }
  }
  std::size_t forgot = 0;
  if (plugin_ids) {
    forgot = std::erase_if(remembered, [&](const auto& entry) {
      std::string owner(entry.first.substr(0, entry.first.find('.')));
      return !plugin_ids->count(owner) && !inst.plan.find(entry.first);
    });
  }
  if (!changed && forgot == 0) return;
  try {
    ports::save_remembered_ports(inst.paths.state_dir, remembered);
  } catch (const std::exception& e) {
    return log(sdk::LogLevel::warn, std::string("could not remember range ports: ") + e.what());
  }
  if (forgot > 0) {
    log(sdk::LogLevel::info,
        "ports: forgot " + std::to_string(forgot) + " remembered port(s) of plugins that are gone");
  }
}

// Processes the gateway (or its plugins) start must not inherit this instance's identity:
// OpenClaw once leaked OPENCLAW_GATEWAY_PORT into children, which then talked to the wrong gateway.
void scrub_child_environment() {
  for (const auto& name : sdk::instance_environment()) ::unsetenv(name.c_str());
}

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

class InstanceClaims::Impl {
 public:
  Impl(const fs::path& state_dir, const std::string& shown, const std::string& level,
       std::ostream& err, GatewayLog::Limits limits)
      : lock(state_dir, shown), log(state_dir, level, err, limits) {}
  StateDirLock lock;
  GatewayLog log;
  std::unique_ptr<sdk::Instances> instances;
};

InstanceClaims::InstanceClaims(const Instance& inst, const Environment& env, const Options& options,
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
  auto max_bytes = env.get("OPENCLAW_LOG_MAX_BYTES"), keep = env.get("OPENCLAW_LOG_KEEP");
  impl_ =
      std::make_unique<Impl>(paths.state_dir, inst.where(paths.state_dir), options.log_level, err,
                             GatewayLog::limits_from(max_bytes ? max_bytes->c_str() : nullptr,
                                                     keep ? keep->c_str() : nullptr));
  if (auto warning = ports::ephemeral_base_warning(inst.plan.base, inst.base.source,
                                                   ports::system_ephemeral_range(), paths.profile);
      !warning.empty()) {
    log(sdk::LogLevel::warn, warning);
  }
  raise_fd_limit();
  scrub_child_environment();
  started_ = now_ms();
  // How the last run ended stays readable (previous_exit()); this start is added to the record,
  // and a fatal signal from now on rewrites it as "crashed".
  const sdk::RunHistory history =
      sdk::note_start(paths.state_dir, started_);  // one read, one write
  previous_exit_ = history.last_exit;              // a start leaves the last exit as it was
  crash::install(paths.state_dir, history);
}

void InstanceClaims::note_stopped(const std::string& reason) {
  sdk::note_exit(inst_.paths.state_dir,
                 sdk::LastExit{now_ms(), "stopped", 0, std::nullopt, reason, {}});
}

InstanceClaims::~InstanceClaims() {
  if (record_written_) remove_record(inst_.paths.state_dir, owner_.pid);
  if (!leased_) return;
  try {
    store_.release(owner_);
  } catch (const std::exception&) {
    // The next acquire reclaims a dead process's leases anyway.
  }
}

void InstanceClaims::log(sdk::LogLevel level, const std::string& message) {
  impl_->log(level, message);
}

Logger InstanceClaims::logger() {
  return [this](sdk::LogLevel level, const std::string& message) { log(level, message); };
}

void InstanceClaims::lease(plugins::Manager& manager) {
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
  auto remembered = remembered_at_start(inst, impl_->log);
  while (true) {
    auto plan = ports::make_plan(inst.plan.base, inst.base.source, manager.remaining_requests());
    try {
      leases_ = store_.acquire(owner_, plan, remembered);
      leased_ = true;
      break;
    } catch (const PortConflict& conflict) {
      if (!manager.refuse_port(conflict.port_name(), conflict.what())) throw;
    }
  }
  std::set<std::string> plugin_ids;
  for (const auto& slot : manager.slots()) plugin_ids.insert(slot->id());
  remember_ports(inst, remembered, leases_, &plugin_ids, impl_->log);

  // The machine's live instances, for plugins (service "openclaw.instances").
  impl_->instances = ports::registry_instances(store_, owner_);
  manager.add_service(sdk::Instances::kServiceName, sdk::Instances::kServiceVersion,
                      impl_->instances.get());

  // Plugins lease more ports at run time with the same guarantees.
  manager.set_runtime_ports(plugins::Manager::RuntimePorts{
      [this, avoid_configured_profiles](const sdk::PortRequest& request) {
        avoid_configured_profiles();
        auto plan = ports::make_plan(inst_.plan.base, inst_.base.source, {request});
        // The choices remembered now (a plugin dropped in again gets its port back).
        auto remembered = ports::remembered_ports(inst_.paths.state_dir, json::object{});
        auto granted = store_.lease_more(owner_, plan, remembered);
        leases_.push_back(granted.at(0));
        remember_ports(inst_, remembered, granted, nullptr, impl_->log);
        return granted.at(0);
      },
      [this](const std::string& name) {
        std::erase_if(leases_, [&](const ports::Lease& l) { return l.name == name; });
        return store_.release_port(owner_, name);
      }});
}

void InstanceClaims::write_record(const std::string& bind, const json::array& plugins) {
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
  record.restart_needed = restart_needed_;
  openclaw::gateway::write_record(paths.state_dir, record);
  record_written_ = true;
  bind_ = bind;
  plugins_ = plugins;
}

void InstanceClaims::set_restart_needed(std::vector<std::string> keys) {
  if (keys == restart_needed_) return;
  restart_needed_ = std::move(keys);
  if (!record_written_) return;
  auto bind = bind_;
  auto plugins = plugins_;
  write_record(bind, plugins);
}

}  // namespace openclaw::gateway
