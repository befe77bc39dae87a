#include "callback_sink.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define MAX_SCRIPT 64

struct sink {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t lock;
    sink_item **items; /* each its own allocation: sink_at's pointers stay valid */
    size_t n, cap;
    int script[MAX_SCRIPT];
    size_t script_len, script_pos;
    int always;
};

typedef struct upload {
    char *data;
    size_t len;
} upload;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind k, const char *key,
                                    const char *value)
{
    (void)k, (void)key, (void)value;
    ++*(size_t *)cls;
    return MHD_YES;
}

typedef struct header_fill {
    wx_kv_t *kv;
    size_t n;
} header_fill;

static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind k, const char *key,
                                   const char *value)
{
    (void)k;
    header_fill *f = cls;
    f->kv[f->n].key = strdup(key);
    f->kv[f->n].value = strdup(value ? value : "");
    f->n++;
    return MHD_YES;
}

static int next_status(sink *s)
{
    if (s->script_pos < s->script_len)
        return s->script[s->script_pos++];
    return s->always;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
    (void)url, (void)method, (void)version;
    sink *s = cls;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*data_size) {
        u->data = realloc(u->data, u->len + *data_size + 1);
        memcpy(u->data + u->len, data, *data_size);
        u->len += *data_size;
        u->data[u->len] = 0;
        *data_size = 0;
        return MHD_YES;
    }
    size_t count = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &count);
    header_fill f = {calloc(count + 1, sizeof(wx_kv_t)), 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, copy_header, &f);
    pthread_mutex_lock(&s->lock);
    int status = next_status(s);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->items = realloc(s->items, s->cap * sizeof *s->items);
    }
    sink_item *it = s->items ? calloc(1, sizeof *it) : NULL;
    if (it) {
        s->items[s->n++] = it;
        it->headers = f.kv;
        it->body = u->data ? u->data : strdup("");
        it->body_len = u->len;
        it->answered = status;
        u->data = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    const char *answer = status >= 300 ? "{\"code\":\"FAIL\",\"message\":\"scripted\"}" : "";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(answer), (void *)answer,
                                                             MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->data);
        free(u);
    }
    *con_cls = NULL;
}

sink *sink_start(void)
{
    sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    pthread_mutex_init(&s->lock, NULL);
    s->always = 204;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                     MHD_USE_POLL,
                                 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon)
        fail_msg("callback sink: cannot listen on 127.0.0.1");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info->port;
    return s;
}

void sink_stop(sink *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    for (size_t i = 0; i < s->n; i++) {
        for (wx_kv_t *h = s->items[i]->headers; h && h->key; h++) {
            free((char *)h->key);
            free((char *)h->value);
        }
        free(s->items[i]->headers);
        free(s->items[i]->body);
        free(s->items[i]);
    }
    free(s->items);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int sink_port(const sink *s) { return s->port; }

void sink_url(const sink *s, const char *path, char *out, size_t out_len)
{
    snprintf(out, out_len, "http://127.0.0.1:%d/%s", s->port, path);
}

void sink_script(sink *s, const int *statuses, size_t n)
{
    pthread_mutex_lock(&s->lock);
    s->script_len = n < MAX_SCRIPT ? n : MAX_SCRIPT;
    memcpy(s->script, statuses, s->script_len * sizeof *statuses);
    s->script_pos = 0;
    pthread_mutex_unlock(&s->lock);
}

void sink_always(sink *s, int status)
{
    pthread_mutex_lock(&s->lock);
    s->always = status;
    pthread_mutex_unlock(&s->lock);
}

size_t sink_wait(sink *s, size_t count, int timeout_ms)
{
    size_t n = 0;
    for (int waited = 0;; waited += 10) {
        pthread_mutex_lock(&s->lock);
        n = s->n;
        pthread_mutex_unlock(&s->lock);
        if (n >= count || waited >= timeout_ms)
            return n;
        usleep(10000);
    }
}

const sink_item *sink_at(sink *s, size_t i)
{
    pthread_mutex_lock(&s->lock);
    const sink_item *it = i < s->n ? s->items[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return it;
}
