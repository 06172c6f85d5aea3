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

// Raw syscalls: the lease store reads /proc/<pid>/stat on its hot path.
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

// Inodes of sockets listening on `port`, from /proc/net/tcp and tcp6.
std::vector<unsigned long> listening_inodes(int port) {
  std::vector<unsigned long> out;
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
      if (state != "0A") continue;  // TCP_LISTEN
      auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      if (std::strtol(local.c_str() + colon + 1, nullptr, 16) == port) out.push_back(inode);
    }
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
