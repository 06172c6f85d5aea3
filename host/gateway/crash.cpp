#include "gateway/crash.hpp"

#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>

namespace openclaw::gateway::crash {
namespace fs = std::filesystem;

namespace {

// What the handler reads: fixed-size, filled before any crash can need it.
struct Range {
  std::uintptr_t lo = 0, hi = 0;
  char id[64] = {};
};
constexpr std::size_t kMaxRanges = 512;
std::array<Range, kMaxRanges> g_ranges;
std::atomic<std::size_t> g_range_count{0};

char g_log_path[4096];
char g_record_path[4096];
char g_record_tmp[4096];
char g_starts_json[512];  // "[1, 2, 3]": the run history's starts, for the exit record
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

// Appends to a fixed buffer without allocating (async-signal-safe).
struct Out {
  char buf[2048];
  std::size_t n = 0;
  void add(const char* s) {
    while (*s && n + 1 < sizeof buf) buf[n++] = *s++;
  }
  void add(std::int64_t v) {
    char tmp[24];
    int i = 0;
    bool neg = v < 0;
    std::uint64_t u =
        neg ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
    do {
      tmp[i++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u && i < 23);
    if (neg) tmp[i++] = '-';
    while (i > 0 && n + 1 < sizeof buf) buf[n++] = tmp[--i];
  }
};

const char* name_of(int signo) {
  switch (signo) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return nullptr;
  }
}

const char* plugin_of(std::uintptr_t pc) {
  std::size_t n = g_range_count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n && i < kMaxRanges; ++i) {
    if (pc >= g_ranges[i].lo && pc < g_ranges[i].hi) return g_ranges[i].id;
  }
  return nullptr;
}

std::uintptr_t faulting_pc(void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  if (!uc) return 0;
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
#else
  return 0;
#endif
}

// The faulting instruction first, then the return addresses up the stack: a plugin that passed
// a bad pointer to libc faulted in libc, but it is the plugin's frame that called it.
const char* plugin_to_blame(void* context) {
  if (const char* id = plugin_of(faulting_pc(context))) return id;
  void* frames[64];
  int n = ::backtrace(frames, 64);  // warmed at install: no allocation here
  for (int i = 0; i < n; ++i) {
    if (const char* id = plugin_of(reinterpret_cast<std::uintptr_t>(frames[i]))) return id;
  }
  return nullptr;
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w <= 0) return;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void on_fatal(int signo, siginfo_t*, void* context) {
  const char* plugin = plugin_to_blame(context);
  const char* name = name_of(signo);
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::int64_t now = static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;

  Out reason;
  reason.add("signal ");
  reason.add(static_cast<std::int64_t>(signo));
  if (name) {
    reason.add(" (");
    reason.add(name);
    reason.add(")");
  }
  if (plugin) {
    reason.add(" in plugin ");
    reason.add(plugin);
  } else {
    reason.add(" (not in a plugin's code)");
  }
  reason.buf[reason.n] = '\0';

  Out line;
  line.add("[error] fatal ");
  line.add(reason.buf);
  line.add(": the gateway dies now\n");
  write_all(2, line.buf, line.n);
  int log = ::open(g_log_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (log >= 0) {
    Out stamped;
    stamped.add(now);
    stamped.add(" ");
    stamped.add(line.buf + 0);
    write_all(log, stamped.buf, stamped.n);
    ::close(log);
  }

  Out record;
  record.add("{\n  \"starts\": ");
  record.add(g_starts_json);
  record.add(",\n  \"lastExit\": {\"at\": ");
  record.add(now);
  record.add(", \"kind\": \"crashed\", \"signal\": ");
  record.add(static_cast<std::int64_t>(signo));
  record.add(", \"reason\": \"");
  record.add(reason.buf);  // digits, letters, spaces, parentheses and a plugin id: no escaping
  record.add("\"");
  if (plugin) {
    record.add(", \"plugin\": \"");
    record.add(plugin);
    record.add("\"");
  }
  record.add("}\n}\n");
  int fd = ::open(g_record_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    write_all(fd, record.buf, record.n);
    ::close(fd);
    ::rename(g_record_tmp, g_record_path);
  }
  // The default action now: returning re-runs a faulting instruction, and a raised signal is
  // delivered once the handler returns (SA_RESETHAND restored the default).
  ::signal(signo, SIG_DFL);
  ::raise(signo);
}

void copy_path(char* to, std::size_t size, const fs::path& from) {
  std::string s = from.string();
  std::size_t n = std::min(s.size(), size - 1);
  std::memcpy(to, s.data(), n);
  to[n] = '\0';
}

struct Lookup {
  std::map<std::string, const std::string*> ids;  ///< library path as dlopen'ed -> plugin id
  std::size_t count = 0;
};

// dlopen keeps the path it was given as the object's name: one lookup per mapped object.
int add_ranges(dl_phdr_info* info, size_t, void* data) {
  auto* lookup = static_cast<Lookup*>(data);
  if (!info->dlpi_name || !*info->dlpi_name) return 0;
  auto found = lookup->ids.find(info->dlpi_name);
  if (found == lookup->ids.end()) return 0;
  const std::string& id = *found->second;
  for (int i = 0; i < info->dlpi_phnum && lookup->count < kMaxRanges; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    Range& r = g_ranges[lookup->count++];
    r.lo = info->dlpi_addr + ph.p_vaddr;
    r.hi = r.lo + ph.p_memsz;
    std::size_t n = std::min(id.size(), sizeof r.id - 1);
    std::memcpy(r.id, id.data(), n);
    r.id[n] = '\0';
  }
  return 0;
}

}  // namespace

std::string signal_name(int signo) {
  const char* n = name_of(signo);
  return n ? n : "signal " + std::to_string(signo);
}

void install(const fs::path& state_dir, const sdk::RunHistory& history) {
  copy_path(g_log_path, sizeof g_log_path, state_dir / "logs" / "gateway.log");
  copy_path(g_record_path, sizeof g_record_path, sdk::exit_record_path(state_dir));
  copy_path(g_record_tmp, sizeof g_record_tmp,
            fs::path(sdk::exit_record_path(state_dir)).concat(".crash-tmp"));
  std::string starts = "[";
  for (std::size_t i = 0; i < history.starts.size(); ++i) {
    if (i) starts += ", ";
    starts += std::to_string(history.starts[i]);
  }
  starts += "]";
  if (starts.size() >= sizeof g_starts_json) starts = "[]";
  std::memcpy(g_starts_json, starts.c_str(), starts.size() + 1);

  void* warm[4];
  ::backtrace(warm, 4);  // loads what backtrace() needs now, not in the handler

  static std::vector<char> alt_stack(1 << 16);
  stack_t ss{};
  ss.ss_sp = alt_stack.data();
  ss.ss_size = alt_stack.size();
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_sigaction = on_fatal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  ::sigemptyset(&sa.sa_mask);
  for (int s : kSignals) ::sigaction(s, &sa, nullptr);
}

void set_plugins(const std::vector<std::pair<std::string, fs::path>>& libraries) {
  g_range_count.store(0, std::memory_order_release);
  Lookup lookup;
  for (const auto& [id, path] : libraries) lookup.ids.emplace(path.string(), &id);
  ::dl_iterate_phdr(add_ranges, &lookup);
  g_range_count.store(lookup.count, std::memory_order_release);
}

std::string plugin_at(const void* address) {
  const char* id = plugin_of(reinterpret_cast<std::uintptr_t>(address));
  return id ? id : "";
}

}  // namespace openclaw::gateway::crash
