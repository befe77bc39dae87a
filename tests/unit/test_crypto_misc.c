/* Hashes against `openssl dgst`, the CSPRNG, the backend's identity, and every
 * allocation of the public crypto API failed in turn (the error path frees all). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wechatpay/crypto.h>
#include <wechatpay/sys/crypto.h>

#include "crypto/backend.h"
#include "test_crypto_fixture.h"

static const wxct_fixture *fx;
static char *g_dir;

static int setup(void **state)
{
    (void)state;
    fx = wxct_get();
    g_dir = wxt_tmpdir("crypto-misc");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    wx_sha256_hex("abc", 3, hex); /* FIPS 180-2 example */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    wx_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* Binary data with NULs, against the CLI. */
    unsigned char data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + i / 256);
    char *path = wxt_path(g_dir, "data.bin");
    wxt_write_file(path, data, sizeof data);
    char *out = NULL;
    assert_int_equal(wxct_openssl(&out, NULL, "dgst -sha256 -r '%s'", path), 0);
    wx_sha256_hex(data, sizeof data, hex);
    assert_memory_equal(out, hex, 64);
    free(out);
    free(path);
}

static void test_random(void **state)
{
    (void)state;
    unsigned char a[32], b[32], zero[32] = {0};
    assert_int_equal(wx_random_bytes(a, sizeof a), WX_OK);
    assert_int_equal(wx_random_bytes(b, sizeof b), WX_OK);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    /* More than one DRBG request's worth. */
    size_t big_len = 100000;
    unsigned char *big = calloc(1, big_len);
    assert_int_equal(wx_random_bytes(big, big_len), WX_OK);
    size_t counts[256] = {0};
    for (size_t i = 0; i < big_len; i++)
        counts[big[i]]++;
    for (int v = 0; v < 256; v++) /* expected 390 each; 6 sigma is about 120 */
        assert_in_range(counts[v], 250, 530);
    free(big);
    assert_int_equal(wx_random_bytes(NULL, 0), WX_OK);
    assert_int_equal(wx_random_bytes(NULL, 1), WX_E_INVALID_ARG);
}

static void test_backend_identity(void **state)
{
    (void)state;
    assert_string_equal(wx_crypto_backend(), wxc_backend_name());
    const char *v = wxc_backend_version();
    size_t n = strlen(wxc_backend_name());
    assert_memory_equal(v, wxc_backend_name(), n);
    assert_true(v[n] == '/' && v[n + 1] >= '1' && v[n + 1] <= '9' && strchr(v, '.'));
    assert_int_equal(wxc_init(), WX_OK);
}

/* ------------------------------------------------ failing allocations */

static long g_allocs, g_live, g_fail_at;

static void *counting_malloc(size_t n)
{
    if (g_fail_at && ++g_allocs == g_fail_at)
        return NULL;
    void *p = malloc(n);
    if (p)
        g_live++;
    return p;
}

static void *counting_realloc(void *p, size_t n)
{
    if (g_fail_at && ++g_allocs == g_fail_at)
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        g_live++;
    return q;
}

static void counting_free(void *p)
{
    if (p)
        g_live--;
    free(p);
}

typedef wx_err (*op_fn)(void *ctx);

/* Run op with allocation 1, 2, ... failing until it succeeds; every failure must be
 * a clean error that leaves nothing allocated. */
static void torture(const char *name, op_fn op, void *ctx)
{
    const wx_allocator_t counting = {counting_malloc, counting_realloc, counting_free};
    for (long n = 1; n < 200; n++) {
        g_allocs = 0;
        g_live = 0;
        g_fail_at = n;
        wx_set_allocator(&counting);
        wx_err rc = op(ctx);
        long live = g_live, allocs = g_allocs;
        wx_set_allocator(NULL);
        if (live != 0)
            fail_msg("%s: %ld allocation(s) left after failing allocation %ld (%s)", name, live, n,
                     wx_err_name(rc));
        if (allocs < n) {
            assert_int_equal(rc, WX_OK); /* no allocation was failed: it must work */
            return;
        }
        if (rc == WX_OK)
            fail_msg("%s: succeeded although allocation %ld failed", name, n);
    }
    fail_msg("%s: did not finish", name);
}

typedef struct {
    const char *pem;
    size_t len;
    const char *password;
    wx_privkey_t *priv;
    wx_pubkey_t *pub;
    const char *cipher_b64, *gcm_b64;
} ctx_t;

static wx_err op_privkey_load(void *p)
{
    ctx_t *c = p;
    wx_privkey_t *k = NULL;
    wx_err rc = wx_privkey_load(c->pem, c->len, c->password, &k, NULL);
    wx_privkey_free(k);
    return rc;
}

static wx_err op_pubkey_load(void *p)
{
    ctx_t *c = p;
    wx_pubkey_t *k = NULL;
    wx_err rc = wx_pubkey_load(c->pem, c->len, &k, NULL);
    wx_pubkey_free(k);
    return rc;
}

static wx_err op_pubkey_from_privkey(void *p)
{
    ctx_t *c = p;
    wx_pubkey_t *k = NULL;
    wx_err rc = wx_pubkey_from_privkey(c->priv, &k, NULL);
    wx_pubkey_free(k);
    return rc;
}

static wx_err op_sign(void *p)
{
    ctx_t *c = p;
    char *sig = NULL;
    wx_err rc = wx_rsa_sign(c->priv, "message", 7, &sig, NULL);
    wx_free(sig);
    return rc;
}

static wx_err op_oaep(void *p)
{
    ctx_t *c = p;
    char *ct = NULL, *pt = NULL;
    size_t n = 0;
    wx_err rc = wx_rsa_oaep_encrypt(c->pub, "secret", 6, &ct, NULL);
    wx_free(ct);
    if (rc == WX_OK)
        rc = wx_rsa_oaep_decrypt(c->priv, c->cipher_b64, &pt, &n, NULL);
    wx_free_secret(pt, n);
    return rc;
}

static wx_err op_gcm(void *p)
{
    ctx_t *c = p;
    char *ct = NULL, *pt = NULL;
    size_t n = 0;
    const char *key = "0123456789abcdef0123456789abcdef";
    wx_err rc = wx_aes_gcm_encrypt(key, "nonce", "aad", "plain", 5, &ct, NULL);
    wx_free(ct);
    if (rc == WX_OK)
        rc = wx_aes_gcm_decrypt(key, "nonce", "aad", c->gcm_b64, &pt, &n, NULL);
    wx_free_secret(pt, n);
    return rc;
}

static wx_err op_cert(void *p)
{
    ctx_t *c = p;
    wx_cert_spec_t spec = {0};
    spec.subject_cn = "torture";
    spec.dns_name = "localhost";
    char *pem = NULL;
    wx_err rc = wx_cert_create(c->priv, &spec, &pem, NULL);
    wx_free(pem);
    if (rc == WX_OK) {
        rc = wx_pubkey_pem(c->priv, &pem, NULL);
        wx_free(pem);
    }
    return rc;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    ctx_t c = {0};
    size_t len;
    char *pem = wxt_read_file(fx->key_pkcs8, &len);
    c.pem = pem;
    c.len = len;
    torture("privkey_load", op_privkey_load, &c);
    free(pem);
    pem = wxt_read_file(fx->key_enc_aes, &len);
    c.pem = pem;
    c.len = len;
    c.password = WXCT_PASSWORD;
    torture("privkey_load encrypted", op_privkey_load, &c);
    free(pem);
    pem = wxt_read_file(fx->cert, &len);
    c.pem = pem;
    c.len = len;
    torture("pubkey_load", op_pubkey_load, &c);
    free(pem);

    c.priv = wxct_privkey(fx->key_pkcs8, NULL);
    c.pub = wxct_pubkey(fx->cert);
    char *ct = NULL, *gcm = NULL;
    assert_int_equal(wx_rsa_oaep_encrypt(c.pub, "secret", 6, &ct, NULL), WX_OK);
    assert_int_equal(wx_aes_gcm_encrypt("0123456789abcdef0123456789abcdef", "nonce", "aad", "plain",
                                        5, &gcm, NULL), WX_OK);
    c.cipher_b64 = ct;
    c.gcm_b64 = gcm;
    torture("pubkey_from_privkey", op_pubkey_from_privkey, &c);
    torture("rsa_sign", op_sign, &c);
    torture("rsa_oaep", op_oaep, &c);
    torture("aes_gcm", op_gcm, &c);
    torture("cert_create", op_cert, &c);
    wx_free(ct);
    wx_free(gcm);
    wx_pubkey_free(c.pub);
    wx_privkey_free(c.priv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_backend_identity),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, teardown);
}
