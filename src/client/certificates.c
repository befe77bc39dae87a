/* Platform certificates for a client: download GET /v3/certificates, check it (through
 * wx_certificates_decrypt), verify the download's own signature, install into the
 * keyring, save as PEM files; and the automatic refreshes (before a request when a
 * certificate nears its expiry, and when a response names an unknown serial). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wechatpay/certificates.h>

#include "client/client_internal.h"
#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/struct_version.h"

/* An unknown serial refreshes at most this often, so a stream of forged responses
 * cannot turn into a stream of downloads. */
#define SERIAL_REFRESH_INTERVAL_S 60
/* A certificate near its expiry refreshes at most this often (until WeChat Pay
 * publishes its successor, every request would ask otherwise). */
#define MARGIN_REFRESH_INTERVAL_S 3600

/* ------------------------------------------------------------------ saving */

/* mkdir -p; certificates are public, so the folders are 0755. */
static wx_err make_dirs(const char *dir, wx_error_t *err)
{
    if (!*dir)
        return wx_error_set(err, WX_E_INVALID_ARG, "save_dir", "save_dir is empty");
    char *p = wx_strdup(dir);
    if (!p)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_err rc = WX_OK;
    for (char *s = p + 1; rc == WX_OK; s++) {
        if (*s && *s != '/')
            continue;
        char saved = *s;
        *s = 0;
        struct stat st;
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            rc = wx_error_set(err, WX_E_IO, dir, "cannot create %s: %s", p, strerror(errno));
        else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = wx_error_set(err, WX_E_IO, dir, "%s is not a folder", p);
        *s = saved;
        if (!saved)
            break;
    }
    wx_free(p);
    return rc;
}

/* DIR/SERIAL.pem, written to a temporary name and renamed: a reader never sees half. */
static wx_err save_pem(const char *dir, const wx_platform_cert_t *cert, wx_error_t *err)
{
    wx_buf path = WX_BUF_INIT, tmp = WX_BUF_INIT;
    wx_buf_printf(&path, "%s/%s.pem", dir, cert->serial);
    wx_buf_printf(&tmp, "%s/.%s.pem.tmp", dir, cert->serial);
    if (!wx_buf_ok(&path) || !wx_buf_ok(&tmp)) {
        wx_buf_free(&path);
        wx_buf_free(&tmp);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    wx_err rc = WX_OK;
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(cert->pem), off = 0;
    while (fd >= 0 && off < len) {
        ssize_t w = write(fd, cert->pem + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int saved_errno = errno;
    if (fd < 0 || off < len || close(fd) != 0 || rename(tmp.data, path.data) != 0) {
        if (fd < 0 || off < len)
            errno = saved_errno;
        rc = wx_error_set(err, WX_E_IO, path.data, "cannot write %s: %s", path.data,
                          strerror(errno));
        unlink(tmp.data);
    }
    wx_buf_free(&path);
    wx_buf_free(&tmp);
    return rc;
}

/* ------------------------------------------------------------------ the download */

static const wx_platform_cert_t *find_cert(const wx_cert_set_t *set, const char *serial)
{
    for (size_t i = 0; i < wx_cert_set_count(set); i++)
        if (strcmp(wx_cert_set_at(set, i)->serial, serial) == 0)
            return wx_cert_set_at(set, i);
    return NULL;
}

/* The download names a signing key the keyring does not hold yet (the first download,
 * or the first after WeChat Pay began signing with a new certificate). It is verified
 * with the certificate of that serial from the download itself. That is sound because
 * the certificate decrypted with the APIv3 key, which only WeChat Pay and the merchant
 * hold: AES-GCM authenticates it as WeChat Pay's, so a forger can neither slip in a
 * certificate of their own nor sign with one. */
static wx_err verify_bootstrap(const wx_response_t *r, const wx_cert_set_t *set, int64_t now,
                               wx_error_t *err)
{
    const char *serial = wx_response_header(r, "Wechatpay-Serial");
    const wx_platform_cert_t *cert = serial ? find_cert(set, serial) : NULL;
    if (!cert)
        return wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                            "the certificate download is signed with platform key %.64s, which "
                            "neither the keyring nor the download holds",
                            serial ? serial : "(none)");
    if (cert->state != WX_CERT_INSTALLED)
        return wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                            "the certificate download is signed with platform certificate "
                            "%.64s, which is %s", serial,
                            cert->state == WX_CERT_EXPIRED ? "expired" : "not valid yet");
    wx_keyring_t *one = wx_keyring_new();
    if (!one)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_err rc = wx_keyring_add_pem(one, serial, cert->pem, err);
    if (rc == WX_OK)
        rc = wx_apiv3_check(one, 300, now, wx_response_header(r, "Wechatpay-Timestamp"),
                            wx_response_header(r, "Wechatpay-Nonce"),
                            wx_response_header(r, "Wechatpay-Signature"), serial,
                            r->http.body.data ? r->http.body.data : "", r->http.body.len, err);
    wx_keyring_free(one);
    if (rc != WX_OK && rc != WX_E_NOMEM)
        wx_error_prefix(err, "certificate download");
    return rc;
}

static wx_err install(wx_client_t *c, const wx_cert_set_t *set, int64_t now, wx_error_t *err)
{
    for (size_t i = 0; i < wx_cert_set_count(set); i++) {
        const wx_platform_cert_t *cert = wx_cert_set_at(set, i);
        if (cert->state != WX_CERT_INSTALLED)
            continue;
        wx_err rc = wx_keyring_add_pem(c->ring, cert->serial, cert->pem, err);
        if (rc != WX_OK)
            return rc;
    }
    /* Older certificates stay until they expire: responses signed with either one
     * verify while WeChat Pay rotates. */
    wx_keyring_drop_expired(c->ring, now);
    return WX_OK;
}

/* One refresh; the caller holds cert_lock. */
static wx_err refresh_locked(wx_client_t *c, const wx_cert_refresh_options_t *o,
                             wx_cert_set_t **out, wx_error_t *err)
{
    if (!c->ring)
        return wx_error_set(err, WX_E_CONFIG, "verifier",
                            "platform certificates go into the default verifier's keyring; "
                            "this client has a custom verifier");
    if (!c->apiv3_key)
        return wx_error_set(err, WX_E_CONFIG, "apiv3_key",
                            "the APIv3 key (apiv3_key) is needed to decrypt platform "
                            "certificates");
    wx_error_t e;
    wx_error_clear(&e);
    wx_route *node = wx_route_at(c->routes, "v3/certificates", &e);
    if (!node) {
        wx_error_copy(err, &e);
        return e.code;
    }
    wx_call *call = wx_call_new(c);
    if (!call)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    call->answer.cert_download = 1;
    wx_response_t *r;
    wx_request_options_t ro = {.headers = o ? o->headers : NULL};
    if (wx_call_prepare(call, node, WX_GET, &ro) != WX_OK) {
        r = call->resp;
        call->resp = NULL;
        wx_call_free(call);
    } else {
        r = wx_call_run_sync(call);
    }
    wx_err rc = wx_response_err(r);
    int status = wx_response_status(r);
    /* Only a certificate list can vouch for its own signer: an error answer signed by
     * an unknown key stays unverified. */
    int bootstrap = rc == WX_E_VERIFY_SERIAL && status >= 200 && status < 300;
    if (rc != WX_OK && !bootstrap) {
        wx_error_copy(err, wx_response_error_detail(r));
        wx_error_prefix(err, "certificate download");
        wx_response_free(r);
        return rc;
    }
    int64_t now = wx_client_now(c);
    wx_cert_set_t *set = NULL;
    rc = wx_certificates_decrypt(c->apiv3_key, r->http.body.data ? r->http.body.data : "",
                                 r->http.body.len, now, &set, err);
    if (rc == WX_OK && bootstrap)
        rc = verify_bootstrap(r, set, now, err);
    if (rc == WX_OK)
        wx_cert_set_signer_set(set, wx_response_header(r, "Wechatpay-Serial"));
    wx_response_free(r);
    if (rc == WX_OK && !(o && o->no_install))
        rc = install(c, set, now, err);
    if (rc == WX_OK && o && o->save_dir) {
        rc = make_dirs(o->save_dir, err);
        for (size_t i = 0; rc == WX_OK && i < wx_cert_set_count(set); i++)
            rc = save_pem(o->save_dir, wx_cert_set_at(set, i), err);
    }
    if (rc == WX_OK && out)
        *out = set;
    else
        wx_cert_set_free(set);
    return rc;
}

wx_err wx_certificates_refresh(wx_client_t *c, const wx_cert_refresh_options_t *o,
                               wx_cert_set_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!c)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "client is required");
    if (o && o->version > WX_CERT_REFRESH_OPTIONS_VERSION)
        return wx_struct_version_check(o->version, WX_CERT_REFRESH_OPTIONS_VERSION,
                                       "wx_cert_refresh_options_t", err);
    wx_error_clear(err);
    pthread_mutex_lock(&c->cert_lock);
    c->cert_refreshed = 1;
    c->cert_refreshed_at = wx_client_now(c);
    wx_err rc = refresh_locked(c, o, out, err);
    pthread_mutex_unlock(&c->cert_lock);
    return rc;
}

/* ------------------------------------------------------------------ automatic */

int wx_certs_hold_for_serial(const wx_call *call)
{
    const wx_client_t *c = call->client;
    return call->answer.cert_download || (c->auto_refresh_certs && c->ring && c->apiv3_key);
}

/* A refresh is due when none ran within @p interval (a clock going back allows one). */
static int refresh_due(const wx_client_t *c, int64_t now, int64_t interval)
{
    return !c->cert_refreshed || now < c->cert_refreshed_at ||
           now - c->cert_refreshed_at >= interval;
}

wx_err wx_certs_refresh_for_serial(wx_client_t *c, const char *serial, wx_error_t *err)
{
    if (!serial || !c->ring)
        return wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                            "no Wechatpay-Serial to look for");
    wx_error_t e;
    wx_error_clear(&e);
    wx_err rc = WX_OK;
    pthread_mutex_lock(&c->cert_lock);
    int64_t now = wx_client_now(c), ago = now - c->cert_refreshed_at;
    if (wx_keyring_contains(c->ring, serial)) {
        /* another thread's refresh brought it meanwhile */
    } else if (!refresh_due(c, now, SERIAL_REFRESH_INTERVAL_S)) {
        rc = wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                          "signed with platform key %.64s, which is not configured (the platform "
                          "certificates were refreshed %" PRId64 " s ago without it)",
                          serial, ago);
    } else {
        c->cert_refreshed = 1;
        c->cert_refreshed_at = now;
        rc = refresh_locked(c, NULL, NULL, &e);
        if (rc != WX_OK)
            rc = wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                              "signed with platform key %.64s, which is not configured; "
                              "refreshing the platform certificates failed: %s",
                              serial, e.message);
        else if (!wx_keyring_contains(c->ring, serial))
            rc = wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                              "signed with platform key %.64s, which is not configured and not "
                              "among the platform certificates downloaded just now", serial);
    }
    pthread_mutex_unlock(&c->cert_lock);
    return rc;
}

void wx_certs_maintain(wx_client_t *c)
{
    if (!c->auto_refresh_certs || !c->ring || !c->apiv3_key)
        return;
    int64_t expiry = wx_keyring_nearest_expiry(c->ring);
    int64_t now = wx_client_now(c);
    if (!expiry || expiry - now > c->cert_margin_s)
        return;
    pthread_mutex_lock(&c->cert_lock);
    if (refresh_due(c, now, MARGIN_REFRESH_INTERVAL_S)) {
        c->cert_refreshed = 1;
        c->cert_refreshed_at = now;
        wx_error_t e;
        wx_error_clear(&e);
        /* A failure is not the request's: the certificates in hand are still valid
         * (or the response check will say so). The debug hook hears of it. */
        if (refresh_locked(c, NULL, NULL, &e) != WX_OK && c->debug) {
            wx_buf d = WX_BUF_INIT;
            wx_buf_printf(&d, "* platform certificate refresh failed: %s\n", e.message);
            if (wx_buf_ok(&d))
                c->debug(c->debug_ud, d.data, d.len);
            wx_buf_free(&d);
        }
    }
    pthread_mutex_unlock(&c->cert_lock);
}
