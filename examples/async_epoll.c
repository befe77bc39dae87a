#define _POSIX_C_SOURCE 200809L /* CLOCK_MONOTONIC */
/* Many signed requests in flight on one thread, driven by an epoll loop through
 * wx_client_use_event_loop() / wx_client_socket_action() (curl's multi_socket model).
 *
 *   async_epoll CONFIG.json [BASE_URL] [N]
 *
 * Sends N (default 100) seed requests at once and prints how many were verified. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>

typedef struct loop {
    int epfd;
    int timerfd;
} loop;

/* The library asks us to watch a socket (or to stop watching it). */
static void watch_fd(void *ud, int fd, int events)
{
    loop *l = ud;
    if (events & WX_EV_REMOVE) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    struct epoll_event ev = {.events = (events & WX_EV_IN ? EPOLLIN : 0) |
                                       (events & WX_EV_OUT ? EPOLLOUT : 0),
                             .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ... and to wake it up after timeout_ms (-1: never). */
static void set_timer(void *ud, long timeout_ms)
{
    loop *l = ud;
    struct itimerspec its = {0};
    if (timeout_ms >= 0) {
        long ms = timeout_ms ? timeout_ms : 1;
        its.it_value.tv_sec = ms / 1000;
        its.it_value.tv_nsec = (ms % 1000) * 1000000L + (timeout_ms ? 0 : 1);
    }
    timerfd_settime(l->timerfd, 0, &its, NULL);
}

typedef struct tally {
    int done, ok;
} tally;

static void on_done(const wx_response_t *r, void *ud)
{
    tally *t = ud;
    t->done++;
    if (wx_response_err(r) == WX_OK)
        t->ok++;
    else if (t->done - t->ok <= 3)
        fprintf(stderr, "failed: %s\n", wx_response_error_detail(r)->message);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [BASE_URL] [N]\n", argv[0]);
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 100;
    wx_client_options_t overrides = {.base_url = argc > 2 && *argv[2] ? argv[2] : NULL};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(argv[1], &overrides, &c, &err) != WX_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 2;
    }
    loop l = {epoll_create1(0), timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)};
    struct epoll_event tev = {.events = EPOLLIN, .data.fd = l.timerfd};
    epoll_ctl(l.epfd, EPOLL_CTL_ADD, l.timerfd, &tev);
    wx_event_hooks_t hooks = {.watch_fd = watch_fd, .set_timer = set_timer, .ud = &l};
    if (wx_client_use_event_loop(c, &hooks) != WX_OK) {
        fprintf(stderr, "this transport cannot be driven by an event loop\n");
        return 2;
    }

    tally t = {0, 0};
    const wx_request_options_t opts = {
        .json_text = "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\","
                     "\"coupon_list\":[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}"};
    for (int i = 0; i < n; i++) {
        wx_future_t *f = wx_chain(c, "v3/industry-coupon/tokens")->post_async(&opts);
        wx_future_release(wx_future_then(f, on_done, &t)); /* freed after its callback */
    }
    printf("%d requests in flight\n", n);

    while (t.done < n) {
        struct epoll_event ev[64];
        int k = epoll_wait(l.epfd, ev, 64, 5000);
        if (k == 0) {
            fprintf(stderr, "stalled with %d of %d done\n", t.done, n);
            break;
        }
        for (int i = 0; i < k; i++) {
            if (ev[i].data.fd == l.timerfd) {
                uint64_t expirations;
                if (read(l.timerfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
                    perror("timerfd");
                wx_client_socket_action(c, WX_SOCKET_TIMEOUT, 0);
            } else {
                int e = (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? WX_EV_IN : 0) |
                        (ev[i].events & EPOLLOUT ? WX_EV_OUT : 0);
                wx_client_socket_action(c, ev[i].data.fd, e);
            }
        }
    }
    printf("%d of %d verified\n", t.ok, n);
    wx_client_free(c);
    close(l.timerfd);
    close(l.epfd);
    return t.ok == n ? 0 : 1;
}
