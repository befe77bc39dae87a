/* The sandbox's state: orders, refunds, pending callbacks and a few settings, in SQLite.
 *
 * One store serves both API versions. An order is keyed by out_trade_no (unique within
 * the one merchant the sandbox plays for); a refund by out_refund_no; a callback by its
 * notification id. The store only keeps records: what a transition means (which states
 * may follow which, which business error answers a refused one) is the business of the
 * handlers that use it (lifecycle.c for APIv3, the APIv2 handlers for APIv2).
 *
 * Transactions. Every read or change happens between wx_mock_store_begin() and
 * wx_mock_store_commit() (or _rollback()). begin takes the store's lock, so one request's
 * read-check-write sequence is atomic with respect to every other thread; with a file it
 * is also one SQLite transaction (WAL journal, synchronous=NORMAL: a commit survives
 * kill -9 of the sandbox). A handler that refuses a request rolls back, so a business
 * error leaves the state exactly as it was. Calls outside a transaction return
 * WX_STORE_ERROR. Keep transactions short: no network I/O and no RSA inside them.
 *
 * Records are plain structs with fixed-size text fields (sized from WeChat Pay's field
 * limits, in bytes of UTF-8) plus one malloc'd `extra` JSON text for whatever one API
 * version keeps and the other does not (APIv2: auth_code, spbill_create_ip...). A record
 * read from the store owns its `extra`: release it with the matching _clear().
 *
 * Amounts are in fen. Times are RFC 3339 in +08:00 (wx_mock_time_rfc3339). */
#ifndef WX_MOCK_STORE_H
#define WX_MOCK_STORE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

typedef struct wx_mock_store wx_mock_store;

typedef enum wx_mock_store_rc {
    WX_STORE_OK = 0,
    WX_STORE_NOT_FOUND, /* no such record */
    WX_STORE_EXISTS,    /* insert of a key that is already there */
    WX_STORE_ERROR      /* SQLite failed, out of memory, or no transaction open */
} wx_mock_store_rc;

/* trade_state values: NOTPAY SUCCESS CLOSED REFUND REVOKED USERPAYING PAYERROR.
 * refund status values: PROCESSING SUCCESS CLOSED ABNORMAL. */
typedef struct wx_mock_order {
    int api_version;          /* 3 or 2 */
    char out_trade_no[64];
    char mchid[33];
    char appid[64];
    char transaction_id[33];  /* 28 digits, given at creation; shown once paid; unique
                                 unless "" */
    char prepay_id[65];       /* "wx" + 34 more; "" for orders without one (micropay) */
    char trade_type[16];      /* JSAPI NATIVE APP MWEB MICROPAY */
    char trade_state[16];
    char description[512];
    char attach[512];
    char notify_url[1024];
    int64_t total;            /* what was ordered */
    int64_t payer_total;      /* what the payer paid (= total once paid, else 0) */
    char currency[8];         /* "CNY" */
    char payer_openid[130];
    char bank_type[32];       /* set when paid */
    char create_time[32];
    char success_time[32];    /* "" until paid */
    int64_t refunded;         /* sum of the refunds not CLOSED/ABNORMAL */
    char fingerprint[65];     /* SHA-256 hex of what was ordered: duplicate detection */
    char *extra;              /* JSON text or NULL; owned by the record */
} wx_mock_order;

typedef struct wx_mock_refund {
    int api_version;
    char out_refund_no[65];
    char refund_id[33];       /* 29 digits */
    char out_trade_no[64];
    char transaction_id[33];
    char status[16];
    char channel[16];               /* "ORIGINAL" */
    char user_received_account[64]; /* "支付用户零钱" */
    char reason[512];
    char notify_url[1024];    /* "" : the order's is used */
    int64_t refund;           /* this refund */
    int64_t total;            /* the order's total */
    char currency[8];
    char funds_account[16];   /* "AVAILABLE" ... or "" */
    char create_time[32];
    char success_time[32];    /* "" until SUCCESS */
    char fingerprint[65];
    char *extra;              /* JSON text or NULL; owned */
} wx_mock_refund;

/* A callback to deliver. For APIv3 `payload` is the resource in clear (JSON text): the
 * delivery thread encrypts and signs it at each attempt, so that a retry hours later
 * carries a fresh timestamp. For APIv2 `payload` is {"kind": "payment"|"refund",
 * "fields": {...}} in clear; the delivery signs it (or encrypts req_info) each time
 * (apiv2_notify.c). */
typedef struct wx_mock_notification {
    char id[64];              /* the envelope's "id" (a UUID) */
    int api_version;
    char url[1024];
    char event_type[32];      /* TRANSACTION.SUCCESS REFUND.SUCCESS ... (v2: "") */
    char summary[128];        /* "支付成功" */
    char original_type[32];   /* resource.original_type: "transaction", "refund" */
    char create_time[32];
    char *payload;            /* owned */
    int attempts;
    int last_status;          /* HTTP status of the last attempt; 0: none, or no answer */
    int delivered;
    int64_t next_attempt_ms;  /* UNIX ms of the next attempt */
} wx_mock_notification;

/* Open @p path (created when missing), or an in-memory store when @p path is NULL.
 * On failure returns NULL with @p why naming the file and the reason.
 * Thread-safety: the returned store may be used from any number of threads. */
wx_mock_store *wx_mock_store_open(const char *path, char *why, size_t why_len);
/* Close; NULL is fine. No transaction may be open. */
void wx_mock_store_close(wx_mock_store *s);

/* Transactions (see above). begin blocks while another thread holds one. commit returns
 * WX_STORE_ERROR when SQLite cannot commit (then it has rolled back). Both always
 * release the lock. */
wx_mock_store_rc wx_mock_store_begin(wx_mock_store *s);
wx_mock_store_rc wx_mock_store_commit(wx_mock_store *s);
void wx_mock_store_rollback(wx_mock_store *s);

/* The next value of a named counter (1, 2, ...), persisted: ids made from it stay unique
 * across restarts. */
wx_mock_store_rc wx_mock_store_next(wx_mock_store *s, const char *counter, int64_t *out);
/* A setting's value (malloc'd into *out, NULL when unset) and setting one (NULL value:
 * unset). The control API keeps "next_payment" (SUCCESS/PAYERROR/USERPAYING) here. */
wx_mock_store_rc wx_mock_store_setting_get(wx_mock_store *s, const char *name, char **out);
wx_mock_store_rc wx_mock_store_setting_set(wx_mock_store *s, const char *name, const char *value);
/* Forget every order, refund, callback and setting (counters are kept). */
wx_mock_store_rc wx_mock_store_reset(wx_mock_store *s);

/* Orders. find fills @p out (whose previous `extra` is not freed: pass a cleared record).
 * insert: WX_STORE_EXISTS when out_trade_no is taken. update writes every field of the
 * order with that out_trade_no (WX_STORE_NOT_FOUND if none). */
wx_mock_store_rc wx_mock_order_find(wx_mock_store *s, const char *out_trade_no, wx_mock_order *out);
wx_mock_store_rc wx_mock_order_find_by_transaction(wx_mock_store *s, const char *transaction_id,
                                                   wx_mock_order *out);
wx_mock_store_rc wx_mock_order_insert(wx_mock_store *s, const wx_mock_order *o);
wx_mock_store_rc wx_mock_order_update(wx_mock_store *s, const wx_mock_order *o);
/* Call @p fn for each order created on @p day ("2026-12-03", +08:00), oldest first;
 * stops early when fn returns non-zero. fn must not call the store. */
wx_mock_store_rc wx_mock_order_each_of_day(wx_mock_store *s, const char *day,
                                           int (*fn)(void *ud, const wx_mock_order *o), void *ud);
void wx_mock_order_clear(wx_mock_order *o);

/* Refunds, the same way, keyed by out_refund_no. */
wx_mock_store_rc wx_mock_refund_find(wx_mock_store *s, const char *out_refund_no,
                                     wx_mock_refund *out);
wx_mock_store_rc wx_mock_refund_insert(wx_mock_store *s, const wx_mock_refund *r);
wx_mock_store_rc wx_mock_refund_update(wx_mock_store *s, const wx_mock_refund *r);
/* Refunds of one order, oldest first (fn as for orders). */
wx_mock_store_rc wx_mock_refund_each_of_order(wx_mock_store *s, const char *out_trade_no,
                                              int (*fn)(void *ud, const wx_mock_refund *r),
                                              void *ud);
void wx_mock_refund_clear(wx_mock_refund *r);

/* Callbacks. add: WX_STORE_EXISTS for a repeated id. due: the undelivered callback with
 * the earliest next_attempt_ms <= @p now_ms (WX_STORE_NOT_FOUND when none is due), and
 * in *next_ms (may be NULL) the earliest next_attempt_ms of any undelivered one, or -1.
 * record: the outcome of one attempt (attempts is incremented). */
wx_mock_store_rc wx_mock_notification_add(wx_mock_store *s, const wx_mock_notification *n);
wx_mock_store_rc wx_mock_notification_due(wx_mock_store *s, int64_t now_ms,
                                          wx_mock_notification *out, int64_t *next_ms);
wx_mock_store_rc wx_mock_notification_record(wx_mock_store *s, const char *id, int status,
                                             int delivered, int64_t next_attempt_ms);
/* Every callback, oldest first, as the control API lists them: a new array of objects
 * {id, url, event_type, attempts, last_status, delivered} in *out (json_object_put). */
wx_mock_store_rc wx_mock_notification_list(wx_mock_store *s, struct json_object **out);
void wx_mock_notification_clear(wx_mock_notification *n);

/* ---------------------------------------------------------------- ids and times (ids.c) */
/* Now (or @p unix_s when >= 0) as "2026-12-03T10:34:56+08:00" in out[32]. */
void wx_mock_time_rfc3339(int64_t unix_s, char out[32]);
/* The +08:00 calendar day of now as "2026-12-03" in out[11]. */
void wx_mock_today(char out[11]);
/* WeChat Pay-shaped ids from a store counter value:
 * transaction_id "4200" + 6 digits + yyyymmdd + 10 digits (28 in all);
 * refund_id "50" + 9 digits + yyyymmdd + 10 digits (29);
 * prepay_id "wx" + ddHHMMSS... 14 digits + 20 hex (36). */
void wx_mock_transaction_id(int64_t seq, char out[33]);
/* PREFIX + @p rand_digits (0..9) random digits + yyyymmdd + @p seq in 10 digits, at most
 * 32 characters (profit-sharing order_id "3008...", return_id, detail_id). */
void wx_mock_dated_id(const char *prefix, int rand_digits, int64_t seq, char out[33]);
void wx_mock_refund_id(int64_t seq, char out[33]);
void wx_mock_prepay_id(char out[65]);
/* A notification id (UUID v4 text) in out[64]. */
void wx_mock_event_id(char out[64]);

#endif
