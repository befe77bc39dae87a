/* Memory: library heap per in-flight request (the counting allocator), process heap
 * per in-flight request (malloc's own count, which also sees libcurl and json-c), RSS
 * before and after 10,000 requests, and the peak RSS of `wxpay bench` with 64 in
 * flight. Run once: these are sizes, not rates. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "alloc_counter.h"
#include "bench.h"

#define GROUP "memory"
#define WINDOW 64

static size_t g_malloc_base, g_malloc_peak;

static void sample_malloc(void)
{
    struct mallinfo2 mi = mallinfo2();
    if (mi.uordblks > g_malloc_peak)
        g_malloc_peak = mi.uordblks;
}

static void wxpay_bench_rss(const bench_ctx *ctx)
{
    char body[320], out[4096];
    snprintf(body, sizeof body, "@%s", ctx->sandbox->body_path);
    char *argv[] = {(char *)ctx->wxpay, "bench", "-n", "3000", "--concurrency", "64", "-c",
                    ctx->sandbox->config, "--base-url", ctx->sandbox->base_url, "--json", body,
                    "POST", BENCH_SEED_PATH, NULL};
    long maxrss = 0;
    int rc = bench_run_child(argv, out, sizeof out, &maxrss);
    bench_record(GROUP, "wxpay bench -n 3000 --concurrency 64: peak RSS (VmHWM)",
                 (double)maxrss / 1024.0, "MiB", BENCH_LT, 16);
    char *last = out + strlen(out);
    while (last > out && last[-1] == '\n')
        *--last = 0;
    while (last > out && last[-1] != '\n')
        last--;
    double rps = 0;
    const char *r = strstr(last, "rps=");
    if (r)
        sscanf(r, "rps=%lf", &rps);
    bench_record(GROUP, "wxpay bench -n 3000 --concurrency 64: requests/s", rps, "1/s",
                 BENCH_INFO, 0);
    if (rc != 0)
        bench_note("memory: wxpay bench exited %d: %s", rc, last);
}

void bench_group_memory(const bench_ctx *ctx)
{
    wx_client_t *c = bench_sandbox_client(ctx->sandbox);
    if (!c)
        return;
    bench_load warm, load, big;
    bench_load_run(c, WINDOW, 0, 500, NULL, &warm);

    /* Heap held while 64 requests are in flight, over what a warm idle client holds. */
    size_t lib_base = wxt_alloc_bytes();
    wxt_alloc_reset_peak();
    g_malloc_base = g_malloc_peak = mallinfo2().uordblks;
    bench_load_run(c, WINDOW, 0, 2000, sample_malloc, &load);
    bench_record(GROUP, "library heap per in-flight request (64 in flight)",
                 (double)(wxt_alloc_peak() - lib_base) / WINDOW / 1024.0, "KiB", BENCH_LE, 32);
    bench_record(GROUP, "process heap per in-flight request (info: +curl, json-c)",
                 (double)(g_malloc_peak - g_malloc_base) / WINDOW / 1024.0, "KiB", BENCH_INFO, 0);

    /* Growth over 10,000 more requests, after the warm-up above. */
    long rss0 = bench_rss_kib();
    size_t heap0 = wxt_alloc_bytes();
    bench_load_run(c, WINDOW, 0, 10000, NULL, &big);
    long rss1 = bench_rss_kib();
    bench_record(GROUP, "RSS before 10,000 requests", (double)rss0 / 1024.0, "MiB", BENCH_INFO, 0);
    bench_record(GROUP, "RSS after 10,000 requests", (double)rss1 / 1024.0, "MiB", BENCH_INFO, 0);
    bench_record(GROUP, "RSS growth over 10,000 requests", (double)(rss1 - rss0) / 1024.0, "MiB",
                 BENCH_LT, 1);
    bench_record(GROUP, "library heap growth over 10,000 requests",
                 (double)wxt_alloc_bytes() - (double)heap0, "bytes", BENCH_INFO, 0);
    bench_record(GROUP, "failed requests", (double)(warm.failed + load.failed + big.failed), "",
                 BENCH_LE, 0);
    if (warm.failed + load.failed + big.failed)
        bench_note("memory: first failure: %s",
                   warm.first_error[0] ? warm.first_error
                   : load.first_error[0] ? load.first_error : big.first_error);
    wx_client_free(c);

    wxpay_bench_rss(ctx);
    bench_record(GROUP, "this benchmark's own peak RSS (VmHWM)", (double)bench_hwm_kib() / 1024.0,
                 "MiB", BENCH_INFO, 0);
}
