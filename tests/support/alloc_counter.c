#include "alloc_counter.h"

#include <stdatomic.h>
#include <malloc.h>
#include <stdlib.h>

#include <wechatpay/common.h>

/* Bytes are counted as malloc_usable_size() gives them (what a block really takes, a
 * little over what was asked), so no header is needed and blocks may cross an install or
 * uninstall: tests switch the allocator on and off around the code they torture. */
static atomic_long g_count, g_live, g_fail_at;
static atomic_int g_failed;
static atomic_llong g_bytes, g_peak;

static int should_fail(void)
{
    long n = atomic_fetch_add(&g_count, 1) + 1;
    long at = atomic_load(&g_fail_at);
    if (at && n == at) {
        atomic_store(&g_failed, 1);
        return 1;
    }
    return 0;
}

static void held(long long delta)
{
    long long now = atomic_fetch_add(&g_bytes, delta) + delta;
    long long peak = atomic_load(&g_peak);
    while (now > peak && !atomic_compare_exchange_weak(&g_peak, &peak, now))
        ;
}

static void *counting_malloc(size_t n)
{
    void *p = should_fail() ? NULL : malloc(n);
    if (p) {
        atomic_fetch_add(&g_live, 1);
        held((long long)malloc_usable_size(p));
    }
    return p;
}

static void *counting_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    long long old = p ? (long long)malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q && !p)
        atomic_fetch_add(&g_live, 1);
    if (q)
        held((long long)malloc_usable_size(q) - old);
    return q;
}

static void counting_free(void *p)
{
    if (p) {
        atomic_fetch_sub(&g_live, 1);
        held(-(long long)malloc_usable_size(p));
    }
    free(p);
}

void wxt_alloc_install(void)
{
    atomic_store(&g_count, 0);
    atomic_store(&g_live, 0);
    atomic_store(&g_fail_at, 0);
    atomic_store(&g_failed, 0);
    atomic_store(&g_bytes, 0);
    atomic_store(&g_peak, 0);
    static const wx_allocator_t a = {counting_malloc, counting_realloc, counting_free};
    wx_set_allocator(&a);
}

void wxt_alloc_uninstall(void) { wx_set_allocator(NULL); }

void wxt_alloc_fail_at(long n)
{
    atomic_store(&g_count, 0);
    atomic_store(&g_failed, 0);
    atomic_store(&g_fail_at, n);
}

long wxt_alloc_count(void) { return atomic_load(&g_count); }
long wxt_alloc_live(void) { return atomic_load(&g_live); }
int wxt_alloc_failed(void) { return atomic_load(&g_failed); }
void wxt_alloc_reset_count(void) { atomic_store(&g_count, 0); }
size_t wxt_alloc_bytes(void)
{
    long long b = atomic_load(&g_bytes);
    return b > 0 ? (size_t)b : 0;
}

size_t wxt_alloc_peak(void)
{
    long long b = atomic_load(&g_peak);
    return b > 0 ? (size_t)b : 0;
}

void wxt_alloc_reset_peak(void) { atomic_store(&g_peak, atomic_load(&g_bytes)); }

long wxt_alloc_torture_stride(void)
{
    const char *s = getenv("WX_TEST_TORTURE_STRIDE");
    long n = s ? atol(s) : 1;
    return n > 0 ? n : 1;
}
