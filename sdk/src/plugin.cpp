#include "openclaw/sdk/plugin.hpp"

#include <boost/json/value.hpp>

namespace openclaw::sdk {

boost::json::value Plugin::status() const {
  return boost::json::object();
}

PortRequest plugin_port(std::string name, std::string bind) {
  PortRequest r;
  r.name = std::move(name);
  r.source = PortSource::range;
  r.offset = 5;
  r.range_end = 10;
  r.bind = std::move(bind);
  return r;
}

}  // namespace openclaw::sdk
