# The host is cut into layers, one static library per folder of host/, each allowed to use only
# the layers it names (dependencies point one way, to the layers below):
#
#   core  <-  profile  <-  config  <-  ports  <-  instance  <-  plugins  <-  gateway  <-  cli
#                                                                 service <-------------'
#                                                                 channels <--- gateway, cli
#
# openclaw_host_layer() declares a layer and links it to the layers it may use; the include check
# (openclaw_check_layers, also the CTest entry `host_layers`) fails when a file of a layer
# includes a header of a layer it did not name, so a boundary crossed by accident fails the build.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)  # run as a script (the test): the project's policies
endif()

set_property(GLOBAL PROPERTY OPENCLAW_HOST_LAYERS "")

function(openclaw_host_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;USES;LIBRARIES" ${ARGN})
  add_library(openclaw-host-${name} STATIC ${ARG_SOURCES})
  target_include_directories(openclaw-host-${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  set(deps "")
  foreach(u IN LISTS ARG_USES)
    list(APPEND deps openclaw-host-${u})
  endforeach()
  target_link_libraries(openclaw-host-${name} PUBLIC ${deps} openclaw-sdk ${ARG_LIBRARIES})
  openclaw_warnings(openclaw-host-${name})
  # Stored as "layer:use1,use2": a CMake list cannot nest.
  string(REPLACE ";" "," uses "${ARG_USES}")
  set_property(GLOBAL APPEND PROPERTY OPENCLAW_HOST_LAYERS "${name}:${uses}")
endfunction()

# Checks every file of every layer under `host_dir` against the layers it may use.
# `table` is a list of "layer:use1,use2" entries as openclaw_host_layer records them.
function(openclaw_check_layer_includes host_dir table)
  set(layers "")
  foreach(entry IN LISTS table)
    string(REGEX REPLACE ":.*" "" layer "${entry}")
    list(APPEND layers ${layer})
  endforeach()
  set(problems "")
  foreach(entry IN LISTS table)
    string(REGEX REPLACE ":.*" "" layer "${entry}")
    string(REGEX REPLACE "^[^:]*:" "" uses "${entry}")
    string(REPLACE "," ";" uses "${uses}")
    file(GLOB files ${host_dir}/${layer}/*.cpp ${host_dir}/${layer}/*.hpp)
    foreach(f IN LISTS files)
      file(STRINGS ${f} includes REGEX "^#include \"[a-z_]+/")
      foreach(inc IN LISTS includes)
        string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" target "${inc}")
        if(target STREQUAL layer OR NOT target IN_LIST layers OR target IN_LIST uses)
          continue()
        endif()
        list(APPEND problems "${f}: layer '${layer}' includes '${inc}', but uses only: ${uses}")
      endforeach()
    endforeach()
  endforeach()
  if(problems)
    list(JOIN problems "\n" text)
    message(FATAL_ERROR "host layering broken:\n${text}")
  endif()
endfunction()

# At configure time; also leaves the table, "|"-separated, in OPENCLAW_HOST_LAYER_TABLE for the
# CTest entry that runs this file as a script.
function(openclaw_check_layers host_dir)
  get_property(table GLOBAL PROPERTY OPENCLAW_HOST_LAYERS)
  openclaw_check_layer_includes(${host_dir} "${table}")
  string(REPLACE ";" "|" piped "${table}")
  set(OPENCLAW_HOST_LAYER_TABLE "${piped}" PARENT_SCOPE)
endfunction()

# cmake -DHOST_DIR=... -DTABLE=... -P OpenClawLayers.cmake: the same check as a test.
if(CMAKE_SCRIPT_MODE_FILE AND DEFINED HOST_DIR)
  string(REPLACE "|" ";" table "${TABLE}")
  openclaw_check_layer_includes(${HOST_DIR} "${table}")
  message(STATUS "host layers: every include points to a layer below")
endif()
