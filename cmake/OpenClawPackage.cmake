# Debian packages, built by CPack in the build directory: `cpack -G DEB` (or `-B DIR`).
#
#   openclaw-host      the host, the bundled plugins, the SDK runtime library, man page,
#                      completions, docs (install component runtime)
#   openclaw-host-dev  SDK headers, the CMake package OpenClawSDK with OpenClawPlugin.cmake, the
#                      example plugin (component dev); depends on openclaw-host of the same version
#
# Runtime dependencies come from the binaries themselves (dpkg-shlibdeps: Boost 1.81, OpenSSL,
# libstdc++). tests/integration/test_package.cpp builds both, runs lintian on them, unpacks them
# and runs a gateway and an out-of-tree plugin from there (docs/development.md).

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME openclaw-host)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${OPENCLAW_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VENDOR "openclaw-host")
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE "${OPENCLAW_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${OPENCLAW_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(_deb_version "${PROJECT_VERSION}-${OPENCLAW_PACKAGE_RELEASE}")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME openclaw-host)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# The SDK runtime library is private (lib/openclaw-host/): the binaries find it through their
# RUNPATH ($ORIGIN/...), which dpkg-shlibdeps follows inside the package.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "chromium, ngircd")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "isolated OpenClaw-style gateways, a main bot and a rescue bot, on one machine
openclaw-host runs several fully isolated gateways that speak the OpenClaw
gateway protocol on one machine, each with its own profile, state directory,
config and ports, in a few MB and milliseconds each. Every port an instance
uses is leased in a machine-wide registry, so two instances never overlap.
A rescue bot watches the other instances and can restart them or roll their
config back.

Plugins are shared libraries: a browser controller for Chromium, a canvas
host, IRC, Telegram and webhook channels and the rescue bot are included.
Chromium is needed by the browser plugin only, ngircd only to try the IRC
channel locally.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME openclaw-host-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
# The CMake package finds Boost 1.81 (JSON) itself: host and plugins share Boost types.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "openclaw-host (= ${_deb_version}), libboost1.81-dev, libboost-json1.81-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake (>= 3.25), g++")
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "SDK for openclaw-host plugins
The headers of the openclaw-host plugin SDK, the CMake package OpenClawSDK
with openclaw_add_plugin(), and an example plugin: build a plugin out of tree
with find_package(OpenClawSDK) and drop its folder into a plugins directory
of openclaw-host.")

include(CPack)
