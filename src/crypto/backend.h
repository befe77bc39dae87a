/*
 * The crypto seam. Everything above it (sign/, client, the public crypto.h wrappers in
 * keys.c) calls only these functions; exactly one backend file implements the
 * "backend" part: mbedtls.c (default, mbedTLS 2.28 and 3.x) or openssl.c (OpenSSL
 * 1.1.1 / 3.x). common.c provides the "shared" part to both backends and to keys.c.
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
 *    messages never contain key material;
 *  - every function is safe to call concurrently from any number of threads, and
 *    initialises the backend on first use (wxc_init() need not be called first).
 */
#ifndef WX_CRYPTO_BACKEND_H
#define WX_CRYPTO_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <wechatpay/common.h>
#include <wechatpay/crypto.h>
#include <wechatpay/sys/crypto.h>

typedef struct wxc_privkey wxc_privkey;
typedef struct wxc_pubkey wxc_pubkey;

/* Largest RSA modulus the seam handles, in bytes (8192 bits): callers size signature
 * and OAEP buffers with it. */
#define WXC_RSA_MAX_BYTES 1024

/* ------------------------------------------------------------------ backend */

/* "mbedtls" / "openssl"; and the name with the linked library's version, in
 * User-Agent style: "mbedtls/2.28.3", "openssl/3.0.19". Static strings. */
const char *wxc_backend_name(void);
const char *wxc_backend_version(void);

/* Global, idempotent, thread-safe initialisation (RNG seeding). */
wx_err wxc_init(void);

wx_err wxc_random(void *buf, size_t len);
void wxc_sha256(const void *data, size_t len, unsigned char out[32]);
/* Incremental hashing for data that is streamed (bill downloads). alg is
 * WXC_HASH_SHA1 or WXC_HASH_SHA256; wxc_hash_final writes 20 or 32 bytes and frees the
 * context; wxc_hash_free frees one that was not finished. NULL on allocation failure. */
typedef struct wxc_hash wxc_hash;
enum { WXC_HASH_SHA1 = 1, WXC_HASH_SHA256 = 2 };
wxc_hash *wxc_hash_new(int alg);
void wxc_hash_update(wxc_hash *h, const void *data, size_t len);
size_t wxc_hash_final(wxc_hash *h, unsigned char out[32]);
void wxc_hash_free(wxc_hash *h);

/* PEM (or DER) private key: PKCS#1, PKCS#8, encrypted PKCS#8 with password. RSA only.
 * Errors: WX_E_KEY with one of the WXC_MSG_* texts below. */
wx_err wxc_privkey_parse(const char *pem, size_t len, const char *password,
                         wxc_privkey **out, wx_error_t *err);
void wxc_privkey_free(wxc_privkey *k);
size_t wxc_privkey_bytes(const wxc_privkey *k);   /* modulus length in bytes */

/* Certificate or public key PEM (or DER). For a certificate, serial receives the
 * upper-case hex serial (two digits a byte, the DER sign byte dropped: as
 * `openssl x509 -serial` prints it) and the validity period as UNIX times; for a bare
 * key, serial[0] = 0 and times are 0. */
wx_err wxc_pubkey_parse(const char *pem, size_t len, wxc_pubkey **out, char serial[128],
                        int64_t *not_before, int64_t *not_after, wx_error_t *err);
void wxc_pubkey_free(wxc_pubkey *k);
size_t wxc_pubkey_bytes(const wxc_pubkey *k);
wx_err wxc_pubkey_from_privkey(const wxc_privkey *k, wxc_pubkey **out, wx_error_t *err);
int wxc_keys_match(const wxc_privkey *priv, const wxc_pubkey *pub);

/* SHA256withRSA PKCS#1 v1.5 over a precomputed SHA-256 digest (CRT with blinding).
 * *sig_len is the capacity on entry (>= key bytes) and the signature length on return.
 * Allocation-free in the caller's sense and lock-free between threads as far as the
 * library allows: this is the signing hot path. */
wx_err wxc_rsa_sign_sha256(const wxc_privkey *k, const unsigned char hash[32],
                           unsigned char *sig, size_t *sig_len, wx_error_t *err);
/* WX_OK or WX_E_VERIFY_SIGNATURE. */
wx_err wxc_rsa_verify_sha256(const wxc_pubkey *k, const unsigned char hash[32],
                             const unsigned char *sig, size_t sig_len, wx_error_t *err);

/* RSA-OAEP with SHA-1 and MGF1-SHA-1, empty label. *out_len: capacity in, length out.
 * Encrypt: in_len <= key bytes - 42 (else WX_E_INVALID_ARG), capacity >= key bytes.
 * Decrypt: in_len == key bytes; failures are WX_E_DECRYPT. */
wx_err wxc_rsa_oaep_encrypt(const wxc_pubkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err);
wx_err wxc_rsa_oaep_decrypt(const wxc_privkey *k, const unsigned char *in, size_t in_len,
                            unsigned char *out, size_t *out_len, wx_error_t *err);

/* AES-256-GCM with a 16-byte tag; out has room for in_len bytes; iv_len >= 1. Decrypt
 * returns WX_E_DECRYPT when the tag does not match (and leaves out zeroed). */
wx_err wxc_aes256gcm_encrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len,
                             const unsigned char *in, size_t in_len,
                             unsigned char *out, unsigned char tag[16], wx_error_t *err);
wx_err wxc_aes256gcm_decrypt(const unsigned char key[32], const unsigned char *iv, size_t iv_len,
                             const unsigned char *aad, size_t aad_len,
                             const unsigned char *in, size_t in_len,
                             const unsigned char tag[16], unsigned char *out, wx_error_t *err);

/* APIv2 primitives. MD5 and HMAC-SHA256 cannot fail (a library without MD5 gives
 * zeros, which match no sign). wxc_aes256ecb_blocks runs whole 16-byte blocks without
 * padding (in may equal out); WX_E_INVALID_ARG when len is not a multiple of 16. */
void wxc_md5(const void *data, size_t len, unsigned char out[16]);
void wxc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32]);
wx_err wxc_aes256ecb_blocks(int enc, const unsigned char key[32], const unsigned char *in,
                            size_t len, unsigned char *out, wx_error_t *err);

/* Key and certificate generation (tests, sandbox, `wxpay keys gen`). PEM outputs are
 * allocated with wx_malloc; the private key PEM must be freed with wx_free_secret.
 * wxc_rsa_generate: 2048 <= bits <= 8192. wxc_cert_create takes a spec checked by
 * wxc_cert_spec_check() (keys.c does it): issuer_key NULL means self-signed. */
wx_err wxc_rsa_generate(unsigned bits, char **pkcs8_pem, wx_error_t *err);
wx_err wxc_cert_create(const wxc_privkey *subject_key, const wx_cert_spec_t *spec,
                       const wxc_privkey *issuer_key, char **cert_pem, wx_error_t *err);
wx_err wxc_pubkey_pem(const wxc_privkey *k, char **pem, wx_error_t *err);

/* ------------------------------------------------------------------- shared */

/* The words every backend uses for WX_E_KEY, so both name a problem the same way. */
#define WXC_MSG_NOT_PEM        "not a PEM key or certificate"
#define WXC_MSG_CERT_NOT_PRIV  "a certificate, not a private key"
#define WXC_MSG_PUB_NOT_PRIV   "a public key, not a private key"
#define WXC_MSG_PRIV_NOT_PUB   "a private key, not a certificate or public key"
#define WXC_MSG_NEED_PASSWORD  "the private key is encrypted and no password was given"
#define WXC_MSG_WRONG_PASSWORD "wrong password for the encrypted private key"
#define WXC_MSG_NOT_RSA        "not an RSA key"
#define WXC_MSG_CORRUPT_PRIV   "corrupt private key"
#define WXC_MSG_CORRUPT_PUB    "corrupt certificate or public key"
#define WXC_MSG_UNSUPPORTED_ENC "unsupported private key encryption"

/* First look at key input, before a backend parses it: finds the PEM block a private
 * (want_private) or public key load would use and rejects the wrong kind with the
 * WXC_MSG_* text. Input without PEM armour passes only when it looks like DER. */
wx_err wxc_pem_check(const char *pem, size_t len, int want_private, wx_error_t *err);

/* Sign and verify one digest with a freshly parsed key: corruption inside the numbers
 * leaves the ASN.1 intact, so only using the key shows it. WX_E_KEY "corrupt private
 * key" when the signature does not verify. Both backends call it at the end of
 * wxc_privkey_parse. */
wx_err wxc_privkey_selftest(const wxc_privkey *k, wx_error_t *err);

/* 1 when the PEM text holds an encrypted private key (PKCS#8 or legacy Proc-Type). */
int wxc_pem_is_encrypted(const char *pem, size_t len);

/* Upper-case hex of an unsigned big-endian integer as certificates show serials:
 * leading zero bytes dropped, two digits a byte, "00" for zero. out: 2*len+3 bytes,
 * truncated (still NUL-terminated) to out_size. */
void wxc_serial_hex(const unsigned char *bytes, size_t len, char *out, size_t out_size);

/* Civil UTC date and time to UNIX seconds (no time zone, no leap seconds). */
int64_t wxc_utc_to_unix(int year, int mon, int day, int hour, int min, int sec);

/* Validate a certificate spec and fill in its defaults: times (0/0 -> now-1h .. now+10
 * years), serial (NULL -> 20 random bytes) normalised to upper-case hex with an even
 * number of digits into serial_buf. On WX_OK *out is a copy of *in with those fixed. */
wx_err wxc_cert_spec_check(const wx_cert_spec_t *in, wx_cert_spec_t *out, char serial_buf[48],
                           wx_error_t *err);

/* AES-256-ECB with PKCS#7 padding (aes_ecb.c, on wxc_aes256ecb_blocks). *out_len is
 * the capacity in and the length out. Encrypt: capacity >= (in_len/16 + 1) * 16 (in may
 * equal out). Decrypt: capacity >= in_len; WX_E_DECRYPT when in_len is not whole blocks
 * or the padding is wrong (out is zeroed then). */
wx_err wxc_aes256ecb_encrypt(const unsigned char key[32], const unsigned char *in, size_t in_len,
                             unsigned char *out, size_t *out_len, wx_error_t *err);
wx_err wxc_aes256ecb_decrypt(const unsigned char key[32], const unsigned char *in, size_t in_len,
                             unsigned char *out, size_t *out_len, wx_error_t *err);

/* The seam objects behind the public key types (keys.c), for layers that sign or
 * verify on the hot path without the allocating public wrappers. Borrowed. */
const wxc_privkey *wxc_privkey_of(const wx_privkey_t *key);
const wxc_pubkey *wxc_pubkey_of(const wx_pubkey_t *key);

#endif
