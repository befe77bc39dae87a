/* Internal helpers of the sign layer shared with the client pipeline. */
#ifndef WX_SIGN_INTERNAL_H
#define WX_SIGN_INTERNAL_H

#include <wechatpay/plugin.h>
#include "util/buf.h"

/* Append `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`. */
void wx_sign_message_to(wx_buf *out, const wx_sign_input_t *in);
/* Append `TIMESTAMP\nNONCE\nBODY\n` (responses and callback notifications). */
void wx_verify_message_to(wx_buf *out, const char *timestamp, const char *nonce,
                          const char *body, size_t body_len);

/* Verify the four Wechatpay-* values against a keyring (shared by the response
 * verifier and notification handling). Error codes as wx_verifier_apiv3's. */
wx_err wx_apiv3_check(wx_keyring_t *ring, int64_t max_skew_s, int64_t now, const char *timestamp,
                      const char *nonce, const char *signature, const char *serial,
                      const char *body, size_t body_len, wx_error_t *err);

/* keyring.c, for the security toolkit (sensitive fields, certificate rotation). */
typedef wx_err (*wx_keyring_use_fn)(void *ud, const char *id, const wx_pubkey_t *key,
                                    wx_error_t *err);
/* Call @p fn with the key @p id, or with the current encryption key when id is NULL
 * (wechatpay/sensitive.h: the PUB_KEY_ID_ key added last, else the certificate valid at
 * @p now that came into force last), under the ring's read lock, so the key cannot be
 * retired meanwhile. WX_E_KEY when there is no such key; else what fn returns. */
wx_err wx_keyring_use(wx_keyring_t *ring, const char *id, int64_t now, wx_keyring_use_fn fn,
                      void *ud, wx_error_t *err);
/* The earliest end of validity among the certificates (not public keys); 0 if none. */
int64_t wx_keyring_nearest_expiry(wx_keyring_t *ring);
/* Retire certificates whose validity ended before @p now (public keys stay). Returns
 * how many went. */
size_t wx_keyring_drop_expired(wx_keyring_t *ring, int64_t now);

/* platform_key.c: load a configured platform key (PEM of a certificate or a public
 * key) under @p id. A certificate whose serial is not @p id (ids starting PUB_KEY_ID_
 * name public keys) is WX_E_CONFIG; one not valid at @p now is WX_E_KEY with *out set
 * (the caller decides: beside a current key it is a rotation); err->where is
 * "platform.ID". The caller frees *out also on error. */
wx_err wx_platform_key_load(const char *id, const char *pem, int64_t now, wx_pubkey_t **out,
                            wx_error_t *err);

/* platform_certs.c */
struct wx_cert_set;
/* Record which key signed the download a set came from. */
void wx_cert_set_signer_set(struct wx_cert_set *set, const char *serial);
/* RFC 3339 date-time ("2018-06-08T10:34:56+08:00") to UNIX seconds; 0 if malformed. */
int wx_rfc3339_parse(const char *s, int64_t *out);

#endif
