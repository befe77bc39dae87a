/* A till taking a payment-code (付款码) sale over APIv2, the way a POS program does it:
 *
 *   1. POST v2/pay/micropay with the code the scanner read;
 *   2. SUCCESS: paid. USERPAYING (the payer is entering a password), SYSTEMERROR or
 *      BANKERROR: ask POST v2/pay/orderquery every few seconds until the order is paid
 *      or failed;
 *   3. still not paid when the till gives up: POST v2/secapi/pay/reverse (the merchant
 *      certificate goes along as the TLS client certificate), repeated while WeChat Pay
 *      answers recall=Y.
 *
 *   till_micropay CONFIG.json [BASE_URL] [AUTH_CODE] [OUT_TRADE_NO] [GIVE_UP_AFTER_POLLS]
 *
 * Prints the outcome ("paid 4200...", "reversed", ...) and exits 0 when the sale ended
 * cleanly (paid, or reversed), 1 when it did not. Against the sandbox a code ending in 9
 * answers USERPAYING and is paid by the first query; with GIVE_UP_AFTER_POLLS 0 the till
 * gives up at once and reverses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

static const char *field(const wx_response_t *r, const char *name)
{
    struct json_object *v = NULL;
    json_object_object_get_ex(wx_response_json(r), name, &v);
    return v ? json_object_get_string(v) : "";
}

/* The fields every call of this sale names, plus @p extra (JSON members). */
static wx_response_t *call(wx_client_t *c, const char *path, const char *out_trade_no,
                           const char *extra)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"%s\",\"out_trade_no\":\"%s\"%s}",
             wx_client_mchid(c), out_trade_no, extra ? extra : "");
    return wx_chain(c, path)->post(&(wx_request_options_t){.json_text = body});
}

/* 1: paid, 0: not yet (keep asking), -1: failed for good. */
static int query(wx_client_t *c, const char *out_trade_no)
{
    wx_response_t *r = call(c, "v2/pay/orderquery", out_trade_no, NULL);
    int state = 0;
    if (wx_response_err(r) == WX_OK) {
        const char *s = field(r, "trade_state");
        printf("orderquery: %s\n", s);
        state = !strcmp(s, "SUCCESS") ? 1 : !strcmp(s, "USERPAYING") || !strcmp(s, "NOTPAY") ? 0 : -1;
        if (state == 1)
            printf("paid %s\n", field(r, "transaction_id"));
    } else {
        fprintf(stderr, "orderquery: %s\n", wx_response_error_detail(r)->message);
    }
    wx_response_free(r);
    return state;
}

static int reverse(wx_client_t *c, const char *out_trade_no)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        wx_response_t *r = call(c, "v2/secapi/pay/reverse", out_trade_no, NULL);
        int ok = wx_response_err(r) == WX_OK, again = ok && !strcmp(field(r, "recall"), "Y");
        if (!ok)
            fprintf(stderr, "reverse: %s\n", wx_response_error_detail(r)->message);
        wx_response_free(r);
        if (ok && !again) {
            printf("reversed\n");
            return 0;
        }
        if (!ok)
            return 1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [BASE_URL] [AUTH_CODE] [OUT_TRADE_NO] [POLLS]\n",
                argv[0]);
        return 2;
    }
    wx_client_options_t overrides = {.base_url = argc > 2 && *argv[2] ? argv[2] : NULL};
    wx_client_t *c = NULL;
    wx_error_t err;
    if (wx_client_new_from_config(argv[1], &overrides, &c, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    const char *auth_code = argc > 3 ? argv[3] : "134567890123456789";
    char out_trade_no[33];
    if (argc > 4)
        snprintf(out_trade_no, sizeof out_trade_no, "%s", argv[4]);
    else
        snprintf(out_trade_no, sizeof out_trade_no, "TILL%lld", (long long)time(NULL));
    int polls = argc > 5 ? atoi(argv[5]) : 10;

    char extra[256];
    snprintf(extra, sizeof extra,
             ",\"body\":\"Corner shop - groceries\",\"total_fee\":1250,"
             "\"spbill_create_ip\":\"192.168.0.8\",\"auth_code\":\"%s\"",
             auth_code);
    wx_response_t *r = call(c, "v2/pay/micropay", out_trade_no, extra);
    wx_err e = wx_response_err(r);
    const char *code = wx_response_error_detail(r)->server_code;
    int paid = e == WX_OK, rc = 1;
    /* Only these leave the sale open; any other failure means nothing was charged. */
    int pending = e == WX_E_HTTP && (!strcmp(code, "USERPAYING") || !strcmp(code, "SYSTEMERROR") ||
                                     !strcmp(code, "BANKERROR"));
    if (paid)
        printf("paid %s\n", field(r, "transaction_id"));
    else
        printf("micropay: %s\n", wx_response_error_detail(r)->message);
    wx_response_free(r);
    if (paid) {
        rc = 0;
    } else if (pending) {
        int state = 0;
        for (int i = 0; i < polls && state == 0; i++) {
            if (i)
                sleep(2); /* WeChat Pay asks tills to wait a few seconds between queries */
            state = query(c, out_trade_no);
        }
        rc = state == 1 ? 0 : reverse(c, out_trade_no);
    }
    wx_client_free(c);
    return rc;
}
