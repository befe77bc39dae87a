/* The draft-4 meta-schema over a spec's schemas, for `wxpay spec lint`: every violation,
 * not only the first (the compiler stops at the first one of an operation), each with its
 * file and key path. What the compiler refuses is an error; what it accepts although the
 * meta-schema does not (an empty `required`, an `enum` or `required` that repeats a member)
 * is a warning. Schemas are reached from each operation through `$ref`s across files, and
 * each node is checked once per lint run. */
#include "spec/spec_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

#define META_MAX_DEPTH 100

typedef struct meta {
    wx_spec_t *spec;
    wx_meta_seen *seen;
    wx_meta_report report;
    void *ud;
    const char *method; /* the operation that reached the node */
    int response;       /* reached from a response */
} meta;

/* 1 the first time @p node is seen in this lint run (an open-addressing pointer set). */
static int first_time(meta *m, const json_object *node)
{
    wx_meta_seen *s = m->seen;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        const json_object **items = wx_calloc(cap, sizeof *items);
        if (!items) {
            s->nomem = 1;
            return 0;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->items[i])
                continue;
            size_t j = ((uintptr_t)s->items[i] >> 4) & (cap - 1);
            while (items[j])
                j = (j + 1) & (cap - 1);
            items[j] = s->items[i];
        }
        wx_free(s->items);
        s->items = items;
        s->cap = cap;
    }
    size_t i = ((uintptr_t)node >> 4) & (s->cap - 1);
    while (s->items[i]) {
        if (s->items[i] == node)
            return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->items[i] = node;
    s->n++;
    return 1;
}

static void say(meta *m, const wx_doc *doc, const wx_keypath *kp, const char *key, int warning,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void say(meta *m, const wx_doc *doc, const wx_keypath *kp, const char *key, int warning,
                const char *fmt, ...)
{
    wx_keypath at = *kp;
    if (key)
        wx_keypath_push_key(&at, key);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    m->report(m->ud, doc->display, at.text, warning, m->method, m->response, msg);
}

static void schema(meta *m, wx_doc *doc, json_object *node, wx_keypath *kp, int depth);

static void at_key(meta *m, wx_doc *doc, json_object *node, wx_keypath *kp, const char *key,
                   int depth)
{
    size_t old = wx_keypath_push_key(kp, key);
    schema(m, doc, node, kp, depth + 1);
    wx_keypath_pop(kp, old);
}

static void schema_list(meta *m, wx_doc *doc, json_object *v, wx_keypath *kp, const char *key,
                        int depth)
{
    if (!json_object_is_type(v, json_type_array) || !json_object_array_length(v)) {
        say(m, doc, kp, key, 0, "%s must be a non-empty list of schemas", key);
        return;
    }
    size_t old = wx_keypath_push_key(kp, key);
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        size_t o2 = wx_keypath_push_index(kp, i);
        schema(m, doc, json_object_array_get_idx(v, i), kp, depth + 1);
        wx_keypath_pop(kp, o2);
    }
    wx_keypath_pop(kp, old);
}

static void schema_map(meta *m, wx_doc *doc, json_object *v, wx_keypath *kp, const char *key,
                       int depth)
{
    if (!json_object_is_type(v, json_type_object)) {
        say(m, doc, kp, key, 0, "%s must be an object of schemas", key);
        return;
    }
    size_t old = wx_keypath_push_key(kp, key);
    json_object_object_foreach(v, name, sub)
        at_key(m, doc, sub, kp, name, depth);
    wx_keypath_pop(kp, old);
}

static int known_type(const char *t)
{
    static const char *const k[] = {"null", "boolean", "integer", "number", "string", "array",
                                    "object", "file"};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (strcmp(t, k[i]) == 0)
            return 1;
    return 0;
}

static void check_type(meta *m, wx_doc *doc, json_object *v, wx_keypath *kp)
{
    int one = json_object_is_type(v, json_type_string);
    size_t n = one ? 1 : json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (!n) {
        say(m, doc, kp, "type", 0, "type must be a name or a non-empty list of names");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *e = one ? v : json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string))
            say(m, doc, kp, "type", 0, "type must be a name or a list of names");
        else if (!known_type(json_object_get_string(e)))
            say(m, doc, kp, "type", 0, "unknown type \"%s\"", json_object_get_string(e));
        for (size_t j = 0; j < i; j++)
            if (wx_json_equal(e, json_object_array_get_idx(v, j)))
                say(m, doc, kp, "type", 1, "type repeats \"%s\"", json_object_get_string(e));
    }
}

/* required and enum: lists whose members must differ; required must name at least one. */
static void check_list(meta *m, wx_doc *doc, json_object *v, wx_keypath *kp, const char *key)
{
    int is_enum = key[0] == 'e';
    if (!json_object_is_type(v, json_type_array)) {
        say(m, doc, kp, key, 0, "%s must be a list", key);
        return;
    }
    size_t n = json_object_array_length(v);
    if (!n)
        say(m, doc, kp, key, !is_enum, "%s is empty (draft 4: at least one %s)", key,
            is_enum ? "value" : "name");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!is_enum && !json_object_is_type(e, json_type_string)) {
            say(m, doc, kp, key, 0, "required must be a list of strings");
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (wx_json_equal(e, json_object_array_get_idx(v, j))) {
                wx_buf b = WX_BUF_INIT;
                wx_json_append_text(&b, e, 1);
                say(m, doc, kp, key, 1, "%s repeats %s (draft 4: members must differ)", key,
                    wx_buf_ok(&b) ? wx_buf_str(&b) : "a member");
                wx_buf_free(&b);
                break;
            }
    }
}

static void check_numbers(meta *m, wx_doc *doc, json_object *node, wx_keypath *kp)
{
    static const char *const counts[] = {"minLength", "maxLength", "minItems", "maxItems",
                                         "minProperties", "maxProperties"};
    static const char *const nums[] = {"minimum", "maximum", "multipleOf"};
    json_object *v;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (json_object_object_get_ex(node, counts[i], &v) &&
            !(json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0))
            say(m, doc, kp, counts[i], 0, "%s must be a non-negative integer", counts[i]);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (json_object_object_get_ex(node, nums[i], &v) &&
            !json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
            say(m, doc, kp, nums[i], 0, "%s must be a number", nums[i]);
    if (json_object_object_get_ex(node, "multipleOf", &v) && json_object_get_double(v) <= 0)
        say(m, doc, kp, "multipleOf", 0, "multipleOf must be greater than 0");
}

static void follow_ref(meta *m, wx_doc *doc, const char *ref, wx_keypath *kp, int depth)
{
    const char *hash = strchr(ref, '#');
    size_t file_len = hash ? (size_t)(hash - ref) : strlen(ref);
    wx_doc *target = doc;
    if (file_len) {
        char file[512], rel[512];
        if (file_len >= sizeof file || !doc->rel)
            return;
        memcpy(file, ref, file_len);
        file[file_len] = 0;
        wx_spec_problem prob;
        memset(&prob, 0, sizeof prob);
        if (wx_rel_resolve(doc->rel, file, rel, sizeof rel) != 0 ||
            !(target = wx_spec_doc(m->spec, rel, &prob)))
            return; /* the compiler reports a $ref that leads nowhere */
    }
    wx_keypath tk;
    wx_keypath_set(&tk, "");
    json_object *node = wx_json_pointer(target->root, hash ? hash + 1 : "", &tk);
    if (node)
        schema(m, target, node, &tk, depth + 1);
}

static void schema(meta *m, wx_doc *doc, json_object *node, wx_keypath *kp, int depth)
{
    if (json_object_is_type(node, json_type_boolean) || depth > META_MAX_DEPTH)
        return;
    if (!json_object_is_type(node, json_type_object)) {
        say(m, doc, kp, NULL, 0, "a schema must be an object, not %s", wx_json_type_name(node));
        return;
    }
    if (!first_time(m, node))
        return;
    json_object *v;
    if (json_object_object_get_ex(node, "$ref", &v) && json_object_is_type(v, json_type_string))
        follow_ref(m, doc, json_object_get_string(v), kp, depth);
    if (json_object_object_get_ex(node, "type", &v))
        check_type(m, doc, v, kp);
    if (json_object_object_get_ex(node, "required", &v))
        check_list(m, doc, v, kp, "required");
    if (json_object_object_get_ex(node, "enum", &v))
        check_list(m, doc, v, kp, "enum");
    check_numbers(m, doc, node, kp);
    static const char *const maps[] = {"properties", "patternProperties", "definitions"};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        if (json_object_object_get_ex(node, maps[i], &v))
            schema_map(m, doc, v, kp, maps[i], depth);
    static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (json_object_object_get_ex(node, lists[i], &v))
            schema_list(m, doc, v, kp, lists[i], depth);
    static const char *const subs[] = {"additionalProperties", "additionalItems", "not"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (json_object_object_get_ex(node, subs[i], &v))
            at_key(m, doc, v, kp, subs[i], depth);
    if (json_object_object_get_ex(node, "items", &v)) {
        if (json_object_is_type(v, json_type_array))
            schema_list(m, doc, v, kp, "items", depth);
        else
            at_key(m, doc, v, kp, "items", depth);
    }
}

/* Follows `$ref`s on parameters and responses (not schemas themselves). */
static json_object *deref(meta *m, wx_doc **doc, json_object *v, wx_keypath *kp)
{
    json_object *ref;
    for (int hops = 0; hops < 16 && json_object_is_type(v, json_type_object) &&
                       json_object_object_get_ex(v, "$ref", &ref) &&
                       json_object_is_type(ref, json_type_string);
         hops++) {
        const char *r = json_object_get_string(ref), *hash = strchr(r, '#');
        size_t file_len = hash ? (size_t)(hash - r) : strlen(r);
        if (file_len) {
            char file[512], rel[512];
            wx_spec_problem prob;
            memset(&prob, 0, sizeof prob);
            if (file_len >= sizeof file || !(*doc)->rel)
                return NULL;
            memcpy(file, r, file_len);
            file[file_len] = 0;
            if (wx_rel_resolve((*doc)->rel, file, rel, sizeof rel) != 0 ||
                !(*doc = wx_spec_doc(m->spec, rel, &prob)))
                return NULL;
        }
        wx_keypath_set(kp, "");
        v = wx_json_pointer((*doc)->root, hash ? hash + 1 : "", kp);
    }
    return v;
}

static void parameters(meta *m, wx_doc *doc, json_object *list, wx_keypath *kp)
{
    size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        wx_keypath pk = *kp;
        wx_keypath_push_index(&pk, i);
        wx_doc *pd = doc;
        json_object *p = deref(m, &pd, json_object_array_get_idx(list, i), &pk), *in, *v;
        if (!json_object_is_type(p, json_type_object) || !first_time(m, p))
            continue;
        if (json_object_object_get_ex(p, "schema", &v)) {
            at_key(m, pd, v, &pk, "schema", 0);
            continue;
        }
        /* A Swagger 2.0 parameter is its own schema, without the object keywords. */
        (void)in;
        if (json_object_object_get_ex(p, "type", &v))
            check_type(m, pd, v, &pk);
        if (json_object_object_get_ex(p, "enum", &v))
            check_list(m, pd, v, &pk, "enum");
        check_numbers(m, pd, p, &pk);
        if (json_object_object_get_ex(p, "items", &v))
            at_key(m, pd, v, &pk, "items", 0);
    }
}

static void responses(meta *m, wx_doc *doc, json_object *resps, wx_keypath *kp)
{
    if (!json_object_is_type(resps, json_type_object))
        return;
    m->response = 1;
    json_object_object_foreach(resps, code, raw)
    {
        wx_keypath rk = *kp;
        wx_keypath_push_key(&rk, code);
        wx_doc *rd = doc;
        json_object *r = deref(m, &rd, raw, &rk), *v, *content;
        if (!json_object_is_type(r, json_type_object))
            continue;
        if (json_object_object_get_ex(r, "schema", &v))
            at_key(m, rd, v, &rk, "schema", 0);
        if (json_object_object_get_ex(r, "content", &content) &&
            json_object_is_type(content, json_type_object)) {
            wx_keypath_push_key(&rk, "content");
            json_object_object_foreach(content, type, media)
            {
                wx_keypath mk = rk;
                wx_keypath_push_key(&mk, type);
                if (json_object_object_get_ex(media, "schema", &v))
                    at_key(m, rd, v, &mk, "schema", 0);
            }
        }
    }
    m->response = 0;
}

void wx_meta_lint_route(wx_spec_t *spec, wx_doc *doc, wx_meta_seen *seen, wx_meta_report report,
                        void *ud)
{
    static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head",
                                          "options", "trace"};
    meta m = {spec, seen, report, ud, NULL, 0};
    if (!json_object_is_type(doc->root, json_type_object))
        return;
    json_object *op, *v;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (!json_object_object_get_ex(doc->root, methods[i], &op) ||
            !json_object_is_type(op, json_type_object))
            continue;
        m.method = methods[i];
        wx_keypath kp;
        wx_keypath_set(&kp, methods[i]);
        if (json_object_object_get_ex(op, "parameters", &v)) {
            size_t old = wx_keypath_push_key(&kp, "parameters");
            parameters(&m, doc, v, &kp);
            wx_keypath_pop(&kp, old);
        }
        if (json_object_object_get_ex(op, "responses", &v)) {
            size_t old = wx_keypath_push_key(&kp, "responses");
            responses(&m, doc, v, &kp);
            wx_keypath_pop(&kp, old);
        }
    }
}
