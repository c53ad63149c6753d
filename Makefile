# The front door. `make demo` and `make test` work on a fresh Debian 12 machine.
JOBS ?= 2
PRESET ?= release
BUILD := build/$(PRESET)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DBARRAGE_WERROR=ON
endif

.PHONY: all deps configure build demo test test-asan test-tsan bench scale scale-tls fuzz soak install clean \
  package test-package image

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja:
	@tools/install-deps.sh
	cmake --preset $(PRESET) $(CMAKE_FLAGS) >/dev/null

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@tools/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 300

UNIT_TARGETS := unit_base unit_runtime unit_http unit_h2 unit_ws unit_net unit_client unit_server unit_loadgen unit_report
EXAMPLE_TARGETS := example_gather example_api_batch example_bounded example_blocking
# examples/api_service: its tests run them, and `cmake --install` (the installed-package tests)
# installs barrage-api-service.
EXAMPLE_TARGETS += api_service_step1_hello api_service_step2_routes api_service_step3_downstream \
  api_service_step4_blocking api_service_api_service

# The two stack-depth tests need the tail calls that only optimised, uninstrumented builds
# make: left out under both sanitizers.
STACK_DEPTH_TESTS := do_not_grow_the_stack|a_hundred_thousand_nested_awaits

# A sanitizer report fails the process that made it (the presets also compile with
# -fno-sanitize-recover=all): abort rather than exit, so no exit status can be mistaken for
# the program's own. Integration tests also collect the reports of every process they start
# (tests/integration/sanitizer_reports.sh).
SANITIZER_ENV := ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
  TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1

# ASan+UBSan: every ctest test, unit and integration (examples, server conformance and real
# clients, reliability faults, attack and soak), on the ASan-built binaries (the tests take
# $<TARGET_FILE:...> of this build). Left out: the two stack-depth tests, and the tests
# labelled `interop` (tests/integration/CMakeLists.txt), which check that an outside tool
# accepts what we produce (the installed package, the Debian packages, the man page, Chromium,
# Prometheus, hdr-histogram-js, the Kubernetes schema) or check the source tree: they run in
# the release stage. What they run of ours is run under ASan by other tests (the unit tests of
# the HTML report, the HdrHistogram log, the Kubernetes manifests; live_metrics_curl), and here
# they cost 65 s of test time, half of it the installed example's ASan build. The memory and latency bounds that ASan
# distorts (quarantine, redzones, 2-3x slower code) are printed, not judged, in the reliability
# tests (RELIABILITY_SANITIZED, set by CMake); everything else they check is checked as in the
# release build.
ASAN_EXCLUDED_LABELS := interop
test-asan:
	@tools/install-deps.sh
	@[ -f build/asan/build.ninja ] || cmake --preset asan $(CMAKE_FLAGS) >/dev/null
	cmake --build build/asan -j $(JOBS) --target $(UNIT_TARGETS) $(EXAMPLE_TARGETS) barrage
	cd build/asan && $(SANITIZER_ENV) ctest -j $(JOBS) -E "$(STACK_DEPTH_TESTS)" -LE "$(ASAN_EXCLUDED_LABELS)" \
	  --output-on-failure --timeout 300

# TSan: the three test programs where threads share data, every test in them: unit_runtime
# (the thread pool behind to_thread, call_soon_threadsafe, loop metrics and frame caches used
# from other threads), unit_loadgen (every engine test runs 2 worker threads against a peer
# thread or nginx), unit_server (the server on its own thread or on several loops, merged
# metrics). The other layers are single-threaded in process: ASan covers them. Only these
# programs are built in build/tsan, so `ctest -L unit` there runs exactly them.
TSAN_TARGETS := unit_runtime unit_loadgen unit_server
# The generator's HTTPS tests run here too, about a second each. They once ran past ctest's
# 300 s: TSan reported OpenSSL's own hand-offs between threads (it is not instrumented: its
# atomic reference counts are invisible) and aborted the test in under a second, and the nginx
# it had started kept ctest's output pipe open. OpenSSL's calls are suppressed in TSan builds
# (src/net/tls_context.cpp) and the test servers die with their test (tests/support/child_process.hpp).
TSAN_EXCLUDED := $(STACK_DEPTH_TESTS)
test-tsan:
	@tools/install-deps.sh
	@[ -f build/tsan/build.ninja ] || cmake --preset tsan $(CMAKE_FLAGS) >/dev/null
	cmake --build build/tsan -j $(JOBS) --target $(TSAN_TARGETS)
	cd build/tsan && $(SANITIZER_ENV) ctest -j $(JOBS) -L unit -E "$(TSAN_EXCLUDED)" --output-on-failure --timeout 300

bench: build
	@bench/run.sh $(BUILD)

# 15,000 connections held for 30 s against `barrage serve`, and 5,000 for linearity: accounting and memory per
# connection on both sides (about 6 minutes; SCALE_* variables in bench/scale.sh).
scale: build
	@bench/scale.sh $(BUILD)

# Scenarios (issue 18): the login-then-call flow, barrage vs Locust (FastHttpUser) and Artillery,
# requests per generator CPU-second; a two-step flow with one capture vs the single URL, CPU per
# request. Artillery (npm, 590 MB) is installed for the benchmarks only (BARRAGE_BENCH_TOOLS=1).
.PHONY: bench-scenarios bench-ws
bench-scenarios: build
	@BARRAGE_BENCH_TOOLS=1 tools/install-deps.sh
	@bench/scenarios.sh $(BUILD)

# WebSocket echo (issue 17): messages per generator CPU-second, barrage vs a Python websockets +
# uvloop client and Artillery's WebSocket engine, against barrage serve's /ws/echo.
bench-ws: build
	@BARRAGE_BENCH_TOOLS=1 tools/install-deps.sh
	@bench/ws_echo_ratio.sh $(BUILD)

# The generator's memory per HTTPS connection (10,000 idle, and busy) against one nginx TLS
# worker (SCALE_TLS_* variables in bench/scale_tls.sh).
scale-tls: build
	@bench/scale_tls.sh $(BUILD)/apps/barrage

fuzz:
	@tools/fuzz.sh $${FUZZ_SECONDS:-300}

soak: build
	@BARRAGE=$(BUILD)/apps/barrage tools/soak.sh $${SOAK_SECONDS:-600}

# 10,000 WebSocket connections held for 10 minutes against `barrage serve` with a ping a second
# on each: none lost, ping p99 < 5 ms, RSS flat, <= 16 KiB per held connection on each side
# (WS_SOAK_CONNECTIONS, WS_SOAK_SECONDS, WS_SOAK_RAMP, WS_SOAK_PING; bench/ws_soak.py).
.PHONY: soak-ws
soak-ws: build
	@bench/ws_soak.py $(BUILD)/apps/barrage

# barrage on PATH: $(PREFIX)/bin/barrage, with the libraries, headers and CMake package beside
# it (`sudo make install`, or `make install PREFIX=$$HOME/.local` without root).
install: build
	cmake --install $(BUILD) --prefix "$(PREFIX)"

# Debian packages (docs/packaging.md): $(BUILD)/barrage_<version>_<arch>.deb (the program, its
# man page and completions, the docs) and barrage-dev_<version>_<arch>.deb (the libraries);
# `sudo apt install ./$(BUILD)/barrage_*.deb`.
package: build
	cd $(BUILD) && cpack -G DEB

# The .deb in a fresh Debian 12 root (debootstrap; needs root and the Debian mirror), installed
# with the container image's own steps, then barrage demo from PATH as the image's user. Two to
# four minutes, most of it debootstrap (downloads are cached in $(BUILD)/debootstrap-cache):
# not part of `make test`.
test-package: package
	tests/package/debootstrap_test.sh $(BUILD)

# The container image a Kubernetes Job runs (packaging/Dockerfile): needs a Docker engine.
# make image IMAGE=registry.example.com/barrage:TAG, then docker push it.
IMAGE ?= barrage:latest
image: package
	packaging/image-context.sh $(BUILD) $(BUILD)/image
	docker build -t $(IMAGE) $(BUILD)/image

clean:
	rm -rf build install
