#include "ports/system.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace openclaw::ports {

namespace {

// Raw syscalls: the lease store reads /proc/<pid>/stat on its hot path. Only procfs is read
// here (paths built from a pid number): its files are never FIFOs or devices, so the open cannot
// wait and sdk::open_regular_file's extra fstat would buy nothing.
std::string read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

class ProcProcesses final : public ProcessTable {
 public:
  std::optional<std::uint64_t> start_time(int pid) const override {
    if (pid <= 0) return std::nullopt;
    std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(stat.substr(close + 1));
    std::string field;
    // Fields after comm start at 3 (state); starttime is field 22.
    for (int i = 3; i <= 22; ++i) {
      if (!(rest >> field)) return std::nullopt;
    }
    if (stat.compare(close, 4, ") Z ") == 0) return std::nullopt;  // a zombie holds no ports
    return std::strtoull(field.c_str(), nullptr, 10);
  }

  std::string name(int pid) const override {
    std::string comm = read_small_file("/proc/" + std::to_string(pid) + "/comm");
    while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
    return comm;
  }
};

// One socket of /proc/net/tcp{,6} whose local port is `port`.
struct TcpSocket {
  std::string state;  // two hex digits: "0A" listen, "06" TIME_WAIT, "01" established, ...
  unsigned long inode = 0;
};

// Calls `each(local port, socket)` for every socket of /proc/net/tcp{,6}.
template <typename F>
void for_each_tcp_socket(F&& each) {
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout;
      unsigned long inode = 0;
      if (!(ls >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >>
            inode)) {
        continue;
      }
      auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      each(static_cast<int>(std::strtol(local.c_str() + colon + 1, nullptr, 16)),
           TcpSocket{state, inode});
    }
  }
}

std::vector<TcpSocket> sockets_on_port(int port) {
  std::vector<TcpSocket> out;
  for_each_tcp_socket([&](int local, const TcpSocket& s) {
    if (local == port) out.push_back(s);
  });
  return out;
}

// Inodes of sockets listening on `port`.
std::vector<unsigned long> listening_inodes(int port) {
  std::vector<unsigned long> out;
  for (const auto& s : sockets_on_port(port)) {
    if (s.state == "0A") out.push_back(s.inode);  // TCP_LISTEN
  }
  return out;
}

class SocketProbe final : public PortProbe {
 public:
  bool bindable(int port, const std::string& bind) const override {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    // Same SO_REUSEADDR as our servers use, so a just-closed instance's TIME_WAIT does not
    // count as "in use" but any listener does.
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, bind.c_str(), &addr.sin_addr) != 1) {
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    bool ok =
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 1) == 0;
    ::close(fd);
    return ok;
  }

  std::string why_unbindable(int port) const override;

  bool listening(int port) const override { return !listening_inodes(port).empty(); }
  std::set<int> listening_among(const std::vector<int>& ports) const override {
    std::set<int> wanted(ports.begin(), ports.end()), out;
    for_each_tcp_socket([&](int local, const TcpSocket& s) {
      if (s.state == "0A" && wanted.count(local)) out.insert(local);  // TCP_LISTEN
    });
    return out;
  }
  std::string holder(int port) const override {
    auto inodes = listening_inodes(port);
    if (inodes.empty()) return {};
    std::vector<std::string> needles;
    for (auto inode : inodes) needles.push_back("socket:[" + std::to_string(inode) + "]");
    DIR* proc = ::opendir("/proc");
    if (!proc) return {};
    std::string found;
    while (dirent* e = ::readdir(proc)) {
      int pid = std::atoi(e->d_name);
      if (pid <= 0) continue;
      std::string fd_dir = "/proc/" + std::string(e->d_name) + "/fd";
      DIR* fds = ::opendir(fd_dir.c_str());
      if (!fds) continue;
      while (dirent* f = ::readdir(fds)) {
        char target[256];
        std::string link = fd_dir + "/" + f->d_name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        for (const auto& needle : needles) {
          if (needle == target) {
            found = "pid " + std::to_string(pid) + ": " + system_processes().name(pid);
            break;
          }
        }
        if (!found.empty()) break;
      }
      ::closedir(fds);
      if (!found.empty()) break;
    }
    ::closedir(proc);
    return found;
  }
};

}  // namespace

std::string PortRange::text() const {
  return std::to_string(lo) + "\u2013" + std::to_string(hi);
}

std::optional<PortRange> parse_port_range(std::string text) {
  for (auto& c : text) {
    if (c == '-' || c == '\t') c = ' ';
  }
  std::istringstream in(text);
  PortRange r;
  if (!(in >> r.lo >> r.hi) || r.lo < 1 || r.hi > 65535 || r.lo > r.hi) return std::nullopt;
  return r;
}

PortRange ephemeral_range(const std::optional<std::string>& override_value) {
  const auto parse = parse_port_range;
  if (override_value) {
    if (auto r = parse(*override_value)) return *r;
  }
  if (auto r = parse(read_small_file("/proc/sys/net/ipv4/ip_local_port_range"))) return *r;
  return PortRange{32768, 60999};
}

const PortRange& system_ephemeral_range() {
  static const PortRange range = [] {
    const char* v = std::getenv("OPENCLAW_EPHEMERAL_PORT_RANGE");
    return ephemeral_range(v && *v ? std::optional<std::string>(v) : std::nullopt);
  }();
  return range;
}

const std::optional<PortRange>& system_plugin_port_pool() {
  static const std::optional<PortRange> pool = []() -> std::optional<PortRange> {
    const char* v = std::getenv("OPENCLAW_PLUGIN_PORT_RANGE");
    return v && *v ? parse_port_range(v) : std::nullopt;
  }();
  return pool;
}

std::set<int> PortProbe::listening_among(const std::vector<int>& ports) const {
  std::set<int> out;
  for (int p : ports) {
    if (listening(p)) out.insert(p);
  }
  return out;
}

std::string PortProbe::why_unbindable(int port) const {
  std::string who = holder(port);
  return "is in use by another program" + (who.empty() ? "" : " (" + who + ")");
}

std::string SocketProbe::why_unbindable(int port) const {
  std::string who = holder(port);
  if (!who.empty()) return "is in use by another program (" + who + ")";
  bool time_wait = false, connected = false;
  for (const auto& s : sockets_on_port(port)) {
    time_wait = time_wait || s.state == "06";
    connected = connected || (s.state != "0A" && s.state != "06" && s.state != "07");
  }
  const std::string avoid = "bases outside " + system_ephemeral_range().text() + " avoid this";
  if (connected) {
    return "cannot be bound: an open outgoing connection uses it as its local port; " + avoid;
  }
  if (time_wait) {
    return "cannot be bound: a recent outgoing connection left it in TIME_WAIT; free within 60 "
           "s; " +
           avoid;
  }
  return "is in use by another program";
}

const ProcessTable& system_processes() {
  static const ProcProcesses table;
  return table;
}

const PortProbe& system_probe() {
  static const SocketProbe probe;
  return probe;
}

int self_pid() {
  return static_cast<int>(::getpid());
}

std::uint64_t self_start_time() {
  static const std::uint64_t t = system_processes().start_time(self_pid()).value_or(0);
  return t;
}

}  // namespace openclaw::ports
