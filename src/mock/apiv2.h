/* The sandbox's APIv2 side, shared by apiv2.c (the protocol: XML, the sign with the
 * APIv2 key, validation, signed answers) and apiv2_orders.c (the calls on the state). */
#ifndef WX_MOCK_APIV2_H
#define WX_MOCK_APIV2_H

#include <wechatpay/apiv2.h>

#include "mock.h"
#include "store.h"

struct json_object;

/* A call whose sign verified and whose fields passed the spec. Borrowed. */
typedef struct wx_mock_v2_call {
    const wx_mock_handler_ctx *ctx;
    const char *path;            /* "/pay/micropay" (without /v2) */
    struct json_object *fields;  /* the request's fields, strings */
} wx_mock_v2_call;

/* Fill @p answer (an empty object) with the call's own fields: result_code and what
 * follows it. apiv2.c adds return_code, return_msg, appid, mch_id, nonce_str and sign. */
typedef void (*wx_mock_v2_fn)(const wx_mock_v2_call *call, struct json_object *answer);

typedef struct wx_mock_v2_route {
    const char *path;
    wx_mock_v2_fn fn;
} wx_mock_v2_route;

/* The calls played on the state ({NULL}-terminated); the others answer their example. */
extern const wx_mock_v2_route wx_mock_v2_routes[];

/* apiv2_refunds.c: secapi/pay/refund, pay/refundquery; and pay/unifiedorder. */
void wx_mock_v2_refund(const wx_mock_v2_call *call, struct json_object *answer);
void wx_mock_v2_refundquery(const wx_mock_v2_call *call, struct json_object *answer);
void wx_mock_v2_unifiedorder(const wx_mock_v2_call *call, struct json_object *answer);

/* apiv2_notify.c: queue the callback of a paid APIv2 order (to its notify_url) or of a
 * completed APIv2 refund (its notify_url, else the order's); nothing for an empty URL.
 * Inside a store transaction. */
wx_mock_store_rc wx_mock_v2_queue_payment(wx_mock_store *s, const wx_mock_order *o);
wx_mock_store_rc wx_mock_v2_queue_refund(wx_mock_store *s, const wx_mock_refund *r,
                                         const wx_mock_order *o);
/* The XML body of a queued APIv2 callback, signed (payment) or with req_info encrypted
 * (refund) with the APIv2 key, a fresh nonce_str each time: malloc'd, NULL on failure. */
char *wx_mock_v2_notification_body(const wx_mock_config *cfg, const char *payload, size_t *len);

/* Why a call got no answer of its own: return_code FAIL with this return_msg, and an
 * error_code when WeChat Pay gives one (the bill downloads do). */
typedef struct wx_mock_v2_refusal {
    const char *return_msg;
    const char *error_code;      /* NULL: none */
} wx_mock_v2_refusal;

/* apiv2_bills.c: pay/downloadbill and pay/downloadfundflow. -1: @p call is neither;
 * 0: @p reply holds the bill (text or gzip, unsigned); 1: no bill, *no says why. */
int wx_mock_v2_bill(const wx_mock_v2_call *call, wx_mock_reply *reply, wx_mock_v2_refusal *no);

/* result_code FAIL with err_code and err_code_des. */
void wx_mock_v2_fail(struct json_object *answer, const char *err_code, const char *des);
/* A field's text ("" when absent). */
const char *wx_mock_v2_field(const wx_mock_v2_call *call, const char *name);
/* Add name=value (a string) to @p answer. */
void wx_mock_v2_put(struct json_object *answer, const char *name, const char *value);
void wx_mock_v2_put_int(struct json_object *answer, const char *name, int64_t value);

#endif
