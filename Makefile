# The front door. `make demo` and `make test` work on a fresh Debian 12 machine.
JOBS ?= 2
PRESET ?= release
BUILD := build/$(PRESET)
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DBARRAGE_WERROR=ON
endif

.PHONY: all deps configure build demo test test-asan test-tsan bench fuzz install clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake --preset $(PRESET) $(CMAKE_FLAGS) >/dev/null

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@tools/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 300

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

test-tsan:
	@$(MAKE) --no-print-directory test PRESET=tsan

bench: build
	@bench/run.sh $(BUILD)

fuzz:
	@tools/fuzz.sh $${FUZZ_SECONDS:-300}

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build install
