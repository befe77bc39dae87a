/* The replay guard of notifications (notify.h): a fixed ring of slots in admission order
 * (the oldest is dropped first, whether expired or, when full, not) and a chained hash
 * over them by key. Memory is fixed at creation: capacity slots and a bucket array of
 * the next power of two; nothing is allocated per notification. One lock. */
#include <pthread.h>
#include <string.h>

#include <wechatpay/notify.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/struct_version.h"

#define DEFAULT_CAPACITY 16384
#define MAX_CAPACITY (1u << 24)
#define DEFAULT_WINDOW_S WX_DEFAULT_MAX_SKEW_S
#define NIL UINT32_MAX

typedef enum slot_state { SLOT_FREE = 0, SLOT_PENDING, SLOT_DONE } slot_state;

typedef struct slot {
    uint32_t next;   /* the next slot of the same bucket, or NIL */
    uint32_t hash;
    int64_t until;   /* remembered while now < until */
    slot_state state;
    char key[WX_NOTIFY_GUARD_KEY_MAX + 1];
} slot;

struct wx_notify_guard {
    pthread_mutex_t lock;
    slot *slots;
    uint32_t cap, head, used; /* ring: slots[head], ... in admission order, `used` of them */
    uint32_t *buckets;        /* slot index, or NIL */
    uint32_t mask;
    int64_t window_s, retain_s;
};

static uint32_t hash_key(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return (uint32_t)(h ^ (h >> 32));
}

wx_err wx_notify_guard_new(const wx_notify_guard_options_t *opts, wx_notify_guard_t **out,
                           wx_error_t *err)
{
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "out is required");
    *out = NULL;
    wx_notify_guard_options_t o = WX_NOTIFY_GUARD_OPTIONS_INIT;
    if (opts) {
        wx_err rc = wx_struct_version_check(opts->version, WX_NOTIFY_GUARD_OPTIONS_VERSION,
                                            "wx_notify_guard_options_t", err);
        if (rc != WX_OK)
            return rc;
        o = *opts;
    }
    if (o.window_s < 0 || o.retain_s < 0 || o.capacity > MAX_CAPACITY)
        return wx_error_set(err, WX_E_INVALID_ARG, "wx_notify_guard_options_t",
                            "window_s and retain_s must not be negative and capacity at most "
                            "%u", MAX_CAPACITY);
    wx_notify_guard_t *g = wx_calloc(1, sizeof *g);
    if (!g)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    g->cap = o.capacity ? (uint32_t)o.capacity : DEFAULT_CAPACITY;
    g->window_s = o.window_s ? o.window_s : DEFAULT_WINDOW_S;
    g->retain_s = o.retain_s > 2 * g->window_s ? o.retain_s : 2 * g->window_s;
    uint32_t nb = 1;
    while (nb < g->cap)
        nb <<= 1;
    g->mask = nb - 1;
    g->slots = wx_calloc(g->cap, sizeof *g->slots);
    g->buckets = wx_calloc(nb, sizeof *g->buckets);
    if (!g->slots || !g->buckets) {
        wx_free(g->slots);
        wx_free(g->buckets);
        wx_free(g);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    memset(g->buckets, 0xff, nb * sizeof *g->buckets); /* NIL */
    pthread_mutex_init(&g->lock, NULL);
    *out = g;
    return WX_OK;
}

void wx_notify_guard_free(wx_notify_guard_t *g)
{
    if (!g)
        return;
    pthread_mutex_destroy(&g->lock);
    wx_free(g->slots);
    wx_free(g->buckets);
    wx_free(g);
}

/* The slot holding @p key, or NIL; *link the bucket or `next` that points at it. */
static uint32_t find(wx_notify_guard_t *g, const char *key, uint32_t hash, uint32_t **link)
{
    uint32_t *l = &g->buckets[hash & g->mask];
    while (*l != NIL) {
        slot *s = &g->slots[*l];
        if (s->hash == hash && !strcmp(s->key, key))
            break;
        l = &s->next;
    }
    if (link)
        *link = l;
    return *l;
}

/* Forget slot @p i (unlinked from its bucket; it stays in the ring as a free slot). */
static void forget(wx_notify_guard_t *g, uint32_t i)
{
    slot *s = &g->slots[i];
    if (s->state == SLOT_FREE)
        return;
    uint32_t *link;
    if (find(g, s->key, s->hash, &link) == i)
        *link = s->next;
    s->state = SLOT_FREE;
}

/* Drop the oldest slots that are free or have expired and, with @p evict, the oldest
 * of all when the ring is still full (so that one more fits). */
static void make_room(wx_notify_guard_t *g, int64_t now, int evict)
{
    while (g->used) {
        slot *s = &g->slots[g->head];
        if (s->state != SLOT_FREE && now < s->until && !(evict && g->used == g->cap))
            break;
        forget(g, g->head);
        g->head = (g->head + 1) % g->cap;
        g->used--;
    }
}

wx_err wx_notify_guard_admit(wx_notify_guard_t *g, const char *key, int64_t timestamp,
                             int64_t now, wx_error_t *err)
{
    size_t len = key ? strlen(key) : 0;
    if (!g || len == 0 || len > WX_NOTIFY_GUARD_KEY_MAX)
        return wx_error_set(err, WX_E_INVALID_ARG, "id",
                            "replay guard: a guard and a key of 1 to %d bytes are required",
                            WX_NOTIFY_GUARD_KEY_MAX);
    int64_t off = timestamp > now ? timestamp - now : now - timestamp;
    if (off > g->window_s)
        return wx_error_set(err, WX_E_VERIFY_TIME, "id",
                            "replay guard: notification %s is %lld s from now (window %lld s)",
                            key, (long long)off, (long long)g->window_s);
    uint32_t hash = hash_key(key, len);
    pthread_mutex_lock(&g->lock);
    make_room(g, now, 0);
    uint32_t i = find(g, key, hash, NULL);
    if (i != NIL && now < g->slots[i].until) {
        int done = g->slots[i].state == SLOT_DONE;
        pthread_mutex_unlock(&g->lock);
        return done ? wx_error_set(err, WX_E_REPLAY, "id",
                                   "notification %s was handled already", key)
                    : wx_error_set(err, WX_E_PENDING, "id",
                                   "notification %s is being handled by another delivery", key);
    }
    if (i != NIL)
        forget(g, i); /* expired but not yet dropped: admitted afresh */
    make_room(g, now, 1);
    uint32_t at = (g->head + g->used) % g->cap;
    slot *s = &g->slots[at];
    s->hash = hash;
    s->until = now + g->retain_s;
    s->state = SLOT_PENDING;
    memcpy(s->key, key, len + 1);
    s->next = g->buckets[hash & g->mask];
    g->buckets[hash & g->mask] = at;
    g->used++;
    pthread_mutex_unlock(&g->lock);
    return WX_OK;
}

void wx_notify_guard_finish(wx_notify_guard_t *g, const char *key, int handled)
{
    size_t len = key ? strlen(key) : 0;
    if (!g || len == 0 || len > WX_NOTIFY_GUARD_KEY_MAX)
        return;
    pthread_mutex_lock(&g->lock);
    uint32_t i = find(g, key, hash_key(key, len), NULL);
    if (i != NIL) {
        if (handled)
            g->slots[i].state = SLOT_DONE;
        else
            forget(g, i);
    }
    pthread_mutex_unlock(&g->lock);
}

size_t wx_notify_guard_count(wx_notify_guard_t *g)
{
    if (!g)
        return 0;
    pthread_mutex_lock(&g->lock);
    size_t n = 0;
    for (uint32_t k = 0; k < g->used; k++)
        n += g->slots[(g->head + k) % g->cap].state != SLOT_FREE;
    pthread_mutex_unlock(&g->lock);
    return n;
}
