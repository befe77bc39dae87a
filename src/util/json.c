#include "json.h"

#include <limits.h>

#include <json-c/json.h>

#include "error.h"

wx_err wx_json_parse(const char *text, size_t len, const char *what, struct json_object **out,
                     wx_error_t *err)
{
    *out = NULL;
    if (len > INT_MAX)
        return wx_error_set(err, WX_E_JSON, what, "%s: larger than the parser takes", what);
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return wx_error_set(err, WX_E_NOMEM, what, "out of memory parsing %s", what);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *v = json_tokener_parse_ex(tok, text ? text : "", (int)len);
    size_t end = json_tokener_get_parse_end(tok);
    wx_err rc = WX_OK;
    if (!v || end != len) {
        enum json_tokener_error je = json_tokener_get_error(tok);
        size_t line = 1, col = 1;
        for (size_t i = 0; i < end && i < len; i++) {
            if (text[i] == '\n')
                line++, col = 1;
            else
                col++;
        }
        rc = wx_error_set(err, WX_E_JSON, what,
                          "%s: malformed JSON at offset %zu (line %zu, column %zu): %s", what, end,
                          line, col,
                          v ? "unexpected data after the value"
                          : je == json_tokener_continue ? "it ends early"
                                                        : json_tokener_error_desc(je));
        json_object_put(v);
        v = NULL;
    }
    json_tokener_free(tok);
    *out = v;
    return rc;
}
