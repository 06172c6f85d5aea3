# Project code builds with -Wall -Wextra; third-party headers come in as SYSTEM includes.
# Warnings are errors only with OPENCLAW_WERROR (CI turns it on): a packager's build with another
# compiler or build type must not fail on a new diagnostic.
option(OPENCLAW_WERROR "Treat compiler warnings as errors" OFF)

function(openclaw_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(OPENCLAW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
