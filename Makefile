# The README's two commands, and the rest of the developer loop. Each target does its
# own set-up on a fresh Debian 12 machine: missing packages are installed when run as
# root, otherwise the one apt-get line needed is printed.
BUILD     ?= build
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

DEB_PACKAGES = build-essential cmake pkg-config libcurl4-openssl-dev libmbedtls-dev \
               libjson-c-dev zlib1g-dev libmicrohttpd-dev libyaml-dev libcmocka-dev libssl-dev openssl \
               valgrind clang libclang-rt-14-dev

.PHONY: all deps configure build test demo bench fuzz docs clean

all: build

deps:
	@./scripts/deps.sh $(DEB_PACKAGES)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	./scripts/demo.sh $(BUILD)

bench: build
	./scripts/bench.sh $(BUILD)

# Doxygen over the public headers into $(BUILD)/docs/html (skipped without doxygen).
docs:
	@./docs/make-docs.sh $(BUILD)

clean:
	rm -rf $(BUILD)
