#pragma once
// Machine-wide exclusive claims (the host service "openclaw.claims", sdk::Claims): one lock file
// per resource in the port registry's directory, flock'ed by the instance that holds it, with the
// holder beside it for the message another instance gets. The kernel drops a flock when its
// process ends, kill -9 included, so a claim never outlives its instance and needs no reaping.

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "openclaw/sdk/claims.hpp"
#include "ports/lease_store.hpp"

namespace openclaw::ports {

class FileClaims final : public sdk::Claims {
 public:
  /// Claims for `owner`, kept under `<dir>/claims/` (`dir`: the port registry's directory).
  /// `home` only abbreviates paths in messages.
  FileClaims(std::filesystem::path dir, Owner owner, std::filesystem::path home = {});
  /// The same, registered with `services` (the plugin manager: anything with
  /// add_service(name, version, pointer)) for as long as it lives.
  template <typename Services>
  FileClaims(std::filesystem::path dir, Owner owner, std::filesystem::path home, Services& services)
      : FileClaims(std::move(dir), std::move(owner), std::move(home)) {
    services.add_service(kServiceName, kServiceVersion, static_cast<sdk::Claims*>(this));
  }

  sdk::Registration claim(const std::string& resource) override;

  /// The lock file's name for `resource`: its safe bytes, others %-escaped, long names cut and
  /// told apart by a hash.
  static std::string file_name(const std::string& resource);

 private:
  struct Held;
  std::filesystem::path claims_dir() const;
  std::string holder_text() const;
  std::string describe_holder(const std::string& text) const;

  std::filesystem::path dir_;
  Owner owner_;
  std::filesystem::path home_;
  // Claims this instance holds, by resource: shared by its registrations, released with the last.
  std::shared_ptr<std::map<std::string, std::weak_ptr<Held>>> held_;
};

}  // namespace openclaw::ports
