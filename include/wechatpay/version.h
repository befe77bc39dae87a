/**
 * @file version.h
 * @brief Compile-time and run-time version of libwechatpay (semantic versioning).
 */
#ifndef WECHATPAY_VERSION_H
#define WECHATPAY_VERSION_H

#include "common.h"

#define WX_VERSION_MAJOR 0
#define WX_VERSION_MINOR 1
#define WX_VERSION_PATCH 0
#define WX_VERSION_STRING "0.1.0"
/** A single number that grows with every release: 0xMMmmpp. */
#define WX_VERSION_NUM ((WX_VERSION_MAJOR << 16) | (WX_VERSION_MINOR << 8) | WX_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Version of the library actually linked, as "MAJOR.MINOR.PATCH".
 * @return a static string. @threadsafety Safe from any thread.
 */
WX_API const char *wx_version(void);

/**
 * @brief Name of the crypto backend compiled in: "mbedtls" or "openssl".
 * @return a static string. @threadsafety Safe from any thread.
 */
WX_API const char *wx_crypto_backend(void);

/**
 * @brief The crypto backend with the version of the library it runs on, as the
 *        User-Agent and `wxpay --version` name it: "openssl/3.0.11", "mbedtls/2.28.3".
 * @return a static string. @threadsafety Safe from any thread.
 */
WX_API const char *wx_crypto_backend_version(void);

#ifdef __cplusplus
}
#endif
#endif
