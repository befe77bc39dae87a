/* wx_spec_lint: every file of every source loaded eagerly, one report per endpoint and
 * per broken file, in path order. */
#include "spec/spec_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include <wechatpay/sys/spec.h>

typedef struct lint_entry {
    char *sort_path; /* "/v3/industry-coupon/tokens" */
    wx_lint_item_t item;
} lint_entry;

typedef struct lint_acc {
    lint_entry *items;
    size_t n, cap;
    int nomem;
} lint_acc;

static lint_entry *add(lint_acc *a, const char *rel, size_t ext)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        lint_entry *items = wx_realloc(a->items, cap * sizeof *items);
        if (!items) {
            a->nomem = 1;
            return NULL;
        }
        a->items = items;
        a->cap = cap;
    }
    size_t n = strlen(rel) - ext;
    char *p = wx_malloc(n + 2);
    if (!p) {
        a->nomem = 1;
        return NULL;
    }
    p[0] = '/';
    memcpy(p + 1, rel, n);
    p[n + 1] = 0;
    lint_entry *e = &a->items[a->n++];
    memset(e, 0, sizeof *e);
    e->sort_path = p;
    return e;
}

/* A problem line: an error or a warning, with what it degrades (an operation and how, or
 * NULL) said in the item and at the end of its message. Strings live in the spec's arena. */
static void problem(wx_spec_t *spec, lint_acc *a, const char *rel, size_t ext,
                    const wx_spec_problem *p, int warning, const wx_endpoint_t *ep,
                    const char *how)
{
    lint_entry *e = add(a, rel, ext);
    if (!e)
        return;
    char degrades[600], message[1400];
    degrades[0] = 0;
    if (ep)
        snprintf(degrades, sizeof degrades, "%s %s: %s", ep->method, ep->tmpl, how);
    snprintf(message, sizeof message, "%s%s%s%s%s", warning ? "warning: " : "", p->message,
             ep ? " [degrades " : "", degrades, ep ? "]" : "");
    e->item.is_error = 1;
    e->item.is_warning = warning;
    e->item.file = wx_spec_arena_strdup(&spec->arena, p->file);
    e->item.where = wx_spec_arena_strdup(&spec->arena, p->keypath);
    e->item.message = wx_spec_arena_strdup(&spec->arena, message);
    e->item.degrades = ep ? wx_spec_arena_strdup(&spec->arena, degrades) : NULL;
    if (!e->item.file || !e->item.where || !e->item.message || (ep && !e->item.degrades))
        a->nomem = 1;
}

/* A file that compiled: its endpoints, the operations a defect left out, and the
 * responses it switched off. */
static void ready_file(wx_spec_t *spec, lint_acc *a, const wx_child *ch, const wx_route_file *rf)
{
    size_t ext = ch->file_rank == 2 ? 4 : 5;
    for (size_t k = 0; k < rf->neps && !a->nomem; k++) {
        const wx_endpoint_t *ep = rf->eps[k];
        lint_entry *e = add(a, ch->file_rel, ext);
        if (!e)
            break;
        e->item.method = ep->method;
        e->item.tmpl = ep->tmpl;
        e->item.file = ep->file;
        if (ep->resp_problem)
            problem(spec, a, ch->file_rel, ext, ep->resp_problem, 1, ep,
                    "responses not validated");
    }
    for (size_t k = 0; k < rf->nbroken && !a->nomem; k++) {
        /* The operation is absent: a stand-in endpoint names it. */
        wx_endpoint_t stand_in;
        memset(&stand_in, 0, sizeof stand_in);
        stand_in.method = rf->broken[k].method;
        stand_in.tmpl = rf->broken[k].tmpl;
        problem(spec, a, ch->file_rel, ext, &rf->broken[k].problem, 0, &stand_in,
                "not available");
    }
}

typedef struct meta_ctx {
    wx_spec_t *spec;
    lint_acc *a;
    const wx_child *ch;
    size_t first; /* the file's first entry: what the compiler already said about it */
} meta_ctx;

static void on_meta(void *ud, const char *file, const char *keypath, int warning,
                    const char *method, int response, const char *message)
{
    meta_ctx *m = ud;
    /* The compiler's own report of the same place says it already, with what it costs. */
    for (size_t i = m->first; i < m->a->n; i++) {
        const wx_lint_item_t *it = &m->a->items[i].item;
        if (it->is_error && it->file && strcmp(it->file, file) == 0 && it->where &&
            strcmp(it->where, keypath) == 0)
            return;
    }
    wx_spec_problem p;
    wx_problem_set(&p, WX_E_SPEC, file, keypath, "%s", message);
    wx_endpoint_t op;
    memset(&op, 0, sizeof op);
    char upper[8] = {0};
    for (size_t k = 0; method && method[k] && k < sizeof upper - 1; k++)
        upper[k] = (char)(method[k] >= 'a' && method[k] <= 'z' ? method[k] - 32 : method[k]);
    op.method = upper;
    op.tmpl = m->ch->route.eps && m->ch->route.neps ? m->ch->route.eps[0]->tmpl
              : m->ch->route.nbroken                 ? m->ch->route.broken[0].tmpl
                                                     : NULL;
    size_t ext = m->ch->file_rank == 2 ? 4 : 5;
    /* A meta-schema slip validation can live with costs nothing; one the compiler refuses
     * costs the operation (an error) or, reached from a response, only its response
     * validation (a warning). */
    problem(m->spec, m->a, m->ch->file_rel, ext, &p, warning || response,
            warning || !op.tmpl ? NULL : &op,
            response ? "responses not validated" : "not available");
}

static void meta_lint(wx_spec_t *spec, lint_acc *a, const wx_child *ch, size_t first,
                      wx_meta_seen *seen)
{
    wx_spec_problem prob;
    memset(&prob, 0, sizeof prob);
    wx_doc *doc = wx_spec_doc(spec, ch->file_rel, &prob);
    if (!doc)
        return;
    meta_ctx m = {spec, a, ch, first};
    wx_meta_lint_route(spec, doc, seen, on_meta, &m);
    if (seen->nomem)
        a->nomem = 1;
}

static void visit(wx_spec_t *spec, wx_dir *d, lint_acc *a, wx_meta_seen *seen)
{
    if (wx_dir_list(spec, d, NULL) != WX_OK) {
        a->nomem = 1;
        return;
    }
    for (size_t i = 0; i < d->n && !a->nomem; i++) {
        wx_child *ch = &d->children[i];
        if (ch->file_rel) {
            wx_route_file *rf = wx_child_route(spec, ch);
            size_t ext = ch->file_rank == 2 ? 4 : 5;
            if (rf->state == WX_ROUTE_UNREAD) {
                /* Out of memory: WX_E_NOMEM, not a broken file. */
                a->nomem = 1;
                break;
            }
            size_t first = a->n;
            if (rf->state == WX_ROUTE_READY) {
                ready_file(spec, a, ch, rf);
                meta_lint(spec, a, ch, first, seen);
            } else {
                lint_entry *e = add(a, ch->file_rel, ext);
                if (e) {
                    e->item.is_error = 1;
                    e->item.file = rf->problem.file;
                    e->item.where = rf->problem.keypath;
                    e->item.message = rf->problem.message;
                }
            }
        }
        if (ch->dir)
            visit(spec, ch->dir, a, seen);
    }
}

static int cmp_entry(const void *x, const void *y)
{
    const lint_entry *a = x, *b = y;
    int c = strcmp(a->sort_path, b->sort_path);
    if (c)
        return c;
    if (a->item.is_error != b->item.is_error)
        return a->item.is_error - b->item.is_error;
    if (a->item.is_warning != b->item.is_warning)
        return a->item.is_warning - b->item.is_warning; /* errors before warnings */
    if ((c = strcmp(a->item.method ? a->item.method : "", b->item.method ? b->item.method : "")))
        return c;
    if ((c = strcmp(a->item.file ? a->item.file : "", b->item.file ? b->item.file : "")))
        return c;
    return strcmp(a->item.where ? a->item.where : "", b->item.where ? b->item.where : "");
}

wx_err wx_spec_lint(wx_spec_t *spec, void (*cb)(void *ud, const wx_lint_item_t *item), void *ud,
                    size_t *endpoints, size_t *errors)
{
    if (endpoints)
        *endpoints = 0;
    if (errors)
        *errors = 0;
    if (!spec)
        return WX_E_INVALID_ARG;
    lint_acc a = {0};
    pthread_mutex_lock(&spec->lock);
    wx_meta_seen seen = {NULL, 0, 0, 0};
    visit(spec, spec->root, &a, &seen);
    wx_free(seen.items);
    pthread_mutex_unlock(&spec->lock);
    if (a.n)
        qsort(a.items, a.n, sizeof *a.items, cmp_entry);
    size_t neps = 0, nerr = 0;
    /* What the items point to lives in the spec set, so the lock is not held here and
     * the callback may use the set. */
    for (size_t i = 0; i < a.n; i++) {
        if (!a.items[i].item.is_error)
            neps++;
        else if (!a.items[i].item.is_warning)
            nerr++;
        if (cb)
            cb(ud, &a.items[i].item);
    }
    for (size_t i = 0; i < a.n; i++)
        wx_free(a.items[i].sort_path);
    wx_free(a.items);
    if (endpoints)
        *endpoints = neps;
    if (errors)
        *errors = nerr;
    if (a.nomem)
        return WX_E_NOMEM;
    return nerr ? WX_E_SPEC : WX_OK;
}
