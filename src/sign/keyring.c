/* Platform verification keys by id (certificate serial or PUB_KEY_ID_...). Readers
 * (verifications) share a read lock; adding and retiring keys during certificate
 * rotation takes the write lock, so no verification sees a half-updated set. */
#include <pthread.h>
#include <string.h>

#include <wechatpay/plugin.h>

#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct ring_entry {
    char *id;
    wx_pubkey_t *key;
    uint64_t added;   /* order of addition, for "the key added last" */
} ring_entry;

struct wx_keyring {
    pthread_rwlock_t lock;
    ring_entry *items;
    size_t count, cap;
    uint64_t next_added;
};

/* Writers first: verifications run constantly on a busy client, and with glibc's default
 * (readers first) overlapping readers can keep a rotation's wx_keyring_add waiting for as
 * long as traffic lasts. With writer preference a waiting writer holds new readers back.
 * The non-recursive kind is what glibc offers for it: no thread takes the read lock
 * twice (wx_keyring_use's callbacks do not touch the ring). Elsewhere the platform's
 * default stands. */
static int lock_init(pthread_rwlock_t *lock)
{
#if defined(__GLIBC__)
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0)
        return -1;
    int rc = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (rc == 0)
        rc = pthread_rwlock_init(lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return rc;
#else
    return pthread_rwlock_init(lock, NULL);
#endif
}

wx_keyring_t *wx_keyring_new(void)
{
    wx_keyring_t *r = wx_calloc(1, sizeof *r);
    if (r && lock_init(&r->lock) != 0) {
        wx_free(r);
        return NULL;
    }
    return r;
}

void wx_keyring_free(wx_keyring_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        wx_free(r->items[i].id);
        wx_pubkey_free(r->items[i].key);
    }
    wx_free(r->items);
    pthread_rwlock_destroy(&r->lock);
    wx_free(r);
}

static ring_entry *find_locked(wx_keyring_t *r, const char *id)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->items[i].id, id) == 0)
            return &r->items[i];
    return NULL;
}

wx_err wx_keyring_add(wx_keyring_t *r, const char *id, wx_pubkey_t *key)
{
    if (!r || !id || !*id || !key) {
        wx_pubkey_free(key);
        return WX_E_INVALID_ARG;
    }
    char *copy = wx_strdup(id);
    if (!copy) {
        wx_pubkey_free(key);
        return WX_E_NOMEM;
    }
    pthread_rwlock_wrlock(&r->lock);
    ring_entry *e = find_locked(r, id);
    if (e) {
        wx_pubkey_free(e->key);
        wx_free(copy);
        e->key = key;
        e->added = ++r->next_added;
        pthread_rwlock_unlock(&r->lock);
        return WX_OK;
    }
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        ring_entry *items = wx_realloc(r->items, cap * sizeof *items);
        if (!items) {
            pthread_rwlock_unlock(&r->lock);
            wx_free(copy);
            wx_pubkey_free(key);
            return WX_E_NOMEM;
        }
        r->items = items;
        r->cap = cap;
    }
    r->items[r->count++] = (ring_entry){copy, key, ++r->next_added};
    pthread_rwlock_unlock(&r->lock);
    return WX_OK;
}

wx_err wx_keyring_add_pem(wx_keyring_t *r, const char *id, const char *pem, wx_error_t *err)
{
    if (!r || !id || !pem)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "keyring, id and PEM are required");
    wx_pubkey_t *key = NULL;
    wx_err rc = wx_pubkey_load(pem, strlen(pem), &key, err);
    if (rc != WX_OK) {
        wx_error_prefix(err, "platform key %s", id);
        return rc;
    }
    rc = wx_keyring_add(r, id, key);
    return rc == WX_OK ? WX_OK : wx_error_set(err, rc, id, "cannot add platform key %s", id);
}

wx_err wx_keyring_remove(wx_keyring_t *r, const char *id)
{
    if (!r || !id)
        return WX_E_INVALID_ARG;
    pthread_rwlock_wrlock(&r->lock);
    ring_entry *e = find_locked(r, id);
    if (!e) {
        pthread_rwlock_unlock(&r->lock);
        return WX_E_NOT_FOUND;
    }
    wx_free(e->id);
    wx_pubkey_free(e->key);
    *e = r->items[--r->count];
    pthread_rwlock_unlock(&r->lock);
    return WX_OK;
}

size_t wx_keyring_count(const wx_keyring_t *r)
{
    if (!r)
        return 0;
    wx_keyring_t *m = (wx_keyring_t *)r;
    pthread_rwlock_rdlock(&m->lock);
    size_t n = m->count;
    pthread_rwlock_unlock(&m->lock);
    return n;
}

int wx_keyring_contains(const wx_keyring_t *r, const char *id)
{
    if (!r || !id)
        return 0;
    wx_keyring_t *m = (wx_keyring_t *)r;
    pthread_rwlock_rdlock(&m->lock);
    int found = find_locked(m, id) != NULL;
    pthread_rwlock_unlock(&m->lock);
    return found;
}

wx_err wx_keyring_verify(wx_keyring_t *r, const char *id, const void *msg, size_t len,
                         const char *sig_b64, wx_error_t *err)
{
    if (!r || !id)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "keyring and key id are required");
    pthread_rwlock_rdlock(&r->lock);
    ring_entry *e = find_locked(r, id);
    wx_err rc;
    if (!e)
        rc = wx_error_set(err, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                          "signed with platform key %.64s, which is not configured", id);
    else
        rc = wx_rsa_verify(e->key, msg, len, sig_b64, err);
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

/* ------------------------------------------------------------- security toolkit */

static int is_pubkey_id(const char *id) { return strncmp(id, "PUB_KEY_ID_", 11) == 0; }

/* The encryption key by the rule of wechatpay/sensitive.h: the WeChat Pay public key
 * added last, else the certificate valid at @p now that came into force last. */
static ring_entry *current_locked(wx_keyring_t *r, int64_t now)
{
    ring_entry *best = NULL;
    for (size_t i = 0; i < r->count; i++) {
        ring_entry *e = &r->items[i];
        if (is_pubkey_id(e->id) && (!best || !is_pubkey_id(best->id) || e->added > best->added))
            best = e;
    }
    if (best)
        return best;
    int64_t best_from = 0, best_to = 0;
    for (size_t i = 0; i < r->count; i++) {
        ring_entry *e = &r->items[i];
        int64_t from, to;
        wx_pubkey_validity(e->key, &from, &to);
        if (!wx_pubkey_serial(e->key) || now < from || now > to)
            continue;
        if (!best || from > best_from || (from == best_from && to > best_to) ||
            (from == best_from && to == best_to && e->added > best->added)) {
            best = e;
            best_from = from;
            best_to = to;
        }
    }
    return best;
}

wx_err wx_keyring_use(wx_keyring_t *r, const char *id, int64_t now, wx_keyring_use_fn fn,
                      void *ud, wx_error_t *err)
{
    if (!r || !fn)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "keyring and function are required");
    pthread_rwlock_rdlock(&r->lock);
    ring_entry *e = id ? find_locked(r, id) : current_locked(r, now);
    wx_err rc;
    if (e)
        rc = fn(ud, e->id, e->key, err);
    else if (id)
        rc = wx_error_set(err, WX_E_KEY, "Wechatpay-Serial",
                          "platform key %.64s is not configured", id);
    else
        rc = wx_error_set(err, WX_E_KEY, "platform",
                          "no platform key to encrypt with: configure a WeChat Pay public key "
                          "(PUB_KEY_ID_...) or a platform certificate valid now");
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int64_t wx_keyring_nearest_expiry(wx_keyring_t *r)
{
    int64_t nearest = 0;
    if (!r)
        return 0;
    pthread_rwlock_rdlock(&r->lock);
    for (size_t i = 0; i < r->count; i++) {
        int64_t from, to;
        if (!wx_pubkey_serial(r->items[i].key) || is_pubkey_id(r->items[i].id))
            continue;
        wx_pubkey_validity(r->items[i].key, &from, &to);
        if (!nearest || to < nearest)
            nearest = to;
    }
    pthread_rwlock_unlock(&r->lock);
    return nearest;
}

size_t wx_keyring_drop_expired(wx_keyring_t *r, int64_t now)
{
    size_t dropped = 0;
    if (!r)
        return 0;
    pthread_rwlock_wrlock(&r->lock);
    for (size_t i = 0; i < r->count;) {
        ring_entry *e = &r->items[i];
        int64_t from, to;
        wx_pubkey_validity(e->key, &from, &to);
        if (wx_pubkey_serial(e->key) && !is_pubkey_id(e->id) && to < now) {
            wx_free(e->id);
            wx_pubkey_free(e->key);
            *e = r->items[--r->count];
            dropped++;
            continue;
        }
        i++;
    }
    pthread_rwlock_unlock(&r->lock);
    return dropped;
}
