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
    T("v3/sens.yaml",
      "post:\n"
      "  x-is-sensitive: [account_no]\n"
      "  parameters:\n"
      "    - {name: account_no, in: query, type: string}\n"
      "    - {name: _, in: body, schema: {$ref: '#/Req'}}\n"
      "  responses:\n"
      "    200: {schema: {type: object, x-is-sensitive: phone, properties: {phone: {type: string}}}}\n"
      "Req:\n"
      "  allOf:\n"
      "    - {$ref: '#/Person'}\n"
      "    - type: object\n"
      "      x-is-sensitive: [id_number, name]\n"
      "      properties:\n"
      "        receivers: {type: array, items: {$ref: '#/Person'}}\n"
      "        contact: {type: object, x-is-sensitive: mobile, properties: {mobile: {type: string}}}\n"
      "        extra: {type: object, additionalProperties: {$ref: '#/Person'}}\n"
      "Person: {type: object, x-is-sensitive: name, properties: {name: {type: string}, id_number: {type: string}}}\n"),
    T("v3/plain.yaml",
      "post:\n"
      "  parameters:\n"
      "    - {name: _, in: body, schema: {type: object, properties: {name: {type: string}}}}\n"),
    T("v3/badsens.yaml",
      "post:\n"
      "  parameters:\n"
      "    - {name: _, in: body, schema: {type: object, x-is-sensitive: {a: 1}}}\n"),
    {NULL, NULL, 0}};

typedef struct seen_paths {
    char text[1024];
    int replace; /* 1: replace each value by "enc(<old>)" */
    int stop_after;
} seen_paths;

static wx_err note_path(void *ud, const wx_sensitive_field_t *f)
{
    seen_paths *sp = ud;
    size_t len = strlen(sp->text);
    snprintf(sp->text + len, sizeof sp->text - len, "%s%s=%s", len ? " " : "", f->path,
             json_object_get_string(f->value));
    assert_true(json_object_is_type(f->value, json_type_string));
    json_object *same;
    assert_true(json_object_object_get_ex(f->parent, f->key, &same) && same == f->value);
    if (sp->replace) {
        char enc[128];
        snprintf(enc, sizeof enc, "enc(%s)", json_object_get_string(f->value));
        json_object_object_add(f->parent, f->key, json_object_new_string(enc));
    }
    if (sp->stop_after && --sp->stop_after == 0)
        return WX_E_CRYPTO;
    return WX_OK;
}

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

static void test_sensitive_paths(void **state)
{
    (void)state;
    wx_spec_t *s = open_table(k_xml_files);
    const wx_endpoint_t *ep = NULL;
    assert_int_equal(wx_spec_find(s, "POST", "/v3/sens", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_has_sensitive(ep), 1);
    assert_string_equal(wx_endpoint_sensitive_param(ep, 0), "account_no");
    assert_null(wx_endpoint_sensitive_param(ep, 1));
    json_object *body = json_tokener_parse(
        "{\"name\":\"张三\",\"id_number\":\"110101\",\"other\":\"x\","
        "\"receivers\":[{\"name\":\"李四\",\"id_number\":\"no\"},{\"name\":7}],"
        "\"contact\":{\"mobile\":\"13800000000\",\"name\":\"not marked here\"},"
        "\"extra\":{\"k\":{\"name\":\"王五\"}}}");
    seen_paths sp = {"", 1, 0};
    assert_int_equal(wx_endpoint_sensitive_paths(ep, body, note_path, &sp), WX_OK);
    /* name once although two schemas mark it; receivers[1].name is not a string. */
    assert_string_equal(sp.text, "name=张三 id_number=110101 receivers[0].name=李四 "
                                 "contact.mobile=13800000000 extra.k.name=王五");
    json_object *v;
    assert_true(json_object_object_get_ex(body, "name", &v));
    assert_string_equal(json_object_get_string(v), "enc(张三)");
    /* A callback error stops the walk. */
    seen_paths stop = {"", 0, 2};
    assert_int_equal(wx_endpoint_sensitive_paths(ep, body, note_path, &stop), WX_E_CRYPTO);
    assert_string_equal(stop.text, "name=enc(张三) id_number=enc(110101)");
    json_object_put(body);
    /* The answer's own marks. */
    json_object *resp = json_tokener_parse("{\"phone\":\"ciphertext\"}");
    seen_paths rp = {"", 0, 0};
    assert_int_equal(wx_endpoint_sensitive_response_paths(ep, 200, resp, note_path, &rp), WX_OK);
    assert_string_equal(rp.text, "phone=ciphertext");
    json_object_put(resp);
    assert_int_equal(wx_endpoint_sensitive_paths(NULL, NULL, note_path, &rp), WX_E_INVALID_ARG);

    /* Nothing marked: nothing reported. */
    assert_int_equal(wx_spec_find(s, "POST", "/v3/plain", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_has_sensitive(ep), 0);
    body = json_tokener_parse("{\"name\":\"张三\"}");
    seen_paths none = {"", 0, 0};
    assert_int_equal(wx_endpoint_sensitive_paths(ep, body, note_path, &none), WX_OK);
    assert_string_equal(none.text, "");
    json_object_put(body);

    /* A malformed mark is an error naming the key path. */
    wx_error_t err;
    memset(&err, 0, sizeof err);
    assert_int_equal(wx_spec_find(s, "POST", "/v3/badsens", &ep, NULL, &err), WX_E_SPEC);
    assert_non_null(strstr(err.where, "post.parameters[0].schema.x-is-sensitive"));
    assert_non_null(strstr(err.message, "a name or a list of names"));
    wx_spec_free(s);
}

/* The community file: the receiver's encrypted name is marked on the body schema. */
static void test_sensitive_sample(void **state)
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
    assert_int_equal(wx_spec_find(s, "POST", "/v3/ecommerce/profitsharing/receivers/add", &ep,
                                  NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_has_sensitive(ep), 1);
    assert_int_equal(wx_endpoint_is_xml(ep), 0);
    json_object *body = json_tokener_parse(
        "{\"appid\":\"wx8888888888888888\",\"type\":\"MERCHANT_ID\",\"account\":\"190001001\","
        "\"name\":\"张三网络公司\",\"encrypted_name\":\"张三\",\"relation_type\":\"MERCHANT_ID\"}");
    seen_paths sp = {"", 0, 0};
    assert_int_equal(wx_endpoint_sensitive_paths(ep, body, note_path, &sp), WX_OK);
    assert_string_equal(sp.text, "encrypted_name=张三");
    json_object_put(body);
    /* APIv2: the transfer is XML and needs the merchant certificate. */
    assert_int_equal(wx_spec_find(s, "POST", "/v2/mmpaymkttransfers/promotion/transfers", &ep,
                                  NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_is_xml(ep), 1);
    assert_int_equal(wx_endpoint_cert_required(ep), 1);
    assert_int_equal(wx_spec_find(s, "POST", "/v2/pay/micropay", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_is_xml(ep), 1);
    assert_int_equal(wx_endpoint_cert_required(ep), 0);
    wx_spec_free(s);
}

static wx_spec_t *open_builtin(void)
{
    wx_spec_options_t o = {.no_env = 1};
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_new(&o, &s, NULL), WX_OK);
    return s;
}

/* The shipped specs mark what WeChat Pay encrypts: receiver and payee names, bank card
 * numbers; the walker finds them in a request built the usual way. */
static void test_shipped_sensitive(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl, *body, *found;
    } cases[] = {
        {"/v3/profitsharing/receivers/add", "{\"type\":\"PERSONAL_OPENID\",\"name\":\"张三\"}", "name=张三"},
        {"/v3/profitsharing/orders",
         "{\"receivers\":[{\"name\":\"李四\",\"account\":\"o1\"},{\"account\":\"o2\"},{\"name\":\"王五\"}]}",
         "receivers[0].name=李四 receivers[2].name=王五"},
        {"/v3/transfer/batches",
         "{\"batch_name\":\"b\",\"transfer_detail_list\":[{\"user_name\":\"赵六\",\"openid\":\"o\"}]}",
         "transfer_detail_list[0].user_name=赵六"},
        {"/v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund",
         "{\"type\":\"USER_BANK_CARD\",\"bank_account\":\"6222020200000000000\",\"real_name\":\"钱七\"}",
         "bank_account=6222020200000000000 real_name=钱七"},
        /* Nothing to hide in an ordinary order. */
        {"/v3/pay/transactions/jsapi", "{\"description\":\"name\",\"payer\":{\"openid\":\"o\"}}", ""},
    };
    wx_spec_t *s = open_builtin();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const wx_endpoint_t *ep = NULL;
        assert_int_equal(wx_spec_find(s, "POST", cases[i].tmpl, &ep, NULL, NULL), WX_OK);
        assert_int_equal(wx_endpoint_has_sensitive(ep), cases[i].found[0] != 0);
        json_object *body = json_tokener_parse(cases[i].body);
        seen_paths sp = {"", 0, 0};
        assert_int_equal(wx_endpoint_sensitive_paths(ep, body, note_path, &sp), WX_OK);
        if (strcmp(sp.text, cases[i].found) != 0)
            fail_msg("%s: found \"%s\", expected \"%s\"", cases[i].tmpl, sp.text, cases[i].found);
        json_object_put(body);
    }
    /* The transfer detail query answers the payee's name encrypted. */
    const wx_endpoint_t *ep = NULL;
    assert_int_equal(wx_spec_find(s, "GET", "/v3/transfer/batches/batch-id/1/details/detail-id/2",
                                  &ep, NULL, NULL), WX_OK);
    json_object *resp = json_tokener_parse("{\"user_name\":\"c2VjcmV0\"}");
    seen_paths rp = {"", 0, 0};
    assert_int_equal(wx_endpoint_sensitive_response_paths(ep, 200, resp, note_path, &rp), WX_OK);
    assert_string_equal(rp.text, "user_name=c2VjcmV0");
    json_object_put(resp);
    wx_spec_free(s);
}

/* notify_url: https anywhere, plain http only to this machine (the sandbox's callbacks). */
static void test_shipped_notify_url(void **state)
{
    (void)state;
    static const char *const good[] = {
        "https://www.example.com/wxpay/notify", "https://pay.example.cn", "http://127.0.0.1:8080/cb",
        "http://localhost/notify", "http://[::1]:9000/n", "http://127.0.0.1"};
    static const char *const bad[] = {
        "http://www.example.com/notify", "http://127.0.0.1.evil.com/cb", "http://localhost.evil.com/",
        "http://localhost:99999999/", "https://www.example.com/cb?x=1", "ftp://127.0.0.1/",
        "http://[::2]/", "https://", "https://a.com/#frag", "http://user@localhost/"};
    static const char *const tmpls[] = {"/v3/pay/transactions/jsapi", "/v3/pay/transactions/native",
                                        "/v3/refund/domestic/refunds", "/v3/combine-transactions/app",
                                        "/v2/pay/unifiedorder"};
    wx_spec_t *s = open_builtin();
    for (size_t t = 0; t < sizeof tmpls / sizeof tmpls[0]; t++) {
        const wx_endpoint_t *ep = NULL;
        assert_int_equal(wx_spec_find(s, "POST", tmpls[t], &ep, NULL, NULL), WX_OK);
        for (int want_ok = 1; want_ok >= 0; want_ok--) {
            const char *const *list = want_ok ? good : bad;
            size_t n = want_ok ? sizeof good / sizeof good[0] : sizeof bad / sizeof bad[0];
            for (size_t i = 0; i < n; i++) {
                json_object *body = json_object_new_object();
                json_object_object_add(body, "notify_url", json_object_new_string(list[i]));
                wx_request_view_t rv = {NULL, NULL, NULL, body, 1};
                wx_violations_t *v = NULL;
                wx_err rc = wx_endpoint_validate_request(ep, &rv, &v);
                assert_true(rc == WX_OK || rc == WX_E_VALIDATION);
                int flagged = 0;
                for (size_t k = 0; k < wx_violations_count(v); k++)
                    flagged |= strcmp(wx_violations_at(v, k)->path, "notify_url") == 0;
                if (flagged == want_ok)
                    fail_msg("%s: notify_url %s %s", tmpls[t], list[i],
                             want_ok ? "refused" : "accepted");
                wx_violations_free(v);
                json_object_put(body);
            }
        }
    }
    wx_spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_numbers_as_text),
        cmocka_unit_test(test_sensitive_paths),
        cmocka_unit_test(test_sensitive_sample),
        cmocka_unit_test(test_shipped_sensitive),
        cmocka_unit_test(test_shipped_notify_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
