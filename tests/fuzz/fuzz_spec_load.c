// Build from the checkout root (one line; needs clang and libclang-rt-14-dev):
// cmake -DSPEC_DIR=spec -DOUT=/tmp/wx_builtin_specs.c -P cmake/embed_specs.cmake && clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DWX_HAVE_YAML=1 tests/fuzz/fuzz_spec_load.c src/util/*.c src/spec/*.c /tmp/wx_builtin_specs.c $(pkg-config --cflags --libs json-c yaml-0.1) -lpthread -lm -o fuzz_spec_load
// Run: ./fuzz_spec_load -max_total_time=60 tests/fuzz/corpus/spec_load

/* libFuzzer target for the spec loader (src/spec): the input is one spec file.
 *
 * The first byte picks the syntax (even: YAML, odd: JSON) and the rest is the file,
 * loaded as v3/x/{id}.yaml or .json next to a small definitions file that $refs can
 * reach. Checked on every input:
 * - wx_spec_find gives WX_OK, WX_E_SPEC (with a file in err.where) or WX_E_NOT_FOUND;
 * - for an endpoint found, the example request, inputs and response can be built and
 *   validated, and validation gives WX_OK or WX_E_VALIDATION with non-empty paths and
 *   reasons;
 * - lint counts agree with a second lint, and segment questions answer 0, 1 or 2;
 * - nothing leaks (ASan) and nothing crashes.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/spec.h>
#include <wechatpay/sys/spec.h>

#include "spec/builtin.h"
#include "spec/spec_internal.h"

static const char k_defs[] =
    "Amount:\n  type: object\n  required: [total]\n  properties:\n"
    "    total: {type: integer, minimum: 1}\n    currency: {type: string, enum: [CNY]}\n"
    "Name: {type: string, maxLength: 8, pattern: '^[a-z]+$'}\n";

static void check_violations(wx_err rc, wx_violations_t *v)
{
    if (rc != WX_OK && rc != WX_E_VALIDATION)
        abort();
    if ((rc == WX_OK) != (wx_violations_count(v) == 0))
        abort();
    for (size_t i = 0; i < wx_violations_count(v); i++) {
        const wx_violation_t *x = wx_violations_at(v, i);
        if (!x->path[0] || !x->reason[0])
            abort();
    }
    wx_violations_free(v);
}

static void exercise(const wx_endpoint_t *ep, json_object *vars)
{
    json_object *body = NULL, *pv = NULL, *q = NULL, *h = NULL;
    if (wx_endpoint_example_request(ep, &body, NULL) != WX_OK)
        return;
    if (wx_endpoint_example_inputs(ep, &pv, &q, &h, NULL) == WX_OK) {
        wx_kv_t qkv[9], hkv[9];
        size_t nq = 0, nh = 0;
        json_object_object_foreach(q, qk, qv)
        {
            if (nq < 8)
                qkv[nq++] = (wx_kv_t){qk, json_object_get_string(qv)};
        }
        json_object_object_foreach(h, hk, hv)
        {
            if (nh < 8)
                hkv[nh++] = (wx_kv_t){hk, json_object_get_string(hv)};
        }
        qkv[nq] = (wx_kv_t){NULL, NULL};
        hkv[nh] = (wx_kv_t){NULL, NULL};
        wx_request_view_t rv = {vars ? vars : pv, qkv, hkv, body, body != NULL};
        wx_violations_t *v = NULL;
        /* The call first, then v: argument evaluation order is unspecified. */
        wx_err rc = wx_endpoint_validate_request(ep, &rv, &v);
        check_violations(rc, v);
        /* The same request with no inputs at all. */
        wx_request_view_t empty = {NULL, NULL, NULL, NULL, 0};
        v = NULL;
        rc = wx_endpoint_validate_request(ep, &empty, &v);
        check_violations(rc, v);
    }
    json_object_put(pv);
    json_object_put(q);
    json_object_put(h);
    json_object_put(body);
    int status = 0;
    body = NULL;
    if (wx_endpoint_example_response(ep, &status, &body, NULL) == WX_OK) {
        wx_violations_t *v = NULL;
        wx_err rc = wx_endpoint_validate_response(ep, status, body, &v);
        check_violations(rc, v);
    }
    json_object_put(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int yaml = (data[0] & 1) == 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    wx_builtin_spec_t table[] = {
        {"definitions/Common.yaml", k_defs, sizeof k_defs - 1},
        {yaml ? "v3/x/{id}.yaml" : "v3/x/{id}.json", text, size - 1},
        {NULL, NULL, 0},
    };
    wx_spec_t *s = NULL;
    if (wx_spec_test_new_table(table, &s, NULL) != WX_OK)
        abort();
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    for (int m = 0; m < 4; m++) {
        const wx_endpoint_t *ep = NULL;
        json_object *vars = NULL;
        wx_error_t err;
        memset(&err, 0, sizeof err);
        wx_err rc = wx_spec_find(s, methods[m], "/v3/x/42", &ep, &vars, &err);
        if (rc == WX_OK)
            exercise(ep, vars);
        else if (rc == WX_E_SPEC && !strstr(err.where, "<memory>/"))
            abort();
        else if (rc != WX_E_SPEC && rc != WX_E_NOT_FOUND)
            abort();
        json_object_put(vars);
    }
    int k = wx_spec_segment_kind(s, "v3/x", "42");
    if (k < 0 || k > 2)
        abort();
    size_t e1, r1, e2, r2;
    wx_spec_lint(s, NULL, NULL, &e1, &r1);
    wx_spec_lint(s, NULL, NULL, &e2, &r2);
    if (e1 != e2 || r1 != r2)
        abort();
    wx_spec_free(s);
    free(text);
    return 0;
}
