/* Profit sharing (分账) on the sandbox's state: receivers, sharing a paid order
 * (/v3/profitsharing/orders), its query, unfreezing the rest, the unsplit amount of a
 * transaction, and returns. The sandbox completes a sharing at once (state FINISHED,
 * every receiver SUCCESS) and a return too (result SUCCESS).
 *
 * Records live in the store's settings as JSON, under "receiver:TYPE:ACCOUNT",
 * "ps:OUT_ORDER_NO" (the sharing as answered), "ps-txn:TRANSACTION_ID" ({split, unfrozen}),
 * "ps-returned:OUT_ORDER_NO" ({returned}) and "ps-return:OUT_RETURN_NO". Business errors, each changing nothing: an unknown
 * transaction or sharing is 404 RESOURCE_NOT_EXISTS; an unpaid order, one not made with
 * settle_info.profit_sharing, one unfrozen already, a receiver never added, or an
 * out_order_no reused with other content is 400 INVALID_REQUEST; more than is left is
 * 403 NOT_ENOUGH. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

/* PREFIX + A (+ ":" + B) */
static void make_key(char key[256], const char *prefix, const char *a, const char *b)
{
    snprintf(key, 256, "%s%.120s%s%.120s", prefix, a ? a : "", b ? ":" : "", b ? b : "");
}

/* A settings record as JSON (NULL when absent; *rc set). */
static struct json_object *get_json(wx_mock_store *s, const char *prefix, const char *a,
                                    const char *b, wx_mock_store_rc *rc)
{
    char key[256], *text = NULL;
    make_key(key, prefix, a, b);
    *rc = wx_mock_store_setting_get(s, key, &text);
    struct json_object *o = text ? json_tokener_parse(text) : NULL;
    free(text);
    return o;
}

static wx_mock_store_rc put_json(wx_mock_store *s, const char *prefix, const char *a,
                                 const char *b, struct json_object *o)
{
    char key[256];
    make_key(key, prefix, a, b);
    return wx_mock_store_setting_set(s, key, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* Run @p fn inside a transaction; commit when it returns 0 (then answer *view), else roll
 * back (it set the reply). */
static void in_txn(const wx_mock_call *call, wx_mock_reply *reply,
                   int (*fn)(const wx_mock_call *, wx_mock_reply *, struct json_object **))
{
    wx_mock_store *s = call->ctx->store;
    struct json_object *view = NULL;
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    if (fn(call, reply, &view) != 0) {
        wx_mock_store_rollback(s);
        json_object_put(view);
    } else if (wx_mock_store_commit(s) != WX_STORE_OK) {
        json_object_put(view);
        wx_mock_reply_store_error(reply);
    } else {
        wx_mock_reply_json(reply, 200, view, 0);
    }
}

static int add_receiver(const wx_mock_call *call, wx_mock_reply *reply, struct json_object **view)
{
    struct json_object *r = json_object_new_object();
    const char *keys[] = {"type", "account", "relation_type", "custom_relation"};
    for (size_t i = 0; i < 4; i++)
        if (*wx_mock_jstr(call->body, keys[i]))
            json_object_object_add(r, keys[i], json_object_new_string(wx_mock_jstr(call->body, keys[i])));
    if (put_json(call->ctx->store, "receiver:", wx_mock_jstr(call->body, "type"),
                 wx_mock_jstr(call->body, "account"), r) != WX_STORE_OK) {
        json_object_put(r);
        wx_mock_reply_store_error(reply);
        return -1;
    }
    *view = r;
    return 0;
}

static int delete_receiver(const wx_mock_call *call, wx_mock_reply *reply, struct json_object **view)
{
    char key[256];
    make_key(key, "receiver:", wx_mock_jstr(call->body, "type"), wx_mock_jstr(call->body, "account"));
    if (wx_mock_store_setting_set(call->ctx->store, key, NULL) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return -1;
    }
    *view = json_object_new_object();
    json_object_object_add(*view, "type", json_object_new_string(wx_mock_jstr(call->body, "type")));
    json_object_object_add(*view, "account", json_object_new_string(wx_mock_jstr(call->body, "account")));
    return 0;
}

/* The paid order of @p transaction_id that may be shared, and its sharing record
 * ({split, unfrozen}, new object); 0 or the reply is set. */
static int shareable(wx_mock_store *s, const char *transaction_id, wx_mock_order *o,
                     struct json_object **txn, wx_mock_reply *reply)
{
    wx_mock_store_rc rc = wx_mock_order_find_by_transaction(s, transaction_id, o);
    if (rc == WX_STORE_OK && (strcmp(o->trade_state, "SUCCESS") && strcmp(o->trade_state, "REFUND")))
        rc = WX_STORE_NOT_FOUND; /* an unpaid order's transaction_id is not given out */
    if (rc != WX_STORE_OK) {
        if (rc == WX_STORE_NOT_FOUND)
            wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "订单不存在 (no paid order %s)",
                                transaction_id);
        else
            wx_mock_reply_store_error(reply);
        return -1;
    }
    struct json_object *extra = json_tokener_parse(o->extra ? o->extra : "{}"), *ps = NULL;
    int allowed = extra && json_object_object_get_ex(extra, "profit_sharing", &ps) &&
                  json_object_get_boolean(ps);
    json_object_put(extra);
    if (!allowed) {
        wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                            "订单不支持分账 (order %s was not made with settle_info.profit_sharing)",
                            o->out_trade_no);
        return -1;
    }
    *txn = get_json(s, "ps-txn:", transaction_id, NULL, &rc);
    if (!*txn)
        *txn = json_tokener_parse("{\"split\":0,\"unfrozen\":false}");
    struct json_object *unfrozen = NULL;
    json_object_object_get_ex(*txn, "unfrozen", &unfrozen);
    if (rc != WX_STORE_OK || json_object_get_boolean(unfrozen)) {
        if (rc != WX_STORE_OK)
            wx_mock_reply_store_error(reply);
        else
            wx_mock_reply_error(reply, 400, "INVALID_REQUEST", "订单已解冻 (transaction %s)",
                                transaction_id);
        json_object_put(*txn);
        *txn = NULL;
        return -1;
    }
    return 0;
}

static int64_t unsplit(const wx_mock_order *o, struct json_object *txn)
{
    return o->payer_total - o->refunded - wx_mock_jint(txn, "split");
}

/* The answer of a sharing: receivers as given, each SUCCESS now. */
static struct json_object *sharing_view(wx_mock_store *s, const wx_mock_call *call, int64_t *sum)
{
    char now[32], order_id[33], detail[33];
    int64_t seq = 0;
    wx_mock_time_rfc3339(-1, now);
    wx_mock_store_next(s, "profitsharing", &seq);
    wx_mock_dated_id("3008", 6, seq, order_id);
    struct json_object *v = json_object_new_object(), *list = json_object_new_array(), *given = NULL;
    json_object_object_add(v, "transaction_id", json_object_new_string(wx_mock_jstr(call->body, "transaction_id")));
    json_object_object_add(v, "out_order_no", json_object_new_string(wx_mock_jstr(call->body, "out_order_no")));
    json_object_object_add(v, "order_id", json_object_new_string(order_id));
    json_object_object_add(v, "state", json_object_new_string("FINISHED"));
    json_object_object_get_ex(call->body, "receivers", &given);
    *sum = 0;
    for (size_t i = 0; given && i < json_object_array_length(given); i++) {
        struct json_object *g = json_object_array_get_idx(given, i), *r = json_object_new_object();
        *sum += wx_mock_jint(g, "amount");
        json_object_object_add(r, "amount", json_object_new_int64(wx_mock_jint(g, "amount")));
        json_object_object_add(r, "description", json_object_new_string(wx_mock_jstr(g, "description")));
        json_object_object_add(r, "type", json_object_new_string(wx_mock_jstr(g, "type")));
        json_object_object_add(r, "account", json_object_new_string(wx_mock_jstr(g, "account")));
        json_object_object_add(r, "result", json_object_new_string("SUCCESS"));
        json_object_object_add(r, "create_time", json_object_new_string(now));
        json_object_object_add(r, "finish_time", json_object_new_string(now));
        wx_mock_dated_id("3601", 6, seq * 100 + (int64_t)i, detail);
        json_object_object_add(r, "detail_id", json_object_new_string(detail));
        json_object_array_add(list, r);
    }
    json_object_object_add(v, "receivers", list);
    return v;
}

/* Every receiver was added beforehand; else the reply is set. */
static int receivers_known(wx_mock_store *s, const wx_mock_call *call, wx_mock_reply *reply)
{
    struct json_object *given = NULL;
    json_object_object_get_ex(call->body, "receivers", &given);
    for (size_t i = 0; given && i < json_object_array_length(given); i++) {
        struct json_object *g = json_object_array_get_idx(given, i);
        wx_mock_store_rc rc;
        struct json_object *r = get_json(s, "receiver:", wx_mock_jstr(g, "type"),
                                         wx_mock_jstr(g, "account"), &rc);
        json_object_put(r);
        if (!r) {
            wx_mock_reply_error(reply, 400, "INVALID_REQUEST",
                                "分账接收方不存在 (receiver %s %s was not added)",
                                wx_mock_jstr(g, "type"), wx_mock_jstr(g, "account"));
            return -1;
        }
    }
    return 0;
}

static int share(const wx_mock_call *call, wx_mock_reply *reply, struct json_object **view)
{
    wx_mock_store *s = call->ctx->store;
    const char *otn = wx_mock_jstr(call->body, "out_order_no");
    const char *txn_id = wx_mock_jstr(call->body, "transaction_id");
    wx_mock_store_rc rc;
    struct json_object *have = get_json(s, "ps:", otn, NULL, &rc), *txn = NULL;
    if (have) { /* asked again: the same sharing, or a reused number */
        if (strcmp(wx_mock_jstr(have, "transaction_id"), txn_id) != 0) {
            wx_mock_reply_error(reply, 400, "INVALID_REQUEST", "商户分账单号重复 (out_order_no %s)", otn);
            json_object_put(have);
            return -1;
        }
        *view = have;
        return 0;
    }
    wx_mock_order o = {0};
    int64_t sum = 0;
    int bad = rc != WX_STORE_OK || shareable(s, txn_id, &o, &txn, reply) != 0 ||
              receivers_known(s, call, reply) != 0;
    if (!bad) {
        *view = sharing_view(s, call, &sum);
        if (sum > unsplit(&o, txn)) {
            wx_mock_reply_error(reply, 403, "NOT_ENOUGH", "分账金额不足 (%lld asked, %lld left)",
                                (long long)sum, (long long)unsplit(&o, txn));
            bad = 1;
        } else {
            json_object_object_add(txn, "split", json_object_new_int64(wx_mock_jint(txn, "split") + sum));
            struct json_object *unfreeze = NULL;
            json_object_object_get_ex(call->body, "unfreeze_unsplit", &unfreeze);
            json_object_object_add(txn, "unfrozen", json_object_new_boolean(json_object_get_boolean(unfreeze)));
            if (put_json(s, "ps-txn:", txn_id, NULL, txn) != WX_STORE_OK ||
                put_json(s, "ps:", otn, NULL, *view) != WX_STORE_OK) {
                wx_mock_reply_store_error(reply);
                bad = 1;
            }
        }
    }
    json_object_put(txn);
    wx_mock_order_clear(&o);
    return bad ? -1 : 0;
}

static int unfreeze(const wx_mock_call *call, wx_mock_reply *reply, struct json_object **view)
{
    wx_mock_store *s = call->ctx->store;
    const char *txn_id = wx_mock_jstr(call->body, "transaction_id");
    const char *otn = wx_mock_jstr(call->body, "out_order_no");
    wx_mock_order o = {0};
    struct json_object *txn = NULL;
    int bad = shareable(s, txn_id, &o, &txn, reply);
    if (!bad) {
        char order_id[33];
        int64_t seq = 0;
        wx_mock_store_next(s, "profitsharing", &seq);
        wx_mock_dated_id("3008", 6, seq, order_id);
        json_object_object_add(txn, "unfrozen", json_object_new_boolean(1));
        *view = json_object_new_object();
        json_object_object_add(*view, "transaction_id", json_object_new_string(txn_id));
        json_object_object_add(*view, "out_order_no", json_object_new_string(otn));
        json_object_object_add(*view, "order_id", json_object_new_string(order_id));
        json_object_object_add(*view, "state", json_object_new_string("FINISHED"));
        json_object_object_add(*view, "receivers", json_object_new_array());
        if (put_json(s, "ps-txn:", txn_id, NULL, txn) != WX_STORE_OK ||
            put_json(s, "ps:", otn, NULL, *view) != WX_STORE_OK) {
            wx_mock_reply_store_error(reply);
            bad = -1;
        }
    }
    json_object_put(txn);
    wx_mock_order_clear(&o);
    return bad;
}

/* GET a record by path variable, checked against a query parameter. */
static void query_record(const wx_mock_call *call, wx_mock_reply *reply, const char *prefix,
                         const char *var, const char *param, const char *what)
{
    const char *id = wx_mock_call_var(call, var), *want = wx_mock_call_query(call, param);
    wx_mock_store_rc rc = wx_mock_store_begin(call->ctx->store);
    struct json_object *o = NULL;
    if (rc == WX_STORE_OK) {
        o = get_json(call->ctx->store, prefix, id ? id : "", NULL, &rc);
        wx_mock_store_rollback(call->ctx->store);
    }
    if (rc != WX_STORE_OK)
        wx_mock_reply_store_error(reply);
    else if (!o || strcmp(wx_mock_jstr(o, param), want ? want : "") != 0)
        wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "%s不存在 (no %s %s)", what, var, id);
    else {
        wx_mock_reply_json(reply, 200, o, 0);
        return;
    }
    json_object_put(o);
}

static void query_sharing(const wx_mock_call *c, wx_mock_reply *r)
{
    query_record(c, r, "ps:", "out_order_no", "transaction_id", "分账单");
}

static void query_return(const wx_mock_call *c, wx_mock_reply *r)
{
    query_record(c, r, "ps-return:", "out_return_no", "out_order_no", "回退单");
}

static void amounts(const wx_mock_call *call, wx_mock_reply *reply)
{
    wx_mock_store *s = call->ctx->store;
    const char *txn_id = wx_mock_call_var(call, "transaction_id");
    wx_mock_order o = {0};
    struct json_object *txn = NULL;
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_order_find_by_transaction(s, txn_id ? txn_id : "", &o);
    if (rc == WX_STORE_OK)
        txn = get_json(s, "ps-txn:", txn_id, NULL, &rc);
    wx_mock_store_rollback(s);
    struct json_object *unfrozen = NULL;
    int paid = !strcmp(o.trade_state, "SUCCESS") || !strcmp(o.trade_state, "REFUND");
    if (rc == WX_STORE_OK && paid) {
        int64_t left = txn && json_object_object_get_ex(txn, "unfrozen", &unfrozen) &&
                               json_object_get_boolean(unfrozen) ? 0 : unsplit(&o, txn);
        struct json_object *v = json_object_new_object();
        json_object_object_add(v, "transaction_id", json_object_new_string(txn_id));
        json_object_object_add(v, "unsplit_amount", json_object_new_int64(left));
        wx_mock_reply_json(reply, 200, v, 0);
    } else if (rc == WX_STORE_OK || rc == WX_STORE_NOT_FOUND) {
        wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "订单不存在 (no paid order %s)", txn_id);
    } else {
        wx_mock_reply_store_error(reply);
    }
    json_object_put(txn);
    wx_mock_order_clear(&o);
}

static int return_order(const wx_mock_call *call, wx_mock_reply *reply, struct json_object **view)
{
    wx_mock_store *s = call->ctx->store;
    const char *otn = wx_mock_jstr(call->body, "out_order_no");
    const char *orn = wx_mock_jstr(call->body, "out_return_no");
    wx_mock_store_rc rc;
    struct json_object *sharing = get_json(s, "ps:", otn, NULL, &rc), *list = NULL;
    if (!sharing) {
        wx_mock_reply_error(reply, 404, "RESOURCE_NOT_EXISTS", "分账单不存在 (no out_order_no %s)", otn);
        return -1;
    }
    struct json_object *ret = get_json(s, "ps-returned:", otn, NULL, &rc);
    int64_t shared = 0, returned = wx_mock_jint(ret, "returned");
    json_object_put(ret);
    json_object_object_get_ex(sharing, "receivers", &list);
    for (size_t i = 0; list && i < json_object_array_length(list); i++)
        if (!strcmp(wx_mock_jstr(json_object_array_get_idx(list, i), "account"),
                    wx_mock_jstr(call->body, "return_mchid")))
            shared += wx_mock_jint(json_object_array_get_idx(list, i), "amount");
    int64_t amount = wx_mock_jint(call->body, "amount");
    if (amount > shared - returned) {
        wx_mock_reply_error(reply, 403, "NOT_ENOUGH", "回退金额不足 (%lld asked, %lld can be returned)",
                            (long long)amount, (long long)(shared - returned));
        json_object_put(sharing);
        return -1;
    }
    char now[32], return_id[33];
    int64_t seq = 0;
    wx_mock_time_rfc3339(-1, now);
    wx_mock_store_next(s, "profitsharing", &seq);
    wx_mock_dated_id("3009", 6, seq, return_id);
    *view = json_object_new_object();
    json_object_object_add(*view, "order_id", json_object_new_string(wx_mock_jstr(sharing, "order_id")));
    json_object_object_add(*view, "out_order_no", json_object_new_string(otn));
    json_object_object_add(*view, "out_return_no", json_object_new_string(orn));
    json_object_object_add(*view, "return_id", json_object_new_string(return_id));
    json_object_object_add(*view, "return_mchid", json_object_new_string(wx_mock_jstr(call->body, "return_mchid")));
    json_object_object_add(*view, "amount", json_object_new_int64(amount));
    json_object_object_add(*view, "description", json_object_new_string(wx_mock_jstr(call->body, "description")));
    json_object_object_add(*view, "result", json_object_new_string("SUCCESS"));
    json_object_object_add(*view, "create_time", json_object_new_string(now));
    json_object_object_add(*view, "finish_time", json_object_new_string(now));
    ret = json_object_new_object();
    json_object_object_add(ret, "returned", json_object_new_int64(returned + amount));
    int bad = put_json(s, "ps-returned:", otn, NULL, ret) != WX_STORE_OK ||
              put_json(s, "ps-return:", orn, NULL, *view) != WX_STORE_OK;
    json_object_put(ret);
    if (bad)
        wx_mock_reply_store_error(reply);
    json_object_put(sharing);
    return bad ? -1 : 0;
}

static void post_add(const wx_mock_call *c, wx_mock_reply *r) { in_txn(c, r, add_receiver); }
static void post_delete(const wx_mock_call *c, wx_mock_reply *r) { in_txn(c, r, delete_receiver); }
static void post_share(const wx_mock_call *c, wx_mock_reply *r) { in_txn(c, r, share); }
static void post_unfreeze(const wx_mock_call *c, wx_mock_reply *r) { in_txn(c, r, unfreeze); }
static void post_return(const wx_mock_call *c, wx_mock_reply *r) { in_txn(c, r, return_order); }

const wx_mock_route wx_mock_profitsharing_routes[] = {
    {"POST", "/v3/profitsharing/receivers/add", post_add},
    {"POST", "/v3/profitsharing/receivers/delete", post_delete},
    {"POST", "/v3/profitsharing/orders", post_share},
    {"POST", "/v3/profitsharing/orders/unfreeze", post_unfreeze},
    {"GET", "/v3/profitsharing/orders/{out_order_no}", query_sharing},
    {"GET", "/v3/profitsharing/transactions/{transaction_id}/amounts", amounts},
    {"POST", "/v3/profitsharing/return-orders", post_return},
    {"GET", "/v3/profitsharing/return-orders/{out_return_no}", query_return},
    {NULL, NULL, NULL},
};
