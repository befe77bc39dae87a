/* The route cache: interning paths into a tree of routes, each with its template and
 * its endpoint per method (route.h says who may call what, and from which thread). */
#include <pthread.h>
#include <string.h>

#include <json-c/json.h>

#include "route/route.h"
#include "spec/spec_internal.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strutil.h"

/* A table holds two kinds of key: a child's template segment, which decides which route
 * a segment is, and the raw text a caller wrote, which finds it again without
 * normalising. They are kept apart because the same text can be both and mean two
 * routes: in a variable position "a!b" is stored as the value "a%21b", while the raw
 * segment "a%21b" is the value "a%2521b". */
typedef enum wx_route_key { WX_ROUTE_KEY_SEGMENT = 1, WX_ROUTE_KEY_RAW = 2 } wx_route_key;

enum { WX_ROUTE_TABLE_FIRST_CAP = 8 };

typedef struct wx_route_slot {
    _Atomic(const char *) key;    /* set last, with release: the slot is then complete */
    size_t len;
    uint64_t hash;
    wx_route_key kind;
    wx_route *route;
} wx_route_slot;

struct wx_route_table {
    size_t cap;                   /* power of two */
    size_t count;
    wx_route_slot slots[];
};

struct wx_route_cache {
    pthread_mutex_t lock;         /* inserts and spec resolution */
    wx_arena arena;               /* routes, their paths and key tables */
    wx_spec_t *spec;              /* borrowed */
    void *owner;
    wx_route root;
};

/* ---------------------------------------------------------------- cache */

wx_route_cache *wx_route_cache_new(wx_spec_t *spec, void *owner)
{
    wx_route_cache *c = wx_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        wx_free(c);
        return NULL;
    }
    c->arena = (wx_arena)WX_ARENA_INIT;
    c->spec = spec;
    c->owner = owner;
    c->root.cache = c;
    c->root.path = "";
    return c;
}

void wx_route_cache_free(wx_route_cache *c)
{
    if (!c)
        return;
    for (wx_route *r = &c->root; r; r = r->next_all) {
        wx_uri_template_free(atomic_load(&r->tmpl));
        for (int m = 0; m < WX_METHOD_COUNT; m++) {
            if (r->spec[m].vars)
                json_object_put(r->spec[m].vars);
            wx_free(r->spec[m].err);
        }
    }
    wx_arena_free(&c->arena);
    pthread_mutex_destroy(&c->lock);
    wx_free(c);
}

wx_route *wx_route_root(wx_route_cache *c) { return &c->root; }

void *wx_route_owner(const wx_route *r) { return r && r->cache ? r->cache->owner : NULL; }

/* ---------------------------------------------------------------- keys */

static wx_route *key_find(const wx_route *r, wx_route_key kind, const char *key, size_t len,
                          uint64_t hash)
{
    wx_route_table *t = atomic_load_explicit(&((wx_route *)r)->keys, memory_order_acquire);
    if (!t)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const char *k = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
        if (!k)
            return NULL;
        if (t->slots[i].hash == hash && t->slots[i].kind == kind && t->slots[i].len == len &&
            memcmp(k, key, len) == 0)
            return t->slots[i].route;
    }
}

/* Place a complete slot in a table with room (caller holds the lock). */
static void slot_put(wx_route_table *t, const wx_route_slot *s, const char *key)
{
    size_t j = s->hash & (t->cap - 1);
    while (atomic_load_explicit(&t->slots[j].key, memory_order_relaxed))
        j = (j + 1) & (t->cap - 1);
    t->slots[j].len = s->len;
    t->slots[j].hash = s->hash;
    t->slots[j].kind = s->kind;
    t->slots[j].route = s->route;
    atomic_store_explicit(&t->slots[j].key, key, memory_order_release);
    t->count++;
}

/* A table of twice the size with the old one's keys, published in place of it. The old
 * table stays in the arena: readers may still be probing it. */
static wx_route_table *table_grow(wx_route_cache *c, wx_route *r, wx_route_table *t)
{
    size_t cap = t ? t->cap * 2 : WX_ROUTE_TABLE_FIRST_CAP;
    wx_route_table *nt = wx_arena_alloc(&c->arena, sizeof *nt + cap * sizeof nt->slots[0]);
    if (!nt)
        return NULL;
    nt->cap = cap;
    for (size_t i = 0; t && i < t->cap; i++) {
        const char *k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
        if (k)
            slot_put(nt, &t->slots[i], k);
    }
    atomic_store_explicit(&r->keys, nt, memory_order_release);
    return nt;
}

/* Caller holds the lock. 0 when memory runs out. */
static int key_add(wx_route_cache *c, wx_route *r, wx_route_key kind, const char *key, size_t len,
                   uint64_t hash, wx_route *target)
{
    wx_route_table *t = atomic_load_explicit(&r->keys, memory_order_relaxed);
    if ((!t || (t->count + 1) * 2 > t->cap) && !(t = table_grow(c, r, t)))
        return 0;
    const char *copy = wx_arena_strndup(&c->arena, key, len);
    if (!copy)
        return 0;
    wx_route_slot s = {.len = len, .hash = hash, .kind = kind, .route = target};
    slot_put(t, &s, copy);
    return 1;
}

/* ---------------------------------------------------------------- interning */

static wx_route *route_new(wx_route_cache *c, wx_route *parent, const char *seg, size_t len)
{
    wx_route *r = wx_arena_alloc(&c->arena, sizeof *r);
    size_t plen = parent->path_len ? parent->path_len + 1 + len : len;
    char *path = r ? wx_arena_alloc(&c->arena, plen + 1) : NULL;
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
    r->cache = c;
    r->parent = parent;
    r->path = path;
    r->path_len = plen;
    r->next_all = c->root.next_all;
    c->root.next_all = r;
    return r;
}

/* The child of @p parent for one template segment, created if new (caller holds the lock). */
static wx_route *child_of(wx_route_cache *c, wx_route *parent, const char *seg, size_t len,
                          wx_error_t *err)
{
    uint64_t h = wx_hash_bytes(seg, len);
    wx_route *r = key_find(parent, WX_ROUTE_KEY_SEGMENT, seg, len, h);
    if (!r && (!(r = route_new(c, parent, seg, len)) ||
               !key_add(c, parent, WX_ROUTE_KEY_SEGMENT, seg, len, h, r))) {
        wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a path segment");
        return NULL;
    }
    return r;
}

/* Does the spec tree make this position a path variable (so a value keeps its case)? */
static int variable_position(wx_route_cache *c, const wx_route *parent, const char *segment)
{
    return c->spec &&
           wx_spec_segment_kind(c->spec, parent->path, segment) == WX_SPEC_SEGMENT_VARIABLE;
}

/* Written before the route can be found by raw text: wx_route_find() readers take no
 * lock, so the face must be complete before the release that publishes the raw key. */
static void give_face(wx_route *r, const wx_node_t *face)
{
    if (r && face && !r->has_face) {
        r->face = *face;
        r->has_face = 1;
    }
}

/* One raw segment under parent (caller holds the lock): normalised, then interned by its
 * template segment, given its face, then remembered by its raw text. */
static wx_route *intern_raw(wx_route_cache *c, wx_route *parent, const char *raw, size_t len,
                            wx_route_normalise_fn normalise, const wx_node_t *face,
                            wx_error_t *err)
{
    uint64_t h = wx_hash_bytes(raw, len);
    wx_route *r = key_find(parent, WX_ROUTE_KEY_RAW, raw, len, h);
    if (r)
        return r;
    wx_buf seg = WX_BUF_INIT;
    wx_err rc = normalise(raw, len, 0, &seg, err);
    if (rc == WX_OK && wx_buf_ok(&seg) && variable_position(c, parent, seg.data)) {
        wx_buf_reset(&seg);
        rc = normalise(raw, len, 1, &seg, err);
    }
    if (rc == WX_OK && !wx_buf_ok(&seg))
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain segment");
    if (rc == WX_OK)
        r = child_of(c, parent, seg.data, seg.len, err);
    wx_buf_free(&seg);
    give_face(r, face);
    if (r && !key_add(c, parent, WX_ROUTE_KEY_RAW, raw, len, h, r)) {
        wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain segment");
        return NULL;
    }
    return r;
}

/* Walk @p text under @p from, segment by segment (caller holds the lock). Without a
 * normalise function segments are template text. */
static wx_route *walk(wx_route_cache *c, wx_route *from, const char *text, size_t len,
                      wx_route_normalise_fn normalise, const wx_node_t *face, wx_error_t *err)
{
    const char *p = text, *end = text + len;
    if (p < end && *p == '/' && from == &c->root)
        p++; /* "/v3/..." is accepted for "v3/..." */
    if (end > p && end[-1] == '/')
        end--; /* so is a trailing '/' */
    if (p == end) {
        wx_error_set(err, WX_E_CHAIN, "", "empty path \"%.*s\"", (int)(len > 80 ? 80 : len), text);
        return NULL;
    }
    wx_route *r = from;
    while (r && p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t seglen = slash ? (size_t)(slash - p) : (size_t)(end - p);
        if (seglen == 0) {
            wx_error_set(err, WX_E_CHAIN, "", "empty segment in path \"%.*s\"",
                         (int)(len > 80 ? 80 : len), text);
            return NULL;
        }
        r = normalise ? intern_raw(c, r, p, seglen, normalise, face, err)
                      : child_of(c, r, p, seglen, err);
        give_face(r, face);
        p += seglen + (slash ? 1 : 0);
    }
    return r;
}

wx_route *wx_route_find(const wx_route *from, const char *text, size_t len)
{
    return key_find(from, WX_ROUTE_KEY_RAW, text, len, wx_hash_bytes(text, len));
}

wx_route *wx_route_intern(wx_route *from, const char *text, size_t len,
                          wx_route_normalise_fn normalise, const wx_node_t *face, wx_error_t *err)
{
    uint64_t h = wx_hash_bytes(text, len);
    wx_route *r = key_find(from, WX_ROUTE_KEY_RAW, text, len, h);
    if (r)
        return r;
    wx_route_cache *c = from->cache;
    pthread_mutex_lock(&c->lock);
    r = walk(c, from, text, len, normalise, face, err);
    /* A whole multi-segment text is remembered too, so it is found in one probe. */
    if (r && memchr(text, '/', len) && !key_find(from, WX_ROUTE_KEY_RAW, text, len, h) &&
        !key_add(c, from, WX_ROUTE_KEY_RAW, text, len, h, r)) {
        wx_error_set(err, WX_E_NOMEM, "", "out of memory interning a chain path");
        r = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

wx_route *wx_route_at(wx_route_cache *c, const char *path, wx_error_t *err)
{
    pthread_mutex_lock(&c->lock);
    wx_route *r = walk(c, &c->root, path, strlen(path), NULL, NULL, err);
    pthread_mutex_unlock(&c->lock);
    return r;
}

/* ---------------------------------------------------------------- per route */

const wx_uri_template_t *wx_route_template(wx_route *r, wx_error_t *err)
{
    wx_uri_template_t *t = atomic_load_explicit(&r->tmpl, memory_order_acquire);
    if (t)
        return t;
    wx_err rc = wx_uri_template_parse(r->path, &t, err);
    if (rc != WX_OK) {
        if (err)
            wx_error_prefix(err, "path template \"%.200s\"", r->path);
        return NULL;
    }
    wx_uri_template_t *expected = NULL;
    if (!atomic_compare_exchange_strong(&r->tmpl, &expected, t)) {
        wx_uri_template_free(t); /* another thread won */
        return expected;
    }
    return t;
}

/* Ask the spec tree (caller holds the lock). WX_E_NOMEM leaves @p s unresolved. */
static wx_err resolve(wx_route_cache *c, const wx_route *r, wx_method m, wx_route_spec *s)
{
    s->rc = WX_E_NOT_FOUND;
    if (!c->spec)
        return WX_OK;
    wx_error_t err;
    wx_error_clear(&err);
    struct json_object *vars = NULL;
    const wx_endpoint_t *ep = NULL;
    wx_err rc = wx_spec_find(c->spec, wx_method_name(m), r->path, &ep, &vars, &err);
    if (rc == WX_OK) {
        s->rc = WX_OK;
        s->ep = ep;
        s->vars = vars;
        return WX_OK;
    }
    if (vars)
        json_object_put(vars);
    if (rc == WX_E_NOMEM)
        return rc; /* not an answer about the spec: try again next time */
    s->rc = rc;
    if (rc != WX_E_NOT_FOUND && (s->err = wx_malloc(sizeof *s->err)))
        *s->err = err;
    return WX_OK;
}

const wx_route_spec *wx_route_spec_for(wx_route *r, wx_method m)
{
    static const wx_route_spec k_nomem = {.rc = WX_E_NOMEM};
    wx_route_spec *s = &r->spec[m];
    if (atomic_load_explicit(&s->resolved, memory_order_acquire))
        return s;
    wx_route_cache *c = r->cache;
    const wx_route_spec *answer = s;
    pthread_mutex_lock(&c->lock);
    if (!atomic_load_explicit(&s->resolved, memory_order_relaxed)) {
        if (resolve(c, r, m, s) == WX_E_NOMEM)
            answer = &k_nomem;
        else
            atomic_store_explicit(&s->resolved, 1, memory_order_release);
    }
    pthread_mutex_unlock(&c->lock);
    return answer;
}

int wx_route_first_warning(wx_route *r, wx_method m)
{
    return !atomic_exchange(&r->spec[m].warned, 1);
}
