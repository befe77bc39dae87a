/* APIv2 refunds (secapi/pay/refund, pay/refundquery) and orders for the other payment
 * kinds (pay/unifiedorder) on the sandbox's state. A refund is PROCESSING until the
 * control API completes it (POST /mock/refund/succeed), as for APIv3. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv2.h"
#include "lifecycle.h"

#define SYSTEMERROR(a) wx_mock_v2_fail((a), "SYSTEMERROR", "系统错误 (the sandbox's store failed)")

static void copy(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src); }

static int64_t num(const wx_mock_v2_call *call, const char *name)
{
    return strtoll(wx_mock_v2_field(call, name), NULL, 10);
}

/* Why order @p o cannot give @p refund of @p total back; NULL when it can. */
static const char *refusal(const wx_mock_order *o, int64_t total, int64_t refund)
{
    if (strcmp(o->trade_state, "SUCCESS") != 0 && strcmp(o->trade_state, "REFUND") != 0)
        return "订单状态错误 (the order is not paid)";
    if (total != o->total)
        return "订单金额或退款金额与之前请求不一致 (total_fee is not the order's amount)";
    if (refund > o->payer_total - o->refunded)
        return "申请退款金额超过订单可退金额 (more than is left to refund)";
    return NULL;
}

static void put_refund(json_object *a, const wx_mock_refund *r)
{
    wx_mock_v2_put(a, "result_code", "SUCCESS");
    wx_mock_v2_put(a, "transaction_id", r->transaction_id);
    wx_mock_v2_put(a, "out_trade_no", r->out_trade_no);
    wx_mock_v2_put(a, "out_refund_no", r->out_refund_no);
    wx_mock_v2_put(a, "refund_id", r->refund_id);
    wx_mock_v2_put_int(a, "refund_fee", r->refund);
    wx_mock_v2_put_int(a, "total_fee", r->total);
    wx_mock_v2_put_int(a, "cash_fee", r->total);
    wx_mock_v2_put_int(a, "cash_refund_fee", r->refund);
}

/* Inside the transaction: 0 when the refund was recorded (commit next); else @p a says
 * why and the caller rolls back. */
static int apply(const wx_mock_v2_call *call, wx_mock_refund *r, json_object *a)
{
    wx_mock_store *s = call->ctx->store;
    wx_mock_order o = {0};
    wx_mock_refund have = {0};
    const char *txn = wx_mock_v2_field(call, "transaction_id");
    wx_mock_store_rc rc = wx_mock_refund_find(s, r->out_refund_no, &have);
    if (rc == WX_STORE_OK) { /* asked again: the same refund, or a clash */
        if (have.refund == r->refund && have.total == r->total)
            put_refund(a, &have);
        else
            wx_mock_v2_fail(a, "INVALID_REQUEST", "商户退款单号重复 (out_refund_no was used)");
        wx_mock_refund_clear(&have);
        return 1;
    }
    if (rc == WX_STORE_NOT_FOUND)
        rc = *txn ? wx_mock_order_find_by_transaction(s, txn, &o)
                  : wx_mock_order_find(s, wx_mock_v2_field(call, "out_trade_no"), &o);
    const char *why = rc == WX_STORE_OK ? refusal(&o, r->total, r->refund) : NULL;
    int64_t seq = 0;
    int done = 1;
    if (rc == WX_STORE_NOT_FOUND) {
        wx_mock_v2_fail(a, "ORDERNOTEXIST", "订单不存在 (no such order)");
    } else if (why) {
        wx_mock_v2_fail(a, strstr(why, "left") ? "NOTENOUGH" : "INVALID_REQUEST", why);
    } else if (rc != WX_STORE_OK || wx_mock_store_next(s, "refund", &seq) != WX_STORE_OK) {
        SYSTEMERROR(a);
    } else {
        copy(r->out_trade_no, sizeof r->out_trade_no, o.out_trade_no);
        copy(r->transaction_id, sizeof r->transaction_id, o.transaction_id);
        wx_mock_refund_id(seq, r->refund_id);
        o.refunded += r->refund;
        copy(o.trade_state, sizeof o.trade_state, "REFUND");
        done = wx_mock_refund_insert(s, r) != WX_STORE_OK || wx_mock_order_update(s, &o) != WX_STORE_OK;
        if (done)
            SYSTEMERROR(a);
    }
    wx_mock_order_clear(&o);
    return done;
}

void wx_mock_v2_refund(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_refund r;
    memset(&r, 0, sizeof r);
    r.api_version = 2;
    copy(r.out_refund_no, sizeof r.out_refund_no, wx_mock_v2_field(call, "out_refund_no"));
    copy(r.status, sizeof r.status, "PROCESSING");
    copy(r.channel, sizeof r.channel, "ORIGINAL");
    copy(r.user_received_account, sizeof r.user_received_account, "支付用户零钱");
    copy(r.reason, sizeof r.reason, wx_mock_v2_field(call, "refund_desc"));
    copy(r.notify_url, sizeof r.notify_url, wx_mock_v2_field(call, "notify_url"));
    copy(r.currency, sizeof r.currency, "CNY");
    r.refund = num(call, "refund_fee");
    r.total = num(call, "total_fee");
    wx_mock_time_rfc3339(-1, r.create_time);
    wx_mock_store *s = call->ctx->store;
    if (wx_mock_store_begin(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    if (apply(call, &r, a)) {
        wx_mock_store_rollback(s);
        return;
    }
    if (wx_mock_store_commit(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    put_refund(a, &r);
}

typedef struct listing {
    json_object *a;
    int n;
    const char *only; /* out_refund_no or refund_id asked for, or NULL for all */
} listing;

static int list_one(void *ud, const wx_mock_refund *r)
{
    listing *l = ud;
    if (l->only && strcmp(l->only, r->out_refund_no) != 0 && strcmp(l->only, r->refund_id) != 0)
        return 0;
    char name[48];
#define FIELD(base) (snprintf(name, sizeof name, "%s_%d", base, l->n), name)
    wx_mock_v2_put(l->a, FIELD("out_refund_no"), r->out_refund_no);
    wx_mock_v2_put(l->a, FIELD("refund_id"), r->refund_id);
    wx_mock_v2_put(l->a, FIELD("refund_channel"), r->channel);
    wx_mock_v2_put_int(l->a, FIELD("refund_fee"), r->refund);
    wx_mock_v2_put(l->a, FIELD("refund_status"), r->status);
    wx_mock_v2_put(l->a, FIELD("refund_recv_accout"), r->user_received_account);
    if (r->success_time[0])
        wx_mock_v2_put(l->a, FIELD("refund_success_time"), r->success_time);
#undef FIELD
    l->n++;
    return 0;
}

void wx_mock_v2_refundquery(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_store *s = call->ctx->store;
    const char *refund_no = wx_mock_v2_field(call, "out_refund_no");
    const char *refund_id = wx_mock_v2_field(call, "refund_id");
    const char *txn = wx_mock_v2_field(call, "transaction_id");
    wx_mock_order o = {0};
    wx_mock_refund r = {0};
    if (wx_mock_store_begin(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    wx_mock_store_rc rc = WX_STORE_NOT_FOUND;
    if (*refund_no && (rc = wx_mock_refund_find(s, refund_no, &r)) == WX_STORE_OK)
        rc = wx_mock_order_find(s, r.out_trade_no, &o);
    else if (!*refund_no && !*refund_id)
        rc = *txn ? wx_mock_order_find_by_transaction(s, txn, &o)
                  : wx_mock_order_find(s, wx_mock_v2_field(call, "out_trade_no"), &o);
    listing l = {a, 0, *refund_no ? refund_no : *refund_id ? refund_id : NULL};
    if (rc == WX_STORE_OK)
        rc = wx_mock_refund_each_of_order(s, o.out_trade_no, list_one, &l);
    wx_mock_store_rollback(s); /* read only */
    if (rc == WX_STORE_OK && l.n > 0) {
        wx_mock_v2_put(a, "result_code", "SUCCESS");
        wx_mock_v2_put(a, "transaction_id", o.transaction_id);
        wx_mock_v2_put(a, "out_trade_no", o.out_trade_no);
        wx_mock_v2_put_int(a, "total_fee", o.total);
        wx_mock_v2_put_int(a, "cash_fee", o.payer_total);
        wx_mock_v2_put_int(a, "refund_count", l.n);
    } else if (rc == WX_STORE_OK || rc == WX_STORE_NOT_FOUND) {
        wx_mock_v2_fail(a, "REFUNDNOTEXIST", "退款订单查询失败 (no such refund)");
    } else {
        SYSTEMERROR(a);
    }
    wx_mock_order_clear(&o);
    wx_mock_refund_clear(&r);
}

void wx_mock_v2_unifiedorder(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_order o;
    memset(&o, 0, sizeof o);
    o.api_version = 2;
    copy(o.out_trade_no, sizeof o.out_trade_no, wx_mock_v2_field(call, "out_trade_no"));
    copy(o.mchid, sizeof o.mchid, wx_mock_v2_field(call, "mch_id"));
    copy(o.appid, sizeof o.appid, wx_mock_v2_field(call, "appid"));
    copy(o.trade_type, sizeof o.trade_type, wx_mock_v2_field(call, "trade_type"));
    copy(o.trade_state, sizeof o.trade_state, "NOTPAY");
    copy(o.description, sizeof o.description, wx_mock_v2_field(call, "body"));
    copy(o.attach, sizeof o.attach, wx_mock_v2_field(call, "attach"));
    copy(o.notify_url, sizeof o.notify_url, wx_mock_v2_field(call, "notify_url"));
    copy(o.payer_openid, sizeof o.payer_openid, wx_mock_v2_field(call, "openid"));
    copy(o.currency, sizeof o.currency, "CNY");
    o.total = num(call, "total_fee");
    wx_mock_time_rfc3339(-1, o.create_time);
    wx_mock_store *s = call->ctx->store;
    int64_t seq = 0;
    if (wx_mock_store_begin(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    wx_mock_store_rc rc = wx_mock_store_next(s, "transaction", &seq);
    if (rc == WX_STORE_OK) {
        wx_mock_transaction_id(seq, o.transaction_id);
        wx_mock_prepay_id(o.prepay_id);
        rc = wx_mock_order_insert(s, &o);
    }
    if (rc != WX_STORE_OK) {
        wx_mock_store_rollback(s);
        if (rc == WX_STORE_EXISTS)
            return wx_mock_v2_fail(a, "OUT_TRADE_NO_USED", "商户订单号重复 (out_trade_no was used)");
        return SYSTEMERROR(a);
    }
    if (wx_mock_store_commit(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    wx_mock_v2_put(a, "result_code", "SUCCESS");
    wx_mock_v2_put(a, "trade_type", o.trade_type);
    wx_mock_v2_put(a, "prepay_id", o.prepay_id);
    if (!strcmp(o.trade_type, "NATIVE")) {
        char url[128];
        snprintf(url, sizeof url, "weixin://wxpay/bizpayurl?pr=%.7s", o.prepay_id + 22);
        wx_mock_v2_put(a, "code_url", url);
    }
}
