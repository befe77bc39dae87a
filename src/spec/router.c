/* Routing a method and a path to an endpoint, and the segment question the chain layer
 * asks. A literal child wins over a {variable} one; when the literal branch does not
 * describe the path (or lacks the method), the variable branches are tried. */
#include "spec/spec_impl.h"

#include <stdio.h>
#include <string.h>

#include "spec/spec_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define WX_MAX_SEGMENTS 64

typedef struct seg {
    const char *s;
    size_t n;
} seg;

static int is_var_seg(seg g) { return g.n >= 2 && g.s[0] == '{' && g.s[g.n - 1] == '}'; }

/* Splits "/v3/a/b?x=1" into segments; -1 when there are too many. */
static int split(const char *path, seg *segs)
{
    int n = 0;
    const char *p = path;
    while (*p && *p != '?' && *p != '#') {
        while (*p == '/')
            p++;
        if (!*p || *p == '?' || *p == '#')
            break;
        const char *start = p;
        while (*p && *p != '/' && *p != '?' && *p != '#')
            p++;
        if (n == WX_MAX_SEGMENTS)
            return -1;
        segs[n++] = (seg){start, (size_t)(p - start)};
    }
    return n;
}

typedef struct binding {
    const wx_child *child; /* the {variable} child */
    seg value;
} binding;

typedef struct route_state {
    wx_spec_t *spec;
    const char *method;
    seg *segs;
    int n;
    binding vars[WX_MAX_SEGMENTS];
    int nvars;
    const wx_endpoint_t *found;
    wx_error_t *err;
    wx_err error; /* a broken file on the way */
} route_state;

static const wx_endpoint_t *method_of(const wx_route_file *rf, const char *method)
{
    for (size_t i = 0; i < rf->neps; i++)
        if (wx_strcasecmp_ascii(rf->eps[i]->method, method) == 0)
            return rf->eps[i];
    return NULL;
}

/* 1 found, 0 not here, -1 error (rs->error set). */
static int try_file(route_state *rs, wx_child *ch)
{
    wx_route_file *rf = wx_child_route(rs->spec, ch);
    /* Still unread after the call: out of memory; or a broken file. */
    if (rf->state != WX_ROUTE_READY) {
        rs->error = wx_problem_to_error(&rf->problem, rs->err);
        return -1;
    }
    rs->found = method_of(rf, rs->method);
    for (size_t i = 0; !rs->found && i < rf->nbroken; i++)
        if (wx_strcasecmp_ascii(rf->broken[i].method, rs->method) == 0) {
            rs->error = wx_problem_to_error(&rf->broken[i].problem, rs->err);
            return -1;
        }
    return rs->found != NULL;
}

static int walk(route_state *rs, wx_dir *d, int i);

static int step(route_state *rs, wx_child *ch, int i, int bind)
{
    int last = i == rs->n - 1;
    if (bind) {
        rs->vars[rs->nvars].child = ch;
        rs->vars[rs->nvars].value = rs->segs[i];
        rs->nvars++;
    }
    int r = 0;
    if (last && ch->file_rel)
        r = try_file(rs, ch);
    else if (!last && ch->dir)
        r = walk(rs, ch->dir, i + 1);
    if (r <= 0 && bind)
        rs->nvars--;
    return r;
}

static int walk(route_state *rs, wx_dir *d, int i)
{
    wx_error_t local;
    if (wx_dir_list(rs->spec, d, rs->err ? rs->err : &local) != WX_OK) {
        rs->error = WX_E_NOMEM;
        return -1;
    }
    seg g = rs->segs[i];
    wx_child *lit = wx_dir_child(d, g.s, g.n);
    if (lit) {
        int r = step(rs, lit, i, 0);
        if (r != 0)
            return r;
    }
    int tmpl_var = is_var_seg(g);
    for (size_t k = 0; k < d->n; k++) {
        wx_child *ch = &d->children[k];
        if (!ch->is_var || ch == lit)
            continue;
        int r = step(rs, ch, i, !tmpl_var);
        if (r != 0)
            return r;
    }
    return 0;
}

static json_object *make_vars(const route_state *rs)
{
    json_object *obj = json_object_new_object();
    if (!obj)
        return NULL;
    for (int i = 0; i < rs->nvars; i++) {
        const wx_child *ch = rs->vars[i].child;
        seg v = rs->vars[i].value;
        char *val = wx_malloc(v.n + 1);
        char *name = wx_strndup(ch->name + 1, strlen(ch->name) - 2);
        if (!val || !name) {
            wx_free(val);
            wx_free(name);
            json_object_put(obj);
            return NULL;
        }
        size_t w = wx_pct_decode(v.s, v.n, val);
        val[w] = 0;
        /* "{+name}" and "{name}" name the same variable. */
        const char *key = name[0] == '+' || name[0] == '#' ? name + 1 : name;
        json_object *s = json_object_new_string_len(val, (int)w);
        int rc = s ? json_object_object_add(obj, key, s) : -1;
        wx_free(val);
        wx_free(name);
        if (rc != 0) {
            json_object_put(s);
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

wx_err wx_spec_find(wx_spec_t *spec, const char *method, const char *path,
                    const wx_endpoint_t **ep, json_object **vars, wx_error_t *err)
{
    if (ep)
        *ep = NULL;
    if (vars)
        *vars = NULL;
    if (!spec || !method || !path || !ep)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_spec_find: NULL argument");
    seg segs[WX_MAX_SEGMENTS];
    int n = split(path, segs);
    if (n <= 0)
        return wx_error_set(err, WX_E_NOT_FOUND, path, "no spec describes %s %s", method,
                            n < 0 ? "(a path with too many segments)" : "/");
    route_state *rs = wx_calloc(1, sizeof *rs);
    if (!rs)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    rs->spec = spec;
    rs->method = method;
    rs->segs = segs;
    rs->n = n;
    rs->err = err;
    pthread_mutex_lock(&spec->lock);
    int r = walk(rs, spec->root, 0);
    pthread_mutex_unlock(&spec->lock);
    wx_err result;
    if (r < 0) {
        result = rs->error;
    } else if (r == 0) {
        result = wx_error_set(err, WX_E_NOT_FOUND, path, "no spec describes %s %s", method, path);
    } else {
        result = WX_OK;
        if (vars && !(*vars = make_vars(rs)))
            result = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        if (result == WX_OK)
            *ep = rs->found;
    }
    wx_free(rs);
    return result;
}

/* ---------------------------------------------------------------- segment kinds */

typedef struct parent_entry {
    wx_map_key key;       /* the parent path, a copy the entry owns */
    wx_dir **dirs;
    size_t n;
} parent_entry;

struct wx_parent_cache {
    wx_map map;
};

static void parent_entry_free(void *entry)
{
    parent_entry *e = entry;
    wx_free((void *)e->key.bytes);
    wx_free(e->dirs);
}

void wx_parent_cache_free(wx_parent_cache *pc)
{
    if (!pc)
        return;
    wx_map_each(&pc->map, parent_entry_free);
    wx_map_free(&pc->map);
    wx_free(pc);
}

/* Adds a folder to a set unless it is there. */
static int add_dir(wx_dir ***set, size_t *n, size_t *cap, wx_dir *d)
{
    for (size_t i = 0; i < *n; i++)
        if ((*set)[i] == d)
            return 0;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        wx_dir **s = wx_realloc(*set, c * sizeof *s);
        if (!s)
            return -1;
        *set = s;
        *cap = c;
    }
    (*set)[(*n)++] = d;
    return 0;
}

/* The folders a parent path can stand for: literal names and {variable} folders. */
static int resolve_parent(wx_spec_t *spec, const char *parent, wx_dir ***out, size_t *nout)
{
    seg segs[WX_MAX_SEGMENTS];
    int n = split(parent, segs);
    wx_dir **cur = NULL;
    size_t ncur = 0, capcur = 0;
    if (n < 0 || add_dir(&cur, &ncur, &capcur, spec->root) != 0) {
        wx_free(cur);
        return -1;
    }
    for (int i = 0; i < n && ncur; i++) {
        wx_dir **next = NULL;
        size_t nnext = 0, capnext = 0;
        for (size_t k = 0; k < ncur; k++) {
            wx_dir *d = cur[k];
            if (wx_dir_list(spec, d, NULL) != WX_OK) {
                wx_free(cur);
                wx_free(next);
                return -1;
            }
            wx_child *lit = wx_dir_child(d, segs[i].s, segs[i].n);
            if (lit && lit->dir && add_dir(&next, &nnext, &capnext, lit->dir) != 0) {
                wx_free(cur);
                wx_free(next);
                return -1;
            }
            for (size_t j = 0; j < d->n; j++) {
                wx_child *ch = &d->children[j];
                if (ch->is_var && ch->dir && ch != lit &&
                    add_dir(&next, &nnext, &capnext, ch->dir) != 0) {
                    wx_free(cur);
                    wx_free(next);
                    return -1;
                }
            }
        }
        wx_free(cur);
        cur = next;
        ncur = nnext;
        capcur = capnext;
    }
    for (size_t k = 0; k < ncur; k++) {
        if (wx_dir_list(spec, cur[k], NULL) != WX_OK) {
            wx_free(cur);
            return -1;
        }
    }
    *out = cur;
    *nout = ncur;
    return 0;
}

/* The cached folders of a parent path, resolved on first use (caller holds the lock).
 * NULL when memory runs out or a folder cannot be listed: asked again next time. */
static parent_entry *parent_of(wx_spec_t *spec, const char *parent, size_t plen)
{
    if (!spec->parents) {
        if (!(spec->parents = wx_calloc(1, sizeof *spec->parents)))
            return NULL;
        spec->parents->map = (wx_map)WX_MAP_INIT(parent_entry, WX_MAP_BYTES);
    }
    parent_entry *e = wx_map_find(&spec->parents->map, parent, plen);
    if (e)
        return e;
    char *key = wx_strndup(parent, plen);
    wx_dir **dirs = NULL;
    size_t n = 0;
    int created;
    if (!key || resolve_parent(spec, key, &dirs, &n) != 0 ||
        !(e = wx_map_insert(&spec->parents->map, key, plen, &created))) {
        wx_free(key);
        wx_free(dirs);
        return NULL;
    }
    e->dirs = dirs;
    e->n = n;
    return e;
}

/* The cache key of a parent path: without leading or trailing slashes (NULL is the root).
 * Moves *parent past the leading ones and returns the length. */
static size_t parent_key(const char **parent)
{
    const char *p = *parent ? *parent : "";
    while (*p == '/')
        p++;
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    *parent = p;
    return n;
}

int wx_spec_segment_kind(wx_spec_t *spec, const char *parent, const char *seg_name)
{
    if (!spec || !seg_name || !*seg_name)
        return 0;
    size_t plen = parent_key(&parent);
    size_t slen = strlen(seg_name);
    int kind = WX_SPEC_SEGMENT_UNKNOWN;
    pthread_mutex_lock(&spec->lock);
    parent_entry *e = parent_of(spec, parent, plen);
    if (!e)
        goto done;
    for (size_t i = 0; i < e->n && kind != WX_SPEC_SEGMENT_LITERAL; i++) {
        wx_dir *d = e->dirs[i];
        wx_child *lit = wx_dir_child(d, seg_name, slen);
        if (lit && (lit->dir || lit->file_rel)) {
            kind = WX_SPEC_SEGMENT_LITERAL;
            break;
        }
        for (size_t j = 0; j < d->n && !kind; j++)
            if (d->children[j].is_var)
                kind = WX_SPEC_SEGMENT_VARIABLE;
    }
done:
    pthread_mutex_unlock(&spec->lock);
    return kind;
}

/* Levenshtein distance of two short strings (each at most 256 bytes), two rows. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn)
{
    size_t row[2][257];
    for (size_t j = 0; j <= bn; j++)
        row[0][j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t *prev = row[(i - 1) & 1], *cur = row[i & 1];
        cur[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    }
    return row[an & 1][bn];
}

int wx_spec_closest_segment(wx_spec_t *spec, const char *parent, const char *seg_name,
                            char *out, size_t cap)
{
    size_t slen = seg_name ? strlen(seg_name) : 0;
    if (!spec || slen == 0 || slen > 256 || cap == 0)
        return 0;
    size_t plen = parent_key(&parent);
    /* a third of the name, at least one edit, at most three: "natve" finds "native",
       "tokenz" "tokens"; "refunds" does not find "transfer" */
    size_t best = slen / 3 < 1 ? 1 : slen / 3 > 3 ? 3 : slen / 3;
    int found = 0;
    pthread_mutex_lock(&spec->lock);
    parent_entry *e = parent_of(spec, parent, plen);
    for (size_t i = 0; e && i < e->n; i++) {
        for (size_t j = 0; j < e->dirs[i]->n; j++) {
            const wx_child *ch = &e->dirs[i]->children[j];
            size_t n = strlen(ch->name);
            if (ch->is_var || n > 256 || n >= cap || !(ch->dir || ch->file_rel))
                continue;
            size_t d = edit_distance(seg_name, slen, ch->name, n);
            if (d < best || (d == best && !found)) {
                best = d;
                found = 1;
                memcpy(out, ch->name, n + 1);
            }
        }
    }
    pthread_mutex_unlock(&spec->lock);
    return found;
}
