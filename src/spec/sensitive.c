/* The community dialect's `x-is-sensitive`: which string values of a request or response
 * instance are sensitive, so the request pipeline can replace them by ciphertext (and a
 * caller decrypt them in an answer). The walk follows the instance, applying every schema
 * that reaches a value through $ref, allOf, anyOf and oneOf at once, so a name marked in one
 * branch and declared in another is still found, and each field is reported once. */
#include "spec/spec_impl.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define SENS_MAX_SCHEMAS 64 /* schemas applying to one value */
#define SENS_MAX_DEPTH 64

typedef struct walk {
    wx_sensitive_cb cb;
    void *ud;
    wx_location loc;
    wx_keypath path;
    wx_err rc;
} walk;

typedef struct schema_set {
    const wx_schema *items[SENS_MAX_SCHEMAS];
    size_t n;
} schema_set;

static void set_add(schema_set *set, const wx_schema *s, int hops)
{
    if (!s || hops > 32 || set->n == SENS_MAX_SCHEMAS)
        return;
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i] == s)
            return;
    set->items[set->n++] = s;
    set_add(set, s->ref, hops + 1);
    for (size_t i = 0; i < s->nall_of; i++)
        set_add(set, s->all_of[i], hops + 1);
    for (size_t i = 0; i < s->nany_of; i++)
        set_add(set, s->any_of[i], hops + 1);
    for (size_t i = 0; i < s->none_of; i++)
        set_add(set, s->one_of[i], hops + 1);
}

static const wx_schema *prop_schema(const wx_schema *s, const char *key)
{
    for (size_t i = 0; i < s->nprops; i++)
        if (strcmp(s->props[i].name, key) == 0)
            return s->props[i].schema;
    return NULL;
}

static void walk_value(walk *w, const schema_set *set, json_object *v, int depth);

static int is_marked(const schema_set *set, const char *key)
{
    for (size_t i = 0; i < set->n; i++)
        for (size_t j = 0; j < set->items[i]->nsensitive; j++)
            if (strcmp(set->items[i]->sensitive[j], key) == 0)
                return 1;
    return 0;
}

/* Members of an object: first the marked ones (reported, in document order of the
 * instance), then every member walked with the schemas that describe it. */
static void walk_object(walk *w, const schema_set *set, json_object *v, int depth)
{
    json_object_object_foreach(v, key, val)
    {
        if (w->rc != WX_OK)
            return;
        if (!json_object_is_type(val, json_type_string) || !is_marked(set, key))
            continue;
        size_t old = wx_keypath_push_key(&w->path, key);
        wx_sensitive_field_t f = {w->loc, w->path.text, v, key, val};
        w->rc = w->cb(w->ud, &f);
        wx_keypath_pop(&w->path, old);
    }
    /* The callback may have replaced members (by strings): walk what is there now. */
    json_object_object_foreach(v, key2, val2)
    {
        if (w->rc != WX_OK || json_object_is_type(val2, json_type_string))
            continue;
        schema_set child = {.n = 0};
        for (size_t i = 0; i < set->n; i++) {
            const wx_schema *s = set->items[i];
            const wx_schema *ps = prop_schema(s, key2);
            int matched = ps != NULL;
            set_add(&child, ps, 0);
            for (size_t j = 0; j < s->npattern_props; j++)
                if (wx_regex_search(s->pattern_props[j].re, key2, strlen(key2)) == 1) {
                    matched = 1;
                    set_add(&child, s->pattern_props[j].schema, 0);
                }
            if (!matched)
                set_add(&child, s->additional, 0);
        }
        if (!child.n)
            continue;
        size_t old = wx_keypath_push_key(&w->path, key2);
        walk_value(w, &child, val2, depth + 1);
        wx_keypath_pop(&w->path, old);
    }
}

static void walk_array(walk *w, const schema_set *set, json_object *v, int depth)
{
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n && w->rc == WX_OK; i++) {
        schema_set child = {.n = 0};
        for (size_t k = 0; k < set->n; k++) {
            const wx_schema *s = set->items[k];
            if (s->tuple)
                set_add(&child, i < s->ntuple ? s->tuple[i] : s->additional_items, 0);
            else
                set_add(&child, s->items, 0);
        }
        if (!child.n)
            continue;
        size_t old = wx_keypath_push_index(&w->path, i);
        walk_value(w, &child, json_object_array_get_idx(v, i), depth + 1);
        wx_keypath_pop(&w->path, old);
    }
}

static void walk_value(walk *w, const schema_set *set, json_object *v, int depth)
{
    if (depth > SENS_MAX_DEPTH)
        return;
    if (json_object_is_type(v, json_type_object))
        walk_object(w, set, v, depth);
    else if (json_object_is_type(v, json_type_array))
        walk_array(w, set, v, depth);
}

static wx_err walk_body(const wx_schema *schema, wx_location loc, json_object *body,
                        wx_sensitive_cb cb, void *ud)
{
    if (!schema || !body)
        return WX_OK;
    walk w = {cb, ud, loc, {{0}, 0}, WX_OK};
    wx_keypath_set(&w.path, "");
    schema_set set = {.n = 0};
    set_add(&set, schema, 0);
    walk_value(&w, &set, body, 0);
    return w.rc;
}

wx_err wx_endpoint_sensitive_paths(const wx_endpoint_t *ep, json_object *body,
                                   wx_sensitive_cb cb, void *ud)
{
    if (!ep || !cb)
        return WX_E_INVALID_ARG;
    if (!ep->sensitive_body)
        return WX_OK;
    return walk_body(ep->body, WX_LOC_BODY, body, cb, ud);
}

wx_err wx_endpoint_sensitive_response_paths(const wx_endpoint_t *ep, int status,
                                            json_object *body, wx_sensitive_cb cb, void *ud)
{
    if (!ep || !cb)
        return WX_E_INVALID_ARG;
    const wx_resp *r = wx_endpoint_find_resp(ep, status);
    if (!r || !wx_schema_marks_sensitive(r->schema))
        return WX_OK;
    return walk_body(r->schema, WX_LOC_RESPONSE, body, cb, ud);
}

const char *wx_endpoint_sensitive_param(const wx_endpoint_t *ep, size_t i)
{
    return ep && i < ep->nsensitive_params ? ep->sensitive_params[i] : NULL;
}

int wx_endpoint_has_sensitive(const wx_endpoint_t *ep)
{
    return ep && (ep->sensitive_body || ep->nsensitive_params);
}

/* ------------------------------------------------------------ does a schema mark any? */

typedef struct seen {
    const wx_schema **items;
    size_t n, cap;
    int nomem;
} seen;

static int first_visit(seen *v, const wx_schema *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i] == s)
            return 0;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        const wx_schema **items = wx_realloc(v->items, cap * sizeof *items);
        if (!items) {
            v->nomem = 1;
            return 0;
        }
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = s;
    return 1;
}

static int marks(const wx_schema *s, seen *v);

static int marks_list(const wx_schema *const *list, size_t n, seen *v)
{
    for (size_t i = 0; i < n; i++)
        if (marks(list[i], v))
            return 1;
    return 0;
}

static int marks(const wx_schema *s, seen *v)
{
    if (!s || !first_visit(v, s))
        return 0;
    if (s->nsensitive)
        return 1;
    for (size_t i = 0; i < s->nprops; i++)
        if (marks(s->props[i].schema, v))
            return 1;
    for (size_t i = 0; i < s->npattern_props; i++)
        if (marks(s->pattern_props[i].schema, v))
            return 1;
    return marks(s->ref, v) || marks(s->additional, v) || marks(s->items, v) ||
           marks(s->additional_items, v) || marks_list(s->tuple, s->ntuple, v) ||
           marks_list(s->all_of, s->nall_of, v) || marks_list(s->any_of, s->nany_of, v) ||
           marks_list(s->one_of, s->none_of, v);
}

int wx_schema_marks_sensitive(const wx_schema *s)
{
    seen v = {NULL, 0, 0, 0};
    int r = marks(s, &v);
    wx_free(v.items);
    /* Out of memory: assume it does, so the pipeline walks the instance rather than
     * sending a marked field in clear. */
    return r || v.nomem;
}
