/* SHA256withRSA and RSA-OAEP, each direction checked against the openssl CLI:
 * what we sign `openssl dgst -verify` accepts and the reverse; what we encrypt
 * `openssl pkeyutl -decrypt` (OAEP, SHA-1 defaults) opens and the reverse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wechatpay/crypto.h>

#include "test_crypto_fixture.h"

static const wxct_fixture *fx;
static char *g_dir;

static int setup(void **state)
{
    (void)state;
    fx = wxct_get();
    g_dir = wxt_tmpdir("crypto-rsa");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

/* The APIv3 message shape: lines ending in \n, a JSON body. */
static const char k_message[] =
    "POST\n/v3/industry-coupon/tokens\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n"
    "{\"stock_id\":\"9433645\",\"out_request_no\":\"20190522_001\"}\n";

static char *tmp(const char *name) { return wxt_path(g_dir, name); }

static void write_b64_decoded(const char *path, const char *b64)
{
    unsigned char *raw = NULL;
    size_t n = 0;
    assert_int_equal(wx_base64_decode(b64, strlen(b64), &raw, &n), WX_OK);
    wxt_write_file(path, raw, n);
    wx_free(raw);
}

static char *read_as_b64(const char *path)
{
    size_t n;
    char *raw = wxt_read_file(path, &n);
    assert_non_null(raw);
    char *b64 = NULL;
    assert_int_equal(wx_base64_encode(raw, n, &b64), WX_OK);
    free(raw);
    return b64;
}

static void test_sign_verified_by_openssl(void **state)
{
    (void)state;
    const char *keys[] = {fx->key_pkcs8, fx->key_pkcs1, fx->key_enc_aes};
    char *msg = tmp("msg.txt"), *sig = tmp("sig.bin");
    wxt_write_file(msg, k_message, strlen(k_message));
    for (int i = 0; i < 3; i++) {
        wx_privkey_t *k = wxct_privkey(keys[i], i == 2 ? WXCT_PASSWORD : NULL);
        char *b64 = NULL;
        wx_error_t err = {0};
        assert_int_equal(wx_rsa_sign(k, k_message, strlen(k_message), &b64, &err), WX_OK);
        assert_int_equal(strlen(b64), 344); /* 256 bytes */
        write_b64_decoded(sig, b64);
        char *out = NULL;
        int rc = wxct_openssl(&out, NULL, "dgst -sha256 -verify '%s' -signature '%s' '%s'",
                              fx->pub_spki, sig, msg);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, "Verified OK"));
        free(out);
        /* PKCS#1 v1.5 is deterministic: the same bytes as openssl's own signature. */
        char *sig2 = tmp("sig2.bin");
        assert_int_equal(wxct_openssl(NULL, NULL, "dgst -sha256 -sign '%s' -out '%s' '%s'",
                                      fx->key_pkcs8, sig2, msg), 0);
        char *b64_cli = read_as_b64(sig2);
        assert_string_equal(b64, b64_cli);
        free(b64_cli);
        free(sig2);
        wx_free(b64);
        wx_privkey_free(k);
    }
    free(msg);
    free(sig);
}

static void test_openssl_signature_verified(void **state)
{
    (void)state;
    char *msg = tmp("msg2.txt"), *sig = tmp("sig_cli.bin");
    wxt_write_file(msg, k_message, strlen(k_message));
    assert_int_equal(wxct_openssl(NULL, NULL, "dgst -sha256 -sign '%s' -out '%s' '%s'",
                                  fx->key_pkcs1, sig, msg), 0);
    char *b64 = read_as_b64(sig);
    const char *pubs[] = {fx->pub_spki, fx->pub_pkcs1, fx->cert};
    for (int i = 0; i < 3; i++) {
        wx_pubkey_t *k = wxct_pubkey(pubs[i]);
        wx_error_t err = {0};
        assert_int_equal(wx_rsa_verify(k, k_message, strlen(k_message), b64, &err), WX_OK);
        /* One changed byte of the message. */
        char *altered = strdup(k_message);
        altered[5] ^= 1;
        assert_int_equal(wx_rsa_verify(k, altered, strlen(altered), b64, &err),
                         WX_E_VERIFY_SIGNATURE);
        assert_int_equal(err.code, WX_E_VERIFY_SIGNATURE);
        free(altered);
        /* A truncated message (the exact bytes matter, to the last newline). */
        assert_int_equal(wx_rsa_verify(k, k_message, strlen(k_message) - 1, b64, &err),
                         WX_E_VERIFY_SIGNATURE);
        wx_pubkey_free(k);
    }
    /* The right signature checked with an unrelated key. */
    wx_privkey_t *other = wxct_privkey(fx->other_key, NULL);
    wx_pubkey_t *other_pub = NULL;
    assert_int_equal(wx_pubkey_from_privkey(other, &other_pub, NULL), WX_OK);
    assert_int_equal(wx_rsa_verify(other_pub, k_message, strlen(k_message), b64, NULL),
                     WX_E_VERIFY_SIGNATURE);
    wx_pubkey_free(other_pub);
    wx_privkey_free(other);
    free(b64);
    free(msg);
    free(sig);
}

static void test_bad_signatures(void **state)
{
    (void)state;
    wx_privkey_t *priv = wxct_privkey(fx->key_pkcs8, NULL);
    wx_pubkey_t *pub = wxct_pubkey(fx->cert);
    char *good = NULL;
    assert_int_equal(wx_rsa_sign(priv, "x", 1, &good, NULL), WX_OK);
    assert_int_equal(wx_rsa_verify(pub, "x", 1, good, NULL), WX_OK);
    wx_error_t err = {0};
    /* Flip one signature byte (inside the base64). */
    char *bad = strdup(good);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(wx_rsa_verify(pub, "x", 1, bad, &err), WX_E_VERIFY_SIGNATURE);
    /* Not base64, base64 of the wrong length, empty, NULL, and huge. */
    const char *junk[] = {"not base64!", "AAAA", "", "QUJD\n"};
    for (int i = 0; i < 4; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(wx_rsa_verify(pub, "x", 1, junk[i], &err), WX_E_VERIFY_SIGNATURE);
        assert_true(err.message[0] != 0);
    }
    assert_int_equal(wx_rsa_verify(pub, "x", 1, NULL, &err), WX_E_VERIFY_SIGNATURE);
    char *huge = malloc(5000);
    memset(huge, 'A', 4999);
    huge[4999] = 0;
    assert_int_equal(wx_rsa_verify(pub, "x", 1, huge, &err), WX_E_VERIFY_SIGNATURE);
    free(huge);
    /* An empty message signs and verifies. */
    char *empty_sig = NULL;
    assert_int_equal(wx_rsa_sign(priv, "", 0, &empty_sig, NULL), WX_OK);
    assert_int_equal(wx_rsa_verify(pub, NULL, 0, empty_sig, NULL), WX_OK);
    wx_free(empty_sig);
    /* Arguments. */
    char *out = (char *)1;
    assert_int_equal(wx_rsa_sign(NULL, "x", 1, &out, &err), WX_E_INVALID_ARG);
    assert_null(out);
    assert_int_equal(wx_rsa_verify(NULL, "x", 1, good, &err), WX_E_INVALID_ARG);
    free(bad);
    wx_free(good);
    wx_pubkey_free(pub);
    wx_privkey_free(priv);
}

/* Sensitive fields (names, phone numbers) as WeChat Pay encrypts them. */
static void test_oaep_decrypted_by_openssl(void **state)
{
    (void)state;
    const char *plain = "\xe5\xbc\xa0\xe4\xb8\x89 13800138000"; /* UTF-8 name and phone */
    const char *pubs[] = {fx->cert, fx->pub_spki, fx->pub_pkcs1};
    char *ct = tmp("oaep.bin"), *pt = tmp("oaep.txt");
    char *prev = NULL;
    for (int i = 0; i < 3; i++) {
        wx_pubkey_t *k = wxct_pubkey(pubs[i]);
        char *b64 = NULL;
        assert_int_equal(wx_rsa_oaep_encrypt(k, plain, strlen(plain), &b64, NULL), WX_OK);
        assert_int_equal(strlen(b64), 344);
        /* Randomised: never the same ciphertext twice. */
        if (prev)
            assert_string_not_equal(prev, b64);
        write_b64_decoded(ct, b64);
        char *err = NULL;
        int rc = wxct_openssl(NULL, &err,
                              "pkeyutl -decrypt -inkey '%s' -pkeyopt rsa_padding_mode:oaep "
                              "-in '%s' -out '%s'",
                              fx->key_pkcs8, ct, pt);
        if (rc)
            fail_msg("openssl pkeyutl -decrypt: %s", err);
        free(err);
        size_t n;
        char *got = wxt_read_file(pt, &n);
        assert_int_equal(n, strlen(plain));
        assert_memory_equal(got, plain, n);
        free(got);
        wx_free(prev);
        prev = b64;
        wx_pubkey_free(k);
    }
    wx_free(prev);
    free(ct);
    free(pt);
}

static void test_openssl_oaep_decrypted(void **state)
{
    (void)state;
    char *pt = tmp("plain.txt"), *ct = tmp("cli_oaep.bin");
    const char *plain = "6217000010001234567"; /* a bank card number */
    wxt_write_file(pt, plain, strlen(plain));
    assert_int_equal(wxct_openssl(NULL, NULL,
                                  "pkeyutl -encrypt -pubin -inkey '%s' -pkeyopt "
                                  "rsa_padding_mode:oaep -in '%s' -out '%s'",
                                  fx->pub_spki, pt, ct), 0);
    char *b64 = read_as_b64(ct);
    const char *keys[] = {fx->key_pkcs8, fx->key_pkcs1, fx->key_enc_des3};
    for (int i = 0; i < 3; i++) {
        wx_privkey_t *k = wxct_privkey(keys[i], i == 2 ? WXCT_PASSWORD : NULL);
        char *out = NULL;
        size_t n = 0;
        wx_error_t err = {0};
        assert_int_equal(wx_rsa_oaep_decrypt(k, b64, &out, &n, &err), WX_OK);
        assert_int_equal(n, strlen(plain));
        assert_string_equal(out, plain); /* NUL-terminated */
        wx_free_secret(out, n);
        wx_privkey_free(k);
    }
    /* PKCS#1 v1.5 padding is not OAEP. */
    assert_int_equal(wxct_openssl(NULL, NULL, "pkeyutl -encrypt -pubin -inkey '%s' -in '%s' -out '%s'",
                                  fx->pub_spki, pt, ct), 0);
    char *v15 = read_as_b64(ct);
    wx_privkey_t *k = wxct_privkey(fx->key_pkcs8, NULL);
    char *out = (char *)1;
    size_t n = 7;
    wx_error_t err = {0};
    assert_int_equal(wx_rsa_oaep_decrypt(k, v15, &out, &n, &err), WX_E_DECRYPT);
    assert_null(out);
    assert_int_equal(n, 0);
    wx_privkey_free(k);
    /* The right ciphertext, the wrong key. */
    k = wxct_privkey(fx->other_key, NULL);
    assert_int_equal(wx_rsa_oaep_decrypt(k, b64, &out, &n, &err), WX_E_DECRYPT);
    wx_privkey_free(k);
    free(v15);
    free(b64);
    free(pt);
    free(ct);
}

static void test_oaep_limits(void **state)
{
    (void)state;
    wx_privkey_t *priv = wxct_privkey(fx->key_pkcs8, NULL);
    wx_pubkey_t *pub = wxct_pubkey(fx->pub_spki);
    unsigned char buf[256];
    memset(buf, 'a', sizeof buf);
    char *b64 = NULL;
    wx_error_t err = {0};
    /* 2048-bit key: at most 256 - 2*20 - 2 = 214 bytes. */
    assert_int_equal(wx_rsa_oaep_encrypt(pub, buf, 214, &b64, &err), WX_OK);
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(wx_rsa_oaep_decrypt(priv, b64, &out, &n, &err), WX_OK);
    assert_int_equal(n, 214);
    assert_memory_equal(out, buf, 214);
    wx_free_secret(out, n);
    wx_free(b64);
    assert_int_equal(wx_rsa_oaep_encrypt(pub, buf, 215, &b64, &err), WX_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "214"));
    assert_null(b64);
    /* Empty plaintext round-trips. */
    assert_int_equal(wx_rsa_oaep_encrypt(pub, "", 0, &b64, &err), WX_OK);
    assert_int_equal(wx_rsa_oaep_decrypt(priv, b64, &out, &n, &err), WX_OK);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    wx_free_secret(out, n);
    wx_free(b64);
    /* Junk ciphertexts. */
    assert_int_equal(wx_rsa_oaep_decrypt(priv, "@@@@", &out, &n, &err), WX_E_DECRYPT);
    assert_int_equal(wx_rsa_oaep_decrypt(priv, "AAAA", &out, &n, &err), WX_E_DECRYPT);
    assert_int_equal(wx_rsa_oaep_decrypt(priv, NULL, &out, &n, &err), WX_E_DECRYPT);
    wx_pubkey_free(pub);
    wx_privkey_free(priv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verified_by_openssl),
        cmocka_unit_test(test_openssl_signature_verified),
        cmocka_unit_test(test_bad_signatures),
        cmocka_unit_test(test_oaep_decrypted_by_openssl),
        cmocka_unit_test(test_openssl_oaep_decrypted),
        cmocka_unit_test(test_oaep_limits),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, teardown);
}
