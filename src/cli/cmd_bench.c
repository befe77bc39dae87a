/* wxpay bench: a load generator for one's own integration. N signed requests, each
 * response verified, with C in flight per thread (async futures on libcurl's multi
 * interface) and T threads sharing ONE client, as an application would share it.
 *
 * Latencies go into a fixed log-scale histogram (1% wide buckets), so the tool's
 * memory does not grow with N. The last stdout line is the machine-readable summary:
 * `requests=N ok=K failed=F seconds=S rps=R`; the line before it, the client's CPU per
 * request (getrusage of this process: a server on the same machine is not counted);
 * exit 0 when F is 0, 1 otherwise, 2 for
 * usage or bad input (then no summary: nothing could be sent). */
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"
#include "request_opts.h"

#define CMD "bench"
#define MAX_CONCURRENCY 4096
#define MAX_THREADS 64
/* Latency histogram: 128 sub-buckets per power of two of microseconds (< 0.8% wide). */
#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)
/* Distinct failure reasons remembered for the report. */
#define MAX_REASONS 8

enum { OPT_N, OPT_CONCURRENCY, OPT_THREADS };

typedef struct bench_args {
    cli_request_opts ro;
    long n, concurrency, threads;
    const char *method, *path;
    wx_method m;
} bench_args;

typedef struct reason {
    wx_err code;
    char message[160];
    uint64_t count;
} reason;

/* What one thread measures; merged after the threads end. */
typedef struct thread_stats {
    uint64_t ok, failed;
    uint64_t unsent;      /* failed before anything went out (see on_done) */
    uint64_t hist[HIST_BUCKETS];
    uint64_t max_us;
    reason reasons[MAX_REASONS];
    size_t reason_count;
} thread_stats;

/* One in-flight slot of a thread's window. */
typedef struct slot {
    struct worker *w;
    struct timespec t0;
} slot;

typedef struct worker {
    pthread_t tid;
    wx_client_t *client;
    wx_node_t *node;
    wx_method method;
    const wx_request_options_t *opts;
    long todo;            /* requests this thread sends */
    long started, done;
    long window;
    slot *slots;
    slot **free_slots;    /* stack of idle slots */
    long free_count;
    thread_stats st;
} worker;

static void usage(FILE *out)
{
    fputs("usage: wxpay bench [-n N] [--concurrency C] [--threads T] [-c CONFIG.json]\n"
          "                   [--base-url URL] [--ca-file PEM] [--json BODY|@FILE] [--var k=v]...\n"
          "                   [--query k=v]... [--header 'K: V']... METHOD PATH\n"
          "\n"
          "Sends N signed requests (default 1000) and verifies every response, with C in\n"
          "flight per thread (default 1) on T threads (default 1) sharing one client.\n"
          "Prints latency percentiles, then as the last line:\n"
          "  requests=N ok=K failed=F seconds=S rps=R\n"
          "Request options are those of the request form (wxpay --help).\n"
          "exit: 0 every response verified 2xx; 1 some failed (reasons on stderr);\n"
          "      2 usage or bad input: a request that cannot be sent (a missing --var,\n"
          "        a body that breaks the spec) stops the run before the summary\n"
          "\n"
          "example:\n"
          "  wxpay bench -n 2000 --concurrency 64 -c keys/CONFIG.json \\\n"
          "        --json '{\"open_id\":\"o1\",\"coupon_list\":[{\"stock_id\":1,\"coupon_id\":\"c1\"}]}' \\\n"
          "        POST v3/industry-coupon/tokens\n",
          out);
}

static void args_free(bench_args *a) { cli_request_opts_free(&a->ro); }

static int parse_count(const char *opt, const char *v, long min, long max, long *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max)
        return cli_usage_error(CMD, "%s needs a whole number from %ld to %ld, not \"%s\"", opt, min,
                               max, v);
    *out = n;
    return CLI_EXIT_OK;
}

static int parse_args(bench_args *a, int argc, char **argv)
{
    static const cli_option opts[] = {
        CLI_REQUEST_OPTIONS,           {NULL, 'n', 1, OPT_N},
        {"concurrency", 0, 1, OPT_CONCURRENCY}, {"threads", 0, 1, OPT_THREADS}, {0}};
    cli_parser p;
    cli_parser_init(&p, CMD, argc, argv, 1);
    int k, rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && (k = cli_next(&p, opts)) != CLI_END) {
        switch (k) {
        case CLI_HELP:
            usage(stdout);
            return -1;
        case CLI_BAD:
            return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            if (!a->method)
                a->method = p.value;
            else if (!a->path)
                a->path = p.value;
            else
                rc = cli_usage_error(CMD, "unexpected argument \"%s\" after METHOD PATH", p.value);
            break;
        case OPT_N:
            rc = parse_count("-n", p.value, 1, 100000000L, &a->n);
            break;
        case OPT_CONCURRENCY:
            rc = parse_count("--concurrency", p.value, 1, MAX_CONCURRENCY, &a->concurrency);
            break;
        case OPT_THREADS:
            rc = parse_count("--threads", p.value, 1, MAX_THREADS, &a->threads);
            break;
        default:
            rc = cli_request_take(&a->ro, k, p.value);
            break;
        }
    }
    if (rc != CLI_EXIT_OK)
        return rc;
    return cli_check_target(CMD, a->method, a->path, &a->m);
}

/* ------------------------------------------------------------------ histogram */

static double elapsed_us(const struct timespec *t0, const struct timespec *t1)
{
    return (double)(t1->tv_sec - t0->tv_sec) * 1e6 + (double)(t1->tv_nsec - t0->tv_nsec) / 1e3;
}

/* Log-linear buckets over whole microseconds: values below HIST_SUB are exact, above
 * that each power of two is cut into HIST_SUB buckets (under 1% wide). */
static size_t bucket_of(uint64_t us)
{
    if (us < HIST_SUB)
        return (size_t)us;
    int e = 63 - __builtin_clzll(us);
    int shift = e - HIST_SUB_BITS;
    return HIST_SUB + (size_t)shift * HIST_SUB + (size_t)((us >> shift) - HIST_SUB);
}

/* The largest value that falls into bucket b. */
static uint64_t bucket_top(size_t b)
{
    if (b < HIST_SUB)
        return b;
    size_t shift = (b - HIST_SUB) / HIST_SUB;
    uint64_t sub = (b - HIST_SUB) % HIST_SUB;
    return ((HIST_SUB + sub + 1) << shift) - 1;
}

static double percentile_us(const uint64_t *hist, uint64_t total, uint64_t max_us, unsigned pct)
{
    if (!total)
        return 0;
    uint64_t rank = (total * pct + 99) / 100; /* ceil(pct% of total) */
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen >= rank)
            return (double)(bucket_top(b) < max_us ? bucket_top(b) : max_us);
    }
    return (double)max_us;
}

/* ------------------------------------------------------------------ workers */

static void note_failure(thread_stats *st, const wx_response_t *r)
{
    wx_err code = wx_response_err(r);
    const wx_error_t *e = wx_response_error_detail(r);
    char msg[sizeof st->reasons[0].message];
    snprintf(msg, sizeof msg, "%.150s", e->message[0] ? e->message : wx_strerror(code));
    for (size_t i = 0; i < st->reason_count; i++) {
        if (st->reasons[i].code == code && !strcmp(st->reasons[i].message, msg)) {
            st->reasons[i].count++;
            return;
        }
    }
    if (st->reason_count == MAX_REASONS)
        return;
    reason *rs = &st->reasons[st->reason_count++];
    rs->code = code;
    memcpy(rs->message, msg, sizeof msg);
    rs->count = 1;
}

static void on_done(const wx_response_t *r, void *ud)
{
    slot *s = ud;
    worker *w = s->w;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t us = (uint64_t)(elapsed_us(&s->t0, &t1) + 0.5);
    w->st.hist[bucket_of(us)]++;
    if (us > w->st.max_us)
        w->st.max_us = us;
    if (wx_response_err(r) == WX_OK) {
        w->st.ok++;
    } else {
        w->st.failed++;
        note_failure(&w->st, r);
        /* Nothing went out (a missing path variable, a body that breaks the spec or
         * is not JSON): every request of the run would fail the same way, so this
         * thread sends no more and the run ends as a usage error. */
        if (!wx_response_request_head(r)) {
            w->st.unsent++;
            w->todo = w->started;
        }
    }
    w->done++;
    w->free_slots[w->free_count++] = s;
}

static void start_one(worker *w)
{
    slot *s = w->free_slots[--w->free_count];
    clock_gettime(CLOCK_MONOTONIC, &s->t0);
    wx_future_t *f = wx_request_async(w->node, w->method, w->opts);
    wx_future_then(f, on_done, s);
    wx_future_release(f);
    w->started++;
}

/* Keep the window full until this thread's share is done. Callbacks fire inside
 * wx_client_perform(), on this thread. */
static void *worker_run(void *ud)
{
    worker *w = ud;
    while (w->done < w->todo) {
        while (w->started < w->todo && w->free_count > 0)
            start_one(w);
        wx_client_perform(w->client, 100);
    }
    wx_client_wait_all(w->client);
    return NULL;
}

static void merge(thread_stats *into, const thread_stats *from)
{
    into->ok += from->ok;
    into->failed += from->failed;
    into->unsent += from->unsent;
    for (size_t b = 0; b < HIST_BUCKETS; b++)
        into->hist[b] += from->hist[b];
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    for (size_t i = 0; i < from->reason_count; i++) {
        size_t j = 0;
        while (j < into->reason_count &&
               (into->reasons[j].code != from->reasons[i].code ||
                strcmp(into->reasons[j].message, from->reasons[i].message)))
            j++;
        if (j < into->reason_count)
            into->reasons[j].count += from->reasons[i].count;
        else if (into->reason_count < MAX_REASONS)
            into->reasons[into->reason_count++] = from->reasons[i];
    }
}

static int workers_alloc(worker *ws, long threads, long window)
{
    for (long t = 0; t < threads; t++) {
        ws[t].slots = calloc((size_t)window, sizeof *ws[t].slots);
        ws[t].free_slots = calloc((size_t)window, sizeof *ws[t].free_slots);
        if (!ws[t].slots || !ws[t].free_slots)
            return -1;
        ws[t].window = window;
        for (long i = 0; i < window; i++) {
            ws[t].slots[i].w = &ws[t];
            ws[t].free_slots[ws[t].free_count++] = &ws[t].slots[i];
        }
    }
    return 0;
}

static void workers_free(worker *ws, long threads)
{
    for (long t = 0; ws && t < threads; t++) {
        free(ws[t].slots);
        free(ws[t].free_slots);
    }
    free(ws);
}

/* ------------------------------------------------------------------ report */

/* User + system CPU seconds of this process so far. */
static double process_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void report(const bench_args *a, const thread_stats *all, double seconds, double cpu)
{
    uint64_t total = all->ok + all->failed;
    printf("wxpay bench: %s %s: %ld requests, %ld in flight per thread, %ld thread%s\n",
           a->method, a->path, a->n, a->concurrency, a->threads, a->threads == 1 ? "" : "s");
    printf("latency ms: p50=%.3f p90=%.3f p99=%.3f max=%.3f\n",
           percentile_us(all->hist, total, all->max_us, 50) / 1e3,
           percentile_us(all->hist, total, all->max_us, 90) / 1e3,
           percentile_us(all->hist, total, all->max_us, 99) / 1e3, (double)all->max_us / 1e3);
    for (size_t i = 0; i < all->reason_count; i++)
        fprintf(stderr, "wxpay bench: %llu failed: %s (%s)\n",
                (unsigned long long)all->reasons[i].count, all->reasons[i].message,
                wx_err_name(all->reasons[i].code));
    printf("client cpu: %.1f us per request (user+sys %.3f s, %.2f cores busy)\n",
           total ? cpu / (double)total * 1e6 : 0.0, cpu, seconds > 0 ? cpu / seconds : 0.0);
    printf("requests=%llu ok=%llu failed=%llu seconds=%.3f rps=%.1f\n",
           (unsigned long long)total, (unsigned long long)all->ok,
           (unsigned long long)all->failed, seconds, seconds > 0 ? (double)total / seconds : 0.0);
}

int wx_cmd_bench(int argc, char **argv)
{
    bench_args a;
    memset(&a, 0, sizeof a);
    a.n = 1000;
    a.concurrency = 1;
    a.threads = 1;
    a.ro.cmd = CMD;
    int rc = parse_args(&a, argc, argv);
    wx_client_t *c = NULL;
    worker *ws = NULL;
    thread_stats *all = NULL;
    if (rc != CLI_EXIT_OK)
        goto out;
    if (a.threads > a.n)
        a.threads = a.n; /* a thread with nothing to send would only distort the figures */
    ws = calloc((size_t)a.threads, sizeof *ws);
    all = calloc(1, sizeof *all);
    if (!ws || !all || workers_alloc(ws, a.threads, a.concurrency) != 0) {
        rc = cli_fail(CLI_EXIT_USAGE, CMD, "out of memory");
        goto out;
    }
    wx_client_options_t overrides = {0};
    if ((rc = cli_request_client(&a.ro, &overrides, &c)) != CLI_EXIT_OK)
        goto out;
    wx_request_options_t opts = cli_request_options(&a.ro);
    wx_node_t *node = wx_chain(c, a.path);

    struct timespec t0, t1;
    double cpu0 = process_cpu();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long started_threads = 0;
    for (long t = 0; t < a.threads; t++) {
        ws[t].client = c;
        ws[t].node = node;
        ws[t].method = a.m;
        ws[t].opts = &opts;
        ws[t].todo = a.n / a.threads + (t < a.n % a.threads ? 1 : 0);
        if (t == 0)
            continue; /* the calling thread is worker 0 */
        if (pthread_create(&ws[t].tid, NULL, worker_run, &ws[t]) != 0) {
            rc = cli_fail(CLI_EXIT_FAIL, CMD, "could not start thread %ld", t + 1);
            break;
        }
        started_threads++;
    }
    worker_run(&ws[0]);
    for (long t = 1; t <= started_threads; t++)
        pthread_join(ws[t].tid, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double cpu = process_cpu() - cpu0;
    if (rc != CLI_EXIT_OK)
        goto out;
    for (long t = 0; t < a.threads; t++)
        merge(all, &ws[t].st);
    if (all->unsent && all->unsent == all->failed && all->ok == 0) {
        rc = cli_fail(CLI_EXIT_USAGE, CMD, "%s %s: nothing was sent: %s (%s)", a.method, a.path,
                      all->reasons[0].message, wx_err_name(all->reasons[0].code));
        goto out;
    }
    report(&a, all, elapsed_us(&t0, &t1) / 1e6, cpu);
    rc = cli_finish(all->failed == 0 && all->ok == (uint64_t)a.n ? CLI_EXIT_OK : CLI_EXIT_FAIL);
out:
    wx_client_free(c);
    workers_free(ws, a.threads);
    free(all);
    args_free(&a);
    return rc == -1 ? CLI_EXIT_OK : rc;
}
