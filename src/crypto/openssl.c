/* The crypto seam on OpenSSL (3.x, and 1.1.1 where the API allows; only EVP and
 * other non-deprecated interfaces). Contract: backend.h and HACKING-CRYPTO.md.
 *
 * OpenSSL keeps its own per-thread DRBGs, reseeds after fork, and blinds RSA private
 * operations; an EVP_PKEY may be used by many threads at once as long as each
 * operation has its own EVP_PKEY_CTX. Every failure path clears the thread's OpenSSL
 * error queue, so stale errors never reach other OpenSSL users (libcurl). */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/opensslv.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#endif

#include "backend.h"
#include "util/alloc.h"
#include "util/error.h"

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define WXC_OSSL3 1
#else
#define WXC_OSSL3 0
#endif

/* Each key carries its operations' contexts, prepared once when it is parsed (padding
 * and digest set, the provider's method fetched and the key exported to it): an
 * operation duplicates one (EVP_PKEY_CTX_dup only reads its source, so threads share
 * them) instead of setting a context up per call, which in OpenSSL 3 means name
 * lookups in the provider store under its lock. */
struct wxc_privkey {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *sign;     /* SHA256withRSA PKCS#1 v1.5 over a digest */
    EVP_PKEY_CTX *decrypt;  /* RSA-OAEP SHA-1 */
    size_t bytes;
};

struct wxc_pubkey {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *verify;
    EVP_PKEY_CTX *encrypt;
    size_t bytes;
};

/* ------------------------------------------------------------- identity */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_version[32];
static int g_ready;

/* Digests fetched once. OpenSSL 3 looks a static EVP_sha256() up in the provider store
 * (a lock and a hash table) every time one is used; a fetched digest carries its
 * implementation. NULL when no provider has it (MD5 under FIPS): the static one then. */
#if WXC_OSSL3
static EVP_MD *g_sha256, *g_sha1, *g_md5;
#endif

static void init_once(void)
{
    g_ready = OPENSSL_init_crypto(0, NULL) == 1;
#if WXC_OSSL3
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    g_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    g_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    ERR_clear_error();
#endif
    /* "OpenSSL 3.0.19 27 Jan 2026" -> "openssl/3.0.19" */
    const char *v = OpenSSL_version(OPENSSL_VERSION);
    const char *sp = strchr(v, ' ');
    snprintf(g_version, sizeof g_version, "openssl/%s", sp ? sp + 1 : v);
    char *end = strchr(g_version, ' ');
    if (end)
        *end = 0;
}

const char *wxc_backend_name(void) { return "openssl"; }

const char *wxc_backend_version(void)
{
    pthread_once(&g_once, init_once);
    return g_version;
}

wx_err wxc_init(void)
{
    pthread_once(&g_once, init_once);
    return g_ready ? WX_OK : WX_E_CRYPTO;
}

enum { WXC_MD_SHA256, WXC_MD_SHA1, WXC_MD_MD5 };

static const EVP_MD *digest(int which)
{
    pthread_once(&g_once, init_once);
#if WXC_OSSL3
    const EVP_MD *fetched = which == WXC_MD_SHA256 ? g_sha256 : which == WXC_MD_SHA1 ? g_sha1 : g_md5;
    if (fetched)
        return fetched;
#endif
    return which == WXC_MD_SHA256 ? EVP_sha256() : which == WXC_MD_SHA1 ? EVP_sha1() : EVP_md5();
}

static wx_err fail(wx_error_t *err, wx_err code, const char *where, const char *msg)
{
    ERR_clear_error();
    return wx_error_set(err, code, where, "%s", msg);
}

wx_err wxc_random(void *buf, size_t len)
{
    if (wxc_init() != WX_OK)
        return WX_E_CRYPTO;
    unsigned char *p = buf;
    while (len) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1) {
            ERR_clear_error();
            return WX_E_CRYPTO;
        }
        p += n;
        len -= (size_t)n;
    }
    return WX_OK;
}

void wxc_sha256(const void *data, size_t len, unsigned char out[32])
{
    if (EVP_Digest(data, len, out, NULL, digest(WXC_MD_SHA256), NULL) != 1) {
        ERR_clear_error();
        SHA256(data, len, out);
    }
}

struct wxc_hash {
    EVP_MD_CTX *md;
};

wxc_hash *wxc_hash_new(int alg)
{
    const EVP_MD *md = alg == WXC_HASH_SHA1     ? digest(WXC_MD_SHA1)
                       : alg == WXC_HASH_SHA256 ? digest(WXC_MD_SHA256)
                                                : NULL;
    if (!md)
        return NULL;
    wxc_hash *h = wx_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->md = EVP_MD_CTX_new();
    if (!h->md || EVP_DigestInit_ex(h->md, md, NULL) != 1) {
        ERR_clear_error();
        EVP_MD_CTX_free(h->md);
        wx_free(h);
        return NULL;
    }
    return h;
}

void wxc_hash_update(wxc_hash *h, const void *data, size_t len)
{
    if (h && len)
        (void)EVP_DigestUpdate(h->md, data, len);
}

size_t wxc_hash_final(wxc_hash *h, unsigned char out[32])
{
    if (!h)
        return 0;
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(h->md, out, &n) != 1) {
        ERR_clear_error();
        n = 0;
    }
    wxc_hash_free(h);
    return n;
}

void wxc_hash_free(wxc_hash *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md);
    wx_free(h);
}

/* ------------------------------------------------------------- key types */

void wxc_privkey_free(wxc_privkey *k)
{
    if (!k)
        return;
    EVP_PKEY_CTX_free(k->sign);
    EVP_PKEY_CTX_free(k->decrypt);
    EVP_PKEY_free(k->pkey); /* OpenSSL clears the private numbers */
    wx_secure_zero(k, sizeof *k);
    wx_free(k);
}

void wxc_pubkey_free(wxc_pubkey *k)
{
    if (!k)
        return;
    EVP_PKEY_CTX_free(k->verify);
    EVP_PKEY_CTX_free(k->encrypt);
    EVP_PKEY_free(k->pkey);
    wx_free(k);
}

enum { WXC_OP_SIGN, WXC_OP_VERIFY, WXC_OP_ENCRYPT, WXC_OP_DECRYPT };

static int oaep_setup(EVP_PKEY_CTX *ctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(ctx, digest(WXC_MD_SHA1)) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, digest(WXC_MD_SHA1)) > 0;
}

static int pkcs1_sha256_setup(EVP_PKEY_CTX *ctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
           EVP_PKEY_CTX_set_signature_md(ctx, digest(WXC_MD_SHA256)) > 0;
}

/* A context for one operation on pkey, ready to be duplicated; NULL on failure. */
static EVP_PKEY_CTX *prepared(EVP_PKEY *pkey, int op)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    int ok = ctx != NULL;
    if (ok && op == WXC_OP_SIGN)
        ok = EVP_PKEY_sign_init(ctx) > 0 && pkcs1_sha256_setup(ctx);
    else if (ok && op == WXC_OP_VERIFY)
        ok = EVP_PKEY_verify_init(ctx) > 0 && pkcs1_sha256_setup(ctx);
    else if (ok && op == WXC_OP_ENCRYPT)
        ok = EVP_PKEY_encrypt_init(ctx) > 0 && oaep_setup(ctx);
    else if (ok)
        ok = EVP_PKEY_decrypt_init(ctx) > 0 && oaep_setup(ctx);
    ERR_clear_error();
    if (!ok) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

size_t wxc_privkey_bytes(const wxc_privkey *k) { return k->bytes; }
size_t wxc_pubkey_bytes(const wxc_pubkey *k) { return k->bytes; }

static int contains(const char *p, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (p[i] == word[0] && memcmp(p + i, word, n) == 0)
            return 1;
    return 0;
}

static int is_pem(const char *p, size_t len) { return contains(p, len, "-----BEGIN "); }

/* An RSA key of a size the seam handles: 1 yes; 0 not RSA; -1 too large. */
static int usable_rsa(EVP_PKEY *pkey)
{
    if (!pkey || EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA)
        return 0;
    return EVP_PKEY_size(pkey) <= WXC_RSA_MAX_BYTES ? 1 : -1;
}

static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pw = u;
    size_t n = pw ? strlen(pw) : 0;
    if (!pw || n > (size_t)size)
        return -1;
    memcpy(buf, pw, n);
    return (int)n;
}

/* 1 when the error queue says the cipher or KDF is one OpenSSL cannot do. */
static int unsupported_in_queue(void)
{
    unsigned long e;
    int unsupported = 0;
    while ((e = ERR_get_error()) != 0) {
        int r = ERR_GET_REASON(e);
        unsupported |= r == EVP_R_UNSUPPORTED_CIPHER || r == EVP_R_UNKNOWN_CIPHER ||
                       r == EVP_R_UNSUPPORTED_KEY_DERIVATION_FUNCTION ||
                       r == EVP_R_UNSUPPORTED_PRF || r == EVP_R_UNKNOWN_PBE_ALGORITHM;
    }
    return unsupported;
}

/* PKCS#8 PrivateKeyInfo -> EVP_PKEY; sets *why on failure. */
static EVP_PKEY *from_p8inf(const PKCS8_PRIV_KEY_INFO *inf, const char **why)
{
    const ASN1_OBJECT *alg = NULL;
    if (!PKCS8_pkey_get0(&alg, NULL, NULL, NULL, inf) || OBJ_obj2nid(alg) != NID_rsaEncryption) {
        *why = WXC_MSG_NOT_RSA;
        return NULL;
    }
    EVP_PKEY *pkey = EVP_PKCS82PKEY(inf);
    if (!pkey)
        *why = WXC_MSG_CORRUPT_PRIV;
    return pkey;
}

static EVP_PKEY *from_encrypted_p8(const unsigned char *der, long len, const char *pw,
                                   const char **why)
{
    const unsigned char *p = der;
    X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);
    if (!sig) {
        *why = WXC_MSG_CORRUPT_PRIV;
        return NULL;
    }
    if (!pw) {
        X509_SIG_free(sig);
        *why = WXC_MSG_NEED_PASSWORD;
        return NULL;
    }
    PKCS8_PRIV_KEY_INFO *inf = PKCS8_decrypt(sig, pw, (int)strlen(pw));
    X509_SIG_free(sig);
    if (!inf) {
        *why = unsupported_in_queue() ? WXC_MSG_UNSUPPORTED_ENC : WXC_MSG_WRONG_PASSWORD;
        return NULL;
    }
    EVP_PKEY *pkey = from_p8inf(inf, why);
    PKCS8_PRIV_KEY_INFO_free(inf); /* clears the key bytes */
    return pkey;
}

static EVP_PKEY *from_plain_p8(const unsigned char *der, long len, const char **why)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
    if (!inf) {
        *why = WXC_MSG_CORRUPT_PRIV;
        return NULL;
    }
    EVP_PKEY *pkey = from_p8inf(inf, why);
    PKCS8_PRIV_KEY_INFO_free(inf);
    return pkey;
}

static EVP_PKEY *from_pkcs1(const unsigned char *der, long len, const char **why)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
    if (!pkey)
        *why = WXC_MSG_CORRUPT_PRIV;
    return pkey;
}

/* The first private key block of PEM text. */
static EVP_PKEY *privkey_from_pem(const char *pem, size_t len, const char *pw, const char **why)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        *why = "out of memory";
        return NULL;
    }
    EVP_PKEY *pkey = NULL;
    *why = WXC_MSG_CORRUPT_PRIV;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (!PEM_read_bio(bio, &name, &header, &data, &dlen))
            break;
        int done = 1;
        if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
            pkey = from_encrypted_p8(data, dlen, pw, why);
        } else if (strcmp(name, "PRIVATE KEY") == 0) {
            pkey = from_plain_p8(data, dlen, why);
        } else if (strcmp(name, "RSA PRIVATE KEY") == 0) {
            EVP_CIPHER_INFO cipher;
            int encrypted = strstr(header, "ENCRYPTED") != NULL;
            if (encrypted && !PEM_get_EVP_CIPHER_INFO(header, &cipher)) {
                *why = WXC_MSG_UNSUPPORTED_ENC;
            } else if (encrypted && !pw) {
                *why = WXC_MSG_NEED_PASSWORD;
            } else if (encrypted &&
                       !PEM_do_header(&cipher, data, &dlen, password_cb, (void *)pw)) {
                *why = WXC_MSG_WRONG_PASSWORD;
            } else {
                pkey = from_pkcs1(data, dlen, why);
                if (!pkey && encrypted)
                    *why = WXC_MSG_WRONG_PASSWORD;
            }
        } else {
            done = 0; /* a certificate or parameters before the key: skip it */
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(data, dlen > 0 ? (size_t)dlen : 0);
        if (done)
            break;
    }
    BIO_free(bio);
    return pkey;
}

static EVP_PKEY *privkey_from_der(const unsigned char *der, size_t len, const char *pw,
                                  const char **why)
{
    if (len > LONG_MAX) {
        *why = WXC_MSG_CORRUPT_PRIV;
        return NULL;
    }
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    if (inf) {
        EVP_PKEY *pkey = from_p8inf(inf, why);
        PKCS8_PRIV_KEY_INFO_free(inf);
        return pkey;
    }
    p = der;
    X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)len);
    if (sig) {
        X509_SIG_free(sig);
        return from_encrypted_p8(der, (long)len, pw, why);
    }
    return from_pkcs1(der, (long)len, why);
}

/* OpenSSL quietly falls back from CRT to the plain exponent when a CRT number is
 * damaged, so the signing self-test alone would accept such a key; mbedTLS rejects it.
 * OpenSSL's own check of the numbers (primes, exponents, CRT values): about 40 ms for
 * a 2048-bit key, once per key load. */
static int rsa_numbers_consistent(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    int ok = ctx && EVP_PKEY_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

wx_err wxc_privkey_parse(const char *pem, size_t len, const char *password, wxc_privkey **out,
                         wx_error_t *err)
{
    *out = NULL;
    wx_err rc = wxc_pem_check(pem, len, 1, err);
    if (rc != WX_OK)
        return rc;
    if (!password && wxc_pem_is_encrypted(pem, len))
        return wx_error_set(err, WX_E_KEY, "private key", WXC_MSG_NEED_PASSWORD);
    if (len > INT_MAX)
        return wx_error_set(err, WX_E_KEY, "private key", WXC_MSG_CORRUPT_PRIV);
    if (wxc_init() != WX_OK)
        return fail(err, WX_E_CRYPTO, "private key", "OpenSSL could not be initialised");
    const char *why = WXC_MSG_CORRUPT_PRIV;
    EVP_PKEY *pkey = is_pem(pem, len) ? privkey_from_pem(pem, len, password, &why)
                                      : privkey_from_der((const unsigned char *)pem, len,
                                                         password, &why);
    int usable = usable_rsa(pkey);
    if (usable == 1 && !rsa_numbers_consistent(pkey)) {
        usable = -2;
        why = WXC_MSG_CORRUPT_PRIV ": its numbers do not make a working RSA key";
    }
    if (usable != 1) {
        EVP_PKEY_free(pkey);
        if (pkey && usable != -2)
            why = usable == 0 ? WXC_MSG_NOT_RSA : "RSA key larger than 8192 bits";
        return fail(err, WX_E_KEY, "private key", why);
    }
    wxc_privkey *k = wx_calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(pkey);
        return fail(err, WX_E_NOMEM, "private key", "out of memory");
    }
    k->pkey = pkey;
    k->bytes = (size_t)EVP_PKEY_size(pkey);
    k->sign = prepared(pkey, WXC_OP_SIGN);
    k->decrypt = prepared(pkey, WXC_OP_DECRYPT);
    if (!k->sign || !k->decrypt) {
        wxc_privkey_free(k);
        return fail(err, WX_E_CRYPTO, "private key", "OpenSSL cannot sign with this key");
    }
    ERR_clear_error();
    rc = wxc_privkey_selftest(k, err);
    if (rc != WX_OK) {
        wxc_privkey_free(k);
        return rc;
    }
    *out = k;
    return WX_OK;
}

static wx_err wrap_pubkey(EVP_PKEY *pkey, const char *what, wxc_pubkey **out, wx_error_t *err)
{
    int usable = usable_rsa(pkey);
    if (usable != 1) {
        EVP_PKEY_free(pkey);
        return fail(err, WX_E_KEY, what,
                    usable == 0 ? WXC_MSG_NOT_RSA : "RSA key larger than 8192 bits");
    }
    wxc_pubkey *k = wx_calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(pkey);
        return fail(err, WX_E_NOMEM, what, "out of memory");
    }
    k->pkey = pkey;
    k->bytes = (size_t)EVP_PKEY_size(pkey);
    k->verify = prepared(pkey, WXC_OP_VERIFY);
    k->encrypt = prepared(pkey, WXC_OP_ENCRYPT);
    if (!k->verify || !k->encrypt) {
        wxc_pubkey_free(k);
        return fail(err, WX_E_CRYPTO, what, "OpenSSL cannot verify with this key");
    }
    ERR_clear_error();
    *out = k;
    return WX_OK;
}

static int64_t asn1_time_unix(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return wxc_utc_to_unix(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                           tm.tm_sec);
}

static wx_err from_x509(X509 *x, wxc_pubkey **out, char serial[128], int64_t *not_before,
                        int64_t *not_after, wx_error_t *err)
{
    EVP_PKEY *pkey = X509_get_pubkey(x); /* a new reference */
    if (!pkey) {
        X509_free(x);
        return fail(err, WX_E_KEY, "certificate", WXC_MSG_NOT_RSA);
    }
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    wxc_serial_hex(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), serial, 128);
    *not_before = asn1_time_unix(X509_get0_notBefore(x));
    *not_after = asn1_time_unix(X509_get0_notAfter(x));
    X509_free(x);
    wx_err rc = wrap_pubkey(pkey, "certificate", out, err);
    if (rc != WX_OK) {
        serial[0] = 0;
        *not_before = *not_after = 0;
    }
    return rc;
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
    if (len > INT_MAX)
        return wx_error_set(err, WX_E_KEY, "public key", WXC_MSG_CORRUPT_PUB);
    if (wxc_init() != WX_OK)
        return fail(err, WX_E_CRYPTO, "public key", "OpenSSL could not be initialised");

    if (!is_pem(pem, len)) {
        const unsigned char *p = (const unsigned char *)pem;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (x)
            return from_x509(x, out, serial, not_before, not_after, err);
        p = (const unsigned char *)pem;
        EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
        if (!pkey) {
            p = (const unsigned char *)pem;
            pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
        }
        if (!pkey)
            return fail(err, WX_E_KEY, "public key", WXC_MSG_CORRUPT_PUB);
        return wrap_pubkey(pkey, "public key", out, err);
    }

    /* The first certificate, else the first public key (common.c checked one exists). */
    int want_cert = contains(pem, len, "CERTIFICATE-----");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return fail(err, WX_E_NOMEM, "public key", "out of memory");
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    int found = 0;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (!PEM_read_bio(bio, &name, &header, &data, &dlen))
            break;
        const unsigned char *p = data;
        size_t nl = strlen(name);
        int is_cert = nl >= 11 && strcmp(name + nl - 11, "CERTIFICATE") == 0;
        if (want_cert && is_cert) {
            found = 1;
            x = strcmp(name, "TRUSTED CERTIFICATE") == 0 ? d2i_X509_AUX(NULL, &p, dlen)
                                                         : d2i_X509(NULL, &p, dlen);
        } else if (!want_cert && strcmp(name, "PUBLIC KEY") == 0) {
            found = 1;
            pkey = d2i_PUBKEY(NULL, &p, dlen);
        } else if (!want_cert && strcmp(name, "RSA PUBLIC KEY") == 0) {
            found = 1;
            pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, dlen);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (found)
            break;
    }
    BIO_free(bio);
    if (x)
        return from_x509(x, out, serial, not_before, not_after, err);
    if (!pkey)
        return fail(err, WX_E_KEY, want_cert ? "certificate" : "public key", WXC_MSG_CORRUPT_PUB);
    return wrap_pubkey(pkey, "public key", out, err);
}

wx_err wxc_pubkey_from_privkey(const wxc_privkey *k, wxc_pubkey **out, wx_error_t *err)
{
    *out = NULL;
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k->pkey, &der);
    if (n <= 0)
        return fail(err, WX_E_CRYPTO, "public key", "the public key could not be extracted");
    const unsigned char *p = der;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, n);
    OPENSSL_free(der);
    if (!pub)
        return fail(err, WX_E_CRYPTO, "public key", "the public key could not be extracted");
    return wrap_pubkey(pub, "public key", out, err);
}

int wxc_keys_match(const wxc_privkey *priv, const wxc_pubkey *pub)
{
#if WXC_OSSL3
    int r = EVP_PKEY_eq(priv->pkey, pub->pkey);
#else
    int r = EVP_PKEY_cmp(priv->pkey, pub->pkey);
#endif
    ERR_clear_error();
    return r == 1;
}

/* ------------------------------------------------------ RSA operations */

wx_err wxc_rsa_sign_sha256(const wxc_privkey *k, const unsigned char hash[32], unsigned char *sig,
                           size_t *sig_len, wx_error_t *err)
{
    if (*sig_len < k->bytes)
        return wx_error_set(err, WX_E_INVALID_ARG, "signature", "signature buffer too small");
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_dup(k->sign);
    size_t n = *sig_len;
    int ok = ctx && EVP_PKEY_sign(ctx, sig, &n, hash, 32) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        return fail(err, WX_E_CRYPTO, "signature", "RSA signing failed");
    *sig_len = n;
    return WX_OK;
}

wx_err wxc_rsa_verify_sha256(const wxc_pubkey *k, const unsigned char hash[32],
                             const unsigned char *sig, size_t sig_len, wx_error_t *err)
{
    if (sig_len != k->bytes) {
        ERR_clear_error();
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "signature",
                            "signature is %zu bytes, the key needs %zu", sig_len, k->bytes);
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_dup(k->verify);
    int ok = ctx && EVP_PKEY_verify(ctx, sig, sig_len, hash, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        return fail(err, WX_E_VERIFY_SIGNATURE, "signature", "signature does not match");
    ERR_clear_error();
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
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_dup(k->encrypt);
    size_t n = *out_len;
    int ok = ctx && EVP_PKEY_encrypt(ctx, out, &n, in, in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        return fail(err, WX_E_CRYPTO, "ciphertext", "RSA-OAEP encryption failed");
    *out_len = n;
    return WX_OK;
}

wx_err wxc_rsa_oaep_decrypt(const wxc_privkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err)
{
    if (in_len != k->bytes)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext",
                            "ciphertext is %zu bytes, the key needs %zu", in_len, k->bytes);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_dup(k->decrypt);
    size_t n = *out_len;
    int ok = ctx && EVP_PKEY_decrypt(ctx, out, &n, in, in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        return fail(err, WX_E_DECRYPT, "ciphertext",
                    "RSA-OAEP decryption failed: wrong key or damaged ciphertext");
    *out_len = n;
    return WX_OK;
}

/* --------------------------------------------------------------- AES-GCM */

static wx_err gcm(int enc, const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                  const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t in_len,
                  unsigned char *out, unsigned char tag[16], wx_error_t *err)
{
    if (!iv_len)
        return wx_error_set(err, WX_E_INVALID_ARG, "nonce", "the nonce is empty");
    if (iv_len > INT_MAX || aad_len > INT_MAX || in_len > INT_MAX)
        return wx_error_set(err, WX_E_INVALID_ARG, "aes-gcm", "input too large for AES-GCM");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) == 1 &&
             EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) == 1 &&
             (!aad_len || EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
             (!in_len || EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) == 1) &&
             (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1);
    int fin = 0; /* GCM has no block left over: Final writes nothing */
    int tag_ok = ok && EVP_CipherFinal_ex(ctx, out + in_len, &fin) == 1;
    if (tag_ok && enc)
        tag_ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (tag_ok) {
        ERR_clear_error();
        return WX_OK;
    }
    if (!enc)
        wx_secure_zero(out, in_len);
    if (ok && !enc)
        return fail(err, WX_E_DECRYPT, "aes-gcm",
                    "AES-256-GCM tag does not match: wrong key, nonce or data");
    return fail(err, WX_E_CRYPTO, "aes-gcm", "AES-256-GCM failed");
}

wx_err wxc_aes256gcm_encrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len, const unsigned char *in,
                             size_t in_len, unsigned char *out, unsigned char tag[16],
                             wx_error_t *err)
{
    return gcm(1, key, iv, iv_len, aad, aad_len, in, in_len, out, tag, err);
}

wx_err wxc_aes256gcm_decrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len, const unsigned char *in,
                             size_t in_len, const unsigned char tag[16], unsigned char *out,
                             wx_error_t *err)
{
    unsigned char t[16];
    memcpy(t, tag, 16);
    return gcm(0, key, iv, iv_len, aad, aad_len, in, in_len, out, t, err);
}

/* ------------------------------------------------------------ generation */

/* The contents of a memory BIO as a wx_malloc'd string; secret ones are zeroised by
 * the BIO itself (BIO_s_secmem) and by the caller's wx_free_secret. */
static wx_err bio_to_string(BIO *bio, char **out, wx_error_t *err)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    *out = n > 0 ? wx_strndup(data, (size_t)n) : NULL;
    if (!*out)
        return fail(err, WX_E_NOMEM, "pem", "out of memory");
    return WX_OK;
}

wx_err wxc_rsa_generate(unsigned bits, char **pkcs8_pem, wx_error_t *err)
{
    *pkcs8_pem = NULL;
    if (bits < 2048 || bits > 8192)
        return wx_error_set(err, WX_E_INVALID_ARG, "bits", "RSA key size must be 2048 to 8192 bits");
    if (wxc_init() != WX_OK)
        return fail(err, WX_E_CRYPTO, "private key", "OpenSSL could not be initialised");
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    int ok = ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0 &&
             EVP_PKEY_keygen(ctx, &pkey) > 0;
    EVP_PKEY_CTX_free(ctx);
    BIO *bio = ok ? BIO_new(BIO_s_secmem()) : NULL;
    ok = bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1;
    EVP_PKEY_free(pkey);
    wx_err rc = ok ? bio_to_string(bio, pkcs8_pem, err)
                   : fail(err, WX_E_CRYPTO, "private key", "RSA key generation failed");
    BIO_free(bio);
    return rc;
}

wx_err wxc_pubkey_pem(const wxc_privkey *k, char **pem, wx_error_t *err)
{
    *pem = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio && PEM_write_bio_PUBKEY(bio, k->pkey) == 1;
    wx_err rc = ok ? bio_to_string(bio, pem, err)
                   : fail(err, WX_E_CRYPTO, "public key", "writing the public key failed");
    BIO_free(bio);
    return rc;
}

static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, (char *)value);
    if (!ext)
        return 0;
    int ok = X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static X509 *issuer_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

wx_err wxc_cert_create(const wxc_privkey *subject_key, const wx_cert_spec_t *spec,
                       const wxc_privkey *issuer_key, char **cert_pem, wx_error_t *err)
{
    *cert_pem = NULL;
    if (wxc_init() != WX_OK)
        return fail(err, WX_E_CRYPTO, "certificate", "OpenSSL could not be initialised");
    X509 *ic = NULL;
    if (issuer_key) {
        ic = issuer_cert(spec->issuer_cert_pem);
        if (!ic)
            return fail(err, WX_E_KEY, "spec.issuer_cert_pem", WXC_MSG_CORRUPT_PUB);
        if (X509_check_private_key(ic, issuer_key->pkey) != 1) {
            X509_free(ic);
            return fail(err, WX_E_KEY, "spec.issuer_cert_pem",
                        "the issuer certificate does not belong to the issuer key");
        }
    }
    const wxc_privkey *signer = issuer_key ? issuer_key : subject_key;
    X509 *x = X509_new();
    BIGNUM *serial = NULL;
    const char *step = "allocation";
    int ok = x != NULL;
    if (ok && (step = "serial"))
        ok = BN_hex2bn(&serial, spec->serial_hex) > 0 &&
             BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != NULL;
    if (ok && (step = "validity"))
        ok = X509_set_version(x, 2) == 1 &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)spec->not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)spec->not_after) != NULL;
    if (ok && (step = "subject name"))
        ok = X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                                        (const unsigned char *)spec->subject_cn, -1, -1, 0) == 1;
    if (ok && (step = "issuer name"))
        ok = X509_set_issuer_name(x, ic ? X509_get_subject_name(ic) : X509_get_subject_name(x)) == 1;
    if (ok && (step = "public key"))
        ok = X509_set_pubkey(x, subject_key->pkey) == 1;
    X509V3_CTX v3;
    if (ok) {
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, ic ? ic : x, x, NULL, NULL, 0);
    }
    if (ok && (step = "basic constraints"))
        ok = add_ext(x, &v3, NID_basic_constraints, spec->is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (ok && (step = "key usage"))
        ok = add_ext(x, &v3, NID_key_usage,
                     spec->is_ca ? "critical,digitalSignature,keyCertSign,cRLSign"
                                 : "critical,digitalSignature,nonRepudiation,keyEncipherment");
    if (ok && (step = "subject key identifier"))
        ok = add_ext(x, &v3, NID_subject_key_identifier, "hash");
    if (ok && (step = "authority key identifier"))
        ok = add_ext(x, &v3, NID_authority_key_identifier, "keyid");
    if (ok && (spec->dns_name || spec->ip_address) && (step = "subjectAltName")) {
        char san[400];
        snprintf(san, sizeof san, "%s%s%s%s%s", spec->dns_name ? "DNS:" : "",
                 spec->dns_name ? spec->dns_name : "",
                 spec->dns_name && spec->ip_address ? "," : "", spec->ip_address ? "IP:" : "",
                 spec->ip_address ? spec->ip_address : "");
        ok = add_ext(x, &v3, NID_subject_alt_name, san);
    }
    if (ok && (step = "signing"))
        ok = X509_sign(x, signer->pkey, EVP_sha256()) > 0;
    BIO *bio = NULL;
    if (ok && (step = "PEM output")) {
        bio = BIO_new(BIO_s_mem());
        ok = bio && PEM_write_bio_X509(bio, x) == 1;
    }
    wx_err rc = WX_OK;
    if (ok) {
        rc = bio_to_string(bio, cert_pem, err);
    } else {
        char msg[128];
        snprintf(msg, sizeof msg, "writing the certificate failed at the %s", step);
        rc = fail(err, WX_E_CRYPTO, "certificate", msg);
    }
    BIO_free(bio);
    BN_free(serial);
    X509_free(x);
    X509_free(ic);
    ERR_clear_error();
    return rc;
}

/* ------------------------------------------------- APIv2: MD5, HMAC, AES-ECB */

void wxc_md5(const void *data, size_t len, unsigned char out[16])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, digest(WXC_MD_MD5), NULL) != 1) {
        /* A FIPS-only provider has no MD5: an all-zero digest never matches a sign. */
        ERR_clear_error();
        memset(out, 0, 16);
    }
}

void wxc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32])
{
    unsigned int n = 0;
    static const unsigned char empty = 0;
    if (key_len > INT_MAX ||
        !HMAC(digest(WXC_MD_SHA256), key_len ? key : &empty, (int)key_len, data ? data : &empty, len, out, &n)) {
        ERR_clear_error();
        memset(out, 0, 32);
    }
}

wx_err wxc_aes256ecb_blocks(int enc, const unsigned char key[32], const unsigned char *in,
                            size_t len, unsigned char *out, wx_error_t *err)
{
    if (len % 16 || len > INT_MAX)
        return wx_error_set(err, WX_E_INVALID_ARG, "aes-ecb",
                            "AES-256-ECB input is not whole 16-byte blocks");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_ecb(), NULL, key, NULL, enc) == 1 &&
             EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
             (!len || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        return fail(err, WX_E_CRYPTO, "aes-ecb", "AES-256-ECB failed");
    ERR_clear_error();
    return WX_OK;
}
