/* Soak: WXPAY_SOAK_REQUESTS requests (default 2,000; CI and `make test-soak` run
 * 20,000) through one client against the sandbox, sync and async in batches, one in
 * ten a fault of the sandbox (each with its own expected error). After a warm-up of
 * a tenth of the run, resident memory (VmRSS in /proc/self/status) must not grow by
 * more than 2 MiB to the end, and open descriptors (/proc/self/fd, which follow the
 * connection pool up and down) must peak in the second half of the run no higher than
 * 2 over their peak in the first; once the client is freed, exactly the descriptors
 * open before it remain. Sanitizer builds (whose allocators keep freed memory on
 * purpose) check descriptors only. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define WX_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WX_UNDER_ASAN 1
#endif
#endif
#ifndef WX_UNDER_ASAN
#define WX_UNDER_ASAN 0
#endif

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"
#define BATCH 16
#define RSS_SLACK_KB 2048
#define FD_SLACK 2

static const struct {
    const char *fault;
    wx_err want;
} k_faults[] = {
    {"bad-signature", WX_E_VERIFY_SIGNATURE}, {"http-500", WX_E_HTTP},
    {"stale-timestamp", WX_E_VERIFY_TIME},    {"missing-headers", WX_E_VERIFY_HEADER},
    {"drop-connection", WX_E_TRANSPORT},      {"truncated-body", WX_E_TRANSPORT},
    {"unknown-serial", WX_E_VERIFY_SERIAL},
};
#define N_FAULTS (sizeof k_faults / sizeof k_faults[0])

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n - 1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct tally {
    long ok, faults, wrong;
} tally;

static void check(tally *t, const wx_response_t *r, int fault, long i)
{
    wx_err want = fault < 0 ? WX_OK : k_faults[fault].want;
    wx_err got = wx_response_err(r);
    /* a dropped reused connection: the POST is not resent, its outcome unknown */
    if (got != want && !(want == WX_E_TRANSPORT && got == WX_E_OUTCOME_UNKNOWN)) {
        t->wrong++;
        if (t->wrong <= 5)
            print_message("request %ld (%s): want %s, got %s: %s\n", i,
                          fault < 0 ? "good" : k_faults[fault].fault, wx_err_name(want),
                          wx_err_name(got), wx_response_error_detail(r)->message);
        return;
    }
    if (fault < 0)
        t->ok++;
    else
        t->faults++;
}

static void test_soak(void **state)
{
    const char *env = getenv("WXPAY_SOAK_REQUESTS");
    long total = env && atol(env) > 0 ? atol(env) : 2000;
    long warm = total / 10 < 200 ? 200 : total / 10;
    wxt_mock m;
    wxt_mock_start(&m, (const char *const[]){"--quiet", NULL});
    int fds_before = open_fds();
    wx_client_t *c = NULL;
    wx_client_options_t o = {.base_url = m.base_url, .timeout_ms = 10000};
    wx_error_t err = {0};
    if (wx_client_new_from_config(m.config, &o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);

    wx_kv_t fault_headers[N_FAULTS][2];
    wx_request_options_t good = {.json_text = SEED_BODY}, bad[N_FAULTS];
    for (size_t f = 0; f < N_FAULTS; f++) {
        fault_headers[f][0] = (wx_kv_t){"Wxpay-Mock-Fault", k_faults[f].fault};
        fault_headers[f][1] = (wx_kv_t){NULL, NULL};
        bad[f] = good;
        bad[f].headers = fault_headers[f];
    }

    tally t = {0, 0, 0};
    long warm_rss = 0, max_rss = 0;
    int warm_fds = 0, peak_first = 0, peak_second = 0;
    double t0 = now_s();
    long done = 0, next_report = total / 10;
    printf("soak: %ld requests, warm-up %ld, %s\n", total, warm,
           WX_UNDER_ASAN ? "descriptors only (ASan keeps freed memory)" : "RSS and descriptors");
    while (done < total) {
        long n = total - done < BATCH ? total - done : BATCH;
        int fault[BATCH];
        for (long k = 0; k < n; k++) {
            long i = done + k;
            fault[k] = i % 10 == 7 ? (int)((i / 10) % N_FAULTS) : -1;
        }
        if ((done / BATCH) % 4 == 3) {
            /* every fourth batch: sync, one at a time */
            for (long k = 0; k < n; k++) {
                wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")
                                       ->post(fault[k] < 0 ? &good : &bad[fault[k]]);
                check(&t, r, fault[k], done + k);
                wx_response_free(r);
            }
        } else {
            wx_future_t *fs[BATCH];
            for (long k = 0; k < n; k++)
                fs[k] = wx_chain(c, "v3/industry-coupon/tokens")
                            ->post_async(fault[k] < 0 ? &good : &bad[fault[k]]);
            for (long k = 0; k < n; k++) {
                wx_response_t *r = wx_future_wait(fs[k]);
                check(&t, r, fault[k], done + k);
                wx_response_free(r);
            }
        }
        done += n;
        if (done >= warm && !warm_rss) {
            warm_rss = rss_kb();
            warm_fds = open_fds();
            printf("  after %6ld: RSS %6ld kB, %d descriptors (warm-up level)\n", done, warm_rss,
                   warm_fds);
        } else if (warm_rss) {
            long rss = rss_kb();
            int fds = open_fds();
            if (rss > max_rss)
                max_rss = rss;
            int *peak = done <= total / 2 ? &peak_first : &peak_second;
            if (fds > *peak)
                *peak = fds;
            if (done >= next_report) {
                printf("  after %6ld: RSS %6ld kB, %d descriptors, %.0f req/s\n", done, rss, fds,
                       (double)done / (now_s() - t0));
                next_report += total / 10;
            }
        }
    }
    double secs = now_s() - t0;
    long end_rss = rss_kb();
    int end_fds = open_fds();
    printf("soak: %ld requests in %.1f s (%.0f/s): %ld ok, %ld faults as expected, %ld wrong; "
           "RSS %ld -> %ld kB (max %ld), descriptors %d -> %d (peak %d in the first half, "
           "%d in the second)\n",
           total, secs, (double)total / secs, t.ok, t.faults, t.wrong, warm_rss, end_rss, max_rss,
           warm_fds, end_fds, peak_first, peak_second);
    assert_int_equal(t.wrong, 0);
    assert_int_equal(t.ok + t.faults, total);
    if (peak_second > peak_first + FD_SLACK)
        fail_msg("descriptors grew: peak %d in the first half, %d in the second", peak_first,
                 peak_second);
    if (!WX_UNDER_ASAN && end_rss > warm_rss + RSS_SLACK_KB)
        fail_msg("RSS grew from %ld kB to %ld kB", warm_rss, end_rss);

    wx_client_free(c);
    if (open_fds() != fds_before)
        fail_msg("%d descriptors open before the client, %d after it was freed", fds_before,
                 open_fds());
    assert_int_equal(wxt_mock_stop(&m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
