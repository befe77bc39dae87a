/* Base64 (RFC 4648, standard alphabet, padded). Strict decoding: signatures and
 * ciphertexts that are not exactly base64 are rejected, not repaired. */
#include <string.h>
#include <wechatpay/crypto.h>

#include "base64.h"

#include "alloc.h"

static const char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t wx_base64_encoded_len(size_t len) { return 4 * ((len + 2) / 3); }

void wx_base64_encode_to(const unsigned char *in, size_t len, char *out)
{
    size_t i = 0, o = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = k_alphabet[v >> 18];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = k_alphabet[(v >> 6) & 63];
        out[o++] = k_alphabet[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
        out[o++] = k_alphabet[v >> 18];
        out[o++] = k_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? k_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
}

wx_err wx_base64_encode(const void *data, size_t len, char **out)
{
    *out = wx_malloc(wx_base64_encoded_len(len) + 1);
    if (!*out)
        return WX_E_NOMEM;
    wx_base64_encode_to(data, len, *out);
    return WX_OK;
}

static int val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode into out (room for 3*len/4 bytes); returns the length or -1. */
long wx_base64_decode_to(const char *in, size_t len, unsigned char *out)
{
    if (len % 4)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int a = val((unsigned char)in[i]), b = val((unsigned char)in[i + 1]);
        int last = i + 4 == len;
        int c = (last && in[i + 2] == '=') ? -2 : val((unsigned char)in[i + 2]);
        int d = (last && in[i + 3] == '=') ? -2 : val((unsigned char)in[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2))
            return -1;
        out[o++] = (unsigned char)(a << 2 | b >> 4);
        if (c >= 0) {
            out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
            if (d >= 0)
                out[o++] = (unsigned char)((c & 3) << 6 | d);
            else if (c & 3)
                return -1; /* non-canonical padding bits */
        } else if (b & 15) {
            return -1;
        }
    }
    return (long)o;
}

wx_err wx_base64_decode(const char *b64, size_t len, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!b64)
        return WX_E_INVALID_ARG;
    unsigned char *p = wx_malloc(len / 4 * 3 + 1);
    if (!p)
        return WX_E_NOMEM;
    long n = wx_base64_decode_to(b64, len, p);
    if (n < 0) {
        wx_free(p);
        return WX_E_INVALID_ARG;
    }
    p[n] = 0;
    *out = p;
    if (out_len)
        *out_len = (size_t)n;
    return WX_OK;
}
