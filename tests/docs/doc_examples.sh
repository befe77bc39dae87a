#!/bin/sh
# Every code example of the documentation compiles warning-free: the `@code` blocks of the
# public headers (a block marked `@code{.json}` or another language is not C) and the
# fenced ```c blocks of README.md, each with every C compiler given, at
# -std=c11 -Wall -Wextra -Werror -O2 (the optimiser enables the flow warnings).
# A fragment is wrapped in a function returning int (its #include lines go first); a block
# with a main() or a function definition (a '{' in the first column) is a whole file. The names fragments take as given are declared in
# doc_examples_context.h.
#
#   doc_examples.sh SOURCE_DIR CC [CC...]
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 SOURCE_DIR CC [CC...]" >&2
    exit 2
fi
src=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Write each example of $1 to $work/N.c with its origin in $work/N.where.
extract() {
    awk -v file="$1" -v out="$work" -v start="$(ls "$work" | grep -c '\.where$')" '
        function open_block(line) { n++; name = out "/" (start + n); inb = 1
            print file ":" line > (name ".where"); close(name ".where") }
        function close_block() { inb = 0; close(name ".c") }
        file ~ /\.md$/ {
            if (!inb && $0 ~ /^```c[ \t]*$/) { open_block(NR); next }
            if (inb && $0 ~ /^```/) { close_block(); next }
            if (inb) print > (name ".c")
            next
        }
        {
            if (!inb && $0 ~ /@code[ \t]*$/) { open_block(NR); next }
            if (inb && $0 ~ /@endcode/) { close_block(); next }
            if (inb) { line = $0; sub(/^[ \t]*\*( |$)/, "", line); print line > (name ".c") }
        }' "$1"
}

for h in "$src"/include/wechatpay/*.h "$src"/include/wechatpay/sys/*.h "$src"/README.md; do
    extract "$h"
done

# The compilable text of example $1 on stdout.
wrap() {
    echo '#include "doc_examples_context.h"'
    if grep -q '\bmain[ \t]*(' "$1" || grep -q '^{' "$1"; then
        cat "$1"
        return
    fi
    grep '^[ \t]*#[ \t]*include' "$1"
    echo 'int wx_doc_example(void);'
    echo 'int wx_doc_example(void)'
    echo '{'
    grep -v '^[ \t]*#[ \t]*include' "$1"
    echo 'return 0; /* at column 0: a trailing unbraced if must not look as if it guarded it */'
    echo '}'
}

bad=0
checked=0
for ex in "$work"/*.c; do
    [ -e "$ex" ] || continue
    where=$(cat "${ex%.c}.where")
    wrap "$ex" > "${ex%.c}.full.c"
    for cc in "$@"; do
        checked=$((checked + 1))
        if ! out=$("$cc" -std=c11 -Wall -Wextra -Werror -O2 -c -I"$here" -I"$src/include" \
                   -o "${ex%.c}.o" "${ex%.c}.full.c" 2>&1); then
            printf 'FAIL: the example at %s (%s):\n%s\n' "$where" "$cc" "$out" >&2
            bad=$((bad + 1))
        fi
    done
done
echo "documentation examples: $checked compilations, $bad failed"
[ "$checked" -gt 0 ] && [ "$bad" -eq 0 ]
