/* Routing, the chain's segment question, request and response validation against
 * endpoints, examples, and many threads using one spec set at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/spec.h>
#include <wechatpay/sys/spec.h>

#include "spec/builtin.h"
#include "spec/spec_internal.h"
#include "testutil.h"

#define DATA WX_SOURCE_DIR "/tests/data/spec"

static wx_spec_t *open_basic(void)
{
    const char *dirs[] = {DATA "/basic", NULL};
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = 1, .no_env = 1};
    wx_spec_t *s = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_spec_new(&o, &s, &err) != WX_OK)
        fail_msg("wx_spec_new: %s", err.message);
    return s;
}

static const wx_endpoint_t *find(wx_spec_t *s, const char *method, const char *path,
                                 char *vars_text, size_t size)
{
    const wx_endpoint_t *ep = NULL;
    json_object *vars = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_spec_find(s, method, path, &ep, &vars, &err);
    if (rc != WX_OK)
        fail_msg("find %s %s: %d %s", method, path, rc, err.message);
    if (vars_text)
        snprintf(vars_text, size, "%s", json_object_to_json_string_ext(vars, JSON_C_TO_STRING_PLAIN));
    json_object_put(vars);
    return ep;
}

static void test_find(void **state)
{
    (void)state;
    wx_spec_t *s = open_basic();
    char vars[256];
    const wx_endpoint_t *ep = find(s, "GET", "/v3/pay/transactions/id/4200000001", vars, sizeof vars);
    assert_string_equal(wx_endpoint_method(ep), "GET");
    assert_string_equal(wx_endpoint_template(ep), "/v3/pay/transactions/id/{transaction_id}");
    assert_string_equal(wx_endpoint_file(ep), DATA "/basic/v3/pay/transactions/id/{transaction_id}.json");
    assert_string_equal(vars, "{\"transaction_id\":\"4200000001\"}");
    /* A template, no leading slash, a different variable name: same endpoint, no values. */
    assert_ptr_equal(find(s, "get", "v3/pay/transactions/id/{transaction_id}", vars, sizeof vars), ep);
    assert_string_equal(vars, "{}");
    assert_ptr_equal(find(s, "GET", "v3/pay/transactions/id/{id}", NULL, 0), ep);
    /* A query string and doubled slashes are ignored; values are percent-decoded. */
    assert_ptr_equal(find(s, "GET", "/v3//pay/transactions/id/42%2F00?mchid=1", vars, sizeof vars), ep);
    assert_string_equal(vars, "{\"transaction_id\":\"42\\/00\"}");
    /* A literal child wins over a variable one. */
    ep = find(s, "GET", "/v3/items/special", vars, sizeof vars);
    assert_string_equal(wx_endpoint_template(ep), "/v3/items/special");
    assert_string_equal(vars, "{}");
    ep = find(s, "GET", "/v3/items/42", vars, sizeof vars);
    assert_string_equal(wx_endpoint_template(ep), "/v3/items/{item_id}");
    assert_string_equal(vars, "{\"item_id\":\"42\"}");
    /* The literal file has no DELETE: the variable one does. */
    ep = find(s, "DELETE", "/v3/items/special", vars, sizeof vars);
    assert_string_equal(wx_endpoint_template(ep), "/v3/items/{item_id}");
    assert_string_equal(vars, "{\"item_id\":\"special\"}");
    /* Variable folders, several variables. */
    ep = find(s, "POST", "/v3/pay/transactions/out-trade-no/T1/close", vars, sizeof vars);
    assert_string_equal(wx_endpoint_template(ep), "/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
    assert_string_equal(vars, "{\"out_trade_no\":\"T1\"}");
    ep = find(s, "GET", "/v3/marketing/favor/stocks/9856000/use-flow", vars, sizeof vars);
    assert_string_equal(vars, "{\"stock_id\":\"9856000\"}");

    wx_error_t err;
    memset(&err, 0, sizeof err);
    assert_int_equal(wx_spec_find(s, "PUT", "/v3/items/special", &ep, NULL, &err), WX_E_NOT_FOUND);
    assert_null(ep);
    assert_int_equal(wx_spec_find(s, "GET", "/v3/nothing/here", &ep, NULL, &err), WX_E_NOT_FOUND);
    assert_string_equal(err.message, "no spec describes GET /v3/nothing/here");
    assert_int_equal(wx_spec_find(s, "GET", "/v3/pay", &ep, NULL, NULL), WX_E_NOT_FOUND);
    assert_int_equal(wx_spec_find(s, "GET", "/", &ep, NULL, NULL), WX_E_NOT_FOUND);
    assert_int_equal(wx_spec_find(s, "GET", "/definitions/Common", &ep, NULL, NULL), WX_E_NOT_FOUND);
    assert_int_equal(wx_spec_find(NULL, "GET", "/", &ep, NULL, NULL), WX_E_INVALID_ARG);
    wx_spec_free(s);
}

/* A template is the file's whole path, however long. */
static void test_long_template(void **state)
{
    (void)state;
    static const char body[] = "{\"get\":{\"responses\":{\"204\":{}}}}";
    char path[2000], file[2100];
    memcpy(path, "/v3/", 4);
    for (int k = 0; k < 3; k++) {
        memset(path + 4 + k * 501, 'a' + k, 500);
        path[4 + k * 501 + 500] = '/';
    }
    path[4 + 3 * 501 - 1] = 0; /* "/v3/" and three segments of 500 characters */
    snprintf(file, sizeof file, "%s.json", path + 1);
    wx_builtin_spec_t table[] = {{file, body, sizeof body - 1}, {NULL, NULL, 0}};
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_test_new_table(table, &s, NULL), WX_OK);
    const wx_endpoint_t *ep = find(s, "GET", path, NULL, 0);
    assert_int_equal(strlen(wx_endpoint_template(ep)), strlen(path));
    assert_string_equal(wx_endpoint_template(ep), path);
    wx_spec_free(s);
}

static void test_segment_kind(void **state)
{
    (void)state;
    wx_spec_t *s = open_basic();
    assert_int_equal(wx_spec_segment_kind(s, "", "v3"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "", "v4"), 0);
    assert_int_equal(wx_spec_segment_kind(s, "v3", "pay"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "/v3/", "marked"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "v3/pay/transactions/id", "4200000001"), 2);
    assert_int_equal(wx_spec_segment_kind(s, "v3/pay/transactions/out-trade-no", "outTradeNo1"), 2);
    assert_int_equal(wx_spec_segment_kind(s, "v3/items", "special"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "v3/items", "other"), 2);
    /* Through variable folders, given as a template or as a value. */
    assert_int_equal(wx_spec_segment_kind(s, "v3/pay/transactions/out-trade-no/{out_trade_no}", "close"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "v3/pay/transactions/out-trade-no/T1", "close"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "v3/pay/transactions/out-trade-no/T1", "open"), 0);
    assert_int_equal(wx_spec_segment_kind(s, "v3/marketing/favor/stocks/123", "use-flow"), 1);
    assert_int_equal(wx_spec_segment_kind(s, "v3/nothing", "x"), 0);
    assert_int_equal(wx_spec_segment_kind(s, "v3/marked", "x"), 0);
    /* Many parents: the cache grows. */
    char parent[64];
    for (int i = 0; i < 300; i++) {
        snprintf(parent, sizeof parent, "v3/items/%d", i);
        assert_int_equal(wx_spec_segment_kind(s, parent, "x"), 0);
        snprintf(parent, sizeof parent, "v3/pay/transactions/out-trade-no/N%d", i);
        assert_int_equal(wx_spec_segment_kind(s, parent, "close"), 1);
    }
    assert_int_equal(wx_spec_segment_kind(NULL, "", "v3"), 0);
    wx_spec_free(s);
}

static void test_unsigned(void **state)
{
    (void)state;
    wx_spec_t *s = open_basic();
    assert_int_equal(wx_endpoint_unsigned_response(find(s, "GET", "/v3/billdownload/file", NULL, 0)), 1);
    assert_int_equal(wx_endpoint_unsigned_response(find(s, "GET", "/v3/merchant-service/images/abc", NULL, 0)), 1);
    assert_int_equal(wx_endpoint_unsigned_response(find(s, "GET", "/v3/marked", NULL, 0)), 1);
    assert_int_equal(wx_endpoint_unsigned_response(find(s, "POST", "/v3/marked", NULL, 0)), 0);
    assert_int_equal(wx_endpoint_unsigned_response(find(s, "GET", "/v3/items/1", NULL, 0)), 0);
    assert_int_equal(wx_endpoint_unsigned_response(NULL), 0);
    wx_spec_free(s);
}

/* "path: reason" lines of a request's violations. */
static wx_err check(const wx_endpoint_t *ep, const char *vars, const wx_kv_t *query,
                    const wx_kv_t *headers, const char *body, char *out, size_t size)
{
    json_object *v = vars ? json_tokener_parse(vars) : NULL;
    json_object *b = body ? json_tokener_parse(body) : NULL;
    wx_request_view_t rv = {v, query, headers, b, body != NULL};
    wx_violations_t *list = NULL;
    wx_err rc = wx_endpoint_validate_request(ep, &rv, &list);
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < wx_violations_count(list); i++) {
        const wx_violation_t *x = wx_violations_at(list, i);
        len += (size_t)snprintf(out + len, size - len, "%s%s: %s", i ? "\n" : "", x->path, x->reason);
    }
    wx_violations_free(list);
    json_object_put(v);
    json_object_put(b);
    return rc;
}

static void test_validate_request(void **state)
{
    (void)state;
    wx_spec_t *s = open_basic();
    char out[2048];
    const wx_endpoint_t *ep = find(s, "GET", "/v3/pay/transactions/id/1", NULL, 0);
    wx_kv_t q_ok[] = {{"mchid", "1230000109"}, {"limit", "10"}, {"state", "SUCCESS"},
                      {"tags", "1,2"}, {NULL, NULL}};
    wx_kv_t h_ok[] = {{"wechatpay-serial", "PUB_KEY_ID_1"}, {NULL, NULL}};
    assert_int_equal(check(ep, "{\"transaction_id\":\"4200000001\"}", q_ok, h_ok, NULL, out, sizeof out), WX_OK);
    wx_kv_t q_bad[] = {{"limit", "abc"}, {"state", "PAID"}, {"tags", "1,x"}, {"other", "z"}, {NULL, NULL}};
    assert_int_equal(check(ep, "{\"transaction_id\":\"42a\"}", q_bad, NULL, NULL, out, sizeof out),
                     WX_E_VALIDATION);
    assert_string_equal(out, "path.transaction_id: does not match pattern ^[0-9]+$\n"
                             "query.mchid: required\n"
                             "query.limit: expected integer, got string\n"
                             "query.state: must be one of: SUCCESS, NOTPAY\n"
                             "query.tags[1]: expected integer, got string\n"
                             "header.Wechatpay-Serial: required");
    wx_kv_t q_range[] = {{"mchid", "1"}, {"limit", "0"}, {"tags", "7"}, {"tags", "y"}, {NULL, NULL}};
    assert_int_equal(check(ep, "{}", q_range, h_ok, NULL, out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "path.transaction_id: required\nquery.limit: less than 1\n"
                             "query.tags[1]: expected integer, got string");
    /* Too long, counted in characters. */
    assert_int_equal(check(ep, "{\"transaction_id\":\"123456789012345678901234567890123\"}", q_ok,
                           h_ok, NULL, out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "path.transaction_id: longer than 32 characters");

    /* Bodies: required, closed objects, lengths in characters. */
    ep = find(s, "POST", "/v3/pay/transactions/out-trade-no/ABCDEF/close", NULL, 0);
    assert_int_equal(check(ep, "{\"out_trade_no\":\"ABCDEF\"}", NULL, NULL,
                           "{\"mchid\":\"1230000109\",\"reason\":\"用户取消了订单\"}", out, sizeof out), WX_OK);
    assert_int_equal(check(ep, "{\"out_trade_no\":\"ABCDEF\"}", NULL, NULL, NULL, out, sizeof out),
                     WX_E_VALIDATION);
    assert_string_equal(out, "body: required");
    assert_int_equal(check(ep, "{\"out_trade_no\":\"ABCDEF\"}", NULL, NULL, "null", out, sizeof out),
                     WX_E_VALIDATION);
    assert_string_equal(out, "body: expected object, got null");
    assert_int_equal(check(ep, "{\"out_trade_no\":\"ABCDEF\"}", NULL, NULL,
                           "{\"reason\":\"用户取消了订单啊啊\",\"x\":1}", out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "mchid: required\nreason: longer than 8 characters\nx: unexpected property");
    /* Path-level parameters apply to the operation. */
    ep = find(s, "GET", "/v3/pay/transactions/out-trade-no/ABC", NULL, 0);
    wx_kv_t q_m[] = {{"mchid", "1"}, {NULL, NULL}};
    assert_int_equal(check(ep, "{\"out_trade_no\":\"ABC\"}", q_m, NULL, NULL, out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "path.out_trade_no: shorter than 6 characters");
    /* Integer path variables given as text or as numbers. */
    ep = find(s, "GET", "/v3/items/1", NULL, 0);
    assert_int_equal(check(ep, "{\"item_id\":\"12\"}", NULL, NULL, NULL, out, sizeof out), WX_OK);
    assert_int_equal(check(ep, "{\"item_id\":12}", NULL, NULL, NULL, out, sizeof out), WX_OK);
    assert_int_equal(check(ep, "{\"item_id\":\"1.5\"}", NULL, NULL, NULL, out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "path.item_id: expected integer, got number");
    /* OpenAPI 3: requestBody, recursive items, nullable, multipleOf, exclusive minimum. */
    ep = find(s, "POST", "/v3/oas3/orders", NULL, 0);
    assert_int_equal(check(ep, NULL, NULL, NULL,
                           "{\"amount\":9.99,\"note\":null,\"items\":[{\"sku\":\"ABC-123\","
                           "\"children\":[{\"sku\":\"DEF-456\"}]}]}", out, sizeof out), WX_OK);
    wx_kv_t h_long[] = {{"Idempotency-Key", "0123456789012345678901234567890123456789012345678901234567890123456789"},
                        {NULL, NULL}};
    assert_int_equal(check(ep, NULL, NULL, h_long,
                           "{\"amount\":0,\"items\":[{\"sku\":\"abc\",\"children\":[{}]}]}", out, sizeof out),
                     WX_E_VALIDATION);
    assert_string_equal(out, "header.Idempotency-Key: longer than 64 characters\n"
                             "amount: not greater than 0\n"
                             "items[0].sku: does not match pattern ^[A-Z]{3}-\\d{3}$\n"
                             "items[0].children[0].sku: required");
    assert_int_equal(check(ep, NULL, NULL, NULL, "{\"amount\":1.001,\"items\":[]}", out, sizeof out),
                     WX_E_VALIDATION);
    assert_string_equal(out, "amount: not a multiple of 0.01\nitems: fewer than 1 items");
    assert_int_equal(wx_endpoint_validate_request(NULL, NULL, NULL), WX_E_INVALID_ARG);
    wx_spec_free(s);
}

static wx_err check_resp(const wx_endpoint_t *ep, int status, const char *body, char *out, size_t size)
{
    json_object *b = body ? json_tokener_parse(body) : NULL;
    wx_violations_t *list = NULL;
    wx_err rc = wx_endpoint_validate_response(ep, status, b, &list);
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < wx_violations_count(list); i++) {
        const wx_violation_t *x = wx_violations_at(list, i);
        assert_int_equal(x->location, WX_LOC_RESPONSE);
        len += (size_t)snprintf(out + len, size - len, "%s%s: %s", i ? "\n" : "", x->path, x->reason);
    }
    wx_violations_free(list);
    json_object_put(b);
    return rc;
}

static void test_validate_response(void **state)
{
    (void)state;
    wx_spec_t *s = open_basic();
    char out[1024];
    const wx_endpoint_t *ep = find(s, "GET", "/v3/pay/transactions/id/1", NULL, 0);
    assert_int_equal(check_resp(ep, 200, "{\"appid\":\"a\",\"mchid\":\"m\",\"amount\":{\"total\":1},"
                                         "\"trade_state\":\"SUCCESS\"}", out, sizeof out), WX_OK);
    assert_int_equal(check_resp(ep, 200, "{\"appid\":\"a\",\"amount\":{\"total\":0},\"trade_state\":\"X\","
                                         "\"success_time\":\"yesterday\"}", out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "mchid: required\namount.total: less than 1\n"
                             "trade_state: must be one of: SUCCESS, NOTPAY\nsuccess_time: not a valid rfc3339");
    assert_int_equal(check_resp(ep, 404, "{\"code\":\"NOT_FOUND\"}", out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "message: required");
    /* No schema for 500 and no default: anything goes. A 2xx not listed uses the 2xx one. */
    assert_int_equal(check_resp(ep, 500, "[1]", out, sizeof out), WX_OK);
    assert_int_equal(check_resp(ep, 202, "{}", out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "appid: required\nmchid: required\namount: required");
    assert_int_equal(check_resp(ep, 200, NULL, out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "body: expected object, got null");
    /* A class (4XX). */
    ep = find(s, "POST", "/v3/oas3/orders", NULL, 0);
    assert_int_equal(check_resp(ep, 403, "{}", out, sizeof out), WX_E_VALIDATION);
    assert_string_equal(out, "code: required");
    assert_int_equal(check_resp(ep, 201, "{\"id\":\"x\"}", out, sizeof out), WX_OK);
    assert_int_equal(wx_endpoint_validate_response(ep, 200, NULL, NULL), WX_E_INVALID_ARG);
    wx_spec_free(s);
}

static void test_examples(void **state)
{
    (void)state;
    wx_spec_t *s = open_basic();
    int status;
    json_object *body;
    const wx_endpoint_t *ep = find(s, "GET", "/v3/pay/transactions/id/1", NULL, 0);
    assert_int_equal(wx_endpoint_example_response(ep, &status, &body, NULL), WX_OK);
    assert_int_equal(status, 200);
    assert_string_equal(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                        "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1230000109\",\"amount\":{\"total\":100,"
                        "\"currency\":\"CNY\"},\"success_time\":\"2018-06-08T10:34:56+08:00\"}");
    json_object_put(body);
    json_object *pv, *q, *h;
    assert_int_equal(wx_endpoint_example_inputs(ep, &pv, &q, &h, NULL), WX_OK);
    assert_string_equal(json_object_to_json_string_ext(pv, JSON_C_TO_STRING_PLAIN),
                        "{\"transaction_id\":\"4200000001202401010000000001\"}");
    assert_string_equal(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN), "{\"mchid\":\"1230000109\"}");
    assert_string_equal(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
                        "{\"Wechatpay-Serial\":\"PUB_KEY_ID_0114232134912410000000000000\"}");
    json_object_put(pv);
    json_object_put(q);
    json_object_put(h);
    /* A response example given as such; 204 has no body. */
    ep = find(s, "POST", "/v3/oas3/orders", NULL, 0);
    assert_int_equal(wx_endpoint_example_response(ep, &status, &body, NULL), WX_OK);
    assert_int_equal(status, 201);
    assert_string_equal(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), "{\"id\":\"ORDER-1\"}");
    json_object_put(body);
    /* The request example: examples where given, minimal valid values elsewhere. */
    assert_int_equal(wx_endpoint_example_request(ep, &body, NULL), WX_OK);
    assert_string_equal(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                        "{\"amount\":9.99,\"items\":[{\"sku\":\"ABC-123\"}]}");
    json_object_put(body);
    ep = find(s, "POST", "/v3/pay/transactions/out-trade-no/ABCDEF/close", NULL, 0);
    assert_int_equal(wx_endpoint_example_response(ep, &status, &body, NULL), WX_OK);
    assert_int_equal(status, 204);
    assert_null(body);
    assert_int_equal(wx_endpoint_example_request(ep, &body, NULL), WX_OK);
    assert_string_equal(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                        "{\"mchid\":\"1230000109\",\"reason\":\"用户取消\"}");
    json_object_put(body);
    /* No body described. */
    ep = find(s, "GET", "/v3/items/1", NULL, 0);
    assert_int_equal(wx_endpoint_example_request(ep, &body, NULL), WX_OK);
    assert_null(body);
    assert_int_equal(wx_endpoint_example_response(NULL, &status, &body, NULL), WX_E_INVALID_ARG);
    wx_spec_free(s);
}

/* Minimal valid values satisfy the constraints they come from. */
static void test_minimal_examples(void **state)
{
    (void)state;
    static const char yaml[] =
        "post:\n  parameters:\n    - name: body\n      in: body\n      schema:\n"
        "        type: object\n        required: [s, i, n, b, a, d, p, e, o, r, l, lp]\n"
        "        properties:\n"
        "          s: {type: string, minLength: 10, maxLength: 12}\n"
        "          l: {type: string, minLength: 64}\n"
        "          lp: {type: string, minLength: 45, pattern: '^[0-9]+$'}\n"
        "          i: {type: integer, minimum: 5, exclusiveMinimum: true, multipleOf: 3}\n"
        "          n: {type: number, maximum: -2}\n"
        "          b: {type: boolean}\n"
        "          a: {type: array, minItems: 2, items: {type: string, maxLength: 3}}\n"
        "          d: {type: string, format: date-time}\n"
        "          p: {type: string, pattern: '^[0-9]{4}$'}\n"
        "          e: {allOf: [{type: string}, {enum: [X, Y]}]}\n"
        "          o: {type: object, additionalProperties: false, required: [k], properties: {k: {type: [integer, 'null']}}}\n"
        "          r: {$ref: '#/d/R'}\n"
        "          optional: {type: string}\n"
        "d:\n  R: {type: object, required: [next], properties: {next: {$ref: '#/d/R'}}}\n";
    wx_builtin_spec_t table[] = {{"v3/m.yaml", yaml, sizeof yaml - 1}, {NULL, NULL, 0}};
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_test_new_table(table, &s, NULL), WX_OK);
    const wx_endpoint_t *ep = find(s, "POST", "/v3/m", NULL, 0);
    json_object *body = NULL;
    assert_int_equal(wx_endpoint_example_request(ep, &body, NULL), WX_OK);
    json_object *v;
    assert_true(json_object_object_get_ex(body, "s", &v));
    assert_int_equal(json_object_get_string_len(v), 10);
    assert_true(json_object_object_get_ex(body, "l", &v));
    assert_int_equal(json_object_get_string_len(v), 64);
    assert_true(json_object_object_get_ex(body, "lp", &v));
    assert_int_equal(json_object_get_string_len(v), 45);
    assert_int_equal(strspn(json_object_get_string(v), "0"), 45);
    assert_true(json_object_object_get_ex(body, "i", &v));
    assert_int_equal(json_object_get_int(v), 6);
    assert_true(json_object_object_get_ex(body, "p", &v));
    assert_string_equal(json_object_get_string(v), "0000");
    assert_false(json_object_object_get_ex(body, "optional", NULL));
    /* Everything is valid but the end of the endlessly recursive `r`, where the example
     * stops. */
    wx_request_view_t rv = {NULL, NULL, NULL, body, 1};
    wx_violations_t *list = NULL;
    wx_err rc = wx_endpoint_validate_request(ep, &rv, &list);
    if (rc != WX_E_VALIDATION || wx_violations_count(list) != 1 ||
        strncmp(wx_violations_at(list, 0)->path, "r.next.next.next", 16) != 0 ||
        strcmp(wx_violations_at(list, 0)->reason, "required") != 0)
        fail_msg("%s: %s (%s)", wx_violations_at(list, 0)->path, wx_violations_at(list, 0)->reason,
                 json_object_to_json_string(body));
    wx_violations_free(list);
    json_object_put(body);
    wx_spec_free(s);
}

/* ---------------------------------------------------------------- threads */

typedef struct worker {
    wx_spec_t *spec;
    int id;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    static const char *const paths[] = {"/v3/pay/transactions/id/1", "/v3/items/special",
                                        "/v3/items/7", "/v3/oas3/orders",
                                        "/v3/pay/transactions/out-trade-no/ABCDEFG/close"};
    static const char *const methods[] = {"GET", "GET", "GET", "POST", "POST"};
    json_object *good = json_tokener_parse("{\"amount\":1.5,\"items\":[{\"sku\":\"ABC-123\"}]}");
    json_object *bad = json_tokener_parse("{\"amount\":\"1\",\"items\":[{\"sku\":\"x\"}]}");
    for (int i = 0; i < 400; i++) {
        int k = (i + w->id) % 5;
        const wx_endpoint_t *ep = NULL;
        json_object *vars = NULL;
        if (wx_spec_find(w->spec, methods[k], paths[k], &ep, &vars, NULL) != WX_OK) {
            w->failures++;
            continue;
        }
        if (k == 3) {
            wx_request_view_t rv = {vars, NULL, NULL, (i & 1) ? bad : good, 1};
            wx_violations_t *v = NULL;
            wx_err rc = wx_endpoint_validate_request(ep, &rv, &v);
            if ((i & 1) ? (rc != WX_E_VALIDATION || wx_violations_count(v) != 2) : rc != WX_OK)
                w->failures++;
            wx_violations_free(v);
        }
        if (wx_spec_segment_kind(w->spec, "v3/items", (i & 1) ? "special" : "x") != ((i & 1) ? 1 : 2))
            w->failures++;
        json_object *ex = NULL;
        int status;
        if (wx_endpoint_example_response(ep, &status, &ex, NULL) != WX_OK)
            w->failures++;
        json_object_put(ex);
        json_object_put(vars);
    }
    json_object_put(good);
    json_object_put(bad);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        wx_spec_t *s = open_basic(); /* fresh: the threads race to fill the cache */
        pthread_t t[8];
        worker w[8];
        for (int i = 0; i < 8; i++) {
            w[i] = (worker){s, i, 0};
            assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
        }
        for (int i = 0; i < 8; i++) {
            pthread_join(t[i], NULL);
            assert_int_equal(w[i].failures, 0);
        }
        wx_spec_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),          cmocka_unit_test(test_long_template),
        cmocka_unit_test(test_segment_kind),
        cmocka_unit_test(test_unsigned),      cmocka_unit_test(test_validate_request),
        cmocka_unit_test(test_validate_response), cmocka_unit_test(test_examples),
        cmocka_unit_test(test_minimal_examples), cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
