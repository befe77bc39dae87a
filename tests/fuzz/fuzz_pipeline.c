/* libFuzzer target for the client pipeline's way back in (src/client/pipeline.c,
 * response.c, transport/http_response.c): a real client on the in-memory transport
 * whose "server" answers with the fuzzed status, headers and body.
 *
 * Input: byte 0 is a set of switches, bytes 1-2 the status (100 + n % 500), then
 * "Name: value" lines, an empty line and the body (fuzz_support.h). Switches:
 *   0x01  also send the four Wechatpay-* headers, correctly signed over the body with
 *         the golden platform key (after the fuzzed headers, so a fuzzed header of the
 *         same name comes first)
 *   0x02  use the client that validates 2xx bodies against the spec
 *   0x04  send through the async path (post_async + wait)
 *   0x08  stream the body to a sink
 *   0x10  the transport fails (WX_E_TRANSPORT) after filling the response
 *   0x60  which endpoint: the seed POST, a GET by id, a bill download (unsigned 2xx),
 *         the certificate list
 * Checked on every input:
 * - the error is one the pipeline may report for an answer, and never WX_OK or
 *   WX_E_HTTP unless the response really is signed (rechecked independently over the
 *   headers and body the caller sees) or is an unsigned-2xx download;
 * - a response that failed verification or transport exposes no body and no JSON;
 * - a sink only ever receives verified bytes (or download bytes), never more than sent;
 * - nothing leaks (ASan's leak check at exit and per run under -detect_leaks=1).
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_BODY                                                                             \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":[{\"stock_id\":16474341," \
    "\"coupon_id\":\"11004999626\"}]}"

static const wx_kv_t k_id_vars[] = {{"transaction_id", "1217752501201407033233368018"},
                                    {NULL, NULL}};
static const wx_kv_t k_mchid_query[] = {{"mchid", "1230000109"}, {NULL, NULL}};
static const wx_kv_t k_bill_query[] = {
    {"token", "6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO"}, {NULL, NULL}};

typedef struct answer {
    int status;
    int sign;
    int fail;
    const wxf_message *m;
    wx_privkey_t *platform;
    size_t sent;
} answer;

static answer g_answer;
static wx_client_t *g_plain, *g_validating;
static wx_pubkey_t *g_platform_pub, *g_other_pub;

static int64_t fixed_clock(void *ud) { return WXF_NOW; }

static wx_err handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    answer *a = ud;
    const wxf_message *m = a->m;
    wx_http_response_set_status(resp, a->status);
    for (size_t i = 0; i < m->header_count; i++)
        if (wx_http_response_add_header(resp, m->headers[i].key, strlen(m->headers[i].key),
                                        m->headers[i].value, strlen(m->headers[i].value)) != WX_OK)
            return WX_E_NOMEM;
    if (a->sign) {
        char ts[32], nonce[] = "FUZZNONCE0123456789";
        snprintf(ts, sizeof ts, "%d", WXF_NOW);
        size_t n = strlen(ts) + strlen(nonce) + m->body_len + 3;
        char *msg = malloc(n);
        int off = snprintf(msg, n, "%s\n%s\n", ts, nonce);
        memcpy(msg + off, m->body, m->body_len);
        msg[(size_t)off + m->body_len] = '\n';
        char *sig = NULL;
        if (wx_rsa_sign(a->platform, msg, n, &sig, NULL) != WX_OK)
            abort();
        free(msg);
        const char *kv[][2] = {{"Wechatpay-Timestamp", ts}, {"Wechatpay-Nonce", nonce},
                               {"Wechatpay-Signature", sig},
                               {"Wechatpay-Serial", WXF_PLATFORM_SERIAL}};
        for (int i = 0; i < 4; i++)
            (void)wx_http_response_add_header(resp, kv[i][0], strlen(kv[i][0]), kv[i][1],
                                              strlen(kv[i][1]));
        wx_free(sig);
    }
    wx_err rc = wx_http_response_append(resp, m->body, m->body_len);
    a->sent = m->body_len;
    if (a->fail)
        return WX_E_TRANSPORT;
    return rc;
}

/* The way out is not under test here: a fixed Authorization keeps each run free of a
   private-key operation. */
static wx_err fixed_authorization(void *ctx, const wx_sign_input_t *in, char *out, size_t size,
                                  wx_error_t *err)
{
    snprintf(out, size, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",signature=\"fuzz\"");
    return WX_OK;
}

static void no_destroy(void *ctx) {}

static wx_client_t *make_client(int validate)
{
    static wx_signer_t signers[2];
    static wx_platform_key_t platform[3]; /* ends with {NULL, NULL} */
    platform[0] = (wx_platform_key_t){WXF_PLATFORM_SERIAL, wxf_golden("platform_cert.pem")};
    platform[1] = (wx_platform_key_t){WXF_OTHER_SERIAL, wxf_golden("other_cert.pem")};
    wx_client_options_t o = {0};
    signers[validate] = (wx_signer_t){.authorization = fixed_authorization, .destroy = no_destroy};
    o.signer = &signers[validate];
    o.platform = platform;
    o.no_env_spec_path = 1;
    o.validate_responses = validate;
    o.clock = fixed_clock;
    o.max_response_bytes = 4096;
    o.transport = wx_transport_memory(handler, &g_answer);
    wx_client_t *c = NULL;
    wx_error_t err;
    if (wx_client_new(&o, &c, &err) != WX_OK) {
        fprintf(stderr, "fuzz_pipeline: client: %s\n", err.message);
        abort();
    }
    return c;
}

static void setup(void)
{
    if (g_plain)
        return;
    g_plain = make_client(0);
    g_validating = make_client(1);
    const char *p = wxf_golden("platform_key.pem");
    const char *pc = wxf_golden("platform_cert.pem"), *oc = wxf_golden("other_cert.pem");
    if (wx_privkey_load(p, strlen(p), NULL, &g_answer.platform, NULL) != WX_OK ||
        wx_pubkey_load(pc, strlen(pc), &g_platform_pub, NULL) != WX_OK ||
        wx_pubkey_load(oc, strlen(oc), &g_other_pub, NULL) != WX_OK)
        abort();
}

typedef struct sink_state {
    size_t bytes;
    int calls;
} sink_state;

static int sink(void *ud, const void *data, size_t len)
{
    sink_state *s = ud;
    s->bytes += len;
    s->calls++;
    return 0;
}

/* The response as the caller sees it is signed: recheck from its headers and body. */
static int really_signed(const wx_response_t *r)
{
    const char *ts = wx_response_header(r, "Wechatpay-Timestamp"),
               *nonce = wx_response_header(r, "Wechatpay-Nonce"),
               *sig = wx_response_header(r, "Wechatpay-Signature"),
               *serial = wx_response_header(r, "Wechatpay-Serial");
    if (!ts || !nonce || !sig || !serial)
        return 0;
    const wx_pubkey_t *key = strcmp(serial, WXF_PLATFORM_SERIAL) == 0 ? g_platform_pub
                             : strcmp(serial, WXF_OTHER_SERIAL) == 0  ? g_other_pub
                                                                      : NULL;
    long long t = strtoll(ts, NULL, 10);
    if (!key || t < WXF_NOW - 300 || t > WXF_NOW + 300)
        return 0;
    const wxf_message *m = g_answer.m; /* the body as sent: a sink may have taken it */
    size_t n = strlen(ts) + strlen(nonce) + m->body_len + 3;
    char *msg = malloc(n);
    int off = snprintf(msg, n, "%s\n%s\n", ts, nonce);
    memcpy(msg + off, m->body, m->body_len);
    msg[n - 1] = '\n';
    int ok = wx_rsa_verify(key, msg, n, sig, NULL) == WX_OK;
    free(msg);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 8192)
        return 0;
    setup();
    uint8_t sw = data[0];
    int status = 100 + ((data[1] << 8) | data[2]) % 500;
    wxf_message m;
    wxf_message_parse(data + 3, size - 3, &m);
    g_answer.status = status;
    g_answer.sign = sw & 0x01;
    g_answer.fail = (sw & 0x10) != 0;
    g_answer.m = &m;
    g_answer.sent = 0;

    wx_client_t *c = (sw & 0x02) ? g_validating : g_plain;
    sink_state ss = {0, 0};
    wx_request_options_t opts = {0};
    if (sw & 0x08) {
        opts.sink = sink;
        opts.sink_ud = &ss;
    }
    wx_node_t *node;
    wx_method method = WX_GET;
    int download = 0;
    switch ((sw >> 5) & 3) {
    case 0:
        node = wx_chain(c, "v3/industry-coupon/tokens");
        method = WX_POST;
        opts.json_text = SEED_BODY;
        break;
    case 1:
        node = wx_chain(c, "v3/pay/transactions/id/{transaction_id}");
        opts.vars = k_id_vars;
        opts.query = k_mchid_query;
        break;
    case 2:
        node = wx_chain(c, "v3/billdownload/file");
        opts.query = k_bill_query;
        download = 1;
        break;
    default:
        node = wx_chain(c, "v3/certificates");
        break;
    }
    opts.no_validation = 1;
    wx_response_t *r = (sw & 0x04) ? wx_future_wait(wx_request_async(node, method, &opts))
                                   : wx_request(node, method, &opts);
    wx_err rc = wx_response_err(r);
    size_t blen = 0;
    const char *body = wx_response_body(r, &blen);
    switch (rc) {
    case WX_OK:
    case WX_E_HTTP:
    case WX_E_VALIDATION:
        if (!(download && rc == WX_OK && status >= 200 && status < 300) && !really_signed(r))
            abort();
        if (rc != WX_OK && !wx_response_error_detail(r)->message[0])
            abort();
        break;
    case WX_E_IO: /* the sink refused: never here, ours takes everything */
        abort();
    case WX_E_TRANSPORT:
    case WX_E_TOO_LARGE:
    case WX_E_NOMEM:
        if (body || wx_response_json(r))
            abort();
        if (!g_answer.fail && rc == WX_E_TRANSPORT)
            abort();
        break;
    case WX_E_VERIFY_HEADER:
    case WX_E_VERIFY_SERIAL:
    case WX_E_VERIFY_TIME:
    case WX_E_VERIFY_SIGNATURE:
        if (body || wx_response_json(r) || !wx_response_error_detail(r)->message[0])
            abort();
        if (ss.bytes && !download)
            abort(); /* unverified bytes reached the caller's sink */
        break;
    default:
        fprintf(stderr, "fuzz_pipeline: unexpected %s: %s\n", wx_err_name(rc),
                wx_response_error_detail(r)->message);
        abort();
    }
    if (ss.bytes > g_answer.sent || blen > g_answer.sent)
        abort();
    (void)wx_response_json(r);
    wx_response_free(r);
    wxf_message_free(&m);
    return 0;
}
