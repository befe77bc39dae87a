/* The hot-path form of template expansion: variables come from a lookup callback
 * instead of a json-c object, so a request's `vars` list is used without building
 * any object. */
#ifndef WX_REQUEST_URITEMPLATE_INTERNAL_H
#define WX_REQUEST_URITEMPLATE_INTERNAL_H

#include <stddef.h>
#include <wechatpay/uritemplate.h>
#include "util/buf.h"

struct json_object;

typedef enum wx_uri_value_type {
    WX_UV_UNDEF = 0,   /* not defined: skipped (RFC) or an error (request mode) */
    WX_UV_STRING,      /* str/len */
    WX_UV_JSON         /* json: a string, number, boolean, array (list) or object (map);
                          null counts as undefined */
} wx_uri_value_type;

typedef struct wx_uri_value {
    wx_uri_value_type type;
    const char *str;
    size_t len;
    struct json_object *json;
} wx_uri_value;

/* Find variable name[0..len). Fill *out (type WX_UV_UNDEF when absent). */
typedef void (*wx_uri_lookup_fn)(void *ud, const char *name, size_t len, wx_uri_value *out);

/* Append the expansion to out. Errors as wx_uri_template_expand(). */
wx_err wx_uri_template_expand_fn(const wx_uri_template_t *t, wx_uri_lookup_fn lookup, void *ud,
                                 wx_uri_mode mode, wx_buf *out, wx_error_t *err);

/* 1 when the template has no expressions (a literal path: expansion is a copy). */
int wx_uri_template_is_literal(const wx_uri_template_t *t);

#endif
