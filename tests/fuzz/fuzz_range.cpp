// A Range header as any client sends it, against files of every size. A satisfiable range must
// lie inside the file and hold at least one byte: the canvas server sends exactly that slice.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_support.hpp"
#include "static_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first 8 bytes choose the file size (small sizes and the extremes are the interesting ones).
  std::uint64_t file_size = 0;
  if (size >= 8) {
    std::memcpy(&file_size, data, 8);
    data += 8;
    size -= 8;
    if ((file_size >> 63) == 0) file_size %= 4096;
  }
  std::string header(reinterpret_cast<const char*>(data), size);
  for (std::uint64_t n : {file_size, std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}}) {
    auto r = canvas::parse_range(header, n);
    if (!r || r->unsatisfiable) continue;
    FUZZ_CHECK(r->length >= 1);
    FUZZ_CHECK(r->offset < n && r->length <= n - r->offset);
  }
  return 0;
}
