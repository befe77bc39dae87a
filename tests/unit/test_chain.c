/* The chain runtime: segment normalisation, interning, the declarative and index
 * forms, errors on the chain, thread-local cursors, and that a warm chain allocates
 * nothing. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "alloc_counter.h"
#include "chain/chain_internal.h"
#include "fake_server.h"
#include "testutil.h"

static wxt_fake g_fake;

static wx_client_t *new_client(const char *spec_dir)
{
    wx_client_options_t o = wxt_fake_options(&g_fake);
    o.validation = WX_VALIDATION_ON; /* chains to paths no spec describes, on purpose */
    const char *dirs[] = {spec_dir, NULL};
    if (spec_dir)
        o.spec_dirs = dirs;
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_client_new(&o, &c, &err), WX_OK);
    return c;
}

static int setup(void **state)
{
    wxt_fake_init(&g_fake);
    return 0;
}

static int teardown(void **state)
{
    wxt_fake_free(&g_fake);
    return 0;
}

static void test_normalise(void **state)
{
    static const struct { const char *in, *out; } ok[] = {
        {"industryCoupon", "industry-coupon"}, {"IndustryCoupon", "industry-coupon"},
        {"tokens", "tokens"}, {"v3", "v3"}, {"_transaction_id_", "{transaction_id}"},
        {"{transaction_id}", "{transaction_id}"}, {"{+path}", "{+path}"},
        {"outTradeNo", "out-trade-no"}, {"a%2Fb", "a%2Fb"}, {"id{suffix}", "id{suffix}"},
        {"billdownload", "billdownload"}, {"merchant-service", "merchant-service"},
        {"A", "a"}, {"aB", "a-b"}, {"_", "_"}, {"__", "__"}, {"ecommerce.v1", "ecommerce.v1"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        wx_buf b = WX_BUF_INIT;
        wx_error_t err = {0};
        assert_int_equal(wx_segment_normalise(ok[i].in, strlen(ok[i].in), 0, &b, &err), WX_OK);
        if (strcmp(wx_buf_str(&b), ok[i].out) != 0)
            fail_msg("%s -> %s, expected %s", ok[i].in, wx_buf_str(&b), ok[i].out);
        wx_buf_free(&b);
    }
    static const char *const bad[] = {"", "a?b", "a#b", "a b", "{open", "x}", "a\nb", "%zz", "%4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wx_buf b = WX_BUF_INIT;
        wx_error_t err = {0};
        if (wx_segment_normalise(bad[i], strlen(bad[i]), 0, &b, &err) != WX_E_CHAIN)
            fail_msg("\"%s\" accepted as \"%s\"", bad[i], wx_buf_str(&b));
        assert_true(err.message[0] != 0);
        wx_buf_free(&b);
    }
    /* variable: a value is kept verbatim and escaped, never a new segment */
    wx_buf b = WX_BUF_INIT;
    assert_int_equal(wx_segment_normalise("oUpF8uMu/AJO?x", 14, 1, &b, NULL), WX_OK);
    assert_string_equal(wx_buf_str(&b), "oUpF8uMu%2FAJO%3Fx");
    wx_buf_free(&b);
}

static void test_same_node(void **state)
{
    wx_client_t *c = new_client(NULL);
    wx_node_t *a = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens");
    wx_node_t *b = wx_chain(c, "v3/industry-coupon/tokens");
    wx_node_t *d = wx_at(c, "v3/industry-coupon/tokens");
    wx_node_t *e = wx_seg(wx_chain(c, "v3"), "industryCoupon/tokens");
    wx_node_t *f = wx_chain(c, "/v3/industryCoupon/tokens/");
    wx_node_t *g = wx_chain(c, "V3")->seg("IndustryCoupon")->seg("tokens");
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, d);
    assert_ptr_equal(a, e);
    assert_ptr_equal(a, f);
    assert_ptr_equal(a, g);
    assert_string_equal(wx_node_path(a), "v3/industry-coupon/tokens");
    assert_ptr_equal(wx_node_client(a), c);
    /* _name_ and {name} are the same template node */
    wx_node_t *t1 = wx_chain(c, "v3/pay/transactions/id")->seg("_transaction_id_");
    wx_node_t *t2 = wx_chain(c, "v3/pay/transactions/id/{transaction_id}");
    assert_ptr_equal(t1, t2);
    assert_string_equal(wx_node_path(t1), "v3/pay/transactions/id/{transaction_id}");
    /* many siblings force table growth; all stay reachable */
    char name[32];
    wx_node_t *kids[200];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "n%d", i);
        kids[i] = wx_chain(c, "v3")->seg(name);
    }
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "v3/n%d", i);
        assert_ptr_equal(wx_chain(c, name), kids[i]);
    }
    /* another client has its own nodes */
    wx_client_t *c2 = new_client(NULL);
    assert_ptr_not_equal(wx_chain(c2, "v3/industry-coupon/tokens"), a);
    wx_client_free(c2);
    wx_client_free(c);
}

static void test_chain_errors(void **state)
{
    wx_client_t *c = new_client(NULL);
    int before = g_fake.requests;
    wx_response_t *r = wx_chain(c, "v3")->seg("bad?seg")->seg("tokens")->post(NULL);
    assert_int_equal(wx_response_err(r), WX_E_CHAIN);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "bad?seg"));
    assert_null(wx_response_body(r, NULL));
    wx_response_free(r);
    r = wx_chain(c, "v3")->seg(NULL)->get(NULL);
    assert_int_equal(wx_response_err(r), WX_E_CHAIN);
    wx_response_free(r);
    r = wx_chain(NULL, "v3")->get(NULL);
    assert_int_equal(wx_response_err(r), WX_E_INVALID_ARG);
    wx_response_free(r);
    r = wx_chain(c, "v3//x")->get(NULL);
    assert_int_equal(wx_response_err(r), WX_E_CHAIN);
    wx_response_free(r);
    r = wx_request(wx_chain(c, ""), WX_GET, NULL);
    assert_int_equal(wx_response_err(r), WX_E_CHAIN);
    wx_response_free(r);
    /* a good chain after a bad one works: the error does not stick to the thread */
    r = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(&(wx_request_options_t){
        .json_text = "{\"open_id\":\"x\",\"coupon_list\":[]}"});
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    assert_int_equal(g_fake.requests, before + 1);
    wx_client_free(c);
}

/* The tool's dotted spelling means the same path here; a URL is refused before anything
 * is interned or sent. */
static void test_dotted_path_and_url(void **state)
{
    wx_client_t *c = new_client(NULL);
    wx_node_t *slash = wx_chain(c, "v3/industry-coupon/tokens");
    assert_ptr_equal(wx_chain(c, "v3.industryCoupon.tokens"), slash);
    assert_ptr_equal(wx_chain(c, "v3.industry-coupon.tokens"), slash);
    /* '.' inside an expression is the expression's; a '/' path or a segment never splits */
    assert_string_equal(wx_node_path(wx_chain(c, "v3.pay.transactions.id._transaction_id_")),
                        "v3/pay/transactions/id/{transaction_id}");
    assert_string_equal(wx_node_path(wx_chain(c, "v3.x.{a.b}")), "v3/x/{a.b}");
    assert_string_equal(wx_node_path(wx_chain(c, "v3/files/report.csv")), "v3/files/report.csv");
    assert_string_equal(wx_node_path(wx_chain(c, "v3")->seg("ecommerce.v1")), "v3/ecommerce.v1");
    /* a dotted path longer than the stack buffer takes the heap, same answer */
    char longp[700] = "v3", longs[700] = "v3"; /* 2 + 60 * 10 + 1 */
    for (int i = 0; i < 60; i++) {
        strcat(longp, ".segmentX");
        strcat(longs, "/segment-x");
    }
    assert_ptr_equal(wx_chain(c, longp), wx_chain(c, longs));
    wx_response_t *r = wx_chain(c, "v3..x")->get(NULL);
    assert_int_equal(wx_response_err(r), WX_E_CHAIN);
    wx_response_free(r);
    int before = g_fake.requests;
    static const char *const urls[] = {
        "https://api.mch.weixin.qq.com/v3/pay/transactions/native",
        "http://127.0.0.1:8080/v3/certificates", "HTTPS://api.mch.weixin.qq.com/v3",
        "git+ssh://x/v3"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        r = wx_chain(c, urls[i])->get(NULL);
        assert_int_equal(wx_response_err(r), WX_E_CHAIN);
        if (!strstr(wx_response_error_detail(r)->message, "give a path, not a URL"))
            fail_msg("%s: %s", urls[i], wx_response_error_detail(r)->message);
        wx_response_free(r);
    }
    r = wx_chain(c, "v3")->seg("https://x/y")->get(NULL);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "give a path, not a URL"));
    wx_response_free(r);
    assert_int_equal(g_fake.requests, before);
    /* warm, the dotted spelling allocates nothing either */
    wxt_alloc_install();
    for (int i = 0; i < 100; i++)
        assert_ptr_equal(wx_chain(c, "v3.industryCoupon.tokens"), slash);
    long n = wxt_alloc_count();
    wxt_alloc_uninstall();
    assert_int_equal(n, 0);
    wx_client_free(c);
}

static void test_variable_position_keeps_case(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/data/chain-spec", WX_SOURCE_DIR);
    wx_client_t *c = new_client(dir);
    wx_node_t *n = wx_chain(c, "v3")->seg("users")->seg("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")->seg("coupons");
    assert_string_equal(wx_node_path(n), "v3/users/oUpF8uMuAJO_M2pxb1Q9zNjWeS6o/coupons");
    /* where the spec says nothing, the PHP rules apply */
    n = wx_chain(c, "v3")->seg("nothing")->seg("someValue");
    assert_string_equal(wx_node_path(n), "v3/nothing/some-value");
    /* and the request goes to the value, routed to its template for validation */
    wx_response_t *r = wx_chain(c, "v3/users")->seg("OpenIDValue")->seg("coupons")->get(NULL);
    assert_string_equal(g_fake.last_target, "/v3/users/OpenIDValue/coupons");
    wx_response_free(r);
    wx_client_free(c);
}

/* A value in a variable position is escaped, so "a!b" is stored as "a%21b". That text
 * is a different value when given as a segment of its own, whichever comes first. */
static void test_value_is_not_taken_for_an_escaped_one(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/data/chain-spec", WX_SOURCE_DIR);
    for (int order = 0; order < 2; order++) {
        wx_client_t *c = new_client(dir);
        wx_node_t *plain = NULL, *escaped = NULL;
        if (order == 0)
            plain = wx_chain(c, "v3/users")->seg("a!b");
        escaped = wx_chain(c, "v3/users")->seg("a%21b");
        if (order == 1)
            plain = wx_chain(c, "v3/users")->seg("a!b");
        assert_string_equal(wx_node_path(plain), "v3/users/a%21b");
        assert_string_equal(wx_node_path(escaped), "v3/users/a%2521b");
        /* and each stays what it is when asked again (the fast path) */
        assert_ptr_equal(wx_chain(c, "v3/users")->seg("a%21b"), escaped);
        assert_ptr_equal(wx_chain(c, "v3/users")->seg("a!b"), plain);
        wx_client_free(c);
    }
    /* a raw segment that is already normal still finds its node without the lock */
    wx_client_t *c = new_client(NULL);
    wx_node_t *n = wx_chain(c, "v3")->seg("industryCoupon");
    assert_ptr_equal(wx_chain(c, "v3")->seg("industry-coupon"), n);
    wxt_alloc_install();
    assert_ptr_equal(wx_chain(c, "v3")->seg("industry-coupon"), n);
    long allocs = wxt_alloc_count();
    wxt_alloc_uninstall();
    assert_int_equal(allocs, 0);
    wx_client_free(c);
}

static void test_warm_chain_allocates_nothing(void **state)
{
    wx_client_t *c = new_client(NULL);
    wx_node_t *first = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens");
    wx_node_t *decl = wx_chain(c, "v3/industry-coupon/tokens");
    wxt_alloc_install();
    for (int i = 0; i < 1000; i++) {
        assert_ptr_equal(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens"), first);
        assert_ptr_equal(wx_chain(c, "v3/industry-coupon/tokens"), decl);
    }
    long n = wxt_alloc_count();
    wxt_alloc_uninstall();
    assert_int_equal(n, 0);
    wx_client_free(c);
}

typedef struct thread_arg {
    wx_client_t *c;
    int id;
    int bad;
} thread_arg;

static void *chain_thread(void *p)
{
    thread_arg *a = p;
    char seg[32];
    snprintf(seg, sizeof seg, "t%d", a->id);
    for (int i = 0; i < 20000; i++) {
        wx_node_t *n = wx_chain(a->c, "v3")->seg(seg)->seg(i % 2 ? "fooBar" : "foo-bar");
        char want[64];
        snprintf(want, sizeof want, "v3/t%d/foo-bar", a->id);
        if (strcmp(wx_node_path(n), want) != 0)
            a->bad++;
    }
    return NULL;
}

static void test_threads_have_their_own_cursor(void **state)
{
    wx_client_t *c = new_client(NULL);
    pthread_t t[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){c, i, 0};
        pthread_create(&t[i], NULL, chain_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    wx_client_free(c);
}

/* ------------------------------------------------------- many threads, one node */

/* Neither signing nor verifying is under test: both are trivial, so the threads spend
 * their time in the request pipeline. */
static wx_err quick_authorization(void *ctx, const wx_sign_input_t *in, char *out, size_t size,
                                  wx_error_t *err)
{
    snprintf(out, size, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",signature=\"x\"");
    return WX_OK;
}

static wx_err accept_all(void *ctx, const wx_verify_input_t *in, wx_error_t *err) { return WX_OK; }

static void no_destroy(void *ctx) {}

static wx_err answer_ok(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    wx_http_response_set_status(resp, 200);
    return wx_http_response_append(resp, "{}", 2);
}

/* Enough requests that a race on a shared value shows under ASan on two cores; valgrind
 * runs one thread at a time, so there a few show the memory is handled right. */
static int request_rounds(void) { return RUNNING_ON_VALGRIND ? 1000 : 100000; }

static void *request_thread(void *p)
{
    thread_arg *a = p;
    const wx_kv_t query[] = {{"mchid", "1900000001"}, {NULL, NULL}};
    for (int i = 0, n = request_rounds(); i < n; i++) {
        wx_response_t *r = wx_chain(a->c, "v3/pay/transactions/id/4200000001")
                               ->get(&(wx_request_options_t){.query = query});
        if (wx_response_err(r) != WX_OK)
            a->bad++;
        wx_response_free(r);
    }
    return NULL;
}

/* A concrete path keeps the values the router took from it ("4200000001" for
 * {transaction_id}) on its node, and every request validates with them: threads
 * sharing the node must not touch those values' reference counts (json-c's are not
 * atomic). */
static void test_threads_share_a_concrete_path(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/data/chain-spec", WX_SOURCE_DIR);
    const char *dirs[] = {dir, NULL};
    wx_signer_t signer = {.authorization = quick_authorization, .destroy = no_destroy};
    wx_verifier_t verifier = {.verify = accept_all, .destroy = no_destroy};
    wx_client_options_t o = {.signer = &signer, .verifier = &verifier, .spec_dirs = dirs,
                             .no_env_spec_path = 1,
                             .transport = wx_transport_memory(answer_ok, NULL)};
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    pthread_t t[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){c, i, 0};
        pthread_create(&t[i], NULL, request_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    wx_client_free(c);
}

/* The hazard chain.h and async.h state, and the safe forms: a kept node used through a
 * member acts on the thread's last chain; wx_request() acts on the node it is given. */
static void test_kept_node_needs_the_explicit_form(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/data/chain-spec", WX_SOURCE_DIR);
    wx_client_t *c = new_client(dir);
    wx_node_t *tokens = wx_chain(c, "v3/nothing/tokens");
    wx_node_t *other = wx_chain(c, "v3/nothing/other");
    assert_ptr_not_equal(tokens, other);
    wx_response_free(tokens->get(NULL)); /* the hazard: the cursor is `other` */
    assert_string_equal(g_fake.last_target, "/v3/nothing/other");
    wx_response_free(wx_request(tokens, WX_GET, NULL)); /* the safe form */
    assert_string_equal(g_fake.last_target, "/v3/nothing/tokens");
    /* a node kept across a request made with the safe form still names its path */
    assert_string_equal(wx_node_path(tokens), "v3/nothing/tokens");
    wx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_same_node),
        cmocka_unit_test(test_chain_errors),
        cmocka_unit_test(test_dotted_path_and_url),
        cmocka_unit_test(test_variable_position_keeps_case),
        cmocka_unit_test(test_value_is_not_taken_for_an_escaped_one),
        cmocka_unit_test(test_warm_chain_allocates_nothing),
        cmocka_unit_test(test_threads_have_their_own_cursor),
        cmocka_unit_test(test_threads_share_a_concrete_path),
        cmocka_unit_test(test_kept_node_needs_the_explicit_form),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
