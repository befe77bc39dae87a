/* Example values for the sandbox and the tests: a schema's `example`, `examples`,
 * `default` or first `enum` value, else the smallest value that satisfies its type,
 * required properties, lengths, bounds and pattern. */
#include "spec/spec_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spec/spec_internal.h"
#include "util/error.h"

#define EX_MAX_DEPTH 16
#define EX_BUDGET 20000

typedef struct exctx {
    int budget;
    int nomem;
} exctx;

static int example_of(const wx_schema *s, int depth, exctx *x, json_object **out);

static int has_own_example(const wx_schema *s)
{
    for (int hops = 0; s && hops < 8; hops++, s = s->ref) {
        if (s->example || (s->examples && json_object_array_length(s->examples)) || s->deflt)
            return 1;
    }
    return 0;
}

/* Returns 2: an explicit value (example, default, enum) ranks above a made-up one. */
static int copy_out(json_object *v, exctx *x, json_object **out)
{
    *out = wx_json_copy(v);
    if (v && !*out) {
        x->nomem = 1;
        return -1;
    }
    return 2;
}

/* json-c's adders take @p v only when they succeed: on failure it is freed here and
 * the example marked out of memory. */
static void add_member(json_object *obj, const char *key, json_object *v, exctx *x)
{
    if (json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        x->nomem = 1;
    }
}

static void add_item(json_object *arr, json_object *v, exctx *x)
{
    if (json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        x->nomem = 1;
    }
}

static int is_required(const wx_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nrequired; i++)
        if (strcmp(s->required[i], name) == 0)
            return 1;
    return 0;
}

static json_object *example_object(const wx_schema *s, int depth, exctx *x)
{
    json_object *obj = json_object_new_object();
    if (!obj) {
        x->nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < s->nprops && !x->nomem; i++) {
        const wx_prop *p = &s->props_doc[i];
        if (!is_required(s, p->name) && !has_own_example(p->schema))
            continue;
        json_object *v;
        if (example_of(p->schema, depth + 1, x, &v) > 0)
            add_member(obj, p->name, v, x);
    }
    /* Required names no property here describes: additionalProperties gives the value
     * (else another allOf branch describes them and the merge brings them in). */
    for (size_t i = 0; s->additional && i < s->nrequired && !x->nomem; i++) {
        if (json_object_object_get_ex(obj, s->required[i], NULL))
            continue;
        json_object *v;
        if (example_of(s->additional, depth + 1, x, &v) > 0)
            add_member(obj, s->required[i], v, x);
    }
    return obj;
}

static json_object *example_array(const wx_schema *s, int depth, exctx *x)
{
    json_object *arr = json_object_new_array();
    if (!arr) {
        x->nomem = 1;
        return NULL;
    }
    if (s->tuple) {
        for (size_t i = 0; i < s->ntuple && !x->nomem; i++) {
            json_object *v;
            if (example_of(s->tuple[i], depth + 1, x, &v) > 0)
                add_item(arr, v, x);
        }
        return arr;
    }
    long n = s->min_items > 0 ? s->min_items : 1;
    if (s->max_items >= 0 && n > s->max_items)
        n = s->max_items;
    if (n > 16)
        n = 16;
    for (long i = 0; i < n && s->items && !x->nomem; i++) {
        json_object *v;
        if (example_of(s->items, depth + 1, x, &v) > 0)
            add_item(arr, v, x);
        else
            break;
    }
    return arr;
}

static int string_fits(const wx_schema *s, const char *str)
{
    size_t n = wx_utf8_length(str, strlen(str));
    if (s->min_len >= 0 && (long)n < s->min_len)
        return 0;
    if (s->max_len >= 0 && (long)n > s->max_len)
        return 0;
    if (s->pattern && wx_regex_search(s->pattern, str, strlen(str)) != 1)
        return 0;
    return 1;
}

static json_object *example_string(const wx_schema *s, exctx *x)
{
    if (s->format == WX_FMT_DATE_TIME)
        return json_object_new_string("2024-01-01T00:00:00+08:00");
    if (s->format == WX_FMT_DATE)
        return json_object_new_string("2024-01-01");
    if (s->format == WX_FMT_TIME)
        return json_object_new_string("00:00:00+08:00");
    char buf[256];
    long min = s->min_len > 0 ? s->min_len : 0;
    /* Without a maxLength: up to 40 characters, or as many as minLength asks. */
    long max = s->max_len >= 0 ? s->max_len : min > 40 ? min : 40;
    if (max > (long)sizeof buf - 1)
        max = (long)sizeof buf - 1;
    if (!s->pattern && min <= 7 && max >= 7)
        return json_object_new_string("example");
    /* Runs of one character, shortest first, until one fits the lengths and pattern. */
    static const char chars[] = "x0aA1-_.";
    for (long len = min ? min : max ? 1 : 0; len <= max; len++) {
        for (size_t c = 0; c < sizeof chars - 1; c++) {
            memset(buf, chars[c], (size_t)len);
            buf[len] = 0;
            if (string_fits(s, buf))
                return json_object_new_string(buf);
        }
    }
    (void)x;
    /* Nothing simple fits the pattern: the shortest allowed run. */
    memset(buf, 'x', (size_t)(min < max ? min : max));
    buf[min < max ? min : max] = 0;
    return json_object_new_string(buf);
}

static json_object *example_number(const wx_schema *s, int integer)
{
    double v = 0;
    if (s->flags & WX_SF_MIN) {
        v = integer ? ceil(s->minimum.d) : s->minimum.d;
        if ((s->flags & WX_SF_EXCL_MIN) && v <= s->minimum.d)
            v = integer ? floor(s->minimum.d) + 1 : s->minimum.d + 1;
    }
    if ((s->flags & WX_SF_MAX) && (v > s->maximum.d || ((s->flags & WX_SF_EXCL_MAX) && v >= s->maximum.d))) {
        v = integer ? floor(s->maximum.d) : s->maximum.d;
        if ((s->flags & WX_SF_EXCL_MAX) && v >= s->maximum.d)
            v = integer ? ceil(s->maximum.d) - 1 : s->maximum.d - 1;
    }
    if ((s->flags & WX_SF_MULTIPLE) && s->multiple_of.d > 0) {
        double q = ceil(v / s->multiple_of.d);
        v = q * s->multiple_of.d;
    }
    if (integer && fabs(v) < 9e15)
        return json_object_new_int64((int64_t)v);
    return json_object_new_double(v);
}

/* The value the node's own type keywords ask for; 0 when they ask for nothing. */
static int own_value(const wx_schema *s, int depth, exctx *x, json_object **out)
{
    unsigned t = s->types;
    if (!t) {
        if (s->flags & WX_SF_OBJ_KW)
            t = WX_T_OBJ;
        else if (s->flags & WX_SF_ARR_KW)
            t = WX_T_ARR;
        else if (s->flags & WX_SF_STR_KW)
            t = WX_T_STR;
        else if (s->flags & WX_SF_NUM_KW)
            t = WX_T_NUM;
        else
            return 0;
    }
    if (t & WX_T_OBJ)
        *out = example_object(s, depth, x);
    else if (t & WX_T_ARR)
        *out = example_array(s, depth, x);
    else if (t & WX_T_STR)
        *out = example_string(s, x);
    else if (t & WX_T_INT)
        *out = example_number(s, 1);
    else if (t & WX_T_NUM)
        *out = example_number(s, 0);
    else if (t & WX_T_BOOL)
        *out = json_object_new_boolean(0);
    else
        *out = NULL; /* null */
    if (!*out && !(t == WX_T_NULL))
        x->nomem = 1;
    return x->nomem ? -1 : 1;
}

/* Adds src's members to dst (objects merged recursively); takes src's reference. */
static void merge_into(json_object *dst, json_object *src, exctx *x)
{
    json_object_object_foreach(src, k, v)
    {
        json_object *have;
        if (json_object_object_get_ex(dst, k, &have)) {
            if (json_object_is_type(have, json_type_object) &&
                json_object_is_type(v, json_type_object))
                merge_into(have, json_object_get(v), x);
            continue;
        }
        add_member(dst, k, json_object_get(v), x);
    }
    json_object_put(src);
}

/* An explicit value is used only when its own schema accepts it: community files have
 * examples outside the enum they $ref (`relation_type: SUPPLIER`), and the sandbox must
 * not answer with what a client would reject. */
static int fits(const wx_schema *s, json_object *v)
{
    wx_vctx c;
    wx_vctx_init(&c, NULL, WX_LOC_BODY, "body", "");
    return v && wx_schema_check(s, v, &c) == 0;
}

static int example_of(const wx_schema *s, int depth, exctx *x, json_object **out)
{
    *out = NULL;
    if (x->nomem || depth > EX_MAX_DEPTH || --x->budget < 0)
        return 0;
    if (s->flags & WX_SF_FALSE)
        return 0;
    if (s->example && fits(s, s->example))
        return copy_out(s->example, x, out);
    if (s->examples && json_object_array_length(s->examples) &&
        fits(s, json_object_array_get_idx(s->examples, 0)))
        return copy_out(json_object_array_get_idx(s->examples, 0), x, out);
    if (s->deflt && fits(s, s->deflt))
        return copy_out(s->deflt, x, out);
    if (s->nenum)
        return copy_out(s->enums[0], x, out);

    /* Own keywords first, then $ref and allOf parts merged in (objects) or used as is. */
    json_object *acc = NULL;
    int have = own_value(s, depth, x, &acc);
    if (have < 0)
        return -1;
    const wx_schema *parts[64];
    size_t np = 0;
    if (s->ref)
        parts[np++] = s->ref;
    for (size_t i = 0; i < s->nall_of && np < 64; i++)
        parts[np++] = s->all_of[i];
    if (!have && !np) {
        if (s->nany_of)
            parts[np++] = s->any_of[0];
        else if (s->none_of)
            parts[np++] = s->one_of[0];
    }
    /* Objects from the parts merge; otherwise an explicit value (a $ref'd enum next to
     * `type: string`) beats a made-up one, and the first of equals wins. */
    for (size_t i = 0; i < np && !x->nomem; i++) {
        json_object *v;
        int r = example_of(parts[i], depth, x, &v);
        if (r <= 0)
            continue;
        if (have && json_object_is_type(acc, json_type_object) &&
            json_object_is_type(v, json_type_object)) {
            merge_into(acc, v, x);
        } else if (r > have) {
            json_object_put(acc);
            acc = v;
            have = r;
        } else {
            json_object_put(v);
        }
    }
    if (x->nomem) {
        json_object_put(acc);
        return -1;
    }
    *out = acc;
    return have;
}

json_object *wx_schema_example(const wx_schema *s)
{
    exctx x = {EX_BUDGET, 0};
    json_object *v = NULL;
    example_of(s, 0, &x, &v);
    return v;
}

/* ---------------------------------------------------------------- endpoints */

wx_err wx_endpoint_example_request(const wx_endpoint_t *ep, json_object **body, wx_error_t *err)
{
    if (!body)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_endpoint_example_request: body is NULL");
    *body = NULL;
    if (!ep)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_endpoint_example_request: NULL endpoint");
    exctx x = {EX_BUDGET, 0};
    if (ep->body_example) {
        *body = wx_json_copy(ep->body_example);
        x.nomem = !*body;
    } else if (ep->body) {
        example_of(ep->body, 0, &x, body);
    } else if (ep->has_form) {
        json_object *obj = json_object_new_object();
        x.nomem = !obj;
        for (size_t i = 0; obj && i < ep->nparams && !x.nomem; i++) {
            const wx_param *p = &ep->params[i];
            if (p->in != WX_IN_FORM || (!p->required && !p->example && !has_own_example(p->schema)))
                continue;
            json_object *v = NULL;
            if (p->example) {
                v = wx_json_copy(p->example);
                x.nomem = !v;
            } else if (example_of(p->schema, 0, &x, &v) <= 0 && !x.nomem) {
                v = json_object_new_string("");
                x.nomem = !v;
            }
            if (!x.nomem)
                add_member(obj, p->name, v, &x);
        }
        *body = obj;
    }
    if (x.nomem) {
        json_object_put(*body);
        *body = NULL;
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    return WX_OK;
}

static const wx_resp *example_resp(const wx_endpoint_t *ep)
{
    for (size_t i = 0; i < ep->nresps; i++)
        if (ep->resps[i].status >= 200 && ep->resps[i].status < 300)
            return &ep->resps[i];
    for (size_t i = 0; i < ep->nresps; i++)
        if (ep->resps[i].klass == 2)
            return &ep->resps[i];
    for (size_t i = 0; i < ep->nresps; i++)
        if (!ep->resps[i].status && !ep->resps[i].klass)
            return &ep->resps[i];
    return NULL;
}

wx_err wx_endpoint_example_response(const wx_endpoint_t *ep, int *status, json_object **body,
                                    wx_error_t *err)
{
    if (!ep || !status || !body)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_endpoint_example_response: NULL argument");
    *status = 200;
    *body = NULL;
    const wx_resp *r = example_resp(ep);
    if (!r)
        return WX_OK;
    if (r->status)
        *status = r->status;
    exctx x = {EX_BUDGET, 0};
    if (r->example) {
        *body = wx_json_copy(r->example);
        x.nomem = !*body;
    } else if (r->schema) {
        example_of(r->schema, 0, &x, body);
    }
    if (x.nomem) {
        json_object_put(*body);
        *body = NULL;
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    return WX_OK;
}

/* Parameters travel as text: numbers and booleans as JSON, arrays comma-separated. */
static json_object *as_text(json_object *v)
{
    if (json_object_is_type(v, json_type_string))
        return json_object_get(v);
    wx_buf b = WX_BUF_INIT;
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                wx_buf_putc(&b, ',');
            wx_json_append_text(&b, json_object_array_get_idx(v, i), 0);
        }
    } else if (v) {
        wx_json_append_text(&b, v, 0);
    }
    json_object *s = wx_buf_ok(&b) ? json_object_new_string(wx_buf_str(&b)) : NULL;
    wx_buf_free(&b);
    return s;
}

wx_err wx_endpoint_example_inputs(const wx_endpoint_t *ep, json_object **path_vars,
                                  json_object **query, json_object **headers, wx_error_t *err)
{
    json_object *objs[3] = {json_object_new_object(), json_object_new_object(),
                            json_object_new_object()};
    int nomem = !objs[0] || !objs[1] || !objs[2];
    for (size_t i = 0; ep && !nomem && i < ep->nparams; i++) {
        const wx_param *p = &ep->params[i];
        int slot = p->in == WX_IN_PATH ? 0 : p->in == WX_IN_QUERY ? 1 : p->in == WX_IN_HEADER ? 2 : -1;
        if (slot < 0 || (!p->required && !p->example && !has_own_example(p->schema)))
            continue;
        json_object *v = NULL;
        exctx x = {EX_BUDGET, 0};
        if (p->example) {
            v = wx_json_copy(p->example);
            x.nomem = !v;
        } else if (example_of(p->schema, 0, &x, &v) <= 0) {
            v = NULL;
        }
        if (x.nomem) {
            nomem = 1;
            break;
        }
        json_object *t = v ? as_text(v) : json_object_new_string("example");
        json_object_put(v);
        if (!t) {
            nomem = 1;
            break;
        }
        add_member(objs[slot], p->name, t, &x);
        if (x.nomem) {
            nomem = 1;
            break;
        }
    }
    if (nomem) {
        for (int i = 0; i < 3; i++)
            json_object_put(objs[i]);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    json_object **outs[3] = {path_vars, query, headers};
    for (int i = 0; i < 3; i++) {
        if (outs[i])
            *outs[i] = objs[i];
        else
            json_object_put(objs[i]);
    }
    return WX_OK;
}
