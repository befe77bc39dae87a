/**
 * @file paysign.h
 * @brief The parameters a page or an app needs to open the WeChat Pay cashier for a
 *        prepay_id, signed with the merchant key (SHA256withRSA, base64).
 *
 * JSAPI (Official Account pages, `WeixinJSBridge.invoke('getBrandWCPayRequest', ...)`)
 * and mini-programs (`wx.requestPayment`):
 * @code{.json}
 *   {"appId":"wx..","timeStamp":"1700000000","nonceStr":"..","package":"prepay_id=wx..",
 *    "signType":"RSA","paySign":".."}
 * @endcode
 * with paySign over `appId\ntimeStamp\nnonceStr\npackage\n` (mini-programs ignore
 * appId but it is signed all the same).
 *
 * APP (the OpenSDK's PayReq):
 * @code{.json}
 *   {"appid":"wx..","partnerid":"1900000001","prepayid":"wx..","package":"Sign=WXPay",
 *    "noncestr":"..","timestamp":"1700000000","sign":".."}
 * @endcode
 * with sign over `appid\ntimestamp\nnoncestr\nprepayid\n`.
 *
 * Timestamps are decimal strings, as both SDKs want them. The JSON is compact
 * (one line) and ready to hand to the page.
 * @threadsafety Safe from several threads at once.
 */
#ifndef WECHATPAY_PAYSIGN_H
#define WECHATPAY_PAYSIGN_H

#include "common.h"
#include "client.h"
#include "crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which cashier the parameters are for. */
typedef enum wx_paysign_kind {
    WX_PAYSIGN_JSAPI = 0, /**< Official Account pages and mini-programs */
    WX_PAYSIGN_APP = 1    /**< mobile apps (OpenSDK) */
} wx_paysign_kind;

/** Version of wx_paysign_options_t in these headers (common.h, "Growing structs"). */
#define WX_PAYSIGN_OPTIONS_VERSION 1
/** A wx_paysign_options_t of this version with every other member zero. */
#define WX_PAYSIGN_OPTIONS_INIT {.version = WX_PAYSIGN_OPTIONS_VERSION}

/** What to sign. Strings are borrowed for the call. */
typedef struct wx_paysign_options {
    unsigned version;               /**< WX_PAYSIGN_OPTIONS_VERSION; 0 means 1 */
    wx_paysign_kind kind;
    const char *appid;      /**< required: the appid the prepay_id was made for */
    const char *prepay_id;  /**< required: from the JSAPI/APP pre-order ("wx2017...") */
    const char *partnerid;  /**< APP only: the merchant id; default the client's mchid
                                 (service providers: the sub-merchant's) */
    int64_t timestamp;      /**< 0: the client's clock (required without a client) */
    const char *nonce;      /**< NULL: the client's nonce source (required without one) */
} wx_paysign_options_t;

/**
 * @brief Sign the cashier parameters with the client's merchant key, clock and nonce.
 * @param json receives the JSON text (wx_free()).
 * @return WX_OK; WX_E_INVALID_ARG (a required field missing, or a value with a control
 *         character, which would change the signed lines; err->where names it);
 *         WX_E_CONFIG (a client with a custom signer holds no key); WX_E_SIGN; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_paysign(wx_client_t *client, const wx_paysign_options_t *opts,
                                       char **json, wx_error_t *err);

/**
 * @brief As wx_paysign() with an explicit merchant key; `timestamp` and `nonce` are
 *        required and, for APP, `partnerid`.
 */
WX_API WX_NODISCARD wx_err wx_paysign_with(const wx_privkey_t *key,
                                            const wx_paysign_options_t *opts, char **json,
                                            wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
