#pragma once
/// \file
/// Which browsers may talk to a port we serve. Any web page the user opens can make the browser
/// send requests to 127.0.0.1: a cross-site form POST, a WebSocket, or a page whose own name was
/// re-pointed at 127.0.0.1 (DNS rebinding). Every SdkHttpServer applies this policy before a
/// request reaches a handler (HttpServer::Options::origin_policy):
///
/// - `Host` must be an IP literal (a rebinding needs a name), `localhost` or a name under
///   `.localhost`, or the host of an allowed origin. Anything else: 421 Misdirected Request.
/// - A request that carries `Origin` (browsers send it on every WebSocket, POST, PUT, DELETE and
///   cross-origin fetch) must come from the server's own origin (`http://` + its Host) or from an
///   allowed origin. Anything else, `null` included: 403. Requests without `Origin` (curl, our
///   CLI, OpenClaw's CLI, a page loading its own images) pass.
///
/// Pure functions, so they are unit-tested and fuzzed on their own.

#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/fwd.hpp>

namespace openclaw::sdk {

struct BOOST_SYMBOL_VISIBLE OriginPolicy {
  /// False: no checks at all (a server no browser is meant to reach, such as a test's sink).
  bool enabled = true;
  /// Origins (`scheme://host[:port]`, compared case-insensitively) allowed beside the server's
  /// own: OpenClaw's `gateway.controlUi.allowedOrigins`. Their hosts are allowed Host values.
  std::vector<std::string> allowed_origins;

  /// The policy an instance's config asks for: `gateway.controlUi.allowedOrigins` of `root`
  /// (entries that are not strings are ignored; config validation reports them).
  BOOST_SYMBOL_EXPORT static OriginPolicy from_config(const boost::json::object& root);
};

/// Why a request with Host `host` is refused, or "" when it is accepted (see the file comment).
/// An empty `host` is accepted here: whether Host is required is the HTTP parser's rule.
BOOST_SYMBOL_EXPORT std::string check_host(const OriginPolicy& policy, std::string_view host);

/// Why a request to Host `host` with Origin `origin` ("" when the request had none) is refused,
/// or "" when it is accepted.
BOOST_SYMBOL_EXPORT std::string check_origin(const OriginPolicy& policy, std::string_view origin,
                                             std::string_view host);

}  // namespace openclaw::sdk
