#pragma once
/// \file
/// The SDK's API version and the ABI fingerprint a plugin is checked against before it runs.

#include <boost/version.hpp>

/// The plugin API version. Bumped whenever a type that crosses the host/plugin boundary changes
/// incompatibly: a virtual function of Plugin or Host added, removed or reordered, a member of
/// PortRequest / HttpRequest / HttpResponse / HttpServer::Options / Message added or reordered,
/// or the exported symbol names or signatures of OPENCLAW_PLUGIN changed. Adding a new free helper
/// function to libopenclaw-sdk.so does not bump it. 3: HttpServer::Options grew (origin_policy,
/// max_connections, head/body deadlines, on_warning). 4: Plugin::reconfigure().
#define OPENCLAW_SDK_API_VERSION 4

#define OPENCLAW_SDK_STR_(x) #x
#define OPENCLAW_SDK_STR(x) OPENCLAW_SDK_STR_(x)

/// What host and plugin must share because C++ types (std::string, boost::json::value, the Asio
/// io_context) cross the boundary: compiler family and major version, the libstdc++ string ABI,
/// the Boost version and the SDK API version.
#if defined(__clang__)
#define OPENCLAW_SDK_COMPILER_ "clang-" OPENCLAW_SDK_STR(__clang_major__)
#elif defined(__GNUC__)
#define OPENCLAW_SDK_COMPILER_ "gcc-" OPENCLAW_SDK_STR(__GNUC__)
#else
#define OPENCLAW_SDK_COMPILER_ "cc-unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define OPENCLAW_SDK_STDLIB_ "libstdc++-cxx11abi" OPENCLAW_SDK_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define OPENCLAW_SDK_STDLIB_ "libc++-abi" OPENCLAW_SDK_STR(_LIBCPP_ABI_VERSION)
#else
#define OPENCLAW_SDK_STDLIB_ "stdlib-unknown"
#endif
#ifndef OPENCLAW_SDK_ABI_FINGERPRINT
#define OPENCLAW_SDK_ABI_FINGERPRINT                                          \
  OPENCLAW_SDK_COMPILER_ "/" OPENCLAW_SDK_STDLIB_ "/boost-" OPENCLAW_SDK_STR( \
      BOOST_VERSION) "/sdk-api-" OPENCLAW_SDK_STR(OPENCLAW_SDK_API_VERSION)
#endif
