/**
 * @file download.h
 * @brief Bill downloads: streamed to a file or a callback without holding the bill in
 *        memory, checked against the digest the bill request announced.
 *
 * @code
 *   // r = GET /v3/bill/tradebill?bill_date=...  ->  {download_url, hash_type, hash_value}
 *   wx_download_options_t d = {
 *       .download_url = url, .hash_type = "SHA1", .hash_value = hex, .path = "bill.csv"};
 *   if (wx_download(c, &d, NULL, &err) != WX_OK)
 *       fprintf(stderr, "%s\n", err.message);   // WX_E_DIGEST: bill.csv was removed
 * @endcode
 */
#ifndef WECHATPAY_DOWNLOAD_H
#define WECHATPAY_DOWNLOAD_H

#include "common.h"
#include "client.h"
#include "chain.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of wx_download_options_t in these headers (common.h, "Growing structs"). */
#define WX_DOWNLOAD_OPTIONS_VERSION 1
/** A wx_download_options_t of this version with every other member zero. */
#define WX_DOWNLOAD_OPTIONS_INIT {.version = WX_DOWNLOAD_OPTIONS_VERSION}

/** What to download and where to put it. All pointers borrowed for the call. */
typedef struct wx_download_options {
    unsigned version;               /**< WX_DOWNLOAD_OPTIONS_VERSION; 0 means 1 */
    /** The `download_url` of a bill request's answer. Only its path and query are used:
     *  the request is signed and sent to the client's base URL. */
    const char *download_url;
    /** "SHA1" (what WeChat Pay announces) or "SHA256"; NULL: no check (not advised). */
    const char *hash_type;
    /** The announced digest in hex (either case). */
    const char *hash_value;
    /** Write the bill here. It is written to PATH.part and renamed only when complete and
     *  its digest matches, so a failed download never leaves a plausible bill behind. */
    const char *path;
    /** ... or hand the bill to this callback as it arrives. It sees the data before the
     *  digest can be checked: on WX_E_DIGEST the caller must discard what it got. */
    wx_body_sink_fn sink;
    void *sink_ud;
    /** A gzip bill (tar_type=GZIP) is recognised by its magic bytes and inflated while
     *  streaming; the digest is checked over the inflated bill, as WeChat Pay computes it.
     *  1: write the compressed bytes as received (the digest is still checked). */
    int keep_gzip;
} wx_download_options_t;

/**
 * @brief Download a bill.
 * @param bytes optional: receives the number of bytes written (after inflating).
 * @return WX_OK; WX_E_DIGEST when the data does not match hash_value (the file is
 *         removed); WX_E_INVALID_ARG (no URL, a URL whose path holds characters a URL
 *         path may not, neither or both of path and sink, an unknown hash_type or a
 *         hash_value that is not hex of the right length);
 *         WX_E_IO (the file cannot be written); WX_E_DECRYPT never; WX_E_HTTP with the
 *         server's code (e.g. an expired token); any transport error.
 * @threadsafety As the verbs: safe from several threads on one client.
 */
WX_API WX_NODISCARD wx_err wx_download(wx_client_t *client, const wx_download_options_t *opts,
                                        size_t *bytes, wx_error_t *err);

struct json_object;

/**
 * @brief Download an APIv2 bill: `pay/downloadbill` (trade bill) or `pay/downloadfundflow`
 *        (fund flow), streamed to a file or a callback like wx_download().
 *
 * The fields are sent as an APIv2 call (wechatpay/apiv2.h: validated against the
 * endpoint's spec, `nonce_str` added, signed with the APIv2 key, with the merchant TLS
 * certificate where the spec asks for it). WeChat Pay answers a bill as text (gzip with
 * `tar_type` GZIP, inflated unless @p opts keep_gzip says otherwise), unsigned, and a
 * failure as XML, which is never written to the file or sink.
 * @code
 *   json_object *f = json_tokener_parse("{\"appid\":\"wx...\",\"mch_id\":\"1900000001\","
 *                                       "\"bill_date\":\"20261202\",\"bill_type\":\"ALL\"}");
 *   wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .path = "bill.csv"};
 *   if (wx_v2_download(c, "pay/downloadbill", f, &d, NULL, &err) != WX_OK)
 *       fprintf(stderr, "%s\n", err.message);   // no bill that day: err.server_code
 *   json_object_put(f);
 * @endcode
 * @param path   the APIv2 path, with or without `v2/` ("pay/downloadbill").
 * @param fields a flat json-c object of strings and numbers (borrowed; json-c caches
 *               text in it, so do not share it with another thread during the call).
 * @param opts   path or sink, and keep_gzip; download_url, hash_type and hash_value must
 *               be NULL (APIv2 announces no digest).
 * @param bytes  optional: receives the number of bytes written.
 * @return WX_OK; WX_E_HTTP when WeChat Pay answered return_code FAIL (no bill for the
 *         day, a bad field...): err->server_code is its error_code or err_code ("FAIL"
 *         when it gives neither) and err->server_message its return_msg or err_code_des;
 *         WX_E_INVALID_ARG, WX_E_VALIDATION, WX_E_CONFIG (no APIv2 key, no merchant
 *         certificate where one is needed) before anything is sent; WX_E_DIGEST for a
 *         corrupt or truncated gzip bill; WX_E_IO; WX_E_XML for an error answer that is
 *         not readable XML; any transport error. On failure the file is not left behind.
 * @threadsafety As the verbs: safe from several threads on one client.
 */
WX_API WX_NODISCARD wx_err wx_v2_download(wx_client_t *client, const char *path,
                                           const struct json_object *fields,
                                           const wx_download_options_t *opts, size_t *bytes,
                                           wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
