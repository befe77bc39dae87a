/* The hot-path form of template expansion: variables come from a lookup callback
 * instead of a json-c object, so a request's `vars` list is used without building
 * any object. Also the compiled form shared by uritemplate.c (parsing) and
 * uritemplate_expand.c (expansion); code outside those two uses only the functions. */
#ifndef WX_REQUEST_URITEMPLATE_INTERNAL_H
#define WX_REQUEST_URITEMPLATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <wechatpay/uritemplate.h>
#include "util/buf.h"

struct json_object;

typedef enum wx_uri_value_type {
    WX_UV_UNDEF = 0,   /* not defined: skipped (RFC) or an error (request mode) */
    WX_UV_STRING,      /* str/len (may hold NUL bytes; they are encoded as %00) */
    WX_UV_JSON         /* json: a string, number, boolean, array (list) or object (map);
                          null, an empty array and an empty object count as undefined */
} wx_uri_value_type;

typedef struct wx_uri_value {
    wx_uri_value_type type;
    const char *str;
    size_t len;
    struct json_object *json;
} wx_uri_value;

/* Find variable name[0..len). name is also NUL-terminated at name[len], so it can be
 * handed to json_object_object_get_ex() as is. Fill *out (type WX_UV_UNDEF when absent).
 * Whatever *out points to must stay valid until the expansion returns. */
typedef void (*wx_uri_lookup_fn)(void *ud, const char *name, size_t len, wx_uri_value *out);

/* Append the expansion to out. Errors as wx_uri_template_expand(); on an error out is
 * put back to the length it had on entry. Never allocates except to grow out. */
wx_err wx_uri_template_expand_fn(const wx_uri_template_t *t, wx_uri_lookup_fn lookup, void *ud,
                                 wx_uri_mode mode, wx_buf *out, wx_error_t *err);

/* 1 when the template has no expressions (a literal path: expansion is a copy). */
int wx_uri_template_is_literal(const wx_uri_template_t *t);

/* ---- the compiled form ---------------------------------------------------------- */

/* Expression operators, RFC 6570 section 2.2 (WX_UOP_SIMPLE: no operator). */
typedef enum wx_uri_op {
    WX_UOP_SIMPLE = 0,
    WX_UOP_RESERVED,   /* + */
    WX_UOP_FRAGMENT,   /* # */
    WX_UOP_LABEL,      /* . */
    WX_UOP_PATH,       /* / */
    WX_UOP_PARAM,      /* ; */
    WX_UOP_QUERY,      /* ? */
    WX_UOP_CONT,       /* & */
    WX_UOP_COUNT
} wx_uri_op;

/* One variable reference inside an expression: name, modifier, where it was written. */
typedef struct wx_uri_varspec {
    const char *name;     /* NUL-terminated, inside the template's string area */
    size_t name_len;
    size_t offset;        /* character offset of the name in the template text */
    unsigned prefix;      /* 1..9999, or 0 for no prefix modifier */
    unsigned char explode;
} wx_uri_varspec;

/* The template is a sequence of pieces: a literal (already percent-encoded where the
 * RFC asks, so expansion copies it) or an expression of one or more varspecs. */
typedef struct wx_uri_piece {
    unsigned char is_expr;
    unsigned char op;        /* wx_uri_op, for expressions */
    const char *text;        /* literal bytes */
    size_t len;              /* literal length */
    size_t first_spec;       /* index into specs, for expressions */
    size_t spec_count;
} wx_uri_piece;

struct wx_uri_template {
    size_t piece_count;
    size_t spec_count;
    size_t var_count;          /* distinct names */
    size_t literal_len;        /* sum of literal piece lengths: a first output reserve */
    const wx_uri_piece *pieces;
    const wx_uri_varspec *specs;
    const char *const *var_names;
    /* pieces, specs, names and the string area follow in the same allocation */
};

/* Character classes for encoding, RFC 3986 section 2. A character may be copied as is
 * when its class has a bit in the allowed mask; everything else is percent-encoded. */
enum {
    WX_UCH_UNRESERVED = 1, /* ALPHA DIGIT - . _ ~ */
    WX_UCH_RESERVED = 2,   /* gen-delims and sub-delims, except ? and # */
    WX_UCH_QUERY_FRAG = 4  /* ? and #: reserved, but they end a request path */
};
extern const unsigned char wx_uri_char_class[256];

static inline int wx_uri_is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

#endif
