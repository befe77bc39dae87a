#!/bin/sh
# The installed headers (wechatpay/ and the unstable wechatpay/sys/) stand on their own: each one compiles alone as strict C11 with
# the project's compiler; under clang their doc comments pass -Wdocumentation (well-formed
# @param names, @return on functions that return, ...); all of them compile as C++.
#
#   public_headers.sh SOURCE_DIR CC [CLANG|-] [CXX|-]
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 SOURCE_DIR CC [CLANG|-] [CXX|-]" >&2
    exit 2
fi
inc=$1/include
cc=$2
clang=${3:--}
cxx=${4:--}
strict="-std=c11 -Wall -Wextra -Wpedantic -Wstrict-prototypes -Werror -fsyntax-only"
bad=0
checked=0

# try WHAT SOURCE COMPILER ARGS...: compile SOURCE; report and count a failure.
try() {
    what=$1
    text=$2
    shift 2
    if ! out=$(printf '%s\n' "$text" | "$@" -I"$inc" - 2>&1); then
        printf 'FAIL: %s\n%s\n' "$what" "$out" | sed '2,$s/^/    /' >&2
        bad=$((bad + 1))
    fi
    checked=$((checked + 1))
}

for h in "$inc"/wechatpay/*.h "$inc"/wechatpay/sys/*.h; do
    name=${h#"$inc"/}
    # shellcheck disable=SC2086 # the flags are words
    try "$name does not compile on its own ($cc, C11)" "#include <$name>" "$cc" -x c $strict
    if [ "$clang" != - ]; then
        # shellcheck disable=SC2086
        try "$name: clang -Wdocumentation" "#include <$name>" "$clang" -x c $strict \
            -Wdocumentation -fcomment-block-commands=threadsafety
    fi
done
if [ "$cxx" != - ]; then
    all=$(for h in "$inc"/wechatpay/*.h "$inc"/wechatpay/sys/*.h; do echo "#include <${h#"$inc"/}>"; done)
    try "the headers do not compile as C++ ($cxx)" "$all" "$cxx" -x c++ -std=c++11 -Wall \
        -Wextra -Wpedantic -Werror -fsyntax-only
fi
[ "$clang" = - ] && echo "(no clang: -Wdocumentation not checked)"
[ "$cxx" = - ] && echo "(no C++ compiler: C++ use not checked)"
echo "public headers: $checked checks, $bad failed"
[ "$bad" -eq 0 ]
