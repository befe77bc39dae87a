/* The chain runtime: the thread-local cursor that lets `->seg(...)` and `->post(...)` find
 * their receiver, the method table, and walking the client's route cache.
 *
 * Why a cursor: C has no closures, so a function pointer member cannot see the
 * struct it was read from. Every call that returns a node sets the calling thread's
 * cursor to it, and the member functions act on the cursor. Within one expression,
 * `a->seg(x)` is evaluated before the next `->seg` is read, so the cursor is always
 * the receiver (unless x itself uses a chain: chain.h says so). The explicit forms
 * (wx_seg, wx_request) take the node instead. */
#include <stdlib.h>
#include <string.h>

#include "chain/chain_internal.h"
#include "client/send.h"
#include "util/error.h"

static _Thread_local wx_route *t_cursor;
static _Thread_local wx_error_t t_chain_err;

/* ---------------------------------------------------------------- methods */

static wx_node_t *cursor_node(void);

static wx_node_t *m_seg(const char *s) { return wx_seg(cursor_node(), s); }
static wx_response_t *m_get(const wx_request_options_t *o) { return wx_request(cursor_node(), WX_GET, o); }
static wx_response_t *m_post(const wx_request_options_t *o) { return wx_request(cursor_node(), WX_POST, o); }
static wx_response_t *m_put(const wx_request_options_t *o) { return wx_request(cursor_node(), WX_PUT, o); }
static wx_response_t *m_patch(const wx_request_options_t *o) { return wx_request(cursor_node(), WX_PATCH, o); }
static wx_response_t *m_del(const wx_request_options_t *o) { return wx_request(cursor_node(), WX_DELETE, o); }
static wx_future_t *m_get_async(const wx_request_options_t *o) { return wx_request_async(cursor_node(), WX_GET, o); }
static wx_future_t *m_post_async(const wx_request_options_t *o) { return wx_request_async(cursor_node(), WX_POST, o); }
static wx_future_t *m_put_async(const wx_request_options_t *o) { return wx_request_async(cursor_node(), WX_PUT, o); }
static wx_future_t *m_patch_async(const wx_request_options_t *o) { return wx_request_async(cursor_node(), WX_PATCH, o); }
static wx_future_t *m_del_async(const wx_request_options_t *o) { return wx_request_async(cursor_node(), WX_DELETE, o); }

#define WX_NODE_METHODS                                                                        \
    {m_seg, m_get, m_post, m_put, m_patch, m_del, m_get_async, m_post_async, m_put_async,      \
     m_patch_async, m_del_async}

static const wx_node_t k_methods = WX_NODE_METHODS;

/* One error node for the whole process; the reason lives in the thread's t_chain_err. */
static wx_route g_error_node = {.face = WX_NODE_METHODS, .path = "", .path_len = 0};

static int is_error_node(const wx_node_t *n) { return n == &g_error_node.face; }

static wx_node_t *fail(wx_err code, const char *why)
{
    wx_error_clear(&t_chain_err);
    wx_error_set(&t_chain_err, code, "", "%s", why);
    t_cursor = &g_error_node;
    return &g_error_node.face;
}

static wx_node_t *fail_with(const wx_error_t *err)
{
    wx_error_copy(&t_chain_err, err);
    t_cursor = &g_error_node;
    return &g_error_node.face;
}

static wx_node_t *cursor_node(void)
{
    if (!t_cursor)
        return fail(WX_E_CHAIN, "no chain on this thread: start with wx_chain(client, path)");
    return &t_cursor->face;
}

wx_route *wx_node_route(const wx_node_t *node, wx_error_t *err)
{
    wx_error_clear(err);
    if (node && !is_error_node(node))
        return (wx_route *)node;
    if (node)
        *err = t_chain_err;
    if (!node || err->code == WX_OK)
        wx_error_set(err, node ? WX_E_CHAIN : WX_E_INVALID_ARG, "",
                     node ? "invalid chain (built on another thread?)" : "node is NULL");
    return NULL;
}

/* ---------------------------------------------------------------- public */

wx_node_t *wx_seg(wx_node_t *node, const char *segment)
{
    if (!node)
        return fail(WX_E_INVALID_ARG, "wx_seg: node is NULL");
    if (is_error_node(node)) {
        t_cursor = &g_error_node; /* the first failure is the one reported */
        return node;
    }
    if (!segment)
        return fail(WX_E_CHAIN, "chain segment is NULL");
    size_t len = strlen(segment);
    wx_route *child = wx_route_find((wx_route *)node, segment, len); /* warm: all it takes */
    if (!child) {
        wx_error_t err;
        wx_error_clear(&err);
        if (wx_path_is_url(segment))
            return fail(WX_E_CHAIN, "give a path, not a URL: the client's base_url gives the "
                                    "scheme and host (\"v3/pay/transactions/native\")");
        child = wx_route_intern((wx_route *)node, segment, len, wx_segment_normalise, &k_methods,
                                &err);
        if (!child)
            return fail_with(&err);
    }
    t_cursor = child;
    return &child->face;
}

wx_node_t *wx_chain(wx_client_t *client, const char *path)
{
    if (!client)
        return fail(WX_E_INVALID_ARG, "wx_chain: client is NULL");
    if (!path)
        return fail(WX_E_CHAIN, "wx_chain: path is NULL");
    wx_node_t *root = &wx_route_root(wx_client_routes(client))->face;
    size_t len = strlen(path);
    if (!wx_path_is_dotted(path, len))
        return wx_seg(root, path);
    /* the dotted spelling is the slash spelling: the same raw key, so a warm chain stays
       allocation-free below the stack buffer's size */
    char stack[256];
    char *slashed = len < sizeof stack ? stack : malloc(len + 1);
    if (!slashed)
        return fail(WX_E_NOMEM, "out of memory reading a dotted path");
    wx_path_dots_to_slashes(path, len, slashed);
    wx_node_t *n = wx_seg(root, slashed);
    if (slashed != stack)
        free(slashed);
    return n;
}

wx_node_t *wx_at(wx_client_t *client, const char *path) { return wx_chain(client, path); }

const char *wx_node_path(const wx_node_t *node)
{
    return node ? ((const wx_route *)node)->path : "";
}

wx_client_t *wx_node_client(const wx_node_t *node)
{
    return node ? wx_route_owner((const wx_route *)node) : NULL;
}

const char *wx_method_name(wx_method m)
{
    static const char *const names[WX_METHOD_COUNT] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    return (unsigned)m < WX_METHOD_COUNT ? names[m] : NULL;
}
