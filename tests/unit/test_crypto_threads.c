/* Keys shared between threads: concurrent signing, verifying and decrypting give
 * correct results; every thread's random stream is its own; a forked child does not
 * replay its parent's random bytes. Also prints signing throughput for 1 and 2
 * threads (asserted only with WXCT_ASSERT_SCALING=1: shared CI machines are noisy). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wechatpay/crypto.h>

#include "crypto/backend.h"
#include "test_crypto_fixture.h"

static const wxct_fixture *fx;
static wx_privkey_t *g_priv;
static wx_pubkey_t *g_pub;

static int setup(void **state)
{
    (void)state;
    fx = wxct_get();
    g_priv = wxct_privkey(fx->key_pkcs8, NULL);
    g_pub = wxct_pubkey(fx->cert);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wx_privkey_free(g_priv);
    wx_pubkey_free(g_pub);
    return 0;
}

#define THREADS 4
#define ROUNDS 12

typedef struct {
    int id, failures;
    unsigned char random[32];
} worker_t;

static void *worker(void *p)
{
    worker_t *w = p;
    if (wx_random_bytes(w->random, sizeof w->random) != WX_OK)
        w->failures++;
    for (int i = 0; i < ROUNDS; i++) {
        char msg[64], *sig = NULL, *ct = NULL, *pt = NULL;
        size_t n = 0;
        int len = snprintf(msg, sizeof msg, "thread %d round %d\n", w->id, i);
        if (wx_rsa_sign(g_priv, msg, (size_t)len, &sig, NULL) != WX_OK ||
            wx_rsa_verify(g_pub, msg, (size_t)len, sig, NULL) != WX_OK)
            w->failures++;
        /* Another thread's message must not verify with this signature. */
        if (wx_rsa_verify(g_pub, "other", 5, sig, NULL) != WX_E_VERIFY_SIGNATURE)
            w->failures++;
        if (wx_rsa_oaep_encrypt(g_pub, msg, (size_t)len, &ct, NULL) != WX_OK ||
            wx_rsa_oaep_decrypt(g_priv, ct, &pt, &n, NULL) != WX_OK || n != (size_t)len ||
            memcmp(pt, msg, n) != 0)
            w->failures++;
        wx_free(sig);
        wx_free(ct);
        wx_free_secret(pt, n);
    }
    return NULL;
}

static void test_shared_keys_across_threads(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    worker_t w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].failures, 0);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(w[i].random, w[j].random, 32);
    }
}

static void test_fork_reseeds(void **state)
{
    (void)state;
    unsigned char before[32], parent[32], child[2][32];
    assert_int_equal(wx_random_bytes(before, sizeof before), WX_OK); /* seed this thread */
    for (int c = 0; c < 2; c++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            unsigned char r[32];
            int ok = wx_random_bytes(r, sizeof r) == WX_OK && write(fds[1], r, 32) == 32;
            _exit(ok ? 0 : 1);
        }
        close(fds[1]);
        assert_int_equal(read(fds[0], child[c], 32), 32);
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(wx_random_bytes(parent, sizeof parent), WX_OK);
    assert_memory_not_equal(parent, child[0], 32);
    assert_memory_not_equal(parent, child[1], 32);
    assert_memory_not_equal(child[0], child[1], 32);
    assert_memory_not_equal(before, parent, 32);
}

/* ------------------------------------------------------------ throughput */

typedef struct {
    int n;
    int failures;
} bench_t;

static void *sign_loop(void *p)
{
    bench_t *b = p;
    unsigned char hash[32] = {1}, sig[WXC_RSA_MAX_BYTES];
    const wxc_privkey *k = wxc_privkey_of(g_priv);
    for (int i = 0; i < b->n; i++) {
        size_t len = sizeof sig;
        if (wxc_rsa_sign_sha256(k, hash, sig, &len, NULL) != WX_OK)
            b->failures++;
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double signs_per_second(int threads, int per_thread)
{
    pthread_t t[2];
    bench_t b[2] = {{per_thread, 0}, {per_thread, 0}};
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        assert_int_equal(pthread_create(&t[i], NULL, sign_loop, &b[i]), 0);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double dt = now_s() - t0;
    for (int i = 0; i < threads; i++)
        assert_int_equal(b[i].failures, 0);
    return threads * per_thread / dt;
}

/* The same measure for plain arithmetic: how far this machine lets 2 threads scale
 * right now, so the signing figure can be read against it. */
typedef struct {
    unsigned long n, result;
} spin_t;

static void *spin(void *p)
{
    spin_t *s = p;
    unsigned long x = 1;
    for (unsigned long i = 0; i < s->n; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    s->result = x;
    return NULL;
}

static double machine_scaling(void)
{
    spin_t s[2] = {{30000000, 0}, {30000000, 0}};
    double t0 = now_s();
    spin(&s[0]);
    double one = now_s() - t0;
    pthread_t t[2];
    t0 = now_s();
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, spin, &s[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s[0].result, s[1].result);
    return 2 * one / (now_s() - t0);
}

static void test_signing_scales(void **state)
{
    (void)state;
    const char *env = getenv("WXCT_SIGNS");
    int n = env ? atoi(env) : 40;
    signs_per_second(2, 5); /* warm up both threads' caches and DRBGs */
    /* Best of three: other work on a shared machine only ever slows a run down. */
    double machine = 0, one = 0, two = 0;
    for (int i = 0; i < 3; i++) {
        double m = machine_scaling(), a = signs_per_second(1, n), b = signs_per_second(2, n);
        machine = m > machine ? m : machine;
        one = a > one ? a : one;
        two = b > two ? b : two;
    }
    printf("# %s, RSA-2048 signs/s: 1 thread %.0f, 2 threads %.0f: x%.2f "
           "(plain arithmetic scales x%.2f here now)\n",
           wxc_backend_version(), one, two, two / one, machine);
    const char *strict = getenv("WXCT_ASSERT_SCALING");
    if (strict && strcmp(strict, "1") == 0)
        assert_true(two / one > 0.8 * machine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_keys_across_threads),
        cmocka_unit_test(test_fork_reseeds),
        cmocka_unit_test(test_signing_scales),
    };
    return cmocka_run_group_tests_name(wx_crypto_backend(), tests, setup, teardown);
}
