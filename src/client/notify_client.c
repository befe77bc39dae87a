/* Notifications checked with a client's platform keys, APIv3 key and clock; with
 * auto_refresh_certificates an unknown Wechatpay-Serial refreshes the certificates
 * once, as for responses, and the check is repeated against the refreshed set. */
#include <wechatpay/notify.h>

#include "client/client_internal.h"
#include "util/error.h"
#include "util/strutil.h"

wx_err wx_notify_verify(wx_client_t *c, const wx_kv_t *headers, const char *body,
                        size_t body_len, wx_notification_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!c)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "client is required");
    if (!c->ring)
        return wx_error_set(err, WX_E_CONFIG, "verifier",
                            "notifications are checked with the default verifier's keyring; "
                            "this client has a custom verifier");
    if (!c->apiv3_key)
        return wx_error_set(err, WX_E_CONFIG, "apiv3_key",
                            "the APIv3 key (apiv3_key) is needed to decrypt notifications");
    wx_err rc = wx_notify_verify_with(c->ring, c->apiv3_key, wx_client_now(c), headers, body,
                                      body_len, out, err);
    if (rc != WX_E_VERIFY_SERIAL || !c->auto_refresh_certs)
        return rc;
    wx_error_t e;
    wx_error_clear(&e);
    if (wx_certs_refresh_for_serial(c, wx_kv_find_ci(headers, "Wechatpay-Serial"), &e) != WX_OK) {
        wx_error_copy(err, &e);
        wx_error_prefix(err, "notification");
        return WX_E_VERIFY_SERIAL;
    }
    return wx_notify_verify_with(c->ring, c->apiv3_key, wx_client_now(c), headers, body,
                                 body_len, out, err);
}

wx_err wx_notify_verify_guarded(wx_client_t *c, wx_notify_guard_t *guard, const wx_kv_t *headers,
                                const char *body, size_t body_len, wx_notification_t **out,
                                wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!guard)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "guard is required");
    wx_err rc = wx_notify_verify(c, headers, body, body_len, out, err);
    if (rc != WX_OK)
        return rc;
    rc = wx_notify_guard_admit(guard, (*out)->id, (*out)->timestamp, wx_client_now(c), err);
    if (rc != WX_OK) {
        wx_notification_free(*out);
        *out = NULL;
    }
    return rc;
}
