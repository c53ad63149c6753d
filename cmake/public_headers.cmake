# The library's supported surface: the headers a program on barrage includes (docs/library.md,
# "The public headers"). What examples/api_service and examples/consumer use, and no more.
# Each compiles on its own from an installed prefix (tests/integration/public_headers_test.sh).
set(BARRAGE_PUBLIC_HEADERS
  base/clock.hpp
  base/result.hpp
  base/units.hpp
  base/version.hpp
  runtime/runtime.hpp
  net/address.hpp
  net/fd_limit.hpp
  net/tcp.hpp
  client/http_client.hpp
  server/server.hpp
  server/router.hpp
  server/request.hpp
  server/response.hpp
  server/signal_watch.hpp)

# barrage_header_closure(OUT): the public headers and every header of ours they include,
# directly or not (relative to src/, or to the build's generated/ for base/version.hpp). Only
# these are installed: the others are parts of the implementation (the load generator's
# headers among them). A header edited to include another re-runs this at the next build.
function(barrage_header_closure out)
  set(todo ${BARRAGE_PUBLIC_HEADERS})
  set(done)
  while(todo)
    list(POP_FRONT todo h)
    if(h IN_LIST done)
      continue()
    endif()
    list(APPEND done ${h})
    if(EXISTS ${BARRAGE_SRC}/${h})
      set(file ${BARRAGE_SRC}/${h})
    elseif(EXISTS ${CMAKE_BINARY_DIR}/generated/${h})
      set(file ${CMAKE_BINARY_DIR}/generated/${h})
    else()
      message(FATAL_ERROR "public header ${h}: no such file in src/ or generated/")
    endif()
    set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
    file(STRINGS ${file} lines REGEX "^#include \"[^\"]+\"")
    foreach(line ${lines})
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
      list(APPEND todo ${inc})
    endforeach()
  endwhile()
  list(SORT done)
  set(${out} ${done} PARENT_SCOPE)
endfunction()
