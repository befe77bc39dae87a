/* The route cache: what the library knows about each request path, worked out once per
 * client and reused by every request to that path.
 *
 * A route is one path ("v3/industry-coupon/tokens", template text): its interned text,
 * its compiled URI template and, per method, the endpoint the spec tree gives it. Routes
 * form a tree under a root (path ""); a route finds its children by two kinds of key:
 * the child's template segment, which decides which route a segment is, and the raw text
 * a caller wrote, which finds it again without normalising (see wx_route_key).
 *
 * Lookups are lock-free: key tables are published with release stores and never changed
 * in place except by filling an empty slot. Inserts, template compilation races and spec
 * resolution take the cache's own lock. Routes live in the cache's arena until
 * wx_route_cache_free(). The cache knows nothing of clients or chains: the client owns
 * one, the chain walks it. */
#ifndef WX_ROUTE_ROUTE_H
#define WX_ROUTE_ROUTE_H

#include <stdatomic.h>
#include <stddef.h>

#include <wechatpay/chain.h>
#include <wechatpay/spec.h>
#include <wechatpay/uritemplate.h>

#include "util/buf.h"

struct json_object;

/** Number of HTTP methods (wx_method runs from WX_GET to WX_DELETE). */
enum { WX_METHOD_COUNT = WX_DELETE + 1 };

typedef struct wx_route_cache wx_route_cache;
typedef struct wx_route_table wx_route_table;

/* What the spec tree says about a route for one method, resolved once. */
typedef struct wx_route_spec {
    _Atomic int resolved;
    wx_err rc;                    /* WX_OK, WX_E_NOT_FOUND or WX_E_SPEC */
    const wx_endpoint_t *ep;
    struct json_object *vars;     /* path variables taken from a concrete path */
    wx_error_t *err;              /* detail when rc == WX_E_SPEC */
    _Atomic int warned;           /* its broken response schema was reported */
} wx_route_spec;

typedef struct wx_route {
    /* First, so that a wx_node_t * handed out by the chain is the route itself: the
     * chain's method table, written by wx_route_intern() before the route can be found
     * by raw text. The cache never reads it. */
    wx_node_t face;
    wx_route_cache *cache;
    struct wx_route *parent;
    const char *path;             /* "v3/industry-coupon/tokens" (template text) */
    size_t path_len;
    _Atomic(wx_route_table *) keys; /* child segment / raw text -> child */
    _Atomic(wx_uri_template_t *) tmpl; /* compiled on first use */
    wx_route_spec spec[WX_METHOD_COUNT]; /* by wx_method */
    int has_face;                 /* face written (under the cache lock) */
    struct wx_route *next_all;    /* every route of the cache, for freeing */
} wx_route;

/* A cache over @p spec (borrowed, may be NULL: no endpoint is ever found). @p owner is
 * kept for wx_route_owner() and never touched. NULL when memory runs out. */
wx_route_cache *wx_route_cache_new(wx_spec_t *spec, void *owner);
/* Frees every route, template and spec resolution. No route may be in use. NULL is fine. */
void wx_route_cache_free(wx_route_cache *cache);

/* The root route (path ""). */
wx_route *wx_route_root(wx_route_cache *cache);
/* What wx_route_cache_new() was given as the owner (the client). */
void *wx_route_owner(const wx_route *r);

/* How a caller turns one raw segment into template text, appended to @p out.
 * variable: the spec tree says this position is a path variable, so the segment is a
 * value. Returns WX_OK, or an error with a message in *err. */
typedef wx_err (*wx_route_normalise_fn)(const char *seg, size_t len, int variable, wx_buf *out,
                                        wx_error_t *err);

/* The route @p text (raw, as wx_route_intern takes it) leads to from @p from if it was
 * interned before, else NULL. Lock-free, allocation-free: the warm chain's whole cost. */
wx_route *wx_route_find(const wx_route *from, const char *text, size_t len);

/* The route @p text (one or several '/'-separated raw segments) leads to from @p from.
 * Lock-free when the same text was asked before; otherwise each segment is normalised
 * with @p normalise and interned under the cache's lock, and @p face is written into
 * every route reached. A leading '/' from the root and a trailing '/' are ignored.
 * NULL with *err (required) set: WX_E_CHAIN for an empty path or segment or what
 * normalise refuses, WX_E_NOMEM. Thread-safe. */
wx_route *wx_route_intern(wx_route *from, const char *text, size_t len,
                          wx_route_normalise_fn normalise, const wx_node_t *face,
                          wx_error_t *err);

/* The route of @p path, template text used as is ("v3/certificates"): for the library's
 * own requests. Same errors as wx_route_intern(); routes found this way are reachable by
 * raw text only after a chain interns them. Thread-safe. */
wx_route *wx_route_at(wx_route_cache *cache, const char *path, wx_error_t *err);

/* The compiled template of a route, or NULL with *err set (a bad template). Thread-safe. */
const wx_uri_template_t *wx_route_template(wx_route *r, wx_error_t *err);

/* The spec resolution of a route for a method. Thread-safe. When memory ran out the
 * answer has rc WX_E_NOMEM and is not remembered (asked again next time). */
const wx_route_spec *wx_route_spec_for(wx_route *r, wx_method m);

/* 1 the first time it is asked for a route and method, 0 ever after: for what is said
 * once per client and operation. Thread-safe, lock-free. */
int wx_route_first_warning(wx_route *r, wx_method m);

#endif
