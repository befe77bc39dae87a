/* Chain nodes inside: a node is one path in the client's interned tree. Lookups are
 * lock-free (tables are published with release stores and never changed in place
 * except by filling an empty slot); inserts take the client's chain_lock. */
#ifndef WX_CHAIN_NODE_H
#define WX_CHAIN_NODE_H

#include <stdatomic.h>
#include <stdint.h>

#include <wechatpay/chain.h>

#include "client/client_internal.h"
#include "util/buf.h"

struct json_object;

/* A table holds two kinds of key: a child's normalised segment, which decides which
 * node a segment is, and the raw text a caller wrote, which finds it again without
 * normalising. They are kept apart because the same text can be both and mean two
 * nodes: in a variable position "a!b" is stored as the value "a%21b", while the raw
 * segment "a%21b" is the value "a%2521b". */
enum { WX_KEY_CHILD = 1, WX_KEY_RAW = 2 };

typedef struct wx_alias_slot {
    _Atomic(const char *) key;    /* set last, with release: the slot is then complete */
    size_t len;
    uint64_t hash;
    int kind;                     /* WX_KEY_CHILD or WX_KEY_RAW */
    struct wx_node_impl *node;
} wx_alias_slot;

typedef struct wx_alias_table {
    size_t cap;                   /* power of two */
    size_t count;
    wx_alias_slot slots[];
} wx_alias_table;

/* What the spec tree says about a node for one method, resolved once. */
typedef struct wx_node_spec {
    _Atomic int state;            /* 0 unresolved, 1 resolved */
    wx_err rc;                    /* WX_OK, WX_E_NOT_FOUND or WX_E_SPEC */
    const wx_endpoint_t *ep;
    struct json_object *vars;     /* path variables taken from a concrete path */
    wx_error_t *err;              /* detail when rc == WX_E_SPEC */
} wx_node_spec;

typedef struct wx_node_impl {
    wx_node_t pub;                /* must be first: wx_node_t * <-> wx_node_impl * */
    wx_client_t *client;
    struct wx_node_impl *parent;
    const char *path;             /* "v3/industry-coupon/tokens" (template text) */
    size_t path_len;
    _Atomic(wx_alias_table *) aliases;  /* segment text -> child, by kind of key */
    _Atomic(wx_uri_template_t *) tmpl;  /* compiled lazily */
    wx_node_spec spec[5];         /* by wx_method */
    struct wx_node_impl *next_all; /* every node of the client, for freeing */
} wx_node_impl;

/* Create the root node of a client (path ""). */
wx_node_impl *wx_chain_root_new(wx_client_t *c);
/* Free what nodes own outside the arena (templates, spec vars). */
void wx_chain_free_nodes(wx_client_t *c);

/* The node of @p path ("v3/certificates"), interned as wx_chain() does but leaving the
 * calling thread's cursor alone: for the library's own requests, made inside a caller's
 * call. NULL with *err (required) set for a bad path or when memory runs out. */
wx_node_impl *wx_chain_find(wx_client_t *c, const char *path, wx_error_t *err);

/* The compiled template of a node (NULL with *err set on failure). */
const wx_uri_template_t *wx_node_template(wx_node_impl *n, wx_error_t *err);
/* The spec resolution of a node for a method. */
const wx_node_spec *wx_node_spec_for(wx_node_impl *n, wx_method m);

/* Normalise one segment by the PHP SDK's rules into template text (appended to out).
 * keep_case: the spec says this position is a variable, so a plain value is kept
 * verbatim (percent-encoded as needed). Returns WX_OK or WX_E_CHAIN with a message. */
wx_err wx_segment_normalise(const char *seg, size_t len, int keep_case, wx_buf *out,
                            wx_error_t *err);

/* 1 when the node is the shared error node. */
int wx_node_is_error(const wx_node_t *n);
/* The error remembered for the error node on this thread. */
const wx_error_t *wx_chain_error(void);

#endif
