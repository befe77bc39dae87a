/**
 * @file sensitive.h
 * @brief Sensitive fields: names, ID and bank card numbers, phone numbers that WeChat
 *        Pay wants encrypted with its public key (RSA-OAEP, SHA-1, MGF1-SHA-1, base64)
 *        in requests, and that it encrypts with the merchant's key in responses.
 *
 * Fields are named by paths into the JSON body: `name`, `identity.number`,
 * `receivers[0].name`, `transfer_detail_list[*].user_name` (`[*]`: every element).
 * A path must lead to a string, or the call fails naming the path; a path ending in
 * `?` (`receivers[*].name?`) may also lead nowhere, for optional fields. Without the
 * `?` a missing field is an error, so that a misspelt path cannot send a name in clear.
 *
 * In a request the easiest form is the request option `encrypt_fields`
 * (::wx_request_options_t): the body is validated against the endpoint spec in clear
 * (the spec describes the plain values; their types are strings either way), then the
 * fields are encrypted, the body re-serialised, and `Wechatpay-Serial` set to the key
 * used. Which key: the one named by the `encrypt_key_id` option or by a
 * `Wechatpay-Serial` header the caller gives (they must agree when both are given);
 * otherwise the client's current encryption key (wx_client_encryption_key()):
 *  1. a WeChat Pay public key (an id starting `PUB_KEY_ID_`), the one added last:
 *     it does not expire and is what WeChat Pay migrates merchants to;
 *  2. else the platform certificate valid now with the latest start of validity
 *     (during a rotation: the new certificate as soon as it is in force).
 * @threadsafety Safe from several threads at once.
 */
#ifndef WECHATPAY_SENSITIVE_H
#define WECHATPAY_SENSITIVE_H

#include "common.h"
#include "client.h"
#include "crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

/**
 * @brief Encrypt the string fields at @p paths of @p body in place with @p key.
 * @param key   a platform certificate or WeChat Pay public key (borrowed).
 * @param body  a JSON object or array (modified: each field becomes base64 ciphertext).
 * @param paths NULL-terminated list of paths (see the file comment).
 * @return WX_OK; WX_E_NOT_FOUND (a path without `?` that leads nowhere) or
 *         WX_E_INVALID_ARG (a path that is malformed or leads to a non-string), with
 *         err->where the path; WX_E_CRYPTO; WX_E_NOMEM. On failure @p body may be
 *         partly encrypted: do not send it.
 */
WX_API WX_NODISCARD wx_err wx_sensitive_encrypt(const wx_pubkey_t *key, struct json_object *body,
                                                 const char *const *paths, wx_error_t *err);

/**
 * @brief Decrypt the base64 RSA-OAEP fields at @p paths of @p body in place with the
 *        merchant private key @p key (fields WeChat Pay encrypted in a response).
 *        To keep a response's parsed body as received, pass a json_object_deep_copy().
 * @return as wx_sensitive_encrypt(), and WX_E_DECRYPT (naming the path) for a field
 *         that does not decrypt with this key.
 */
WX_API WX_NODISCARD wx_err wx_sensitive_decrypt(const wx_privkey_t *key, struct json_object *body,
                                                 const char *const *paths, wx_error_t *err);

/**
 * @brief wx_sensitive_encrypt() with the client's current encryption key (rule in the
 *        file comment) or the key @p key_id when not NULL.
 * @param key_id_out optional, size 128: receives the id used, the value for the
 *                   `Wechatpay-Serial` header.
 * @return as wx_sensitive_encrypt(); WX_E_KEY when no key can encrypt (none valid
 *         now, or @p key_id unknown); WX_E_CONFIG with a custom verifier.
 */
WX_API WX_NODISCARD wx_err wx_client_encrypt_fields(wx_client_t *client, const char *key_id,
                                                     struct json_object *body,
                                                     const char *const *paths,
                                                     char key_id_out[128], wx_error_t *err);

/**
 * @brief wx_sensitive_decrypt() with the client's merchant private key.
 * @return as wx_sensitive_decrypt(); WX_E_CONFIG for a client with a custom signer
 *         (it holds no private key).
 */
WX_API WX_NODISCARD wx_err wx_client_decrypt_fields(wx_client_t *client, struct json_object *body,
                                                     const char *const *paths, wx_error_t *err);

/**
 * @brief The id (certificate serial or `PUB_KEY_ID_...`) of the key the client would
 *        encrypt sensitive fields with now.
 * @param out size 128.
 * @return WX_OK; WX_E_KEY when there is none; WX_E_CONFIG with a custom verifier.
 */
WX_API WX_NODISCARD wx_err wx_client_encryption_key(wx_client_t *client, char out[128],
                                                     wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
