#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* A growable string for the tool (the library's wx_buf is internal to it). Errors are
 * sticky: after a failed allocation appends do nothing and `failed` is set. */
void wx_mock_str_append(wx_mock_str *s, const void *data, size_t len)
{
    if (s->failed)
        return;
    if (s->cap - s->len <= len) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap - s->len <= len)
            cap *= 2;
        char *p = realloc(s->data, cap);
        if (!p) {
            s->failed = 1;
            return;
        }
        s->data = p;
        s->cap = cap;
    }
    if (len)
        memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = 0;
}

void wx_mock_str_puts(wx_mock_str *s, const char *text)
{
    wx_mock_str_append(s, text, strlen(text));
}

void wx_mock_str_printf(wx_mock_str *s, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        wx_mock_str_append(s, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        s->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    wx_mock_str_append(s, big, (size_t)n);
    free(big);
}

void wx_mock_str_free(wx_mock_str *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}
