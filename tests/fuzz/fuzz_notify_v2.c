/* libFuzzer target for APIv2 callbacks (src/sign/notify_v2.c): XML decoding, the sign
 * check, req_info's base64 and AES-256-ECB, the plaintext's XML, and the reply.
 *
 * Input: byte 0 is a set of switches, the rest a body. Switches:
 *   0x01  the body is a req_info plaintext: encrypt it with the fuzz APIv2 key and wrap
 *         it in a refund notification (reaches the decrypted XML)
 *   0x02  the body is decoded, signed with the fuzz key (MD5, or HMAC-SHA256 with 0x04)
 *         and encoded again before the check (reaches the success path of payments)
 * Checked on every input:
 * - wx_v2_notify_verify_with gives only the codes its header lists, and on failure no
 *   notification; on WX_OK a payment's sign really verifies (rechecked) and a refund has
 *   its req_info fields;
 * - wx_v2_notify_reply always gives an XML document that decodes again;
 * - nothing leaks, nothing crashes (ASan/UBSan). */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/apiv2.h>
#include <wechatpay/notify.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_KEY "fuzzAPIv2key0123456789abcdefABCD"

static char *as_refund(const uint8_t *p, size_t n)
{
    char *b64 = NULL;
    if (wx_v2_req_info_encrypt(FUZZ_KEY, (const char *)p, n, &b64, NULL) != WX_OK)
        abort();
    size_t cap = strlen(b64) + 128;
    char *body = malloc(cap);
    snprintf(body, cap, "<xml><return_code>SUCCESS</return_code><req_info>%s</req_info></xml>", b64);
    wx_free(b64);
    return body;
}

static char *resigned(const uint8_t *p, size_t n, int hmac)
{
    json_object *f = NULL;
    if (wx_v2_xml_decode((const char *)p, n, &f, NULL) != WX_OK)
        return NULL;
    if (hmac)
        json_object_object_add(f, "sign_type", json_object_new_string("HMAC-SHA256"));
    json_object_object_del(f, "req_info");
    char sign[WX_V2_SIGN_MAX], *xml = NULL;
    if (wx_v2_sign(f, FUZZ_KEY, hmac ? WX_V2_SIGN_HMAC_SHA256 : WX_V2_SIGN_MD5, sign, NULL) == WX_OK) {
        json_object_object_add(f, "sign", json_object_new_string(sign));
        if (wx_v2_xml_encode(f, &xml, NULL, NULL) != WX_OK)
            xml = NULL;
    }
    json_object_put(f);
    return xml;
}

static void check_result(wx_err rc, wx_v2_notification_t *n)
{
    switch (rc) {
    case WX_OK: {
        if (!n || !n->fields || (n->kind == WX_V2_NOTIFY_REFUND) != (n->req_info != NULL))
            abort();
        wx_v2_sign_type t = WX_V2_SIGN_BY_LENGTH;
        if (n->kind == WX_V2_NOTIFY_PAYMENT &&
            ((json_object_object_get_ex(n->fields, "sign_type", NULL) &&
              wx_v2_sign_type_of(n->fields, &t, NULL) != WX_OK) ||
             wx_v2_verify(n->fields, FUZZ_KEY, t, NULL) != WX_OK))
            abort();
        return;
    }
    case WX_E_XML: case WX_E_HTTP: case WX_E_VERIFY_SIGNATURE: case WX_E_UNSUPPORTED:
    case WX_E_DECRYPT: case WX_E_TOO_LARGE:
        if (n)
            abort();
        return;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    unsigned sw = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    char *body = NULL;
    if (sw & 0x01)
        body = as_refund(p, n);
    else if (sw & 0x02)
        body = resigned(p, n, (sw & 0x04) != 0);
    const char *text = body ? body : (const char *)p;
    size_t len = body ? strlen(body) : n;
    wx_v2_notification_t *note = NULL;
    wx_error_t err = {0};
    wx_err rc = wx_v2_notify_verify_with(FUZZ_KEY, text, len, &note, &err);
    check_result(rc, note);
    wx_v2_notification_free(note);
    char *reply = NULL;
    if (wx_v2_notify_reply(rc, rc == WX_OK ? NULL : err.message, &reply, NULL) != WX_OK)
        abort();
    json_object *back = NULL;
    if (wx_v2_xml_decode(reply, strlen(reply), &back, NULL) != WX_OK)
        abort();
    json_object_put(back);
    wx_free(reply);
    free(body);
    return 0;
}
