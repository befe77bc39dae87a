#!/bin/sh
# tools/spec_pack.c as -DWXPAY_EMBED_SPECS drives it: a list takes exactly the files of its
# folders and files, `none` takes nothing, an entry that names nothing stops the build
# with its name, and the compact form leaves out the prose but keeps a field that is
# called `description` (the order description of a JSAPI payment).
# Usage: spec_pack.sh WX_SPEC_PACK SPEC_DIR TMPDIR
set -u
pack=$1 spec=$2 tmp=$3
mkdir -p "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
paths() { sed -n 's/^    {"\([^"]*\)", .*/\1/p' "$1"; }
# has TABLE TEXT: whether the packed bytes contain TEXT (the table writes 0x..,0x.., bytes).
has() {
    hex=$(printf '%s' "$2" | od -An -tx1 | tr -s ' \n' '  ' | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g; s/ //g')
    tr -d '\n' <"$1" | grep -q "$hex"
}

"$pack" full "$tmp/list.c" "$spec" v3/refund v3/certificates.json || fail "a list was refused"
want=$(cd "$spec" && find v3/refund -name '*.json' | sort; echo v3/certificates.json)
got=$(paths "$tmp/list.c")
[ "$(echo "$want" | sort)" = "$(echo "$got" | sort)" ] ||
    fail "the list v3/refund;v3/certificates.json packed: $got; want: $want"
grep -q "wx_builtin_spec_count = $(echo "$want" | wc -l);" "$tmp/list.c" || fail "count"

"$pack" compact "$tmp/none.c" "$spec" none || fail "none was refused"
[ -z "$(paths "$tmp/none.c")" ] || fail "none packed files"
grep -q "wx_builtin_spec_count = 0;" "$tmp/none.c" || fail "none: count"

if "$pack" compact "$tmp/bad.c" "$spec" v3/refund v3/no-such-folder 2>"$tmp/bad.err"; then
    fail "an entry naming nothing was accepted"
fi
grep -q "'v3/no-such-folder' names no spec file or folder" "$tmp/bad.err" ||
    fail "the error does not name the entry: $(cat "$tmp/bad.err")"
[ ! -e "$tmp/bad.c" ] || fail "a failed run left a table behind"

"$pack" compact "$tmp/compact.c" "$spec" v3/refund || fail "compact was refused"
"$pack" full "$tmp/full.c" "$spec" v3/refund || fail "full was refused"
[ "$(wc -c <"$tmp/compact.c")" -lt "$(wc -c <"$tmp/full.c")" ] || fail "compact is not smaller"

"$pack" compact "$tmp/jsapi.c" "$spec" v3/pay/transactions/jsapi.json || fail "jsapi compact"
"$pack" full "$tmp/jsapi-full.c" "$spec" v3/pay/transactions/jsapi.json || fail "jsapi full"
has "$tmp/jsapi-full.c" '"summary":' || fail "the full form lost the summary"
has "$tmp/jsapi-full.c" '"example":' || fail "the full form lost the examples"
for prose in '"summary":' '"example":' '"examples":' '"externalDocs":' '"description":"'; do
    ! has "$tmp/jsapi.c" "$prose" || fail "the compact form kept $prose"
done
has "$tmp/jsapi.c" '"description":{"type":"string"' ||
    fail "the compact form dropped the field called description"
has "$tmp/jsapi.c" '"required":["appid","mchid","description"' || fail "required list changed"
echo "ok"
