/* Pauses without a sleeping thread: a connection that must wait (the slow-body fault's
 * pieces) is suspended in libmicrohttpd and this one timer thread resumes it when its
 * time comes, so the small pool of server threads keeps serving everyone else. */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <time.h>

#include "mock.h"

typedef struct wakeup {
    struct timespec at; /* CLOCK_MONOTONIC */
    struct MHD_Connection *conn;
} wakeup;

struct wx_mock_wakeups {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int stopping;
    wakeup *items; /* unordered: a handful at most */
    size_t n, cap;
};

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Resume what is due (everything when stopping); the earliest still waiting in @p next. */
static int resume_due(wx_mock_wakeups *w, struct timespec *next)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int waiting = 0;
    for (size_t i = 0; i < w->n;) {
        if (w->stopping || !before(&now, &w->items[i].at)) {
            MHD_resume_connection(w->items[i].conn);
            w->items[i] = w->items[--w->n];
            continue;
        }
        if (!waiting || before(&w->items[i].at, next))
            *next = w->items[i].at;
        waiting = 1;
        i++;
    }
    return waiting;
}

static void *run(void *arg)
{
    wx_mock_wakeups *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        struct timespec next;
        if (resume_due(w, &next))
            pthread_cond_timedwait(&w->cond, &w->lock, &next);
        else
            pthread_cond_wait(&w->cond, &w->lock);
    }
    struct timespec ignored;
    resume_due(w, &ignored);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

wx_mock_wakeups *wx_mock_wakeups_start(void)
{
    wx_mock_wakeups *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

static int grow(wx_mock_wakeups *w)
{
    size_t cap = w->cap ? 2 * w->cap : 16;
    wakeup *p = realloc(w->items, cap * sizeof *p);
    if (!p)
        return -1;
    w->items = p;
    w->cap = cap;
    return 0;
}

int wx_mock_wakeups_pause(wx_mock_wakeups *w, struct MHD_Connection *conn, unsigned ms)
{
    if (!w)
        return -1;
    pthread_mutex_lock(&w->lock);
    if (w->stopping || (w->n == w->cap && grow(w) != 0)) {
        pthread_mutex_unlock(&w->lock);
        return -1;
    }
    wakeup *it = &w->items[w->n++];
    clock_gettime(CLOCK_MONOTONIC, &it->at);
    it->at.tv_sec += ms / 1000;
    it->at.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (it->at.tv_nsec >= 1000000000L) {
        it->at.tv_sec++;
        it->at.tv_nsec -= 1000000000L;
    }
    it->conn = conn;
    /* suspended under the lock: the timer cannot resume it before it is suspended */
    MHD_suspend_connection(conn);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void wx_mock_wakeups_stop(wx_mock_wakeups *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return;
    }
    w->stopping = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
}

void wx_mock_wakeups_free(wx_mock_wakeups *w)
{
    if (!w)
        return;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->items);
    free(w);
}
