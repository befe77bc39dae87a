/* The seed endpoint end to end against `wxpay mock` on loopback through the libcurl
 * transport: the six call styles, an invalid body the server never sees, a verified HTTP
 * error, every fault mode of the sandbox giving its matching error with nothing
 * reported as a success, and clients sharing one connection pool across threads. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wxt_mock g_mock;
static wx_client_t *g_client;

static int setup(void **state)
{
    wxt_mock_start(&g_mock, NULL);
    wx_client_options_t o = {.base_url = g_mock.base_url, .timeout_ms = 8000};
    wx_error_t err = {0};
    if (wx_client_new_from_config(g_mock.config, &o, &g_client, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return 0;
}

static int teardown(void **state)
{
    wx_client_free(g_client);
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

static int g_callbacks;

static void on_done(const wx_response_t *r, void *ud)
{
    g_callbacks++;
    assert_int_equal(wx_response_err(r), WX_OK);
}

/* A request cancelled by freeing its client reports an error, never a success. */
static void on_done_cancelled(const wx_response_t *r, void *ud)
{
    g_callbacks++;
    assert_true(wx_response_err(r) == WX_E_TRANSPORT || wx_response_err(r) == WX_OK);
    if (wx_response_err(r) != WX_OK)
        assert_null(wx_response_body(r, NULL));
}

static void expect_token(wx_response_t *r)
{
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s: %s", wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
    assert_int_equal(wx_response_status(r), 200);
    struct json_object *t;
    assert_true(json_object_object_get_ex(wx_response_json(r), "token", &t));
    assert_true(strlen(json_object_get_string(t)) > 0);
    assert_non_null(wx_response_header(r, "Wechatpay-Signature"));
    wx_response_free(r);
}

static void test_six_styles(void **state)
{
    wx_client_t *c = g_client;
    const wx_request_options_t opts = {.json_text = SEED_BODY};
    g_callbacks = 0;
    expect_token(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post_async(&opts)
                     ->then(on_done, NULL)->wait());
    expect_token(wx_chain(c, "v3/industry-coupon/tokens")->post_async(&opts)
                     ->then(on_done, NULL)->wait());
    expect_token(wx_at(c, "v3/industry-coupon/tokens")->post_async(&opts)
                     ->then(on_done, NULL)->wait());
    expect_token(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(&opts));
    expect_token(wx_chain(c, "v3/industry-coupon/tokens")->post(&opts));
    expect_token(wx_at(c, "v3/industry-coupon/tokens")->post(&opts));
    assert_int_equal(g_callbacks, 3);
}

static int count_in_log(const char *needle)
{
    char *log = wxt_read_file(g_mock.log, NULL);
    int n = 0;
    for (char *p = log; p && (p = strstr(p, needle)); p++)
        n++;
    free(log);
    return n;
}

/* Every request before this one is in the log once the server has logged this one: an
 * unsigned GET of a unique path, sent by hand so no client rule can stop it. */
static void sync_with_log(const char *marker)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_mock.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    char req[128], buf[512];
    int n = snprintf(req, sizeof req, "GET /%s HTTP/1.0\r\n\r\n", marker);
    assert_int_equal(write(fd, req, (size_t)n), n);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
    for (int i = 0; i < 3000 && !count_in_log(marker); i++)
        usleep(10000);
    assert_true(count_in_log(marker) > 0);
}

static void test_invalid_body_is_not_sent(void **state)
{
    sync_with_log("wxt-marker-before");
    int before = count_in_log("/v3/industry-coupon/tokens");
    wx_response_t *r = wx_chain(g_client, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = "{\"open_id\":\"x\",\"coupon_list\":[{\"stock_id\":\"1\",\"coupon_id\":\"2\"}]}"});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_string_equal(wx_response_violation(r, 0)->path, "coupon_list[0].stock_id");
    wx_response_free(r);
    sync_with_log("wxt-marker-after");
    assert_int_equal(count_in_log("/v3/industry-coupon/tokens"), before);
}

static wx_response_t *with_fault(const char *fault)
{
    return wx_chain(g_client, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .headers = (wx_kv_t[]){{"Wxpay-Mock-Fault", fault}, {0}}});
}

static void test_fault_modes(void **state)
{
    static const struct {
        const char *fault;
        wx_err want;
    } cases[] = {
        {"bad-signature", WX_E_VERIFY_SIGNATURE}, {"unknown-serial", WX_E_VERIFY_SERIAL},
        {"stale-timestamp", WX_E_VERIFY_TIME},    {"missing-headers", WX_E_VERIFY_HEADER},
        {"http-500", WX_E_HTTP},                  {"drop-connection", WX_E_TRANSPORT},
        {"truncated-body", WX_E_TRANSPORT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wx_response_t *r = with_fault(cases[i].fault);
        wx_err got = wx_response_err(r);
        /* a dropped reused connection: the POST is not resent, its outcome unknown */
        if (got != cases[i].want && !(cases[i].want == WX_E_TRANSPORT && got == WX_E_OUTCOME_UNKNOWN))
            fail_msg("%s: got %s (%s)", cases[i].fault, wx_err_name(wx_response_err(r)),
                     wx_response_error_detail(r)->message);
        if (cases[i].want == WX_E_HTTP) {
            assert_int_equal(wx_response_status(r), 500);
            assert_string_equal(wx_response_error_detail(r)->server_code, "SYSTEM_ERROR");
        } else {
            assert_null(wx_response_body(r, NULL));
            assert_null(wx_response_json(r));
        }
        wx_response_free(r);
    }
    /* slow-body is slow, not wrong: it verifies */
    expect_token(with_fault("slow-body"));
    /* ... unless the caller's time limit is shorter */
    wx_response_t *r = wx_chain(g_client, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .json_text = SEED_BODY, .timeout_ms = 500,
        .headers = (wx_kv_t[]){{"Wxpay-Mock-Fault", "slow-body"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_E_TIMEOUT);
    assert_null(wx_response_body(r, NULL));
    wx_response_free(r);
    /* and after all that, the connection pool still works */
    expect_token(with_fault("none"));
}

static void test_dead_server(void **state)
{
    wx_client_options_t o = {.base_url = "http://127.0.0.1:1/", .connect_timeout_ms = 2000};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &c, NULL), WX_OK);
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY});
    assert_int_equal(wx_response_err(r), WX_E_CONNECT);
    assert_int_equal(wx_response_status(r), 0);
    assert_non_null(strstr(wx_response_error_detail(r)->where, "127.0.0.1:1"));
    wx_response_free(r);
    wx_client_free(c);
}

/* A dead primary domain fails over to the backup one: nothing reached the primary, so
 * sending again is safe even for a POST. */
static void test_failover_to_backup(void **state)
{
    wx_client_options_t o = {.base_url = "http://127.0.0.1:1/", .backup_base_url = g_mock.base_url,
                             .connect_timeout_ms = 2000};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &c, NULL), WX_OK);
    expect_token(wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY}));
    wx_client_free(c);
}

/* A service provider's many merchants share one connection pool. */
static void test_shared_transport(void **state)
{
    wx_client_options_t o = {.base_url = g_mock.base_url, .share_transport_of = g_client};
    wx_client_t *a = NULL, *b = NULL;
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &a, NULL), WX_OK);
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &b, NULL), WX_OK);
    const wx_request_options_t opts = {.json_text = SEED_BODY};
    wx_future_t *fa[8], *fb[8];
    for (int i = 0; i < 8; i++) {
        fa[i] = wx_chain(a, "v3/industry-coupon/tokens")->post_async(&opts);
        fb[i] = wx_chain(b, "v3/industry-coupon/tokens")->post_async(&opts);
    }
    /* waiting on b's futures drives the shared engine: a's complete meanwhile */
    for (int i = 0; i < 8; i++)
        expect_token(wx_future_wait(fb[i]));
    for (int i = 0; i < 8; i++)
        expect_token(wx_future_wait(fa[i]));
    /* freeing one client leaves the pool to the others */
    wx_future_t *pending = wx_chain(a, "v3/industry-coupon/tokens")->post_async(&opts);
    g_callbacks = 0;
    wx_future_then(pending, on_done_cancelled, NULL);
    wx_client_free(a);
    assert_int_equal(g_callbacks, 1);
    expect_token(wx_chain(b, "v3/industry-coupon/tokens")->post(&opts));
    wx_client_free(b);
    expect_token(wx_chain(g_client, "v3/industry-coupon/tokens")->post(&opts));
}

/* Freeing a client that shares its transport while another thread drives requests
 * through that transport: safe once the freed client's own requests are done (the other
 * clients' requests go on, on their threads); refused (a message on stderr and abort())
 * while another thread's engine still has requests of the freed client in flight. */
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
        cmocka_unit_test(test_six_styles),
        cmocka_unit_test(test_invalid_body_is_not_sent),
        cmocka_unit_test(test_fault_modes),
        cmocka_unit_test(test_dead_server),
        cmocka_unit_test(test_failover_to_backup),
        cmocka_unit_test(test_shared_transport),
        cmocka_unit_test(test_free_while_another_thread_drives),
        cmocka_unit_test(test_free_with_requests_in_flight_elsewhere_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
