/* The sandbox refuses a field or a query or header parameter the spec marks sensitive
 * (x-is-sensitive) that arrives in clear, as WeChat Pay does: a merchant's code that forgot to encrypt finds out here,
 * not in production. RSA-OAEP ciphertext is base64 of at least one 2048-bit block. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* The first parameter of @p kv that the operation marks and that is in clear. */
static const char *clear_param(const wx_endpoint_t *ep, const wx_kv_t *kv, int case_blind)
{
    const char *m;
    for (size_t i = 0; (m = wx_endpoint_sensitive_param(ep, i)) != NULL; i++)
        for (size_t j = 0; kv && kv[j].key; j++)
            if ((case_blind ? !strcasecmp(m, kv[j].key) : !strcmp(m, kv[j].key)) &&
                !looks_encrypted(kv[j].value, strlen(kv[j].value)))
                return kv[j].key;
    return NULL;
}

int wx_mock_sensitive_in_clear(const wx_endpoint_t *ep, struct json_object *body,
                               const wx_kv_t *query, const wx_kv_t *headers, char *path,
                               size_t size)
{
    if (!wx_endpoint_has_sensitive(ep))
        return 0;
    const char *q = clear_param(ep, query, 0), *h = q ? NULL : clear_param(ep, headers, 1);
    if (q || h) {
        snprintf(path, size, "%s.%s", q ? "query" : "header", q ? q : h);
        return 1;
    }
    clear_find cf = {path, size};
    return body && wx_endpoint_sensitive_paths(ep, body, check_field, &cf) == WX_E_VALIDATION;
}
