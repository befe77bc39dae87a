/* The benchmark program behind `make bench`: starts the sandbox, runs each group of
 * measurements (group_*.c) a few times, prints one table of medians with their spread
 * and targets, and writes the same as JSON.
 *
 *   wxpay_bench [--wxpay PATH] [--json OUT.json] [--repeat N] [--seconds S]
 *               [--only micro,crypto,spec,e2e,state,memory,apiv2]
 *
 * A target missed is printed as MISS; it never makes the program fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_counter.h"
#include "bench.h"

typedef struct group {
    const char *name;
    void (*run)(const bench_ctx *ctx);
    int once;          /* sizes, not rates: one run is enough */
    int needs_sandbox;
} group;

static const group k_groups[] = {
    {"micro", bench_group_micro, 0, 0},
    {"crypto", bench_group_crypto, 0, 0},
    {"spec", bench_group_spec, 0, 0},
    {"e2e", bench_group_e2e, 0, 1},
    {"state", bench_group_state, 0, 1},
    {"memory", bench_group_memory, 1, 1},
    {"apiv2", bench_group_apiv2, 0, 1},
};
#define GROUP_COUNT (sizeof k_groups / sizeof k_groups[0])

static int selected(const char *only, const char *name)
{
    if (!only)
        return 1;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: wxpay_bench [--wxpay PATH] [--json OUT.json] [--repeat N] [--seconds S]\n"
          "                   [--only micro,crypto,spec,e2e,state,memory,apiv2]\n",
          out);
}

static void print_machine(void)
{
    double load[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(f);
    }
    printf("libwechatpay %s, crypto %s (%s), %ld cores, load average %.2f %.2f %.2f\n",
           wx_version(), wx_crypto_backend(), bench_raw_library(), sysconf(_SC_NPROCESSORS_ONLN),
           load[0], load[1], load[2]);
    bench_note("load average at start: %.2f %.2f %.2f on %ld cores (shared machine: compare "
               "ratios within a run, not absolute rates across runs)",
               load[0], load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN));
}

int main(int argc, char **argv)
{
    /* Before any other library call, so every allocation is counted. */
    wxt_alloc_install();
    const char *wxpay = WXPAY_BIN, *json = "bench.json", *only = NULL;
    int repeat = 3;
    double seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (v && !strcmp(a, "--wxpay")) {
            wxpay = v, i++;
        } else if (v && !strcmp(a, "--json")) {
            json = v, i++;
        } else if (v && !strcmp(a, "--only")) {
            only = v, i++;
        } else if (v && !strcmp(a, "--repeat")) {
            repeat = atoi(v), i++;
        } else if (v && !strcmp(a, "--seconds")) {
            seconds = atof(v), i++;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (repeat < 1 || repeat > 50 || seconds <= 0) {
        usage(stderr);
        return 2;
    }
    print_machine();

    int need_sandbox = 0;
    for (size_t g = 0; g < GROUP_COUNT; g++)
        need_sandbox |= k_groups[g].needs_sandbox && selected(only, k_groups[g].name);
    bench_sandbox sandbox = {0};
    /* The sandbox's keys serve the crypto groups too; without it, make them. */
    if (bench_sandbox_start(&sandbox, wxpay) != 0) {
        bench_sandbox_stop(&sandbox);
        return 1;
    }
    if (need_sandbox)
        printf("sandbox: %s (pid %ld)\n", sandbox.base_url, (long)sandbox.pid);
    fflush(stdout);

    bench_ctx ctx = {wxpay, &sandbox, sandbox.key_path, seconds, 0};
    for (int rep = 0; rep < repeat; rep++) {
        ctx.rep = rep;
        for (size_t g = 0; g < GROUP_COUNT; g++) {
            if (!selected(only, k_groups[g].name) || (k_groups[g].once && rep > 0))
                continue;
            fprintf(stderr, "bench: run %d/%d: %s\n", rep + 1, repeat, k_groups[g].name);
            k_groups[g].run(&ctx);
        }
    }
    bench_sandbox_stop(&sandbox);

    putchar('\n');
    bench_print_table();
    int with_target, missed;
    bench_target_counts(&with_target, &missed);
    printf("\n%d figures with a target: %d PASS, %d MISS (medians of %d runs)\n", with_target,
           with_target - missed, missed, repeat);
    if (bench_write_json(json, wx_crypto_backend(), repeat) == 0)
        printf("wrote %s\n", json);
    else
        fprintf(stderr, "bench: cannot write %s\n", json);
    bench_table_free();
    return 0;
}
