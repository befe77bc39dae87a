/* Sensitive fields: RSA-OAEP (SHA-1, MGF1-SHA-1) on the string values that paths such
 * as "identity.number" or "receivers[*].name?" lead to, in place. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/sensitive.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_PATH 512

typedef wx_err (*field_fn)(void *ud, struct json_object *leaf, const char *where,
                           wx_error_t *err);

typedef struct walk {
    const char *path;     /* as given, for messages */
    int optional;         /* trailing '?' */
    field_fn fn;
    void *ud;
    char where[MAX_PATH]; /* the concrete path walked so far ("receivers[2].name") */
} walk;

static wx_err bad_path(const walk *w, const char *why, wx_error_t *err)
{
    return wx_error_set(err, WX_E_INVALID_ARG, w->path, "field path \"%.200s\": %s", w->path,
                        why);
}

/* Walk @p p (the rest of the path, @p end its end) from @p node. */
static wx_err walk_from(walk *w, struct json_object *node, const char *p, const char *end,
                        size_t where_len, wx_error_t *err)
{
    if (p == end) {
        if (!json_object_is_type(node, json_type_string))
            return wx_error_set(err, WX_E_INVALID_ARG, w->where,
                                "%s: a sensitive field must be a string, not %s", w->where,
                                json_type_to_name(json_object_get_type(node)));
        return w->fn(w->ud, node, w->where, err);
    }
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close || close == p + 1)
            return bad_path(w, "\"[\" without an index or \"*\" and \"]\"", err);
        if (!json_object_is_type(node, json_type_array))
            return wx_error_set(err, WX_E_INVALID_ARG, w->where, "%s: not an array",
                                where_len ? w->where : "the body");
        const char *next = close + 1;
        if (next != end && *next != '.' && *next != '[')
            return bad_path(w, "expected \".\" or \"[\" after \"]\"", err);
        if (next != end && *next == '.')
            next++;
        size_t n = json_object_array_length(node);
        size_t from = 0, to = n;
        if (!(close == p + 2 && p[1] == '*')) {
            size_t idx = 0;
            for (const char *d = p + 1; d < close; d++) {
                if (!isdigit((unsigned char)*d) || idx > 100000000)
                    return bad_path(w, "an index is digits or \"*\"", err);
                idx = idx * 10 + (size_t)(*d - '0');
            }
            if (idx >= n) {
                if (w->optional)
                    return WX_OK;
                snprintf(w->where + where_len, sizeof w->where - where_len, "[%zu]", idx);
                return wx_error_set(err, WX_E_NOT_FOUND, w->where,
                                    "%s: no such element (the array has %zu)", w->where, n);
            }
            from = idx;
            to = idx + 1;
        }
        for (size_t i = from; i < to; i++) {
            int k = snprintf(w->where + where_len, sizeof w->where - where_len, "[%zu]", i);
            size_t wl = where_len + (size_t)k;
            if (wl >= sizeof w->where)
                return bad_path(w, "too long", err);
            wx_err rc = walk_from(w, json_object_array_get_idx(node, i), next, end, wl, err);
            if (rc != WX_OK)
                return rc;
        }
        return WX_OK;
    }
    const char *stop = p;
    while (stop < end && *stop != '.' && *stop != '[')
        stop++;
    if (stop == p)
        return bad_path(w, "an empty name", err);
    if (!json_object_is_type(node, json_type_object))
        return wx_error_set(err, WX_E_INVALID_ARG, w->where, "%s: not an object",
                            where_len ? w->where : "the body");
    int k = snprintf(w->where + where_len, sizeof w->where - where_len, "%s%.*s",
                     where_len ? "." : "", (int)(stop - p), p);
    size_t wl = where_len + (size_t)k;
    if (wl >= sizeof w->where)
        return bad_path(w, "too long", err);
    char key[MAX_PATH];
    memcpy(key, p, (size_t)(stop - p));
    key[stop - p] = 0;
    struct json_object *child;
    if (!json_object_object_get_ex(node, key, &child)) {
        if (w->optional)
            return WX_OK;
        return wx_error_set(err, WX_E_NOT_FOUND, w->where,
                            "%s: no such field (end the path with \"?\" if it is optional)",
                            w->where);
    }
    const char *next = stop;
    if (next != end && *next == '.') {
        next++;
        if (next == end)
            return bad_path(w, "ends with \".\"", err);
    }
    if (json_object_is_type(child, json_type_null) && next == end && w->optional)
        return WX_OK;
    return walk_from(w, child, next, end, wl, err);
}

static wx_err for_each_field(struct json_object *body, const char *const *paths, field_fn fn,
                             void *ud, wx_error_t *err)
{
    if (!body || !paths)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "a JSON body and a list of paths are "
                                                       "required");
    if (!json_object_is_type(body, json_type_object) && !json_object_is_type(body, json_type_array))
        return wx_error_set(err, WX_E_INVALID_ARG, "body",
                            "sensitive fields need a JSON object or array body");
    for (size_t i = 0; paths[i]; i++) {
        walk w = {.path = paths[i], .fn = fn, .ud = ud};
        size_t len = strlen(paths[i]);
        if (len && paths[i][len - 1] == '?') {
            w.optional = 1;
            len--;
        }
        if (!len || len >= MAX_PATH)
            return bad_path(&w, len ? "too long" : "empty", err);
        wx_err rc = walk_from(&w, body, paths[i], paths[i] + len, 0, err);
        if (rc != WX_OK)
            return rc;
    }
    return WX_OK;
}

/* ------------------------------------------------------------------ the two directions */

static wx_err set_string(struct json_object *leaf, const char *s, size_t len, const char *where,
                         wx_error_t *err)
{
    if (len > (size_t)INT32_MAX || !json_object_set_string_len(leaf, s, (int)len))
        return wx_error_set(err, WX_E_NOMEM, where, "out of memory");
    return WX_OK;
}

static wx_err encrypt_one(void *ud, struct json_object *leaf, const char *where, wx_error_t *err)
{
    char *b64 = NULL;
    wx_err rc = wx_rsa_oaep_encrypt(ud, json_object_get_string(leaf),
                                    (size_t)json_object_get_string_len(leaf), &b64, err);
    if (rc != WX_OK) {
        wx_error_prefix(err, "%s", where);
        if (err)
            snprintf(err->where, sizeof err->where, "%s", where);
        return rc;
    }
    /* The plain value's bytes are overwritten before json-c lets go of them. */
    char *old = (char *)json_object_get_string(leaf);
    wx_secure_zero(old, (size_t)json_object_get_string_len(leaf));
    rc = set_string(leaf, b64, strlen(b64), where, err);
    wx_free(b64);
    return rc;
}

static wx_err decrypt_one(void *ud, struct json_object *leaf, const char *where, wx_error_t *err)
{
    char *plain = NULL;
    size_t len = 0;
    wx_err rc = wx_rsa_oaep_decrypt(ud, json_object_get_string(leaf), &plain, &len, err);
    if (rc != WX_OK) {
        if (rc == WX_E_DECRYPT)
            wx_error_set(err, rc, where,
                         "%s: does not decrypt with the merchant private key (RSA-OAEP)", where);
        else
            wx_error_prefix(err, "%s", where);
        if (err)
            snprintf(err->where, sizeof err->where, "%s", where);
        return rc;
    }
    rc = set_string(leaf, plain, len, where, err);
    wx_free_secret(plain, len);
    return rc;
}

wx_err wx_sensitive_encrypt(const wx_pubkey_t *key, struct json_object *body,
                            const char *const *paths, wx_error_t *err)
{
    if (!key)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "a platform key is required");
    return for_each_field(body, paths, encrypt_one, (void *)key, err);
}

wx_err wx_sensitive_decrypt(const wx_privkey_t *key, struct json_object *body,
                            const char *const *paths, wx_error_t *err)
{
    if (!key)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "the merchant private key is required");
    return for_each_field(body, paths, decrypt_one, (void *)key, err);
}
