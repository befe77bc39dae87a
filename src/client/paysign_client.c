/* Cashier parameters signed with a client's merchant key, clock and nonce source
 * (tests inject the last two to compare with golden vectors). */
#include <wechatpay/paysign.h>

#include "client/client_internal.h"
#include "util/error.h"
#include "util/struct_version.h"

wx_err wx_paysign(wx_client_t *c, const wx_paysign_options_t *opts, char **json, wx_error_t *err)
{
    if (json)
        *json = NULL;
    if (!c || !opts || !json)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "paysign: client, options and out are "
                                                       "required");
    if (!c->key)
        return wx_error_set(err, WX_E_CONFIG, "private_key",
                            "paysign: this client has a custom signer and holds no merchant "
                            "private key");
    /* all of version 1; a later version is imported (util/struct_version.h) */
    if (opts->version > WX_PAYSIGN_OPTIONS_VERSION)
        return wx_struct_version_check(opts->version, WX_PAYSIGN_OPTIONS_VERSION,
                                       "wx_paysign_options_t", err);
    wx_paysign_options_t o = *opts;
    char nonce[64];
    if (!o.nonce) {
        wx_err rc = c->nonce(c->nonce_ud, nonce);
        if (rc != WX_OK)
            return wx_error_set(err, WX_E_SIGN, "nonce", "paysign: no nonce: %s",
                                wx_strerror(rc));
        o.nonce = nonce;
    }
    if (!o.timestamp)
        o.timestamp = wx_client_now(c);
    if (!o.partnerid && o.kind == WX_PAYSIGN_APP)
        o.partnerid = c->mchid;
    return wx_paysign_with(c->key, &o, json, err);
}
