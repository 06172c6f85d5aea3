#define BOOST_TEST_MODULE openclaw_integration
#include <boost/test/unit_test.hpp>
