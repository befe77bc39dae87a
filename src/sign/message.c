/* The APIv3 message lines a request signature covers:
 *   METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n
 * Kept separate from the signer so that tests can compare it with a golden vector. */
#include <inttypes.h>
#include <string.h>

#include <wechatpay/plugin.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

void wx_sign_message_to(wx_buf *out, const wx_sign_input_t *in)
{
    wx_buf_puts(out, in->method);
    wx_buf_putc(out, '\n');
    wx_buf_puts(out, in->target);
    wx_buf_printf(out, "\n%" PRId64 "\n", in->timestamp);
    wx_buf_puts(out, in->nonce);
    wx_buf_putc(out, '\n');
    if (in->body && in->body_len)
        wx_buf_append(out, in->body, in->body_len);
    wx_buf_putc(out, '\n');
}

wx_err wx_sign_message(const wx_sign_input_t *in, char **msg, size_t *len)
{
    if (!in || !msg || !in->method || !in->target || !in->nonce)
        return WX_E_INVALID_ARG;
    wx_buf b = WX_BUF_INIT;
    wx_sign_message_to(&b, in);
    *msg = wx_buf_steal(&b, len);
    return *msg ? WX_OK : WX_E_NOMEM;
}

void wx_verify_message_to(wx_buf *out, const char *timestamp, const char *nonce,
                          const char *body, size_t body_len)
{
    wx_buf_puts(out, timestamp);
    wx_buf_putc(out, '\n');
    wx_buf_puts(out, nonce);
    wx_buf_putc(out, '\n');
    if (body && body_len)
        wx_buf_append(out, body, body_len);
    wx_buf_putc(out, '\n');
}
