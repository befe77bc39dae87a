// Build from the checkout root (one line; needs clang and libclang-rt-14-dev):
// cmake -DSPEC_DIR=spec -DOUT=/tmp/wx_builtin_specs.c -P cmake/embed_specs.cmake && clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DWX_HAVE_YAML=1 tests/fuzz/fuzz_schema_validate.c src/util/*.c src/spec/*.c /tmp/wx_builtin_specs.c $(pkg-config --cflags --libs json-c yaml-0.1) -lpthread -lm -o fuzz_schema_validate
// Run: ./fuzz_schema_validate -max_total_time=60 tests/fuzz/corpus/spec_schema

/* libFuzzer target for wx_schema_validate (src/spec): a schema and an instance.
 *
 * Input: the schema as JSON text, a line "---", then the instance as JSON text (without
 * the separator the schema is validated against itself). Inputs that are not JSON are
 * skipped. Checked on every input:
 * - the result is WX_OK (no violations), WX_E_VALIDATION (at least one, each with a
 *   path and a reason) or WX_E_SPEC (no list, a message);
 * - validating twice gives the same violations in the same order.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/spec.h>

static json_object *parse(const char *text, size_t len, int *ok)
{
    json_tokener *tok = json_tokener_new();
    json_object *v = json_tokener_parse_ex(tok, text, (int)len + 1);
    *ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    return v;
}

static wx_err run(json_object *schema, json_object *instance, wx_violations_t **v)
{
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_schema_validate(schema, instance, v, &err);
    if (rc == WX_E_SPEC) {
        if (*v || !err.message[0])
            abort();
    } else if (rc == WX_OK) {
        if (wx_violations_count(*v) != 0)
            abort();
    } else if (rc == WX_E_VALIDATION) {
        if (wx_violations_count(*v) == 0)
            abort();
        for (size_t i = 0; i < wx_violations_count(*v); i++) {
            const wx_violation_t *x = wx_violations_at(*v, i);
            if (!x->path[0] || !x->reason[0])
                abort();
        }
    } else {
        abort();
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    if (strlen(text) != size) {
        free(text);
        return 0;
    }
    char *sep = strstr(text, "\n---\n");
    size_t slen = sep ? (size_t)(sep - text) : size;
    int ok1 = 1, ok2 = 1;
    if (sep)
        *sep = 0;
    json_object *schema = parse(text, slen, &ok1);
    json_object *instance = sep ? parse(sep + 5, strlen(sep + 5), &ok2) : json_object_get(schema);
    if (ok1 && ok2) {
        wx_violations_t *a = NULL, *b = NULL;
        wx_err r1 = run(schema, instance, &a);
        wx_err r2 = run(schema, instance, &b);
        if (r1 != r2 || wx_violations_count(a) != wx_violations_count(b))
            abort();
        for (size_t i = 0; i < wx_violations_count(a); i++)
            if (strcmp(wx_violations_at(a, i)->path, wx_violations_at(b, i)->path) != 0 ||
                strcmp(wx_violations_at(a, i)->reason, wx_violations_at(b, i)->reason) != 0)
                abort();
        wx_violations_free(a);
        wx_violations_free(b);
    }
    json_object_put(schema);
    json_object_put(instance);
    free(text);
    return 0;
}
