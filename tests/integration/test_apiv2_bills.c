/* APIv2 bills against the sandbox, end to end: pay/downloadbill and pay/downloadfundflow
 * of today, built by the sandbox from today's orders of both API versions (a micropay, a
 * refunded micropay, an APIv3 JSAPI order), streamed by wx_v2_download to a sink or a
 * file, plain and gzip; a day without orders answers XML return_code FAIL, which is an
 * error carrying return_msg and error_code and never reaches the sink or the file. */
#define _GNU_SOURCE 1 /* asprintf */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <zlib.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

static wxt_mock g_mock;
static wx_client_t *g_client;
static char g_today[9]; /* yyyyMMdd at +08:00, as WeChat Pay's bill_date */

typedef struct sink_buf {
    char *data;
    size_t len;
    int calls;
} sink_buf;

static int to_buf(void *ud, const void *data, size_t len)
{
    sink_buf *b = ud;
    char *d = realloc(b->data, b->len + len + 1);
    if (!d)
        return -1;
    memcpy(d + b->len, data, len);
    b->len += len;
    d[b->len] = 0;
    b->data = d;
    b->calls++;
    return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* A call on the sandbox's unsigned /mock/ control API, which must answer 200. */
static void control(const char *path, const char *json)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", g_mock.base_url, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
}

static void expect_ok(wx_response_t *r)
{
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s: %s", wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
    wx_response_free(r);
}

static wx_request_options_t *v2_body(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The options of an APIv2 call whose fields after appid and mch_id are @p fmt. */
static wx_request_options_t *v2_body(char *buf, size_t size, const char *fmt, ...)
{
    static wx_request_options_t o;
    char fields[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    snprintf(buf, size, "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"1900000001\",%s}", fields);
    memset(&o, 0, sizeof o);
    o.json_text = buf;
    return &o;
}

/* Today's orders: a paid micropay, a micropay refunded in part, a paid APIv3 order. */
static void make_orders(void)
{
    char buf[640];
    static const char *const sales[] = {"BILL-V2-PAID", "BILL-V2-REFUNDED"};
    for (int i = 0; i < 2; i++)
        expect_ok(wx_chain(g_client, "v2/pay/micropay")->post(v2_body(buf, sizeof buf,
            "\"body\":\"账单\",\"out_trade_no\":\"%s\",\"total_fee\":250,\"spbill_create_ip\":"
            "\"1.2.3.4\",\"auth_code\":\"134567890123456781\"", sales[i])));
    expect_ok(wx_chain(g_client, "v2/secapi/pay/refund")->post(v2_body(buf, sizeof buf,
        "\"out_trade_no\":\"%s\",\"out_refund_no\":\"BILL-R1\",\"total_fee\":250,"
        "\"refund_fee\":100", "BILL-V2-REFUNDED")));
    control("mock/refund/succeed", "{\"out_refund_no\":\"BILL-R1\"}");
    snprintf(buf, sizeof buf, "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000001\","
             "\"description\":\"v3\",\"out_trade_no\":\"BILL-V3-PAID\",\"notify_url\":"
             "\"https://127.0.0.1/n\",\"amount\":{\"total\":700},\"payer\":{\"openid\":"
             "\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"}}");
    expect_ok(wx_chain(g_client, "v3/pay/transactions/jsapi")
                  ->post(&(wx_request_options_t){.json_text = buf}));
    control("mock/pay", "{\"out_trade_no\":\"BILL-V3-PAID\"}");
}

static int setup(void **state)
{
    (void)state;
    wxt_mock_start(&g_mock, NULL);
    wx_client_options_t o = {.base_url = g_mock.base_url, .validate_responses = 1};
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &g_client, NULL), WX_OK);
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(g_today, sizeof g_today, "%Y%m%d", &tm);
    make_orders();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wx_client_free(g_client);
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

static json_object *fields(const char *bill_date, const char *extra)
{
    char text[512];
    snprintf(text, sizeof text, "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"1900000001\","
             "\"bill_date\":\"%s\"%s}", bill_date, extra ? extra : "");
    json_object *f = json_tokener_parse(text);
    assert_non_null(f);
    return f;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void test_trade_bill(void **state)
{
    (void)state;
    json_object *f = fields(g_today, ",\"bill_type\":\"ALL\"");
    sink_buf got = {0};
    wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .sink = to_buf, .sink_ud = &got};
    size_t bytes = 0;
    wx_error_t err = {0};
    if (wx_v2_download(g_client, "pay/downloadbill", f, &d, &bytes, &err) != WX_OK)
        fail_msg("downloadbill: %s", err.message);
    assert_int_equal(bytes, got.len);
    assert_true(got.calls >= 1);
    /* header, three payments and one refund, the summary's two lines */
    assert_int_equal(strncmp(got.data, "交易时间,公众账号ID,商户号", strlen("交易时间,公众账号ID,商户号")), 0);
    assert_int_equal(count_lines(got.data), 1 + 4 + 2);
    assert_non_null(strstr(got.data, "`BILL-V2-PAID,"));
    assert_non_null(strstr(got.data, "`BILL-V3-PAID,"));
    assert_non_null(strstr(got.data, "`MICROPAY,`SUCCESS,"));
    assert_non_null(strstr(got.data, "`BILL-R1,`1.00,"));
    assert_non_null(strstr(got.data, "总交易单数,应结订单总金额,退款总金额"));
    assert_non_null(strstr(got.data, "\n`4,`12.00,`1.00,"));
    /* gzip, to a file: inflated while streaming, the same bill */
    json_object_object_add(f, "tar_type", json_object_new_string("GZIP"));
    char *path = wxt_path(g_mock.keys_dir, "bill.csv");
    wx_download_options_t fd = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .path = path};
    if (wx_v2_download(g_client, "v2/pay/downloadbill", f, &fd, &bytes, &err) != WX_OK)
        fail_msg("downloadbill gzip: %s", err.message);
    size_t len = 0;
    char *file = wxt_read_file(path, &len);
    assert_int_equal(len, got.len);
    assert_memory_equal(file, got.data, len);
    free(file);
    /* ... or kept compressed */
    fd.keep_gzip = 1;
    assert_int_equal(wx_v2_download(g_client, "pay/downloadbill", f, &fd, &bytes, &err), WX_OK);
    file = wxt_read_file(path, &len);
    assert_true(len > 2 && (unsigned char)file[0] == 0x1f && (unsigned char)file[1] == 0x8b);
    char plain[8192];
    uLongf plain_len = sizeof plain;
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (Bytef *)file;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)plain;
    z.avail_out = (uInt)plain_len;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, got.len);
    assert_memory_equal(plain, got.data, got.len);
    inflateEnd(&z);
    free(file);
    unlink(path);
    free(path);
    free(got.data);
    json_object_put(f);
}

/* Number of comma-separated columns on the line of @p text starting at @p line. */
static int columns(const char *line)
{
    int n = 1;
    for (; *line && *line != '\n'; line++)
        n += *line == ',';
    return n;
}

/* SUCCESS and REFUND bills have their own columns, as WeChat Pay's do: SUCCESS leaves the
 * refund columns out, REFUND adds the refund's request and success times; each row has
 * as many values as its header names. */
static void test_bill_types(void **state)
{
    (void)state;
    static const struct {
        const char *type, *header_part, *row_part;
        int cols, rows;
    } cases[] = {
        {"SUCCESS", "代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注\n",
         "`BILL-V2-REFUNDED,", 20, 3},
        {"REFUND", "代金券金额,退款申请时间,退款成功时间,微信退款单号,", "`BILL-R1,`1.00,", 29, 1},
        {"ALL", "代金券金额,微信退款单号,", "`BILL-R1,`1.00,", 27, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, ",\"bill_type\":\"%s\"", cases[i].type);
        json_object *f = fields(g_today, extra);
        sink_buf got = {0};
        wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .sink = to_buf,
                                   .sink_ud = &got};
        wx_error_t err = {0};
        if (wx_v2_download(g_client, "pay/downloadbill", f, &d, NULL, &err) != WX_OK)
            fail_msg("downloadbill %s: %s", cases[i].type, err.message);
        got.data = realloc(got.data, got.len + 1);
        got.data[got.len] = 0;
        assert_non_null(strstr(got.data, cases[i].header_part));
        assert_non_null(strstr(got.data, cases[i].row_part));
        assert_int_equal(count_lines(got.data), 1 + cases[i].rows + 2);
        const char *line = got.data;
        for (int row = 0; row <= cases[i].rows; row++) { /* the header, then each row */
            if (columns(line) != cases[i].cols)
                fail_msg("%s bill, line %d: %d columns, want %d", cases[i].type, row + 1,
                         columns(line), cases[i].cols);
            line = strchr(line, '\n') + 1;
        }
        free(got.data);
        json_object_put(f);
    }
}

static void test_fund_flow_bill(void **state)
{
    (void)state;
    json_object *f = fields(g_today, ",\"account_type\":\"Basic\",\"sign_type\":\"HMAC-SHA256\"");
    sink_buf got = {0};
    wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .sink = to_buf, .sink_ud = &got};
    wx_error_t err = {0};
    if (wx_v2_download(g_client, "pay/downloadfundflow", f, &d, NULL, &err) != WX_OK)
        fail_msg("downloadfundflow: %s", err.message);
    assert_int_equal(strncmp(got.data, "记账时间,微信支付业务单号", strlen("记账时间,微信支付业务单号")), 0);
    /* three incomes, one expense: 2.50 + 2.50 - 1.00 + 7.00 */
    assert_int_equal(count_lines(got.data), 1 + 4 + 2);
    assert_non_null(strstr(got.data, "`交易,`交易,`收入,`2.50,`2.50,"));
    assert_non_null(strstr(got.data, "`退款,`退款,`支出,`1.00,`4.00,"));
    assert_non_null(strstr(got.data, "`BILL-V3-PAID\n"));
    assert_non_null(strstr(got.data, "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n`4,`3,`12.00,`1,`1.00\n"));
    free(got.data);
    json_object_put(f);
    /* the spec: this bill is signed with HMAC-SHA256 only, refused before sending */
    f = fields(g_today, ",\"account_type\":\"Basic\"");
    got = (sink_buf){0};
    assert_int_equal(wx_v2_download(g_client, "pay/downloadfundflow", f, &d, NULL, &err),
                     WX_E_VALIDATION);
    assert_int_equal(got.len, 0);
    json_object_put(f);
}

/* No bill: WeChat Pay's XML FAIL, as an error; nothing written anywhere. */
static void test_no_bill(void **state)
{
    (void)state;
    json_object *f = fields("20200101", NULL);
    sink_buf got = {0};
    wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .sink = to_buf, .sink_ud = &got};
    wx_error_t err = {0};
    assert_int_equal(wx_v2_download(g_client, "pay/downloadbill", f, &d, NULL, &err), WX_E_HTTP);
    assert_string_equal(err.server_code, "20002");
    assert_string_equal(err.server_message, "No Bill Exist");
    assert_int_equal(got.calls, 0);
    char *path = wxt_path(g_mock.keys_dir, "none.csv"), *part = NULL;
    wx_download_options_t fd = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .path = path};
    assert_int_equal(wx_v2_download(g_client, "pay/downloadbill", f, &fd, NULL, &err), WX_E_HTTP);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(asprintf(&part, "%s.part", path) > 0, 1);
    assert_int_not_equal(access(part, F_OK), 0);
    free(part);
    free(path);
    json_object_put(f);
    /* the sandbox has no recharge coupons, so no refund of one */
    f = fields(g_today, ",\"bill_type\":\"RECHARGE_REFUND\"");
    assert_int_equal(wx_v2_download(g_client, "pay/downloadbill", f, &d, NULL, &err), WX_E_HTTP);
    assert_string_equal(err.server_message, "No Bill Exist");
    json_object_put(f);
    /* an account without movements has no fund-flow bill either */
    f = fields(g_today, ",\"account_type\":\"Operation\",\"sign_type\":\"HMAC-SHA256\"");
    assert_int_equal(wx_v2_download(g_client, "pay/downloadfundflow", f, &d, NULL, &err), WX_E_HTTP);
    assert_string_equal(err.server_message, "No Bill Exist");
    assert_int_equal(got.calls, 0);
    json_object_put(f);
    /* options an APIv2 bill does not take */
    f = fields(g_today, NULL);
    d.hash_type = "SHA1";
    assert_int_equal(wx_v2_download(g_client, "pay/downloadbill", f, &d, NULL, &err), WX_E_INVALID_ARG);
    json_object_put(f);
}

/* The chain itself with a sink: the same streaming, and the same judgement of an XML
 * answer (kept back from the sink, an error). */
static void test_chain_with_sink(void **state)
{
    (void)state;
    char text[256];
    sink_buf got = {0};
    snprintf(text, sizeof text, "{\"appid\":\"wx1\",\"mch_id\":\"1900000001\",\"bill_date\":\"%s\"}", g_today);
    wx_response_t *r = wx_chain(g_client, "v2/pay/downloadbill")
        ->post(&(wx_request_options_t){.json_text = text, .sink = to_buf, .sink_ud = &got});
    assert_int_equal(wx_response_err(r), WX_OK);
    wx_response_free(r);
    assert_non_null(got.data);
    assert_non_null(strstr(got.data, "`BILL-V2-PAID,"));
    free(got.data);
    got = (sink_buf){0};
    r = wx_chain(g_client, "v2/pay/downloadbill")
        ->post(&(wx_request_options_t){.json_text = "{\"appid\":\"wx1\",\"mch_id\":\"1900000001\","
                                                    "\"bill_date\":\"20200101\"}",
                                       .sink = to_buf, .sink_ud = &got});
    assert_int_equal(wx_response_err(r), WX_E_HTTP);
    assert_string_equal(wx_response_error_detail(r)->server_message, "No Bill Exist");
    assert_int_equal(got.calls, 0);
    wx_response_free(r);
    /* without a sink, the bill is the response's body */
    r = wx_chain(g_client, "v2/pay/downloadbill")->post(&(wx_request_options_t){.json_text = text});
    assert_int_equal(wx_response_err(r), WX_OK);
    size_t len = 0;
    const char *body = wx_response_body(r, &len);
    assert_non_null(body);
    assert_non_null(strstr(body, "`BILL-V3-PAID,"));
    wx_response_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trade_bill),
        cmocka_unit_test(test_bill_types),
        cmocka_unit_test(test_fund_flow_bill),
        cmocka_unit_test(test_no_bill),
        cmocka_unit_test(test_chain_with_sink),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
