/* RAM a device gives the library (README, "Embedding on a device"): heap per client and
 * per request in flight, for the seed endpoint, signed and verified with RSA-2048.
 * Two counts: the library's own allocations (through wx_set_allocator, the counting
 * allocator) and the whole process heap (mallinfo2: also json-c and the crypto library).
 * The transport is one written here on the transport plugin interface: it holds each
 * request until perform, as a network would, and then answers through the in-process
 * fake server; libcurl's own per-transfer memory is therefore not in these figures.
 * Prints the figures and fails when one passes its bound. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>

#include "alloc_counter.h"
#include "fake_server.h"

#define CLIENTS 8
#define IN_FLIGHT 32
/* Bounds well above what is measured (the README quotes the figures: the embedded
 * profile's warm client holds 25 KiB of library heap, the default build's, with every
 * spec folder listed, 38 KiB), so that a real growth fails and noise does not. */
#define MAX_CLIENT_LIB_BYTES (64 * 1024)
#define MAX_CLIENT_HEAP_BYTES (160 * 1024)
#define MAX_REQUEST_LIB_BYTES (16 * 1024)
#define MAX_REQUEST_HEAP_BYTES (32 * 1024)

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

/* ------------------------------------------------- a transport that holds requests */

typedef struct held {
    const wx_http_request_t *req;
    wx_http_response_t *resp;
    wx_http_done_fn done;
    void *done_ud;
} held;

typedef struct holding_transport {
    wx_transport_t pub;
    wxt_fake *fake;
    held q[IN_FLIGHT];
    size_t n;
} holding_transport;

static wx_err hold_submit(void *ctx, const wx_http_request_t *req, wx_http_response_t *resp,
                          wx_http_done_fn done, void *done_ud)
{
    holding_transport *t = ctx;
    if (t->n == IN_FLIGHT)
        return WX_E_TRANSPORT;
    t->q[t->n++] = (held){req, resp, done, done_ud};
    return WX_OK;
}

/* Answers every held request; the fake server signs each answer. */
static size_t hold_perform(void *ctx, int64_t timeout_ms)
{
    (void)timeout_ms;
    holding_transport *t = ctx;
    size_t n = t->n;
    t->n = 0;
    for (size_t i = 0; i < n; i++) {
        held h = t->q[i];
        wx_err rc = wxt_fake_handler(t->fake, h.req, h.resp);
        wx_error_t err = {0};
        h.done(h.done_ud, rc, &err);
    }
    return 0;
}

static void hold_destroy(void *ctx) { free(ctx); }

static wx_transport_t *holding_transport_new(wxt_fake *fake)
{
    holding_transport *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->pub = (wx_transport_t)WX_TRANSPORT_INIT;
    t->pub.ctx = t;
    t->pub.submit = hold_submit;
    t->pub.perform = hold_perform;
    t->pub.destroy = hold_destroy;
    t->fake = fake;
    return &t->pub;
}

/* ------------------------------------------------------------------ measuring */

typedef struct heap_point {
    size_t lib;  /* bytes the library holds */
    size_t proc; /* bytes malloc has handed out, all of the process */
} heap_point;

static heap_point heap_now(void)
{
    return (heap_point){wxt_alloc_bytes(), mallinfo2().uordblks};
}

static wx_client_t *new_client(wxt_fake *fake)
{
    wx_client_options_t o = wxt_fake_options(fake);
    wx_transport_free(o.transport);
    o.transport = holding_transport_new(fake);
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new(&o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

/* One request: the spec is parsed and the route cached, as on a device that has been
 * running for a while. */
static void warm_up(wx_client_t *c)
{
    wx_future_t *f = wx_chain(c, "v3/industry-coupon/tokens")
                         ->post_async(&(wx_request_options_t){.json_text = SEED_BODY});
    assert_non_null(f);
    wx_response_t *r = wx_future_wait(f);
    if (wx_response_err(r) != WX_OK)
        fail_msg("warm-up request: %s", wx_response_error_detail(r)->message);
    wx_response_free(r);
}

/* Prints a figure; a bound of 0 is information only. */
static void report(const char *what, double bytes, double bound)
{
    printf("%-44s %8.1f KiB", what, bytes / 1024.0);
    printf(bound > 0 ? " (bound %.0f KiB)\n" : "\n", bound / 1024.0);
    if (bound > 0 && bytes > bound)
        fail_msg("%s: %.0f bytes is over the bound of %.0f", what, bytes, bound);
}

static void test_client_and_request_memory(void **state)
{
    (void)state;
    wxt_fake fake;
    wxt_fake_init(&fake);
    wx_client_t *clients[CLIENTS];
    heap_point before = heap_now();
    for (size_t i = 0; i < CLIENTS; i++)
        clients[i] = new_client(&fake);
    heap_point cold = heap_now();
    report("library heap per new client", (double)(cold.lib - before.lib) / CLIENTS, 0);
    report("process heap per new client", (double)(cold.proc - before.proc) / CLIENTS, 0);
    for (size_t i = 0; i < CLIENTS; i++)
        warm_up(clients[i]);
    heap_point warm = heap_now();
    report("library heap per warm client", (double)(warm.lib - before.lib) / CLIENTS,
           MAX_CLIENT_LIB_BYTES);
    report("process heap per warm client", (double)(warm.proc - before.proc) / CLIENTS,
           MAX_CLIENT_HEAP_BYTES);

    /* IN_FLIGHT requests submitted on one client, none answered yet. */
    wx_future_t *f[IN_FLIGHT];
    for (size_t i = 0; i < IN_FLIGHT; i++) {
        f[i] = wx_chain(clients[0], "v3/industry-coupon/tokens")
                   ->post_async(&(wx_request_options_t){.json_text = SEED_BODY});
        assert_non_null(f[i]);
        assert_false(wx_future_done(f[i]));
    }
    heap_point loaded = heap_now();
    report("library heap per request in flight", (double)(loaded.lib - warm.lib) / IN_FLIGHT,
           MAX_REQUEST_LIB_BYTES);
    report("process heap per request in flight", (double)(loaded.proc - warm.proc) / IN_FLIGHT,
           MAX_REQUEST_HEAP_BYTES);
    for (size_t i = 0; i < IN_FLIGHT; i++) {
        wx_response_t *r = wx_future_wait(f[i]);
        if (wx_response_err(r) != WX_OK)
            fail_msg("request %zu: %s", i, wx_response_error_detail(r)->message);
        wx_response_free(r);
    }
    for (size_t i = 0; i < CLIENTS; i++)
        wx_client_free(clients[i]);
    wxt_fake_free(&fake);
}

int main(void)
{
    wxt_alloc_install();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_client_and_request_memory)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
