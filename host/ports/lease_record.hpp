#pragma once
// One line of the lease store file, read and written without I/O: the store's two readers (the
// full one and the scan its hot path uses) must accept the same lines and agree on them, which
// the unit tests and tests/fuzz/fuzz_lease_record.cpp check on any bytes a damaged file holds.
//
// A line: <pid> <startTime> <base> <profile|~> <stateDir> <n> (<name> <port> <bind> <source>
// <grantedAt>){n}, fields separated by single spaces, string fields %-escaped (space, %, control
// bytes; a lone % is the empty string).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ports/lease_store.hpp"

namespace openclaw::ports::record {

std::string escape(std::string_view s);
/// nullopt for a malformed escape.
std::optional<std::string> unescape(std::string_view s);

std::string to_line(const InstanceLeases& inst);
/// The record of `line`, or nullopt for a damaged one (skipped by readers, never fatal).
std::optional<InstanceLeases> from_line(std::string_view line);

/// A record scanned without decoding its strings: all the hot path (acquire, release) needs.
struct Row {
  std::string_view line;
  int pid = 0;
  std::uint64_t start = 0;
  int base = 0;
  std::string_view state_dir;  ///< still %-escaped
  std::vector<int> ports;
  bool drop = false;
};
/// Accepts exactly the lines from_line() accepts, with the same pid, start, base and ports.
std::optional<Row> scan_line(std::string_view line);

/// The non-empty lines of `text`.
std::vector<std::string_view> record_lines(std::string_view text);

}  // namespace openclaw::ports::record
