/* An in-process WeChat Pay for the in-memory transport: it checks each request's
 * Authorization with the merchant certificate and answers with a body signed by the
 * platform key, optionally mutated to play a forger. Keys are the golden test keys. */
#ifndef WX_FAKE_SERVER_H
#define WX_FAKE_SERVER_H

#include <stdint.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

typedef struct wxt_fake {
    /* the answer */
    int status;                 /* default 200 */
    const char *body;           /* default the seed endpoint's example response */
    size_t body_len;            /* 0: strlen(body) */
    int64_t now;                /* signing time; default the client's fixed clock */
    /* forgeries: applied after signing */
    int flip_body_byte;         /* flip a bit of byte N-1 of the body (1-based; 0 = off) */
    const char *append_body;    /* bytes added after signing */
    size_t truncate_body;       /* drop this many bytes from the end after signing */
    const char *serial;         /* Wechatpay-Serial to send instead of the platform's */
    const char *sign_key;       /* "other": sign with the other key */
    const char *drop_header;    /* leave out this header */
    const char *set_header;     /* "Name: value" replacing a Wechatpay header's value */
    int64_t ts_offset;          /* sign with a timestamp this far from now */
    wx_err transport_error;     /* fail like a dead server instead of answering */
    int fail_first;             /* with transport_error set: fail only this many requests */
    char last_url[2048];
    /* what came in */
    int requests;
    int auth_ok;                /* the last request's signature verified */
    char last_method[16];
    char last_target[2048];
    char last_auth[1024];
    char *last_body;
    char *last_headers;         /* "Name: value\n" lines */
    /* keys (loaded by wxt_fake_init) */
    wx_pubkey_t *merchant;
    wx_privkey_t *platform, *other;
} wxt_fake;

void wxt_fake_init(wxt_fake *f);
void wxt_fake_free(wxt_fake *f);
wx_err wxt_fake_handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp);

/* PEM text of a golden key file (static storage, loaded once). */
const char *wxt_golden(const char *name);
/* Client options for the golden merchant with the platform cert configured, the
 * in-memory transport on `fake`, and a fixed clock (1700000000) unless clock_fixed == 0. */
wx_client_options_t wxt_fake_options(wxt_fake *fake);
/* The fixed time the fake's clients use. */
#define WXT_NOW 1700000000

#endif
