#include "bad_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define MAX_CONNS 64

typedef struct conn {
    int fd;
    int answering;        /* the request head has been read */
    char head[8192];
    size_t head_len;
    size_t out_off;       /* progress through the reply's fixed part */
    unsigned long seq;    /* header / chunk counter of the endless modes */
    long next_ms;         /* trickle: when the next chunk is due */
    int quiet;            /* nothing more to send: stop waiting for POLLOUT */
    int served;           /* requests answered on this connection (drop-reused) */
} conn;

struct wxt_bad_server {
    wxt_bad_mode mode;
    int listen_fd;
    int wake[2];
    pthread_t thread;
    char url[64];
    atomic_int connections;
    atomic_int requests;
    atomic_size_t bytes;
    conn conns[MAX_CONNS];
};

const char *wxt_bad_mode_name(wxt_bad_mode mode)
{
    static const char *const names[] = {"reset", "stall", "endless-body", "garbage",
                                        "huge-headers", "huge-header", "close", "trickle",
                                        "drop-reused"};
    return (unsigned)mode < sizeof names / sizeof names[0] ? names[mode] : "?";
}

static void drop(conn *c, int reset)
{
    if (reset) {
        struct linger l = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(c->fd);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Send as much of buf as the socket takes now; returns bytes sent or -1 when the client
 * went away. */
static ssize_t send_some(wxt_bad_server *s, conn *c, const void *buf, size_t len)
{
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    atomic_fetch_add(&s->bytes, (size_t)n);
    return n;
}

/* Send a fixed string from c->out_off on; 1 when all of it has gone. */
static int send_fixed(wxt_bad_server *s, conn *c, const char *text, size_t len)
{
    while (c->out_off < len) {
        ssize_t n = send_some(s, c, text + c->out_off, len - c->out_off);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        c->out_off += (size_t)n;
    }
    return 1;
}

static const char k_endless_head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n";
static const char k_status_line[] = "HTTP/1.1 200 OK\r\n";
static const char k_huge_head[] = "HTTP/1.1 200 OK\r\nX-Huge: ";
static const char k_small_ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2\r\n\r\n{}";
static const char k_garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all \xff\xfe"
                                "\r\n\r\n\x00\x01\x02 SSH-2.0-OpenSSH\r\n";

/* One step of answering; returns 0 to keep the connection, -1 to drop it. */
static int answer(wxt_bad_server *s, conn *c)
{
    switch (s->mode) {
    case WXT_BAD_RESET:
        drop(c, 1);
        return 0;
    case WXT_BAD_CLOSE:
        drop(c, 0);
        return 0;
    case WXT_BAD_STALL:
        return 0;
    case WXT_BAD_DROP_REUSED: {
        if (c->served) { /* a request on a reused connection: read, then gone */
            drop(c, 0);
            return 0;
        }
        int r = send_fixed(s, c, k_small_ok, sizeof k_small_ok - 1);
        if (r > 0) { /* keep the connection for the next request */
            c->served = 1;
            c->answering = 0;
            c->head_len = 0;
            c->out_off = 0;
        }
        return r < 0 ? -1 : 0;
    }
    case WXT_BAD_GARBAGE: {
        int r = send_fixed(s, c, k_garbage, sizeof k_garbage - 1);
        if (r != 0)
            drop(c, 0);
        return 0;
    }
    case WXT_BAD_ENDLESS_BODY: {
        int r = send_fixed(s, c, k_endless_head, sizeof k_endless_head - 1);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        /* 16 KiB chunks of JSON-looking filler, for as long as the client reads. */
        static char chunk[16384 + 16];
        if (!chunk[0]) {
            int h = snprintf(chunk, sizeof chunk, "%x\r\n", 16384);
            memset(chunk + h, 'a', 16384);
            memcpy(chunk + h + 16384, "\r\n", 2);
        }
        size_t clen = strlen("4000\r\n") + 16384 + 2;
        for (int i = 0; i < 64; i++) {
            size_t at = (size_t)(c->seq % clen);
            ssize_t n = send_some(s, c, chunk + at, clen - at);
            if (n < 0)
                return -1;
            if (n == 0)
                break;
            c->seq += (size_t)n;
        }
        return 0;
    }
    case WXT_BAD_TRICKLE: {
        int r = send_fixed(s, c, k_endless_head, sizeof k_endless_head - 1);
        if (r < 0)
            return -1;
        if (r == 0 || now_ms() < c->next_ms)
            return 0;
        static const char piece[] = "10\r\n{\"trickle\":1234}\r\n";
        if (send_some(s, c, piece, sizeof piece - 1) < 0)
            return -1;
        c->next_ms = now_ms() + 50;
        return 0;
    }
    case WXT_BAD_HUGE_HEADERS: {
        int r = send_fixed(s, c, k_status_line, sizeof k_status_line - 1);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        char line[128];
        for (int i = 0; i < 256; i++) {
            int n = snprintf(line, sizeof line, "X-Filler-%lu: %060lu\r\n", c->seq, c->seq);
            ssize_t w = send_some(s, c, line, (size_t)n);
            if (w < 0)
                return -1;
            if (w < n)
                break; /* a partial line is fine: the next one follows it */
            c->seq++;
        }
        return 0;
    }
    case WXT_BAD_HUGE_HEADER: {
        int r = send_fixed(s, c, k_huge_head, sizeof k_huge_head - 1);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        /* 1 MiB of one header's value, and then nothing more: the client must give up
           on its own (size limit or time limit). */
        static char filler[65536];
        if (!filler[0])
            memset(filler, 'h', sizeof filler);
        if (c->seq < (1u << 20)) {
            ssize_t n = send_some(s, c, filler, sizeof filler);
            if (n < 0)
                return -1;
            c->seq += (size_t)n;
        } else {
            c->quiet = 1;
        }
        return 0;
    }
    }
    return -1;
}

static void on_readable(wxt_bad_server *s, conn *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(c, 0);
        return;
    }
    if (n < 0 || c->answering)
        return; /* request bodies and anything later are read and ignored */
    size_t take = (size_t)n < sizeof c->head - 1 - c->head_len ? (size_t)n
                                                               : sizeof c->head - 1 - c->head_len;
    memcpy(c->head + c->head_len, buf, take);
    c->head_len += take;
    c->head[c->head_len] = 0;
    if (strstr(c->head, "\r\n\r\n") || c->head_len == sizeof c->head - 1) {
        c->answering = 1;
        atomic_fetch_add(&s->requests, 1);
    }
}

static void *serve(void *ud)
{
    wxt_bad_server *s = ud;
    for (;;) {
        struct pollfd p[MAX_CONNS + 2];
        int idx[MAX_CONNS + 2];
        nfds_t n = 0;
        p[n] = (struct pollfd){s->wake[0], POLLIN, 0};
        idx[n++] = -1;
        p[n] = (struct pollfd){s->listen_fd, POLLIN, 0};
        idx[n++] = -2;
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &s->conns[i];
            if (c->fd < 0)
                continue;
            short ev = POLLIN;
            if (c->answering && !c->quiet && s->mode != WXT_BAD_STALL &&
                !(s->mode == WXT_BAD_TRICKLE && c->next_ms > now_ms()))
                ev |= POLLOUT;
            p[n] = (struct pollfd){c->fd, ev, 0};
            idx[n++] = i;
        }
        if (poll(p, n, s->mode == WXT_BAD_TRICKLE ? 10 : 1000) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (p[1].revents & POLLIN) {
            int fd = accept(s->listen_fd, NULL, NULL);
            if (fd >= 0) {
                int placed = 0;
                for (int i = 0; i < MAX_CONNS && !placed; i++) {
                    if (s->conns[i].fd < 0) {
                        memset(&s->conns[i], 0, sizeof s->conns[i]);
                        s->conns[i].fd = fd;
                        placed = 1;
                    }
                }
                if (!placed)
                    close(fd);
                else
                    atomic_fetch_add(&s->connections, 1);
            }
        }
        for (nfds_t k = 2; k < n; k++) {
            conn *c = &s->conns[idx[k]];
            if (c->fd < 0 || (!p[k].revents && !(s->mode == WXT_BAD_TRICKLE && c->answering)))
                continue;
            if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
                on_readable(s, c);
            if (c->fd >= 0 && c->answering && answer(s, c) < 0)
                drop(c, 0);
        }
    }
    return NULL;
}

wxt_bad_server *wxt_bad_start(wxt_bad_mode mode)
{
    wxt_bad_server *s = calloc(1, sizeof *s);
    s->mode = mode;
    for (int i = 0; i < MAX_CONNS; i++)
        s->conns[i].fd = -1;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0)
        fail_msg("bad_server: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 64) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &alen) != 0)
        fail_msg("bad_server: bind/listen: %s", strerror(errno));
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    if (pipe(s->wake) != 0)
        fail_msg("bad_server: pipe: %s", strerror(errno));
    if (pthread_create(&s->thread, NULL, serve, s) != 0)
        fail_msg("bad_server: thread");
    return s;
}

const char *wxt_bad_url(const wxt_bad_server *s) { return s->url; }

int wxt_bad_connections(const wxt_bad_server *s)
{
    return atomic_load(&((wxt_bad_server *)s)->connections);
}

int wxt_bad_requests(const wxt_bad_server *s)
{
    return atomic_load(&((wxt_bad_server *)s)->requests);
}

size_t wxt_bad_bytes_sent(const wxt_bad_server *s)
{
    return atomic_load(&((wxt_bad_server *)s)->bytes);
}

void wxt_bad_stop(wxt_bad_server *s)
{
    if (!s)
        return;
    ssize_t w = write(s->wake[1], "x", 1);
    (void)w;
    pthread_join(s->thread, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        if (s->conns[i].fd >= 0)
            close(s->conns[i].fd);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
    free(s);
}
