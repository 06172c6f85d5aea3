#pragma once
// The pairing store (dmPolicy "pairing"): an unknown sender gets a one-time code, and the owner
// approves it with `openclaw-host pairing approve <channel> <code>`, which adds the sender to the
// channel's approved list. Files under `<state dir>/credentials/` (0700), written atomically
// (0600): `<channel>-pairing.json` (pending codes, an hour each) and `<channel>-allowFrom.json`
// (approved sender ids). The gateway and the CLI share them; no running gateway is needed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace openclaw::channels {

struct PairingRequest {
  std::string code;
  std::string from;       ///< the sender's stable id
  std::string from_name;  ///< its display name
  std::string account;
  std::int64_t ts = 0;  ///< ms since the epoch, when first asked
};

class PairingStore {
 public:
  explicit PairingStore(std::filesystem::path state_dir);

  /// The code for `from` on `channel`: its pending one, or a new one (8 characters). At most 20
  /// pending per channel: the oldest goes.
  std::string request(const std::string& channel, const std::string& from,
                      const std::string& from_name, const std::string& account,
                      std::int64_t now_ms);
  /// Approves `code`: its sender joins the approved list, the code is used up. Throws
  /// std::runtime_error naming the channel when no such pending code exists (or it expired).
  PairingRequest approve(const std::string& channel, const std::string& code, std::int64_t now_ms);
  /// Pending (unexpired) requests of `channel`.
  std::vector<PairingRequest> pending(const std::string& channel, std::int64_t now_ms) const;
  /// Sender ids approved on `channel`.
  std::vector<std::string> approved(const std::string& channel) const;

  static constexpr std::int64_t kTtlMs = 60 * 60 * 1000;

 private:
  std::filesystem::path file(const std::string& channel, const char* what) const;
  std::filesystem::path dir_;
};

/// True for a channel id the store accepts in a file name: letters, digits, '-', '_'.
bool valid_channel_id(const std::string& id);

}  // namespace openclaw::channels
