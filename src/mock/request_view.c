/* Turning the raw request target into what the spec validator takes: decoded path
 * variables and query pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *wx_mock_pct_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (len - i < 3 || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) {
                free(out);
                return NULL;
            }
            c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        if (c == 0) {
            free(out);
            return NULL;
        }
        out[n++] = c;
    }
    out[n] = 0;
    return out;
}

void wx_mock_kv_free(wx_kv_t *kv)
{
    if (!kv)
        return;
    for (wx_kv_t *p = kv; p->key; p++) {
        free((char *)p->key);
        free((char *)p->value);
    }
    free(kv);
}

wx_kv_t *wx_mock_query_parse(const char *query, char *why, size_t why_len)
{
    size_t count = 0;
    for (const char *p = query; p && *p; p++)
        if (*p == '&')
            count++;
    wx_kv_t *kv = calloc(count + 2, sizeof *kv);
    if (!kv) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    size_t n = 0;
    const char *p = query ? query : "";
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen > 0) {
            const char *eq = memchr(p, '=', plen);
            size_t klen = eq ? (size_t)(eq - p) : plen;
            char *k = wx_mock_pct_decode(p, klen);
            char *v = eq ? wx_mock_pct_decode(eq + 1, plen - klen - 1) : strdup("");
            if (!k || !v) {
                free(k);
                free(v);
                snprintf(why, why_len, "query parameter %.*s has an invalid percent-escape",
                         (int)(klen > 64 ? 64 : klen), p);
                wx_mock_kv_free(kv);
                return NULL;
            }
            kv[n].key = k;
            kv[n].value = v;
            n++;
        }
        p += plen;
        if (*p == '&')
            p++;
    }
    return kv;
}
