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
wx_err wx_apiv3_check(wx_keyring_t *ring, int max_skew_s, int64_t now, const char *timestamp,
                      const char *nonce, const char *signature, const char *serial,
                      const char *body, size_t body_len, wx_error_t *err);

/* Case-insensitive header lookup in a {NULL,NULL}-terminated list. */
const char *wx_kv_find_ci(const wx_kv_t *kv, const char *name);

#endif
