// A Bot API answer body as whatever answers at `apiRoot` sends it (Telegram, a proxy, an
// attacker on a bad CA): the envelope, then, for a list, the getUpdates batch. The offset only
// moves forward and past every update it skips; each message read has its ids and text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "update.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto answer = telegram::read_answer(body, 200);
  FUZZ_CHECK(answer.result.has_value() == answer.error.empty());
  FUZZ_CHECK(answer.retry_after >= 0 && answer.retry_after <= 3600);
  if (!answer.result || !answer.result->is_array()) return 0;
  const auto& updates = answer.result->get_array();
  for (std::int64_t offset : {std::int64_t{0}, std::int64_t{101}, INT64_MAX}) {
    auto batch = telegram::read_updates(updates, offset);
    FUZZ_CHECK(batch.next_offset >= offset);
    FUZZ_CHECK(batch.messages.size() <= updates.size());
    for (const auto& m : batch.messages) {
      FUZZ_CHECK(m.channel == "telegram" && !m.id.empty() && !m.from.empty() && !m.chat.empty());
      FUZZ_CHECK(std::stoll(m.id) >= offset && std::stoll(m.id) < batch.next_offset);
      FUZZ_CHECK(m.ts >= 0);
    }
    // Asking again from the new offset hands over nothing twice.
    auto again = telegram::read_updates(updates, batch.next_offset);
    FUZZ_CHECK(again.messages.empty() && again.next_offset == batch.next_offset);
  }
  return 0;
}
