/* Loading keys and certificates: every format the openssl CLI writes, and a clear
 * error for each wrong input. Serials and validity are compared with what
 * `openssl x509` prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wechatpay/crypto.h>
#include <wechatpay/version.h>
#include <wechatpay/sys/crypto.h>

#include "test_crypto_fixture.h"

static const wxct_fixture *fx;

static int setup(void **state)
{
    (void)state;
    fx = wxct_get();
    return 0;
}

/* Load a private key and expect failure with a message that contains `want`. */
static void expect_priv_error(const char *path, const char *password, wx_err code,
                              const char *want)
{
    wx_privkey_t *k = (wx_privkey_t *)1;
    wx_error_t err = {0};
    wx_err rc = wx_privkey_load_file(path, password, &k, &err);
    if (rc != code || !strstr(err.message, want))
        fail_msg("%s: got %s '%s', want %s '%s'", path, wx_err_name(rc), err.message,
                 wx_err_name(code), want);
    assert_null(k);
    assert_int_equal(err.code, code);
    assert_string_equal(err.where, path);
}

static void expect_pub_error(const char *path, wx_err code, const char *want)
{
    wx_pubkey_t *k = (wx_pubkey_t *)1;
    wx_error_t err = {0};
    wx_err rc = wx_pubkey_load_file(path, &k, &err);
    if (rc != code || !strstr(err.message, want))
        fail_msg("%s: got %s '%s', want %s '%s'", path, wx_err_name(rc), err.message,
                 wx_err_name(code), want);
    assert_null(k);
}

static void expect_priv_text_error(const char *text, size_t len, const char *want)
{
    wx_privkey_t *k = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_privkey_load(text, len, NULL, &k, &err), WX_E_KEY);
    if (!strstr(err.message, want))
        fail_msg("got '%s', want '%s'", err.message, want);
    assert_null(k);
}

/* Every private key format loads, and each is the same key as the public half. */
static void test_private_key_formats(void **state)
{
    (void)state;
    wx_pubkey_t *pub = wxct_pubkey(fx->pub_spki);
    struct {
        const char *path, *password;
    } forms[] = {
        {fx->key_pkcs8, NULL},          {fx->key_pkcs1, NULL},
        {fx->key_der, NULL},            {fx->key_enc_aes, WXCT_PASSWORD},
        {fx->key_enc_des3, WXCT_PASSWORD}, {fx->key_enc_legacy, WXCT_PASSWORD},
        {fx->key_pkcs8, "ignored for a plain key"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        wx_privkey_t *k = wxct_privkey(forms[i].path, forms[i].password);
        if (!wx_keys_match(k, pub))
            fail_msg("%s does not match its public key", forms[i].path);
        wx_privkey_free(k);
    }
    wx_pubkey_free(pub);
}

static void test_private_key_from_memory(void **state)
{
    (void)state;
    size_t len;
    char *pem = wxt_read_file(fx->key_pkcs8, &len);
    /* Text around the block (as in files with comments or a certificate too). */
    size_t big_len = len + 200;
    char *big = malloc(big_len + 1);
    int n = snprintf(big, big_len + 1, "Comment line\n%s", pem);
    wx_privkey_t *k = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_privkey_load(big, (size_t)n, NULL, &k, &err), WX_OK);
    wx_privkey_free(k);
    /* Not NUL-terminated: a length is all it needs. */
    char *exact = malloc(len);
    memcpy(exact, pem, len);
    assert_int_equal(wx_privkey_load(exact, len, NULL, &k, &err), WX_OK);
    wx_privkey_free(k);
    free(exact);
    free(big);
    free(pem);
}

static void test_private_key_errors(void **state)
{
    (void)state;
    expect_priv_error(fx->key_enc_aes, "wrong", WX_E_KEY, "wrong password");
    expect_priv_error(fx->key_enc_des3, "wrong", WX_E_KEY, "wrong password");
    expect_priv_error(fx->key_enc_legacy, "wrong", WX_E_KEY, "wrong password");
    expect_priv_error(fx->key_enc_aes, NULL, WX_E_KEY, "no password");
    expect_priv_error(fx->key_enc_legacy, NULL, WX_E_KEY, "no password");
    expect_priv_error(fx->cert, NULL, WX_E_KEY, "a certificate, not a private key");
    expect_priv_error(fx->pub_spki, NULL, WX_E_KEY, "a public key, not a private key");
    expect_priv_error(fx->pub_pkcs1, NULL, WX_E_KEY, "a public key, not a private key");
    expect_priv_error(fx->ec_key, NULL, WX_E_KEY, "not an RSA key");
    expect_priv_error(fx->ed_key, NULL, WX_E_KEY, "not an RSA key");

    char *missing = wxt_path(fx->dir, "no-such-key.pem");
    expect_priv_error(missing, NULL, WX_E_IO, "no-such-key.pem");
    free(missing);

    expect_priv_text_error("hello", 5, "not a PEM");
    expect_priv_text_error("", 0, "not a PEM");

    /* Damage the middle of the base64 body: the structure still parses, but the
     * numbers no longer make a key (caught by the load-time self-test). */
    size_t len;
    char *pem = wxt_read_file(fx->key_pkcs8, &len);
    for (size_t i = len / 2; i < len / 2 + 40; i++)
        if (pem[i] != '\n')
            pem[i] = pem[i] == 'A' ? 'B' : 'A';
    expect_priv_text_error(pem, len, "corrupt");
    /* Cut the block in half. */
    expect_priv_text_error(pem, len / 2, "");
    free(pem);
    /* Break the outer DER structure. */
    pem = wxt_read_file(fx->key_pkcs1, &len);
    memcpy(strchr(pem, '\n') + 1, "AAAAAAAA", 8);
    expect_priv_text_error(pem, len, "corrupt");
    free(pem);
    pem = wxt_read_file(fx->key_enc_aes, &len);
    memcpy(strchr(pem, '\n') + 1, "AAAAAAAA", 8);
    {
        wx_privkey_t *k = NULL;
        wx_error_t e = {0};
        assert_int_equal(wx_privkey_load(pem, len, WXCT_PASSWORD, &k, &e), WX_E_KEY);
        assert_non_null(strstr(e.message, "corrupt"));
    }
    free(pem);

    /* The message never repeats key material. */
    pem = wxt_read_file(fx->key_pkcs1, &len);
    pem[len - 40] = '!';
    wx_privkey_t *k = NULL;
    wx_error_t err = {0};
    assert_int_not_equal(wx_privkey_load(pem, len, NULL, &k, &err), WX_OK);
    assert_null(strstr(err.message, "MII"));
    free(pem);

    assert_int_equal(wx_privkey_load(NULL, 0, NULL, &k, &err), WX_E_INVALID_ARG);
    assert_int_equal(wx_privkey_load_file(NULL, NULL, &k, &err), WX_E_INVALID_ARG);
    wx_privkey_free(NULL);
}

static void test_public_key_formats(void **state)
{
    (void)state;
    wx_privkey_t *priv = wxct_privkey(fx->key_pkcs8, NULL);
    const char *paths[] = {fx->pub_spki, fx->pub_pkcs1, fx->cert};
    for (size_t i = 0; i < 3; i++) {
        wx_pubkey_t *k = wxct_pubkey(paths[i]);
        assert_true(wx_keys_match(priv, k));
        wx_pubkey_free(k);
    }
    wx_pubkey_t *other = NULL;
    wx_privkey_t *other_priv = wxct_privkey(fx->other_key, NULL);
    assert_int_equal(wx_pubkey_from_privkey(other_priv, &other, NULL), WX_OK);
    assert_false(wx_keys_match(priv, other));
    assert_true(wx_keys_match(other_priv, other));
    assert_false(wx_keys_match(NULL, other));
    assert_null(wx_pubkey_serial(other));
    int64_t nb = 1, na = 1;
    wx_pubkey_validity(other, &nb, &na);
    assert_true(nb == 0 && na == 0);
    wx_pubkey_free(other);
    wx_privkey_free(other_priv);
    wx_privkey_free(priv);
    wx_pubkey_free(NULL);
}

static void test_public_key_errors(void **state)
{
    (void)state;
    expect_pub_error(fx->key_pkcs8, WX_E_KEY, "a private key, not a certificate or public key");
    expect_pub_error(fx->key_pkcs1, WX_E_KEY, "a private key");
    expect_pub_error(fx->key_enc_aes, WX_E_KEY, "a private key");
    expect_pub_error(fx->ec_cert, WX_E_KEY, "not an RSA key");
    expect_pub_error(fx->ec_pub, WX_E_KEY, "not an RSA key");
    char *missing = wxt_path(fx->dir, "nope.pem");
    expect_pub_error(missing, WX_E_IO, "nope.pem");
    free(missing);

    /* Break the outer DER structure: the first base64 characters after BEGIN. */
    size_t len;
    char *pem = wxt_read_file(fx->cert, &len);
    char *body = strchr(pem, '\n') + 1;
    memcpy(body, "AAAAAAAA", 8);
    wx_pubkey_t *k = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_pubkey_load(pem, len, &k, &err), WX_E_KEY);
    assert_non_null(strstr(err.message, "corrupt"));
    assert_null(k);
    free(pem);
    assert_int_equal(wx_pubkey_load("junk", 4, &k, &err), WX_E_KEY);
    assert_non_null(strstr(err.message, "not a PEM"));
}

/* The first certificate of a bundle is the one loaded, on every backend: a damaged
 * certificate after it does not matter, a damaged one before a good one does. */
static void test_certificate_bundle(void **state)
{
    (void)state;
    size_t len;
    char *cert = wxt_read_file(fx->cert, &len);
    static const char damaged[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    size_t n = len + sizeof damaged - 1;
    char *good_first = malloc(n), *damaged_first = malloc(n);
    memcpy(good_first, cert, len);
    memcpy(good_first + len, damaged, sizeof damaged - 1);
    memcpy(damaged_first, damaged, sizeof damaged - 1);
    memcpy(damaged_first + sizeof damaged - 1, cert, len);

    wx_pubkey_t *k = NULL, *single = wxct_pubkey(fx->cert);
    wx_error_t err = {0};
    assert_int_equal(wx_pubkey_load(good_first, n, &k, &err), WX_OK);
    assert_string_equal(wx_pubkey_serial(k), wx_pubkey_serial(single));
    wx_pubkey_free(k);
    assert_int_equal(wx_pubkey_load(damaged_first, n, &k, &err), WX_E_KEY);
    assert_null(k);
    assert_non_null(strstr(err.message, "corrupt certificate"));
    wx_pubkey_free(single);
    free(good_first);
    free(damaged_first);
    free(cert);
}

/* Serial and validity exactly as `openssl x509 -serial -dates` shows them. */
static void check_cert_against_cli(const char *path)
{
    char *out = NULL;
    assert_int_equal(wxct_openssl(&out, NULL, "x509 -in '%s' -noout -serial -startdate -enddate",
                                  path), 0);
    char serial[128] = "", nb[64] = "", na[64] = "";
    char *line = strtok(out, "\n");
    for (; line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "serial=", 7))
            snprintf(serial, sizeof serial, "%s", line + 7);
        else if (!strncmp(line, "notBefore=", 10))
            snprintf(nb, sizeof nb, "%s", line + 10);
        else if (!strncmp(line, "notAfter=", 9))
            snprintf(na, sizeof na, "%s", line + 9);
    }
    free(out);
    wx_pubkey_t *k = wxct_pubkey(path);
    assert_string_equal(wx_pubkey_serial(k), serial);
    int64_t not_before, not_after;
    wx_pubkey_validity(k, &not_before, &not_after);
    assert_int_equal(not_before, wxct_openssl_date(nb));
    assert_int_equal(not_after, wxct_openssl_date(na));
    wx_pubkey_free(k);
}

static void test_certificate_serial_and_validity(void **state)
{
    (void)state;
    wx_pubkey_t *k = wxct_pubkey(fx->cert);
    assert_string_equal(wx_pubkey_serial(k), WXCT_SERIAL);
    wx_pubkey_free(k);
    k = wxct_pubkey(fx->cert_high);
    assert_string_equal(wx_pubkey_serial(k), "9E0011223344556677889900AABBCCDDEEFF0011");
    wx_pubkey_free(k);
    k = wxct_pubkey(fx->cert_low);
    assert_string_equal(wx_pubkey_serial(k), "0A1B2C3D");
    wx_pubkey_free(k);
    check_cert_against_cli(fx->cert);
    check_cert_against_cli(fx->cert_high);
    check_cert_against_cli(fx->cert_low);
}

/* The same public key text as `openssl pkey -pubout` writes. */
static void test_pubkey_pem_matches_cli(void **state)
{
    (void)state;
    wx_privkey_t *k = wxct_privkey(fx->key_pkcs1, NULL);
    char *pem = NULL;
    assert_int_equal(wx_pubkey_pem(k, &pem, NULL), WX_OK);
    char *want = wxt_read_file(fx->pub_spki, NULL);
    assert_string_equal(pem, want);
    wx_pubkey_t *pub = NULL;
    assert_int_equal(wx_pubkey_load(pem, strlen(pem), &pub, NULL), WX_OK);
    assert_true(wx_keys_match(k, pub));
    wx_pubkey_free(pub);
    free(want);
    wx_free(pem);
    wx_privkey_free(k);
}

static void test_identity(void **state)
{
    (void)state;
    assert_string_equal(wx_version(), WX_VERSION_STRING);
    const char *b = wx_crypto_backend();
    assert_true(strcmp(b, "mbedtls") == 0 || strcmp(b, "openssl") == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_key_formats),
        cmocka_unit_test(test_private_key_from_memory),
        cmocka_unit_test(test_private_key_errors),
        cmocka_unit_test(test_public_key_formats),
        cmocka_unit_test(test_public_key_errors),
        cmocka_unit_test(test_certificate_bundle),
        cmocka_unit_test(test_certificate_serial_and_validity),
        cmocka_unit_test(test_pubkey_pem_matches_cli),
        cmocka_unit_test(test_identity),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, NULL);
}
