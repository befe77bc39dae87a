/* YAML spec files -> json-c values through libyaml's event parser.
 *
 * Scalars follow the YAML 1.2 core schema, which is what the community spec samples
 * rely on: an unquoted 16474341 is a number, true/false are booleans, null/~/empty are
 * null, and anything quoted stays a string. yes/no/on/off stay strings (YAML 1.1 would
 * make them booleans and break enums such as `- N`). Mapping keys are always strings
 * (`200:` is "200"). Anchors, aliases and `<<` merge keys are supported; an alias to
 * a node that contains it is refused, as are complex keys and duplicate keys. */
#include "spec/spec_impl.h"

#if WX_HAVE_YAML

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/alloc.h"

#define WX_YAML_MAX_DEPTH 128
/* Aliases share nodes; this bounds the size the document would have if expanded. */
#define WX_YAML_MAX_EXPANDED 4000000

typedef struct anchor {
    char *name;
    json_object *node; /* own reference */
    size_t weight;     /* nodes in it, counting through aliases */
} anchor;

typedef struct frame {
    json_object *node;
    int is_map;
    char *anchor;      /* to register when the node ends */
    size_t weight;
    char *key;         /* mapping: the key waiting for its value */
    int key_is_merge;
    json_object *merges; /* mapping: values of `<<` keys */
} frame;

typedef struct yctx {
    const char *display;
    wx_spec_problem *prob;
    frame stack[WX_YAML_MAX_DEPTH];
    int depth;
    anchor *anchors;
    size_t nanchors, cap_anchors;
    json_object *root;
    int have_root;
    size_t expanded;
    int documents;
} yctx;

static wx_err fail_at(yctx *y, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static wx_err fail_at(yctx *y, const yaml_mark_t *m, const char *fmt, ...)
{
    char where[64], msg[400];
    snprintf(where, sizeof where, "line %zu, column %zu", (size_t)m->line + 1,
             (size_t)m->column + 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wx_problem_set(y->prob, WX_E_SPEC, y->display, where, "%s", msg);
}

static wx_err nomem(yctx *y)
{
    return wx_problem_set(y->prob, WX_E_NOMEM, y->display, "", "out of memory");
}

/* ---------------------------------------------------------------- scalars */

static int all_digits(const char *s, int (*ok)(int))
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!ok((unsigned char)*s))
            return 0;
    return 1;
}

static int is_dec(int c) { return c >= '0' && c <= '9'; }
static int is_oct(int c) { return c >= '0' && c <= '7'; }
static int is_hex(int c)
{
    return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_core_float(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    int digits = 0;
    while (is_dec(*s)) {
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        int frac = 0;
        while (is_dec(*s)) {
            s++;
            frac++;
        }
        if (!digits && !frac)
            return 0;
    } else if (!digits) {
        return 0;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!is_dec(*s))
            return 0;
        while (is_dec(*s))
            s++;
    }
    return *s == 0;
}

/* JSON's own number grammar, to keep the original text when it is valid JSON. */
static int is_json_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (is_dec(*s))
            s++;
    else
        return 0;
    if (*s == '.') {
        s++;
        if (!is_dec(*s))
            return 0;
        while (is_dec(*s))
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!is_dec(*s))
            return 0;
        while (is_dec(*s))
            s++;
    }
    return *s == 0;
}

static json_object *make_double(const char *text)
{
    double d = strtod(text, NULL);
    if (is_json_number(text))
        return json_object_new_double_s(d, text);
    return json_object_new_double(d);
}

/* 1: made an integer (or a double for one too big), 0: not an integer, -1: nomem. */
static int make_int(const char *text, json_object **out)
{
    const char *s = text;
    int base = 10;
    const char *digits = s;
    if ((s[0] == '-' || s[0] == '+') && all_digits(s + 1, is_dec)) {
        digits = s;
    } else if (all_digits(s, is_dec)) {
        digits = s;
    } else if (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, is_oct)) {
        base = 8;
        digits = s + 2;
    } else if (s[0] == '0' && s[1] == 'x' && all_digits(s + 2, is_hex)) {
        base = 16;
        digits = s + 2;
    } else {
        return 0;
    }
    errno = 0;
    char *end;
    long long v = strtoll(digits, &end, base);
    if (errno == ERANGE) {
        /* Beyond int64: still a number, as JSON would have it. */
        *out = base == 10 ? make_double(text) : json_object_new_double(strtod(text, NULL));
    } else {
        *out = json_object_new_int64(v);
    }
    return *out ? 1 : -1;
}

static int is_null_word(const char *s)
{
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

static int bool_word(const char *s)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
        return 1;
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        return 0;
    return -1;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

/* Turns a scalar event into a json-c value. Returns WX_OK or a problem. */
static wx_err scalar_value(yctx *y, const yaml_event_t *ev, json_object **out)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *core = NULL;
    if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
        core = tag + strlen(TAG_PREFIX);
    else if (tag && strcmp(tag, "!") == 0)
        plain = 0;
    *out = NULL;
    if (strlen(text) != len)
        return fail_at(y, &ev->start_mark, "invalid YAML: NUL character in a scalar");

    if (core && strcmp(core, "str") == 0) {
        plain = 0;
    } else if (core && strcmp(core, "null") == 0) {
        return WX_OK; /* NULL is json-c's null */
    } else if (core && strcmp(core, "bool") == 0) {
        int b = bool_word(text);
        if (b < 0)
            return fail_at(y, &ev->start_mark, "invalid YAML: \"%s\" is not a boolean", text);
        *out = json_object_new_boolean(b);
        return *out ? WX_OK : nomem(y);
    } else if (core && strcmp(core, "int") == 0) {
        int r = make_int(text, out);
        if (r < 0)
            return nomem(y);
        if (r == 0)
            return fail_at(y, &ev->start_mark, "invalid YAML: \"%s\" is not an integer", text);
        return WX_OK;
    } else if (core && strcmp(core, "float") == 0) {
        if (!is_core_float(text))
            return fail_at(y, &ev->start_mark, "invalid YAML: \"%s\" is not a number", text);
        *out = make_double(text);
        return *out ? WX_OK : nomem(y);
    }

    if (plain) {
        if (is_null_word(text))
            return WX_OK;
        int b = bool_word(text);
        if (b >= 0) {
            *out = json_object_new_boolean(b);
            return *out ? WX_OK : nomem(y);
        }
        int r = make_int(text, out);
        if (r < 0)
            return nomem(y);
        if (r > 0)
            return WX_OK;
        if (is_core_float(text)) {
            *out = make_double(text);
            return *out ? WX_OK : nomem(y);
        }
    }
    *out = json_object_new_string_len(text, (int)len);
    return *out ? WX_OK : nomem(y);
}

/* ---------------------------------------------------------------- tree building */

static anchor *find_anchor(yctx *y, const char *name)
{
    for (size_t i = y->nanchors; i-- > 0;)
        if (strcmp(y->anchors[i].name, name) == 0)
            return &y->anchors[i];
    return NULL;
}

static wx_err add_anchor(yctx *y, const char *name, json_object *node, size_t weight)
{
    if (y->nanchors == y->cap_anchors) {
        size_t cap = y->cap_anchors ? y->cap_anchors * 2 : 8;
        anchor *a = wx_realloc(y->anchors, cap * sizeof *a);
        if (!a)
            return nomem(y);
        y->anchors = a;
        y->cap_anchors = cap;
    }
    char *copy = wx_strdup(name);
    if (!copy)
        return nomem(y);
    y->anchors[y->nanchors++] = (anchor){copy, json_object_get(node), weight};
    return WX_OK;
}

static wx_err add_weight(yctx *y, size_t w, const yaml_mark_t *m)
{
    y->expanded += w;
    if (y->expanded > WX_YAML_MAX_EXPANDED)
        return fail_at(y, m, "invalid YAML: too many nodes once aliases are expanded");
    if (y->depth > 0)
        y->stack[y->depth - 1].weight += w;
    return WX_OK;
}

/* Put a finished value (reference taken over) into the container on top of the stack,
 * or make it the root. */
static wx_err place(yctx *y, json_object *v, const yaml_mark_t *m)
{
    if (y->depth == 0) {
        if (y->have_root) {
            json_object_put(v);
            return fail_at(y, m, "invalid YAML: more than one document in the file");
        }
        y->have_root = 1; /* a document whose root is null still counts */
        y->root = v;
        return WX_OK;
    }
    frame *f = &y->stack[y->depth - 1];
    if (!f->is_map) {
        if (json_object_array_add(f->node, v) != 0) {
            json_object_put(v);
            return nomem(y);
        }
        return WX_OK;
    }
    if (!f->key) {
        /* A mapping key that is not a scalar. */
        json_object_put(v);
        return fail_at(y, m, "invalid YAML: complex mapping keys are not supported");
    }
    char *key = f->key;
    f->key = NULL;
    if (f->key_is_merge) {
        f->key_is_merge = 0;
        wx_free(key);
        if (!f->merges && !(f->merges = json_object_new_array())) {
            json_object_put(v);
            return nomem(y);
        }
        if (json_object_is_type(v, json_type_object)) {
            if (json_object_array_add(f->merges, v) != 0) {
                json_object_put(v);
                return nomem(y);
            }
            return WX_OK;
        }
        if (json_object_is_type(v, json_type_array)) {
            size_t n = json_object_array_length(v);
            for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_object)) {
                    json_object_put(v);
                    return fail_at(y, m, "invalid YAML: a << merge takes mappings");
                }
                if (json_object_array_add(f->merges, json_object_get(e)) != 0) {
                    json_object_put(e);
                    json_object_put(v);
                    return nomem(y);
                }
            }
            json_object_put(v);
            return WX_OK;
        }
        json_object_put(v);
        return fail_at(y, m, "invalid YAML: a << merge takes mappings");
    }
    if (json_object_object_get_ex(f->node, key, NULL)) {
        wx_err e = fail_at(y, m, "invalid YAML: duplicate key \"%s\"", key);
        wx_free(key);
        json_object_put(v);
        return e;
    }
    int rc = json_object_object_add(f->node, key, v);
    wx_free(key);
    if (rc != 0) {
        json_object_put(v);
        return nomem(y);
    }
    return WX_OK;
}

/* Merged keys never override the mapping's own keys; earlier merges win over later. */
static wx_err apply_merges(yctx *y, frame *f)
{
    if (!f->merges)
        return WX_OK;
    size_t n = json_object_array_length(f->merges);
    for (size_t i = 0; i < n; i++) {
        json_object *src = json_object_array_get_idx(f->merges, i);
        json_object_object_foreach(src, k, val)
        {
            if (json_object_object_get_ex(f->node, k, NULL))
                continue;
            if (json_object_object_add(f->node, k, json_object_get(val)) != 0) {
                json_object_put(val);
                return nomem(y);
            }
        }
    }
    return WX_OK;
}

static void frame_clear(frame *f)
{
    json_object_put(f->node);
    json_object_put(f->merges);
    wx_free(f->anchor);
    wx_free(f->key);
    memset(f, 0, sizeof *f);
}

static wx_err on_start(yctx *y, const yaml_event_t *ev, int is_map)
{
    const yaml_mark_t *m = &ev->start_mark;
    if (y->depth > 0) {
        frame *top = &y->stack[y->depth - 1];
        if (top->is_map && !top->key)
            return fail_at(y, m, "invalid YAML: complex mapping keys are not supported");
    }
    if (y->depth == WX_YAML_MAX_DEPTH)
        return fail_at(y, m, "invalid YAML: nesting deeper than %s levels", "128");
    const yaml_char_t *anc = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    frame *f = &y->stack[y->depth];
    memset(f, 0, sizeof *f);
    f->is_map = is_map;
    f->node = is_map ? json_object_new_object() : json_object_new_array();
    if (!f->node)
        return nomem(y);
    if (anc && !(f->anchor = wx_strdup((const char *)anc))) {
        frame_clear(f);
        return nomem(y);
    }
    f->weight = 1;
    y->depth++;
    return WX_OK;
}

static wx_err on_end(yctx *y, const yaml_event_t *ev)
{
    frame *f = &y->stack[y->depth - 1];
    wx_err e = f->is_map ? apply_merges(y, f) : WX_OK;
    if (e)
        return e;
    json_object *node = f->node;
    f->node = NULL;
    char *anc = f->anchor;
    f->anchor = NULL;
    size_t weight = f->weight;
    frame_clear(f);
    y->depth--;
    if (anc) {
        e = add_anchor(y, anc, node, weight);
        wx_free(anc);
        if (e) {
            json_object_put(node);
            return e;
        }
    }
    e = add_weight(y, weight, &ev->start_mark);
    if (e) {
        json_object_put(node);
        return e;
    }
    return place(y, node, &ev->start_mark);
}

static wx_err on_scalar(yctx *y, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    frame *top = y->depth > 0 ? &y->stack[y->depth - 1] : NULL;
    if (top && top->is_map && !top->key) {
        /* A mapping key: always a string, exactly as written. */
        const char *text = (const char *)ev->data.scalar.value;
        if (strlen(text) != ev->data.scalar.length)
            return fail_at(y, m, "invalid YAML: NUL character in a key");
        if (!(top->key = wx_strdup(text)))
            return nomem(y);
        top->key_is_merge = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                            strcmp(text, "<<") == 0;
        if (ev->data.scalar.anchor) {
            json_object *k = json_object_new_string(text);
            if (!k)
                return nomem(y);
            wx_err e = add_anchor(y, (const char *)ev->data.scalar.anchor, k, 1);
            json_object_put(k);
            return e;
        }
        return WX_OK;
    }
    json_object *v;
    wx_err e = scalar_value(y, ev, &v);
    if (e)
        return e;
    if (ev->data.scalar.anchor) {
        e = add_anchor(y, (const char *)ev->data.scalar.anchor, v, 1);
        if (e) {
            json_object_put(v);
            return e;
        }
    }
    e = add_weight(y, 1, m);
    if (e) {
        json_object_put(v);
        return e;
    }
    return place(y, v, m);
}

static wx_err on_alias(yctx *y, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    const char *name = (const char *)ev->data.alias.anchor;
    anchor *a = find_anchor(y, name);
    if (!a) {
        for (int i = 0; i < y->depth; i++)
            if (y->stack[i].anchor && strcmp(y->stack[i].anchor, name) == 0)
                return fail_at(y, m, "invalid YAML: alias *%s refers to a node that contains it",
                               name);
        return fail_at(y, m, "invalid YAML: unknown alias *%s", name);
    }
    frame *top = y->depth > 0 ? &y->stack[y->depth - 1] : NULL;
    if (top && top->is_map && !top->key) {
        if (!json_object_is_type(a->node, json_type_string))
            return fail_at(y, m, "invalid YAML: complex mapping keys are not supported");
        if (!(top->key = wx_strdup(json_object_get_string(a->node))))
            return nomem(y);
        return WX_OK;
    }
    wx_err e = add_weight(y, a->weight, m);
    if (e)
        return e;
    return place(y, json_object_get(a->node), m);
}

static wx_err parser_problem(yctx *y, const yaml_parser_t *p)
{
    char msg[300];
    if (p->context)
        snprintf(msg, sizeof msg, "%s (%s)", p->problem ? p->problem : "syntax error", p->context);
    else
        snprintf(msg, sizeof msg, "%s", p->problem ? p->problem : "syntax error");
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(y);
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR) {
        m.line = 0;
        m.column = 0;
        char where[64];
        snprintf(where, sizeof where, "byte %zu", (size_t)p->problem_offset);
        return wx_problem_set(y->prob, WX_E_SPEC, y->display, where, "invalid YAML: %s", msg);
    }
    return fail_at(y, &m, "invalid YAML: %s", msg);
}

wx_err wx_yaml_to_json(const char *display, const char *data, size_t len, json_object **out,
                       wx_spec_problem *prob)
{
    yctx y;
    memset(&y, 0, sizeof y);
    y.display = display;
    y.prob = prob;
    *out = NULL;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return nomem(&y);
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    wx_err e = WX_OK;
    int done = 0;
    while (!done && !e) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            e = parser_problem(&y, &p);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++y.documents > 1)
                e = fail_at(&y, &ev.start_mark,
                            "invalid YAML: more than one document in the file");
            break;
        case YAML_MAPPING_START_EVENT:
            e = on_start(&y, &ev, 1);
            break;
        case YAML_SEQUENCE_START_EVENT:
            e = on_start(&y, &ev, 0);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            e = on_end(&y, &ev);
            break;
        case YAML_SCALAR_EVENT:
            e = on_scalar(&y, &ev);
            break;
        case YAML_ALIAS_EVENT:
            e = on_alias(&y, &ev);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    while (y.depth > 0)
        frame_clear(&y.stack[--y.depth]);
    for (size_t i = 0; i < y.nanchors; i++) {
        wx_free(y.anchors[i].name);
        json_object_put(y.anchors[i].node);
    }
    wx_free(y.anchors);
    if (e) {
        json_object_put(y.root);
        return e;
    }
    if (!y.have_root) {
        /* An empty file (or only comments): an empty mapping would hide a mistake. */
        return wx_problem_set(prob, WX_E_SPEC, display, "", "invalid YAML: the file is empty");
    }
    *out = y.root;
    return WX_OK;
}

#else
typedef int wx_yaml_unused_t;
#endif
