/* Orders and refunds as WeChat Pay shows them: the query answers and the resources of
 * TRANSACTION.SUCCESS and REFUND.* callbacks. Fields WeChat Pay only gives once an order
 * is paid (transaction_id, trade_type, bank_type, success_time, payer_total) are left out
 * before that. */
#include <json-c/json.h>
#include <string.h>

#include "lifecycle.h"

static void add_str(struct json_object *o, const char *key, const char *value)
{
    if (value && *value)
        json_object_object_add(o, key, json_object_new_string(value));
}

static void add_int(struct json_object *o, const char *key, int64_t value)
{
    json_object_object_add(o, key, json_object_new_int64(value));
}

const char *wx_mock_trade_state_desc(const char *s)
{
    static const char *const k_desc[][2] = {
        {"SUCCESS", "支付成功"},        {"REFUND", "转入退款"},
        {"NOTPAY", "未支付"},           {"CLOSED", "已关闭"},
        {"REVOKED", "已撤销"},          {"USERPAYING", "用户支付中"},
        {"PAYERROR", "支付失败"},
    };
    for (size_t i = 0; i < sizeof k_desc / sizeof k_desc[0]; i++)
        if (!strcmp(s, k_desc[i][0]))
            return k_desc[i][1];
    return s;
}

static int is_paid(const wx_mock_order *o)
{
    return !strcmp(o->trade_state, "SUCCESS") || !strcmp(o->trade_state, "REFUND");
}

struct json_object *wx_mock_order_view(const wx_mock_order *o)
{
    struct json_object *v = json_object_new_object();
    int paid = is_paid(o);
    add_str(v, "appid", o->appid);
    add_str(v, "mchid", o->mchid);
    add_str(v, "out_trade_no", o->out_trade_no);
    if (paid) {
        add_str(v, "transaction_id", o->transaction_id);
        add_str(v, "trade_type", o->trade_type);
    }
    add_str(v, "trade_state", o->trade_state);
    add_str(v, "trade_state_desc", wx_mock_trade_state_desc(o->trade_state));
    if (paid) {
        add_str(v, "bank_type", o->bank_type);
        add_str(v, "success_time", o->success_time);
    }
    add_str(v, "attach", o->attach);
    if (o->payer_openid[0]) {
        struct json_object *payer = json_object_new_object();
        add_str(payer, "openid", o->payer_openid);
        json_object_object_add(v, "payer", payer);
    }
    struct json_object *amount = json_object_new_object();
    add_int(amount, "total", o->total);
    if (paid)
        add_int(amount, "payer_total", o->payer_total);
    add_str(amount, "currency", o->currency);
    add_str(amount, "payer_currency", o->currency);
    json_object_object_add(v, "amount", amount);
    return v;
}

/* What the payer gets back of a refund: all of it (the sandbox has no discounts). */
static struct json_object *refund_amount(const wx_mock_refund *r, int full)
{
    struct json_object *a = json_object_new_object();
    add_int(a, "total", r->total);
    add_int(a, "refund", r->refund);
    add_int(a, "payer_total", r->total);
    add_int(a, "payer_refund", r->refund);
    if (full) {
        add_int(a, "settlement_refund", r->refund);
        add_int(a, "settlement_total", r->total);
        add_int(a, "discount_refund", 0);
        add_str(a, "currency", r->currency);
    }
    return a;
}

struct json_object *wx_mock_refund_view(const wx_mock_refund *r)
{
    struct json_object *v = json_object_new_object();
    add_str(v, "refund_id", r->refund_id);
    add_str(v, "out_refund_no", r->out_refund_no);
    add_str(v, "transaction_id", r->transaction_id);
    add_str(v, "out_trade_no", r->out_trade_no);
    add_str(v, "channel", r->channel);
    add_str(v, "user_received_account", r->user_received_account);
    add_str(v, "success_time", r->success_time);
    add_str(v, "create_time", r->create_time);
    add_str(v, "status", r->status);
    add_str(v, "funds_account", r->funds_account);
    json_object_object_add(v, "amount", refund_amount(r, 1));
    return v;
}

struct json_object *wx_mock_refund_event_view(const wx_mock_refund *r, const char *mchid)
{
    struct json_object *v = json_object_new_object();
    add_str(v, "mchid", mchid);
    add_str(v, "out_trade_no", r->out_trade_no);
    add_str(v, "transaction_id", r->transaction_id);
    add_str(v, "out_refund_no", r->out_refund_no);
    add_str(v, "refund_id", r->refund_id);
    add_str(v, "refund_status", r->status);
    add_str(v, "success_time", r->success_time);
    add_str(v, "user_received_account", r->user_received_account);
    json_object_object_add(v, "amount", refund_amount(r, 0));
    return v;
}
