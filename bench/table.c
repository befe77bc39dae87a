/* The results: every figure with its samples (one per repetition), printed as a table
 * of median, spread and target, and written as JSON. A miss is reported, never hidden
 * and never an error: these are benchmarks, not timed tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_SAMPLES 64

typedef struct figure {
    char group[24];
    char name[96];
    char unit[16];
    bench_cmp cmp;
    double target;
    double samples[MAX_SAMPLES];
    int n;
} figure;

static figure *g_figs;
static size_t g_count, g_cap;
static char **g_notes;
static size_t g_note_count;

void bench_record(const char *group, const char *name, double value, const char *unit,
                  bench_cmp cmp, double target)
{
    for (size_t i = 0; i < g_count; i++) {
        if (!strcmp(g_figs[i].group, group) && !strcmp(g_figs[i].name, name)) {
            if (g_figs[i].n < MAX_SAMPLES)
                g_figs[i].samples[g_figs[i].n++] = value;
            return;
        }
    }
    if (g_count == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 32;
        figure *f = realloc(g_figs, cap * sizeof *f);
        if (!f)
            return;
        g_figs = f;
        g_cap = cap;
    }
    figure *f = &g_figs[g_count++];
    memset(f, 0, sizeof *f);
    snprintf(f->group, sizeof f->group, "%s", group);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->unit, sizeof f->unit, "%s", unit);
    f->cmp = cmp;
    f->target = target;
    f->samples[f->n++] = value;
}

void bench_note(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **notes = realloc(g_notes, (g_note_count + 1) * sizeof *notes);
    if (!notes)
        return;
    g_notes = notes;
    if ((g_notes[g_note_count] = strdup(buf)))
        g_note_count++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const figure *f, double *median, double *lo, double *hi)
{
    double s[MAX_SAMPLES];
    memcpy(s, f->samples, (size_t)f->n * sizeof s[0]);
    qsort(s, (size_t)f->n, sizeof s[0], cmp_double);
    *lo = s[0];
    *hi = s[f->n - 1];
    *median = f->n % 2 ? s[f->n / 2] : (s[f->n / 2 - 1] + s[f->n / 2]) / 2;
}

static int passes(const figure *f, double median)
{
    switch (f->cmp) {
    case BENCH_LT: return median < f->target;
    case BENCH_LE: return median <= f->target;
    case BENCH_GE: return median >= f->target;
    default: return 1;
    }
}

/* Three significant digits or so, without exponents. */
static void fmt_value(char *out, size_t n, double v)
{
    double a = v < 0 ? -v : v;
    if (a >= 1000)
        snprintf(out, n, "%.0f", v);
    else if (a >= 100)
        snprintf(out, n, "%.1f", v);
    else if (a >= 1)
        snprintf(out, n, "%.2f", v);
    else
        snprintf(out, n, "%.3f", v);
}

static const char *cmp_text(bench_cmp c)
{
    return c == BENCH_LT ? "<" : c == BENCH_LE ? "<=" : c == BENCH_GE ? ">=" : "";
}

void bench_print_table(void)
{
    const char *group = "";
    int w = 6;
    for (size_t i = 0; i < g_count; i++)
        if ((int)strlen(g_figs[i].name) > w)
            w = (int)strlen(g_figs[i].name);
    printf("%-8s %-*s %10s %-6s %-22s %-10s %s\n", "group", w, "figure", "median", "unit",
           "min..max (runs)", "target", "");
    for (size_t i = 0; i < g_count; i++) {
        const figure *f = &g_figs[i];
        double med, lo, hi;
        stats(f, &med, &lo, &hi);
        char m[32], l[32], h[32], spread[96], tgt[32] = "", t[24];
        fmt_value(m, sizeof m, med);
        fmt_value(l, sizeof l, lo);
        fmt_value(h, sizeof h, hi);
        if (f->n > 1)
            snprintf(spread, sizeof spread, "%s..%s (%d)", l, h, f->n);
        else
            snprintf(spread, sizeof spread, "(1)");
        if (f->cmp != BENCH_INFO) {
            fmt_value(t, sizeof t, f->target);
            snprintf(tgt, sizeof tgt, "%s %s", cmp_text(f->cmp), t);
        }
        if (strcmp(group, f->group)) {
            if (i)
                putchar('\n');
            group = f->group;
        }
        printf("%-8s %-*s %10s %-6s %-22s %-10s %s\n", f->group, w, f->name, m, f->unit, spread, tgt,
               f->cmp == BENCH_INFO ? "" : passes(f, med) ? "PASS" : "MISS");
    }
    if (g_note_count)
        putchar('\n');
    for (size_t i = 0; i < g_note_count; i++)
        printf("note: %s\n", g_notes[i]);
}

void bench_target_counts(int *with_target, int *missed)
{
    *with_target = *missed = 0;
    for (size_t i = 0; i < g_count; i++) {
        if (g_figs[i].cmp == BENCH_INFO)
            continue;
        double med, lo, hi;
        stats(&g_figs[i], &med, &lo, &hi);
        (*with_target)++;
        if (!passes(&g_figs[i], med))
            (*missed)++;
    }
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int bench_write_json(const char *path, const char *backend, int repeat)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\n  \"library\": ");
    json_string(f, wx_version());
    fprintf(f, ",\n  \"backend\": ");
    json_string(f, backend);
    fprintf(f, ",\n  \"repeat\": %d,\n  \"figures\": [\n", repeat);
    for (size_t i = 0; i < g_count; i++) {
        const figure *fg = &g_figs[i];
        double med, lo, hi;
        stats(fg, &med, &lo, &hi);
        fprintf(f, "    {\"group\": ");
        json_string(f, fg->group);
        fprintf(f, ", \"name\": ");
        json_string(f, fg->name);
        fprintf(f, ", \"unit\": ");
        json_string(f, fg->unit);
        fprintf(f, ", \"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"samples\": [", med, lo, hi);
        for (int k = 0; k < fg->n; k++)
            fprintf(f, "%s%.6g", k ? ", " : "", fg->samples[k]);
        fprintf(f, "]");
        if (fg->cmp != BENCH_INFO)
            fprintf(f, ", \"target\": \"%s %.6g\", \"pass\": %s", cmp_text(fg->cmp), fg->target,
                    passes(fg, med) ? "true" : "false");
        fprintf(f, "}%s\n", i + 1 < g_count ? "," : "");
    }
    fprintf(f, "  ],\n  \"notes\": [");
    for (size_t i = 0; i < g_note_count; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        json_string(f, g_notes[i]);
    }
    fprintf(f, "%s]\n}\n", g_note_count ? "\n  " : "");
    return fclose(f) == 0 ? 0 : -1;
}

void bench_table_free(void)
{
    free(g_figs);
    g_figs = NULL;
    g_count = g_cap = 0;
    for (size_t i = 0; i < g_note_count; i++)
        free(g_notes[i]);
    free(g_notes);
    g_notes = NULL;
    g_note_count = 0;
}
