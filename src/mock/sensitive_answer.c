/* Sensitive fields of an answer encrypted as WeChat Pay encrypts them: RSA-OAEP with the
 * public key of the merchant certificate, so the merchant decrypts them with its own
 * private key (wx_rsa_oaep_decrypt). The spec marks them (`x-is-sensitive`); the example
 * values are stand-ins for ciphertext, so the sandbox encrypts a readable value of its own
 * ("沙箱示例 " and the field's name) that a test can check after decrypting. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "mock.h"

typedef struct encrypt_ctx {
    const wx_mock_config *cfg;
    wx_error_t err;
} encrypt_ctx;

static wx_err encrypt_one(void *ud, const wx_sensitive_field_t *f)
{
    encrypt_ctx *c = ud;
    char plain[160];
    snprintf(plain, sizeof plain, "沙箱示例 %.100s", f->key);
    char *cipher = NULL;
    wx_err rc = wx_rsa_oaep_encrypt(c->cfg->merchant_cert, plain, strlen(plain), &cipher, &c->err);
    if (rc == WX_OK)
        json_object_object_add(f->parent, f->key, json_object_new_string(cipher));
    wx_free(cipher);
    return rc;
}

int wx_mock_encrypt_sensitive(const wx_mock_config *cfg, const wx_endpoint_t *ep, int status,
                              struct json_object *body, char *why, size_t why_len)
{
    encrypt_ctx c = {cfg, {0}};
    if (!body || !json_object_is_type(body, json_type_object))
        return 0;
    if (wx_endpoint_sensitive_response_paths(ep, status, body, encrypt_one, &c) != WX_OK) {
        snprintf(why, why_len, "encrypting a sensitive field: %s", c.err.message);
        return -1;
    }
    return 0;
}
