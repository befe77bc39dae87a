/* The keys folder written by `wxpay keys gen`: CONFIG.json (shared with the client)
 * and mock.json (the private halves only the sandbox holds). */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mock.h"

static int fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

static char *join_path(const char *dir, const char *name)
{
    if (name[0] == '/')
        return strdup(name);
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static struct json_object *read_json(const char *dir, const char *name, char *why, size_t why_len)
{
    char *path = join_path(dir, name);
    if (!path) {
        fail(why, why_len, "out of memory");
        return NULL;
    }
    if (access(path, R_OK) != 0) {
        fail(why, why_len, "%s: %s (wxpay keys gen DIR writes it)", name, strerror(errno));
        free(path);
        return NULL;
    }
    struct json_object *o = json_object_from_file(path);
    if (!o) {
        /* json-c's message ends in a newline; ours are one line */
        const char *reason = json_util_get_last_err();
        int n = reason ? (int)strcspn(reason, "\n") : 0;
        fail(why, why_len, "%s: %.*s", path, n, reason ? reason : "");
    }
    else if (!json_object_is_type(o, json_type_object)) {
        fail(why, why_len, "%s: not a JSON object", path);
        json_object_put(o);
        o = NULL;
    }
    free(path);
    return o;
}

/* A string member, or NULL when absent. *bad is set (with a message) when a required
 * member is missing or any member has the wrong type. */
static const char *get_string(struct json_object *o, const char *file, const char *key,
                              int required, int *bad, char *why, size_t why_len)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required) {
            fail(why, why_len, "%s: missing \"%s\"", file, key);
            *bad = 1;
        }
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
        fail(why, why_len, "%s: \"%s\" must be a non-empty string", file, key);
        *bad = 1;
        return NULL;
    }
    return json_object_get_string(v);
}

static int load_priv(const char *dir, const char *file, const char *key, const char *name,
                     wx_privkey_t **out, char *why, size_t why_len)
{
    char *path = join_path(dir, name);
    wx_error_t err = {0};
    int rc = path && wx_privkey_load_file(path, NULL, out, &err) == WX_OK ? 0 : -1;
    if (rc)
        fail(why, why_len, "%s \"%s\": %s", file, key, path ? err.message : "out of memory");
    free(path);
    return rc;
}

static int load_pub(const char *dir, const char *file, const char *key, const char *name,
                    wx_pubkey_t **out, char **pem, char *why, size_t why_len)
{
    char *path = join_path(dir, name);
    wx_error_t err = {0};
    int rc = path && wx_pubkey_load_file(path, out, &err) == WX_OK ? 0 : -1;
    if (rc)
        fail(why, why_len, "%s \"%s\": %s", file, key, path ? err.message : "out of memory");
    if (!rc && pem) {
        FILE *f = fopen(path, "rb");
        wx_mock_str s = {0};
        char chunk[4096];
        size_t n;
        while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            wx_mock_str_append(&s, chunk, n);
        if (f)
            fclose(f);
        if (!f || s.failed || !s.data) {
            wx_mock_str_free(&s);
            rc = fail(why, why_len, "%s: cannot read", path);
        } else {
            *pem = s.data;
        }
    }
    free(path);
    return rc;
}

/* A 32-character key of CONFIG.json, when given. */
static int get_key32(struct json_object *conf, const char *key, char **out, int *bad, char *why,
                     size_t why_len)
{
    const char *s = get_string(conf, "CONFIG.json", key, 0, bad, why, why_len);
    if (!s)
        return *bad ? -1 : 0;
    if (strlen(s) != 32)
        return fail(why, why_len, "CONFIG.json: \"%s\" must be 32 characters long", key);
    return (*out = strdup(s)) ? 0 : fail(why, why_len, "out of memory");
}

/* CONFIG.json: the merchant, its keys for APIv3 and APIv2, the spec folder. */
static int load_merchant(const char *dir, struct json_object *conf, wx_mock_config *cfg,
                         char *why, size_t why_len)
{
    const char *s;
    int bad = 0;
    if (!(s = get_string(conf, "CONFIG.json", "mchid", 1, &bad, why, why_len)) ||
        !(cfg->mchid = strdup(s)))
        return -1;
    if (!(s = get_string(conf, "CONFIG.json", "serial", 1, &bad, why, why_len)) ||
        !(cfg->merchant_serial = strdup(s)))
        return -1;
    if (get_key32(conf, "apiv3_key", &cfg->apiv3_key, &bad, why, why_len) ||
        get_key32(conf, "apiv2_key", &cfg->apiv2_key, &bad, why, why_len))
        return -1;
    if ((s = get_string(conf, "CONFIG.json", "spec_dir", 0, &bad, why, why_len)))
        cfg->spec_dir = join_path(dir, s);
    if ((s = get_string(conf, "CONFIG.json", "validation", 0, &bad, why, why_len))) {
        static const char *const modes[] = {"on", "strict", "off"}; /* wx_validation_mode */
        cfg->validation = -1;
        for (int i = 0; i < 3; i++)
            cfg->validation = strcmp(s, modes[i]) == 0 ? i : cfg->validation;
        if (cfg->validation < 0)
            return fail(why, why_len, "CONFIG.json: \"validation\" is \"%s\"; expected on, "
                        "strict or off", s);
    }
    return bad ? -1 : 0;
}

/* mock.json's merchant certificate, which must be CONFIG.json's serial. */
static int load_merchant_cert(const char *dir, struct json_object *mock, wx_mock_config *cfg,
                              char *why, size_t why_len)
{
    int bad = 0;
    const char *s = get_string(mock, "mock.json", "merchant_certificate", 1, &bad, why, why_len);
    if (!s || load_pub(dir, "mock.json", "merchant_certificate", s, &cfg->merchant_cert,
                       &cfg->merchant_cert_pem, why, why_len))
        return -1;
    const char *msn = wx_pubkey_serial(cfg->merchant_cert);
    if (!msn || strcasecmp(msn, cfg->merchant_serial) != 0)
        return fail(why, why_len, "mock.json \"merchant_certificate\": serial %s does not match "
                    "CONFIG.json \"serial\" %s", msn ? msn : "(none: not a certificate)",
                    cfg->merchant_serial);
    return 0;
}

/* mock.json's platform key and certificate, which must belong together. */
static int load_platform(const char *dir, struct json_object *mock, wx_mock_config *cfg,
                         char *why, size_t why_len)
{
    int bad = 0;
    const char *s = get_string(mock, "mock.json", "platform_private_key", 1, &bad, why, why_len);
    if (!s ||
        load_priv(dir, "mock.json", "platform_private_key", s, &cfg->platform_key, why, why_len))
        return -1;
    wx_pubkey_t *pcert = NULL;
    if (!(s = get_string(mock, "mock.json", "platform_certificate", 1, &bad, why, why_len)) ||
        load_pub(dir, "mock.json", "platform_certificate", s, &pcert, &cfg->platform_cert_pem,
                 why, why_len))
        return -1;
    const char *psn = wx_pubkey_serial(pcert);
    int match = wx_keys_match(cfg->platform_key, pcert);
    if (psn)
        cfg->platform_serial = strdup(psn);
    wx_pubkey_validity(pcert, &cfg->platform_not_before, &cfg->platform_not_after);
    wx_pubkey_free(pcert);
    if (!psn || !cfg->platform_serial)
        return fail(why, why_len, "mock.json \"platform_certificate\": not a certificate");
    if (!match)
        return fail(why, why_len,
                    "mock.json: platform_private_key is not the key of platform_certificate");
    return 0;
}

/* mock.json's optional WeChat Pay public key (PUB_KEY_ID_... and its private key). */
static int load_public_key_mode(const char *dir, struct json_object *mock, wx_mock_config *cfg,
                                char *why, size_t why_len)
{
    int bad = 0;
    const char *pub_id = get_string(mock, "mock.json", "public_key_id", 0, &bad, why, why_len);
    const char *pub_key =
        get_string(mock, "mock.json", "public_key_private_key", 0, &bad, why, why_len);
    if (bad)
        return -1;
    if (!pub_id != !pub_key)
        return fail(why, why_len, "mock.json: give both \"public_key_id\" and "
                    "\"public_key_private_key\", or neither");
    if (!pub_id)
        return 0;
    if (strncmp(pub_id, "PUB_KEY_ID_", 11) != 0)
        return fail(why, why_len, "mock.json: \"public_key_id\" must start with PUB_KEY_ID_");
    if (!(cfg->pubkey_id = strdup(pub_id)))
        return fail(why, why_len, "out of memory");
    return load_priv(dir, "mock.json", "public_key_private_key", pub_key, &cfg->pubkey_key, why,
                     why_len);
}

/* The platform keys CONFIG.json lists are what a client trusts; the mock must sign with
 * one of them or every answer would fail verification. */
static int check_platform_listed(struct json_object *conf, const wx_mock_config *cfg, char *why,
                                 size_t why_len)
{
    struct json_object *platform;
    if (!json_object_object_get_ex(conf, "platform", &platform) ||
        !json_object_is_type(platform, json_type_object))
        return fail(why, why_len, "CONFIG.json: \"platform\" must be an object of serial -> PEM path");
    json_object_object_foreach(platform, id, path) {
        (void)path;
        if (!strcasecmp(id, cfg->platform_serial))
            return 0;
    }
    return fail(why, why_len, "CONFIG.json \"platform\" does not list the platform certificate %s",
                cfg->platform_serial);
}

int wx_mock_config_load(const char *dir, wx_mock_config *cfg, char *why, size_t why_len)
{
    memset(cfg, 0, sizeof *cfg);
    struct json_object *conf = NULL, *mock = NULL;
    int rc = -1;
    cfg->dir = strdup(dir);
    if (!cfg->dir)
        return fail(why, why_len, "out of memory");
    if ((conf = read_json(dir, "CONFIG.json", why, why_len)) &&
        (mock = read_json(dir, "mock.json", why, why_len)) &&
        !load_merchant(dir, conf, cfg, why, why_len) &&
        !load_merchant_cert(dir, mock, cfg, why, why_len) &&
        !load_platform(dir, mock, cfg, why, why_len) &&
        !load_public_key_mode(dir, mock, cfg, why, why_len) &&
        !check_platform_listed(conf, cfg, why, why_len))
        rc = 0;
    json_object_put(conf);
    json_object_put(mock);
    if (rc)
        wx_mock_config_free(cfg);
    return rc;
}

void wx_mock_config_free(wx_mock_config *cfg)
{
    if (!cfg)
        return;
    if (cfg->apiv3_key) {
        /* volatile: the compiler may not drop a wipe of memory about to be freed */
        volatile char *k = cfg->apiv3_key;
        for (size_t i = 0; k[i]; i++)
            k[i] = 0;
        free(cfg->apiv3_key);
    }
    if (cfg->apiv2_key) {
        volatile char *k = cfg->apiv2_key;
        for (size_t i = 0; k[i]; i++)
            k[i] = 0;
        free(cfg->apiv2_key);
    }
    free(cfg->dir);
    free(cfg->mchid);
    free(cfg->merchant_serial);
    wx_pubkey_free(cfg->merchant_cert);
    free(cfg->merchant_cert_pem);
    wx_privkey_free(cfg->platform_key);
    free(cfg->platform_cert_pem);
    free(cfg->platform_serial);
    wx_privkey_free(cfg->pubkey_key);
    free(cfg->pubkey_id);
    free(cfg->spec_dir);
    memset(cfg, 0, sizeof *cfg);
}
