/* AEAD_AES_256_GCM. The openssl CLI cannot do GCM through `enc`, so the seam is
 * checked against the McGrew-Viega known-answer vectors (the GCM specification's test
 * cases 13-18, AES-256), and the public WeChat-format API against a GCM built here
 * from pieces the CLI does compute: the AES block (`enc -aes-256-ecb`) and CTR mode
 * (`enc -aes-256-ctr`), joined by a bit-by-bit GHASH written from the specification. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wechatpay/crypto.h>
#include <wechatpay/sys/crypto.h>

#include "crypto/backend.h"
#include "test_crypto_fixture.h"

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    g_dir = wxt_tmpdir("crypto-aead");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

/* ------------------------------------------------- known-answer vectors */

typedef struct {
    const char *name, *key, *iv, *plain, *aad, *cipher, *tag;
} gcm_kat;

#define K0 "0000000000000000000000000000000000000000000000000000000000000000"
#define KF "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define P64 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define P60 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define A20 "feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const gcm_kat k_kats[] = {
    {"case 13", K0, "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case 14", K0, "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case 15", KF, "cafebabefacedbaddecaf888", P64, "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case 16", KF, "cafebabefacedbaddecaf888", P60, A20,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {"case 17 (64-bit IV)", KF, "cafebabefacedbad", P60, A20,
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
     "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"},
    {"case 18 (480-bit IV)", KF,
     "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
     "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
     P60, A20,
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
     "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"},
};

static void test_seam_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_kats / sizeof k_kats[0]; i++) {
        const gcm_kat *v = &k_kats[i];
        unsigned char key[32], iv[64], pt[64], aad[32], ct[64], tag[16], got[64], got_tag[16];
        wxct_unhex(v->key, key, sizeof key);
        size_t iv_len = wxct_unhex(v->iv, iv, sizeof iv);
        size_t pt_len = wxct_unhex(v->plain, pt, sizeof pt);
        size_t aad_len = wxct_unhex(v->aad, aad, sizeof aad);
        size_t ct_len = wxct_unhex(v->cipher, ct, sizeof ct);
        wxct_unhex(v->tag, tag, sizeof tag);
        assert_int_equal(ct_len, pt_len);
        wx_error_t err = {0};
        if (wxc_aes256gcm_encrypt(key, iv, iv_len, aad, aad_len, pt, pt_len, got, got_tag, &err))
            fail_msg("%s: %s", v->name, err.message);
        if (memcmp(got, ct, ct_len) || memcmp(got_tag, tag, 16))
            fail_msg("%s: wrong ciphertext or tag", v->name);
        memset(got, 0xAA, sizeof got);
        assert_int_equal(wxc_aes256gcm_decrypt(key, iv, iv_len, aad, aad_len, ct, ct_len, tag,
                                               got, &err), WX_OK);
        assert_memory_equal(got, pt, pt_len);
        /* Any changed bit of the tag, ciphertext or data is caught; out is zeroed. */
        tag[15] ^= 0x80;
        memset(got, 0xAA, sizeof got);
        assert_int_equal(wxc_aes256gcm_decrypt(key, iv, iv_len, aad, aad_len, ct, ct_len, tag,
                                               got, &err), WX_E_DECRYPT);
        for (size_t j = 0; j < ct_len; j++)
            assert_int_equal(got[j], 0);
        tag[15] ^= 0x80;
        if (ct_len) {
            ct[0] ^= 1;
            assert_int_equal(wxc_aes256gcm_decrypt(key, iv, iv_len, aad, aad_len, ct, ct_len, tag,
                                                   got, &err), WX_E_DECRYPT);
            ct[0] ^= 1;
        }
        if (aad_len) {
            assert_int_equal(wxc_aes256gcm_decrypt(key, iv, iv_len, aad, aad_len - 1, ct, ct_len,
                                                   tag, got, &err), WX_E_DECRYPT);
        }
    }
}

/* ------------------------------- GCM from openssl CLI pieces + GHASH */

static void gf128_mul(unsigned char x[16], const unsigned char y[16])
{
    unsigned char z[16] = {0}, v[16];
    memcpy(v, y, 16);
    for (int i = 0; i < 128; i++) {
        if ((x[i / 8] >> (7 - i % 8)) & 1)
            for (int j = 0; j < 16; j++)
                z[j] ^= v[j];
        int lsb = v[15] & 1;
        for (int j = 15; j > 0; j--)
            v[j] = (unsigned char)((v[j] >> 1) | (v[j - 1] << 7));
        v[0] >>= 1;
        if (lsb)
            v[0] ^= 0xe1;
    }
    memcpy(x, z, 16);
}

static void ghash_blocks(unsigned char y[16], const unsigned char h[16], const unsigned char *d,
                         size_t len)
{
    for (size_t off = 0; off < len; off += 16) {
        unsigned char block[16] = {0};
        memcpy(block, d + off, len - off < 16 ? len - off : 16);
        for (int j = 0; j < 16; j++)
            y[j] ^= block[j];
        gf128_mul(y, h);
    }
}

static void hex_of(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* AES-256 (ECB) or AES-256-CTR by the openssl CLI. */
static unsigned char *cli_aes(const char *mode, const unsigned char key[32], const char *iv_hex,
                              const void *in, size_t len, size_t *out_len)
{
    char *in_path = wxt_path(g_dir, "aes_in"), *out_path = wxt_path(g_dir, "aes_out");
    char khex[65];
    hex_of(key, 32, khex);
    wxt_write_file(in_path, in, len);
    char *err = NULL;
    int rc = wxct_openssl(NULL, &err, "enc -%s -nopad -K %s %s%s -in '%s' -out '%s'", mode, khex,
                          iv_hex ? "-iv " : "", iv_hex ? iv_hex : "", in_path, out_path);
    if (rc)
        fail_msg("openssl enc -%s: %s", mode, err);
    free(err);
    unsigned char *out = (unsigned char *)wxt_read_file(out_path, out_len);
    free(in_path);
    free(out_path);
    return out;
}

/* AES-256-GCM with a 96-bit IV (NIST SP 800-38D, section 7.1). */
static void reference_gcm(const unsigned char key[32], const unsigned char iv[12],
                          const unsigned char *aad, size_t aad_len, const unsigned char *pt,
                          size_t pt_len, unsigned char *ct, unsigned char tag[16])
{
    static const unsigned char zero[16];
    size_t n;
    unsigned char *h = cli_aes("aes-256-ecb", key, NULL, zero, 16, &n);
    assert_int_equal(n, 16);
    unsigned char j0[16];
    memcpy(j0, iv, 12);
    memcpy(j0 + 12, "\x00\x00\x00\x01", 4);
    unsigned char *ekj0 = cli_aes("aes-256-ecb", key, NULL, j0, 16, &n);
    if (pt_len) {
        char ctr_hex[33];
        unsigned char ctr[16];
        memcpy(ctr, j0, 16);
        ctr[15] = 2; /* inc32(J0); no carry for short messages */
        hex_of(ctr, 16, ctr_hex);
        unsigned char *c = cli_aes("aes-256-ctr", key, ctr_hex, pt, pt_len, &n);
        assert_int_equal(n, pt_len);
        memcpy(ct, c, pt_len);
        free(c);
    }
    unsigned char s[16] = {0}, lens[16] = {0};
    ghash_blocks(s, h, aad, aad_len);
    ghash_blocks(s, h, ct, pt_len);
    uint64_t abits = (uint64_t)aad_len * 8, cbits = (uint64_t)pt_len * 8;
    for (int i = 0; i < 8; i++) {
        lens[7 - i] = (unsigned char)(abits >> (8 * i));
        lens[15 - i] = (unsigned char)(cbits >> (8 * i));
    }
    ghash_blocks(s, h, lens, 16);
    for (int i = 0; i < 16; i++)
        tag[i] = ekj0[i] ^ s[i];
    free(h);
    free(ekj0);
}

/* A platform certificate download as WeChat Pay encrypts it. */
static const char k_apiv3_key[] = "3d5Yb8Hq2WmZx9Lp4Rt6Vn1Ks7Jc0Fg8"; /* 32 characters */
static const char k_nonce[] = "a8Gh3kLm9PqR";                       /* 12 characters */
static const char k_aad[] = "certificate";

static void test_public_api_against_cli_reference(void **state)
{
    (void)state;
    const char *plains[] = {
        "-----BEGIN CERTIFICATE-----\nMIID8TCCAtmgAwIBAgIUXWl5...\n-----END CERTIFICATE-----\n",
        "{\"mchid\":\"1230000109\",\"out_trade_no\":\"1217752501201407033233368018\","
        "\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":100,\"currency\":\"CNY\"}}",
        "x",
        "",
    };
    const char *aads[] = {k_aad, "transaction", "", NULL};
    for (int i = 0; i < 4; i++) {
        const char *plain = plains[i];
        size_t len = strlen(plain);
        char *b64 = NULL;
        wx_error_t err = {0};
        assert_int_equal(wx_aes_gcm_encrypt(k_apiv3_key, k_nonce, aads[i], plain, len, &b64, &err),
                         WX_OK);
        unsigned char *ref = malloc(len + 16);
        reference_gcm((const unsigned char *)k_apiv3_key, (const unsigned char *)k_nonce,
                      (const unsigned char *)(aads[i] ? aads[i] : ""),
                      aads[i] ? strlen(aads[i]) : 0, (const unsigned char *)plain, len, ref,
                      ref + len);
        char *ref_b64 = NULL;
        assert_int_equal(wx_base64_encode(ref, len + 16, &ref_b64), WX_OK);
        assert_string_equal(b64, ref_b64);

        char *out = NULL;
        size_t out_len = 99;
        assert_int_equal(wx_aes_gcm_decrypt(k_apiv3_key, k_nonce, aads[i], ref_b64, &out, &out_len,
                                            &err), WX_OK);
        assert_int_equal(out_len, len);
        assert_string_equal(out, plain);
        wx_free_secret(out, out_len);
        wx_free(ref_b64);
        wx_free(b64);
        free(ref);
    }
}

static void expect_decrypt(const char *key, const char *nonce, const char *aad, const char *b64,
                           wx_err want, const char *msg_part)
{
    char *out = (char *)1;
    size_t len = 5;
    wx_error_t err = {0};
    wx_err rc = wx_aes_gcm_decrypt(key, nonce, aad, b64, &out, &len, &err);
    if (rc != want || (msg_part && !strstr(err.message, msg_part)))
        fail_msg("got %s '%s', want %s '%s'", wx_err_name(rc), err.message, wx_err_name(want),
                 msg_part ? msg_part : "");
    assert_null(out);
    assert_int_equal(len, 0);
}

static void test_decrypt_errors(void **state)
{
    (void)state;
    const char *plain = "{\"event_type\":\"TRANSACTION.SUCCESS\"}";
    char *b64 = NULL;
    assert_int_equal(wx_aes_gcm_encrypt(k_apiv3_key, k_nonce, k_aad, plain, strlen(plain), &b64,
                                        NULL), WX_OK);
    char wrong_key[33];
    memcpy(wrong_key, k_apiv3_key, 33);
    wrong_key[0] ^= 1;
    expect_decrypt(wrong_key, k_nonce, k_aad, b64, WX_E_DECRYPT, "tag");
    expect_decrypt(k_apiv3_key, "a8Gh3kLm9PqS", k_aad, b64, WX_E_DECRYPT, "tag");
    expect_decrypt(k_apiv3_key, k_nonce, "certificatf", b64, WX_E_DECRYPT, "tag");
    expect_decrypt(k_apiv3_key, k_nonce, NULL, b64, WX_E_DECRYPT, "tag");
    char *bad = strdup(b64);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    expect_decrypt(k_apiv3_key, k_nonce, k_aad, bad, WX_E_DECRYPT, "tag");
    free(bad);
    /* Key length: the APIv3 key is exactly 32 characters. */
    expect_decrypt("0123456789abcdef0123456789abcde", k_nonce, k_aad, b64, WX_E_INVALID_ARG,
                   "32 bytes");
    expect_decrypt("0123456789abcdef0123456789abcdef0", k_nonce, k_aad, b64, WX_E_INVALID_ARG,
                   "32 bytes");
    expect_decrypt(NULL, k_nonce, k_aad, b64, WX_E_INVALID_ARG, NULL);
    expect_decrypt(k_apiv3_key, "", k_aad, b64, WX_E_INVALID_ARG, "nonce");
    expect_decrypt(k_apiv3_key, NULL, k_aad, b64, WX_E_INVALID_ARG, "nonce");
    expect_decrypt(k_apiv3_key, k_nonce, k_aad, "not base64 at all", WX_E_DECRYPT, "base64");
    expect_decrypt(k_apiv3_key, k_nonce, k_aad, "AAAAAAAAAAAAAAAAAAAA", WX_E_DECRYPT, "shorter");
    expect_decrypt(k_apiv3_key, k_nonce, k_aad, NULL, WX_E_DECRYPT, NULL);
    /* The key never shows up in a message. */
    wx_error_t err = {0};
    char *out = NULL;
    assert_int_equal(wx_aes_gcm_decrypt(wrong_key, k_nonce, k_aad, b64, &out, NULL, &err),
                     WX_E_DECRYPT);
    assert_null(strstr(err.message, "3d5Yb8"));
    assert_null(strstr(err.message, wrong_key));

    char *ct = (char *)1;
    assert_int_equal(wx_aes_gcm_encrypt("short", k_nonce, k_aad, "x", 1, &ct, &err),
                     WX_E_INVALID_ARG);
    assert_null(ct);
    wx_free(b64);
}

/* Nonces other than 12 bytes take GCM's GHASH path for the counter; round-trip them. */
static void test_other_nonce_lengths(void **state)
{
    (void)state;
    const char *nonces[] = {"n", "0123456789abcdef", "a-much-longer-nonce-than-usual-0123456789"};
    for (int i = 0; i < 3; i++) {
        char *b64 = NULL, *out = NULL;
        size_t len = 0;
        assert_int_equal(wx_aes_gcm_encrypt(k_apiv3_key, nonces[i], k_aad, "payload", 7, &b64, NULL),
                         WX_OK);
        assert_int_equal(wx_aes_gcm_decrypt(k_apiv3_key, nonces[i], k_aad, b64, &out, &len, NULL),
                         WX_OK);
        assert_string_equal(out, "payload");
        wx_free_secret(out, len);
        wx_free(b64);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seam_known_answers),
        cmocka_unit_test(test_public_api_against_cli_reference),
        cmocka_unit_test(test_decrypt_errors),
        cmocka_unit_test(test_other_nonce_lengths),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, teardown);
}
