/* Freeing a client that shares its transport while another thread drives requests
 * through that transport: safe once the freed client's own requests are done (the other
 * clients' requests go on, on their threads); refused (a message on stderr and abort())
 * while another thread's engine still has requests of the freed client in flight. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wxt_mock g_mock;

static int setup(void **state)
{
    (void)state;
    wxt_mock_start(&g_mock, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return wxt_mock_stop(&g_mock);
}

static wx_client_t *client(wx_client_t *share)
{
    wx_client_options_t o = {.base_url = g_mock.base_url, .share_transport_of = share};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &c, NULL), WX_OK);
    return c;
}

static wx_err post(wx_client_t *c)
{
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY});
    wx_err rc = wx_response_err(r);
    wx_response_free(r);
    return rc;
}

typedef struct driver {
    wx_client_t *c;
    atomic_int started, ok;
} driver;

static void *drive(void *p)
{
    driver *d = p;
    for (int i = 0; i < 60; i++) {
        atomic_fetch_add(&d->started, 1);
        if (post(d->c) == WX_OK)
            atomic_fetch_add(&d->ok, 1);
    }
    return NULL;
}

static void test_free_while_another_thread_drives(void **state)
{
    (void)state;
    wx_client_t *base = client(NULL), *a = client(base), *b = client(base);
    driver d = {.c = b};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drive, &d), 0);
    while (atomic_load(&d.started) < 5)
        usleep(1000);
    for (int i = 0; i < 5; i++)
        assert_int_equal(post(a), WX_OK);
    wx_future_t *f = wx_chain(a, "v3/industry-coupon/tokens")->post_async(
        &(wx_request_options_t){.json_text = SEED_BODY});
    wx_response_free(wx_future_wait(f));
    wx_client_free(a); /* b's requests are in flight on the shared pool meanwhile */
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&d.ok), 60);
    assert_int_equal(post(b), WX_OK);
    wx_client_free(b);
    assert_int_equal(post(base), WX_OK);
    wx_client_free(base);
}

static atomic_int g_submitted;

static void *leave_pending(void *p)
{
    wx_client_t *a = p;
    /* submitted on this thread's engine, which this thread then does not drive */
    (void)wx_chain(a, "v3/industry-coupon/tokens")->post_async(
        &(wx_request_options_t){.json_text = SEED_BODY});
    atomic_store(&g_submitted, 1);
    sleep(10);
    return NULL;
}

static void test_free_with_requests_in_flight_elsewhere_is_refused(void **state)
{
    (void)state;
    int err_pipe[2];
    assert_int_equal(pipe(err_pipe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(err_pipe[1], STDERR_FILENO);
        close(err_pipe[0]);
        wx_client_t *base = client(NULL), *a = client(base);
        pthread_t t;
        pthread_create(&t, NULL, leave_pending, a);
        while (!atomic_load(&g_submitted))
            usleep(1000);
        wx_client_free(a); /* must not return */
        _exit(0);
    }
    close(err_pipe[1]);
    char out[2048];
    size_t n = 0;
    ssize_t k;
    while (n + 1 < sizeof out && (k = read(err_pipe[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = 0;
    close(err_pipe[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("the free was not refused (status %d): %s", status, out);
    assert_non_null(strstr(out, "wx_client_free"));
    assert_non_null(strstr(out, "in flight on another thread"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_while_another_thread_drives),
        cmocka_unit_test(test_free_with_requests_in_flight_elsewhere_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
