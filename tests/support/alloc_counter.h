/* A counting allocator for tests (curl's torture runs, aws-c-common's tracing
 * allocator): counts the library's allocations and can fail the Nth one, so a test can
 * prove that every error path frees what it took. Installed with wx_set_allocator. */
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

#endif
