/* A bump allocator: everything compiled for a spec set is freed in one go. */
#include "spec/spec_impl.h"

#include <string.h>

#include "util/alloc.h"

struct wx_arena_chunk {
    wx_arena_chunk *next;
    size_t used, size;
    max_align_t data[];
};

#define WX_ARENA_CHUNK (16 * 1024)

void *wx_arena_alloc(wx_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0)
        n = sizeof(max_align_t);
    wx_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > WX_ARENA_CHUNK ? n : WX_ARENA_CHUNK;
        c = wx_malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = size;
        /* A big block gets its own chunk behind the current one, so the space left in
         * the current chunk stays usable. */
        if (a->head && n > WX_ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
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

char *wx_arena_strdup(wx_arena *a, const char *s)
{
    return s ? wx_arena_strndup(a, s, strlen(s)) : NULL;
}

void wx_arena_release(wx_arena *a)
{
    wx_arena_chunk *c = a->head;
    while (c) {
        wx_arena_chunk *next = c->next;
        wx_free(c);
        c = next;
    }
    a->head = NULL;
}
