/* APIv3 refunds on the sandbox's state: POST /v3/refund/domestic/refunds (full or partial,
 * several per order up to what was paid), the refund query, and completing a refund.
 * A new refund is PROCESSING and turns its order to trade_state REFUND; the control API
 * (POST /mock/refund/succeed) completes it and queues REFUND.SUCCESS.
 *
 * Business errors, each leaving the state as it was: an unknown order or refund is 404
 * RESOURCE_NOT_EXISTS; an order that is not paid, closed or revoked, an amount.total that
 * is not the order's, more than is left to refund, or an out_refund_no used for another
 * refund are 400 INVALID_REQUEST. The same refund asked for again answers as it stands. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv2.h"
#include "lifecycle.h"

static void refund_from_body(struct json_object *body, wx_mock_refund *r)
{
    struct json_object *amount = NULL;
    json_object_object_get_ex(body, "amount", &amount);
    memset(r, 0, sizeof *r);
    r->api_version = 3;
    snprintf(r->out_refund_no, sizeof r->out_refund_no, "%s", wx_mock_jstr(body, "out_refund_no"));
    snprintf(r->status, sizeof r->status, "PROCESSING");
    snprintf(r->channel, sizeof r->channel, "ORIGINAL");
    snprintf(r->user_received_account, sizeof r->user_received_account, "支付用户零钱");
    snprintf(r->reason, sizeof r->reason, "%s", wx_mock_jstr(body, "reason"));
    snprintf(r->notify_url, sizeof r->notify_url, "%s", wx_mock_jstr(body, "notify_url"));
    r->refund = wx_mock_jint(amount, "refund");
    r->total = wx_mock_jint(amount, "total");
    const char *currency = wx_mock_jstr(amount, "currency");
    snprintf(r->currency, sizeof r->currency, "%s", *currency ? currency : "CNY");
    snprintf(r->funds_account, sizeof r->funds_account, "%s", wx_mock_jstr(body, "funds_account"));
    wx_mock_time_rfc3339(-1, r->create_time);
    wx_mock_str s = {0};
    wx_mock_str_printf(&s, "%s\n%s\n%s\n%lld\n%lld\n%s\n", wx_mock_jstr(body, "transaction_id"),
                       wx_mock_jstr(body, "out_trade_no"), r->out_refund_no, (long long)r->refund,
                       (long long)r->total, r->notify_url);
    wx_sha256_hex(s.data ? s.data : "", s.len, r->fingerprint);
    wx_mock_str_free(&s);
}

/* Why @p o cannot take refund @p r, as a business error; 0 when it can. */
static int refuse_refund(const wx_mock_order *o, const wx_mock_refund *r, wx_mock_reply *reply)
{
    const char *st = o->trade_state;
    if (!strcmp(st, "CLOSED") || !strcmp(st, "REVOKED")) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST", "订单已关闭，不能退款 (order %s is %s)",
                            o->out_trade_no, st);
    } else if (strcmp(st, "SUCCESS") != 0 && strcmp(st, "REFUND") != 0) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST", "订单未支付，不能退款 (order %s is %s)",
                            o->out_trade_no, st);
    } else if (r->total != o->total) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                            "订单金额与实际不一致 (amount.total %lld, but order %s is %lld)",
                            (long long)r->total, o->out_trade_no, (long long)o->total);
    } else if (r->refund > o->payer_total - o->refunded) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                            "申请退款金额超过订单可退金额 (refund %lld, %lld of %lld left to refund)",
                            (long long)r->refund, (long long)(o->payer_total - o->refunded),
                            (long long)o->payer_total);
    } else {
        return 0;
    }
    return 1;
}

/* Inside the transaction: find the order, check, insert; 0 on success (commit next),
 * else the reply is set and the caller rolls back. */
static int apply_refund(const wx_mock_call *call, wx_mock_refund *want, wx_mock_reply *reply)
{
    wx_mock_store *s = call->ctx->store;
    const char *txn = wx_mock_jstr(call->body, "transaction_id");
    const char *otn = wx_mock_jstr(call->body, "out_trade_no");
    wx_mock_order o = {0};
    wx_mock_refund have = {0};
    wx_mock_store_rc rc = wx_mock_refund_find(s, want->out_refund_no, &have);
    if (rc == WX_STORE_OK) {
        if (strcmp(have.fingerprint, want->fingerprint) != 0)
            wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                                "商户退款单号重复 (out_refund_no %s was used for another refund)",
                                have.out_refund_no);
        else
            wx_mock_reply_json(reply, 200, wx_mock_refund_view(&have), 0);
        wx_mock_refund_clear(&have);
        return 1;
    }
    if (rc == WX_STORE_NOT_FOUND)
        rc = *txn ? wx_mock_order_find_by_transaction(s, txn, &o) : wx_mock_order_find(s, otn, &o);
    int done = 1;
    if (rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "订单不存在 (no order %s)",
                            *txn ? txn : otn);
    else if (rc != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else if (!refuse_refund(&o, want, reply)) {
        int64_t seq = 0;
        snprintf(want->out_trade_no, sizeof want->out_trade_no, "%s", o.out_trade_no);
        snprintf(want->transaction_id, sizeof want->transaction_id, "%s", o.transaction_id);
        o.refunded += want->refund;
        snprintf(o.trade_state, sizeof o.trade_state, "REFUND");
        if (wx_mock_store_next(s, "refund", &seq) == WX_STORE_OK) {
            wx_mock_refund_id(seq, want->refund_id);
            if (wx_mock_refund_insert(s, want) == WX_STORE_OK &&
                wx_mock_order_update(s, &o) == WX_STORE_OK)
                done = 0;
        }
        if (done)
            wx_mock_reply_store_error(reply);
    }
    wx_mock_order_clear(&o);
    return done;
}

static void create_refund(const wx_mock_call *call, wx_mock_reply *reply)
{
    wx_mock_store *s = call->ctx->store;
    if (!*wx_mock_jstr(call->body, "transaction_id") && !*wx_mock_jstr(call->body, "out_trade_no")) {
        wx_mock_reply_error(reply, 400, "PARAM_ERROR", "give transaction_id or out_trade_no");
        return;
    }
    wx_mock_refund want;
    refund_from_body(call->body, &want);
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    if (apply_refund(call, &want, reply)) {
        wx_mock_store_rollback(s);
        return;
    }
    if (wx_mock_store_commit(s) != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else
        wx_mock_reply_json(reply, 200, wx_mock_refund_view(&want), 0);
}

static void query_refund(const wx_mock_call *call, wx_mock_reply *reply)
{
    wx_mock_store *s = call->ctx->store;
    const char *key = wx_mock_call_var(call, "out_refund_no");
    wx_mock_refund r = {0};
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_refund_find(s, key ? key : "", &r);
    wx_mock_store_rollback(s);
    if (rc == WX_STORE_OK)
        wx_mock_reply_json(reply, 200, wx_mock_refund_view(&r), 0);
    else if (rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "退款单不存在 (no refund %s)", key);
    else
        wx_mock_reply_store_error(reply);
    wx_mock_refund_clear(&r);
}

wx_mock_store_rc wx_mock_refund_settle(wx_mock_store *s, wx_mock_refund *r)
{
    wx_mock_order o = {0};
    wx_mock_store_rc rc = wx_mock_order_find(s, r->out_trade_no, &o);
    if (rc != WX_STORE_OK)
        return rc;
    snprintf(r->status, sizeof r->status, "SUCCESS");
    wx_mock_time_rfc3339(-1, r->success_time);
    rc = wx_mock_refund_update(s, r);
    if (rc == WX_STORE_OK && r->api_version == 3)
        rc = wx_mock_queue_callback(s, r->notify_url[0] ? r->notify_url : o.notify_url,
                                    "REFUND.SUCCESS", "退款成功", "refund",
                                    wx_mock_refund_event_view(r, o.mchid));
    else if (rc == WX_STORE_OK && r->api_version == 2)
        rc = wx_mock_v2_queue_refund(s, r, &o);
    wx_mock_order_clear(&o);
    return rc;
}

const wx_mock_route wx_mock_refund_routes[] = {
    {"POST", "/v3/refund/domestic/refunds", create_refund},
    {"GET", "/v3/refund/domestic/refunds/{out_refund_no}", query_refund},
    {NULL, NULL, NULL},
};
