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

static size_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (size_t)x;
}

static wx_memo_entry *memo_find(wx_memo *m, const json_object *key)
{
    if (!m->cap)
        return NULL;
    size_t i = ptr_hash(key) & (m->cap - 1);
    while (m->slots[i].key) {
        if (m->slots[i].key == key)
            return &m->slots[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static int memo_grow(wx_memo *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    wx_memo_entry *slots = wx_calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t j = ptr_hash(m->slots[i].key) & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    wx_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

static wx_memo_entry *memo_insert(wx_memo *m, const json_object *key)
{
    wx_memo_entry *e = memo_find(m, key);
    if (e)
        return e;
    if ((m->used + 1) * 2 > m->cap && memo_grow(m) != 0)
        return NULL;
    size_t i = ptr_hash(key) & (m->cap - 1);
    while (m->slots[i].key)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = key;
    m->used++;
    return &m->slots[i];
}

void wx_memo_free(wx_memo *m)
{
    wx_free(m->slots);
    m->slots = NULL;
    m->cap = m->used = 0;
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

static int failed(const wx_compiler *c) { return c->problem->code != WX_OK; }

void wx_compile_fail(wx_compiler *c, const char *key, const char *fmt, ...)
{
    if (failed(c))
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

static void nomem(wx_compiler *c)
{
    if (!failed(c)) {
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
                nomem(c);
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

static void check_loops(wx_compiler *c)
{
    graph g = {wx_calloc(c->nadded ? c->nadded : 1, sizeof *g.nodes), 0, 0};
    if (!g.nodes) {
        nomem(c);
        return;
    }
    for (size_t i = 0; i < c->nadded; i++) {
        wx_memo_entry *e = memo_find(c->memo, c->added[i]);
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

int wx_compiler_finish(wx_compiler *c)
{
    if (!failed(c))
        check_loops(c);
    if (failed(c)) {
        for (size_t i = 0; i < c->nadded; i++) {
            wx_memo_entry *e = memo_find(c->memo, c->added[i]);
            if (e)
                e->schema = NULL;
        }
    }
    wx_free(c->added);
    c->added = NULL;
    c->nadded = c->cap_added = 0;
    return failed(c);
}

/* ---------------------------------------------------------------- helpers */

static size_t push(wx_compiler *c, const char *key)
{
    return wx_keypath_push_key(&wx_compile_top(c)->path, key);
}

static size_t push_index(wx_compiler *c, size_t i)
{
    return wx_keypath_push_index(&wx_compile_top(c)->path, i);
}

static void pop(wx_compiler *c, size_t old)
{
    wx_keypath_pop(&wx_compile_top(c)->path, old);
}

static const wx_schema *compile_at(wx_compiler *c, json_object *node, const char *key)
{
    size_t old = push(c, key);
    const wx_schema *s = wx_schema_compile(c, node);
    pop(c, old);
    return s;
}

/* A count keyword: a non-negative integer. -1 (and a problem) otherwise. */
static long count_kw(wx_compiler *c, json_object *v, const char *key)
{
    double d = 0;
    if (json_object_is_type(v, json_type_int)) {
        int64_t i = json_object_get_int64(v);
        if (i >= 0 && i <= 0x7fffffff)
            return (long)i;
    } else if (json_object_is_type(v, json_type_double)) {
        d = json_object_get_double(v);
        if (d >= 0 && d <= 0x7fffffff && floor(d) == d)
            return (long)d;
    }
    wx_compile_fail(c, key, "%s must be a non-negative integer", key);
    return -1;
}

static int number_kw(wx_compiler *c, json_object *v, const char *key, double *out,
                     const char **text)
{
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        wx_compile_fail(c, key, "%s must be a number", key);
        return -1;
    }
    *out = json_object_get_double(v);
    if (!isfinite(*out)) {
        wx_compile_fail(c, key, "%s must be a finite number", key);
        return -1;
    }
    *text = wx_spec_arena_strdup(c->arena, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    if (!*text) {
        nomem(c);
        return -1;
    }
    return 0;
}

static int type_bit(const char *name, unsigned *bit)
{
    static const struct {
        const char *name;
        unsigned bit;
    } k[] = {{"null", WX_T_NULL},    {"boolean", WX_T_BOOL}, {"integer", WX_T_INT},
             {"number", WX_T_NUM | WX_T_INT}, {"string", WX_T_STR},
             {"array", WX_T_ARR},    {"object", WX_T_OBJ},   {"file", 0}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (strcmp(name, k[i].name) == 0) {
            *bit = k[i].bit;
            return 1;
        }
    }
    return 0;
}

static void compile_type(wx_compiler *c, wx_schema *s, json_object *v)
{
    wx_buf text = WX_BUF_INIT;
    unsigned mask = 0;
    int any = 0;
    if (json_object_is_type(v, json_type_string)) {
        const char *name = json_object_get_string(v);
        if (!type_bit(name, &mask)) {
            wx_compile_fail(c, "type", "unknown type \"%s\"", name);
            return;
        }
        any = mask == 0;
        wx_buf_puts(&text, name);
    } else if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(v, i);
            unsigned bit;
            if (!json_object_is_type(e, json_type_string)) {
                wx_compile_fail(c, "type", "type must be a name or a list of names");
                wx_buf_free(&text);
                return;
            }
            if (!type_bit(json_object_get_string(e), &bit)) {
                wx_compile_fail(c, "type", "unknown type \"%s\"", json_object_get_string(e));
                wx_buf_free(&text);
                return;
            }
            if (!bit)
                any = 1;
            mask |= bit;
            if (i)
                wx_buf_puts(&text, " or ");
            wx_buf_puts(&text, json_object_get_string(e));
        }
    } else {
        wx_compile_fail(c, "type", "type must be a name or a list of names");
        return;
    }
    if (any) {
        /* "file" (Swagger 2.0 uploads and downloads) accepts anything. */
        wx_buf_free(&text);
        return;
    }
    s->types = mask;
    s->type_text = wx_spec_arena_strdup(c->arena, wx_buf_str(&text));
    if (!s->type_text || !wx_buf_ok(&text))
        nomem(c);
    wx_buf_free(&text);
}

static int cmp_prop(const void *a, const void *b)
{
    return strcmp(((const wx_prop *)a)->name, ((const wx_prop *)b)->name);
}

static void compile_properties(wx_compiler *c, wx_schema *s, json_object *v)
{
    if (!json_object_is_type(v, json_type_object)) {
        wx_compile_fail(c, "properties", "properties must be an object");
        return;
    }
    size_t n = (size_t)json_object_object_length(v);
    wx_prop *props = wx_arena_alloc(c->arena, (n ? n : 1) * sizeof *props);
    if (!props) {
        nomem(c);
        return;
    }
    size_t old = push(c, "properties");
    size_t i = 0;
    c->instance_depth++;
    json_object_object_foreach(v, key, val)
    {
        props[i].name = wx_spec_arena_strdup(c->arena, key);
        props[i].schema = compile_at(c, val, key);
        if (!props[i].name && !failed(c))
            nomem(c);
        if (failed(c))
            break;
        i++;
    }
    c->instance_depth--;
    pop(c, old);
    if (failed(c))
        return;
    wx_prop *sorted = wx_arena_alloc(c->arena, (n ? n : 1) * sizeof *sorted);
    if (!sorted) {
        nomem(c);
        return;
    }
    if (n)
        memcpy(sorted, props, n * sizeof *props);
    qsort(sorted, n, sizeof *sorted, cmp_prop);
    s->props = sorted;
    s->props_doc = props;
    s->nprops = n;
}

static void compile_pattern_properties(wx_compiler *c, wx_schema *s, json_object *v)
{
    if (!json_object_is_type(v, json_type_object)) {
        wx_compile_fail(c, "patternProperties", "patternProperties must be an object");
        return;
    }
    size_t n = (size_t)json_object_object_length(v);
    wx_pattern_prop *pp = wx_arena_alloc(c->arena, (n ? n : 1) * sizeof *pp);
    if (!pp) {
        nomem(c);
        return;
    }
    size_t old = push(c, "patternProperties");
    size_t i = 0;
    c->instance_depth++;
    json_object_object_foreach(v, key, val)
    {
        wx_regex *re = wx_arena_alloc(c->arena, sizeof *re);
        char why[200];
        if (!re) {
            nomem(c);
            break;
        }
        int rc = wx_regex_compile(re, key, why, sizeof why);
        if (rc == -2) {
            nomem(c);
            break;
        }
        if (rc != 0) {
            wx_compile_fail(c, key, "invalid pattern %s: %s", key, why);
            break;
        }
        re->next = *c->regexes;
        *c->regexes = re;
        pp[i].source = wx_spec_arena_strdup(c->arena, key);
        pp[i].re = re;
        pp[i].schema = compile_at(c, val, key);
        if (failed(c))
            break;
        i++;
    }
    c->instance_depth--;
    pop(c, old);
    s->pattern_props = pp;
    s->npattern_props = i;
}

void wx_compile_name_list(wx_compiler *c, json_object *v, const char *key,
                          const char *const **out, size_t *n)
{
    int one = json_object_is_type(v, json_type_string);
    size_t count = one ? 1 : json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (!one && !json_object_is_type(v, json_type_array)) {
        wx_compile_fail(c, key, "%s must be a name or a list of names", key);
        return;
    }
    const char **names = wx_arena_alloc(c->arena, (count ? count : 1) * sizeof *names);
    if (!names) {
        nomem(c);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        json_object *e = one ? v : json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) {
            wx_compile_fail(c, key, "%s must be a name or a list of names", key);
            return;
        }
        if (!(names[i] = wx_spec_arena_strdup(c->arena, json_object_get_string(e)))) {
            nomem(c);
            return;
        }
    }
    *out = names;
    *n = count;
}

static void compile_required(wx_compiler *c, wx_schema *s, json_object *v)
{
    if (!json_object_is_type(v, json_type_array)) {
        wx_compile_fail(c, "required", "required must be a list of strings");
        return;
    }
    size_t n = json_object_array_length(v);
    const char **req = wx_arena_alloc(c->arena, (n ? n : 1) * sizeof *req);
    if (!req) {
        nomem(c);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) {
            wx_compile_fail(c, "required", "required must be a list of strings");
            return;
        }
        if (!(req[i] = wx_spec_arena_strdup(c->arena, json_object_get_string(e)))) {
            nomem(c);
            return;
        }
    }
    s->required = req;
    s->nrequired = n;
}

static const wx_schema *const *compile_list(wx_compiler *c, json_object *v, const char *key,
                                            size_t *count, int descend)
{
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
        wx_compile_fail(c, key, "%s must be a non-empty list of schemas", key);
        return NULL;
    }
    size_t n = json_object_array_length(v);
    const wx_schema **list = wx_arena_alloc(c->arena, n * sizeof *list);
    if (!list) {
        nomem(c);
        return NULL;
    }
    size_t old = push(c, key);
    c->instance_depth += descend;
    for (size_t i = 0; i < n && !failed(c); i++) {
        size_t o2 = push_index(c, i);
        list[i] = wx_schema_compile(c, json_object_array_get_idx(v, i));
        pop(c, o2);
    }
    c->instance_depth -= descend;
    pop(c, old);
    *count = n;
    return failed(c) ? NULL : list;
}

static void compile_enum(wx_compiler *c, wx_schema *s, json_object *v, const char *key)
{
    json_object **vals;
    size_t n;
    if (strcmp(key, "const") == 0) {
        n = 1;
        vals = wx_arena_alloc(c->arena, sizeof *vals);
        if (vals)
            vals[0] = v;
    } else {
        if (!json_object_is_type(v, json_type_array)) {
            wx_compile_fail(c, key, "enum must be a list");
            return;
        }
        n = json_object_array_length(v);
        if (n == 0) {
            wx_compile_fail(c, key, "enum must not be empty");
            return;
        }
        vals = wx_arena_alloc(c->arena, n * sizeof *vals);
        for (size_t i = 0; vals && i < n; i++)
            vals[i] = json_object_array_get_idx(v, i);
    }
    if (!vals) {
        nomem(c);
        return;
    }
    wx_buf text = WX_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            wx_buf_puts(&text, ", ");
        if (text.len > 900) {
            wx_buf_puts(&text, "...");
            break;
        }
        wx_json_append_text(&text, vals[i], 0);
    }
    s->enums = vals;
    s->nenum = n;
    s->enum_text = wx_spec_arena_strdup(c->arena, wx_buf_str(&text));
    if (!s->enum_text || !wx_buf_ok(&text))
        nomem(c);
    wx_buf_free(&text);
}

static void compile_pattern(wx_compiler *c, wx_schema *s, json_object *v)
{
    if (!json_object_is_type(v, json_type_string)) {
        wx_compile_fail(c, "pattern", "pattern must be a string");
        return;
    }
    const char *src = json_object_get_string(v);
    wx_regex *re = wx_arena_alloc(c->arena, sizeof *re);
    char why[200];
    if (!re) {
        nomem(c);
        return;
    }
    int rc = wx_regex_compile(re, src, why, sizeof why);
    if (rc == -2) {
        nomem(c);
        return;
    }
    if (rc != 0) {
        wx_compile_fail(c, "pattern", "invalid pattern %s: %s", src, why);
        return;
    }
    re->next = *c->regexes;
    *c->regexes = re;
    s->pattern = re;
    s->pattern_src = wx_spec_arena_strdup(c->arena, src);
    if (!s->pattern_src)
        nomem(c);
}

static void compile_format(wx_compiler *c, wx_schema *s, json_object *v)
{
    if (!json_object_is_type(v, json_type_string)) {
        wx_compile_fail(c, "format", "format must be a string");
        return;
    }
    const char *f = json_object_get_string(v);
    if (strcmp(f, "date-time") == 0 || strcmp(f, "rfc3339") == 0)
        s->format = WX_FMT_DATE_TIME;
    else if (strcmp(f, "date") == 0)
        s->format = WX_FMT_DATE;
    else if (strcmp(f, "time") == 0)
        s->format = WX_FMT_TIME;
    else
        return; /* unknown formats are annotations */
    s->format_name = wx_spec_arena_strdup(c->arena, f);
    if (!s->format_name)
        nomem(c);
}

static int get_bool(wx_compiler *c, json_object *v, const char *key)
{
    if (!json_object_is_type(v, json_type_boolean)) {
        wx_compile_fail(c, key, "%s must be true or false", key);
        return 0;
    }
    return json_object_get_boolean(v);
}

static const wx_schema *compile_ref(wx_compiler *c, json_object *v)
{
    if (!json_object_is_type(v, json_type_string)) {
        wx_compile_fail(c, "$ref", "$ref must be a string");
        return NULL;
    }
    const char *ref = json_object_get_string(v);
    size_t old = push(c, "$ref");
    const wx_schema *s = NULL;
    json_object *target = wx_compile_follow_ref(c, ref);
    if (target) {
        wx_memo_entry *e = memo_find(c->memo, target);
        if (e && e->schema && e->in_progress && e->depth == c->instance_depth) {
            wx_compile_pop_frame(c);
            wx_compile_fail(c, NULL,
                            "$ref cycle: '%s' leads back to itself without going through a "
                            "property or an item",
                            ref);
        } else {
            s = wx_schema_compile(c, target);
            wx_compile_pop_frame(c);
        }
    }
    pop(c, old);
    return s;
}

/* Keywords of one schema object. In param mode (a Swagger 2.0 parameter) the
 * parameter's own keys are skipped. */
static void compile_keywords(wx_compiler *c, wx_schema *s, json_object *node, int param)
{
    json_object *v;
    unsigned flags = 0;
#define KW(name) json_object_object_get_ex(node, name, &v)
    if (KW("$ref") && !failed(c))
        s->ref = compile_ref(c, v);
    if (KW("type") && !failed(c))
        compile_type(c, s, v);
    if (!param && KW("properties") && !failed(c)) {
        compile_properties(c, s, v);
        flags |= WX_SF_OBJ_KW;
    }
    if (!param && KW("patternProperties") && !failed(c)) {
        compile_pattern_properties(c, s, v);
        flags |= WX_SF_OBJ_KW;
    }
    if (!param && KW("required") && !failed(c)) {
        compile_required(c, s, v);
        flags |= WX_SF_OBJ_KW;
    }
    if (!param && KW("additionalProperties") && !failed(c)) {
        if (json_object_is_type(v, json_type_boolean)) {
            if (!json_object_get_boolean(v))
                flags |= WX_SF_ADDL_FALSE | WX_SF_OBJ_KW;
        } else {
            c->instance_depth++;
            s->additional = compile_at(c, v, "additionalProperties");
            c->instance_depth--;
            flags |= WX_SF_OBJ_KW;
        }
    }
    if (KW("minProperties") && !failed(c)) {
        s->min_props = count_kw(c, v, "minProperties");
        flags |= WX_SF_OBJ_KW;
    }
    if (KW("maxProperties") && !failed(c)) {
        s->max_props = count_kw(c, v, "maxProperties");
        flags |= WX_SF_OBJ_KW;
    }
    if (KW("items") && !failed(c)) {
        if (json_object_is_type(v, json_type_array)) {
            s->tuple = compile_list(c, v, "items", &s->ntuple, 1);
        } else {
            c->instance_depth++;
            s->items = compile_at(c, v, "items");
            c->instance_depth--;
        }
        flags |= WX_SF_ARR_KW;
    }
    if (KW("additionalItems") && !failed(c)) {
        if (json_object_is_type(v, json_type_boolean)) {
            if (!json_object_get_boolean(v))
                flags |= WX_SF_ADDL_ITEMS_FALSE;
        } else {
            c->instance_depth++;
            s->additional_items = compile_at(c, v, "additionalItems");
            c->instance_depth--;
        }
        flags |= WX_SF_ARR_KW;
    }
    if (KW("minItems") && !failed(c)) {
        s->min_items = count_kw(c, v, "minItems");
        flags |= WX_SF_ARR_KW;
    }
    if (KW("maxItems") && !failed(c)) {
        s->max_items = count_kw(c, v, "maxItems");
        flags |= WX_SF_ARR_KW;
    }
    if (KW("uniqueItems") && !failed(c) && get_bool(c, v, "uniqueItems"))
        flags |= WX_SF_UNIQUE | WX_SF_ARR_KW;
    if (KW("minLength") && !failed(c)) {
        s->min_len = count_kw(c, v, "minLength");
        flags |= WX_SF_STR_KW;
    }
    if (KW("maxLength") && !failed(c)) {
        s->max_len = count_kw(c, v, "maxLength");
        flags |= WX_SF_STR_KW;
    }
    if (KW("pattern") && !failed(c)) {
        compile_pattern(c, s, v);
        flags |= WX_SF_STR_KW;
    }
    if (KW("format") && !failed(c)) {
        compile_format(c, s, v);
        if (s->format)
            flags |= WX_SF_STR_KW;
    }
    if (KW("minimum") && !failed(c) &&
        number_kw(c, v, "minimum", &s->minimum, &s->minimum_text) == 0)
        flags |= WX_SF_MIN | WX_SF_NUM_KW;
    if (KW("maximum") && !failed(c) &&
        number_kw(c, v, "maximum", &s->maximum, &s->maximum_text) == 0)
        flags |= WX_SF_MAX | WX_SF_NUM_KW;
    /* Draft 4: a boolean next to minimum/maximum; draft 6: the bound itself. */
    if (KW("exclusiveMinimum") && !failed(c)) {
        if (json_object_is_type(v, json_type_boolean)) {
            if (json_object_get_boolean(v))
                flags |= WX_SF_EXCL_MIN;
        } else if (number_kw(c, v, "exclusiveMinimum", &s->minimum, &s->minimum_text) == 0) {
            flags |= WX_SF_MIN | WX_SF_EXCL_MIN | WX_SF_NUM_KW;
        }
    }
    if (KW("exclusiveMaximum") && !failed(c)) {
        if (json_object_is_type(v, json_type_boolean)) {
            if (json_object_get_boolean(v))
                flags |= WX_SF_EXCL_MAX;
        } else if (number_kw(c, v, "exclusiveMaximum", &s->maximum, &s->maximum_text) == 0) {
            flags |= WX_SF_MAX | WX_SF_EXCL_MAX | WX_SF_NUM_KW;
        }
    }
    if (!(flags & WX_SF_MIN))
        flags &= ~(unsigned)WX_SF_EXCL_MIN;
    if (!(flags & WX_SF_MAX))
        flags &= ~(unsigned)WX_SF_EXCL_MAX;
    if (KW("multipleOf") && !failed(c) &&
        number_kw(c, v, "multipleOf", &s->multiple_of, &s->multiple_text) == 0) {
        if (!(s->multiple_of > 0))
            wx_compile_fail(c, "multipleOf", "multipleOf must be greater than 0");
        flags |= WX_SF_MULTIPLE | WX_SF_NUM_KW;
    }
    if (KW("enum") && !failed(c))
        compile_enum(c, s, v, "enum");
    else if (KW("const") && !failed(c))
        compile_enum(c, s, v, "const");
    if (KW("nullable") && !failed(c) && get_bool(c, v, "nullable"))
        flags |= WX_SF_NULLABLE;
    if (KW("x-nullable") && json_object_is_type(v, json_type_boolean) &&
        json_object_get_boolean(v))
        flags |= WX_SF_NULLABLE;
    if (KW("allOf") && !failed(c))
        s->all_of = compile_list(c, v, "allOf", &s->nall_of, 0);
    if (KW("anyOf") && !failed(c))
        s->any_of = compile_list(c, v, "anyOf", &s->nany_of, 0);
    if (KW("oneOf") && !failed(c))
        s->one_of = compile_list(c, v, "oneOf", &s->none_of, 0);
    if (KW("not") && !failed(c))
        s->not_schema = compile_at(c, v, "not");
    if (KW("x-is-sensitive") && !failed(c))
        wx_compile_name_list(c, v, "x-is-sensitive", &s->sensitive, &s->nsensitive);
    if (KW("xml") && json_object_is_type(v, json_type_object)) {
        json_object *name;
        if (json_object_object_get_ex(v, "name", &name) &&
            json_object_is_type(name, json_type_string) &&
            strcmp(json_object_get_string(name), "xml") == 0)
            flags |= WX_SF_XML_ROOT;
    }
    if (KW("example"))
        s->example = v;
    else if (param && KW("x-example"))
        s->example = v;
    if (KW("default"))
        s->deflt = v;
    if (KW("examples") && json_object_is_type(v, json_type_array))
        s->examples = v;
#undef KW
    s->flags |= flags;
}

static wx_schema *new_schema(wx_compiler *c)
{
    wx_schema *s = wx_arena_alloc(c->arena, sizeof *s);
    if (!s) {
        nomem(c);
        return NULL;
    }
    s->min_props = s->max_props = s->min_items = s->max_items = -1;
    s->min_len = s->max_len = -1;
    return s;
}

const wx_schema *wx_schema_compile(wx_compiler *c, json_object *node)
{
    if (failed(c))
        return NULL;
    if (json_object_is_type(node, json_type_boolean))
        return json_object_get_boolean(node) ? &wx_schema_any : &k_false_schema;
    if (!json_object_is_type(node, json_type_object)) {
        wx_compile_fail(c, NULL, "a schema must be an object, not %s", wx_json_type_name(node));
        return NULL;
    }
    wx_memo_entry *e = memo_find(c->memo, node);
    if (e && e->schema)
        return e->schema;
    if (c->recursion >= WX_COMPILE_MAX_RECURSION) {
        wx_compile_fail(c, NULL, "schema nested too deeply");
        return NULL;
    }
    wx_schema *s = new_schema(c);
    if (!s)
        return NULL;
    e = memo_insert(c->memo, node);
    if (!e) {
        nomem(c);
        return NULL;
    }
    if (c->nadded == c->cap_added) {
        size_t cap = c->cap_added ? c->cap_added * 2 : 32;
        const json_object **a = wx_realloc(c->added, cap * sizeof *a);
        if (!a) {
            nomem(c);
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
    compile_keywords(c, s, node, 0);
    c->recursion--;
    /* The memo may have grown (moved) meanwhile. */
    e = memo_find(c->memo, node);
    if (e)
        e->in_progress = 0;
    return failed(c) ? NULL : s;
}

const wx_schema *wx_schema_compile_param(wx_compiler *c, json_object *param)
{
    if (failed(c))
        return NULL;
    wx_schema *s = new_schema(c);
    if (!s)
        return NULL;
    compile_keywords(c, s, param, 1);
    return failed(c) ? NULL : s;
}
