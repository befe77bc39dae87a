/**
 * @file plugin.h
 * @brief For people who write their own signer, verifier or transport (kept apart
 *        from the user's headers, as Azure SDK for C keeps its transport-author header).
 *
 * Each is a struct of function pointers plus a context pointer. A client given a
 * custom one owns it from wx_client_new() on and calls its `destroy` when freed.
 * Implementations must be safe to call from several threads at once (the client is).
 */
#ifndef WECHATPAY_PLUGIN_H
#define WECHATPAY_PLUGIN_H

#include "common.h"
#include "client.h"
#include "crypto.h"
#include "async.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- signer */

/** What a signer signs. All borrowed for the call. */
typedef struct wx_sign_input {
    const char *method;    /**< "POST" */
    const char *target;    /**< "/v3/industry-coupon/tokens?x=1": path and query as sent */
    const char *body;      /**< body as sent (for uploads: the `meta` JSON); "" if none */
    size_t body_len;
    int64_t timestamp;     /**< UNIX seconds, from the client's clock */
    const char *nonce;     /**< from the client's nonce source */
} wx_sign_input_t;

/** Version of struct wx_signer in these headers (common.h, "Growing structs"). */
#define WX_SIGNER_VERSION 1
/** A struct wx_signer of this version with every other member zero. */
#define WX_SIGNER_INIT {.version = WX_SIGNER_VERSION}

struct wx_signer {
    unsigned version;               /**< WX_SIGNER_VERSION; 0 means 1 */
    void *ctx;
    /** Write the whole Authorization header value into @p out (NUL-terminated). */
    wx_err (*authorization)(void *ctx, const wx_sign_input_t *in, char *out, size_t out_size,
                            wx_error_t *err);
    void (*destroy)(void *ctx);
};

/**
 * @brief The APIv3 signer: `WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
 *        signature="..",timestamp="..",serial_no=".."` over
 *        `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`.
 * @param key borrowed: it must outlive the signer.
 * @return a signer (free with wx_signer_free() unless handed to a client); NULL on
 *         allocation failure, or when mchid or serial holds a quote, comma, backslash or
 *         control character (it would forge header parameters).
 */
WX_API wx_signer_t *wx_signer_apiv3(const char *mchid, const char *serial,
                                    const wx_privkey_t *key);
/** @brief Destroy a signer that was not handed to a client. Accepts NULL. */
WX_API void wx_signer_free(wx_signer_t *s);

/** @brief The APIv3 message lines a signer signs (for tests and debugging; wx_free()). */
WX_API WX_NODISCARD wx_err wx_sign_message(const wx_sign_input_t *in, char **msg, size_t *len);

/* -------------------------------------------------------------- verifier */

/** What a verifier checks. All borrowed for the call. */
typedef struct wx_verify_input {
    int status;
    const wx_kv_t *headers;   /**< response headers, ends with {NULL, NULL} */
    const char *body;         /**< exact bytes received */
    size_t body_len;
    int64_t now;              /**< UNIX seconds, from the client's clock */
} wx_verify_input_t;

/** Version of struct wx_verifier in these headers (common.h, "Growing structs"). */
#define WX_VERIFIER_VERSION 1
/** A struct wx_verifier of this version with every other member zero. */
#define WX_VERIFIER_INIT {.version = WX_VERIFIER_VERSION}

struct wx_verifier {
    unsigned version;               /**< WX_VERIFIER_VERSION; 0 means 1 */
    void *ctx;
    /** WX_OK or a WX_E_VERIFY_* code with the reason in @p err. */
    wx_err (*verify)(void *ctx, const wx_verify_input_t *in, wx_error_t *err);
    void (*destroy)(void *ctx);
};

typedef struct wx_keyring wx_keyring_t;

/**
 * @brief A thread-safe set of platform verification keys by serial / `PUB_KEY_ID_...`.
 *        Keys can be added and retired while other threads verify (certificate rotation).
 */
WX_API wx_keyring_t *wx_keyring_new(void);
/** @brief Free a keyring and the keys it holds. Accepts NULL. No verification may be
 *         running on it. */
WX_API void wx_keyring_free(wx_keyring_t *ring);
/** @brief Add (or replace) a key under @p id; the ring takes ownership of @p key,
 *         also on failure.
 *  @return WX_OK; WX_E_INVALID_ARG (a NULL argument or an empty id); WX_E_NOMEM. */
WX_API WX_NODISCARD wx_err wx_keyring_add(wx_keyring_t *ring, const char *id, wx_pubkey_t *key);
/** @brief Add from PEM text (a certificate or public key, see wx_pubkey_load()).
 *  @return WX_OK; WX_E_KEY (the PEM does not load, err names @p id); WX_E_INVALID_ARG;
 *          WX_E_NOMEM. */
WX_API WX_NODISCARD wx_err wx_keyring_add_pem(wx_keyring_t *ring, const char *id, const char *pem,
                                               wx_error_t *err);
/** @brief Remove a key (verifications in progress hold the ring's read lock, so the
 *         removal waits for them).
 *  @return WX_OK; WX_E_NOT_FOUND when no key has @p id; WX_E_INVALID_ARG. */
WX_API wx_err wx_keyring_remove(wx_keyring_t *ring, const char *id);
/** @brief Number of keys. */
WX_API size_t wx_keyring_count(const wx_keyring_t *ring);
/** @brief 1 when a key is held under @p id, else 0 (also for NULL arguments). */
WX_API int wx_keyring_contains(const wx_keyring_t *ring, const char *id);
/** @brief Verify a base64 SHA256withRSA signature with the key @p id.
 *  @return WX_OK; WX_E_VERIFY_SERIAL for an unknown id; WX_E_VERIFY_SIGNATURE (also for
 *          a signature that is not base64 or not the key's length); WX_E_INVALID_ARG. */
WX_API WX_NODISCARD wx_err wx_keyring_verify(wx_keyring_t *ring, const char *id, const void *msg,
                                              size_t len, const char *sig_b64, wx_error_t *err);

/**
 * @brief The APIv3 verifier: requires Wechatpay-Timestamp, -Nonce, -Signature and
 *        -Serial, the serial in @p ring, the timestamp within @p max_skew_s (300 when 0 or less)
 *        of now, and the signature over `TIMESTAMP\nNONCE\nBODY\n`.
 * @param ring borrowed: it must outlive the verifier.
 * @return a verifier (free with wx_verifier_free() unless handed to a client); NULL when
 *         @p ring is NULL or on allocation failure.
 */
WX_API wx_verifier_t *wx_verifier_apiv3(wx_keyring_t *ring, int64_t max_skew_s);
/** @brief Destroy a verifier that was not handed to a client. Accepts NULL. */
WX_API void wx_verifier_free(wx_verifier_t *v);

/** @brief The keyring of a client's default verifier (borrowed), NULL with a custom one. */
WX_API wx_keyring_t *wx_client_keyring(wx_client_t *client);

/* ------------------------------------------------------------- transport */

typedef struct wx_http_request {
    const char *method;       /**< "POST" */
    const char *url;          /**< absolute URL */
    const wx_kv_t *headers;   /**< ends with {NULL, NULL} */
    const char *body;         /**< NULL for none */
    size_t body_len;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    size_t max_response_bytes;
    int retry_safe;           /**< the request may be resent after a failure the server
                                   may have seen; when 0 a transport must never resend it
                                   itself (GET and HEAD excepted): the default transport
                                   reports WX_E_OUTCOME_UNKNOWN instead of libcurl's silent
                                   resend on a reused connection that died */
    /* multipart upload: when set, the transport sends multipart/form-data with a
       `meta` part (application/json, upload_meta) and a `file` part. */
    const char *upload_meta;
    const char *upload_filename;
    const char *upload_path;
    const void *upload_data;
    size_t upload_data_len;
    const char *upload_content_type;
    long low_speed_limit;     /**< abort when slower than this many bytes/s ... */
    int64_t low_speed_time_s; /**< ... for this many seconds (0: no limit) */
    /* TLS client certificate (APIv2's x-api-cert-required calls); NULL for none. The
       transport presents it on this request only. */
    const char *client_cert;  /**< PEM certificate text, or PKCS#12 bytes */
    size_t client_cert_len;
    int client_cert_p12;      /**< 1: client_cert is PKCS#12 holding the key too */
    const char *client_key;   /**< PEM private key text (PEM certificates), else NULL */
    size_t client_key_len;
    const char *client_key_password; /**< the key's or PKCS#12 passphrase, or NULL */
} wx_http_request_t;

typedef struct wx_http_response wx_http_response_t;

/** @brief Set the status line's code. */
WX_API void wx_http_response_set_status(wx_http_response_t *r, int status);
/** @brief Append a header (copied). WX_E_NOMEM. */
WX_API wx_err wx_http_response_add_header(wx_http_response_t *r, const char *name, size_t name_len,
                                          const char *value, size_t value_len);
/** @brief Append body bytes; WX_E_TOO_LARGE past the request's maximum; a body sink
 *         given by the caller gets them instead of the buffer. */
WX_API wx_err wx_http_response_append(wx_http_response_t *r, const void *data, size_t len);

/** Called exactly once per submitted request, from inside `perform`. */
typedef void (*wx_http_done_fn)(void *done_ud, wx_err result, const wx_error_t *err);

/** Version of struct wx_transport in these headers (common.h, "Growing structs"). */
#define WX_TRANSPORT_VERSION 1
/** A struct wx_transport of this version with every other member zero. */
#define WX_TRANSPORT_INIT {.version = WX_TRANSPORT_VERSION}

struct wx_transport {
    unsigned version;               /**< WX_TRANSPORT_VERSION; 0 means 1 */
    void *ctx;
    /**
     * Start @p req; fill @p resp as bytes arrive; call @p done when finished. May call
     * done before returning WX_OK; an error return means done was not and will not be
     * called. @p req and its strings stay valid until done is called.
     */
    wx_err (*submit)(void *ctx, const wx_http_request_t *req, wx_http_response_t *resp,
                     wx_http_done_fn done, void *done_ud);
    /** Make progress on the calling thread's requests for at most @p timeout_ms;
     *  return how many are still in flight on this thread. */
    size_t (*perform)(void *ctx, int64_t timeout_ms);
    void (*destroy)(void *ctx);
    /** Optional: drop the calling thread's transfer submitted with @p done_ud without
     *  calling its done function (a client sharing this transport is being freed). */
    void (*cancel)(void *ctx, void *done_ud);
    /** Optional: switch the calling thread's transfers to an application event loop. */
    wx_err (*use_event_loop)(void *ctx, const wx_event_hooks_t *hooks);
    /** Optional: readiness of @p fd (or WX_SOCKET_TIMEOUT) for the calling thread;
     *  returns how many of its transfers are still in flight. */
    size_t (*socket_action)(void *ctx, int fd, int events);
};

/** @brief The default libcurl transport (connection reuse, HTTP/2, keep-alive). */
WX_API wx_transport_t *wx_transport_curl(void);

/** @brief Destroy a transport that was not handed to a client. Accepts NULL. */
WX_API void wx_transport_free(wx_transport_t *t);

#ifdef __cplusplus
}
#endif
#endif
