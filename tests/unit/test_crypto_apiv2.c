/* The APIv2 primitives (MD5, HMAC-SHA256, AES-256-ECB with PKCS#7) against the openssl
 * command line, both directions: what the seam computes is what `openssl dgst` and
 * `openssl enc` compute, and what `openssl enc` encrypts the seam decrypts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/backend.h"
#include "test_crypto_fixture.h"

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    g_dir = wxt_tmpdir("crypto-apiv2");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

static void hex_of(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* The digest the openssl CLI prints for FILE ("MD5(file)= hex" or "... hex"). */
static char *cli_digest(const char *args, const void *data, size_t len)
{
    char *path = wxt_path(g_dir, "dgst_in");
    wxt_write_file(path, data, len);
    char *out = NULL, *err = NULL;
    int rc = wxct_openssl(&out, &err, "dgst %s -r '%s'", args, path);
    if (rc)
        fail_msg("openssl dgst %s: %s", args, err);
    char *space = strchr(out, ' ');
    if (space)
        *space = 0;
    free(err);
    free(path);
    return out;
}

static const char *const k_messages[] = {
    "", "abc",
    "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100"
    "&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d",
    "body=刷卡支付测试&total_fee=1&key=0123456789abcdef0123456789abcdef",
};

static void test_md5_matches_cli(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_messages / sizeof k_messages[0]; i++) {
        unsigned char d[16];
        char hex[33];
        wxc_md5(k_messages[i], strlen(k_messages[i]), d);
        hex_of(d, 16, hex);
        char *want = cli_digest("-md5", k_messages[i], strlen(k_messages[i]));
        assert_string_equal(hex, want);
        free(want);
    }
    /* RFC 1321's own answer for "abc". */
    unsigned char d[16];
    char hex[33];
    wxc_md5("abc", 3, d);
    hex_of(d, 16, hex);
    assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
}

static void test_hmac_sha256_matches_cli(void **state)
{
    (void)state;
    const char *key = "192006250b4c09247ec02edce69f6a2d";
    for (size_t i = 0; i < sizeof k_messages / sizeof k_messages[0]; i++) {
        unsigned char d[32];
        char hex[65], args[128];
        wxc_hmac_sha256(key, strlen(key), k_messages[i], strlen(k_messages[i]), d);
        hex_of(d, 32, hex);
        snprintf(args, sizeof args, "-sha256 -hmac '%s'", key);
        char *want = cli_digest(args, k_messages[i], strlen(k_messages[i]));
        assert_string_equal(hex, want);
        free(want);
    }
    /* RFC 4231 test case 2. */
    unsigned char d[32];
    char hex[65];
    wxc_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
    hex_of(d, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* openssl enc -aes-256-ecb (PKCS#7 padding is its default) over in, either way. */
static unsigned char *cli_ecb(int decrypt, const unsigned char key[32], const void *in, size_t len,
                              size_t *out_len)
{
    char *in_path = wxt_path(g_dir, "ecb_in"), *out_path = wxt_path(g_dir, "ecb_out");
    char khex[65];
    hex_of(key, 32, khex);
    wxt_write_file(in_path, in, len);
    char *err = NULL;
    int rc = wxct_openssl(NULL, &err, "enc -aes-256-ecb %s -K %s -in '%s' -out '%s'",
                          decrypt ? "-d" : "", khex, in_path, out_path);
    if (rc)
        fail_msg("openssl enc -aes-256-ecb: %s", err);
    free(err);
    unsigned char *out = (unsigned char *)wxt_read_file(out_path, out_len);
    free(in_path);
    free(out_path);
    return out;
}

static void test_ecb_both_directions(void **state)
{
    (void)state;
    unsigned char key[32], plain[100], buf[128];
    assert_int_equal(wxc_random(key, sizeof key), WX_OK);
    assert_int_equal(wxc_random(plain, sizeof plain), WX_OK);
    const size_t lengths[] = {0, 1, 15, 16, 17, 31, 32, 100};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        size_t n = lengths[i], cap = sizeof buf;
        /* ours -> openssl */
        assert_int_equal(wxc_aes256ecb_encrypt(key, plain, n, buf, &cap, NULL), WX_OK);
        assert_int_equal(cap, (n / 16 + 1) * 16);
        size_t got_len = 0;
        unsigned char *got = cli_ecb(1, key, buf, cap, &got_len);
        assert_int_equal(got_len, n);
        assert_memory_equal(got, plain, n);
        free(got);
        /* openssl -> ours */
        size_t ct_len = 0;
        unsigned char *ct = cli_ecb(0, key, plain, n, &ct_len);
        assert_memory_equal(ct, buf, ct_len); /* ECB is deterministic: the same bytes */
        unsigned char back[128];
        size_t back_len = sizeof back;
        assert_int_equal(wxc_aes256ecb_decrypt(key, ct, ct_len, back, &back_len, NULL), WX_OK);
        assert_int_equal(back_len, n);
        assert_memory_equal(back, plain, n);
        free(ct);
    }
}

static void test_ecb_errors(void **state)
{
    (void)state;
    unsigned char key[32] = {1}, other[32] = {2}, buf[64], out[64];
    size_t cap = sizeof buf, out_len = sizeof out;
    wx_error_t err = {0};
    assert_int_equal(wxc_aes256ecb_encrypt(key, (const unsigned char *)"refund info", 11, buf, &cap, NULL), WX_OK);
    /* a ciphertext that is not whole blocks */
    assert_int_equal(wxc_aes256ecb_decrypt(key, buf, 15, out, &out_len, &err), WX_E_DECRYPT);
    assert_non_null(strstr(err.message, "16-byte blocks"));
    /* an empty one */
    assert_int_equal(wxc_aes256ecb_decrypt(key, buf, 0, out, &out_len, &err), WX_E_DECRYPT);
    /* the wrong key: the padding does not check, and nothing is left in out */
    int bad = 0;
    for (int t = 0; t < 8; t++) {
        other[1] = (unsigned char)t;
        memset(out, 0x55, sizeof out);
        out_len = sizeof out;
        wx_err rc = wxc_aes256ecb_decrypt(other, buf, cap, out, &out_len, &err);
        if (rc == WX_E_DECRYPT) {
            bad++;
            assert_non_null(strstr(err.message, "padding"));
            for (size_t i = 0; i < cap; i++)
                assert_int_equal(out[i], 0);
        }
    }
    assert_true(bad >= 6); /* a random last byte is a valid pad 1 time in ~256 */
    /* a too-small output buffer */
    out_len = 8;
    assert_int_equal(wxc_aes256ecb_decrypt(key, buf, cap, out, &out_len, &err), WX_E_INVALID_ARG);
    cap = 15;
    assert_int_equal(wxc_aes256ecb_encrypt(key, (const unsigned char *)"0123456789", 10, buf, &cap, &err), WX_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_matches_cli),
        cmocka_unit_test(test_hmac_sha256_matches_cli),
        cmocka_unit_test(test_ecb_both_directions),
        cmocka_unit_test(test_ecb_errors),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, teardown);
}
