/* A program built against older headers keeps working with this library (common.h,
 * "Growing structs"). `v1_client_options` below is wx_client_options_t as version 1 of
 * the headers laid it out, copied as such a program was compiled with it. The struct is
 * placed at the very end of a readable page, before a page that may not be read, so the
 * library reading one byte past the old layout kills this test. It links the shared
 * library, the way such a program runs. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

#include "fake_server.h"
#include "testutil.h"

/* wx_client_options_t, version 1 */
struct v1_client_options {
    unsigned version;
    const char *mchid;
    const char *serial;
    const char *private_key_pem;
    const char *private_key_path;
    const char *private_key_password;
    const wx_platform_key_t *platform;
    const char *apiv3_key;
    const char *base_url;
    const char *backup_base_url;
    const char *const *spec_dirs;
    int no_builtin_specs;
    int no_env_spec_path;
    int no_request_validation;
    int validate_responses;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response_bytes;
    const char *user_agent_suffix;
    const char *ca_file;
    const char *ca_path;
    const char *proxy;
    int insecure_skip_tls_verify_DANGEROUS;
    wx_clock_fn clock;
    void *clock_ud;
    wx_nonce_fn nonce;
    void *nonce_ud;
    wx_signer_t *signer;
    wx_verifier_t *verifier;
    wx_transport_t *transport;
    void (*debug)(void *ud, const char *text, size_t len);
    void *debug_ud;
    long low_speed_limit;
    long low_speed_time_s;
    int max_retries;
    wx_client_t *share_transport_of;
    int auto_refresh_certificates;
    int64_t cert_refresh_margin_s;
    const char *apiv2_key;
    const char *merchant_cert_path;
    const char *merchant_cert_password;
};

/* Version 2 appended to version 1 and changed nothing before it. */
_Static_assert(sizeof(struct v1_client_options) <= offsetof(wx_client_options_t, max_clock_skew_s),
               "version 2 must only append to version 1");
_Static_assert(offsetof(struct v1_client_options, merchant_cert_password) ==
                   offsetof(wx_client_options_t, merchant_cert_password),
               "the members of version 1 keep their places");

#define SEED_BODY "{\"open_id\":\"o1\",\"coupon_list\":[{\"stock_id\":1,\"coupon_id\":\"c1\"}]}"

static wxt_fake g_fake;
static unsigned char *g_pages;
static size_t g_page;

static int setup(void **state)
{
    g_page = (size_t)sysconf(_SC_PAGESIZE);
    g_pages = mmap(NULL, 2 * g_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_pages == MAP_FAILED || mprotect(g_pages + g_page, g_page, PROT_NONE) != 0)
        return -1;
    wxt_fake_init(&g_fake);
    return 0;
}

static int teardown(void **state)
{
    wxt_fake_free(&g_fake);
    munmap(g_pages, 2 * g_page);
    return 0;
}

/* A version 1 struct as an old program fills it, ending where the guard page begins. */
static struct v1_client_options *old_options(unsigned version)
{
    struct v1_client_options *o =
        (struct v1_client_options *)(g_pages + g_page - sizeof(struct v1_client_options));
    wx_client_options_t now = wxt_fake_options(&g_fake);
    memset(o, 0, sizeof *o);
    o->version = version;
    o->mchid = now.mchid;
    o->serial = now.serial;
    o->private_key_pem = now.private_key_pem;
    o->platform = now.platform;
    o->base_url = now.base_url;
    o->no_env_spec_path = now.no_env_spec_path;
    o->clock = now.clock;
    o->transport = now.transport;
    return o;
}

/* One request answered with a timestamp @p skew seconds off: its error code. */
static wx_err request_with_skew(wx_client_t *c, int64_t skew)
{
    g_fake.ts_offset = skew;
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .version = WX_REQUEST_OPTIONS_VERSION, .json_text = SEED_BODY});
    wx_err rc = wx_response_err(r);
    wx_response_free(r);
    return rc;
}

/* The old program's client is made and works, with the new member's default. */
static void test_version_1_layout(void **state)
{
    for (unsigned version = 0; version <= 1; version++) { /* 0 means 1 */
        wx_client_t *c = NULL;
        wx_error_t err = {0};
        assert_int_equal(wx_client_new((const wx_client_options_t *)old_options(version), &c,
                                       &err), WX_OK);
        assert_int_equal(request_with_skew(c, 0), WX_OK);
        assert_true(g_fake.auth_ok);
        /* max_clock_skew_s (version 2) is absent: WeChat Pay's 300 s rule holds */
        assert_int_equal(request_with_skew(c, 299), WX_OK);
        assert_int_equal(request_with_skew(c, 600), WX_E_VERIFY_TIME);
        wx_client_free(c);
    }
}

/* The same through CONFIG.json, the old struct giving the overrides. */
static void test_version_1_overrides(void **state)
{
    char *dir = wxt_tmpdir("struct_growth");
    char *path = wxt_path(dir, "CONFIG.json");
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "{\"mchid\":\"1900000001\",\"serial\":\"3C9A2F1B7E5D4C3B2A1908F7E6D5C4B3A2918070\","
                     "\"private_key\":\"%s/tests/golden/keys/merchant_key.pem\"}", WX_SOURCE_DIR);
    wxt_write_file(path, text, (size_t)n);
    struct v1_client_options *o = old_options(1);
    o->mchid = o->serial = o->private_key_pem = NULL; /* from the file */
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(path, (const wx_client_options_t *)o, &c, &err) != WX_OK)
        fail_msg("wx_client_new_from_config: %s", err.message);
    assert_int_equal(request_with_skew(c, 0), WX_OK);
    assert_true(g_fake.auth_ok);
    assert_int_equal(request_with_skew(c, 600), WX_E_VERIFY_TIME);
    wx_client_free(c);
    free(path);
    free(dir);
}

/* A program built against these headers uses the version 2 member ... */
static void test_version_2_member(void **state)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.version = WX_CLIENT_OPTIONS_VERSION;
    o.max_clock_skew_s = 1000;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    assert_int_equal(request_with_skew(c, 600), WX_OK);
    assert_int_equal(request_with_skew(c, 1200), WX_E_VERIFY_TIME);
    wx_client_free(c);
    /* ... only when it says its struct has it: version 0 is version 1 */
    o = wxt_fake_options(&g_fake);
    o.version = 0;
    o.max_clock_skew_s = 1000;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    assert_int_equal(request_with_skew(c, 600), WX_E_VERIFY_TIME);
    wx_client_free(c);
}

/* Structs from headers newer than the library are refused, naming the struct. */
static void test_newer_version_refused(void **state)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.version = WX_CLIENT_OPTIONS_VERSION + 1;
    wx_client_t *c = (wx_client_t *)1;
    wx_error_t err = {0};
    assert_int_equal(wx_client_new(&o, &c, &err), WX_E_INVALID_ARG);
    assert_null(c);
    assert_string_equal(err.where, "wx_client_options_t");
    wx_transport_free(o.transport);

    o = wxt_fake_options(&g_fake);
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    int sent = g_fake.requests;
    wx_response_t *r = wx_chain(c, "v3/industry-coupon/tokens")->post(&(wx_request_options_t){
        .version = WX_REQUEST_OPTIONS_VERSION + 1, .json_text = SEED_BODY});
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "wx_request_options_t"));
    wx_response_free(r);
    assert_int_equal(g_fake.requests, sent);
    wx_client_free(c);

    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_new(&(wx_spec_options_t){.version = WX_SPEC_OPTIONS_VERSION + 1},
                                 &s, &err), WX_E_INVALID_ARG);
    assert_null(s);
    assert_string_equal(err.where, "wx_spec_options_t");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_1_layout),
        cmocka_unit_test(test_version_1_overrides),
        cmocka_unit_test(test_version_2_member),
        cmocka_unit_test(test_newer_version_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
