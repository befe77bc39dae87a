/* Linear probing at load factor 1/2 keeps probes short without tombstones: entries
 * are never removed one by one, only all together. */
#include "util/map.h"

#include <string.h>

#include "util/alloc.h"
#include "util/strutil.h"

enum { WX_MAP_FIRST_CAP = 64 };

static uint64_t key_hash(const wx_map *m, const void *key, size_t len)
{
    if (m->kind == WX_MAP_BYTES)
        return wx_hash_bytes(key, len);
    uint64_t x = (uint64_t)(uintptr_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static wx_map_key *slot_at(const wx_map *m, size_t i)
{
    return (wx_map_key *)(m->slots + i * m->entry_size);
}

static int key_equal(const wx_map *m, const wx_map_key *k, const void *key, size_t len,
                     uint64_t hash)
{
    if (m->kind == WX_MAP_POINTER)
        return k->bytes == key;
    return k->hash == hash && k->len == len && memcmp(k->bytes, key, len) == 0;
}

/* The slot holding @p key, or the free slot where it would go. */
static wx_map_key *probe(const wx_map *m, const void *key, size_t len, uint64_t hash)
{
    size_t i = (size_t)hash & (m->cap - 1);
    wx_map_key *k;
    while ((k = slot_at(m, i))->bytes && !key_equal(m, k, key, len, hash))
        i = (i + 1) & (m->cap - 1);
    return k;
}

void *wx_map_find(const wx_map *m, const void *key, size_t len)
{
    if (!m->cap)
        return NULL;
    wx_map_key *k = probe(m, key, len, key_hash(m, key, len));
    return k->bytes ? k : NULL;
}

static int grow(wx_map *m)
{
    wx_map bigger = *m;
    bigger.cap = m->cap ? m->cap * 2 : WX_MAP_FIRST_CAP;
    bigger.slots = wx_calloc(bigger.cap, m->entry_size);
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        wx_map_key *k = slot_at(m, i);
        if (k->bytes)
            memcpy(probe(&bigger, k->bytes, k->len, k->hash), k, m->entry_size);
    }
    wx_free(m->slots);
    *m = bigger;
    return 0;
}

void *wx_map_insert(wx_map *m, const void *key, size_t len, int *created)
{
    if (m->kind == WX_MAP_POINTER)
        len = 0;
    uint64_t hash = key_hash(m, key, len);
    *created = 0;
    if (m->cap) {
        wx_map_key *k = probe(m, key, len, hash);
        if (k->bytes)
            return k;
    }
    if ((m->used + 1) * 2 > m->cap && grow(m) != 0)
        return NULL;
    wx_map_key *k = probe(m, key, len, hash);
    *k = (wx_map_key){key, len, hash};
    m->used++;
    *created = 1;
    return k;
}

void wx_map_each(wx_map *m, void (*fn)(void *entry))
{
    for (size_t i = 0; i < m->cap; i++)
        if (slot_at(m, i)->bytes)
            fn(slot_at(m, i));
}

void wx_map_free(wx_map *m)
{
    wx_free(m->slots);
    m->slots = NULL;
    m->cap = m->used = 0;
}
