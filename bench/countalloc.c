/* A counting allocator for wx_set_allocator(): every block carries its size in a
 * 16-byte header, so the bytes the library holds (and their peak) are known at any
 * moment. json-c and libcurl allocate on their own and are not counted here; the
 * process-wide figures (RSS) cover them. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define HEADER 16 /* keeps the caller's block 16-byte aligned */

static atomic_size_t g_current, g_peak;
static atomic_uint_fast64_t g_allocs;

static void grew(size_t n)
{
    size_t now = atomic_fetch_add(&g_current, n) + n;
    size_t peak = atomic_load(&g_peak);
    while (now > peak && !atomic_compare_exchange_weak(&g_peak, &peak, now))
        ;
}

static void *count_malloc(size_t n)
{
    unsigned char *p = malloc(n + HEADER);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    atomic_fetch_add(&g_allocs, 1);
    grew(n);
    return p + HEADER;
}

static void count_free(void *ptr)
{
    if (!ptr)
        return;
    unsigned char *p = (unsigned char *)ptr - HEADER;
    size_t n;
    memcpy(&n, p, sizeof n);
    atomic_fetch_sub(&g_current, n);
    free(p);
}

static void *count_realloc(void *ptr, size_t n)
{
    if (!ptr)
        return count_malloc(n);
    unsigned char *p = (unsigned char *)ptr - HEADER;
    size_t old;
    memcpy(&old, p, sizeof old);
    unsigned char *q = realloc(p, n + HEADER);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    atomic_fetch_add(&g_allocs, 1);
    atomic_fetch_sub(&g_current, old);
    grew(n);
    return q + HEADER;
}

void bench_countalloc_install(void)
{
    static const wx_allocator_t a = {count_malloc, count_realloc, count_free};
    wx_set_allocator(&a);
}

size_t bench_heap_current(void) { return atomic_load(&g_current); }
size_t bench_heap_peak(void) { return atomic_load(&g_peak); }
void bench_heap_reset_peak(void) { atomic_store(&g_peak, atomic_load(&g_current)); }
uint64_t bench_heap_allocs(void) { return atomic_load(&g_allocs); }

static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

long bench_rss_kib(void) { return status_kib("VmRSS"); }
long bench_hwm_kib(void) { return status_kib("VmHWM"); }
