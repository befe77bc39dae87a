/* A callback notification as WeChat Pay sends one: the envelope
 *   {"id", "create_time", "resource_type": "encrypt-resource", "event_type", "summary",
 *    "resource": {"original_type", "algorithm": "AEAD_AES_256_GCM", "ciphertext",
 *                 "associated_data", "nonce"}}
 * with the resource encrypted under the APIv3 key, and the Wechatpay-* headers signing
 * the envelope's exact bytes like a response. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/sys/crypto.h>

#include "lifecycle.h"

/* 12 letters and digits, the length of WeChat Pay's resource nonces. */
static int resource_nonce(char out[13])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[12];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++)
        out[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    out[12] = 0;
    return 0;
}

static struct json_object *encrypted_resource(const wx_mock_config *cfg, const char *original_type,
                                              const char *plain, char *why, size_t why_len)
{
    char nonce[13];
    char *cipher = NULL;
    wx_error_t err = {0};
    if (!cfg->apiv3_key) {
        snprintf(why, why_len, "CONFIG.json has no apiv3_key to encrypt the resource with");
        return NULL;
    }
    if (resource_nonce(nonce) != 0 ||
        wx_aes_gcm_encrypt(cfg->apiv3_key, nonce, original_type, plain, strlen(plain), &cipher,
                           &err) != WX_OK) {
        snprintf(why, why_len, "encrypting the resource: %s",
                 err.message[0] ? err.message : "random source failed");
        return NULL;
    }
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "original_type", json_object_new_string(original_type));
    json_object_object_add(r, "algorithm", json_object_new_string("AEAD_AES_256_GCM"));
    json_object_object_add(r, "ciphertext", json_object_new_string(cipher));
    json_object_object_add(r, "associated_data", json_object_new_string(original_type));
    json_object_object_add(r, "nonce", json_object_new_string(nonce));
    wx_free(cipher);
    return r;
}

int wx_mock_notification_build(const wx_mock_config *cfg, wx_mock_sign_with with,
                               const char *id, const char *create_time, const char *event_type,
                               const char *summary, const char *original_type,
                               const char *resource_json, char **body, size_t *body_len,
                               wx_mock_signature *sig, char *why, size_t why_len)
{
    *body = NULL;
    *body_len = 0;
    memset(sig, 0, sizeof *sig);
    struct json_object *resource = encrypted_resource(cfg, original_type, resource_json, why,
                                                      why_len);
    if (!resource)
        return -1;
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "id", json_object_new_string(id));
    json_object_object_add(env, "create_time", json_object_new_string(create_time));
    json_object_object_add(env, "resource_type", json_object_new_string("encrypt-resource"));
    json_object_object_add(env, "event_type", json_object_new_string(event_type));
    json_object_object_add(env, "summary", json_object_new_string(summary));
    json_object_object_add(env, "resource", resource);
    size_t n = 0;
    const char *text = json_object_to_json_string_length(
        env, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    *body = text ? strdup(text) : NULL;
    json_object_put(env);
    if (!*body) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    *body_len = n;
    if (wx_mock_sign_response(cfg, NULL, with, WX_FAULT_NONE, *body, n, sig, why, why_len) != 0) {
        free(*body);
        *body = NULL;
        *body_len = 0;
        return -1;
    }
    return 0;
}
