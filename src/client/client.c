/* Creating and freeing a client: keys, verifier, transport, spec tree, route cache. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

#include "client/client_internal.h"
#include "client/send.h"
#include "sign/sign_internal.h"
#include "crypto/backend.h"
#include "transport/curl_transport.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/struct_version.h"

#define WX_DEFAULT_BASE_URL "https://api.mch.weixin.qq.com/"

static int64_t default_clock(void *ud) { return (int64_t)time(NULL); }

int64_t wx_client_now(wx_client_t *c) { return c->clock(c->clock_ud); }

const char *wx_client_mchid(const wx_client_t *c) { return c ? c->mchid : NULL; }

wx_keyring_t *wx_client_keyring(wx_client_t *c) { return c ? c->ring : NULL; }

wx_call_thread *wx_client_thread(wx_client_t *c) { return wx_thread_map_get(c->threads); }

wx_route_cache *wx_client_routes(wx_client_t *c) { return c->routes; }

/* "https://host" -> "https://host/"; NULL when it is not an http(s) URL. */
static char *normalise_base_url(const char *url)
{
    if (wx_strncasecmp_ascii(url, "http://", 7) != 0 && wx_strncasecmp_ascii(url, "https://", 8) != 0)
        return NULL;
    size_t n = strlen(url);
    if (wx_has_crlf_nul(url, n) || strchr(url, ' ') || strchr(url, '?') || strchr(url, '#'))
        return NULL;
    /* No path: the signature covers the path the server sees, which a base path would
       change ("https://host/v3/" + "/v3/..." is not what was signed). */
    const char *slash = strchr(strstr(url, "://") + 3, '/');
    if (slash && slash[1])
        return NULL;
    char *p = wx_malloc(n + 2);
    if (!p)
        return NULL;
    memcpy(p, url, n);
    if (n && url[n - 1] != '/')
        p[n++] = '/';
    p[n] = 0;
    return p;
}

/* Frees everything; custom plugins only when owned (taken = 1). */
static void client_destroy(wx_client_t *c, int taken)
{
    if (!c)
        return;
    if (c->tshare && taken) {
        if (atomic_fetch_sub(&c->tshare->refs, 1) == 1) {
            /* The transport goes first: it drops transfers that point into our calls. */
            wx_transport_free(c->tshare->transport);
            wx_free(c->tshare);
            if (c->threads)
                wx_client_cancel_all(c, 0);
        } else if (c->threads) {
            wx_client_cancel_all(c, 1); /* others still use the transport */
        }
        c->tshare = NULL;
        c->transport = NULL;
    }
    if (c->threads) {
        wx_thread_map_free(c->threads);
        c->threads = NULL;
    }
    wx_route_cache_free(c->routes);
    if (c->cert_lock_ready)
        pthread_mutex_destroy(&c->cert_lock);
    if (taken) {
        wx_signer_free(c->signer);
        wx_verifier_free(c->verifier);
    }
    wx_keyring_free(c->ring);
    wx_privkey_free(c->key);
    wx_spec_free(c->spec);
    if (c->apiv3_key)
        wx_free_secret(c->apiv3_key, strlen(c->apiv3_key));
    wx_apiv2_free(c);
    wx_free(c->mchid);
    wx_free(c->serial);
    wx_free(c->base_url);
    wx_free(c->backup_base_url);
    wx_free(c->user_agent);
    wx_free(c);
}

static wx_err load_key(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    wx_err rc;
    if (o->private_key_pem)
        rc = wx_privkey_load(o->private_key_pem, strlen(o->private_key_pem),
                             o->private_key_password, &c->key, err);
    else
        rc = wx_privkey_load_file(o->private_key_path, o->private_key_password, &c->key, err);
    /* A file's problem already names the file. */
    if (rc != WX_OK && rc != WX_E_NOMEM && rc != WX_E_IO)
        wx_error_prefix(err, "merchant private key");
    return rc;
}

static wx_err load_platform_keys(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    c->ring = wx_keyring_new();
    if (!c->ring)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    /* judged by the real clock; an injected (test) clock leaves validity unjudged */
    int64_t now = o->clock ? 0 : (int64_t)time(NULL);
    wx_error_t dated = {0};
    size_t current = 0;
    for (size_t i = 0; o->platform && (o->platform[i].serial || o->platform[i].pem); i++) {
        const wx_platform_key_t *k = &o->platform[i];
        if (!k->serial || !*k->serial || !k->pem)
            return wx_error_set(err, WX_E_CONFIG, "platform",
                                "platform key %zu needs a serial (or PUB_KEY_ID_...) and a PEM", i);
        wx_pubkey_t *key = NULL;
        wx_error_t why = {0};
        wx_err rc = wx_platform_key_load(k->serial, k->pem, now, &key, &why);
        if (rc == WX_E_KEY && key && !now)
            rc = WX_OK;
        if (rc == WX_E_KEY && key && !dated.code) /* out of its validity: kept for now */
            dated = why;
        else if (rc != WX_OK)
            return wx_pubkey_free(key), wx_error_copy(err, &why), rc;
        current += rc == WX_OK;
        if ((rc = wx_keyring_add(c->ring, k->serial, key)) != WX_OK)
            return wx_error_set(err, rc, "", "out of memory");
    }
    /* An expired or future certificate is a rotation beside a current key; alone it is
       a mistake. */
    if (dated.code && !current)
        return wx_error_copy(err, &dated), dated.code;
    c->verifier = wx_verifier_apiv3(c->ring, o->max_clock_skew_s);
    return c->verifier ? WX_OK : wx_error_set(err, WX_E_NOMEM, "", "out of memory");
}

static wx_err make_user_agent(wx_client_t *c, const wx_client_options_t *o)
{
    wx_buf ua = WX_BUF_INIT;
    wx_buf_printf(&ua, "wechatpay-c/%s (%s; %s)", wx_version(), wxc_backend_version(),
                  wx_transport_curl_version());
    if (o->user_agent_suffix && *o->user_agent_suffix)
        wx_buf_printf(&ua, " %s", o->user_agent_suffix);
    if (wx_has_crlf_nul(wx_buf_str(&ua), ua.len)) {
        wx_buf_free(&ua);
        return WX_E_HEADER_VALUE;
    }
    c->user_agent = wx_buf_steal(&ua, NULL);
    return c->user_agent ? WX_OK : WX_E_NOMEM;
}

/* An identity goes into the Authorization header between quotes: letters, digits,
 * '-' and '_' only, so no value can add or end a parameter. */
static int identity_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* The size of each version of wx_client_options_t (common.h, "Growing structs"). */
static const size_t k_client_options_sizes[WX_CLIENT_OPTIONS_VERSION] = {
    offsetof(wx_client_options_t, max_clock_skew_s), offsetof(wx_client_options_t, validation),
    sizeof(wx_client_options_t)};

wx_err wx_client_options_import(wx_client_options_t *dst, const wx_client_options_t *src,
                                wx_error_t *err)
{
    wx_err rc = wx_struct_import(dst, sizeof *dst, src, k_client_options_sizes,
                                 WX_CLIENT_OPTIONS_VERSION, "wx_client_options_t", err);
    if (rc == WX_OK && dst->signer)
        rc = wx_struct_version_check(dst->signer->version, WX_SIGNER_VERSION, "wx_signer_t", err);
    if (rc == WX_OK && dst->verifier)
        rc = wx_struct_version_check(dst->verifier->version, WX_VERIFIER_VERSION, "wx_verifier_t",
                                     err);
    if (rc == WX_OK && dst->transport)
        rc = wx_struct_version_check(dst->transport->version, WX_TRANSPORT_VERSION,
                                     "wx_transport_t", err);
    return rc;
}

/* Options that cannot work, refused before anything is allocated. */
static wx_err check_options(const wx_client_options_t *o, wx_error_t *err)
{
    if (!o->signer) {
        if (!o->mchid || !*o->mchid)
            return wx_error_set(err, WX_E_CONFIG, "mchid", "mchid (merchant id) is required");
        if (!o->serial || !*o->serial)
            return wx_error_set(err, WX_E_CONFIG, "serial",
                                "serial (merchant certificate serial number) is required");
        if (!o->private_key_pem && !o->private_key_path)
            return wx_error_set(err, WX_E_CONFIG, "private_key",
                                "the merchant private key is required (PEM text or path)");
        if (!identity_ok(o->mchid))
            return wx_error_set(err, WX_E_CONFIG, "mchid",
                                "mchid may hold only letters, digits, '-' and '_'");
        if (!identity_ok(o->serial))
            return wx_error_set(err, WX_E_CONFIG, "serial",
                                "serial may hold only letters, digits, '-' and '_' (hex)");
    }
    if (o->apiv3_key && strlen(o->apiv3_key) != 32)
        return wx_error_set(err, WX_E_CONFIG, "apiv3_key",
                            "apiv3_key must be 32 bytes, got %zu", strlen(o->apiv3_key));
    if (o->auto_refresh_certificates && (!o->apiv3_key || o->verifier))
        return wx_error_set(err, WX_E_CONFIG, "auto_refresh_certificates",
                            "auto_refresh_certificates needs apiv3_key (to decrypt the "
                            "certificates) and the default verifier (to install them)");
    if (o->share_transport_of && o->transport)
        return wx_error_set(err, WX_E_CONFIG, "share_transport_of",
                            "give a transport or a client to share one with, not both");
    return WX_OK;
}

/* Who the client is and where it talks to: copies of the identity, the APIv3 key and
 * the (normalised) base URLs. */
static wx_err copy_identity(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    c->mchid = wx_strdup(o->mchid ? o->mchid : "");
    c->serial = wx_strdup(o->serial ? o->serial : "");
    if (!c->mchid || !c->serial || (o->apiv3_key && !(c->apiv3_key = wx_strdup(o->apiv3_key))))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    const char *base = o->base_url ? o->base_url : WX_DEFAULT_BASE_URL;
    if (!(c->base_url = normalise_base_url(base)))
        return wx_error_set(err, WX_E_CONFIG, "base_url",
                            "base_url must be an http:// or https:// URL without a path, got "
                            "\"%.200s\"", base);
    if (o->backup_base_url && !(c->backup_base_url = normalise_base_url(o->backup_base_url)))
        return wx_error_set(err, WX_E_CONFIG, "backup_base_url",
                            "backup_base_url must be an http:// or https:// URL");
    return WX_OK;
}

/* The merchant key (unless a custom signer), the platform keys (unless a custom
 * verifier), the APIv2 key and certificate. */
static wx_err load_credentials(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    wx_err rc = WX_OK;
    if (!o->signer)
        rc = load_key(c, o, err);
    if (rc == WX_OK && !o->verifier)
        rc = load_platform_keys(c, o, err);
    return rc == WX_OK ? wx_apiv2_setup(c, o, err) : rc;
}

/* Limits, hooks and injectables: the caller's value, or the default for zero. */
static void apply_settings(wx_client_t *c, const wx_client_options_t *o)
{
    c->validate_requests = !o->no_request_validation && o->validation != WX_VALIDATION_OFF;
    c->strict_requests = c->validate_requests && o->validation == WX_VALIDATION_STRICT;
    c->validate_responses = o->validate_responses;
    c->connect_timeout_ms =
        o->connect_timeout_ms > 0 ? o->connect_timeout_ms : WX_DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : WX_DEFAULT_TIMEOUT_MS;
    c->max_response_bytes =
        o->max_response_bytes ? o->max_response_bytes : WX_DEFAULT_MAX_RESPONSE_BYTES;
    c->low_speed_limit = o->low_speed_limit;
    c->low_speed_time_s = o->low_speed_time_s;
    c->max_retries = o->max_retries < 0 ? 0 : o->max_retries ? o->max_retries
                                                               : WX_DEFAULT_MAX_RETRIES;
    c->clock = o->clock ? o->clock : default_clock;
    c->clock_ud = o->clock_ud;
    c->nonce = o->nonce ? o->nonce : wx_default_nonce;
    c->nonce_ud = o->nonce_ud;
    c->debug = o->debug;
    c->debug_ud = o->debug_ud;
    c->auto_refresh_certs = o->auto_refresh_certificates;
    c->cert_margin_s = o->cert_refresh_margin_s > 0 ? o->cert_refresh_margin_s
                                                    : WX_DEFAULT_CERT_REFRESH_MARGIN_S;
}

/* What requests run on: the spec tree, the User-Agent, the locks, the route cache, the
 * per-thread state and a transport of its own (unless given or shared). */
static wx_err build_machinery(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err)
{
    wx_spec_options_t so = {.dirs = o->spec_dirs, .no_builtin = o->no_builtin_specs,
                            .no_env = o->no_env_spec_path};
    wx_err rc = wx_spec_new(&so, &c->spec, err);
    if (rc != WX_OK)
        return rc;
    if ((rc = make_user_agent(c, o)) != WX_OK)
        return wx_error_set(err, rc, "user_agent_suffix", "user_agent_suffix: %s", wx_strerror(rc));
    if (pthread_mutex_init(&c->cert_lock, NULL) != 0)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    c->cert_lock_ready = 1;
    if (!(c->routes = wx_route_cache_new(c->spec, c)) ||
        !(c->threads = wx_thread_map_new(c, wx_call_thread_create, wx_call_thread_destroy)))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    if (!o->transport && !o->share_transport_of) {
        wx_curl_settings cs = {o->ca_file, o->ca_path, o->proxy,
                               o->insecure_skip_tls_verify_DANGEROUS};
        if (!(c->transport = wx_transport_curl_with(&cs)))
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    if (!o->share_transport_of && !(c->tshare = wx_calloc(1, sizeof *c->tshare)))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    if (!o->signer && !(c->signer = wx_signer_apiv3(c->mchid, c->serial, c->key)))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    return WX_OK;
}

/* Nothing can fail from here on: take ownership of the caller's plugins. */
static void take_plugins(wx_client_t *c, const wx_client_options_t *o)
{
    if (o->signer)
        c->signer = o->signer;
    if (o->verifier)
        c->verifier = o->verifier;
    if (o->transport)
        c->transport = o->transport;
    if (o->share_transport_of) {
        c->tshare = o->share_transport_of->tshare;
        c->transport = c->tshare->transport;
        atomic_fetch_add(&c->tshare->refs, 1);
    } else {
        c->tshare->transport = c->transport;
        atomic_store(&c->tshare->refs, 1);
    }
}

/* A client that failed to build: free it, but plugins given by the caller stay the
 * caller's. */
static void discard(wx_client_t *c, const wx_client_options_t *o)
{
    if (o->signer)
        c->signer = NULL;
    if (o->verifier)
        c->verifier = NULL;
    wx_signer_free(c->signer);
    wx_verifier_free(c->verifier);
    c->signer = NULL;
    c->verifier = NULL;
    wx_transport_free(c->transport); /* only ever our own before take_plugins */
    c->transport = NULL;
    wx_free(c->tshare);
    c->tshare = NULL;
    client_destroy(c, 0);
}

wx_err wx_client_new(const wx_client_options_t *given, wx_client_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!given || !out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_client_new: options and out are required");
    wx_client_options_t own; /* the caller's options at this library's layout */
    if (wx_client_options_import(&own, given, err) != WX_OK)
        return WX_E_INVALID_ARG;
    const wx_client_options_t *o = &own;
    wx_error_clear(err);
    wx_err rc = check_options(o, err);
    if (rc != WX_OK)
        return rc;
    if ((rc = wxc_init()) != WX_OK)
        return wx_error_set(err, rc, "", "crypto backend could not start");
    wx_client_t *c = wx_calloc(1, sizeof *c);
    if (!c)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    apply_settings(c, o);
    if ((rc = copy_identity(c, o, err)) != WX_OK || (rc = load_credentials(c, o, err)) != WX_OK ||
        (rc = build_machinery(c, o, err)) != WX_OK) {
        discard(c, o);
        return rc;
    }
    take_plugins(c, o);
    wx_error_clear(err);
    *out = c;
    return WX_OK;
}

void wx_client_free(wx_client_t *c)
{
    /* With a shared transport the other threads' engines live on and would finish this
       client's requests after it is gone. */
    if (c && c->threads && c->tshare && atomic_load(&c->tshare->refs) > 1)
        wx_client_refuse_busy_free(c);
    client_destroy(c, 1);
}
