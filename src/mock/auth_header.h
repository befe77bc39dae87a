/* Parsing the APIv3 request Authorization header:
 *
 *   WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="...",signature="...",
 *                             timestamp="1554208460",serial_no="1DDE55AD..."
 *
 * Kept free of any other dependency (no library, no allocation) so that a unit test
 * and a fuzz target can link this one file. */
#ifndef WX_MOCK_AUTH_HEADER_H
#define WX_MOCK_AUTH_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define WX_MOCK_AUTH_SCHEME "WECHATPAY2-SHA256-RSA2048"

/* The five fields, NUL-terminated. Sizes bound what a well-formed header carries
 * (a 4096-bit signature is 684 base64 characters). */
typedef struct wx_mock_auth {
    char mchid[64];
    char nonce_str[128];
    char signature[1024];
    char timestamp[24];
    char serial_no[128];
    int64_t timestamp_value; /* timestamp as a number */
} wx_mock_auth;

/* Parse @p len bytes of @p value (need not be NUL-terminated). Fields are
 * `name="value"` pairs separated by commas (optional blanks around them), in any
 * order; each of the five must appear exactly once and nothing else may. Values may
 * not be empty or contain quotes, backslashes or control characters; timestamp is
 * decimal digits.
 * Returns 0 and fills @p out, or -1 with a reason in @p why (at most @p why_len
 * bytes, NUL-terminated) that never quotes the header back. */
int wx_mock_auth_parse(const char *value, size_t len, wx_mock_auth *out, char *why,
                       size_t why_len);

#endif
