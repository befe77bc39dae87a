/* A configured platform key is checked before it is trusted: a certificate must be
 * the one its configured serial names and valid now (the key size is checked by the
 * loader: under 2048 bits is refused). A wrong serial would make every answer fail
 * verification with a misleading reason; an expired certificate is one WeChat Pay no
 * longer signs with. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sign/sign_internal.h"
#include "util/error.h"
#include "util/strutil.h"

static void utc_text(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
    else
        snprintf(out, 32, "%lld", (long long)t);
}

static wx_err check_cert(const char *id, const wx_pubkey_t *key, int64_t now, wx_error_t *err)
{
    char where[160];
    snprintf(where, sizeof where, "platform.%.140s", id);
    const char *serial = wx_pubkey_serial(key);
    if (strncmp(id, "PUB_KEY_ID_", 11) != 0 && wx_strcasecmp_ascii(serial, id) != 0)
        return wx_error_set(err, WX_E_CONFIG, where,
                            "platform certificate %.64s: its own serial is %.64s, not the "
                            "configured one",
                            id, serial);
    int64_t nb, na;
    char when[32];
    wx_pubkey_validity(key, &nb, &na);
    if (nb && now < nb) {
        utc_text(nb, when);
        return wx_error_set(err, WX_E_KEY, where,
                            "platform certificate %.64s is not valid yet (from %s)", id, when);
    }
    if (na && now > na) {
        utc_text(na, when);
        return wx_error_set(err, WX_E_KEY, where, "platform certificate %.64s expired on %s",
                            id, when);
    }
    return WX_OK;
}

wx_err wx_platform_key_load(const char *id, const char *pem, int64_t now, wx_pubkey_t **out,
                            wx_error_t *err)
{
    *out = NULL;
    wx_pubkey_t *key = NULL;
    /* *out is set also when only the validity is wrong (see sign_internal.h) */
    wx_err rc = wx_pubkey_load(pem, strlen(pem), &key, err);
    if (rc != WX_OK) {
        if (err) {
            wx_error_prefix(err, "platform key %.64s", id);
            snprintf(err->where, sizeof err->where, "platform.%.140s", id);
        }
        return rc;
    }
    *out = key;
    return wx_pubkey_serial(key) ? check_cert(id, key, now, err) : WX_OK;
}
