#include "fake_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <wechatpay/sys/transport_memory.h>

#define SEED_RESPONSE "{\"token\":\"16824f40-aec1-11e8-a69c-f7a44da04f19\",\"expires_time\":\"2015-05-20T13:29:35+08:00\"}"
#define PLATFORM_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

const char *wxt_golden(const char *name)
{
    static struct { const char *name; char *pem; } cache[16];
    for (int i = 0; i < 16; i++) {
        if (cache[i].name && strcmp(cache[i].name, name) == 0)
            return cache[i].pem;
        if (!cache[i].name) {
            char path[512];
            snprintf(path, sizeof path, "%s/tests/golden/keys/%s", WX_SOURCE_DIR, name);
            cache[i].pem = wxt_read_file(path, NULL);
            if (!cache[i].pem)
                fail_msg("cannot read %s", path);
            cache[i].name = name;
            return cache[i].pem;
        }
    }
    fail_msg("golden key cache full");
    return NULL;
}

void wxt_fake_init(wxt_fake *f)
{
    memset(f, 0, sizeof *f);
    f->status = 200;
    f->body = SEED_RESPONSE;
    const char *m = wxt_golden("merchant_cert.pem"), *p = wxt_golden("platform_key.pem"),
               *o = wxt_golden("other_key.pem");
    assert_int_equal(wx_pubkey_load(m, strlen(m), &f->merchant, NULL), WX_OK);
    assert_int_equal(wx_privkey_load(p, strlen(p), NULL, &f->platform, NULL), WX_OK);
    assert_int_equal(wx_privkey_load(o, strlen(o), NULL, &f->other, NULL), WX_OK);
}

void wxt_fake_free(wxt_fake *f)
{
    wx_pubkey_free(f->merchant);
    wx_privkey_free(f->platform);
    wx_privkey_free(f->other);
    free(f->last_body);
    free(f->last_headers);
    f->last_body = f->last_headers = NULL;
}

static int field(const char *auth, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof key, "%s=\"", name);
    const char *p = strstr(auth, key);
    if (!p)
        return 0;
    p += strlen(key);
    const char *q = strchr(p, '"');
    if (!q || (size_t)(q - p) >= size)
        return 0;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = 0;
    return 1;
}

static int check_auth(wxt_fake *f, const wx_http_request_t *req, const char *target,
                      const char *body, size_t body_len)
{
    char nonce[128], sig[1024], ts[64], serial[128], mchid[64];
    const char *auth = f->last_auth;
    if (strncmp(auth, "WECHATPAY2-SHA256-RSA2048 ", 26) != 0 || !field(auth, "nonce_str", nonce, sizeof nonce) ||
        !field(auth, "signature", sig, sizeof sig) || !field(auth, "timestamp", ts, sizeof ts) ||
        !field(auth, "serial_no", serial, sizeof serial) || !field(auth, "mchid", mchid, sizeof mchid))
        return 0;
    size_t n = strlen(req->method) + strlen(target) + strlen(ts) + strlen(nonce) + body_len + 8;
    char *msg = malloc(n);
    int len = snprintf(msg, n, "%s\n%s\n%s\n%s\n", req->method, target, ts, nonce);
    memcpy(msg + len, body, body_len);
    msg[len + body_len] = '\n';
    int ok = wx_rsa_verify(f->merchant, msg, (size_t)len + body_len + 1, sig, NULL) == WX_OK;
    free(msg);
    return ok;
}

wx_err wxt_fake_handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    wxt_fake *f = ud;
    f->requests++;
    snprintf(f->last_method, sizeof f->last_method, "%s", req->method);
    const char *p = strstr(req->url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    snprintf(f->last_target, sizeof f->last_target, "%s", p ? p : "");
    free(f->last_body);
    const char *body = req->upload_meta ? req->upload_meta : req->body ? req->body : "";
    size_t body_len = req->upload_meta ? strlen(req->upload_meta) : req->body ? req->body_len : 0;
    f->last_body = strndup(body, body_len);
    free(f->last_headers);
    size_t cap = 1;
    for (size_t i = 0; req->headers[i].key; i++)
        cap += strlen(req->headers[i].key) + strlen(req->headers[i].value) + 3;
    f->last_headers = calloc(1, cap);
    f->last_auth[0] = 0;
    for (size_t i = 0; req->headers[i].key; i++) {
        strcat(f->last_headers, req->headers[i].key);
        strcat(f->last_headers, ": ");
        strcat(f->last_headers, req->headers[i].value);
        strcat(f->last_headers, "\n");
        if (strcasecmp(req->headers[i].key, "Authorization") == 0)
            snprintf(f->last_auth, sizeof f->last_auth, "%s", req->headers[i].value);
    }
    f->auth_ok = check_auth(f, req, f->last_target, body, body_len);
    snprintf(f->last_url, sizeof f->last_url, "%s", req->url);
    if (f->transport_error && (!f->fail_first || f->requests <= f->fail_first))
        return f->transport_error;

    int64_t now = (f->now ? f->now : WXT_NOW) + f->ts_offset;
    char ts[32], nonce[] = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    snprintf(ts, sizeof ts, "%lld", (long long)now);
    size_t blen = f->body_len ? f->body_len : strlen(f->body);
    size_t mlen = strlen(ts) + strlen(nonce) + blen + 3;
    char *msg = malloc(mlen + 1);
    int hl = snprintf(msg, mlen + 1, "%s\n%s\n", ts, nonce);
    memcpy(msg + hl, f->body, blen);
    msg[hl + blen] = '\n';
    char *sig = NULL;
    wx_privkey_t *key = f->sign_key && !strcmp(f->sign_key, "other") ? f->other : f->platform;
    wx_err signed_rc = wx_rsa_sign(key, msg, mlen, &sig, NULL);
    free(msg);
    if (signed_rc != WX_OK) /* only under failing-allocation tests: play a dead server */
        return WX_E_TRANSPORT;

    char *out = malloc(blen + (f->append_body ? strlen(f->append_body) : 0) + 1);
    memcpy(out, f->body, blen);
    size_t olen = blen;
    if (f->flip_body_byte > 0 && (size_t)f->flip_body_byte <= blen)
        out[f->flip_body_byte - 1] ^= 0x01;
    if (f->append_body) {
        memcpy(out + olen, f->append_body, strlen(f->append_body));
        olen += strlen(f->append_body);
    }
    if (f->truncate_body && f->truncate_body <= olen)
        olen -= f->truncate_body;

    const char *names[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                           "Wechatpay-Serial"};
    const char *values[] = {ts, nonce, sig, f->serial ? f->serial : PLATFORM_SERIAL};
    wx_http_response_set_status(resp, f->status);
    wx_http_response_add_header(resp, "Content-Type", 12, "application/json", 16);
    wx_http_response_add_header(resp, "Request-ID", 10, "08F0A1B2C3D4", 12);
    for (int i = 0; i < 4; i++) {
        if (f->drop_header && strcasecmp(f->drop_header, names[i]) == 0)
            continue;
        const char *v = values[i];
        size_t nl = strlen(names[i]);
        if (f->set_header && strncasecmp(f->set_header, names[i], nl) == 0 &&
            f->set_header[nl] == ':')
            v = f->set_header + nl + 2;
        wx_http_response_add_header(resp, names[i], nl, v, strlen(v));
    }
    wx_err rc = wx_http_response_append(resp, out, olen);
    free(out);
    wx_free(sig);
    return rc;
}

static int64_t fixed_clock(void *ud) { return WXT_NOW; }

wx_client_options_t wxt_fake_options(wxt_fake *fake)
{
    static wx_platform_key_t platform[3]; /* ends with {NULL, NULL} */
    platform[0] = (wx_platform_key_t){PLATFORM_SERIAL, wxt_golden("platform_cert.pem")};
    platform[1] = (wx_platform_key_t){"PUB_KEY_ID_0114232009152025032900000000000000",
                                      wxt_golden("other_cert.pem")};
    wx_client_options_t o = WX_CLIENT_OPTIONS_INIT;
    o.validation = WX_VALIDATION_STRICT; /* the tests run strict (testutil.c) */
    o.mchid = "1900000001";
    o.serial = "3C9A2F1B7E5D4C3B2A1908F7E6D5C4B3A2918070";
    o.private_key_pem = wxt_golden("merchant_key.pem");
    o.platform = platform;
    o.base_url = "https://api.mch.weixin.qq.com/";
    o.no_env_spec_path = 1;
    o.clock = fixed_clock;
    o.transport = wx_transport_memory(wxt_fake_handler, fake);
    return o;
}
