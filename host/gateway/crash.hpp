#pragma once
// The gateway's last words on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT): one line
// to stderr and logs/gateway.log naming the signal and, when the faulting code lies in a plugin's
// library, that plugin; the exit record (openclaw/sdk/run_history.hpp) written as "crashed"; then
// the default action, so the process dies as before (a core dump where enabled, the status a
// service manager sees). A plugin runs in the gateway's process: this is how its crash is told
// apart from the host's. The handler makes only async-signal-safe calls; what it writes is prepared
// beforehand.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "openclaw/sdk/run_history.hpp"

namespace openclaw::gateway::crash {

/// Installs the handlers, on an alternate stack (a stack overflow is reported too), for a
/// gateway serving `state_dir` whose run history (the starts kept in the record) is `history`.
void install(const std::filesystem::path& state_dir, const sdk::RunHistory& history);

/// The plugins' libraries as loaded (id, path of the file mapped): their code ranges are looked
/// up now, so the handler can name the plugin. Call after every change of the plugin set.
void set_plugins(const std::vector<std::pair<std::string, std::filesystem::path>>& libraries);

/// The plugin whose code holds `address`, or "" (for tests and the stall monitor's reports).
std::string plugin_at(const void* address);

/// "SIGSEGV" for 11, ...; "signal N" for another number.
std::string signal_name(int signo);

}  // namespace openclaw::gateway::crash
