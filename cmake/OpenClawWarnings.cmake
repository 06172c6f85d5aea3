# Project code builds with warnings as errors; third-party headers come in as SYSTEM includes.
function(openclaw_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
endfunction()
