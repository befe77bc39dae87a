# The README's two commands, and the rest of the developer loop. Each target does its
# own set-up on a fresh Debian 12 machine: missing packages are installed when run as
# root, otherwise the one apt-get line needed is printed.
BUILD     ?= build
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

DEB_PACKAGES = build-essential cmake pkg-config libcurl4-openssl-dev libmbedtls-dev \
               libjson-c-dev libexpat1-dev zlib1g-dev libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libyaml-dev libpcre2-dev libcmocka-dev libssl-dev openssl \
               valgrind clang libclang-rt-14-dev

.PHONY: all deps configure build test demo bench bench-mbedtls bench-openssl fuzz docs clean \
        size test-embedded

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

# One backend's whole table: the configured build if it is that backend, else a second
# build in $(BUILD)/bench-BACKEND configured with -DWXPAY_CRYPTO=BACKEND.
bench-mbedtls bench-openssl: build
	./scripts/bench.sh $(BUILD) $(@:bench-%=%)

# The embedded profile (-DWXPAY_PROFILE=embedded, in $(EMBEDDED_BUILD)): text per object of
# its static library and the total, checked against the profile's limit; then the default
# library's, for comparison.
EMBEDDED_BUILD ?= build-embedded
size: configure
	cmake -S . -B $(EMBEDDED_BUILD) -DWXPAY_PROFILE=embedded $(CMAKE_ARGS)
	cmake --build $(EMBEDDED_BUILD) -j $(JOBS) --target size
	cmake --build $(BUILD) -j $(JOBS) --target wechatpay wechatpay_static
	@echo "default profile, for comparison (shared library, then the static one's total):"
	@size $(BUILD)/libwechatpay.so
	@./scripts/text-size.sh $(BUILD)/libwechatpay.a | tail -n 1

# The embedded profile's own tests (unit, reliability, packaging: it has no tool and no
# sandbox), with every spec compiled in, in compact form, so that each is loaded that way.
EMBEDDED_TEST_BUILD ?= build-embedded-test
test-embedded: deps
	cmake -S . -B $(EMBEDDED_TEST_BUILD) -DWXPAY_PROFILE=embedded -DWXPAY_BUILD_TESTS=ON \
	    -DWXPAY_EMBED_SPECS=all $(CMAKE_ARGS)
	cmake --build $(EMBEDDED_TEST_BUILD) -j $(JOBS)
	cd $(EMBEDDED_TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Doxygen over the public headers into $(BUILD)/docs/html (skipped without doxygen).
docs:
	@./docs/make-docs.sh $(BUILD)

clean:
	rm -rf $(BUILD)

# ------------------------------------------------------------ reliability (CI runs all)
# Each in its own build folder, configured on first use.
ASAN_BUILD     ?= build-asan
VALGRIND_BUILD ?= build-valgrind
OPENSSL_BUILD  ?= build-openssl
MBEDTLS_BUILD  ?= build-mbedtls
FUZZ_BUILD     ?= build-fuzz
FUZZ_SECONDS   ?= 60
SOAK_REQUESTS  ?= 20000
# A test fails on any error valgrind finds, leaks included; libcurl's and the crypto
# libraries' process-lifetime caches are "still reachable", not errors.
VALGRIND = /usr/bin/valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--show-leak-kinds=definite,indirect;--num-callers=30;--quiet

.PHONY: test-asan test-asan-mbedtls test-tsan test-valgrind test-valgrind-sandbox test-openssl test-mbedtls test-soak
ASAN_MBEDTLS_BUILD ?= build-asan-mbedtls
TSAN_BUILD         ?= build-tsan

# The whole suite with AddressSanitizer and UndefinedBehaviorSanitizer (gcc), on the
# default crypto backend (WXPAY_CRYPTO=auto: OpenSSL 3 when installed).
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DWXPAY_SANITIZE=address,undefined $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) --timeout 1200

# The same on mbedTLS, the embedded backend, so both backends stay sanitizer-clean.
test-asan-mbedtls: deps
	cmake -S . -B $(ASAN_MBEDTLS_BUILD) -DWXPAY_CRYPTO=mbedtls -DWXPAY_SANITIZE=address,undefined $(CMAKE_ARGS)
	cmake --build $(ASAN_MBEDTLS_BUILD) -j $(JOBS)
	cd $(ASAN_MBEDTLS_BUILD) && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) --timeout 1200

# ThreadSanitizer (clang) over the unit and integration tests: the chain's thread-local
# cursor, the route cache, per-thread engines, the keyring and the sandbox's store.
test-tsan: deps
	CC=clang cmake -S . -B $(TSAN_BUILD) -DWXPAY_SANITIZE=thread $(CMAKE_ARGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	    ctest --output-on-failure -j $(JOBS) --timeout 1200 -L 'unit|integration' -LE 'soak|bench|load'

# Every test program under valgrind memcheck, and the wxpay tool the CLI tests run
# (WX_CLI_WRAPPER); the sandbox server runs natively; the long soak runs in test-soak.
# Under memcheck one RSA sign costs ~50 times more, so the 1,000-in-flight test holds
# 200 (WX_TEST_IN_FLIGHT): 1,000 signed up front outlive WeChat Pay's 300 s window.
# The allocation-failure walks fail every 32nd point (WX_TEST_TORTURE_STRIDE): ASan
# walks them all, and at every 8th test_request alone took 690 s of this stage. Tests
# labelled no_memcheck measure the allocator itself, which valgrind replaces.
test-valgrind: deps
	cmake -S . -B $(VALGRIND_BUILD) "-DCMAKE_CROSSCOMPILING_EMULATOR=$(VALGRIND)" $(CMAKE_ARGS)
	cmake --build $(VALGRIND_BUILD) -j $(JOBS)
	cd $(VALGRIND_BUILD) && WX_CLI_WRAPPER="$(subst ;, ,$(VALGRIND))" WX_TEST_IN_FLIGHT=200 WX_TEST_TORTURE_STRIDE=32 \
	    ctest --output-on-failure -j $(JOBS) --timeout 2400 -L 'unit|integration' -LE 'soak|bench|load|no_memcheck'

# The payment-lifecycle tests (label state) with the sandbox itself under valgrind
# (WX_MOCK_WRAPPER); a leak or error in it fails the test through its exit status.
test-valgrind-sandbox: build
	cd $(BUILD) && WX_MOCK_WRAPPER="$(subst ;, ,$(VALGRIND))" \
	    ctest --output-on-failure -j $(JOBS) --timeout 2400 -L state -LE load

# The whole suite with each crypto backend forced (the default build picks OpenSSL 3
# when it is installed, so test-openssl then repeats `make test`).
test-openssl: deps
	cmake -S . -B $(OPENSSL_BUILD) -DWXPAY_CRYPTO=openssl $(CMAKE_ARGS)
	cmake --build $(OPENSSL_BUILD) -j $(JOBS)
	cd $(OPENSSL_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

test-mbedtls: deps
	cmake -S . -B $(MBEDTLS_BUILD) -DWXPAY_CRYPTO=mbedtls $(CMAKE_ARGS)
	cmake --build $(MBEDTLS_BUILD) -j $(JOBS)
	cd $(MBEDTLS_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# $(SOAK_REQUESTS) requests through one client: RSS and descriptors must not grow.
test-soak: build
	cd $(BUILD) && WXPAY_SOAK_REQUESTS=$(SOAK_REQUESTS) ctest -R '^test_soak$$' -V --timeout 1800

# libFuzzer targets (clang), $(FUZZ_SECONDS) s each on a copy of their seed corpora.
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_JOBS=$(JOBS) ./scripts/fuzz.sh
