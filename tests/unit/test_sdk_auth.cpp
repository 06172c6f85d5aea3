// The SDK's secret checks (openclaw/sdk/auth.hpp): what every port that takes a token relies on.
#include <boost/test/unit_test.hpp>

#include <string>

#include "openclaw/sdk/auth.hpp"

namespace sdk = openclaw::sdk;

BOOST_AUTO_TEST_SUITE(sdk_auth)

BOOST_AUTO_TEST_CASE(secrets_compare_whole_and_by_length) {
  BOOST_TEST(sdk::constant_time_equals("s3cret", "s3cret"));
  BOOST_TEST(!sdk::constant_time_equals("s3cret", "s3creT"));
  BOOST_TEST(!sdk::constant_time_equals("s3cret", "s3cre"));
  BOOST_TEST(!sdk::constant_time_equals("", "s3cret"));
  BOOST_TEST(!sdk::constant_time_equals("s3cret", ""));
  BOOST_TEST(sdk::constant_time_equals("", ""));  // a caller with no secret set refuses first
  // Bytes past a NUL count (a std::string_view, not a C string).
  BOOST_TEST(!sdk::constant_time_equals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

BOOST_AUTO_TEST_CASE(a_bearer_token_is_read_whatever_the_scheme_case_and_spacing) {
  for (const char* header : {"Bearer tok-123", "bearer tok-123", "BEARER tok-123", "BeArEr tok-123",
                             "Bearer   tok-123  ", "Bearer\ttok-123", " Bearer tok-123"}) {
    auto token = sdk::bearer_token(header);
    BOOST_TEST(token.has_value(), header);
    if (token) BOOST_TEST(*token == "tok-123", header);
  }
}

BOOST_AUTO_TEST_CASE(no_token_from_another_scheme_or_an_empty_one) {
  for (const char* header : {"", "Bearer", "Bearer ", "Bearer    ", "Bearertok", "Bearer-tok",
                             "Basic dXNlcjpwYXNz", "Token tok", "Bear tok", "tok"}) {
    BOOST_TEST(!sdk::bearer_token(header).has_value(), '"' << header << '"');
  }
}

BOOST_AUTO_TEST_CASE(the_token_is_a_view_into_the_header) {
  const std::string header = "Bearer abc";
  auto token = sdk::bearer_token(header);
  BOOST_REQUIRE(token.has_value());
  BOOST_TEST(token->data() == header.data() + 7);
}

BOOST_AUTO_TEST_SUITE_END()
