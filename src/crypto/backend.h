/*
 * The crypto seam. Everything above it (sign/, client, public crypto.h wrappers)
 * calls only these functions; exactly one backend file implements them:
 * mbedtls.c (default, mbedTLS 2.28 and 3.x) or openssl.c (OpenSSL 1.1.1 / 3.x).
 * Nothing outside src/crypto/ includes a crypto library's header.
 *
 * The contract for each primitive (who allocates, who frees, what errors) is in
 * HACKING-CRYPTO.md next to this file. In short:
 *  - keys are opaque, immutable after parsing and safe to share between threads;
 *    the *_free functions zeroise private material and accept NULL;
 *  - output buffers are caller-provided with an in/out length, except PEM text,
 *    which the backend allocates with wx_malloc (the caller frees with wx_free, or
 *    wx_free_secret for private keys);
 *  - every function returns WX_OK or a wx_err and fills err when it is not NULL;
 *    messages never contain key material.
 */
#ifndef WX_CRYPTO_BACKEND_H
#define WX_CRYPTO_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <wechatpay/common.h>
#include <wechatpay/crypto.h>

typedef struct wxc_privkey wxc_privkey;
typedef struct wxc_pubkey wxc_pubkey;

/* "mbedtls 2.28.3" / "openssl 3.0.19" style name of the backend and its version. */
const char *wxc_backend_name(void);
const char *wxc_backend_version(void);

/* Global, idempotent, thread-safe initialisation (RNG seeding). */
wx_err wxc_init(void);

wx_err wxc_random(void *buf, size_t len);
void wxc_sha256(const void *data, size_t len, unsigned char out[32]);
void wxc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32]);

/* PEM (or DER) private key: PKCS#1, PKCS#8, encrypted PKCS#8 with password. RSA only.
 * Errors: WX_E_KEY with a message naming the problem ("a certificate, not a private
 * key", "wrong password", "not an RSA key", "not PEM", "corrupt key"). */
wx_err wxc_privkey_parse(const char *pem, size_t len, const char *password,
                         wxc_privkey **out, wx_error_t *err);
void wxc_privkey_free(wxc_privkey *k);
size_t wxc_privkey_bytes(const wxc_privkey *k);   /* modulus length in bytes */

/* Certificate or public key PEM (or DER). For a certificate, serial receives the
 * upper-case hex serial (no separators, leading zero bytes dropped) and the validity
 * period as UNIX times; for a bare key, serial[0] = 0 and times are 0. */
wx_err wxc_pubkey_parse(const char *pem, size_t len, wxc_pubkey **out, char serial[128],
                        int64_t *not_before, int64_t *not_after, wx_error_t *err);
void wxc_pubkey_free(wxc_pubkey *k);
size_t wxc_pubkey_bytes(const wxc_pubkey *k);
wx_err wxc_pubkey_from_privkey(const wxc_privkey *k, wxc_pubkey **out, wx_error_t *err);
int wxc_keys_match(const wxc_privkey *priv, const wxc_pubkey *pub);

/* SHA256withRSA PKCS#1 v1.5 over a precomputed SHA-256 digest. *sig_len is the
 * capacity on entry (>= key bytes) and the signature length on return. */
wx_err wxc_rsa_sign_sha256(const wxc_privkey *k, const unsigned char hash[32],
                           unsigned char *sig, size_t *sig_len, wx_error_t *err);
/* WX_OK or WX_E_VERIFY_SIGNATURE. */
wx_err wxc_rsa_verify_sha256(const wxc_pubkey *k, const unsigned char hash[32],
                             const unsigned char *sig, size_t sig_len, wx_error_t *err);

/* RSA-OAEP with SHA-1 and MGF1-SHA-1, empty label. *out_len: capacity in, length out.
 * Decrypt failures are WX_E_DECRYPT. */
wx_err wxc_rsa_oaep_encrypt(const wxc_pubkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err);
wx_err wxc_rsa_oaep_decrypt(const wxc_privkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err);

/* AES-256-GCM with a 16-byte tag; out has room for in_len bytes. Decrypt returns
 * WX_E_DECRYPT when the tag does not match (and leaves out zeroed). */
wx_err wxc_aes256gcm_encrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len,
                             const unsigned char *in, size_t in_len,
                             unsigned char *out, unsigned char tag[16], wx_error_t *err);
wx_err wxc_aes256gcm_decrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len,
                             const unsigned char *in, size_t in_len,
                             const unsigned char tag[16], unsigned char *out, wx_error_t *err);

/* Key and certificate generation (tests, sandbox, `wxpay keys gen`). PEM outputs are
 * allocated with wx_malloc; the private key PEM must be freed with wx_free_secret. */
wx_err wxc_rsa_generate(unsigned bits, char **pkcs8_pem, wx_error_t *err);
wx_err wxc_cert_create(const wxc_privkey *subject_key, const wx_cert_spec_t *spec,
                       const wxc_privkey *issuer_key, char **cert_pem, wx_error_t *err);
wx_err wxc_pubkey_pem(const wxc_privkey *k, char **pem, wx_error_t *err);

#endif
