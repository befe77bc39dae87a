#include "arena.h"

#include <stdalign.h>
#include <string.h>

#include "alloc.h"

struct wx_arena_chunk {
    wx_arena_chunk *next;
    alignas(max_align_t) unsigned char data[];
};

/* A chunk of its own for a block bigger than half the next chunk, kept behind the head
 * so that the head's free room still serves small blocks. */
static void *big_block(wx_arena *a, size_t n)
{
    wx_arena_chunk *c = wx_malloc(sizeof *c + n);
    if (!c)
        return NULL;
    c->next = a->head->next;
    a->head->next = c;
    memset(c->data, 0, n);
    return c->data;
}

void *wx_arena_alloc(wx_arena *a, size_t n)
{
    size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (!a->head || a->size - a->used < n) {
        /* Chunks start small and double up to 16 KiB: a client that calls one endpoint
         * (a device) holds little, a big spec set soon gets full-size chunks. */
        size_t next = !a->head ? 1024 : a->size < 16384 ? a->size * 2 : 16384;
        if (a->head && n > next / 2)
            return big_block(a, n);
        size_t size = n > next ? n : next;
        wx_arena_chunk *c = wx_malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->next = a->head;
        a->head = c;
        a->used = 0;
        a->size = size;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *wx_arena_strndup(wx_arena *a, const char *s, size_t n)
{
    char *p = wx_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

void wx_arena_free(wx_arena *a)
{
    wx_arena_chunk *c = a->head;
    while (c) {
        wx_arena_chunk *next = c->next;
        wx_free(c);
        c = next;
    }
    *a = (wx_arena)WX_ARENA_INIT;
}
