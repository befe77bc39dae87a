/* The payment lifecycle the sandbox plays (DESIGN.md, "The sandbox server"):
 *
 *   lifecycle.c    routing a validated APIv3 call to its state handler; business errors
 *   orders.c       POST /v3/pay/transactions/{jsapi,native,app,h5}, queries, close
 *   refunds.c      POST /v3/refund/domestic/refunds and the refund query
 *   views.c        an order or refund as WeChat Pay shows it (answers and callbacks)
 *   tradebill.c    trade bills built from the day's orders, and their download
 *   combine.c      combined orders (/v3/combine-transactions/...) over ordinary sub-orders
 *   profitsharing.c receivers, sharing a paid order, unfreezing, returns
 *   control.c      the unsigned /mock/ control API (pay, refund/succeed, notifications...)
 *   notification.c a callback's signed, encrypted envelope (also `wxpay notify make`)
 *   notifier.c     the delivery thread: libcurl POSTs, retries, records
 *
 * State lives in the store (store.h); every handler runs one store transaction and rolls
 * it back on a business error, so a refused call changes nothing. */
#ifndef WX_MOCK_LIFECYCLE_H
#define WX_MOCK_LIFECYCLE_H

#include <stdint.h>

#include "mock.h"
#include "store.h"

struct json_object;
typedef struct wx_mock_notifier wx_mock_notifier;

/* A request that passed the signature check and its spec's validation. Borrowed. */
typedef struct wx_mock_call {
    const wx_mock_handler_ctx *ctx;
    const wx_mock_request *req;
    const char *template_path;   /* the endpoint's template, "/v3/pay/transactions/jsapi" */
    struct json_object *vars;    /* decoded path variables (may be NULL) */
    const wx_kv_t *query;        /* decoded query pairs */
    struct json_object *body;    /* the parsed JSON body, or NULL */
    const wx_endpoint_t *ep;     /* its endpoint (for wx_mock_answer_example) */
} wx_mock_call;

/* A state handler: fills @p reply and returns. */
typedef void (*wx_mock_route_fn)(const wx_mock_call *call, wx_mock_reply *reply);

typedef struct wx_mock_route {
    const char *method;
    const char *template_path;
    wx_mock_route_fn fn;
} wx_mock_route;

/* Answer @p call from the state when a route takes it: returns 1 with @p reply set, or 0
 * (reply untouched) for an endpoint the lifecycle does not play, which then gets its
 * spec example. Thread-safe (the store serialises). */
int wx_mock_lifecycle_answer(const wx_mock_call *call, wx_mock_reply *reply);

/* The routes of orders.c, refunds.c and tradebill.c ({NULL}-terminated). */
extern const wx_mock_route wx_mock_order_routes[];
extern const wx_mock_route wx_mock_refund_routes[];
extern const wx_mock_route wx_mock_bill_routes[];
extern const wx_mock_route wx_mock_combine_routes[];
extern const wx_mock_route wx_mock_profitsharing_routes[];

/* tradebill.c: inside a store transaction, the trade bill of @p day ("2026-12-03",
 * +08:00) as WeChat Pay writes it (header line, every value after a backtick, summary
 * lines): @p type ALL, SUCCESS or REFUND (anything else: ALL). *csv is set even on
 * failure (wx_mock_str_free); *rows counts the detail lines. */
wx_mock_store_rc wx_mock_trade_bill_csv(wx_mock_store *s, const char *day, const char *type,
                                        wx_mock_str *csv, long long *rows);
/* tradebill.c: inside a store transaction, the orders of @p day paid (SUCCESS or
 * REFUND), oldest first, appended to @p out (free out->v); their `extra` is NULL. */
typedef struct wx_mock_paid_orders {
    wx_mock_order *v;
    size_t n, cap;
} wx_mock_paid_orders;
wx_mock_store_rc wx_mock_paid_orders_of_day(wx_mock_store *s, const char *day,
                                            wx_mock_paid_orders *out);
/* fundflowbill.c: the same for the fund flow of @p day: every paid order an income,
 * every successful refund an expense, with the running balance of the Basic account
 * (@p account_type "Basic"; the Operation and Fees accounts have no movements here). */
wx_mock_store_rc wx_mock_fundflow_bill_csv(wx_mock_store *s, const char *day,
                                           const char *account_type, wx_mock_str *csv,
                                           long long *rows);
/* gzip of @p len bytes (malloc'd into *out), the same bytes each time; 0 or -1. */
int wx_mock_gzip(const char *data, size_t len, char **out, size_t *out_len);

/* A signed business error: {"code","message"} with @p status. */
void wx_mock_reply_error(wx_mock_reply *reply, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A JSON answer: takes @p body (json_object_put'd here); @p unsigned_reply for the
 * control API. */
void wx_mock_reply_json(wx_mock_reply *reply, int status, struct json_object *body,
                        int unsigned_reply);
/* The store failed: 500 SYSTEM_ERROR (and roll back first). */
void wx_mock_reply_store_error(wx_mock_reply *reply);

/* Small JSON readers: a member's string ("" when absent or not a string) and integer. */
const char *wx_mock_jstr(struct json_object *o, const char *key);
int64_t wx_mock_jint(struct json_object *o, const char *key);
/* A path variable or query parameter by name (NULL when absent). */
const char *wx_mock_call_var(const wx_mock_call *call, const char *name);
const char *wx_mock_call_query(const wx_mock_call *call, const char *name);

/* ---------------------------------------------------------------- state changes shared
 * by the API handlers and the control API. Call inside a store transaction. */
/* Pay @p o (NOTPAY, USERPAYING or PAYERROR) with @p outcome (SUCCESS, PAYERROR or
 * USERPAYING): updates it, and on SUCCESS queues its TRANSACTION.SUCCESS callback. */
wx_mock_store_rc wx_mock_order_settle(wx_mock_store *s, wx_mock_order *o, const char *outcome);
/* Complete refund @p r (PROCESSING): SUCCESS and its REFUND.SUCCESS callback to the
 * refund's notify_url, else the order's. */
wx_mock_store_rc wx_mock_refund_settle(wx_mock_store *s, wx_mock_refund *r);
/* Pay the combined order @p combine_out_trade_no (every sub-order) with @p outcome; on
 * SUCCESS queues its one TRANSACTION.SUCCESS callback. *view receives the combine's view
 * (json_object_put). WX_STORE_NOT_FOUND: no such combine; WX_STORE_EXISTS: it is paid or
 * closed already. (combine.c) */
wx_mock_store_rc wx_mock_combine_pay(wx_mock_store *s, const char *combine_out_trade_no,
                                     const char *outcome, struct json_object **view);
/* Queue an APIv3 callback of @p event_type with @p resource (JSON, taken over) to @p url,
 * due now. Nothing is queued for an empty url. */
wx_mock_store_rc wx_mock_queue_callback(wx_mock_store *s, const char *url, const char *event_type,
                                        const char *summary, const char *original_type,
                                        struct json_object *resource);

/* ---------------------------------------------------------------- views.c */
/* An order as the query answers and TRANSACTION.SUCCESS carries it (new object). */
struct json_object *wx_mock_order_view(const wx_mock_order *o);
/* A refund as the refund answers show it (new object). */
struct json_object *wx_mock_refund_view(const wx_mock_refund *r);
/* A refund as REFUND.* callbacks carry it (new object). */
struct json_object *wx_mock_refund_event_view(const wx_mock_refund *r, const char *mchid);
/* "支付成功" and the like for a trade_state. */
const char *wx_mock_trade_state_desc(const char *trade_state);

/* ---------------------------------------------------------------- control.c */
/* Answer a /mock/ request (any method). @p peer_loopback: the peer is 127.0.0.0/8 or ::1;
 * anything else is refused with 403. */
void wx_mock_control_answer(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                            wx_mock_reply *reply);

/* ---------------------------------------------------------------- notification.c */
/* A callback as WeChat Pay sends it: the envelope JSON in *body (malloc'd) with its
 * resource AEAD_AES_256_GCM under the APIv3 key, associated_data = @p original_type,
 * and the four Wechatpay-* header values in *sig, signed with the platform key (or the
 * public key). Returns 0, or -1 with @p why. */
int wx_mock_notification_build(const wx_mock_config *cfg, wx_mock_sign_with with,
                               const char *id, const char *create_time, const char *event_type,
                               const char *summary, const char *original_type,
                               const char *resource_json, char **body, size_t *body_len,
                               wx_mock_signature *sig, char *why, size_t why_len);

/* ---------------------------------------------------------------- notifier.c */
typedef struct wx_mock_notifier_options {
    const wx_mock_config *cfg;
    wx_mock_store *store;
    wx_mock_sign_with sign_with;
    double backoff_s;      /* the first retry interval (WeChat Pay: 15 s); the rest scale */
    int any_host;          /* deliver to non-loopback URLs too (--notify-any-host) */
    int quiet;             /* no log line per attempt */
} wx_mock_notifier_options;

/* Start the delivery thread (it delivers what the store holds at once: a restart
 * resumes). NULL with @p why on failure. */
wx_mock_notifier *wx_mock_notifier_start(const wx_mock_notifier_options *opts, char *why,
                                         size_t why_len);
/* Something was queued: deliver it without waiting for the next timer. NULL is fine. */
void wx_mock_notifier_wake(wx_mock_notifier *n);
/* Stop the thread (an attempt in flight finishes, at most its 5 s timeout) and free. */
void wx_mock_notifier_stop(wx_mock_notifier *n);
/* 1 when @p url's host is 127.0.0.0/8, [::1] or localhost. */
int wx_mock_url_is_loopback(const char *url);

#endif
