/* Schema keywords: what each JSON Schema (draft 4, with Swagger's and the community
 * dialect's extensions) keyword compiles into, as one table of handlers. Every value is
 * checked here, so a broken keyword is a load error naming its key path. */
#include "spec/spec_impl.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

/* A bound (minimum, maximum, multipleOf): a finite number, kept as a double and, when it
 * is an integer that int64 holds, exactly as one too (bounds beyond 2^53 stay exact). */
static int bound_kw(wx_compiler *c, json_object *v, const char *key, wx_bound *out)
{
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        wx_compile_fail(c, key, "%s must be a number", key);
        return -1;
    }
    out->d = json_object_get_double(v);
    if (!isfinite(out->d)) {
        wx_compile_fail(c, key, "%s must be a finite number", key);
        return -1;
    }
    out->exact = 0;
    if (json_object_is_type(v, json_type_int)) {
        /* json-c keeps integers above INT64_MAX as uint64; those compare as doubles. */
        out->i = json_object_get_int64(v);
        out->exact = !(out->i == INT64_MAX && json_object_get_uint64(v) > INT64_MAX);
    }
    out->text = wx_spec_arena_strdup(c->arena, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    if (!out->text) {
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
        return;
    }
    size_t old = push(c, "properties");
    size_t i = 0;
    c->instance_depth++;
    json_object_object_foreach(v, key, val)
    {
        props[i].name = wx_spec_arena_strdup(c->arena, key);
        props[i].schema = compile_at(c, val, key);
        if (!props[i].name && !wx_compile_failed(c))
            wx_compile_nomem(c);
        if (wx_compile_failed(c))
            break;
        i++;
    }
    c->instance_depth--;
    pop(c, old);
    if (wx_compile_failed(c))
        return;
    wx_prop *sorted = wx_arena_alloc(c->arena, (n ? n : 1) * sizeof *sorted);
    if (!sorted) {
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
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
            wx_compile_nomem(c);
            break;
        }
        int rc = wx_regex_compile(re, key, why, sizeof why);
        if (rc == -2) {
            wx_compile_nomem(c);
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
        if (wx_compile_failed(c))
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
        wx_compile_nomem(c);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        json_object *e = one ? v : json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) {
            wx_compile_fail(c, key, "%s must be a name or a list of names", key);
            return;
        }
        if (!(names[i] = wx_spec_arena_strdup(c->arena, json_object_get_string(e)))) {
            wx_compile_nomem(c);
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
        wx_compile_nomem(c);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) {
            wx_compile_fail(c, "required", "required must be a list of strings");
            return;
        }
        if (!(req[i] = wx_spec_arena_strdup(c->arena, json_object_get_string(e)))) {
            wx_compile_nomem(c);
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
        wx_compile_nomem(c);
        return NULL;
    }
    size_t old = push(c, key);
    c->instance_depth += descend;
    for (size_t i = 0; i < n && !wx_compile_failed(c); i++) {
        size_t o2 = push_index(c, i);
        list[i] = wx_schema_compile(c, json_object_array_get_idx(v, i));
        pop(c, o2);
    }
    c->instance_depth -= descend;
    pop(c, old);
    *count = n;
    return wx_compile_failed(c) ? NULL : list;
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
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
        return;
    }
    int rc = wx_regex_compile(re, src, why, sizeof why);
    if (rc == -2) {
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
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
        wx_compile_nomem(c);
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
        wx_memo_entry *e = wx_memo_find(c->memo, target);
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

/* ---------------------------------------------------------------- the keyword table */

struct kw;
typedef void kw_fn(wx_compiler *c, wx_schema *s, json_object *v, const struct kw *k,
                   unsigned *flags);

typedef struct kw {
    const char *name;
    kw_fn *fn;
    unsigned group;  /* WX_SF_*_KW set when the keyword is present */
    int not_param;   /* not read on a Swagger 2.0 parameter object (its own keys) */
    size_t offset;   /* the wx_schema member a generic handler fills */
} kw;

#define AT(member) offsetof(wx_schema, member)
_Static_assert(offsetof(wx_schema, nall_of) == offsetof(wx_schema, all_of) + sizeof(void *) &&
                   offsetof(wx_schema, nany_of) == offsetof(wx_schema, any_of) + sizeof(void *) &&
                   offsetof(wx_schema, none_of) == offsetof(wx_schema, one_of) + sizeof(void *),
               "kw_list: each combinator's count follows its list");
#define FIELD(type, s, k) ((type *)(void *)((char *)(s) + (k)->offset))

static void kw_ref(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    s->ref = compile_ref(c, v);
}

static void kw_type(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    compile_type(c, s, v);
}

static void kw_properties(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    compile_properties(c, s, v);
}

static void kw_pattern_props(wx_compiler *c, wx_schema *s, json_object *v, const kw *k,
                             unsigned *f)
{
    (void)k, (void)f;
    compile_pattern_properties(c, s, v);
}

static void kw_required(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    compile_required(c, s, v);
}

/* additionalProperties and additionalItems: `false`, `true` (nothing to check) or a
 * schema for each further member or item. */
static void kw_additional(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    if (json_object_is_type(v, json_type_boolean)) {
        if (!json_object_get_boolean(v))
            *f |= k->group == WX_SF_OBJ_KW ? WX_SF_ADDL_FALSE : WX_SF_ADDL_ITEMS_FALSE;
        else if (k->group == WX_SF_OBJ_KW)
            *f &= ~(unsigned)WX_SF_OBJ_KW; /* `true` asks nothing of an object */
        return;
    }
    c->instance_depth++;
    *FIELD(const wx_schema *, s, k) = compile_at(c, v, k->name);
    c->instance_depth--;
}

static void kw_count(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)f;
    *FIELD(long, s, k) = count_kw(c, v, k->name);
}

static void kw_items(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    if (json_object_is_type(v, json_type_array)) {
        s->tuple = compile_list(c, v, "items", &s->ntuple, 1);
        return;
    }
    c->instance_depth++;
    s->items = compile_at(c, v, "items");
    c->instance_depth--;
}

static void kw_unique(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)s;
    if (get_bool(c, v, k->name))
        *f |= WX_SF_UNIQUE;
    else
        *f &= ~(unsigned)WX_SF_ARR_KW;
}

static void kw_pattern(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    compile_pattern(c, s, v);
}

static void kw_format(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k;
    compile_format(c, s, v);
    if (!s->format)
        *f &= ~(unsigned)WX_SF_STR_KW; /* unknown formats are annotations */
}

/* minimum and maximum; draft 4's boolean exclusiveMinimum/Maximum next to them, or draft
 * 6's numeric one that is the bound itself. */
static void kw_bound(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    int is_min = k->offset == AT(minimum);
    unsigned bound = is_min ? WX_SF_MIN : WX_SF_MAX;
    unsigned excl = is_min ? WX_SF_EXCL_MIN : WX_SF_EXCL_MAX;
    int exclusive_kw = strncmp(k->name, "exclusive", 9) == 0;
    if (exclusive_kw && json_object_is_type(v, json_type_boolean)) {
        if (json_object_get_boolean(v))
            *f |= excl;
        return;
    }
    if (bound_kw(c, v, k->name, FIELD(wx_bound, s, k)) == 0)
        *f |= bound | (exclusive_kw ? excl : 0u);
}

static void kw_multiple(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    if (bound_kw(c, v, k->name, &s->multiple_of) != 0)
        return;
    if (!(s->multiple_of.d > 0))
        wx_compile_fail(c, k->name, "%s must be greater than 0", k->name);
    *f |= WX_SF_MULTIPLE;
}

static void kw_enum(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)f;
    if (!s->nenum) /* `const` when there is no `enum` */
        compile_enum(c, s, v, k->name);
}

static void kw_nullable(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)s;
    /* OpenAPI 3's nullable must be a boolean; Swagger's x-nullable is read when it is one. */
    int strict = k->name[0] != 'x';
    if (strict ? get_bool(c, v, k->name)
               : json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v))
        *f |= WX_SF_NULLABLE;
}

static void kw_list(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)f;
    size_t n = 0;
    const wx_schema *const *list = compile_list(c, v, k->name, &n, 0);
    *FIELD(const wx_schema *const *, s, k) = list;
    /* The count follows the list in wx_schema. */
    *(size_t *)(void *)((char *)s + k->offset + sizeof list) = n;
}

static void kw_not(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)k, (void)f;
    s->not_schema = compile_at(c, v, "not");
}

static void kw_sensitive(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)f;
    wx_compile_name_list(c, v, k->name, &s->sensitive, &s->nsensitive);
}

/* `xml: {name: xml}` names an APIv2 XML document. */
static void kw_xml(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)c, (void)s, (void)k;
    json_object *name;
    if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "name", &name) &&
        json_object_is_type(name, json_type_string) &&
        strcmp(json_object_get_string(name), "xml") == 0)
        *f |= WX_SF_XML_ROOT;
}

/* example, x-example (a parameter's, when it has no example), default: borrowed values. */
static void kw_value(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)c, (void)f;
    json_object **dst = FIELD(json_object *, s, k);
    if (!*dst)
        *dst = v;
}

static void kw_examples(wx_compiler *c, wx_schema *s, json_object *v, const kw *k, unsigned *f)
{
    (void)c, (void)k, (void)f;
    if (json_object_is_type(v, json_type_array))
        s->examples = v;
}

/* In the order they are compiled: $ref first (its problems come first), enum before const. */
static const kw k_keywords[] = {
    {"$ref", kw_ref, 0, 0, 0},
    {"type", kw_type, 0, 0, 0},
    {"properties", kw_properties, WX_SF_OBJ_KW, 1, 0},
    {"patternProperties", kw_pattern_props, WX_SF_OBJ_KW, 1, 0},
    {"required", kw_required, WX_SF_OBJ_KW, 1, 0},
    {"additionalProperties", kw_additional, WX_SF_OBJ_KW, 1, AT(additional)},
    {"minProperties", kw_count, WX_SF_OBJ_KW, 0, AT(min_props)},
    {"maxProperties", kw_count, WX_SF_OBJ_KW, 0, AT(max_props)},
    {"items", kw_items, WX_SF_ARR_KW, 0, 0},
    {"additionalItems", kw_additional, WX_SF_ARR_KW, 0, AT(additional_items)},
    {"minItems", kw_count, WX_SF_ARR_KW, 0, AT(min_items)},
    {"maxItems", kw_count, WX_SF_ARR_KW, 0, AT(max_items)},
    {"uniqueItems", kw_unique, WX_SF_ARR_KW, 0, 0},
    {"minLength", kw_count, WX_SF_STR_KW, 0, AT(min_len)},
    {"maxLength", kw_count, WX_SF_STR_KW, 0, AT(max_len)},
    {"pattern", kw_pattern, WX_SF_STR_KW, 0, 0},
    {"format", kw_format, WX_SF_STR_KW, 0, 0},
    {"minimum", kw_bound, WX_SF_NUM_KW, 0, AT(minimum)},
    {"maximum", kw_bound, WX_SF_NUM_KW, 0, AT(maximum)},
    {"exclusiveMinimum", kw_bound, WX_SF_NUM_KW, 0, AT(minimum)},
    {"exclusiveMaximum", kw_bound, WX_SF_NUM_KW, 0, AT(maximum)},
    {"multipleOf", kw_multiple, WX_SF_NUM_KW, 0, 0},
    {"enum", kw_enum, 0, 0, 0},
    {"const", kw_enum, 0, 0, 0},
    {"nullable", kw_nullable, 0, 0, 0},
    {"x-nullable", kw_nullable, 0, 0, 0},
    {"allOf", kw_list, 0, 0, AT(all_of)},
    {"anyOf", kw_list, 0, 0, AT(any_of)},
    {"oneOf", kw_list, 0, 0, AT(one_of)},
    {"not", kw_not, 0, 0, 0},
    {"x-is-sensitive", kw_sensitive, 0, 0, 0},
    {"xml", kw_xml, 0, 0, 0},
    {"example", kw_value, 0, 0, AT(example)},
    {"x-example", kw_value, 0, 0, AT(example)}, /* read on parameters only, see below */
    {"default", kw_value, 0, 0, AT(deflt)},
    {"examples", kw_examples, 0, 0, 0},
};

void wx_schema_compile_keywords(wx_compiler *c, wx_schema *s, json_object *node, int param)
{
    unsigned flags = 0;
    for (size_t i = 0; i < sizeof k_keywords / sizeof k_keywords[0]; i++) {
        const kw *k = &k_keywords[i];
        json_object *v;
        if (wx_compile_failed(c))
            return;
        if ((param && k->not_param) || (!param && k->fn == kw_value && k->name[0] == 'x'))
            continue;
        if (!json_object_object_get_ex(node, k->name, &v))
            continue;
        unsigned f = k->group;
        k->fn(c, s, v, k, &f);
        flags |= f;
    }
    /* exclusiveMinimum: true means nothing without a minimum. */
    if (!(flags & WX_SF_MIN))
        flags &= ~(unsigned)WX_SF_EXCL_MIN;
    if (!(flags & WX_SF_MAX))
        flags &= ~(unsigned)WX_SF_EXCL_MAX;
    s->flags |= flags;
}
