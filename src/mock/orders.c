/* APIv3 orders on the sandbox's state: creation (JSAPI, Native, App, H5), the two
 * queries, close, and the payment itself (the control API pays; so may APIv2 handlers).
 *
 * Business errors, each answered before anything changes (the transaction is rolled
 * back): an unknown order is 404 ORDER_NOT_EXIST; creating again an order that is paid
 * is 400 ORDERPAID, one that is closed 400 ORDER_CLOSED, and one with the same
 * out_trade_no but other content 400 INVALID_REQUEST; the same content again answers the
 * same prepay_id, as WeChat Pay does for a retried request; closing a paid order is
 * 400 ORDERPAID. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv2.h"
#include "lifecycle.h"

static int order_paid(const wx_mock_order *o)
{
    return !strcmp(o->trade_state, "SUCCESS") || !strcmp(o->trade_state, "REFUND");
}

/* SHA-256 of what makes two orders the same order. */
static void fingerprint(const wx_mock_order *o, char out[65])
{
    wx_mock_str s = {0};
    wx_mock_str_printf(&s, "%s\n%s\n%s\n%s\n%s\n%s\n%lld\n%s\n%s\n", o->trade_type, o->appid,
                       o->mchid, o->description, o->attach, o->notify_url, (long long)o->total,
                       o->currency, o->payer_openid);
    wx_sha256_hex(s.data ? s.data : "", s.len, out);
    wx_mock_str_free(&s);
}

/* The order a creation request describes (ids not yet given). */
static void order_from_body(struct json_object *body, const char *trade_type, wx_mock_order *o)
{
    struct json_object *amount = NULL, *payer = NULL;
    json_object_object_get_ex(body, "amount", &amount);
    json_object_object_get_ex(body, "payer", &payer);
    memset(o, 0, sizeof *o);
    o->api_version = 3;
    snprintf(o->out_trade_no, sizeof o->out_trade_no, "%s", wx_mock_jstr(body, "out_trade_no"));
    snprintf(o->mchid, sizeof o->mchid, "%s", wx_mock_jstr(body, "mchid"));
    snprintf(o->appid, sizeof o->appid, "%s", wx_mock_jstr(body, "appid"));
    snprintf(o->trade_type, sizeof o->trade_type, "%s", trade_type);
    snprintf(o->trade_state, sizeof o->trade_state, "NOTPAY");
    snprintf(o->description, sizeof o->description, "%s", wx_mock_jstr(body, "description"));
    snprintf(o->attach, sizeof o->attach, "%s", wx_mock_jstr(body, "attach"));
    snprintf(o->notify_url, sizeof o->notify_url, "%s", wx_mock_jstr(body, "notify_url"));
    o->total = wx_mock_jint(amount, "total");
    const char *currency = wx_mock_jstr(amount, "currency");
    snprintf(o->currency, sizeof o->currency, "%s", *currency ? currency : "CNY");
    snprintf(o->payer_openid, sizeof o->payer_openid, "%s", wx_mock_jstr(payer, "openid"));
    wx_mock_time_rfc3339(-1, o->create_time);
    fingerprint(o, o->fingerprint);
    struct json_object *settle = NULL, *ps = NULL;
    if (json_object_object_get_ex(body, "settle_info", &settle) &&
        json_object_object_get_ex(settle, "profit_sharing", &ps) && json_object_get_boolean(ps))
        o->extra = strdup("{\"profit_sharing\":true}"); /* profitsharing.c may share it */
}

/* The creation answer: prepay_id, or the URL Native and H5 payments open. */
static struct json_object *prepay_answer(const wx_mock_order *o)
{
    struct json_object *a = json_object_new_object();
    char url[256];
    if (!strcmp(o->trade_type, "NATIVE")) {
        snprintf(url, sizeof url, "weixin://wxpay/bizpayurl?pr=%.7s", o->prepay_id + 22);
        json_object_object_add(a, "code_url", json_object_new_string(url));
    } else if (!strcmp(o->trade_type, "MWEB")) {
        snprintf(url, sizeof url,
                 "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=%s&package=%.10s",
                 o->prepay_id, o->transaction_id + 18);
        json_object_object_add(a, "h5_url", json_object_new_string(url));
    } else {
        json_object_object_add(a, "prepay_id", json_object_new_string(o->prepay_id));
    }
    return a;
}

/* An existing order asked for again: its prepay, or why not. Rolls back. */
static void answer_existing(const wx_mock_call *call, const wx_mock_order *want,
                            const wx_mock_order *have, wx_mock_reply *reply)
{
    wx_mock_store_rollback(call->ctx->store);
    if (order_paid(have))
        wx_mock_reply_error(reply, 400, "ORDERPAID", "该订单已支付 (order %s is paid)",
                            have->out_trade_no);
    else if (!strcmp(have->trade_state, "CLOSED") || !strcmp(have->trade_state, "REVOKED"))
        wx_mock_reply_error(reply, 400, "ORDER_CLOSED", "该订单已关闭 (order %s is %s)",
                            have->out_trade_no, have->trade_state);
    else if (strcmp(want->fingerprint, have->fingerprint) != 0)
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                            "商户订单号重复 (out_trade_no %s was used for an order with other "
                            "content)", have->out_trade_no);
    else
        wx_mock_reply_json(reply, 200, prepay_answer(have), 0);
}

/* Inside the transaction: give @p want its ids and insert it. */
static wx_mock_store_rc insert_new(wx_mock_store *s, wx_mock_order *want)
{
    int64_t seq = 0;
    wx_mock_store_rc rc = wx_mock_store_next(s, "transaction", &seq);
    if (rc != WX_STORE_OK)
        return rc;
    wx_mock_transaction_id(seq, want->transaction_id);
    wx_mock_prepay_id(want->prepay_id);
    return wx_mock_order_insert(s, want);
}

static void create_order(const wx_mock_call *call, wx_mock_reply *reply, const char *trade_type)
{
    wx_mock_store *s = call->ctx->store;
    wx_mock_order want, have = {0};
    order_from_body(call->body, trade_type, &want);
    wx_mock_store_rc rc = WX_STORE_ERROR;
    if (strcmp(want.mchid, call->ctx->cfg->mchid) != 0) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                            "mchid %s is not the merchant that signed the request", want.mchid);
    } else if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
    } else if ((rc = wx_mock_order_find(s, want.out_trade_no, &have)) == WX_STORE_OK) {
        answer_existing(call, &want, &have, reply);
    } else if (rc != WX_STORE_NOT_FOUND || insert_new(s, &want) != WX_STORE_OK) {
        wx_mock_store_rollback(s);
        wx_mock_reply_store_error(reply);
    } else if (wx_mock_store_commit(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
    } else {
        wx_mock_reply_json(reply, 200, prepay_answer(&want), 0);
    }
    wx_mock_order_clear(&want);
    wx_mock_order_clear(&have);
}

static void create_jsapi(const wx_mock_call *c, wx_mock_reply *r) { create_order(c, r, "JSAPI"); }
static void create_native(const wx_mock_call *c, wx_mock_reply *r) { create_order(c, r, "NATIVE"); }
static void create_app(const wx_mock_call *c, wx_mock_reply *r) { create_order(c, r, "APP"); }
static void create_h5(const wx_mock_call *c, wx_mock_reply *r) { create_order(c, r, "MWEB"); }

/* Both queries: the order found by @p key through @p find, paid ones only by
 * transaction_id (WeChat Pay gives that id out only once an order is paid). */
static void query(const wx_mock_call *call, wx_mock_reply *reply, const char *key, int by_txn)
{
    wx_mock_store *s = call->ctx->store;
    const char *mchid = wx_mock_call_query(call, "mchid");
    if (!mchid || strcmp(mchid, call->ctx->cfg->mchid) != 0) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST", "mchid %s is not this merchant",
                            mchid ? mchid : "(none)");
        return;
    }
    wx_mock_order o = {0};
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = by_txn ? wx_mock_order_find_by_transaction(s, key ? key : "", &o)
                                 : wx_mock_order_find(s, key ? key : "", &o);
    wx_mock_store_rollback(s); /* read only */
    if (rc == WX_STORE_OK && (!by_txn || order_paid(&o)))
        wx_mock_reply_json(reply, 200, wx_mock_order_view(&o), 0);
    else if (rc == WX_STORE_OK || rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "ORDER_NOT_EXIST", "订单不存在 (no order %s)", key);
    else
        wx_mock_reply_store_error(reply);
    wx_mock_order_clear(&o);
}

static void query_out_trade_no(const wx_mock_call *c, wx_mock_reply *r)
{
    query(c, r, wx_mock_call_var(c, "out_trade_no"), 0);
}

static void query_transaction_id(const wx_mock_call *c, wx_mock_reply *r)
{
    query(c, r, wx_mock_call_var(c, "transaction_id"), 1);
}

static void close_order(const wx_mock_call *call, wx_mock_reply *reply)
{
    wx_mock_store *s = call->ctx->store;
    const char *key = wx_mock_call_var(call, "out_trade_no");
    wx_mock_order o = {0};
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_order_find(s, key ? key : "", &o);
    if (rc != WX_STORE_OK) {
        wx_mock_store_rollback(s);
        if (rc == WX_STORE_NOT_FOUND)
            wx_mock_reply_error(reply, 404, "ORDER_NOT_EXIST", "订单不存在 (no order %s)", key);
        else
            wx_mock_reply_store_error(reply);
    } else if (order_paid(&o) || !strcmp(o.trade_state, "REVOKED")) {
        wx_mock_store_rollback(s);
        wx_mock_reply_error(reply, 400, "ORDERPAID", "订单已支付，不能关闭 (order %s is %s)",
                            o.out_trade_no, o.trade_state);
    } else {
        snprintf(o.trade_state, sizeof o.trade_state, "CLOSED");
        if (wx_mock_order_update(s, &o) != WX_STORE_OK) {
            wx_mock_store_rollback(s);
            wx_mock_reply_store_error(reply);
        } else if (wx_mock_store_commit(s) != WX_STORE_OK) {
            wx_mock_reply_store_error(reply);
        } else {
            reply->status = 204;
        }
    }
    wx_mock_order_clear(&o);
}

wx_mock_store_rc wx_mock_order_settle(wx_mock_store *s, wx_mock_order *o, const char *outcome)
{
    snprintf(o->trade_state, sizeof o->trade_state, "%s", outcome);
    if (strcmp(outcome, "SUCCESS") != 0)
        return wx_mock_order_update(s, o);
    o->payer_total = o->total;
    wx_mock_time_rfc3339(-1, o->success_time);
    snprintf(o->bank_type, sizeof o->bank_type, "OTHERS");
    if (!o->payer_openid[0]) /* Native, App and H5 orders learn their payer now */
        snprintf(o->payer_openid, sizeof o->payer_openid, "oMock%.23s", o->transaction_id + 4);
    wx_mock_store_rc rc = wx_mock_order_update(s, o);
    if (rc == WX_STORE_OK && o->api_version == 3)
        rc = wx_mock_queue_callback(s, o->notify_url, "TRANSACTION.SUCCESS", "支付成功",
                                    "transaction", wx_mock_order_view(o));
    else if (rc == WX_STORE_OK && o->api_version == 2)
        rc = wx_mock_v2_queue_payment(s, o);
    return rc;
}

const wx_mock_route wx_mock_order_routes[] = {
    {"POST", "/v3/pay/transactions/jsapi", create_jsapi},
    {"POST", "/v3/pay/transactions/native", create_native},
    {"POST", "/v3/pay/transactions/app", create_app},
    {"POST", "/v3/pay/transactions/h5", create_h5},
    {"GET", "/v3/pay/transactions/out-trade-no/{out_trade_no}", query_out_trade_no},
    {"GET", "/v3/pay/transactions/id/{transaction_id}", query_transaction_id},
    {"POST", "/v3/pay/transactions/out-trade-no/{out_trade_no}/close", close_order},
    {NULL, NULL, NULL},
};
