/* The libcurl transport's settings, filled by the client from its options. */
#ifndef WX_TRANSPORT_CURL_TRANSPORT_H
#define WX_TRANSPORT_CURL_TRANSPORT_H

#include <wechatpay/plugin.h>

typedef struct wx_curl_settings {
    const char *ca_file;
    const char *ca_path;
    const char *proxy;
    int insecure_skip_tls_verify; /* only from the loudly named client option */
} wx_curl_settings;

wx_transport_t *wx_transport_curl_with(const wx_curl_settings *settings);
/* "libcurl/7.88.1" for the User-Agent. */
const char *wx_transport_curl_version(void);

#endif
