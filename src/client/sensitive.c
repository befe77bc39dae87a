/* Sensitive fields with a client's keys: the platform key for requests (chosen by the
 * rule in wechatpay/sensitive.h, under the keyring's read lock so that a rotation
 * cannot retire it mid-way) and the merchant key for responses; and the
 * encrypt_fields request option, which wx_call_prepare runs through the plan below. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/sensitive.h>

#include "client/client_internal.h"
#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

typedef struct encrypt_job {
    struct json_object *body;
    const char *const *paths;
    char *id_out; /* 128 bytes or NULL */
    const wx_endpoint_t *ep; /* its marked fields are encrypted too (NULL: none) */
    const wx_pubkey_t *key;  /* during the walk of ep's fields */
    wx_error_t *err;
    size_t done;             /* fields encrypted */
} encrypt_job;

/* Does the encrypt_fields entry @p want name the concrete @p path ("receivers[2].name")?
 * "[*]" matches any index and a trailing "?" (optional) is ignored. */
static int path_named(const char *want, const char *path)
{
    while (*want && *want != '?') {
        if (want[0] == '[' && want[1] == '*' && want[2] == ']' && *path == '[') {
            want += 3;
            while (*path && *path != ']')
                path++;
            if (*path++ != ']')
                return 0;
        } else if (*want++ != *path++) {
            return 0;
        }
    }
    return *path == 0;
}

/* One field the spec marks: encrypted in place, unless encrypt_fields already did. */
static wx_err encrypt_marked(void *ud, const wx_sensitive_field_t *f)
{
    encrypt_job *job = ud;
    for (size_t i = 0; job->paths && job->paths[i]; i++)
        if (path_named(job->paths[i], f->path))
            return WX_OK;
    /* The member's own name, as a one-step path from its parent: no "." or "[". */
    if (strpbrk(f->key, ".[]?*"))
        return wx_error_set(job->err, WX_E_SPEC, f->path,
                            "%s: a sensitive member whose name cannot be encrypted as a path",
                            f->path);
    wx_err rc = wx_sensitive_encrypt(job->key, f->parent, (const char *const[]){f->key, NULL},
                                     job->err);
    if (rc == WX_OK)
        job->done++;
    else if (job->err)
        snprintf(job->err->where, sizeof job->err->where, "%s", f->path);
    return rc;
}

static wx_err encrypt_with(void *ud, const char *id, const wx_pubkey_t *key, wx_error_t *err)
{
    encrypt_job *job = ud;
    if (job->id_out)
        snprintf(job->id_out, 128, "%s", id);
    if (!job->body)
        return WX_OK;
    if (job->paths && job->paths[0]) {
        wx_err rc = wx_sensitive_encrypt(key, job->body, job->paths, err);
        if (rc != WX_OK)
            return rc;
        job->done++;
    }
    if (!job->ep)
        return WX_OK;
    job->key = key;
    job->err = err;
    return wx_endpoint_sensitive_paths(job->ep, job->body, encrypt_marked, job);
}

static wx_err need_ring(wx_client_t *c, wx_error_t *err)
{
    if (!c)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "client is required");
    if (!c->ring)
        return wx_error_set(err, WX_E_CONFIG, "verifier",
                            "sensitive fields are encrypted with a key of the default "
                            "verifier's keyring; this client has a custom verifier");
    return WX_OK;
}

wx_err wx_client_encryption_key(wx_client_t *c, char out[128], wx_error_t *err)
{
    wx_err rc = need_ring(c, err);
    if (rc != WX_OK)
        return rc;
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "out is required");
    encrypt_job job = {.id_out = out};
    return wx_keyring_use(c->ring, NULL, wx_client_now(c), encrypt_with, &job, err);
}

wx_err wx_client_encrypt_fields(wx_client_t *c, const char *key_id, struct json_object *body,
                                const char *const *paths, char key_id_out[128], wx_error_t *err)
{
    wx_err rc = need_ring(c, err);
    if (rc != WX_OK)
        return rc;
    if (!body || !paths)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "a JSON body and a list of paths are "
                                                       "required");
    encrypt_job job = {.body = body, .paths = paths, .id_out = key_id_out};
    return wx_keyring_use(c->ring, key_id, wx_client_now(c), encrypt_with, &job, err);
}

wx_err wx_client_decrypt_fields(wx_client_t *c, struct json_object *body,
                                const char *const *paths, wx_error_t *err)
{
    if (!c)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "client is required");
    if (!c->key)
        return wx_error_set(err, WX_E_CONFIG, "private_key",
                            "this client has a custom signer and holds no merchant private key");
    return wx_sensitive_decrypt(c->key, body, paths, err);
}

/* ------------------------------------------------------------------ encrypt_fields */

wx_err wx_sensitive_plan_make(wx_client_t *c, const wx_request_options_t *o,
                              wx_sensitive_plan *p, wx_error_t *err)
{
    wx_err rc = need_ring(c, err);
    if (rc != WX_OK)
        return rc;
    const char *given = wx_kv_find_ci(o->headers, "Wechatpay-Serial");
    if (o->encrypt_key_id && given && strcmp(o->encrypt_key_id, given) != 0)
        return wx_error_set(err, WX_E_INVALID_ARG, "Wechatpay-Serial",
                            "encrypt_key_id %.64s and the Wechatpay-Serial header %.64s differ",
                            o->encrypt_key_id, given);
    encrypt_job job = {.id_out = p->key_id};
    rc = wx_keyring_use(c->ring, o->encrypt_key_id ? o->encrypt_key_id : given,
                        wx_client_now(c), encrypt_with, &job, err);
    if (rc != WX_OK)
        return rc;
    size_t n = 0;
    while (o->headers && o->headers[n].key)
        n++;
    p->headers = wx_calloc(n + 2, sizeof *p->headers);
    if (!p->headers)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    if (n)
        memcpy(p->headers, o->headers, n * sizeof *p->headers);
    if (!given)
        p->headers[n] = (wx_kv_t){"Wechatpay-Serial", p->key_id};
    return WX_OK;
}

wx_err wx_sensitive_plan_encrypt(wx_client_t *c, wx_sensitive_plan *p, struct json_object *body,
                                 const char *const *paths, const wx_endpoint_t *ep,
                                 const char **text, size_t *len, wx_error_t *err)
{
    if (!body && ep && !(paths && paths[0]))
        return WX_OK; /* a spec's marked fields, and no body to hold them */
    if (!body)
        return wx_error_set(err, WX_E_INVALID_ARG, "encrypt_fields",
                            "encrypt_fields needs a JSON body (json or json_text)");
    /* The caller's body is borrowed and stays as given: a copy is encrypted. */
    if (json_object_deep_copy(body, &p->encrypted, NULL) != 0 || !p->encrypted)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    encrypt_job job = {.body = p->encrypted, .paths = paths, .ep = ep};
    wx_err rc = wx_keyring_use(c->ring, p->key_id, wx_client_now(c), encrypt_with, &job, err);
    if (rc != WX_OK)
        return rc;
    if (!job.done)
        return WX_OK; /* nothing encrypted: the body goes as given */
    size_t n = 0;
    *text = json_object_to_json_string_length(
        p->encrypted, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    *len = n;
    return *text ? WX_OK : wx_error_set(err, WX_E_NOMEM, "", "out of memory");
}

void wx_sensitive_plan_free(wx_sensitive_plan *p)
{
    wx_free(p->headers);
    wx_free(p->query);
    json_object_put(p->encrypted);
    json_object_put(p->params);
    p->headers = NULL;
    p->query = NULL;
    p->encrypted = NULL;
    p->params = NULL;
}
