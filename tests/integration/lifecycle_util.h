/* What the lifecycle tests share: a library client on a sandbox, the order, refund and
 * query calls a merchant makes, the control API, and checks of a business error. */
#ifndef WX_TEST_LIFECYCLE_UTIL_H
#define WX_TEST_LIFECYCLE_UTIL_H

#include <stdint.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

/* A client for @p m (fails the test when it cannot be made). */
wx_client_t *lc_client(const wxt_mock *m);

/* POST /v3/pay/transactions/{kind} ("jsapi", "native", "app", "h5"). */
wx_response_t *lc_create(wx_client_t *c, const char *kind, const char *out_trade_no,
                         int64_t total, const char *notify_url);
/* GET /v3/pay/transactions/out-trade-no/{out_trade_no} and .../id/{transaction_id}. */
wx_response_t *lc_query(wx_client_t *c, const char *out_trade_no);
wx_response_t *lc_query_id(wx_client_t *c, const char *transaction_id);
/* POST .../out-trade-no/{out_trade_no}/close. */
wx_response_t *lc_close(wx_client_t *c, const char *out_trade_no);
/* POST /v3/refund/domestic/refunds; notify_url may be NULL. */
wx_response_t *lc_refund(wx_client_t *c, const char *out_trade_no, const char *out_refund_no,
                         int64_t refund, int64_t total, const char *notify_url);
/* GET /v3/refund/domestic/refunds/{out_refund_no}. */
wx_response_t *lc_refund_query(wx_client_t *c, const char *out_refund_no);

/* A control API call on @p m: returns the HTTP status; *json (may be NULL) receives the
 * parsed answer (json_object_put). */
long lc_control(const wxt_mock *m, const char *method, const char *path, const char *body,
                struct json_object **json);

/* A verified 2xx: its status; fails the test otherwise. */
int lc_ok(const wx_response_t *r);
/* A verified business error with this status and code (the answer was signed). */
void lc_expect_error(const wx_response_t *r, int status, const char *code);
/* A string member of the response body ("" when absent). */
const char *lc_field(const wx_response_t *r, const char *key);
/* trade_state of an order by out_trade_no (fails on anything but 200). malloc'd. */
char *lc_trade_state(wx_client_t *c, const char *out_trade_no);
/* The object member of @p o at a dotted path ("amount.total"); NULL when absent. */
struct json_object *lc_get(struct json_object *o, const char *path);

#endif
