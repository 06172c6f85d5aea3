#pragma once

namespace openclaw {
/// The host's version, reported by --version, status and the gateway.
inline constexpr const char* kVersion = OPENCLAW_HOST_VERSION;
}  // namespace openclaw
