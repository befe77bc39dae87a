/* Per-call overhead of the parts of a request that are neither crypto nor network:
 * warm chain resolution, URI template expansion, validation of the seed body, and a
 * whole request through a client whose signer and verifier do no crypto and whose
 * transport answers from memory. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

#include "alloc_counter.h"
#include "bench.h"

#define GROUP "micro"

/* ------------------------------------------------------------------ a client without crypto */

static wx_err null_authorization(void *ctx, const wx_sign_input_t *in, char *out, size_t size,
                                 wx_error_t *err)
{
    (void)ctx;
    (void)in;
    (void)err;
    snprintf(out, size, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"%s\","
                        "signature=\"-\",timestamp=\"1700000000\",serial_no=\"00\"", in->nonce);
    return WX_OK;
}

static wx_err null_verify(void *ctx, const wx_verify_input_t *in, wx_error_t *err)
{
    (void)ctx;
    (void)in;
    (void)err;
    return WX_OK;
}

static void nothing(void *ctx) { (void)ctx; }

static wx_err memory_answer(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    static const char body[] = "{\"token\":\"16824f40-aec1-11e8-a69c-f7a44da04f19\","
                               "\"expires_time\":\"2015-05-20T13:29:35+08:00\"}";
    (void)ud;
    (void)req;
    wx_http_response_set_status(resp, 200);
    wx_http_response_add_header(resp, "Content-Type", 12, "application/json", 16);
    return wx_http_response_append(resp, body, sizeof body - 1);
}

static int64_t fixed_clock(void *ud)
{
    (void)ud;
    return 1700000000;
}

static wx_err counter_nonce(void *ud, char out[64])
{
    (void)ud;
    static _Thread_local unsigned long n;
    snprintf(out, 64, "%032lu", ++n);
    return WX_OK;
}

static wx_client_t *no_crypto_client(void)
{
    static wx_signer_t signer = {.authorization = null_authorization, .destroy = nothing};
    static wx_verifier_t verifier = {.verify = null_verify, .destroy = nothing};
    wx_client_options_t o = {.mchid = "1900000001", .serial = "00", .signer = &signer,
                             .verifier = &verifier, .base_url = "http://127.0.0.1:9/",
                             .clock = fixed_clock, .nonce = counter_nonce, .no_env_spec_path = 1};
    o.transport = wx_transport_memory(memory_answer, NULL);
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (!o.transport || wx_client_new(&o, &c, &err) != WX_OK) {
        fprintf(stderr, "bench: client without crypto: %s\n", err.message);
        wx_transport_free(o.transport);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------------ the loops */

typedef struct micro {
    wx_client_t *client;
    wx_uri_template_t *tmpl;
    struct json_object *vars;
    const wx_endpoint_t *ep;
    struct json_object *body;
    wx_request_options_t opts;
    uint64_t failures;
} micro;

static void *volatile g_sink;

static void chain_segments(void *ud, uint64_t n)
{
    micro *m = ud;
    for (uint64_t i = 0; i < n; i++)
        g_sink = wx_chain(m->client, "v3")->seg("industryCoupon")->seg("tokens");
}

static void chain_declarative(void *ud, uint64_t n)
{
    micro *m = ud;
    for (uint64_t i = 0; i < n; i++)
        g_sink = wx_chain(m->client, BENCH_SEED_PATH);
}

static void expand(void *ud, uint64_t n)
{
    micro *m = ud;
    for (uint64_t i = 0; i < n; i++) {
        char *out = NULL;
        if (wx_uri_template_expand(m->tmpl, m->vars, WX_URI_REQUEST, &out, NULL) != WX_OK)
            m->failures++;
        wx_free(out);
    }
}

static void validate(void *ud, uint64_t n)
{
    micro *m = ud;
    wx_request_view_t view = {.body = m->body, .has_body = 1};
    for (uint64_t i = 0; i < n; i++) {
        wx_violations_t *v = NULL;
        if (wx_endpoint_validate_request(m->ep, &view, &v) != WX_OK)
            m->failures++;
        wx_violations_free(v);
    }
}

static void request(void *ud, uint64_t n)
{
    micro *m = ud;
    for (uint64_t i = 0; i < n; i++) {
        wx_response_t *r = wx_chain(m->client, BENCH_SEED_PATH)->post(&m->opts);
        if (wx_response_err(r) != WX_OK)
            m->failures++;
        wx_response_free(r);
    }
}

/* Library allocations made by one call of fn (after warm-up). */
static double allocs_per_call(void (*fn)(void *, uint64_t), micro *m)
{
    fn(m, 10);
    long a0 = wxt_alloc_count();
    fn(m, 100);
    return (double)(wxt_alloc_count() - a0) / 100.0;
}

void bench_group_micro(const bench_ctx *ctx)
{
    micro m = {0};
    wx_spec_t *spec = NULL;
    wx_error_t err = {0};
    m.client = no_crypto_client();
    if (!m.client)
        return;
    if (wx_uri_template_parse("v3/pay/transactions/out-trade-no/{out_trade_no}", &m.tmpl, &err) !=
            WX_OK ||
        wx_spec_new(&(wx_spec_options_t){.no_env = 1}, &spec, &err) != WX_OK ||
        wx_spec_find(spec, "POST", BENCH_SEED_PATH, &m.ep, NULL, &err) != WX_OK) {
        fprintf(stderr, "bench: micro set-up: %s\n", err.message);
        goto out;
    }
    m.vars = json_tokener_parse("{\"out_trade_no\":\"1217752501201407033233368018\"}");
    m.body = json_tokener_parse(BENCH_SEED_BODY);
    double s = ctx->seconds / 2;

    bench_record(GROUP, "chain ->seg x3, warm (v3, industryCoupon, tokens)",
                 bench_ns_per_op(chain_segments, &m, s), "ns", BENCH_LT, 100);
    bench_record(GROUP, "chain declarative \"v3/industry-coupon/tokens\", warm",
                 bench_ns_per_op(chain_declarative, &m, s), "ns", BENCH_LT, 100);
    bench_record(GROUP, "chain ->seg x3, warm: library allocations",
                 allocs_per_call(chain_segments, &m), "allocs", BENCH_LE, 0);
    bench_record(GROUP, "template expansion {out_trade_no} (compiled)",
                 bench_ns_per_op(expand, &m, s) / 1e3, "us", BENCH_LT, 1);
    double v_ns = bench_ns_per_op(validate, &m, s);
    bench_record(GROUP, "validation of the seed body", v_ns / 1e3, "us", BENCH_LT, 2);
    bench_record(GROUP, "validations of the seed body per second", 1e9 / v_ns, "1/s", BENCH_INFO,
                 0);

    /* A whole request with no crypto and no network: chain, expansion, body parse,
       headers, the record of what was sent, the in-memory answer, the response. */
    m.opts = (wx_request_options_t){.json_text = BENCH_SEED_BODY, .no_validation = 1};
    bench_record(GROUP, "request assembly (null signer/verifier, memory transport)",
                 bench_ns_per_op(request, &m, s) / 1e3, "us", BENCH_LT, 5);
    bench_record(GROUP, "request assembly: library allocations", allocs_per_call(request, &m),
                 "allocs", BENCH_INFO, 0);
    m.opts.no_validation = 0;
    bench_record(GROUP, "request assembly with validation (info)",
                 bench_ns_per_op(request, &m, s) / 1e3, "us", BENCH_INFO, 0);
    if (m.failures)
        bench_note("micro: %llu calls failed (figures above are not meaningful)",
                   (unsigned long long)m.failures);
out:
    json_object_put(m.vars);
    json_object_put(m.body);
    wx_uri_template_free(m.tmpl);
    wx_spec_free(spec);
    wx_client_free(m.client);
}
