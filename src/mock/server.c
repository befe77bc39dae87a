/* The HTTP side of the sandbox: libmicrohttpd with a small pool of threads polling
 * every connection (so a thousand idle connections cost sockets, not threads), keep-alive
 * on, bound to 127.0.0.1, at most MAX_CONNECTIONS at once, idle ones closed after
 * IDLE_TIMEOUT_S. Asks admit.c whether a request's body may be read at all (and how
 * much) before reading it, collects it, asks handler.c what to answer, signs it, applies
 * the fault to the wire (pauses by suspending the connection, wakeups.c, never by
 * sleeping in a pool thread), logs one line and counts it. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lifecycle.h"
#include "mock.h"

#define POOL_THREADS 4
#define MAX_CONNECTIONS 4096
#define IDLE_TIMEOUT_S 60
/* All bodies being collected at once, together: past it a request gets 503. */
#define MAX_BODIES_IN_FLIGHT (96u * 1024 * 1024)
#define SLOW_BODY_PIECES 6
#define SLOW_BODY_MS 3000

struct wx_mock_server {
    struct MHD_Daemon *daemon;
    wx_mock_server_options opts;
    wx_mock_sigcache *cache;
    int port;
    pthread_mutex_t stats_lock;
    uint64_t requests, faults, dropped;
    uint64_t by_status[600];
    size_t in_flight; /* body bytes held by requests being collected (stats_lock) */
    wx_mock_wakeups *wakeups;
    wx_mock_client_cert merchant; /* --tls: asked of clients */
};

/* One request on a connection; made when the request line arrives. */
typedef struct request_ctx {
    char *target;
    char *method;
    wx_mock_str body;
    size_t limit;    /* the most body bytes this request may send (admit.c) */
    int started;     /* the access handler has seen this request */
    int answered;    /* a reply was decided (sent or dropped on purpose) */
    int status;      /* 0 for a dropped connection */
    wx_mock_fault fault;
    struct timespec t0;
} request_ctx;

/* The body of a slow or truncated reply, fed to MHD by a reader callback. */
typedef struct body_feed {
    char *data;
    size_t len;      /* bytes to send */
    size_t piece;    /* slow-body: bytes per piece; 0: no pauses */
    unsigned pause_ms;
    int rested;      /* the pause before the next piece is over */
    struct MHD_Connection *conn;
    wx_mock_wakeups *wakeups;
} body_feed;

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    request_ctx *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &rc->t0);
    rc->target = strdup(uri ? uri : "");
    return rc;
}

static void free_ctx(request_ctx *rc)
{
    if (!rc)
        return;
    free(rc->target);
    free(rc->method);
    wx_mock_str_free(&rc->body);
    free(rc);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    wx_mock_server *s = cls;
    request_ctx *rc = *con_cls;
    *con_cls = NULL;
    if (!rc)
        return;
    pthread_mutex_lock(&s->stats_lock);
    s->in_flight -= rc->body.len;
    pthread_mutex_unlock(&s->stats_lock);
    if (rc->answered) {
        pthread_mutex_lock(&s->stats_lock);
        s->requests++;
        if (rc->status >= 100 && rc->status < 600)
            s->by_status[rc->status]++;
        else
            s->dropped++;
        if (rc->fault != WX_FAULT_NONE)
            s->faults++;
        pthread_mutex_unlock(&s->stats_lock);
        if (!s->opts.quiet) {
            char status[16], fault[48] = "";
            if (rc->status)
                snprintf(status, sizeof status, "%d", rc->status);
            else
                snprintf(status, sizeof status, "closed");
            if (rc->fault != WX_FAULT_NONE)
                snprintf(fault, sizeof fault, " (%s)", wx_mock_fault_name(rc->fault));
            /* a request's own bytes are escaped: no terminal escape reaches the log */
            char method[64], target[1024];
            wx_mock_log_escape(rc->method ? rc->method : "?", method, sizeof method);
            wx_mock_log_escape(rc->target ? rc->target : "?", target, sizeof target);
            /* one printf per line: stdio locks the stream, lines do not interleave */
            printf("%s %s -> %s%s %.0fms\n", method, target, status, fault,
                   elapsed_ms(&rc->t0));
            fflush(stdout);
        }
    }
    free_ctx(rc);
}

typedef struct header_list {
    wx_kv_t *items;
    size_t n, cap;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    header_list *l = cls;
    if (l->n + 1 < l->cap) {
        l->items[l->n].key = key;
        l->items[l->n].value = value ? value : "";
        l->n++;
    }
    return MHD_YES;
}

static ssize_t feed_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    body_feed *f = cls;
    if (pos >= f->len)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* truncated-body: cut it here */
    size_t n = f->len - (size_t)pos;
    if (f->piece) {
        /* 0 bytes while suspended: the timer resumes the connection after the pause */
        if (!f->rested && wx_mock_wakeups_pause(f->wakeups, f->conn, f->pause_ms) == 0) {
            f->rested = 1;
            return 0;
        }
        f->rested = 0;
        if (n > f->piece)
            n = f->piece;
    }
    if (n > max)
        n = max;
    memcpy(buf, f->data + pos, n);
    return (ssize_t)n;
}

static void free_feed(void *cls)
{
    body_feed *f = cls;
    if (f) {
        free(f->data);
        free(f);
    }
}

static void random_request_id(char out[41])
{
    unsigned char raw[20];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK)
        memset(raw, 0, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02X", raw[i]);
}

/* Build the MHD response for a reply, taking its body. NULL when out of memory. */
static struct MHD_Response *make_response(wx_mock_server *s, struct MHD_Connection *conn,
                                          wx_mock_reply *reply)
{
    size_t len = reply->body_len;
    char *body = reply->body;
    reply->body = NULL;
    if (reply->fault == WX_FAULT_SLOW_BODY || reply->fault == WX_FAULT_TRUNCATED_BODY) {
        body_feed *f = calloc(1, sizeof *f);
        if (!f) {
            free(body);
            return NULL;
        }
        f->data = body;
        f->conn = conn;
        f->wakeups = s->wakeups;
        uint64_t declared = len;
        if (reply->fault == WX_FAULT_SLOW_BODY) {
            f->len = len;
            f->piece = len / SLOW_BODY_PIECES + 1;
            f->pause_ms = SLOW_BODY_MS / SLOW_BODY_PIECES;
        } else {
            /* Half the body under a Content-Length for all of it (at least 16 more
             * than sent), then the connection closes. */
            f->len = len / 2;
            if (declared < f->len + 16)
                declared = f->len + 16;
        }
        struct MHD_Response *r = MHD_create_response_from_callback(declared, 4096, feed_body, f,
                                                                   free_feed);
        if (!r)
            free_feed(f);
        return r;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
                                                                              : MHD_RESPMEM_PERSISTENT);
    if (!r)
        free(body);
    return r;
}

static int peer_is_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa && sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
    return 0;
}

/* The request as handler.c sees it, its headers in @p hl (free hl->items). */
static int view_request(wx_mock_server *s, struct MHD_Connection *conn, const request_ctx *rc,
                        header_list *hl, wx_mock_request *req)
{
    size_t count = (size_t)MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
    *hl = (header_list){calloc(count + 1, sizeof(wx_kv_t)), 0, count + 1};
    if (!hl->items)
        return -1;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, hl);
    *req = (wx_mock_request){
        .method = rc->method,
        .target = rc->target,
        .headers = hl->items,
        .body = rc->body.data ? rc->body.data : "",
        .body_len = rc->body.len,
        .peer_loopback = peer_is_loopback(conn),
        .tls = s->opts.tls,
        .merchant_client_cert = s->opts.tls && wx_mock_client_cert_presented(&s->merchant, conn),
    };
    return 0;
}

/* Sign @p reply, apply its fault and queue it (takes the reply). */
static enum MHD_Result send_reply(wx_mock_server *s, struct MHD_Connection *conn,
                                  request_ctx *rc, wx_mock_reply *reply)
{
    rc->answered = 1;
    rc->fault = reply->fault;
    if (reply->fault == WX_FAULT_DROP_CONNECTION) {
        /* MHD_NO: close the socket without a response. */
        rc->status = 0;
        wx_mock_reply_free(reply);
        return MHD_NO;
    }
    wx_mock_signature sig = {0};
    int sign = !reply->unsigned_reply && reply->fault != WX_FAULT_MISSING_HEADERS;
    char why[256];
    if (sign && wx_mock_sign_response(s->opts.handler.cfg, s->cache, s->opts.sign_with,
                                      reply->fault, reply->body ? reply->body : "",
                                      reply->body_len, &sig, why, sizeof why) != 0) {
        fprintf(stderr, "wxpay mock: %s\n", why);
        free(reply->body);
        reply->body = wx_mock_error_body("SYSTEM_ERROR", why, NULL, &reply->body_len);
        reply->status = 500;
        sign = 0;
    }
    struct MHD_Response *resp = make_response(s, conn, reply);
    if (!resp) {
        wx_mock_signature_clear(&sig);
        wx_mock_reply_free(reply);
        rc->status = 0;
        return MHD_NO;
    }
    char request_id[41];
    random_request_id(request_id);
    MHD_add_response_header(resp, "Content-Type", reply->content_type ? reply->content_type
                                                                      : "application/json");
    MHD_add_response_header(resp, "Request-ID", request_id);
    if (sign) {
        MHD_add_response_header(resp, "Wechatpay-Nonce", sig.nonce);
        MHD_add_response_header(resp, "Wechatpay-Signature", sig.signature);
        MHD_add_response_header(resp, "Wechatpay-Timestamp", sig.timestamp);
        MHD_add_response_header(resp, "Wechatpay-Serial", sig.serial);
    }
    wx_mock_signature_clear(&sig);
    rc->status = reply->status;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)reply->status, resp);
    MHD_destroy_response(resp);
    wx_mock_reply_free(reply);
    return ok;
}

static enum MHD_Result answer(wx_mock_server *s, struct MHD_Connection *conn, request_ctx *rc)
{
    header_list hl;
    wx_mock_request req;
    if (view_request(s, conn, rc, &hl, &req) != 0)
        return MHD_NO;
    wx_mock_reply reply;
    wx_mock_handle(&s->opts.handler, &req, &reply);
    free(hl.items);
    return send_reply(s, conn, rc, &reply);
}

/* Before any body byte: answer now (the body is never read), or set rc->limit. */
static enum MHD_Result admit(wx_mock_server *s, struct MHD_Connection *conn, request_ctx *rc)
{
    header_list hl;
    wx_mock_request req;
    if (view_request(s, conn, rc, &hl, &req) != 0)
        return MHD_NO;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t declared = cl ? strtoull(cl, NULL, 10) : UINT64_MAX;
    wx_mock_reply reply;
    int decided = wx_mock_admit(&s->opts.handler, &req, declared, &rc->limit, &reply);
    free(hl.items);
    return decided ? send_reply(s, conn, rc, &reply) : MHD_YES;
}

/* A piece of the body: kept, or, past this path's limit or the sandbox's budget, a
 * 413 or 503 answered at once (the rest is never read). */
static enum MHD_Result take_body(wx_mock_server *s, struct MHD_Connection *conn,
                                 request_ctx *rc, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    int status = 0;
    pthread_mutex_lock(&s->stats_lock);
    if (rc->body.len + n > rc->limit)
        status = 413;
    else if (s->in_flight + n > MAX_BODIES_IN_FLIGHT)
        status = 503;
    else
        s->in_flight += n;
    pthread_mutex_unlock(&s->stats_lock);
    if (status) {
        wx_mock_reply reply = {.fault = WX_FAULT_NONE};
        if (status == 413)
            wx_mock_reply_error(&reply, 413, "PARAM_ERROR",
                                "request body is too large: at most %zu bytes on this path",
                                rc->limit);
        else
            wx_mock_reply_error(&reply, 503, "SYSTEM_ERROR",
                                "the sandbox is collecting too many request bodies; retry later");
        return send_reply(s, conn, rc, &reply);
    }
    size_t before = rc->body.len;
    wx_mock_str_append(&rc->body, data, n);
    if (rc->body.len != before + n) { /* not kept: give the budget back */
        pthread_mutex_lock(&s->stats_lock);
        s->in_flight -= before + n - rc->body.len;
        pthread_mutex_unlock(&s->stats_lock);
    }
    return rc->body.failed ? MHD_NO : MHD_YES;
}

/* libmicrohttpd's own complaints (a client that went away, a reply cut on purpose),
 * marked as such on stderr. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    fprintf(stderr, "wxpay mock: libmicrohttpd: %s\n", line);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)url;
    (void)version;
    wx_mock_server *s = cls;
    request_ctx *rc = *con_cls;
    if (!rc)
        return MHD_NO; /* the request-line callback could not allocate */
    if (!rc->started) {
        rc->started = 1;
        rc->method = strdup(method);
        if (!rc->method || !rc->target)
            return MHD_NO;
        return admit(s, conn, rc);
    }
    if (rc->answered) { /* answered before the body ended: the rest is not kept */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size)
        return take_body(s, conn, rc, upload_data, upload_data_size);
    return answer(s, conn, rc);
}

/* Room for MAX_CONNECTIONS sockets: the soft descriptor limit raised towards the hard
 * one; the connection limit is what fits under it (a few kept for files and SQLite). */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 256;
    rlim_t want = MAX_CONNECTIONS + 256;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return MAX_CONNECTIONS;
    return rl.rlim_cur > 320 ? (unsigned)(rl.rlim_cur - 256) : 64;
}

static struct MHD_Daemon *start_daemon(wx_mock_server *s, const wx_mock_server_options *opts)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* epoll where there is one (else poll), each pool thread polling its share */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls_opts[4] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
                                         {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
    if (opts->tls) {
        flags |= MHD_USE_TLS;
        tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                              opts->tls_material->server_key_pem};
        tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                              opts->tls_material->server_cert_pem};
        /* Ask for (not require) a client certificate: APIv2's secure calls want the
         * merchant's; every other call does without. */
        if (opts->client_ca_pem && wx_mock_client_cert_init(&s->merchant, opts->client_ca_pem) == 0)
            tls_opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                  (void *)opts->client_ca_pem};
    }
    return MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, /* first, or MHD logs before it */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
}

wx_mock_server *wx_mock_server_start(const wx_mock_server_options *opts, char *why,
                                     size_t why_len)
{
    if (opts->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(why, why_len, "--tls: this libmicrohttpd was built without TLS support");
        return NULL;
    }
    wx_mock_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    s->opts = *opts;
    pthread_mutex_init(&s->stats_lock, NULL);
    s->cache = wx_mock_sigcache_new();
    s->wakeups = wx_mock_wakeups_start();
    if (!s->cache || !s->wakeups) {
        snprintf(why, why_len, "out of memory");
        wx_mock_server_stop(s, NULL, 0);
        return NULL;
    }
    s->daemon = start_daemon(s, opts);
    if (!s->daemon) {
        snprintf(why, why_len, "cannot listen on 127.0.0.1:%d (port in use?)", opts->port);
        wx_mock_server_stop(s, NULL, 0);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
    return s;
}

int wx_mock_server_port(const wx_mock_server *s) { return s->port; }

static void summarize(wx_mock_server *s, char *out, size_t out_len)
{
    char statuses[400] = "";
    size_t used = 0;
    pthread_mutex_lock(&s->stats_lock);
    for (int st = 100; st < 600 && used < sizeof statuses; st++) {
        if (!s->by_status[st])
            continue;
        int n = snprintf(statuses + used, sizeof statuses - used, "%s%d: %llu", used ? ", " : "",
                         st, (unsigned long long)s->by_status[st]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (s->dropped && used < sizeof statuses)
        snprintf(statuses + used, sizeof statuses - used, "%sclosed: %llu", used ? ", " : "",
                 (unsigned long long)s->dropped);
    snprintf(out, out_len, "served %llu request%s%s%s%s, %llu fault%s",
             (unsigned long long)s->requests, s->requests == 1 ? "" : "s",
             statuses[0] ? " (" : "", statuses, statuses[0] ? ")" : "",
             (unsigned long long)s->faults, s->faults == 1 ? "" : "s");
    pthread_mutex_unlock(&s->stats_lock);
}

void wx_mock_server_stop(wx_mock_server *s, char *summary, size_t summary_len)
{
    if (!s)
        return;
    wx_mock_wakeups_stop(s->wakeups); /* a suspended connection must be resumed first */
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    wx_mock_wakeups_free(s->wakeups);
    if (summary && summary_len)
        summarize(s, summary, summary_len);
    wx_mock_sigcache_free(s->cache);
    wx_mock_client_cert_free(&s->merchant);
    pthread_mutex_destroy(&s->stats_lock);
    free(s);
}
