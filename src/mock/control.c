/* The control API: plain JSON under /mock/ on the sandbox's port, no signature, for
 * tests only and refused to any peer that is not loopback.
 *
 *   POST /mock/pay {"out_trade_no": ".."}            pay an order (the next-payment outcome);
 *                  {"combine_out_trade_no": ".."}    or every sub-order of a combined order
 *   POST /mock/refund/succeed {"out_refund_no": ".."} complete a PROCESSING refund
 *   GET  /mock/notifications                         {"data": [callbacks, oldest first]}
 *   POST /mock/next-payment {"outcome": "PAYERROR"}  how the next /mock/pay ends: SUCCESS
 *                                                    (the default), PAYERROR or USERPAYING
 *   POST /mock/reset                                 forget every order, refund, callback */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

typedef struct control_call {
    const wx_mock_handler_ctx *ctx;
    struct json_object *body; /* NULL for none */
} control_call;

/* Read the next-payment outcome and forget it (it applies to one payment). */
static wx_mock_store_rc take_outcome(wx_mock_store *s, char out[16])
{
    char *v = NULL;
    wx_mock_store_rc rc = wx_mock_store_setting_get(s, "next_payment", &v);
    snprintf(out, 16, "%s", v ? v : "SUCCESS");
    free(v);
    if (rc == WX_STORE_OK)
        rc = wx_mock_store_setting_set(s, "next_payment", NULL);
    return rc;
}

/* Finish a control call's transaction: commit and answer @p view, or report the store. */
static void finish(const control_call *c, struct json_object *view, wx_mock_reply *reply)
{
    if (wx_mock_store_commit(c->ctx->store) != WX_STORE_OK) {
        json_object_put(view);
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_notifier_wake(c->ctx->notifier);
    wx_mock_reply_json(reply, 200, view, 1);
}

/* POST /mock/pay {"combine_out_trade_no"}: every sub-order of a combined order. */
static void pay_combine(const control_call *c, const char *key, wx_mock_reply *reply)
{
    wx_mock_store *s = c->ctx->store;
    struct json_object *view = NULL;
    char outcome[16];
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = take_outcome(s, outcome);
    if (rc == WX_STORE_OK)
        rc = wx_mock_combine_pay(s, key, outcome, &view);
    if (rc == WX_STORE_OK) {
        finish(c, view, reply);
        return;
    }
    wx_mock_store_rollback(s);
    if (rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "ORDER_NOT_EXIST", "订单不存在 (no combine %s)", key);
    else if (rc == WX_STORE_EXISTS)
        wx_mock_reply_error(reply, 400, "ORDERPAID", "combine %s is paid or closed", key);
    else
        wx_mock_reply_store_error(reply);
}

static void pay(const control_call *c, wx_mock_reply *reply)
{
    wx_mock_store *s = c->ctx->store;
    const char *key = wx_mock_jstr(c->body, "out_trade_no");
    if (!*key && *wx_mock_jstr(c->body, "combine_out_trade_no")) {
        pay_combine(c, wx_mock_jstr(c->body, "combine_out_trade_no"), reply);
        return;
    }
    if (!*key) {
        wx_mock_reply_error(reply, 400, "PARAM_ERROR", "POST /mock/pay needs a JSON body "
                            "{\"out_trade_no\": \"...\"} or {\"combine_out_trade_no\": \"...\"}");
        return;
    }
    wx_mock_order o = {0};
    char outcome[16];
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_order_find(s, key, &o);
    const char *st = o.trade_state;
    if (rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "ORDER_NOT_EXIST", "订单不存在 (no order %s)", key);
    else if (rc != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else if (!strcmp(st, "SUCCESS") || !strcmp(st, "REFUND"))
        wx_mock_reply_error(reply, 400, "ORDERPAID", "该订单已支付 (order %s is %s)", key, st);
    else if (!strcmp(st, "CLOSED") || !strcmp(st, "REVOKED"))
        wx_mock_reply_error(reply, 400, "ORDER_CLOSED", "该订单已关闭 (order %s is %s)", key, st);
    else if (take_outcome(s, outcome) != WX_STORE_OK ||
             wx_mock_order_settle(s, &o, outcome) != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else {
        finish(c, wx_mock_order_view(&o), reply);
        wx_mock_order_clear(&o);
        return;
    }
    wx_mock_store_rollback(s);
    wx_mock_order_clear(&o);
}

static void refund_succeed(const control_call *c, wx_mock_reply *reply)
{
    wx_mock_store *s = c->ctx->store;
    const char *key = wx_mock_jstr(c->body, "out_refund_no");
    wx_mock_refund r = {0};
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_refund_find(s, key, &r);
    if (rc == WX_STORE_NOT_FOUND)
        wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "退款单不存在 (no refund %s)", key);
    else if (rc != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else if (strcmp(r.status, "PROCESSING") != 0)
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST", "refund %s is %s, not PROCESSING", key,
                            r.status);
    else if (wx_mock_refund_settle(s, &r) != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else {
        finish(c, wx_mock_refund_view(&r), reply);
        wx_mock_refund_clear(&r);
        return;
    }
    wx_mock_store_rollback(s);
    wx_mock_refund_clear(&r);
}

static void notifications(const control_call *c, wx_mock_reply *reply)
{
    struct json_object *list = NULL;
    if (wx_mock_store_begin(c->ctx->store) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_notification_list(c->ctx->store, &list);
    wx_mock_store_rollback(c->ctx->store);
    if (rc != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "data", list);
    wx_mock_reply_json(reply, 200, o, 1);
}

static void next_payment(const control_call *c, wx_mock_reply *reply)
{
    const char *outcome = wx_mock_jstr(c->body, "outcome");
    if (strcmp(outcome, "SUCCESS") && strcmp(outcome, "PAYERROR") && strcmp(outcome, "USERPAYING")) {
        wx_mock_reply_error(reply, 400, "PARAM_ERROR",
                            "outcome is SUCCESS, PAYERROR or USERPAYING, not '%.40s'", outcome);
        return;
    }
    if (wx_mock_store_begin(c->ctx->store) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    if (wx_mock_store_setting_set(c->ctx->store, "next_payment", outcome) != WX_STORE_OK) {
        wx_mock_store_rollback(c->ctx->store);
        wx_mock_reply_store_error(reply);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "next_payment", json_object_new_string(outcome));
    finish(c, o, reply);
}

static void reset(const control_call *c, wx_mock_reply *reply)
{
    if (wx_mock_store_begin(c->ctx->store) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    if (wx_mock_store_reset(c->ctx->store) != WX_STORE_OK) {
        wx_mock_store_rollback(c->ctx->store);
        wx_mock_reply_store_error(reply);
        return;
    }
    finish(c, json_object_new_object(), reply);
}

typedef struct control_route {
    const char *method, *path;
    void (*fn)(const control_call *c, wx_mock_reply *reply);
    const char *needs; /* a body member that must be a non-empty string, or NULL */
} control_route;

static const control_route k_routes[] = {
    {"POST", "/mock/pay", pay, NULL}, /* out_trade_no or combine_out_trade_no: pay() checks */
    {"POST", "/mock/refund/succeed", refund_succeed, "out_refund_no"},
    {"GET", "/mock/notifications", notifications, NULL},
    {"POST", "/mock/next-payment", next_payment, "outcome"},
    {"POST", "/mock/reset", reset, NULL},
};

void wx_mock_control_answer(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                            wx_mock_reply *reply)
{
    if (!req->peer_loopback) {
        wx_mock_reply_error(reply, 403, "NO_AUTH", "the control API answers loopback peers only");
        reply->unsigned_reply = 1;
        return;
    }
    size_t plen = strcspn(req->target, "?");
    const control_route *route = NULL;
    for (size_t i = 0; i < sizeof k_routes / sizeof k_routes[0]; i++)
        if (strlen(k_routes[i].path) == plen && !strncmp(k_routes[i].path, req->target, plen) &&
            !strcmp(k_routes[i].method, req->method))
            route = &k_routes[i];
    control_call c = {ctx, req->body_len ? json_tokener_parse(req->body) : NULL};
    if (!route) {
        wx_mock_reply_error(reply, 404, "NOT_FOUND", "no control call %s %.*s (see wxpay mock --help)",
                            req->method, (int)(plen > 200 ? 200 : plen), req->target);
    } else if (!ctx->store) {
        wx_mock_reply_error(reply, 500, "SYSTEM_ERROR", "the sandbox has no state store");
    } else if (route->needs && !*wx_mock_jstr(c.body, route->needs)) {
        wx_mock_reply_error(reply, 400, "PARAM_ERROR",
                            "%s %s needs a JSON body {\"%s\": \"...\"}", route->method, route->path,
                            route->needs);
    } else {
        route->fn(&c, reply);
    }
    json_object_put(c.body);
    reply->unsigned_reply = 1;
}
