/* Shared by the sandbox tests: the test keys, a small request signer built on
 * wx_rsa_sign (independent of the client core), raw libcurl requests, and checks of
 * the Wechatpay-* response signature. */
#ifndef WX_TEST_MOCK_CLIENT_H
#define WX_TEST_MOCK_CLIENT_H

#include <curl/curl.h>
#include <json-c/json.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

#define TOKENS "/v3/industry-coupon/tokens"
#define GOOD_BODY "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":" \
                  "[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}"

typedef struct keys {
    char *dir;
    char *mchid, *serial, *apiv3_key, *platform_serial, *pubkey_id;
    wx_privkey_t *merchant;
    wx_pubkey_t *platform;   /* certificate */
    wx_pubkey_t *pubkey;     /* WeChat Pay public key */
    char *platform_pem;
} keys;

typedef struct sign_opts {
    const char *mchid;       /* NULL: K.mchid */
    const char *serial;      /* NULL: K.serial */
    long skew;               /* seconds added to now */
    const char *signed_body; /* sign these bytes instead of the body sent */
} sign_opts;

typedef struct reply {
    CURLcode curl;
    long status;
    char *body;
    size_t len;
    char headers[64][2][512];
    int n_headers;
    double seconds;
    long new_connections;
} reply;

extern keys K;       /* the test keys folder, loaded */
extern wxt_mock M;   /* the shared sandbox */
extern CURL *g_curl; /* reused: keep-alive across requests */

/* cmocka group setup/teardown for the suites that share K, M and g_curl. */
int test_mock_group_setup(void **state);
int test_mock_group_teardown(void **state);

void keys_load(keys *k, const char *dir);
void keys_free(keys *k);
/* "Authorization: WECHATPAY2-SHA256-RSA2048 ..." for a request (malloc'd). */
char *authorization(const char *method, const char *target, const char *body, const sign_opts *o);
/* Send METHOD base+target with the given body and extra header lines (NULL-ended);
 * auth: a full "Authorization: ..." line or NULL for none; cafile for https. */
void send_raw(const char *base, const char *method, const char *target, const char *body,
              const char *auth, const char *const *extra, const char *cafile, reply *r);
/* A correctly signed request to the shared mock M. */
void send_signed(const char *method, const char *target, const char *body,
                 const char *const *extra, reply *r);
/* libcurl write and header callbacks filling a reply (for callers with their own handles). */
size_t test_mock_body_cb(char *p, size_t sz, size_t n, void *reply_ud);
size_t test_mock_header_cb(char *p, size_t sz, size_t n, void *reply_ud);
const char *hdr(const reply *r, const char *name);
void reply_free(reply *r);
/* The response's Wechatpay-* headers verify against @p key: WX_OK or why not. */
wx_err verify_with(const reply *r, const wx_pubkey_t *key);
/* Signed by the platform certificate with a fresh timestamp, as a client requires. */
void assert_verified(const reply *r);
/* A signed JSON error with this status and code. */
void assert_error(const reply *r, long status, const char *code);
struct json_object *body_json(const reply *r);
const char *jstr(struct json_object *o, const char *key);
/* 1 when detail.errors has a path containing @p needle. */
int has_violation(struct json_object *detail, const char *needle);

#endif
