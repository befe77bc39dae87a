/* CONFIG.json -> client options. Relative paths are relative to the file's folder,
 * so a key set made by `wxpay keys gen DIR` works from any working directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

#include "client/client_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

typedef struct config_load {
    const char *file;
    char *dir;                 /* folder of the file, with trailing '/' or "" */
    char **owned;              /* everything allocated for the options */
    size_t owned_count, owned_cap;
    wx_platform_key_t *platform; /* ends with {NULL, NULL} */
    size_t platform_count;
    const char **spec_dirs;
    const char *key_path;      /* private_key, resolved */
} config_load;

static char *keep(config_load *l, char *p)
{
    if (!p)
        return NULL;
    if (l->owned_count == l->owned_cap) {
        size_t cap = l->owned_cap ? l->owned_cap * 2 : 16;
        char **o = wx_realloc(l->owned, cap * sizeof *o);
        if (!o) {
            wx_free(p);
            return NULL;
        }
        l->owned = o;
        l->owned_cap = cap;
    }
    l->owned[l->owned_count++] = p;
    return p;
}

static void config_load_free(config_load *l)
{
    for (size_t i = 0; i < l->owned_count; i++) {
        wx_secure_zero(l->owned[i], strlen(l->owned[i])); /* PEM text of keys */
        wx_free(l->owned[i]);
    }
    wx_free(l->owned);
    wx_free(l->platform);
    wx_free(l->spec_dirs);
    wx_free(l->dir);
}

static char *resolve(config_load *l, const char *p)
{
    wx_buf b = WX_BUF_INIT;
    if (p[0] != '/')
        wx_buf_puts(&b, l->dir);
    wx_buf_puts(&b, p);
    return keep(l, wx_buf_steal(&b, NULL));
}

static wx_err get_string(config_load *l, struct json_object *root, const char *key, int required,
                         const char **out, wx_error_t *err)
{
    struct json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(root, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required)
            return wx_error_set(err, WX_E_CONFIG, key, "%s: missing required key \"%s\"", l->file,
                                key);
        return WX_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return wx_error_set(err, WX_E_CONFIG, key, "%s: \"%s\" must be a string", l->file, key);
    *out = json_object_get_string(v);
    if (required && !**out)
        return wx_error_set(err, WX_E_CONFIG, key, "%s: \"%s\" is empty", l->file, key);
    return WX_OK;
}

static wx_err read_pem(config_load *l, const char *key, const char *rel, char **pem, wx_error_t *err)
{
    const char *path = resolve(l, rel);
    if (!path)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_err rc = wx_read_file_max(path, WX_MAX_KEY_FILE_BYTES, pem, NULL, err);
    if (rc != WX_OK) {
        wx_error_prefix(err, "%s: %s", l->file, key);
        if (err)
            snprintf(err->where, sizeof err->where, "%.200s", key);
        return rc;
    }
    keep(l, *pem);
    return WX_OK;
}

static wx_err parse_validation(config_load *l, struct json_object *root, wx_client_options_t *o,
                               wx_error_t *err);

static wx_err parse(config_load *l, struct json_object *root, wx_client_options_t *o,
                    wx_error_t *err)
{
    if (!json_object_is_type(root, json_type_object))
        return wx_error_set(err, WX_E_CONFIG, "", "%s: expected a JSON object", l->file);
    const char *mchid, *serial, *key, *base_url, *apiv3;
    wx_err rc;
    if ((rc = get_string(l, root, "mchid", !o->mchid, &mchid, err)) ||
        (rc = get_string(l, root, "serial", !o->serial, &serial, err)) ||
        (rc = get_string(l, root, "private_key", !o->private_key_pem && !o->private_key_path,
                         &key, err)) ||
        (rc = get_string(l, root, "base_url", 0, &base_url, err)) ||
        (rc = get_string(l, root, "apiv3_key", 0, &apiv3, err)))
        return rc;
    if (!o->mchid && !(o->mchid = keep(l, wx_strdup(mchid))))
        return WX_E_NOMEM;
    if (!o->serial && !(o->serial = keep(l, wx_strdup(serial))))
        return WX_E_NOMEM;
    if (!o->base_url && base_url && !(o->base_url = keep(l, wx_strdup(base_url))))
        return WX_E_NOMEM;
    if (!o->apiv3_key && apiv3 && !(o->apiv3_key = keep(l, wx_strdup(apiv3))))
        return WX_E_NOMEM;
    const char *ca_file, *ca_path;
    if ((rc = get_string(l, root, "ca_file", 0, &ca_file, err)) ||
        (rc = get_string(l, root, "ca_path", 0, &ca_path, err)))
        return rc;
    if (!o->ca_file && ca_file && !(o->ca_file = resolve(l, ca_file)))
        return WX_E_NOMEM;
    if (!o->ca_path && ca_path && !(o->ca_path = resolve(l, ca_path)))
        return WX_E_NOMEM;
    /* by path: the key's loader names the file in any error */
    if (!o->private_key_pem && !o->private_key_path &&
        !(o->private_key_path = l->key_path = resolve(l, key)))
        return WX_E_NOMEM;
    struct json_object *flag;
    if (!o->auto_refresh_certificates &&
        json_object_object_get_ex(root, "auto_refresh_certificates", &flag)) {
        if (!json_object_is_type(flag, json_type_boolean))
            return wx_error_set(err, WX_E_CONFIG, "auto_refresh_certificates",
                                "%s: \"auto_refresh_certificates\" must be true or false", l->file);
        o->auto_refresh_certificates = json_object_get_boolean(flag);
    }
    struct json_object *platform;
    int has_platform = json_object_object_get_ex(root, "platform", &platform);
    if (!o->platform && !o->verifier && (has_platform || !o->auto_refresh_certificates)) {
        if (!has_platform)
            return wx_error_set(err, WX_E_CONFIG, "platform",
                                "%s: missing required key \"platform\" (serial or PUB_KEY_ID_... "
                                "-> PEM path)", l->file);
        if (!json_object_is_type(platform, json_type_object))
            return wx_error_set(err, WX_E_CONFIG, "platform",
                                "%s: \"platform\" must be an object of serial -> PEM path", l->file);
        size_t n = (size_t)json_object_object_length(platform);
        l->platform = wx_calloc(n + 1, sizeof *l->platform);
        if (!l->platform)
            return WX_E_NOMEM;
        json_object_object_foreach(platform, id, val)
        {
            char where[300];
            snprintf(where, sizeof where, "platform.%.200s", id);
            if (!json_object_is_type(val, json_type_string))
                return wx_error_set(err, WX_E_CONFIG, where, "%s: \"%s\" must be a PEM path",
                                    l->file, where);
            char *pem = NULL;
            if ((rc = read_pem(l, where, json_object_get_string(val), &pem, err)) != WX_OK)
                return rc;
            l->platform[l->platform_count].serial = keep(l, wx_strdup(id));
            l->platform[l->platform_count].pem = pem;
            if (!l->platform[l->platform_count].serial)
                return WX_E_NOMEM;
            l->platform_count++;
        }
        o->platform = l->platform;
    }
    struct json_object *spec;
    if (!o->spec_dirs && json_object_object_get_ex(root, "spec_dir", &spec)) {
        int is_list = json_object_is_type(spec, json_type_array);
        size_t n = is_list ? json_object_array_length(spec) : 1;
        l->spec_dirs = wx_calloc(n + 1, sizeof *l->spec_dirs);
        if (!l->spec_dirs)
            return WX_E_NOMEM;
        for (size_t i = 0; i < n; i++) {
            struct json_object *d = is_list ? json_object_array_get_idx(spec, i) : spec;
            if (!json_object_is_type(d, json_type_string))
                return wx_error_set(err, WX_E_CONFIG, "spec_dir",
                                    "%s: \"spec_dir\" must be a path or a list of paths", l->file);
            if (!(l->spec_dirs[i] = resolve(l, json_object_get_string(d))))
                return WX_E_NOMEM;
        }
        o->spec_dirs = l->spec_dirs;
    }
    return parse_validation(l, root, o, err);
}

/* `validation`: "on" (the default), "strict" or "off"; the caller's choice wins. */
static wx_err parse_validation(config_load *l, struct json_object *root, wx_client_options_t *o,
                               wx_error_t *err)
{
    const char *mode = NULL;
    wx_err rc = get_string(l, root, "validation", 0, &mode, err);
    if (rc != WX_OK || !mode || (o->version >= 3 && o->validation) || o->no_request_validation)
        return rc;
    static const char *const names[] = {"on", "strict", "off"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(mode, names[i]) == 0) {
            if (o->version < 3)
                o->version = 3;
            o->validation = i;
            return WX_OK;
        }
    }
    return wx_error_set(err, WX_E_CONFIG, "validation",
                        "%s: \"validation\" must be \"on\", \"strict\" or \"off\", not \"%.32s\"",
                        l->file, mode);
}

/* APIv2: the key, and the merchant certificate (a path) with its PKCS#12 passphrase. */
static wx_err parse_apiv2(config_load *l, struct json_object *root, wx_client_options_t *o,
                          wx_error_t *err)
{
    const char *key, *cert, *password;
    wx_err rc;
    if ((rc = get_string(l, root, "apiv2_key", 0, &key, err)) ||
        (rc = get_string(l, root, "merchant_cert", 0, &cert, err)) ||
        (rc = get_string(l, root, "merchant_cert_password", 0, &password, err)))
        return rc;
    if (!o->apiv2_key && key && !(o->apiv2_key = keep(l, wx_strdup(key))))
        return WX_E_NOMEM;
    if (!o->merchant_cert_path && cert && !(o->merchant_cert_path = resolve(l, cert)))
        return WX_E_NOMEM;
    if (!o->merchant_cert_password && password &&
        !(o->merchant_cert_password = keep(l, wx_strdup(password))))
        return WX_E_NOMEM;
    return WX_OK;
}

/* json-c frees strings without clearing them: clear the secrets first. */
static void forget_secrets(struct json_object *root)
{
    static const char *const secrets[] = {"apiv3_key", "apiv2_key", "merchant_cert_password"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        struct json_object *v;
        if (json_object_object_get_ex(root, secrets[i], &v) &&
            json_object_is_type(v, json_type_string))
            wx_secure_zero((char *)json_object_get_string(v),
                           (size_t)json_object_get_string_len(v));
    }
}

/* A platform key refused by the client is named by its id ("platform.ID"): add the
 * file it came from. */
static void name_platform_file(config_load *l, struct json_object *root, wx_error_t *err)
{
    struct json_object *platform, *v;
    if (err && l->key_path && strcmp(err->where, l->key_path) == 0) {
        snprintf(err->where, sizeof err->where, "private_key"); /* the message names the file */
        return;
    }
    if (!err || strncmp(err->where, "platform.", 9) != 0 ||
        !json_object_object_get_ex(root, "platform", &platform) ||
        !json_object_is_type(platform, json_type_object) ||
        !json_object_object_get_ex(platform, err->where + 9, &v) ||
        !json_object_is_type(v, json_type_string))
        return;
    const char *path = resolve(l, json_object_get_string(v));
    if (path)
        wx_error_prefix(err, "%s", path);
}

wx_err wx_client_new_from_config(const char *path, const wx_client_options_t *overrides,
                                 wx_client_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "out is required");
    if (!path)
        path = getenv("WXPAY_CONFIG");
    if (!path || !*path)
        return wx_error_set(err, WX_E_CONFIG, "", "no configuration: pass a CONFIG.json path or "
                                                  "set WXPAY_CONFIG");
    config_load l = {.file = path};
    const char *slash = strrchr(path, '/');
    l.dir = slash ? wx_strndup(path, (size_t)(slash - path) + 1) : wx_strdup("");
    if (!l.dir)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    char *text = NULL;
    size_t len = 0;
    wx_err rc = wx_read_file_max(path, WX_MAX_KEY_FILE_BYTES, &text, &len, err);
    if (rc != WX_OK) {
        config_load_free(&l);
        return rc;
    }
    struct json_object *root = NULL;
    rc = wx_json_parse(text, len, path, &root, err);
    wx_free_secret(text, len); /* the file holds the APIv3 key */
    if (root) {
        wx_client_options_t o = WX_CLIENT_OPTIONS_INIT;
        if (overrides)
            rc = wx_client_options_import(&o, overrides, err);
        if (rc == WX_OK)
            rc = parse(&l, root, &o, err);
        if (rc == WX_OK)
            rc = parse_apiv2(&l, root, &o, err);
        if (rc == WX_E_NOMEM)
            wx_error_set(err, rc, "", "out of memory reading %s", path);
        if (rc == WX_OK && (rc = wx_client_new(&o, out, err)) != WX_OK)
            name_platform_file(&l, root, err);
        forget_secrets(root);
        json_object_put(root);
    }
    config_load_free(&l);
    return rc;
}
