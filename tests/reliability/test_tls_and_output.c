/* Against the sandbox on loopback:
 * - TLS verification cannot be turned off by accident: a self-signed sandbox
 *   (`wxpay mock --tls`) is refused by default, by a client trusting some other CA,
 *   by a CONFIG.json carrying would-be "insecure" keys, and by the wxpay tool; it is
 *   accepted with its CA file (ca_file = KEYS/mock-ca.pem), and without one only with
 *   the loudly named insecure_skip_tls_verify_DANGEROUS;
 * - the tool's output (stdout, stderr, -v traces) and the sandbox's log never carry
 *   key material: merchant and platform private keys (PEM lines) or the APIv3 key,
 *   across successes, every fault, bad input and broken keys. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/sys/crypto.h>

#include "testutil.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wx_err post_seed(const wx_client_options_t *o, const char *config, char *msg, size_t size)
{
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    wx_err rc = wx_client_new_from_config(config, o, &c, &err);
    if (rc != WX_OK) {
        snprintf(msg, size, "client: %s", err.message);
        return rc;
    }
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY});
    rc = wx_response_err(r);
    snprintf(msg, size, "%s", wx_response_error_detail(r)->message);
    if (rc != WX_OK)
        assert_null(wx_response_body(r, NULL));
    wx_response_free(r);
    wx_client_free(c);
    return rc;
}

static void test_tls_refused_by_default(void **state)
{
    wxt_mock m;
    wxt_mock_start(&m, (const char *const[]){"--tls", "--quiet", NULL});
    assert_int_equal(strncmp(m.base_url, "https://", 8), 0);
    char *ca = wxt_path(m.keys_dir, "mock-ca.pem");
    char msg[600];

    wx_client_options_t o = {.base_url = m.base_url, .timeout_ms = 8000};
    wx_err rc = post_seed(&o, m.config, msg, sizeof msg);
    printf("  default:            %s: %s\n", wx_err_name(rc), msg);
    assert_int_equal(rc, WX_E_TRANSPORT);
    assert_non_null(strstr(msg, "not trusted"));

    /* Trusting some other CA is no better. */
    char other_ca[512];
    snprintf(other_ca, sizeof other_ca, "%s/tests/golden/keys/platform_cert.pem", WX_SOURCE_DIR);
    o.ca_file = other_ca;
    rc = post_seed(&o, m.config, msg, sizeof msg);
    printf("  another CA:         %s: %s\n", wx_err_name(rc), msg);
    assert_int_equal(rc, WX_E_TRANSPORT);

    o.ca_file = ca;
    rc = post_seed(&o, m.config, msg, sizeof msg);
    printf("  ca_file mock-ca:    %s\n", wx_err_name(rc));
    if (rc != WX_OK)
        fail_msg("with the sandbox's CA: %s", msg);

    o.ca_file = NULL;
    o.insecure_skip_tls_verify_DANGEROUS = 1;
    rc = post_seed(&o, m.config, msg, sizeof msg);
    printf("  ..._DANGEROUS = 1:  %s\n", wx_err_name(rc));
    assert_int_equal(rc, WX_OK);
    o.insecure_skip_tls_verify_DANGEROUS = 0;

    /* A CONFIG.json with every name someone might try: refused (or ignored) all the same. */
    char *cfg_text = wxt_read_file(m.config, NULL);
    struct json_object *cfg = json_tokener_parse(cfg_text);
    free(cfg_text);
    static const char *const tries[] = {"insecure", "insecure_skip_tls_verify",
                                        "insecure_skip_tls_verify_DANGEROUS", "verify_ssl",
                                        "ssl_verify", "tls_verify", "verify_peer", "skip_verify"};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        int off = strncmp(tries[i], "insecure", 8) == 0 || strcmp(tries[i], "skip_verify") == 0;
        json_object_object_add(cfg, tries[i], json_object_new_boolean(off));
    }
    /* Relative key paths in the copy still point into the keys folder. */
    char *copy = wxt_path(m.keys_dir, "CONFIG-insecure.json");
    const char *text = json_object_to_json_string(cfg);
    wxt_write_file(copy, text, strlen(text));
    json_object_put(cfg);
    rc = post_seed(&o, copy, msg, sizeof msg);
    printf("  insecure keys in CONFIG.json: %s: %s\n", wx_err_name(rc), msg);
    assert_int_not_equal(rc, WX_OK);

    /* The tool: no option turns verification off, so the answer is not trusted. */
    char *out = NULL, *err = NULL;
    int status = wxt_sh(&out, &err, "'%s' -c '%s' --base-url '%s' --json '%s' POST "
                        "v3/industry-coupon/tokens", WXPAY_BIN, m.config, m.base_url, SEED_BODY);
    printf("  wxpay:              exit %d: %s", status, err);
    assert_int_not_equal(status, 0);
    assert_string_equal(out, "");
    free(out);
    free(err);
    /* ... until it is told which CA to trust: --ca-file, or ca_file in CONFIG.json */
    status = wxt_sh(&out, &err, "'%s' -c '%s' --ca-file '%s' --base-url '%s' --json '%s' POST "
                    "v3/industry-coupon/tokens", WXPAY_BIN, m.config, ca, m.base_url, SEED_BODY);
    printf("  wxpay --ca-file:    exit %d\n", status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "\"token\""));
    free(out);
    free(err);
    cfg_text = wxt_read_file(m.config, NULL);
    cfg = json_tokener_parse(cfg_text);
    free(cfg_text);
    json_object_object_add(cfg, "ca_file", json_object_new_string("mock-ca.pem")); /* relative */
    char *with_ca = wxt_path(m.keys_dir, "CONFIG-ca.json");
    text = json_object_to_json_string(cfg);
    wxt_write_file(with_ca, text, strlen(text));
    json_object_put(cfg);
    status = wxt_sh(&out, &err, "'%s' -c '%s' --base-url '%s' --json '%s' POST "
                    "v3/industry-coupon/tokens", WXPAY_BIN, with_ca, m.base_url, SEED_BODY);
    printf("  CONFIG ca_file:     exit %d %s\n", status, err);
    assert_int_equal(status, 0);
    free(out);
    free(err);
    free(with_ca);

    free(copy);
    free(ca);
    assert_int_equal(wxt_mock_stop(&m), 0);
}

/* ---------------------------------------------------------------- output */

typedef struct needles {
    char *s[64];
    size_t n;
} needles;

static void add_pem_file(needles *nd, const char *dir, const char *name)
{
    char *path = wxt_path(dir, name);
    char *pem = wxt_read_file(path, NULL);
    if (!pem)
        fail_msg("cannot read %s", path);
    int line = 0;
    for (char *p = pem; *p && nd->n < 60;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= 60 && p[0] != '-' && line++ % 2 == 0)
            nd->s[nd->n++] = strndup(p, 40);
        if (!nl)
            break;
        p = nl + 1;
    }
    free(pem);
    free(path);
}

static void check_clean(const needles *nd, const char *text, const char *what)
{
    for (size_t i = 0; i < nd->n; i++)
        if (strstr(text, nd->s[i]))
            fail_msg("%s carries key material \"%.16s...\":\n%s", what, nd->s[i], text);
    if (strstr(text, "PRIVATE KEY-----"))
        fail_msg("%s carries a PEM private key block", what);
}

static void test_tool_output_has_no_key_material(void **state)
{
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    needles nd = {{0}, 0};
    add_pem_file(&nd, m.keys_dir, "merchant_key.pem");
    add_pem_file(&nd, m.keys_dir, "platform_key.pem");
    add_pem_file(&nd, m.keys_dir, "wechatpay_pub_key_private.pem");
    char *cfg_text = wxt_read_file(m.config, NULL);
    struct json_object *cfg = json_tokener_parse(cfg_text), *k;
    assert_true(json_object_object_get_ex(cfg, "apiv3_key", &k));
    char *apiv3 = strdup(json_object_get_string(k));
    nd.s[nd.n++] = strdup(apiv3);
    json_object_put(cfg);
    free(cfg_text);

    /* A keys folder whose merchant key is broken in the middle. */
    char *broken = wxt_tmpdir("tls-output-broken");
    assert_int_equal(wxt_sh(NULL, NULL, "cp '%s'/* '%s'/", m.keys_dir, broken), 0);
    char *bk = wxt_path(broken, "merchant_key.pem");
    char *pem = wxt_read_file(bk, NULL);
    pem[strlen(pem) / 2] = pem[strlen(pem) / 2] == 'A' ? 'B' : 'A';
    wxt_write_file(bk, pem, strlen(pem));
    free(pem);
    char *broken_cfg = wxt_path(broken, "CONFIG.json");

    char *ct = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(apiv3, "0123456789ab", "certificate", "hello", 5, &ct, NULL),
                     WX_OK);
    ct[2] = ct[2] == 'A' ? 'B' : 'A';
    char *ct_path = wxt_path(broken, "ct.b64");
    wxt_write_file(ct_path, ct, strlen(ct));
    wx_free(ct);

    const char *faults[] = {"none", "bad-signature", "unknown-serial", "stale-timestamp",
                            "missing-headers", "http-500", "drop-connection", "truncated-body"};
    char cmd[4096];
    int runs = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        snprintf(cmd, sizeof cmd, "'%s' -v -i -c '%s' --base-url '%s' --header "
                 "'Wxpay-Mock-Fault: %s' --json '%s' POST v3/industry-coupon/tokens",
                 WXPAY_BIN, m.config, m.base_url, faults[i], SEED_BODY);
        char *out = NULL, *err = NULL;
        int st = wxt_sh(&out, &err, "%s", cmd);
        if (strcmp(faults[i], "none") == 0)
            assert_int_equal(st, 0);
        else
            assert_int_not_equal(st, 0);
        check_clean(&nd, out, faults[i]);
        check_clean(&nd, err, faults[i]);
        free(out);
        free(err);
        runs++;
    }
    static const char *const others[] = {"invalid body", "broken key", "decrypt, wrong tag",
                                         "sign", "decrypt, not base64"};
    char *mk = wxt_path(m.keys_dir, "merchant_key.pem");
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char *out = NULL, *err = NULL;
        int st = -1;
        switch (i) {
        case 0:
            st = wxt_sh(&out, &err, "'%s' -v -c '%s' --base-url '%s' --json '{\"open_id\":1}' "
                        "POST v3/industry-coupon/tokens", WXPAY_BIN, m.config, m.base_url);
            break;
        case 1:
            st = wxt_sh(&out, &err, "'%s' -v -c '%s' --base-url '%s' --json '%s' POST "
                        "v3/industry-coupon/tokens", WXPAY_BIN, broken_cfg, m.base_url, SEED_BODY);
            break;
        case 2:
            st = wxt_sh(&out, &err, "'%s' decrypt --apiv3-key '%s' --nonce 0123456789ab --aad "
                        "certificate '%s'", WXPAY_BIN, apiv3, ct_path);
            break;
        case 3:
            st = wxt_sh(&out, &err, "'%s' sign --key '%s' /dev/null", WXPAY_BIN, mk);
            break;
        default:
            st = wxt_sh(&out, &err, "echo zzz | '%s' decrypt --key '%s' -", WXPAY_BIN, mk);
            break;
        }
        if (i != 3)
            assert_int_not_equal(st, 0);
        else
            assert_int_equal(st, 0);
        /* stdout of `sign` is a signature: output, not a secret; everything is checked */
        check_clean(&nd, err, others[i]);
        check_clean(&nd, out, others[i]);
        free(out);
        free(err);
        runs++;
    }
    free(mk);
    assert_int_equal(wxt_mock_stop(&m), 0);
    printf("  %d runs of the tool: stdout, stderr and -v traces free of key material\n", runs);

    free(apiv3);
    for (size_t i = 0; i < nd.n; i++)
        free(nd.s[i]);
    free(ct_path);
    free(broken_cfg);
    free(bk);
    free(broken);
}

/* The sandbox's own log, after requests of every kind. */
static void test_sandbox_log_has_no_key_material(void **state)
{
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    char *log_path = strdup(m.log);
    needles nd = {{0}, 0};
    add_pem_file(&nd, m.keys_dir, "merchant_key.pem");
    add_pem_file(&nd, m.keys_dir, "platform_key.pem");
    add_pem_file(&nd, m.keys_dir, "wechatpay_pub_key_private.pem");
    char *cfg_text = wxt_read_file(m.config, NULL);
    struct json_object *cfg = json_tokener_parse(cfg_text), *k;
    assert_true(json_object_object_get_ex(cfg, "apiv3_key", &k));
    nd.s[nd.n++] = strdup(json_object_get_string(k));
    json_object_put(cfg);
    free(cfg_text);
    wx_client_t *c = NULL;
    wx_client_options_t o = {.base_url = m.base_url};
    assert_int_equal(wx_client_new_from_config(m.config, &o, &c, NULL), WX_OK);
    const char *faults[] = {"none", "bad-signature", "http-500", "drop-connection"};
    for (size_t i = 0; i < 4; i++)
        wx_response_free(wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
            .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"Wxpay-Mock-Fault", faults[i]}, {0}}}));
    wx_response_free(wx_chain(c, "v3/certificates")->get(NULL));
    wx_client_free(c);
    assert_int_equal(wxt_mock_stop(&m), 0);
    char *log = wxt_read_file(log_path, NULL);
    assert_non_null(log);
    check_clean(&nd, log, "sandbox log");
    for (size_t i = 0; i < nd.n; i++)
        free(nd.s[i]);
    free(log);
    free(log_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_refused_by_default),
        cmocka_unit_test(test_tool_output_has_no_key_material),
        cmocka_unit_test(test_sandbox_log_has_no_key_material),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
