/* Platform certificates on the in-memory transport, against a small WeChat Pay that
 * lists the certificates it is told to and signs with the key it is told to: the first
 * download (bootstrap), every way a download can be forged or damaged (installing
 * nothing), a rotation with both certificates valid during the overlap and the expired
 * one dropped, PEM files, automatic refresh on an unknown serial (accepted only when the
 * refresh really yields it) and near expiry, WeChat Pay public keys side by side,
 * concurrent verification during refreshes, and failing allocations. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/crypto.h>
#include <wechatpay/sys/transport_memory.h>

#include "alloc_counter.h"
#include "fake_server.h"
#include "testutil.h"

#define APIV3_KEY "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"
#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"
#define SEED_RESPONSE "{\"token\":\"16824f40-aec1-11e8-a69c-f7a44da04f19\"}"
#define DAY 86400
#define T0 ((int64_t)WXT_NOW)

/* ------------------------------------------------------------------ keys */

typedef struct pkey {
    wx_privkey_t *key;
    char *pem;          /* certificate, or PUBLIC KEY for a public-key id */
    char id[64];        /* serial or PUB_KEY_ID_... */
    int64_t from, to;
} pkey;

static pkey g_old, g_new, g_third, g_expired, g_future, g_pubkey;

static void make_key(pkey *k, const char *key_file, const char *serial, int64_t from, int64_t to)
{
    const char *pem = wxt_golden(key_file);
    assert_int_equal(wx_privkey_load(pem, strlen(pem), NULL, &k->key, NULL), WX_OK);
    snprintf(k->id, sizeof k->id, "%s", serial);
    k->from = from;
    k->to = to;
    if (!strncmp(serial, "PUB_KEY_ID_", 11)) {
        assert_int_equal(wx_pubkey_pem(k->key, &k->pem, NULL), WX_OK);
        return;
    }
    wx_cert_spec_t spec = {.subject_cn = "Tenpay.com Root CA test", .serial_hex = serial,
                           .not_before = from, .not_after = to};
    wx_error_t err = {0};
    if (wx_cert_create(k->key, &spec, &k->pem, &err) != WX_OK)
        fail_msg("cert %s: %s", serial, err.message);
}

static void free_key(pkey *k)
{
    wx_privkey_free(k->key);
    wx_free(k->pem);
    memset(k, 0, sizeof *k);
}

/* ------------------------------------------------------------------ the server */

typedef struct server {
    const pkey *listed[6];        /* certificates in the download, NULL-terminated */
    const pkey *signer;           /* signs every answer */
    const pkey *download_signer;  /* signs the download instead, when set */
    const pkey *alternate;        /* when set, every other answer is signed by this one */
    const char *claim_serial;     /* Wechatpay-Serial to send instead of the signer's
                                     (answers other than the download) */
    const char *download_claim;   /* the same for the download */
    const char *apiv3_key;        /* encrypts the certificates (default APIV3_KEY) */
    int tamper_cipher;            /* change a character of the first ciphertext */
    const char *serial_no;        /* serial_no to write for the first certificate */
    const char *effective_time;   /* effective_time to write for the first certificate */
    const char *algorithm;        /* default AEAD_AES_256_GCM */
    int download_status;          /* default 200 */
    int fail_transport;           /* answer nothing */
    atomic_int cert_requests, other_requests, answers;
} server;

static _Atomic int64_t g_now = T0;

static int64_t test_clock(void *ud) { return atomic_load(&g_now); }

static void beijing(int64_t t, char out[32])
{
    time_t local = (time_t)(t + 8 * 3600);
    struct tm tm;
    gmtime_r(&local, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

static char *certificates_body(server *s)
{
    struct json_object *data = json_object_new_array();
    for (int i = 0; s->listed[i]; i++) {
        const pkey *k = s->listed[i];
        char nonce[] = "61f9c719728a", from[32], to[32];
        nonce[0] = (char)('a' + i);
        char *cipher = NULL;
        if (wx_aes_gcm_encrypt(s->apiv3_key ? s->apiv3_key : APIV3_KEY, nonce, "certificate",
                               k->pem, strlen(k->pem), &cipher, NULL) != WX_OK) {
            json_object_put(data); /* failing-allocation runs */
            return NULL;
        }
        if (i == 0 && s->tamper_cipher)
            cipher[7] = cipher[7] == 'A' ? 'B' : 'A';
        beijing(k->from, from);
        beijing(k->to, to);
        struct json_object *enc = json_object_new_object(), *item = json_object_new_object();
        json_object_object_add(enc, "algorithm", json_object_new_string(
                                                     s->algorithm ? s->algorithm : "AEAD_AES_256_GCM"));
        json_object_object_add(enc, "nonce", json_object_new_string(nonce));
        json_object_object_add(enc, "associated_data", json_object_new_string("certificate"));
        json_object_object_add(enc, "ciphertext", json_object_new_string(cipher));
        wx_free(cipher);
        json_object_object_add(item, "serial_no", json_object_new_string(
                                                      i == 0 && s->serial_no ? s->serial_no : k->id));
        json_object_object_add(item, "effective_time", json_object_new_string(
                                                           i == 0 && s->effective_time ? s->effective_time : from));
        json_object_object_add(item, "expire_time", json_object_new_string(to));
        json_object_object_add(item, "encrypt_certificate", enc);
        json_object_array_add(data, item);
    }
    struct json_object *root = json_object_new_object();
    json_object_object_add(root, "data", data);
    char *out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

static wx_err handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    server *s = ud;
    if (s->fail_transport)
        return WX_E_TRANSPORT;
    int certs = strstr(req->url, "/v3/certificates") != NULL;
    atomic_fetch_add(certs ? &s->cert_requests : &s->other_requests, 1);
    char *body = certs ? certificates_body(s) : strdup(SEED_RESPONSE);
    if (!body)
        return WX_E_TRANSPORT;
    int status = certs && s->download_status ? s->download_status : 200;
    if (status != 200) {
        free(body);
        body = strdup("{\"code\":\"SYSTEM_ERROR\",\"message\":\"busy\"}");
    }
    const pkey *k = certs && s->download_signer ? s->download_signer : s->signer;
    if (s->alternate && atomic_fetch_add(&s->answers, 1) % 2)
        k = s->alternate;
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)atomic_load(&g_now));
    const char *nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    size_t len = strlen(ts) + strlen(nonce) + strlen(body) + 4;
    char *msg = malloc(len), *sig = NULL;
    snprintf(msg, len, "%s\n%s\n%s\n", ts, nonce, body);
    wx_err rc = wx_rsa_sign(k->key, msg, strlen(msg), &sig, NULL);
    free(msg);
    if (rc != WX_OK) { /* failing-allocation runs: play a dead server */
        free(body);
        return WX_E_TRANSPORT;
    }
    const char *claim = certs ? s->download_claim : s->claim_serial;
    const char *serial = claim ? claim : k->id;
    wx_http_response_set_status(resp, status);
    wx_http_response_add_header(resp, "Wechatpay-Timestamp", 19, ts, strlen(ts));
    wx_http_response_add_header(resp, "Wechatpay-Nonce", 15, nonce, strlen(nonce));
    wx_http_response_add_header(resp, "Wechatpay-Signature", 19, sig, strlen(sig));
    wx_http_response_add_header(resp, "Wechatpay-Serial", 16, serial, strlen(serial));
    rc = wx_http_response_append(resp, body, strlen(body));
    wx_free(sig);
    free(body);
    return rc;
}

/* ------------------------------------------------------------------ clients */

static server g_srv;

static void server_reset(void)
{
    memset(&g_srv, 0, sizeof g_srv);
    g_srv.listed[0] = &g_old;
    g_srv.listed[1] = &g_new;
    g_srv.signer = &g_new;
    atomic_store(&g_now, T0);
}

static wx_client_options_t options(const pkey *const *keys)
{
    static wx_platform_key_t platform[7];
    size_t n = 0;
    for (; keys && keys[n]; n++)
        platform[n] = (wx_platform_key_t){keys[n]->id, keys[n]->pem};
    wx_client_options_t o = {0};
    o.mchid = "1900000001";
    o.serial = "3C9A2F1B7E5D4C3B2A1908F7E6D5C4B3A2918070";
    o.private_key_pem = wxt_golden("merchant_key.pem");
    platform[n] = (wx_platform_key_t){NULL, NULL};
    o.platform = platform;
    o.apiv3_key = APIV3_KEY;
    o.no_env_spec_path = 1;
    o.clock = test_clock;
    o.transport = wx_transport_memory(handler, &g_srv);
    return o;
}

static wx_client_t *client(const pkey *const *keys, int auto_refresh)
{
    wx_client_options_t o = options(keys);
    o.auto_refresh_certificates = auto_refresh;
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new(&o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

static wx_response_t *seed(wx_client_t *c)
{
    return wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = SEED_BODY});
}

static void expect_seed(wx_client_t *c, wx_err code, const char *part)
{
    wx_response_t *r = seed(c);
    if (wx_response_err(r) != code ||
        (part && !strstr(wx_response_error_detail(r)->message, part)))
        fail_msg("want %s (%s), got %s: %s", wx_err_name(code), part ? part : "*",
                 wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
    if (code == WX_OK)
        assert_non_null(strstr(wx_response_body(r, NULL), "16824f40"));
    else
        assert_null(wx_response_body(r, NULL)); /* nothing of a rejected body */
    wx_response_free(r);
}

static int setup(void **state)
{
    /* old: in force for years, ends ten days after T0; new: from yesterday on */
    make_key(&g_old, "platform_key.pem", "1A2B3C4D5E6F708192A3B4C5D6E7F80910111213", T0 - 900 * DAY,
             T0 + 10 * DAY);
    make_key(&g_new, "other_key.pem", "2B3C4D5E6F708192A3B4C5D6E7F8091011121314", T0 - DAY,
             T0 + 1800 * DAY);
    make_key(&g_third, "merchant_key.pem", "3C4D5E6F708192A3B4C5D6E7F809101112131415", T0 - DAY,
             T0 + 1800 * DAY);
    make_key(&g_expired, "merchant_key.pem", "4D5E6F708192A3B4C5D6E7F80910111213141516",
             T0 - 2000 * DAY, T0 - DAY);
    make_key(&g_future, "merchant_key.pem", "5E6F708192A3B4C5D6E7F8091011121314151617",
             T0 + 30 * DAY, T0 + 2000 * DAY);
    make_key(&g_pubkey, "merchant_key.pem", "PUB_KEY_ID_0114232009152025032900000000000099", 0, 0);
    return 0;
}

static int teardown(void **state)
{
    free_key(&g_old), free_key(&g_new), free_key(&g_third), free_key(&g_expired);
    free_key(&g_future), free_key(&g_pubkey);
    return 0;
}

static int before_each(void **state)
{
    server_reset();
    return 0;
}

/* ------------------------------------------------------------------ downloads */

/* No platform key configured: the download verifies itself with the certificate of
 * its signing serial that it carries, and both certificates go into the keyring. */
static void test_bootstrap(void **state)
{
    wx_client_t *c = client(NULL, 0);
    wx_keyring_t *ring = wx_client_keyring(c);
    expect_seed(c, WX_E_VERIFY_SERIAL, "not configured");
    wx_cert_set_t *set = NULL;
    wx_error_t err = {0};
    if (wx_certificates_refresh(c, NULL, &set, &err) != WX_OK)
        fail_msg("refresh: %s", err.message);
    assert_int_equal(wx_cert_set_count(set), 2);
    const wx_platform_cert_t *a = wx_cert_set_at(set, 0), *b = wx_cert_set_at(set, 1);
    assert_string_equal(a->serial, g_old.id);
    assert_string_equal(b->serial, g_new.id);
    assert_int_equal(a->not_before, g_old.from);
    assert_int_equal(a->not_after, g_old.to);
    assert_int_equal(a->state, WX_CERT_INSTALLED);
    assert_string_equal(a->pem, g_old.pem);
    assert_non_null(strstr(a->effective_time, "+08:00"));
    assert_string_equal(wx_cert_set_signer(set), g_new.id);
    assert_null(wx_cert_set_at(set, 2));
    wx_cert_set_free(set);
    assert_int_equal(wx_keyring_count(ring), 2);
    assert_true(wx_keyring_contains(ring, g_old.id));
    assert_true(wx_keyring_contains(ring, g_new.id));
    expect_seed(c, WX_OK, NULL);
    g_srv.signer = &g_old;
    expect_seed(c, WX_OK, NULL);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    wx_client_free(c);
}

/* Signed by a key already configured: verified like any response. */
static void test_download_signed_by_known_key(void **state)
{
    g_srv.signer = &g_old;
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 0);
    wx_cert_set_t *set = NULL;
    assert_int_equal(wx_certificates_refresh(c, &(wx_cert_refresh_options_t){0}, &set, NULL),
                     WX_OK);
    assert_string_equal(wx_cert_set_signer(set), g_old.id);
    wx_cert_set_free(set);
    assert_int_equal(wx_keyring_count(wx_client_keyring(c)), 2);
    /* no_install: checked and listed, the keyring left alone */
    wx_client_free(c);
    c = client((const pkey *[]){&g_old, NULL}, 0);
    assert_int_equal(wx_certificates_refresh(c, &(wx_cert_refresh_options_t){.no_install = 1},
                                             &set, NULL), WX_OK);
    assert_int_equal(wx_cert_set_count(set), 2);
    assert_int_equal(wx_keyring_count(wx_client_keyring(c)), 1);
    wx_cert_set_free(set);
    wx_client_free(c);
}

static void expect_refresh_fails(const pkey *const *configured, wx_err code, const char *where,
                                 const char *part)
{
    wx_client_t *c = client(configured, 0);
    size_t before = wx_keyring_count(wx_client_keyring(c));
    wx_cert_set_t *set = (wx_cert_set_t *)1;
    wx_error_t err = {0};
    wx_err rc = wx_certificates_refresh(c, NULL, &set, &err);
    if (rc != code || (where && strcmp(err.where, where)) || (part && !strstr(err.message, part)))
        fail_msg("want %s at %s (%s), got %s at %s: %s", wx_err_name(code), where ? where : "*",
                 part ? part : "*", wx_err_name(rc), err.where, err.message);
    assert_null(set);
    assert_int_equal(wx_keyring_count(wx_client_keyring(c)), before); /* nothing installed */
    wx_client_free(c);
}

/* Every forged or damaged download installs nothing and says why. */
static void test_forged_and_damaged_downloads(void **state)
{
    /* signed by a serial that neither the keyring nor the download holds */
    g_srv.signer = &g_third;
    expect_refresh_fails(NULL, WX_E_VERIFY_SERIAL, "Wechatpay-Serial",
                         "neither the keyring nor the download");
    /* claims a certificate of the download but signed with another key */
    server_reset();
    g_srv.signer = &g_third;
    g_srv.download_claim = g_new.id;
    expect_refresh_fails(NULL, WX_E_VERIFY_SIGNATURE, "Wechatpay-Signature", "certificate download");
    /* the same forgery against a configured serial: the usual check stops it */
    expect_refresh_fails((const pkey *[]){&g_new, NULL}, WX_E_VERIFY_SIGNATURE, NULL, NULL);
    /* a certificate that does not decrypt: altered, or encrypted with another APIv3 key */
    server_reset();
    g_srv.tamper_cipher = 1;
    expect_refresh_fails(NULL, WX_E_DECRYPT, "data[0].encrypt_certificate", "does not decrypt");
    server_reset();
    g_srv.apiv3_key = "b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    expect_refresh_fails(NULL, WX_E_DECRYPT, NULL, "apiv3_key");
    /* a serial_no that is not the certificate's */
    server_reset();
    g_srv.serial_no = g_third.id;
    expect_refresh_fails(NULL, WX_E_KEY, NULL, "holds the certificate of serial");
    /* times that contradict the certificate, or are not times */
    server_reset();
    g_srv.effective_time = "2001-01-01T00:00:00+08:00";
    expect_refresh_fails(NULL, WX_E_KEY, NULL, "contradict");
    server_reset();
    g_srv.effective_time = "yesterday";
    expect_refresh_fails(NULL, WX_E_JSON, "data[0].effective_time", "RFC 3339");
    /* another algorithm */
    server_reset();
    g_srv.algorithm = "AEAD_SM4_GCM";
    expect_refresh_fails(NULL, WX_E_UNSUPPORTED, NULL, "AEAD_SM4_GCM");
    /* the signer's own certificate has expired */
    server_reset();
    g_srv.listed[2] = &g_expired;
    g_srv.signer = &g_expired;
    expect_refresh_fails(NULL, WX_E_VERIFY_SERIAL, NULL, "expired");
    /* a verified HTTP error, a dead server */
    server_reset();
    g_srv.download_status = 500;
    expect_refresh_fails((const pkey *[]){&g_new, NULL}, WX_E_HTTP, NULL, "SYSTEM_ERROR");
    /* ...signed by a key not configured: an error answer cannot vouch for its signer */
    expect_refresh_fails(NULL, WX_E_VERIFY_SERIAL, NULL, "not configured");
    server_reset();
    g_srv.fail_transport = 1;
    expect_refresh_fails(NULL, WX_E_TRANSPORT, NULL, "certificate download");
    /* a body that is not a certificate list (checked without a client) */
    wx_cert_set_t *set = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_certificates_decrypt(APIV3_KEY, "{\"data\":[]}", 11, T0, &set, &err),
                     WX_E_JSON);
    assert_int_equal(wx_certificates_decrypt(APIV3_KEY, "{\"data\":{}}", 11, T0, &set, &err),
                     WX_E_JSON);
    assert_int_equal(wx_certificates_decrypt(APIV3_KEY, "[1]", 3, T0, &set, &err), WX_E_JSON);
    assert_int_equal(wx_certificates_decrypt(APIV3_KEY, "{\"data\":[{\"serial_no\":1}]}", 26, T0,
                                             &set, &err), WX_E_JSON);
    assert_string_equal(err.where, "data[0].serial_no");
    assert_int_equal(wx_certificates_decrypt("short", "{}", 2, T0, &set, &err), WX_E_CONFIG);
    assert_null(set);
    /* the same serial twice */
    server_reset();
    g_srv.listed[1] = &g_old;
    char *body = certificates_body(&g_srv);
    assert_int_equal(wx_certificates_decrypt(APIV3_KEY, body, strlen(body), T0, &set, &err),
                     WX_E_JSON);
    assert_non_null(strstr(err.message, "twice"));
    free(body);
}

/* Expired and not-yet-valid certificates are listed but not installed. */
static void test_states(void **state)
{
    g_srv.listed[2] = &g_expired;
    g_srv.listed[3] = &g_future;
    wx_client_t *c = client(NULL, 0);
    wx_cert_set_t *set = NULL;
    assert_int_equal(wx_certificates_refresh(c, NULL, &set, NULL), WX_OK);
    assert_int_equal(wx_cert_set_count(set), 4);
    assert_int_equal(wx_cert_set_at(set, 2)->state, WX_CERT_EXPIRED);
    assert_int_equal(wx_cert_set_at(set, 3)->state, WX_CERT_NOT_YET_VALID);
    assert_int_equal(wx_keyring_count(wx_client_keyring(c)), 2);
    assert_false(wx_keyring_contains(wx_client_keyring(c), g_expired.id));
    assert_false(wx_keyring_contains(wx_client_keyring(c), g_future.id));
    wx_cert_set_free(set);
    wx_client_free(c);
}

/* WeChat Pay rotates: the old certificate and the new one are both valid for a while,
 * responses signed by either verify; when the old one expires a refresh drops it. */
static void test_rotation(void **state)
{
    g_srv.listed[1] = NULL; /* before the rotation only the old one is listed */
    g_srv.signer = &g_old;
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 0);
    wx_keyring_t *ring = wx_client_keyring(c);
    expect_seed(c, WX_OK, NULL);
    /* WeChat Pay publishes the new certificate and starts signing with it */
    g_srv.listed[1] = &g_new;
    g_srv.signer = &g_new;
    expect_seed(c, WX_E_VERIFY_SERIAL, g_new.id); /* no auto refresh: rejected */
    assert_int_equal(wx_certificates_refresh(c, NULL, NULL, NULL), WX_OK);
    assert_int_equal(wx_keyring_count(ring), 2);
    g_srv.signer = &g_old;
    g_srv.alternate = &g_new; /* the overlap: answers from both */
    for (int i = 0; i < 6; i++)
        expect_seed(c, WX_OK, NULL);
    /* eleven days on, the old certificate has expired */
    atomic_store(&g_now, T0 + 11 * DAY);
    g_srv.alternate = NULL;
    g_srv.signer = &g_new;
    assert_int_equal(wx_certificates_refresh(c, NULL, NULL, NULL), WX_OK);
    assert_false(wx_keyring_contains(ring, g_old.id));
    assert_true(wx_keyring_contains(ring, g_new.id));
    expect_seed(c, WX_OK, NULL);
    g_srv.signer = &g_old;
    expect_seed(c, WX_E_VERIFY_SERIAL, "not configured");
    wx_client_free(c);
}

/* --out: one PEM per serial, replaced atomically, readable by openssl. */
static void test_save_dir(void **state)
{
    char *dir = wxt_tmpdir("certs-save");
    char *out = wxt_path(dir, "a/b");
    wx_client_t *c = client(NULL, 0);
    assert_int_equal(wx_certificates_refresh(c, &(wx_cert_refresh_options_t){.save_dir = out},
                                             NULL, NULL), WX_OK);
    assert_int_equal(wx_certificates_refresh(c, &(wx_cert_refresh_options_t){.save_dir = out},
                                             NULL, NULL), WX_OK); /* again: replaced */
    const pkey *both[] = {&g_old, &g_new};
    for (int i = 0; i < 2; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s.pem", both[i]->id);
        char *path = wxt_path(out, name);
        char *pem = wxt_read_file(path, NULL);
        assert_non_null(pem);
        assert_string_equal(pem, both[i]->pem);
        char *text = NULL;
        assert_int_equal(wxt_sh(&text, NULL, "%s x509 -in '%s' -noout -serial", OPENSSL_CLI, path),
                         0);
        char want[128];
        snprintf(want, sizeof want, "serial=%s\n", both[i]->id);
        assert_string_equal(text, want);
        free(text), free(pem), free(path);
    }
    char *listing = NULL;
    assert_int_equal(wxt_sh(&listing, NULL, "ls -A '%s' | wc -l", out), 0);
    assert_int_equal(atoi(listing), 2); /* no temporary files left */
    free(listing);
    /* a folder that cannot be made */
    char *file = wxt_path(dir, "plain-file");
    wxt_write_file(file, "x", 1);
    char *under = wxt_path(file, "sub");
    wx_error_t err = {0};
    assert_int_equal(wx_certificates_refresh(c, &(wx_cert_refresh_options_t){.save_dir = under},
                                             NULL, &err), WX_E_IO);
    assert_non_null(strstr(err.message, "plain-file"));
    assert_int_equal(wx_certificates_refresh(c, &(wx_cert_refresh_options_t){.save_dir = ""},
                                             NULL, &err), WX_E_INVALID_ARG);
    free(under), free(file), free(out), free(dir);
    wx_client_free(c);
}

/* ------------------------------------------------------------------ automatic refresh */

/* A response signed by a serial the client does not know: one refresh, and the answer
 * is accepted because the refreshed set really holds that serial and it verifies. */
static void test_auto_refresh_unknown_serial(void **state)
{
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 1);
    expect_seed(c, WX_OK, NULL);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    assert_true(wx_keyring_contains(wx_client_keyring(c), g_new.id));
    expect_seed(c, WX_OK, NULL); /* known now: no more downloads */
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);

    /* a forged serial: within the minute, no second download, rejected */
    g_srv.claim_serial = "DEADBEEF00000000000000000000000000000000";
    expect_seed(c, WX_E_VERIFY_SERIAL, "refreshed 0 s ago");
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    /* a minute later it may refresh again, and stays rejected */
    atomic_store(&g_now, T0 + 61);
    expect_seed(c, WX_E_VERIFY_SERIAL, "not among the platform certificates downloaded");
    assert_int_equal(atomic_load(&g_srv.cert_requests), 2);
    /* a real serial of the download, signed by someone else: still a forgery */
    atomic_store(&g_now, T0 + 200);
    wx_client_free(c);
    c = client((const pkey *[]){&g_old, NULL}, 1);
    g_srv.signer = &g_third;
    g_srv.download_signer = &g_new;
    g_srv.claim_serial = g_new.id;
    expect_seed(c, WX_E_VERIFY_SIGNATURE, NULL);
    assert_true(wx_keyring_contains(wx_client_keyring(c), g_new.id));
    wx_client_free(c);
    /* the refresh itself fails: rejected, saying so */
    server_reset();
    c = client((const pkey *[]){&g_old, NULL}, 1);
    g_srv.signer = &g_third; /* signs the download too: neither known nor listed */
    expect_seed(c, WX_E_VERIFY_SERIAL, "refreshing the platform certificates failed");
    wx_client_free(c);
}

/* Without any platform key, auto refresh bootstraps on the first answer. */
static void test_auto_refresh_bootstrap(void **state)
{
    wx_client_t *c = client(NULL, 1);
    expect_seed(c, WX_OK, NULL);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    wx_client_free(c);
}

static int g_callbacks;

static void on_done(const wx_response_t *r, void *ud)
{
    g_callbacks++;
    assert_int_equal(wx_response_err(r), *(wx_err *)ud);
}

/* The async verbs settle the same way before the callback sees the response. */
static void test_auto_refresh_async(void **state)
{
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 1);
    wx_err want = WX_OK;
    g_callbacks = 0;
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")
                           ->post_async(&(wx_request_options_t){.json_text = SEED_BODY})
                           ->then(on_done, &want)
                           ->wait();
    assert_int_equal(wx_response_err(r), WX_OK);
    assert_non_null(wx_response_body(r, NULL));
    wx_response_free(r);
    /* fire-and-forget with a forged serial: the callback sees the rejection */
    g_srv.claim_serial = "DEADBEEF00000000000000000000000000000000";
    want = WX_E_VERIFY_SERIAL;
    wx_future_t *f = wx_request_async(wx_chain(c, "v3/industry-coupon/tokens"), WX_POST,
                                      &(wx_request_options_t){.json_text = SEED_BODY});
    wx_future_then(f, on_done, &want);
    wx_future_release(f);
    wx_client_wait_all(c);
    assert_int_equal(g_callbacks, 2);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    wx_client_free(c);
}

/* Near its expiry a certificate is renewed before the request, at most once an hour. */
static void test_auto_refresh_near_expiry(void **state)
{
    g_srv.signer = &g_old;
    g_srv.listed[1] = NULL;
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 1);
    expect_seed(c, WX_OK, NULL); /* ten days left: nothing to do */
    assert_int_equal(atomic_load(&g_srv.cert_requests), 0);
    atomic_store(&g_now, T0 + 9 * DAY + 1); /* inside the one-day margin */
    expect_seed(c, WX_OK, NULL);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    expect_seed(c, WX_OK, NULL); /* still only the old one, but asked within the hour */
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    g_srv.listed[1] = &g_new; /* WeChat Pay publishes the successor */
    atomic_store(&g_now, T0 + 9 * DAY + 3602);
    expect_seed(c, WX_OK, NULL);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 2);
    assert_true(wx_keyring_contains(wx_client_keyring(c), g_new.id));
    wx_client_free(c);
    /* a wider margin asks sooner */
    atomic_store(&g_now, T0);
    wx_client_options_t o = options((const pkey *[]){&g_old, NULL});
    o.auto_refresh_certificates = 1;
    o.cert_refresh_margin_s = 30 * DAY;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    expect_seed(c, WX_OK, NULL);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 3);
    wx_client_free(c);
}

/* Notifications with an unknown serial refresh the same way. */
static void test_auto_refresh_notification(void **state)
{
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 1);
    char *cipher = NULL, body[2048], *sig = NULL, msg[4096], ts[32];
    assert_int_equal(wx_aes_gcm_encrypt(APIV3_KEY, "1f5EuvhVgmH6", "transaction", "{\"a\":1}", 7,
                                        &cipher, NULL), WX_OK);
    snprintf(body, sizeof body,
             "{\"id\":\"EV-1\",\"create_time\":\"2015-05-20T13:29:35+08:00\",\"resource_type\":"
             "\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"ok\","
             "\"resource\":{\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\","
             "\"ciphertext\":\"%s\",\"associated_data\":\"transaction\",\"nonce\":\"1f5EuvhVgmH6\"}}",
             cipher);
    snprintf(ts, sizeof ts, "%lld", (long long)T0);
    snprintf(msg, sizeof msg, "%s\nN1\n%s\n", ts, body);
    assert_int_equal(wx_rsa_sign(g_new.key, msg, strlen(msg), &sig, NULL), WX_OK);
    wx_kv_t h[] = {{"Wechatpay-Timestamp", ts}, {"Wechatpay-Nonce", "N1"},
                   {"Wechatpay-Signature", sig}, {"Wechatpay-Serial", g_new.id}, {0}};
    wx_notification_t *n = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_notify_verify(c, h, body, strlen(body), &n, &err), WX_OK);
    assert_string_equal(n->plaintext, "{\"a\":1}");
    wx_notification_free(n);
    /* a forged serial stays rejected */
    atomic_store(&g_now, T0 + 100);
    h[3].value = "DEADBEEF00000000000000000000000000000000";
    assert_int_equal(wx_notify_verify(c, h, body, strlen(body), &n, &err), WX_E_VERIFY_SERIAL);
    assert_null(n);
    assert_int_equal(atomic_load(&g_srv.cert_requests), 2);
    wx_free(cipher);
    wx_free(sig);
    wx_client_free(c);
}

/* Certificates and WeChat Pay public keys side by side during a migration: both
 * verify, refreshes never drop the public key. */
static void test_public_key_side_by_side(void **state)
{
    g_srv.signer = &g_pubkey;
    wx_client_t *c = client((const pkey *[]){&g_old, &g_pubkey, NULL}, 0);
    wx_keyring_t *ring = wx_client_keyring(c);
    expect_seed(c, WX_OK, NULL);
    g_srv.signer = &g_old;
    expect_seed(c, WX_OK, NULL);
    atomic_store(&g_now, T0 + 3000 * DAY); /* every certificate long expired */
    g_srv.listed[0] = &g_new;
    g_srv.listed[1] = NULL;
    g_srv.signer = &g_pubkey;
    wx_error_t err = {0};
    wx_cert_set_t *set = NULL;
    assert_int_equal(wx_certificates_refresh(c, NULL, &set, &err), WX_OK);
    assert_int_equal(wx_cert_set_at(set, 0)->state, WX_CERT_EXPIRED);
    wx_cert_set_free(set);
    assert_true(wx_keyring_contains(ring, g_pubkey.id));
    assert_false(wx_keyring_contains(ring, g_old.id));
    expect_seed(c, WX_OK, NULL);
    wx_client_free(c);
}

static void test_configuration_errors(void **state)
{
    wx_client_options_t o = options(NULL);
    o.apiv3_key = NULL;
    o.auto_refresh_certificates = 1;
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_client_new(&o, &c, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "auto_refresh_certificates");
    o.auto_refresh_certificates = 0;
    assert_int_equal(wx_client_new(&o, &c, &err), WX_OK); /* the transport is the client's now */
    assert_int_equal(wx_certificates_refresh(c, NULL, NULL, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "apiv3_key");
    assert_int_equal(atomic_load(&g_srv.cert_requests), 0);
    wx_client_free(c);
    assert_int_equal(wx_certificates_refresh(NULL, NULL, NULL, &err), WX_E_INVALID_ARG);
    /* a custom verifier has no keyring to install into */
    wx_keyring_t *ring = wx_keyring_new();
    o = options(NULL);
    o.verifier = wx_verifier_apiv3(ring, 300);
    assert_int_equal(wx_client_new(&o, &c, &err), WX_OK);
    assert_int_equal(wx_certificates_refresh(c, NULL, NULL, &err), WX_E_CONFIG);
    assert_string_equal(err.where, "verifier");
    wx_client_free(c);
    wx_keyring_free(ring);
}

/* ------------------------------------------------------------------ concurrency */

typedef struct worker {
    wx_client_t *c;
    int failures;
} worker;

static void *verify_loop(void *ud)
{
    worker *w = ud;
    for (int i = 0; i < 40; i++) {
        wx_response_t *r = seed(w->c);
        if (wx_response_err(r) != WX_OK)
            w->failures++;
        wx_response_free(r);
    }
    return NULL;
}

static void *refresh_loop(void *ud)
{
    worker *w = ud;
    for (int i = 0; i < 15; i++)
        if (wx_certificates_refresh(w->c, NULL, NULL, NULL) != WX_OK)
            w->failures++;
    return NULL;
}

/* Verifications on several threads while another keeps re-installing the set: none
 * sees a half-updated keyring. */
static void test_refresh_while_verifying(void **state)
{
    g_srv.signer = &g_old;
    g_srv.alternate = &g_new;
    wx_client_t *c = client((const pkey *[]){&g_old, &g_new, NULL}, 0);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, 0};
        pthread_create(&t[i], NULL, i == 3 ? refresh_loop : verify_loop, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(atomic_load(&g_srv.cert_requests), 15);
    wx_client_free(c);
}

/* Several threads meet the new serial at once: one download serves them all. */
static void test_auto_refresh_concurrent(void **state)
{
    wx_client_t *c = client((const pkey *[]){&g_old, NULL}, 1);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, 0};
        pthread_create(&t[i], NULL, verify_loop, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(atomic_load(&g_srv.cert_requests), 1);
    wx_client_free(c);
}

/* ------------------------------------------------------------------ torture */

static void test_allocation_failures(void **state)
{
    wxt_alloc_install();
    long n = 1;
    for (long stride = wxt_alloc_torture_stride();; n += stride) {
        server_reset();
        wx_client_options_t o = options((const pkey *[]){&g_old, NULL});
        o.auto_refresh_certificates = 1;
        wx_client_t *c = NULL;
        wxt_alloc_fail_at(n);
        if (wx_client_new(&o, &c, NULL) != WX_OK) {
            wx_transport_free(o.transport);
            continue;
        }
        wx_cert_set_t *set = NULL;
        wx_err rc = wx_certificates_refresh(c, NULL, &set, NULL);
        wx_response_t *r = seed(c); /* signed by the new one: auto refresh if still unknown */
        int failed = wxt_alloc_failed();
        if (!failed) {
            assert_int_equal(rc, WX_OK);
            assert_int_equal(wx_response_err(r), WX_OK);
        }
        wx_cert_set_free(set);
        wx_response_free(r);
        wx_client_free(c);
        if (!failed)
            break;
    }
    assert_int_equal(wxt_alloc_live(), 0);
    wxt_alloc_uninstall();
    print_message("torture: %ld allocation points exercised\n", n);
    assert_true(n > 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bootstrap, before_each),
        cmocka_unit_test_setup(test_download_signed_by_known_key, before_each),
        cmocka_unit_test_setup(test_forged_and_damaged_downloads, before_each),
        cmocka_unit_test_setup(test_states, before_each),
        cmocka_unit_test_setup(test_rotation, before_each),
        cmocka_unit_test_setup(test_save_dir, before_each),
        cmocka_unit_test_setup(test_auto_refresh_unknown_serial, before_each),
        cmocka_unit_test_setup(test_auto_refresh_bootstrap, before_each),
        cmocka_unit_test_setup(test_auto_refresh_async, before_each),
        cmocka_unit_test_setup(test_auto_refresh_near_expiry, before_each),
        cmocka_unit_test_setup(test_auto_refresh_notification, before_each),
        cmocka_unit_test_setup(test_public_key_side_by_side, before_each),
        cmocka_unit_test_setup(test_configuration_errors, before_each),
        cmocka_unit_test_setup(test_refresh_while_verifying, before_each),
        cmocka_unit_test_setup(test_auto_refresh_concurrent, before_each),
        cmocka_unit_test_setup(test_allocation_failures, before_each),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
