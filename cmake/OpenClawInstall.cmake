# What `cmake --install` puts beside the binary, the plugins and the SDK: the man page and the
# shell completions (generated at build time from the built binary's own --help and command
# table, so they say what this binary accepts), the docs, and the Debian copyright and changelog.
#
#   bin/openclaw-host
#   lib/openclaw-host/libopenclaw-sdk.so.*        (sdk/)    plugins/<id>/<id>.so + manifest (plugins/)
#   include/openclaw/sdk/, lib/cmake/OpenClawSDK/ (sdk/, component dev)
#   share/man/man1/openclaw-host.1.gz
#   share/bash-completion/completions/openclaw-host, share/zsh/vendor-completions/_openclaw-host
#   share/doc/openclaw-host/      README.md, docs/*.md, copyright, changelog.Debian.gz
#   share/doc/openclaw-host-dev/  copyright, changelog.Debian.gz, examples/ (component dev)
#   share/lintian/overrides/openclaw-host[-dev]
#
# Components: runtime (the openclaw-host package) and dev (openclaw-host-dev); see
# cmake/OpenClawPackage.cmake. Tests, fixtures and benchmarks install nothing.

set(_gen "${PROJECT_BINARY_DIR}/generated")
file(MAKE_DIRECTORY "${_gen}")

# Debian's changelog: one entry for this version (the date honours SOURCE_DATE_EPOCH).
set(OPENCLAW_PACKAGE_MAINTAINER "openclaw-host maintainers <openclaw-host@example.org>" CACHE STRING
    "Maintainer of the .deb packages (Debian's Maintainer field and changelog signature)")
set(OPENCLAW_PACKAGE_RELEASE 1 CACHE STRING "Debian revision of the .deb packages")
string(TIMESTAMP OPENCLAW_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file("${PROJECT_SOURCE_DIR}/cmake/debian/changelog.in" "${_gen}/changelog.Debian" @ONLY)

# The binary runs with no profile of the builder's and without LeakSanitizer's exit check (a
# sanitizer build's suite checks leaks; a build step should not fail on them).
set(_run_host ${CMAKE_COMMAND} -E env --unset=OPENCLAW_PROFILE --unset=OPENCLAW_HOME
    ASAN_OPTIONS=detect_leaks=0)
add_custom_command(
  OUTPUT "${_gen}/openclaw-host.1.gz" "${_gen}/openclaw-host.bash" "${_gen}/_openclaw-host"
         "${_gen}/changelog.Debian.gz"
  COMMAND ${_run_host} bash "${PROJECT_SOURCE_DIR}/scripts/gen-cli-docs"
          --binary "$<TARGET_FILE:openclaw-host>" --man "${_gen}/openclaw-host.1"
  COMMAND gzip -9 -n -f "${_gen}/openclaw-host.1"
  COMMAND ${_run_host} sh -c "\"$1\" completion bash >\"$2\"" sh
          "$<TARGET_FILE:openclaw-host>" "${_gen}/openclaw-host.bash"
  COMMAND ${_run_host} sh -c "\"$1\" completion zsh >\"$2\"" sh
          "$<TARGET_FILE:openclaw-host>" "${_gen}/_openclaw-host"
  COMMAND sh -c "gzip -9 -n -c \"$1\" >\"$2\"" sh "${_gen}/changelog.Debian" "${_gen}/changelog.Debian.gz"
  DEPENDS openclaw-host "${PROJECT_SOURCE_DIR}/scripts/gen-cli-docs" "${_gen}/changelog.Debian"
  COMMENT "Generating openclaw-host.1 and the bash and zsh completions from openclaw-host --help"
  VERBATIM)
add_custom_target(openclaw-host-docs ALL DEPENDS "${_gen}/openclaw-host.1.gz"
                  "${_gen}/openclaw-host.bash" "${_gen}/_openclaw-host" "${_gen}/changelog.Debian.gz")

install(FILES "${_gen}/openclaw-host.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
        COMPONENT runtime)
install(FILES "${_gen}/openclaw-host.bash" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
        RENAME openclaw-host COMPONENT runtime)
install(FILES "${_gen}/_openclaw-host" DESTINATION "${OPENCLAW_INSTALL_ZSH_COMPLETIONS_DIR}"
        COMPONENT runtime)

install(FILES README.md cmake/debian/copyright "${_gen}/changelog.Debian.gz"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT runtime)
install(DIRECTORY docs/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs" COMPONENT runtime
        FILES_MATCHING PATTERN "*.md")
set(_devdoc "${CMAKE_INSTALL_DATAROOTDIR}/doc/openclaw-host-dev")
install(FILES cmake/debian/copyright "${_gen}/changelog.Debian.gz" DESTINATION "${_devdoc}"
        COMPONENT dev)
install(DIRECTORY examples/ DESTINATION "${_devdoc}/examples" COMPONENT dev)
# What lintian is told to accept, and why (each file says).
install(FILES cmake/debian/lintian-overrides/openclaw-host
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides" COMPONENT runtime)
install(FILES cmake/debian/lintian-overrides/openclaw-host-dev
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides" COMPONENT dev)
