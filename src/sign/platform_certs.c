/* The body of GET /v3/certificates: each entry's certificate decrypted with the APIv3
 * key and checked against what the entry says about it. Installing them and verifying
 * the download's own signature is the client's part (src/client/certificates.c). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/certificates.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

/* Clock skew allowed on validity, as on response timestamps. */
#define CERT_SKEW_S 300
/* How far effective_time/expire_time may lie from the certificate's own validity
 * before they count as contradicting it (a time zone written wrongly stays inside). */
#define CERT_TIME_SLACK_S 86400

typedef struct cert_item {
    wx_platform_cert_t pub;
    char *serial, *effective, *expire, *pem;
} cert_item;

struct wx_cert_set {
    cert_item *items;
    size_t count;
    char signer[128];
};

size_t wx_cert_set_count(const wx_cert_set_t *s) { return s ? s->count : 0; }

const wx_platform_cert_t *wx_cert_set_at(const wx_cert_set_t *s, size_t i)
{
    return s && i < s->count ? &s->items[i].pub : NULL;
}

const char *wx_cert_set_signer(const wx_cert_set_t *s) { return s ? s->signer : ""; }

void wx_cert_set_free(wx_cert_set_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        wx_free(s->items[i].serial);
        wx_free(s->items[i].effective);
        wx_free(s->items[i].expire);
        wx_free(s->items[i].pem);
    }
    wx_free(s->items);
    wx_free(s);
}

void wx_cert_set_signer_set(wx_cert_set_t *s, const char *serial)
{
    snprintf(s->signer, sizeof s->signer, "%s", serial ? serial : "");
}

/* ------------------------------------------------------------------ times */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* RFC 3339 ("2018-06-08T10:34:56+08:00", "...Z", optional fraction) to UNIX seconds. */
int wx_rfc3339_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return 0;
    }
    if (*p)
        return 0;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
           offset;
    return 1;
}

/* ------------------------------------------------------------------ one entry */

static wx_err entry_string(struct json_object *o, size_t i, const char *prefix, const char *key,
                           int required, const char **out, wx_error_t *err)
{
    struct json_object *v;
    *out = "";
    char where[96];
    snprintf(where, sizeof where, "data[%zu].%s%s", i, prefix, key);
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
        if (!required)
            return WX_OK;
        return wx_error_set(err, WX_E_JSON, where, "certificates: %s is missing", where);
    }
    if (!json_object_is_type(v, json_type_string) || (required && !json_object_get_string_len(v)))
        return wx_error_set(err, WX_E_JSON, where, "certificates: %s must be a non-empty string",
                            where);
    *out = json_object_get_string(v);
    return WX_OK;
}

static int64_t distance(int64_t a, int64_t b) { return a > b ? a - b : b - a; }

/* The download's effective/expire times must be RFC 3339 and agree with the certificate's own
 * validity; the entry's public view is then filled in. */
static wx_err check_times(cert_item *item, size_t i, const char *effective, const char *expire,
                          int64_t from, int64_t to, int64_t now, wx_error_t *err)
{
    char where[96];
    const char *serial = item->serial;
    int64_t eff, exp;
    snprintf(where, sizeof where, "data[%zu].effective_time", i);
    if (!wx_rfc3339_parse(effective, &eff))
        return wx_error_set(err, WX_E_JSON, where, "certificates: %s \"%.40s\" is not an "
                                                   "RFC 3339 time", where, effective);
    snprintf(where, sizeof where, "data[%zu].expire_time", i);
    if (!wx_rfc3339_parse(expire, &exp))
        return wx_error_set(err, WX_E_JSON, where, "certificates: %s \"%.40s\" is not an "
                                                   "RFC 3339 time", where, expire);
    if (from >= to || eff >= exp)
        return wx_error_set(err, WX_E_KEY, where,
                            "certificates: certificate %.64s ends before it starts", serial);
    if (distance(eff, from) > CERT_TIME_SLACK_S || distance(exp, to) > CERT_TIME_SLACK_S)
        return wx_error_set(err, WX_E_KEY, where,
                            "certificates: effective_time/expire_time of %.64s (%.40s .. %.40s) "
                            "contradict the certificate's own validity", serial, effective,
                            expire);
    if (!(item->effective = wx_strdup(effective)) || !(item->expire = wx_strdup(expire)))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    item->pub = (wx_platform_cert_t){
        .serial = item->serial,
        .not_before = from,
        .not_after = to,
        .effective_time = item->effective,
        .expire_time = item->expire,
        .pem = item->pem,
        .state = now > to + CERT_SKEW_S      ? WX_CERT_EXPIRED
                 : now + CERT_SKEW_S < from ? WX_CERT_NOT_YET_VALID
                                            : WX_CERT_INSTALLED,
    };
    return WX_OK;
}

static wx_err check_entry(struct json_object *entry, size_t i, const char *apiv3_key, int64_t now,
                          cert_item *item, wx_error_t *err)
{
    char where[96];
    const char *serial, *effective, *expire, *algorithm, *nonce, *aad, *cipher;
    struct json_object *enc;
    wx_err rc;
    if (!json_object_is_type(entry, json_type_object))
        return wx_error_set(err, WX_E_JSON, "data", "certificates: data[%zu] is not an object", i);
    if ((rc = entry_string(entry, i, "", "serial_no", 1, &serial, err)) != WX_OK ||
        (rc = entry_string(entry, i, "", "effective_time", 1, &effective, err)) != WX_OK ||
        (rc = entry_string(entry, i, "", "expire_time", 1, &expire, err)) != WX_OK)
        return rc;
    snprintf(where, sizeof where, "data[%zu].encrypt_certificate", i);
    if (!json_object_object_get_ex(entry, "encrypt_certificate", &enc) ||
        !json_object_is_type(enc, json_type_object))
        return wx_error_set(err, WX_E_JSON, where, "certificates: %s must be an object", where);
    if ((rc = entry_string(enc, i, "encrypt_certificate.", "algorithm", 1, &algorithm, err)) ||
        (rc = entry_string(enc, i, "encrypt_certificate.", "nonce", 1, &nonce, err)) ||
        (rc = entry_string(enc, i, "encrypt_certificate.", "associated_data", 0, &aad, err)) ||
        (rc = entry_string(enc, i, "encrypt_certificate.", "ciphertext", 1, &cipher, err)))
        return rc;
    if (strcmp(algorithm, "AEAD_AES_256_GCM") != 0)
        return wx_error_set(err, WX_E_UNSUPPORTED, where,
                            "certificates: %s.algorithm \"%.40s\" is not supported (expected "
                            "AEAD_AES_256_GCM)", where, algorithm);

    char *pem = NULL;
    size_t pem_len = 0;
    wx_error_t e;
    wx_error_clear(&e);
    rc = wx_aes_gcm_decrypt(apiv3_key, nonce, aad, cipher, &pem, &pem_len, &e);
    if (rc == WX_E_DECRYPT || rc == WX_E_INVALID_ARG)
        return wx_error_set(err, WX_E_DECRYPT, where,
                            "certificates: certificate %.64s does not decrypt with the APIv3 "
                            "key: the download was altered or the apiv3_key is not this "
                            "merchant's", serial);
    if (rc != WX_OK) {
        wx_error_copy(err, &e);
        return rc;
    }
    item->pem = pem;
    wx_pubkey_t *key = NULL;
    if ((rc = wx_pubkey_load(pem, pem_len, &key, &e)) != WX_OK)
        return wx_error_set(err, rc == WX_E_NOMEM ? rc : WX_E_KEY, where,
                            "certificates: certificate %.64s does not parse: %s", serial,
                            e.message);
    const char *actual = wx_pubkey_serial(key);
    int64_t from, to;
    wx_pubkey_validity(key, &from, &to);
    if (!actual) {
        wx_pubkey_free(key);
        return wx_error_set(err, WX_E_KEY, where,
                            "certificates: entry %.64s holds a bare public key, not a certificate",
                            serial);
    }
    if (wx_strcasecmp_ascii(actual, serial) != 0) {
        rc = wx_error_set(err, WX_E_KEY, where,
                          "certificates: entry serial_no %.64s holds the certificate of serial "
                          "%.64s", serial, actual);
        wx_pubkey_free(key);
        return rc;
    }
    if (!(item->serial = wx_strdup(actual))) {
        wx_pubkey_free(key);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    wx_pubkey_free(key);

    return check_times(item, i, effective, expire, from, to, now, err);
}

wx_err wx_certificates_decrypt(const char *apiv3_key, const char *body, size_t body_len,
                               int64_t now, wx_cert_set_t **out, wx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!out || (!body && body_len))
        return wx_error_set(err, WX_E_INVALID_ARG, "", "body and out are required");
    if (!apiv3_key || strlen(apiv3_key) != 32)
        return wx_error_set(err, WX_E_CONFIG, "apiv3_key",
                            "certificates: the 32-byte APIv3 key is required to decrypt them");
    struct json_object *root = NULL;
    wx_err parsed = wx_json_parse(body, body_len, "certificates", &root, NULL);
    if (parsed == WX_E_NOMEM)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    int whole = parsed == WX_OK;
    struct json_object *data;
    if (!whole || !json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "data", &data) ||
        !json_object_is_type(data, json_type_array)) {
        json_object_put(root);
        return wx_error_set(err, WX_E_JSON, "data",
                            "certificates: the body is not an object with a \"data\" list");
    }
    size_t n = json_object_array_length(data);
    if (n == 0) {
        json_object_put(root);
        return wx_error_set(err, WX_E_JSON, "data", "certificates: the \"data\" list is empty");
    }
    wx_cert_set_t *set = wx_calloc(1, sizeof *set);
    if (set)
        set->items = wx_calloc(n, sizeof *set->items);
    wx_err rc = WX_OK;
    if (!set || !set->items)
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    for (size_t i = 0; rc == WX_OK && i < n; i++) {
        set->count = i + 1; /* so that a partly filled item is freed */
        rc = check_entry(json_object_array_get_idx(data, i), i, apiv3_key, now, &set->items[i],
                         err);
        for (size_t j = 0; rc == WX_OK && j < i; j++)
            if (strcmp(set->items[j].serial, set->items[i].serial) == 0)
                rc = wx_error_set(err, WX_E_JSON, "data",
                                  "certificates: serial %.64s is listed twice",
                                  set->items[i].serial);
    }
    json_object_put(root);
    if (rc != WX_OK) {
        wx_cert_set_free(set);
        return rc;
    }
    *out = set;
    return WX_OK;
}
