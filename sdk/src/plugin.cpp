#include "openclaw/sdk/plugin.hpp"

#include "openclaw/sdk/errors.hpp"

#include <boost/json/value.hpp>

namespace openclaw::sdk {

boost::json::value Plugin::status() const {
  return boost::json::object();
}

PortRequest plugin_port(std::string name, std::string bind) {
  PortRequest r;
  r.name = std::move(name);
  r.source = PortSource::any;
  r.bind = std::move(bind);
  return r;
}

Registration Host::add_route(std::string method, std::string path_prefix, HttpHandler handler) {
  return add_route_async(
      std::move(method), std::move(path_prefix),
      [handler = std::move(handler)](const HttpRequest& request, HttpResponder respond) {
        respond.send(handler(request));
      });
}

Registration Host::add_method(std::string name, MethodHandler handler, MethodOptions options) {
  return add_method_async(
      std::move(name),
      [handler = std::move(handler)](const boost::json::value& params, const Caller&,
                                     MethodResponder respond) {
        try {
          respond.ok(handler(params));
        } catch (const MethodError& e) {
          respond.error(e.code, e.what(), e.details);
        }
      },
      options);
}

}  // namespace openclaw::sdk
