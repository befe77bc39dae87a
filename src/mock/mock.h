/* The sandbox server (`wxpay mock`): shared types of its parts.
 *
 *   cmd_mock.c     arguments, --help, signals, the summary line
 *   config.c       CONFIG.json + mock.json from the keys folder
 *   server.c       libmicrohttpd daemon: collecting requests, sending responses, the log
 *   admit.c        before a body is read: the Authorization fields, each path's body limit
 *   wakeups.c      the timer that resumes connections paused by the slow-body fault
 *   handler.c      what to answer: auth check, routing, validation, examples
 *   request_view.c percent-decoding, query and header lists for the validator
 *   auth_header.c  the Authorization header parser (fuzzed on its own)
 *   multipart.c    the `meta` part of media uploads (what their signature covers)
 *   signer.c       Wechatpay-* response headers, with a per-body signature cache
 *   certificates.c the GET /v3/certificates answer
 *   faults.c       fault mode names and help text
 *   tls.c          the in-memory CA and server certificate for --tls
 *   client_cert.c  --tls: did the client present the merchant certificate?
 *   store.c, ids.c the SQLite state and WeChat Pay-shaped ids (store.h)
 *   apiv2.c        APIv2 calls: XML, the sign with the APIv2 key, validation, answers
 *   apiv2_orders.c APIv2 micropay, orderquery, reverse, refund... on the state
 *   lifecycle.h    orders, refunds, the control API and callbacks played on that state
 *
 * Uses only the public API of libwechatpay (plus json-c and libmicrohttpd). */
#ifndef WX_MOCK_MOCK_H
#define WX_MOCK_MOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <wechatpay/wechatpay.h>

struct json_object;

/* ---------------------------------------------------------------- faults */
typedef enum wx_mock_fault {
    WX_FAULT_NONE = 0,
    WX_FAULT_BAD_SIGNATURE,
    WX_FAULT_UNKNOWN_SERIAL,
    WX_FAULT_STALE_TIMESTAMP,
    WX_FAULT_MISSING_HEADERS,
    WX_FAULT_HTTP_500,
    WX_FAULT_DROP_CONNECTION,
    WX_FAULT_SLOW_BODY,
    WX_FAULT_TRUNCATED_BODY,
    WX_FAULT_COUNT
} wx_mock_fault;

/* "bad-signature" -> WX_FAULT_BAD_SIGNATURE; returns -1 for an unknown name
 * ("none" is WX_FAULT_NONE). */
int wx_mock_fault_parse(const char *name, size_t len, wx_mock_fault *out);
const char *wx_mock_fault_name(wx_mock_fault f);
/* One line per mode, for --help. */
const char *wx_mock_fault_help(void);

/* ---------------------------------------------------------------- a small string */
typedef struct wx_mock_str {
    char *data;
    size_t len, cap;
    int failed;
} wx_mock_str;

void wx_mock_str_append(wx_mock_str *s, const void *data, size_t len);
void wx_mock_str_puts(wx_mock_str *s, const char *text);
void wx_mock_str_printf(wx_mock_str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wx_mock_str_free(wx_mock_str *s);
/* log_escape.c: @p in with bytes outside printable ASCII (and '\\') as \xHH, cut
 * with "..." to fit @p out_size. */
void wx_mock_log_escape(const char *in, char *out, size_t out_size);

/* ---------------------------------------------------------------- configuration */
typedef struct wx_mock_config {
    char *dir;                  /* the keys folder */
    char *mchid;
    char *merchant_serial;      /* CONFIG.json "serial" */
    wx_pubkey_t *merchant_cert; /* verifies requests */
    char *merchant_cert_pem;    /* its PEM: the TLS client certificate --tls asks for */
    char *apiv3_key;            /* 32 bytes, secret; NULL when CONFIG has none */
    char *apiv2_key;            /* 32 characters, secret; NULL when CONFIG has none */
    wx_privkey_t *platform_key; /* signs responses (cert mode) */
    char *platform_cert_pem;
    char *platform_serial;
    int64_t platform_not_before, platform_not_after;
    wx_privkey_t *pubkey_key;   /* signs responses (pubkey mode); NULL if not configured */
    char *pubkey_id;            /* "PUB_KEY_ID_..." */
    char *spec_dir;             /* CONFIG.json "spec_dir", absolute, or NULL */
    int validation;             /* CONFIG.json "validation", a wx_validation_mode: on and
                                   strict answer a request no spec describes 404 naming the
                                   nearest known endpoints (the sandbox has nothing else to
                                   answer it with); off does not validate request bodies */
} wx_mock_config;

/* Read DIR/CONFIG.json and DIR/mock.json and load the keys they name. On failure
 * writes a message naming the file and key to @p why. */
int wx_mock_config_load(const char *dir, wx_mock_config *cfg, char *why, size_t why_len);
void wx_mock_config_free(wx_mock_config *cfg);

/* ---------------------------------------------------------------- response signing */
typedef enum wx_mock_sign_with { WX_SIGN_WITH_CERT = 0, WX_SIGN_WITH_PUBKEY } wx_mock_sign_with;

typedef struct wx_mock_sigcache wx_mock_sigcache;

/* The four Wechatpay-* values for one response. */
typedef struct wx_mock_signature {
    char timestamp[24];
    char nonce[40];
    char serial[128];
    char *signature; /* malloc'd; wx_mock_signature_clear() */
} wx_mock_signature;

wx_mock_sigcache *wx_mock_sigcache_new(void);
void wx_mock_sigcache_free(wx_mock_sigcache *c);
/* Sign TIMESTAMP\nNONCE\nBODY\n as WeChat Pay does, honouring the signing faults
 * (bad-signature, unknown-serial, stale-timestamp); a fault-free signature is reused
 * for an identical body for up to 60 s. Returns 0, or -1 with @p why filled. */
int wx_mock_sign_response(const wx_mock_config *cfg, wx_mock_sigcache *cache,
                          wx_mock_sign_with with, wx_mock_fault fault, const char *body,
                          size_t len, wx_mock_signature *out, char *why, size_t why_len);
void wx_mock_signature_clear(wx_mock_signature *s);

/* ---------------------------------------------------------------- request handling */
typedef struct wx_mock_server wx_mock_server;

/* A request as collected from the connection. Borrowed members. */
typedef struct wx_mock_request {
    const char *method;
    const char *target;        /* path+query exactly as received */
    const wx_kv_t *headers;    /* {NULL,NULL}-terminated */
    const char *body;          /* NUL-terminated (the NUL not counted) */
    size_t body_len;
    int peer_loopback;         /* the peer is 127.0.0.0/8 or ::1 (the control API needs it) */
    int tls;                   /* it came over --tls */
    int merchant_client_cert;  /* over TLS, the peer presented the merchant certificate */
} wx_mock_request;

/* What to send back (before signing and faults are applied to the wire). */
typedef struct wx_mock_reply {
    int status;
    char *body;           /* malloc'd JSON text, or NULL for an empty body */
    size_t body_len;
    int unsigned_reply;   /* a download endpoint: no Wechatpay-* headers */
    wx_mock_fault fault;  /* the fault to apply */
    const char *content_type;
} wx_mock_reply;

typedef struct wx_mock_handler_ctx {
    const wx_mock_config *cfg;
    wx_spec_t *spec;
    wx_mock_fault default_fault;
    int max_skew_s;       /* 300 */
    int tls;              /* served over HTTPS (for URLs pointing back here) */
    struct wx_mock_store *store;       /* orders, refunds, callbacks (store.h); NULL: examples only */
    struct wx_mock_notifier *notifier; /* told when a callback is queued; may be NULL */
} wx_mock_handler_ctx;

/* An APIv2 call (a POST whose path, under /v2, is an XML endpoint of the spec tree):
 * returns 1 with @p reply set (an XML answer), or 0 when @p req is not one (apiv2.c). */
int wx_mock_v2_answer(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                      wx_mock_reply *reply);
/* 1 when @p method @p target is an APIv2 call (what wx_mock_v2_answer() answers). */
int wx_mock_v2_is_call(const wx_mock_handler_ctx *ctx, const char *method, const char *target);

/* Decide the reply for one request: auth, routing, validation, example response. */
void wx_mock_handle(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                    wx_mock_reply *reply);
void wx_mock_reply_free(wx_mock_reply *reply);

/* admit.c: the largest bodies taken (an APIv2 XML call or a control call; any other
 * APIv3 call; a media upload). */
#define WX_MOCK_MAX_SMALL_BODY (64u * 1024)
#define WX_MOCK_MAX_JSON_BODY (1024u * 1024)
#define WX_MOCK_MAX_UPLOAD_BODY (8u * 1024 * 1024)
/* Decide from the request line and headers alone (@p req has no body yet) whether the
 * body may be read: 0 with *limit the most body bytes taken for this path, or 1 with
 * @p reply the answer, sent without reading a byte of the body (a bad fault header, a
 * control call from afar, an APIv3 call whose Authorization is missing, malformed or
 * names another merchant, serial or time, or a Content-Length over the limit). */
int wx_mock_admit(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                  uint64_t content_length, size_t *limit, wx_mock_reply *reply);
/* The Authorization checks that need no body: present, well-formed, this merchant,
 * its serial, within max_skew_s. 0 with @p a filled, or -1 with a 401 in @p reply. */
struct wx_mock_auth;
int wx_mock_auth_check(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                       struct wx_mock_auth *a, wx_mock_reply *reply);
/* The value of header @p name (any case) in a {NULL,NULL}-terminated list, or NULL. */
const char *wx_mock_header(const wx_kv_t *headers, const char *name);
/* The spec's example response of @p ep, for a call the state does not play. */
void wx_mock_answer_example(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                            const wx_endpoint_t *ep, wx_mock_reply *reply);
/* Encrypt the sensitive fields of an answer (x-is-sensitive) with the merchant
 * certificate, as WeChat Pay does (sensitive_answer.c). 0, or -1 with @p why. */
int wx_mock_encrypt_sensitive(const wx_mock_config *cfg, const wx_endpoint_t *ep, int status,
                              struct json_object *body, char *why, size_t why_len);
/* A bill request's example answer, made to agree with the bill download (bills.c). */
void wx_mock_bill_answer(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                         struct json_object *example);
/* {"code":CODE,"message":MESSAGE} as malloc'd text. */
char *wx_mock_error_body(const char *code, const char *message, struct json_object *detail,
                         size_t *len);

/* ---------------------------------------------------------------- request views */
/* Percent-decode s[0..len) into a malloc'd string ("%2F" -> "/"; '+' is kept). NULL
 * for an invalid escape or an embedded NUL. */
char *wx_mock_pct_decode(const char *s, size_t len);
/* Split "a=1&b=%20" into a malloc'd {NULL,NULL}-terminated list of decoded pairs
 * (free with wx_mock_kv_free). Returns NULL with @p why on a bad escape. */
wx_kv_t *wx_mock_query_parse(const char *query, char *why, size_t why_len);
void wx_mock_kv_free(wx_kv_t *kv);

/* ---------------------------------------------------------------- multipart uploads */
typedef struct wx_mock_form_part {
    char name[64];
    const char *data; /* points into the body */
    size_t len;
} wx_mock_form_part;

/* Split a multipart/form-data body into its parts (at most @p max_parts). Returns 0,
 * or -1 with @p why (no boundary, malformed, a part without a name, too many). */
int wx_mock_multipart_parse(const char *content_type, const char *body, size_t len,
                            wx_mock_form_part *parts, size_t max_parts, size_t *count,
                            char *why, size_t why_len);

/* ---------------------------------------------------------------- /v3/certificates */
/* The real-shaped certificate download body (malloc'd JSON). */
char *wx_mock_certificates_body(const wx_mock_config *cfg, size_t *len, char *why,
                                size_t why_len);

/* ---------------------------------------------------------------- --tls */
typedef struct wx_mock_tls {
    char *ca_pem;
    char *server_cert_pem;
    char *server_key_pem; /* secret: wx_free_secret */
} wx_mock_tls;

/* The merchant certificate a TLS client must present for x-api-cert-required calls
 * (client_cert.c, on GnuTLS as libmicrohttpd uses it). */
struct MHD_Connection;
typedef struct wx_mock_client_cert {
    unsigned char *der;
    size_t len;
} wx_mock_client_cert;
/* From the PEM certificate; 0, or -1 when it is not one. */
int wx_mock_client_cert_init(wx_mock_client_cert *cc, const char *pem);
void wx_mock_client_cert_free(wx_mock_client_cert *cc);
/* 1 when the TLS peer of @p conn presented exactly that certificate. */
int wx_mock_client_cert_presented(const wx_mock_client_cert *cc, struct MHD_Connection *conn);

/* Generate a CA and a server certificate for 127.0.0.1/localhost signed by it. */
int wx_mock_tls_generate(wx_mock_tls *tls, char *why, size_t why_len);
void wx_mock_tls_free(wx_mock_tls *tls);

/* ---------------------------------------------------------------- pauses (wakeups.c) */
/* One timer thread that resumes suspended libmicrohttpd connections when their pause
 * ends, so no server thread sleeps. */
typedef struct wx_mock_wakeups wx_mock_wakeups;
wx_mock_wakeups *wx_mock_wakeups_start(void);
/* From a callback of @p conn's: suspend it now and resume it @p ms later. 0, or -1
 * (stopping, or out of memory) when the caller must go on without the pause. */
int wx_mock_wakeups_pause(wx_mock_wakeups *w, struct MHD_Connection *conn, unsigned ms);
/* Resume every paused connection now and take no more pauses (before the daemon
 * stops); wx_mock_wakeups_free() after the daemon has stopped. */
void wx_mock_wakeups_stop(wx_mock_wakeups *w);
void wx_mock_wakeups_free(wx_mock_wakeups *w);

/* ---------------------------------------------------------------- the server */
typedef struct wx_mock_server_options {
    int port;
    int tls;
    int quiet;
    wx_mock_sign_with sign_with;
    wx_mock_handler_ctx handler;
    const wx_mock_tls *tls_material;
    const char *client_ca_pem; /* --tls: the client certificate asked for (the merchant's) */
} wx_mock_server_options;

/* Start listening on 127.0.0.1. Returns NULL with @p why on failure. */
wx_mock_server *wx_mock_server_start(const wx_mock_server_options *opts, char *why,
                                     size_t why_len);
int wx_mock_server_port(const wx_mock_server *s);
/* Stop accepting, finish or close open connections, write the one-line summary
 * ("served N requests (200: a, 401: b), F faults") to @p summary if not NULL, free. */
void wx_mock_server_stop(wx_mock_server *s, char *summary, size_t summary_len);

/* sensitive_check.c: 1 when a query or header parameter (`query.NAME`, `header.NAME`) or
 * a field of @p body (may be NULL) that @p ep marks sensitive arrives in clear (not
 * RSA-OAEP ciphertext), its path written to @p path; 0 otherwise. */
struct json_object;
int wx_mock_sensitive_in_clear(const wx_endpoint_t *ep, struct json_object *body,
                               const wx_kv_t *query, const wx_kv_t *headers, char *path,
                               size_t size);

#endif
