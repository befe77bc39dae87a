/* The client's one way in for the chain: send a request to a route. The chain includes
 * this; nothing in src/client includes the chain. */
#ifndef WX_CLIENT_SEND_H
#define WX_CLIENT_SEND_H

#include <wechatpay/async.h>

#include "route/route.h"

/* One request as the chain hands it over (everything borrowed for the call). */
typedef struct wx_send {
    wx_client_t *client;
    wx_route *route;
    wx_method method;
    const wx_request_options_t *opts;  /* may be NULL */
    int async;                         /* 0: run to completion before returning */
    const wx_error_t *failure;         /* set: the chain failed; complete with this error */
} wx_send;

/* Prepare (expand, validate, sign) and submit @p s. Async: the future, already handed to
 * the calling thread's engine and made its future cursor. Sync: a future that is already
 * complete, to be collected with wx_future_wait() (it is not made the cursor). Never
 * NULL; a failure gives a complete future whose response carries the error. */
wx_future_t *wx_client_send(const wx_send *s);

/* The client's route cache (owned by the client, lives until wx_client_free()). */
wx_route_cache *wx_client_routes(wx_client_t *c);

#endif
