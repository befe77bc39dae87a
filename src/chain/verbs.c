/* The chain's verbs: a node and a method handed to the client's one way in
 * (client/send.h). A sync request is a call the caller waits for at once. */
#include "chain/chain_internal.h"
#include "client/send.h"

static wx_future_t *send(wx_node_t *node, wx_method method, const wx_request_options_t *opts,
                         int async)
{
    wx_error_t err;
    wx_route *r = wx_node_route(node, &err);
    wx_send s = {.client = r ? wx_route_owner(r) : NULL, .route = r, .method = method,
                 .opts = opts, .async = async, .failure = r ? NULL : &err};
    return wx_client_send(&s);
}

wx_response_t *wx_request(wx_node_t *node, wx_method method, const wx_request_options_t *opts)
{
    return wx_future_wait(send(node, method, opts, 0));
}

wx_future_t *wx_request_async(wx_node_t *node, wx_method method, const wx_request_options_t *opts)
{
    return send(node, method, opts, 1);
}
