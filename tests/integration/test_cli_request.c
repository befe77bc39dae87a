/* The request form, `wxpay [options] METHOD PATH`, against the sandbox (`wxpay mock`)
 * on loopback: the seed call in every path spelling, -i, bodies from the three
 * sources, path variables and query order, a body that breaks the spec (nothing
 * sent), an HTTP error, each forged or broken response (exit 3, stdout empty), and
 * configuration mistakes. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test_cli_run.h"

#define SEED_BODY                                                                              \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":"                           \
    "[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}"
#define SEED_TOKEN "16824f40-aec1-11e8-a69c-f7a44da04f19"

static wxt_mock M;
static char *g_dir;

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--spec-dir", cli_data("spec"), NULL};
    char spec[1024];
    snprintf(spec, sizeof spec, "%s", args[1]);
    args[1] = spec;
    wxt_mock_start(&M, args);
    /* the tool knows the test endpoints too: the tests run strict (testutil.c) */
    setenv("WXPAY_SPEC_PATH", spec, 1);
    g_dir = wxt_tmpdir("cli-request");
    unsetenv("WXPAY_CONFIG");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = wxt_mock_stop(&M);
    free(g_dir);
    return rc;
}

/* wxpay -c CONFIG --base-url SANDBOX ARGS... */
static cli_result request_in(const char *in, const char *const *args)
{
    const char *argv[40] = {"-c", M.config, "--base-url", M.base_url};
    int n = 4;
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return cli_runv(in, argv);
}
#define request(...) request_in(NULL, (const char *const[]){__VA_ARGS__, NULL})

/* A copy of the test config with @p key set to @p value (NULL: left out). */
static char *config_with(const char *name, const char *key, const char *value);

static void expect_seed_answer(const cli_result *r)
{
    cli_expect(r, 0, NULL, NULL);
    assert_string_equal(r->err, "");
    struct json_object *j = json_tokener_parse(r->out), *t;
    assert_non_null(j);
    assert_true(json_object_object_get_ex(j, "token", &t));
    assert_string_equal(json_object_get_string(t), SEED_TOKEN);
    json_object_put(j);
    /* not a terminal: the verified bytes exactly, no newline added */
    assert_int_equal(r->out[strlen(r->out) - 1], '}');
}

/* Lines of the sandbox log that contain @p part. */
static int log_lines(const char *part)
{
    char *log = wxt_read_file(M.log, NULL);
    int n = log ? cli_count_lines(log, part) : 0;
    free(log);
    return n;
}

/* Wait until the sandbox has logged @p part @p count times (it logs after answering). */
static void wait_log(const char *part, int count)
{
    for (int i = 0; i < 500 && log_lines(part) < count; i++)
        usleep(10000);
    assert_int_equal(log_lines(part), count);
}

/* ------------------------------------------------------------------ the seed call */

static void test_seed_call_every_spelling(void **state)
{
    (void)state;
    static const char *const spellings[][2] = {
        {"POST", "v3/industry-coupon/tokens"},
        {"POST", "/v3/industry-coupon/tokens"},
        {"post", "v3.industryCoupon.tokens"},
        {"Post", "v3/industryCoupon/tokens"},
        {"POST", "/v3/industry-coupon/tokens/"},
    };
    int before = log_lines("POST /v3/industry-coupon/tokens -> 200");
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        cli_result r = request("--json", SEED_BODY, spellings[i][0], spellings[i][1]);
        expect_seed_answer(&r);
        cli_result_free(&r);
    }
    wait_log("POST /v3/industry-coupon/tokens -> 200", before + 5);
}

static void test_body_sources(void **state)
{
    (void)state;
    /* --json @FILE and --json - (standard input) send the same body */
    char *file = wxt_path(g_dir, "body.json");
    wxt_write_file(file, SEED_BODY "\n", strlen(SEED_BODY) + 1);
    char at[700];
    snprintf(at, sizeof at, "@%s", file);
    cli_result r = request("--json", at, "POST", "v3/industry-coupon/tokens");
    expect_seed_answer(&r);
    cli_result_free(&r);
    r = request_in(SEED_BODY, (const char *const[]){"--json", "-", "POST",
                                                     "v3.industryCoupon.tokens", NULL});
    expect_seed_answer(&r);
    cli_result_free(&r);
    /* WXPAY_CONFIG stands in for -c */
    setenv("WXPAY_CONFIG", M.config, 1);
    r = cli_run("--base-url", M.base_url, "--json", SEED_BODY, "POST", "v3/industry-coupon/tokens",
                NULL);
    unsetenv("WXPAY_CONFIG");
    expect_seed_answer(&r);
    cli_result_free(&r);
    /* an unreadable body file and an empty body: exit 2 */
    r = request("--json", "@/nonexistent/body.json", "POST", "v3/industry-coupon/tokens");
    cli_expect(&r, 2, "", "cannot read /nonexistent/body.json");
    cli_result_free(&r);
    r = request_in("", (const char *const[]){"--json", "-", "POST", "v3/industry-coupon/tokens",
                                             NULL});
    cli_expect(&r, 2, "", "empty");
    cli_result_free(&r);
    free(file);
}

static void test_include_headers(void **state)
{
    (void)state;
    cli_result r = request("-i", "--json", SEED_BODY, "POST", "v3/industry-coupon/tokens");
    cli_expect(&r, 0, NULL, NULL);
    assert_int_equal(strncmp(r.out, "HTTP 200 OK\n", 12), 0);
    const char *blank = strstr(r.out, "\n\n");
    assert_non_null(blank);
    for (const char *h = r.out + 12; h < blank; h = strchr(h, '\n') + 1)
        assert_non_null(memchr(h, ':', (size_t)(strchr(h, '\n') - h))); /* Name: value lines */
    static const char *const names[] = {"Wechatpay-Timestamp: ", "Wechatpay-Nonce: ",
                                        "Wechatpay-Signature: ", "Wechatpay-Serial: ",
                                        "Content-Type: application/json"};
    for (size_t i = 0; i < 5; i++) {
        const char *at = strstr(r.out, names[i]);
        assert_true(at && at < blank);
    }
    /* the body after the blank line is exactly Content-Length bytes */
    const char *cl = strstr(r.out, "Content-Length: ");
    assert_non_null(cl);
    assert_int_equal((size_t)atol(cl + 16), strlen(blank + 2));
    assert_non_null(strstr(blank + 2, SEED_TOKEN));
    cli_result_free(&r);
    r = request("--include", "--json", SEED_BODY, "POST", "v3/industry-coupon/tokens");
    cli_expect(&r, 0, NULL, NULL);
    assert_int_equal(strncmp(r.out, "HTTP 200 OK\n", 12), 0);
    cli_result_free(&r);
}

static void test_terminal_gets_pretty_json(void **state)
{
    (void)state;
    /* script(1) gives the tool a terminal for stdout */
    char *sh = wxt_path(g_dir, "tty.sh"), *cmd = NULL, *out = NULL;
    assert_true(asprintf(&cmd, "exec '%s' -c '%s' --base-url '%s' --json '%s' POST "
                               "v3/industry-coupon/tokens\n",
                         WXPAY_BIN, M.config, M.base_url, SEED_BODY) > 0);
    wxt_write_file(sh, cmd, strlen(cmd));
    int rc = wxt_sh(&out, NULL, "script -qec 'sh %s' /dev/null", sh);
    free(cmd);
    free(sh);
    if (rc != 0)
        print_message("%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "{\r\n  \"token\": \"" SEED_TOKEN "\",\r\n"));
    assert_non_null(strstr(out, "\r\n}\r\n"));
    free(out);
}

static void test_verbose_masks_the_signature(void **state)
{
    (void)state;
    cli_result r = request("-v", "--json", SEED_BODY, "POST", "v3/industry-coupon/tokens");
    expect_seed_answer(&(cli_result){r.rc, r.out, ""});
    assert_non_null(strstr(r.err, "> POST /v3/industry-coupon/tokens HTTP/1.1"));
    assert_non_null(strstr(r.err, "signature=\"<masked>\""));
    assert_non_null(strstr(r.err, "< 200"));
    cli_result_free(&r);
}

static void test_path_variables_and_query(void **state)
{
    (void)state;
    static const char *const spellings[] = {
        "v3/cli-test/orders/{order_id}",
        "/v3/cliTest/orders/_order_id_",
        "v3.cliTest.orders._order_id_",
        "v3.cli-test.orders.{order_id}",
    };
    const char *line = "GET /v3/cli-test/orders/4200000001?mchid=1900000001&z=1&a=2 -> 200";
    int before = log_lines(line);
    for (size_t i = 0; i < 4; i++) {
        cli_result r = request("--var", "order_id=4200000001", "--query", "mchid=1900000001",
                               "--query", "z=1", "--query", "a=2", "GET", spellings[i]);
        cli_expect(&r, 0, "{\"order_id\":\"4200000001\",\"state\":\"SUCCESS\"}", NULL);
        cli_result_free(&r);
    }
    /* query parameters are sent in the order given */
    wait_log(line, before + 4);
    /* a variable that is not given: exit 2, what to add */
    cli_result r = request("--query", "mchid=1900000001", "GET", "v3/cli-test/orders/{order_id}");
    cli_expect(&r, 2, "", "--var order_id=VALUE");
    cli_result_free(&r);
    /* a variable value cannot add a segment or a query: a '?' is escaped, a '/' (which
       a server may decode from %2F) refused before sending */
    int escaped = log_lines("GET /v3/cli-test/orders/42%3Fy?mchid=1 -> 400");
    char *off = config_with("off.json", "validation", "off"); /* so that the sandbox judges */
    r = cli_run("-c", off, "--base-url", M.base_url, "--var", "order_id=42?y", "--query",
                "mchid=1", "GET", "v3/cli-test/orders/{order_id}", NULL);
    free(off);
    cli_expect(&r, 1, NULL, "HTTP 400 PARAM_ERROR: path.order_id");
    cli_result_free(&r);
    wait_log("GET /v3/cli-test/orders/42%3Fy?mchid=1 -> 400", escaped + 1);
    r = request("--var", "order_id=42/../x", "--query", "mchid=1", "GET",
                "v3/cli-test/orders/{order_id}");
    cli_expect(&r, 2, "", "encoded slash");
    cli_result_free(&r);
}

/* ------------------------------------------------------------------ nothing sent */

static void test_invalid_body_is_not_sent(void **state)
{
    (void)state;
    int posts = log_lines("POST /v3/industry-coupon/tokens");
    cli_result r = request("--json", "{\"open_id\":7,\"coupon_list\":[{\"stock_id\":\"16474341\"}]}",
                           "POST", "v3/industry-coupon/tokens");
    cli_expect(&r, 2, "", "nothing was sent");
    /* one `path: reason` line per violation */
    assert_int_equal(cli_count_lines(r.err, "open_id: expected string, got integer"), 1);
    assert_int_equal(cli_count_lines(r.err, "coupon_list[0].stock_id: expected integer, got string"),
                     1);
    assert_int_equal(cli_count_lines(r.err, "coupon_list[0].coupon_id: "), 1);
    cli_result_free(&r);
    /* malformed JSON is not sent either */
    r = request("--json", "{\"open_id\":", "POST", "v3/industry-coupon/tokens");
    cli_expect(&r, 2, "", "malformed JSON");
    cli_result_free(&r);
    /* a marker request, then the log: the marker, and no POST in between */
    int markers = log_lines("GET /v3/certificates -> 200");
    r = request("GET", "v3/certificates");
    cli_expect(&r, 0, NULL, NULL);
    cli_result_free(&r);
    wait_log("GET /v3/certificates -> 200", markers + 1);
    assert_int_equal(log_lines("POST /v3/industry-coupon/tokens"), posts);
}

static void test_http_error(void **state)
{
    (void)state;
    cli_result r = request("--header", "Wxpay-Mock-Fault: http-500", "--json", SEED_BODY, "POST",
                           "v3/industry-coupon/tokens");
    cli_expect(&r, 1, NULL, "HTTP 500 SYSTEM_ERROR: ");
    assert_non_null(strstr(r.err, "system error"));
    assert_int_equal(cli_count_lines(r.err, ""), 1);
    /* the error body is verified, so it is printed */
    assert_non_null(strstr(r.out, "\"code\":\"SYSTEM_ERROR\""));
    cli_result_free(&r);
    /* a 404 from the sandbox for an endpoint it does not know (sent on purpose, so the
       tool's validation is on, not the tests' strict) */
    char *on = config_with("on.json", "validation", "on");
    r = cli_run("-c", on, "--base-url", M.base_url, "GET", "v3/no-such/endpoint", NULL);
    cli_expect(&r, 1, NULL, "HTTP 404 NOT_FOUND: ");
    cli_result_free(&r);
    r = cli_run("-c", on, "--base-url", M.base_url, "-i", "GET", "v3/no-such/endpoint", NULL);
    cli_expect(&r, 1, NULL, NULL);
    assert_int_equal(strncmp(r.out, "HTTP 404 Not Found\n", 19), 0);
    cli_result_free(&r);
    free(on);
}

/* --upload FILE: a media upload with the signed meta; --download FILE: the bill a bill
 * request announces, written once its digest matches. */
static void test_upload_and_download(void **state)
{
    (void)state;
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                        'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
    char *file = wxt_path(g_dir, "logo.png");
    wxt_write_file(file, png, sizeof png);
    cli_result r = request("--upload", file, "POST", "v3/merchant/media/upload");
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "\"media_id\""));
    cli_result_free(&r);
    r = request("--upload", "/nonexistent/x.png", "POST", "v3/merchant/media/upload");
    cli_expect(&r, 2, "", "cannot read the file");
    cli_result_free(&r);
    free(file);

    time_t t = time(NULL) + 8 * 3600; /* the bill day is China's */
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[32];
    strftime(date, sizeof date, "bill_date=%Y-%m-%d", &tm);
    char *bill = wxt_path(g_dir, "tradebill.csv");
    r = request("--query", date, "--download", bill, "GET", "v3/bill/tradebill");
    cli_expect(&r, 0, NULL, "SHA1");
    assert_non_null(strstr(r.out, "download_url"));
    cli_result_free(&r);
    char *csv = wxt_read_file(bill, NULL);
    assert_non_null(csv);
    assert_int_equal(strncmp(csv, "交易时间,", strlen("交易时间,")), 0);
    free(csv);
    /* an answer that announces no bill: exit 1, nothing written */
    char *none = wxt_path(g_dir, "none.csv");
    r = request("--download", none, "GET", "v3/certificates");
    cli_expect(&r, 1, NULL, "no download_url");
    cli_result_free(&r);
    assert_int_not_equal(access(none, F_OK), 0);
    free(none);
    free(bill);
}

/* --download with an APIv2 bill: the answer is the bill, streamed into FILE (gzip
 * inflated); WeChat Pay's FAIL (no bill that day) is exit 1 and leaves no file. */
#define V2_BILL_FIELDS                                                                         \
    "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"1900000001\",\"bill_date\":\"%s\","        \
    "\"bill_type\":\"ALL\"%s}"

/* The bill of @p day (fields after bill_type: @p extra) downloaded through @p path into
 * @p file, which must succeed; its contents (free()). */
static char *v2_bill(const char *day, const char *extra, const char *file, const char *path)
{
    char body[256];
    snprintf(body, sizeof body, V2_BILL_FIELDS, day, extra);
    cli_result r = request("--json", body, "--download", file, "POST", path);
    cli_expect(&r, 0, "", "bytes");
    cli_result_free(&r);
    char *text = wxt_read_file(file, NULL);
    assert_non_null(text);
    return text;
}

static void test_v2_bill_download(void **state)
{
    (void)state;
    cli_result r = request("--json", "{\"appid\":\"wx2421b1c4370ec43b\",\"mch_id\":\"1900000001\","
                           "\"body\":\"till\",\"out_trade_no\":\"CLI-V2-BILL\",\"total_fee\":300,"
                           "\"spbill_create_ip\":\"1.2.3.4\",\"auth_code\":\"134567890123456781\"}",
                           "POST", "v2/pay/micropay");
    cli_expect(&r, 0, NULL, NULL);
    cli_result_free(&r);
    time_t t = time(NULL) + 8 * 3600; /* the bill day is China's */
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[16], body[256];
    strftime(day, sizeof day, "%Y%m%d", &tm);
    char *bill = wxt_path(g_dir, "v2bill.csv"), *gz = wxt_path(g_dir, "v2bill-gz.csv");
    char *csv = v2_bill(day, "", bill, "v2/pay/downloadbill");
    assert_int_equal(strncmp(csv, "交易时间,", strlen("交易时间,")), 0);
    assert_non_null(strstr(csv, "`CLI-V2-BILL,"));
    char *inflated = v2_bill(day, ",\"tar_type\":\"GZIP\"", gz, "v2.pay.downloadbill");
    assert_string_equal(inflated, csv);
    free(inflated);
    free(csv);
    /* no bill that day: WeChat Pay's FAIL, exit 1, nothing written */
    char *none = wxt_path(g_dir, "v2none.csv");
    snprintf(body, sizeof body, V2_BILL_FIELDS, "20200101", "");
    r = request("--json", body, "--download", none, "POST", "v2/pay/downloadbill");
    cli_expect(&r, 1, "", NULL);
    cli_result_free(&r);
    assert_int_not_equal(access(none, F_OK), 0);
    /* nothing sent: no fields, not a POST */
    r = request("--download", none, "POST", "v2/pay/downloadbill");
    cli_expect(&r, 2, "", "needs its request fields");
    cli_result_free(&r);
    r = request("--json", body, "--download", none, "GET", "v2/pay/downloadbill");
    cli_expect(&r, 2, "", "APIv2 calls are POST");
    cli_result_free(&r);
    assert_int_not_equal(access(none, F_OK), 0);
    free(none);
    free(gz);
    free(bill);
}

/* ------------------------------------------------------------------ not verified */

static void test_forged_responses(void **state)
{
    (void)state;
    static const char *const faults[][2] = {
        {"bad-signature", "WX_E_VERIFY_SIGNATURE"},
        {"truncated-body", "truncated"},
        {"unknown-serial", "WX_E_VERIFY_SERIAL"},
        {"stale-timestamp", "WX_E_VERIFY_TIME"},
        {"missing-headers", "WX_E_VERIFY_HEADER"},
        {"drop-connection", "WX_E_TRANSPORT"},
    };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        char header[64];
        snprintf(header, sizeof header, "Wxpay-Mock-Fault: %s", faults[i][0]);
        for (int include = 0; include < 2; include++) {
            cli_result r = include ? request("-i", "--header", header, "--json", SEED_BODY, "POST",
                                             "v3/industry-coupon/tokens")
                                   : request("--header", header, "--json", SEED_BODY, "POST",
                                             "v3/industry-coupon/tokens");
            /* exit 3, the reason on stderr, and not one byte of the answer on stdout */
            cli_expect(&r, 3, "", faults[i][1]);
            assert_int_equal(cli_count_lines(r.err, ""), 1);
            assert_null(strstr(r.err, SEED_TOKEN));
            cli_result_free(&r);
        }
    }
    /* the stale timestamp's reason says by how much */
    cli_result r = request("--header", "Wxpay-Mock-Fault: stale-timestamp", "--json", SEED_BODY,
                           "POST", "v3/industry-coupon/tokens");
    cli_expect(&r, 3, "", "300 s");
    cli_result_free(&r);
    /* and the next honest answer is fine again */
    r = request("--json", SEED_BODY, "POST", "v3/industry-coupon/tokens");
    expect_seed_answer(&r);
    cli_result_free(&r);
}

static void test_nothing_listening(void **state)
{
    (void)state;
    /* a port nobody listens on: sent nowhere, nothing verified: exit 3 */
    cli_result r = cli_run("-c", M.config, "--base-url", "http://127.0.0.1:9/", "GET",
                           "v3/certificates", NULL);
    cli_expect(&r, 3, "", "no verified response");
    cli_result_free(&r);
}

/* ------------------------------------------------------------------ configuration */

/* A copy of CONFIG.json in the scratch folder with @p key removed or replaced
 * (value NULL: removed). Key paths stay absolute, so the copy finds the keys. */
static char *config_with(const char *name, const char *key, const char *value)
{
    struct json_object *c = json_object_from_file(M.config);
    assert_non_null(c);
    struct json_object *out = json_object_new_object();
    json_object_object_foreach(c, k, v) {
        struct json_object *copy = NULL;
        if (!strcmp(k, "private_key") || !strcmp(k, "merchant_cert")) {
            char *p = wxt_path(M.keys_dir, json_object_get_string(v));
            copy = json_object_new_string(p);
            free(p);
        } else if (!strcmp(k, "platform")) {
            copy = json_object_new_object();
            json_object_object_foreach(v, id, file) {
                char *p = wxt_path(M.keys_dir, json_object_get_string(file));
                json_object_object_add(copy, id, json_object_new_string(p));
                free(p);
            }
        } else {
            copy = json_object_get(v);
        }
        json_object_object_add(out, k, copy);
    }
    json_object_put(c);
    if (value)
        json_object_object_add(out, key, json_object_new_string(value));
    else
        json_object_object_del(out, key);
    char *path = wxt_path(g_dir, name);
    assert_int_equal(json_object_to_file(path, out), 0);
    json_object_put(out);
    return path;
}

static void test_config_mistakes(void **state)
{
    (void)state;
    /* the copy itself works (absolute key paths) */
    char *ok = config_with("ok.json", "mchid", "1900000001");
    cli_result r = cli_run("-c", ok, "--base-url", M.base_url, "--json", SEED_BODY, "POST",
                           "v3/industry-coupon/tokens", NULL);
    expect_seed_answer(&r);
    cli_result_free(&r);
    free(ok);

    static const char *const missing[] = {"mchid", "serial", "private_key", "platform"};
    for (size_t i = 0; i < 4; i++) {
        char *cfg = config_with("missing.json", missing[i], NULL);
        r = cli_run("-c", cfg, "--base-url", M.base_url, "GET", "v3/certificates", NULL);
        char want[64];
        snprintf(want, sizeof want, "\"%s\"", missing[i]);
        cli_expect(&r, 2, "", want);
        assert_non_null(strstr(r.err, "missing.json"));
        cli_result_free(&r);
        free(cfg);
    }
    /* an unreadable private key file: the file named */
    char *cfg = config_with("nokey.json", "private_key", "/nonexistent/merchant_key.pem");
    r = cli_run("-c", cfg, "--base-url", M.base_url, "GET", "v3/certificates", NULL);
    cli_expect(&r, 2, "", "/nonexistent/merchant_key.pem");
    assert_non_null(strstr(r.err, "private_key"));
    cli_result_free(&r);
    free(cfg);
    /* a key file that holds no key: named, and its content not echoed */
    char *junk = wxt_path(g_dir, "junk_key.pem");
    wxt_write_file(junk, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0IGp1bms=\n-----END PRIVATE KEY-----\n",
                   70);
    cfg = config_with("junkkey.json", "private_key", junk);
    r = cli_run("-c", cfg, "--base-url", M.base_url, "GET", "v3/certificates", NULL);
    cli_expect(&r, 2, "", NULL);
    assert_non_null(strstr(r.err, "key"));
    assert_null(strstr(r.err, "c2VjcmV0IGp1bms"));
    cli_result_free(&r);
    free(cfg);
    free(junk);
    /* validation: strict refuses a path no spec describes (exit 2, nothing sent) and lets
     * a described one through; a value that is not a mode is named */
    cfg = config_with("strict.json", "validation", "strict");
    r = cli_run("-c", cfg, "--base-url", M.base_url, "--json", SEED_BODY, "POST",
                "v3/industry-coupon/tokenz", NULL);
    cli_expect(&r, 2, "", "nothing was sent");
    assert_non_null(strstr(r.err, "did you mean POST /v3/industry-coupon/tokens?"));
    cli_result_free(&r);
    r = cli_run("-c", cfg, "--base-url", M.base_url, "--json", SEED_BODY, "POST",
                "v3/industry-coupon/tokens", NULL);
    expect_seed_answer(&r);
    cli_result_free(&r);
    free(cfg);
    cfg = config_with("strikt.json", "validation", "strikt");
    r = cli_run("-c", cfg, "--base-url", M.base_url, "GET", "v3/certificates", NULL);
    cli_expect(&r, 2, "", "\"strikt\"");
    cli_result_free(&r);
    free(cfg);
    /* a config file that is not there, or not JSON */
    r = cli_run("-c", "/nonexistent/CONFIG.json", "GET", "v3/certificates", NULL);
    cli_expect(&r, 2, "", "/nonexistent/CONFIG.json");
    cli_result_free(&r);
    char *bad = wxt_path(g_dir, "bad.json");
    wxt_write_file(bad, "{\"mchid\":", 9);
    r = cli_run("-c", bad, "GET", "v3/certificates", NULL);
    cli_expect(&r, 2, "", "bad.json");
    cli_result_free(&r);
    free(bad);
}

/* ------------------------------------------------------------------ bench */

/* wxpay bench ARGS... -c CONFIG --base-url SANDBOX */
static cli_result bench(const char *const *args)
{
    const char *argv[40] = {"bench", "-c", M.config, "--base-url", M.base_url};
    int n = 5;
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return cli_runv(NULL, argv);
}

/* A request that cannot be sent fails the same way every time: bench stops at once
 * (even with -n 100000000) and exits 2 with the reason, as the request form does. */
static void test_bench_input_errors(void **state)
{
    (void)state;
    int gets = log_lines("GET /v3/pay/transactions/id/");
    cli_result r = bench((const char *const[]){"-n", "100000000", "--threads", "2",
                                               "--concurrency", "4", "GET",
                                               "v3/pay/transactions/id/{transaction_id}", NULL});
    cli_expect(&r, 2, "", "nothing was sent");
    assert_non_null(strstr(r.err, "transaction_id"));
    cli_result_free(&r);
    r = bench((const char *const[]){"-n", "100000000", "--json", "{}", "POST",
                                    "v3/industry-coupon/tokens", NULL});
    cli_expect(&r, 2, "", "open_id: required");
    cli_result_free(&r);
    r = bench((const char *const[]){"-n", "100000000", "--json", "{\"open_id\":", "POST",
                                    "v3/industry-coupon/tokens", NULL});
    cli_expect(&r, 2, "", "malformed JSON");
    cli_result_free(&r);
    /* a path variable given does send, and verifies (an endpoint without state, so
     * that every answer is a 2xx) */
    gets = log_lines("GET /v3/marketing/favor/stocks/");
    r = bench((const char *const[]){"-n", "3", "--var", "stock_id=9856000", "--query",
                                    "stock_creator_mchid=1900000001", "GET",
                                    "v3/marketing/favor/stocks/{stock_id}", NULL});
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "requests=3 ok=3 failed=0 "));
    cli_result_free(&r);
    wait_log("GET /v3/marketing/favor/stocks/", gets + 3);
}

static void test_no_secrets(void **state)
{
    (void)state;
    cli_assert_no_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_call_every_spelling),
        cmocka_unit_test(test_body_sources),
        cmocka_unit_test(test_include_headers),
        cmocka_unit_test(test_terminal_gets_pretty_json),
        cmocka_unit_test(test_verbose_masks_the_signature),
        cmocka_unit_test(test_path_variables_and_query),
        cmocka_unit_test(test_invalid_body_is_not_sent),
        cmocka_unit_test(test_http_error),
        cmocka_unit_test(test_upload_and_download),
        cmocka_unit_test(test_v2_bill_download),
        cmocka_unit_test(test_forged_responses),
        cmocka_unit_test(test_nothing_listening),
        cmocka_unit_test(test_config_mistakes),
        cmocka_unit_test(test_bench_input_errors),
        cmocka_unit_test(test_no_secrets),
    };
    return cmocka_run_group_tests_name("wxpay cli (request)", tests, setup, teardown);
}
