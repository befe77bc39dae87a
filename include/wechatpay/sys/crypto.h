/**
 * @file sys/crypto.h
 * @brief Test keys and certificates, and AEAD encryption, for the sandbox and the tests.
 *        Key objects and freeing rules are those of wechatpay/crypto.h.
 *
 * UNSTABLE: a header of `wechatpay/sys/` (as libgit2's `git2/sys/`): it serves the
 * `wxpay` tool, the sandbox and the tests, and may change or go in any release, also
 * a patch release. Applications use the headers of `wechatpay/` and nothing here.
 */
#ifndef WECHATPAY_SYS_CRYPTO_H
#define WECHATPAY_SYS_CRYPTO_H

#include <stdint.h>

#include "../crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The reverse of wx_aes_gcm_decrypt() (the sandbox and tests use it). */
WX_API WX_NODISCARD wx_err wx_aes_gcm_encrypt(const char *key32, const char *nonce,
                                               const char *aad, const void *plain, size_t len,
                                               char **cipher_b64, wx_error_t *err);

/** What to put in a generated test certificate. */
typedef struct wx_cert_spec {
    const char *subject_cn;        /**< common name */
    const char *serial_hex;        /**< serial in hex, at most 40 digits ("3C9A..."); NULL:
                                        20 random bytes, as WeChat Pay's serials are */
    int64_t not_before, not_after; /**< UNIX times; 0/0 = now-1h .. now+10 years */
    int is_ca;                     /**< 1: CA:TRUE basic constraint */
    const char *dns_name;          /**< subjectAltName DNS, or NULL */
    const char *ip_address;        /**< subjectAltName IP ("127.0.0.1"), or NULL */
    const wx_privkey_t *issuer_key;/**< NULL: self-signed */
    const char *issuer_cert_pem;   /**< issuer certificate PEM when issuer_key is set */
} wx_cert_spec_t;

/**
 * @brief Generate an RSA private key (PKCS#8 PEM, wx_free_secret()) for tests and the
 *        sandbox. @p bits is 2048 or more.
 */
WX_API WX_NODISCARD wx_err wx_rsa_generate(unsigned bits, char **key_pem, wx_error_t *err);

/** @brief Create an X.509 v3 certificate for @p key (PEM, wx_free()). */
WX_API WX_NODISCARD wx_err wx_cert_create(const wx_privkey_t *key, const wx_cert_spec_t *spec,
                                           char **cert_pem, wx_error_t *err);

/** @brief The public key of @p key as "PUBLIC KEY" PEM (wx_free()). */
WX_API WX_NODISCARD wx_err wx_pubkey_pem(const wx_privkey_t *key, char **pem, wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
