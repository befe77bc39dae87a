/* The community dialect: APIv2 XML bodies (numbers as text), x-api-cert-required and
 * x-is-sensitive, read from in-memory files and from the community sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/spec.h>

#include "spec/builtin.h"
#include "spec/spec_internal.h"
#include "testutil.h"

#define T(path, text) {path, text, sizeof text - 1}

static const wx_builtin_spec_t k_xml_files[] = {
    T("v2/pay/consumes.yaml",
      "post:\n"
      "  consumes: [application/xml]\n"
      "  parameters:\n"
      "    - {name: _, in: body, schema: {type: object, required: [amount],\n"
      "       properties: {amount: {type: integer, minimum: 1, maximum: 100},\n"
      "                    rate: {type: number, multipleOf: 0.5},\n"
      "                    kind: {type: integer, enum: [1, 2]},\n"
      "                    text: {type: string}}}}\n"
      "  responses:\n"
      "    200: {schema: {type: object, properties: {total_fee: {type: integer}}}}\n"),
    T("v2/pay/named.yaml",
      "post:\n"
      "  x-api-cert-required: true\n"
      "  parameters:\n"
      "    - {name: _, in: body, schema: {$ref: '#/X'}}\n"
      "X: {allOf: [{xml: {name: xml}, type: object, properties: {n: {type: integer}}}]}\n"),
    T("v3/json.yaml",
      "post:\n"
      "  parameters:\n"
      "    - {name: _, in: body, schema: {type: object, properties: {amount: {type: integer}}}}\n"),
    {NULL, NULL, 0}};

static wx_spec_t *open_table(const wx_builtin_spec_t *table)
{
    wx_spec_t *s = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_spec_test_new_table(table, &s, &err) != WX_OK)
        fail_msg("table: %s: %s", err.where, err.message);
    return s;
}

/* The violations of @p body, joined as "path: reason; ..." ("" when valid). */
static const char *check_body(const wx_endpoint_t *ep, const char *body)
{
    static char out[1024];
    json_object *b = json_tokener_parse(body);
    wx_request_view_t rv = {NULL, NULL, NULL, b, 1};
    wx_violations_t *list = NULL;
    wx_err rc = wx_endpoint_validate_request(ep, &rv, &list);
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < wx_violations_count(list); i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s: %s", i ? "; " : "",
                                wx_violations_at(list, i)->path, wx_violations_at(list, i)->reason);
    assert_int_equal(rc, len ? WX_E_VALIDATION : WX_OK);
    wx_violations_free(list);
    json_object_put(b);
    return out;
}

static void test_xml_numbers_as_text(void **state)
{
    (void)state;
    wx_spec_t *s = open_table(k_xml_files);
    const wx_endpoint_t *ep = NULL;
    assert_int_equal(wx_spec_find(s, "POST", "/v2/pay/consumes", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_is_xml(ep), 1);
    assert_int_equal(wx_endpoint_cert_required(ep), 0);
    assert_string_equal(check_body(ep, "{\"amount\":\"99\",\"rate\":\"2.5\",\"kind\":\"2\",\"text\":\"7\"}"), "");
    assert_string_equal(check_body(ep, "{\"amount\":42,\"rate\":3}"), "");
    /* The number's own keywords apply to the text. */
    assert_string_equal(check_body(ep, "{\"amount\":\"101\"}"), "amount: greater than 100");
    assert_string_equal(check_body(ep, "{\"amount\":\"1\",\"kind\":\"3\"}"), "kind: must be one of: 1, 2");
    assert_string_equal(check_body(ep, "{\"amount\":\"1\",\"rate\":\"2.25\"}"), "rate: not a multiple of 0.5");
    /* Only decimal text: no fraction for an integer, no exponent, sign, space or hex. */
    assert_string_equal(check_body(ep, "{\"amount\":\"2.0\"}"), "amount: expected integer, got string");
    static const char *const bad[] = {"", "-", "1e3", "+5", " 5", "5 ", "0x10", "1.", ".5", "五"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"amount\":\"1\",\"rate\":\"%s\"}", bad[i]);
        if (strcmp(check_body(ep, body), "rate: expected number, got string") != 0)
            fail_msg("rate \"%s\" accepted as a number: %s", bad[i], check_body(ep, body));
    }
    assert_string_equal(check_body(ep, "{\"amount\":\"-7\"}"), "amount: less than 1");
    /* The answer is XML too. */
    json_object *resp = json_tokener_parse("{\"total_fee\":\"888\"}");
    wx_violations_t *list = NULL;
    assert_int_equal(wx_endpoint_validate_response(ep, 200, resp, &list), WX_OK);
    wx_violations_free(list);
    json_object_put(resp);

    /* `xml: {name: xml}` reached through $ref and allOf; the cert marker. */
    assert_int_equal(wx_spec_find(s, "POST", "/v2/pay/named", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_is_xml(ep), 1);
    assert_int_equal(wx_endpoint_cert_required(ep), 1);
    assert_string_equal(check_body(ep, "{\"n\":\"12\"}"), "");

    /* A JSON body keeps JSON's types. */
    assert_int_equal(wx_spec_find(s, "POST", "/v3/json", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_is_xml(ep), 0);
    assert_string_equal(check_body(ep, "{\"amount\":\"12\"}"), "amount: expected integer, got string");
    assert_int_equal(wx_endpoint_is_xml(NULL), 0);
    assert_int_equal(wx_endpoint_cert_required(NULL), 0);
    wx_spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_numbers_as_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
