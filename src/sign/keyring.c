/* Platform verification keys by id (certificate serial or PUB_KEY_ID_...). Readers
 * (verifications) share a read lock; adding and retiring keys during certificate
 * rotation takes the write lock, so no verification sees a half-updated set. */
#include <pthread.h>
#include <string.h>

#include <wechatpay/plugin.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct ring_entry {
    char *id;
    wx_pubkey_t *key;
} ring_entry;

struct wx_keyring {
    pthread_rwlock_t lock;
    ring_entry *items;
    size_t count, cap;
};

wx_keyring_t *wx_keyring_new(void)
{
    wx_keyring_t *r = wx_calloc(1, sizeof *r);
    if (r && pthread_rwlock_init(&r->lock, NULL) != 0) {
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
    r->items[r->count++] = (ring_entry){copy, key};
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
