/**
 * @file async.h
 * @brief Futures for the `_async` verbs, driven by libcurl's multi interface so that
 *        one thread can hold many requests in flight.
 *
 * @code
 *   wx_response_t *r = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")
 *                          ->post_async(&opts)->then(print_it, NULL)->wait();
 *   wx_response_free(r);
 * @endcode
 *
 * A future belongs to the thread that created it: call wait/perform on that thread.
 * Its completion callback fires exactly once, also on error, from inside
 * wx_future_wait(), wx_client_perform() or wx_client_wait_all() on that thread;
 * the response it receives is borrowed for the duration of the callback.
 * `->then` and `->wait` act on the thread's future cursor, set by every call that
 * returns a future (as chain nodes do); the explicit forms take the future.
 */
#ifndef WECHATPAY_ASYNC_H
#define WECHATPAY_ASYNC_H

#include "common.h"
#include "client.h"
#include "response.h"
#include "chain.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Completion callback: @p r is borrowed for the duration of the call. */
typedef void (*wx_done_fn)(const wx_response_t *r, void *ud);

struct wx_future {
    wx_future_t *(*then)(wx_done_fn done, void *ud);
    wx_response_t *(*wait)(void);
};

/**
 * @brief Set the completion callback (replaces an earlier one that has not fired).
 *        If the future has already completed the callback fires at the next
 *        wait/perform on this thread.
 * @return @p f, made the thread's future cursor.
 */
WX_API wx_future_t *wx_future_then(wx_future_t *f, wx_done_fn done, void *ud);

/**
 * @brief Drive the engine until @p f completes, fire its callback, then free the
 *        future and hand its response to the caller (free with wx_response_free()).
 *        Other in-flight requests progress meanwhile. Never NULL.
 */
WX_API wx_response_t *wx_future_wait(wx_future_t *f);

/**
 * @brief Give up the caller's claim on @p f: after its callback fires the engine frees
 *        the future and its response. Use for fire-and-forget with a callback.
 */
WX_API void wx_future_release(wx_future_t *f);

/** @brief 1 when @p f has completed (its response is ready), else 0. */
WX_API int wx_future_done(const wx_future_t *f);

/**
 * @brief Make progress on this thread's in-flight requests for at most @p timeout_ms
 *        (0: do what can be done without blocking), firing callbacks of those that
 *        complete.
 * @return the number of this thread's requests still in flight.
 */
WX_API size_t wx_client_perform(wx_client_t *client, long timeout_ms);

/** @brief Drive this thread's requests until none is in flight; fires all callbacks. */
WX_API void wx_client_wait_all(wx_client_t *client);

#ifdef __cplusplus
}
#endif
#endif
