#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

void wx_buf_init(wx_buf *b) { *b = (wx_buf)WX_BUF_INIT; }

void wx_buf_free(wx_buf *b)
{
    wx_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = WX_OK;
}

void wx_buf_free_secret(wx_buf *b)
{
    wx_secure_zero(b->data, b->cap);
    wx_buf_free(b);
}

void wx_buf_reset(wx_buf *b)
{
    b->len = 0;
    b->failed = WX_OK;
    if (b->data)
        b->data[0] = 0;
}

int wx_buf_reserve(wx_buf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (b->limit && (extra > b->limit || b->len > b->limit - extra)) {
        b->failed = WX_E_TOO_LARGE;
        return 0;
    }
    if (extra >= (size_t)-1 / 2 - b->len) {
        b->failed = WX_E_NOMEM;
        return 0;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = wx_realloc(b->data, cap);
    if (!p) {
        b->failed = WX_E_NOMEM;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    b->data[b->len] = 0; /* always a string, even before the first write */
    return 1;
}

void wx_buf_append(wx_buf *b, const void *data, size_t len)
{
    if (!wx_buf_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
}

void wx_buf_puts(wx_buf *b, const char *s) { wx_buf_append(b, s, strlen(s)); }

void wx_buf_putc(wx_buf *b, char c) { wx_buf_append(b, &c, 1); }

void wx_buf_vprintf(wx_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = WX_E_INTERNAL;
        return;
    }
    if ((size_t)n < sizeof small) {
        wx_buf_append(b, small, (size_t)n);
        return;
    }
    if (!wx_buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void wx_buf_printf(wx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wx_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *wx_buf_steal(wx_buf *b, size_t *len)
{
    if (b->failed) {
        wx_buf_free(b);
        return NULL;
    }
    if (!b->data && !wx_buf_reserve(b, 0))
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
