/**
 * @file sys/transport_memory.h
 * @brief The in-memory transport: requests go to a function, not the network (unit
 *        tests, fuzzing, benchmarks of request assembly).
 *
 * UNSTABLE: a header of `wechatpay/sys/` (as libgit2's `git2/sys/`): it serves the
 * `wxpay` tool, the sandbox and the tests, and may change or go in any release, also
 * a patch release. Applications use the headers of `wechatpay/` and nothing here.
 */
#ifndef WECHATPAY_SYS_TRANSPORT_MEMORY_H
#define WECHATPAY_SYS_TRANSPORT_MEMORY_H

#include "../plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A handler for the in-memory transport: look at the request, fill the response.
 * Return WX_OK, or an error to simulate a failed connection (e.g. WX_E_TRANSPORT).
 */
typedef wx_err (*wx_memory_handler_fn)(void *ud, const wx_http_request_t *req,
                                       wx_http_response_t *resp);

/** @brief A transport that calls @p handler instead of the network (unit tests). */
WX_API wx_transport_t *wx_transport_memory(wx_memory_handler_fn handler, void *ud);

#ifdef __cplusplus
}
#endif
#endif
