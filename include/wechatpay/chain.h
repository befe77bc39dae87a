/**
 * @file chain.h
 * @brief Chain-style requests, as in the PHP and Node SDKs:
 *
 * @code
 *   wx_response_t *r1 = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(&opts);
 *   wx_response_t *r2 = wx_chain(c, "v3/industry-coupon/tokens")->post(&opts);   // declarative
 *   wx_response_t *r3 = wx_chain(c, "v3.industryCoupon.tokens")->post(&opts);    // the tool's
 *   wx_response_t *r4 = wx_at(c, "v3/industry-coupon/tokens")->post(&opts);      // index style
 *   wx_response_t *r5 = wx_request(wx_seg(wx_chain(c, "v3"), "industryCoupon/tokens"), WX_POST, &opts);
 *   wx_response_free(r1); wx_response_free(r2); wx_response_free(r3);    // five requests
 *   wx_response_free(r4); wx_response_free(r5);
 * @endcode
 *
 * Segment rules: a leading capital is lowered, any other capital becomes `-` + lower
 * (`industryCoupon` -> `industry-coupon`); `_name_` becomes `{name}`; `{name}`,
 * `{+name}` and other RFC 6570 expressions pass through. A segment may hold several
 * `/`-separated segments. wx_chain() also takes the `wxpay` tool's dotted spelling,
 * `v3.industryCoupon.tokens`, as the same path: a whole path without any `/` whose `.`
 * (outside `{...}`) separate segments. A path with a `/`, and any wx_seg() segment, is
 * never split at dots, so a value that holds a dot (`a.b`, a file name) goes in the slash
 * spelling, as a segment, or in `vars`. A URL (`https://...`, any `scheme://`) is refused
 * with "give a path, not a URL": the client's base_url gives scheme and host. Where the spec tree says a position is a path variable, the
 * segment is a value and keeps its case (`OpenID`-style values are not rewritten).
 *
 * C has no closures, so `->seg` cannot see its receiver: every call that returns a
 * node also sets a thread-local cursor, and `->seg`/`->post`/... act on the cursor.
 *
 * @warning The one hazard of the chain form, in two shapes:
 *  - **Evaluation order.** C does not say whether `wx_chain(c, "v3")->seg` is read before
 *    or after the argument of `->seg(...)` is evaluated. If that argument itself uses a
 *    chain (`->seg(order_path(c))` where order_path() calls wx_chain()), the member may
 *    act on the argument's chain. Compute such arguments first, into a variable.
 *  - **Kept nodes.** A node kept in a variable and used through a member
 *    (`tokens->post(&o)`) acts on whatever chain the thread used last, not on `tokens`:
 *    after another wx_chain() in between, it sends to the other endpoint.
 *
 * The safe forms take the node and never read the cursor:
 * @code
 *   wx_node_t *tokens = wx_seg(wx_chain(c, "v3"), "industryCoupon/tokens");
 *   wx_response_t *r = wx_request(tokens, WX_POST, &opts);        // not tokens->post(&opts)
 *   wx_future_t *f = wx_request_async(tokens, WX_POST, &opts);    // not tokens->post_async(...)
 *   wx_response_free(r);
 *   wx_response_free(wx_future_wait(f));
 * @endcode
 * Write a chain in one expression with plain arguments; across statements, threads or
 * callbacks use wx_seg(), wx_request() and wx_request_async().
 *
 * Nodes are interned per client (the same path gives the same node, a warm chain
 * allocates nothing) and live until wx_client_free(). So each distinct value written
 * as a segment (`->seg(transaction_id)`) adds a node of about 1.5 KiB for the life of
 * the client: for values without bound (ids, order numbers) in a long-lived client,
 * write the variable (`_transaction_id_` or `{transaction_id}`) and pass the value in
 * `vars`, which interns nothing. A bad segment does not crash:
 * the failure is remembered and the verb returns a response with WX_E_CHAIN.
 * @threadsafety All functions are safe to call from several threads on one client;
 *               each thread has its own cursor.
 */
#ifndef WECHATPAY_CHAIN_H
#define WECHATPAY_CHAIN_H

#include "common.h"
#include "client.h"
#include "response.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
typedef struct wx_future wx_future_t;
typedef struct wx_node wx_node_t;

/** HTTP methods. */
typedef enum wx_method { WX_GET = 0, WX_POST, WX_PUT, WX_PATCH, WX_DELETE } wx_method;

/** @brief "GET", "POST", ... for a method; NULL for an invalid value. */
WX_API const char *wx_method_name(wx_method m);

/** Receives a streamed response body (downloads). Return non-zero to abort. */
typedef int (*wx_body_sink_fn)(void *ud, const void *data, size_t len);

/** A file part of a multipart/form-data upload (media upload endpoints). */
typedef struct wx_upload {
    const char *filename;     /**< name sent in `meta` and in the part; required */
    const char *path;         /**< read the file from here ... */
    const void *data;         /**< ... or take these bytes (borrowed until the call returns) */
    size_t data_len;
    const char *content_type; /**< default guessed from the filename */
} wx_upload_t;

/** Version of wx_request_options_t in these headers (common.h, "Growing structs"). */
#define WX_REQUEST_OPTIONS_VERSION 2
/** A wx_request_options_t of this version with every other member zero. */
#define WX_REQUEST_OPTIONS_INIT {.version = WX_REQUEST_OPTIONS_VERSION}

/**
 * Per-request options. The zero value means "no variables, no body". Everything is
 * borrowed for the duration of the call (for `_async` calls, until the call returns:
 * the request is assembled before it returns). The json-c values (`json`, `vars_json`)
 * are read with json-c, which caches a value's text inside the object: do not hand the
 * same object to requests running on several threads at once.
 */
typedef struct wx_request_options {
    unsigned version;               /**< WX_REQUEST_OPTIONS_VERSION; 0 means 1 */
    const wx_kv_t *vars;            /**< path variables, ends with {NULL, NULL} */
    struct json_object *vars_json;  /**< or/also: an object of strings, numbers, lists, maps */
    const wx_kv_t *query;           /**< query parameters in order, ends with {NULL, NULL} */
    const wx_kv_t *headers;         /**< extra headers ("Wechatpay-Serial", ...) */
    struct json_object *json;       /**< body as a json-c value (not consumed) ... */
    const char *json_text;          /**< ... or as JSON text */
    size_t json_text_len;           /**< 0 means strlen(json_text) */
    int no_validation;              /**< 1: skip spec validation for this request */
    int retry_safe;                 /**< 1: may be resent after a failure the server may have seen */
    int64_t timeout_ms;             /**< overrides the client's total timeout, 0 = client's */
    const wx_upload_t *upload;      /**< multipart media upload: the `file` part */
    wx_body_sink_fn sink;           /**< stream the 2xx body here instead of keeping it */
    void *sink_ud;
    /** NULL-terminated JSON paths of sensitive fields to encrypt with the platform key
     *  before sending ("name", "identity.number", "receivers[*].name?"); the body is
     *  validated in clear, then encrypted and re-serialised, and Wechatpay-Serial set
     *  to the key used (wechatpay/sensitive.h). */
    const char *const *encrypt_fields;
    const char *encrypt_key_id;     /**< key for encrypt_fields; NULL: the current one */
    /* ---- version 2: read only from a struct whose version is 2 or more */
    /** 1: decrypt, with the merchant private key (RSA-OAEP), the fields the response's
     *  spec marks sensitive (`x-is-sensitive`), which WeChat Pay encrypts with the
     *  merchant certificate (a complaint's payer phone, a transfer's user name), so
     *  wx_response_json() holds the clear values; wx_response_body() stays the bytes
     *  received and verified. After verification and response validation; a marked field
     *  that does not decrypt fails the response (WX_E_CRYPTO or the like, `where` naming
     *  it). Not for bodies streamed to a sink, nor APIv2. */
    int decrypt_response;
} wx_request_options_t;

/**
 * A chain node. The members are the chain's methods; they act on the calling
 * thread's cursor, not on the node they are read from (see the file comment): call them
 * only in the expression that produced the node. Never construct or copy one.
 */
struct wx_node {
    wx_node_t *(*seg)(const char *segment);
    wx_response_t *(*get)(const wx_request_options_t *opts);
    wx_response_t *(*post)(const wx_request_options_t *opts);
    wx_response_t *(*put)(const wx_request_options_t *opts);
    wx_response_t *(*patch)(const wx_request_options_t *opts);
    wx_response_t *(*del)(const wx_request_options_t *opts);
    wx_future_t *(*get_async)(const wx_request_options_t *opts);
    wx_future_t *(*post_async)(const wx_request_options_t *opts);
    wx_future_t *(*put_async)(const wx_request_options_t *opts);
    wx_future_t *(*patch_async)(const wx_request_options_t *opts);
    wx_future_t *(*del_async)(const wx_request_options_t *opts);
};

/**
 * @brief Start a chain at @p path ("v3", a whole path "v3/industry-coupon/tokens", or its
 *        dotted spelling "v3.industryCoupon.tokens"), and make it the thread's cursor.
 * @return a node owned by the client; never NULL (a NULL client or bad path gives an
 *         error node whose verbs report WX_E_CHAIN / WX_E_INVALID_ARG).
 */
WX_API wx_node_t *wx_chain(wx_client_t *client, const char *path);

/** @brief Index-style accessor, `$instance['v3/industry-coupon/tokens']`: same as wx_chain(). */
WX_API wx_node_t *wx_at(wx_client_t *client, const char *path);

/** @brief Explicit form of `->seg`: the child of @p node, made the cursor. Never NULL. */
WX_API wx_node_t *wx_seg(wx_node_t *node, const char *segment);

/**
 * @brief Explicit form of the verbs: expand, validate, sign, send, verify.
 * @param opts may be NULL.
 * @return a response the caller frees with wx_response_free(); never NULL (if even the
 *         response cannot be allocated a shared static out-of-memory response is
 *         returned, for which wx_response_free() is a no-op).
 */
WX_API wx_response_t *wx_request(wx_node_t *node, wx_method method,
                                 const wx_request_options_t *opts);

/**
 * @brief Explicit form of the `_async` verbs: the request is expanded, validated and
 *        signed before this returns, then sent by the calling thread's engine.
 * @return a future (never NULL); complete it with wx_future_wait() or hand it to the
 *         engine with wx_future_release(). A request that fails before sending gives
 *         an already-completed future.
 */
WX_API wx_future_t *wx_request_async(wx_node_t *node, wx_method method,
                                     const wx_request_options_t *opts);

/** @brief The node's path template ("v3/industry-coupon/tokens"), borrowed; "" for an error node. */
WX_API const char *wx_node_path(const wx_node_t *node);

/** @brief The client a node belongs to, NULL for an error node. */
WX_API wx_client_t *wx_node_client(const wx_node_t *node);

#ifdef __cplusplus
}
#endif
#endif
