# The front door. `make demo` and `make test` work on a fresh Debian 12 machine.
JOBS ?= 2
PRESET ?= release
BUILD := build/$(PRESET)
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DBARRAGE_WERROR=ON
endif

.PHONY: all deps configure build demo test test-asan test-tsan bench scale fuzz soak install clean

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

UNIT_TARGETS := unit_base unit_runtime unit_http unit_net unit_client unit_server unit_loadgen

# The unit tests (in-process engine and server tests included) under ASan+UBSan / TSan. The
# two stack-depth tests need the tail calls that only optimised, uninstrumented builds make.
STACK_DEPTH_TESTS := do_not_grow_the_stack|a_hundred_thousand_nested_awaits
test-asan test-tsan: test-%:
	@tools/install-deps.sh
	@[ -f build/$*/build.ninja ] || cmake --preset $* $(CMAKE_FLAGS) >/dev/null
	cmake --build build/$* -j $(JOBS) --target $(UNIT_TARGETS)
	cd build/$* && ctest -j $(JOBS) -L unit -E "$(STACK_DEPTH_TESTS)" --output-on-failure --timeout 300

bench: build
	@bench/run.sh $(BUILD)

# 15,000 connections held for 30 s against `barrage serve`, and 5,000 for linearity: accounting and memory per
# connection on both sides (about 6 minutes; SCALE_* variables in bench/scale.sh).
scale: build
	@bench/scale.sh $(BUILD)

fuzz:
	@tools/fuzz.sh $${FUZZ_SECONDS:-300}

soak: build
	@BARRAGE=$(BUILD)/apps/barrage tools/soak.sh $${SOAK_SECONDS:-600}

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build install
