/* Futures on the in-memory transport: the six call styles of the seed page, callbacks
 * that fire exactly once and only from wait/perform, release, failures before sending,
 * and many futures at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "fake_server.h"
#include "testutil.h"

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static wxt_fake g_fake;
static wx_client_t *g_client;

static int setup(void **state)
{
    wxt_fake_init(&g_fake);
    wx_client_options_t o = wxt_fake_options(&g_fake);
    assert_int_equal(wx_client_new(&o, &g_client, NULL), WX_OK);
    return 0;
}

static int teardown(void **state)
{
    wx_client_free(g_client);
    wxt_fake_free(&g_fake);
    return 0;
}

typedef struct seen {
    int calls;
    wx_err err;
    char token[64];
} seen;

static void on_done(const wx_response_t *r, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->err = wx_response_err(r);
    struct json_object *j = wx_response_json(r), *t;
    if (j && json_object_object_get_ex(j, "token", &t))
        snprintf(s->token, sizeof s->token, "%s", json_object_get_string(t));
}

static void check(wx_response_t *r)
{
    assert_int_equal(wx_response_err(r), WX_OK);
    struct json_object *t;
    assert_true(json_object_object_get_ex(wx_response_json(r), "token", &t));
    assert_string_equal(json_object_get_string(t), "16824f40-aec1-11e8-a69c-f7a44da04f19");
    wx_response_free(r);
}

static void test_six_styles(void **state)
{
    wx_client_t *c = g_client;
    wx_request_options_t opts = {.json_text = SEED_BODY};
    int before = g_fake.requests;
    seen s[3] = {{0}};

    /* async, pure chain */
    check(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post_async(&opts)
              ->then(on_done, &s[0])->wait());
    /* async, declarative */
    check(wx_chain(c, "v3/industry-coupon/tokens")->post_async(&opts)->then(on_done, &s[1])->wait());
    /* async, index */
    check(wx_at(c, "v3/industry-coupon/tokens")->post_async(&opts)->then(on_done, &s[2])->wait());
    /* sync, pure chain / declarative / index */
    check(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(&opts));
    check(wx_chain(c, "v3/industry-coupon/tokens")->post(&opts));
    check(wx_at(c, "v3/industry-coupon/tokens")->post(&opts));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_int_equal(s[i].err, WX_OK);
        assert_string_equal(s[i].token, "16824f40-aec1-11e8-a69c-f7a44da04f19");
    }
    assert_int_equal(g_fake.requests, before + 6);
    assert_true(g_fake.auth_ok);
}

static void test_callback_fires_from_wait_only(void **state)
{
    seen s = {0};
    wx_future_t *f = wx_request_async(wx_chain(g_client, "v3/industry-coupon/tokens"), WX_POST,
                                      &(wx_request_options_t){.json_text = SEED_BODY});
    wx_future_then(f, on_done, &s);
    /* the in-memory transport answered at once, but callbacks wait for perform/wait */
    assert_int_equal(s.calls, 0);
    assert_true(wx_future_done(f));
    wx_response_t *r = wx_future_wait(f);
    assert_int_equal(s.calls, 1);
    check(r);
    assert_int_equal(s.calls, 1);
}

static void test_release_and_perform(void **state)
{
    seen s[50] = {{0}};
    for (int i = 0; i < 50; i++) {
        wx_future_t *f = wx_chain(g_client, "v3/industry-coupon/tokens")
                             ->post_async(&(wx_request_options_t){.json_text = SEED_BODY});
        wx_future_then(f, on_done, &s[i]);
        wx_future_release(f);
    }
    assert_int_equal(wx_client_perform(g_client, 0), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(s[i].calls, 1);
    wx_client_wait_all(g_client);
    for (int i = 0; i < 50; i++)
        assert_int_equal(s[i].calls, 1);
}

static void test_failure_before_sending(void **state)
{
    seen s = {0};
    int before = g_fake.requests;
    wx_response_t *r = wx_chain(g_client, "v3/industry-coupon/tokens")
                           ->post_async(&(wx_request_options_t){.json_text = "{\"open_id\":1}"})
                           ->then(on_done, &s)
                           ->wait();
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.err, WX_E_VALIDATION);
    assert_int_equal(g_fake.requests, before);
    wx_response_free(r);
    /* a bad chain gives a completed future too */
    s.calls = 0;
    r = wx_chain(g_client, "v3")->seg("a b")->get_async(NULL)->then(on_done, &s)->wait();
    assert_int_equal(wx_response_err(r), WX_E_CHAIN);
    assert_int_equal(s.calls, 1);
    wx_response_free(r);
    /* released failures are freed without a wait */
    wx_future_release(wx_chain(g_client, "v3")->seg("a b")->get_async(NULL));
    wx_future_release(wx_chain(g_client, "v3/industry-coupon/tokens")->post_async(NULL));
    wx_client_wait_all(g_client);
}

static void test_pending_at_free_are_cancelled(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_options_t o = wxt_fake_options(&fake);
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    seen s = {0};
    wx_future_t *f = wx_chain(c, "v3/industry-coupon/tokens")
                         ->post_async(&(wx_request_options_t){.json_text = SEED_BODY});
    wx_future_then(f, on_done, &s);
    wx_client_free(c); /* fires the callback of the completed-but-undispatched future */
    assert_int_equal(s.calls, 1);
    wxt_fake_free(&fake);
}

/* With no memory at all the async verbs still hand back a future, complete with
 * WX_E_NOMEM, whose callback fires once: the chain form cannot check for NULL. */
static void *no_malloc(size_t n) { return NULL; }
static void *no_realloc(void *p, size_t n) { return NULL; }

static void test_async_without_memory(void **state)
{
    wx_node_t *n = wx_chain(g_client, "v3/industry-coupon/tokens"); /* warm: no allocation */
    seen s = {0};
    wx_set_allocator(&(wx_allocator_t){no_malloc, no_realloc, free});
    wx_response_t *r = wx_request_async(n, WX_POST, NULL)->then(on_done, &s)->wait();
    wx_future_t *f = wx_request_async(n, WX_POST, NULL);
    int done = wx_future_done(f);
    wx_future_then(f, on_done, &s);
    wx_future_release(f);
    wx_set_allocator(NULL);
    assert_int_equal(wx_response_err(r), WX_E_NOMEM);
    wx_response_free(r);
    assert_true(done);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.err, WX_E_NOMEM);
}

/* Per-thread state lives as long as the shorter of its thread and its client. */
typedef struct churn {
    wxt_fake *fake;
    wx_client_t *c;
    pthread_barrier_t step;
    int ok;
} churn;

static int one_async(wx_client_t *c)
{
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")
                           ->post_async(&(wx_request_options_t){.json_text = SEED_BODY})
                           ->wait();
    int ok = wx_response_err(r) == WX_OK;
    wx_response_free(r);
    return ok;
}

static void *churn_thread(void *p)
{
    churn *ch = p;
    ch->ok += one_async(ch->c);
    pthread_barrier_wait(&ch->step); /* the main thread frees the client ... */
    pthread_barrier_wait(&ch->step); /* ... and makes another */
    ch->ok += one_async(ch->c);
    return NULL; /* its state in the second client goes with the thread */
}

static void test_thread_states_come_and_go(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    for (int round = 0; round < 20; round++) {
        churn ch = {.fake = &fake};
        wx_client_options_t o = wxt_fake_options(&fake);
        assert_int_equal(wx_client_new(&o, &ch.c, NULL), WX_OK);
        pthread_barrier_init(&ch.step, NULL, 2);
        pthread_t t;
        pthread_create(&t, NULL, churn_thread, &ch);
        pthread_barrier_wait(&ch.step);
        wx_client_free(ch.c); /* the thread's state in it goes with the client */
        o = wxt_fake_options(&fake);
        assert_int_equal(wx_client_new(&o, &ch.c, NULL), WX_OK);
        pthread_barrier_wait(&ch.step);
        pthread_join(t, NULL);
        assert_int_equal(ch.ok, 2);
        wx_client_free(ch.c);
        pthread_barrier_destroy(&ch.step);
    }
    wxt_fake_free(&fake);
}

/* Fire and forget from inside: the callback releases its own future. */
static int g_released_in_callback;

static void on_done_release(const wx_response_t *r, void *ud)
{
    g_released_in_callback++;
    wx_future_release(ud);
}

static void test_release_inside_callback(void **state)
{
    g_released_in_callback = 0;
    for (int i = 0; i < 3; i++) {
        wx_future_t *f = wx_chain(g_client, "v3/industry-coupon/tokens")
                             ->post_async(&(wx_request_options_t){.json_text = SEED_BODY});
        wx_future_then(f, on_done_release, f);
    }
    assert_int_equal(wx_client_perform(g_client, 0), 0);
    assert_int_equal(g_released_in_callback, 3);
    wx_client_wait_all(g_client);
    assert_int_equal(wx_client_perform(g_client, 0), 0);
    assert_int_equal(g_released_in_callback, 3);
}

/* A cancelled request's callback may use the library: here it starts a request on a
 * client this thread has not used yet, which must not wait for a lock the free holds. */
static wx_client_t *g_other;

static void on_cancel_use_other(const wx_response_t *r, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->err = wx_response_err(r);
    wx_response_t *again = wx_chain(g_other, "v3/industry-coupon/tokens")
                               ->post_async(&(wx_request_options_t){.json_text = SEED_BODY})
                               ->wait();
    if (wx_response_err(again) == WX_OK)
        snprintf(s->token, sizeof s->token, "again");
    wx_response_free(again);
}

static void test_cancel_callback_may_use_the_library(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_options_t o = wxt_fake_options(&fake);
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    o = wxt_fake_options(&fake);
    assert_int_equal(wx_client_new(&o, &g_other, NULL), WX_OK);
    seen s = {0};
    wx_future_t *f = wx_chain(c, "v3/industry-coupon/tokens")
                         ->post_async(&(wx_request_options_t){.json_text = SEED_BODY});
    wx_future_then(f, on_cancel_use_other, &s);
    alarm(20); /* a deadlock fails the test instead of hanging it */
    wx_client_free(c);
    alarm(0);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.token, "again");
    wx_client_free(g_other);
    g_other = NULL;
    wxt_fake_free(&fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_six_styles),
        cmocka_unit_test(test_callback_fires_from_wait_only),
        cmocka_unit_test(test_release_and_perform),
        cmocka_unit_test(test_failure_before_sending),
        cmocka_unit_test(test_release_inside_callback),
        cmocka_unit_test(test_thread_states_come_and_go),
        cmocka_unit_test(test_async_without_memory),
        cmocka_unit_test(test_pending_at_free_are_cancelled),
        cmocka_unit_test(test_cancel_callback_may_use_the_library),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
