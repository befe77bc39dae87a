/* Small string helpers used across layers. */
#ifndef WX_UTIL_STRUTIL_H
#define WX_UTIL_STRUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <wechatpay/common.h>
#include "buf.h"

int wx_strcasecmp_ascii(const char *a, const char *b);
int wx_strncasecmp_ascii(const char *a, const char *b, size_t n);
/* The value of @p name in a {NULL, NULL}-terminated list, names compared without regard
 * to ASCII case (HTTP headers); NULL when absent or kv is NULL. Borrowed from kv. */
const char *wx_kv_find_ci(const wx_kv_t *kv, const char *name);
/* 1 if s[0..len) contains CR, LF or NUL. */
int wx_has_crlf_nul(const char *s, size_t len);
/* 1 if the NUL-terminated @p s (NULL: none) holds a control byte (below 0x20, or DEL);
 * a tab does not count when @p tab_ok (an HTTP field value may hold one). */
int wx_has_control(const char *s, int tab_ok);
/* 0..15 for a hex digit, -1 otherwise. */
int wx_hex_digit(char c);
/* Percent-decode s[0..n) into out (room for n bytes; the result is never longer) and
 * return the decoded length. A '%' not followed by two hex digits stays as it is. */
size_t wx_pct_decode(const char *s, size_t n, char *out);
/* Percent-encode everything except RFC 3986 unreserved characters. */
void wx_pct_encode(wx_buf *out, const char *s, size_t len);
/* Append a query string "k=v&k2=v2" (encoded) from a {NULL,NULL}-terminated list. */
void wx_query_encode(wx_buf *out, const wx_kv_t *query);
/* Read a whole file; returns WX_OK, WX_E_IO (errno text in err) or WX_E_NOMEM. */
wx_err wx_read_file(const char *path, char **data, size_t *len, wx_error_t *err);
/* The same for key, certificate and configuration files: only a regular file (a FIFO
 * or a device is refused without reading from it) of at most max bytes (max > 0). */
wx_err wx_read_file_max(const char *path, size_t max, char **data, size_t *len, wx_error_t *err);
/* The limit for key, certificate and configuration files. */
#define WX_MAX_KEY_FILE_BYTES (1024 * 1024)
/* Lower-case hex of bytes. */
void wx_hex_encode(const unsigned char *in, size_t len, char *out /* 2*len+1 */);
/* FNV-1a 64-bit. */
uint64_t wx_hash_bytes(const void *p, size_t len);
/* Monotonic clock in nanoseconds. */
uint64_t wx_monotonic_ns(void);

#endif
