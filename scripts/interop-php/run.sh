#!/bin/sh
# Interoperability of APIv2 with the official PHP SDK (wechatpay-php), run by hand (the
# SDK is not shipped here and no test depends on it):
#   WECHATPAY_PHP_SDK=/path/to/wechatpay-php scripts/interop-php/run.sh [BUILD_DIR]
# Needs php-cli php-curl php-xml php-mbstring php-bcmath php-guzzlehttp-guzzle.
#  1. the SDK's APIv2 client (its v2 chain: micropay, orderquery with HMAC-SHA256, a
#     business failure, a refund with the merchant certificate, bills plain and gzip, a
#     day without a bill) against `wxpay mock`, over HTTP and with --tls;
#  2. `wxpay POST v2/...` (MD5 and HMAC-SHA256) against an APIv2 server made of the
#     SDK's own XML and signing code (php -S server.php).
# Exit 0 when everything interoperates. Loopback only.
set -eu
BUILD=${1:-build}
W=$(cd "$BUILD" && pwd)/wxpay
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${WECHATPAY_PHP_SDK:-}" ] || [ ! -f "$WECHATPAY_PHP_SDK/src/Builder.php" ]; then
    echo "interop-php: set WECHATPAY_PHP_SDK to a checkout of the PHP SDK" >&2
    exit 2
fi
export WECHATPAY_PHP_SDK
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
free_port() {
    php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false);
            echo substr($n, strrpos($n, ":") + 1);'
}
# start_mock KEYS [--tls]: sets $url
start_mock() {
    "$W" keys gen "$1" >/dev/null
    port=$(free_port)
    "$W" mock --port "$port" --keys "$1" --quiet ${2:-} >"$1.log" 2>&1 &
    pids="$pids $!"
    i=0
    until grep -q '^listening on' "$1.log" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -lt 100 ] || { echo "interop-php: wxpay mock did not start" >&2; cat "$1.log" >&2; exit 1; }
        sleep 0.1
    done
    url=$(sed -n 's/^listening on \(.*\)$/\1/p' "$1.log")/
}
status=0
start_mock "$tmp/keys"
echo "== the PHP SDK's APIv2 client against $url"
php "$here/run.php" "$url" "$tmp/keys" || status=1
start_mock "$tmp/keys-tls" --tls
echo "== the PHP SDK's APIv2 client against $url (--tls)"
php "$here/run.php" "$url" "$tmp/keys-tls" || status=1

port=$(free_port)
WX_KEYS="$tmp/keys" WX_SERVER_LOG="$tmp/server.log" php -S "127.0.0.1:$port" "$here/server.php" \
    >"$tmp/php-server.log" 2>&1 &
pids="$pids $!"
sleep 0.5
echo "== wxpay against an APIv2 server on the PHP SDK's code (127.0.0.1:$port)"
for body in \
    '{"appid":"wx1","mch_id":"1900000001","body":"A & B <till> 中文","out_trade_no":"PHPSRV1","total_fee":1,"spbill_create_ip":"1.1.1.1","auth_code":"134567890123456781"} v2/pay/micropay' \
    '{"appid":"wx1","mch_id":"1900000001","out_trade_no":"PHPSRV1","sign_type":"HMAC-SHA256"} v2/pay/orderquery'; do
    json=${body% *}
    path=${body##* }
    if out=$("$W" -c "$tmp/keys/CONFIG.json" --base-url "http://127.0.0.1:$port/" --json "$json" POST "$path" 2>&1) &&
        echo "$out" | grep -q '"result_code":"SUCCESS"'; then
        echo "ok   wxpay POST $path: the server verified the request, wxpay verified the answer"
    else
        echo "FAIL wxpay POST $path: $out"
        status=1
    fi
done
if grep -q 'sign_ok=NO' "$tmp/server.log"; then
    echo "FAIL the PHP server did not verify a request:"
    grep 'sign_ok' "$tmp/server.log"
    status=1
fi
exit $status
