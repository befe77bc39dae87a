/* End-to-end: the seed request signed, sent to the sandbox on loopback, its answer
 * verified. One in flight (the sync verb), 16 in flight on one thread, and one client
 * shared by two threads with 16 in flight each. Every phase gives requests per second
 * and the client's CPU per request (getrusage of this process; the sandbox is another
 * process), each as a ratio to one raw RSA-2048 sign of the backend library measured
 * in the same run: a signature is what a request cannot do without. The machine is
 * shared and the sandbox's own signing competes for its cores, so CPU per request is
 * the figure that says what the library costs; requests per second say what it gave. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define GROUP "e2e"
#define WINDOW 16

static const char k_message[] = "POST\n/v3/industry-coupon/tokens\n1700000000\n"
                                "593BEC0C930BF1AFEB40B4A08C8FB242\n" BENCH_SEED_BODY "\n";

/* ------------------------------------------------------------------ raw sign rate */

typedef struct raw_job {
    const char *key_path;
    double seconds;
    double rate;      /* signatures per second of wall time */
    double cpu_s;     /* CPU seconds per signature */
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
    double wall_ns = 0, cpu_ns = 0;
    if (k)
        bench_measure(raw_loop, k, j->seconds, &wall_ns, &cpu_ns);
    j->rate = k ? 1e9 / wall_ns : 0;
    j->cpu_s = cpu_ns / 1e9;
    bench_raw_free(k);
    return NULL;
}

/* Signatures per second of `threads` threads together, each with its own key copy;
 * *cpu_s (if not NULL) gets the CPU time of one signature on one thread. */
static double raw_sign_rate(const char *key_path, int threads, double seconds, double *cpu_s)
{
    raw_job jobs[2] = {{key_path, seconds, 0, 0, NULL}, {key_path, seconds, 0, 0, NULL}};
    if (threads == 1) {
        raw_thread(&jobs[0]);
        if (cpu_s)
            *cpu_s = jobs[0].cpu_s;
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
    double client_cpu, sandbox_cpu, wall; /* seconds over the phase */
    double requests;
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
    double sb0 = bench_sandbox_cpu(ctx->sandbox), cpu0 = bench_rusage_cpu(), t0 = bench_now();
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
    p->client_cpu = bench_rusage_cpu() - cpu0;
    p->sandbox_cpu = bench_sandbox_cpu(ctx->sandbox) - sb0;
    p->requests = (double)done;
    p->rps = (double)done / p->wall;
}

/* One phase's rows: rate, CPU per request, each against one raw sign. */
static void record_phase(const char *label, const phase *p, double raw_rate, double raw_cpu,
                         double cpu_target)
{
    char name[128];
    double cpu = p->requests > 0 ? p->client_cpu / p->requests : 0;
    snprintf(name, sizeof name, "%s: requests/s", label);
    bench_record(GROUP, name, p->rps, "1/s", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: requests/s / raw sign rate", label);
    bench_record(GROUP, name, p->rps / raw_rate, "x", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: client CPU per request", label);
    bench_record(GROUP, name, cpu * 1e6, "us", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: client CPU per request / raw sign CPU", label);
    bench_record(GROUP, name, cpu / raw_cpu, "x", BENCH_LE, cpu_target);
    snprintf(name, sizeof name, "%s: sandbox CPU / client CPU", label);
    bench_record(GROUP, name, p->client_cpu > 0 ? p->sandbox_cpu / p->client_cpu : 0, "x",
                 BENCH_INFO, 0);
}

void bench_group_e2e(const bench_ctx *ctx)
{
    wx_client_t *c = bench_sandbox_client(ctx->sandbox);
    if (!c)
        return;
    bench_load warm;
    bench_load_run(c, WINDOW, 0, 200, NULL, &warm); /* connections, nodes, spec, caches */

    const char *key = ctx->sandbox->key_path;
    double cpu_a = 0, cpu_b = 0;
    double raw1 = raw_sign_rate(key, 1, ctx->seconds / 2, &cpu_a);
    phase seq, one, two;
    run_phase(ctx, c, 1, 0, &seq);
    run_phase(ctx, c, 1, WINDOW, &one);
    run_phase(ctx, c, 2, WINDOW, &two);
    raw1 = (raw1 + raw_sign_rate(key, 1, ctx->seconds / 2, &cpu_b)) / 2;
    double raw_cpu = (cpu_a + cpu_b) / 2;
    double raw2 = raw_sign_rate(key, 2, ctx->seconds / 2, NULL);

    /* The sign is a larger share of a request on mbedTLS, whose sign is slower. */
    int openssl = !strcmp(wx_crypto_backend(), "openssl");
    bench_record(GROUP, "raw sign/s, 1 thread (backend called directly)", raw1, "1/s",
                 BENCH_INFO, 0);
    bench_record(GROUP, "raw sign CPU time", raw_cpu * 1e6, "us", BENCH_INFO, 0);
    record_phase("1 in flight", &seq, raw1, raw_cpu, openssl ? 1.35 : 1.2);
    record_phase("16 in flight", &one, raw1, raw_cpu, 1.2);
    record_phase("2 threads x 16 in flight", &two, raw1, raw_cpu, 1.2);
    bench_record(GROUP, "2 threads / 1 thread (16 in flight each)", two.rps / one.rps, "x",
                 BENCH_GE, 1.8);
    bench_record(GROUP, "raw sign/s, 2 threads", raw2, "1/s", BENCH_INFO, 0);
    bench_record(GROUP, "raw sign 2 threads / 1 thread (what the machine gives)", raw2 / raw1,
                 "x", BENCH_INFO, 0);
    /* The library's own scaling, with the machine's share of a second core divided out. */
    bench_record(GROUP, "2-thread scaling / raw 2-thread scaling",
                 (two.rps / one.rps) / (raw2 / raw1), "x", BENCH_INFO, 0);
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
