/* Key and certificate generation, checked by the openssl CLI: `openssl pkey -check`
 * accepts the generated key, `openssl x509 -text` shows what the spec asked for, and
 * `openssl verify` accepts self-signed CAs and CA-issued leaves (ours and the CLI's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wechatpay/crypto.h>
#include <wechatpay/sys/crypto.h>

#include "test_crypto_fixture.h"

static const wxct_fixture *fx;
static char *g_dir;

static int setup(void **state)
{
    (void)state;
    fx = wxct_get();
    g_dir = wxt_tmpdir("crypto-cert");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

static char *save(const char *name, const char *text)
{
    char *p = wxt_path(g_dir, name);
    wxt_write_file(p, text, strlen(text));
    return p;
}

/* `openssl CMD -in PATH`, which must succeed; its output. */
static char *cli(const char *cmd, const char *path)
{
    char *out = NULL, *err = NULL;
    int rc = wxct_openssl(&out, &err, "%s -in '%s'", cmd, path);
    if (rc)
        fail_msg("openssl %s: %s", cmd, err);
    free(err);
    return out;
}

static void expect_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' not found in:\n%s", part, text);
}

static char *make_cert(const wx_privkey_t *key, const wx_cert_spec_t *spec)
{
    char *pem = NULL;
    wx_error_t err = {0};
    if (wx_cert_create(key, spec, &pem, &err) != WX_OK)
        fail_msg("wx_cert_create: %s", err.message);
    return pem;
}

static void test_generate_key(void **state)
{
    (void)state;
    char *pem = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_rsa_generate(2048, &pem, &err), WX_OK);
    assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8 */
    char *path = save("generated.pem", pem);
    char *out = cli("pkey -check -noout -text", path);
    expect_contains(out, "Private-Key: (2048 bit");
    expect_contains(out, "publicExponent: 65537");
    free(out);
    wx_privkey_t *k = NULL;
    assert_int_equal(wx_privkey_load(pem, strlen(pem), NULL, &k, &err), WX_OK);
    char *sig = NULL;
    assert_int_equal(wx_rsa_sign(k, "m", 1, &sig, &err), WX_OK);
    wx_free(sig);
    wx_privkey_free(k);
    wx_free_secret(pem, strlen(pem));
    free(path);

    char *none = (char *)1;
    assert_int_equal(wx_rsa_generate(1024, &none, &err), WX_E_INVALID_ARG);
    assert_null(none);
    assert_int_equal(wx_rsa_generate(16384, &none, &err), WX_E_INVALID_ARG);
}

/* A CA and a leaf like the sandbox's: both checked by `openssl verify`. */
static void test_ca_and_leaf(void **state)
{
    (void)state;
    wx_privkey_t *ca_key = wxct_privkey(fx->other_key, NULL);
    wx_privkey_t *leaf_key = wxct_privkey(fx->key_pkcs8, NULL);
    wx_cert_spec_t ca_spec = {0};
    ca_spec.subject_cn = "libwechatpay Test CA";
    ca_spec.serial_hex = "3c9a0d";
    ca_spec.not_before = 1700000000;
    ca_spec.not_after = 2000000000;
    ca_spec.is_ca = 1;
    char *ca_pem = make_cert(ca_key, &ca_spec);
    char *ca_path = save("ca.pem", ca_pem);
    char *text = cli("x509 -noout -text", ca_path);
    expect_contains(text, "Version: 3");
    expect_contains(text, "Serial Number: 3971597 (0x3c9a0d)");
    expect_contains(text, "Subject: CN = libwechatpay Test CA");
    expect_contains(text, "Issuer: CN = libwechatpay Test CA");
    expect_contains(text, "CA:TRUE");
    expect_contains(text, "Certificate Sign");
    expect_contains(text, "sha256WithRSAEncryption");
    expect_contains(text, "Not Before: Nov 14 22:13:20 2023 GMT");
    expect_contains(text, "Not After : May 18 03:33:20 2033 GMT");
    free(text);
    /* The self-signed CA verifies as its own trust anchor. */
    char *out = NULL, *err = NULL;
    assert_int_equal(wxct_openssl(&out, &err, "verify -CAfile '%s' '%s'", ca_path, ca_path), 0);
    expect_contains(out, ": OK");
    free(out);
    free(err);

    /* Our API reads back exactly what it wrote. */
    wx_pubkey_t *ca_pub = NULL;
    assert_int_equal(wx_pubkey_load(ca_pem, strlen(ca_pem), &ca_pub, NULL), WX_OK);
    assert_string_equal(wx_pubkey_serial(ca_pub), "3C9A0D");
    int64_t nb, na;
    wx_pubkey_validity(ca_pub, &nb, &na);
    assert_int_equal(nb, 1700000000);
    assert_int_equal(na, 2000000000);
    assert_true(wx_keys_match(ca_key, ca_pub));
    wx_pubkey_free(ca_pub);

    wx_cert_spec_t leaf_spec = {0};
    leaf_spec.subject_cn = "127.0.0.1";
    leaf_spec.dns_name = "localhost";
    leaf_spec.ip_address = "127.0.0.1";
    leaf_spec.issuer_key = ca_key;
    leaf_spec.issuer_cert_pem = ca_pem; /* serial NULL: random, 20 bytes */
    char *leaf_pem = make_cert(leaf_key, &leaf_spec);
    char *leaf_path = save("leaf.pem", leaf_pem);
    text = cli("x509 -noout -text", leaf_path);
    expect_contains(text, "Issuer: CN = libwechatpay Test CA");
    expect_contains(text, "Subject: CN = 127.0.0.1");
    expect_contains(text, "CA:FALSE");
    expect_contains(text, "DNS:localhost, IP Address:127.0.0.1");
    expect_contains(text, "Digital Signature");
    expect_contains(text, "X509v3 Authority Key Identifier");
    free(text);
    assert_int_equal(wxct_openssl(&out, &err, "verify -CAfile '%s' '%s'", ca_path, leaf_path), 0);
    expect_contains(out, ": OK");
    free(out);
    free(err);
    /* The leaf carries the leaf key; its serial is 40 hex digits as openssl prints it. */
    wx_pubkey_t *leaf_pub = NULL;
    assert_int_equal(wx_pubkey_load(leaf_pem, strlen(leaf_pem), &leaf_pub, NULL), WX_OK);
    assert_true(wx_keys_match(leaf_key, leaf_pub));
    assert_int_equal(strlen(wx_pubkey_serial(leaf_pub)), 40);
    text = cli("x509 -noout -serial", leaf_path);
    char want[64];
    snprintf(want, sizeof want, "serial=%s\n", wx_pubkey_serial(leaf_pub));
    assert_string_equal(text, want);
    free(text);
    /* Default validity: from an hour ago, for about ten years. */
    wx_pubkey_validity(leaf_pub, &nb, &na);
    int64_t now = (int64_t)time(NULL);
    assert_true(nb <= now - 3500 && nb >= now - 3700);
    assert_true(na - nb > (int64_t)3650 * 86400);
    wx_pubkey_free(leaf_pub);

    /* The wrong certificate for the issuer key. */
    wx_cert_spec_t wrong = leaf_spec;
    wrong.issuer_key = leaf_key;
    char *pem = (char *)1;
    wx_error_t e = {0};
    assert_int_equal(wx_cert_create(leaf_key, &wrong, &pem, &e), WX_E_KEY);
    expect_contains(e.message, "does not belong to the issuer key");
    assert_null(pem);

    free(leaf_path);
    wx_free(leaf_pem);
    free(ca_path);
    wx_free(ca_pem);
    wx_privkey_free(leaf_key);
    wx_privkey_free(ca_key);
}

/* A leaf under a CA the openssl CLI made, with a multi-part subject name. */
static void test_leaf_under_cli_ca(void **state)
{
    (void)state;
    char *ca_path = wxt_path(g_dir, "cli_ca.pem");
    char *err = NULL;
    int rc = wxct_openssl(NULL, &err,
                          "req -new -x509 -key '%s' -out '%s' -days 10 -sha256 -subj "
                          "'/C=CN/ST=Guangdong/O=Tenpay.com/OU=Tenpay.com CA Center/CN=Test CA'",
                          fx->other_key, ca_path);
    if (rc)
        fail_msg("openssl req: %s", err);
    free(err);
    char *ca_pem = wxt_read_file(ca_path, NULL);
    wx_privkey_t *ca_key = wxct_privkey(fx->other_key, NULL);
    wx_privkey_t *key = wxct_privkey(fx->key_pkcs1, NULL);
    wx_cert_spec_t spec = {0};
    spec.subject_cn = "1900009191, merchant";
    spec.serial_hex = "9E0011223344556677889900AABBCCDDEEFF0011"; /* top bit set */
    spec.issuer_key = ca_key;
    spec.issuer_cert_pem = ca_pem;
    char *pem = make_cert(key, &spec);
    char *path = save("cli_leaf.pem", pem);
    char *out = NULL;
    assert_int_equal(wxct_openssl(&out, &err, "verify -CAfile '%s' '%s'", ca_path, path), 0);
    expect_contains(out, ": OK");
    free(out);
    free(err);
    char *text = cli("x509 -noout -serial -subject -issuer -nameopt RFC2253", path);
    expect_contains(text, "serial=9E0011223344556677889900AABBCCDDEEFF0011\n");
    expect_contains(text, "subject=CN=1900009191\\, merchant\n");
    expect_contains(text,
                    "issuer=CN=Test CA,OU=Tenpay.com CA Center,O=Tenpay.com,ST=Guangdong,C=CN\n");
    free(text);
    wx_pubkey_t *pub = NULL;
    assert_int_equal(wx_pubkey_load(pem, strlen(pem), &pub, NULL), WX_OK);
    assert_string_equal(wx_pubkey_serial(pub), spec.serial_hex);
    wx_pubkey_free(pub);
    free(path);
    wx_free(pem);
    wx_privkey_free(key);
    wx_privkey_free(ca_key);
    free(ca_pem);
    free(ca_path);
}

/* Far-future dates (GeneralizedTime) and odd-length serials survive a round trip. */
static void test_serial_and_time_forms(void **state)
{
    (void)state;
    wx_privkey_t *key = wxct_privkey(fx->key_pkcs8, NULL);
    wx_cert_spec_t spec = {0};
    spec.subject_cn = "far future";
    spec.serial_hex = "abc";
    spec.not_before = 2524608000;  /* 2050-01-01 */
    spec.not_after = 4102444800;   /* 2100-01-01 */
    char *pem = make_cert(key, &spec);
    char *path = save("future.pem", pem);
    char *text = cli("x509 -noout -serial -startdate -enddate", path);
    expect_contains(text, "serial=0ABC\n");
    expect_contains(text, "notBefore=Jan  1 00:00:00 2050 GMT");
    expect_contains(text, "notAfter=Jan  1 00:00:00 2100 GMT");
    free(text);
    wx_pubkey_t *pub = NULL;
    assert_int_equal(wx_pubkey_load(pem, strlen(pem), &pub, NULL), WX_OK);
    assert_string_equal(wx_pubkey_serial(pub), "0ABC");
    int64_t nb, na;
    wx_pubkey_validity(pub, &nb, &na);
    assert_int_equal(nb, 2524608000);
    assert_int_equal(na, 4102444800);
    wx_pubkey_free(pub);
    free(path);
    wx_free(pem);
    wx_privkey_free(key);
}

static void expect_spec_error(const wx_privkey_t *key, const wx_cert_spec_t *spec,
                              const char *where)
{
    char *pem = (char *)1;
    wx_error_t err = {0};
    wx_err rc = wx_cert_create(key, spec, &pem, &err);
    if (rc != WX_E_INVALID_ARG || strcmp(err.where, where) != 0)
        fail_msg("got %s at '%s' (%s), want WX_E_INVALID_ARG at '%s'", wx_err_name(rc), err.where,
                 err.message, where);
    assert_null(pem);
}

static void test_spec_errors(void **state)
{
    (void)state;
    wx_privkey_t *key = wxct_privkey(fx->key_pkcs8, NULL);
    wx_cert_spec_t base = {0};
    base.subject_cn = "ok";
    wx_cert_spec_t s = base;
    s.subject_cn = "";
    expect_spec_error(key, &s, "spec.subject_cn");
    s.subject_cn = NULL;
    expect_spec_error(key, &s, "spec.subject_cn");
    s.subject_cn = "0123456789012345678901234567890123456789012345678901234567890123x";
    expect_spec_error(key, &s, "spec.subject_cn");
    s.subject_cn = "bad\nname";
    expect_spec_error(key, &s, "spec.subject_cn");
    s = base;
    s.serial_hex = "12XY";
    expect_spec_error(key, &s, "spec.serial_hex");
    s.serial_hex = "0000";
    expect_spec_error(key, &s, "spec.serial_hex");
    s.serial_hex = "";
    expect_spec_error(key, &s, "spec.serial_hex");
    s.serial_hex = "0123456789012345678901234567890123456789A";
    expect_spec_error(key, &s, "spec.serial_hex");
    s = base;
    s.not_before = 2000;
    s.not_after = 1000;
    expect_spec_error(key, &s, "spec.not_before");
    s = base;
    s.dns_name = "two words";
    expect_spec_error(key, &s, "spec.dns_name");
    s.dns_name = "a,DNS:evil";
    expect_spec_error(key, &s, "spec.dns_name");
    s = base;
    s.ip_address = "999.1.1.1";
    expect_spec_error(key, &s, "spec.ip_address");
    s = base;
    s.issuer_key = key;
    expect_spec_error(key, &s, "spec.issuer_cert_pem");
    s = base;
    s.issuer_cert_pem = "-----BEGIN CERTIFICATE-----";
    expect_spec_error(key, &s, "spec.issuer_key");
    char *pem = (char *)1;
    assert_int_equal(wx_cert_create(key, NULL, &pem, NULL), WX_E_INVALID_ARG);
    assert_int_equal(wx_cert_create(NULL, &base, &pem, NULL), WX_E_INVALID_ARG);
    /* An IPv6 address is fine. */
    s = base;
    s.ip_address = "::1";
    pem = make_cert(key, &s);
    char *path = save("v6.pem", pem);
    char *text = cli("x509 -noout -text", path);
    expect_contains(text, "IP Address:0:0:0:0:0:0:0:1");
    free(text);
    free(path);
    wx_free(pem);
    wx_privkey_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_key),
        cmocka_unit_test(test_ca_and_leaf),
        cmocka_unit_test(test_leaf_under_cli_ca),
        cmocka_unit_test(test_serial_and_time_forms),
        cmocka_unit_test(test_spec_errors),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, teardown);
}
