#pragma once
// Checks shared by the fuzz targets. A failed check stops the run like a crash: libFuzzer saves
// the input, and the check that failed is printed first.
#include <cstdio>
#include <string_view>

namespace fuzz {

[[noreturn]] inline void failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, file, line);
  __builtin_trap();
}

/// Errors are one line (the project's rule for bad input): no byte of the input may break it.
inline bool one_line(std::string_view message) {
  for (unsigned char c : message) {
    if (c == '\n' || c == '\r') return false;
  }
  return true;
}

}  // namespace fuzz

/// An invariant of the parser under test.
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : ::fuzz::failed(#cond, __FILE__, __LINE__))
