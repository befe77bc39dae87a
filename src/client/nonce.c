/* The default nonce source: 32 upper-case hex digits from the CSPRNG. The random bytes
 * are drawn 512 at a time per thread, one DRBG call for 32 nonces (a call costs far
 * more than 16 bytes of output: locks, reseed and fork checks), and a forked child
 * throws away what its parent drew, so two processes never send the same nonce. The
 * bytes are not secret: they are sent in the Authorization header. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <wechatpay/crypto.h>

#include "client/client_internal.h"

enum { NONCE_POOL = 512, NONCE_RAW = 16 };

typedef struct nonce_pool {
    unsigned char raw[NONCE_POOL];
    size_t used;
    unsigned fork_gen; /* g_fork_gen when raw was drawn */
} nonce_pool;

static _Thread_local nonce_pool t_pool = {.used = NONCE_POOL};
static atomic_uint g_fork_gen;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void) { atomic_fetch_add_explicit(&g_fork_gen, 1, memory_order_relaxed); }
static void install_fork_hook(void) { (void)pthread_atfork(NULL, NULL, on_fork_child); }

wx_err wx_default_nonce(void *ud, char out[64])
{
    (void)ud;
    static const char hex[] = "0123456789ABCDEF";
    pthread_once(&g_once, install_fork_hook);
    unsigned gen = atomic_load_explicit(&g_fork_gen, memory_order_relaxed);
    nonce_pool *p = &t_pool;
    if (p->used + NONCE_RAW > NONCE_POOL || p->fork_gen != gen) {
        wx_err rc = wx_random_bytes(p->raw, sizeof p->raw);
        if (rc != WX_OK)
            return rc;
        p->used = 0;
        p->fork_gen = gen;
    }
    const unsigned char *raw = p->raw + p->used;
    for (int i = 0; i < NONCE_RAW; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * NONCE_RAW] = 0;
    memset(p->raw + p->used, 0, NONCE_RAW); /* each byte is used once */
    p->used += NONCE_RAW;
    return WX_OK;
}
