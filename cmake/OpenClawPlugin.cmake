# openclaw_add_plugin(NAME
#                     SOURCES file.cpp...
#                     MANIFEST openclaw.plugin.json
#                     [LIBRARIES lib...]       extra libraries to link
#                     [OUTPUT_DIR dir]         default: <current binary dir>/<NAME>
#                     [INSTALL_DESTINATION dir] `cmake --install` puts the plugin folder in <dir>/<NAME>/
#                     [INSTALL_COMPONENT comp] the install component (default: CMake's default one)
#                     [ALLOW_UNDEFINED])       test fixtures only: drop -Wl,--no-undefined
#
# Builds a plugin as a MODULE library `<NAME>.so` with hidden visibility and every symbol
# resolved at link time, and copies the manifest beside it as openclaw.plugin.json: the output
# folder is the plugin, ready to drop into a plugins/ directory.
# Without INSTALL_DESTINATION, the variables OPENCLAW_PLUGIN_INSTALL_DESTINATION and
# OPENCLAW_PLUGIN_INSTALL_COMPONENT of the calling directory give them (openclaw-host's plugins/
# sets them for every bundled plugin); with neither, the plugin is not installed (test fixtures).
function(openclaw_add_plugin name)
  cmake_parse_arguments(ARG "ALLOW_UNDEFINED" "MANIFEST;OUTPUT_DIR;INSTALL_DESTINATION;INSTALL_COMPONENT"
                        "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "openclaw_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT ARG_MANIFEST)
    message(FATAL_ERROR "openclaw_add_plugin(${name}): MANIFEST is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${name}")
  endif()
  get_filename_component(manifest "${ARG_MANIFEST}" ABSOLUTE)

  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE OpenClaw::sdk ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT ARG_ALLOW_UNDEFINED)
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
  # The host refuses plugin files other users can write, whatever the umask was.
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E copy_if_different "${manifest}" "${ARG_OUTPUT_DIR}/openclaw.plugin.json"
    COMMAND chmod go-w "${ARG_OUTPUT_DIR}" "${ARG_OUTPUT_DIR}/openclaw.plugin.json" "$<TARGET_FILE:${name}>"
    VERBATIM)
  set_property(TARGET ${name} PROPERTY OPENCLAW_PLUGIN_DIR "${ARG_OUTPUT_DIR}")

  if(NOT ARG_INSTALL_DESTINATION AND OPENCLAW_PLUGIN_INSTALL_DESTINATION)
    set(ARG_INSTALL_DESTINATION "${OPENCLAW_PLUGIN_INSTALL_DESTINATION}")
  endif()
  if(NOT ARG_INSTALL_COMPONENT)
    set(ARG_INSTALL_COMPONENT "${OPENCLAW_PLUGIN_INSTALL_COMPONENT}")
  endif()
  if(NOT ARG_INSTALL_COMPONENT)
    set(ARG_INSTALL_COMPONENT "${CMAKE_INSTALL_DEFAULT_COMPONENT_NAME}")
  endif()
  if(NOT ARG_INSTALL_COMPONENT)
    set(ARG_INSTALL_COMPONENT Unspecified)
  endif()
  if(ARG_INSTALL_DESTINATION)
    # The host refuses plugin files other users can write: no group or world write bits.
    install(TARGETS ${name}
      LIBRARY DESTINATION "${ARG_INSTALL_DESTINATION}/${name}"
      PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
      COMPONENT ${ARG_INSTALL_COMPONENT})
    install(FILES "${manifest}" DESTINATION "${ARG_INSTALL_DESTINATION}/${name}"
      RENAME openclaw.plugin.json PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
      COMPONENT ${ARG_INSTALL_COMPONENT})
    # Installed beside the host, a plugin finds libopenclaw-sdk.so from its own folder
    # (<pkglibdir>/plugins/<NAME>/ -> <pkglibdir>): `ldd` and plugin checks outside the host work
    # without LD_LIBRARY_PATH. Only openclaw-host's own build knows that layout.
    if(OPENCLAW_INSTALL_PKGLIBDIR)
      file(RELATIVE_PATH _rel "/${ARG_INSTALL_DESTINATION}/${name}" "/${OPENCLAW_INSTALL_PKGLIBDIR}")
      string(REGEX REPLACE "/$" "" _rel "${_rel}")
      set_target_properties(${name} PROPERTIES INSTALL_RPATH "$ORIGIN/${_rel}")
    endif()
  endif()
endfunction()
