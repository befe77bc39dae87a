/* Signing responses as WeChat Pay does: Wechatpay-Signature is base64 SHA256withRSA
 * over "TIMESTAMP\nNONCE\nBODY\n" with the platform key (or the public-key-id key).
 *
 * RSA signing costs far more than everything else the mock does per request, so the
 * mock would be the bottleneck of a benchmark; an identical body reuses its timestamp,
 * nonce and signature for up to 60 s (well inside the client's 300 s window). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

#define CACHE_SLOTS 256
#define CACHE_TTL_S 60
#define CACHE_MAX_BODY (64 * 1024)

typedef struct slot {
    char *body;
    size_t len;
    wx_mock_sign_with with;
    int64_t created;
    char timestamp[24];
    char nonce[40];
    char *signature;
} slot;

struct wx_mock_sigcache {
    pthread_mutex_t lock;
    slot slots[CACHE_SLOTS];
};

wx_mock_sigcache *wx_mock_sigcache_new(void)
{
    wx_mock_sigcache *c = calloc(1, sizeof *c);
    if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void wx_mock_sigcache_free(wx_mock_sigcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(c->slots[i].body);
        free(c->slots[i].signature);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void wx_mock_signature_clear(wx_mock_signature *s)
{
    if (!s)
        return;
    free(s->signature);
    memset(s, 0, sizeof *s);
}

static uint64_t fnv1a(const void *p, size_t len, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Upper-case letters and digits, like the nonces WeChat Pay sends. */
static int random_token(char *out, size_t n, const char *alphabet)
{
    unsigned char raw[64];
    if (n > sizeof raw || wx_random_bytes(raw, n) != WX_OK)
        return -1;
    size_t al = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] % al];
    out[n] = 0;
    return 0;
}

static int cache_lookup(wx_mock_sigcache *c, size_t idx, wx_mock_sign_with with, const char *body,
                        size_t len, int64_t now, wx_mock_signature *out)
{
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    slot *s = &c->slots[idx];
    if (s->signature && s->with == with && s->len == len && now - s->created < CACHE_TTL_S &&
        now >= s->created && (len == 0 || !memcmp(s->body, body, len))) {
        out->signature = strdup(s->signature);
        if (out->signature) {
            memcpy(out->timestamp, s->timestamp, sizeof out->timestamp);
            memcpy(out->nonce, s->nonce, sizeof out->nonce);
            hit = 1;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void cache_store(wx_mock_sigcache *c, size_t idx, wx_mock_sign_with with, const char *body,
                        size_t len, int64_t now, const wx_mock_signature *sig)
{
    char *b = malloc(len + 1), *s = strdup(sig->signature);
    if (!b || !s) {
        free(b);
        free(s);
        return;
    }
    if (len)
        memcpy(b, body, len);
    pthread_mutex_lock(&c->lock);
    slot *sl = &c->slots[idx];
    free(sl->body);
    free(sl->signature);
    sl->body = b;
    sl->len = len;
    sl->with = with;
    sl->created = now;
    memcpy(sl->timestamp, sig->timestamp, sizeof sl->timestamp);
    memcpy(sl->nonce, sig->nonce, sizeof sl->nonce);
    sl->signature = s;
    pthread_mutex_unlock(&c->lock);
}

int wx_mock_sign_response(const wx_mock_config *cfg, wx_mock_sigcache *cache,
                          wx_mock_sign_with with, wx_mock_fault fault, const char *body,
                          size_t len, wx_mock_signature *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    const wx_privkey_t *key = cfg->platform_key;
    const char *serial = cfg->platform_serial;
    if (with == WX_SIGN_WITH_PUBKEY) {
        key = cfg->pubkey_key;
        serial = cfg->pubkey_id;
    }
    if (!key || !serial) {
        snprintf(why, why_len, "no signing key configured");
        return -1;
    }
    snprintf(out->serial, sizeof out->serial, "%s", serial);
    if (fault == WX_FAULT_UNKNOWN_SERIAL) {
        /* 40 random hex characters: not any configured serial (2^-160 odds). */
        if (random_token(out->serial, 40, "0123456789ABCDEF") != 0) {
            snprintf(why, why_len, "random source failed");
            return -1;
        }
    }

    int64_t now = (int64_t)time(NULL);
    int cacheable = cache && len <= CACHE_MAX_BODY &&
                    (fault == WX_FAULT_NONE || fault == WX_FAULT_UNKNOWN_SERIAL ||
                     fault == WX_FAULT_SLOW_BODY || fault == WX_FAULT_TRUNCATED_BODY ||
                     fault == WX_FAULT_HTTP_500);
    size_t idx = (size_t)(fnv1a(body, len, 14695981039346656037ULL ^ (uint64_t)with) % CACHE_SLOTS);
    if (cacheable && cache_lookup(cache, idx, with, body, len, now, out))
        return 0;

    int64_t ts = fault == WX_FAULT_STALE_TIMESTAMP ? now - 600 : now;
    snprintf(out->timestamp, sizeof out->timestamp, "%lld", (long long)ts);
    if (random_token(out->nonce, 32, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 0) {
        snprintf(why, why_len, "random source failed");
        return -1;
    }
    wx_mock_str msg = {0};
    wx_mock_str_printf(&msg, "%s\n%s\n", out->timestamp, out->nonce);
    wx_mock_str_append(&msg, body, len);
    /* bad-signature: a genuine signature by the right key, but of other bytes. */
    if (fault == WX_FAULT_BAD_SIGNATURE)
        wx_mock_str_puts(&msg, " (tampered)");
    wx_mock_str_puts(&msg, "\n");
    if (msg.failed) {
        wx_mock_str_free(&msg);
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    char *sig = NULL;
    wx_error_t err = {0};
    wx_err rc = wx_rsa_sign(key, msg.data, msg.len, &sig, &err);
    wx_mock_str_free(&msg);
    if (rc != WX_OK) {
        snprintf(why, why_len, "signing the response: %s", err.message);
        return -1;
    }
    out->signature = strdup(sig);
    wx_free(sig);
    if (!out->signature) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    if (cacheable)
        cache_store(cache, idx, with, body, len, now, out);
    return 0;
}
