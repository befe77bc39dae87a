/* Spec loading: a temporary tree of 1,000 endpoint files (the seed endpoint's file
 * under 1,000 paths), linted eagerly with wx_spec_lint, and opened lazily to load a
 * single endpoint. The files are in the page cache: this times parsing, not disks. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include <wechatpay/sys/spec.h>

#define GROUP "spec"
#define FOLDERS 40
#define PER_FOLDER 25 /* 40 x 25 = 1,000 files */

static char g_root[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(void)
{
    if (g_root[0])
        nftw(g_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_root[0] = 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = 0;
        *len = (size_t)n;
    }
    return p;
}

/* Made once per process, removed at exit. */
static int make_tree(void)
{
    if (g_root[0])
        return 0;
    size_t len = 0;
    char *text = read_all(WX_BENCH_SEED_SPEC, &len);
    if (!text) {
        bench_note("spec: cannot read %s", WX_BENCH_SEED_SPEC);
        return -1;
    }
    snprintf(g_root, sizeof g_root, "/tmp/wxbench-spec-XXXXXX");
    if (!mkdtemp(g_root)) {
        g_root[0] = 0;
        free(text);
        return -1;
    }
    atexit(remove_tree);
    char path[256];
    int rc = 0;
    snprintf(path, sizeof path, "%s/v3", g_root);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/v3/bench", g_root);
    mkdir(path, 0755);
    for (int g = 0; g < FOLDERS && !rc; g++) {
        snprintf(path, sizeof path, "%s/v3/bench/g%02d", g_root, g);
        mkdir(path, 0755);
        for (int e = 0; e < PER_FOLDER && !rc; e++) {
            snprintf(path, sizeof path, "%s/v3/bench/g%02d/ep%03d.json", g_root, g, e);
            FILE *f = fopen(path, "w");
            if (!f || fwrite(text, 1, len, f) != len)
                rc = -1;
            if (f && fclose(f) != 0)
                rc = -1;
        }
    }
    free(text);
    return rc;
}

static wx_spec_t *open_tree(void)
{
    const char *dirs[] = {g_root, NULL};
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = 1, .no_env = 1};
    wx_spec_t *spec = NULL;
    wx_error_t err = {0};
    if (wx_spec_new(&o, &spec, &err) != WX_OK)
        bench_note("spec: wx_spec_new: %s", err.message);
    return spec;
}

static double find_us(wx_spec_t *spec, const char *path, int *ok)
{
    const wx_endpoint_t *ep = NULL;
    double t0 = bench_now();
    *ok = wx_spec_find(spec, "POST", path, &ep, NULL, NULL) == WX_OK;
    return (bench_now() - t0) * 1e6;
}

void bench_group_spec(const bench_ctx *ctx)
{
    (void)ctx;
    if (make_tree() != 0) {
        bench_note("spec: could not make the 1,000-file tree");
        return;
    }
    /* Eager: every file parsed and compiled. */
    wx_spec_t *spec = open_tree();
    if (!spec)
        return;
    size_t endpoints = 0, errors = 0;
    double t0 = bench_now();
    wx_spec_lint(spec, NULL, NULL, &endpoints, &errors);
    double lint_s = bench_now() - t0;
    wx_spec_free(spec);
    bench_record(GROUP, "wx_spec_lint over 1,000 endpoint files", lint_s * 1e3, "ms", BENCH_INFO,
                 0);
    bench_record(GROUP, "wx_spec_lint: per file", lint_s * 1e6 / 1000, "us", BENCH_INFO, 0);
    if (endpoints != 1000 || errors)
        bench_note("spec: lint found %zu endpoints and %zu errors (expected 1000, 0)", endpoints,
                   errors);

    /* Lazy: open the tree and load one endpoint, then another, then a cached one. */
    int ok1 = 0, ok2 = 0, ok3 = 0;
    t0 = bench_now();
    spec = open_tree();
    if (!spec)
        return;
    double first = find_us(spec, "/v3/bench/g20/ep012", &ok1);
    double open_and_first = (bench_now() - t0) * 1e6;
    double second = find_us(spec, "/v3/bench/g31/ep007", &ok2);
    double cached = find_us(spec, "/v3/bench/g20/ep012", &ok3);
    wx_spec_free(spec);
    bench_record(GROUP, "lazy: open the tree + load one endpoint", open_and_first, "us",
                 BENCH_INFO, 0);
    bench_record(GROUP, "lazy: first endpoint (wx_spec_find)", first, "us", BENCH_INFO, 0);
    bench_record(GROUP, "lazy: another endpoint, other folder", second, "us", BENCH_INFO, 0);
    bench_record(GROUP, "lazy: the same endpoint again (cached)", cached, "us", BENCH_INFO, 0);
    if (!ok1 || !ok2 || !ok3)
        bench_note("spec: a lazy lookup failed");
}
