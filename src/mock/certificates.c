/* GET /v3/certificates: the platform certificate, encrypted with the APIv3 key
 * exactly as the real download delivers it, so clients can test their bootstrap. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"
#include <wechatpay/sys/crypto.h>

/* "2018-06-08T10:34:56+08:00": WeChat Pay writes Beijing time. */
static void beijing_time(int64_t t, char out[32])
{
    time_t local = (time_t)(t + 8 * 3600);
    struct tm tm;
    if (!gmtime_r(&local, &tm)) {
        snprintf(out, 32, "1970-01-01T08:00:00+08:00");
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

char *wx_mock_certificates_body(const wx_mock_config *cfg, size_t *len, char *why,
                                size_t why_len)
{
    if (!cfg->apiv3_key) {
        snprintf(why, why_len, "CONFIG.json has no apiv3_key to encrypt the certificate with");
        return NULL;
    }
    unsigned char raw[12];
    char nonce[13];
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (wx_random_bytes(raw, sizeof raw) != WX_OK) {
        snprintf(why, why_len, "random source failed");
        return NULL;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        nonce[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    nonce[12] = 0;

    char *cipher = NULL;
    wx_error_t err = {0};
    if (wx_aes_gcm_encrypt(cfg->apiv3_key, nonce, "certificate", cfg->platform_cert_pem,
                           strlen(cfg->platform_cert_pem), &cipher, &err) != WX_OK) {
        snprintf(why, why_len, "encrypting the platform certificate: %s", err.message);
        return NULL;
    }
    char from[32], to[32];
    beijing_time(cfg->platform_not_before, from);
    beijing_time(cfg->platform_not_after, to);

    struct json_object *enc = json_object_new_object();
    json_object_object_add(enc, "algorithm", json_object_new_string("AEAD_AES_256_GCM"));
    json_object_object_add(enc, "nonce", json_object_new_string(nonce));
    json_object_object_add(enc, "associated_data", json_object_new_string("certificate"));
    json_object_object_add(enc, "ciphertext", json_object_new_string(cipher));
    wx_free(cipher);
    struct json_object *item = json_object_new_object();
    json_object_object_add(item, "serial_no", json_object_new_string(cfg->platform_serial));
    json_object_object_add(item, "effective_time", json_object_new_string(from));
    json_object_object_add(item, "expire_time", json_object_new_string(to));
    json_object_object_add(item, "encrypt_certificate", enc);
    struct json_object *data = json_object_new_array();
    json_object_array_add(data, item);
    struct json_object *root = json_object_new_object();
    json_object_object_add(root, "data", data);

    size_t n = 0;
    const char *text = json_object_to_json_string_length(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *out = text ? strdup(text) : NULL;
    json_object_put(root);
    if (!out) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    *len = n;
    return out;
}
