/**
 * @file crypto.h
 * @brief The APIv3 security toolkit: merchant private keys, platform certificates and
 *        public keys, SHA256withRSA, RSA-OAEP for sensitive fields, AEAD_AES_256_GCM for
 *        callbacks and certificate downloads.
 *
 * Backed by OpenSSL or mbedTLS, chosen at build time (wx_crypto_backend(); OpenSSL 3 when
 * it is installed, unless the build forces mbedTLS).
 * Private key material is zeroised when freed and never appears in error messages.
 * Strings and buffers returned through `char **`/`void **` are the caller's, to be
 * freed with wx_free() (for decrypted plaintext, wx_free_secret() zeroises first).
 * @threadsafety Key objects are immutable after loading and may be shared between
 *               threads; every function here is safe to call concurrently.
 */
#ifndef WECHATPAY_CRYPTO_H
#define WECHATPAY_CRYPTO_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wx_privkey wx_privkey_t;
typedef struct wx_pubkey wx_pubkey_t;

/**
 * @brief Load an RSA private key from PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8
 *        "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY").
 * @param pem text (borrowed; need not be NUL-terminated), @p len bytes.
 * @param password for an encrypted key, else NULL (ignored for a plain key).
 * @return WX_OK; WX_E_KEY with a message saying which: not PEM, a certificate or public
 *         key given where a private key is needed, no or wrong password, not RSA,
 *         corrupt (also numbers that do not make a working key: checked on load).
 */
WX_API WX_NODISCARD wx_err wx_privkey_load(const char *pem, size_t len, const char *password,
                                            wx_privkey_t **out, wx_error_t *err);
/** @brief As wx_privkey_load() from a file; WX_E_IO names an unreadable path. */
WX_API WX_NODISCARD wx_err wx_privkey_load_file(const char *path, const char *password,
                                                 wx_privkey_t **out, wx_error_t *err);
/** @brief Zeroise and free. Accepts NULL. */
WX_API void wx_privkey_free(wx_privkey_t *key);

/**
 * @brief Load a verification key: an X.509 certificate ("CERTIFICATE") or a public key
 *        ("PUBLIC KEY", "RSA PUBLIC KEY").
 * @return WX_OK; WX_E_KEY (a private key given, corrupt, not RSA).
 */
WX_API WX_NODISCARD wx_err wx_pubkey_load(const char *pem, size_t len, wx_pubkey_t **out,
                                           wx_error_t *err);
/** @brief As wx_pubkey_load() from a file. */
WX_API WX_NODISCARD wx_err wx_pubkey_load_file(const char *path, wx_pubkey_t **out,
                                                wx_error_t *err);
/** @brief The public half of a private key (for tests and key checks). */
WX_API WX_NODISCARD wx_err wx_pubkey_from_privkey(const wx_privkey_t *key, wx_pubkey_t **out,
                                                   wx_error_t *err);
/** @brief Free. Accepts NULL. */
WX_API void wx_pubkey_free(wx_pubkey_t *key);
/** @brief Certificate serial as upper-case hex, two digits a byte, exactly as
 *         `openssl x509 -serial` prints it and WeChat Pay shows it ("5157F09E...",
 *         "0A1B"); borrowed, lives as long as @p key; NULL for a bare public key. */
WX_API const char *wx_pubkey_serial(const wx_pubkey_t *key);
/** @brief Certificate validity as UNIX times; 0/0 for a bare public key. */
WX_API void wx_pubkey_validity(const wx_pubkey_t *key, int64_t *not_before, int64_t *not_after);
/** @brief 1 when @p pub is the public half of @p priv. */
WX_API int wx_keys_match(const wx_privkey_t *priv, const wx_pubkey_t *pub);

/**
 * @brief SHA256withRSA (PKCS#1 v1.5) over @p msg exactly as given.
 * @param sig_b64 receives the base64 signature (wx_free()).
 * @return WX_OK; WX_E_CRYPTO; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_rsa_sign(const wx_privkey_t *key, const void *msg, size_t len,
                                        char **sig_b64, wx_error_t *err);
/**
 * @brief Check a base64 SHA256withRSA signature.
 * @return WX_OK when it matches; WX_E_VERIFY_SIGNATURE when it does not or is not base64.
 */
WX_API WX_NODISCARD wx_err wx_rsa_verify(const wx_pubkey_t *key, const void *msg, size_t len,
                                          const char *sig_b64, wx_error_t *err);
/** @brief RSA-OAEP (SHA-1, MGF1-SHA-1) encryption; base64 result (wx_free()). */
WX_API WX_NODISCARD wx_err wx_rsa_oaep_encrypt(const wx_pubkey_t *key, const void *plain,
                                                size_t len, char **cipher_b64, wx_error_t *err);
/** @brief RSA-OAEP decryption of base64 input; @p plain gets a NUL-terminated buffer
 *         (wx_free_secret()). WX_E_DECRYPT when it does not decode. */
WX_API WX_NODISCARD wx_err wx_rsa_oaep_decrypt(const wx_privkey_t *key, const char *cipher_b64,
                                                char **plain, size_t *len, wx_error_t *err);
/**
 * @brief AEAD_AES_256_GCM decryption as in callbacks and certificate downloads:
 *        base64(ciphertext || 16-byte tag), 32-byte key, nonce and associated data as text.
 * @return WX_OK; WX_E_DECRYPT when the tag does not match; WX_E_INVALID_ARG for a key
 *         that is not 32 bytes.
 */
WX_API WX_NODISCARD wx_err wx_aes_gcm_decrypt(const char *key32, const char *nonce,
                                               const char *aad, const char *cipher_b64,
                                               char **plain, size_t *len, wx_error_t *err);
/** @brief Bytes from the CSPRNG. */
WX_API WX_NODISCARD wx_err wx_random_bytes(void *buf, size_t len);
/** @brief SHA-256 as 64 lower-case hex characters plus NUL. */
WX_API void wx_sha256_hex(const void *data, size_t len, char out[65]);
/** @brief SHA-1 as 40 lower-case hex characters plus NUL (bill digests: WeChat Pay
 *         announces `hash_type` SHA1). WX_E_NOMEM or WX_E_CRYPTO on failure. */
WX_API WX_NODISCARD wx_err wx_sha1_hex(const void *data, size_t len, char out[41]);
/** @brief Zeroise @p len bytes of @p ptr and free it. Accepts NULL. */
WX_API void wx_free_secret(void *ptr, size_t len);

/** @brief Base64 (standard alphabet, padded); result freed with wx_free(). */
WX_API WX_NODISCARD wx_err wx_base64_encode(const void *data, size_t len, char **out);
/** @brief Strict base64 decode (whitespace not allowed); WX_E_INVALID_ARG on bad input. */
WX_API WX_NODISCARD wx_err wx_base64_decode(const char *b64, size_t b64_len, unsigned char **out,
                                             size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
