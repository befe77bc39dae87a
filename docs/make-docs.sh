#!/bin/sh
# make docs: Doxygen over include/wechatpay/ into BUILD_DIR/docs/html, then the public
# functions that have no doc comment. Doxygen is optional: without it this says so and
# succeeds.
# Usage: docs/make-docs.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
if ! command -v doxygen >/dev/null 2>&1; then
    echo "docs: doxygen is not installed, skipping (Debian: apt-get install doxygen)"
    exit 0
fi
out=$build/docs
mkdir -p "$out"
rm -f "$out/warnings.log"
WX_DOCS_DIR=$out
WX_VERSION=$(sed -n 's/^#define WX_VERSION_STRING "\(.*\)"/\1/p' include/wechatpay/version.h)
export WX_DOCS_DIR WX_VERSION
doxygen docs/Doxyfile
echo "docs: $out/html/index.html (libwechatpay $WX_VERSION)"

log=$out/warnings.log
[ -f "$log" ] || exit 0
here=$(pwd)/
undocumented=$(sed -n "s|^$here||; s|^\([^:]*:[0-9]*\): warning: Member \([A-Za-z0-9_]*\)(.*) (function) of file .* is not documented\.|\1 \2|p" "$log")
if [ -n "$undocumented" ]; then
    echo "docs: public functions without a doc comment:"
    echo "$undocumented" | sed 's/^/  /'
else
    echo "docs: every public function has a doc comment"
fi
others=$(grep -c 'warning:' "$log" || true)
[ "$others" -eq 0 ] || echo "docs: $others Doxygen warnings in all, in $log"
