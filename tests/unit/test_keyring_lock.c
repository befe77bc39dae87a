/* The keyring's lock lets a rotation through under constant verification: with readers
 * overlapping so that the ring is never free of one, a wx_keyring_add must still finish
 * promptly (writer preference), and the readers go on afterwards. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <wechatpay/plugin.h>

#include "fake_server.h"
#include "sign/sign_internal.h"
#include "testutil.h"

#define READERS 4

static atomic_int g_stop;
static atomic_long g_reads;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A verification that holds the read lock for 2 ms, as a slow one would. */
static wx_err hold(void *ud, const char *id, const wx_pubkey_t *key, wx_error_t *err)
{
    (void)ud, (void)id, (void)key, (void)err;
    struct timespec ms2 = {0, 2000000};
    nanosleep(&ms2, NULL);
    atomic_fetch_add(&g_reads, 1);
    return WX_OK;
}

/* Without writer preference the add would wait as long as the readers run: stop them
 * after 3 s so that the test fails instead of hanging. */
static atomic_int g_done;

static void *watchdog(void *p)
{
    (void)p;
    for (int i = 0; i < 300 && !atomic_load(&g_done); i++) {
        struct timespec ms10 = {0, 10000000};
        nanosleep(&ms10, NULL);
    }
    atomic_store(&g_stop, 1);
    return NULL;
}

static void *reader(void *p)
{
    wx_keyring_t *ring = p;
    while (!atomic_load(&g_stop))
        (void)wx_keyring_use(ring, "OLD", 0, hold, NULL, NULL);
    return NULL;
}

static void test_rotation_gets_through(void **state)
{
    (void)state;
    wx_keyring_t *ring = wx_keyring_new();
    assert_int_equal(wx_keyring_add_pem(ring, "OLD", wxt_golden("platform_cert.pem"), NULL),
                     WX_OK);
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, reader, ring), 0);
        struct timespec stagger = {0, 500000}; /* readers overlap: never all out at once */
        nanosleep(&stagger, NULL);
    }
    while (atomic_load(&g_reads) < 20)
        ;
    pthread_t dog;
    assert_int_equal(pthread_create(&dog, NULL, watchdog, NULL), 0);
    int64_t start = now_ms();
    assert_int_equal(wx_keyring_add_pem(ring, "NEW", wxt_golden("other_cert.pem"), NULL), WX_OK);
    int64_t took = now_ms() - start;
    long after = atomic_load(&g_reads);
    while (!atomic_load(&g_stop) && atomic_load(&g_reads) < after + 20) /* reading goes on */
        ;
    atomic_store(&g_done, 1);
    pthread_join(dog, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
    assert_true(wx_keyring_contains(ring, "NEW"));
    if (took > 1000)
        fail_msg("the rotation waited %lld ms behind the readers", (long long)took);
    wx_keyring_free(ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rotation_gets_through)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
