/* The stateful sandbox: orders created and queried through the library against a
 * `wxpay mock --state FILE` of its own. Every answer differs (its own ids, its own
 * order), so each costs the sandbox one RSA signature and a SQLite transaction; the
 * client signs and verifies each. Target: 1,000 operations a second on the OpenSSL build. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define GROUP "state"
#define THREADS 4
#define TARGET_OPS 1000.0

typedef struct job {
    const bench_sandbox *sb;
    int index, rep;
    double seconds;
    uint64_t ops, failed;
    char error[200];
} job;

static int ok(wx_response_t *r, job *j)
{
    int good = wx_response_err(r) == WX_OK;
    if (!good) {
        j->failed++;
        if (!j->error[0])
            snprintf(j->error, sizeof j->error, "%.190s", wx_response_error_detail(r)->message);
    } else {
        j->ops++;
    }
    wx_response_free(r);
    return good;
}

/* Create an order, then query it; until the time is up. */
static void *work(void *ud)
{
    job *j = ud;
    wx_client_t *c = bench_sandbox_client(j->sb);
    if (!c)
        return NULL;
    char body[512], otn[40];
    double end = bench_now() + j->seconds;
    for (uint64_t n = 0; bench_now() < end; n++) {
        snprintf(otn, sizeof otn, "bench_%d_%d_%llu", j->rep, j->index, (unsigned long long)n);
        snprintf(body, sizeof body,
                 "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"%s\",\"description\":\"bench\","
                 "\"out_trade_no\":\"%s\",\"notify_url\":\"https://127.0.0.1:9/notify\","
                 "\"amount\":{\"total\":%llu}}",
                 wx_client_mchid(c), otn, (unsigned long long)(n % 1000 + 1));
        if (!ok(wx_chain(c, "v3/pay/transactions/native")
                    ->post(&(wx_request_options_t){.json_text = body}), j))
            continue;
        ok(wx_chain(c, "v3/pay/transactions/out-trade-no/{out_trade_no}")
               ->get(&(wx_request_options_t){
                   .vars = (wx_kv_t[]){{"out_trade_no", otn}, {NULL, NULL}},
                   .query = (wx_kv_t[]){{"mchid", wx_client_mchid(c)}, {NULL, NULL}}}), j);
    }
    wx_client_free(c);
    return NULL;
}

void bench_group_state(const bench_ctx *ctx)
{
    bench_sandbox sb;
    if (bench_sandbox_start_state(&sb, ctx->sandbox, ctx->wxpay) != 0) {
        bench_sandbox_stop(&sb);
        return;
    }
    job jobs[THREADS];
    pthread_t tid[THREADS];
    double cpu0 = bench_sandbox_cpu(&sb), t0 = bench_now();
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){.sb = &sb, .index = i, .rep = ctx->rep, .seconds = ctx->seconds};
        pthread_create(&tid[i], NULL, work, &jobs[i]);
    }
    uint64_t ops = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        ops += jobs[i].ops;
        failed += jobs[i].failed;
        if (jobs[i].error[0] && ctx->rep == 0 && i == 0)
            bench_note("state: first failure: %s", jobs[i].error);
    }
    double wall = bench_now() - t0, cpu = bench_sandbox_cpu(&sb) - cpu0;
    bench_sandbox_stop(&sb);
    bench_record(GROUP, "--state: order create + query, 4 clients (ops/s)", (double)ops / wall,
                 "/s", BENCH_GE, TARGET_OPS);
    bench_record(GROUP, "--state: sandbox CPU per operation", ops ? cpu / (double)ops * 1e6 : 0,
                 "us", BENCH_INFO, 0);
    bench_record(GROUP, "--state: failed operations", (double)failed, "", BENCH_INFO, 0);
}
