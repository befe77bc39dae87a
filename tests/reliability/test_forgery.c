/* Forgery table: a valid signed response (from the in-process fake WeChat Pay) is
 * recorded, then mutated in every way it can be (each Wechatpay-* header removed,
 * emptied or altered character by character, every body byte flipped, bytes appended,
 * prepended, truncated, the serial swapped to the other known key, the timestamp moved
 * past 300 s either way and signed consistently, signed by the wrong key) and replayed
 * through a real client. Every mutation must be rejected with its WX_E_VERIFY_* code,
 * expose no body, no JSON and no server error code; the unmutated controls (and a
 * timestamp 299 s off) must still be accepted, so the table can fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

#include "fake_server.h"
#include "testutil.h"
#include "transport/http_response.h"

#define MAX_H 16
#define OTHER_ID "PUB_KEY_ID_0114232009152025032900000000000000"

/* A response as it goes over the wire. */
typedef struct wire {
    int status;
    size_t n;
    char name[MAX_H][64];
    char value[MAX_H][1024];
    char body[4096];
    size_t len;
} wire;

static wxt_fake g_fake;
static wire g_recorded, g_serve;
static enum { SERVE_FAKE, SERVE_RECORD, SERVE_WIRE } g_mode;
static wx_client_t *g_client;
static int g_rejected, g_accepted_controls;

static wx_err handler(void *ud, const wx_http_request_t *req, wx_http_response_t *resp)
{
    if (g_mode == SERVE_WIRE) {
        wx_http_response_set_status(resp, g_serve.status);
        for (size_t i = 0; i < g_serve.n; i++)
            wx_http_response_add_header(resp, g_serve.name[i], strlen(g_serve.name[i]),
                                        g_serve.value[i], strlen(g_serve.value[i]));
        return wx_http_response_append(resp, g_serve.body, g_serve.len);
    }
    wx_err rc = wxt_fake_handler(&g_fake, req, resp);
    if (g_mode == SERVE_RECORD) {
        memset(&g_recorded, 0, sizeof g_recorded);
        g_recorded.status = resp->status;
        for (size_t i = 0; i < resp->header_count && i < MAX_H; i++) {
            snprintf(g_recorded.name[i], 64, "%s", resp->headers[i].key);
            snprintf(g_recorded.value[i], 1024, "%s", resp->headers[i].value);
            g_recorded.n++;
        }
        assert_true(resp->body.len < sizeof g_recorded.body);
        memcpy(g_recorded.body, resp->body.data, resp->body.len);
        g_recorded.len = resp->body.len;
    }
    return rc;
}

static wx_response_t *send_seed(int async, wx_body_sink_fn sink, void *sink_ud)
{
    wx_request_options_t o = {
        .json_text = "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":"
                     "[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}",
        .sink = sink, .sink_ud = sink_ud};
    if (async)
        return wx_chain(g_client, "v3/industry-coupon/tokens")->post_async(&o)->wait();
    return wx_chain(g_client, "v3/industry-coupon/tokens")->post(&o);
}

static int sink_called;
static int count_sink(void *ud, const void *data, size_t len)
{
    sink_called++;
    return 0;
}

static void expect_rejected(const char *what, wx_err want)
{
    /* sync, async, and with a body sink: the same verdict, and nothing leaks out */
    for (int way = 0; way < 3; way++) {
        sink_called = 0;
        wx_response_t *r = send_seed(way == 1, way == 2 ? count_sink : NULL, NULL);
        wx_err got = wx_response_err(r);
        if (got == WX_OK || got == WX_E_HTTP)
            fail_msg("ACCEPTED FORGERY: %s (%s)", what, way == 1 ? "async" : "sync");
        if (want && got != want)
            fail_msg("%s: want %s, got %s: %s", what, wx_err_name(want), wx_err_name(got),
                     wx_response_error_detail(r)->message);
        assert_null(wx_response_body(r, NULL));
        assert_null(wx_response_json(r));
        assert_string_equal(wx_response_error_detail(r)->server_code, "");
        assert_int_equal(sink_called, 0);
        wx_response_free(r);
    }
    g_rejected++;
}

static void expect_accepted(const char *what)
{
    wx_response_t *r = send_seed(0, NULL, NULL);
    if (wx_response_err(r) != WX_OK && wx_response_err(r) != WX_E_HTTP)
        fail_msg("control %s: %s: %s", what, wx_err_name(wx_response_err(r)),
                 wx_response_error_detail(r)->message);
    assert_non_null(wx_response_body(r, NULL));
    wx_response_free(r);
    g_accepted_controls++;
}

/* ---------------------------------------------------------------- wire edits */

static void serve_recorded(void)
{
    g_serve = g_recorded;
    g_mode = SERVE_WIRE;
}

static int header_index(const wire *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcasecmp(w->name[i], name) == 0)
            return (int)i;
    return -1;
}

static void drop_header(wire *w, const char *name)
{
    int i = header_index(w, name);
    assert_true(i >= 0);
    memmove(&w->name[i], &w->name[i + 1], (w->n - (size_t)i - 1) * sizeof w->name[0]);
    memmove(&w->value[i], &w->value[i + 1], (w->n - (size_t)i - 1) * sizeof w->value[0]);
    w->n--;
}

static void set_header(wire *w, const char *name, const char *value)
{
    int i = header_index(w, name);
    assert_true(i >= 0);
    size_t n = strlen(value);
    assert_true(n < sizeof w->value[i]);
    memcpy(w->value[i], value, n + 1);
}

static const char *recorded_value(const char *name)
{
    int i = header_index(&g_recorded, name);
    assert_true(i >= 0);
    return g_recorded.value[i];
}

static const char *const k_names[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce",
                                      "Wechatpay-Signature", "Wechatpay-Serial"};

static void headers_removed_or_emptied(void)
{
    char what[128];
    for (int h = 0; h < 4; h++) {
        serve_recorded();
        drop_header(&g_serve, k_names[h]);
        snprintf(what, sizeof what, "%s removed", k_names[h]);
        expect_rejected(what, WX_E_VERIFY_HEADER);

        serve_recorded();
        set_header(&g_serve, k_names[h], "");
        snprintf(what, sizeof what, "%s empty", k_names[h]);
        expect_rejected(what, WX_E_VERIFY_HEADER);

        serve_recorded();
        char v[1100];
        snprintf(v, sizeof v, "%s\r\nX-Injected: 1", recorded_value(k_names[h]));
        set_header(&g_serve, k_names[h], v);
        snprintf(what, sizeof what, "%s with CR LF", k_names[h]);
        expect_rejected(what, WX_E_VERIFY_HEADER);
    }
    serve_recorded();
    for (int h = 0; h < 4; h++)
        drop_header(&g_serve, k_names[h]);
    expect_rejected("all Wechatpay-* headers removed", WX_E_VERIFY_HEADER);
}

/* Every character of a header value replaced by another of the same kind, one at a
 * time (a signature stays base64, a timestamp stays digits, so the check that fires is
 * the signature check, not the syntax check). */
static void header_chars_altered(const char *name, const char *alphabet, wx_err want)
{
    const char *orig = recorded_value(name);
    size_t n = strlen(orig);
    char what[160], v[1024];
    for (size_t i = 0; i < n; i++) {
        if (orig[i] == '=')
            continue; /* padding: altering it breaks base64 syntax, tested below */
        const char *at = strchr(alphabet, orig[i]);
        size_t k = at ? (size_t)(at - alphabet) : 0;
        snprintf(v, sizeof v, "%s", orig);
        v[i] = alphabet[(k + 7) % strlen(alphabet)];
        serve_recorded();
        set_header(&g_serve, name, v);
        snprintf(what, sizeof what, "%s character %zu altered", name, i);
        expect_rejected(what, want);
    }
}

static void headers_altered(void)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    header_chars_altered("Wechatpay-Signature", b64, WX_E_VERIFY_SIGNATURE);
    header_chars_altered("Wechatpay-Nonce", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                         WX_E_VERIFY_SIGNATURE);
    /* The last timestamp digit: still within 300 s, so the signature is what fails. */
    char ts[64], what[160];
    const char *t = recorded_value("Wechatpay-Timestamp");
    snprintf(ts, sizeof ts, "%s", t);
    for (char d = '0'; d <= '9'; d++) {
        if (d == t[strlen(t) - 1])
            continue;
        ts[strlen(ts) - 1] = d;
        serve_recorded();
        set_header(&g_serve, "Wechatpay-Timestamp", ts);
        snprintf(what, sizeof what, "Wechatpay-Timestamp last digit %c", d);
        expect_rejected(what, WX_E_VERIFY_SIGNATURE);
    }

    /* Edits around the whole value: text before, text after, or only its first `keep`
       characters. */
    static const struct {
        const char *header, *before, *after;
        size_t keep;
        wx_err want;
    } edits[] = {
        {"Wechatpay-Timestamp", "0", "", 0, WX_E_VERIFY_SIGNATURE}, /* same number, other bytes */
        {"Wechatpay-Timestamp", "", ".0", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Timestamp", "-", "", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Timestamp", "+", "", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Timestamp", " ", "", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Timestamp", "", " ", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Timestamp", "0x", "", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Timestamp", "", "000000000000", 0, WX_E_VERIFY_HEADER},
        {"Wechatpay-Nonce", "", "X", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Nonce", "X", "", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Nonce", "", " ", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Nonce", "", "", 31, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "", "AAAA", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "AAAA", "", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", " ", "", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "", " ", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "", "=", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "", "", 340, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "", "", 4, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Signature", "not base64 at all: ", "", 0, WX_E_VERIFY_SIGNATURE},
        {"Wechatpay-Serial", "", "0", 0, WX_E_VERIFY_SERIAL},
        {"Wechatpay-Serial", "0", "", 0, WX_E_VERIFY_SERIAL},
        {"Wechatpay-Serial", "", " ", 0, WX_E_VERIFY_SERIAL},
        {"Wechatpay-Serial", "", "", 39, WX_E_VERIFY_SERIAL},
        {"Wechatpay-Serial", "PUB_KEY_ID_", "", 0, WX_E_VERIFY_SERIAL},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        const char *orig = recorded_value(edits[i].header);
        size_t keep = edits[i].keep ? edits[i].keep : strlen(orig);
        char v[1100];
        snprintf(v, sizeof v, "%s%.*s%s", edits[i].before, (int)keep, orig, edits[i].after);
        serve_recorded();
        set_header(&g_serve, edits[i].header, v);
        snprintf(what, sizeof what, "%s edited: \"%s\" + %zu characters + \"%s\"",
                 edits[i].header, edits[i].before, keep, edits[i].after);
        expect_rejected(what, edits[i].want);
    }

    /* The serial of the other key the client knows: right syntax, wrong key. */
    serve_recorded();
    set_header(&g_serve, "Wechatpay-Serial", OTHER_ID);
    expect_rejected("serial swapped to the other known key", WX_E_VERIFY_SIGNATURE);

    /* A forged copy of a header placed before the real one: the first one counts. */
    serve_recorded();
    memmove(&g_serve.name[1], &g_serve.name[0], g_serve.n * sizeof g_serve.name[0]);
    memmove(&g_serve.value[1], &g_serve.value[0], g_serve.n * sizeof g_serve.value[0]);
    g_serve.n++;
    snprintf(g_serve.name[0], 64, "wechatpay-signature");
    snprintf(g_serve.value[0], 1024, "%s", recorded_value("Wechatpay-Signature"));
    g_serve.value[0][10] = g_serve.value[0][10] == 'A' ? 'B' : 'A';
    expect_rejected("a second, forged Wechatpay-Signature first", WX_E_VERIFY_SIGNATURE);
}

static void body_mutations(void)
{
    char what[128];
    size_t n = g_recorded.len;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            serve_recorded();
            g_serve.body[i] ^= (char)(1 << bit);
            snprintf(what, sizeof what, "body byte %zu bit %d flipped", i, bit);
            expect_rejected(what, WX_E_VERIFY_SIGNATURE);
        }
    }
    for (size_t cut = 1; cut <= n; cut++) {
        serve_recorded();
        g_serve.len = n - cut;
        snprintf(what, sizeof what, "body truncated by %zu", cut);
        expect_rejected(what, WX_E_VERIFY_SIGNATURE);
    }
    for (size_t cut = 1; cut < n; cut += 9) {
        serve_recorded();
        memmove(g_serve.body, g_serve.body + cut, n - cut);
        g_serve.len = n - cut;
        snprintf(what, sizeof what, "first %zu body bytes removed", cut);
        expect_rejected(what, WX_E_VERIFY_SIGNATURE);
    }
    static const char *const extra[] = {" ", "\n", "\r\n", "x", "}", "{}", "\t",
                                        ",\"paid\":true}"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        serve_recorded();
        memcpy(g_serve.body + n, extra[i], strlen(extra[i]));
        g_serve.len = n + strlen(extra[i]);
        snprintf(what, sizeof what, "body with %zu bytes appended", strlen(extra[i]));
        expect_rejected(what, WX_E_VERIFY_SIGNATURE);

        serve_recorded();
        memmove(g_serve.body + strlen(extra[i]), g_serve.body, n);
        memcpy(g_serve.body, extra[i], strlen(extra[i]));
        g_serve.len = n + strlen(extra[i]);
        snprintf(what, sizeof what, "body with %zu bytes prepended", strlen(extra[i]));
        expect_rejected(what, WX_E_VERIFY_SIGNATURE);
    }
    serve_recorded();
    g_serve.body[n] = 0;
    g_serve.len = n + 1;
    expect_rejected("body with a NUL appended", WX_E_VERIFY_SIGNATURE);
    serve_recorded();
    static const char other[] = "{\"token\":\"attacker\",\"expires_time\":\"2099-01-01T00:00:00+08:00\"}";
    memcpy(g_serve.body, other, sizeof other - 1);
    g_serve.len = sizeof other - 1;
    expect_rejected("body replaced", WX_E_VERIFY_SIGNATURE);
}

/* Re-signed consistently by the fake: only the clock or the key is wrong. */
static void resigned(void)
{
    static const long bad_offsets[] = {301, -301, 600, -600, 3600, -3600, 86400L * 365,
                                       -86400L * 365, 1700000000L};
    char what[128];
    g_mode = SERVE_FAKE;
    for (size_t i = 0; i < sizeof bad_offsets / sizeof bad_offsets[0]; i++) {
        g_fake.ts_offset = bad_offsets[i];
        snprintf(what, sizeof what, "timestamp %+ld s, signed consistently", bad_offsets[i]);
        expect_rejected(what, WX_E_VERIFY_TIME);
    }
    for (long off = -299; off <= 299; off += 299) {
        g_fake.ts_offset = off;
        snprintf(what, sizeof what, "timestamp %+ld s", off);
        expect_accepted(what);
    }
    g_fake.ts_offset = 0;

    g_fake.sign_key = "other";
    expect_rejected("signed with the other key, platform serial", WX_E_VERIFY_SIGNATURE);
    g_fake.serial = OTHER_ID;
    expect_accepted("signed with the other key under its own id");
    g_fake.sign_key = NULL;
    expect_rejected("signed with the platform key, other key's id", WX_E_VERIFY_SIGNATURE);
    g_fake.serial = "0000000000000000000000000000000000000000";
    expect_rejected("a serial nobody knows", WX_E_VERIFY_SERIAL);
    g_fake.serial = NULL;
}

/* An error answer must not turn into WX_E_HTTP with the forger's code and message. */
static void forged_errors(void)
{
    g_fake.status = 400;
    g_fake.body = "{\"code\":\"PARAM_ERROR\",\"message\":\"open_id is wrong\"}";
    g_mode = SERVE_RECORD;
    wx_response_t *r = send_seed(0, NULL, NULL);
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error_detail(r)->server_code, "PARAM_ERROR");
    wx_response_free(r);
    g_accepted_controls++;
    serve_recorded();
    memcpy(strstr(g_serve.body, "PARAM_ERROR"), "PAID_ALREADY", 11);
    expect_rejected("error body altered", WX_E_VERIFY_SIGNATURE);
    serve_recorded();
    drop_header(&g_serve, "Wechatpay-Signature");
    expect_rejected("error without a signature", WX_E_VERIFY_HEADER);
    g_fake.status = 200;
    g_fake.body = "{\"token\":\"16824f40-aec1-11e8-a69c-f7a44da04f19\",\"expires_time\":\"2015-05-20T13:29:35+08:00\"}";
}

static void test_forgeries(void **state)
{
    wxt_fake_init(&g_fake);
    wx_client_options_t o = wxt_fake_options(&g_fake);
    wx_transport_free(o.transport);
    o.transport = wx_transport_memory(handler, NULL);
    wx_error_t err = {0};
    if (wx_client_new(&o, &g_client, &err) != WX_OK)
        fail_msg("client: %s", err.message);

    g_mode = SERVE_RECORD;
    expect_accepted("the recorded response, as recorded");
    serve_recorded();
    expect_accepted("the recorded response, replayed");

    headers_removed_or_emptied();
    headers_altered();
    body_mutations();
    resigned();
    forged_errors();

    printf("forgery: %d mutations rejected (each sync, async and with a sink), 0 accepted; "
           "%d controls accepted\n", g_rejected, g_accepted_controls);
    wx_client_free(g_client);
    wxt_fake_free(&g_fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forgeries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
