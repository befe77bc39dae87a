#!/bin/sh
# Text (code and read-only data, as binutils' `size` counts it) of a static library, per
# object, largest first, and in total; with MAX, fails when the total is over MAX bytes.
# Usage: scripts/text-size.sh ARCHIVE [MAX]    (SIZE=... names another `size`)
set -eu
archive=$1
max=${2:-}
size_tool=${SIZE:-size}
[ -f "$archive" ] || { echo "text-size: no library at $archive" >&2; exit 2; }
out=$("$size_tool" "$archive") || { echo "text-size: $size_tool failed on $archive" >&2; exit 2; }
# Lines: text data bss dec hex filename (ex archive); the first is the header.
echo "$out" | awk 'NR > 1 { name = $6; sub(/ \(ex .*$/, "", name); printf "%9d  %s\n", $1, name }' |
    sort -rn
total=$(echo "$out" | awk 'NR > 1 { t += $1 } END { print t + 0 }')
objects=$(echo "$out" | awk 'NR > 1' | wc -l)
echo "text total: $total bytes in $objects objects of $archive"
if [ -n "$max" ]; then
    if [ "$total" -gt "$max" ]; then
        echo "FAIL: text $total bytes is over the limit of $max bytes" >&2
        exit 1
    fi
    echo "ok: text $total bytes is within the limit of $max bytes"
fi
