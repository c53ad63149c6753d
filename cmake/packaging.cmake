# The manual and the Debian packages (docs/packaging.md).
#
# barrage.1 and the bash and zsh completions are made from the built program's --help by
# packaging/manual.py, so they cannot disagree with it. They are part of `all`; the sanitizer
# builds, which build only the targets they test, install without them (OPTIONAL below): the
# package test checks that the .deb holds them.
#
# `make package` (cpack -G DEB in the build directory) makes two packages:
#   barrage      the program, its man page, completions, README and docs/ (what a Kubernetes
#                Job's image installs: packaging/Dockerfile);
#   barrage-dev  headers, static libraries and the CMake package for find_package(barrage),
#                with the -dev packages their link interface needs.
# Install rules name their component (barrage or dev); a rule that names none (the examples)
# is in neither package.

find_package(Python3 COMPONENTS Interpreter REQUIRED)
set(BARRAGE_MANUAL_DIR ${CMAKE_BINARY_DIR}/manual)
if(TARGET barrage)
  add_custom_command(
    OUTPUT ${BARRAGE_MANUAL_DIR}/barrage.1 ${BARRAGE_MANUAL_DIR}/barrage.1.gz
           ${BARRAGE_MANUAL_DIR}/barrage.bash ${BARRAGE_MANUAL_DIR}/_barrage
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BARRAGE_MANUAL_DIR}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/packaging/manual.py $<TARGET_FILE:barrage>
            --man ${BARRAGE_MANUAL_DIR}/barrage.1 --bash ${BARRAGE_MANUAL_DIR}/barrage.bash
            --zsh ${BARRAGE_MANUAL_DIR}/_barrage
    # -n: no name or time stamp in the .gz, so the same page gives the same bytes.
    COMMAND gzip -9nkf ${BARRAGE_MANUAL_DIR}/barrage.1
    DEPENDS barrage ${CMAKE_SOURCE_DIR}/packaging/manual.py
    COMMENT "Man page and shell completions from barrage --help"
    VERBATIM)
  add_custom_target(barrage_manual ALL DEPENDS ${BARRAGE_MANUAL_DIR}/barrage.1.gz)
  install(FILES ${BARRAGE_MANUAL_DIR}/barrage.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
    COMPONENT barrage OPTIONAL)
  install(FILES ${BARRAGE_MANUAL_DIR}/barrage.bash RENAME barrage
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT barrage OPTIONAL)
  install(FILES ${BARRAGE_MANUAL_DIR}/_barrage
    DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions COMPONENT barrage OPTIONAL)
endif()
file(GLOB barrage_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md ${CMAKE_SOURCE_DIR}/docs/*.json)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${barrage_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT barrage)

set(BARRAGE_PACKAGE_MAINTAINER "barrage maintainers <maintainers@users.noreply.r-seed-f81d4afc.example>"
  CACHE STRING "The Maintainer field of the Debian packages")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME barrage)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR barrage)
set(CPACK_PACKAGE_CONTACT ${BARRAGE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${BARRAGE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL barrage dev)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_BARRAGE_PACKAGE_NAME barrage)
set(CPACK_DEBIAN_BARRAGE_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_BARRAGE_PACKAGE_SECTION web)
# Depends from the ELF's needed libraries, with the versions their packages' shlibs demand.
set(CPACK_DEBIAN_BARRAGE_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_BARRAGE_PACKAGE_SUGGESTS "bash-completion")
set(CPACK_COMPONENT_BARRAGE_DESCRIPTION "HTTP load generator with exact latency accounting
barrage sends HTTP/1.1 and HTTP/2 requests, over TLS or not, in a closed model (N
connections) or an open model (a request schedule at a constant or ramping rate, latency
measured from each request's intended send time, so coordinated omission cannot hide a
stall). It keeps fixed-memory HDR histograms, accounts for every request, prints text and
JSON reports, and judges pass/fail thresholds for CI. `barrage serve` is a built-in target
server and `barrage demo` a whole test against it.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME barrage-dev)
set(CPACK_DEBIAN_DEV_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Static libraries: no shared-library Depends; what their link interface and barrageConfig.cmake
# need instead (find_dependency: fmt, OpenSSL, ZLIB, nghttp2 through pkg-config; wslay, yaml-cpp; c-ares, liburing).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libfmt-dev, libssl-dev, zlib1g-dev, libc-ares-dev, liburing-dev, libnghttp2-dev, libwslay-dev, libyaml-cpp-dev, pkg-config")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "cmake")
set(CPACK_COMPONENT_DEV_DESCRIPTION "barrage's C++20 libraries: coroutine runtime, HTTP client and server
The layers barrage is built on (an asyncio-style coroutine runtime, an HTTP/1.1 and HTTP/2
client, an HTTP/1.1 server, the load generator) as static libraries with their headers and
the CMake package: find_package(barrage) gives barrage::runtime, barrage::client,
barrage::server, barrage::loadgen and the others.")
include(CPack)
