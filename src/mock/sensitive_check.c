/* The sandbox refuses a field the spec marks sensitive (x-is-sensitive) that arrives in
 * clear, as WeChat Pay does: a merchant's code that forgot to encrypt finds out here,
 * not in production. RSA-OAEP ciphertext is base64 of at least one 2048-bit block. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "mock.h"

typedef struct clear_find {
    char *path;
    size_t size;
} clear_find;

static int looks_encrypted(const char *s, size_t n)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (wx_base64_decode(s, n, &raw, &len) != WX_OK)
        return 0;
    wx_free(raw);
    return len >= 256;
}

static wx_err check_field(void *ud, const wx_sensitive_field_t *f)
{
    clear_find *cf = ud;
    if (looks_encrypted(json_object_get_string(f->value),
                        (size_t)json_object_get_string_len(f->value)))
        return WX_OK;
    snprintf(cf->path, cf->size, "%s", f->path);
    return WX_E_VALIDATION; /* stops the walk at the first field in clear */
}

int wx_mock_sensitive_in_clear(const wx_endpoint_t *ep, struct json_object *body, char *path,
                               size_t size)
{
    if (!body || !wx_endpoint_has_sensitive(ep))
        return 0;
    clear_find cf = {path, size};
    return wx_endpoint_sensitive_paths(ep, body, check_field, &cf) == WX_E_VALIDATION;
}
