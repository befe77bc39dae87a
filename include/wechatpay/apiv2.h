/**
 * @file apiv2.h
 * @brief APIv2's wire format: the `sign` of a flat set of fields (MD5 or HMAC-SHA256
 *        with the APIv2 key) and the `<xml>` documents that carry them.
 *
 * APIv2 requests, answers and callbacks are flat XML documents,
 * `<xml><field><![CDATA[value]]></field>...</xml>`. Here they are json-c objects whose
 * values are strings (or, on the way out, integers and numbers, sent as their decimal
 * text). A chain under `v2` (wechatpay/chain.h) does all of this itself; these
 * functions are for the rest: a sandbox, a callback handler, a test.
 *
 * The sign: the fields sorted by name (byte order), those with an empty value and
 * `sign` itself left out, written `k1=v1&k2=v2...&key=APIV2_KEY`, then MD5 (WeChat Pay's
 * default) or HMAC-SHA256 keyed with the APIv2 key, as upper-case hex.
 *
 * @code
 *   char sign[WX_V2_SIGN_MAX];
 *   if (wx_v2_sign(fields, key, WX_V2_SIGN_MD5, sign, &err) == WX_OK)
 *       json_object_object_add(fields, "sign", json_object_new_string(sign));
 * @endcode
 * @threadsafety Every function here may be called from several threads at once.
 */
#ifndef WECHATPAY_APIV2_H
#define WECHATPAY_APIV2_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

/** Room for a sign: 64 hex digits (HMAC-SHA256) and the NUL. */
#define WX_V2_SIGN_MAX 65

/** Largest XML document the decoder accepts (bytes). */
#define WX_V2_XML_MAX_BYTES (256 * 1024)

/** The sign algorithms of APIv2. */
typedef enum wx_v2_sign_type {
    WX_V2_SIGN_MD5 = 0,         /**< `sign_type` absent or "MD5" */
    WX_V2_SIGN_HMAC_SHA256 = 1, /**< `sign_type` "HMAC-SHA256" */
    WX_V2_SIGN_BY_LENGTH = 2    /**< checking only: 32 hex digits MD5, 64 HMAC-SHA256 */
} wx_v2_sign_type;

/**
 * @brief The algorithm a set of fields asks for through its `sign_type`.
 * @param fields a json-c object (borrowed).
 * @param type   receives WX_V2_SIGN_MD5 when `sign_type` is absent, empty or "MD5",
 *               WX_V2_SIGN_HMAC_SHA256 for "HMAC-SHA256".
 * @return WX_OK; WX_E_UNSUPPORTED for another `sign_type` (err->where "sign_type");
 *         WX_E_INVALID_ARG.
 */
WX_API WX_NODISCARD wx_err wx_v2_sign_type_of(const struct json_object *fields,
                                               wx_v2_sign_type *type, wx_error_t *err);

/**
 * @brief The sign of a flat set of fields.
 * @param fields    a json-c object whose values are strings or numbers (borrowed);
 *                  `sign` in it is ignored.
 * @param apiv2_key the merchant's APIv2 key (NUL-terminated, not empty; borrowed).
 * @param type      WX_V2_SIGN_MD5 or WX_V2_SIGN_HMAC_SHA256.
 * @param out       receives the upper-case hex sign (32 or 64 digits) and a NUL.
 * @return WX_OK; WX_E_INVALID_ARG (a NULL argument, an empty key, a value that is an
 *         object, array, boolean or null: err->where names the field); WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_v2_sign(const struct json_object *fields, const char *apiv2_key,
                                       wx_v2_sign_type type, char out[WX_V2_SIGN_MAX],
                                       wx_error_t *err);

/**
 * @brief Check the `sign` field of a set of fields.
 * @param type the algorithm the sign was made with, or WX_V2_SIGN_BY_LENGTH to take it
 *             from the sign's length (a notification without `sign_type`).
 * @return WX_OK when it matches (hex digits in either case);
 *         WX_E_VERIFY_SIGNATURE when `sign` is absent, of the wrong length or does not
 *         match (a field altered, another key); WX_E_INVALID_ARG as wx_v2_sign().
 */
WX_API WX_NODISCARD wx_err wx_v2_verify(const struct json_object *fields, const char *apiv2_key,
                                         wx_v2_sign_type type, wx_error_t *err);

/**
 * @brief Write a flat object as an APIv2 XML document:
 *        `<xml><k><![CDATA[v]]></k>...</xml>`, fields in the object's order.
 *
 * A value holding `]]>` is split across two CDATA sections, so any text survives.
 * @param fields strings or numbers (borrowed); names must be XML names made of ASCII
 *               letters, digits and `_` (APIv2 uses no others).
 * @param xml    receives the NUL-terminated document (wx_free()); @p len its length
 *               (may be NULL).
 * @return WX_OK; WX_E_INVALID_ARG (a value of another type or a bad name: err->where
 *         names it); WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_v2_xml_encode(const struct json_object *fields, char **xml,
                                             size_t *len, wx_error_t *err);

/**
 * @brief Read an APIv2 XML document into a flat object of strings.
 *
 * The document must be `<xml>` (or `<root>`, as a decrypted refund `req_info` is)
 * holding elements that hold only text (CDATA or not);
 * whitespace between them is ignored. Refused, with nothing returned: a DOCTYPE, any
 * entity other than the five XML predefines and character references, an element
 * inside a field, attributes, a repeated field, mixed text directly under `<xml>`, a
 * document over WX_V2_XML_MAX_BYTES, and anything that is not well-formed XML.
 * @param out receives a new json-c object (json_object_put()); NULL on failure.
 * @return WX_OK; WX_E_XML with a message naming the problem and err->where "line L,
 *         column C" (malformed, DOCTYPE, entity, nesting, attribute); WX_E_TOO_LARGE;
 *         WX_E_INVALID_ARG; WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_v2_xml_decode(const char *xml, size_t len,
                                             struct json_object **out, wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
