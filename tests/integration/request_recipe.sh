#!/bin/sh
# The README's "Testing your requests", run as a user would: the example unit test
# (examples/request_unit_test.c) against a throwaway key, then `wxpay validate` on what it
# sent and on a callback payload, as a shell test in the user's own suite would.
#
#   request_recipe.sh WXPAY EXAMPLE SPEC_DIR WORK_DIR
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 WXPAY EXAMPLE SPEC_DIR WORK_DIR" >&2
    exit 2
fi
wxpay=$1
example=$2
spec=$3
work=$4/request-recipe.$$
mkdir -p "$work" || exit 2
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$wxpay" keys gen "$work/keys" > "$work/keys.log" 2>&1 || fail "wxpay keys gen: $(cat "$work/keys.log")"
"$example" "$work/keys/CONFIG.json" "$work/order.json" || fail "the example unit test failed"

# The request the code under test sent meets its spec ...
"$wxpay" validate POST /v3/pay/transactions/native "$work/order.json" ||
    fail "wxpay validate refused the captured order"
# ... and the same check catches a broken one, naming the field, with exit status 1.
sed 's/"out_trade_no":"[^"]*"/"out_trade_no":"A1"/' "$work/order.json" > "$work/bad.json"
"$wxpay" validate POST /v3/pay/transactions/native "$work/bad.json" > "$work/bad.out" 2>&1
[ $? -eq 1 ] || fail "wxpay validate did not exit 1 for a short out_trade_no"
grep -q '^out_trade_no: shorter than 6 characters$' "$work/bad.out" ||
    fail "wxpay validate did not name out_trade_no: $(cat "$work/bad.out")"

# A callback payload, the decrypted resource of a TRANSACTION.SUCCESS notification, against
# the callback schema shipped (and installed) with the specs.
printf '%s' '{"appid":"wxd678efh567hg6787","mchid":"1900000001","out_trade_no":"order_20261203_0001",
"transaction_id":"4200606769202612030000000001","trade_type":"NATIVE","trade_state":"SUCCESS",
"trade_state_desc":"ok","bank_type":"OTHERS","success_time":"2026-12-03T10:23:24+08:00",
"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"}}' > "$work/paid.json"
"$wxpay" validate --schema "$spec/callbacks/transaction.json" "$work/paid.json" ||
    fail "the paid resource does not meet callbacks/transaction.json"
echo '{"appid":"wxd678efh567hg6787","trade_state":"PAID"}' |
    "$wxpay" validate --schema "$spec/callbacks/transaction.json" - > "$work/paid-bad.out" 2>&1
[ $? -eq 1 ] || fail "a broken resource passed callbacks/transaction.json"
grep -q '^trade_state: must be one of' "$work/paid-bad.out" ||
    fail "the broken resource's trade_state was not named: $(cat "$work/paid-bad.out")"

rm -rf "$work"
echo "request recipe: ok"
