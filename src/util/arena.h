/* A bump allocator for objects that live exactly as long as their owner (chain
 * nodes and their lookup tables live as long as the client). One free for all. */
#ifndef WX_UTIL_ARENA_H
#define WX_UTIL_ARENA_H

#include <stddef.h>

typedef struct wx_arena_chunk wx_arena_chunk;
typedef struct wx_arena {
    wx_arena_chunk *head;
    size_t used, size; /* of head */
} wx_arena;

#define WX_ARENA_INIT {NULL, 0, 0}

/* Zeroed memory aligned for any object, or NULL. */
void *wx_arena_alloc(wx_arena *a, size_t n);
char *wx_arena_strndup(wx_arena *a, const char *s, size_t n);
void wx_arena_free(wx_arena *a);

#endif
