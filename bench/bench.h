/* The benchmark program's shared parts: the timing helper, the results table, the
 * sandbox it runs against, the counting allocator, and the raw crypto rates of the
 * backend library. Each group of measurements is a file of its own (group_*.c). */
#ifndef WX_BENCH_H
#define WX_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <wechatpay/wechatpay.h>

/* ------------------------------------------------------------------ timing.c */

/* Monotonic wall time and this process's / this thread's CPU time, in seconds. */
double bench_now(void);
double bench_cpu_process(void);
double bench_cpu_thread(void);
/* This process's user + system time from getrusage(RUSAGE_SELF), in seconds: what the
 * end-to-end groups divide by requests (the sandbox is another process). */
double bench_rusage_cpu(void);

/* Call fn(ud, n) with growing n until at least min_seconds have passed (after one
 * untimed warm-up call); returns nanoseconds per operation over the timed calls. */
double bench_ns_per_op(void (*fn)(void *ud, uint64_t n), void *ud, double min_seconds);
/* The same, giving both the wall time and this thread's CPU time per operation (ns):
 * on a shared machine the CPU time is what another process's load does not inflate. */
void bench_measure(void (*fn)(void *ud, uint64_t n), void *ud, double min_seconds,
                   double *wall_ns, double *cpu_ns);

/* ------------------------------------------------------------------ table.c */

typedef enum bench_cmp { BENCH_INFO = 0, BENCH_LT, BENCH_LE, BENCH_GE } bench_cmp;

/* Record one sample of a figure. The first sample of a name fixes its group, unit and
 * target; repetitions add samples, and the table shows their median and spread. */
void bench_record(const char *group, const char *name, double value, const char *unit,
                  bench_cmp cmp, double target);
/* A line of context printed under the table and kept in the JSON ("notes"). */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the table (median, min..max, target, PASS/MISS) to stdout. */
void bench_print_table(void);
/* Write every figure with its samples as JSON; 0 on success. */
int bench_write_json(const char *path, const char *backend, int repeat);
/* Counts of figures that have a target, and of those that miss it. */
void bench_target_counts(int *with_target, int *missed);
void bench_table_free(void);

/* ------------------------------------------------------------------ sandbox.c */

typedef struct bench_sandbox {
    pid_t pid;
    char dir[64];         /* temporary folder with the keys and CONFIG.json */
    char config[300];     /* dir/CONFIG.json */
    char key_path[300];   /* dir/merchant_key.pem */
    char base_url[64];    /* http://127.0.0.1:PORT/ */
    char body_path[300];  /* dir/seed.json: the seed endpoint's example body */
} bench_sandbox;

/* The seed endpoint and a typical body for it. */
#define BENCH_SEED_PATH "v3/industry-coupon/tokens"
#define BENCH_SEED_BODY                                                                  \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

/* Generate keys with `wxpay keys gen` and start `wxpay mock --port 0 --quiet` on
 * loopback; 0 on success, -1 after a message on stderr. */
int bench_sandbox_start(bench_sandbox *s, const char *wxpay);
/* A second sandbox on the keys of @p keys_of, keeping its state in a SQLite file
 * (`--state`) in its own temporary folder. */
int bench_sandbox_start_state(bench_sandbox *s, const bench_sandbox *keys_of, const char *wxpay);
/* CPU seconds the sandbox process has used so far (user + system). */
double bench_sandbox_cpu(const bench_sandbox *s);
void bench_sandbox_stop(bench_sandbox *s);

/* Run argv to completion with stdout captured into out (size n, NUL-terminated);
 * *maxrss_kib gets the child's peak RSS (VmHWM). Returns the exit status or -1. */
int bench_run_child(char *const argv[], char *out, size_t n, long *maxrss_kib);

/* ------------------------------------------------------------------ procmem.c */

/* The library's heap is counted by the tests' allocator (tests/support/alloc_counter.h:
 * wxt_alloc_install, wxt_alloc_bytes, wxt_alloc_peak, wxt_alloc_count). */
/* This process's resident set (VmRSS) and its peak (VmHWM), in KiB. */
long bench_rss_kib(void);
long bench_hwm_kib(void);

/* ------------------------------------------------------------------ raw_crypto.c */

typedef struct bench_raw_rsa bench_raw_rsa;
/* The backend library's own name and version ("mbed TLS 2.28.3", "OpenSSL 3.0.x"). */
const char *bench_raw_library(void);
/* Load an RSA private key (PEM file) straight into the backend library. */
bench_raw_rsa *bench_raw_load(const char *key_path);
void bench_raw_free(bench_raw_rsa *k);
/* SHA256withRSA over msg, and its check, with the library's own calls; 0 on success. */
int bench_raw_sign(bench_raw_rsa *k, const void *msg, size_t len, unsigned char *sig,
                   size_t *sig_len);
int bench_raw_verify(bench_raw_rsa *k, const void *msg, size_t len, const unsigned char *sig,
                     size_t sig_len);

/* ------------------------------------------------------------------ groups */

typedef struct bench_ctx {
    const char *wxpay;       /* the wxpay binary */
    bench_sandbox *sandbox;  /* NULL for groups that need none */
    const char *key_path;    /* merchant key for the crypto groups */
    double seconds;          /* time per measured phase */
    int rep;                 /* 0-based repetition */
} bench_ctx;

void bench_group_micro(const bench_ctx *ctx);   /* group_micro.c */
void bench_group_crypto(const bench_ctx *ctx);  /* group_crypto.c */
void bench_group_e2e(const bench_ctx *ctx);     /* group_e2e.c */
void bench_group_memory(const bench_ctx *ctx);  /* group_memory.c (once) */
void bench_group_spec(const bench_ctx *ctx);    /* group_spec.c */
void bench_group_state(const bench_ctx *ctx);   /* group_state.c */
void bench_group_apiv2(const bench_ctx *ctx);   /* group_apiv2.c */

/* A signed, verified client of the sandbox (NULL after a message). */
wx_client_t *bench_sandbox_client(const bench_sandbox *s);

/* ------------------------------------------------------------------ load.c */

/* The outcome of a load run against the sandbox. */
typedef struct bench_load {
    uint64_t ok, failed;
    double seconds;            /* wall time, until the last answer */
    char first_error[200];     /* the first failure's message, "" if none */
} bench_load;

/* Seed-endpoint requests on this thread: one at a time (window 0: the sync verb), or
 * `window` in flight through async futures. Stops starting new ones after `seconds`
 * (0: no limit) or `max_requests` (0: no limit), then drains. `sample`, if not NULL,
 * is called after every round of the engine (for peak measurements). */
void bench_load_run(wx_client_t *c, int window, double seconds, uint64_t max_requests,
                    void (*sample)(void), bench_load *out);

#endif
