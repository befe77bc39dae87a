/* libFuzzer target for APIv2's XML codec (src/util/xml.c) and sign (src/sign/apiv2_sign.c):
 * every answer WeChat Pay (or an attacker in its place) can send goes through them.
 * Checked on every input:
 * - wx_v2_xml_decode gives WX_OK with a flat object of strings, or WX_E_XML /
 *   WX_E_TOO_LARGE with a message and nothing returned;
 * - a decoded object encodes again and decodes to the same fields (the round trip
 *   holds for any text expat accepted, "]]>" included);
 * - signing and verifying the decoded fields agree: its own sign verifies, by type and
 *   by length, and verification of the sign it came with never crashes;
 * - nothing leaks, nothing crashes (ASan/UBSan). */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/apiv2.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_KEY "fuzzAPIv2key0123456789abcdefABCD"

static void check_round_trip(json_object *fields)
{
    char *xml = NULL;
    size_t len = 0;
    if (wx_v2_xml_encode(fields, &xml, &len, NULL) != WX_OK) {
        /* only a name that is not [A-Za-z_][A-Za-z0-9_]* can be refused */
        return;
    }
    json_object *again = NULL;
    if (wx_v2_xml_decode(xml, len, &again, NULL) != WX_OK)
        abort();
    if (!json_object_equal(fields, again))
        abort();
    json_object_put(again);
    wx_free(xml);
}

static void check_sign(json_object *fields)
{
    if (wx_v2_verify(fields, FUZZ_KEY, WX_V2_SIGN_BY_LENGTH, NULL) == WX_OK && !json_object_object_get_ex(fields, "sign", NULL))
        abort(); /* no sign can never verify */
    char sign[WX_V2_SIGN_MAX];
    for (int t = WX_V2_SIGN_MD5; t <= WX_V2_SIGN_HMAC_SHA256; t++) {
        if (wx_v2_sign(fields, FUZZ_KEY, (wx_v2_sign_type)t, sign, NULL) != WX_OK)
            abort();
        json_object *copy = NULL;
        if (json_object_deep_copy(fields, &copy, NULL) != 0)
            abort();
        json_object_object_add(copy, "sign", json_object_new_string(sign));
        if (wx_v2_verify(copy, FUZZ_KEY, (wx_v2_sign_type)t, NULL) != WX_OK ||
            wx_v2_verify(copy, FUZZ_KEY, WX_V2_SIGN_BY_LENGTH, NULL) != WX_OK)
            abort();
        json_object_put(copy);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *fields = (json_object *)1;
    wx_error_t err = {0};
    wx_err rc = wx_v2_xml_decode((const char *)data, size, &fields, &err);
    if (rc != WX_OK) {
        if (fields || (rc != WX_E_XML && rc != WX_E_TOO_LARGE) || !err.message[0])
            abort();
        return 0;
    }
    json_object_object_foreach(fields, k, v) {
        (void)k;
        if (!json_object_is_type(v, json_type_string))
            abort();
    }
    check_round_trip(fields);
    check_sign(fields);
    json_object_put(fields);
    return 0;
}
