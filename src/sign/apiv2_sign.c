/* APIv2 sign: sorted `k=v&...&key=KEY`, MD5 or HMAC-SHA256, upper-case hex
 * (wechatpay/apiv2.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/apiv2.h>

#include "crypto/backend.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* The text APIv2 sends for a value: strings as they are, numbers in decimal. NULL for
 * the types APIv2 has no form for. */
static const char *value_text(const json_object *v, char tmp[32])
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        return json_object_get_string((json_object *)v);
    case json_type_int:
        snprintf(tmp, 32, "%lld", (long long)json_object_get_int64(v));
        return tmp;
    case json_type_double:
        return json_object_get_string((json_object *)v);
    default:
        return NULL;
    }
}

/* A field to sign: its name and value, sorted by name (no second lookup by name). */
typedef struct v2_field {
    const char *name;
    json_object *value;
} v2_field;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const v2_field *)a)->name, ((const v2_field *)b)->name);
}

/* Fields of a typical request or answer fit on the stack. */
enum { V2_FIELDS_ON_STACK = 48 };

/* Append `k=v&` for every signed field in byte order of the names. */
static wx_err append_sorted(wx_buf *msg, const json_object *fields, wx_error_t *err)
{
    size_t n = (size_t)json_object_object_length(fields), i = 0;
    v2_field stack[V2_FIELDS_ON_STACK];
    v2_field *f = n <= V2_FIELDS_ON_STACK ? stack : wx_malloc(n * sizeof *f);
    if (!f)
        return wx_error_set(err, WX_E_NOMEM, "sign", NULL);
    json_object_object_foreach((json_object *)fields, key, val) {
        f[i].name = key;
        f[i++].value = val;
    }
    qsort(f, n, sizeof *f, by_name);
    wx_err rc = WX_OK;
    for (i = 0; i < n && rc == WX_OK; i++) {
        char tmp[32];
        const char *text = value_text(f[i].value, tmp);
        if (!text)
            rc = wx_error_set(err, WX_E_INVALID_ARG, f[i].name,
                              "an APIv2 field must be a string or a number");
        else if (*text && strcmp(f[i].name, "sign") != 0) {
            wx_buf_puts(msg, f[i].name);
            wx_buf_putc(msg, '=');
            wx_buf_puts(msg, text);
            wx_buf_putc(msg, '&');
        }
    }
    if (f != stack)
        wx_free(f);
    return rc;
}

static void upper_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

wx_err wx_v2_sign(const json_object *fields, const char *apiv2_key, wx_v2_sign_type type,
                  char out[WX_V2_SIGN_MAX], wx_error_t *err)
{
    if (!fields || !json_object_is_type(fields, json_type_object) || !out)
        return wx_error_set(err, WX_E_INVALID_ARG, "fields", "the fields must be a JSON object");
    if (!apiv2_key || !*apiv2_key)
        return wx_error_set(err, WX_E_INVALID_ARG, "apiv2_key", "the APIv2 key is empty");
    if (type != WX_V2_SIGN_MD5 && type != WX_V2_SIGN_HMAC_SHA256)
        return wx_error_set(err, WX_E_INVALID_ARG, "sign_type", "sign with MD5 or HMAC-SHA256");
    wx_buf msg = WX_BUF_INIT;
    /* Room for a typical message at once: fewer copies, and none of the key left in a
       block that growing the buffer would free (it is appended last). */
    (void)wx_buf_reserve(&msg, 1024 + strlen(apiv2_key));
    wx_err rc = append_sorted(&msg, fields, err);
    if (rc == WX_OK) {
        wx_buf_puts(&msg, "key=");
        wx_buf_puts(&msg, apiv2_key);
        if (!wx_buf_ok(&msg))
            rc = wx_error_set(err, WX_E_NOMEM, "sign", NULL);
    }
    if (rc == WX_OK) {
        unsigned char d[32];
        if (type == WX_V2_SIGN_MD5) {
            wxc_md5(msg.data, msg.len, d);
            upper_hex(d, 16, out);
        } else {
            wxc_hmac_sha256(apiv2_key, strlen(apiv2_key), msg.data, msg.len, d);
            upper_hex(d, 32, out);
        }
    }
    wx_buf_free_secret(&msg); /* it holds the key */
    return rc;
}

wx_err wx_v2_sign_type_of(const json_object *fields, wx_v2_sign_type *type, wx_error_t *err)
{
    if (!fields || !type)
        return wx_error_set(err, WX_E_INVALID_ARG, "fields", "no fields");
    json_object *st = json_object_object_get((json_object *)fields, "sign_type");
    const char *s = st ? json_object_get_string(st) : "";
    if (!*s || !strcmp(s, "MD5"))
        *type = WX_V2_SIGN_MD5;
    else if (!strcmp(s, "HMAC-SHA256"))
        *type = WX_V2_SIGN_HMAC_SHA256;
    else
        return wx_error_set(err, WX_E_UNSUPPORTED, "sign_type",
                            "sign_type must be MD5 or HMAC-SHA256");
    return WX_OK;
}

/* Case-insensitive comparison that takes the same time wherever the texts differ. */
static int same_hex(const char *a, const char *b, size_t n)
{
    unsigned diff = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        x = (unsigned char)(x >= 'a' && x <= 'z' ? x - 32 : x);
        y = (unsigned char)(y >= 'a' && y <= 'z' ? y - 32 : y);
        diff |= (unsigned)(x ^ y);
    }
    return diff == 0;
}

wx_err wx_v2_verify(const json_object *fields, const char *apiv2_key, wx_v2_sign_type type,
                    wx_error_t *err)
{
    if (!fields || !json_object_is_type(fields, json_type_object))
        return wx_error_set(err, WX_E_INVALID_ARG, "fields", "the fields must be a JSON object");
    json_object *sv = json_object_object_get((json_object *)fields, "sign");
    const char *given = sv && json_object_is_type(sv, json_type_string) ? json_object_get_string(sv)
                                                                          : NULL;
    if (!given || !*given)
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "sign", "the answer is not signed");
    size_t len = strlen(given);
    if (type == WX_V2_SIGN_BY_LENGTH)
        type = len == 64 ? WX_V2_SIGN_HMAC_SHA256 : WX_V2_SIGN_MD5;
    size_t want_len = type == WX_V2_SIGN_HMAC_SHA256 ? 64 : 32;
    if (len != want_len)
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "sign",
                            "the sign has %zu characters, not the %zu of %s", len, want_len,
                            type == WX_V2_SIGN_HMAC_SHA256 ? "HMAC-SHA256" : "MD5");
    char want[WX_V2_SIGN_MAX];
    wx_err rc = wx_v2_sign(fields, apiv2_key, type, want, err);
    if (rc != WX_OK)
        return rc;
    if (!same_hex(want, given, len))
        return wx_error_set(err, WX_E_VERIFY_SIGNATURE, "sign",
                            "the sign does not match the fields (altered, or another APIv2 key)");
    return WX_OK;
}
