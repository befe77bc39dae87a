/* The sandbox's request log prints what a client sent (method, path): bytes outside
 * printable ASCII are written as \xHH, so a request cannot move the cursor, retitle the
 * terminal or forge log lines (C1 controls and broken UTF-8 included). */
#include <stdio.h>
#include <string.h>

#include "mock.h"

void wx_mock_log_escape(const char *in, char *out, size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    if (out_size < 8) {
        if (out_size)
            out[0] = 0;
        return;
    }
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
        size_t need = plain ? 1 : 4;
        if (o + need + 4 > out_size) { /* room for "..." and the NUL */
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = 0;
}
