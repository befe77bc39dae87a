/* Shared by the fuzz targets: the golden test keys (read once from tests/golden/keys,
 * whose path is compiled in as WX_GOLDEN_DIR) and a splitter for the common input
 * form "Name: value" lines, an empty line, then a body. */
#ifndef WX_FUZZ_SUPPORT_H
#define WX_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include <wechatpay/common.h>

#define WXF_PLATFORM_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define WXF_OTHER_SERIAL "7777F09EFDC096DE15EBE81A47057A7232F17777"
#define WXF_NOW 1700000000

/* PEM text of tests/golden/keys/NAME (static, loaded once; aborts if unreadable). */
const char *wxf_golden(const char *name);

/* Up to 32 headers parsed from "Name: value\n" lines (CR before LF dropped) until an
 * empty line; the rest is the body. Names and values are NUL-terminated copies inside
 * `store`; a value may still hold bytes a real HTTP parser would refuse. */
typedef struct wxf_message {
    wx_kv_t headers[33];
    size_t header_count;
    const char *body;
    size_t body_len;
    char *store;
} wxf_message;

void wxf_message_parse(const uint8_t *data, size_t size, wxf_message *m);
void wxf_message_free(wxf_message *m);

#endif
