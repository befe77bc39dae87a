/* Violation lists and the paths they print: `coupon_list[0].stock_id`. */
#include "spec/spec_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/strutil.h"

wx_violations_t *wx_violations_new(void)
{
    return wx_calloc(1, sizeof(wx_violations_t));
}

/* The same violation can be found twice (two allOf branches requiring one field); a hash
 * index keeps the check for it constant-time, so a body with many bad items stays linear. */
static size_t violation_hash(wx_location loc, const char *path, const char *reason)
{
    uint64_t h = wx_hash_bytes(path, strlen(path));
    h = (h ^ wx_hash_bytes(reason, strlen(reason))) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29) ^ (uint64_t)loc);
}

/* The index slot of an equal violation, or the free slot where it would go. */
static size_t *index_slot(const wx_violations_t *v, wx_location loc, const char *path,
                          const char *reason)
{
    size_t mask = v->index_cap - 1;
    for (size_t i = violation_hash(loc, path, reason) & mask;; i = (i + 1) & mask) {
        size_t k = v->index[i];
        if (!k)
            return &v->index[i];
        const wx_violation_t *x = &v->items[k - 1];
        if (x->location == loc && strcmp(x->path, path) == 0 && strcmp(x->reason, reason) == 0)
            return &v->index[i];
    }
}

static int index_grow(wx_violations_t *v)
{
    size_t cap = v->index_cap ? v->index_cap * 2 : 16;
    size_t *index = wx_calloc(cap, sizeof *index);
    if (!index)
        return -1;
    wx_free(v->index);
    v->index = index;
    v->index_cap = cap;
    for (size_t k = 0; k < v->n; k++) {
        const wx_violation_t *x = &v->items[k];
        *index_slot(v, x->location, x->path, x->reason) = k + 1;
    }
    return 0;
}

int wx_violations_add(wx_violations_t *v, wx_location loc, const char *path, const char *reason)
{
    if ((v->n + 1) * 2 > v->index_cap && index_grow(v) != 0) {
        v->nomem = 1;
        return -1;
    }
    size_t *slot = index_slot(v, loc, path, reason);
    if (*slot)
        return 0;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        wx_violation_t *items = wx_realloc(v->items, cap * sizeof *items);
        if (!items) {
            v->nomem = 1;
            return -1;
        }
        v->items = items;
        v->cap = cap;
    }
    char *p = wx_strdup(path);
    char *r = wx_strdup(reason);
    if (!p || !r) {
        wx_free(p);
        wx_free(r);
        v->nomem = 1;
        return -1;
    }
    v->items[v->n++] = (wx_violation_t){loc, p, r};
    *slot = v->n;
    return 0;
}

size_t wx_violations_count(const wx_violations_t *v) { return v ? v->n : 0; }

const wx_violation_t *wx_violations_at(const wx_violations_t *v, size_t i)
{
    return v && i < v->n ? &v->items[i] : NULL;
}

void wx_violations_free(wx_violations_t *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        wx_free((void *)v->items[i].path);
        wx_free((void *)v->items[i].reason);
    }
    wx_free(v->items);
    wx_free(v->index);
    wx_free(v);
}

void wx_vctx_init(wx_vctx *c, wx_violations_t *out, wx_location loc, const char *root_name,
                  const char *prefix)
{
    c->out = out;
    c->loc = loc;
    c->root_name = root_name;
    c->prefix = prefix;
    c->depth = 0;
    c->count = 0;
    c->xml_text = 0;
}

static void put_key(wx_buf *b, const char *key)
{
    if (wx_plain_key(key)) {
        if (b->len)
            wx_buf_putc(b, '.');
        wx_buf_puts(b, key);
    } else {
        wx_buf_puts(b, "[\"");
        wx_buf_puts(b, key);
        wx_buf_puts(b, "\"]");
    }
}

/* The path is only formatted when something is wrong, so valid input costs nothing. */
void wx_vctx_report(wx_vctx *c, const char *key, const char *reason)
{
    c->count++;
    if (!c->out)
        return;
    wx_buf b = WX_BUF_INIT;
    if (c->depth == 0 && !key) {
        wx_buf_puts(&b, c->root_name);
    } else {
        wx_buf_puts(&b, c->prefix);
        for (int i = 0; i < c->depth; i++) {
            if (c->path[i].key)
                put_key(&b, c->path[i].key);
            else
                wx_buf_printf(&b, "[%zu]", c->path[i].index);
        }
        if (key)
            put_key(&b, key);
    }
    if (wx_buf_ok(&b))
        wx_violations_add(c->out, c->loc, wx_buf_str(&b), reason);
    else
        c->out->nomem = 1;
    wx_buf_free(&b);
}

void wx_vctx_reportf(wx_vctx *c, const char *key, const char *fmt, ...)
{
    if (!c->out) {
        c->count++;
        return;
    }
    char reason[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    wx_vctx_report(c, key, reason);
}
