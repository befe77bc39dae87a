/* The spec set: its sources, the cache of parsed files and the lock that guards every
 * cache fill. Lookups and compiles happen under the lock; validation does not need it,
 * since what it reads never changes once published. */
#include "spec/spec_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec/spec_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/struct_version.h"
#include "util/strutil.h"

static wx_err add_source(wx_spec_t *spec, int kind, const char *root,
                         const wx_builtin_spec_t *table, size_t ntable)
{
    wx_source *s = wx_realloc(spec->sources, (spec->nsources + 1) * sizeof *s);
    if (!s)
        return WX_E_NOMEM;
    spec->sources = s;
    char *copy = wx_strdup(root);
    if (!copy)
        return WX_E_NOMEM;
    /* "dir/" and "dir" are the same folder. */
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = 0;
    s[spec->nsources++] = (wx_source){kind, copy, table, ntable};
    return WX_OK;
}

static wx_err add_dir(wx_spec_t *spec, const char *dir, const char *what, wx_error_t *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return wx_error_set(err, WX_E_IO, dir, "%s %s is not a readable directory", what, dir);
    if (add_source(spec, WX_SRC_DIR, dir, NULL, 0) != WX_OK)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    return WX_OK;
}

static wx_err spec_alloc(wx_spec_t **out, wx_error_t *err)
{
    wx_spec_t *spec = wx_calloc(1, sizeof *spec);
    if (!spec)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    if (pthread_mutex_init(&spec->lock, NULL) != 0) {
        wx_free(spec);
        return wx_error_set(err, WX_E_NOMEM, "", "cannot create a mutex");
    }
    spec->memo = (wx_memo)WX_MEMO_INIT;
    spec->root = wx_calloc(1, sizeof *spec->root);
    if (!spec->root || !(spec->root->rel = wx_strdup(""))) {
        wx_spec_free(spec);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    *out = spec;
    return WX_OK;
}

wx_err wx_spec_new(const wx_spec_options_t *opts, wx_spec_t **out, wx_error_t *err)
{
    static const wx_spec_options_t zero;
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_spec_new: out is NULL");
    *out = NULL;
    if (!opts)
        opts = &zero;
    wx_err vr = wx_struct_version_check(opts->version, WX_SPEC_OPTIONS_VERSION,
                                        "wx_spec_options_t", err);
    if (vr != WX_OK)
        return vr;
    wx_spec_t *spec;
    wx_err e = spec_alloc(&spec, err);
    if (e)
        return e;
    if (!opts->no_builtin &&
        add_source(spec, WX_SRC_TABLE, "<builtin>", wx_builtin_specs, wx_builtin_spec_count)) {
        wx_spec_free(spec);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    const char *env = opts->no_env ? NULL : getenv("WXPAY_SPEC_PATH");
    if (env && *env) {
        char *copy = wx_strdup(env);
        if (!copy) {
            wx_spec_free(spec);
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        }
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            e = add_dir(spec, d, "WXPAY_SPEC_PATH entry", err);
            if (e) {
                wx_free(copy);
                wx_spec_free(spec);
                return e;
            }
        }
        wx_free(copy);
    }
    for (const char *const *d = opts->dirs; d && *d; d++) {
        e = add_dir(spec, *d, "spec directory", err);
        if (e) {
            wx_spec_free(spec);
            return e;
        }
    }
    *out = spec;
    return WX_OK;
}

wx_err wx_spec_new_table(const wx_builtin_spec_t *table, size_t n, wx_spec_t **out,
                         wx_error_t *err)
{
    *out = NULL;
    wx_spec_t *spec;
    wx_err e = spec_alloc(&spec, err);
    if (e)
        return e;
    if (add_source(spec, WX_SRC_TABLE, "<memory>", table, n) != WX_OK) {
        wx_spec_free(spec);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    *out = spec;
    return WX_OK;
}

wx_err wx_spec_test_new_table(const struct wx_builtin_spec *table, wx_spec_t **out,
                              wx_error_t *err)
{
    size_t n = 0;
    while (table[n].path)
        n++;
    return wx_spec_new_table(table, n, out, err);
}

void wx_spec_free(wx_spec_t *spec)
{
    if (!spec)
        return;
    wx_dir_free(spec->root);
    wx_parent_cache_free(spec->parents);
    wx_doc *d = spec->docs;
    while (d) {
        wx_doc *next = d->next;
        json_object_put(d->root);
        wx_free(d->rel);
        wx_free(d->display);
        wx_free(d);
        d = next;
    }
    wx_regex_free_list(spec->regexes);
    wx_map_free(&spec->memo);
    wx_arena_free(&spec->arena);
    for (size_t i = 0; i < spec->nsources; i++)
        wx_free(spec->sources[i].root);
    wx_free(spec->sources);
    pthread_mutex_destroy(&spec->lock);
    wx_free(spec);
}

size_t wx_spec_test_files_read(wx_spec_t *spec)
{
    pthread_mutex_lock(&spec->lock);
    size_t n = spec->files_read;
    pthread_mutex_unlock(&spec->lock);
    return n;
}

static char *display_name(const wx_source *s, const char *rel)
{
    size_t a = strlen(s->root), b = strlen(rel);
    char *p = wx_malloc(a + b + 2);
    if (p) {
        memcpy(p, s->root, a);
        p[a] = '/';
        memcpy(p + a + 1, rel, b + 1);
    }
    return p;
}

/* The latest source that has exactly this file; -1 if none, -2 when out of memory. */
static int find_source(wx_spec_t *spec, const char *rel, const char **data, size_t *len)
{
    for (size_t i = spec->nsources; i-- > 0;) {
        const wx_source *s = &spec->sources[i];
        if (s->kind == WX_SRC_TABLE) {
            for (size_t j = 0; j < s->ntable; j++) {
                if (strcmp(s->table[j].path, rel) == 0) {
                    *data = s->table[j].data;
                    *len = s->table[j].len;
                    return (int)i;
                }
            }
        } else {
            char *full = display_name(s, rel);
            if (!full)
                return -2;
            struct stat st;
            int found = stat(full, &st) == 0 && S_ISREG(st.st_mode);
            wx_free(full);
            if (found) {
                *data = NULL;
                return (int)i;
            }
        }
    }
    return -1;
}

wx_doc *wx_spec_doc(wx_spec_t *spec, const char *rel, wx_spec_problem *prob)
{
    for (wx_doc *d = spec->docs; d; d = d->next) {
        if (strcmp(d->rel, rel) == 0) {
            if (!d->root)
                *prob = d->problem;
            return d->root ? d : NULL;
        }
    }
    wx_doc *d = wx_calloc(1, sizeof *d);
    if (!d || !(d->rel = wx_strdup(rel))) {
        wx_free(d);
        wx_problem_set(prob, WX_E_NOMEM, rel, "", "out of memory");
        return NULL;
    }
    const char *data = NULL;
    size_t len = 0;
    int src = find_source(spec, rel, &data, &len);
    d->display = src >= 0 ? display_name(&spec->sources[src], rel) : wx_strdup(rel);
    if (src == -2 || !d->display) {
        wx_free(d->display);
        wx_free(d->rel);
        wx_free(d);
        wx_problem_set(prob, WX_E_NOMEM, rel, "", "out of memory");
        return NULL;
    }
    int kind = wx_spec_file_kind(rel);
    if (src < 0) {
        wx_problem_set(&d->problem, WX_E_SPEC, rel, "", "no such file in the spec tree: %s", rel);
    } else if (kind < 0) {
        wx_problem_set(&d->problem, WX_E_SPEC, d->display, "",
                       "not a .json, .yaml or .yml file");
    } else {
        char *owned = NULL;
        if (!data) {
            wx_error_t err;
            memset(&err, 0, sizeof err);
            if (wx_read_file(d->display, &owned, &len, &err) != WX_OK) {
                wx_problem_set(&d->problem, err.code == WX_E_NOMEM ? WX_E_NOMEM : WX_E_SPEC,
                               d->display, "", "%s", err.message);
            }
            data = owned;
        }
        if (data) {
            spec->files_read++;
            if (wx_spec_parse_text(d->display, data, len, kind, &d->root, &d->problem) == WX_OK &&
                !d->root)
                wx_problem_set(&d->problem, WX_E_SPEC, d->display, "",
                               "a spec file must be an object, not null");
        }
        wx_free(owned);
    }
    /* A failed allocation is not remembered: a later call may succeed. */
    if (!d->root && d->problem.code == WX_E_NOMEM) {
        *prob = d->problem;
        wx_free(d->rel);
        wx_free(d->display);
        wx_free(d);
        return NULL;
    }
    d->next = spec->docs;
    spec->docs = d;
    if (!d->root) {
        *prob = d->problem;
        return NULL;
    }
    return d;
}

wx_route_file *wx_child_route(wx_spec_t *spec, wx_child *ch)
{
    wx_route_file *rf = &ch->route;
    if (rf->state != WX_ROUTE_UNREAD || !ch->file_rel)
        return rf;
    wx_spec_problem prob;
    memset(&prob, 0, sizeof prob);
    wx_doc *doc = wx_spec_doc(spec, ch->file_rel, &prob);
    if (!doc) {
        rf->problem = prob;
        rf->state = prob.code == WX_E_NOMEM ? WX_ROUTE_UNREAD : WX_ROUTE_BROKEN;
        return rf;
    }
    /* "/v3/pay/transactions/id/{transaction_id}": the path without the extension. */
    size_t n = strlen(ch->file_rel) - (ch->file_rank == 2 ? 4 : 5);
    char *tmpl = wx_malloc(n + 2);
    if (!tmpl) {
        wx_problem_set(&rf->problem, WX_E_NOMEM, doc->display, "", "out of memory");
        return rf;
    }
    tmpl[0] = '/';
    memcpy(tmpl + 1, ch->file_rel, n);
    tmpl[n + 1] = 0;
    if (wx_route_compile(spec, doc, tmpl, rf) == WX_E_NOMEM)
        rf->state = WX_ROUTE_UNREAD;
    wx_free(tmpl);
    return rf;
}

/* ---------------------------------------------------------------- endpoint accessors */

const char *wx_endpoint_method(const wx_endpoint_t *ep) { return ep ? ep->method : NULL; }
const char *wx_endpoint_template(const wx_endpoint_t *ep) { return ep ? ep->tmpl : NULL; }
const char *wx_endpoint_file(const wx_endpoint_t *ep) { return ep ? ep->file : NULL; }
int wx_endpoint_unsigned_response(const wx_endpoint_t *ep) { return ep ? ep->unsigned_response : 0; }
int wx_endpoint_is_xml(const wx_endpoint_t *ep) { return ep ? ep->xml : 0; }
int wx_endpoint_cert_required(const wx_endpoint_t *ep) { return ep ? ep->cert_required : 0; }
int wx_endpoint_is_multipart(const wx_endpoint_t *ep) { return ep ? ep->multipart : 0; }
const char *wx_endpoint_response_problem(const wx_endpoint_t *ep)
{
    return ep ? ep->resp_problem_text : NULL;
}
