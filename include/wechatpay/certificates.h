/**
 * @file certificates.h
 * @brief WeChat Pay platform certificates: download (`GET /v3/certificates`), decrypt,
 *        check, install into a client's keyring, keep through rotations, save as PEM.
 *
 * Each certificate in the download is encrypted with the merchant's APIv3 key
 * (AEAD_AES_256_GCM). One that decrypts, parses, carries the serial the download
 * names, and is valid now is installed in the client's keyring under its serial;
 * certificates already there stay until they expire, so responses signed with the old
 * or the new certificate both verify while WeChat Pay rotates (the overlap of their
 * validity). Expired certificates are dropped at each refresh. WeChat Pay public keys
 * (`PUB_KEY_ID_...`) configured next to certificates are never touched: both kinds
 * verify side by side during a migration from one to the other.
 *
 * The download is itself a signed response. When its `Wechatpay-Serial` is already in
 * the keyring it is verified like any response. When it is not (the very first
 * download, or the first after a rotation) it is verified with the certificate of that
 * serial found inside the download: that certificate decrypted with the APIv3 key,
 * which only WeChat Pay and the merchant hold, so it is WeChat Pay's.
 *
 * Automatic refresh: see `auto_refresh_certificates` in ::wx_client_options_t.
 * @threadsafety Safe to call from several threads with one client; refreshes of one
 *               client are serialised, and verifications running meanwhile see the old
 *               or the new key set, never a mix.
 */
#ifndef WECHATPAY_CERTIFICATES_H
#define WECHATPAY_CERTIFICATES_H

#include "common.h"
#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What became of a downloaded certificate. */
typedef enum wx_cert_state {
    WX_CERT_INSTALLED = 0,   /**< valid now: in the keyring (or would be, with no_install) */
    WX_CERT_EXPIRED = 1,     /**< its validity ended: not installed */
    WX_CERT_NOT_YET_VALID = 2 /**< its validity starts later (more than 300 s): not installed */
} wx_cert_state;

/** One decrypted platform certificate. Strings are borrowed from the set. */
typedef struct wx_platform_cert {
    const char *serial;          /**< upper-case hex, as the certificate and WeChat Pay write it */
    int64_t not_before;          /**< validity from the certificate, UNIX seconds */
    int64_t not_after;
    const char *effective_time;  /**< as the download wrote it ("2018-06-08T10:34:56+08:00") */
    const char *expire_time;
    const char *pem;             /**< the certificate, PEM text */
    wx_cert_state state;
} wx_platform_cert_t;

/** A list of decrypted certificates, in the order of the download. */
typedef struct wx_cert_set wx_cert_set_t;

/** @brief Number of certificates in @p set (0 for NULL). */
WX_API size_t wx_cert_set_count(const wx_cert_set_t *set);
/** @brief The i-th certificate (borrowed, lives as long as the set); NULL past the end. */
WX_API const wx_platform_cert_t *wx_cert_set_at(const wx_cert_set_t *set, size_t i);
/** @brief The serial of the certificate that signed the download (borrowed); "" if unknown. */
WX_API const char *wx_cert_set_signer(const wx_cert_set_t *set);
/** @brief Free a set. Accepts NULL. */
WX_API void wx_cert_set_free(wx_cert_set_t *set);

/** Version of wx_cert_refresh_options_t in these headers (common.h, "Growing structs"). */
#define WX_CERT_REFRESH_OPTIONS_VERSION 1
/** A wx_cert_refresh_options_t of this version with every other member zero. */
#define WX_CERT_REFRESH_OPTIONS_INIT {.version = WX_CERT_REFRESH_OPTIONS_VERSION}

/** Options of wx_certificates_refresh(); the zero value installs and saves nothing. */
typedef struct wx_cert_refresh_options {
    unsigned version;               /**< WX_CERT_REFRESH_OPTIONS_VERSION; 0 means 1 */
    const char *save_dir;  /**< write `SERIAL.pem` for each certificate here (created if
                                missing, files replaced atomically); NULL: do not save */
    int no_install;        /**< 1: download, decrypt and check, but leave the keyring alone */
    const wx_kv_t *headers; /**< extra headers for the download request, `{NULL, NULL}`-
                                 terminated (the sandbox's `Wxpay-Mock-Fault`, ...); NULL: none */
} wx_cert_refresh_options_t;

/**
 * @brief Download, decrypt, check and install the platform certificates.
 * @param client a client with an `apiv3_key` and the default verifier.
 * @param opts   may be NULL (install, save nothing).
 * @param out    optional: receives the certificates (wx_cert_set_free()).
 * @param err    optional detail.
 * @return WX_OK (nothing is installed unless everything checked out);
 *         the request's errors (WX_E_TRANSPORT, WX_E_HTTP with the server's code, ...);
 *         WX_E_VERIFY_* when the download's own signature does not verify, also when
 *         it is signed by a serial neither the keyring nor the download holds;
 *         WX_E_DECRYPT when a certificate does not decrypt with the APIv3 key;
 *         WX_E_UNSUPPORTED for an algorithm other than AEAD_AES_256_GCM;
 *         WX_E_KEY for a certificate that does not parse, names another serial, or
 *         whose effective/expire times contradict it; WX_E_JSON for a malformed body;
 *         WX_E_IO when save_dir cannot be written; WX_E_CONFIG (no apiv3_key, custom
 *         verifier); WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_certificates_refresh(wx_client_t *client,
                                                    const wx_cert_refresh_options_t *opts,
                                                    wx_cert_set_t **out, wx_error_t *err);

/**
 * @brief Decrypt and check the body of a `GET /v3/certificates` answer without a
 *        client (the body's signature is not checked here: verify it first).
 * @param apiv3_key the 32-byte APIv3 key (borrowed).
 * @param now       UNIX seconds, for the validity checks.
 * @return as wx_certificates_refresh() for the body checks.
 */
WX_API WX_NODISCARD wx_err wx_certificates_decrypt(const char *apiv3_key, const char *body,
                                                    size_t body_len, int64_t now,
                                                    wx_cert_set_t **out, wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
