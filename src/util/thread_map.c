#include "thread_map.h"

#include <pthread.h>
#include <stdatomic.h>

#include "alloc.h"

/* A state registered with its map, so the map can free it, and with its thread, so
 * the thread finds it without a lock. */
typedef struct slot {
    /* Written by the map's freeing thread, read by the slot's own thread. */
    _Atomic(struct wx_thread_map *) map;  /* NULL once the map is freed */
    void *state;
    struct slot *next_in_map, *prev_in_map;
    struct slot *next_in_thread;
} slot;

struct wx_thread_map {
    void *owner;
    void *(*create)(void *);
    void (*destroy)(void *);
    slot *slots;
};

/* Guards every map's slot list and the slots' map pointers. A freed map sets the map
 * pointer of each of its slots to NULL under it, so a slot whose map is not NULL has a
 * live map: no thread touches a freed one. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Thread_local slot *t_slots;

static void unlink_from_map(slot *s)
{
    if (s->prev_in_map)
        s->prev_in_map->next_in_map = s->next_in_map;
    else
        s->map->slots = s->next_in_map;
    if (s->next_in_map)
        s->next_in_map->prev_in_map = s->prev_in_map;
}

static void thread_exit(void *arg)
{
    slot *s = arg;
    pthread_mutex_lock(&g_lock);
    while (s) {
        slot *next = s->next_in_thread;
        if (s->map) {
            unlink_from_map(s);
            s->map->destroy(s->state);
        }
        wx_free(s); /* its own, or let go of by its freed map */
        s = next;
    }
    pthread_mutex_unlock(&g_lock);
}

static void make_key(void) { pthread_key_create(&g_key, thread_exit); }

wx_thread_map *wx_thread_map_new(void *owner, void *(*create)(void *), void (*destroy)(void *))
{
    pthread_once(&g_once, make_key);
    wx_thread_map *m = wx_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->owner = owner;
    m->create = create;
    m->destroy = destroy;
    return m;
}

void *wx_thread_map_peek(wx_thread_map *m)
{
    for (slot *s = t_slots; s; s = s->next_in_thread)
        if (s->map == m)
            return s->state;
    return NULL;
}

/* Drop this thread's slots whose maps are gone (their memory was left to us). */
static void prune_thread_slots(void)
{
    slot **pp = &t_slots;
    while (*pp) {
        slot *s = *pp;
        if (!s->map) {
            *pp = s->next_in_thread;
            wx_free(s);
        } else {
            pp = &s->next_in_thread;
        }
    }
}

void *wx_thread_map_get(wx_thread_map *m)
{
    void *state = wx_thread_map_peek(m);
    if (state)
        return state;
    slot *s = wx_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->state = m->create(m->owner);
    if (!s->state) {
        wx_free(s);
        return NULL;
    }
    s->map = m;
    pthread_mutex_lock(&g_lock);
    prune_thread_slots();
    s->next_in_map = m->slots;
    if (m->slots)
        m->slots->prev_in_map = s;
    m->slots = s;
    s->next_in_thread = t_slots;
    t_slots = s;
    pthread_setspecific(g_key, t_slots);
    pthread_mutex_unlock(&g_lock);
    return s->state;
}

void wx_thread_map_each(wx_thread_map *m, void (*fn)(void *, void *), void *ud)
{
    pthread_mutex_lock(&g_lock);
    for (slot *s = m->slots; s; s = s->next_in_map)
        fn(s->state, ud);
    pthread_mutex_unlock(&g_lock);
}

void wx_thread_map_free(wx_thread_map *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&g_lock);
    /* States are destroyed here; the slots stay on their threads' lists (we cannot
     * reach into another thread's TLS) marked map = NULL, and are freed by that thread
     * at its next miss or at its exit. This thread's own slots are freed right away. */
    slot *s = m->slots;
    while (s) {
        slot *next = s->next_in_map;
        m->destroy(s->state);
        s->state = NULL;
        s->map = NULL;
        s = next;
    }
    prune_thread_slots();
    pthread_setspecific(g_key, t_slots);
    pthread_mutex_unlock(&g_lock);
    wx_free(m);
}
