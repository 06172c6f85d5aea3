#include "ports/claims.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <boost/json.hpp>

#include "openclaw/sdk/files.hpp"
#include "profile/profile.hpp"

namespace openclaw::ports {
namespace fs = std::filesystem;
namespace json = boost::json;

// One claimed resource: the locked file (closing it drops the flock) and the holder file beside
// it, removed first, while the lock still keeps everyone else from writing their own.
struct FileClaims::Held {
  int fd = -1;
  fs::path holder;
  ~Held() {
    std::error_code ec;
    fs::remove(holder, ec);
    ::close(fd);
  }
};

FileClaims::FileClaims(fs::path dir, Owner owner, fs::path home)
    : dir_(std::move(dir)),
      owner_(std::move(owner)),
      home_(std::move(home)),
      held_(std::make_shared<std::map<std::string, std::weak_ptr<Held>>>()) {}

std::string FileClaims::file_name(const std::string& resource) {
  std::string out;
  for (unsigned char c : resource) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_';
    if (safe) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (out.size() > 160) {
    // FNV-1a: stable across builds and runs, unlike std::hash.
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : resource) h = (h ^ c) * 1099511628211ull;
    char tail[20];
    std::snprintf(tail, sizeof tail, "~%016llx", static_cast<unsigned long long>(h));
    out = out.substr(0, 140) + tail;
  }
  return out + ".lock";
}

fs::path FileClaims::claims_dir() const {
  fs::path d = dir_ / "claims";
  try {
    sdk::create_private_dirs(d);
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("cannot create the claims directory ") + d.string() +
                             ": " + e.what());
  }
  // A shared temp dir: a directory another user could plant holds no claim of ours.
  struct stat st {};
  if (::lstat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH))) {
    throw std::runtime_error("the claims directory " + d.string() +
                             " is not a private directory of this user (chmod 700 it)");
  }
  return d;
}

std::string FileClaims::holder_text() const {
  json::object o{{"pid", owner_.pid}, {"stateDir", owner_.state_dir}};
  o["profile"] = owner_.profile ? json::value(*owner_.profile) : json::value(nullptr);
  return json::serialize(o) + "\n";
}

std::string FileClaims::describe_holder(const std::string& text) const {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return "another instance (it is writing its name)";
  const auto& o = v.get_object();
  const json::value* profile = o.if_contains("profile");
  const json::value* pid = o.if_contains("pid");
  const json::value* dir = o.if_contains("stateDir");
  std::string who = profile && profile->is_string()
                        ? "profile \"" + std::string(profile->get_string()) + "\""
                        : std::string("the default profile");
  std::string where = dir && dir->is_string()
                          ? ", " + profile::display_path(std::string(dir->get_string()), home_)
                          : std::string();
  return who + " (pid " + (pid && pid->is_int64() ? std::to_string(pid->get_int64()) : "?") +
         where + ")";
}

sdk::Registration FileClaims::claim(const std::string& resource) {
  std::shared_ptr<Held> held;
  if (auto it = held_->find(resource); it != held_->end()) held = it->second.lock();
  if (!held) {
    fs::path dir = claims_dir();
    fs::path lock = dir / file_name(resource);
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      throw std::runtime_error("cannot open the claim " + lock.string() + ": " +
                               std::strerror(errno));
    }
    int rc;
    while ((rc = ::flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      int saved = errno;
      ::close(fd);
      if (saved != EWOULDBLOCK) {
        throw std::runtime_error("cannot lock the claim " + lock.string() + ": " +
                                 std::strerror(saved));
      }
      sdk::OpenOptions options;
      options.no_symlinks = true;
      std::optional<std::string> text;
      try {
        text = sdk::read_regular_file(fs::path(lock.string() + ".holder"), options, 4096);
      } catch (const std::exception&) {
      }
      throw std::runtime_error(resource + " is already claimed by " +
                               describe_holder(text.value_or("")));
    }
    held = std::make_shared<Held>();
    held->fd = fd;
    held->holder = lock.string() + ".holder";
    try {
      // Whole or not at all: a reader never sees half a holder.
      sdk::write_file_atomic(held->holder, holder_text(), fs::perms(0600), false,
                             /*durable=*/false);
    } catch (const std::exception&) {
      // The claim holds without its label; another instance is told "another instance".
    }
    (*held_)[resource] = held;
  }
  // Each registration keeps the claim alive; revoking (or destroying) the last one releases it.
  auto slot = std::make_shared<std::shared_ptr<Held>>(held);
  std::weak_ptr<std::map<std::string, std::weak_ptr<Held>>> table = held_;
  return sdk::Registration([slot, table, resource] {
    slot->reset();
    if (auto t = table.lock()) {
      if (auto it = t->find(resource); it != t->end() && it->second.expired()) t->erase(it);
    }
  });
}

}  // namespace openclaw::ports
