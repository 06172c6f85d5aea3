# openclaw_add_plugin(NAME
#                     SOURCES file.cpp...
#                     MANIFEST openclaw.plugin.json
#                     [LIBRARIES lib...]       extra libraries to link
#                     [OUTPUT_DIR dir]         default: <current binary dir>/<NAME>
#                     [ALLOW_UNDEFINED])       test fixtures only: drop -Wl,--no-undefined
#
# Builds a plugin as a MODULE library `<NAME>.so` with hidden visibility and every symbol
# resolved at link time, and copies the manifest beside it as openclaw.plugin.json: the output
# folder is the plugin, ready to drop into a plugins/ directory.
function(openclaw_add_plugin name)
  cmake_parse_arguments(ARG "ALLOW_UNDEFINED" "MANIFEST;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
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
endfunction()
