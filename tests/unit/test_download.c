/* Bill downloads on the in-memory transport: streamed to a file or a sink, the digest
 * checked (digests computed by the openssl command line), gzip bills inflated, and a
 * failed download leaving no file behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>

#include "fake_server.h"
#include "testutil.h"
#include "util/buf.h"

#define URL "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7p-_Ab&tar_type=GZIP"

static wxt_fake g_fake;
static wx_client_t *g_client;
static char *g_dir, *g_csv, *g_gz;
static size_t g_csv_len, g_gz_len;
static char g_sha1[41], g_sha256[65];

static void digest(const char *file, const char *alg, char *out, size_t size)
{
    char *o = NULL;
    assert_int_equal(wxt_sh(&o, NULL, "%s dgst -%s -r '%s'", OPENSSL_CLI, alg, file), 0);
    snprintf(out, size, "%.*s", (int)size - 1, o);
    free(o);
}

static int setup(void **state)
{
    g_dir = wxt_tmpdir("download");
    /* a bill of a few hundred KiB, so it arrives in many pieces */
    wx_buf b = WX_BUF_INIT;
    wx_buf_puts(&b, "交易时间,公众账号ID,商户号,微信订单号,商户订单号,总金额\n");
    for (int i = 0; i < 6000; i++)
        wx_buf_printf(&b, "`2024-01-01 10:%02d:%02d,`wx8888888888888888,`1900000001,`42000000%08d,`ORDER%06d,`%d.%02d\n",
                      i / 60 % 60, i % 60, i, i, i % 1000, i % 100);
    g_csv_len = b.len;
    char *csv_path = wxt_path(g_dir, "bill.csv");
    wxt_write_file(csv_path, b.data, b.len);
    g_csv = wxt_read_file(csv_path, NULL);
    wx_buf_free(&b);
    digest(csv_path, "sha1", g_sha1, sizeof g_sha1);
    digest(csv_path, "sha256", g_sha256, sizeof g_sha256);
    assert_int_equal(wxt_sh(NULL, NULL, "gzip -9 -c '%s' > '%s.gz'", csv_path, csv_path), 0);
    char *gz_path = wxt_path(g_dir, "bill.csv.gz");
    g_gz = wxt_read_file(gz_path, &g_gz_len);
    free(csv_path);
    free(gz_path);

    wxt_fake_init(&g_fake);
    wx_client_options_t o = wxt_fake_options(&g_fake);
    assert_int_equal(wx_client_new(&o, &g_client, NULL), WX_OK);
    return 0;
}

static int teardown(void **state)
{
    wx_client_free(g_client);
    wxt_fake_free(&g_fake);
    free(g_csv);
    free(g_gz);
    free(g_dir);
    return 0;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void serve(const char *body, size_t len, int status)
{
    g_fake.body = body;
    g_fake.body_len = len;
    g_fake.status = status;
}

static void test_plain_bill_to_file(void **state)
{
    serve(g_csv, g_csv_len, 200);
    char *out = wxt_path(g_dir, "out.csv");
    size_t n = 0;
    wx_error_t err = {0};
    wx_download_options_t d = {.download_url = URL, .hash_type = "SHA1", .hash_value = g_sha1, .path = out};
    assert_int_equal(wx_download(g_client, &d, &n, &err), WX_OK);
    assert_int_equal(n, g_csv_len);
    size_t len;
    char *got = wxt_read_file(out, &len);
    assert_int_equal(len, g_csv_len);
    assert_memory_equal(got, g_csv, len);
    free(got);
    /* the request went to the client's base URL, signed, with the token */
    assert_string_equal(g_fake.last_target, "/v3/billdownload/file?token=6XIv5TUPto7p-_Ab&tar_type=GZIP");
    assert_true(g_fake.auth_ok);
    /* SHA256 works too, and the case of the hex does not matter */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(g_sha256[i] >= 'a' && g_sha256[i] <= 'f' ? g_sha256[i] - 32 : g_sha256[i]);
    d.hash_type = "sha256";
    d.hash_value = upper;
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_OK);
    /* a download returns no node, so it leaves the thread's chain cursor alone (the
     * kept node used through ->seg on purpose: this checks the cursor itself) */
    wx_node_t *v3 = wx_chain(g_client, "v3");
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_OK);
    assert_string_equal(wx_node_path(v3->seg("industryCoupon")), "v3/industry-coupon");
    /* and a download URL whose path is no URL path says so, with nothing sent */
    int before = g_fake.requests;
    d.download_url = "https://api.mch.weixin.qq.com/v3/bill download/file?token=x";
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "bill download"));
    assert_int_equal(g_fake.requests, before);
    free(out);
}

static void test_wrong_digest_leaves_nothing(void **state)
{
    serve(g_csv, g_csv_len, 200);
    char *out = wxt_path(g_dir, "bad.csv"), part[600];
    snprintf(part, sizeof part, "%s.part", out);
    char wrong[41];
    memcpy(wrong, g_sha1, sizeof wrong);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    wx_error_t err = {0};
    wx_download_options_t d = {.download_url = URL, .hash_type = "SHA1", .hash_value = wrong, .path = out};
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_DIGEST);
    assert_non_null(strstr(err.message, g_sha1));
    assert_false(exists(out));
    assert_false(exists(part));
    /* a body cut short does not match either */
    serve(g_csv, g_csv_len - 10, 200);
    d.hash_value = g_sha1;
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_DIGEST);
    assert_false(exists(out));
    /* an error answer is an error, and leaves no file */
    serve("{\"code\":\"INVALID_REQUEST\",\"message\":\"token expired\"}", 0, 400);
    wx_err rc = wx_download(g_client, &d, NULL, &err);
    if (rc != WX_E_HTTP)
        fail_msg("%s: %s", wx_err_name(rc), err.message);
    assert_string_equal(err.server_code, "INVALID_REQUEST");
    assert_false(exists(out));
    assert_false(exists(part));
    free(out);
}

static void test_gzip_bill(void **state)
{
    serve(g_gz, g_gz_len, 200);
    char *out = wxt_path(g_dir, "gz.csv");
    size_t n = 0;
    wx_download_options_t d = {.download_url = URL, .hash_type = "SHA1", .hash_value = g_sha1, .path = out};
    wx_error_t err = {0};
    assert_int_equal(wx_download(g_client, &d, &n, &err), WX_OK);
    size_t len;
    char *got = wxt_read_file(out, &len);
    assert_int_equal(len, g_csv_len);
    assert_memory_equal(got, g_csv, len);
    free(got);
    /* kept compressed: the file is the gzip as received, the digest still checked */
    d.keep_gzip = 1;
    assert_int_equal(wx_download(g_client, &d, &n, &err), WX_OK);
    got = wxt_read_file(out, &len);
    assert_int_equal(len, g_gz_len);
    assert_memory_equal(got, g_gz, len);
    free(got);
    /* a truncated gzip is caught */
    char *cut = wxt_path(g_dir, "cut.csv");
    d.keep_gzip = 0;
    d.path = cut;
    serve(g_gz, g_gz_len / 2, 200);
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_DIGEST);
    assert_false(exists(cut));
    free(cut);
    free(out);
}

/* A bill larger than any body the client keeps in memory still streams. */
static void test_stream_is_not_size_limited(void **state)
{
    wxt_fake fake;
    wxt_fake_init(&fake);
    fake.body = g_csv;
    fake.body_len = g_csv_len;
    wx_client_options_t o = wxt_fake_options(&fake);
    o.max_response_bytes = 4096;
    wx_client_t *c = NULL;
    assert_int_equal(wx_client_new(&o, &c, NULL), WX_OK);
    char *out = wxt_path(g_dir, "big.csv");
    size_t n = 0;
    wx_error_t err = {0};
    wx_download_options_t d = {.download_url = URL, .hash_type = "SHA1", .hash_value = g_sha1, .path = out};
    if (wx_download(c, &d, &n, &err) != WX_OK)
        fail_msg("%s", err.message);
    assert_int_equal(n, g_csv_len);
    /* while an error answer of that size is still refused */
    fake.status = 400;
    assert_int_equal(wx_download(c, &d, NULL, &err), WX_E_TOO_LARGE);
    wx_client_free(c);
    wxt_fake_free(&fake);
    free(out);
}

static int collect(void *ud, const void *data, size_t len)
{
    wx_buf *b = ud;
    wx_buf_append(b, data, len);
    return 0;
}

static int refuse(void *ud, const void *data, size_t len) { return 1; }

static void test_sink_and_arguments(void **state)
{
    serve(g_csv, g_csv_len, 200);
    wx_buf b = WX_BUF_INIT;
    wx_download_options_t d = {.download_url = URL, .hash_type = "SHA1", .hash_value = g_sha1,
                               .sink = collect, .sink_ud = &b};
    assert_int_equal(wx_download(g_client, &d, NULL, NULL), WX_OK);
    assert_int_equal(b.len, g_csv_len);
    assert_memory_equal(b.data, g_csv, b.len);
    wx_buf_free(&b);
    wx_error_t err = {0};
    d.sink = refuse;
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_IO);
    d.sink = collect;
    d.hash_type = "MD5";
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_INVALID_ARG);
    d.hash_type = "SHA1";
    d.hash_value = "abc";
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_INVALID_ARG);
    d.hash_value = g_sha1;
    d.path = "x";
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_INVALID_ARG);
    d.path = NULL;
    d.download_url = "no-path";
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_INVALID_ARG);
    d.download_url = URL;
    d.sink = NULL;
    d.path = "/nonexistent-dir/bill.csv";
    assert_int_equal(wx_download(g_client, &d, NULL, &err), WX_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_bill_to_file),
        cmocka_unit_test(test_wrong_digest_leaves_nothing),
        cmocka_unit_test(test_gzip_bill),
        cmocka_unit_test(test_sink_and_arguments),
        cmocka_unit_test(test_stream_is_not_size_limited),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
