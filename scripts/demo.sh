#!/bin/sh
# make demo: the seed endpoint end to end against the sandbox, in all six call styles.
# Usage: scripts/demo.sh BUILD_DIR
set -eu
build=${1:-build}
keys="$build/demo-keys"
[ -f "$keys/CONFIG.json" ] || "$build/wxpay" keys gen "$keys" >/dev/null
log="$build/demo-mock.log"
"$build/wxpay" mock --port 0 --keys "$keys" >"$log" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null || true' EXIT INT TERM
url=""
for _ in $(seq 1 100); do
    url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "demo: the sandbox did not start:" >&2; cat "$log" >&2; exit 1; }
echo "sandbox: $url (keys in $keys)"
"$build/examples/industry_coupon_tokens" "$keys/CONFIG.json" "$url/"
echo
echo "sandbox log:"
sed 's/^/  /' "$log"
