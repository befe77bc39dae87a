#define _GNU_SOURCE
#include "test_mock_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------------------ keys */

keys K;
wxt_mock M;

static char *read_in(const char *dir, const char *name)
{
    char *p = wxt_path(dir, name);
    char *d = wxt_read_file(p, NULL);
    if (!d)
        fail_msg("cannot read %s", p);
    free(p);
    return d;
}

void keys_load(keys *k, const char *dir)
{
    memset(k, 0, sizeof *k);
    k->dir = strdup(dir);
    char *p = wxt_path(dir, "CONFIG.json");
    struct json_object *c = json_object_from_file(p), *v, *plat;
    free(p);
    assert_non_null(c);
    json_object_object_get_ex(c, "mchid", &v);
    k->mchid = strdup(json_object_get_string(v));
    json_object_object_get_ex(c, "serial", &v);
    k->serial = strdup(json_object_get_string(v));
    json_object_object_get_ex(c, "apiv3_key", &v);
    k->apiv3_key = strdup(json_object_get_string(v));
    assert_true(json_object_object_get_ex(c, "platform", &plat));
    json_object_object_foreach(plat, id, file) {
        (void)file;
        if (!strncmp(id, "PUB_KEY_ID_", 11))
            k->pubkey_id = strdup(id);
        else
            k->platform_serial = strdup(id);
    }
    json_object_put(c);
    wx_error_t err = {0};
    p = wxt_path(dir, "merchant_key.pem");
    assert_int_equal(wx_privkey_load_file(p, NULL, &k->merchant, &err), WX_OK);
    free(p);
    p = wxt_path(dir, "platform_cert.pem");
    assert_int_equal(wx_pubkey_load_file(p, &k->platform, &err), WX_OK);
    free(p);
    p = wxt_path(dir, "wechatpay_pub_key.pem");
    assert_int_equal(wx_pubkey_load_file(p, &k->pubkey, &err), WX_OK);
    free(p);
    k->platform_pem = read_in(dir, "platform_cert.pem");
}

void keys_free(keys *k)
{
    free(k->dir);
    free(k->mchid);
    free(k->serial);
    free(k->apiv3_key);
    free(k->platform_serial);
    free(k->pubkey_id);
    wx_privkey_free(k->merchant);
    wx_pubkey_free(k->platform);
    wx_pubkey_free(k->pubkey);
    free(k->platform_pem);
    memset(k, 0, sizeof *k);
}

/* ------------------------------------------------------------------ the test signer */

char *authorization(const char *method, const char *target, const char *body,
                           const sign_opts *o)
{
    sign_opts none = {0};
    if (!o)
        o = &none;
    char ts[32], nonce[33], *msg = NULL, *sig = NULL;
    snprintf(ts, sizeof ts, "%ld", (long)time(NULL) + o->skew);
    unsigned char raw[16];
    assert_int_equal(wx_random_bytes(raw, sizeof raw), WX_OK);
    for (int i = 0; i < 16; i++)
        snprintf(nonce + 2 * i, 3, "%02X", raw[i]);
    const char *b = o->signed_body ? o->signed_body : (body ? body : "");
    assert_true(asprintf(&msg, "%s\n%s\n%s\n%s\n%s\n", method, target, ts, nonce, b) > 0);
    wx_error_t err = {0};
    assert_int_equal(wx_rsa_sign(K.merchant, msg, strlen(msg), &sig, &err), WX_OK);
    char *h = NULL;
    assert_true(asprintf(&h,
                         "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\","
                         "signature=\"%s\",timestamp=\"%s\",serial_no=\"%s\"",
                         o->mchid ? o->mchid : K.mchid, nonce, sig, ts,
                         o->serial ? o->serial : K.serial) > 0);
    free(msg);
    wx_free(sig);
    return h;
}

/* ------------------------------------------------------------------ raw HTTP */

size_t test_mock_body_cb(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    r->body = realloc(r->body, r->len + sz * n + 1);
    memcpy(r->body + r->len, p, sz * n);
    r->len += sz * n;
    r->body[r->len] = 0;
    return sz * n;
}

size_t test_mock_header_cb(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    size_t len = sz * n;
    if (len > 5 && !strncmp(p, "HTTP/", 5))
        r->n_headers = 0; /* a new response (e.g. after 100 Continue) */
    const char *colon = memchr(p, ':', len);
    if (colon && r->n_headers < 64) {
        size_t kl = (size_t)(colon - p), vs = kl + 1;
        while (vs < len && p[vs] == ' ')
            vs++;
        size_t ve = len;
        while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n'))
            ve--;
        snprintf(r->headers[r->n_headers][0], 512, "%.*s", (int)kl, p);
        snprintf(r->headers[r->n_headers][1], 512, "%.*s", (int)(ve - vs), p + vs);
        r->n_headers++;
    }
    return len;
}

const char *hdr(const reply *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i][0], name))
            return r->headers[i][1];
    return NULL;
}

void reply_free(reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

CURL *g_curl; /* reused: keep-alive across requests */

/* Send METHOD base+target with the given body and extra header lines (NULL-ended);
 * auth: a full "Authorization: ..." line or NULL for none. */
void send_raw(const char *base, const char *method, const char *target, const char *body,
                     const char *auth, const char *const *extra, const char *cafile, reply *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = g_curl;
    curl_easy_reset(c);
    char url[1024];
    snprintf(url, sizeof url, "%.*s%s", (int)strlen(base) - 1, base, target);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (!strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    struct curl_slist *h = NULL;
    int own_type = 0;
    for (int i = 0; extra && extra[i]; i++)
        own_type |= !strncasecmp(extra[i], "Content-Type:", 13);
    if (!own_type)
        h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:");
    if (auth)
        h = curl_slist_append(h, auth);
    for (int i = 0; extra && extra[i]; i++)
        h = curl_slist_append(h, extra[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, test_mock_body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, test_mock_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (cafile)
        curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
    r->curl = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->new_connections);
    curl_slist_free_all(h);
}

/* A correctly signed request to the shared mock. */
void send_signed(const char *method, const char *target, const char *body,
                        const char *const *extra, reply *r)
{
    char *auth = authorization(method, target, body, NULL);
    send_raw(M.base_url, method, target, body, auth, extra, NULL, r);
    free(auth);
}

/* The response's Wechatpay-* headers verify against @p key; returns the wx_err. */
wx_err verify_with(const reply *r, const wx_pubkey_t *key)
{
    const char *ts = hdr(r, "Wechatpay-Timestamp"), *nonce = hdr(r, "Wechatpay-Nonce");
    const char *sig = hdr(r, "Wechatpay-Signature");
    if (!ts || !nonce || !sig)
        return WX_E_VERIFY_HEADER;
    char *msg = NULL;
    assert_true(asprintf(&msg, "%s\n%s\n%.*s\n", ts, nonce, (int)r->len, r->body ? r->body : "") > 0);
    wx_error_t err = {0};
    wx_err rc = wx_rsa_verify(key, msg, strlen(msg), sig, &err);
    free(msg);
    return rc;
}

/* Signed by the platform certificate with a fresh timestamp, as a client requires. */
void assert_verified(const reply *r)
{
    assert_int_equal(r->curl, CURLE_OK);
    const char *serial = hdr(r, "Wechatpay-Serial");
    assert_non_null(serial);
    assert_string_equal(serial, K.platform_serial);
    assert_int_equal(verify_with(r, K.platform), WX_OK);
    long ts = atol(hdr(r, "Wechatpay-Timestamp"));
    assert_true(labs(ts - (long)time(NULL)) <= 60);
    assert_non_null(hdr(r, "Request-ID"));
    const char *ct = hdr(r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/json"));
}

struct json_object *body_json(const reply *r)
{
    struct json_object *o = json_tokener_parse(r->body ? r->body : "");
    if (!o)
        fail_msg("body is not JSON: %s", r->body ? r->body : "(none)");
    return o;
}

const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

void assert_error(const reply *r, long status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_verified(r); /* errors are signed too, as WeChat Pay's are */
    struct json_object *o = body_json(r);
    assert_string_equal(jstr(o, "code"), code);
    assert_non_null(jstr(o, "message"));
    json_object_put(o);
}

int has_violation(struct json_object *detail, const char *needle)
{
    struct json_object *errors;
    if (!json_object_object_get_ex(detail, "errors", &errors))
        return 0;
    for (size_t i = 0; i < json_object_array_length(errors); i++) {
        const char *p = jstr(json_object_array_get_idx(errors, i), "path");
        if (p && strstr(p, needle))
            return 1;
    }
    return 0;
}

int test_mock_group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_curl = curl_easy_init();
    keys_load(&K, wxt_keys_dir());
    wxt_mock_start(&M, NULL);
    return 0;
}

int test_mock_group_teardown(void **state)
{
    (void)state;
    int rc = wxt_mock_stop(&M);
    keys_free(&K);
    curl_easy_cleanup(g_curl);
    curl_global_cleanup();
    return rc == 0 ? 0 : -1;
}
