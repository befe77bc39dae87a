/* The allocator seam: one place that knows which malloc the library uses. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#include <wechatpay/crypto.h>

static wx_allocator_t g_alloc = {malloc, realloc, free};

void wx_set_allocator(const wx_allocator_t *a)
{
    g_alloc.malloc_fn = a && a->malloc_fn ? a->malloc_fn : malloc;
    g_alloc.realloc_fn = a && a->realloc_fn ? a->realloc_fn : realloc;
    g_alloc.free_fn = a && a->free_fn ? a->free_fn : free;
}

void *wx_malloc(size_t n) { return g_alloc.malloc_fn(n ? n : 1); }

void *wx_calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    size_t n = count * size;
    void *p = wx_malloc(n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void *wx_realloc(void *p, size_t n) { return g_alloc.realloc_fn(p, n ? n : 1); }

void wx_free(void *p)
{
    if (p)
        g_alloc.free_fn(p);
}

void *wx_memdup(const void *p, size_t n)
{
    void *q = wx_malloc(n + 1);
    if (q) {
        if (n)
            memcpy(q, p, n);
        ((char *)q)[n] = 0;
    }
    return q;
}

char *wx_strndup(const char *s, size_t n) { return s ? wx_memdup(s, n) : NULL; }

char *wx_strdup(const char *s) { return s ? wx_memdup(s, strlen(s)) : NULL; }

void wx_secure_zero(void *p, size_t n)
{
    if (!p || !n)
        return;
    /* memset at its full speed (a volatile byte loop is ~30x slower on a 1 KiB buffer),
       then a compiler barrier that claims to read p's memory, so the stores are not
       considered dead and dropped. */
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

void wx_free_secret(void *p, size_t n)
{
    if (!p)
        return;
    wx_secure_zero(p, n);
    wx_free(p);
}
