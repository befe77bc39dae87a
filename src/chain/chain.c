/* The chain runtime: interning nodes per client, the thread-local cursor that lets
 * `->seg(...)` and `->post(...)` find their receiver, and the verbs.
 *
 * Why a cursor: C has no closures, so a function pointer member cannot see the
 * struct it was read from. Every call that returns a node sets the calling thread's
 * cursor to it, and the member functions act on the cursor. Within one expression,
 * `a->seg(x)` is evaluated before the next `->seg` is read, so the cursor is always
 * the receiver. The explicit forms (wx_seg, wx_request) take the node instead. */
#include <string.h>

#include <json-c/json.h>

#include "chain/node.h"
#include "spec/spec_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static _Thread_local wx_node_impl *t_cursor;
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
static wx_node_impl g_error_node = {.pub = WX_NODE_METHODS, .path = "", .path_len = 0};

int wx_node_is_error(const wx_node_t *n) { return n == &g_error_node.pub; }

const wx_error_t *wx_chain_error(void) { return &t_chain_err; }

static wx_node_t *fail(wx_err code, const char *why)
{
    wx_error_clear(&t_chain_err);
    wx_error_set(&t_chain_err, code, "", "%s", why);
    t_cursor = &g_error_node;
    return &g_error_node.pub;
}

static wx_node_t *fail_with(const wx_error_t *err)
{
    wx_error_copy(&t_chain_err, err);
    t_cursor = &g_error_node;
    return &g_error_node.pub;
}

static wx_node_t *cursor_node(void)
{
    if (!t_cursor)
        return fail(WX_E_CHAIN, "no chain on this thread: start with wx_chain(client, path)");
    return &t_cursor->pub;
}

/* ---------------------------------------------------------------- lookup */

static wx_node_impl *alias_find(wx_node_impl *n, int kind, const char *key, size_t len,
                                uint64_t hash)
{
    wx_alias_table *t = atomic_load_explicit(&n->aliases, memory_order_acquire);
    if (!t)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const char *k = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
        if (!k)
            return NULL;
        if (t->slots[i].hash == hash && t->slots[i].kind == kind && t->slots[i].len == len &&
            memcmp(k, key, len) == 0)
            return t->slots[i].node;
    }
}

/* Caller holds chain_lock. */
static int alias_add(wx_client_t *c, wx_node_impl *n, int kind, const char *key, size_t len,
                     uint64_t hash, wx_node_impl *target)
{
    wx_alias_table *t = atomic_load_explicit(&n->aliases, memory_order_relaxed);
    if (!t || (t->count + 1) * 2 > t->cap) {
        size_t cap = t ? t->cap * 2 : 8;
        wx_alias_table *nt =
            wx_arena_alloc(&c->chain_arena, sizeof *nt + cap * sizeof nt->slots[0]);
        if (!nt)
            return 0;
        nt->cap = cap;
        for (size_t i = 0; t && i < t->cap; i++) {
            const char *k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
            if (!k)
                continue;
            size_t j = t->slots[i].hash & (cap - 1);
            while (atomic_load_explicit(&nt->slots[j].key, memory_order_relaxed))
                j = (j + 1) & (cap - 1);
            nt->slots[j].len = t->slots[i].len;
            nt->slots[j].hash = t->slots[i].hash;
            nt->slots[j].kind = t->slots[i].kind;
            nt->slots[j].node = t->slots[i].node;
            atomic_store_explicit(&nt->slots[j].key, k, memory_order_relaxed);
            nt->count++;
        }
        /* The old table stays in the arena: readers may still be probing it. */
        atomic_store_explicit(&n->aliases, nt, memory_order_release);
        t = nt;
    }
    const char *copy = wx_arena_strndup(&c->chain_arena, key, len);
    if (!copy)
        return 0;
    size_t j = hash & (t->cap - 1);
    while (atomic_load_explicit(&t->slots[j].key, memory_order_relaxed))
        j = (j + 1) & (t->cap - 1);
    t->slots[j].len = len;
    t->slots[j].hash = hash;
    t->slots[j].kind = kind;
    t->slots[j].node = target;
    atomic_store_explicit(&t->slots[j].key, copy, memory_order_release);
    t->count++;
    return 1;
}

static wx_node_impl *node_new(wx_client_t *c, wx_node_impl *parent, const char *seg, size_t len)
{
    wx_node_impl *n = wx_arena_alloc(&c->chain_arena, sizeof *n);
    if (!n)
        return NULL;
    size_t plen = parent->path_len ? parent->path_len + 1 + len : len;
    char *path = wx_arena_alloc(&c->chain_arena, plen + 1);
    if (!path)
        return NULL;
    if (parent->path_len) {
        memcpy(path, parent->path, parent->path_len);
        path[parent->path_len] = '/';
        memcpy(path + parent->path_len + 1, seg, len);
    } else {
        memcpy(path, seg, len);
    }
    path[plen] = 0;
    n->pub = k_methods;
    n->client = c;
    n->parent = parent;
    n->path = path;
    n->path_len = plen;
    n->next_all = c->root->next_all;
    c->root->next_all = n;
    return n;
}

/* Does the spec tree make this position a variable (so a value keeps its case)? */
static int variable_position(wx_client_t *c, wx_node_impl *parent, const char *normalised)
{
    if (!c->spec)
        return 0;
    return wx_spec_segment_kind(c->spec, parent->path, normalised) == 2;
}

/* Caller holds chain_lock. One raw segment under parent. */
static wx_node_impl *intern_one(wx_client_t *c, wx_node_impl *parent, const char *raw, size_t len,
                                wx_error_t *err)
{
    uint64_t h = wx_hash_bytes(raw, len);
    wx_node_impl *n = alias_find(parent, WX_KEY_RAW, raw, len, h);
    if (n)
        return n;
    wx_buf norm = WX_BUF_INIT;
    wx_err rc = wx_segment_normalise(raw, len, 0, &norm, err);
    if (rc == WX_OK && wx_buf_ok(&norm) && variable_position(c, parent, norm.data)) {
        wx_buf_reset(&norm);
        rc = wx_segment_normalise(raw, len, 1, &norm, err);
    }
    if (rc == WX_OK && !wx_buf_ok(&norm))
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain segment");
    if (rc != WX_OK) {
        wx_buf_free(&norm);
        return NULL;
    }
    uint64_t nh = wx_hash_bytes(norm.data, norm.len);
    n = alias_find(parent, WX_KEY_CHILD, norm.data, norm.len, nh);
    if (!n) {
        n = node_new(c, parent, norm.data, norm.len);
        if (!n || !alias_add(c, parent, WX_KEY_CHILD, norm.data, norm.len, nh, n)) {
            wx_buf_free(&norm);
            wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain segment");
            return NULL;
        }
    }
    if (!alias_add(c, parent, WX_KEY_RAW, raw, len, h, n))
        n = NULL;
    wx_buf_free(&norm);
    if (!n)
        wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain segment");
    return n;
}

/* Slow path: walk a raw (possibly multi-segment) string under start, interning as
 * needed, then remember the whole string as an alias of the node it leads to. */
static wx_node_impl *intern_path(wx_node_impl *start, const char *raw, size_t len,
                                 wx_error_t *err)
{
    wx_client_t *c = start->client;
    pthread_mutex_lock(&c->chain_lock);
    wx_node_impl *n = start;
    const char *p = raw, *end = raw + len;
    if (p < end && *p == '/' && start == c->root)
        p++; /* "/v3/..." is accepted for "v3/..." */
    if (end > p && end[-1] == '/')
        end--; /* so is a trailing '/' */
    if (p == end) {
        wx_error_set(err, WX_E_CHAIN, "", "empty chain path \"%.*s\"", (int)(len > 80 ? 80 : len),
                     raw);
        n = NULL;
    }
    while (n && p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t seglen = slash ? (size_t)(slash - p) : (size_t)(end - p);
        if (seglen == 0) {
            wx_error_set(err, WX_E_CHAIN, "", "empty segment in chain path \"%.*s\"",
                         (int)(len > 80 ? 80 : len), raw);
            n = NULL;
            break;
        }
        n = intern_one(c, n, p, seglen, err);
        p += seglen + (slash ? 1 : 0);
    }
    if (n && n != start && memchr(raw, '/', len) &&
        !alias_add(c, start, WX_KEY_RAW, raw, len, wx_hash_bytes(raw, len), n)) {
        wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain path");
        n = NULL;
    }
    pthread_mutex_unlock(&c->chain_lock);
    return n;
}

/* ---------------------------------------------------------------- public */

/* The node @p segment (one or several segments) leads to from @p n: the lock-free
 * lookup of what was asked before, else interning. NULL with *err set on failure. */
static wx_node_impl *descend(wx_node_impl *n, const char *segment, wx_error_t *err)
{
    size_t len = strlen(segment);
    wx_node_impl *child = alias_find(n, WX_KEY_RAW, segment, len, wx_hash_bytes(segment, len));
    return child ? child : intern_path(n, segment, len, err);
}

wx_node_impl *wx_chain_find(wx_client_t *c, const char *path, wx_error_t *err)
{
    return descend(c->root, path, err);
}

wx_node_t *wx_seg(wx_node_t *node, const char *segment)
{
    if (!node)
        return fail(WX_E_INVALID_ARG, "wx_seg: node is NULL");
    if (wx_node_is_error(node)) {
        t_cursor = &g_error_node; /* the first failure is the one reported */
        return node;
    }
    if (!segment)
        return fail(WX_E_CHAIN, "chain segment is NULL");
    wx_error_t err;
    wx_error_clear(&err);
    wx_node_impl *child = descend((wx_node_impl *)node, segment, &err);
    if (!child)
        return fail_with(&err);
    t_cursor = child;
    return &child->pub;
}

wx_node_t *wx_chain(wx_client_t *client, const char *path)
{
    if (!client)
        return fail(WX_E_INVALID_ARG, "wx_chain: client is NULL");
    if (!path)
        return fail(WX_E_CHAIN, "wx_chain: path is NULL");
    return wx_seg(&client->root->pub, path);
}

wx_node_t *wx_at(wx_client_t *client, const char *path) { return wx_chain(client, path); }

const char *wx_node_path(const wx_node_t *node)
{
    return node ? ((const wx_node_impl *)node)->path : "";
}

wx_client_t *wx_node_client(const wx_node_t *node)
{
    return node ? ((const wx_node_impl *)node)->client : NULL;
}

const char *wx_method_name(wx_method m)
{
    static const char *const names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    return (unsigned)m < 5 ? names[m] : NULL;
}

/* ---------------------------------------------------------------- nodes */

wx_node_impl *wx_chain_root_new(wx_client_t *c)
{
    wx_node_impl *r = wx_arena_alloc(&c->chain_arena, sizeof *r);
    if (!r)
        return NULL;
    r->pub = k_methods;
    r->client = c;
    r->path = "";
    return r;
}

void wx_chain_free_nodes(wx_client_t *c)
{
    for (wx_node_impl *n = c->root; n; n = n->next_all) {
        wx_uri_template_free(atomic_load(&n->tmpl));
        for (int m = 0; m < 5; m++) {
            if (n->spec[m].vars)
                json_object_put(n->spec[m].vars);
            wx_free(n->spec[m].err);
        }
    }
}

const wx_uri_template_t *wx_node_template(wx_node_impl *n, wx_error_t *err)
{
    wx_uri_template_t *t = atomic_load_explicit(&n->tmpl, memory_order_acquire);
    if (t)
        return t;
    wx_err rc = wx_uri_template_parse(n->path, &t, err);
    if (rc != WX_OK) {
        if (err)
            wx_error_prefix(err, "path template \"%.200s\"", n->path);
        return NULL;
    }
    wx_uri_template_t *expected = NULL;
    if (!atomic_compare_exchange_strong(&n->tmpl, &expected, t)) {
        wx_uri_template_free(t); /* another thread won */
        return expected;
    }
    return t;
}

const wx_node_spec *wx_node_spec_for(wx_node_impl *n, wx_method m)
{
    wx_node_spec *s = &n->spec[m];
    if (atomic_load_explicit(&s->state, memory_order_acquire))
        return s;
    wx_client_t *c = n->client;
    pthread_mutex_lock(&c->chain_lock);
    if (!atomic_load_explicit(&s->state, memory_order_relaxed)) {
        s->rc = WX_E_NOT_FOUND;
        if (c->spec) {
            wx_error_t err;
            wx_error_clear(&err);
            struct json_object *vars = NULL;
            const wx_endpoint_t *ep = NULL;
            wx_err rc = wx_spec_find(c->spec, wx_method_name(m), n->path, &ep, &vars, &err);
            if (rc == WX_E_NOMEM) {
                /* Not an answer about the spec: leave it unresolved, try again next time. */
                static const wx_node_spec k_nomem = {.rc = WX_E_NOMEM};
                if (vars)
                    json_object_put(vars);
                pthread_mutex_unlock(&c->chain_lock);
                return &k_nomem;
            }
            s->rc = rc;
            if (s->rc == WX_OK) {
                s->ep = ep;
                s->vars = vars;
            } else {
                if (vars)
                    json_object_put(vars);
                if (s->rc != WX_E_NOT_FOUND) {
                    s->err = wx_malloc(sizeof *s->err);
                    if (s->err)
                        *s->err = err;
                }
            }
        }
        atomic_store_explicit(&s->state, 1, memory_order_release);
    }
    pthread_mutex_unlock(&c->chain_lock);
    return s;
}
