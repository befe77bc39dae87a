/* The public crypto API (include/wechatpay/crypto.h) on top of the seam: argument
 * checks, WeChat Pay's text formats (base64, the APIv3 key as text), and ownership.
 * Nothing here knows which backend is compiled in. */
#include <string.h>
#include <wechatpay/crypto.h>

#include "backend.h"
#include "util/alloc.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/strutil.h"

struct wx_privkey {
    wxc_privkey *k;
};

struct wx_pubkey {
    wxc_pubkey *k;
    char serial[128];
    int64_t not_before, not_after;
};

const wxc_privkey *wxc_privkey_of(const wx_privkey_t *key) { return key ? key->k : NULL; }
const wxc_pubkey *wxc_pubkey_of(const wx_pubkey_t *key) { return key ? key->k : NULL; }

static wx_err bad_arg(wx_error_t *err, const char *where, const char *what)
{
    return wx_error_set(err, WX_E_INVALID_ARG, where, "%s", what);
}

/* After a failed load from a file: name the file in the message and as `where`. */
static void name_file(wx_error_t *err, const char *path)
{
    if (!err)
        return;
    wx_error_prefix(err, "%s", path);
    size_t n = strlen(path);
    if (n >= sizeof err->where)
        n = sizeof err->where - 1;
    memcpy(err->where, path, n);
    err->where[n] = 0;
}

/* WeChat Pay's keys are RSA 2048; anything smaller can be factored too cheaply to
 * trust with payments. */
#define WX_MIN_RSA_BYTES 256

static wx_err too_small(wx_error_t *err, const char *what, size_t bytes)
{
    return wx_error_set(err, WX_E_KEY, what,
                        "%s: RSA key of %zu bits, under the 2048 bits required", what, bytes * 8);
}

/* ------------------------------------------------------------ private keys */

wx_err wx_privkey_load(const char *pem, size_t len, const char *password, wx_privkey_t **out,
                       wx_error_t *err)
{
    if (!out)
        return bad_arg(err, "out", "no place for the key");
    *out = NULL;
    if (!pem)
        return bad_arg(err, "private key", "no private key text given");
    wx_privkey_t *key = wx_calloc(1, sizeof *key);
    if (!key)
        return wx_error_set(err, WX_E_NOMEM, "private key", NULL);
    wx_err rc = wxc_privkey_parse(pem, len, password, &key->k, err);
    if (rc == WX_OK && wxc_privkey_bytes(key->k) < WX_MIN_RSA_BYTES) {
        rc = too_small(err, "private key", wxc_privkey_bytes(key->k));
        wxc_privkey_free(key->k);
    }
    if (rc != WX_OK) {
        wx_free(key);
        return rc;
    }
    *out = key;
    return WX_OK;
}

wx_err wx_privkey_load_file(const char *path, const char *password, wx_privkey_t **out,
                            wx_error_t *err)
{
    if (!out)
        return bad_arg(err, "out", "no place for the key");
    *out = NULL;
    if (!path)
        return bad_arg(err, "path", "no private key file given");
    char *data = NULL;
    size_t len = 0;
    wx_err rc = wx_read_file_max(path, WX_MAX_KEY_FILE_BYTES, &data, &len, err);
    if (rc != WX_OK)
        return rc;
    rc = wx_privkey_load(data, len, password, out, err);
    wx_free_secret(data, len);
    if (rc != WX_OK)
        name_file(err, path);
    return rc;
}

void wx_privkey_free(wx_privkey_t *key)
{
    if (!key)
        return;
    wxc_privkey_free(key->k);
    wx_secure_zero(key, sizeof *key);
    wx_free(key);
}

/* ------------------------------------------------------------- public keys */

wx_err wx_pubkey_load(const char *pem, size_t len, wx_pubkey_t **out, wx_error_t *err)
{
    if (!out)
        return bad_arg(err, "out", "no place for the key");
    *out = NULL;
    if (!pem)
        return bad_arg(err, "public key", "no certificate or public key text given");
    wx_pubkey_t *key = wx_calloc(1, sizeof *key);
    if (!key)
        return wx_error_set(err, WX_E_NOMEM, "public key", NULL);
    wx_err rc = wxc_pubkey_parse(pem, len, &key->k, key->serial, &key->not_before,
                                 &key->not_after, err);
    if (rc == WX_OK && wxc_pubkey_bytes(key->k) < WX_MIN_RSA_BYTES) {
        rc = too_small(err, key->serial[0] ? "certificate" : "public key",
                       wxc_pubkey_bytes(key->k));
        wxc_pubkey_free(key->k);
    }
    if (rc != WX_OK) {
        wx_free(key);
        return rc;
    }
    *out = key;
    return WX_OK;
}

wx_err wx_pubkey_load_file(const char *path, wx_pubkey_t **out, wx_error_t *err)
{
    if (!out)
        return bad_arg(err, "out", "no place for the key");
    *out = NULL;
    if (!path)
        return bad_arg(err, "path", "no certificate or public key file given");
    char *data = NULL;
    size_t len = 0;
    wx_err rc = wx_read_file_max(path, WX_MAX_KEY_FILE_BYTES, &data, &len, err);
    if (rc != WX_OK)
        return rc;
    rc = wx_pubkey_load(data, len, out, err);
    /* A private key given by mistake is still a secret. */
    wx_free_secret(data, len);
    if (rc != WX_OK)
        name_file(err, path);
    return rc;
}

wx_err wx_pubkey_from_privkey(const wx_privkey_t *priv, wx_pubkey_t **out, wx_error_t *err)
{
    if (!out)
        return bad_arg(err, "out", "no place for the key");
    *out = NULL;
    if (!priv)
        return bad_arg(err, "private key", "no private key given");
    wx_pubkey_t *key = wx_calloc(1, sizeof *key);
    if (!key)
        return wx_error_set(err, WX_E_NOMEM, "public key", NULL);
    wx_err rc = wxc_pubkey_from_privkey(priv->k, &key->k, err);
    if (rc != WX_OK) {
        wx_free(key);
        return rc;
    }
    *out = key;
    return WX_OK;
}

void wx_pubkey_free(wx_pubkey_t *key)
{
    if (!key)
        return;
    wxc_pubkey_free(key->k);
    wx_free(key);
}

const char *wx_pubkey_serial(const wx_pubkey_t *key)
{
    return key && key->serial[0] ? key->serial : NULL;
}

void wx_pubkey_validity(const wx_pubkey_t *key, int64_t *not_before, int64_t *not_after)
{
    if (not_before)
        *not_before = key ? key->not_before : 0;
    if (not_after)
        *not_after = key ? key->not_after : 0;
}

int wx_keys_match(const wx_privkey_t *priv, const wx_pubkey_t *pub)
{
    return priv && pub && wxc_keys_match(priv->k, pub->k);
}

/* ---------------------------------------------------------- SHA256withRSA */

wx_err wx_rsa_sign(const wx_privkey_t *key, const void *msg, size_t len, char **sig_b64,
                   wx_error_t *err)
{
    if (!sig_b64)
        return bad_arg(err, "signature", "no place for the signature");
    *sig_b64 = NULL;
    if (!key || (!msg && len))
        return bad_arg(err, "signature", "no key or message given");
    unsigned char hash[32], sig[WXC_RSA_MAX_BYTES];
    size_t n = sizeof sig;
    wxc_sha256(msg ? msg : "", len, hash);
    wx_err rc = wxc_rsa_sign_sha256(key->k, hash, sig, &n, err);
    if (rc != WX_OK)
        return rc;
    char *b64 = wx_malloc(wx_base64_encoded_len(n) + 1);
    if (!b64)
        return wx_error_set(err, WX_E_NOMEM, "signature", NULL);
    wx_base64_encode_to(sig, n, b64);
    *sig_b64 = b64;
    return WX_OK;
}

wx_err wx_rsa_verify(const wx_pubkey_t *key, const void *msg, size_t len, const char *sig_b64,
                     wx_error_t *err)
{
    if (!key || (!msg && len))
        return bad_arg(err, "signature", "no key or message given");
    if (!sig_b64)
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "signature", "no signature given");
    size_t b64_len = strlen(sig_b64);
    unsigned char sig[WXC_RSA_MAX_BYTES + 3];
    if (b64_len > wx_base64_encoded_len(WXC_RSA_MAX_BYTES))
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "signature",
                            "signature is longer than any RSA key's");
    long n = wx_base64_decode_to(sig_b64, b64_len, sig);
    if (n < 0)
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "signature", "signature is not base64");
    unsigned char hash[32];
    wxc_sha256(msg ? msg : "", len, hash);
    return wxc_rsa_verify_sha256(key->k, hash, sig, (size_t)n, err);
}

/* --------------------------------------------------------------- RSA-OAEP */

wx_err wx_rsa_oaep_encrypt(const wx_pubkey_t *key, const void *plain, size_t len,
                           char **cipher_b64, wx_error_t *err)
{
    if (!cipher_b64)
        return bad_arg(err, "ciphertext", "no place for the ciphertext");
    *cipher_b64 = NULL;
    if (!key || (!plain && len))
        return bad_arg(err, "plaintext", "no key or plaintext given");
    unsigned char ct[WXC_RSA_MAX_BYTES];
    size_t n = sizeof ct;
    wx_err rc = wxc_rsa_oaep_encrypt(key->k, plain ? plain : (const void *)"", len, ct, &n, err);
    if (rc != WX_OK)
        return rc;
    char *b64 = wx_malloc(wx_base64_encoded_len(n) + 1);
    if (!b64)
        return wx_error_set(err, WX_E_NOMEM, "ciphertext", NULL);
    wx_base64_encode_to(ct, n, b64);
    *cipher_b64 = b64;
    return WX_OK;
}

wx_err wx_rsa_oaep_decrypt(const wx_privkey_t *key, const char *cipher_b64, char **plain,
                           size_t *len, wx_error_t *err)
{
    if (!plain)
        return bad_arg(err, "plaintext", "no place for the plaintext");
    *plain = NULL;
    if (len)
        *len = 0;
    if (!key)
        return bad_arg(err, "private key", "no private key given");
    if (!cipher_b64)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext", "no ciphertext given");
    size_t b64_len = strlen(cipher_b64);
    if (b64_len > wx_base64_encoded_len(WXC_RSA_MAX_BYTES))
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext",
                            "ciphertext is longer than any RSA key's");
    unsigned char ct[WXC_RSA_MAX_BYTES + 3], pt[WXC_RSA_MAX_BYTES];
    long n = wx_base64_decode_to(cipher_b64, b64_len, ct);
    if (n < 0)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext", "ciphertext is not base64");
    size_t pt_len = sizeof pt;
    wx_err rc = wxc_rsa_oaep_decrypt(key->k, ct, (size_t)n, pt, &pt_len, err);
    if (rc == WX_OK) {
        *plain = wx_memdup(pt, pt_len); /* NUL-terminated */
        if (!*plain)
            rc = wx_error_set(err, WX_E_NOMEM, "plaintext", NULL);
        else if (len)
            *len = pt_len;
    }
    wx_secure_zero(pt, sizeof pt);
    return rc;
}

/* ------------------------------------------------------- AEAD_AES_256_GCM */

static wx_err gcm_args(const char *key32, const char *nonce, wx_error_t *err)
{
    if (!key32)
        return bad_arg(err, "apiv3_key", "no APIv3 key given");
    size_t n = strlen(key32);
    if (n != 32)
        return wx_error_set(err, WX_E_INVALID_ARG, "apiv3_key",
                            "the APIv3 key must be 32 bytes, not %zu", n);
    if (!nonce || !*nonce)
        return bad_arg(err, "nonce", "the nonce is empty");
    return WX_OK;
}

wx_err wx_aes_gcm_decrypt(const char *key32, const char *nonce, const char *aad,
                          const char *cipher_b64, char **plain, size_t *len, wx_error_t *err)
{
    if (!plain)
        return bad_arg(err, "plaintext", "no place for the plaintext");
    *plain = NULL;
    if (len)
        *len = 0;
    wx_err rc = gcm_args(key32, nonce, err);
    if (rc != WX_OK)
        return rc;
    if (!cipher_b64)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext", "no ciphertext given");
    unsigned char *ct = NULL;
    size_t ct_len = 0;
    rc = wx_base64_decode(cipher_b64, strlen(cipher_b64), &ct, &ct_len);
    if (rc == WX_E_NOMEM)
        return wx_error_set(err, rc, "ciphertext", NULL);
    if (rc != WX_OK)
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext", "ciphertext is not base64");
    if (ct_len < 16) {
        wx_free(ct);
        return wx_error_set(err, WX_E_DECRYPT, "ciphertext",
                            "ciphertext is shorter than the 16-byte tag");
    }
    size_t body = ct_len - 16;
    unsigned char *out = wx_malloc(body + 1);
    if (!out) {
        wx_free(ct);
        return wx_error_set(err, WX_E_NOMEM, "plaintext", NULL);
    }
    rc = wxc_aes256gcm_decrypt((const unsigned char *)key32, (const unsigned char *)nonce,
                               strlen(nonce), (const unsigned char *)(aad ? aad : ""),
                               aad ? strlen(aad) : 0, ct, body, ct + body, out, err);
    wx_free(ct);
    if (rc != WX_OK) {
        wx_free_secret(out, body + 1);
        return rc;
    }
    out[body] = 0;
    *plain = (char *)out;
    if (len)
        *len = body;
    return WX_OK;
}

wx_err wx_aes_gcm_encrypt(const char *key32, const char *nonce, const char *aad, const void *plain,
                          size_t len, char **cipher_b64, wx_error_t *err)
{
    if (!cipher_b64)
        return bad_arg(err, "ciphertext", "no place for the ciphertext");
    *cipher_b64 = NULL;
    wx_err rc = gcm_args(key32, nonce, err);
    if (rc != WX_OK)
        return rc;
    if (!plain && len)
        return bad_arg(err, "plaintext", "no plaintext given");
    if (len > (size_t)-1 / 2 - 64)
        return bad_arg(err, "plaintext", "plaintext too large");
    unsigned char *ct = wx_malloc(len + 16);
    char *b64 = wx_malloc(wx_base64_encoded_len(len + 16) + 1);
    if (!ct || !b64) {
        wx_free(ct);
        wx_free(b64);
        return wx_error_set(err, WX_E_NOMEM, "ciphertext", NULL);
    }
    rc = wxc_aes256gcm_encrypt((const unsigned char *)key32, (const unsigned char *)nonce,
                               strlen(nonce), (const unsigned char *)(aad ? aad : ""),
                               aad ? strlen(aad) : 0, plain ? plain : (const void *)"", len, ct,
                               ct + len, err);
    if (rc == WX_OK) {
        wx_base64_encode_to(ct, len + 16, b64);
        *cipher_b64 = b64;
        b64 = NULL;
    }
    wx_free(ct);
    wx_free(b64);
    return rc;
}

/* ----------------------------------------------------------------- misc */

wx_err wx_random_bytes(void *buf, size_t len)
{
    if (!buf && len)
        return WX_E_INVALID_ARG;
    return len ? wxc_random(buf, len) : WX_OK;
}

void wx_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char hash[32];
    wxc_sha256(data ? data : "", data ? len : 0, hash);
    wx_hex_encode(hash, sizeof hash, out);
}

wx_err wx_sha1_hex(const void *data, size_t len, char out[41])
{
    wxc_hash *h = wxc_hash_new(WXC_HASH_SHA1);
    if (!h)
        return WX_E_NOMEM;
    unsigned char hash[32];
    wxc_hash_update(h, data, data ? len : 0);
    if (wxc_hash_final(h, hash) != 20)
        return WX_E_CRYPTO;
    wx_hex_encode(hash, 20, out);
    return WX_OK;
}

/* ------------------------------------------------------------ generation */

wx_err wx_rsa_generate(unsigned bits, char **key_pem, wx_error_t *err)
{
    if (!key_pem)
        return bad_arg(err, "key_pem", "no place for the key");
    return wxc_rsa_generate(bits, key_pem, err);
}

wx_err wx_cert_create(const wx_privkey_t *key, const wx_cert_spec_t *spec, char **cert_pem,
                      wx_error_t *err)
{
    if (!cert_pem)
        return bad_arg(err, "cert_pem", "no place for the certificate");
    *cert_pem = NULL;
    if (!key)
        return bad_arg(err, "key", "no subject key given");
    wx_cert_spec_t checked;
    char serial[48];
    wx_err rc = wxc_cert_spec_check(spec, &checked, serial, err);
    if (rc != WX_OK)
        return rc;
    return wxc_cert_create(key->k, &checked, spec->issuer_key ? spec->issuer_key->k : NULL,
                           cert_pem, err);
}

wx_err wx_pubkey_pem(const wx_privkey_t *key, char **pem, wx_error_t *err)
{
    if (!pem)
        return bad_arg(err, "pem", "no place for the PEM text");
    *pem = NULL;
    if (!key)
        return bad_arg(err, "key", "no private key given");
    return wxc_pubkey_pem(key->k, pem, err);
}
