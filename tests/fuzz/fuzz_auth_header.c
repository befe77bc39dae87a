/* libFuzzer target for the sandbox's Authorization header parser
 * (src/mock/auth_header.c). Checks the parser's promises on every accepted input:
 * each field is non-empty, NUL-terminated inside its array and free of quotes,
 * backslashes and control characters, and the timestamp is all digits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mock/auth_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *f, size_t cap)
{
    size_t n = strnlen(f, cap);
    if (n == 0 || n >= cap)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wx_mock_auth a;
    char why[128];
    why[0] = 0;
    if (wx_mock_auth_parse((const char *)data, size, &a, why, sizeof why) != 0) {
        if (!why[0] || strnlen(why, sizeof why) >= sizeof why)
            __builtin_trap();
        return 0;
    }
    check_field(a.mchid, sizeof a.mchid);
    check_field(a.nonce_str, sizeof a.nonce_str);
    check_field(a.signature, sizeof a.signature);
    check_field(a.timestamp, sizeof a.timestamp);
    check_field(a.serial_no, sizeof a.serial_no);
    for (const char *p = a.timestamp; *p; p++)
        if (*p < '0' || *p > '9')
            __builtin_trap();
    if (a.timestamp_value < 0)
        __builtin_trap();
    return 0;
}
