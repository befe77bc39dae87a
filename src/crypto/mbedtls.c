/* The crypto seam on mbedTLS (2.28 LTS and 3.x; API differences switch on
 * MBEDTLS_VERSION_NUMBER). Contract: backend.h and HACKING-CRYPTO.md.
 *
 * Threads: each thread has its own CTR_DRBG (seeded from one shared entropy pool),
 * and each RSA key keeps a small pool of copies of its mbedTLS context. mbedTLS
 * serialises operations on one RSA context with a mutex (its blinding values and
 * Montgomery caches live there), so a pool lets several threads sign with the same
 * key at once instead of queuing on that mutex. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <mbedtls/version.h>
#include <mbedtls/aes.h>
#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "backend.h"
#include "util/alloc.h"
#include "util/error.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define WXC_MBED3 1
#else
#define WXC_MBED3 0
#endif
#if WXC_MBED3 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

/* ------------------------------------------------------------------ RNG */

typedef struct thread_rng {
    mbedtls_ctr_drbg_context drbg;
    unsigned fork_gen;
    int seeded;
} thread_rng;

static mbedtls_entropy_context g_entropy;
/* Every use of g_entropy goes through this lock, which fork also takes, so a child
 * never inherits the pool half-updated (and the library's own mutex is never held). */
static pthread_mutex_t g_entropy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_rng_key;
static atomic_uint g_fork_gen;
static int g_ready;
static char g_version[32];
static _Thread_local thread_rng t_rng;

static int entropy_locked(void *ctx, unsigned char *out, size_t len)
{
    pthread_mutex_lock(&g_entropy_lock);
    int r = mbedtls_entropy_func(ctx, out, len);
    pthread_mutex_unlock(&g_entropy_lock);
    return r;
}

static void fork_prepare(void) { pthread_mutex_lock(&g_entropy_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&g_entropy_lock); }
static void fork_child(void)
{
    pthread_mutex_unlock(&g_entropy_lock);
    /* The child must not replay the parent's DRBG stream: every thread reseeds. */
    atomic_fetch_add(&g_fork_gen, 1);
}

static void rng_thread_exit(void *p)
{
    thread_rng *r = p;
    if (r && r->seeded) {
        mbedtls_ctr_drbg_free(&r->drbg); /* zeroises the state */
        r->seeded = 0;
    }
}

static void init_once(void)
{
    mbedtls_entropy_init(&g_entropy);
    char v[16] = MBEDTLS_VERSION_STRING;
#if defined(MBEDTLS_VERSION_C)
    mbedtls_version_get_string(v); /* the library linked, not the headers */
#endif
    snprintf(g_version, sizeof g_version, "mbedtls/%s", v);
#if WXC_MBED3 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* mbedTLS 3 routes some hashing and PK work through PSA, which must be set up. */
    if (psa_crypto_init() != PSA_SUCCESS)
        return;
#endif
    if (pthread_key_create(&g_rng_key, rng_thread_exit) != 0)
        return;
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        return;
    g_ready = 1;
}

/* The calling thread's DRBG, seeded on first use and after fork; NULL if the entropy
 * source fails. */
static mbedtls_ctr_drbg_context *thread_drbg(void)
{
    pthread_once(&g_once, init_once);
    if (!g_ready)
        return NULL;
    unsigned gen = atomic_load_explicit(&g_fork_gen, memory_order_relaxed);
    if (t_rng.seeded && t_rng.fork_gen == gen)
        return &t_rng.drbg;
    if (t_rng.seeded) {
        mbedtls_ctr_drbg_free(&t_rng.drbg);
        t_rng.seeded = 0;
    }
    struct {
        pid_t pid;
        pthread_t tid;
        struct timespec ts;
        const void *where;
    } pers;
    memset(&pers, 0, sizeof pers);
    pers.pid = getpid();
    pers.tid = pthread_self();
    clock_gettime(CLOCK_MONOTONIC, &pers.ts);
    pers.where = &t_rng;
    mbedtls_ctr_drbg_init(&t_rng.drbg);
    if (mbedtls_ctr_drbg_seed(&t_rng.drbg, entropy_locked, &g_entropy,
                              (const unsigned char *)&pers, sizeof pers) != 0) {
        mbedtls_ctr_drbg_free(&t_rng.drbg);
        return NULL;
    }
    t_rng.fork_gen = gen;
    t_rng.seeded = 1;
    pthread_setspecific(g_rng_key, &t_rng);
    return &t_rng.drbg;
}

static wx_err rng_error(wx_error_t *err)
{
    return wx_error_set(err, WX_E_CRYPTO, "rng", "the random generator could not be seeded");
}

const char *wxc_backend_name(void) { return "mbedtls"; }

const char *wxc_backend_version(void)
{
    pthread_once(&g_once, init_once);
    return g_version;
}

wx_err wxc_init(void) { return thread_drbg() ? WX_OK : WX_E_CRYPTO; }

wx_err wxc_random(void *buf, size_t len)
{
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return WX_E_CRYPTO;
    unsigned char *p = buf;
    while (len) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(drbg, p, n) != 0)
            return WX_E_CRYPTO;
        p += n;
        len -= n;
    }
    return WX_OK;
}

/* -------------------------------------------------------------- hashing */

void wxc_sha256(const void *data, size_t len, unsigned char out[32])
{
#if WXC_MBED3
    (void)mbedtls_sha256(data, len, out, 0);
#else
    (void)mbedtls_sha256_ret(data, len, out, 0);
#endif
}

struct wxc_hash {
    mbedtls_md_context_t md;
    size_t size;
};

wxc_hash *wxc_hash_new(int alg)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(
        alg == WXC_HASH_SHA1 ? MBEDTLS_MD_SHA1 : alg == WXC_HASH_SHA256 ? MBEDTLS_MD_SHA256
                                                                       : MBEDTLS_MD_NONE);
    if (!info)
        return NULL;
    wxc_hash *h = wx_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    mbedtls_md_init(&h->md);
    if (mbedtls_md_setup(&h->md, info, 0) != 0 || mbedtls_md_starts(&h->md) != 0) {
        mbedtls_md_free(&h->md);
        wx_free(h);
        return NULL;
    }
    h->size = mbedtls_md_get_size(info);
    return h;
}

void wxc_hash_update(wxc_hash *h, const void *data, size_t len)
{
    if (h && len)
        (void)mbedtls_md_update(&h->md, data, len);
}

size_t wxc_hash_final(wxc_hash *h, unsigned char out[32])
{
    if (!h)
        return 0;
    size_t n = mbedtls_md_finish(&h->md, out) == 0 ? h->size : 0;
    wxc_hash_free(h);
    return n;
}

void wxc_hash_free(wxc_hash *h)
{
    if (!h)
        return;
    mbedtls_md_free(&h->md);
    wx_free(h);
}

/* ------------------------------------------------------------ RSA pools */

typedef struct rsa_slot {
    pthread_mutex_t lock;
    mbedtls_rsa_context rsa;
} rsa_slot;

typedef struct rsa_pool {
    unsigned n;
    rsa_slot *slot;
} rsa_pool;

static void rsa_init_compat(mbedtls_rsa_context *ctx)
{
#if WXC_MBED3
    mbedtls_rsa_init(ctx);
#else
    mbedtls_rsa_init(ctx, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
#endif
}

static void rsa_padding(mbedtls_rsa_context *ctx, int padding, mbedtls_md_type_t md)
{
#if WXC_MBED3
    (void)mbedtls_rsa_set_padding(ctx, padding, md);
#else
    mbedtls_rsa_set_padding(ctx, padding, (int)md);
#endif
}

static unsigned pool_size(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2u : n > 8 ? 8u : (unsigned)n;
}

static void pool_free(rsa_pool *p)
{
    if (!p->slot)
        return;
    for (unsigned i = 0; i < p->n; i++) {
        mbedtls_rsa_free(&p->slot[i].rsa); /* zeroises every number */
        pthread_mutex_destroy(&p->slot[i].lock);
    }
    wx_free(p->slot);
    p->slot = NULL;
    p->n = 0;
}

static wx_err pool_init(rsa_pool *p, const mbedtls_rsa_context *src)
{
    unsigned n = pool_size();
    p->slot = wx_calloc(n, sizeof *p->slot);
    if (!p->slot)
        return WX_E_NOMEM;
    p->n = 0;
    for (unsigned i = 0; i < n; i++) {
        rsa_slot *s = &p->slot[i];
        pthread_mutex_init(&s->lock, NULL);
        rsa_init_compat(&s->rsa);
        p->n = i + 1;
        if (mbedtls_rsa_copy(&s->rsa, src) != 0) {
            pool_free(p);
            return WX_E_NOMEM;
        }
        rsa_padding(&s->rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    }
    return WX_OK;
}

static atomic_uint g_slot_seq;
static _Thread_local unsigned t_slot_hint;

/* A free copy if there is one, starting from this thread's own, else wait for it. */
static rsa_slot *pool_acquire(const rsa_pool *p)
{
    if (!t_slot_hint)
        t_slot_hint = atomic_fetch_add_explicit(&g_slot_seq, 1, memory_order_relaxed) + 1;
    unsigned start = t_slot_hint % p->n;
    for (unsigned i = 0; i < p->n; i++) {
        rsa_slot *s = &p->slot[(start + i) % p->n];
        if (pthread_mutex_trylock(&s->lock) == 0)
            return s;
    }
    rsa_slot *s = &p->slot[start];
    pthread_mutex_lock(&s->lock);
    return s;
}

static void pool_release(rsa_slot *s) { pthread_mutex_unlock(&s->lock); }

/* ------------------------------------------------------------- key types */

struct wxc_privkey {
    mbedtls_pk_context pk; /* for writing PEM and certificates */
    rsa_pool pool;         /* for signing and decrypting */
    size_t bytes;
};

struct wxc_pubkey {
    mbedtls_pk_context pk;
    rsa_pool pool;
    size_t bytes;
};

void wxc_privkey_free(wxc_privkey *k)
{
    if (!k)
        return;
    pool_free(&k->pool);
    mbedtls_pk_free(&k->pk);
    wx_secure_zero(k, sizeof *k);
    wx_free(k);
}

void wxc_pubkey_free(wxc_pubkey *k)
{
    if (!k)
        return;
    pool_free(&k->pool);
    mbedtls_pk_free(&k->pk);
    wx_free(k);
}

size_t wxc_privkey_bytes(const wxc_privkey *k) { return k->bytes; }
size_t wxc_pubkey_bytes(const wxc_pubkey *k) { return k->bytes; }

static int parse_key_compat(mbedtls_pk_context *pk, const unsigned char *key, size_t len,
                            const char *pwd)
{
    size_t pwd_len = pwd ? strlen(pwd) : 0;
#if WXC_MBED3
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    return mbedtls_pk_parse_key(pk, key, len, (const unsigned char *)pwd, pwd_len,
                                mbedtls_ctr_drbg_random, drbg);
#else
    return mbedtls_pk_parse_key(pk, key, len, (const unsigned char *)pwd, pwd_len);
#endif
}

/* NUL-terminated copy, as mbedTLS needs for PEM; the caller frees with
 * wx_free_secret(p, len + 1). */
static unsigned char *nul_copy(const char *data, size_t len)
{
    unsigned char *p = wx_malloc(len + 1);
    if (p) {
        memcpy(p, data, len);
        p[len] = 0;
    }
    return p;
}

static int is_pem(const unsigned char *p, size_t len)
{
    return len && memchr(p, '-', len) && strstr((const char *)p, "-----BEGIN ") != NULL;
}

/* The DER that mbedtls_pem_read_buffer() decoded (the field went private in 3.0). */
static const unsigned char *pem_der(const mbedtls_pem_context *pem, size_t *len)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
    return mbedtls_pem_get_buffer((mbedtls_pem_context *)pem, len);
#elif WXC_MBED3
    *len = pem->MBEDTLS_PRIVATE(buflen);
    return pem->MBEDTLS_PRIVATE(buf);
#else
    *len = pem->buflen;
    return pem->buf;
#endif
}

/* ---------------------------- PBES2 with AES-CBC (OpenSSL 3's default) */

/* mbedTLS 2.28 decrypts PBES2 with DES/3DES only, but `openssl pkcs8 -topk8` and
 * `openssl genpkey -aes256` write PBES2 + PBKDF2 + AES-CBC. This decrypts that form
 * with mbedTLS primitives and hands the plain PKCS#8 back to mbedtls_pk_parse_key. */

enum { PBES2_OK, PBES2_WRONG_PASSWORD, PBES2_UNSUPPORTED, PBES2_CORRUPT };

static int oid_is(const mbedtls_asn1_buf *oid, const char *want, size_t want_len)
{
    return oid->len == want_len && memcmp(oid->p, want, want_len) == 0;
}

#define OID_IS(oid, lit) oid_is((oid), lit, sizeof lit - 1)

static int pbkdf2(mbedtls_md_type_t md, const char *pwd, const unsigned char *salt,
                  size_t salt_len, unsigned iterations, unsigned char *key, size_t key_len)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03030000
    return mbedtls_pkcs5_pbkdf2_hmac_ext(md, (const unsigned char *)pwd, strlen(pwd), salt,
                                         salt_len, iterations, (uint32_t)key_len, key);
#else
    mbedtls_md_context_t ctx;
    mbedtls_md_init(&ctx);
    int r = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(md), 1);
    if (r == 0)
        r = mbedtls_pkcs5_pbkdf2_hmac(&ctx, (const unsigned char *)pwd, strlen(pwd), salt,
                                      salt_len, iterations, (uint32_t)key_len, key);
    mbedtls_md_free(&ctx);
    return r;
#endif
}

/* der: EncryptedPrivateKeyInfo. On PBES2_OK *plain (wx_malloc) holds the PKCS#8 DER. */
static int pbes2_aes_decrypt(const unsigned char *der, size_t der_len, const char *pwd,
                             unsigned char **plain, size_t *plain_len)
{
    unsigned char *p = (unsigned char *)der, *end = p + der_len;
    size_t len;
    mbedtls_asn1_buf alg, params, kdf, kdf_params, enc, enc_params, prf, prf_params;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return PBES2_CORRUPT;
    end = p + len;
    if (mbedtls_asn1_get_alg(&p, end, &alg, &params))
        return PBES2_CORRUPT;
    if (!OID_IS(&alg, MBEDTLS_OID_PKCS5_PBES2))
        return PBES2_UNSUPPORTED;
    if (params.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return PBES2_CORRUPT;
    unsigned char *q = params.p, *qend = q + params.len;
    if (mbedtls_asn1_get_alg(&q, qend, &kdf, &kdf_params) ||
        mbedtls_asn1_get_alg(&q, qend, &enc, &enc_params))
        return PBES2_CORRUPT;
    if (!OID_IS(&kdf, MBEDTLS_OID_PKCS5_PBKDF2))
        return PBES2_UNSUPPORTED;
    size_t key_len;
    if (OID_IS(&enc, MBEDTLS_OID_AES "\x02"))
        key_len = 16;
    else if (OID_IS(&enc, MBEDTLS_OID_AES "\x16"))
        key_len = 24;
    else if (OID_IS(&enc, MBEDTLS_OID_AES "\x2a"))
        key_len = 32;
    else
        return PBES2_UNSUPPORTED;
    if (enc_params.tag != MBEDTLS_ASN1_OCTET_STRING || enc_params.len != 16)
        return PBES2_CORRUPT;

    if (kdf_params.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return PBES2_CORRUPT;
    unsigned char *r = kdf_params.p, *rend = r + kdf_params.len, *salt;
    size_t salt_len;
    int iterations, stated_len = 0;
    if (mbedtls_asn1_get_tag(&r, rend, &salt_len, MBEDTLS_ASN1_OCTET_STRING))
        return PBES2_UNSUPPORTED; /* a salt choice other than specified */
    salt = r;
    r += salt_len;
    if (mbedtls_asn1_get_int(&r, rend, &iterations) || iterations < 1)
        return PBES2_CORRUPT;
    if (r < rend && *r == MBEDTLS_ASN1_INTEGER &&
        (mbedtls_asn1_get_int(&r, rend, &stated_len) || (size_t)stated_len != key_len))
        return PBES2_CORRUPT;
    mbedtls_md_type_t md = MBEDTLS_MD_SHA1;
    if (r < rend) {
        if (mbedtls_asn1_get_alg(&r, rend, &prf, &prf_params))
            return PBES2_CORRUPT;
        if (mbedtls_oid_get_md_hmac(&prf, &md))
            return PBES2_UNSUPPORTED;
    }

    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_OCTET_STRING) || len == 0 || len % 16)
        return PBES2_CORRUPT;
    unsigned char key[32], iv[16];
    if (pbkdf2(md, pwd, salt, salt_len, (unsigned)iterations, key, key_len) != 0) {
        wx_secure_zero(key, sizeof key);
        return PBES2_UNSUPPORTED;
    }
    memcpy(iv, enc_params.p, 16);
    unsigned char *out = wx_malloc(len);
    if (!out) {
        wx_secure_zero(key, sizeof key);
        return PBES2_CORRUPT;
    }
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    int rc = mbedtls_aes_setkey_dec(&aes, key, (unsigned)key_len * 8);
    if (rc == 0)
        rc = mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_DECRYPT, len, iv, p, out);
    mbedtls_aes_free(&aes);
    wx_secure_zero(key, sizeof key);
    unsigned pad = out[len - 1];
    int bad = rc != 0 || pad == 0 || pad > 16;
    for (unsigned i = 1; !bad && i <= pad; i++)
        bad |= out[len - i] != pad;
    if (bad) {
        wx_free_secret(out, len);
        return PBES2_WRONG_PASSWORD;
    }
    *plain = out;
    *plain_len = len - pad;
    return PBES2_OK;
}

/* Retry an encrypted PKCS#8 key that mbedTLS itself cannot decrypt. */
static int parse_pbes2_fallback(mbedtls_pk_context *pk, const unsigned char *buf, size_t len,
                                const char *pwd, const char **why)
{
    const unsigned char *der = buf;
    size_t der_len = len;
    mbedtls_pem_context pem;
    mbedtls_pem_init(&pem);
    if (is_pem(buf, len)) {
        size_t used;
        if (mbedtls_pem_read_buffer(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----",
                                    "-----END ENCRYPTED PRIVATE KEY-----", buf, NULL, 0,
                                    &used) != 0) {
            mbedtls_pem_free(&pem);
            *why = WXC_MSG_UNSUPPORTED_ENC;
            return -1;
        }
        der = pem_der(&pem, &der_len);
    }
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    int r = pbes2_aes_decrypt(der, der_len, pwd, &plain, &plain_len);
    mbedtls_pem_free(&pem);
    if (r == PBES2_OK) {
        int pr = parse_key_compat(pk, plain, plain_len, NULL);
        wx_free_secret(plain, plain_len);
        if (pr == 0)
            return 0;
        if (pr == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG) {
            *why = WXC_MSG_NOT_RSA;
            return -1;
        }
        r = PBES2_WRONG_PASSWORD; /* padding looked right by chance */
    }
    *why = r == PBES2_WRONG_PASSWORD ? WXC_MSG_WRONG_PASSWORD
         : r == PBES2_UNSUPPORTED    ? WXC_MSG_UNSUPPORTED_ENC
                                     : WXC_MSG_CORRUPT_PRIV;
    return -1;
}

static const char *parse_error_text(int ret)
{
    switch (ret) {
    case MBEDTLS_ERR_PK_PASSWORD_REQUIRED:
        return WXC_MSG_NEED_PASSWORD;
    case MBEDTLS_ERR_PK_PASSWORD_MISMATCH:
        return WXC_MSG_WRONG_PASSWORD;
    case MBEDTLS_ERR_PK_UNKNOWN_PK_ALG:
        return WXC_MSG_NOT_RSA;
    default:
        return WXC_MSG_CORRUPT_PRIV;
    }
}

static int feature_unavailable(int ret)
{
    return ret == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE ||
           ret == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE ||
           ret == MBEDTLS_ERR_PEM_FEATURE_UNAVAILABLE ||
           ret == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE + MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE;
}

static wx_err key_err(wx_error_t *err, const char *what, const char *msg, int ret)
{
    if (ret)
        return wx_error_set(err, WX_E_KEY, what, "%s (mbedtls -0x%04x)", msg, (unsigned)-ret);
    return wx_error_set(err, WX_E_KEY, what, "%s", msg);
}

wx_err wxc_privkey_parse(const char *pem, size_t len, const char *password, wxc_privkey **out,
                         wx_error_t *err)
{
    *out = NULL;
    wx_err rc = wxc_pem_check(pem, len, 1, err);
    if (rc != WX_OK)
        return rc;
    if (!password && wxc_pem_is_encrypted(pem, len))
        return key_err(err, "private key", WXC_MSG_NEED_PASSWORD, 0);
    if (!thread_drbg())
        return rng_error(err);
    unsigned char *buf = nul_copy(pem, len);
    wxc_privkey *k = wx_calloc(1, sizeof *k);
    if (!buf || !k) {
        wx_free_secret(buf, buf ? len + 1 : 0);
        wx_free(k);
        return wx_error_set(err, WX_E_NOMEM, "private key", NULL);
    }
    /* mbedTLS wants the terminating NUL counted for PEM, and not for DER. */
    size_t n = is_pem(buf, len) ? len + 1 : len;
    mbedtls_pk_init(&k->pk);
    int ret = parse_key_compat(&k->pk, buf, n, password);
    const char *why = NULL;
    if (ret != 0 && password && feature_unavailable(ret)) {
        mbedtls_pk_free(&k->pk);
        mbedtls_pk_init(&k->pk);
        ret = parse_pbes2_fallback(&k->pk, buf, n, password, &why) == 0 ? 0 : -1;
    } else if (ret != 0) {
        why = feature_unavailable(ret) ? WXC_MSG_UNSUPPORTED_ENC : parse_error_text(ret);
    }
    wx_free_secret(buf, len + 1);
    if (ret == 0 && mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_RSA) {
        why = WXC_MSG_NOT_RSA;
        ret = -1;
    }
    if (ret == 0) {
        k->bytes = mbedtls_rsa_get_len(mbedtls_pk_rsa(k->pk));
        if (k->bytes > WXC_RSA_MAX_BYTES) {
            why = "RSA key larger than 8192 bits";
            ret = -1;
        } else if (mbedtls_rsa_check_privkey(mbedtls_pk_rsa(k->pk)) != 0) {
            /* N = PQ, DE = 1 mod P-1 and Q-1, the CRT numbers; no primality tests. */
            why = WXC_MSG_CORRUPT_PRIV ": its numbers do not make a working RSA key";
            ret = -1;
        } else if (pool_init(&k->pool, mbedtls_pk_rsa(k->pk)) != WX_OK) {
            wxc_privkey_free(k);
            return wx_error_set(err, WX_E_NOMEM, "private key", NULL);
        }
    }
    if (ret != 0) {
        wxc_privkey_free(k);
        return key_err(err, "private key", why, ret == -1 ? 0 : ret);
    }
    rc = wxc_privkey_selftest(k, err);
    if (rc != WX_OK) {
        wxc_privkey_free(k);
        return rc;
    }
    *out = k;
    return WX_OK;
}

/* A public key object holding only N and E of src. */
static wx_err pubkey_from_rsa(const mbedtls_rsa_context *src, wxc_pubkey **out, wx_error_t *err)
{
    wxc_pubkey *k = wx_calloc(1, sizeof *k);
    if (!k)
        return wx_error_set(err, WX_E_NOMEM, "public key", NULL);
    mbedtls_pk_init(&k->pk);
    mbedtls_mpi N, E;
    mbedtls_mpi_init(&N);
    mbedtls_mpi_init(&E);
    int ret = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
    if (ret == 0)
        ret = mbedtls_rsa_export(src, &N, NULL, NULL, NULL, &E);
    if (ret == 0)
        ret = mbedtls_rsa_import(mbedtls_pk_rsa(k->pk), &N, NULL, NULL, NULL, &E);
    if (ret == 0)
        ret = mbedtls_rsa_complete(mbedtls_pk_rsa(k->pk));
    mbedtls_mpi_free(&N);
    mbedtls_mpi_free(&E);
    if (ret != 0) {
        wxc_pubkey_free(k);
        return key_err(err, "public key", WXC_MSG_CORRUPT_PUB, ret);
    }
    k->bytes = mbedtls_rsa_get_len(mbedtls_pk_rsa(k->pk));
    if (k->bytes > WXC_RSA_MAX_BYTES) {
        wxc_pubkey_free(k);
        return key_err(err, "public key", "RSA key larger than 8192 bits", 0);
    }
    if (pool_init(&k->pool, mbedtls_pk_rsa(k->pk)) != WX_OK) {
        wxc_pubkey_free(k);
        return wx_error_set(err, WX_E_NOMEM, "public key", NULL);
    }
    *out = k;
    return WX_OK;
}

static int64_t x509_time(const mbedtls_x509_time *t)
{
    return wxc_utc_to_unix(t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

/* The first certificate of NUL-terminated PEM text, or DER. Not mbedtls_x509_crt_parse:
 * it reads every block of a bundle and fails the whole text for a damaged later one
 * (returning the count of failures), where the contract is the first certificate. */
static int parse_first_cert(mbedtls_x509_crt *crt, const unsigned char *buf, size_t len,
                            int pem_in)
{
    if (!pem_in)
        return mbedtls_x509_crt_parse_der(crt, buf, len);
    mbedtls_pem_context pem;
    mbedtls_pem_init(&pem);
    size_t used = 0, der_len = 0;
    int ret = mbedtls_pem_read_buffer(&pem, "-----BEGIN CERTIFICATE-----",
                                      "-----END CERTIFICATE-----", buf, NULL, 0, &used);
    if (ret == 0) {
        const unsigned char *der = pem_der(&pem, &der_len);
        ret = mbedtls_x509_crt_parse_der(crt, der, der_len);
    }
    mbedtls_pem_free(&pem);
    return ret;
}

wx_err wxc_pubkey_parse(const char *pem, size_t len, wxc_pubkey **out, char serial[128],
                        int64_t *not_before, int64_t *not_after, wx_error_t *err)
{
    *out = NULL;
    serial[0] = 0;
    *not_before = *not_after = 0;
    wx_err rc = wxc_pem_check(pem, len, 0, err);
    if (rc != WX_OK)
        return rc;
    unsigned char *buf = nul_copy(pem, len);
    if (!buf)
        return wx_error_set(err, WX_E_NOMEM, "public key", NULL);
    int pem_in = is_pem(buf, len);
    size_t n = pem_in ? len + 1 : len;
    int try_cert = pem_in ? strstr((char *)buf, "CERTIFICATE-----") != NULL : 1;
    int ret = MBEDTLS_ERR_X509_INVALID_FORMAT;
    if (try_cert) {
        mbedtls_x509_crt crt;
        mbedtls_x509_crt_init(&crt);
        ret = parse_first_cert(&crt, buf, n, pem_in);
        if (ret == 0 && mbedtls_pk_get_type(&crt.pk) != MBEDTLS_PK_RSA) {
            mbedtls_x509_crt_free(&crt);
            wx_free(buf);
            return key_err(err, "certificate", WXC_MSG_NOT_RSA, 0);
        }
        if (ret == 0) {
            wx_free(buf);
            rc = pubkey_from_rsa(mbedtls_pk_rsa(crt.pk), out, err);
            if (rc == WX_OK) {
                wxc_serial_hex(crt.serial.p, crt.serial.len, serial, 128);
                *not_before = x509_time(&crt.valid_from);
                *not_after = x509_time(&crt.valid_to);
            }
            mbedtls_x509_crt_free(&crt);
            return rc;
        }
        mbedtls_x509_crt_free(&crt);
        if (pem_in) {
            wx_free(buf);
            if (ret == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ||
                ret == MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG + MBEDTLS_ERR_OID_NOT_FOUND)
                return key_err(err, "certificate", WXC_MSG_NOT_RSA, ret);
            return key_err(err, "certificate", WXC_MSG_CORRUPT_PUB, ret);
        }
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    ret = mbedtls_pk_parse_public_key(&pk, buf, n);
    wx_free(buf);
    if (ret != 0) {
        mbedtls_pk_free(&pk);
        return key_err(err, "public key",
                       ret == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ? WXC_MSG_NOT_RSA : WXC_MSG_CORRUPT_PUB,
                       ret);
    }
    if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
        mbedtls_pk_free(&pk);
        return key_err(err, "public key", WXC_MSG_NOT_RSA, 0);
    }
    rc = pubkey_from_rsa(mbedtls_pk_rsa(pk), out, err);
    mbedtls_pk_free(&pk);
    return rc;
}

wx_err wxc_pubkey_from_privkey(const wxc_privkey *k, wxc_pubkey **out, wx_error_t *err)
{
    *out = NULL;
    return pubkey_from_rsa(mbedtls_pk_rsa(k->pk), out, err);
}

int wxc_keys_match(const wxc_privkey *priv, const wxc_pubkey *pub)
{
    mbedtls_mpi n1, e1, n2, e2;
    mbedtls_mpi_init(&n1);
    mbedtls_mpi_init(&e1);
    mbedtls_mpi_init(&n2);
    mbedtls_mpi_init(&e2);
    int same = mbedtls_rsa_export(mbedtls_pk_rsa(priv->pk), &n1, NULL, NULL, NULL, &e1) == 0 &&
               mbedtls_rsa_export(mbedtls_pk_rsa(pub->pk), &n2, NULL, NULL, NULL, &e2) == 0 &&
               mbedtls_mpi_cmp_mpi(&n1, &n2) == 0 && mbedtls_mpi_cmp_mpi(&e1, &e2) == 0;
    mbedtls_mpi_free(&n1);
    mbedtls_mpi_free(&e1);
    mbedtls_mpi_free(&n2);
    mbedtls_mpi_free(&e2);
    return same;
}

/* ------------------------------------------------------ RSA operations */

wx_err wxc_rsa_sign_sha256(const wxc_privkey *k, const unsigned char hash[32], unsigned char *sig,
                           size_t *sig_len, wx_error_t *err)
{
    if (*sig_len < k->bytes)
        return wx_error_set(err, WX_E_INVALID_ARG, "signature", "signature buffer too small");
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return rng_error(err);
    rsa_slot *s = pool_acquire(&k->pool);
    /* With an RNG, mbedTLS blinds the CRT private operation. */
#if WXC_MBED3
    int ret = mbedtls_rsa_rsassa_pkcs1_v15_sign(&s->rsa, mbedtls_ctr_drbg_random, drbg,
                                                MBEDTLS_MD_SHA256, 32, hash, sig);
#else
    int ret = mbedtls_rsa_rsassa_pkcs1_v15_sign(&s->rsa, mbedtls_ctr_drbg_random, drbg,
                                                MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_SHA256, 32, hash,
                                                sig);
#endif
    pool_release(s);
    if (ret != 0)
        return wx_error_set(err, WX_E_CRYPTO, "signature", "RSA signing failed (mbedtls -0x%04x)",
                            (unsigned)-ret);
    *sig_len = k->bytes;
    return WX_OK;
}

wx_err wxc_rsa_verify_sha256(const wxc_pubkey *k, const unsigned char hash[32],
                             const unsigned char *sig, size_t sig_len, wx_error_t *err)
{
    if (sig_len != k->bytes)
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "signature",
                            "signature is %zu bytes, the key needs %zu", sig_len, k->bytes);
    rsa_slot *s = pool_acquire(&k->pool);
#if WXC_MBED3
    int ret = mbedtls_rsa_rsassa_pkcs1_v15_verify(&s->rsa, MBEDTLS_MD_SHA256, 32, hash, sig);
#else
    int ret = mbedtls_rsa_rsassa_pkcs1_v15_verify(&s->rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                                  MBEDTLS_MD_SHA256, 32, hash, sig);
#endif
    pool_release(s);
    if (ret != 0)
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "signature", "signature does not match");
    return WX_OK;
}

wx_err wxc_rsa_oaep_encrypt(const wxc_pubkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err)
{
    if (k->bytes < 42 || in_len > k->bytes - 42)
        return wx_error_set(err, WX_E_INVALID_ARG, "plaintext",
                            "plaintext too long for RSA-OAEP with this key (at most %zu bytes)",
                            k->bytes < 42 ? 0 : k->bytes - 42);
    if (*out_len < k->bytes)
        return wx_error_set(err, WX_E_INVALID_ARG, "ciphertext", "ciphertext buffer too small");
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return rng_error(err);
    rsa_slot *s = pool_acquire(&k->pool);
    rsa_padding(&s->rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA1);
#if WXC_MBED3
    int ret = mbedtls_rsa_rsaes_oaep_encrypt(&s->rsa, mbedtls_ctr_drbg_random, drbg, NULL, 0,
                                             in_len, in, out);
#else
    int ret = mbedtls_rsa_rsaes_oaep_encrypt(&s->rsa, mbedtls_ctr_drbg_random, drbg,
                                             MBEDTLS_RSA_PUBLIC, NULL, 0, in_len, in, out);
#endif
    rsa_padding(&s->rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    pool_release(s);
    if (ret != 0)
        return wx_error_set(err, WX_E_CRYPTO, "ciphertext",
                            "RSA-OAEP encryption failed (mbedtls -0x%04x)", (unsigned)-ret);
    *out_len = k->bytes;
    return WX_OK;
}

wx_err wxc_rsa_oaep_decrypt(const wxc_privkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err)
{
    if (in_len != k->bytes)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext",
                            "ciphertext is %zu bytes, the key needs %zu", in_len, k->bytes);
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return rng_error(err);
    size_t olen = 0;
    rsa_slot *s = pool_acquire(&k->pool);
    rsa_padding(&s->rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA1);
#if WXC_MBED3
    int ret = mbedtls_rsa_rsaes_oaep_decrypt(&s->rsa, mbedtls_ctr_drbg_random, drbg, NULL, 0,
                                             &olen, in, out, *out_len);
#else
    int ret = mbedtls_rsa_rsaes_oaep_decrypt(&s->rsa, mbedtls_ctr_drbg_random, drbg,
                                             MBEDTLS_RSA_PRIVATE, NULL, 0, &olen, in, out,
                                             *out_len);
#endif
    rsa_padding(&s->rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    pool_release(s);
    if (ret == MBEDTLS_ERR_RSA_OUTPUT_TOO_LARGE)
        return wx_error_set(err, WX_E_INVALID_ARG, "plaintext", "plaintext buffer too small");
    if (ret != 0)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext",
                            "RSA-OAEP decryption failed: wrong key or damaged ciphertext");
    *out_len = olen;
    return WX_OK;
}

/* --------------------------------------------------------------- AES-GCM */

wx_err wxc_aes256gcm_encrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len, const unsigned char *in,
                             size_t in_len, unsigned char *out, unsigned char tag[16],
                             wx_error_t *err)
{
    if (!iv_len)
        return wx_error_set(err, WX_E_INVALID_ARG, "nonce", "the nonce is empty");
    mbedtls_gcm_context g;
    mbedtls_gcm_init(&g);
    int ret = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (ret == 0)
        ret = mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, in_len, iv, iv_len, aad, aad_len,
                                        in, out, 16, tag);
    mbedtls_gcm_free(&g);
    if (ret != 0)
        return wx_error_set(err, WX_E_CRYPTO, "aes-gcm", "AES-256-GCM failed (mbedtls -0x%04x)",
                            (unsigned)-ret);
    return WX_OK;
}

wx_err wxc_aes256gcm_decrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len, const unsigned char *in,
                             size_t in_len, const unsigned char tag[16], unsigned char *out,
                             wx_error_t *err)
{
    if (!iv_len)
        return wx_error_set(err, WX_E_INVALID_ARG, "nonce", "the nonce is empty");
    mbedtls_gcm_context g;
    mbedtls_gcm_init(&g);
    int ret = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (ret == 0)
        ret = mbedtls_gcm_auth_decrypt(&g, in_len, iv, iv_len, aad, aad_len, tag, 16, in, out);
    mbedtls_gcm_free(&g);
    if (ret == MBEDTLS_ERR_GCM_AUTH_FAILED) {
        wx_secure_zero(out, in_len);
        return wx_error_set(err, WX_E_DECRYPT, "aes-gcm",
                            "AES-256-GCM tag does not match: wrong key, nonce or data");
    }
    if (ret != 0) {
        wx_secure_zero(out, in_len);
        return wx_error_set(err, WX_E_CRYPTO, "aes-gcm", "AES-256-GCM failed (mbedtls -0x%04x)",
                            (unsigned)-ret);
    }
    return WX_OK;
}

/* ------------------------------------------------------------ generation */

/* Wraps the PKCS#1 DER that ends at buf + size into PKCS#8 in place (asn1write writes
 * backwards) and returns the start via *der. */
static int wrap_pkcs8(unsigned char *buf, size_t size, size_t pkcs1_len, unsigned char **der,
                      size_t *der_len)
{
    unsigned char *p = buf + size - pkcs1_len;
    size_t len = pkcs1_len;
    int r;
#define CHK(x) do { if ((r = (x)) < 0) return r; len += (size_t)r; } while (0)
    CHK(mbedtls_asn1_write_len(&p, buf, pkcs1_len));
    CHK(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_OCTET_STRING));
    CHK(mbedtls_asn1_write_algorithm_identifier(&p, buf, MBEDTLS_OID_PKCS1_RSA,
                                                MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS1_RSA), 0));
    CHK(mbedtls_asn1_write_int(&p, buf, 0));
    CHK(mbedtls_asn1_write_len(&p, buf, len));
    CHK(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef CHK
    *der = p;
    *der_len = len;
    return 0;
}

wx_err wxc_rsa_generate(unsigned bits, char **pkcs8_pem, wx_error_t *err)
{
    *pkcs8_pem = NULL;
    if (bits < 2048 || bits > 8192)
        return wx_error_set(err, WX_E_INVALID_ARG, "bits", "RSA key size must be 2048 to 8192 bits");
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return rng_error(err);
    size_t der_cap = bits / 8 * 5 + 512, pem_cap = der_cap * 2 + 128;
    unsigned char *der_buf = wx_malloc(der_cap);
    unsigned char *pem = wx_malloc(pem_cap);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    wx_err rc = WX_OK;
    int ret = 0;
    if (!der_buf || !pem) {
        rc = wx_error_set(err, WX_E_NOMEM, "private key", NULL);
        goto done;
    }
    ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
    if (ret == 0)
        ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, drbg, bits, 65537);
    int n = ret == 0 ? mbedtls_pk_write_key_der(&pk, der_buf, der_cap) : ret;
    unsigned char *der = NULL;
    size_t der_len = 0, olen = 0;
    if (n > 0)
        ret = wrap_pkcs8(der_buf, der_cap, (size_t)n, &der, &der_len);
    else
        ret = n;
    if (ret == 0)
        ret = mbedtls_pem_write_buffer("-----BEGIN PRIVATE KEY-----\n",
                                       "-----END PRIVATE KEY-----\n", der, der_len, pem, pem_cap,
                                       &olen);
    if (ret != 0) {
        rc = wx_error_set(err, WX_E_CRYPTO, "private key",
                          "RSA key generation failed (mbedtls -0x%04x)", (unsigned)-ret);
        goto done;
    }
    *pkcs8_pem = (char *)pem;
    pem = NULL;
done:
    mbedtls_pk_free(&pk);
    wx_free_secret(der_buf, der_buf ? der_cap : 0);
    wx_free_secret(pem, pem ? pem_cap : 0);
    return rc;
}

static wx_err pem_out(const unsigned char *buf, char **out, wx_error_t *err)
{
    *out = wx_strdup((const char *)buf);
    return *out ? WX_OK : wx_error_set(err, WX_E_NOMEM, "pem", NULL);
}

wx_err wxc_pubkey_pem(const wxc_privkey *k, char **pem, wx_error_t *err)
{
    *pem = NULL;
    size_t cap = k->bytes * 2 + 512;
    unsigned char *buf = wx_malloc(cap);
    if (!buf)
        return wx_error_set(err, WX_E_NOMEM, "public key", NULL);
    int ret = mbedtls_pk_write_pubkey_pem((mbedtls_pk_context *)&k->pk, buf, cap);
    wx_err rc = ret == 0 ? pem_out(buf, pem, err)
                         : wx_error_set(err, WX_E_CRYPTO, "public key",
                                        "writing the public key failed (mbedtls -0x%04x)",
                                        (unsigned)-ret);
    wx_free(buf);
    return rc;
}

/* Append "value" to a DN string with the separators mbedTLS's name parser reads. */
static int dn_append(char *dn, size_t cap, size_t *len, const char *attr, const unsigned char *v,
                     size_t vlen)
{
    size_t need = strlen(attr) + 2 + vlen * 2 + 1;
    if (*len + need >= cap)
        return -1;
    if (*len)
        dn[(*len)++] = ',';
    *len += (size_t)snprintf(dn + *len, cap - *len, "%s=", attr);
    for (size_t i = 0; i < vlen; i++) {
        if (v[i] == ',' || v[i] == '\\')
            dn[(*len)++] = '\\';
        dn[(*len)++] = (char)v[i];
    }
    dn[*len] = 0;
    return 0;
}

/* The subject of cert as a string that mbedtls_x509write_crt_set_issuer_name() turns
 * back into the same name (it keeps the string's order as the DER order). */
static int issuer_dn(const mbedtls_x509_crt *cert, char *dn, size_t cap)
{
    size_t len = 0;
    dn[0] = 0;
    for (const mbedtls_x509_name *it = &cert->subject; it && it->oid.p; it = it->next) {
        const char *sn = NULL;
        if (mbedtls_oid_get_attr_short_name(&it->oid, &sn) != 0)
            return -1;
        if (dn_append(dn, cap, &len, sn, it->val.p, it->val.len) != 0)
            return -1;
    }
    return len ? 0 : -1;
}

static size_t der_len_put(unsigned char *p, size_t len)
{
    if (len < 128) {
        p[0] = (unsigned char)len;
        return 1;
    }
    if (len < 256) {
        p[0] = 0x81;
        p[1] = (unsigned char)len;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (unsigned char)(len >> 8);
    p[2] = (unsigned char)len;
    return 3;
}

/* GeneralNames with a dNSName and/or an iPAddress (spec checked by common.c). */
static size_t san_der(const wx_cert_spec_t *spec, unsigned char *out /* >= 300 */)
{
    unsigned char body[290];
    size_t n = 0;
    if (spec->dns_name) {
        size_t l = strlen(spec->dns_name);
        body[n++] = 0x82;
        n += der_len_put(body + n, l);
        memcpy(body + n, spec->dns_name, l);
        n += l;
    }
    if (spec->ip_address) {
        unsigned char ip[16];
        size_t l = 4;
        if (inet_pton(AF_INET, spec->ip_address, ip) != 1) {
            inet_pton(AF_INET6, spec->ip_address, ip);
            l = 16;
        }
        body[n++] = 0x87;
        body[n++] = (unsigned char)l;
        memcpy(body + n, ip, l);
        n += l;
    }
    size_t o = 0;
    out[o++] = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    o += der_len_put(out + o, n);
    memcpy(out + o, body, n);
    return o + n;
}

static void format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 32, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int hexval(char c) { return c <= '9' ? c - '0' : c - 'A' + 10; }

static int set_serial(mbedtls_x509write_cert *crt, const char *hex)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
    unsigned char raw[21];
    size_t n = 0, digits = strlen(hex);
    if (hexval(hex[0]) >= 8)
        raw[n++] = 0; /* keep the INTEGER positive */
    for (size_t i = 0; i + 1 < digits && n < sizeof raw; i += 2)
        raw[n++] = (unsigned char)(hexval(hex[i]) << 4 | hexval(hex[i + 1]));
    return mbedtls_x509write_crt_set_serial_raw(crt, raw, n);
#else
    (void)hexval;
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    int r = mbedtls_mpi_read_string(&serial, 16, hex);
    if (r == 0)
        r = mbedtls_x509write_crt_set_serial(crt, &serial);
    mbedtls_mpi_free(&serial);
    return r;
#endif
}

wx_err wxc_cert_create(const wxc_privkey *subject_key, const wx_cert_spec_t *spec,
                       const wxc_privkey *issuer_key, char **cert_pem, wx_error_t *err)
{
    *cert_pem = NULL;
    mbedtls_ctr_drbg_context *drbg = thread_drbg();
    if (!drbg)
        return rng_error(err);
    const wxc_privkey *signer = issuer_key ? issuer_key : subject_key;
    char subject[200], issuer[600], from[32], to[32];
    size_t len = 0;
    if (dn_append(subject, sizeof subject, &len, "CN", (const unsigned char *)spec->subject_cn,
                  strlen(spec->subject_cn)) != 0)
        return wx_error_set(err, WX_E_INVALID_ARG, "spec.subject_cn", "subject name too long");
    if (issuer_key) {
        mbedtls_x509_crt ic;
        mbedtls_x509_crt_init(&ic);
        size_t il = strlen(spec->issuer_cert_pem);
        int r = mbedtls_x509_crt_parse(&ic, (const unsigned char *)spec->issuer_cert_pem, il + 1);
        int bad_name = r == 0 && issuer_dn(&ic, issuer, sizeof issuer) != 0;
        int same = 0;
        if (r == 0 && mbedtls_pk_get_type(&ic.pk) == MBEDTLS_PK_RSA) {
            mbedtls_mpi n1, n2;
            mbedtls_mpi_init(&n1);
            mbedtls_mpi_init(&n2);
            same = mbedtls_rsa_export(mbedtls_pk_rsa(ic.pk), &n1, NULL, NULL, NULL, NULL) == 0 &&
                   mbedtls_rsa_export(mbedtls_pk_rsa(issuer_key->pk), &n2, NULL, NULL, NULL,
                                      NULL) == 0 &&
                   mbedtls_mpi_cmp_mpi(&n1, &n2) == 0;
            mbedtls_mpi_free(&n1);
            mbedtls_mpi_free(&n2);
        }
        mbedtls_x509_crt_free(&ic);
        if (r != 0)
            return key_err(err, "spec.issuer_cert_pem", WXC_MSG_CORRUPT_PUB, r);
        if (bad_name)
            return wx_error_set(err, WX_E_KEY, "spec.issuer_cert_pem",
                                "the issuer certificate's subject name cannot be copied");
        if (!same)
            return wx_error_set(err, WX_E_KEY, "spec.issuer_cert_pem",
                                "the issuer certificate does not belong to the issuer key");
    } else {
        memcpy(issuer, subject, len + 1);
    }
    format_time(spec->not_before, from);
    format_time(spec->not_after, to);

    mbedtls_x509write_cert crt;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, (mbedtls_pk_context *)&subject_key->pk);
    mbedtls_x509write_crt_set_issuer_key(&crt, (mbedtls_pk_context *)&signer->pk);
    unsigned usage = spec->is_ca ? MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_CERT_SIGN |
                                       MBEDTLS_X509_KU_CRL_SIGN
                                 : MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
                                       MBEDTLS_X509_KU_NON_REPUDIATION |
                                       MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
    const char *step = "subject name";
    int ret = mbedtls_x509write_crt_set_subject_name(&crt, subject);
    if (ret == 0 && (step = "issuer name"))
        ret = mbedtls_x509write_crt_set_issuer_name(&crt, issuer);
    if (ret == 0 && (step = "serial"))
        ret = set_serial(&crt, spec->serial_hex);
    if (ret == 0 && (step = "validity"))
        ret = mbedtls_x509write_crt_set_validity(&crt, from, to);
    if (ret == 0 && (step = "basic constraints"))
        ret = mbedtls_x509write_crt_set_basic_constraints(&crt, spec->is_ca ? 1 : 0, -1);
    if (ret == 0 && (step = "subject key identifier"))
        ret = mbedtls_x509write_crt_set_subject_key_identifier(&crt);
    if (ret == 0 && (step = "authority key identifier"))
        ret = mbedtls_x509write_crt_set_authority_key_identifier(&crt);
    if (ret == 0 && (step = "key usage"))
        ret = mbedtls_x509write_crt_set_key_usage(&crt, usage);
    if (ret == 0 && (spec->dns_name || spec->ip_address) && (step = "subjectAltName")) {
        unsigned char san[300];
        size_t san_len = san_der(spec, san);
        ret = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                  san, san_len);
    }
    wx_err rc = WX_OK;
    size_t cap = 4096 + signer->bytes * 4 + subject_key->bytes * 4;
    unsigned char *buf = NULL;
    if (ret == 0 && (step = "signing")) {
        buf = wx_malloc(cap);
        if (!buf)
            rc = wx_error_set(err, WX_E_NOMEM, "certificate", NULL);
        else
            ret = mbedtls_x509write_crt_pem(&crt, buf, cap, mbedtls_ctr_drbg_random, drbg);
    }
    mbedtls_x509write_crt_free(&crt);
    if (rc == WX_OK && ret != 0)
        rc = wx_error_set(err, WX_E_CRYPTO, "certificate",
                          "writing the certificate failed at the %s (mbedtls -0x%04x)", step,
                          (unsigned)-ret);
    if (rc == WX_OK)
        rc = pem_out(buf, cert_pem, err);
    wx_free(buf);
    return rc;
}

/* ------------------------------------------------- APIv2: MD5, HMAC, AES-ECB */

void wxc_md5(const void *data, size_t len, unsigned char out[16])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    /* A build without MD5 gives an all-zero digest, which never matches a sign. */
    if (!md || mbedtls_md(md, data, len, out) != 0)
        memset(out, 0, 16);
}

void wxc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (!md || mbedtls_md_hmac(md, key, key_len, data, len, out) != 0)
        memset(out, 0, 32);
}

wx_err wxc_aes256ecb_blocks(int enc, const unsigned char key[32], const unsigned char *in,
                            size_t len, unsigned char *out, wx_error_t *err)
{
    if (len % 16)
        return wx_error_set(err, WX_E_INVALID_ARG, "aes-ecb",
                            "AES-256-ECB input is not whole 16-byte blocks");
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    int ret = enc ? mbedtls_aes_setkey_enc(&aes, key, 256) : mbedtls_aes_setkey_dec(&aes, key, 256);
    for (size_t off = 0; ret == 0 && off < len; off += 16)
        ret = mbedtls_aes_crypt_ecb(&aes, enc ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, in + off,
                                    out + off);
    mbedtls_aes_free(&aes); /* zeroises the key schedule */
    if (ret != 0)
        return wx_error_set(err, WX_E_CRYPTO, "aes-ecb", "AES-256-ECB failed (mbedtls -0x%04x)",
                            (unsigned)-ret);
    return WX_OK;
}
