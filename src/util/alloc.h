/* Internal allocation wrappers: every allocation the library makes goes through
 * these, so wx_set_allocator() (embedded targets, failing-allocation tests) sees it. */
#ifndef WX_UTIL_ALLOC_H
#define WX_UTIL_ALLOC_H

#include <stddef.h>
#include <wechatpay/common.h>

void *wx_malloc(size_t n);
void *wx_calloc(size_t count, size_t size);
void *wx_realloc(void *p, size_t n);
/* wx_free() is public (common.h). */
char *wx_strdup(const char *s);
char *wx_strndup(const char *s, size_t n);
void *wx_memdup(const void *p, size_t n);
/* Overwrite memory in a way the compiler cannot drop. */
void wx_secure_zero(void *p, size_t n);

#endif
