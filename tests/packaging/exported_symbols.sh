#!/bin/sh
# The shared library's boundary: it exports exactly the functions that the headers of
# include/wechatpay/ (stable) and include/wechatpay/sys/ (unstable) declare, and every
# one of those declarations carries WX_API. The declarations are read by the compiler
# (gcc -aux-info), the exports from the library (nm -D --defined-only). Names that begin
# with '_' belong to the toolchain (sanitizer runtimes, _init) and are not ours.
#
#   exported_symbols.sh LIBRARY.so INCLUDE_DIR GCC
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 LIBRARY.so INCLUDE_DIR GCC" >&2
    exit 2
fi
lib=$1
inc=$2
gcc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for h in "$inc"/wechatpay/*.h "$inc"/wechatpay/sys/*.h; do
    echo "#include <${h#"$inc"/}>"
done >"$work/all.c"
if ! "$gcc" -std=c11 -fsyntax-only -I"$inc" -aux-info "$work/aux" "$work/all.c" 2>"$work/cc.log"; then
    echo "FAIL: the public headers do not compile:" >&2
    cat "$work/cc.log" >&2
    exit 1
fi

# "FILE LINE NAME" for every function declared in a header of ours (static inline
# helpers are not exported and are left out).
grep '^/\* [^:]*/wechatpay/' "$work/aux" | grep -v '\*/ static ' |
    sed -E 's|^/\* ([^:]+):([0-9]+):[^*]*\*/ (.*)$|\1 \2 \3|' |
    sed -E 's|^([^ ]+) ([0-9]+) ([^(]*[^A-Za-z0-9_(])?([A-Za-z_][A-Za-z0-9_]*) \(.*$|\1 \2 \4|' \
        >"$work/declared"
if [ ! -s "$work/declared" ]; then
    echo "FAIL: no declarations read from $inc/wechatpay (gcc -aux-info gave none)" >&2
    exit 1
fi
cut -d' ' -f3 "$work/declared" | sort -u >"$work/declared.names"

if ! nm -D --defined-only "$lib" >"$work/nm" 2>"$work/nm.log"; then
    echo "FAIL: nm could not read $lib:" >&2
    cat "$work/nm.log" >&2
    exit 1
fi
awk 'NF >= 3 && $3 !~ /^_/ { print $3 }' "$work/nm" | sed 's/@.*//' | sort -u >"$work/exported"

bad=0
for name in $(comm -23 "$work/exported" "$work/declared.names"); do
    echo "FAIL: $name is exported but declared in no header of include/wechatpay/" \
         "(hide it, or declare it with WX_API in a public or sys/ header)" >&2
    bad=$((bad + 1))
done
for name in $(comm -13 "$work/exported" "$work/declared.names"); do
    where=$(awk -v n="$name" '$3 == n { print $1 ":" $2; exit }' "$work/declared")
    echo "FAIL: $name is declared at $where but not exported by ${lib##*/}" >&2
    bad=$((bad + 1))
done

# Each declaration carries WX_API: the text from the end of the previous declaration or
# comment up to the line naming the function must hold it.
while read -r file line name; do
    if ! awk -v l="$line" '
        NR < l && (/;[ \t]*$/ || /\*\/[ \t]*$/ || /^[ \t]*#/ || /^[ \t]*$/ || /[{}][ \t]*$/) { text = "" ; next }
        NR < l { text = text " " $0; next }
        NR == l { text = text " " $0; exit }
        END { exit(text ~ /(^|[^A-Za-z0-9_])WX_API([^A-Za-z0-9_]|$)/ ? 0 : 1) }' "$file"; then
        echo "FAIL: $file:$line: $name is declared without WX_API" >&2
        bad=$((bad + 1))
    fi
done <"$work/declared"

echo "exported symbols: $(wc -l <"$work/exported") exported, $(wc -l <"$work/declared.names")" \
     "declared in include/wechatpay/, $bad problem(s)"
[ "$bad" -eq 0 ]
