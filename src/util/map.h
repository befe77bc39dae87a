/* The library's one general hash map: open addressing over fixed-size entries that the
 * caller defines, each beginning with a wx_map_key. Keys are either byte strings (the
 * caller owns the bytes and keeps them alive as long as the entry) or bare pointers
 * compared by identity. Not thread-safe: the owner locks. (The route cache keeps its own
 * table because its readers take no lock; see src/route/route.c.) */
#ifndef WX_UTIL_MAP_H
#define WX_UTIL_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef enum wx_map_kind { WX_MAP_BYTES, WX_MAP_POINTER } wx_map_kind;

/* The first member of every entry. bytes == NULL marks a free slot. */
typedef struct wx_map_key {
    const void *bytes;
    size_t len;      /* 0 for a pointer key */
    uint64_t hash;
} wx_map_key;

typedef struct wx_map {
    unsigned char *slots;
    size_t cap, used, entry_size;
    wx_map_kind kind;
} wx_map;

#define WX_MAP_INIT(entry_type, map_kind) {NULL, 0, 0, sizeof(entry_type), (map_kind)}

/* The entry of @p key (@p len bytes; ignored for a pointer map), or NULL. */
void *wx_map_find(const wx_map *m, const void *key, size_t len);

/* The entry of @p key, added zero-filled (but for its key) when new; *created says which.
 * NULL when memory runs out (the map is unchanged). Entries move when the map grows:
 * a pointer from find or insert is good until the next insert. */
void *wx_map_insert(wx_map *m, const void *key, size_t len, int *created);

/* Calls @p fn on every entry (e.g. to free what it owns), in no particular order. */
void wx_map_each(wx_map *m, void (*fn)(void *entry));

/* Frees the slots; the map is empty and usable again. */
void wx_map_free(wx_map *m);

#endif
