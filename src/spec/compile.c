/* Schema compilation: json-c schema nodes -> wx_schema, once, at load time.
 *
 * Every keyword is checked here, so a broken schema is a load error that names the file
 * and key path, and the validator never meets one. `$ref`s are followed into the same or
 * other files; each node is compiled once (memo keyed by the json-c node), so shared
 * definitions are shared, and a schema that contains itself through properties or items
 * becomes a cyclic graph (validation descends into the instance, so it ends). A $ref loop
 * that does not descend (A -> B -> A, or allOf: [$ref: A] inside A) is an error. */
#include "spec/spec_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define WX_COMPILE_MAX_RECURSION 200

static const wx_schema k_false_schema = {
    .flags = WX_SF_FALSE, .min_props = -1, .max_props = -1, .min_items = -1,
    .max_items = -1, .min_len = -1, .max_len = -1,
};

/* ---------------------------------------------------------------- memo */

wx_memo_entry *wx_memo_find(wx_memo *m, const json_object *key)
{
    return wx_map_find(m, key, 0);
}

/* ---------------------------------------------------------------- compiler state */

void wx_compiler_init(wx_compiler *c, wx_spec_t *spec, wx_arena *arena, wx_regex **regexes,
                      wx_memo *memo, wx_spec_problem *problem, wx_doc *doc,
                      wx_compile_frame *frames)
{
    memset(c, 0, sizeof *c);
    c->spec = spec;
    c->arena = arena;
    c->regexes = regexes;
    c->memo = memo;
    c->problem = problem;
    c->frames = frames;
    c->nframes = 1;
    frames[0].doc = doc;
    wx_keypath_set(&frames[0].path, "");
}


void wx_compile_fail(wx_compiler *c, const char *key, const char *fmt, ...)
{
    if (wx_compile_failed(c))
        return;
    wx_compile_frame *f = wx_compile_top(c);
    wx_keypath kp = f->path;
    if (key)
        wx_keypath_push_key(&kp, key);
    char msg[sizeof c->problem->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A problem in a file reached through $ref also says where it was reached from. */
    if (c->nframes > 1 && c->frames[0].doc != f->doc && c->frames[0].doc) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, " (reached from %.200s: %.200s)",
                 c->frames[0].doc->display, c->frames[0].path.text);
    }
    wx_problem_set(c->problem, WX_E_SPEC, f->doc ? f->doc->display : "<schema>", kp.text, "%s",
                   msg);
}

void wx_compile_nomem(wx_compiler *c)
{
    if (!wx_compile_failed(c)) {
        wx_compile_frame *f = wx_compile_top(c);
        wx_problem_set(c->problem, WX_E_NOMEM, f->doc ? f->doc->display : "<schema>",
                       f->path.text, "out of memory");
    }
}

void wx_compile_pop_frame(wx_compiler *c)
{
    if (c->nframes > 1)
        c->nframes--;
}

json_object *wx_compile_follow_ref(wx_compiler *c, const char *ref)
{
    wx_compile_frame *f = wx_compile_top(c);
    const char *hash = strchr(ref, '#');
    const char *fragment = hash ? hash + 1 : "";
    size_t file_len = hash ? (size_t)(hash - ref) : strlen(ref);
    wx_doc *doc = f->doc;
    if (file_len) {
        char file[512];
        if (file_len >= sizeof file) {
            wx_compile_fail(c, NULL, "$ref '%s': path too long", ref);
            return NULL;
        }
        memcpy(file, ref, file_len);
        file[file_len] = 0;
        if (!c->spec || !doc || !doc->rel) {
            wx_compile_fail(c, NULL, "$ref '%s': only local references (#/...) are allowed here",
                            ref);
            return NULL;
        }
        if (file[0] == '/' || strstr(file, "://")) {
            wx_compile_fail(c, NULL, "$ref '%s': only relative file references are supported",
                            ref);
            return NULL;
        }
        char rel[512];
        if (wx_rel_resolve(doc->rel, file, rel, sizeof rel) != 0) {
            wx_compile_fail(c, NULL, "$ref '%s' points outside the spec tree", ref);
            return NULL;
        }
        wx_spec_problem prob;
        memset(&prob, 0, sizeof prob);
        doc = wx_spec_doc(c->spec, rel, &prob);
        if (!doc) {
            if (prob.code == WX_E_NOMEM) {
                wx_compile_nomem(c);
            } else if (prob.keypath[0]) {
                wx_compile_fail(c, NULL, "$ref '%s': %s: %s: %s", ref, prob.file, prob.keypath,
                                prob.message);
            } else {
                wx_compile_fail(c, NULL, "$ref '%s': %s", ref, prob.message);
            }
            return NULL;
        }
    }
    if (c->nframes >= WX_COMPILE_MAX_FRAMES) {
        wx_compile_fail(c, NULL, "$ref '%s': references nested too deeply", ref);
        return NULL;
    }
    wx_keypath kp;
    wx_keypath_set(&kp, "");
    json_object *target = wx_json_pointer(doc->root, fragment, &kp);
    if (!target) {
        wx_compile_fail(c, NULL, "dangling $ref '%s': %s has no '%s'", ref, doc->display,
                        fragment);
        return NULL;
    }
    wx_compile_frame *nf = &c->frames[c->nframes++];
    nf->doc = doc;
    nf->path = kp;
    return target;
}

/* ---------------------------------------------------------------- cycle check */

/* compile_ref refuses a $ref back into a schema still being compiled at the same instance
 * depth. A loop can also close through a schema finished earlier in the same compile,
 * whose $ref went back up through a property at that time (a: {properties: {p: $ref b},
 * allOf: [$ref b]}, b: {$ref a}), so the finished graph is checked once more: the
 * validator follows $ref, allOf, anyOf, oneOf and not on the same value, and a loop of
 * those would never end, a very long run of them would exhaust its stack. Schemas from
 * earlier compiles only lead to earlier schemas (whose runs are known), so only this
 * compile's are walked. */

typedef struct graph_node {
    wx_schema *schema;
    const json_object *json;
    int state; /* 0 not seen, 1 on the current path, 2 done (schema->steps set) */
} graph_node;

typedef struct graph {
    graph_node *nodes; /* sorted by schema address */
    size_t n;
    int too_long;      /* the walk stopped at a run too long, not at a loop */
} graph;

static int cmp_graph_node(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const graph_node *)a)->schema;
    uintptr_t y = (uintptr_t)((const graph_node *)b)->schema;
    return x < y ? -1 : x > y;
}

static graph_node *graph_find(const graph *g, const wx_schema *s)
{
    graph_node key = {(wx_schema *)s, NULL, 0};
    return s ? bsearch(&key, g->nodes, g->n, sizeof key, cmp_graph_node) : NULL;
}

static const json_object *walk_from(graph *g, graph_node *v, int depth);

/* One step to @p s: raises *steps to cover it; returns the json node of a schema on a
 * loop (or at the end of a run too long), or NULL. */
static const json_object *walk_edge(graph *g, const wx_schema *s, int depth, int *steps)
{
    if (!s)
        return NULL;
    graph_node *w = graph_find(g, s);
    if (w && w->state == 1)
        return w->json;
    if (w && w->state == 0) {
        const json_object *bad = walk_from(g, w, depth + 1);
        if (bad)
            return bad;
    }
    if (s->steps + 1 > *steps)
        *steps = s->steps + 1;
    return NULL;
}

static const json_object *walk_list(graph *g, const wx_schema *const *list, size_t n,
                                    int depth, int *steps)
{
    const json_object *bad = NULL;
    for (size_t i = 0; i < n && !bad; i++)
        bad = walk_edge(g, list[i], depth, steps);
    return bad;
}

static const json_object *walk_from(graph *g, graph_node *v, int depth)
{
    if (depth > WX_COMPILE_MAX_RECURSION) {
        g->too_long = 1;
        return v->json;
    }
    const wx_schema *s = v->schema;
    int steps = 0;
    v->state = 1;
    const json_object *bad = walk_edge(g, s->ref, depth, &steps);
    if (!bad)
        bad = walk_list(g, s->all_of, s->nall_of, depth, &steps);
    if (!bad)
        bad = walk_list(g, s->any_of, s->nany_of, depth, &steps);
    if (!bad)
        bad = walk_list(g, s->one_of, s->none_of, depth, &steps);
    if (!bad)
        bad = walk_edge(g, s->not_schema, depth, &steps);
    v->state = 2;
    v->schema->steps = steps;
    if (!bad && steps > WX_COMPILE_MAX_RECURSION) {
        g->too_long = 1;
        bad = v->json;
    }
    return bad;
}

/* The key path of @p target inside @p node (the first place it occurs); 1 when found. */
static int locate(json_object *node, const json_object *target, wx_keypath *kp, int depth)
{
    if (node == target)
        return 1;
    if (depth > WX_COMPILE_MAX_RECURSION)
        return 0;
    if (json_object_is_type(node, json_type_object)) {
        json_object_object_foreach(node, key, val)
        {
            size_t old = wx_keypath_push_key(kp, key);
            if (locate(val, target, kp, depth + 1))
                return 1;
            wx_keypath_pop(kp, old);
        }
    } else if (json_object_is_type(node, json_type_array)) {
        size_t n = json_object_array_length(node);
        for (size_t i = 0; i < n; i++) {
            size_t old = wx_keypath_push_index(kp, i);
            if (locate(json_object_array_get_idx(node, i), target, kp, depth + 1))
                return 1;
            wx_keypath_pop(kp, old);
        }
    }
    return 0;
}

static void report_loop(wx_compiler *c, const json_object *json, int too_long)
{
    const wx_doc *doc = c->frames[0].doc;
    wx_keypath kp;
    wx_keypath_set(&kp, "");
    if (c->spec) {
        for (const wx_doc *d = c->spec->docs; d; d = d->next) {
            if (d->root && locate(d->root, json, &kp, 0)) {
                doc = d;
                break;
            }
        }
    } else if (doc) {
        locate(doc->root, json, &kp, 0);
    }
    const char *file = doc && doc->display ? doc->display : "<schema>";
    if (too_long)
        wx_problem_set(c->problem, WX_E_SPEC, file, kp.text,
                       "schema nested too deeply: more than %d steps of $ref, allOf, anyOf, "
                       "oneOf or not without going through a property or an item",
                       WX_COMPILE_MAX_RECURSION);
    else
        wx_problem_set(c->problem, WX_E_SPEC, file, kp.text,
                       "$ref cycle: this schema leads back to itself through $ref, allOf, "
                       "anyOf, oneOf or not without going through a property or an item");
}

/* Loops among the schemas this compile added from @p from on. */
static void check_loops(wx_compiler *c, size_t from)
{
    graph g = {wx_calloc(c->nadded ? c->nadded : 1, sizeof *g.nodes), 0, 0};
    if (!g.nodes) {
        wx_compile_nomem(c);
        return;
    }
    for (size_t i = from; i < c->nadded; i++) {
        wx_memo_entry *e = wx_memo_find(c->memo, c->added[i]);
        if (e && e->schema)
            g.nodes[g.n++] = (graph_node){e->schema, c->added[i], 0};
    }
    qsort(g.nodes, g.n, sizeof *g.nodes, cmp_graph_node);
    for (size_t i = 0; i < g.n; i++) {
        if (g.nodes[i].state != 0)
            continue;
        const json_object *loop = walk_from(&g, &g.nodes[i], 0);
        if (loop) {
            report_loop(c, loop, g.too_long);
            break;
        }
    }
    wx_free(g.nodes);
}

wx_compile_mark wx_compile_begin_part(wx_compiler *c)
{
    wx_compile_mark m = {c->nadded, c->nframes, wx_compile_top(c)->path.len, c->recursion,
                         c->instance_depth};
    return m;
}

int wx_compile_end_part(wx_compiler *c, const wx_compile_mark *m, wx_spec_problem *defect)
{
    if (!wx_compile_failed(c))
        check_loops(c, m->nadded);
    if (!wx_compile_failed(c))
        return 1;
    if (c->problem->code == WX_E_NOMEM)
        return 0;
    /* A defect: the part's half-built schemas must not be found again by a later compile
     * that shares their nodes, and the compiler goes on where the part began. */
    for (size_t i = m->nadded; i < c->nadded; i++) {
        wx_memo_entry *e = wx_memo_find(c->memo, c->added[i]);
        if (e)
            e->schema = NULL;
    }
    c->nadded = m->nadded;
    c->nframes = m->nframes;
    wx_keypath_pop(&wx_compile_top(c)->path, m->pathlen);
    c->recursion = m->recursion;
    c->instance_depth = m->instance_depth;
    *defect = *c->problem;
    memset(c->problem, 0, sizeof *c->problem);
    return 0;
}

int wx_compiler_finish(wx_compiler *c)
{
    if (!wx_compile_failed(c))
        check_loops(c, 0);
    if (wx_compile_failed(c)) {
        for (size_t i = 0; i < c->nadded; i++) {
            wx_memo_entry *e = wx_memo_find(c->memo, c->added[i]);
            if (e)
                e->schema = NULL;
        }
    }
    wx_free(c->added);
    c->added = NULL;
    c->nadded = c->cap_added = 0;
    return wx_compile_failed(c);
}

static wx_schema *new_schema(wx_compiler *c)
{
    wx_schema *s = wx_arena_alloc(c->arena, sizeof *s);
    if (!s) {
        wx_compile_nomem(c);
        return NULL;
    }
    s->min_props = s->max_props = s->min_items = s->max_items = -1;
    s->min_len = s->max_len = -1;
    return s;
}

const wx_schema *wx_schema_compile(wx_compiler *c, json_object *node)
{
    if (wx_compile_failed(c))
        return NULL;
    if (json_object_is_type(node, json_type_boolean))
        return json_object_get_boolean(node) ? &wx_schema_any : &k_false_schema;
    if (!json_object_is_type(node, json_type_object)) {
        wx_compile_fail(c, NULL, "a schema must be an object, not %s", wx_json_type_name(node));
        return NULL;
    }
    wx_memo_entry *e = wx_memo_find(c->memo, node);
    if (e && e->schema)
        return e->schema;
    if (c->recursion >= WX_COMPILE_MAX_RECURSION) {
        wx_compile_fail(c, NULL, "schema nested too deeply");
        return NULL;
    }
    wx_schema *s = new_schema(c);
    if (!s)
        return NULL;
    int created;
    e = wx_map_insert(c->memo, node, 0, &created);
    if (!e) {
        wx_compile_nomem(c);
        return NULL;
    }
    if (c->nadded == c->cap_added) {
        size_t cap = c->cap_added ? c->cap_added * 2 : 32;
        const json_object **a = wx_realloc(c->added, cap * sizeof *a);
        if (!a) {
            wx_compile_nomem(c);
            return NULL;
        }
        c->added = a;
        c->cap_added = cap;
    }
    c->added[c->nadded++] = node;
    e->schema = s;
    e->in_progress = 1;
    e->depth = c->instance_depth;
    c->recursion++;
    wx_schema_compile_keywords(c, s, node, 0);
    c->recursion--;
    /* The memo may have grown (moved) meanwhile. */
    e = wx_memo_find(c->memo, node);
    if (e)
        e->in_progress = 0;
    return wx_compile_failed(c) ? NULL : s;
}

const wx_schema *wx_schema_compile_param(wx_compiler *c, json_object *param)
{
    if (wx_compile_failed(c))
        return NULL;
    wx_schema *s = new_schema(c);
    if (!s)
        return NULL;
    wx_schema_compile_keywords(c, s, param, 1);
    return wx_compile_failed(c) ? NULL : s;
}
