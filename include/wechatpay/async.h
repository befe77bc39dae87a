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
 * returns a future (as chain nodes do), not on the future they are read from.
 *
 * @warning So a future kept in a variable must not be used through its members: with
 * `f1` and `f2` started in turn, `f1->then(cb, ud)` sets the callback of `f2`, and
 * `f1->wait()` waits for `f2`. (The evaluation-order hazard of chain.h applies too:
 * no chain in the arguments of `->then`.) Use the explicit forms, which take the future:
 * @code
 *   wx_future_t *f1 = wx_chain(c, "v3/industry-coupon/tokens")->post_async(&a);
 *   wx_future_t *f2 = wx_chain(c, "v3/industry-coupon/tokens")->post_async(&b);
 *   wx_future_then(f1, print_it, NULL);          // not f1->then(print_it, NULL)
 *   wx_response_t *r1 = wx_future_wait(f1);      // not f1->wait()
 *   wx_response_t *r2 = wx_future_wait(f2);
 *   wx_response_free(r1);
 *   wx_response_free(r2);
 * @endcode
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

/** A future. The members act on the calling thread's future cursor (see the file
 *  comment): call them only in the expression that produced the future. */
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
WX_API size_t wx_client_perform(wx_client_t *client, int64_t timeout_ms);

/** @brief Drive this thread's requests until none is in flight; fires all callbacks. */
WX_API void wx_client_wait_all(wx_client_t *client);

/* ----------------------------------------------------------- event loops */

/** Pass as @p fd to wx_client_socket_action() when the timer set by `set_timer` fires. */
#define WX_SOCKET_TIMEOUT (-1)
/** Socket events for wx_event_hooks_t::watch_fd and wx_client_socket_action(). */
enum { WX_EV_IN = 1, WX_EV_OUT = 2, WX_EV_REMOVE = 4 };

/** Version of wx_event_hooks_t in these headers (common.h, "Growing structs"). */
#define WX_EVENT_HOOKS_VERSION 1
/** A wx_event_hooks_t of this version with every other member zero. */
#define WX_EVENT_HOOKS_INIT {.version = WX_EVENT_HOOKS_VERSION}

/**
 * How the library asks an application's event loop (epoll, libuv, libevent, ...) to
 * watch its sockets and its one timer, as curl's multi_socket interface does.
 */
typedef struct wx_event_hooks {
    unsigned version;               /**< WX_EVENT_HOOKS_VERSION; 0 means 1 */
    /** Watch @p fd for @p events (WX_EV_IN and/or WX_EV_OUT), replacing what was
     *  watched before; WX_EV_REMOVE: stop watching it. */
    void (*watch_fd)(void *ud, int fd, int events);
    /** Call wx_client_socket_action(c, WX_SOCKET_TIMEOUT, 0) once after @p timeout_ms
     *  (0: as soon as possible), replacing the previous timer; -1: cancel the timer. */
    void (*set_timer)(void *ud, int64_t timeout_ms);
    void *ud;
} wx_event_hooks_t;

/**
 * @brief Drive the calling thread's requests of @p client from an event loop instead of
 *        wait/perform. Call before starting requests on this thread; afterwards use the
 *        `_async` verbs with callbacks and wx_future_release(), and report readiness with
 *        wx_client_socket_action(). (wait/perform still work, but mixing them with an
 *        event loop wastes wake-ups.) @p hooks is copied.
 * @return WX_OK; WX_E_UNSUPPORTED for a transport without event-loop support.
 */
WX_API WX_NODISCARD wx_err wx_client_use_event_loop(wx_client_t *client,
                                                     const wx_event_hooks_t *hooks);

/**
 * @brief Tell the library that @p fd is ready for @p events (WX_EV_IN/WX_EV_OUT), or
 *        that its timer fired (@p fd = WX_SOCKET_TIMEOUT). Completion callbacks of
 *        requests that finish fire from inside this call.
 * @return the number of this thread's requests still in flight.
 */
WX_API size_t wx_client_socket_action(wx_client_t *client, int fd, int events);

#ifdef __cplusplus
}
#endif
#endif
