/* APIv2 calls played on the sandbox's state (DESIGN.md, "The sandbox server"): the
 * payment-code sale and what follows it. A payment code is 18 digits starting 10 to 15;
 * one ending in 9 makes the payer "enter a password" (USERPAYING) until the next
 * orderquery, any other valid one pays at once; anything else is AUTH_CODE_INVALID.
 * Each call is one store transaction, rolled back on a business error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv2.h"
#include "lifecycle.h"

#define SYSTEMERROR(a) wx_mock_v2_fail((a), "SYSTEMERROR", "系统错误 (the sandbox's store failed)")

static int paid(const wx_mock_order *o)
{
    return !strcmp(o->trade_state, "SUCCESS") || !strcmp(o->trade_state, "REFUND");
}

static void copy(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src); }

/* What an order answers with: the paid-order fields of micropay and orderquery. */
static void put_order(json_object *a, const wx_mock_order *o)
{
    wx_mock_v2_put(a, "out_trade_no", o->out_trade_no);
    wx_mock_v2_put(a, "trade_type", o->trade_type);
    wx_mock_v2_put(a, "attach", o->attach);
    wx_mock_v2_put_int(a, "total_fee", o->total);
    wx_mock_v2_put(a, "fee_type", o->currency);
    if (!paid(o))
        return;
    wx_mock_v2_put(a, "transaction_id", o->transaction_id);
    wx_mock_v2_put(a, "openid", o->payer_openid);
    wx_mock_v2_put(a, "is_subscribe", "N");
    wx_mock_v2_put(a, "bank_type", o->bank_type);
    wx_mock_v2_put_int(a, "cash_fee", o->payer_total);
    char end[16] = ""; /* 2026-12-03T10:34:56+08:00 -> 20261203103456 */
    const char *t = o->success_time;
    if (strlen(t) >= 19)
        snprintf(end, sizeof end, "%.4s%.2s%.2s%.2s%.2s%.2s", t, t + 5, t + 8, t + 11, t + 14, t + 17);
    wx_mock_v2_put(a, "time_end", end);
}

static int auth_code_kind(const char *code)
{
    if (strlen(code) != 18 || strspn(code, "0123456789") != 18 || code[0] != '1' ||
        code[1] < '0' || code[1] > '5')
        return 0;
    return code[17] == '9' ? 2 : 1; /* 2: the payer must enter a password */
}

static void micropay_new(const wx_mock_v2_call *call, wx_mock_order *o)
{
    memset(o, 0, sizeof *o);
    o->api_version = 2;
    copy(o->out_trade_no, sizeof o->out_trade_no, wx_mock_v2_field(call, "out_trade_no"));
    copy(o->mchid, sizeof o->mchid, wx_mock_v2_field(call, "mch_id"));
    copy(o->appid, sizeof o->appid, wx_mock_v2_field(call, "appid"));
    copy(o->trade_type, sizeof o->trade_type, "MICROPAY");
    copy(o->trade_state, sizeof o->trade_state, "NOTPAY");
    copy(o->description, sizeof o->description, wx_mock_v2_field(call, "body"));
    copy(o->attach, sizeof o->attach, wx_mock_v2_field(call, "attach"));
    o->total = strtoll(wx_mock_v2_field(call, "total_fee"), NULL, 10);
    const char *fee_type = wx_mock_v2_field(call, "fee_type");
    copy(o->currency, sizeof o->currency, *fee_type ? fee_type : "CNY");
    copy(o->payer_openid, sizeof o->payer_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    wx_mock_time_rfc3339(-1, o->create_time);
}

static void micropay(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_store *s = call->ctx->store;
    int kind = auth_code_kind(wx_mock_v2_field(call, "auth_code"));
    if (!kind) {
        wx_mock_v2_fail(a, "AUTH_CODE_INVALID", "付款码无效 (not an 18-digit code starting 10 to 15)");
        return;
    }
    wx_mock_order o, have = {0};
    micropay_new(call, &o);
    int64_t seq = 0;
    if (wx_mock_store_begin(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    wx_mock_store_rc rc = wx_mock_order_find(s, o.out_trade_no, &have);
    if (rc == WX_STORE_OK) {
        wx_mock_store_rollback(s);
        if (paid(&have))
            wx_mock_v2_fail(a, "ORDERPAID", "订单已支付 (the order is paid)");
        else
            wx_mock_v2_fail(a, "OUT_TRADE_NO_USED", "商户订单号重复 (out_trade_no was used)");
        wx_mock_order_clear(&have);
        return;
    }
    if (rc != WX_STORE_NOT_FOUND || wx_mock_store_next(s, "transaction", &seq) != WX_STORE_OK ||
        (wx_mock_transaction_id(seq, o.transaction_id), wx_mock_order_insert(s, &o)) != WX_STORE_OK ||
        wx_mock_order_settle(s, &o, kind == 2 ? "USERPAYING" : "SUCCESS") != WX_STORE_OK) {
        wx_mock_store_rollback(s);
        return SYSTEMERROR(a);
    }
    if (wx_mock_store_commit(s) != WX_STORE_OK)
        return SYSTEMERROR(a);
    if (kind == 2)
        wx_mock_v2_fail(a, "USERPAYING", "需要用户输入支付密码 (the payer is entering a password)");
    else
        wx_mock_v2_put(a, "result_code", "SUCCESS");
    put_order(a, &o);
    wx_mock_order_clear(&o);
}

/* The order a call names by out_trade_no or transaction_id, inside a transaction; on
 * failure the transaction is closed and @p a says why. */
static int find_order(const wx_mock_v2_call *call, wx_mock_order *o, json_object *a)
{
    wx_mock_store *s = call->ctx->store;
    const char *txn = wx_mock_v2_field(call, "transaction_id");
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        SYSTEMERROR(a);
        return -1;
    }
    wx_mock_store_rc rc = *txn ? wx_mock_order_find_by_transaction(s, txn, o)
                               : wx_mock_order_find(s, wx_mock_v2_field(call, "out_trade_no"), o);
    if (rc == WX_STORE_OK)
        return 0;
    wx_mock_store_rollback(s);
    if (rc == WX_STORE_NOT_FOUND)
        wx_mock_v2_fail(a, "ORDERNOTEXIST", "此交易订单号不存在 (no such order)");
    else
        SYSTEMERROR(a);
    return -1;
}

/* Save @p o and commit; 0, or -1 with SYSTEMERROR in @p a. */
static int save(wx_mock_store *s, const wx_mock_order *o, json_object *a)
{
    if (wx_mock_order_update(s, o) != WX_STORE_OK) {
        wx_mock_store_rollback(s);
        SYSTEMERROR(a);
        return -1;
    }
    if (wx_mock_store_commit(s) != WX_STORE_OK) {
        SYSTEMERROR(a);
        return -1;
    }
    return 0;
}

static void orderquery(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_order o = {0};
    if (find_order(call, &o, a) != 0)
        return;
    wx_mock_store *s = call->ctx->store;
    /* A payer who was entering a password has finished by now. */
    if (!strcmp(o.trade_state, "USERPAYING")) {
        if (wx_mock_order_settle(s, &o, "SUCCESS") != WX_STORE_OK ||
            wx_mock_store_commit(s) != WX_STORE_OK) {
            wx_mock_order_clear(&o);
            return SYSTEMERROR(a);
        }
    } else {
        wx_mock_store_rollback(s); /* read only */
    }
    wx_mock_v2_put(a, "result_code", "SUCCESS");
    put_order(a, &o);
    wx_mock_v2_put(a, "trade_state", o.trade_state);
    wx_mock_v2_put(a, "trade_state_desc", wx_mock_trade_state_desc(o.trade_state));
    wx_mock_order_clear(&o);
}

/* A payment-code order that failed or is unfinished is cancelled; a paid one refunded. */
static void reverse(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_order o = {0};
    if (find_order(call, &o, a) != 0)
        return;
    wx_mock_store *s = call->ctx->store;
    if (strcmp(o.trade_type, "MICROPAY") != 0 || !strcmp(o.trade_state, "REFUND")) {
        wx_mock_store_rollback(s);
        wx_mock_v2_fail(a, "TRADE_STATE_ERROR", "订单状态错误 (only an unrefunded payment-code "
                                                "order can be reversed)");
    } else {
        copy(o.trade_state, sizeof o.trade_state, "REVOKED");
        if (save(s, &o, a) == 0) {
            wx_mock_v2_put(a, "result_code", "SUCCESS");
            wx_mock_v2_put(a, "recall", "N");
        }
    }
    wx_mock_order_clear(&o);
}

static void closeorder(const wx_mock_v2_call *call, json_object *a)
{
    wx_mock_order o = {0};
    if (find_order(call, &o, a) != 0)
        return;
    wx_mock_store *s = call->ctx->store;
    if (paid(&o)) {
        wx_mock_store_rollback(s);
        wx_mock_v2_fail(a, "ORDERPAID", "订单已支付，不能发起关单 (the order is paid)");
    } else {
        copy(o.trade_state, sizeof o.trade_state, "CLOSED");
        if (save(s, &o, a) == 0) {
            wx_mock_v2_put(a, "result_code", "SUCCESS");
            wx_mock_v2_put(a, "result_msg", "OK");
        }
    }
    wx_mock_order_clear(&o);
}

const wx_mock_v2_route wx_mock_v2_routes[] = {
    {"/pay/micropay", micropay},
    {"/pay/orderquery", orderquery},
    {"/secapi/pay/reverse", reverse},
    {"/pay/closeorder", closeorder},
    {"/secapi/pay/refund", wx_mock_v2_refund},
    {"/pay/refundquery", wx_mock_v2_refundquery},
    {"/pay/unifiedorder", wx_mock_v2_unifiedorder},
    {NULL, NULL},
};
