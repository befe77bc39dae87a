/* Callback notifications: the signature first (the same rules as a response, through
 * wx_apiv3_check), then the envelope, then the AEAD_AES_256_GCM resource. Nothing of
 * the body is parsed before its signature has verified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/notify.h>
#include <wechatpay/plugin.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

#define NOTIFY_MAX_SKEW_S 300

typedef struct notification {
    wx_notification_t pub; /* first: the public pointer is this struct's */
    char *serial;
    char *plain;
    size_t plain_len;
} notification;

void wx_notification_free(wx_notification_t *n)
{
    if (!n)
        return;
    notification *m = (notification *)n;
    json_object_put(n->resource);
    json_object_put(n->envelope);
    wx_free(m->serial);
    if (m->plain)
        wx_free_secret(m->plain, m->plain_len);
    wx_free(m);
}

/* ------------------------------------------------------------------ headers */

static const char *const k_wechatpay_headers[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce",
                                                  "Wechatpay-Signature", "Wechatpay-Serial"};

/* A Wechatpay-* header given twice would let the signature be checked against one
 * value while a reader of the saved request sees the other. */
static wx_err check_repeats(const wx_kv_t *headers, wx_error_t *err)
{
    for (int h = 0; h < 4; h++) {
        int seen = 0;
        for (size_t i = 0; headers[i].key; i++)
            if (wx_strcasecmp_ascii(headers[i].key, k_wechatpay_headers[h]) == 0 && ++seen > 1)
                return wx_error_set(err, WX_E_VERIFY_HEADER, k_wechatpay_headers[h],
                                    "header %s appears more than once", k_wechatpay_headers[h]);
    }
    return WX_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* A line that is not a header: the message says why, err->where "line N". */
static wx_err bad_line(wx_error_t *err, size_t line_no, const char *why)
{
    wx_error_set(err, WX_E_VERIFY_HEADER, "", "line %zu: %s", line_no, why);
    if (err)
        snprintf(err->where, sizeof err->where, "line %zu", line_no);
    return WX_E_VERIFY_HEADER;
}

/* "POST /notify HTTP/1.1" or "HTTP/1.1 200 OK": a first line curl -D or a server log
 * writes before the headers. */
static int is_start_line(const char *s, size_t len)
{
    if (len >= 5 && memcmp(s, "HTTP/", 5) == 0)
        return 1;
    for (size_t i = 0; i + 6 <= len; i++)
        if (memcmp(s + i, " HTTP/", 6) == 0)
            return 1;
    return 0;
}

/* Headers as offsets into one growing string block ("name\0value\0"...), so that
 * continuation lines can extend the last value in place. */
typedef struct header_span { size_t name, name_len, value, value_len; } header_span;
typedef struct header_parse {
    header_span *spans;
    size_t count, cap;
    wx_buf values;
    int open; /* the last value may still grow by continuation lines */
} header_parse;

static size_t trim_blank(const char *line, size_t *a, size_t b)
{
    while (*a < b && is_blank(line[*a]))
        (*a)++;
    while (b > *a && is_blank(line[b - 1]))
        b--;
    return b;
}

static wx_err add_continuation(header_parse *h, const char *line, size_t l, size_t line_no,
                               wx_error_t *err)
{
    if (!h->count)
        return bad_line(err, line_no, "a continuation line with no header before it");
    size_t a = 0, b = trim_blank(line, &a, l);
    if (b > a) {
        wx_buf_putc(&h->values, ' ');
        wx_buf_append(&h->values, line + a, b - a);
        h->spans[h->count - 1].value_len += 1 + (b - a);
    }
    return WX_OK;
}

static wx_err add_header(header_parse *h, const char *line, size_t l, size_t name_len,
                         size_t line_no, wx_error_t *err)
{
    int name_ok = name_len > 0;
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c <= 32 || c >= 127)
            name_ok = 0;
    }
    if (!name_ok) {
        char why[100];
        snprintf(why, sizeof why, "\"%.*s\" is not a header name",
                 (int)(name_len > 60 ? 60 : name_len), line);
        return bad_line(err, line_no, why);
    }
    size_t a = name_len + 1, b = trim_blank(line, &a, l);
    if (h->count == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 16;
        header_span *s = wx_realloc(h->spans, ncap * sizeof *s);
        if (!s)
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        h->spans = s;
        h->cap = ncap;
    }
    if (h->open)
        wx_buf_putc(&h->values, 0);
    header_span *sp = &h->spans[h->count++];
    sp->name = h->values.len;
    sp->name_len = name_len;
    wx_buf_append(&h->values, line, name_len);
    wx_buf_putc(&h->values, 0);
    sp->value = h->values.len;
    sp->value_len = b - a;
    wx_buf_append(&h->values, line + a, b - a);
    h->open = 1;
    return WX_OK;
}

/* One line without its end of line: a header, a continuation, or a leading start line. */
static wx_err parse_header_line(header_parse *h, const char *line, size_t l, size_t line_no,
                                wx_error_t *err)
{
    if (memchr(line, 0, l) || memchr(line, '\r', l))
        return bad_line(err, line_no, memchr(line, 0, l) ? "contains a NUL byte"
                                                          : "contains a carriage return inside it");
    if (is_blank(line[0]))
        return add_continuation(h, line, l, line_no, err);
    const char *colon = memchr(line, ':', l);
    const char *space = memchr(line, ' ', l);
    /* a request line may hold a colon too: "POST https://shop.example/notify HTTP/1.1" */
    if (line_no == 1 && is_start_line(line, l) && (!colon || (space && space < colon)))
        return WX_OK;
    if (!colon) {
        char why[100];
        snprintf(why, sizeof why, "expected \"Name: value\", got \"%.*s\"",
                 (int)(l > 60 ? 60 : l), line);
        return bad_line(err, line_no, why);
    }
    return add_header(h, line, l, (size_t)(colon - line), line_no, err);
}

/* One allocation: the NULL-terminated array, then the strings. */
static wx_err header_parse_finish(header_parse *h, wx_kv_t **out, wx_error_t *err)
{
    if (h->open)
        wx_buf_putc(&h->values, 0);
    if (!wx_buf_ok(&h->values))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    size_t array_bytes = (h->count + 1) * sizeof(wx_kv_t);
    char *block = wx_malloc(array_bytes + h->values.len + 1);
    if (!block)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_kv_t *kv = (wx_kv_t *)block;
    char *strings = block + array_bytes;
    if (h->values.len)
        memcpy(strings, h->values.data, h->values.len);
    strings[h->values.len] = 0;
    for (size_t i = 0; i < h->count; i++)
        kv[i] = (wx_kv_t){strings + h->spans[i].name, strings + h->spans[i].value};
    kv[h->count] = (wx_kv_t){NULL, NULL};
    *out = kv;
    return WX_OK;
}

wx_err wx_notify_headers_parse(const char *text, size_t len, wx_kv_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len))
        return wx_error_set(err, WX_E_INVALID_ARG, "", "headers text and out are required");
    header_parse h = {.values = WX_BUF_INIT};
    wx_err rc = WX_OK;
    size_t pos = 0, line_no = 0;
    while (rc == WX_OK && pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t l = end - pos;
        if (l && text[pos + l - 1] == '\r')
            l--;
        const char *line = text + pos;
        pos = end < len ? end + 1 : end;
        line_no++;
        if (l == 0)
            break; /* the blank line after the headers */
        rc = parse_header_line(&h, line, l, line_no, err);
    }
    if (rc == WX_OK)
        rc = header_parse_finish(&h, out, err);
    wx_free(h.spans);
    wx_buf_free(&h.values);
    return rc;
}

/* ------------------------------------------------------------------ the envelope */

static wx_err parse_json(const char *text, size_t len, const char *what,
                         struct json_object **out, wx_error_t *err)
{
    wx_err rc = wx_json_parse(text, len, what, out, err);
    if (rc == WX_OK && !json_object_is_type(*out, json_type_object)) {
        rc = wx_error_set(err, WX_E_JSON, what, "%s: expected a JSON object", what);
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

/* A string member; "" for an absent optional one. */
static wx_err member(struct json_object *o, const char *prefix, const char *key, int required,
                     const char **out, wx_error_t *err)
{
    struct json_object *v;
    *out = "";
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
        if (!required)
            return WX_OK;
        wx_error_set(err, WX_E_JSON, "", "notification: \"%s%s\" is missing", prefix, key);
    } else if (!json_object_is_type(v, json_type_string)) {
        wx_error_set(err, WX_E_JSON, "", "notification: \"%s%s\" must be a string", prefix, key);
    } else if (required && json_object_get_string_len(v) == 0) {
        wx_error_set(err, WX_E_JSON, "", "notification: \"%s%s\" is empty", prefix, key);
    } else {
        *out = json_object_get_string(v);
        return WX_OK;
    }
    if (err)
        snprintf(err->where, sizeof err->where, "%s%s", prefix, key);
    return WX_E_JSON;
}

static wx_err read_envelope(notification *m, wx_error_t *err)
{
    wx_notification_t *n = &m->pub;
    struct json_object *env = n->envelope, *res;
    wx_err rc;
    if ((rc = member(env, "", "id", 1, &n->id, err)) != WX_OK ||
        (rc = member(env, "", "create_time", 1, &n->create_time, err)) != WX_OK ||
        (rc = member(env, "", "event_type", 1, &n->event_type, err)) != WX_OK ||
        (rc = member(env, "", "resource_type", 1, &n->resource_type, err)) != WX_OK ||
        (rc = member(env, "", "summary", 1, &n->summary, err)) != WX_OK)
        return rc;
    if (!json_object_object_get_ex(env, "resource", &res) ||
        !json_object_is_type(res, json_type_object))
        return wx_error_set(err, WX_E_JSON, "resource",
                            "notification: \"resource\" must be an object");
    if (strcmp(n->resource_type, "encrypt-resource") != 0)
        return wx_error_set(err, WX_E_UNSUPPORTED, "resource_type",
                            "notification: resource_type \"%.40s\" is not supported "
                            "(expected \"encrypt-resource\")", n->resource_type);
    if ((rc = member(res, "resource.", "algorithm", 1, &n->algorithm, err)) != WX_OK ||
        (rc = member(res, "resource.", "ciphertext", 1, &n->ciphertext, err)) != WX_OK ||
        (rc = member(res, "resource.", "nonce", 1, &n->nonce, err)) != WX_OK ||
        (rc = member(res, "resource.", "original_type", 1, &n->original_type, err)) != WX_OK ||
        (rc = member(res, "resource.", "associated_data", 0, &n->associated_data, err)) != WX_OK)
        return rc;
    if (strcmp(n->algorithm, "AEAD_AES_256_GCM") != 0)
        return wx_error_set(err, WX_E_UNSUPPORTED, "resource.algorithm",
                            "notification: resource.algorithm \"%.40s\" is not supported "
                            "(expected AEAD_AES_256_GCM)", n->algorithm);
    return WX_OK;
}

static wx_err decrypt_resource(notification *m, const char *apiv3_key, wx_error_t *err)
{
    wx_notification_t *n = &m->pub;
    /* Tell a damaged ciphertext from one that is merely not ours: the tag alone
     * cannot say which input was changed. */
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    wx_err rc = wx_base64_decode(n->ciphertext, strlen(n->ciphertext), &raw, &raw_len);
    if (rc == WX_E_NOMEM)
        return wx_error_set(err, rc, "", "out of memory");
    wx_free(raw);
    if (rc != WX_OK || raw_len < 16)
        return wx_error_set(err, WX_E_DECRYPT, "resource.ciphertext",
                            "notification: resource.ciphertext is %s",
                            rc != WX_OK ? "not base64" : "shorter than the 16-byte GCM tag");
    wx_error_t e;
    wx_error_clear(&e);
    rc = wx_aes_gcm_decrypt(apiv3_key, n->nonce, n->associated_data, n->ciphertext, &m->plain,
                            &m->plain_len, &e);
    if (rc == WX_E_DECRYPT)
        return wx_error_set(err, rc, "resource.ciphertext",
                            "notification: resource does not decrypt with the APIv3 key (the "
                            "AES-GCM tag does not match): resource.ciphertext, .nonce or "
                            ".associated_data was altered, or it was encrypted with another "
                            "APIv3 key");
    if (rc != WX_OK) {
        wx_error_copy(err, &e);
        return rc;
    }
    n->plaintext = m->plain;
    n->plaintext_len = m->plain_len;
    rc = parse_json(m->plain, m->plain_len, "decrypted resource", &n->resource, err);
    return rc;
}

wx_err wx_notify_verify_with(wx_keyring_t *ring, const char *apiv3_key, int64_t now,
                             const wx_kv_t *headers, const char *body, size_t body_len,
                             wx_notification_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!ring || !headers || !out || (!body && body_len))
        return wx_error_set(err, WX_E_INVALID_ARG, "",
                            "keyring, headers, body and out are required");
    if (!apiv3_key || strlen(apiv3_key) != 32)
        return wx_error_set(err, WX_E_INVALID_ARG, "apiv3_key",
                            "the APIv3 key must be 32 bytes");
    wx_error_clear(err);
    if (!body)
        body = "";
    wx_err rc = check_repeats(headers, err);
    if (rc != WX_OK)
        return rc;
    /* Newer notifications may name their scheme; only the RSA one is checked here. */
    const char *type = wx_kv_find_ci(headers, "Wechatpay-Signature-Type");
    if (type && strcmp(type, "WECHATPAY2-SHA256-RSA2048") != 0)
        return wx_error_set(err, WX_E_UNSUPPORTED, "Wechatpay-Signature-Type",
                            "notification: Wechatpay-Signature-Type %.40s is not supported "
                            "(expected WECHATPAY2-SHA256-RSA2048)", type);
    const char *serial = wx_kv_find_ci(headers, "Wechatpay-Serial");
    rc = wx_apiv3_check(ring, NOTIFY_MAX_SKEW_S, now, wx_kv_find_ci(headers, "Wechatpay-Timestamp"),
                        wx_kv_find_ci(headers, "Wechatpay-Nonce"),
                        wx_kv_find_ci(headers, "Wechatpay-Signature"), serial, body, body_len,
                        err);
    if (rc != WX_OK) {
        wx_error_prefix(err, "notification");
        return rc;
    }
    notification *m = wx_calloc(1, sizeof *m);
    if (!m || !(m->serial = wx_strdup(serial))) {
        wx_free(m);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    m->pub.serial = m->serial;
    /* wx_apiv3_check() has read it as decimal digits within the window */
    m->pub.timestamp = strtoll(wx_kv_find_ci(headers, "Wechatpay-Timestamp"), NULL, 10);
    if ((rc = parse_json(body, body_len, "notification body", &m->pub.envelope, err)) == WX_OK &&
        (rc = read_envelope(m, err)) == WX_OK)
        rc = decrypt_resource(m, apiv3_key, err);
    if (rc != WX_OK) {
        wx_notification_free(&m->pub);
        return rc;
    }
    *out = &m->pub;
    return WX_OK;
}

/* ------------------------------------------------------------------ the answer */

wx_err wx_notify_reply(wx_err result, const char *message, int *status, char **body)
{
    if (body)
        *body = NULL;
    if (!status || !body)
        return WX_E_INVALID_ARG;
    if (result == WX_OK || result == WX_E_REPLAY) { /* a repeat: handled already */
        *status = 204;
        return WX_OK;
    }
    *status = result == WX_E_NOMEM || result == WX_E_INTERNAL || result == WX_E_IO ||
                      result == WX_E_PENDING
                  ? 500
                  : 400;
    struct json_object *o = json_object_new_object();
    if (!o)
        return WX_E_NOMEM;
    json_object_object_add(o, "code", json_object_new_string("FAIL"));
    json_object_object_add(o, "message",
                           json_object_new_string(message ? message : wx_strerror(result)));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    *body = text ? wx_strdup(text) : NULL;
    json_object_put(o);
    return *body ? WX_OK : WX_E_NOMEM;
}
