#!/bin/sh
# Interoperability with the official PHP SDK (wechatpay-php), both directions, on loopback:
#   1. its client (APIv3 and APIv2, MD5 and HMAC-SHA256) against `wxpay mock`, and its
#      APIv2 client through a till's day (client_v2_flow.php), plain and with --tls;
#   2. `wxpay` against a stand-in server built from the SDK's own signing primitives
#      (server.php), including a tampered answer that must not verify.
# Not part of `make test`: the SDK is not a Debian package. Needs php-cli, php-curl,
# php-xml, php-guzzlehttp-guzzle (Debian) and checkouts of wechatpay-php and
# guzzle/uri-template:
#   scripts/interop-php/run.sh BUILD_DIR WECHATPAY_PHP_DIR URI_TEMPLATE_DIR
set -eu
build=$(cd "$1" && pwd); sdk=$(cd "$2" && pwd); ut=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'kill $mock $php ${mock_tls:-} 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cat > "$work/autoload.php" <<PHP
<?php
require '/usr/share/php/GuzzleHttp/autoload.php';
spl_autoload_register(function (\$c) {
    foreach (['WeChatPay\\\\' => '$sdk/src/', 'GuzzleHttp\\\\UriTemplate\\\\' => '$ut/src/'] as \$p => \$d) {
        if (strncmp(\$c, \$p, strlen(\$p)) === 0) {
            \$f = \$d . str_replace('\\\\', '/', substr(\$c, strlen(\$p))) . '.php';
            if (is_file(\$f)) { require \$f; return; }
        }
    }
});
PHP
export WXPAY_PHP_AUTOLOAD="$work/autoload.php" WXPAY_KEYS="$work/keys"
wxpay="$build/wxpay"
"$wxpay" keys gen "$work/keys" >/dev/null
port=$((20000 + $$ % 20000))
"$wxpay" mock --keys "$work/keys" --port $port >"$work/mock.log" 2>&1 & mock=$!
php -S 127.0.0.1:$((port + 1)) "$here/server.php" >"$work/php.log" 2>&1 & php=$!
"$wxpay" keys gen "$work/keys-tls" >/dev/null
"$wxpay" mock --keys "$work/keys-tls" --port $((port + 2)) --tls >"$work/mock-tls.log" 2>&1 & mock_tls=$!
for i in $(seq 1 300); do
    grep -q "listening on" "$work/mock.log" && grep -q "started" "$work/php.log" &&
        grep -q "listening on" "$work/mock-tls.log" && break
    sleep 0.1
done
echo "== the PHP SDK's client against wxpay mock"
php "$here/client_v3.php" $port
php "$here/client_v2.php" $port
php "$here/client_v2_flow.php" http://127.0.0.1:$port/ "$work/keys"
php "$here/client_v2_flow.php" https://127.0.0.1:$((port + 2))/ "$work/keys-tls"
echo "== wxpay against a server made of the PHP SDK's primitives"
cfg="$work/keys/CONFIG.json"; base=http://127.0.0.1:$((port + 1))/
"$wxpay" -c "$cfg" --base-url $base --json '{"open_id":"o1","coupon_list":[{"stock_id":1000,"coupon_id":"2000"}]}' POST v3/industry-coupon/tokens; echo
"$wxpay" -c "$cfg" --base-url $base --query "a=x y/中&" --query b=1 GET /v3/marketing/nonspec/path; echo
"$wxpay" -c "$cfg" --base-url $base --json '{"appid":"wxd678efh567hg6787","mch_id":"1900000001","out_trade_no":"t1"}' POST v2/pay/orderquery; echo
"$wxpay" -c "$cfg" --base-url $base --json '{"appid":"wxd678efh567hg6787","mch_id":"1900000001","out_trade_no":"t1","sign_type":"HMAC-SHA256"}' POST v2/pay/orderquery; echo
if "$wxpay" -c "$cfg" --base-url $base --header 'X-Tamper: 1' --json '{"open_id":"o1","coupon_list":[{"stock_id":1000,"coupon_id":"2000"}]}' POST v3/industry-coupon/tokens; then
    echo "FAIL: a tampered answer verified"; exit 1
fi
echo "== what the PHP server checked"
cat "$work/keys/php-server.log"
if grep -q BAD "$work/keys/php-server.log"; then echo "FAIL: the PHP server refused a signature"; exit 1; fi
echo "interop: all good"
