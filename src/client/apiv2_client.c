/* A client's APIv2 credentials: the APIv2 key and the merchant TLS certificate, and
 * the callbacks checked with them. The certificate is read once, when the client is
 * made, so a missing or mismatched file is a configuration error then, not a TLS
 * failure at the first refund. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <string.h>

#include <wechatpay/apiv2.h>
#include <wechatpay/notify.h>

#include "client/client_internal.h"
#include "crypto/backend.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static void free_secret(char **p, size_t len)
{
    if (*p)
        wx_free_secret(*p, len ? len : strlen(*p));
    *p = NULL;
}

void wx_apiv2_free(wx_client_t *c)
{
    free_secret(&c->v2.key, 0);
    free_secret(&c->v2.cert, c->v2.cert_len);
    free_secret(&c->v2.cert_password, 0);
    free_secret(&c->v2.tls_key, c->v2.tls_key_len);
    free_secret(&c->v2.tls_key_password, 0);
}

static int looks_like_pem(const char *data, size_t len)
{
    return len > 11 && memmem(data, len, "-----BEGIN ", 11) != NULL;
}

/* A PEM certificate goes with the merchant private key: check that they belong
 * together, and keep the key's PEM for the TLS layer. */
static wx_err pem_cert(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    wx_pubkey_t *pub = NULL;
    wx_err rc = wx_pubkey_load(c->v2.cert, c->v2.cert_len, &pub, err);
    if (rc != WX_OK) {
        wx_error_prefix(err, "merchant_cert %s", o->merchant_cert_path);
        return rc;
    }
    if (!c->key) {
        wx_pubkey_free(pub);
        return wx_error_set(err, WX_E_CONFIG, "merchant_cert",
                            "a PEM merchant_cert needs the merchant private key (private_key)");
    }
    int match = wxc_keys_match(wxc_privkey_of(c->key), wxc_pubkey_of(pub));
    wx_pubkey_free(pub);
    if (!match)
        return wx_error_set(err, WX_E_CONFIG, "merchant_cert",
                            "merchant_cert %s is not the certificate of the merchant private key",
                            o->merchant_cert_path);
    if (o->private_key_pem) {
        c->v2.tls_key_len = strlen(o->private_key_pem);
        c->v2.tls_key = wx_strndup(o->private_key_pem, c->v2.tls_key_len);
        if (!c->v2.tls_key)
            return wx_error_set(err, WX_E_NOMEM, "merchant_cert", NULL);
    } else if ((rc = wx_read_file_max(o->private_key_path, WX_MAX_KEY_FILE_BYTES, &c->v2.tls_key, &c->v2.tls_key_len, err)) !=
               WX_OK) {
        return rc;
    }
    if (o->private_key_password &&
        !(c->v2.tls_key_password = wx_strdup(o->private_key_password)))
        return wx_error_set(err, WX_E_NOMEM, "merchant_cert", NULL);
    return WX_OK;
}

wx_err wx_apiv2_setup(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    if (o->apiv2_key) {
        if (strlen(o->apiv2_key) != 32)
            return wx_error_set(err, WX_E_CONFIG, "apiv2_key",
                                "apiv2_key must be 32 characters, got %zu", strlen(o->apiv2_key));
        if (!(c->v2.key = wx_strdup(o->apiv2_key)))
            return wx_error_set(err, WX_E_NOMEM, "apiv2_key", NULL);
    }
    if (!o->merchant_cert_path)
        return WX_OK;
    wx_err rc = wx_read_file_max(o->merchant_cert_path, WX_MAX_KEY_FILE_BYTES, &c->v2.cert, &c->v2.cert_len, err);
    if (rc != WX_OK) {
        if (err)
            snprintf(err->where, sizeof err->where, "merchant_cert");
        return rc;
    }
    if (looks_like_pem(c->v2.cert, c->v2.cert_len))
        return pem_cert(c, o, err);
    /* Not PEM: a PKCS#12 file, opened by the TLS library with its passphrase. */
    c->v2.cert_is_p12 = 1;
    if (o->merchant_cert_password && !(c->v2.cert_password = wx_strdup(o->merchant_cert_password)))
        return wx_error_set(err, WX_E_NOMEM, "merchant_cert_password", NULL);
    return WX_OK;
}

wx_err wx_v2_notify_verify(wx_client_t *c, const char *body, size_t len,
                           wx_v2_notification_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!c)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "client is required");
    if (!c->v2.key)
        return wx_error_set(err, WX_E_CONFIG, "apiv2_key",
                            "the APIv2 key (apiv2_key) is needed for APIv2 callbacks");
    return wx_v2_notify_verify_with(c->v2.key, body, len, out, err);
}
