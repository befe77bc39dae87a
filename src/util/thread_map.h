/* Per-(object, thread) state: an object shared by threads (a client, a transport)
 * keeps one state per thread that uses it, created on first use, reached without a
 * lock afterwards, destroyed when the thread exits or the object is freed. */
#ifndef WX_UTIL_THREAD_MAP_H
#define WX_UTIL_THREAD_MAP_H

typedef struct wx_thread_map wx_thread_map;

/* create(owner) makes a thread's state (NULL on failure); destroy(state) frees it,
 * either at thread exit or from wx_thread_map_free. */
wx_thread_map *wx_thread_map_new(void *owner, void *(*create)(void *owner),
                                 void (*destroy)(void *state));
/* This thread's state, created on first use; NULL only if create failed. */
void *wx_thread_map_get(wx_thread_map *m);
/* This thread's state if it exists, else NULL (never creates). */
void *wx_thread_map_peek(wx_thread_map *m);
/* Call fn on every thread's state under the lock of all maps: fn must not block long
 * nor reach a thread map (so no user callbacks from inside it). */
void wx_thread_map_each(wx_thread_map *m, void (*fn)(void *state, void *ud), void *ud);
/* Destroy every state. No thread may be using the map's owner any more. */
void wx_thread_map_free(wx_thread_map *m);

#endif
