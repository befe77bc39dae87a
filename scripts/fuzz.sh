#!/bin/sh
# Build the libFuzzer targets (clang, ASan+UBSan, the library instrumented for coverage)
# and run each one for a bounded time on a copy of its seed corpus, so that runs never
# grow the committed corpus. Fails on any crash, leak or sanitizer report.
#
#   scripts/fuzz.sh [TARGET...]          (default: every target in tests/fuzz/targets.txt)
#   FUZZ_SECONDS=60  time per target      FUZZ_BUILD=build-fuzz  build folder
#   FUZZ_JOBS=2      build parallelism    FUZZ_KEEP=DIR  keep the grown corpora in DIR
#
# A crash leaves its input in $FUZZ_BUILD/fuzz-out/<target>/; to keep it fixed, copy it
# into tests/fuzz/regressions/<target>/ (replayed by ctest in every build).
set -eu
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
LIST=tests/fuzz/targets.txt

CC_FUZZ=${CC_FUZZ:-}
if [ -z "$CC_FUZZ" ]; then
    for c in clang clang-14; do
        if command -v "$c" >/dev/null 2>&1; then CC_FUZZ=$c; break; fi
    done
fi
if [ -z "$CC_FUZZ" ]; then
    echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi

if [ $# -gt 0 ]; then
    targets="$*"
else
    targets=$(grep -E '^[a-z]' "$LIST" | awk '{print $1}')
fi

# The whole library gets ASan+UBSan and coverage instrumentation (fuzzer-no-link);
# the fuzz binaries add the libFuzzer driver.
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    mkdir -p "$BUILD"
    CC=$CC_FUZZ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWXPAY_FUZZ=ON \
        -DWXPAY_SANITIZE=address,undefined,fuzzer-no-link -DWXPAY_BUILD_EXAMPLES=OFF \
        -DWXPAY_BUILD_BENCH=OFF >"$BUILD/configure.log" 2>&1 || {
        cat "$BUILD/configure.log" >&2; echo "fuzz: configure failed" >&2; exit 1; }
fi
bins=""
for t in $targets; do bins="$bins fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$JOBS" --target $bins >"$BUILD/fuzz-build.log" 2>&1 || {
    tail -40 "$BUILD/fuzz-build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }

out="$BUILD/fuzz-out"
rm -rf "$out"
mkdir -p "$out"
# Leaks are reported per input; json-c and libcurl keep nothing between inputs.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export WXPAY_SPEC_PATH=

failed=0
passed=0
bad=0
summary=""
for t in $targets; do
    corpus=$(awk -v t="$t" '$1 == t {print $2}' "$LIST")
    if [ -z "$corpus" ]; then
        echo "fuzz: no target '$t' in $LIST" >&2
        exit 2
    fi
    bin=$(find "$BUILD" -name "fuzz_$t" -type f -perm -u+x | head -1)
    work="$out/$t"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp -R "tests/fuzz/corpus/$corpus/." "$work/corpus/"
    if [ -d "tests/fuzz/regressions/$t" ]; then
        cp -R "tests/fuzz/regressions/$t/." "$work/corpus/"
    fi
    log="$work/fuzz.log"
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
    rc=0
    "$bin" -max_total_time="$SECONDS_PER_TARGET" -detect_leaks=1 -timeout=25 -rss_limit_mb=2560 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    crashes=$(find "$work/artifacts" -type f | wc -l)
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
        failed=1
        bad=$((bad + 1))
        echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
        tail -60 "$log" >&2
        find "$work/artifacts" -type f | sed 's/^/fuzz:   crash input: /' >&2
        summary="$summary$(printf '%-16s FAILED  executions=%s' "$t" "${execs:-?}")
"
    else
        passed=$((passed + 1))
        summary="$summary$(printf '%-16s ok      executions=%s coverage=%s corpus=%s' "$t" \
            "${execs:-?}" "${cov:-?}" "$(find "$work/corpus" -type f | wc -l)")
"
    fi
    if [ -n "${FUZZ_KEEP:-}" ]; then
        mkdir -p "$FUZZ_KEEP/$t" && cp -R "$work/corpus/." "$FUZZ_KEEP/$t/"
    fi
done

echo "fuzz: ${SECONDS_PER_TARGET}s per target"
printf '%s' "$summary"
echo "fuzz: $passed passed, $bad failed"
[ "$failed" -eq 0 ]
