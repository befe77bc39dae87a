/**
 * @file notify.h
 * @brief Callback notifications: what WeChat Pay POSTs to a merchant's `notify_url`
 *        (payment, refund, profit-sharing events), verified and decrypted; APIv3's
 *        (JSON, RSA) first, APIv2's (XML, the APIv2 key) at the end.
 *
 * A notification is checked with the same rules as a response: the four
 * `Wechatpay-Timestamp`, `-Nonce`, `-Signature` and `-Serial` headers are required, the
 * serial must name a known platform certificate or WeChat Pay public key
 * (`PUB_KEY_ID_...`), the timestamp must be within 300 s of now, and the signature must
 * match `TIMESTAMP\nNONCE\nBODY\n` over the body exactly as received. Only then is the
 * body parsed and its `resource` decrypted (AEAD_AES_256_GCM with the APIv3 key).
 *
 * @code
 *   wx_notification_t *n = NULL;
 *   wx_error_t err;
 *   wx_err rc = wx_notify_verify(client, headers, body, body_len, &n, &err);
 *   if (rc == WX_OK) handle(n->event_type, n->resource);
 *   int status; char *answer = NULL;
 *   if (wx_notify_reply(rc, rc == WX_OK ? NULL : "verification failed", &status, &answer) != WX_OK)
 *       status = 500;                   // no memory for the answer: 500 without a body
 *   send_http_answer(status, answer);   // 204 and no body, or 4xx/5xx with JSON
 *   wx_free(answer);
 *   wx_notification_free(n);
 * @endcode
 * @threadsafety Every function here may be called from several threads at once, also
 *               with one client or keyring.
 */
#ifndef WECHATPAY_NOTIFY_H
#define WECHATPAY_NOTIFY_H

#include "common.h"
#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
typedef struct wx_keyring wx_keyring_t;

/**
 * A verified and decrypted notification. Every string is NUL-terminated and borrowed
 * from the notification: it lives until wx_notification_free().
 */
typedef struct wx_notification {
    const char *id;              /**< "EV-2018022511223320873" */
    const char *create_time;     /**< "2015-05-20T13:29:35+08:00" */
    const char *event_type;      /**< "TRANSACTION.SUCCESS", "REFUND.SUCCESS", ... */
    const char *resource_type;   /**< "encrypt-resource" */
    const char *summary;         /**< "支付成功" */
    const char *algorithm;       /**< resource.algorithm: "AEAD_AES_256_GCM" */
    const char *original_type;   /**< resource.original_type: "transaction", "refund", ... */
    const char *associated_data; /**< resource.associated_data, "" when absent */
    const char *nonce;           /**< resource.nonce */
    const char *ciphertext;      /**< resource.ciphertext (base64) */
    const char *serial;          /**< the platform key that signed it (Wechatpay-Serial) */
    const char *plaintext;       /**< the decrypted resource (JSON text) */
    size_t plaintext_len;        /**< its length in bytes */
    struct json_object *resource; /**< plaintext parsed; borrowed: do not json_object_put() */
    struct json_object *envelope; /**< the body as parsed (resource still encrypted); borrowed */
    int64_t timestamp;           /**< its verified Wechatpay-Timestamp (UNIX seconds) */
} wx_notification_t;

/**
 * @brief Verify and decrypt a notification with a client's platform keys, APIv3 key
 *        and clock.
 *
 * When the client was made with `auto_refresh_certificates` and the notification names
 * an unknown `Wechatpay-Serial`, the platform certificates are downloaded once (at most
 * once a minute) and the check repeated; the notification is accepted only if the
 * refreshed set holds that serial and the signature verifies with it.
 * @param client  a client with an `apiv3_key` and the default verifier (not a custom one).
 * @param headers the request headers as received, `{NULL, NULL}`-terminated, any case
 *                (borrowed). Each `Wechatpay-*` header must appear once.
 * @param body    the request body exactly as received (borrowed), @p body_len bytes.
 * @param out     receives the notification (free with wx_notification_free()); NULL on failure.
 * @param err     optional detail: the message says which check failed and err->where
 *                names the header or field ("Wechatpay-Signature", "resource.ciphertext").
 * @return WX_OK;
 *         WX_E_VERIFY_HEADER (a Wechatpay-* header missing, empty, repeated or malformed),
 *         WX_E_VERIFY_SERIAL (unknown platform key), WX_E_VERIFY_TIME (more than 300 s off),
 *         WX_E_VERIFY_SIGNATURE (headers or body altered);
 *         WX_E_JSON (a verified body that is not a notification object, or a decrypted
 *         resource that is not JSON), WX_E_UNSUPPORTED (an algorithm other than
 *         AEAD_AES_256_GCM), WX_E_DECRYPT (the AES-GCM tag does not match: ciphertext,
 *         nonce or associated_data altered, or another APIv3 key);
 *         WX_E_CONFIG (no apiv3_key, or a custom verifier), WX_E_INVALID_ARG, WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_notify_verify(wx_client_t *client, const wx_kv_t *headers,
                                             const char *body, size_t body_len,
                                             wx_notification_t **out, wx_error_t *err);

/**
 * @brief The same checks without a client: platform keys from @p ring, the 32-byte
 *        @p apiv3_key and the time @p now (UNIX seconds) given by the caller.
 * @param ring borrowed (see wechatpay/plugin.h for building one).
 * @return as wx_notify_verify() (no refresh is attempted).
 */
WX_API WX_NODISCARD wx_err wx_notify_verify_with(wx_keyring_t *ring, const char *apiv3_key,
                                                  int64_t now, const wx_kv_t *headers,
                                                  const char *body, size_t body_len,
                                                  wx_notification_t **out, wx_error_t *err);

/** @brief Free a notification (the plaintext is zeroised first). Accepts NULL. */
WX_API void wx_notification_free(wx_notification_t *n);

/**
 * @brief Parse headers saved as text, one `Name: value` per line (LF or CRLF), as a web
 *        server or `curl -D` writes them.
 *
 * A first line without a colon that looks like a request or status line
 * (`POST /notify HTTP/1.1`, `HTTP/1.1 200 OK`) is skipped; a line starting with a space
 * or tab continues the previous value; spaces around values are dropped; an empty
 * line ends the headers (anything after it is not read).
 * @param out receives a `{NULL, NULL}`-terminated list in one allocation (wx_free()).
 * @return WX_OK; WX_E_VERIFY_HEADER for a line that is not `Name: value` (err->where
 *         says "line N"); WX_E_INVALID_ARG; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_notify_headers_parse(const char *text, size_t len, wx_kv_t **out,
                                                    wx_error_t *err);

/**
 * @brief The HTTP answer a merchant returns to WeChat Pay for a notification.
 *
 * WeChat Pay's rule: on success answer 200 or 204 with no body; on failure answer a
 * 4xx or 5xx status with `{"code":"FAIL","message":"..."}`, after which WeChat Pay
 * sends the notification again (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h,
 * 24 h 4 m in all). A notification can arrive more than once either way: handle it
 * idempotently by its `id`.
 * @param result  WX_OK to acknowledge, or the failure (WX_E_NOMEM, WX_E_INTERNAL,
 *                WX_E_IO and WX_E_PENDING give 500, any other code 400). WX_E_REPLAY
 *                (already handled, see the replay guard) is acknowledged like WX_OK.
 * @param message the text for `message` on failure (NULL: wx_strerror(result)); it is
 *                sent to WeChat Pay, so keep internal details out of it.
 * @param status  receives 204 on success (and WX_E_REPLAY), else 400 or 500.
 * @param body    receives NULL on success, else the JSON text (wx_free()).
 * @return WX_OK; WX_E_INVALID_ARG; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_notify_reply(wx_err result, const char *message, int *status,
                                            char **body);

/* ------------------------------------------------------------- replay guard */

/**
 * @name Replay guard
 * WeChat Pay delivers a notification again until a delivery is answered success, and
 * sometimes more often than that; a captured request can also be sent again while its
 * timestamp is still within the 300 s window. A replay guard remembers the
 * notifications it has admitted (by their `id`), so that a second delivery is told
 * apart from the first: WX_E_REPLAY (already handled: answer success, credit nothing)
 * or WX_E_PENDING (the first is still being handled: answer failure, WeChat Pay will
 * deliver again later).
 *
 * The guard is bounded: it holds at most `capacity` ids, each for `retain_s` after it
 * was admitted, the oldest dropped first when full. It is a first line, in memory and
 * per process: after a restart, on another server, or after an id has been dropped, a
 * repeat is admitted again. **The merchant's own database is the final guard**: record
 * each notification id (or transaction id) under a unique constraint, in the same
 * transaction that credits the order, and treat a duplicate key as "already handled".
 * @code
 *   wx_notification_t *n = NULL;
 *   wx_err rc = wx_notify_verify_guarded(client, guard, headers, body, body_len, &n, &err);
 *   if (rc == WX_OK) {
 *       int ok = credit_once(n->id, n->resource);     // unique constraint on n->id
 *       wx_notify_guard_finish(guard, n->id, ok);     // not ok: a redelivery is admitted
 *       if (!ok)
 *           rc = WX_E_INTERNAL;
 *   }
 *   int status; char *answer = NULL;                  // WX_E_REPLAY answers success too
 *   if (wx_notify_reply(rc, NULL, &status, &answer) != WX_OK)
 *       status = 500;
 *   send_http_answer(status, answer);
 *   wx_free(answer);
 *   wx_notification_free(n);
 * @endcode
 * @threadsafety A guard may be used from any number of threads at once (one lock).
 * @{
 */

typedef struct wx_notify_guard wx_notify_guard_t;

/** The version of wx_notify_guard_options_t these headers describe. */
#define WX_NOTIFY_GUARD_OPTIONS_VERSION 1
/** A wx_notify_guard_options_t of this version with every other member zero. */
#define WX_NOTIFY_GUARD_OPTIONS_INIT {.version = WX_NOTIFY_GUARD_OPTIONS_VERSION}

/** How a replay guard remembers; zero members take their defaults. */
typedef struct wx_notify_guard_options {
    unsigned version;  /**< WX_NOTIFY_GUARD_OPTIONS_VERSION; 0 means 1 */
    size_t capacity;   /**< ids held at most (0: 16384); memory is about 130 bytes each,
                            taken when the guard is made */
    int64_t window_s;  /**< a notification's timestamp may be this far from now (0: 300,
                            the verifier's window); further is WX_E_VERIFY_TIME */
    int64_t retain_s;  /**< how long an admitted id is remembered (0, or less than
                            2 * window_s: 2 * window_s, which covers every replay the
                            time check lets through). Set it to 90000 (25 h) to catch
                            WeChat Pay's own redeliveries too, capacity permitting. */
} wx_notify_guard_options_t;

/** The longest key a guard takes (a notification id is about 36 characters). */
#define WX_NOTIFY_GUARD_KEY_MAX 96

/**
 * @brief Make a replay guard.
 * @param opts NULL for the defaults.
 * @param out  receives the guard (wx_notify_guard_free()).
 * @return WX_OK; WX_E_INVALID_ARG (a negative window or retention, a capacity over
 *         2^24, or options from newer headers); WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_notify_guard_new(const wx_notify_guard_options_t *opts,
                                                wx_notify_guard_t **out, wx_error_t *err);

/** @brief Free a guard (no call on it may be running). Accepts NULL. */
WX_API void wx_notify_guard_free(wx_notify_guard_t *g);

/**
 * @brief Admit the notification @p key (an APIv3 `id`, or wx_v2_notify_key()) whose
 *        signed time is @p timestamp, at time @p now (UNIX seconds).
 * @return WX_OK: first seen, now remembered as being handled: call
 *         wx_notify_guard_finish() when done;
 *         WX_E_REPLAY: admitted before and finished as handled (within retain_s);
 *         WX_E_PENDING: admitted before and not finished yet (another delivery is
 *         being handled);
 *         WX_E_VERIFY_TIME: @p timestamp is more than window_s from @p now (not
 *         remembered); WX_E_INVALID_ARG: no guard, an empty key or one longer than
 *         WX_NOTIFY_GUARD_KEY_MAX. err->where is "id".
 */
WX_API WX_NODISCARD wx_err wx_notify_guard_admit(wx_notify_guard_t *g, const char *key,
                                                  int64_t timestamp, int64_t now,
                                                  wx_error_t *err);

/**
 * @brief Say how handling the admitted @p key ended: @p handled nonzero, it was
 *        credited (later deliveries are WX_E_REPLAY); zero, it failed and is forgotten
 *        (the next delivery is admitted again). A key the guard does not hold is ignored.
 */
WX_API void wx_notify_guard_finish(wx_notify_guard_t *g, const char *key, int handled);

/** @brief How many ids the guard holds now (expired ones included until dropped). */
WX_API size_t wx_notify_guard_count(wx_notify_guard_t *g);

/**
 * @brief wx_notify_verify(), then wx_notify_guard_admit() of the notification's `id`
 *        and Wechatpay-Timestamp at the client's time.
 * @param guard borrowed; may be shared by several clients and threads.
 * @return as wx_notify_verify(), plus WX_E_REPLAY and WX_E_PENDING (then @p out is
 *         NULL: nothing of a repeated notification is handed back to be credited).
 *         After WX_OK call wx_notify_guard_finish(guard, (*out)->id, handled).
 */
WX_API WX_NODISCARD wx_err wx_notify_verify_guarded(wx_client_t *client, wx_notify_guard_t *guard,
                                                     const wx_kv_t *headers, const char *body,
                                                     size_t body_len, wx_notification_t **out,
                                                     wx_error_t *err);
/** @} */

/* ------------------------------------------------------------------- APIv2 */

/** What an APIv2 callback is. */
typedef enum wx_v2_notify_kind {
    WX_V2_NOTIFY_PAYMENT = 1, /**< a payment result, signed like an answer */
    WX_V2_NOTIFY_REFUND = 2   /**< a refund result, its fields encrypted in `req_info` */
} wx_v2_notify_kind;

/**
 * A verified (payment) or decrypted (refund) APIv2 callback. Both objects are
 * borrowed from the notification and live until wx_v2_notification_free(); their
 * values are strings.
 */
typedef struct wx_v2_notification {
    wx_v2_notify_kind kind;
    struct json_object *fields;   /**< the callback's fields as received (`sign` included) */
    struct json_object *req_info; /**< refund: the decrypted `req_info` fields; else NULL */
} wx_v2_notification_t;

/**
 * @brief Verify an APIv2 payment callback, or decrypt an APIv2 refund callback, from
 *        the raw XML body, with the APIv2 key given.
 *
 * A body with `req_info` is a refund notification: `req_info` is base64 of
 * AES-256-ECB (PKCS#7) under the lower-case hex MD5 of the APIv2 key, and its
 * plaintext is XML again. Any other body is a payment notification: its `sign` is
 * checked with its `sign_type` (absent: by the sign's length, 32 hex digits MD5, 64
 * HMAC-SHA256). The XML is read as wx_v2_xml_decode() reads answers (no DOCTYPE, no
 * entities, no nesting).
 * @param apiv2_key the merchant's APIv2 key (borrowed).
 * @param body      the request body exactly as received (borrowed), @p len bytes.
 * @param out       receives the notification (wx_v2_notification_free()); NULL on failure:
 *                  nothing of a body that fails is handed back.
 * @return WX_OK; WX_E_XML (not an APIv2 document, or refused XML); WX_E_HTTP
 *         (`return_code` not SUCCESS: err->server_code/server_message carry it);
 *         WX_E_VERIFY_SIGNATURE (payment: no sign, altered, another key);
 *         WX_E_UNSUPPORTED (a sign_type other than MD5 or HMAC-SHA256);
 *         WX_E_DECRYPT (refund: req_info not base64, or padding wrong: another key or
 *         altered); WX_E_TOO_LARGE; WX_E_INVALID_ARG; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_v2_notify_verify_with(const char *apiv2_key, const char *body,
                                                     size_t len, wx_v2_notification_t **out,
                                                     wx_error_t *err);

/**
 * @brief wx_v2_notify_verify_with() with the client's `apiv2_key`.
 * @return as wx_v2_notify_verify_with(), plus WX_E_CONFIG when the client has no apiv2_key.
 */
WX_API WX_NODISCARD wx_err wx_v2_notify_verify(wx_client_t *client, const char *body, size_t len,
                                                wx_v2_notification_t **out, wx_error_t *err);

/** @brief Free an APIv2 notification. Accepts NULL. */
WX_API void wx_v2_notification_free(wx_v2_notification_t *n);

/**
 * @brief The replay guard key of an APIv2 callback, which has no notification id:
 *        `v2pay:TRANSACTION_ID:RESULT_CODE` for a payment,
 *        `v2refund:REFUND_ID:REFUND_STATUS` for a refund (so a later, different
 *        outcome of the same payment or refund is not taken for a repeat). APIv2
 *        callbacks carry no signed time: admit them with `timestamp` = `now`.
 * @param key receives the NUL-terminated key, at most WX_NOTIFY_GUARD_KEY_MAX bytes.
 * @return WX_OK; WX_E_XML (the identifying field is missing or empty; err->where names
 *         it); WX_E_INVALID_ARG (NULL arguments, or a key that would not fit).
 */
WX_API WX_NODISCARD wx_err wx_v2_notify_key(const wx_v2_notification_t *n,
                                             char key[WX_NOTIFY_GUARD_KEY_MAX + 1],
                                             wx_error_t *err);

/**
 * @brief Encrypt a refund's fields as WeChat Pay puts them in `req_info` (for a
 *        sandbox or a test): AES-256-ECB (PKCS#7) under the lower-case hex MD5 of the
 *        APIv2 key, base64.
 * @param plain the plaintext (the `<root>...</root>` XML; borrowed).
 * @param b64   receives the NUL-terminated base64 text (wx_free()).
 * @return WX_OK; WX_E_INVALID_ARG; WX_E_NOMEM; WX_E_CRYPTO.
 */
WX_API WX_NODISCARD wx_err wx_v2_req_info_encrypt(const char *apiv2_key, const char *plain,
                                                   size_t len, char **b64, wx_error_t *err);

/**
 * @brief The reverse of wx_v2_req_info_encrypt().
 * @param plain receives the NUL-terminated plaintext (wx_free()), @p plain_len its length.
 * @return WX_OK; WX_E_DECRYPT (not base64, not whole blocks, wrong padding);
 *         WX_E_INVALID_ARG; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_v2_req_info_decrypt(const char *apiv2_key, const char *b64,
                                                   char **plain, size_t *plain_len,
                                                   wx_error_t *err);

/**
 * @brief The XML a merchant answers an APIv2 callback with:
 *        `<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>`, or
 *        FAIL and @p message (NULL: wx_strerror(result)), after which WeChat Pay sends
 *        the callback again. Answer it with HTTP 200 either way.
 * @param xml receives the document (wx_free()); @p len its length (may be NULL).
 * @return WX_OK; WX_E_INVALID_ARG; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_v2_notify_reply(wx_err result, const char *message, char **xml,
                                               size_t *len);

#ifdef __cplusplus
}
#endif
#endif
