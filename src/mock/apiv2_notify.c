/* APIv2 callbacks from the sandbox: a paid APIv2 order's payment notification (signed
 * like an answer) and a completed APIv2 refund's notification (req_info encrypted with
 * the MD5 of the APIv2 key). What is queued is the fields in clear; the XML is made and
 * signed at each delivery attempt, with a fresh nonce_str (notifier.c). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <wechatpay/notify.h>

#include "apiv2.h"
#include "lifecycle.h"

static wx_mock_store_rc queue(wx_mock_store *s, const char *url, const char *kind,
                              json_object *fields)
{
    if (!url || !*url) {
        json_object_put(fields);
        return WX_STORE_OK;
    }
    json_object *p = json_object_new_object();
    json_object_object_add(p, "kind", json_object_new_string(kind));
    json_object_object_add(p, "fields", fields);
    wx_mock_notification n;
    memset(&n, 0, sizeof n);
    wx_mock_event_id(n.id);
    n.api_version = 2;
    snprintf(n.url, sizeof n.url, "%s", url);
    wx_mock_time_rfc3339(-1, n.create_time);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    n.next_attempt_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    const char *text = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
    n.payload = text ? strdup(text) : NULL;
    json_object_put(p);
    if (!n.payload)
        return WX_STORE_ERROR;
    wx_mock_store_rc rc = wx_mock_notification_add(s, &n);
    free(n.payload);
    return rc;
}

wx_mock_store_rc wx_mock_v2_queue_payment(wx_mock_store *s, const wx_mock_order *o)
{
    json_object *f = json_object_new_object();
    wx_mock_v2_put(f, "return_code", "SUCCESS");
    wx_mock_v2_put(f, "result_code", "SUCCESS");
    wx_mock_v2_put(f, "appid", o->appid);
    wx_mock_v2_put(f, "mch_id", o->mchid);
    wx_mock_v2_put(f, "openid", o->payer_openid);
    wx_mock_v2_put(f, "trade_type", o->trade_type);
    wx_mock_v2_put(f, "bank_type", o->bank_type);
    wx_mock_v2_put_int(f, "total_fee", o->total);
    wx_mock_v2_put_int(f, "cash_fee", o->payer_total);
    wx_mock_v2_put(f, "fee_type", o->currency);
    wx_mock_v2_put(f, "transaction_id", o->transaction_id);
    wx_mock_v2_put(f, "out_trade_no", o->out_trade_no);
    wx_mock_v2_put(f, "attach", o->attach);
    wx_mock_v2_put(f, "time_end", o->success_time);
    return queue(s, o->notify_url, "payment", f);
}

wx_mock_store_rc wx_mock_v2_queue_refund(wx_mock_store *s, const wx_mock_refund *r,
                                         const wx_mock_order *o)
{
    json_object *f = json_object_new_object();
    wx_mock_v2_put(f, "appid", o->appid);
    wx_mock_v2_put(f, "mch_id", o->mchid);
    wx_mock_v2_put(f, "transaction_id", r->transaction_id);
    wx_mock_v2_put(f, "out_trade_no", r->out_trade_no);
    wx_mock_v2_put(f, "refund_id", r->refund_id);
    wx_mock_v2_put(f, "out_refund_no", r->out_refund_no);
    wx_mock_v2_put_int(f, "total_fee", r->total);
    wx_mock_v2_put_int(f, "refund_fee", r->refund);
    wx_mock_v2_put(f, "refund_status", r->status);
    wx_mock_v2_put(f, "success_time", r->success_time);
    wx_mock_v2_put(f, "refund_recv_accout", r->user_received_account);
    return queue(s, r->notify_url[0] ? r->notify_url : o->notify_url, "refund", f);
}

/* The refund's fields as <root> XML, encrypted into req_info. */
static int put_req_info(const wx_mock_config *cfg, json_object *fields, json_object *out)
{
    char *xml = NULL, *b64 = NULL;
    size_t len = 0;
    int ok = wx_v2_xml_encode(fields, &xml, &len, NULL) == WX_OK;
    if (ok) { /* <xml>...</xml> -> <root>...</root>, as WeChat Pay writes req_info */
        char *inner = xml + 5;
        xml[len - 6] = 0;
        size_t n = strlen(inner) + 14;
        char *root = malloc(n);
        ok = root != NULL;
        if (ok) {
            snprintf(root, n, "<root>%s</root>", inner);
            ok = wx_v2_req_info_encrypt(cfg->apiv2_key, root, strlen(root), &b64, NULL) == WX_OK;
            free(root);
        }
    }
    if (ok)
        wx_mock_v2_put(out, "req_info", b64);
    wx_free(xml);
    wx_free(b64);
    return ok ? 0 : -1;
}

char *wx_mock_v2_notification_body(const wx_mock_config *cfg, const char *payload, size_t *len)
{
    json_object *p = payload ? json_tokener_parse(payload) : NULL;
    json_object *fields = json_object_object_get(p, "fields");
    const char *kind = json_object_get_string(json_object_object_get(p, "kind"));
    char *body = NULL, *xml = NULL;
    if (!cfg->apiv2_key || !fields || !kind) {
        json_object_put(p);
        return NULL;
    }
    json_object *out = json_object_new_object();
    char nonce[33];
    unsigned char raw[16];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK)
        memset(raw, 0x3c, sizeof raw);
    for (int i = 0; i < 16; i++)
        snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
    int ok = 1;
    if (!strcmp(kind, "refund")) {
        wx_mock_v2_put(out, "return_code", "SUCCESS");
        wx_mock_v2_put(out, "appid", json_object_get_string(json_object_object_get(fields, "appid")));
        wx_mock_v2_put(out, "mch_id", json_object_get_string(json_object_object_get(fields, "mch_id")));
        wx_mock_v2_put(out, "nonce_str", nonce);
        ok = put_req_info(cfg, fields, out) == 0;
    } else {
        char sign[WX_V2_SIGN_MAX];
        json_object_object_foreach(fields, k, v) wx_mock_v2_put(out, k, json_object_get_string(v));
        wx_mock_v2_put(out, "nonce_str", nonce);
        ok = wx_v2_sign(out, cfg->apiv2_key, WX_V2_SIGN_MD5, sign, NULL) == WX_OK;
        if (ok)
            wx_mock_v2_put(out, "sign", sign);
    }
    if (ok && wx_v2_xml_encode(out, &xml, len, NULL) == WX_OK) {
        body = strdup(xml);
        wx_free(xml);
    }
    json_object_put(out);
    json_object_put(p);
    return body;
}
