/* A counting allocator for the tests and the benchmarks (curl's torture runs,
 * aws-c-common's tracing allocator): counts the library's allocations, the blocks and
 * bytes it holds and their peak, and can fail the Nth allocation, so a test can prove that
 * every error path frees what it took. Installed with wx_set_allocator, before any other
 * library call. json-c and libcurl allocate on their own and are not counted. */
#ifndef WX_ALLOC_COUNTER_H
#define WX_ALLOC_COUNTER_H

#include <stddef.h>

void wxt_alloc_install(void);       /* start counting (fail nothing) */
void wxt_alloc_uninstall(void);     /* back to the C library's allocator */
void wxt_alloc_fail_at(long n);     /* fail the nth allocation from now (1-based); 0: never */
long wxt_alloc_count(void);         /* allocations since install / last reset */
long wxt_alloc_live(void);          /* allocations not yet freed */
int wxt_alloc_failed(void);         /* 1 once the planned failure has happened */
void wxt_alloc_reset_count(void);
size_t wxt_alloc_bytes(void);       /* bytes the library holds now */
size_t wxt_alloc_peak(void);        /* the most it held since install / the last reset */
void wxt_alloc_reset_peak(void);    /* the peak starts again from the bytes held now */
/* How far a torture loop steps between failed allocations: 1, or WX_TEST_TORTURE_STRIDE
 * (the valgrind stage sets it, see the Makefile: each point rebuilds a client, so the
 * full walk takes minutes under memcheck; ASan walks them all). */
long wxt_alloc_torture_stride(void);

#endif
