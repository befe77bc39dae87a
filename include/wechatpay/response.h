/**
 * @file response.h
 * @brief The outcome of a request: status, headers, verified body, parsed JSON,
 *        and the error if there was one.
 *
 * A response is returned by every verb, also on failure: check wx_response_err().
 * Accessors never fail on a NULL response (they return 0/NULL). A response whose
 * signature did not verify never exposes its body: wx_response_body() and
 * wx_response_json() return NULL for it.
 */
#ifndef WECHATPAY_RESPONSE_H
#define WECHATPAY_RESPONSE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
typedef struct wx_response wx_response_t;

/** One spec violation: `path: reason` is its one-line form. */
typedef struct wx_violation {
    wx_location location; /**< body, path, query or header */
    const char *path;     /**< "coupon_list[0].stock_id", "query.mchid", "header.Wechatpay-Serial" */
    const char *reason;   /**< "expected integer, got string" */
} wx_violation_t;

/**
 * @brief WX_OK for a verified 2xx response; otherwise why not
 *        (WX_E_HTTP for a verified 4xx/5xx, WX_E_VERIFY_* for a forgery,
 *        WX_E_VALIDATION when nothing was sent, ...). NULL gives WX_E_NOMEM.
 */
WX_API wx_err wx_response_err(const wx_response_t *r);

/**
 * @brief The detail of wx_response_err()'s code: where (a field path, a header), the
 *        message, the HTTP status and the server's `code`/`message`. Borrowed; lives as
 *        long as the response. Never NULL (for a NULL response, a static out-of-memory
 *        detail). Thread-safety: as the response (read-only, any thread).
 */
WX_API const wx_error_t *wx_response_error_detail(const wx_response_t *r);

/** @brief HTTP status, or 0 when no response was received. */
WX_API int wx_response_status(const wx_response_t *r);

/**
 * @brief The body bytes as received and verified (borrowed, NUL-terminated for
 *        convenience; @p len gets the exact length). NULL when nothing was received
 *        or verification failed.
 */
WX_API const char *wx_response_body(const wx_response_t *r, size_t *len);

/**
 * @brief The body parsed as JSON (borrowed: do not json_object_put() it; it lives as
 *        long as the response). NULL when the body is empty, not JSON, or unverified.
 * @threadsafety A response is not shared between threads without external locking:
 *               the first call parses and caches.
 */
WX_API struct json_object *wx_response_json(const wx_response_t *r);

/** @brief A header value by case-insensitive name (borrowed), NULL if absent. */
WX_API const char *wx_response_header(const wx_response_t *r, const char *name);

/** @brief Number of response headers. */
WX_API size_t wx_response_header_count(const wx_response_t *r);

/** @brief The i-th response header (borrowed). Returns WX_E_NOT_FOUND past the end. */
WX_API wx_err wx_response_header_at(const wx_response_t *r, size_t i,
                                    const char **name, const char **value);

/** @brief Number of spec violations (non-zero only with WX_E_VALIDATION). */
WX_API size_t wx_response_violation_count(const wx_response_t *r);

/** @brief The i-th violation (borrowed), NULL past the end. */
WX_API const wx_violation_t *wx_response_violation(const wx_response_t *r, size_t i);

/**
 * @brief The request as it went on the wire: request line then one header per line
 *        (`POST /v3/industry-coupon/tokens HTTP/1.1\nAuthorization: ...\n`), the body
 *        excluded. Borrowed. NULL when nothing was sent.
 */
WX_API const char *wx_response_request_head(const wx_response_t *r);

/** @brief The request body as sent (borrowed), NULL if none. */
WX_API const char *wx_response_request_body(const wx_response_t *r, size_t *len);

/** @brief Free a response. Accepts NULL. */
WX_API void wx_response_free(wx_response_t *r);

#ifdef __cplusplus
}
#endif
#endif
