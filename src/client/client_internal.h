/* What the client, its responses and its in-flight calls look like inside. For
 * src/client/ only (the chain comes in through client/send.h). */
#ifndef WX_CLIENT_INTERNAL_H
#define WX_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

#include "route/route.h"
#include "transport/http_response.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/thread_map.h"

struct json_object;

/* APIv2 credentials (apiv2_client.c). Secrets are zeroised when freed. */
typedef struct wx_apiv2_creds {
    char *key;                    /* the APIv2 key, NULL when not configured */
    char *cert;                   /* merchant certificate: PEM text or PKCS#12 bytes */
    size_t cert_len;
    int cert_is_p12;
    char *cert_password;          /* PKCS#12 passphrase */
    char *tls_key;                /* PEM certificate: the merchant private key's PEM */
    size_t tls_key_len;
    char *tls_key_password;
} wx_apiv2_creds;

/* A transport and the number of clients using it (share_transport_of). */
typedef struct wx_transport_share {
    wx_transport_t *transport;
    atomic_int refs;
} wx_transport_share;

struct wx_client {
    char *mchid;
    char *serial;
    wx_privkey_t *key;            /* NULL with a custom signer */
    wx_keyring_t *ring;           /* the default verifier's keys; NULL with a custom one */
    wx_signer_t *signer;
    wx_verifier_t *verifier;
    wx_transport_t *transport;    /* == tshare->transport */
    wx_transport_share *tshare;
    char *base_url;               /* always ends with '/' */
    char *backup_base_url;        /* NULL or ends with '/' */
    char *apiv3_key;              /* secret: zeroised on free */
    wx_apiv2_creds v2;
    wx_spec_t *spec;
    int validate_requests;
    int strict_requests; /* WX_VALIDATION_STRICT: no spec, or no such method, is refused */
    int validate_responses;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    size_t max_response_bytes;
    long low_speed_limit;
    int64_t low_speed_time_s;
    int max_retries;
    char *user_agent;
    wx_clock_fn clock;
    void *clock_ud;
    wx_nonce_fn nonce;
    void *nonce_ud;
    void (*debug)(void *ud, const char *text, size_t len);
    void *debug_ud;

    /* what is known about each path: the chain's nodes, templates, endpoints */
    wx_route_cache *routes;

    /* per-thread async state (in-flight and completed calls) */
    wx_thread_map *threads;

    /* platform certificate refreshes (certificates.c), serialised by cert_lock */
    int auto_refresh_certs;
    int64_t cert_margin_s;
    pthread_mutex_t cert_lock;
    int cert_lock_ready;
    int cert_refreshed;           /* a refresh was attempted, at cert_refreshed_at */
    int64_t cert_refreshed_at;
};

struct wx_response {
    wx_error_t error;
    wx_http_response_t http;
    int body_visible;             /* verified (or exempt) and not an internal failure */
    int is_static;                /* the shared out-of-memory response */
    struct json_object *json;
    int json_parsed;
    wx_violations_t *violations;
    char *request_head;
    char *request_body;
    size_t request_body_len;
};

typedef struct wx_call_thread wx_call_thread;

typedef enum wx_call_state { WX_CALL_NEW, WX_CALL_IN_FLIGHT, WX_CALL_DONE } wx_call_state;

/* One request from preparation to completion; the public future is its first member. */
typedef struct wx_call {
    wx_future_t pub;
    wx_client_t *client;
    wx_response_t *resp;
    struct {                      /* where it stands (future.c) */
        wx_call_state state;
        int is_async;
        int released;             /* the caller gave up its claim (wx_future_release) */
        int orphaned;             /* its client was freed while another thread had it in
                                     flight on a shared transport: free it on completion */
    } run;
    struct {                      /* the completion callback */
        wx_done_fn fn;
        void *ud;
        int fired;
    } done;
    struct {                      /* an async call in its owner thread's lists */
        wx_call_thread *owner;
        struct wx_call *prev, *next;  /* every call the owner has not freed */
        struct wx_call *queue_next;   /* completed calls awaiting dispatch */
        int queued;
    } link;
    struct {                      /* what goes on the wire, owned */
        wx_http_request_t req;
        char *method;
        char *target;             /* "/v3/...?query" as signed */
        char *auth;               /* the Authorization value (headers[0]) */
        wx_buf url;
        wx_buf head_store;        /* header names and values, NUL-separated */
        wx_kv_t *headers;
        char *body;
        size_t body_len;
        int attempts;             /* sends so far */
        int on_backup;            /* aimed at backup_base_url */
    } wire;
    struct {                      /* a multipart upload's parts, owned */
        char *meta;               /* the meta JSON, which is what is signed */
        char *filename;
        char *path;
        void *data;
    } upload;
    struct {                      /* how to judge the answer */
        const wx_endpoint_t *ep;
        int unsigned_2xx;         /* downloads WeChat Pay does not sign */
        int decrypt;              /* decrypt_response: the spec's sensitive fields of a
                                     2xx answer are decrypted with the merchant key */
        wx_body_sink_fn sink;
        void *sink_ud;
        int cert_download;        /* the GET /v3/certificates of a refresh */
        int serial_pending;       /* unknown Wechatpay-Serial: the body waits, unseen, for
                                     a certificate refresh (wx_call_settle) */
    } answer;
    struct {                      /* APIv2 (apiv2_call.c) */
        int on;                   /* a call under "v2": XML, signed in the body */
        int sign_type;            /* the request's wx_v2_sign_type, which the answer uses */
        int stream_seen;          /* a streamed download's first byte arrived */
        int stream_xml;           /* ... and it began an XML answer, kept in the body */
    } v2;
} wx_call;

/* nonce.c: the nonce source a client uses unless given one (any thread). */
wx_err wx_default_nonce(void *ud, char out[64]);

/* client.c */
wx_call_thread *wx_client_thread(wx_client_t *c);
int64_t wx_client_now(wx_client_t *c);

/* apiv2_client.c: copy the APIv2 key and load the merchant certificate (a PEM one
 * must match the merchant private key); free them. */
wx_err wx_apiv2_setup(wx_client_t *c, const wx_client_options_t *o, wx_error_t *err);
void wx_apiv2_free(wx_client_t *c);

/* apiv2_call.c: a chain under "v2" (sent without the prefix, XML, signed with the APIv2
 * key), prepared by the pipeline's APIv2 steps. wx_v2_node: 1 for such a node.
 * wx_v2_aim: the URL and request head of a prepared call (wx_call_sign's part for them). */
int wx_v2_node(const wx_route *node);
wx_err wx_v2_aim(wx_call *call, const char *base_url, wx_error_t *err);
/* apiv2_answer.c: judge an APIv2 answer (wx_call_finish's part for them): 1 when it was
 * kept (verified, or an unsigned bill) and the common checks go on, 0 when rejected. */
int wx_v2_finish(wx_call *call, wx_err transport_rc, const wx_error_t *transport_err);
/* The body sink of a streamed APIv2 download (ud: the call): a bill goes on to the
 * caller's sink, an XML answer (an error) is kept in the body to be judged. */
int wx_v2_stream(void *ud, const void *data, size_t len);

/* response.c */
wx_response_t *wx_response_new(void);
wx_response_t *wx_response_oom(void);
/* Record a failure on a response (copies err, or formats a message when err is NULL). */
/* The caller's client options as this library's full layout (common.h, "Growing
 * structs"), with the versions of custom signer, verifier and transport checked. */
wx_err wx_client_options_import(wx_client_options_t *dst, const wx_client_options_t *src,
                                wx_error_t *err);
void wx_response_fail(wx_response_t *r, wx_err code, const wx_error_t *err);

/* pipeline.c: assemble, validate and sign; nothing is sent. On failure the call's
 * response carries the error (and violations) and WX_OK is not returned. */
wx_err wx_call_prepare(wx_call *call, wx_route *route, wx_method method,
                       const wx_request_options_t *opts);
/* Sign (again) and aim the call at base_url. */
wx_err wx_call_sign(wx_call *call, const char *base_url, wx_error_t *err);
/* After a failed attempt: 1 when the call was re-signed and should be submitted again
 * (never for a request the server may have received, unless the caller marked it safe). */
int wx_call_retry(wx_call *call, wx_err transport_rc);
/* Judge what came back: verify, then HTTP errors, then optional response validation. */
void wx_call_finish(wx_call *call, wx_err transport_rc, const wx_error_t *transport_err);
/* A call whose verification waits for a certificate refresh (serial_pending): refresh,
 * verify again, finish. A no-op for any other call. Runs outside the transport's
 * perform (a refresh is a request of its own), before the caller sees the response. */
void wx_call_settle(wx_call *call);

/* certificates.c */
/* 1 when a response with an unknown Wechatpay-Serial should be kept for a refresh
 * (auto refresh) or for the download's own bootstrap check. */
int wx_certs_hold_for_serial(const wx_call *call);
/* Refresh (at most once a minute) because @p serial is unknown: WX_OK when the
 * keyring holds it afterwards, else WX_E_VERIFY_SERIAL saying why. */
wx_err wx_certs_refresh_for_serial(wx_client_t *c, const char *serial, wx_error_t *err);
/* Before a request: refresh when the nearest certificate expiry is within the margin
 * (at most once an hour); a failure is left to the response check. */
void wx_certs_maintain(wx_client_t *c);

/* sensitive.c: encrypt_fields of a request */
typedef struct wx_sensitive_plan {
    char key_id[128];             /* the key used, the value of Wechatpay-Serial */
    wx_kv_t *headers;             /* the caller's headers + Wechatpay-Serial (owned) */
    struct json_object *encrypted; /* the body with its fields encrypted (owned) */
    struct json_object *params;   /* marked query/header values, encrypted (owned) */
    wx_kv_t *query;               /* the query with those values encrypted (owned) */
} wx_sensitive_plan;
/* Pick the key (encrypt_key_id, a Wechatpay-Serial header, or the current one) and
 * make the header list the request is validated and sent with. */
wx_err wx_sensitive_plan_make(wx_client_t *c, const wx_request_options_t *o,
                              wx_sensitive_plan *p, wx_error_t *err);
/* Encrypt a copy of @p body: the fields at @p paths (encrypt_fields, may be NULL), then
 * every field @p ep marks sensitive that @p paths did not name (ep may be NULL). When
 * something was encrypted, *text (borrowed from the plan) is what goes on the wire;
 * otherwise *text is left as it was. */
wx_err wx_sensitive_plan_encrypt(wx_client_t *c, wx_sensitive_plan *p, struct json_object *body,
                                 const char *const *paths, const wx_endpoint_t *ep,
                                 const char **text, size_t *len, wx_error_t *err);
void wx_sensitive_plan_free(wx_sensitive_plan *p);

/* future.c */
wx_call *wx_call_new(wx_client_t *c);
void wx_call_free(wx_call *call);
/* Submit a prepared call; on failure the call completes with the error. */
void wx_call_submit(wx_call *call);
/* Run a call to completion on this thread and hand back its response. */
wx_response_t *wx_call_run_sync(wx_call *call);
void *wx_call_thread_create(void *client);
void wx_call_thread_destroy(void *state);
/* Cancel every call of a client being freed (callbacks fire with WX_E_TRANSPORT).
 * transport_alive: the transport stays (shared with another client), so transfers of
 * this thread are cancelled in it and those of other threads are orphaned. */
void wx_client_cancel_all(wx_client_t *c, int transport_alive);
/* Abort with a message when another thread's engine has requests of @p c in flight
 * (wx_client_free's precondition, which it cannot make safe). */
void wx_client_refuse_busy_free(wx_client_t *c);

#endif
