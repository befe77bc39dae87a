/* libFuzzer target for the way out (src/client/prepare_*.c, src/request/target.c): what
 * a caller gives a request (path template, segment, variable values, query, an extra
 * header, an upload's file name and content type) against what reaches the transport.
 * The attacks of issue 16 are its seeds: encoded slashes and backslashes in segments
 * and {+var} values, {#x} fragments, CR/LF in an upload's content type or file name.
 *
 * Input: lines (LF) in this order, missing ones empty:
 *   0  the chain path (a template: "v3/merchant-service/images/{+p}")
 *   1  a segment appended with ->seg() (empty: none)
 *   2  the value of the variables p and f
 *   3  an upload's content type (empty: no upload, a GET; else a POST of a file)
 *   4  the upload's file name
 *   5  the value of query parameter q (empty: no query)
 *   6  the value of an extra header X-Fuzz (empty: none)
 * Checked on every input that reaches the transport (a refused one sends nothing):
 * - the target sent is the target signed, byte for byte (APIv3; APIv2 signs the body);
 * - its path holds no '#', no %2F or %5C (any case), no backslash and no "." or ".."
 *   segment, and no byte outside printable ASCII;
 * - no header value (tabs aside), upload file name or content type holds a control
 *   character;
 * - a refusal is one of the errors the way out reports for bad input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE "http://fuzz.invalid"
#define LINES 7

typedef struct seen {
    int sent;
    char *signed_target; /* NULL until a target is signed (APIv2 signs the body) */
} seen;

static seen g_seen;
static wx_client_t *g_client;

static int64_t fixed_clock(void *ud) { return WXF_NOW; }

/* A control byte (or DEL) in @p s; a tab counts unless @p tab_ok (header values). */
static int control_in(const char *s, int tab_ok)
{
    for (; s && *s; s++)
        if (((unsigned char)*s < 0x20 && !(tab_ok && *s == '\t')) || *s == 0x7f)
            return 1;
    return 0;
}

static int has_control(const char *s) { return control_in(s, 0); }

/* The target's path would reach the server as another path than the one signed. */
static int path_rewritable(const char *t)
{
    size_t n = strcspn(t, "?");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '#' || c == '\\' || c <= 0x20 || c >= 0x7f)
            return 1;
        if (c == '%' && i + 2 < n && ((t[i + 1] == '2' && (t[i + 2] | 0x20) == 'f') ||
                                      (t[i + 1] == '5' && (t[i + 2] | 0x20) == 'c')))
            return 1;
        if (c == '/') {
            size_t seg = strcspn(t + i + 1, "/?");
            if ((seg == 1 && t[i + 1] == '.') || (seg == 2 && !strncmp(t + i + 1, "..", 2)))
                return 1;
        }
    }
    return strchr(t, '#') != NULL;
}

static wx_err handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    seen *s = ud;
    s->sent++;
    if (strncmp(req->url, BASE "/", sizeof BASE) != 0)
        abort();
    const char *target = req->url + sizeof BASE - 1;
    /* APIv2 signs the body, not the target: nothing was recorded for it. */
    int apiv2 = s->signed_target == NULL;
    if ((!apiv2 && strcmp(target, s->signed_target) != 0) || path_rewritable(target))
        abort();
    for (const wx_kv_t *h = req->headers; h && h->key; h++)
        if (has_control(h->key) || control_in(h->value, 1))
            abort();
    if (has_control(req->upload_filename) || has_control(req->upload_content_type) ||
        has_control(req->upload_meta))
        abort();
    wx_http_response_set_status(resp, 204);
    return WX_OK;
}

/* Records the target it is asked to sign; no key operation per run. */
static wx_err recording_authorization(void *ctx, const wx_sign_input_t *in, char *out,
                                      size_t size, wx_error_t *err)
{
    seen *s = ctx;
    free(s->signed_target);
    s->signed_target = strdup(in->target); /* whole, however long the expansion */
    if (!s->signed_target)
        abort();
    snprintf(out, size, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",signature=\"fuzz\"");
    return WX_OK;
}

static void no_destroy(void *ctx) {}

/* Nodes are interned for the client's life (chain.h), so every distinct path the fuzzer
 * writes stays: a fresh client every so many inputs keeps the run within its memory. */
enum { INPUTS_PER_CLIENT = 4096 };

static void setup(void)
{
    static unsigned inputs;
    if (g_client && ++inputs % INPUTS_PER_CLIENT == 0) {
        wx_client_free(g_client);
        g_client = NULL;
    }
    if (g_client)
        return;
    static wx_signer_t signer;
    static wx_platform_key_t platform[2]; /* ends with {NULL, NULL} */
    platform[0] = (wx_platform_key_t){WXF_PLATFORM_SERIAL, wxf_golden("platform_cert.pem")};
    signer = (wx_signer_t){.authorization = recording_authorization, .destroy = no_destroy,
                           .ctx = &g_seen};
    wx_client_options_t o = {0};
    o.base_url = BASE "/";
    o.signer = &signer;
    o.mchid = "1900000001";
    o.apiv2_key = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"; /* APIv2 paths reach the transport too */
    o.platform = platform;
    o.no_env_spec_path = 1;
    o.clock = fixed_clock;
    o.transport = wx_transport_memory(handler, &g_seen);
    wx_error_t err;
    if (wx_client_new(&o, &g_client, &err) != WX_OK) {
        fprintf(stderr, "fuzz_request_out: client: %s\n", err.message);
        abort();
    }
}

/* Split @p text (modified) into LINES lines; missing ones are "". */
static void split(char *text, const char *line[LINES])
{
    for (int i = 0; i < LINES; i++) {
        line[i] = text ? text : "";
        char *nl = text ? strchr(text, '\n') : NULL;
        if (nl)
            *nl = 0;
        text = nl ? nl + 1 : NULL;
    }
}

static void check_refusal(wx_err rc, const wx_response_t *r)
{
    switch (rc) {
    case WX_E_INVALID_ARG:
    case WX_E_TEMPLATE:
    case WX_E_CHAIN:
    case WX_E_MISSING_VAR:
    case WX_E_HEADER_VALUE:
    case WX_E_NOMEM:
        if (!wx_response_error_detail(r)->message[0])
            abort();
        return;
    default:
        fprintf(stderr, "fuzz_request_out: unexpected refusal %s: %s\n", wx_err_name(rc),
                wx_response_error_detail(r)->message);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    const char *line[LINES];
    split(text, line);
    wx_node_t *node = wx_chain(g_client, line[0]);
    if (line[1][0])
        node = node->seg(line[1]);
    const wx_kv_t vars[] = {{"p", line[2]}, {"f", line[2]}, {NULL, NULL}};
    const wx_kv_t query[] = {{"q", line[5]}, {NULL, NULL}};
    const wx_kv_t headers[] = {{"X-Fuzz", line[6]}, {NULL, NULL}};
    static const char png[] = "\x89PNG\r\n\x1a\n";
    wx_upload_t up = {.filename = line[4], .data = png, .data_len = 8,
                      .content_type = line[3]};
    wx_request_options_t o = {.vars = vars, .no_validation = 1};
    o.query = line[5][0] ? query : NULL;
    o.headers = line[6][0] ? headers : NULL;
    o.upload = line[3][0] ? &up : NULL;
    g_seen.sent = 0;
    free(g_seen.signed_target);
    g_seen.signed_target = NULL;
    wx_response_t *r = wx_request(node, o.upload ? WX_POST : WX_GET, &o);
    wx_err rc = wx_response_err(r);
    if (!g_seen.sent)
        check_refusal(rc, r);
    wx_response_free(r);
    free(text);
    return 0;
}
