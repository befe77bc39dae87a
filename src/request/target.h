/* Checks on a request target (path and query, as signed) before it is sent. */
#ifndef WX_REQUEST_TARGET_H
#define WX_REQUEST_TARGET_H

#include <wechatpay/common.h>

/* WX_OK when @p target ("/v3/...?q=1") reaches the server as the very target that is
 * signed and judged here; else WX_E_INVALID_ARG with the reason in @p err: a "." or ".."
 * segment (also encoded: clients and servers remove them), a '#' (a fragment is never
 * sent), an encoded slash or backslash or a raw backslash in the path (a server may
 * decode it into other segments). */
wx_err wx_request_target_check(const char *target, wx_error_t *err);

/* 1 when the path part of @p target holds a percent escape: such a path is never taken
 * for a well-known one (the unsigned-download rule, say). */
int wx_request_path_has_escape(const char *target);

#endif
