/* AES-256-ECB with PKCS#7 padding (APIv2 refund notifications' req_info), shared by
 * both backends: the backend only runs whole blocks (wxc_aes256ecb_blocks), so the
 * padding rules and their errors are the same whichever library is linked. */
#include <string.h>

#include "backend.h"
#include "util/alloc.h"
#include "util/error.h"

wx_err wxc_aes256ecb_encrypt(const unsigned char key[32], const unsigned char *in, size_t in_len,
                             unsigned char *out, size_t *out_len, wx_error_t *err)
{
    size_t padded = (in_len / 16 + 1) * 16;
    if (!out_len || *out_len < padded)
        return wx_error_set(err, WX_E_INVALID_ARG, "aes-ecb",
                            "the output buffer needs room for %zu bytes", padded);
    if (in_len)
        memmove(out, in, in_len);
    unsigned char pad = (unsigned char)(padded - in_len);
    memset(out + in_len, pad, pad);
    wx_err rc = wxc_aes256ecb_blocks(1, key, out, padded, out, err);
    if (rc != WX_OK) {
        wx_secure_zero(out, padded);
        return rc;
    }
    *out_len = padded;
    return WX_OK;
}

/* The padding is checked without branching on its bytes, so the time taken does not
 * say how much of it was right. */
static int pkcs7_length(const unsigned char *buf, size_t len, size_t *plain_len)
{
    unsigned pad = buf[len - 1];
    unsigned bad = (unsigned)(pad == 0) | (unsigned)(pad > 16);
    for (unsigned i = 1; i <= 16; i++) {
        unsigned in_pad = (unsigned)(i <= pad);
        bad |= in_pad & (unsigned)(buf[len - i] != pad);
    }
    *plain_len = len - (bad ? 0 : pad);
    return !bad;
}

wx_err wxc_aes256ecb_decrypt(const unsigned char key[32], const unsigned char *in, size_t in_len,
                             unsigned char *out, size_t *out_len, wx_error_t *err)
{
    if (!in_len || in_len % 16)
        return wx_error_set(err, WX_E_DECRYPT, "aes-ecb",
                            "the ciphertext is not a whole number of 16-byte blocks");
    if (!out_len || *out_len < in_len)
        return wx_error_set(err, WX_E_INVALID_ARG, "aes-ecb",
                            "the output buffer needs room for %zu bytes", in_len);
    wx_err rc = wxc_aes256ecb_blocks(0, key, in, in_len, out, err);
    size_t n = 0;
    if (rc == WX_OK && !pkcs7_length(out, in_len, &n))
        rc = wx_error_set(err, WX_E_DECRYPT, "aes-ecb",
                          "AES-256-ECB padding is wrong: another key or altered data");
    if (rc != WX_OK) {
        wx_secure_zero(out, in_len);
        return rc;
    }
    wx_secure_zero(out + n, in_len - n);
    *out_len = n;
    return WX_OK;
}
