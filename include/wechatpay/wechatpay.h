/**
 * @file wechatpay.h
 * @brief The one header users include.
 *
 * @code
 *   #include <wechatpay/wechatpay.h>
 *   wx_client_t *c;
 *   if (wx_client_new_from_config("CONFIG.json", NULL, &c, NULL) != WX_OK) return 1;
 *   wx_response_t *r = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")
 *                          ->post(&(wx_request_options_t){ .json_text = body });
 *   if (wx_response_err(r) == WX_OK) puts(wx_response_body(r, NULL));
 *   wx_response_free(r);
 *   wx_client_free(c);
 * @endcode
 */
#ifndef WECHATPAY_WECHATPAY_H
#define WECHATPAY_WECHATPAY_H

#include "common.h"
#include "version.h"
#include "client.h"
#include "response.h"
#include "chain.h"
#include "async.h"
#include "uritemplate.h"
#include "spec.h"
#include "crypto.h"
#include "download.h"
#include "notify.h"
#include "certificates.h"
#include "sensitive.h"
#include "paysign.h"
#include "apiv2.h"

#endif
