/* The spec tree shipped in spec/ and compiled into the library. For every endpoint:
 * it is found by its template and by a concrete path; its example request (body plus
 * example path, query and header inputs) passes its own request schema; its example
 * response passes its own response schema; and the request without any one required
 * field (body, nested body, path, query, header, form) is refused with that field's
 * path. Besides: lint finds no broken file and every endpoint the source tree
 * declares, the files follow the conventions of spec/README.md (descriptions, examples,
 * path variables), only downloads are unsigned, and the callback event schemas accept
 * their own examples. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <wechatpay/spec.h>
#include <wechatpay/sys/spec.h>

#include "spec/spec_internal.h"
#include "testutil.h"

#define SPEC_SRC WX_SOURCE_DIR "/spec"
#define BUILTIN_PREFIX "<builtin>/"
#define MIN_ENDPOINTS 31

typedef struct shipped {
    char method[16];
    char tmpl[256];
} shipped;

static struct {
    shipped *eps;
    size_t n, cap;
    size_t errors;
    char first_error[768];
} g_lint;

static wx_spec_t *g_spec;
static size_t g_refusals; /* required-field mutations checked */

/* ---------------------------------------------------------------- helpers */

static void collect(void *ud, const wx_lint_item_t *it)
{
    (void)ud;
    if (it->is_error) {
        if (!g_lint.errors++)
            snprintf(g_lint.first_error, sizeof g_lint.first_error, "%s: %s: %s", it->file,
                     it->where, it->message);
        return;
    }
    if (g_lint.n == g_lint.cap) {
        g_lint.cap = g_lint.cap ? g_lint.cap * 2 : 64;
        g_lint.eps = realloc(g_lint.eps, g_lint.cap * sizeof *g_lint.eps);
        assert_non_null(g_lint.eps);
    }
    shipped *e = &g_lint.eps[g_lint.n++];
    snprintf(e->method, sizeof e->method, "%s", it->method);
    snprintf(e->tmpl, sizeof e->tmpl, "%s", it->tmpl);
}

static int setup(void **state)
{
    (void)state;
    wx_spec_options_t o;
    memset(&o, 0, sizeof o); /* the default: the compiled-in tree (and WXPAY_SPEC_PATH) */
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_spec_new(&o, &g_spec, &err) != WX_OK) {
        fprintf(stderr, "wx_spec_new: %s (%s)\n", err.message, err.where);
        return -1;
    }
    size_t neps = 0, nerr = 0;
    wx_spec_lint(g_spec, collect, NULL, &neps, &nerr);
    if (neps != g_lint.n || nerr != g_lint.errors) {
        fprintf(stderr, "lint counters disagree with its callback\n");
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wx_spec_free(g_spec);
    free(g_lint.eps);
    memset(&g_lint, 0, sizeof g_lint);
    return 0;
}

static const wx_endpoint_t *find(const shipped *s)
{
    const wx_endpoint_t *ep = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_spec_find(g_spec, s->method, s->tmpl, &ep, NULL, &err);
    if (rc != WX_OK)
        fail_msg("%s %s: wx_spec_find: %s (%s)", s->method, s->tmpl, err.message, err.where);
    return ep;
}

/* The source file of a compiled-in endpoint, parsed (caller puts it). */
static json_object *source_file(const wx_endpoint_t *ep)
{
    const char *file = wx_endpoint_file(ep);
    size_t n = strlen(BUILTIN_PREFIX);
    if (strncmp(file, BUILTIN_PREFIX, n) != 0)
        fail_msg("%s does not come from the compiled-in tree", file);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SPEC_SRC, file + n);
    json_object *doc = json_object_from_file(path);
    if (!doc)
        fail_msg("cannot read %s", path);
    return doc;
}

static json_object *source_op(json_object *doc, const char *method)
{
    char lower[16];
    size_t i;
    for (i = 0; method[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] + 32 : method[i]);
    lower[i] = 0;
    json_object *op = NULL;
    if (!json_object_object_get_ex(doc, lower, &op))
        fail_msg("the source has no %s operation", lower);
    return op;
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int bool_member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
           json_object_get_boolean(v);
}

/* The example inputs of an endpoint, as a request view. */
typedef struct example_req {
    json_object *path_vars, *query_obj, *header_obj, *body;
    wx_kv_t query[32], headers[16];
    wx_request_view_t view;
} example_req;

static void fill_kv(json_object *obj, wx_kv_t *kv, size_t cap, const char *skip)
{
    size_t n = 0;
    json_object_object_foreach(obj, k, v)
    {
        if (skip && strcmp(k, skip) == 0)
            continue;
        assert_true(n + 1 < cap);
        kv[n].key = k;
        kv[n].value = json_object_get_string(v);
        n++;
    }
    kv[n].key = kv[n].value = NULL;
}

/* (Re)builds the view; `skip_query`/`skip_header` leave one input out. */
static void example_view(example_req *r, const char *skip_query, const char *skip_header)
{
    fill_kv(r->query_obj, r->query, sizeof r->query / sizeof r->query[0], skip_query);
    fill_kv(r->header_obj, r->headers, sizeof r->headers / sizeof r->headers[0], skip_header);
    r->view.path_vars = r->path_vars;
    r->view.query = r->query;
    r->view.headers = r->headers;
    r->view.body = r->body;
    r->view.has_body = r->body != NULL;
}

static void example_request(const wx_endpoint_t *ep, example_req *r)
{
    memset(r, 0, sizeof *r);
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_endpoint_example_inputs(ep, &r->path_vars, &r->query_obj, &r->header_obj, &err) !=
        WX_OK)
        fail_msg("%s %s: example inputs: %s", wx_endpoint_method(ep), wx_endpoint_template(ep),
                 err.message);
    if (wx_endpoint_example_request(ep, &r->body, &err) != WX_OK)
        fail_msg("%s %s: example request: %s", wx_endpoint_method(ep), wx_endpoint_template(ep),
                 err.message);
    example_view(r, NULL, NULL);
}

static void example_request_free(example_req *r)
{
    json_object_put(r->path_vars);
    json_object_put(r->query_obj);
    json_object_put(r->header_obj);
    json_object_put(r->body);
}

static void fail_violations(const wx_endpoint_t *ep, const char *what, wx_violations_t *v)
{
    char text[2048];
    size_t len = 0;
    text[0] = 0;
    for (size_t i = 0; i < wx_violations_count(v) && len < sizeof text - 1; i++) {
        const wx_violation_t *x = wx_violations_at(v, i);
        len += (size_t)snprintf(text + len, sizeof text - len, "\n  %s: %s", x->path, x->reason);
    }
    wx_violations_free(v);
    fail_msg("%s %s: %s:%s", wx_endpoint_method(ep), wx_endpoint_template(ep), what, text);
}

/* The request must be refused with a "required" violation at exactly @p path. */
static void expect_required(const wx_endpoint_t *ep, const wx_request_view_t *view,
                            wx_location loc, const char *path)
{
    wx_violations_t *v = NULL;
    wx_err rc = wx_endpoint_validate_request(ep, view, &v);
    int found = 0;
    for (size_t i = 0; i < wx_violations_count(v); i++) {
        const wx_violation_t *x = wx_violations_at(v, i);
        if (x->location == loc && strcmp(x->path, path) == 0 && strstr(x->reason, "required"))
            found = 1;
    }
    if (rc != WX_E_VALIDATION || !found) {
        char what[300];
        snprintf(what, sizeof what, "without %s: expected a 'required' violation at %s (rc %d)",
                 path, path, (int)rc);
        fail_violations(ep, what, v);
    }
    wx_violations_free(v);
    g_refusals++;
}

/* ---------------------------------------------------------------- lint */

static void test_lint_clean(void **state)
{
    (void)state;
    if (g_lint.errors)
        fail_msg("%zu broken spec files, first: %s", g_lint.errors, g_lint.first_error);
    if (g_lint.n < MIN_ENDPOINTS)
        fail_msg("only %zu endpoints in the shipped tree, want at least %d", g_lint.n,
                 MIN_ENDPOINTS);
    printf("shipped spec tree: %zu endpoints, 0 errors\n", g_lint.n);
}

/* What users reach for first must be there. */
static void test_core_endpoints_present(void **state)
{
    (void)state;
    static const char *const want[][2] = {
        {"POST", "/v3/industry-coupon/tokens"},
        {"POST", "/v3/pay/transactions/jsapi"},
        {"POST", "/v3/pay/transactions/app"},
        {"POST", "/v3/pay/transactions/h5"},
        {"POST", "/v3/pay/transactions/native"},
        {"GET", "/v3/pay/transactions/id/{transaction_id}"},
        {"GET", "/v3/pay/transactions/out-trade-no/{out_trade_no}"},
        {"POST", "/v3/pay/transactions/out-trade-no/{out_trade_no}/close"},
        {"POST", "/v3/pay/partner/transactions/jsapi"},
        {"POST", "/v3/pay/partner/transactions/app"},
        {"POST", "/v3/pay/partner/transactions/h5"},
        {"POST", "/v3/pay/partner/transactions/native"},
        {"GET", "/v3/pay/partner/transactions/id/{transaction_id}"},
        {"GET", "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}"},
        {"POST", "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close"},
        {"POST", "/v3/refund/domestic/refunds"},
        {"GET", "/v3/refund/domestic/refunds/{out_refund_no}"},
        {"POST", "/v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund"},
        {"GET", "/v3/certificates"},
        {"GET", "/v3/bill/tradebill"},
        {"GET", "/v3/bill/fundflowbill"},
        {"GET", "/v3/bill/sub-merchant-fundflowbill"},
        {"GET", "/v3/billdownload/file"},
        {"POST", "/v3/merchant/media/upload"},
        {"POST", "/v3/merchant/media/video_upload"},
        {"POST", "/v3/marketing/favor/media/image-upload"},
        {"POST", "/v3/combine-transactions/jsapi"},
        {"POST", "/v3/profitsharing/orders"},
        {"GET", "/v3/profitsharing/orders/{out_order_no}"},
        {"POST", "/v3/profitsharing/return-orders"},
        {"POST", "/v3/transfer/batches"},
        {"POST", "/v2/pay/micropay"},
        {"POST", "/v2/pay/orderquery"},
        {"POST", "/v2/secapi/pay/reverse"},
        {"POST", "/v2/secapi/pay/refund"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int seen = 0;
        for (size_t k = 0; k < g_lint.n && !seen; k++)
            seen = !strcmp(g_lint.eps[k].method, want[i][0]) &&
                   !strcmp(g_lint.eps[k].tmpl, want[i][1]);
        if (!seen)
            fail_msg("lint does not list %s %s", want[i][0], want[i][1]);
    }
}

/* ---------------------------------------------------------------- routing */

/* The template with each {name} replaced by its example value. */
static void concrete_path(const char *tmpl, json_object *vars, char *out, size_t cap)
{
    size_t w = 0;
    for (const char *p = tmpl; *p;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            assert_non_null(end);
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
            const char *val = str_member(vars, name);
            if (!val)
                fail_msg("%s: no example value for path variable %s", tmpl, name);
            for (const char *c = val; *c; c++) /* the examples need no escaping */
                assert_true(strchr("/?#%{} ", *c) == NULL);
            w += (size_t)snprintf(out + w, cap - w, "%s", val);
            p = end + 1;
        } else {
            assert_true(w + 1 < cap);
            out[w++] = *p++;
            out[w] = 0;
        }
    }
}

static void test_every_endpoint_routes(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_lint.n; i++) {
        const shipped *s = &g_lint.eps[i];
        const wx_endpoint_t *ep = find(s);
        assert_string_equal(wx_endpoint_method(ep), s->method);
        assert_string_equal(wx_endpoint_template(ep), s->tmpl);

        json_object *pv = NULL;
        wx_error_t err;
        memset(&err, 0, sizeof err);
        assert_int_equal(wx_endpoint_example_inputs(ep, &pv, NULL, NULL, &err), WX_OK);
        char path[512];
        concrete_path(s->tmpl, pv, path, sizeof path);
        const wx_endpoint_t *ep2 = NULL;
        json_object *got = NULL;
        if (wx_spec_find(g_spec, s->method, path, &ep2, &got, &err) != WX_OK)
            fail_msg("%s %s: not found: %s", s->method, path, err.message);
        if (ep2 != ep)
            fail_msg("%s %s routes to %s, not %s", s->method, path, wx_endpoint_template(ep2),
                     s->tmpl);
        if (!json_object_equal(got, pv))
            fail_msg("%s %s: variables %s, expected %s", s->method, path,
                     json_object_to_json_string(got), json_object_to_json_string(pv));
        json_object_put(got);
        json_object_put(pv);
    }
}

/* ---------------------------------------------------------------- examples */

static void test_every_example_request_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_lint.n; i++) {
        const wx_endpoint_t *ep = find(&g_lint.eps[i]);
        example_req r;
        example_request(ep, &r);
        wx_violations_t *v = NULL;
        if (wx_endpoint_validate_request(ep, &r.view, &v) != WX_OK)
            fail_violations(ep, "example request refused", v);
        assert_int_equal(wx_violations_count(v), 0);
        wx_violations_free(v);
        example_request_free(&r);
    }
}

static void test_every_example_response_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_lint.n; i++) {
        const wx_endpoint_t *ep = find(&g_lint.eps[i]);
        json_object *doc = source_file(ep);
        json_object *op = source_op(doc, g_lint.eps[i].method);
        json_object *resps = NULL, *resp = NULL;
        assert_true(json_object_object_get_ex(op, "responses", &resps));

        int status = 0;
        json_object *body = NULL;
        wx_error_t err;
        memset(&err, 0, sizeof err);
        if (wx_endpoint_example_response(ep, &status, &body, &err) != WX_OK)
            fail_msg("%s %s: example response: %s", g_lint.eps[i].method, g_lint.eps[i].tmpl,
                     err.message);
        assert_true(status >= 200 && status < 300);
        char code[8];
        snprintf(code, sizeof code, "%d", status);
        assert_true(json_object_object_get_ex(resps, code, &resp));
        /* A described body is built; an undescribed one (204) stays empty. */
        if (json_object_object_get_ex(resp, "schema", NULL))
            assert_non_null(body);
        else
            assert_null(body);

        wx_violations_t *v = NULL;
        if (wx_endpoint_validate_response(ep, status, body, &v) != WX_OK)
            fail_violations(ep, "example response refused", v);
        wx_violations_free(v);
        json_object_put(body);
        json_object_put(doc);
    }
}

/* ---------------------------------------------------------------- required fields */

/* Takes each required member of @p value (as @p schema describes it) out in turn and
 * expects the request to be refused at its path; then looks inside the members. */
static void drop_each_required(const wx_endpoint_t *ep, const wx_request_view_t *view,
                               json_object *schema, json_object *value, const char *prefix,
                               int depth)
{
    json_object *required = NULL, *props = NULL;
    if (depth > 8 || !json_object_is_type(value, json_type_object))
        return;
    json_object_object_get_ex(schema, "properties", &props);
    if (json_object_object_get_ex(schema, "required", &required)) {
        for (size_t i = 0; i < json_object_array_length(required); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(required, i));
            json_object *member = NULL;
            if (!json_object_object_get_ex(value, name, &member))
                fail_msg("%s %s: the example has no required %s%s%s", wx_endpoint_method(ep),
                         wx_endpoint_template(ep), prefix, *prefix ? "." : "", name);
            char path[512];
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", name);
            json_object_get(member);
            json_object_object_del(value, name);
            expect_required(ep, view, WX_LOC_BODY, path);
            json_object_object_add(value, name, member);
        }
    }
    /* Nested objects and the first item of arrays of objects. */
    json_object_object_foreach(value, k, member)
    {
        json_object *ps = NULL;
        if (!props || !json_object_object_get_ex(props, k, &ps))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (json_object_is_type(member, json_type_object)) {
            drop_each_required(ep, view, ps, member, path, depth + 1);
        } else if (json_object_is_type(member, json_type_array) &&
                   json_object_array_length(member) > 0) {
            json_object *items = NULL;
            if (json_object_object_get_ex(ps, "items", &items)) {
                char ipath[520];
                snprintf(ipath, sizeof ipath, "%s[0]", path);
                drop_each_required(ep, view, items, json_object_array_get_idx(member, 0),
                                   ipath, depth + 1);
            }
        }
    }
}

static void test_missing_required_refused(void **state)
{
    (void)state;
    size_t body_checks = 0;
    for (size_t i = 0; i < g_lint.n; i++) {
        const wx_endpoint_t *ep = find(&g_lint.eps[i]);
        json_object *doc = source_file(ep);
        json_object *op = source_op(doc, g_lint.eps[i].method);
        json_object *params = NULL;
        json_object_object_get_ex(op, "parameters", &params);
        example_req r;
        example_request(ep, &r);
        for (size_t k = 0; params && k < json_object_array_length(params); k++) {
            json_object *p = json_object_array_get_idx(params, k);
            const char *in = str_member(p, "in"), *name = str_member(p, "name");
            char path[300];
            if (!strcmp(in, "body")) {
                json_object *schema = NULL;
                assert_true(json_object_object_get_ex(p, "schema", &schema));
                assert_non_null(r.body);
                drop_each_required(ep, &r.view, schema, r.body, "", 0);
                /* and without any body at all */
                r.view.has_body = 0;
                r.view.body = NULL;
                expect_required(ep, &r.view, WX_LOC_BODY, "body");
                example_view(&r, NULL, NULL);
                body_checks++;
                continue;
            }
            if (!bool_member(p, "required"))
                continue;
            if (!strcmp(in, "path")) {
                json_object *v = NULL;
                assert_true(json_object_object_get_ex(r.path_vars, name, &v));
                json_object_get(v);
                json_object_object_del(r.path_vars, name);
                snprintf(path, sizeof path, "path.%s", name);
                expect_required(ep, &r.view, WX_LOC_PATH, path);
                json_object_object_add(r.path_vars, name, v);
            } else if (!strcmp(in, "query")) {
                example_view(&r, name, NULL);
                snprintf(path, sizeof path, "query.%s", name);
                expect_required(ep, &r.view, WX_LOC_QUERY, path);
                example_view(&r, NULL, NULL);
            } else if (!strcmp(in, "header")) {
                example_view(&r, NULL, name);
                snprintf(path, sizeof path, "header.%s", name);
                expect_required(ep, &r.view, WX_LOC_HEADER, path);
                example_view(&r, NULL, NULL);
            } else if (!strcmp(in, "formData")) {
                json_object *v = NULL;
                assert_true(json_object_object_get_ex(r.body, name, &v));
                json_object_get(v);
                json_object_object_del(r.body, name);
                expect_required(ep, &r.view, WX_LOC_BODY, name);
                json_object_object_add(r.body, name, v);
            }
        }
        example_request_free(&r);
        json_object_put(doc);
    }
    assert_true(body_checks > 0);
    printf("%zu requests without a required field refused, each at its path\n", g_refusals);
}

/* ---------------------------------------------------------------- conventions */

static int is_method(const char *k)
{
    static const char *const m[] = {"get", "put", "post", "delete", "options", "head", "patch"};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(k, m[i]))
            return 1;
    return 0;
}

/* Every property described, every leaf with an example, every required name a property. */
static void check_schema(json_object *s, const char *where)
{
    const char *type = str_member(s, "type");
    if (!type)
        fail_msg("%s: no type", where);
    json_object *props = NULL, *required = NULL, *items = NULL;
    char sub[768];
    if (!strcmp(type, "object")) {
        if (!json_object_object_get_ex(s, "properties", &props))
            fail_msg("%s: an object without properties", where);
        json_object_object_foreach(props, k, v)
        {
            snprintf(sub, sizeof sub, "%s.%s", where, k);
            if (!str_member(v, "description"))
                fail_msg("%s: no description", sub);
            check_schema(v, sub);
        }
        if (json_object_object_get_ex(s, "required", &required))
            for (size_t i = 0; i < json_object_array_length(required); i++) {
                const char *r = json_object_get_string(json_object_array_get_idx(required, i));
                if (!json_object_object_get_ex(props, r, NULL))
                    fail_msg("%s: required %s is not a property", where, r);
            }
    } else if (!strcmp(type, "array")) {
        if (!json_object_object_get_ex(s, "items", &items))
            fail_msg("%s: an array without items", where);
        snprintf(sub, sizeof sub, "%s[]", where);
        check_schema(items, sub);
    } else if (!json_object_object_get_ex(s, "example", NULL)) {
        fail_msg("%s: a leaf of type %s without an example", where, type);
    }
}

static void check_operation(const char *tmpl, const char *method, json_object *op)
{
    char where[600];
    snprintf(where, sizeof where, "%s %s", method, tmpl);
    if (!str_member(op, "summary") || !str_member(op, "description"))
        fail_msg("%s: needs a summary and a description", where);
    json_object *params = NULL, *resps = NULL;
    if (!json_object_object_get_ex(op, "parameters", &params) ||
        !json_object_object_get_ex(op, "responses", &resps))
        fail_msg("%s: needs parameters and responses", where);
    size_t path_params = 0;
    for (size_t i = 0; i < json_object_array_length(params); i++) {
        json_object *p = json_object_array_get_idx(params, i);
        const char *in = str_member(p, "in"), *name = str_member(p, "name");
        char pw[700];
        snprintf(pw, sizeof pw, "%s parameter %s", where, name ? name : "?");
        if (!in || !name || !str_member(p, "description"))
            fail_msg("%s: needs in, name and description", pw);
        if (!strcmp(in, "body")) {
            json_object *schema = NULL;
            assert_true(json_object_object_get_ex(p, "schema", &schema));
            check_schema(schema, pw);
            continue;
        }
        const char *type = str_member(p, "type");
        if (!type)
            fail_msg("%s: no type", pw);
        if (strcmp(type, "file") != 0 && !json_object_object_get_ex(p, "x-example", NULL))
            fail_msg("%s: no x-example", pw);
        if (!strcmp(in, "path")) {
            char var[300];
            snprintf(var, sizeof var, "{%s}", name);
            if (!strstr(tmpl, var) || !bool_member(p, "required"))
                fail_msg("%s: a path parameter must be a required {variable} of the path", pw);
            path_params++;
        }
    }
    size_t vars = 0;
    for (const char *c = tmpl; (c = strchr(c, '{')) != NULL; c++)
        vars++;
    if (vars != path_params)
        fail_msg("%s: %zu path variables but %zu path parameters", where, vars, path_params);
    int ok2xx = 0;
    json_object_object_foreach(resps, code, r)
    {
        char rw[700];
        snprintf(rw, sizeof rw, "%s response %s", where, code);
        if (!str_member(r, "description"))
            fail_msg("%s: no description", rw);
        json_object *schema = NULL;
        if (json_object_object_get_ex(r, "schema", &schema))
            check_schema(schema, rw);
        ok2xx |= code[0] == '2';
    }
    if (!ok2xx)
        fail_msg("%s: no 2xx response", where);
}

/* Walks spec/v3 (or spec/v2) in the source tree; returns the number of operations it declares. */
static size_t walk_routes(const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char full[1024], sub[1024];
        snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
        snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name);
        struct stat st;
        assert_int_equal(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            count += walk_routes(full, sub);
            continue;
        }
        size_t n = strlen(sub);
        if (n < 5 || strcmp(sub + n - 5, ".json") != 0)
            fail_msg("%s: spec files are .json", full);
        sub[n - 5] = 0;
        json_object *doc = json_object_from_file(full);
        if (!doc)
            fail_msg("%s: not JSON", full);
        json_object_object_foreach(doc, k, op)
        {
            if (is_method(k)) {
                check_operation(sub, k, op);
                count++;
            } else if (strncmp(k, "x-", 2) != 0 && strcmp(k, "parameters") != 0 &&
                       strcmp(k, "summary") != 0 && strcmp(k, "description") != 0) {
                fail_msg("%s: unexpected key %s in a path item", full, k);
            }
        }
        json_object_put(doc);
    }
    closedir(d);
    return count;
}

static void test_conventions(void **state)
{
    (void)state;
    size_t ops = walk_routes(SPEC_SRC "/v3", "/v3") + walk_routes(SPEC_SRC "/v2", "/v2");
    /* Every operation of the source tree is an endpoint of the compiled-in one. */
    assert_int_equal(ops, g_lint.n);
}

/* 1 when @p tmpl is one of the NULL-terminated @p list. */
static int listed(const char *tmpl, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(tmpl, *list))
            return 1;
    return 0;
}

/* Downloads, and the APIv2 calls WeChat Pay answers without a sign. */
static const char *const k_unsigned[] = {"/v3/billdownload/file", "/v2/pay/downloadbill",
                                         "/v2/pay/downloadfundflow",
                                         "/v2/mmpaymkttransfers/promotion/transfers",
                                         "/v2/mmpaymkttransfers/gettransferinfo",
                                         "/v2/mmpaymkttransfers/sendredpack", NULL};

/* APIv2 calls that need the merchant TLS certificate; every other endpoint does not. */
static const char *const k_cert_required[] = {"/v2/secapi/pay/reverse", "/v2/secapi/pay/refund",
                                              "/v2/pay/downloadfundflow",
                                              "/v2/mmpaymkttransfers/promotion/transfers",
                                              "/v2/mmpaymkttransfers/gettransferinfo",
                                              "/v2/mmpaymkttransfers/sendredpack", NULL};

/* The media uploads: multipart/form-data, the only bodies the sandbox takes past 1 MiB. */
static const char *const k_multipart[] = {"/v3/merchant/media/upload",
                                          "/v3/merchant/media/video_upload",
                                          "/v3/marketing/favor/media/image-upload", NULL};

static void test_apiv2_markers(void **state)
{
    (void)state;
    size_t v2 = 0;
    for (size_t i = 0; i < g_lint.n; i++) {
        const wx_endpoint_t *ep = find(&g_lint.eps[i]);
        int is_v2 = !strncmp(g_lint.eps[i].tmpl, "/v2/", 4);
        v2 += (size_t)is_v2;
        if (wx_endpoint_is_xml(ep) != is_v2)
            fail_msg("%s %s: XML body is %d", g_lint.eps[i].method, g_lint.eps[i].tmpl,
                     wx_endpoint_is_xml(ep));
        if (wx_endpoint_cert_required(ep) != listed(g_lint.eps[i].tmpl, k_cert_required))
            fail_msg("%s %s: x-api-cert-required is %d", g_lint.eps[i].method,
                     g_lint.eps[i].tmpl, wx_endpoint_cert_required(ep));
        if (wx_endpoint_is_multipart(ep) != listed(g_lint.eps[i].tmpl, k_multipart))
            fail_msg("%s %s: multipart is %d", g_lint.eps[i].method, g_lint.eps[i].tmpl,
                     wx_endpoint_is_multipart(ep));
    }
    assert_int_equal(v2, 12);
}

static void test_only_downloads_unsigned(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_lint.n; i++) {
        const wx_endpoint_t *ep = find(&g_lint.eps[i]);
        int download = listed(g_lint.eps[i].tmpl, k_unsigned);
        if (wx_endpoint_unsigned_response(ep) != download)
            fail_msg("%s %s: unsigned response is %d", g_lint.eps[i].method, g_lint.eps[i].tmpl,
                     wx_endpoint_unsigned_response(ep));
    }
}

/* ---------------------------------------------------------------- callbacks */

static void expect_schema_required(json_object *schema, json_object *inst, const char *path,
                                   const char *file)
{
    wx_violations_t *v = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_schema_validate(schema, inst, &v, &err);
    int found = 0;
    for (size_t i = 0; i < wx_violations_count(v); i++)
        if (!strcmp(wx_violations_at(v, i)->path, path) &&
            strstr(wx_violations_at(v, i)->reason, "required"))
            found = 1;
    wx_violations_free(v);
    if (rc != WX_E_VALIDATION || !found)
        fail_msg("%s: without %s: expected a 'required' violation there (rc %d)", file, path,
                 (int)rc);
}

static void test_callback_schemas(void **state)
{
    (void)state;
    DIR *d = opendir(SPEC_SRC "/callbacks");
    assert_non_null(d);
    size_t files = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char full[1024];
        snprintf(full, sizeof full, "%s/callbacks/%s", SPEC_SRC, de->d_name);
        json_object *schema = json_object_from_file(full);
        if (!schema)
            fail_msg("%s: not JSON", full);
        check_schema(schema, full);
        json_object *examples = NULL;
        if (!json_object_object_get_ex(schema, "examples", &examples) ||
            json_object_array_length(examples) == 0)
            fail_msg("%s: no examples", full);
        for (size_t i = 0; i < json_object_array_length(examples); i++) {
            json_object *ex = json_object_array_get_idx(examples, i);
            wx_violations_t *v = NULL;
            wx_error_t err;
            memset(&err, 0, sizeof err);
            wx_err rc = wx_schema_validate(schema, ex, &v, &err);
            if (rc != WX_OK) {
                const wx_violation_t *first = wx_violations_at(v, 0);
                fail_msg("%s: example %zu refused (%d): %s: %s %s", full, i, (int)rc,
                         first ? first->path : err.where, first ? first->reason : "",
                         err.message);
            }
            wx_violations_free(v);
        }
        json_object *required = NULL, *ex = json_object_array_get_idx(examples, 0);
        assert_true(json_object_object_get_ex(schema, "required", &required));
        for (size_t i = 0; i < json_object_array_length(required); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(required, i));
            json_object *member = NULL;
            assert_true(json_object_object_get_ex(ex, name, &member));
            json_object_get(member);
            json_object_object_del(ex, name);
            expect_schema_required(schema, ex, name, full);
            json_object_object_add(ex, name, member);
        }
        json_object_put(schema);
        files++;
    }
    closedir(d);
    assert_true(files >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lint_clean),
        cmocka_unit_test(test_core_endpoints_present),
        cmocka_unit_test(test_every_endpoint_routes),
        cmocka_unit_test(test_every_example_request_valid),
        cmocka_unit_test(test_every_example_response_valid),
        cmocka_unit_test(test_missing_required_refused),
        cmocka_unit_test(test_conventions),
        cmocka_unit_test(test_only_downloads_unsigned),
        cmocka_unit_test(test_apiv2_markers),
        cmocka_unit_test(test_callback_schemas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
