#!/bin/sh
# make bench: the benchmarks against the sandbox on loopback, for both crypto backends.
#   scripts/bench.sh [BUILD_DIR]        (BENCH_ARGS="--repeat 5 --seconds 3" to change runs)
#   scripts/bench.sh BUILD_DIR mbedtls  (make bench-mbedtls / bench-openssl: one backend)
# The configured backend runs every group (table on stdout, BUILD_DIR/bench.json); a
# second build in BUILD_DIR/bench-OTHER, configured with the other backend, runs the
# crypto, end-to-end and APIv2 groups (BUILD_DIR/bench-OTHER.json). With a backend named,
# only that backend runs every group: the configured build if it is that one, else the
# second build. Targets missed are shown as MISS and never fail this script: these are
# benchmarks, not timed tests.
set -eu
BUILD=${1:-build}
ONLY_BACKEND=${2:-}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
BENCH_ARGS=${BENCH_ARGS:-}

cache="$BUILD/CMakeCache.txt"
if [ ! -f "$cache" ]; then
    echo "bench: $BUILD is not configured (run make build first)" >&2
    exit 2
fi
backend=$(sed -n 's/^WX_CRYPTO_BACKEND:INTERNAL=//p' "$cache")
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache")
case "$backend" in
    openssl) other=mbedtls ;;
    *) backend=mbedtls; other=openssl ;;
esac

case "$ONLY_BACKEND" in
    ''|"$backend") ;;
    "$other") ;;
    *) echo "bench: unknown backend '$ONLY_BACKEND' (openssl or mbedtls)" >&2; exit 2 ;;
esac

# Configure and build the other backend in BUILD/bench-OTHER.
build_other() {
    echo "== building a second copy with -DWXPAY_CRYPTO=$other in $second =="
    cmake -S . -B "$second" -DWXPAY_CRYPTO="$other" -DCMAKE_BUILD_TYPE="${build_type:-RelWithDebInfo}" \
          -DWXPAY_BUILD_TESTS=OFF -DWXPAY_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build "$second" --target wxpay wxpay_bench -j "$JOBS"
}
second="$BUILD/bench-$other"

if [ "$ONLY_BACKEND" = "$other" ]; then
    build_other
    echo "== libwechatpay benchmarks: $other =="
    # shellcheck disable=SC2086
    "$second/bench/wxpay_bench" --json "$BUILD/bench-$other.json" $BENCH_ARGS \
        >"$BUILD/bench-$other.txt"
    cat "$BUILD/bench-$other.txt"
    echo "results: $BUILD/bench-$other.json"
    exit 0
fi

cmake --build "$BUILD" --target wxpay wxpay_bench -j "$JOBS"
echo "== libwechatpay benchmarks: $backend (the configured backend) =="
# shellcheck disable=SC2086
"$BUILD/bench/wxpay_bench" --json "$BUILD/bench.json" $BENCH_ARGS >"$BUILD/bench.txt"
cat "$BUILD/bench.txt"
if [ -n "$ONLY_BACKEND" ]; then
    echo "results: $BUILD/bench.json"
    exit 0
fi

echo
build_other
echo "== libwechatpay benchmarks: $other (crypto, end-to-end and APIv2 groups) =="
# shellcheck disable=SC2086
"$second/bench/wxpay_bench" --only crypto,e2e,apiv2 --json "$BUILD/bench-$other.json" $BENCH_ARGS \
    >"$BUILD/bench-$other.txt"
cat "$BUILD/bench-$other.txt"

echo
echo "== crypto, both backends: library API next to the library called directly =="
grep -h '^crypto ' "$BUILD/bench.txt" "$BUILD/bench-$other.txt" || true
echo
echo "results: $BUILD/bench.json $BUILD/bench-$other.json"
