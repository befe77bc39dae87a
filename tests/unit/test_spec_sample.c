/* The community WeChat Pay OpenAPI sample package, loaded unchanged from
 * shared/openapi-sample (never copied into the project): every file loads, every
 * endpoint's example request validates, and mutated requests are rejected with the
 * right path. The same mutations run over tests/data/spec/basic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/spec.h>
#include <wechatpay/sys/spec.h>

#include "spec/spec_impl.h"
#include "spec/spec_internal.h"
#include "testutil.h"

enum { MUT_REQUIRED, MUT_TYPE, MUT_ENUM, MUT_TOO_LONG, MUT_KINDS };
static const char *const k_mut_names[] = {"required field removed", "wrong type",
                                          "value outside an enum", "string too long"};

typedef struct step {
    const char *key; /* NULL: index */
    size_t index;
} step;

typedef struct mutation {
    int kind;
    step path[32];
    int depth;
    const char *key; /* for MUT_REQUIRED: the member removed */
    long max_len;
    char where[256];
} mutation;

typedef struct mut_list {
    mutation items[256];
    int n;
} mut_list;

static void path_text(const step *path, int depth, const char *last, char *out, size_t size)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i <= depth; i++) {
        const char *k = i < depth ? path[i].key : last;
        if (i == depth && !last)
            break;
        if (k)
            len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "." : "", k);
        else
            len += (size_t)snprintf(out + len, size - len, "[%zu]", path[i].index);
    }
    if (!out[0])
        snprintf(out, size, "body");
}

static void add(mut_list *l, int kind, const step *path, int depth, const char *key, long max_len)
{
    if (l->n == 256)
        return;
    mutation *m = &l->items[l->n++];
    m->kind = kind;
    memcpy(m->path, path, sizeof(step) * (size_t)depth);
    m->depth = depth;
    m->key = key;
    m->max_len = max_len;
    path_text(path, depth, key, m->where, sizeof m->where);
}

/* Walks the compiled schema along the example, collecting places to break. */
static void collect(const wx_schema *s, json_object *v, step *path, int depth, mut_list *l, int hops)
{
    if (!s || depth >= 31 || hops > 64)
        return;
    if (s->ref)
        collect(s->ref, v, path, depth, l, hops + 1);
    for (size_t i = 0; i < s->nall_of; i++)
        collect(s->all_of[i], v, path, depth, l, hops + 1);
    if (json_object_is_type(v, json_type_object)) {
        for (size_t i = 0; i < s->nrequired; i++)
            if (json_object_object_get_ex(v, s->required[i], NULL))
                add(l, MUT_REQUIRED, path, depth, s->required[i], 0);
        for (size_t i = 0; i < s->nprops; i++) {
            json_object *child;
            if (!json_object_object_get_ex(v, s->props[i].name, &child))
                continue;
            path[depth] = (step){s->props[i].name, 0};
            collect(s->props[i].schema, child, path, depth + 1, l, hops);
        }
    } else if (json_object_is_type(v, json_type_array) && json_object_array_length(v) && s->items) {
        path[depth] = (step){NULL, 0};
        collect(s->items, json_object_array_get_idx(v, 0), path, depth + 1, l, hops);
    } else if (json_object_is_type(v, json_type_string)) {
        if (s->types == WX_T_STR)
            add(l, MUT_TYPE, path, depth, NULL, 0);
        if (s->nenum)
            add(l, MUT_ENUM, path, depth, NULL, 0);
        if (s->max_len >= 0)
            add(l, MUT_TOO_LONG, path, depth, NULL, s->max_len);
    }
}

static json_object *navigate(json_object *root, const mutation *m, int upto)
{
    json_object *cur = root;
    for (int i = 0; i < upto && cur; i++) {
        if (m->path[i].key)
            json_object_object_get_ex(cur, m->path[i].key, &cur);
        else
            cur = json_object_array_get_idx(cur, m->path[i].index);
    }
    return cur;
}

/* Replaces the value at the mutation's path (depth >= 1), or returns the new root. */
static json_object *replace(json_object *root, const mutation *m, json_object *nv)
{
    if (m->depth == 0) {
        json_object_put(root);
        return nv;
    }
    json_object *parent = navigate(root, m, m->depth - 1);
    const step *last = &m->path[m->depth - 1];
    if (last->key)
        json_object_object_add(parent, last->key, nv);
    else
        json_object_array_put_idx(parent, last->index, nv);
    return root;
}

static int g_seen[MUT_KINDS];

static void expect_violation(const wx_endpoint_t *ep, const wx_request_view_t *rv,
                             const char *where, const char *reason_prefix, const char *what)
{
    wx_violations_t *list = NULL;
    wx_err rc = wx_endpoint_validate_request(ep, rv, &list);
    int found = 0;
    for (size_t i = 0; i < wx_violations_count(list); i++) {
        const wx_violation_t *x = wx_violations_at(list, i);
        if (strcmp(x->path, where) == 0 && strncmp(x->reason, reason_prefix, strlen(reason_prefix)) == 0)
            found = 1;
    }
    if (rc != WX_E_VALIDATION || !found)
        fail_msg("%s %s: %s at %s: expected \"%s: %s...\", got rc %d with %zu violations (first: %s: %s)",
                 wx_endpoint_method(ep), wx_endpoint_template(ep), what, where, where, reason_prefix, rc,
                 wx_violations_count(list), list && list->n ? list->items[0].path : "-",
                 list && list->n ? list->items[0].reason : "-");
    wx_violations_free(list);
}

static wx_kv_t *kv_from(json_object *obj, wx_kv_t *buf, size_t cap)
{
    size_t n = 0;
    json_object_object_foreach(obj, k, v)
    {
        if (n + 1 < cap)
            buf[n++] = (wx_kv_t){k, json_object_get_string(v)};
    }
    buf[n] = (wx_kv_t){NULL, NULL};
    return buf;
}

/* The example request is valid; each mutation of it is not, at the right path. */
static void exercise(const wx_endpoint_t *ep)
{
    json_object *pv, *q, *h, *body = NULL;
    assert_int_equal(wx_endpoint_example_inputs(ep, &pv, &q, &h, NULL), WX_OK);
    assert_int_equal(wx_endpoint_example_request(ep, &body, NULL), WX_OK);
    wx_kv_t qkv[32], hkv[32];
    wx_request_view_t rv = {pv, kv_from(q, qkv, 32), kv_from(h, hkv, 32), body, body != NULL};
    wx_violations_t *list = NULL;
    wx_err rc = wx_endpoint_validate_request(ep, &rv, &list);
    if (rc != WX_OK)
        fail_msg("%s %s: example request %s is invalid: %s: %s", wx_endpoint_method(ep),
                 wx_endpoint_template(ep), json_object_to_json_string(body),
                 wx_violations_at(list, 0)->path, wx_violations_at(list, 0)->reason);
    wx_violations_free(list);

    /* The example response validates against its own schema. */
    int status;
    json_object *resp = NULL;
    assert_int_equal(wx_endpoint_example_response(ep, &status, &resp, NULL), WX_OK);
    rc = wx_endpoint_validate_response(ep, status, resp, &list);
    if (rc != WX_OK)
        fail_msg("%s %s: example response %s is invalid: %s: %s", wx_endpoint_method(ep),
                 wx_endpoint_template(ep), json_object_to_json_string(resp),
                 wx_violations_at(list, 0)->path, wx_violations_at(list, 0)->reason);
    wx_violations_free(list);
    json_object_put(resp);

    /* Body mutations. */
    if (ep->body && body) {
        static mut_list muts;
        step path[32];
        muts.n = 0;
        collect(ep->body, body, path, 0, &muts, 0);
        for (int i = 0; i < muts.n; i++) {
            const mutation *m = &muts.items[i];
            json_object *copy = wx_json_copy(body);
            char reason[64];
            const char *prefix = reason;
            if (m->kind == MUT_REQUIRED) {
                json_object_object_del(navigate(copy, m, m->depth), m->key);
                prefix = "required";
            } else if (m->kind == MUT_TYPE) {
                copy = replace(copy, m, json_object_new_int(12345));
                prefix = "expected string, got integer";
            } else if (m->kind == MUT_ENUM) {
                copy = replace(copy, m, json_object_new_string("NOT_IN_THE_ENUM"));
                prefix = "must be one of: ";
            } else {
                char *longer = malloc((size_t)m->max_len + 2);
                memset(longer, '9', (size_t)m->max_len + 1);
                longer[m->max_len + 1] = 0;
                copy = replace(copy, m, json_object_new_string(longer));
                free(longer);
                snprintf(reason, sizeof reason, "longer than %ld character", m->max_len);
            }
            wx_request_view_t mv = rv;
            mv.body = copy;
            expect_violation(ep, &mv, m->where, prefix, k_mut_names[m->kind]);
            g_seen[m->kind]++;
            json_object_put(copy);
        }
    }

    /* Parameter mutations. */
    for (size_t i = 0; i < ep->nparams; i++) {
        const wx_param *p = &ep->params[i];
        json_object *holder = p->in == WX_IN_PATH ? pv : p->in == WX_IN_QUERY ? q : p->in == WX_IN_HEADER ? h : NULL;
        const char *prefix = p->in == WX_IN_PATH ? "path" : p->in == WX_IN_QUERY ? "query" : "header";
        if (!holder)
            continue;
        char where[256];
        snprintf(where, sizeof where, "%s.%s", prefix, p->name);
        json_object *saved = NULL;
        int present = json_object_object_get_ex(holder, p->name, &saved);
        if (present)
            json_object_get(saved);
        if (p->required) {
            json_object_object_del(holder, p->name);
            wx_request_view_t mv = {pv, kv_from(q, qkv, 32), kv_from(h, hkv, 32), body, body != NULL};
            expect_violation(ep, &mv, where, "required", k_mut_names[MUT_REQUIRED]);
            g_seen[MUT_REQUIRED]++;
        }
        const wx_schema *s = p->schema;
        while (s && !s->nenum && !s->types && (s->ref || s->nall_of))
            s = s->ref ? s->ref : s->all_of[0];
        if (s && s->nenum) {
            json_object_object_add(holder, p->name, json_object_new_string("NOT_IN_THE_ENUM"));
            wx_request_view_t mv = {pv, kv_from(q, qkv, 32), kv_from(h, hkv, 32), body, body != NULL};
            expect_violation(ep, &mv, where, "must be one of: ", k_mut_names[MUT_ENUM]);
            g_seen[MUT_ENUM]++;
        }
        if (s && s->max_len >= 0) {
            char longer[300];
            memset(longer, 'a', sizeof longer);
            longer[s->max_len + 1 < 299 ? s->max_len + 1 : 299] = 0;
            json_object_object_add(holder, p->name, json_object_new_string(longer));
            wx_request_view_t mv = {pv, kv_from(q, qkv, 32), kv_from(h, hkv, 32), body, body != NULL};
            expect_violation(ep, &mv, where, "longer than", k_mut_names[MUT_TOO_LONG]);
            g_seen[MUT_TOO_LONG]++;
        }
        if (present)
            json_object_object_add(holder, p->name, saved);
        else
            json_object_object_del(holder, p->name);
    }
    json_object_put(pv);
    json_object_put(q);
    json_object_put(h);
    json_object_put(body);
}

typedef struct ep_list {
    char method[16][32];
    char tmpl[32][128];
    int n;
} ep_list;

static void remember(void *ud, const wx_lint_item_t *it)
{
    ep_list *l = ud;
    if (it->is_error && !it->is_warning)
        fail_msg("broken: %s: %s: %s", it->file, it->where, it->message);
    if (it->is_error) {
        printf("%s: %s: %s\n", it->file, it->where, it->message);
        return;
    }
    if (l->n < 32) {
        snprintf(l->method[l->n % 16], 32, "%s", it->method);
        snprintf(l->tmpl[l->n], 128, "%s", it->tmpl);
        l->n++;
    }
}

static void exercise_tree(const char *dir, size_t expected_endpoints)
{
    const char *dirs[] = {dir, NULL};
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = 1, .no_env = 1};
    wx_spec_t *s = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_spec_new(&o, &s, &err) != WX_OK)
        fail_msg("%s: %s", dir, err.message);
    static ep_list l;
    memset(&l, 0, sizeof l);
    size_t neps, nerr;
    assert_int_equal(wx_spec_lint(s, remember, &l, &neps, &nerr), WX_OK);
    assert_int_equal(nerr, 0);
    assert_int_equal(neps, expected_endpoints);
    /* Lint loaded every file of the package: endpoints and definitions. */
    printf("%s: %zu endpoints, %zu files read\n", dir, neps, wx_spec_test_files_read(s));
    for (int i = 0; i < l.n; i++) {
        const wx_endpoint_t *ep = NULL;
        /* Lint reports in order; look each up again by its method and template. */
        static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        int found = 0;
        for (int m = 0; m < 5; m++) {
            if (wx_spec_find(s, methods[m], l.tmpl[i], &ep, NULL, NULL) == WX_OK &&
                strcmp(wx_endpoint_template(ep), l.tmpl[i]) == 0) {
                found = 1;
                exercise(ep);
            }
        }
        assert_true(found);
    }
    wx_spec_free(s);
}

static void test_community_sample(void **state)
{
    (void)state;
    const char *dir = wxt_openapi_sample_dir();
    if (!dir)
        fail_msg("the community OpenAPI sample is not here: it is ../shared/openapi-sample from "
                 "the project root, or set WX_OPENAPI_SAMPLE");
    memset(g_seen, 0, sizeof g_seen);
    exercise_tree(dir, 14); /* 9 APIv3 and 5 APIv2 endpoints */
    /* The samples have required fields, strings and enums to break. */
    assert_true(g_seen[MUT_REQUIRED] > 0);
    assert_true(g_seen[MUT_TYPE] > 0);
    assert_true(g_seen[MUT_ENUM] > 0);
}

static void test_sample_details(void **state)
{
    (void)state;
    const char *dir = wxt_openapi_sample_dir();
    if (!dir)
        fail_msg("the community OpenAPI sample is not here: it is ../shared/openapi-sample from "
                 "the project root, or set WX_OPENAPI_SAMPLE");
    const char *dirs[] = {dir, NULL};
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = 1, .no_env = 1};
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_new(&o, &s, NULL), WX_OK);
    const wx_endpoint_t *ep = NULL;
    json_object *vars = NULL;
    /* The seed endpoint from YAML reads one file. */
    assert_int_equal(wx_spec_find(s, "POST", "/v3/industry-coupon/tokens", &ep, &vars, NULL), WX_OK);
    assert_int_equal(wx_spec_test_files_read(s), 1);
    json_object *body = json_tokener_parse(
        "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":\"16474341\"}]}");
    wx_request_view_t rv = {vars, NULL, NULL, body, 1};
    wx_violations_t *list = NULL;
    assert_int_equal(wx_endpoint_validate_request(ep, &rv, &list), WX_E_VALIDATION);
    assert_int_equal(wx_violations_count(list), 2);
    assert_string_equal(wx_violations_at(list, 0)->path, "coupon_list[0].coupon_id");
    assert_string_equal(wx_violations_at(list, 0)->reason, "required");
    assert_string_equal(wx_violations_at(list, 1)->path, "coupon_list[0].stock_id");
    assert_string_equal(wx_violations_at(list, 1)->reason, "expected integer, got string");
    assert_int_equal(wx_violations_at(list, 1)->location, WX_LOC_BODY);
    wx_violations_free(list);
    json_object_put(body);
    json_object_put(vars);
    /* The jsapi endpoint: a header parameter through $ref, allOf across files. */
    assert_int_equal(wx_spec_find(s, "POST", "v3/pay/transactions/jsapi", &ep, NULL, NULL), WX_OK);
    wx_request_view_t empty = {NULL, NULL, NULL, NULL, 0};
    assert_int_equal(wx_endpoint_validate_request(ep, &empty, &list), WX_E_VALIDATION);
    assert_string_equal(wx_violations_at(list, 0)->path, "header.Wechatpay-Serial");
    assert_string_equal(wx_violations_at(list, 1)->path, "body");
    wx_violations_free(list);
    /* Downloads are unsigned. */
    assert_int_equal(wx_spec_find(s, "GET", "/v3/billdownload/file", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_unsigned_response(ep), 1);
    /* The query API by id: example response has the trade state from Enumerations.yaml. */
    assert_int_equal(wx_spec_find(s, "GET", "/v3/pay/transactions/id/4200000001", &ep, NULL, NULL), WX_OK);
    int status;
    assert_int_equal(wx_endpoint_example_response(ep, &status, &body, NULL), WX_OK);
    assert_int_equal(status, 200);
    json_object *v;
    assert_true(json_object_object_get_ex(body, "out_trade_no", &v));
    assert_true(json_object_object_get_ex(body, "amount", &v));
    json_object_put(body);
    wx_spec_free(s);
}

static void test_basic_tree_mutations(void **state)
{
    (void)state;
    memset(g_seen, 0, sizeof g_seen);
    exercise_tree(WX_SOURCE_DIR "/tests/data/spec/basic", 12);
    for (int k = 0; k < MUT_KINDS; k++)
        if (!g_seen[k])
            fail_msg("no mutation of kind: %s", k_mut_names[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_sample),
        cmocka_unit_test(test_sample_details),
        cmocka_unit_test(test_basic_tree_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
