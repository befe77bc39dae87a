/* Sensitive fields: paths into the body, RSA-OAEP checked against `openssl pkeyutl`
 * both ways, the encrypt_fields request option on the in-memory transport (the
 * Wechatpay-Serial header names the key that really encrypted, validation sees the
 * plain values, the caller's body stays as given), the key rule, and failing
 * allocations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/crypto.h>

#include "alloc_counter.h"
#include "fake_server.h"
#include "testutil.h"

#define PLATFORM_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define PUB_KEY_ID "PUB_KEY_ID_0114232009152025032900000000000000"
#define RECEIVER                                                                              \
    "{\"appid\":\"wx8888888888888888\",\"type\":\"MERCHANT_ID\",\"account\":\"86693852\","   \
    "\"name\":\"示例商户全称\",\"relation_type\":\"STORE\"}"
#define DAY 86400

static wxt_fake g_fake;
static char *g_dir;

static int setup(void **state)
{
    g_dir = wxt_tmpdir("sensitive");
    return 0;
}

static int teardown(void **state)
{
    free(g_dir);
    return 0;
}

static int before_each(void **state)
{
    wxt_fake_init(&g_fake);
    return 0;
}

static int after_each(void **state)
{
    wxt_fake_free(&g_fake);
    return 0;
}

/* `openssl pkeyutl -decrypt` with OAEP, SHA-1 and MGF1-SHA-1 of a base64 ciphertext. */
static char *openssl_decrypt(const char *key_file, const char *b64)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    assert_int_equal(wx_base64_decode(b64, strlen(b64), &raw, &len), WX_OK);
    char *in = wxt_path(g_dir, "cipher.bin");
    wxt_write_file(in, raw, len);
    wx_free(raw);
    char *out = NULL, *errs = NULL;
    int rc = wxt_sh(&out, &errs,
                    "%s pkeyutl -decrypt -inkey '%s/tests/golden/keys/%s' -pkeyopt "
                    "rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 "
                    "-in '%s'",
                    OPENSSL_CLI, WX_SOURCE_DIR, key_file, in);
    if (rc != 0)
        fail_msg("openssl pkeyutl -decrypt: %s", errs);
    free(errs);
    free(in);
    return out;
}

/* `openssl pkeyutl -encrypt` to the certificate's key, base64 (malloc'd). */
static char *openssl_encrypt(const char *cert_file, const char *plain)
{
    char *in = wxt_path(g_dir, "plain.txt"), *out = NULL, *errs = NULL;
    wxt_write_file(in, plain, strlen(plain));
    int rc = wxt_sh(&out, &errs,
                    "%s pkeyutl -encrypt -certin -inkey '%s/tests/golden/keys/%s' -pkeyopt "
                    "rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 "
                    "-in '%s' | base64 -w0",
                    OPENSSL_CLI, WX_SOURCE_DIR, cert_file, in);
    if (rc != 0)
        fail_msg("openssl pkeyutl -encrypt: %s", errs);
    free(errs);
    free(in);
    return out;
}

static const char *get(struct json_object *o, const char *path)
{
    /* only "a", "a.b" and "a[i].b" are needed here */
    char key[64];
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, ".[");
        memcpy(key, p, n);
        key[n] = 0;
        assert_true(json_object_object_get_ex(o, key, &o));
        p += n;
        if (*p == '[') {
            o = json_object_array_get_idx(o, (size_t)atoi(p + 1));
            p = strchr(p, ']') + 1;
        }
        if (*p == '.')
            p++;
    }
    return json_object_get_string(o);
}

static wx_pubkey_t *golden_pub(const char *file)
{
    wx_pubkey_t *k = NULL;
    const char *pem = wxt_golden(file);
    assert_int_equal(wx_pubkey_load(pem, strlen(pem), &k, NULL), WX_OK);
    return k;
}

static wx_privkey_t *golden_priv(const char *file)
{
    wx_privkey_t *k = NULL;
    const char *pem = wxt_golden(file);
    assert_int_equal(wx_privkey_load(pem, strlen(pem), NULL, &k, NULL), WX_OK);
    return k;
}

/* ------------------------------------------------------------------ standalone */

static void test_paths_and_openssl(void **state)
{
    struct json_object *body = json_tokener_parse(
        "{\"name\":\"张三\",\"identity\":{\"type\":\"ID\",\"number\":\"110101199003070000\"},"
        "\"receivers\":[{\"name\":\"李四\"},{\"name\":\"王五\"}],"
        "\"list\":[{\"user_name\":\"a\"},{\"user_name\":\"b\"},{\"other\":1}],"
        "\"plain\":\"kept\"}");
    wx_pubkey_t *key = golden_pub("platform_cert.pem");
    wx_error_t err = {0};
    const char *paths[] = {"name", "identity.number", "receivers[1].name", "list[*].user_name?",
                           "absent?", "receivers[7].name?", NULL};
    if (wx_sensitive_encrypt(key, body, paths, &err) != WX_OK)
        fail_msg("%s", err.message);
    static const struct { const char *path, *plain; } want[] = {
        {"name", "张三"},         {"identity.number", "110101199003070000"},
        {"receivers[1].name", "王五"}, {"list[0].user_name", "a"}, {"list[1].user_name", "b"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *c = get(body, want[i].path);
        assert_int_equal(strlen(c), 344); /* 256 bytes of RSA-2048, base64 */
        char *plain = openssl_decrypt("platform_key.pem", c);
        assert_string_equal(plain, want[i].plain);
        free(plain);
    }
    assert_string_equal(get(body, "receivers[0].name"), "李四");
    assert_string_equal(get(body, "plain"), "kept");
    assert_string_equal(get(body, "identity.type"), "ID");
    /* OAEP is randomised: the same value twice gives two ciphertexts */
    struct json_object *again = json_tokener_parse("{\"a\":\"x\",\"b\":\"x\"}");
    assert_int_equal(wx_sensitive_encrypt(key, again, (const char *[]){"a", "b", NULL}, NULL),
                     WX_OK);
    assert_string_not_equal(get(again, "a"), get(again, "b"));
    json_object_put(again);

    /* back again with the private key, as a response would be decrypted */
    wx_privkey_t *priv = golden_priv("platform_key.pem");
    assert_int_equal(wx_sensitive_decrypt(priv, body, (const char *[]){"name", "list[*].user_name?",
                                                                       NULL}, &err), WX_OK);
    assert_string_equal(get(body, "name"), "张三");
    assert_string_equal(get(body, "list[1].user_name"), "b");
    wx_privkey_free(priv);
    wx_pubkey_free(key);
    json_object_put(body);
}

/* A field encrypted by openssl (as WeChat Pay would, with the merchant certificate)
 * decrypts with the client's merchant key. */
static void test_decrypt_response_fields(void **state)
{
    char *c1 = openssl_encrypt("merchant_cert.pem", "6225880137000000"),
         *c2 = openssl_encrypt("merchant_cert.pem", "招商银行");
    char text[2048];
    snprintf(text, sizeof text, "{\"account\":{\"number\":\"%s\",\"bank\":\"%s\"},\"n\":1}", c1, c2);
    struct json_object *body = json_tokener_parse(text);
    wx_client_options_t o = wxt_fake_options(&g_fake);
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    wx_error_t err = {0};
    assert_int_equal(wx_client_decrypt_fields(c, body, (const char *[]){"account.number",
                                                                        "account.bank", NULL},
                                              &err), WX_OK);
    assert_string_equal(get(body, "account.number"), "6225880137000000");
    assert_string_equal(get(body, "account.bank"), "招商银行");
    json_object_put(body);
    /* with the wrong key: the path is named, nothing about the value */
    body = json_tokener_parse(text);
    wx_privkey_t *other = golden_priv("other_key.pem");
    assert_int_equal(wx_sensitive_decrypt(other, body, (const char *[]){"account.bank", NULL},
                                          &err), WX_E_DECRYPT);
    assert_string_equal(err.where, "account.bank");
    assert_non_null(strstr(err.message, "does not decrypt"));
    /* not base64 */
    assert_int_equal(wx_sensitive_decrypt(other, body, (const char *[]){"n", NULL}, &err),
                     WX_E_INVALID_ARG);
    wx_privkey_free(other);
    json_object_put(body);
    wx_client_free(c);
    free(c1);
    free(c2);
}

static void test_path_errors(void **state)
{
    struct json_object *body = json_tokener_parse(
        "{\"a\":{\"b\":\"x\",\"n\":1,\"nul\":null},\"l\":[\"s\",{\"k\":\"v\"}],\"s\":\"str\"}");
    wx_pubkey_t *key = golden_pub("platform_cert.pem");
    static const struct { const char *path; wx_err code; const char *where; const char *part; }
    cases[] = {
        {"missing", WX_E_NOT_FOUND, "missing", "no such field"},
        {"a.missing", WX_E_NOT_FOUND, "a.missing", "\"?\""},
        {"a.n", WX_E_INVALID_ARG, "a.n", "must be a string, not int"},
        {"a.nul", WX_E_INVALID_ARG, "a.nul", "not null"},
        {"a", WX_E_INVALID_ARG, "a", "not object"},
        {"s.x", WX_E_INVALID_ARG, "s", "not an object"},
        {"a[0]", WX_E_INVALID_ARG, "a", "not an array"},
        {"l[5]", WX_E_NOT_FOUND, "l[5]", "the array has 2"},
        {"l[1].k.z", WX_E_INVALID_ARG, "l[1].k", "not an object"},
        {"l[x]", WX_E_INVALID_ARG, "l[x]", "digits"},
        {"l[]", WX_E_INVALID_ARG, "l[]", "index"},
        {"l[0", WX_E_INVALID_ARG, "l[0", "\"]\""},
        {"l[0]x", WX_E_INVALID_ARG, "l[0]x", "after"},
        {"a..b", WX_E_INVALID_ARG, "a..b", "empty name"},
        {"a.", WX_E_INVALID_ARG, "a.", "ends with"},
        {"", WX_E_INVALID_ARG, "", "empty"},
        {"?", WX_E_INVALID_ARG, "?", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wx_error_t err = {0};
        wx_err rc = wx_sensitive_encrypt(key, body, (const char *[]){cases[i].path, NULL}, &err);
        if (rc != cases[i].code || strcmp(err.where, cases[i].where) ||
            !strstr(err.message, cases[i].part))
            fail_msg("%s: want %s at \"%s\" (%s), got %s at \"%s\": %s", cases[i].path,
                     wx_err_name(cases[i].code), cases[i].where, cases[i].part, wx_err_name(rc),
                     err.where, err.message);
    }
    /* optional: absent or null is fine, the wrong type is not */
    assert_int_equal(wx_sensitive_encrypt(key, body, (const char *[]){"a.nul?", "l[9]?", "zz?",
                                                                      NULL}, NULL), WX_OK);
    assert_int_equal(wx_sensitive_encrypt(key, body, (const char *[]){"a.n?", NULL}, NULL),
                     WX_E_INVALID_ARG);
    /* too long for RSA-OAEP with a 2048-bit key (214 bytes): the path is named */
    char big[400];
    memset(big, 'x', 300);
    big[300] = 0;
    struct json_object *b = json_object_new_object();
    json_object_object_add(b, "long", json_object_new_string(big));
    wx_error_t err = {0};
    assert_int_equal(wx_sensitive_encrypt(key, b, (const char *[]){"long", NULL}, &err),
                     WX_E_INVALID_ARG);
    assert_string_equal(err.where, "long");
    assert_non_null(strstr(err.message, "long"));
    json_object_put(b);
    /* a scalar body, no paths, no key */
    struct json_object *scalar = json_object_new_string("x");
    assert_int_equal(wx_sensitive_encrypt(key, scalar, (const char *[]){"a", NULL}, NULL),
                     WX_E_INVALID_ARG);
    json_object_put(scalar);
    assert_int_equal(wx_sensitive_encrypt(key, body, NULL, NULL), WX_E_INVALID_ARG);
    assert_int_equal(wx_sensitive_encrypt(NULL, body, (const char *[]){"a.b", NULL}, NULL),
                     WX_E_INVALID_ARG);
    /* a root array */
    struct json_object *arr = json_tokener_parse("[{\"n\":\"v\"}]");
    assert_int_equal(wx_sensitive_encrypt(key, arr, (const char *[]){"[0].n", NULL}, NULL), WX_OK);
    assert_int_equal(strlen(json_object_get_string(
                         json_object_object_get(json_object_array_get_idx(arr, 0), "n"))), 344);
    json_object_put(arr);
    wx_pubkey_free(key);
    json_object_put(body);
}

/* ------------------------------------------------------------------ the request option */

static const char *header_sent(const char *name)
{
    static char value[1024]; /* an encrypted header value is 344 characters */
    char key[64];
    snprintf(key, sizeof key, "\n%s: ", name);
    char *all = malloc(strlen(g_fake.last_headers) + 2);
    sprintf(all, "\n%s", g_fake.last_headers);
    char *p = strstr(all, key);
    value[0] = 0;
    if (p)
        sscanf(p + strlen(key), "%1023[^\n]", value);
    free(all);
    return p ? value : NULL;
}

static wx_client_t *fake_client(void)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    return c;
}

static wx_response_t *add_receiver(wx_client_t *c, const wx_request_options_t *o)
{
    return wx_request(wx_chain(c, "v3/profitsharing/receivers/add"), WX_POST, o);
}

/* The last request was signed over a body whose name decrypts (with the WeChat Pay
 * public key's private half) to the clear value, the rest as given; the response
 * records what was sent. */
static void assert_sent_encrypted(wx_response_t *r)
{
    assert_true(g_fake.auth_ok);
    assert_null(strstr(g_fake.last_body, "示例"));
    struct json_object *sent = json_tokener_parse(g_fake.last_body);
    char *plain = openssl_decrypt("other_key.pem", get(sent, "name"));
    assert_string_equal(plain, "示例商户全称");
    free(plain);
    assert_string_equal(get(sent, "account"), "86693852");
    json_object_put(sent);
    assert_string_equal(wx_response_request_body(r, NULL), g_fake.last_body);
}

static void test_request_option(void **state)
{
    wx_client_t *c = fake_client();
    struct json_object *body = json_tokener_parse(RECEIVER);
    const char *fields[] = {"name", NULL};
    wx_response_t *r = add_receiver(c, &(wx_request_options_t){.json = body,
                                                               .encrypt_fields = fields});
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s", wx_response_error_detail(r)->message);
    /* the rule picks the WeChat Pay public key; its id goes into the header */
    assert_string_equal(header_sent("Wechatpay-Serial"), PUB_KEY_ID);
    assert_true(g_fake.auth_ok); /* signed over the encrypted body */
    assert_sent_encrypted(r);
    /* the caller's body is left as it was */
    assert_string_equal(get(body, "name"), "示例商户全称");
    struct json_object *sent;
    char *plain;
    wx_response_free(r);

    /* an explicit key: the platform certificate */
    r = add_receiver(c, &(wx_request_options_t){.json_text = RECEIVER, .encrypt_fields = fields,
                                                .encrypt_key_id = PLATFORM_SERIAL});
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_string_equal(header_sent("Wechatpay-Serial"), PLATFORM_SERIAL);
    sent = json_tokener_parse(g_fake.last_body);
    plain = openssl_decrypt("platform_key.pem", get(sent, "name"));
    assert_string_equal(plain, "示例商户全称");
    free(plain);
    json_object_put(sent);
    wx_response_free(r);

    /* a Wechatpay-Serial header given by the caller chooses the key (sent once) */
    wx_kv_t h[] = {{"Wechatpay-Serial", PLATFORM_SERIAL}, {0}};
    r = add_receiver(c, &(wx_request_options_t){.json_text = RECEIVER, .encrypt_fields = fields,
                                                .headers = h});
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_int_equal(wxt_sh(NULL, NULL, "test $(printf '%%s' '%s' | grep -c Wechatpay-Serial) = 1",
                            g_fake.last_headers), 0);
    sent = json_tokener_parse(g_fake.last_body);
    plain = openssl_decrypt("platform_key.pem", get(sent, "name"));
    assert_string_equal(plain, "示例商户全称");
    free(plain);
    json_object_put(sent);
    wx_response_free(r);

    /* an empty list: the spec marks name, so it is encrypted all the same, once */
    r = add_receiver(c, &(wx_request_options_t){.json_text = RECEIVER,
                                                .encrypt_fields = (const char *[]){NULL}});
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_string_equal(header_sent("Wechatpay-Serial"), PUB_KEY_ID);
    assert_null(strstr(g_fake.last_body, "示例商户全称"));
    sent = json_tokener_parse(g_fake.last_body);
    plain = openssl_decrypt("other_key.pem", get(sent, "name"));
    assert_string_equal(plain, "示例商户全称");
    free(plain);
    json_object_put(sent);
    wx_response_free(r);

    /* nothing is sent when: the two choices differ, the key is unknown, a field is
     * missing, the body is invalid in clear, there is no JSON body */
    int before = g_fake.requests;
    static const struct { wx_err code; const char *part; } fails[] = {
        {WX_E_INVALID_ARG, "differ"}, {WX_E_KEY, "not configured"}, {WX_E_NOT_FOUND, "nickname"},
        {WX_E_VALIDATION, "relation_type"}, {WX_E_INVALID_ARG, "needs a JSON body"}};
    wx_request_options_t bad[] = {
        {.json_text = RECEIVER, .encrypt_fields = fields, .headers = h,
         .encrypt_key_id = PUB_KEY_ID},
        {.json_text = RECEIVER, .encrypt_fields = fields, .encrypt_key_id = "0000"},
        {.json_text = RECEIVER, .encrypt_fields = (const char *[]){"nickname", NULL}},
        {.json_text = "{\"appid\":\"wx8888888888888888\",\"type\":\"MERCHANT_ID\",\"account\":"
                      "\"86693852\",\"name\":\"n\"}", .encrypt_fields = fields},
        {.encrypt_fields = fields, .no_validation = 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = add_receiver(c, &bad[i]);
        if (wx_response_err(r) != fails[i].code ||
            !strstr(wx_response_error_detail(r)->message, fails[i].part))
            fail_msg("case %zu: want %s (%s), got %s: %s", i, wx_err_name(fails[i].code),
                     fails[i].part, wx_err_name(wx_response_err(r)),
                     wx_response_error_detail(r)->message);
        wx_response_free(r);
    }
    assert_int_equal(g_fake.requests, before);
    json_object_put(body);
    wx_client_free(c);
}

/* Validation happens on the plain value: a name over the schema's maxLength (10240)
 * is refused before anything is encrypted or sent. */
static void test_validated_in_clear(void **state)
{
    wx_client_t *c = fake_client();
    struct json_object *body = json_tokener_parse(RECEIVER);
    char *big = malloc(10242);
    memset(big, 'x', 10241);
    big[10241] = 0;
    json_object_object_add(body, "name", json_object_new_string(big));
    free(big);
    wx_response_t *r = add_receiver(c, &(wx_request_options_t){
                                           .json = body, .encrypt_fields = (const char *[]){"name", NULL}});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_string_equal(wx_response_error_detail(r)->where, "name");
    assert_int_equal(g_fake.requests, 0);
    wx_response_free(r);
    json_object_put(body);
    wx_client_free(c);
}

/* ------------------------------------------------------------------ marked by the spec */

/* The spec of v3/profitsharing/receivers/add marks `name` (x-is-sensitive): without
 * encrypt_fields, with validation on or off, it leaves encrypted (a single time, with the
 * header naming the key), the text of a json_text body is re-serialised, and the
 * caller's value stays as given. */
static void test_marked_encrypted_unasked(void **state)
{
    wx_client_t *c = fake_client();
    struct json_object *body = json_tokener_parse(RECEIVER);
    const wx_request_options_t asks[] = {
        {.json = body}, {.json_text = RECEIVER}, {.json_text = RECEIVER, .no_validation = 1},
        {.json_text = RECEIVER, .encrypt_fields = (const char *[]){"name?", NULL}}};
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        wx_response_t *r = add_receiver(c, &asks[i]);
        if (wx_response_err(r) != WX_OK)
            fail_msg("case %zu: %s", i, wx_response_error_detail(r)->message);
        assert_string_equal(header_sent("Wechatpay-Serial"), PUB_KEY_ID);
        assert_sent_encrypted(r);
        wx_response_free(r);
    }
    assert_string_equal(get(body, "name"), "示例商户全称");
    json_object_put(body);

    /* an endpoint with no marked field: json_text goes byte for byte as given */
    const char *text = "{ \"sub_mchid\" : \"1900000109\" }";
    wx_response_t *r = wx_request(wx_chain(c, "v3/profitsharing/orders/unfreeze"), WX_POST,
                                  &(wx_request_options_t){.json_text = text, .no_validation = 1});
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_string_equal(g_fake.last_body, text);
    assert_null(header_sent("Wechatpay-Serial"));
    wx_response_free(r);
    wx_client_free(c);
}

/* Query and header parameters the spec marks sensitive are encrypted too (WeChat Pay's
 * bank-card lookup takes its account_number so): validated in clear, sent as base64
 * RSA-OAEP ciphertext under the key named in Wechatpay-Serial; the others as given. */
static void test_marked_params_encrypted(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/data/spec/sensitive-params", WX_SOURCE_DIR);
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.spec_dirs = (const char *[]){dir, NULL};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    wx_node_t *n = wx_chain(c, "v3/capital/capitallhh/banks/search-banks-by-bank-account");
    wx_response_t *r = wx_request(n, WX_GET, &(wx_request_options_t){
        .query = (wx_kv_t[]){{"account_number", "6222021234567890123"}, {"offset", "0"},
                             {NULL, NULL}},
        .headers = (wx_kv_t[]){{"X-Card-Holder", "张三"}, {NULL, NULL}}});
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s", wx_response_error_detail(r)->message);
    wx_response_free(r);
    assert_true(g_fake.auth_ok); /* signed over the target that was sent */
    assert_string_equal(header_sent("Wechatpay-Serial"), PUB_KEY_ID);
    assert_null(strstr(g_fake.last_target, "6222021234567890123"));
    const char *q = strstr(g_fake.last_target, "?account_number=");
    assert_non_null(q);
    assert_non_null(strstr(g_fake.last_target, "&offset=0"));
    /* the value is URL-encoded base64: decode %2B, %2F, %3D and decrypt it */
    char b64[1024];
    size_t k = 0;
    for (const char *s = q + strlen("?account_number="); *s && *s != '&' && k + 1 < sizeof b64;) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            b64[k++] = (char)v;
            s += 3;
        } else {
            b64[k++] = *s++;
        }
    }
    b64[k] = 0;
    char *plain = openssl_decrypt("other_key.pem", b64);
    assert_string_equal(plain, "6222021234567890123");
    free(plain);
    const char *holder = header_sent("X-Card-Holder");
    assert_non_null(holder);
    assert_string_not_equal(holder, "张三");
    plain = openssl_decrypt("other_key.pem", holder);
    assert_string_equal(plain, "张三");
    free(plain);

    /* validated in clear first: a value too short for a card number is refused, not sent
       (its ciphertext would have passed) */
    int before = g_fake.requests;
    r = wx_request(n, WX_GET, &(wx_request_options_t){
        .query = (wx_kv_t[]){{"account_number", "6222"}, {NULL, NULL}}});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    wx_response_free(r);
    assert_int_equal(g_fake.requests, before);
    wx_client_free(c);
}

/* decrypt_response: the response fields the spec marks (a transfer's user_name) come back
 * in clear; one that does not decrypt fails the response, naming it; without the option,
 * or from a version 1 struct, the ciphertext stays. */
static void test_decrypt_response_option(void **state)
{
    char *cipher = openssl_encrypt("merchant_cert.pem", "张三");
    char body[2048];
    snprintf(body, sizeof body, "{\"user_name\":\"%s\",\"detail_id\":\"1\"}", cipher);
    g_fake.body = body;
    wx_client_t *c = fake_client();
    const char *path = "v3/transfer/batches/batch-id/{batch_id}/details/detail-id/{detail_id}";
    wx_kv_t vars[] = {{"batch_id", "1030000071100999991182020050700019480001"},
                      {"detail_id", "1040000071100999991182020050700019500100"}, {NULL, NULL}};
    wx_response_t *r = wx_request(wx_chain(c, path), WX_GET, &(wx_request_options_t){
        .version = WX_REQUEST_OPTIONS_VERSION, .decrypt_response = 1, .vars = vars});
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s", wx_response_error_detail(r)->message);
    assert_string_equal(get(wx_response_json(r), "user_name"), "张三");
    assert_null(strstr(wx_response_body(r, NULL), "张三"));
    wx_response_free(r);
    /* not asked (or asked from a version 1 struct, which has no such member) */
    r = wx_request(wx_chain(c, path), WX_GET, &(wx_request_options_t){.vars = vars});
    assert_string_equal(get(wx_response_json(r), "user_name"), cipher);
    wx_response_free(r);
    /* a marked field that does not decrypt */
    char *other = openssl_encrypt("other_cert.pem", "张三");
    snprintf(body, sizeof body, "{\"user_name\":\"%s\"}", other);
    r = wx_request(wx_chain(c, path), WX_GET, &(wx_request_options_t){
        .version = WX_REQUEST_OPTIONS_VERSION, .decrypt_response = 1, .vars = vars});
    assert_int_equal(wx_response_err(r), WX_E_DECRYPT);
    assert_string_equal(wx_response_error_detail(r)->where, "user_name");
    wx_response_free(r);
    wx_client_free(c);
    free(other);
    free(cipher);
}

/* A marked field with no platform key to encrypt it: an error, nothing sent, whatever
 * validation says. */
static void test_marked_without_key(void **state)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.platform = (wx_platform_key_t[]){{NULL, NULL}};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    const wx_request_options_t asks[] = {{.json_text = RECEIVER},
                                         {.json_text = RECEIVER, .no_validation = 1}};
    for (size_t i = 0; i < 2; i++) {
        wx_response_t *r = add_receiver(c, &asks[i]);
        assert_int_equal(wx_response_err(r), WX_E_KEY);
        assert_non_null(strstr(wx_response_error_detail(r)->message, "platform key"));
        wx_response_free(r);
    }
    assert_int_equal(g_fake.requests, 0);
    wx_client_free(c);
}

/* ------------------------------------------------------------------ the key rule */

static char *cert_for(const char *key_file, const char *serial, int64_t from, int64_t to)
{
    wx_privkey_t *k = golden_priv(key_file);
    wx_cert_spec_t spec = {.subject_cn = "test", .serial_hex = serial, .not_before = from,
                           .not_after = to};
    char *pem = NULL;
    assert_int_equal(wx_cert_create(k, &spec, &pem, NULL), WX_OK);
    wx_privkey_free(k);
    return pem;
}

static void test_key_rule(void **state)
{
    int64_t now = WXT_NOW;
    char *old = cert_for("platform_key.pem", "11", now - 900 * DAY, now + 10 * DAY),
         *newer = cert_for("other_key.pem", "22", now - DAY, now + 900 * DAY),
         *future = cert_for("merchant_key.pem", "33", now + DAY, now + 900 * DAY),
         *expired = cert_for("merchant_key.pem", "44", now - 900 * DAY, now - DAY),
         *pub = NULL;
    wx_privkey_t *mk = golden_priv("merchant_key.pem");
    assert_int_equal(wx_pubkey_pem(mk, &pub, NULL), WX_OK);
    wx_privkey_free(mk);
    wx_platform_key_t keys[] = {{"11", old}, {"22", newer}, {"33", future}, {"44", expired},
                                {NULL, NULL}};
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.platform = keys;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    char id[128];
    assert_int_equal(wx_client_encryption_key(c, id, NULL), WX_OK);
    assert_string_equal(id, "22"); /* valid now, in force last */
    /* the client form names the key it used */
    struct json_object *b = json_tokener_parse("{\"x\":\"secret\"}");
    char used[128] = "";
    assert_int_equal(wx_client_encrypt_fields(c, NULL, b, (const char *[]){"x", NULL}, used, NULL),
                     WX_OK);
    assert_string_equal(used, "22");
    char *plain = openssl_decrypt("other_key.pem", get(b, "x"));
    assert_string_equal(plain, "secret");
    free(plain);
    json_object_put(b);
    b = json_tokener_parse("{\"x\":\"secret\"}");
    wx_error_t err = {0};
    assert_int_equal(wx_client_encrypt_fields(c, "99", b, (const char *[]){"x", NULL}, used, &err),
                     WX_E_KEY);
    assert_string_equal(get(b, "x"), "secret");
    json_object_put(b);
    /* a public key added: preferred */
    assert_int_equal(wx_keyring_add_pem(wx_client_keyring(c), "PUB_KEY_ID_1", pub, NULL), WX_OK);
    assert_int_equal(wx_client_encryption_key(c, id, NULL), WX_OK);
    assert_string_equal(id, "PUB_KEY_ID_1");
    wx_client_free(c);

    /* only expired and future certificates: none */
    o = wxt_fake_options(&g_fake);
    o.platform = keys + 2;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    assert_int_equal(wx_client_encryption_key(c, id, &err), WX_E_KEY);
    assert_non_null(strstr(err.message, "no platform key to encrypt with"));
    wx_client_free(c);
    wx_free(old), wx_free(newer), wx_free(future), wx_free(expired), wx_free(pub);
}

/* ------------------------------------------------------------------ torture */

static void test_allocation_failures(void **state)
{
    struct json_object *body = json_tokener_parse(RECEIVER);
    const char *fields[] = {"name", NULL};
    wxt_alloc_install();
    long n = 1;
    for (long stride = wxt_alloc_torture_stride();; n += stride) {
        wx_client_options_t o = wxt_fake_options(&g_fake);
        wx_client_t *c = NULL;
        wxt_alloc_fail_at(n);
        if (wx_client_new(&o, &c, NULL) != WX_OK) {
            wx_transport_free(o.transport);
            continue;
        }
        wx_response_t *r = add_receiver(c, &(wx_request_options_t){.json = body,
                                                                   .encrypt_fields = fields});
        int failed = wxt_alloc_failed();
        if (!failed)
            assert_int_equal(wx_response_err(r), WX_OK);
        wx_response_free(r);
        wx_client_free(c);
        if (!failed)
            break;
    }
    assert_int_equal(wxt_alloc_live(), 0);
    wxt_alloc_uninstall();
    print_message("torture: %ld allocation points exercised\n", n);
    assert_true(n > 20);
    assert_string_equal(get(body, "name"), "示例商户全称");
    json_object_put(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paths_and_openssl, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_decrypt_response_fields, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_marked_params_encrypted, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_decrypt_response_option, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_path_errors, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_request_option, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_validated_in_clear, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_marked_encrypted_unasked, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_marked_without_key, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_key_rule, before_each, after_each),
        cmocka_unit_test_setup_teardown(test_allocation_failures, before_each, after_each),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
