/* End-to-end: the seed request signed, sent to the sandbox on loopback, its answer
 * verified. Sequential, 64 in flight on one thread, and one client shared by two
 * threads with 64 in flight each; every rate next to the raw RSA sign rate of the
 * backend library measured in the same run, since a signature is what a request
 * cannot do without. The sandbox's CPU use is read from /proc to show whether it,
 * rather than the client, sets the pace. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define GROUP "e2e"
#define WINDOW 64

static const char k_message[] = "POST\n/v3/industry-coupon/tokens\n1700000000\n"
                                "593BEC0C930BF1AFEB40B4A08C8FB242\n" BENCH_SEED_BODY "\n";

/* ------------------------------------------------------------------ raw sign rate */

typedef struct raw_job {
    const char *key_path;
    double seconds;
    double rate;
    pthread_barrier_t *start;
} raw_job;

static void raw_loop(void *ud, uint64_t n)
{
    bench_raw_rsa *k = ud;
    unsigned char sig[1024];
    for (uint64_t i = 0; i < n; i++) {
        size_t len = sizeof sig;
        bench_raw_sign(k, k_message, sizeof k_message - 1, sig, &len);
    }
}

static void *raw_thread(void *ud)
{
    raw_job *j = ud;
    bench_raw_rsa *k = bench_raw_load(j->key_path);
    if (j->start)
        pthread_barrier_wait(j->start);
    j->rate = k ? 1e9 / bench_ns_per_op(raw_loop, k, j->seconds) : 0;
    bench_raw_free(k);
    return NULL;
}

/* Signatures per second of `threads` threads together, each with its own key copy. */
static double raw_sign_rate(const char *key_path, int threads, double seconds)
{
    raw_job jobs[2] = {{key_path, seconds, 0, NULL}, {key_path, seconds, 0, NULL}};
    if (threads == 1) {
        raw_thread(&jobs[0]);
        return jobs[0].rate;
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    pthread_t tid;
    jobs[0].start = jobs[1].start = &start;
    pthread_create(&tid, NULL, raw_thread, &jobs[1]);
    raw_thread(&jobs[0]);
    pthread_join(tid, NULL);
    pthread_barrier_destroy(&start);
    return jobs[0].rate + jobs[1].rate;
}

/* ------------------------------------------------------------------ load phases */

typedef struct phase {
    double rps;
    double client_cpu, sandbox_cpu, wall;
    uint64_t failed;
    char first_error[200];
} phase;

typedef struct thread_job {
    wx_client_t *client;
    double seconds;
    bench_load out;
    pthread_barrier_t *start;
} thread_job;

static void *load_thread(void *ud)
{
    thread_job *j = ud;
    pthread_barrier_wait(j->start);
    bench_load_run(j->client, WINDOW, j->seconds, 0, NULL, &j->out);
    return NULL;
}

/* One phase: `threads` threads on one client, each with `window` in flight (0 for
 * sequential). */
static void run_phase(const bench_ctx *ctx, wx_client_t *c, int threads, int window, phase *p)
{
    memset(p, 0, sizeof *p);
    double sb0 = bench_sandbox_cpu(ctx->sandbox), cpu0 = bench_cpu_process(), t0 = bench_now();
    uint64_t done = 0;
    if (threads == 1) {
        bench_load out;
        bench_load_run(c, window, ctx->seconds, 0, NULL, &out);
        done = out.ok + out.failed;
        p->failed = out.failed;
        memcpy(p->first_error, out.first_error, sizeof p->first_error);
    } else {
        thread_job jobs[2];
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        pthread_t tid;
        for (int i = 0; i < 2; i++)
            jobs[i] = (thread_job){c, ctx->seconds, {0}, &start};
        pthread_create(&tid, NULL, load_thread, &jobs[1]);
        load_thread(&jobs[0]);
        pthread_join(tid, NULL);
        pthread_barrier_destroy(&start);
        for (int i = 0; i < 2; i++) {
            done += jobs[i].out.ok + jobs[i].out.failed;
            p->failed += jobs[i].out.failed;
            if (!p->first_error[0])
                memcpy(p->first_error, jobs[i].out.first_error, sizeof p->first_error);
        }
    }
    p->wall = bench_now() - t0;
    p->client_cpu = bench_cpu_process() - cpu0;
    p->sandbox_cpu = bench_sandbox_cpu(ctx->sandbox) - sb0;
    p->rps = (double)done / p->wall;
}

void bench_group_e2e(const bench_ctx *ctx)
{
    wx_client_t *c = bench_sandbox_client(ctx->sandbox);
    if (!c)
        return;
    bench_load warm;
    bench_load_run(c, WINDOW, 0, 200, NULL, &warm); /* connections, nodes, spec, caches */

    double raw1 = raw_sign_rate(ctx->sandbox->key_path, 1, ctx->seconds / 2);
    phase seq, one, two;
    run_phase(ctx, c, 1, 0, &seq);
    run_phase(ctx, c, 1, WINDOW, &one);
    run_phase(ctx, c, 2, WINDOW, &two);
    raw1 = (raw1 + raw_sign_rate(ctx->sandbox->key_path, 1, ctx->seconds / 2)) / 2;
    double raw2 = raw_sign_rate(ctx->sandbox->key_path, 2, ctx->seconds / 2);

    bench_record(GROUP, "raw sign/s, 1 thread (backend called directly)", raw1, "1/s",
                 BENCH_INFO, 0);
    bench_record(GROUP, "sequential: requests/s", seq.rps, "1/s", BENCH_INFO, 0);
    bench_record(GROUP, "sequential / raw sign rate", seq.rps / raw1, "x", BENCH_GE, 0.9);
    /* One at a time, the client also waits while the sandbox works on each request. */
    double seq_n = seq.rps * seq.wall;
    bench_record(GROUP, "sequential: raw sign time / (client + sandbox CPU) per request",
                 1.0 / raw1 / ((seq.client_cpu + seq.sandbox_cpu) / seq_n), "x", BENCH_INFO, 0);
    bench_record(GROUP, "64 in flight, 1 thread: requests/s", one.rps, "1/s", BENCH_INFO, 0);
    bench_record(GROUP, "64 in flight / raw sign rate", one.rps / raw1, "x", BENCH_GE, 0.9);
    bench_record(GROUP, "2 threads x 64 in flight, one client: requests/s", two.rps, "1/s",
                 BENCH_INFO, 0);
    bench_record(GROUP, "2 threads / 1 thread (64 in flight each)", two.rps / one.rps, "x",
                 BENCH_GE, 1.7);
    bench_record(GROUP, "raw sign/s, 2 threads", raw2, "1/s", BENCH_INFO, 0);
    bench_record(GROUP, "raw sign 2 threads / 1 thread (what the machine gives)", raw2 / raw1,
                 "x", BENCH_INFO, 0);
    /* The library's own scaling, with the machine's share of a second core divided out. */
    bench_record(GROUP, "2-thread scaling / raw 2-thread scaling", (two.rps / one.rps) / (raw2 / raw1),
                 "x", BENCH_INFO, 0);
    double cpu_per_req = one.client_cpu / (one.rps * one.wall);
    bench_record(GROUP, "client CPU per request, 64 in flight", cpu_per_req * 1e6, "us",
                 BENCH_INFO, 0);
    /* What the rate ratio would be on a core of its own: the sign's share of the
       client's CPU per request (the rest is verify, HTTP, JSON, the pipeline). */
    bench_record(GROUP, "raw sign time / client CPU per request (ceiling)",
                 1.0 / raw1 / cpu_per_req, "x", BENCH_INFO, 0);
    bench_record(GROUP, "sandbox CPU per request, 64 in flight",
                 one.sandbox_cpu / (one.rps * one.wall) * 1e6, "us", BENCH_INFO, 0);
    bench_record(GROUP, "sandbox CPU / client CPU, 64 in flight", one.sandbox_cpu / one.client_cpu,
                 "x", BENCH_LT, 1);
    bench_record(GROUP, "sandbox CPU / client CPU, 2 threads", two.sandbox_cpu / two.client_cpu,
                 "x", BENCH_LT, 1);
    bench_record(GROUP, "client cores busy, 2 threads", two.client_cpu / two.wall, "cores",
                 BENCH_INFO, 0);
    bench_record(GROUP, "failed requests", (double)(warm.failed + seq.failed + one.failed + two.failed),
                 "", BENCH_LE, 0);
    const char *why = warm.first_error[0] ? warm.first_error
                      : seq.first_error[0] ? seq.first_error
                      : one.first_error[0] ? one.first_error : two.first_error;
    if (*why)
        bench_note("e2e: first failure: %s", why);
    wx_client_free(c);
}
