/* Filling a wx_error_t. All functions accept err == NULL and return the code so that
 * `return wx_error_set(err, WX_E_KEY, "", "...")` reads naturally. */
#ifndef WX_UTIL_ERROR_H
#define WX_UTIL_ERROR_H

#include <wechatpay/common.h>

wx_err wx_error_set(wx_error_t *err, wx_err code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void wx_error_clear(wx_error_t *err);
/* Prefix the current message with "context: " (e.g. the file name). */
void wx_error_prefix(wx_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copy src into dst (both may be NULL). */
void wx_error_copy(wx_error_t *dst, const wx_error_t *src);

#endif
