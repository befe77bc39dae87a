/* A growable byte buffer, always NUL-terminated. Errors are sticky: after an
 * allocation failure every append is a no-op and wx_buf_ok() is false, so callers
 * may append many pieces and check once. */
#ifndef WX_UTIL_BUF_H
#define WX_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <wechatpay/common.h>

typedef struct wx_buf {
    char *data;     /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t limit;   /* 0 = unlimited; exceeding it sets failed = WX_E_TOO_LARGE */
    wx_err failed;  /* WX_OK, WX_E_NOMEM or WX_E_TOO_LARGE */
} wx_buf;

#define WX_BUF_INIT {NULL, 0, 0, 0, WX_OK}

void wx_buf_init(wx_buf *b);
void wx_buf_free(wx_buf *b);
/* Zeroise the contents, then free (for buffers that held secrets). */
void wx_buf_free_secret(wx_buf *b);
void wx_buf_reset(wx_buf *b);          /* keep capacity, len = 0 */
int wx_buf_reserve(wx_buf *b, size_t extra);
void wx_buf_append(wx_buf *b, const void *data, size_t len);
void wx_buf_puts(wx_buf *b, const char *s);
void wx_buf_putc(wx_buf *b, char c);
void wx_buf_printf(wx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wx_buf_vprintf(wx_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static inline int wx_buf_ok(const wx_buf *b) { return b->failed == WX_OK; }
static inline const char *wx_buf_str(const wx_buf *b) { return b->data ? b->data : ""; }
/* Hand the contents to the caller (free with wx_free) and reset the buffer. Returns
 * NULL if the buffer failed; an empty buffer gives "". */
char *wx_buf_steal(wx_buf *b, size_t *len);

#endif
