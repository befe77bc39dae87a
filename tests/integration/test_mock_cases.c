/* The data-driven sandbox cases: each tests/data/mock/NAME.json states a request
 * (method, target, headers, body, how to sign it) and the answer it must get (status,
 * error code, violation paths, headers, whether the signature verifies). Adding a case
 * is adding a file; see tests/data/mock/README.md. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_mock_client.h"
#include "testutil.h"

static struct json_object *member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *member_str(struct json_object *o, const char *key, const char *dflt)
{
    struct json_object *v = member(o, key);
    return v ? json_object_get_string(v) : dflt;
}

static void run_case(void **state)
{
    const char *path = *state;
    struct json_object *c = json_object_from_file(path);
    if (!c)
        fail_msg("%s: not JSON", path);
    struct json_object *req = member(c, "request"), *exp = member(c, "expect");
    if (!req || !exp)
        fail_msg("%s: needs \"request\" and \"expect\"", path);
    const char *method = member_str(req, "method", "GET");
    const char *target = member_str(req, "target", NULL);
    assert_non_null(target);

    /* the body: "json" (sent compactly) or "body" (sent as written) */
    const char *body = member_str(req, "body", NULL);
    struct json_object *json = member(req, "json");
    if (json)
        body = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE);

    /* headers: an object of name -> value */
    const char *extra[32];
    char *lines[32];
    int n = 0;
    struct json_object *headers = member(req, "headers");
    if (headers) {
        json_object_object_foreach(headers, hk, hv) {
            assert_true(n < 31);
            assert_true(asprintf(&lines[n], "%s: %s", hk, json_object_get_string(hv)) > 0);
            extra[n] = lines[n];
            n++;
        }
    }
    extra[n] = NULL;

    /* auth: "signed" (default), "none", or a literal Authorization value */
    const char *auth_mode = member_str(req, "auth", "signed");
    char *auth = NULL;
    if (!strcmp(auth_mode, "signed")) {
        struct json_object *so = member(req, "sign");
        sign_opts o = {
            .mchid = member_str(so, "mchid", NULL),
            .serial = member_str(so, "serial", NULL),
            .skew = member(so, "skew") ? (long)json_object_get_int64(member(so, "skew")) : 0,
            .signed_body = member_str(so, "signed_body", NULL),
        };
        const char *signed_target = member_str(so, "target", target);
        auth = authorization(member_str(so, "method", method), signed_target, body, &o);
    } else if (strcmp(auth_mode, "none") != 0) {
        assert_true(asprintf(&auth, "Authorization: %s", auth_mode) > 0);
    }

    reply r;
    send_raw(M.base_url, method, target, body, auth, extra, NULL, &r);

    struct json_object *ce = member(exp, "curl_error");
    if (ce) {
        if (r.curl != (CURLcode)json_object_get_int(ce))
            fail_msg("%s: libcurl result %d, expected %d", path, r.curl, json_object_get_int(ce));
    } else if (r.curl != CURLE_OK) {
        fail_msg("%s: %s", path, curl_easy_strerror(r.curl));
    }
    if (member(exp, "status") && r.status != json_object_get_int(member(exp, "status")))
        fail_msg("%s: status %ld, expected %d; body %s", path, r.status,
                 json_object_get_int(member(exp, "status")), r.body ? r.body : "");

    /* "signature": "valid" (default for a response), "invalid", "absent", "any" */
    const char *sig = member_str(exp, "signature", ce ? "any" : "valid");
    if (!strcmp(sig, "valid"))
        assert_verified(&r);
    else if (!strcmp(sig, "invalid"))
        assert_int_equal(verify_with(&r, K.platform), WX_E_VERIFY_SIGNATURE);
    else if (!strcmp(sig, "absent"))
        assert_null(hdr(&r, "Wechatpay-Signature"));

    struct json_object *body_json_v = NULL;
    if (member(exp, "code") || member(exp, "violations") || member(exp, "detail_location") ||
        member(exp, "json_keys")) {
        body_json_v = body_json(&r);
        if (member(exp, "code") &&
            strcmp(member_str(body_json_v, "code", ""), member_str(exp, "code", "")) != 0)
            fail_msg("%s: code %s, expected %s", path, member_str(body_json_v, "code", "(none)"),
                     member_str(exp, "code", ""));
    }
    struct json_object *detail = member(body_json_v, "detail");
    if (member(exp, "detail_location"))
        assert_string_equal(member_str(detail, "location", ""),
                            member_str(exp, "detail_location", ""));
    struct json_object *viol = member(exp, "violations");
    for (size_t i = 0; viol && i < json_object_array_length(viol); i++) {
        const char *want = json_object_get_string(json_object_array_get_idx(viol, i));
        if (!has_violation(detail, want))
            fail_msg("%s: no violation at %s in %s", path, want, r.body);
    }
    struct json_object *keys_v = member(exp, "json_keys");
    for (size_t i = 0; keys_v && i < json_object_array_length(keys_v); i++) {
        const char *k = json_object_get_string(json_object_array_get_idx(keys_v, i));
        if (!member(body_json_v, k))
            fail_msg("%s: answer has no \"%s\": %s", path, k, r.body);
    }
    struct json_object *contains = member(exp, "body_contains");
    for (size_t i = 0; contains && i < json_object_array_length(contains); i++) {
        const char *want = json_object_get_string(json_object_array_get_idx(contains, i));
        if (!r.body || !strstr(r.body, want))
            fail_msg("%s: body lacks '%s': %s", path, want, r.body ? r.body : "");
    }
    struct json_object *absent = member(exp, "headers_absent");
    for (size_t i = 0; absent && i < json_object_array_length(absent); i++) {
        const char *h = json_object_get_string(json_object_array_get_idx(absent, i));
        if (hdr(&r, h))
            fail_msg("%s: header %s present", path, h);
    }

    json_object_put(body_json_v);
    reply_free(&r);
    free(auth);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    json_object_put(c);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    DIR *d = opendir(WX_MOCK_CASES);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", WX_MOCK_CASES);
        return 1;
    }
    char *names[256];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
            names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], by_name);
    struct CMUnitTest *tests = calloc(count ? count : 1, sizeof *tests);
    char **paths = calloc(count ? count : 1, sizeof *paths);
    for (size_t i = 0; i < count; i++) {
        paths[i] = wxt_path(WX_MOCK_CASES, names[i]);
        tests[i].name = names[i];
        tests[i].test_func = run_case;
        tests[i].initial_state = paths[i];
    }
    int failed = count ? _cmocka_run_group_tests("mock_cases", tests, count, test_mock_group_setup,
                                                 test_mock_group_teardown)
                       : 1;
    for (size_t i = 0; i < count; i++) {
        free(paths[i]);
        free(names[i]);
    }
    free(paths);
    free(tests);
    return failed;
}
