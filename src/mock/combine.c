/* Combined orders (合单支付) on the sandbox's state: POST /v3/combine-transactions/{jsapi,
 * native,app,h5}, the query by combine_out_trade_no and close.
 *
 * Each sub-order is an ordinary order (so the order queries and refunds act on it) whose
 * extra names its combine; the combine itself is kept as an order record keyed
 * "combine:" + combine_out_trade_no, holding the notify_url, the payer and, in extra, the
 * sub-orders' out_trade_no. Paying the combine (POST /mock/pay {"combine_out_trade_no"})
 * pays every sub-order and sends one TRANSACTION.SUCCESS with the combine's view, as
 * WeChat Pay does. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

#define KEY_PREFIX "combine:"

static void combine_key(const char *combine_out_trade_no, char out[64])
{
    snprintf(out, 64, KEY_PREFIX "%.40s", combine_out_trade_no);
}

/* The combine record and the sub-orders a creation request describes. */
static void from_body(struct json_object *body, const char *trade_type, wx_mock_order *combine)
{
    struct json_object *payer = NULL, *subs = NULL;
    json_object_object_get_ex(body, "combine_payer_info", &payer);
    json_object_object_get_ex(body, "sub_orders", &subs);
    memset(combine, 0, sizeof *combine);
    combine->api_version = 3;
    combine_key(wx_mock_jstr(body, "combine_out_trade_no"), combine->out_trade_no);
    snprintf(combine->mchid, sizeof combine->mchid, "%s", wx_mock_jstr(body, "combine_mchid"));
    snprintf(combine->appid, sizeof combine->appid, "%s", wx_mock_jstr(body, "combine_appid"));
    snprintf(combine->trade_type, sizeof combine->trade_type, "%s", trade_type);
    snprintf(combine->trade_state, sizeof combine->trade_state, "NOTPAY");
    snprintf(combine->notify_url, sizeof combine->notify_url, "%s", wx_mock_jstr(body, "notify_url"));
    snprintf(combine->payer_openid, sizeof combine->payer_openid, "%s", wx_mock_jstr(payer, "openid"));
    snprintf(combine->currency, sizeof combine->currency, "CNY");
    wx_mock_time_rfc3339(-1, combine->create_time);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; subs && i < json_object_array_length(subs); i++) {
        struct json_object *sub = json_object_array_get_idx(subs, i), *amount = NULL;
        json_object_object_get_ex(sub, "amount", &amount);
        combine->total += wx_mock_jint(amount, "total_amount");
        json_object_array_add(list, json_object_new_string(wx_mock_jstr(sub, "out_trade_no")));
    }
    combine->extra = strdup(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
    json_object_put(list);
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
    wx_sha256_hex(text, strlen(text), combine->fingerprint);
}

static void sub_order(const wx_mock_order *combine, struct json_object *sub, wx_mock_order *o)
{
    struct json_object *amount = NULL;
    json_object_object_get_ex(sub, "amount", &amount);
    memset(o, 0, sizeof *o);
    o->api_version = 3;
    snprintf(o->out_trade_no, sizeof o->out_trade_no, "%s", wx_mock_jstr(sub, "out_trade_no"));
    snprintf(o->mchid, sizeof o->mchid, "%s", wx_mock_jstr(sub, "mchid"));
    snprintf(o->appid, sizeof o->appid, "%s", combine->appid);
    snprintf(o->trade_type, sizeof o->trade_type, "%s", combine->trade_type);
    snprintf(o->trade_state, sizeof o->trade_state, "NOTPAY");
    snprintf(o->description, sizeof o->description, "%s", wx_mock_jstr(sub, "description"));
    snprintf(o->attach, sizeof o->attach, "%s", wx_mock_jstr(sub, "attach"));
    o->total = wx_mock_jint(amount, "total_amount");
    snprintf(o->currency, sizeof o->currency, "CNY");
    snprintf(o->payer_openid, sizeof o->payer_openid, "%s", combine->payer_openid);
    snprintf(o->create_time, sizeof o->create_time, "%s", combine->create_time);
    struct json_object *x = json_object_new_object();
    json_object_object_add(x, "combine_out_trade_no",
                           json_object_new_string(combine->out_trade_no + strlen(KEY_PREFIX)));
    o->extra = strdup(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN));
    json_object_put(x);
}

/* Insert the combine and its sub-orders; 0, or the reply is set. */
static int insert_all(const wx_mock_call *call, wx_mock_order *combine, wx_mock_reply *reply)
{
    wx_mock_store *s = call->ctx->store;
    struct json_object *subs = NULL;
    json_object_object_get_ex(call->body, "sub_orders", &subs);
    wx_mock_prepay_id(combine->prepay_id);
    if (wx_mock_order_insert(s, combine) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(subs); i++) {
        wx_mock_order o;
        int64_t seq = 0;
        sub_order(combine, json_object_array_get_idx(subs, i), &o);
        snprintf(o.prepay_id, sizeof o.prepay_id, "%s", combine->prepay_id);
        wx_mock_store_rc rc = wx_mock_store_next(s, "transaction", &seq);
        if (rc == WX_STORE_OK) {
            wx_mock_transaction_id(seq, o.transaction_id);
            rc = wx_mock_order_insert(s, &o);
        }
        if (rc == WX_STORE_EXISTS)
            wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                                "商户订单号重复 (sub-order out_trade_no %s is taken)", o.out_trade_no);
        else if (rc != WX_STORE_OK)
            wx_mock_reply_store_error(reply);
        wx_mock_order_clear(&o);
        if (rc != WX_STORE_OK)
            return -1;
    }
    return 0;
}

static void answer_prepay(wx_mock_reply *reply, const char *prepay_id)
{
    struct json_object *a = json_object_new_object();
    json_object_object_add(a, "prepay_id", json_object_new_string(prepay_id));
    wx_mock_reply_json(reply, 200, a, 0);
}

static void create(const wx_mock_call *call, wx_mock_reply *reply, const char *trade_type)
{
    wx_mock_store *s = call->ctx->store;
    wx_mock_order want, have = {0};
    from_body(call->body, trade_type, &want);
    const char *id = want.out_trade_no + strlen(KEY_PREFIX);
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        wx_mock_order_clear(&want);
        return;
    }
    wx_mock_store_rc rc = wx_mock_order_find(s, want.out_trade_no, &have);
    if (rc == WX_STORE_OK) {
        /* asked again: the same prepay, unless the content or the state differs */
        wx_mock_store_rollback(s);
        if (strcmp(have.fingerprint, want.fingerprint) != 0)
            wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                                "商户订单号重复 (combine_out_trade_no %s was used with other "
                                "content)", id);
        else if (strcmp(have.trade_state, "NOTPAY") != 0)
            wx_mock_reply_error(reply, 400, !strcmp(have.trade_state, "CLOSED") ? "ORDER_CLOSED"
                                                                                : "ORDERPAID",
                                "combine %s is %s", id, have.trade_state);
        else
            answer_prepay(reply, have.prepay_id);
    } else if (rc != WX_STORE_NOT_FOUND) {
        wx_mock_store_rollback(s);
        wx_mock_reply_store_error(reply);
    } else if (insert_all(call, &want, reply) != 0) {
        wx_mock_store_rollback(s);
    } else if (wx_mock_store_commit(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
    } else {
        answer_prepay(reply, want.prepay_id);
    }
    wx_mock_order_clear(&want);
    wx_mock_order_clear(&have);
}

static void create_jsapi(const wx_mock_call *c, wx_mock_reply *r) { create(c, r, "JSAPI"); }
static void create_native(const wx_mock_call *c, wx_mock_reply *r) { create(c, r, "NATIVE"); }
static void create_app(const wx_mock_call *c, wx_mock_reply *r) { create(c, r, "APP"); }
static void create_h5(const wx_mock_call *c, wx_mock_reply *r) { create(c, r, "MWEB"); }

/* The combine as its query and its callback show it (new object), or NULL. */
static struct json_object *combine_view(wx_mock_store *s, const wx_mock_order *c)
{
    struct json_object *v = json_object_new_object(), *subs = json_object_new_array();
    json_object_object_add(v, "combine_appid", json_object_new_string(c->appid));
    json_object_object_add(v, "combine_mchid", json_object_new_string(c->mchid));
    json_object_object_add(v, "combine_out_trade_no",
                           json_object_new_string(c->out_trade_no + strlen(KEY_PREFIX)));
    struct json_object *list = json_tokener_parse(c->extra ? c->extra : "[]");
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        wx_mock_order o = {0};
        if (wx_mock_order_find(s, json_object_get_string(json_object_array_get_idx(list, i)),
                               &o) != WX_STORE_OK)
            continue;
        struct json_object *ov = wx_mock_order_view(&o), *amount = NULL, *sv = json_object_new_object();
        json_object_object_foreach(ov, k, val) {
            if (strcmp(k, "appid") && strcmp(k, "trade_state_desc") && strcmp(k, "payer") &&
                strcmp(k, "amount"))
                json_object_object_add(sv, k, json_object_get(val));
        }
        json_object_object_get_ex(ov, "amount", &amount);
        struct json_object *a = json_object_new_object();
        json_object_object_add(a, "total_amount", json_object_new_int64(o.total));
        if (o.payer_total)
            json_object_object_add(a, "payer_amount", json_object_new_int64(o.payer_total));
        json_object_object_add(a, "currency", json_object_new_string(o.currency));
        json_object_object_add(a, "payer_currency", json_object_new_string(o.currency));
        json_object_object_add(sv, "amount", a);
        if (!json_object_object_get_ex(sv, "attach", NULL))
            json_object_object_add(sv, "attach", json_object_new_string(""));
        json_object_array_add(subs, sv);
        json_object_put(ov);
        wx_mock_order_clear(&o);
    }
    json_object_put(list);
    json_object_object_add(v, "sub_orders", subs);
    struct json_object *payer = json_object_new_object();
    json_object_object_add(payer, "openid", json_object_new_string(c->payer_openid));
    json_object_object_add(v, "combine_payer_info", payer);
    return v;
}

/* Find the combine of the path's combine_out_trade_no inside a transaction; 0, or the
 * reply is set and the transaction rolled back. */
static int find_combine(const wx_mock_call *call, wx_mock_order *c, wx_mock_reply *reply)
{
    char key[64];
    const char *id = wx_mock_call_var(call, "combine_out_trade_no");
    combine_key(id ? id : "", key);
    if (wx_mock_store_begin(call->ctx->store) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return -1;
    }
    wx_mock_store_rc rc = wx_mock_order_find(call->ctx->store, key, c);
    if (rc == WX_STORE_OK)
        return 0;
    wx_mock_store_rollback(call->ctx->store);
    if (rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "ORDER_NOT_EXIST", "订单不存在 (no combine %s)", id);
    else
        wx_mock_reply_store_error(reply);
    return -1;
}

static void query(const wx_mock_call *call, wx_mock_reply *reply)
{
    wx_mock_order c = {0};
    if (find_combine(call, &c, reply) != 0)
        return;
    struct json_object *v = combine_view(call->ctx->store, &c);
    wx_mock_store_rollback(call->ctx->store);
    wx_mock_reply_json(reply, 200, v, 0);
    wx_mock_order_clear(&c);
}

/* Set every sub-order (and the combine) to @p state; refuse when one is paid. */
static wx_mock_store_rc settle_subs(wx_mock_store *s, wx_mock_order *c, const char *outcome,
                                    int *paid_already)
{
    struct json_object *list = json_tokener_parse(c->extra ? c->extra : "[]");
    wx_mock_store_rc rc = WX_STORE_OK;
    *paid_already = 0;
    for (size_t i = 0; rc == WX_STORE_OK && list && i < json_object_array_length(list); i++) {
        wx_mock_order o = {0};
        rc = wx_mock_order_find(s, json_object_get_string(json_object_array_get_idx(list, i)), &o);
        if (rc == WX_STORE_OK && (!strcmp(o.trade_state, "SUCCESS") || !strcmp(o.trade_state, "REFUND")))
            *paid_already = 1;
        else if (rc == WX_STORE_OK && !strcmp(outcome, "CLOSED")) {
            snprintf(o.trade_state, sizeof o.trade_state, "CLOSED");
            rc = wx_mock_order_update(s, &o);
        } else if (rc == WX_STORE_OK)
            rc = wx_mock_order_settle(s, &o, outcome); /* no notify_url: no callback of its own */
        wx_mock_order_clear(&o);
        if (*paid_already)
            break;
    }
    json_object_put(list);
    if (rc == WX_STORE_OK && !*paid_already) {
        snprintf(c->trade_state, sizeof c->trade_state, "%s", outcome);
        rc = wx_mock_order_update(s, c);
    }
    return rc;
}

static void close_combine(const wx_mock_call *call, wx_mock_reply *reply)
{
    wx_mock_order c = {0};
    if (find_combine(call, &c, reply) != 0)
        return;
    int paid = 0;
    wx_mock_store_rc rc = settle_subs(call->ctx->store, &c, "CLOSED", &paid);
    if (rc != WX_STORE_OK || paid) {
        wx_mock_store_rollback(call->ctx->store);
        if (paid)
            wx_mock_reply_error(reply, 400, "ORDERPAID", "订单已支付，不能关闭 (combine %s)",
                                c.out_trade_no + strlen(KEY_PREFIX));
        else
            wx_mock_reply_store_error(reply);
    } else if (wx_mock_store_commit(call->ctx->store) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
    } else {
        reply->status = 204;
    }
    wx_mock_order_clear(&c);
}

wx_mock_store_rc wx_mock_combine_pay(wx_mock_store *s, const char *combine_out_trade_no,
                                     const char *outcome, struct json_object **view)
{
    char key[64];
    wx_mock_order c = {0};
    *view = NULL;
    combine_key(combine_out_trade_no, key);
    wx_mock_store_rc rc = wx_mock_order_find(s, key, &c);
    if (rc != WX_STORE_OK)
        return rc;
    int paid = 0;
    if (strcmp(c.trade_state, "NOTPAY") && strcmp(c.trade_state, "USERPAYING") &&
        strcmp(c.trade_state, "PAYERROR"))
        paid = 1;
    else
        rc = settle_subs(s, &c, outcome, &paid);
    if (rc == WX_STORE_OK && paid)
        rc = WX_STORE_EXISTS;
    if (rc == WX_STORE_OK)
        *view = combine_view(s, &c);
    if (rc == WX_STORE_OK && !strcmp(outcome, "SUCCESS"))
        rc = wx_mock_queue_callback(s, c.notify_url, "TRANSACTION.SUCCESS", "支付成功",
                                    "transaction", json_object_get(*view));
    wx_mock_order_clear(&c);
    return rc;
}

const wx_mock_route wx_mock_combine_routes[] = {
    {"POST", "/v3/combine-transactions/jsapi", create_jsapi},
    {"POST", "/v3/combine-transactions/native", create_native},
    {"POST", "/v3/combine-transactions/app", create_app},
    {"POST", "/v3/combine-transactions/h5", create_h5},
    {"GET", "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}", query},
    {"POST", "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close", close_combine},
    {NULL, NULL, NULL},
};
