/* RFC 6570 expansion of a compiled template (Appendix A's algorithm), with the
 * request-path mode that keeps values from ending or splitting the path. */
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "request/uritemplate_internal.h"
#include "util/alloc.h"
#include "util/error.h"

/* RFC 6570 Appendix A's table. */
typedef struct op_rules {
    char first;              /* 0: nothing before the first value */
    char sep;
    unsigned char named;     /* name=value pairs */
    unsigned char ifemp_eq;  /* an empty value still gets '=' (form style) */
    unsigned char reserved;  /* U+R: reserved characters and %XX pass through */
} op_rules;

static const op_rules k_ops[WX_UOP_COUNT] = {
    [WX_UOP_SIMPLE] = {0, ',', 0, 0, 0},
    [WX_UOP_RESERVED] = {0, ',', 0, 0, 1},
    [WX_UOP_FRAGMENT] = {'#', ',', 0, 0, 1},
    [WX_UOP_LABEL] = {'.', '.', 0, 0, 0},
    [WX_UOP_PATH] = {'/', '/', 0, 0, 0},
    [WX_UOP_PARAM] = {';', ';', 1, 0, 0},
    [WX_UOP_QUERY] = {'?', '&', 1, 1, 0},
    [WX_UOP_CONT] = {'&', '&', 1, 1, 0},
};

static const char k_hex[] = "0123456789ABCDEF";

/* How one varspec is written, fixed per expression. */
typedef struct enc_rules {
    unsigned allow;   /* wx_uri_char_class bits copied as is */
    int keep_pct;     /* %XX in a value passes through */
} enc_rules;

typedef struct expand_ctx {
    wx_uri_lookup_fn lookup;
    void *ud;
    wx_uri_mode mode;
    wx_buf *out;
    wx_error_t *err;
} expand_ctx;

/* A resolved value: undefined, a scalar (text), a list or a map. */
typedef enum { VAL_UNDEF, VAL_SCALAR, VAL_LIST, VAL_MAP } val_kind;

typedef struct resolved {
    val_kind kind;
    const char *s;
    size_t n;
    struct json_object *json;   /* the array or object for VAL_LIST/VAL_MAP */
} resolved;

/* Room for any int64/uint64 or "%.17g" double plus ".0". */
#define NUMBUF_SIZE 48

static inline void put_raw(wx_buf *out, const char *s, size_t n)
{
    if (n == 0 || !wx_buf_reserve(out, n))
        return;
    memcpy(out->data + out->len, s, n);
    out->len += n;
    out->data[out->len] = 0;
}

static inline void put_char(wx_buf *out, char c)
{
    if (!wx_buf_reserve(out, 1))
        return;
    out->data[out->len++] = c;
    out->data[out->len] = 0;
}

static void put_encoded(wx_buf *out, const char *s, size_t n, const enc_rules *e)
{
    if (n == 0 || !wx_buf_reserve(out, n * 3))
        return;
    char *p = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (wx_uri_char_class[c] & e->allow) {
            *p++ = (char)c;
        } else if (c == '%' && e->keep_pct && i + 2 < n && wx_uri_is_hex((unsigned char)s[i + 1]) &&
                   wx_uri_is_hex((unsigned char)s[i + 2])) {
            p[0] = '%';
            p[1] = s[i + 1];
            p[2] = s[i + 2];
            p += 3;
            i += 2;
        } else {
            p[0] = '%';
            p[1] = k_hex[c >> 4];
            p[2] = k_hex[c & 15];
            p += 3;
        }
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = 0;
}

static unsigned hex_value(unsigned char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* One octet of the value: a raw byte or a %XX triplet, so a prefix never cuts one. */
static size_t unit_at(const char *s, size_t n, size_t i, unsigned char *byte)
{
    if (s[i] == '%' && i + 2 < n && wx_uri_is_hex((unsigned char)s[i + 1]) &&
        wx_uri_is_hex((unsigned char)s[i + 2])) {
        *byte = (unsigned char)(hex_value((unsigned char)s[i + 1]) << 4 |
                                hex_value((unsigned char)s[i + 2]));
        return 3;
    }
    *byte = (unsigned char)s[i];
    return 1;
}

/* Byte length of the character at s[i]: a whole UTF-8 sequence (raw or as %XX
 * triplets) when it is well-formed, else the single octet. */
static size_t char_len(const char *s, size_t n, size_t i)
{
    unsigned char b;
    size_t first = unit_at(s, n, i, &b);
    size_t more = b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
    size_t len = first;
    for (size_t k = 0; k < more; k++) {
        if (i + len >= n)
            return first;
        size_t u = unit_at(s, n, i + len, &b);
        if ((b & 0xC0) != 0x80)
            return first;
        len += u;
    }
    return len;
}

/* Bytes of s[0..n) that hold its first `chars` characters. */
static size_t prefix_bytes(const char *s, size_t n, unsigned chars)
{
    size_t i = 0;
    while (chars-- && i < n)
        i += char_len(s, n, i);
    return i;
}

/* The JSON text of a number or boolean, without touching the object (json-c's own
 * to_json_string caches into the object, which would race between threads). */
static size_t scalar_text(struct json_object *j, const char **s, char buf[NUMBUF_SIZE])
{
    switch (json_object_get_type(j)) {
    case json_type_string:
        *s = json_object_get_string(j);
        return (size_t)json_object_get_string_len(j);
    case json_type_boolean:
        *s = json_object_get_boolean(j) ? "true" : "false";
        return strlen(*s);
    case json_type_int: {
        int64_t v = json_object_get_int64(j);
        int n;
        if (v == INT64_MAX)
            n = snprintf(buf, NUMBUF_SIZE, "%" PRIu64, json_object_get_uint64(j));
        else
            n = snprintf(buf, NUMBUF_SIZE, "%" PRId64, v);
        *s = buf;
        return n > 0 ? (size_t)n : 0;
    }
    case json_type_double: {
        /* json-c keeps a parsed number's original text as the object's userdata. */
        const char *orig = json_object_get_userdata(j);
        if (orig) {
            *s = orig;
            return strlen(orig);
        }
        double d = json_object_get_double(j);
        *s = buf;
        if (isnan(d))
            return (size_t)snprintf(buf, NUMBUF_SIZE, "NaN");
        if (isinf(d))
            return (size_t)snprintf(buf, NUMBUF_SIZE, "%s", d < 0 ? "-Infinity" : "Infinity");
        int n = snprintf(buf, NUMBUF_SIZE, "%.17g", d);
        if (n <= 0 || n >= NUMBUF_SIZE - 2)
            return n > 0 ? (size_t)NUMBUF_SIZE - 1 : 0;
        char *comma = strchr(buf, ',');  /* a locale's decimal comma */
        if (comma)
            *comma = '.';
        if (!strchr(buf, '.') && !strchr(buf, 'e')) {
            memcpy(buf + n, ".0", 3);   /* as json-c writes it: still a double */
            n += 2;
        }
        return (size_t)n;
    }
    default:
        *s = "";
        return 0;
    }
}

static int is_scalar_type(enum json_type t)
{
    return t == json_type_string || t == json_type_int || t == json_type_double ||
           t == json_type_boolean;
}

static const char *type_name(enum json_type t)
{
    return t == json_type_array ? "an array" : t == json_type_object ? "an object" : "a value";
}

static wx_err spec_error(expand_ctx *c, const wx_uri_varspec *v, const char *what)
{
    char where[48];
    snprintf(where, sizeof where, "offset %zu", v->offset);
    return wx_error_set(c->err, WX_E_TEMPLATE, where, "URI template variable '%.*s' (offset %zu): %s",
                        (int)(v->name_len > 100 ? 100 : v->name_len), v->name, v->offset, what);
}

/* Classify a looked-up value. Lists and maps with no defined member are undefined
 * (RFC 6570 section 2.3); members must be scalars or null (skipped). */
static wx_err resolve(expand_ctx *c, const wx_uri_varspec *spec, const wx_uri_value *v,
                      resolved *r, char numbuf[NUMBUF_SIZE])
{
    memset(r, 0, sizeof *r);
    if (v->type == WX_UV_STRING) {
        r->kind = VAL_SCALAR;
        r->s = v->str ? v->str : "";
        r->n = v->str ? v->len : 0;
        return WX_OK;
    }
    if (v->type != WX_UV_JSON || !v->json)
        return WX_OK;
    struct json_object *j = v->json;
    enum json_type t = json_object_get_type(j);
    if (is_scalar_type(t)) {
        r->kind = VAL_SCALAR;
        r->n = scalar_text(j, &r->s, numbuf);
        return WX_OK;
    }
    char msg[160];
    if (t == json_type_array) {
        size_t n = json_object_array_length(j), defined = 0;
        for (size_t i = 0; i < n; i++) {
            struct json_object *m = json_object_array_get_idx(j, i);
            enum json_type mt = json_object_get_type(m);
            if (mt == json_type_null)
                continue;
            if (!is_scalar_type(mt)) {
                snprintf(msg, sizeof msg,
                         "list member %zu is %s; members must be strings, numbers or booleans", i,
                         type_name(mt));
                return spec_error(c, spec, msg);
            }
            defined++;
        }
        if (defined) {
            r->kind = VAL_LIST;
            r->json = j;
        }
        return WX_OK;
    }
    if (t == json_type_object) {
        size_t defined = 0;
        json_object_object_foreach(j, key, m) {
            enum json_type mt = json_object_get_type(m);
            if (mt == json_type_null)
                continue;
            if (!is_scalar_type(mt)) {
                snprintf(msg, sizeof msg,
                         "map member '%.40s' is %s; members must be strings, numbers or booleans",
                         key, type_name(mt));
                return spec_error(c, spec, msg);
            }
            defined++;
        }
        if (defined) {
            r->kind = VAL_MAP;
            r->json = j;
        }
        return WX_OK;
    }
    return WX_OK;  /* null */
}

static void put_member(wx_buf *out, struct json_object *m, const enc_rules *e)
{
    char numbuf[NUMBUF_SIZE];
    const char *s;
    size_t n = scalar_text(m, &s, numbuf);
    put_encoded(out, s, n, e);
}

static int member_is_empty(struct json_object *m)
{
    return json_object_get_type(m) == json_type_string && json_object_get_string_len(m) == 0;
}

static void put_list(wx_buf *out, const wx_uri_varspec *spec, const op_rules *op,
                     struct json_object *list, const enc_rules *e)
{
    size_t n = json_object_array_length(list);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *m = json_object_array_get_idx(list, i);
        if (json_object_get_type(m) == json_type_null)
            continue;
        if (!first)
            put_char(out, spec->explode ? op->sep : ',');
        first = 0;
        if (spec->explode && op->named) {
            put_raw(out, spec->name, spec->name_len);
            if (member_is_empty(m)) {
                if (op->ifemp_eq)
                    put_char(out, '=');
                continue;
            }
            put_char(out, '=');
        }
        put_member(out, m, e);
    }
}

static void put_map(wx_buf *out, const wx_uri_varspec *spec, const op_rules *op,
                    struct json_object *map, const enc_rules *e)
{
    int first = 1;
    json_object_object_foreach(map, key, m) {
        if (json_object_get_type(m) == json_type_null)
            continue;
        if (!first)
            put_char(out, spec->explode ? op->sep : ',');
        first = 0;
        put_encoded(out, key, strlen(key), e);
        if (!spec->explode) {
            put_char(out, ',');
        } else if (op->named && member_is_empty(m)) {
            if (op->ifemp_eq)
                put_char(out, '=');
            continue;
        } else {
            put_char(out, '=');
        }
        put_member(out, m, e);
    }
}

static wx_err expand_expression(expand_ctx *c, const wx_uri_template_t *t, const wx_uri_piece *p)
{
    /* A fragment never leaves the client: the target sent would not be the one signed. */
    if (c->mode == WX_URI_REQUEST && p->op == WX_UOP_FRAGMENT)
        return wx_error_set(c->err, WX_E_TEMPLATE, "",
                            "a fragment expression {#...} is not allowed in a request path "
                            "(a fragment is never sent to the server)");
    const op_rules *op = &k_ops[p->op];
    enc_rules e;
    e.keep_pct = op->reserved;
    e.allow = WX_UCH_UNRESERVED;
    if (op->reserved) {
        e.allow |= WX_UCH_RESERVED;
        if (c->mode != WX_URI_REQUEST)
            e.allow |= WX_UCH_QUERY_FRAG;
    }
    wx_buf *out = c->out;
    int first = 1;
    for (size_t k = 0; k < p->spec_count; k++) {
        const wx_uri_varspec *spec = &t->specs[p->first_spec + k];
        wx_uri_value v;
        memset(&v, 0, sizeof v);
        c->lookup(c->ud, spec->name, spec->name_len, &v);
        resolved r;
        char numbuf[NUMBUF_SIZE];
        wx_err rc = resolve(c, spec, &v, &r, numbuf);
        if (rc != WX_OK)
            return rc;
        if (r.kind == VAL_UNDEF) {
            if (c->mode == WX_URI_REQUEST)
                return wx_error_set(c->err, WX_E_MISSING_VAR, spec->name,
                                    "path variable '%.*s' is not defined",
                                    (int)(spec->name_len > 100 ? 100 : spec->name_len), spec->name);
            continue;
        }
        if (r.kind != VAL_SCALAR && spec->prefix) {
            char msg[96];
            snprintf(msg, sizeof msg, "a prefix (:%u) cannot apply to a %s", spec->prefix,
                     r.kind == VAL_LIST ? "list" : "map");
            return spec_error(c, spec, msg);
        }
        if (!first)
            put_char(out, op->sep);
        else if (op->first)
            put_char(out, op->first);
        first = 0;

        if (r.kind == VAL_SCALAR) {
            if (op->named) {
                put_raw(out, spec->name, spec->name_len);
                if (r.n == 0) {
                    if (op->ifemp_eq)
                        put_char(out, '=');
                    continue;
                }
                put_char(out, '=');
            }
            size_t n = spec->prefix ? prefix_bytes(r.s, r.n, spec->prefix) : r.n;
            put_encoded(out, r.s, n, &e);
            continue;
        }
        if (op->named && !spec->explode) {
            put_raw(out, spec->name, spec->name_len);
            put_char(out, '=');
        }
        if (r.kind == VAL_LIST)
            put_list(out, spec, op, r.json, &e);
        else
            put_map(out, spec, op, r.json, &e);
    }
    return WX_OK;
}

wx_err wx_uri_template_expand_fn(const wx_uri_template_t *t, wx_uri_lookup_fn lookup, void *ud,
                                 wx_uri_mode mode, wx_buf *out, wx_error_t *err)
{
    if (!t || !lookup || !out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "URI template expansion: NULL argument");
    if (mode != WX_URI_RFC && mode != WX_URI_REQUEST)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "URI template expansion: unknown mode %d",
                            (int)mode);
    size_t start = out->len;
    expand_ctx c = {lookup, ud, mode, out, err};
    wx_err rc = WX_OK;
    /* Every literal byte is written, so this much is needed in any case. */
    wx_buf_reserve(out, t->literal_len);
    for (size_t i = 0; i < t->piece_count && rc == WX_OK; i++) {
        const wx_uri_piece *p = &t->pieces[i];
        if (p->is_expr)
            rc = expand_expression(&c, t, p);
        else
            put_raw(out, p->text, p->len);
    }
    if (rc == WX_OK && !wx_buf_ok(out))
        rc = wx_error_set(err, out->failed, "", "URI template expansion: %s",
                          wx_strerror(out->failed));
    if (rc != WX_OK && out->data && out->len >= start)
        out->len = start;
    /* wx_buf_reserve() does not terminate, and an expansion may write nothing. */
    if (out->data)
        out->data[out->len] = 0;
    return rc;
}

static void json_lookup(void *ud, const char *name, size_t len, wx_uri_value *out)
{
    struct json_object *vars = ud, *v = NULL;
    (void)len;  /* name is NUL-terminated */
    if (vars && json_object_object_get_ex(vars, name, &v) && v) {
        out->type = WX_UV_JSON;
        out->json = v;
    } else {
        out->type = WX_UV_UNDEF;
    }
}

wx_err wx_uri_template_expand(const wx_uri_template_t *t, struct json_object *vars,
                              wx_uri_mode mode, char **out, wx_error_t *err)
{
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_uri_template_expand: out is NULL");
    *out = NULL;
    if (!t)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_uri_template_expand: template is NULL");
    if (vars && !json_object_is_type(vars, json_type_object))
        return wx_error_set(err, WX_E_INVALID_ARG, "",
                            "URI template variables must be a JSON object");
    wx_buf b = WX_BUF_INIT;
    wx_err rc = wx_uri_template_expand_fn(t, json_lookup, vars, mode, &b, err);
    if (rc != WX_OK) {
        wx_buf_free(&b);
        return rc;
    }
    if (!b.data)
        wx_buf_append(&b, "", 0);   /* an empty expansion is still a string */
    *out = wx_buf_steal(&b, NULL);
    if (!*out)
        return wx_error_set(err, WX_E_NOMEM, "", "URI template expansion: out of memory");
    return WX_OK;
}

wx_err wx_uri_expand(const char *tmpl, struct json_object *vars, wx_uri_mode mode, char **out,
                     wx_error_t *err)
{
    if (out)
        *out = NULL;
    wx_uri_template_t *t = NULL;
    wx_err rc = wx_uri_template_parse(tmpl, &t, err);
    if (rc != WX_OK)
        return rc;
    rc = wx_uri_template_expand(t, vars, mode, out, err);
    wx_uri_template_free(t);
    return rc;
}
