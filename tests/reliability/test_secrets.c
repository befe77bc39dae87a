/* Secrets and injection, in memory (the fake WeChat Pay on the in-memory transport):
 * - private keys, their passwords and the APIv3 key are zeroised before the library
 *   frees any copy of them: a quarantining allocator keeps every block the library
 *   frees and the test searches them for key material;
 * - no key material in any error message or debug trace, across successes, each kind
 *   of failure, and clients that fail to build;
 * - header names and values with CR, LF, NUL or another control byte are refused before
 *   anything is sent (a tab is a value's byte, as RFC 9110 allows);
 *   template variables and query values with them are percent-encoded, so no value
 *   can end the request line, add a header or leave its path segment. */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/crypto.h>
#include <wechatpay/sys/transport_memory.h>

#include "fake_server.h"
#include "testutil.h"

/* Under valgrind, a freed block may hold bytes the library copied without defining
   them (struct padding, unused buffer tails); the search reads them on purpose. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#define APIV3_KEY "Zq8sK1vN0pR3tW6yB9dF2hJ5mQ7uX4a1"
#define KEY_PASSWORD "correct horse battery staple"

/* ---------------------------------------------------------------- needles */

typedef struct needles {
    const char *s[32];
    size_t n;
} needles;

/* Base64 lines from the body of a PEM (the key material itself), plus extras. */
static void add_pem_lines(needles *nd, const char *pem)
{
    const char *p = pem;
    int line = 0;
    while (*p && nd->n < 28) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        /* every third full line of base64, as its own needle */
        if (len >= 60 && p[0] != '-' && line++ % 3 == 1)
            nd->s[nd->n++] = strndup(p, 48);
        if (!nl)
            break;
        p = nl + 1;
    }
}

static void free_needles(needles *nd)
{
    for (size_t i = 0; i < nd->n; i++)
        if (strcmp(nd->s[i], APIV3_KEY) && strcmp(nd->s[i], KEY_PASSWORD))
            free((void *)nd->s[i]);
    nd->n = 0;
}

static const char *find_needle(const needles *nd, const void *hay, size_t len)
{
    for (size_t i = 0; i < nd->n; i++)
        if (memmem(hay, len, nd->s[i], strlen(nd->s[i])))
            return nd->s[i];
    return NULL;
}

/* ---------------------------------------------------------------- allocator */

/* Every block the library frees is kept (not returned to libc) until the test has
 * searched it; realloc moves through a fresh block so the old one is kept too. */
typedef struct block {
    size_t size;
    struct block *next_freed;
    char pad[16 - (2 * sizeof(void *)) % 16];
} block;

static block *g_freed;
static size_t g_freed_count;

static void *q_malloc(size_t n)
{
    /* zero-filled, so that searching bytes the library never wrote reads defined memory */
    block *b = calloc(1, sizeof *b + n);
    if (!b)
        return NULL;
    b->size = n;
    b->next_freed = NULL;
    return b + 1;
}

static void q_free(void *p)
{
    if (!p)
        return;
    block *b = (block *)p - 1;
    b->next_freed = g_freed;
    g_freed = b;
    g_freed_count++;
}

static void *q_realloc(void *p, size_t n)
{
    void *q = q_malloc(n);
    if (q && p) {
        block *b = (block *)p - 1;
        memcpy(q, p, b->size < n ? b->size : n);
        q_free(p);
    }
    return q;
}

static void quarantine_begin(void)
{
    wx_allocator_t a = {q_malloc, q_realloc, q_free};
    wx_set_allocator(&a);
}

/* Search what was freed since quarantine_begin, then really free it. */
static void quarantine_check(const needles *nd, const char *what)
{
    wx_set_allocator(NULL);
    size_t checked = 0;
    const char *found = NULL;
    while (g_freed) {
        block *b = g_freed;
        g_freed = b->next_freed;
        VALGRIND_MAKE_MEM_DEFINED(b + 1, b->size);
        const char *f = find_needle(nd, b + 1, b->size);
        if (f && !found)
            found = f;
        checked++;
        free(b);
    }
    g_freed_count = 0;
    if (found)
        fail_msg("%s: a block freed by the library still holds \"%.20s...\"", what, found);
    printf("  %-58s %5zu freed blocks clean\n", what, checked);
    assert_true(checked > 0);
}

/* ---------------------------------------------------------------- helpers */

static char *encrypted_key_pem(void)
{
    char *dir = wxt_tmpdir("secrets-enc");
    char *in = wxt_path(dir, "plain.pem"), *out = wxt_path(dir, "enc.pem");
    const char *pem = wxt_golden("merchant_key.pem");
    wxt_write_file(in, pem, strlen(pem));
    char *err = NULL;
    int rc = wxt_sh(NULL, &err, "'%s' pkcs8 -topk8 -v2 aes-256-cbc -in '%s' -out '%s' -passout "
                    "'pass:" KEY_PASSWORD "'", OPENSSL_CLI, in, out);
    if (rc != 0)
        fail_msg("openssl pkcs8: %s", err);
    free(err);
    char *enc = wxt_read_file(out, NULL);
    free(in);
    free(out);
    free(dir);
    return enc;
}

static void all_needles(needles *nd)
{
    memset(nd, 0, sizeof *nd);
    add_pem_lines(nd, wxt_golden("merchant_key.pem"));
    add_pem_lines(nd, wxt_golden("merchant_key_pkcs1.pem"));
    nd->s[nd->n++] = APIV3_KEY;
    nd->s[nd->n++] = KEY_PASSWORD;
}

static const char *k_seed_body =
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":"
    "[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}";

/* ---------------------------------------------------------------- zeroised */

static void test_keys_zeroised_on_free(void **state)
{
    needles nd;
    all_needles(&nd);
    char *enc = encrypted_key_pem();
    add_pem_lines(&nd, enc);

    const char *k8 = wxt_golden("merchant_key.pem"), *k1 = wxt_golden("merchant_key_pkcs1.pem");
    wx_privkey_t *key = NULL;

    quarantine_begin();
    assert_int_equal(wx_privkey_load(k8, strlen(k8), NULL, &key, NULL), WX_OK);
    wx_privkey_free(key);
    assert_int_equal(wx_privkey_load(k1, strlen(k1), NULL, &key, NULL), WX_OK);
    wx_privkey_free(key);
    quarantine_check(&nd, "PKCS#8 and PKCS#1 keys loaded and freed");

    quarantine_begin();
    assert_int_equal(wx_privkey_load(enc, strlen(enc), KEY_PASSWORD, &key, NULL), WX_OK);
    wx_privkey_free(key);
    assert_int_equal(wx_privkey_load(enc, strlen(enc), "wrong password", &key, NULL), WX_E_KEY);
    assert_int_equal(wx_privkey_load(enc, strlen(enc), NULL, &key, NULL), WX_E_KEY);
    quarantine_check(&nd, "encrypted PKCS#8 key: right, wrong and no password");

    char *dir = wxt_tmpdir("secrets-file");
    char *path = wxt_path(dir, "key.pem");
    wxt_write_file(path, k8, strlen(k8));
    quarantine_begin();
    assert_int_equal(wx_privkey_load_file(path, NULL, &key, NULL), WX_OK);
    wx_privkey_free(key);
    quarantine_check(&nd, "key loaded from a file and freed");
    /* A file of 64 * 2^k - 1 bytes exactly fills the first buffer wx_read_file takes. */
    char padded[2047];
    memset(padded, '\n', sizeof padded);
    memcpy(padded, k8, strlen(k8));
    wxt_write_file(path, padded, sizeof padded);
    quarantine_begin();
    assert_int_equal(wx_privkey_load_file(path, NULL, &key, NULL), WX_OK);
    wx_privkey_free(key);
    quarantine_check(&nd, "key file that fills the read buffer exactly");
    wxt_write_file(path, k8, strlen(k8));
    /* A pipe is not a key file: refused without waiting for a writer (issue 16). */
    char *fifo = wxt_path(dir, "key.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(wx_privkey_load_file(fifo, NULL, &key, NULL), WX_E_IO);
    free(fifo);

    /* Sign, then the client's whole life with the APIv3 key, requests included. The
       fake server's own keys are loaded outside the quarantine: they are not under test. */
    wxt_fake fake;
    wxt_fake_init(&fake);
    quarantine_begin();
    assert_int_equal(wx_privkey_load(k8, strlen(k8), NULL, &key, NULL), WX_OK);
    char *sig = NULL;
    assert_int_equal(wx_rsa_sign(key, "m", 1, &sig, NULL), WX_OK);
    wx_free(sig);
    wx_privkey_free(key);
    wx_client_options_t o = wxt_fake_options(&fake);
    o.apiv3_key = APIV3_KEY;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    wx_response_free(wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = k_seed_body}));
    wx_response_free(wx_chain(c, "v3/industry-coupon/tokens")->post_async(
        &(wx_request_options_t){.json_text = k_seed_body})->wait());
    wx_client_free(c);
    quarantine_check(&nd, "client with key and APIv3 key: requests, then freed");

    /* The key file given by path, a password, and the client failing half-way. */
    char *enc_path = wxt_path(dir, "enc.pem");
    wxt_write_file(enc_path, enc, strlen(enc));
    quarantine_begin();
    o = wxt_fake_options(&fake);
    o.private_key_pem = NULL;
    o.private_key_path = enc_path;
    o.private_key_password = KEY_PASSWORD;
    o.apiv3_key = APIV3_KEY;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    wx_client_free(c);
    o = wxt_fake_options(&fake);
    o.apiv3_key = APIV3_KEY;
    o.base_url = "ftp://nowhere/"; /* fails after the APIv3 key was copied */
    assert_int_not_equal(wx_client_new(&o, &c, NULL), WX_OK);
    wx_transport_free(o.transport);
    o = wxt_fake_options(&fake);
    o.apiv3_key = APIV3_KEY;
    o.platform = (wx_platform_key_t[]){{"X", "not a certificate"}, {NULL, NULL}}; /* fails after the key */
    assert_int_not_equal(wx_client_new(&o, &c, NULL), WX_OK);
    wx_transport_free(o.transport);
    quarantine_check(&nd, "client from a key file with password; failed clients");

    /* A CONFIG.json holding the APIv3 key: the file's text and its parsed copy. */
    char *cfg = wxt_path(dir, "CONFIG.json");
    char cfg_text[1024];
    int cfg_len = snprintf(cfg_text, sizeof cfg_text,
                           "{\"mchid\": \"1900000001\", \"serial\": \"3C9A2F1B7E5D4C3B2A19\",\n"
                           " \"private_key\": \"key.pem\", \"apiv3_key\": \"" APIV3_KEY "\",\n"
                           " \"platform\": {\"5157F09EFDC096DE15EBE81A47057A7232F1B8E1\":\n"
                           "   \"%s/tests/golden/keys/platform_cert.pem\"}}\n",
                           WX_SOURCE_DIR);
    wxt_write_file(cfg, cfg_text, (size_t)cfg_len);
    quarantine_begin();
    wx_client_options_t over = {.transport = wx_transport_memory(wxt_fake_handler, &fake),
                                .no_env_spec_path = 1};
    assert_int_equal(wx_client_new_from_config(cfg, &over, &c, NULL), WX_OK);
    wx_client_free(c);
    quarantine_check(&nd, "client from a CONFIG.json with the APIv3 key");
    free(cfg);

    /* The APIv3 key in AEAD, as notifications and certificate downloads use it. */
    quarantine_begin();
    char *ct = NULL, *pt = NULL;
    size_t ptlen = 0;
    assert_int_equal(wx_aes_gcm_encrypt(APIV3_KEY, "nonce1234567", "certificate", "secret", 6,
                                        &ct, NULL), WX_OK);
    assert_int_equal(wx_aes_gcm_decrypt(APIV3_KEY, "nonce1234567", "certificate", ct, &pt,
                                        &ptlen, NULL), WX_OK);
    wx_free_secret(pt, ptlen);
    ct[3] = ct[3] == 'A' ? 'B' : 'A';
    assert_int_equal(wx_aes_gcm_decrypt(APIV3_KEY, "nonce1234567", "certificate", ct, &pt,
                                        &ptlen, NULL), WX_E_DECRYPT);
    wx_free(ct);
    quarantine_check(&nd, "AEAD_AES_256_GCM with the APIv3 key");

    /* A key made here: its own PEM lines are the needles. */
    quarantine_begin();
    char *gen = NULL;
    assert_int_equal(wx_rsa_generate(2048, &gen, NULL), WX_OK);
    assert_int_equal(wx_privkey_load(gen, strlen(gen), NULL, &key, NULL), WX_OK);
    wx_privkey_free(key);
    needles gn = {{0}, 0};
    add_pem_lines(&gn, gen);
    /* the caller's copy goes through wx_free_secret, so it is clean as well */
    wx_free_secret(gen, strlen(gen));
    quarantine_check(&gn, "a generated key, loaded and freed");
    free_needles(&gn);

    wxt_fake_free(&fake);
    free(enc);
    free(enc_path);
    free(path);
    free(dir);
    free_needles(&nd);
}

/* ---------------------------------------------------------------- messages */

typedef struct capture {
    char *text;
    size_t len;
} capture;

static void on_debug(void *ud, const char *text, size_t len)
{
    capture *c = ud;
    c->text = realloc(c->text, c->len + len + 1);
    memcpy(c->text + c->len, text, len);
    c->len += len;
    c->text[c->len] = 0;
}

static void assert_clean(const needles *nd, const char *text, size_t len, const char *what)
{
    const char *f = find_needle(nd, text, len);
    if (f)
        fail_msg("%s contains key material \"%.20s...\"", what, f);
    if (memmem(text, len, "PRIVATE KEY", 11))
        fail_msg("%s mentions a PEM private key block", what);
}

static void assert_error_clean(const needles *nd, const wx_error_t *e, const char *what)
{
    assert_clean(nd, e->message, strlen(e->message), what);
    assert_clean(nd, e->where, strlen(e->where), what);
    assert_clean(nd, e->server_message, strlen(e->server_message), what);
}

static void test_no_secrets_in_errors_or_debug(void **state)
{
    needles nd;
    all_needles(&nd);
    char *enc = encrypted_key_pem();
    add_pem_lines(&nd, enc);
    wxt_fake fake;
    wxt_fake_init(&fake);
    capture cap = {NULL, 0};
    wx_client_options_t o = wxt_fake_options(&fake);
    o.apiv3_key = APIV3_KEY;
    o.debug = on_debug;
    o.debug_ud = &cap;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);

    /* success, verified HTTP error, each forgery, transport failure, invalid request */
    struct {
        int status;
        const char *drop, *sign_key;
        int flip;
        wx_err transport;
        const char *body;
    } runs[] = {
        {200, NULL, NULL, 0, WX_OK, NULL},
        {400, NULL, NULL, 0, WX_OK, "{\"code\":\"PARAM_ERROR\",\"message\":\"" APIV3_KEY "?\"}"},
        {200, "Wechatpay-Signature", NULL, 0, WX_OK, NULL},
        {200, NULL, "other", 0, WX_OK, NULL},
        {200, NULL, NULL, 3, WX_OK, NULL},
        {200, NULL, NULL, 0, WX_E_TRANSPORT, NULL},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        fake.status = runs[i].status;
        fake.drop_header = runs[i].drop;
        fake.sign_key = runs[i].sign_key;
        fake.flip_body_byte = runs[i].flip;
        fake.transport_error = runs[i].transport;
        if (runs[i].body)
            fake.body = runs[i].body;
        wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(
            &(wx_request_options_t){.json_text = k_seed_body});
        if (i == 1) {
            /* A server that echoes a secret back gets it shown: that is the server's
               text, verified as the server's; every other case must be clean. */
            assert_int_equal(wx_response_err(r), WX_E_HTTP);
        } else {
            assert_error_clean(&nd, wx_response_error_detail(r), "response error");
        }
        wx_response_free(r);
        wxt_fake_free(&fake);
        wxt_fake_init(&fake);
    }
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(
        &(wx_request_options_t){.json_text = "{\"open_id\":1}"});
    assert_int_equal(wx_response_err(r), WX_E_VALIDATION);
    assert_error_clean(&nd, wx_response_error_detail(r), "validation error");
    wx_response_free(r);
    wx_client_free(c);

    /* The debug trace: requests and responses, the signature masked. */
    assert_non_null(cap.text);
    /* the echoed error body (runs[1]) is the only place the key may appear: cut it */
    for (char *p; (p = memmem(cap.text, cap.len, APIV3_KEY, strlen(APIV3_KEY)));)
        memset(p, '*', strlen(APIV3_KEY));
    assert_clean(&nd, cap.text, cap.len, "debug trace");
    assert_non_null(strstr(cap.text, "signature=\"<masked>\""));
    printf("  debug trace: %zu bytes over 7 requests, no key material\n", cap.len);
    free(cap.text);

    /* Clients that cannot be built say why without quoting the key. */
    char *corrupt = strdup(wxt_golden("merchant_key.pem"));
    corrupt[strlen(corrupt) / 2] ^= 0x01;
    char *half = strndup(wxt_golden("merchant_key.pem"), strlen(wxt_golden("merchant_key.pem")) / 2);
    char *dir = wxt_tmpdir("secrets-msg");
    char *enc_path = wxt_path(dir, "enc.pem");
    wxt_write_file(enc_path, enc, strlen(enc));
    struct {
        const char *what, *pem, *path, *password, *apiv3;
    } bad[] = {
        {"corrupt key", corrupt, NULL, NULL, NULL},
        {"half a key", half, NULL, NULL, NULL},
        {"encrypted key, wrong password", enc, NULL, "not " KEY_PASSWORD, NULL},
        {"encrypted key, no password", enc, NULL, NULL, NULL},
        {"encrypted key file, wrong password", NULL, enc_path, "Tr0ub4dor&3", NULL},
        {"certificate where the key goes", wxt_golden("platform_cert.pem"), NULL, NULL, NULL},
        {"APIv3 key of 31 bytes", wxt_golden("merchant_key.pem"), NULL, NULL, &APIV3_KEY[1]},
        {"APIv3 key of 33 bytes", wxt_golden("merchant_key.pem"), NULL, NULL, APIV3_KEY "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o = wxt_fake_options(&fake);
        o.private_key_pem = bad[i].pem;
        o.private_key_path = bad[i].path;
        o.private_key_password = bad[i].password;
        o.apiv3_key = bad[i].apiv3;
        wx_error_t err = {0};
        wx_err rc = wx_client_new(&o, &c, &err);
        if (rc == WX_OK)
            fail_msg("%s: client built", bad[i].what);
        assert_error_clean(&nd, &err, bad[i].what);
        if (bad[i].apiv3)
            assert_null(strstr(err.message, bad[i].apiv3 + 4));
        if (bad[i].password)
            assert_null(strstr(err.message, bad[i].password));
        printf("  %-38s %s: %s\n", bad[i].what, wx_err_name(rc), err.message);
        wx_transport_free(o.transport);
    }
    wx_error_t err = {0};
    wx_privkey_t *k = NULL;
    assert_int_equal(wx_privkey_load(enc, strlen(enc), "wrong", &k, &err), WX_E_KEY);
    assert_error_clean(&nd, &err, "wx_privkey_load error");

    free(corrupt);
    free(half);
    free(enc_path);
    free(dir);
    free(enc);
    wxt_fake_free(&fake);
    free_needles(&nd);
}

/* ---------------------------------------------------------------- injection */

static wx_client_t *fake_client(wxt_fake *fake)
{
    wx_client_options_t o = wxt_fake_options(fake);
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new(&o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

static void test_header_injection_refused(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_t *c = fake_client(&fake);
    static const struct {
        const char *name, *value;
        wx_err want;
    } cases[] = {
        {"X-Note", "a\r\nX-Injected: 1", WX_E_HEADER_VALUE},
        {"X-Note", "a\nX-Injected: 1", WX_E_HEADER_VALUE},
        {"X-Note", "a\r", WX_E_HEADER_VALUE},
        {"X-Note", "\r\n\r\nGET / HTTP/1.1", WX_E_HEADER_VALUE},
        {"X-Note", "a\001b", WX_E_HEADER_VALUE},      /* found by fuzz_request_out */
        {"X-Note", "\033[31mred", WX_E_HEADER_VALUE}, /* a terminal escape */
        {"X-Note", "a\177", WX_E_HEADER_VALUE},
        {"X-Note\r\nX-Injected", "1", WX_E_HEADER_VALUE},
        {"X-Note: 1\r\nX", "1", WX_E_HEADER_VALUE},
        {"X Note", "1", WX_E_HEADER_VALUE},
        {"X-Note:", "1", WX_E_HEADER_VALUE},
        {"", "1", WX_E_HEADER_VALUE},
        {"Authorization", "WECHATPAY2-SHA256-RSA2048 forged", WX_E_INVALID_ARG},
        {"authorization", "x", WX_E_INVALID_ARG},
        {"Host", "evil.example", WX_E_INVALID_ARG},
        {"Content-Length", "0", WX_E_INVALID_ARG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int before = fake.requests;
        wx_kv_t h[] = {{cases[i].name, cases[i].value}, {NULL, NULL}};
        wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(
            &(wx_request_options_t){.json_text = k_seed_body, .headers = h});
        if (wx_response_err(r) != cases[i].want)
            fail_msg("header %zu: want %s, got %s", i, wx_err_name(cases[i].want),
                     wx_err_name(wx_response_err(r)));
        assert_int_equal(fake.requests, before); /* nothing was sent */
        assert_null(wx_response_request_head(r));
        wx_response_free(r);
    }
    { /* a tab inside a value is allowed and sent */
        int before = fake.requests;
        wx_kv_t h[] = {{"X-Note", "a\tb"}, {NULL, NULL}};
        wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(
            &(wx_request_options_t){.json_text = k_seed_body, .headers = h});
        assert_int_equal(fake.requests, before + 1);
        wx_response_free(r);
    }
    /* NUL: a value that stops early is just a shorter value; one past the terminator
       cannot be expressed in a C string, so NUL is tested where lengths are given. */
    wx_client_free(c);

    /* Identity and settings copied into headers and URLs are checked at construction. */
    static const struct {
        const char *mchid, *serial, *base, *ua;
    } cfg[] = {
        {"1900000001\r\nX-Injected: 1", NULL, NULL, NULL},
        {NULL, "3C9A\r\nX-Injected: 1", NULL, NULL},
        {NULL, NULL, "https://api.mch.weixin.qq.com/\r\nX-Injected: 1", NULL},
        {NULL, NULL, "https://api.mch.weixin.qq.com\n/", NULL},
        {NULL, NULL, NULL, "app/1.0\r\nX-Injected: 1"},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        wx_client_options_t o = wxt_fake_options(&fake);
        if (cfg[i].mchid)
            o.mchid = cfg[i].mchid;
        if (cfg[i].serial)
            o.serial = cfg[i].serial;
        if (cfg[i].base)
            o.base_url = cfg[i].base;
        o.user_agent_suffix = cfg[i].ua;
        wx_client_t *bad = NULL;
        wx_err rc = wx_client_new(&o, &bad, NULL);
        if (rc == WX_OK) {
            /* Accepted at construction: then nothing with a broken header may be sent. */
            int before = fake.requests;
            wx_response_t *r = wx_chain(bad, "v3/industry-coupon/tokens")->post(
                &(wx_request_options_t){.json_text = k_seed_body});
            if (fake.requests != before) {
                if (strpbrk(fake.last_headers, "\r") || strstr(fake.last_headers, "X-Injected:"))
                    fail_msg("config %zu: injected into the request: %s", i, fake.last_headers);
            }
            wx_response_free(r);
            wx_client_free(bad);
        } else {
            wx_transport_free(o.transport);
        }
    }
    wxt_fake_free(&fake);
}

/* A quote in the merchant id or serial would add a parameter of the caller's choosing
 * to the Authorization header: such identities are refused at construction. */
static void test_identity_quotes(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    static const char *const ids[][2] = {{"1900000001\",serial_no=\"forged", NULL},
                                         {NULL, "3C9A\",mchid=\"666"},
                                         {"19000,00001", NULL},
                                         {NULL, "3C9A\\\""}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        wx_client_options_t o = wxt_fake_options(&fake);
        if (ids[i][0])
            o.mchid = ids[i][0];
        if (ids[i][1])
            o.serial = ids[i][1];
        wx_client_t *c = NULL;
        wx_error_t err = {0};
        wx_err rc = wx_client_new(&o, &c, &err);
        if (rc == WX_OK) {
            int before = fake.requests;
            wx_response_free(wx_chain(c, "v3/industry-coupon/tokens")->post(
                &(wx_request_options_t){.json_text = k_seed_body}));
            if (fake.requests != before)
                fail_msg("identity %zu accepted and sent: %s", i, fake.last_auth);
            wx_client_free(c);
        } else {
            assert_int_equal(rc, WX_E_CONFIG);
            wx_transport_free(o.transport);
        }
    }
    wxt_fake_free(&fake);
}

static void test_variables_encoded(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_t *c = fake_client(&fake);
    static const struct {
        const char *value, *want_target;
    } cases[] = {
        {"42\r\nX-Injected: 1", "/v3/pay/transactions/id/42%0D%0AX-Injected%3A%201?mchid=1"},
        /* a slash in a value would be sent as %2F, which a server may decode: refused */
        {"42 HTTP/1.1\r\nHost: evil", NULL},
        {"../../../v3/refund", NULL},
        {"42?mchid=666", "/v3/pay/transactions/id/42%3Fmchid%3D666?mchid=1"},
        {"42#frag", "/v3/pay/transactions/id/42%23frag?mchid=1"},
        {"42%0D%0A", "/v3/pay/transactions/id/42%250D%250A?mchid=1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wx_kv_t vars[] = {{"transaction_id", cases[i].value}, {NULL, NULL}};
        wx_kv_t query[] = {{"mchid", "1"}, {NULL, NULL}};
        int before = fake.requests;
        wx_response_t *r = wx_chain(c, "v3/pay/transactions/id/{transaction_id}")->get(
            &(wx_request_options_t){.vars = vars, .query = query, .no_validation = 1});
        if (!cases[i].want_target) {
            assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
            assert_int_equal(fake.requests, before);
            wx_response_free(r);
            continue;
        }
        if (fake.requests == 0 || strcmp(fake.last_target, cases[i].want_target) != 0)
            fail_msg("var %zu: sent %s, want %s (%s)", i, fake.last_target, cases[i].want_target,
                     wx_response_error_detail(r)->message);
        assert_null(strpbrk(wx_response_request_head(r), "\r"));
        wx_response_free(r);
    }
    /* A NUL inside a JSON string value: encoded as %00, never cut or passed raw. */
    struct json_object *vj = json_object_new_object();
    json_object_object_add(vj, "transaction_id", json_object_new_string_len("42\0evil", 7));
    wx_response_t *r = wx_chain(c, "v3/pay/transactions/id/{transaction_id}")->get(
        &(wx_request_options_t){.vars_json = vj, .no_validation = 1,
                                .query = (wx_kv_t[]){{"mchid", "1"}, {NULL, NULL}}});
    assert_string_equal(fake.last_target, "/v3/pay/transactions/id/42%00evil?mchid=1");
    wx_response_free(r);
    json_object_put(vj);

    /* Query values and names: encoded, never a raw CR, LF, '&' or '#'. */
    wx_kv_t query[] = {{"mchid", "1\r\nX-Injected: 1&a=b#c"}, {"x\r\ny", "z"}, {NULL, NULL}};
    r = wx_chain(c, "v3/pay/transactions/id/{transaction_id}")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"transaction_id", "42"}, {NULL, NULL}}, .query = query,
        .no_validation = 1});
    const char *q = strchr(fake.last_target, '?');
    assert_non_null(q);
    assert_null(strpbrk(fake.last_target, "\r\n# "));
    assert_non_null(strstr(q, "%0D%0A"));
    assert_non_null(strstr(q, "%26"));
    assert_int_equal(strchr(q + 1, '&') - q, strstr(q, "&x") - q); /* one '&': the separator */
    assert_null(strchr(strchr(q + 1, '&') + 1, '&'));
    wx_response_free(r);
    wx_client_free(c);
    wxt_fake_free(&fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_zeroised_on_free),
        cmocka_unit_test(test_no_secrets_in_errors_or_debug),
        cmocka_unit_test(test_header_injection_refused),
        cmocka_unit_test(test_identity_quotes),
        cmocka_unit_test(test_variables_encoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
