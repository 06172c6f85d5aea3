# Project code builds with -Wall -Wextra; third-party headers come in as SYSTEM includes.
# Warnings are errors only with OPENCLAW_WERROR (CI turns it on): a packager's build with another
# compiler or build type must not fail on a new diagnostic.
option(OPENCLAW_WERROR "Treat compiler warnings as errors" OFF)

function(openclaw_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  # g++ 12 at -O3 reports -Wrestrict on any `"literal" + std::string&&` (GCC bug 105329: the
  # diagnostic is wrong, the code is fine). It would fail every Release build with warnings as
  # errors at some new line of ordinary code, so it is off for that compiler only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(OPENCLAW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
