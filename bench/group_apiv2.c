/* APIv2: no RSA anywhere, so the client's own cost shows. A typical micropay answer
 * parsed (expat, flat object; beside it expat alone, the floor) and checked (MD5 sign);
 * a micropay request signed and encoded; and payment-code sales against the sandbox,
 * one after another, with the client's CPU per sale (the sandbox runs in its own
 * process). */
#include <stdio.h>
#include <string.h>

#include <expat.h>
#include <json-c/json.h>

#include "bench.h"

#define GROUP "apiv2"

static const char k_answer[] =
    "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
    "<appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[1900000001]]></mch_id>"
    "<nonce_str><![CDATA[c380bec2bfd727a4b6845133519f3ad6]]></nonce_str>"
    "<result_code><![CDATA[SUCCESS]]></result_code><openid><![CDATA[oUpF8uMuAJO_M2pxb1Q9zNjWeS6o]]></openid>"
    "<is_subscribe><![CDATA[N]]></is_subscribe><trade_type><![CDATA[MICROPAY]]></trade_type>"
    "<bank_type><![CDATA[CMC]]></bank_type><fee_type><![CDATA[CNY]]></fee_type>"
    "<total_fee>1250</total_fee><cash_fee>1250</cash_fee>"
    "<transaction_id><![CDATA[4200000001202312030000000001]]></transaction_id>"
    "<out_trade_no><![CDATA[TILL1700000000]]></out_trade_no><attach><![CDATA[]]></attach>"
    "<time_end><![CDATA[20231203103456]]></time_end>"
    "<sign><![CDATA[00000000000000000000000000000000]]></sign></xml>";

#define BENCH_V2_KEY "benchAPIv2key0123456789abcdefABC"

static void parse_loop(void *ud, uint64_t n)
{
    (void)ud;
    for (uint64_t i = 0; i < n; i++) {
        json_object *f = NULL;
        if (wx_v2_xml_decode(k_answer, sizeof k_answer - 1, &f, NULL) == WX_OK)
            json_object_put(f);
    }
}

static void verify_loop(void *ud, uint64_t n)
{
    json_object *f = ud;
    for (uint64_t i = 0; i < n; i++)
        if (wx_v2_verify(f, BENCH_V2_KEY, WX_V2_SIGN_MD5, NULL) != WX_OK)
            break;
}

static void sign_encode_loop(void *ud, uint64_t n)
{
    json_object *f = ud;
    for (uint64_t i = 0; i < n; i++) {
        char sign[WX_V2_SIGN_MAX], *xml = NULL;
        if (wx_v2_sign(f, BENCH_V2_KEY, WX_V2_SIGN_MD5, sign, NULL) == WX_OK &&
            wx_v2_xml_encode(f, &xml, NULL, NULL) == WX_OK)
            wx_free(xml);
    }
}

/* The floor under the parse: expat alone on the same answer, no handlers, its parser
 * reset and reused as wx_v2_xml_decode reuses it. */
static void expat_loop(void *ud, uint64_t n)
{
    XML_Parser p = ud;
    for (uint64_t i = 0; i < n; i++) {
        XML_ParserReset(p, "UTF-8");
        if (XML_Parse(p, k_answer, (int)(sizeof k_answer - 1), XML_TRUE) != XML_STATUS_OK)
            break;
    }
}

/* CPU time per operation: on a shared machine, wall time counts other processes. */
static double cpu_ns_per_op(void (*fn)(void *ud, uint64_t n), void *ud, double seconds)
{
    double wall_ns, cpu_ns;
    bench_measure(fn, ud, seconds, &wall_ns, &cpu_ns);
    return cpu_ns;
}

static void local_figures(const bench_ctx *ctx)
{
    double ns = cpu_ns_per_op(parse_loop, NULL, ctx->seconds);
    bench_record(GROUP, "parse a typical micropay answer (XML -> object)", ns / 1000, "us",
                 BENCH_LE, 5);
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (p) {
        double floor_ns = cpu_ns_per_op(expat_loop, p, ctx->seconds);
        XML_ParserFree(p);
        bench_record(GROUP, "expat alone on the same answer (the parse's floor)", floor_ns / 1000,
                     "us", BENCH_INFO, 0);
        bench_record(GROUP, "parse / expat alone", ns / floor_ns, "x", BENCH_INFO, 0);
    }
    json_object *f = NULL;
    if (wx_v2_xml_decode(k_answer, sizeof k_answer - 1, &f, NULL) != WX_OK)
        return;
    char sign[WX_V2_SIGN_MAX];
    if (wx_v2_sign(f, BENCH_V2_KEY, WX_V2_SIGN_MD5, sign, NULL) == WX_OK)
        json_object_object_add(f, "sign", json_object_new_string(sign));
    ns = cpu_ns_per_op(verify_loop, f, ctx->seconds);
    bench_record(GROUP, "check its sign (MD5)", ns / 1000, "us", BENCH_INFO, 0);
    json_object_object_del(f, "sign");
    ns = cpu_ns_per_op(sign_encode_loop, f, ctx->seconds);
    bench_record(GROUP, "sign and encode a request like it", ns / 1000, "us", BENCH_INFO, 0);
    json_object_put(f);
}

/* Sales one after another for about @p seconds; the client's CPU per sale. */
static void sandbox_figures(const bench_ctx *ctx)
{
    wx_client_t *c = bench_sandbox_client(ctx->sandbox);
    if (!c)
        return;
    char body[512];
    uint64_t ok = 0, failed = 0;
    double cpu0 = bench_rusage_cpu(), sb0 = bench_sandbox_cpu(ctx->sandbox), t0 = bench_now();
    while (bench_now() - t0 < ctx->seconds) {
        snprintf(body, sizeof body,
                 "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"%s\",\"body\":\"bench\","
                 "\"out_trade_no\":\"B%d-%llu\",\"total_fee\":1250,\"spbill_create_ip\":"
                 "\"127.0.0.1\",\"auth_code\":\"134567890123456781\"}",
                 wx_client_mchid(c), ctx->rep, (unsigned long long)(ok + failed));
        wx_response_t *r = wx_chain(c, "v2/pay/micropay")->post(&(wx_request_options_t){.json_text = body});
        if (wx_response_err(r) == WX_OK)
            ok++;
        else if (failed++ == 0)
            bench_note("apiv2: micropay failed: %s", wx_response_error_detail(r)->message);
        wx_response_free(r);
    }
    double wall = bench_now() - t0, cpu = bench_rusage_cpu() - cpu0;
    double sb = bench_sandbox_cpu(ctx->sandbox) - sb0;
    if (ok) {
        bench_record(GROUP, "micropay via the sandbox, client CPU per request", cpu / (double)ok * 1e6,
                     "us", BENCH_LE, 80);
        bench_record(GROUP, "micropay via the sandbox, sequential", (double)ok / wall, "req/s",
                     BENCH_INFO, 0);
        bench_record(GROUP, "sandbox CPU / client CPU, micropay", sb / cpu, "x", BENCH_INFO, 0);
    }
    if (failed)
        bench_record(GROUP, "micropay failures", (double)failed, "req", BENCH_LE, 0);
    wx_client_free(c);
}

void bench_group_apiv2(const bench_ctx *ctx)
{
    local_figures(ctx);
    sandbox_figures(ctx);
}
