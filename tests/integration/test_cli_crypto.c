/* wxpay sign / verify / encrypt / decrypt, each checked both ways against the
 * openssl command line (SHA256withRSA through `openssl dgst`, RSA-OAEP SHA-1
 * through `openssl pkeyutl`), and AEAD_AES_256_GCM against a known vector. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cli_run.h"

static char *g_dir;   /* scratch folder */
static char *g_keys;  /* `wxpay keys gen` output */

static char *key_file(const char *name) { return wxt_path(g_keys, name); }

static char *scratch(const char *name, const char *data, size_t len)
{
    char *p = wxt_path(g_dir, name);
    if (data)
        wxt_write_file(p, data, len);
    return p;
}

static int setup(void **state)
{
    (void)state;
    g_keys = strdup(wxt_keys_dir());
    g_dir = wxt_tmpdir("cli-crypto");
    /* the public halves, as openssl writes them */
    char *key = key_file("merchant_key.pem"), *pub = scratch("merchant_pub.pem", NULL, 0);
    int rc = wxt_sh(NULL, NULL, "'%s' pkey -in '%s' -pubout -out '%s'", OPENSSL_CLI, key, pub);
    free(key);
    free(pub);
    key = key_file("platform_key.pem");
    pub = scratch("platform_pub.pem", NULL, 0);
    rc |= wxt_sh(NULL, NULL, "'%s' pkey -in '%s' -pubout -out '%s'", OPENSSL_CLI, key, pub);
    free(key);
    free(pub);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    free(g_keys);
    free(g_dir);
    return 0;
}

/* base64 text (one line, as wxpay prints it) -> raw file, through openssl. */
static char *unbase64_to(const char *b64, const char *name)
{
    char *in = scratch("b64.tmp", b64, strlen(b64));
    char *out = scratch(name, NULL, 0);
    assert_int_equal(wxt_sh(NULL, NULL, "'%s' base64 -d -A -in '%s' -out '%s'", OPENSSL_CLI, in,
                            out), 0);
    free(in);
    return out;
}

/* A message with the bytes that break naive tools: newlines, no final newline,
 * UTF-8, a NUL-free binary-ish tail. */
static const char k_message[] = "POST\n/v3/industry-coupon/tokens\n1554208460\n"
                                "593BEC0C930BF1AFEB40B4A08C8FB242\n"
                                "{\"open_id\":\"用户\",\"x\":\"\\t\"}\n\r\n  tail";

/* ------------------------------------------------------------------ sign / verify */

static void test_sign_matches_openssl(void **state)
{
    (void)state;
    char *msg = scratch("message.txt", k_message, sizeof k_message - 1);
    char *key = key_file("merchant_key.pem");
    cli_result r = cli_run("sign", "--key", key, msg, NULL);
    cli_expect(&r, 0, NULL, NULL);
    assert_string_equal(r.err, "");
    size_t n = strlen(r.out);
    assert_true(n == 345 && r.out[n - 1] == '\n'); /* base64 of 256 bytes, and a newline */

    /* PKCS#1 v1.5 is deterministic: openssl must produce the same signature ... */
    char *ours = NULL;
    assert_int_equal(wxt_sh(&ours, NULL, "'%s' dgst -sha256 -sign '%s' '%s' | '%s' base64 -A",
                            OPENSSL_CLI, key, msg, OPENSSL_CLI), 0);
    assert_memory_equal(ours, r.out, 344);
    free(ours);
    /* ... and accept ours */
    char *sig = unbase64_to(r.out, "message.sig");
    char *pub = scratch("merchant_pub.pem", NULL, 0);
    char *out = NULL;
    assert_int_equal(wxt_sh(&out, NULL, "'%s' dgst -sha256 -verify '%s' -signature '%s' '%s'",
                            OPENSSL_CLI, pub, sig, msg), 0);
    assert_non_null(strstr(out, "Verified OK"));
    free(out);

    /* the message from standard input signs the same */
    cli_result s = cli_run_in(k_message, "sign", "--key", key, "-", NULL);
    cli_expect(&s, 0, r.out, NULL);
    cli_result_free(&s);
    s = cli_run_in(k_message, "sign", "--key", key, NULL);
    cli_expect(&s, 0, r.out, NULL);
    cli_result_free(&s);
    cli_result_free(&r);
    free(sig);
    free(pub);
    free(key);
    free(msg);
}

static void test_verify_openssl_signature(void **state)
{
    (void)state;
    char *msg = scratch("message.txt", k_message, sizeof k_message - 1);
    char *key = key_file("merchant_key.pem"), *cert = key_file("merchant_cert.pem");
    char *pub = scratch("merchant_pub.pem", NULL, 0);
    char *b64 = NULL;
    assert_int_equal(wxt_sh(&b64, NULL, "'%s' dgst -sha256 -sign '%s' '%s' | '%s' base64 -A",
                            OPENSSL_CLI, key, msg, OPENSSL_CLI), 0);
    b64[strcspn(b64, "\n")] = 0;

    cli_result r = cli_run("verify", "--cert", cert, "--signature", b64, msg, NULL);
    cli_expect(&r, 0, "signature ok\n", NULL);
    cli_result_free(&r);
    r = cli_run_in(k_message, "verify", "--pubkey", pub, "--signature", b64, NULL);
    cli_expect(&r, 0, "signature ok\n", NULL);
    cli_result_free(&r);
    /* the signature from a file, with the newline a shell leaves */
    char *sigfile = scratch("sig.b64", NULL, 0);
    char *line = NULL;
    assert_true(asprintf(&line, "%s\n", b64) > 0);
    wxt_write_file(sigfile, line, strlen(line));
    char at[700];
    snprintf(at, sizeof at, "@%s", sigfile);
    r = cli_run("verify", "--cert", cert, "--signature", at, msg, NULL);
    cli_expect(&r, 0, "signature ok\n", NULL);
    cli_result_free(&r);

    /* one byte more, one byte changed, another key: exit 3 */
    char *longer = NULL;
    assert_true(asprintf(&longer, "%s\n", k_message) > 0);
    r = cli_run_in(longer, "verify", "--cert", cert, "--signature", b64, NULL);
    cli_expect(&r, 3, "", "signature does not verify");
    cli_result_free(&r);
    char changed[sizeof k_message];
    memcpy(changed, k_message, sizeof k_message);
    changed[0] = 'G';
    r = cli_run_in(changed, "verify", "--cert", cert, "--signature", b64, NULL);
    cli_expect(&r, 3, "", NULL);
    cli_result_free(&r);
    char *other = key_file("platform_cert.pem");
    r = cli_run("verify", "--cert", other, "--signature", b64, msg, NULL);
    cli_expect(&r, 3, "", NULL);
    cli_result_free(&r);
    /* a damaged signature (still base64), and one that is not base64 at all */
    b64[10] = b64[10] == 'A' ? 'B' : 'A';
    r = cli_run("verify", "--cert", cert, "--signature", b64, msg, NULL);
    cli_expect(&r, 3, "", NULL);
    cli_result_free(&r);
    r = cli_run("verify", "--cert", cert, "--signature", "***", msg, NULL);
    cli_expect(&r, 3, "", NULL);
    cli_result_free(&r);

    free(other);
    free(longer);
    free(line);
    free(sigfile);
    free(b64);
    free(pub);
    free(cert);
    free(key);
    free(msg);
}

static void test_sign_verify_round_trip(void **state)
{
    (void)state;
    char *key = key_file("platform_key.pem"), *cert = key_file("platform_cert.pem");
    static const char *const messages[] = {"", "a", "x\n", "多字节 UTF-8\n\n"};
    for (size_t i = 0; i < 4; i++) {
        cli_result s = cli_run_in(messages[i], "sign", "--key", key, NULL);
        cli_expect(&s, 0, NULL, NULL);
        s.out[strcspn(s.out, "\n")] = 0;
        cli_result v = cli_run_in(messages[i], "verify", "--cert", cert, "--signature", s.out, NULL);
        cli_expect(&v, 0, "signature ok\n", NULL);
        cli_result_free(&v);
        cli_result_free(&s);
    }
    free(cert);
    free(key);
}

static int occurrences(const char *text, const char *part)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, part)); p += strlen(part))
        n++;
    return n;
}

static void test_sign_verify_bad_keys(void **state)
{
    (void)state;
    char *msg = scratch("message.txt", "m", 1);
    char *cert = key_file("merchant_cert.pem"), *pub = scratch("merchant_pub.pem", NULL, 0);
    char *junk = scratch("junk.pem", "-----BEGIN PRIVATE KEY-----\nnot base64\n"
                                     "-----END PRIVATE KEY-----\n", 64);
    /* an unreadable key file and a file that is no key: exit 2, the file named */
    cli_result r = cli_run("sign", "--key", "/nonexistent/key.pem", msg, NULL);
    cli_expect(&r, 2, "", "/nonexistent/key.pem");
    assert_int_equal(occurrences(r.err, "/nonexistent/key.pem"), 1);
    cli_result_free(&r);
    r = cli_run("sign", "--key", junk, msg, NULL);
    cli_expect(&r, 2, "", "junk.pem");
    assert_int_equal(occurrences(r.err, "junk.pem"), 1);
    cli_result_free(&r);
    /* a certificate where the private key goes */
    r = cli_run("sign", "--key", cert, msg, NULL);
    cli_expect(&r, 2, "", "merchant_cert.pem");
    assert_int_equal(occurrences(r.err, "merchant_cert.pem"), 1);
    cli_result_free(&r);
    r = cli_run("encrypt", "--cert", junk, msg, NULL);
    cli_expect(&r, 2, "", "junk.pem");
    assert_int_equal(occurrences(r.err, "junk.pem"), 1);
    cli_result_free(&r);
    /* --cert and --pubkey swapped */
    r = cli_run("verify", "--cert", pub, "--signature", "AAAA", msg, NULL);
    cli_expect(&r, 2, "", "use --pubkey");
    cli_result_free(&r);
    r = cli_run("verify", "--pubkey", cert, "--signature", "AAAA", msg, NULL);
    cli_expect(&r, 2, "", "use --cert");
    cli_result_free(&r);
    /* a missing message file */
    char *key = key_file("merchant_key.pem");
    r = cli_run("sign", "--key", key, "/nonexistent/msg", NULL);
    cli_expect(&r, 2, "", "cannot read /nonexistent/msg");
    cli_result_free(&r);
    free(key);
    free(junk);
    free(pub);
    free(cert);
    free(msg);
}

/* ------------------------------------------------------------------ encrypt / decrypt */

static const char k_plain[] = "张三 13800138000\n";

static void test_encrypt_openssl_decrypts(void **state)
{
    (void)state;
    char *cert = key_file("platform_cert.pem"), *key = key_file("platform_key.pem");
    char *pub = scratch("platform_pub.pem", NULL, 0);
    const char *const forms[][2] = {{"--cert", cert}, {"--pubkey", pub}};
    for (size_t i = 0; i < 2; i++) {
        cli_result r = cli_run_in(k_plain, "encrypt", forms[i][0], forms[i][1], NULL);
        cli_expect(&r, 0, NULL, NULL);
        assert_int_equal(strlen(r.out), 345);
        char *ct = unbase64_to(r.out, "field.bin");
        char *plain = NULL;
        assert_int_equal(wxt_sh(&plain, NULL,
                                "'%s' pkeyutl -decrypt -inkey '%s' -in '%s' "
                                "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 "
                                "-pkeyopt rsa_mgf1_md:sha1",
                                OPENSSL_CLI, key, ct),
                         0);
        assert_string_equal(plain, k_plain);
        free(plain);
        free(ct);
        cli_result_free(&r);
    }
    /* OAEP is randomised: the same field twice gives two ciphertexts */
    cli_result a = cli_run_in(k_plain, "encrypt", "--cert", cert, NULL);
    cli_result b = cli_run_in(k_plain, "encrypt", "--cert", cert, NULL);
    assert_string_not_equal(a.out, b.out);
    cli_result_free(&a);
    cli_result_free(&b);
    free(pub);
    free(key);
    free(cert);
}

static void test_decrypt_openssl_ciphertext(void **state)
{
    (void)state;
    char *key = key_file("platform_key.pem"), *pub = scratch("platform_pub.pem", NULL, 0);
    char *plain = scratch("plain.txt", k_plain, sizeof k_plain - 1);
    char *b64 = NULL;
    assert_int_equal(wxt_sh(&b64, NULL,
                            "'%s' pkeyutl -encrypt -pubin -inkey '%s' -in '%s' "
                            "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 "
                            "-pkeyopt rsa_mgf1_md:sha1 | '%s' base64 -A",
                            OPENSSL_CLI, pub, plain, OPENSSL_CLI),
                     0);
    /* from standard input, with a trailing newline, and from a file */
    char *line = NULL;
    assert_true(asprintf(&line, "%s\n", b64) > 0);
    cli_result r = cli_run_in(line, "decrypt", "--key", key, NULL);
    cli_expect(&r, 0, k_plain, NULL);
    cli_result_free(&r);
    char *file = scratch("field.b64", b64, strlen(b64));
    r = cli_run("decrypt", "--key", key, file, NULL);
    cli_expect(&r, 0, k_plain, NULL);
    cli_result_free(&r);
    /* another private key cannot: exit 3 */
    char *other = key_file("merchant_key.pem");
    r = cli_run("decrypt", "--key", other, file, NULL);
    cli_expect(&r, 3, "", "does not decrypt");
    cli_result_free(&r);
    /* not base64: exit 2 */
    r = cli_run_in("not base64!", "decrypt", "--key", key, NULL);
    cli_expect(&r, 2, "", "not base64");
    cli_result_free(&r);
    free(other);
    free(file);
    free(line);
    free(b64);
    free(plain);
    free(pub);
    free(key);
}

static void test_encrypt_decrypt_round_trip(void **state)
{
    (void)state;
    char *cert = key_file("platform_cert.pem"), *key = key_file("platform_key.pem");
    static const char *const fields[] = {"a", "110101199003077777", "张三", "x\ny\n"};
    for (size_t i = 0; i < 4; i++) {
        cli_result e = cli_run_in(fields[i], "encrypt", "--cert", cert, NULL);
        cli_expect(&e, 0, NULL, NULL);
        cli_result d = cli_run_in(e.out, "decrypt", "--key", key, NULL);
        cli_expect(&d, 0, fields[i], NULL);
        cli_result_free(&d);
        cli_result_free(&e);
    }
    /* too long a plaintext for OAEP with a 2048-bit key (214 bytes at most) */
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cli_result e = cli_run_in(big, "encrypt", "--cert", cert, NULL);
    cli_expect(&e, 2, "", NULL);
    cli_result_free(&e);
    free(key);
    free(cert);
}

/* ------------------------------------------------------------------ AEAD_AES_256_GCM */

/* Made once with Python's `cryptography` package (an implementation independent of
 * this project):
 *   AESGCM(b"wxpayCliTestApiV3Key0123456789ab").encrypt(b"cli-nonce-12", PLAIN,
 *                                                        b"transaction")
 * base64-encoded, ciphertext || tag. */
#define GCM_KEY "wxpayCliTestApiV3Key0123456789ab"
#define GCM_NONCE "cli-nonce-12"
#define GCM_AAD "transaction"
#define GCM_PLAIN "{\"mchid\":\"1900000001\",\"out_trade_no\":\"cli-test-1\",\"trade_state\":\"SUCCESS\"}"
#define GCM_CIPHER                                                                             \
    "UYcox3MQoQqBKotkdQIDrsOhdVcxxxK3HRZZ2rCbB0lfRtgil95tASB0u17RoGAMduVecBZH03CtboQQIWnZWjBVM/" \
    "7Q7Qfnvnw9PhYB1OlrMZ/xVaWCsReC"

static void test_aes_gcm_known_vector(void **state)
{
    (void)state;
    cli_result r = cli_run_in(GCM_CIPHER "\n", "decrypt", "--apiv3-key", GCM_KEY, "--nonce",
                              GCM_NONCE, "--aad", GCM_AAD, NULL);
    cli_expect(&r, 0, GCM_PLAIN, NULL);
    assert_string_equal(r.err, "");
    cli_result_free(&r);
    /* the key from a file (kept out of the process list), the ciphertext from a file */
    char *keyfile = scratch("apiv3.key", GCM_KEY "\n", 33);
    char *ct = scratch("resource.b64", GCM_CIPHER, strlen(GCM_CIPHER));
    char at[700];
    snprintf(at, sizeof at, "@%s", keyfile);
    r = cli_run("decrypt", "--apiv3-key", at, "--nonce", GCM_NONCE, "--aad", GCM_AAD, ct, NULL);
    cli_expect(&r, 0, GCM_PLAIN, NULL);
    cli_result_free(&r);
    free(ct);
    free(keyfile);
}

static void test_aes_gcm_tampered(void **state)
{
    (void)state;
    /* one ciphertext bit, one tag bit, another nonce, other associated data, no
     * associated data, another key: each is exit 3 with nothing on stdout */
    char body[] = GCM_CIPHER, tag[] = GCM_CIPHER;
    body[5] = body[5] == 'A' ? 'B' : 'A';
    size_t n = strlen(tag);
    tag[n - 3] = tag[n - 3] == 'A' ? 'B' : 'A';
    const struct {
        const char *cipher, *key, *nonce, *aad;
    } cases[] = {
        {body, GCM_KEY, GCM_NONCE, GCM_AAD},
        {tag, GCM_KEY, GCM_NONCE, GCM_AAD},
        {GCM_CIPHER, GCM_KEY, "cli-nonce-13", GCM_AAD},
        {GCM_CIPHER, GCM_KEY, GCM_NONCE, "certificate"},
        {GCM_CIPHER, GCM_KEY, GCM_NONCE, NULL},
        {GCM_CIPHER, "wxpayCliTestApiV3Key0123456789ac", GCM_NONCE, GCM_AAD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"decrypt", "--apiv3-key", cases[i].key, "--nonce", cases[i].nonce,
                              cases[i].aad ? "--aad" : NULL, cases[i].aad, NULL};
        cli_result r = cli_runv(cases[i].cipher, args);
        cli_expect(&r, 3, "", "tag does not match");
        cli_result_free(&r);
    }
    /* a key that is not 32 bytes, a ciphertext that is not base64: exit 2 */
    cli_result r = cli_run_in(GCM_CIPHER, "decrypt", "--apiv3-key", "short", "--nonce", GCM_NONCE,
                              NULL);
    cli_expect(&r, 2, "", "32 characters");
    assert_null(strstr(r.err, "short"));
    cli_result_free(&r);
    r = cli_run_in("%%%", "decrypt", "--apiv3-key", GCM_KEY, "--nonce", GCM_NONCE, NULL);
    cli_expect(&r, 2, "", "not base64");
    assert_null(strstr(r.err, GCM_KEY));
    cli_result_free(&r);
}

static void test_no_secrets(void **state)
{
    (void)state;
    cli_assert_no_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_matches_openssl),
        cmocka_unit_test(test_verify_openssl_signature),
        cmocka_unit_test(test_sign_verify_round_trip),
        cmocka_unit_test(test_sign_verify_bad_keys),
        cmocka_unit_test(test_encrypt_openssl_decrypts),
        cmocka_unit_test(test_decrypt_openssl_ciphertext),
        cmocka_unit_test(test_encrypt_decrypt_round_trip),
        cmocka_unit_test(test_aes_gcm_known_vector),
        cmocka_unit_test(test_aes_gcm_tampered),
        cmocka_unit_test(test_no_secrets),
    };
    return cmocka_run_group_tests_name("wxpay cli (crypto)", tests, setup, teardown);
}
