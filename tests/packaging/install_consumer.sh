#!/bin/sh
# Install a build into a temporary prefix and use it from outside the tree, as a user
# would: the files in their places, the SONAME, the tool's RPATH, then the example built
# by a separate CMake project (find_package, shared and static) and by plain cc with
# pkg-config (shared and static), each run against the installed sandbox.
#
#   install_consumer.sh BUILD_DIR SOURCE_DIR LIBDIR CC ["EXTRA C/LINK FLAGS"]
#
# LIBDIR is CMAKE_INSTALL_LIBDIR (relative to the prefix); the extra flags are the build's
# sanitizer flags, which a program linking a sanitized library needs too.
# WX_PACKAGING_WRAPPER, when set, runs the built programs under it (e.g. valgrind).
# The temporary folder is removed on success and kept, with its logs, on failure.
set -u

if [ $# -lt 4 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR LIBDIR CC [EXTRA_FLAGS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd) || exit 2
src=$(cd "$2" && pwd) || exit 2
libdir_rel=$3
cc=$4
extra=${5:-}
wrap=${WX_PACKAGING_WRAPPER:-}
# Until the pkg-config step sets it on purpose, programs find the library on their own.
unset LD_LIBRARY_PATH

mock_pid=
work=
ok=0
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
    fi
    if [ -n "$work" ]; then
        if [ "$ok" = 1 ]; then rm -rf "$work"; else echo "(files kept in $work)" >&2; fi
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step() { printf -- '--- %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$1" >&2
    if [ $# -gt 1 ] && [ -f "$2" ]; then
        echo "last lines of $2:" >&2
        tail -n 40 "$2" | sed 's/^/    /' >&2
    fi
    exit 1
}
# run LOG CMD...: run a command with its output in LOG.
run() {
    _log=$1
    shift
    "$@" >"$_log" 2>&1
}

mkdir -p "$build/test-tmp"
work=$(mktemp -d "$build/test-tmp/packaging.XXXXXX") || fail "cannot make a temporary folder"
prefix=$work/prefix
libdir=$prefix/$libdir_rel
example=$src/examples/industry_coupon_tokens.c

# ------------------------------------------------------------------ install
step "cmake --install $build --prefix $prefix"
run "$work/install.log" cmake --install "$build" --prefix "$prefix" ||
    fail "cmake --install failed" "$work/install.log"

version=$(sed -n 's/^#define WX_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/wechatpay/version.h" 2>/dev/null)
[ -n "$version" ] || fail "no WX_VERSION_STRING in the installed include/wechatpay/version.h"
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}

step "installed files (version $version)"
for f in include/wechatpay/wechatpay.h include/wechatpay/version.h include/wechatpay/plugin.h \
         "$libdir_rel/libwechatpay.so.$version" "$libdir_rel/libwechatpay.a" bin/wxpay \
         "$libdir_rel/cmake/wechatpay/wechatpay-config.cmake" \
         "$libdir_rel/cmake/wechatpay/wechatpay-config-version.cmake" \
         "$libdir_rel/cmake/wechatpay/wechatpay-targets.cmake" \
         "$libdir_rel/pkgconfig/wechatpay.pc" "$libdir_rel/pkgconfig/wechatpay-static.pc"; do
    [ -f "$prefix/$f" ] || fail "cmake --install did not install $f"
done
for h in "$src"/include/wechatpay/*.h; do
    cmp -s "$h" "$prefix/include/wechatpay/${h##*/}" ||
        fail "include/wechatpay/${h##*/} is not installed as it is in the tree"
done
for f in "$src"/spec/callbacks/*.json "$src"/spec/v3/pay/transactions/native.json; do
    cmp -s "$f" "$prefix/share/wechatpay/spec/${f#"$src"/spec/}" ||
        fail "spec/${f#"$src"/spec/} is not installed in share/wechatpay/spec"
done
[ "$(readlink "$libdir/libwechatpay.so.$major")" = "libwechatpay.so.$version" ] ||
    fail "libwechatpay.so.$major is not a link to libwechatpay.so.$version"
[ "$(readlink "$libdir/libwechatpay.so")" = "libwechatpay.so.$major" ] ||
    fail "libwechatpay.so is not a link to libwechatpay.so.$major"

step "SONAME and exported symbols"
soname=$(readelf -d "$libdir/libwechatpay.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libwechatpay.so.$major" ] ||
    fail "SONAME of libwechatpay.so.$version is '$soname', expected libwechatpay.so.$major"
nm -D --defined-only "$libdir/libwechatpay.so.$version" | awk '{print $NF}' >"$work/exports.txt"
grep -qx wx_version "$work/exports.txt" || fail "libwechatpay.so does not export wx_version"
stray=$(grep -v '^wx_' "$work/exports.txt" | grep -v '^_init$\|^_fini$' | head -n 10)
[ -z "$stray" ] || fail "libwechatpay.so exports symbols without the wx_ prefix: $(echo $stray)"

step "wxpay finds the installed library through its RPATH"
runpath=$(readelf -d "$prefix/bin/wxpay" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p')
case ":$runpath:" in
    *":\$ORIGIN/../$libdir_rel:"* | *":$libdir:"*) ;;
    *) fail "wxpay's RPATH is '$runpath', expected \$ORIGIN/../$libdir_rel" ;;
esac
# loaded_from BINARY: the folder that the libwechatpay a program loads is in.
loaded_from() {
    _so=$(ldd "$1" | sed -n 's/.*libwechatpay\.so[^ ]* => \([^ ]*\).*/\1/p')
    [ -n "$_so" ] && dirname "$(readlink -f "$_so")"
}
real_libdir=$(readlink -f "$libdir")
resolved=$(loaded_from "$prefix/bin/wxpay")
[ "$resolved" = "$real_libdir" ] ||
    fail "the installed wxpay loads libwechatpay from '$resolved', not from $libdir"
wxpay=$prefix/bin/wxpay
run "$work/wxpay-version.log" "$wxpay" --version ||
    fail "the installed wxpay --version failed" "$work/wxpay-version.log"
grep -q "$version" "$work/wxpay-version.log" ||
    fail "wxpay --version does not name $version" "$work/wxpay-version.log"

# ------------------------------------------------------------------ sandbox
step "sandbox: wxpay keys gen, wxpay mock --port 0"
run "$work/keys.log" "$wxpay" keys gen "$work/keys" ||
    fail "wxpay keys gen failed" "$work/keys.log"
config=$work/keys/CONFIG.json
[ -f "$config" ] || fail "wxpay keys gen wrote no CONFIG.json"
"$wxpay" mock --port 0 --keys "$work/keys" >"$work/mock.log" 2>&1 &
mock_pid=$!
url=
i=0
while [ $i -lt 200 ]; do
    url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/mock.log" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$mock_pid" 2>/dev/null || fail "wxpay mock exited before listening" "$work/mock.log"
    sleep 0.1
    i=$((i + 1))
done
[ -n "$url" ] || fail "wxpay mock printed no 'listening on' line within 20 s" "$work/mock.log"
echo "sandbox at $url"

# run_example NAME BINARY: the seed example against the sandbox must exit 0.
run_example() {
    run "$work/$1.log" $wrap "$2" "$config" "$url/" ||
        fail "$1: the example against the sandbox exited $?" "$work/$1.log"
    grep -q "6 of 6 styles verified" "$work/$1.log" ||
        fail "$1: the example did not verify all six styles" "$work/$1.log"
    echo "$1: 6 of 6 styles verified"
}
# check_links NAME BINARY shared|static: which libwechatpay a program uses.
check_links() {
    if [ "$3" = shared ]; then
        where=$(loaded_from "$2")
        [ "$where" = "$real_libdir" ] || fail "$1 loads libwechatpay from '$where', not from $libdir"
    elif readelf -d "$2" | grep NEEDED | grep -q libwechatpay; then
        fail "$1 should be linked with libwechatpay.a but needs libwechatpay.so"
    fi
}

# ------------------------------------------------------------------ (a) CMake package
step "CMake consumer: find_package(wechatpay $major.$minor CONFIG)"
run "$work/consumer-configure.log" cmake -S "$src/tests/consumer" -B "$work/consumer" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
    -DWX_EXAMPLE="$example" -DWX_FIND_VERSION="$major.$minor" ||
    fail "the consumer project did not configure against the installed package" \
        "$work/consumer-configure.log"
found_dir=$(sed -n 's/^wechatpay_DIR:PATH=//p' "$work/consumer/CMakeCache.txt")
[ "$found_dir" = "$libdir/cmake/wechatpay" ] ||
    fail "find_package found wechatpay in '$found_dir', not in $libdir/cmake/wechatpay"
run "$work/consumer-build.log" cmake --build "$work/consumer" ||
    fail "the consumer project did not build against wechatpay::wechatpay(_static)" \
        "$work/consumer-build.log"
for kind in shared static; do
    check_links "cmake $kind example" "$work/consumer/example_$kind" $kind
    run "$work/cmake-version-$kind.log" $wrap "$work/consumer/version_$kind" ||
        fail "cmake $kind: version check failed" "$work/cmake-version-$kind.log"
    run_example "cmake-$kind" "$work/consumer/example_$kind"
done

step "CMake consumer: a newer minor ($major.$((minor + 1))) is refused while the major is 0"
if [ "$major" = 0 ]; then
    if run "$work/consumer-newer.log" cmake -S "$src/tests/consumer" -B "$work/consumer-newer" \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
        -DWX_FIND_VERSION="$major.$((minor + 1))"; then
        fail "find_package(wechatpay $major.$((minor + 1))) accepted $version" "$work/consumer-newer.log"
    fi
    grep -q "compatible with requested version" "$work/consumer-newer.log" ||
        fail "find_package(wechatpay $major.$((minor + 1))) failed for another reason" \
            "$work/consumer-newer.log"
fi

# ------------------------------------------------------------------ (b) pkg-config
PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
step "pkg-config (PKG_CONFIG_PATH=$PKG_CONFIG_PATH)"
pcver=$(pkg-config --modversion wechatpay 2>"$work/pkgconfig.log") ||
    fail "pkg-config does not find wechatpay" "$work/pkgconfig.log"
[ "$pcver" = "$version" ] || fail "pkg-config --modversion wechatpay says '$pcver', not $version"
pkg-config --static --libs wechatpay >"$work/pc-static-libs.txt" 2>&1 ||
    fail "pkg-config --static --libs wechatpay failed" "$work/pc-static-libs.txt"
for l in -lwechatpay -lcurl -ljson-c -lm; do
    grep -q -- "$l" "$work/pc-static-libs.txt" ||
        fail "pkg-config --static --libs wechatpay lacks $l: $(cat "$work/pc-static-libs.txt")"
done
for kind in shared static; do
    if [ $kind = shared ]; then pc=wechatpay; else pc=wechatpay-static; fi
    flags=$(pkg-config --cflags --libs $pc 2>"$work/pkgconfig.log") ||
        fail "pkg-config --cflags --libs $pc failed" "$work/pkgconfig.log"
    echo "$pc: $flags"
    # shellcheck disable=SC2086 # the flags are words
    run "$work/pc-build-$kind.log" "$cc" $extra -o "$work/pc_example_$kind" "$example" $flags ||
        fail "cc \$(pkg-config --cflags --libs $pc) did not build the example" \
            "$work/pc-build-$kind.log"
    # shellcheck disable=SC2086
    run "$work/pc-build-version-$kind.log" "$cc" $extra -o "$work/pc_version_$kind" \
        -DWX_EXPECT_VERSION="\"$version\"" -DWX_EXPECT_KIND="\"$kind\"" \
        -DWX_EXPECT_BACKEND="\"$(sed -n 's/^set(wechatpay_CRYPTO_BACKEND "\(.*\)")/\1/p' \
            "$libdir/cmake/wechatpay/wechatpay-config.cmake")\"" \
        "$src/tests/consumer/version_check.c" $flags ||
        fail "cc \$(pkg-config --cflags --libs $pc) did not build version_check.c" \
            "$work/pc-build-version-$kind.log"
done
# The shared programs find the library through LD_LIBRARY_PATH here (no rpath given).
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
for kind in shared static; do
    check_links "pkg-config $kind example" "$work/pc_example_$kind" $kind
    run "$work/pc-version-$kind.log" $wrap "$work/pc_version_$kind" ||
        fail "pkg-config $kind: version check failed" "$work/pc-version-$kind.log"
    run_example "pkg-config-$kind" "$work/pc_example_$kind"
done

ok=1
echo "packaging: install, CMake package and pkg-config consumers all passed"
