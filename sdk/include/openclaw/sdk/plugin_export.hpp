#pragma once
/// \file
/// OPENCLAW_PLUGIN(Type): include in exactly one .cpp of a plugin, after defining Type.
///
///     class Hello final : public openclaw::sdk::Plugin { ... };
///     OPENCLAW_PLUGIN(Hello)
///
/// It exports three Boost.DLL aliases the host reads, in this order, before it creates anything:
///   openclaw_plugin_api_version  int()                       must equal the host's API version
///   openclaw_plugin_abi          const char*()               must equal the host's fingerprint
///   openclaw_plugin_create       openclaw::sdk::Plugin*()    OWNERSHIP: the host takes the object

#include <boost/dll/alias.hpp>

#include "openclaw/sdk/plugin.hpp"

#define OPENCLAW_PLUGIN(Type)                                                        \
  namespace openclaw_plugin_exports {                                                \
  int api_version() {                                                                \
    return OPENCLAW_SDK_API_VERSION;                                                 \
  }                                                                                  \
  const char* abi() {                                                                \
    return OPENCLAW_SDK_ABI_FINGERPRINT;                                             \
  }                                                                                  \
  ::openclaw::sdk::Plugin* create() {                                                \
    return new Type();                                                               \
  }                                                                                  \
  }                                                                                  \
  BOOST_DLL_ALIAS(openclaw_plugin_exports::api_version, openclaw_plugin_api_version) \
  BOOST_DLL_ALIAS(openclaw_plugin_exports::abi, openclaw_plugin_abi)                 \
  BOOST_DLL_ALIAS(openclaw_plugin_exports::create, openclaw_plugin_create)
