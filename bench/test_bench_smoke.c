/* `wxpay bench` against the sandbox: the summary line's exact form and counts, the exit
 * code when responses fail verification, and usage errors. Functional, not timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define SEED_BODY "{\"open_id\":\"o1\",\"coupon_list\":[{\"stock_id\":1,\"coupon_id\":\"c1\"}]}"

typedef struct summary {
    unsigned long long requests, ok, failed;
    double seconds, rps;
} summary;

/* The last line of stdout, which must be exactly the summary. */
static void parse_last_line(const char *out, summary *s)
{
    size_t len = strlen(out);
    assert_true(len > 0);
    assert_int_equal(out[len - 1], '\n');
    const char *end = out + len - 1, *line = end;
    while (line > out && line[-1] != '\n')
        line--;
    char text[256];
    assert_true((size_t)(end - line) < sizeof text);
    memcpy(text, line, (size_t)(end - line));
    text[end - line] = 0;
    int used = -1;
    int n = sscanf(text, "requests=%llu ok=%llu failed=%llu seconds=%lf rps=%lf%n", &s->requests,
                   &s->ok, &s->failed, &s->seconds, &s->rps, &used);
    if (n != 5 || used != (int)strlen(text))
        fail_msg("last line is not the summary: \"%s\"", text);
    /* Only digits and one '.' in the numbers, as written. */
    for (const char *p = text; *p; p++)
        assert_true(strchr("abcdefghijklmnopqrstuvwxyz=. 0123456789", *p) != NULL);
}

/* WX_CLI_WRAPPER="/usr/bin/valgrind -q --error-exitcode=99 --leak-check=full" runs the
 * tool under that command (split at spaces), as the CLI tests do. */
static int add_wrapper(const char **argv, char *buf, size_t size)
{
    const char *w = getenv("WX_CLI_WRAPPER");
    int n = 0;
    if (!w || !*w)
        return 0;
    snprintf(buf, size, "%s", w);
    for (char *t = strtok(buf, " "); t && n < 8; t = strtok(NULL, " "))
        argv[n++] = t;
    return n;
}

static int run_bench(const wxt_mock *m, const char *const *extra, char **out, char **err)
{
    const char *argv[40];
    char wrapper[256];
    int n = add_wrapper(argv, wrapper, sizeof wrapper);
    argv[n++] = WXPAY_BIN;
    argv[n++] = "bench";
    for (int i = 0; extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = "-c";
    argv[n++] = m->config;
    argv[n++] = "--base-url";
    argv[n++] = m->base_url;
    argv[n++] = "--json";
    argv[n++] = SEED_BODY;
    argv[n++] = "POST";
    argv[n++] = "v3/industry-coupon/tokens";
    argv[n] = NULL;
    return wxt_run((char *const *)argv, NULL, 0, out, err);
}

static void fifty_with_eight_in_flight(void **state)
{
    (void)state;
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    char *out = NULL, *err = NULL;
    const char *extra[] = {"-n", "50", "--concurrency", "8", NULL};
    int rc = run_bench(&m, extra, &out, &err);
    if (rc != 0)
        fail_msg("wxpay bench exited %d: %s%s", rc, out, err);
    summary s;
    parse_last_line(out, &s);
    assert_int_equal(s.requests, 50);
    assert_int_equal(s.ok, 50);
    assert_int_equal(s.failed, 0);
    assert_true(s.seconds > 0);
    assert_true(s.rps > 0);
    assert_non_null(strstr(out, "p50="));
    assert_non_null(strstr(out, "p99="));
    /* Fifty signed and verified requests cost the client some CPU. */
    const char *cpu_line = strstr(out, "\nclient cpu: ");
    double cpu_us = 0;
    assert_non_null(cpu_line);
    assert_int_equal(sscanf(cpu_line, "\nclient cpu: %lf us per request", &cpu_us), 1);
    assert_true(cpu_us > 0);
    free(out);
    free(err);
    wxt_mock_stop(&m);
}

static void two_threads_share_the_requests(void **state)
{
    (void)state;
    wxt_mock m;
    wxt_mock_start(&m, NULL);
    char *out = NULL, *err = NULL;
    const char *extra[] = {"-n", "31", "--concurrency", "4", "--threads", "2", NULL};
    int rc = run_bench(&m, extra, &out, &err);
    if (rc != 0)
        fail_msg("wxpay bench exited %d: %s%s", rc, out, err);
    summary s;
    parse_last_line(out, &s);
    assert_int_equal(s.requests, 31);
    assert_int_equal(s.ok, 31);
    free(out);
    free(err);
    wxt_mock_stop(&m);
}

static void forged_answers_fail(void **state)
{
    (void)state;
    wxt_mock m;
    const char *fault[] = {"--fault", "bad-signature", NULL};
    wxt_mock_start(&m, fault);
    char *out = NULL, *err = NULL;
    const char *extra[] = {"-n", "10", "--concurrency", "3", NULL};
    int rc = run_bench(&m, extra, &out, &err);
    assert_int_equal(rc, 1);
    summary s;
    parse_last_line(out, &s);
    assert_int_equal(s.requests, 10);
    assert_int_equal(s.ok, 0);
    assert_int_equal(s.failed, 10);
    assert_non_null(strstr(err, "WX_E_VERIFY_SIGNATURE"));
    free(out);
    free(err);
    wxt_mock_stop(&m);
}

static void usage_errors(void **state)
{
    (void)state;
    const char *cases[][4] = {
        {"--concurrency", "0", "POST", "v3/x"},
        {"-n", "ten", "POST", "v3/x"},
        {"--threads", "2", "FETCH", "v3/x"},
        {"-n", "5", "POST", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16];
        char wrapper[256];
        int n = add_wrapper(argv, wrapper, sizeof wrapper);
        argv[n++] = WXPAY_BIN;
        argv[n++] = "bench";
        for (int k = 0; k < 4 && cases[i][k]; k++)
            argv[n++] = cases[i][k];
        argv[n] = NULL;
        char *out = NULL, *err = NULL;
        int rc = wxt_run((char *const *)argv, NULL, 0, &out, &err);
        if (rc != 2)
            fail_msg("case %zu: exit %d, expected 2: %s", i, rc, err);
        assert_non_null(strstr(err, "wxpay bench:"));
        free(out);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifty_with_eight_in_flight),
        cmocka_unit_test(two_threads_share_the_requests),
        cmocka_unit_test(forged_answers_fail),
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
