/**
 * @file client.h
 * @brief The client: one merchant identity (mchid, key, platform keys) talking to
 *        one WeChat Pay API endpoint.
 *
 * A client owns everything it needs: a copy of the keys, the spec tree, the
 * interned chain nodes and the transport. It is safe to use one client from many
 * threads at once; creating and freeing it is not concurrent with its use.
 */
#ifndef WECHATPAY_CLIENT_H
#define WECHATPAY_CLIENT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wx_client wx_client_t;
typedef struct wx_signer wx_signer_t;
typedef struct wx_verifier wx_verifier_t;
typedef struct wx_transport wx_transport_t;

/** @name Defaults of wx_client_options_t, used for a member left zero. */
/** @{ */
#define WX_DEFAULT_CONNECT_TIMEOUT_MS 10000           /**< connect_timeout_ms: 10 s */
#define WX_DEFAULT_TIMEOUT_MS 30000                   /**< timeout_ms: 30 s */
#define WX_DEFAULT_MAX_RESPONSE_BYTES ((size_t)64 << 20) /**< max_response_bytes: 64 MiB */
#define WX_DEFAULT_CERT_REFRESH_MARGIN_S 86400        /**< cert_refresh_margin_s: one day */
#define WX_DEFAULT_MAX_RETRIES 1                      /**< max_retries */
/** @} */

/** A platform verification key: a certificate serial or a `PUB_KEY_ID_...` and its PEM. */
typedef struct wx_platform_key {
    const char *serial;  /**< certificate serial (hex) or WeChat Pay public key id */
    const char *pem;     /**< PEM text of an X.509 certificate or a public key */
} wx_platform_key_t;

/** Returns the current UNIX time in seconds (injectable for tests). */
typedef int64_t (*wx_clock_fn)(void *ud);
/**
 * Writes a NUL-terminated nonce of at most 63 characters into @p out (size 64).
 * Injectable so that tests can sign with a fixed nonce. Returns WX_OK or an error.
 * Letters and digits only: the nonce is quoted in the Authorization header, and a
 * request with any other nonce fails with WX_E_SIGN before it is sent.
 */
typedef wx_err (*wx_nonce_fn)(void *ud, char out[64]);

/** Version of wx_client_options_t in these headers (common.h, "Growing structs"). */
#define WX_CLIENT_OPTIONS_VERSION 3
/** A wx_client_options_t of this version with every other member zero. */
#define WX_CLIENT_OPTIONS_INIT {.version = WX_CLIENT_OPTIONS_VERSION}

/**
 * Client options. The all-zero value is valid apart from the identity fields;
 * every zero member means "the default" given on it. All pointers are borrowed
 * for the duration of wx_client_new() only: the client copies what it keeps.
 */
typedef struct wx_client_options {
    unsigned version;               /**< WX_CLIENT_OPTIONS_VERSION; 0 means 1 */
    const char *mchid;              /**< merchant id (required unless a custom signer) */
    const char *serial;             /**< merchant certificate serial (required, ditto) */
    const char *private_key_pem;    /**< merchant RSA key, PEM text (PKCS#1 or PKCS#8) */
    const char *private_key_path;   /**< ... or a path to it */
    const char *private_key_password; /**< for an encrypted PKCS#8 key, else NULL */
    /** Platform certificates / public keys; ends with a {NULL, NULL} entry. */
    const wx_platform_key_t *platform;
    const char *apiv3_key;          /**< 32-byte APIv3 key (notifications, certificates) */
    const char *base_url;           /**< default "https://api.mch.weixin.qq.com/"; scheme,
                                         host and port only (no path) */
    const char *backup_base_url;    /**< failover on connection errors, NULL for none */
    const char *const *spec_dirs;   /**< NULL-terminated extra spec directories, later wins */
    int no_builtin_specs;           /**< 1: do not use the spec tree compiled into the library */
    int no_env_spec_path;           /**< 1: ignore the WXPAY_SPEC_PATH environment variable */
    int no_request_validation;      /**< 1: send requests without spec validation */
    int validate_responses;         /**< 1: check 2xx response bodies against the spec */
    int64_t connect_timeout_ms;     /**< default WX_DEFAULT_CONNECT_TIMEOUT_MS */
    int64_t timeout_ms;             /**< whole request, default WX_DEFAULT_TIMEOUT_MS */
    size_t max_response_bytes;      /**< largest body kept in memory, default
                                         WX_DEFAULT_MAX_RESPONSE_BYTES (a body streamed to a
                                         sink, e.g. a bill, is not limited) */
    const char *user_agent_suffix;  /**< appended to the library's User-Agent */
    const char *ca_file;            /**< CA bundle for TLS, default system */
    const char *ca_path;            /**< CA directory for TLS */
    const char *proxy;              /**< e.g. "http://proxy:3128" */
    int insecure_skip_tls_verify_DANGEROUS; /**< 1 disables TLS checks: tests only */
    wx_clock_fn clock;              /**< default time(NULL) */
    void *clock_ud;
    wx_nonce_fn nonce;              /**< default 32 hex characters from the CSPRNG */
    void *nonce_ud;
    wx_signer_t *signer;            /**< custom signer; ownership passes to the client */
    wx_verifier_t *verifier;        /**< custom verifier; ownership passes to the client */
    wx_transport_t *transport;      /**< custom transport; ownership passes to the client */
    /** Debug hook: called with each request/response as it goes over the wire,
     *  secrets (Authorization signature, keys) masked, and once per operation with a
     *  line starting "! warning:" when validate_responses cannot check its answers (a
     *  defect in its response schema). NULL for none. */
    void (*debug)(void *ud, const char *text, size_t len);
    void *debug_ud;
    long low_speed_limit;           /**< bytes/s below which a transfer is too slow ... */
    int64_t low_speed_time_s;       /**< ... for this long (0: no low-speed limit) */
    /** Extra attempts after a failed one (default WX_DEFAULT_MAX_RETRIES; -1 for none). A request is sent
     *  again only when nothing reached the server (WX_E_CONNECT, going to
     *  backup_base_url when one is set), or, for requests marked retry_safe, also after
     *  a timeout, a broken connection or a 5xx answer. Each attempt is signed afresh. */
    int max_retries;
    /** Share this client's transport (connection pool, DNS and TLS caches) instead of
     *  making a new one: one pool for many merchants. Borrowed; the pool lives until the
     *  last client using it is freed. Free a client only after its own requests are done. */
    wx_client_t *share_transport_of;
    /** 1: keep the platform certificates current without being asked (needs apiv3_key
     *  and the default verifier; see wechatpay/certificates.h). A refresh runs before a
     *  request when the nearest certificate expiry is within cert_refresh_margin_s (at
     *  most once an hour), and when a response or notification names an unknown
     *  Wechatpay-Serial: once, at most once a minute, before it is rejected; it is then
     *  accepted only if the refreshed set holds that serial and the signature verifies
     *  with it. So a client configured with no platform key bootstraps itself. */
    int auto_refresh_certificates;
    int64_t cert_refresh_margin_s;  /**< default WX_DEFAULT_CERT_REFRESH_MARGIN_S */
    /* APIv2 (wechatpay/apiv2.h): chains under "v2". */
    const char *apiv2_key;          /**< the 32-character APIv2 key (signs, refund callbacks) */
    /** The merchant certificate, the TLS client certificate of the APIv2 endpoints that
     *  need one (`x-api-cert-required`: refunds, reversals, transfers, red packets):
     *  a PEM file (apiclient_cert.pem, whose key is the merchant private key above) or a
     *  PKCS#12 file (apiclient_cert.p12, certificate and key, with
     *  merchant_cert_password). NULL: such calls fail with WX_E_CONFIG before sending. */
    const char *merchant_cert_path;
    const char *merchant_cert_password; /**< the PKCS#12 passphrase (WeChat Pay's is the mchid) */
    /* ---- version 2: read only from a struct whose version is 2 or more */
    /** How far a response's Wechatpay-Timestamp may be from the client's clock for the
     *  default verifier, in seconds; 0: WX_DEFAULT_MAX_SKEW_S (300, WeChat Pay's own rule). */
    int64_t max_clock_skew_s;
    /* ---- version 3: read only from a struct whose version is 3 or more */
    /** Request validation, a ::wx_validation_mode: WX_VALIDATION_ON (0, the default),
     *  WX_VALIDATION_STRICT or WX_VALIDATION_OFF (as no_request_validation). */
    int validation;
} wx_client_options_t;

/** Values of wx_client_options_t.validation (CONFIG.json `validation`). */
typedef enum wx_validation_mode {
    WX_VALIDATION_ON = 0,     /**< validate wherever a spec describes the endpoint */
    WX_VALIDATION_STRICT = 1, /**< also refuse (WX_E_VALIDATION, nothing sent) a request no
                                   spec describes, or a method its spec lacks; the message
                                   names the path and the nearest known endpoints */
    WX_VALIDATION_OFF = 2,    /**< no request validation */
} wx_validation_mode;

/**
 * @brief Create a client.
 * @param opts  options (borrowed; the client copies what it keeps). Must not be NULL.
 * @param out   receives the new client; set to NULL on failure.
 * @param err   optional detail of a failure.
 * @return WX_OK; WX_E_CONFIG for a missing mchid/serial/key; WX_E_KEY for a key or
 *         certificate that does not parse (the message names which one);
 *         WX_E_SPEC for an unusable spec directory; WX_E_NOMEM.
 *         On failure nothing is leaked and ownership of custom signer/verifier/
 *         transport stays with the caller.
 * @threadsafety Safe to call concurrently for different clients.
 */
WX_API WX_NODISCARD wx_err wx_client_new(const wx_client_options_t *opts,
                                          wx_client_t **out, wx_error_t *err);

/**
 * @brief Create a client from a CONFIG.json file (`mchid`, `serial`, `private_key`,
 *        `platform`, optional `base_url`, `apiv3_key`, `spec_dir` (a path or a list),
 *        `ca_file`/`ca_path` (certificate authorities to trust for TLS), `apiv2_key`,
 *        `merchant_cert` (PEM or PKCS#12 path) and `merchant_cert_password`,
 *        `auto_refresh_certificates` (true: `platform` may then be left out and the
 *        platform certificates are downloaded on first use)). Relative paths are
 *        relative to the folder holding the file.
 * @param path   the file; NULL means the WXPAY_CONFIG environment variable.
 * @param overrides optional options whose non-zero members override the file
 *               (e.g. base_url, transport); borrowed.
 * @return as wx_client_new(), plus WX_E_IO (unreadable file), WX_E_JSON (malformed),
 *         WX_E_CONFIG (missing or mistyped key, named in err->where).
 */
WX_API WX_NODISCARD wx_err wx_client_new_from_config(const char *path,
                                                      const wx_client_options_t *overrides,
                                                      wx_client_t **out, wx_error_t *err);

/**
 * @brief Free a client, its nodes, keys (zeroised) and connections. Accepts NULL.
 *        Pending async requests are cancelled (their callbacks fire with
 *        WX_E_TRANSPORT) before the client goes, and their futures are freed with it:
 *        do not wait for or release a future of the client afterwards.
 * @threadsafety No other thread may be using the client, nor driving its requests
 *               (wait/perform). A request another thread left pending is cancelled
 *               here and its callback fires on this thread, unless the transport is
 *               shared (see share_transport_of): then another thread's engine would
 *               finish it after the client is gone, so freeing a client whose requests
 *               are in flight on another thread while it shares its transport is
 *               refused: a message on stderr and abort(). Let that thread wait for them
 *               first (wx_future_wait, wx_client_wait_all); the other clients of the
 *               pool are not affected either way.
 */
WX_API void wx_client_free(wx_client_t *client);

/** @brief The merchant id the client signs as (borrowed, lives as long as the client). */
WX_API const char *wx_client_mchid(const wx_client_t *client);

#ifdef __cplusplus
}
#endif
#endif
