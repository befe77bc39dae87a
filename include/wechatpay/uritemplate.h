/**
 * @file uritemplate.h
 * @brief RFC 6570 URI templates, levels 1 to 4 (all operators, explode, prefix).
 *
 * Variables come as a json-c object whose values are strings, numbers, booleans,
 * arrays of those (lists) or objects of those (associative arrays); null or a
 * missing key is an undefined variable, and so is an empty list or map (RFC 6570
 * section 2.3). Numbers and booleans expand as their JSON text. A prefix (`{var:3}`)
 * counts characters (UTF-8 code points), never cutting a UTF-8 sequence or a `%XX`.
 */
#ifndef WECHATPAY_URITEMPLATE_H
#define WECHATPAY_URITEMPLATE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
typedef struct wx_uri_template wx_uri_template_t;

/** Expansion modes. */
typedef enum wx_uri_mode {
    /** RFC 6570 exactly: an undefined variable expands to nothing. */
    WX_URI_RFC = 0,
    /** For request paths: every variable must be defined (else WX_E_MISSING_VAR),
     *  `{+var}` percent-encodes `?`, `#`, so no value can end the path, and a fragment
     *  expression `{#var}` is refused (WX_E_TEMPLATE): a fragment is never sent. */
    WX_URI_REQUEST = 1
} wx_uri_mode;

/**
 * @brief Parse (compile) a template once, for repeated fast expansion.
 * @param tmpl NUL-terminated template text (borrowed).
 * @param out  receives the compiled template; free with wx_uri_template_free().
 * @return WX_OK; WX_E_TEMPLATE with the offending character offset in err->where
 *         ("offset 7") for an unclosed brace, bad operator, bad variable name or a bad
 *         prefix length; WX_E_NOMEM.
 * @threadsafety A compiled template is immutable: expanding it from many threads is safe.
 */
WX_API WX_NODISCARD wx_err wx_uri_template_parse(const char *tmpl, wx_uri_template_t **out,
                                                  wx_error_t *err);

/** @brief Free a compiled template. Accepts NULL. */
WX_API void wx_uri_template_free(wx_uri_template_t *t);

/** @brief Number of variable names the template refers to. */
WX_API size_t wx_uri_template_var_count(const wx_uri_template_t *t);

/** @brief The i-th distinct variable name, in order of first use (borrowed: lives as
 *         long as the template), NULL past the end. */
WX_API const char *wx_uri_template_var_name(const wx_uri_template_t *t, size_t i);

/**
 * @brief Expand a compiled template.
 * @param vars a json-c object (borrowed) or NULL for no variables.
 * @param out  receives a NUL-terminated string the caller frees with wx_free().
 * @return WX_OK; WX_E_MISSING_VAR (in WX_URI_REQUEST mode; err->where names it);
 *         WX_E_TEMPLATE when a value's type does not fit (a list or map where a prefix
 *         is asked for, a list or map member that is itself an array or object), with
 *         err->where "offset N" of the variable in the template; WX_E_INVALID_ARG when
 *         @p vars is not a JSON object; WX_E_NOMEM.
 * @threadsafety Safe on one template from many threads, also with one shared @p vars
 *         (it is only read).
 */
WX_API WX_NODISCARD wx_err wx_uri_template_expand(const wx_uri_template_t *t,
                                                   struct json_object *vars, wx_uri_mode mode,
                                                   char **out, wx_error_t *err);

/** @brief Parse and expand in one call (RFC mode unless @p mode says otherwise). */
WX_API WX_NODISCARD wx_err wx_uri_expand(const char *tmpl, struct json_object *vars,
                                          wx_uri_mode mode, char **out, wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
