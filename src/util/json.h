/* Strict JSON parsing with an error that says where: one helper for request bodies,
 * configuration files, notifications and certificate downloads. */
#ifndef WX_UTIL_JSON_H
#define WX_UTIL_JSON_H

#include <stddef.h>
#include <wechatpay/common.h>

struct json_object;

/* Parse exactly text[0..len) as one JSON value (json-c strict mode: no trailing data).
 * On failure *out is NULL and err gets WX_E_JSON "WHAT: malformed JSON at offset N
 * (line L, column C): REASON" with where = what; WX_E_NOMEM if the parser cannot start. */
wx_err wx_json_parse(const char *text, size_t len, const char *what, struct json_object **out,
                     wx_error_t *err);

#endif
