// Build from the checkout root (one line; needs clang and libclang-rt-14-dev):
// clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE tests/fuzz/fuzz_uritemplate.c src/util/*.c src/request/*.c $(pkg-config --cflags --libs json-c) -o fuzz_uritemplate
// Run: ./fuzz_uritemplate -max_total_time=60 tests/fuzz/corpus/uritemplate

/* libFuzzer target for RFC 6570 templates (src/request/uritemplate*.c).
 *
 * Input: the template up to the first newline, then the variables as JSON text (an
 * object; anything else means "no variables"). Checked on every input:
 * - parsing gives WX_OK or WX_E_TEMPLATE with where = "offset N";
 * - every expansion gives only URI characters (unreserved, reserved, %XX);
 * - request mode never lets a value put '?', '#', CR or LF into the output: the same
 *   expansion with those characters replaced in every value gives the same count of
 *   each, and then RFC mode and request mode agree byte for byte;
 * - the callback form and the json-c form give the same result.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/uritemplate.h>
#include "request/uritemplate_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static void check_uri_chars(const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                abort();
            i += 2;
        } else if (!wx_uri_char_class[c]) {
            abort();
        }
    }
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* A copy of a value with '?', '#', CR and LF replaced in every string and map key. */
static json_object *sanitized(json_object *j)
{
    switch (json_object_get_type(j)) {
    case json_type_string: {
        size_t n = (size_t)json_object_get_string_len(j);
        char *s = malloc(n + 1);
        memcpy(s, json_object_get_string(j), n + 1);
        for (size_t i = 0; i < n; i++)
            if (s[i] == '?' || s[i] == '#' || s[i] == '\r' || s[i] == '\n')
                s[i] = 'a';
        json_object *r = json_object_new_string_len(s, (int)n);
        free(s);
        return r;
    }
    case json_type_array: {
        json_object *r = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(j); i++)
            json_object_array_add(r, sanitized(json_object_array_get_idx(j, i)));
        return r;
    }
    case json_type_object: {
        json_object *r = json_object_new_object();
        json_object_object_foreach(j, key, val) {
            char *k = strdup(key);
            for (char *p = k; *p; p++)
                if (*p == '?' || *p == '#' || *p == '\r' || *p == '\n')
                    *p = 'a';
            /* KEY_IS_NEW keeps two keys that now look alike as two members */
            json_object_object_add_ex(r, k, sanitized(val), JSON_C_OBJECT_ADD_KEY_IS_NEW);
            free(k);
        }
        return r;
    }
    default:
        return json_object_get(j);
    }
}

/* Top-level names are variable names, not values: keep them, sanitise the values. */
static json_object *sanitized_vars(json_object *vars)
{
    if (!vars)
        return NULL;
    json_object *r = json_object_new_object();
    json_object_object_foreach(vars, key, val) {
        json_object_object_add(r, key, sanitized(val));
    }
    return r;
}

static void lookup(void *ud, const char *name, size_t len, wx_uri_value *out)
{
    json_object *v = NULL;
    if (name[len] != 0)
        abort();
    if (ud && json_object_object_get_ex(ud, name, &v) && v) {
        out->type = WX_UV_JSON;
        out->json = v;
    }
}

static wx_err expand(const wx_uri_template_t *t, json_object *vars, wx_uri_mode mode, char **out)
{
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_uri_template_expand(t, vars, mode, out, &err);
    if (rc != WX_OK && rc != WX_E_TEMPLATE && !(mode == WX_URI_REQUEST && rc == WX_E_MISSING_VAR))
        abort();
    if (rc != WX_OK) {
        if (*out)
            abort();
        return rc;
    }
    check_uri_chars(*out);

    wx_buf b = WX_BUF_INIT;
    wx_buf_puts(&b, "=");
    if (wx_uri_template_expand_fn(t, lookup, vars, mode, &b, NULL) != WX_OK ||
        strcmp(wx_buf_str(&b) + 1, *out) != 0)
        abort();
    wx_buf_free(&b);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : size;
    char *tmpl = malloc(tlen + 1);
    memcpy(tmpl, data, tlen);
    tmpl[tlen] = 0;   /* a NUL inside ends the template early, as for any C string */

    json_object *vars = NULL;
    if (nl) {
        json_tokener *tok = json_tokener_new_ex(16);
        json_object *j = json_tokener_parse_ex(tok, (const char *)nl + 1, (int)(size - tlen - 1));
        if (json_tokener_get_error(tok) == json_tokener_success &&
            json_object_is_type(j, json_type_object))
            vars = j;
        else
            json_object_put(j);
        json_tokener_free(tok);
    }

    wx_uri_template_t *t = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_uri_template_parse(tmpl, &t, &err);
    if (rc != WX_OK) {
        if (rc != WX_E_TEMPLATE || t || strncmp(err.where, "offset ", 7) != 0)
            abort();
        goto done;
    }
    size_t nvars = wx_uri_template_var_count(t);
    for (size_t i = 0; i < nvars; i++)
        if (!wx_uri_template_var_name(t, i))
            abort();
    if (wx_uri_template_var_name(t, nvars))
        abort();

    char *rfc = NULL, *req = NULL;
    expand(t, vars, WX_URI_RFC, &rfc);
    wx_err req_rc = expand(t, vars, WX_URI_REQUEST, &req);

    json_object *clean = sanitized_vars(vars);
    char *clean_rfc = NULL, *clean_req = NULL;
    expand(t, clean, WX_URI_RFC, &clean_rfc);
    wx_err clean_rc = expand(t, clean, WX_URI_REQUEST, &clean_req);
    if (clean_rc != req_rc)
        abort();
    if (req_rc == WX_OK) {
        if (count_char(req, '?') != count_char(clean_req, '?') ||
            count_char(req, '#') != count_char(clean_req, '#') || strchr(req, '\r') ||
            strchr(req, '\n'))
            abort();
        if (!clean_rfc || strcmp(clean_rfc, clean_req) != 0)
            abort();
    }
    wx_free(rfc);
    wx_free(req);
    wx_free(clean_rfc);
    wx_free(clean_req);
    json_object_put(clean);
    wx_uri_template_free(t);
done:
    json_object_put(vars);
    free(tmpl);
    return 0;
}
