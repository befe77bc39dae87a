#include <string.h>

#include "mock.h"

static const char *const k_names[WX_FAULT_COUNT] = {
    [WX_FAULT_NONE] = "none",
    [WX_FAULT_BAD_SIGNATURE] = "bad-signature",
    [WX_FAULT_UNKNOWN_SERIAL] = "unknown-serial",
    [WX_FAULT_STALE_TIMESTAMP] = "stale-timestamp",
    [WX_FAULT_MISSING_HEADERS] = "missing-headers",
    [WX_FAULT_HTTP_500] = "http-500",
    [WX_FAULT_DROP_CONNECTION] = "drop-connection",
    [WX_FAULT_SLOW_BODY] = "slow-body",
    [WX_FAULT_TRUNCATED_BODY] = "truncated-body",
};

int wx_mock_fault_parse(const char *name, size_t len, wx_mock_fault *out)
{
    for (int i = 0; i < WX_FAULT_COUNT; i++)
        if (strlen(k_names[i]) == len && !memcmp(k_names[i], name, len)) {
            *out = (wx_mock_fault)i;
            return 0;
        }
    return -1;
}

const char *wx_mock_fault_name(wx_mock_fault f)
{
    return (f >= 0 && f < WX_FAULT_COUNT) ? k_names[f] : "?";
}

const char *wx_mock_fault_help(void)
{
    return "  bad-signature    Wechatpay-Signature is a valid signature of other bytes\n"
           "  unknown-serial   Wechatpay-Serial names a key that is not in CONFIG.json\n"
           "  stale-timestamp  Wechatpay-Timestamp is 10 minutes old (signed consistently)\n"
           "  missing-headers  no Wechatpay-* headers at all\n"
           "  http-500         a signed 500 {\"code\":\"SYSTEM_ERROR\",...} instead of the answer\n"
           "  drop-connection  close the connection without sending any HTTP response\n"
           "  slow-body        send the (correct) body in pieces over about 3 seconds\n"
           "  truncated-body   Content-Length larger than the bytes sent, then close\n";
}
