/* Spec file bytes -> json-c: JSON through json-c's tokener, YAML through yaml.c. */
#include "spec/spec_impl.h"

#include <stdio.h>
#include <string.h>

/* Nesting allowed in a spec file; deeper files are refused rather than recursed into. */
#define WX_SPEC_MAX_NESTING 128

int wx_spec_file_kind(const char *name)
{
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".json") == 0)
        return 0;
    if (n > 5 && strcmp(name + n - 5, ".yaml") == 0)
        return 1;
    if (n > 4 && strcmp(name + n - 4, ".yml") == 0)
        return 1;
    return -1;
}

static void line_col(const char *data, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (data[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static wx_err parse_json(const char *display, const char *data, size_t len, json_object **out,
                         wx_spec_problem *prob)
{
    if (len > (size_t)0x7fffffff)
        return wx_problem_set(prob, WX_E_SPEC, display, "", "invalid JSON: file too large");
    json_tokener *tok = json_tokener_new_ex(WX_SPEC_MAX_NESTING);
    if (!tok)
        return wx_problem_set(prob, WX_E_NOMEM, display, "", "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A bare number at the end of the input only ends at a terminator. */
        root = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        off = len;
    }
    json_tokener_free(tok);
    char where[64];
    size_t line, col;
    if (jerr == json_tokener_continue) {
        json_object_put(root);
        line_col(data, len, &line, &col);
        snprintf(where, sizeof where, "line %zu, column %zu", line, col);
        return wx_problem_set(prob, WX_E_SPEC, display, where,
                              "invalid JSON: unexpected end of file");
    }
    if (jerr != json_tokener_success) {
        json_object_put(root);
        line_col(data, off, &line, &col);
        snprintf(where, sizeof where, "line %zu, column %zu", line, col);
        return wx_problem_set(prob, WX_E_SPEC, display, where, "invalid JSON: %s",
                              json_tokener_error_desc(jerr));
    }
    for (size_t i = off; i < len; i++) {
        char ch = data[i];
        if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
            json_object_put(root);
            line_col(data, i, &line, &col);
            snprintf(where, sizeof where, "line %zu, column %zu", line, col);
            return wx_problem_set(prob, WX_E_SPEC, display, where,
                                  "invalid JSON: unexpected text after the document");
        }
    }
    *out = root;
    return WX_OK;
}

wx_err wx_spec_parse_text(const char *display, const char *data, size_t len, int is_yaml,
                          json_object **out, wx_spec_problem *prob)
{
    *out = NULL;
    /* A UTF-8 byte order mark is allowed and skipped. */
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF) {
        data += 3;
        len -= 3;
    }
    if (is_yaml) {
#if WX_HAVE_YAML
        return wx_yaml_to_json(display, data, len, out, prob);
#else
        return wx_problem_set(prob, WX_E_SPEC, display, "",
                              "YAML spec files need libyaml, and this build has no YAML support");
#endif
    }
    if (memchr(data, 0, len))
        return wx_problem_set(prob, WX_E_SPEC, display, "", "invalid JSON: NUL byte in file");
    return parse_json(display, data, len, out, prob);
}
