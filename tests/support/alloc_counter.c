#include "alloc_counter.h"

#include <stdatomic.h>
#include <stdlib.h>

#include <wechatpay/common.h>

static atomic_long g_count, g_live, g_fail_at;
static atomic_int g_failed;

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

static void *counting_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&g_live, 1);
    return p;
}

static void *counting_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        atomic_fetch_add(&g_live, 1);
    return q;
}

static void counting_free(void *p)
{
    if (p)
        atomic_fetch_sub(&g_live, 1);
    free(p);
}

void wxt_alloc_install(void)
{
    atomic_store(&g_count, 0);
    atomic_store(&g_live, 0);
    atomic_store(&g_fail_at, 0);
    atomic_store(&g_failed, 0);
    wx_allocator_t a = {counting_malloc, counting_realloc, counting_free};
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
