#define BOOST_TEST_MODULE openclaw_unit
#include <boost/test/unit_test.hpp>
