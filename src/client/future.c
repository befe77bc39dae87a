/* Calls and futures: every request is a call; a sync request is a call the caller
 * waits for at once, an async one is handed back as a future. Completion callbacks
 * fire only from inside wait/perform on the thread that owns the call (never from
 * inside the `_async` verb), exactly once. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "client/send.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/struct_version.h"

struct wx_call_thread {
    wx_client_t *client;
    wx_call *calls;               /* async calls owned by this thread, not yet freed */
    atomic_size_t in_flight;      /* async calls submitted and not completed; atomic because
                                     wx_client_free on another thread reads it */
    wx_call *queue_head, *queue_tail; /* completed, awaiting dispatch */
};

static _Thread_local wx_call *t_future;

static wx_future_t *f_then(wx_done_fn done, void *ud);
static wx_response_t *f_wait(void);
static const wx_future_t k_future_methods = {f_then, f_wait};

/* ---------------------------------------------------------------- calls */

wx_call *wx_call_new(wx_client_t *c)
{
    wx_call *call = wx_calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->pub = k_future_methods;
    call->client = c;
    wx_buf_init(&call->wire.url);
    wx_buf_init(&call->wire.head_store);
    call->resp = wx_response_new();
    if (!call->resp) {
        wx_free(call);
        return NULL;
    }
    return call;
}

void wx_call_free(wx_call *call)
{
    if (!call)
        return;
    wx_response_free(call->resp);
    wx_buf_free(&call->wire.url);
    wx_buf_free(&call->wire.head_store);
    wx_free(call->wire.headers);
    wx_free(call->wire.body);
    wx_free(call->wire.method);
    wx_free(call->wire.target);
    wx_free(call->wire.auth);
    wx_free(call->upload.meta);
    wx_free(call->upload.filename);
    wx_free(call->upload.path);
    wx_free(call->upload.data);
    wx_free(call);
}

/* ---------------------------------------------------------------- thread state */

void *wx_call_thread_create(void *client)
{
    wx_call_thread *ts = wx_calloc(1, sizeof *ts);
    if (ts)
        ts->client = client;
    return ts;
}

void wx_call_thread_destroy(void *state)
{
    wx_call_thread *ts = state;
    while (ts->calls) {
        wx_call *c = ts->calls;
        ts->calls = c->link.next;
        wx_call_free(c);
    }
    wx_free(ts);
}

static void list_add(wx_call_thread *ts, wx_call *call)
{
    call->link.owner = ts;
    call->link.prev = NULL;
    call->link.next = ts->calls;
    if (ts->calls)
        ts->calls->link.prev = call;
    ts->calls = call;
}

static void list_remove(wx_call_thread *ts, wx_call *call)
{
    if (call->link.prev)
        call->link.prev->link.next = call->link.next;
    else
        ts->calls = call->link.next;
    if (call->link.next)
        call->link.next->link.prev = call->link.prev;
    call->link.prev = call->link.next = NULL;
}

static void enqueue(wx_call_thread *ts, wx_call *call)
{
    if (call->link.queued)
        return;
    call->link.queued = 1;
    call->link.queue_next = NULL;
    if (ts->queue_tail)
        ts->queue_tail->link.queue_next = call;
    else
        ts->queue_head = call;
    ts->queue_tail = call;
}

static wx_call *dequeue(wx_call_thread *ts)
{
    wx_call *call = ts->queue_head;
    if (!call)
        return NULL;
    ts->queue_head = call->link.queue_next;
    if (!ts->queue_head)
        ts->queue_tail = NULL;
    call->link.queued = 0;
    return call;
}

/* Take a call out of the queue wherever it stands (a callback queued it again). */
static void unqueue(wx_call_thread *ts, wx_call *call)
{
    if (!call->link.queued)
        return;
    wx_call *prev = NULL;
    for (wx_call *q = ts->queue_head; q; prev = q, q = q->link.queue_next) {
        if (q != call)
            continue;
        if (prev)
            prev->link.queue_next = q->link.queue_next;
        else
            ts->queue_head = q->link.queue_next;
        if (ts->queue_tail == q)
            ts->queue_tail = prev;
        break;
    }
    call->link.queued = 0;
}

/* Fire the callbacks of completed calls; free released ones. Callbacks may start or
 * wait for other calls: the queue is popped one call at a time. */
static void dispatch(wx_call_thread *ts)
{
    wx_call *call;
    while ((call = dequeue(ts))) {
        wx_call_settle(call); /* a certificate refresh, outside the transport's perform */
        if (call->done.fn && !call->done.fired) {
            call->done.fired = 1;
            call->done.fn(call->resp, call->done.ud);
        }
        if (call->run.released) {
            unqueue(ts, call); /* released from inside its own callback */
            list_remove(ts, call);
            wx_call_free(call);
        }
    }
}

/* ---------------------------------------------------------------- submit */

static void on_transport_done(void *ud, wx_err rc, const wx_error_t *err)
{
    wx_call *call = ud;
    if (call->run.orphaned) { /* its client is gone: nothing to report to */
        wx_call_free(call);
        return;
    }
    if (wx_call_retry(call, rc)) {
        wx_client_t *c = call->client;
        wx_err again = c->transport->submit(c->transport->ctx, &call->wire.req, &call->resp->http,
                                            on_transport_done, call);
        if (again == WX_OK)
            return;
        rc = again;
    }
    wx_call_finish(call, rc, err);
    call->run.state = WX_CALL_DONE;
    if (call->run.is_async) {
        call->link.owner->in_flight--;
        enqueue(call->link.owner, call);
    }
}

void wx_call_submit(wx_call *call)
{
    wx_client_t *c = call->client;
    if (call->run.state == WX_CALL_DONE) { /* failed before sending */
        if (call->run.is_async)
            enqueue(call->link.owner, call);
        return;
    }
    call->run.state = WX_CALL_IN_FLIGHT;
    if (call->run.is_async)
        call->link.owner->in_flight++;
    wx_err rc = c->transport->submit(c->transport->ctx, &call->wire.req, &call->resp->http,
                                     on_transport_done, call);
    if (rc != WX_OK && call->run.state != WX_CALL_DONE) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_error_set(&e, rc, call->wire.req.url, "request could not be started: %s", wx_strerror(rc));
        on_transport_done(call, rc, &e);
    }
}

/* Drive the transport until `call` is done. */
static void drive_until_done(wx_call *call)
{
    wx_client_t *c = call->client;
    while (call->run.state != WX_CALL_DONE) {
        size_t left = c->transport->perform(c->transport->ctx, 1000);
        if (call->run.state != WX_CALL_DONE && left == 0) {
            wx_error_t e;
            wx_error_clear(&e);
            wx_error_set(&e, WX_E_INTERNAL, call->wire.req.url,
                         "the transport finished without completing the request");
            call->run.state = WX_CALL_DONE;
            wx_response_fail(call->resp, WX_E_INTERNAL, &e);
            if (call->run.is_async) {
                call->link.owner->in_flight--;
                enqueue(call->link.owner, call);
            }
        }
    }
}

/* Submit a sync call and drive the transport until it is done and settled. */
static void run_to_completion(wx_call *call)
{
    call->run.is_async = 0;
    wx_call_submit(call);
    drive_until_done(call);
    wx_call_settle(call);
}

wx_response_t *wx_call_run_sync(wx_call *call)
{
    run_to_completion(call);
    wx_response_t *r = call->resp;
    call->resp = NULL;
    wx_call_free(call);
    return r;
}

/* ---------------------------------------------------------------- the way in */

/* When not even a failed future can be allocated: one future per mode shared by all
 * threads, never written, complete with the static out-of-memory response. The async
 * one's callback is kept per thread; the sync one never has a callback. */
static const wx_call g_oom_future[2] = {{.pub = {f_then, f_wait}, .run.state = WX_CALL_DONE},
                                        {.pub = {f_then, f_wait}, .run.state = WX_CALL_DONE}};
static _Thread_local wx_done_fn t_oom_done;
static _Thread_local void *t_oom_ud;

static int is_oom_future(const wx_call *call)
{
    return call == &g_oom_future[0] || call == &g_oom_future[1];
}

/* A future that is complete from the start (a failure before anything was sent). A
 * call without an owner is freed by wait/release directly. */
static wx_future_t *failed_future(const wx_error_t *e, int async)
{
    wx_call *call = wx_call_new(NULL);
    if (!call) {
        call = (wx_call *)&g_oom_future[async != 0];
        if (async)
            t_oom_done = NULL;
    } else {
        call->run.state = WX_CALL_DONE;
        call->resp->error = *e;
    }
    if (async)
        t_future = call;
    return &call->pub;
}

wx_future_t *wx_client_send(const wx_send *s)
{
    if (s->failure)
        return failed_future(s->failure, s->async);
    if (s->opts && s->opts->version > WX_REQUEST_OPTIONS_VERSION) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_struct_version_check(s->opts->version, WX_REQUEST_OPTIONS_VERSION,
                                "wx_request_options_t", &e);
        return failed_future(&e, s->async);
    }
    wx_call_thread *ts = s->async ? wx_client_thread(s->client) : NULL;
    wx_call *call = !s->async || ts ? wx_call_new(s->client) : NULL;
    if (!call) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_error_set(&e, WX_E_NOMEM, "", "out of memory");
        return failed_future(&e, s->async);
    }
    if (s->async) {
        call->run.is_async = 1;
        list_add(ts, call);
    }
    if (wx_call_prepare(call, s->route, s->method, s->opts) != WX_OK)
        call->run.state = WX_CALL_DONE;
    if (!s->async) {
        if (call->run.state != WX_CALL_DONE)
            run_to_completion(call);
        return &call->pub; /* no owner: wx_future_wait hands the response over */
    }
    wx_call_submit(call);
    t_future = call;
    return &call->pub;
}

/* ---------------------------------------------------------------- futures */

static wx_response_t *error_response(const wx_error_t *e)
{
    wx_response_t *r = wx_response_new();
    if (!r)
        return wx_response_oom();
    r->error = *e;
    return r;
}

static wx_call *call_of(wx_future_t *f) { return (wx_call *)f; }

wx_future_t *wx_future_then(wx_future_t *f, wx_done_fn done, void *ud)
{
    if (!f)
        return NULL;
    wx_call *call = call_of(f);
    if (is_oom_future(call)) {
        if (call != &g_oom_future[1])
            return f; /* a sync request's future: nothing to call back */
        t_oom_done = done;
        t_oom_ud = ud;
        t_future = call;
        return f;
    }
    call->done.fn = done;
    call->done.ud = ud;
    call->done.fired = 0;
    if (call->run.state == WX_CALL_DONE && call->link.owner)
        enqueue(call->link.owner, call);
    t_future = call;
    return f;
}

static wx_response_t *detached_wait(wx_call *call)
{
    if (is_oom_future(call)) {
        wx_done_fn done = call == &g_oom_future[1] ? t_oom_done : NULL;
        if (done)
            t_oom_done = NULL;
        if (done)
            done(wx_response_oom(), t_oom_ud);
        return wx_response_oom();
    }
    /* A future that failed before it had an owner: fire and hand over. */
    if (call->done.fn && !call->done.fired) {
        call->done.fired = 1;
        call->done.fn(call->resp, call->done.ud);
    }
    wx_response_t *r = call->resp;
    call->resp = NULL;
    wx_call_free(call);
    return r;
}

wx_response_t *wx_future_wait(wx_future_t *f)
{
    if (!f) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_error_set(&e, WX_E_INVALID_ARG, "", "wx_future_wait: future is NULL");
        return error_response(&e);
    }
    wx_call *call = call_of(f);
    if (t_future == call)
        t_future = NULL;
    if (!call->link.owner)
        return detached_wait(call);
    wx_call_thread *ts = call->link.owner;
    if (wx_thread_map_peek(call->client->threads) != ts) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_error_set(&e, WX_E_INVALID_ARG, "",
                     "wx_future_wait: a future must be waited for on the thread that created it");
        return error_response(&e);
    }
    while (call->run.state != WX_CALL_DONE) {
        dispatch(ts);
        if (call->run.state != WX_CALL_DONE)
            drive_until_done(call);
    }
    dispatch(ts); /* callbacks of everything completed so far, this call's included */
    wx_call_settle(call);
    if (call->done.fn && !call->done.fired) {
        call->done.fired = 1;
        call->done.fn(call->resp, call->done.ud);
    }
    unqueue(ts, call); /* then() again inside a callback */
    list_remove(ts, call);
    wx_response_t *r = call->resp;
    call->resp = NULL;
    wx_call_free(call);
    return r;
}

void wx_future_release(wx_future_t *f)
{
    if (!f)
        return;
    wx_call *call = call_of(f);
    if (t_future == call)
        t_future = NULL;
    if (!call->link.owner) {
        wx_response_free(detached_wait(call));
        return;
    }
    call->run.released = 1;
    if (call->run.state == WX_CALL_DONE)
        enqueue(call->link.owner, call); /* freed at the next dispatch, after its callback */
}

int wx_future_done(const wx_future_t *f)
{
    return f && ((const wx_call *)f)->run.state == WX_CALL_DONE;
}

static wx_call *future_cursor(void) { return t_future; }

static wx_future_t *f_then(wx_done_fn done, void *ud)
{
    wx_call *call = future_cursor();
    if (!call)
        return NULL;
    return wx_future_then(&call->pub, done, ud);
}

static wx_response_t *f_wait(void) { return wx_future_wait(future_cursor() ? &future_cursor()->pub : NULL); }

size_t wx_client_perform(wx_client_t *c, int64_t timeout_ms)
{
    if (!c)
        return 0;
    wx_call_thread *ts = wx_thread_map_peek(c->threads);
    if (!ts)
        return 0;
    dispatch(ts);
    if (ts->in_flight)
        c->transport->perform(c->transport->ctx, timeout_ms);
    dispatch(ts);
    return ts->in_flight;
}

void wx_client_wait_all(wx_client_t *c)
{
    if (!c)
        return;
    wx_call_thread *ts = wx_thread_map_peek(c->threads);
    if (!ts)
        return;
    for (;;) {
        dispatch(ts);
        if (!ts->in_flight)
            break;
        size_t left = c->transport->perform(c->transport->ctx, 1000);
        if (left == 0 && ts->in_flight) {
            /* The transport lost calls: fail them rather than wait forever. */
            for (wx_call *call = ts->calls; call; call = call->link.next) {
                if (call->run.state != WX_CALL_IN_FLIGHT)
                    continue;
                wx_error_t e;
                wx_error_clear(&e);
                wx_error_set(&e, WX_E_INTERNAL, call->wire.req.url,
                             "the transport finished without completing the request");
                on_transport_done(call, WX_E_INTERNAL, &e);
            }
        }
    }
}

typedef struct cancel_ctx {
    wx_client_t *client;
    int transport_alive;
    wx_call_thread *mine; /* the freeing thread's state */
    wx_call *doomed;      /* taken from the threads, to fail and free */
} cancel_ctx;

/* Runs under the thread map's lock: only detaches. Callbacks are user code that may
 * call into the library (and so take that lock): they fire after, in cancel_doomed. */
static void collect_thread(void *state, void *ud)
{
    cancel_ctx *cx = ud;
    wx_call_thread *ts = state;
    wx_transport_t *t = cx->client->transport;
    while (ts->calls) {
        wx_call *call = ts->calls;
        list_remove(ts, call);
        if (call->run.state == WX_CALL_IN_FLIGHT && cx->transport_alive) {
            if (ts != cx->mine || !t->cancel) {
                /* Another thread's engine still holds it: it frees itself when done. */
                call->run.orphaned = 1;
                continue;
            }
            t->cancel(t->ctx, call);
        }
        call->link.next = cx->doomed;
        cx->doomed = call;
    }
    ts->in_flight = 0;
    ts->queue_head = ts->queue_tail = NULL;
}

static void cancel_doomed(wx_call *call)
{
    if (call->run.state != WX_CALL_DONE) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_error_set(&e, WX_E_TRANSPORT, call->wire.req.url ? call->wire.req.url : "",
                     "cancelled: the client was freed");
        wx_response_fail(call->resp, WX_E_TRANSPORT, &e);
        call->run.state = WX_CALL_DONE;
    }
    if (call->done.fn && !call->done.fired) {
        call->done.fired = 1;
        call->done.fn(call->resp, call->done.ud);
    }
    wx_call_free(call);
}

typedef struct busy_ctx {
    wx_call_thread *mine;
    size_t elsewhere; /* async calls of the client in flight on other threads' engines */
} busy_ctx;

static void count_elsewhere(void *state, void *ud)
{
    busy_ctx *b = ud;
    wx_call_thread *ts = state;
    if (ts != b->mine)
        b->elsewhere += atomic_load(&ts->in_flight);
}

/* Freeing a client whose requests another thread's engine is driving cannot be made safe
 * from here (that engine finishes them with this client's keys and verifier, and owns
 * their list): it is refused loudly rather than left to corrupt memory later. */
void wx_client_refuse_busy_free(wx_client_t *c)
{
    busy_ctx b = {wx_thread_map_peek(c->threads), 0};
    wx_thread_map_each(c->threads, count_elsewhere, &b);
    if (b.elsewhere == 0)
        return;
    fprintf(stderr,
            "libwechatpay: wx_client_free(%p) refused: %zu request(s) of this client are in "
            "flight on another thread's engine; free it after that thread has waited for them "
            "(wx_future_wait, wx_client_wait_all)\n",
            (void *)c, b.elsewhere);
    abort();
}

void wx_client_cancel_all(wx_client_t *c, int transport_alive)
{
    cancel_ctx cx = {c, transport_alive, wx_thread_map_peek(c->threads), NULL};
    wx_thread_map_each(c->threads, collect_thread, &cx);
    while (cx.doomed) {
        wx_call *call = cx.doomed;
        cx.doomed = call->link.next;
        cancel_doomed(call);
    }
}

wx_err wx_client_use_event_loop(wx_client_t *c, const wx_event_hooks_t *hooks)
{
    if (!c || !hooks)
        return WX_E_INVALID_ARG;
    if (!c->transport->use_event_loop || !c->transport->socket_action)
        return WX_E_UNSUPPORTED;
    if (!wx_client_thread(c))
        return WX_E_NOMEM;
    return c->transport->use_event_loop(c->transport->ctx, hooks);
}

size_t wx_client_socket_action(wx_client_t *c, int fd, int events)
{
    if (!c || !c->transport->socket_action)
        return 0;
    wx_call_thread *ts = wx_thread_map_peek(c->threads);
    c->transport->socket_action(c->transport->ctx, fd, events);
    if (!ts)
        return 0;
    dispatch(ts);
    return ts->in_flight;
}
