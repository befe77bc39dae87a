/* Media uploads (multipart/form-data: a signed `meta` part with the file's SHA-256, then
 * the file) from memory and from a file, and a bill streamed to a file over the libcurl
 * transport, against `wxpay mock` (which checks the signature over `meta`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#include "testutil.h"

static wxt_mock g_mock;
static wx_client_t *g_client;
static char *g_dir;

static int setup(void **state)
{
    wxt_mock_start(&g_mock, NULL);
    wx_client_options_t o = {.base_url = g_mock.base_url};
    assert_int_equal(wx_client_new_from_config(g_mock.config, &o, &g_client, NULL), WX_OK);
    g_dir = wxt_tmpdir("transfer");
    return 0;
}

static int teardown(void **state)
{
    wx_client_free(g_client);
    free(g_dir);
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

static void expect_uploaded(wx_response_t *r, const char *key, const void *data, size_t len)
{
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s: %s", wx_err_name(wx_response_err(r)), wx_response_error_detail(r)->message);
    struct json_object *id;
    assert_true(json_object_object_get_ex(wx_response_json(r), key, &id));
    /* what was signed is the meta JSON with the file's SHA-256 */
    char sha[65], want[80];
    wx_sha256_hex(data, len, sha);
    snprintf(want, sizeof want, "\"sha256\":\"%s\"", sha);
    const char *meta = wx_response_request_body(r, NULL);
    assert_non_null(meta);
    assert_non_null(strstr(meta, want));
    wx_response_free(r);
}

static void test_uploads(void **state)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                        'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
    wx_upload_t mem = {.filename = "pixel.png", .data = png, .data_len = sizeof png};
    expect_uploaded(wx_chain(g_client, "v3/merchant/media/upload")->post(&(wx_request_options_t){.upload = &mem}),
                    "media_id", png, sizeof png);

    char *path = wxt_path(g_dir, "clip.mp4");
    char video[4096];
    for (size_t i = 0; i < sizeof video; i++)
        video[i] = (char)(i * 7);
    wxt_write_file(path, video, sizeof video);
    wx_upload_t file = {.filename = "clip.mp4", .path = path};
    expect_uploaded(wx_chain(g_client, "v3")->seg("merchant")->seg("media")->seg("video_upload")->post(
        &(wx_request_options_t){.upload = &file}), "media_id", video, sizeof video);
    expect_uploaded(wx_chain(g_client, "v3/marketing/favor/media/image-upload")->post(
        &(wx_request_options_t){.upload = &mem}), "media_url", png, sizeof png);

    /* an unreadable file: a clear error, nothing sent */
    wx_upload_t missing = {.filename = "x.jpg", .path = "/nonexistent/x.jpg"};
    wx_response_t *r = wx_chain(g_client, "v3/merchant/media/upload")->post(
        &(wx_request_options_t){.upload = &missing});
    assert_int_equal(wx_response_err(r), WX_E_IO);
    assert_non_null(strstr(wx_response_error_detail(r)->message, "/nonexistent/x.jpg"));
    wx_response_free(r);
    free(path);
}

static void test_bill_download(void **state)
{
    /* ask for a bill, as a merchant does, and take its download_url */
    wx_response_t *r = wx_chain(g_client, "v3/bill/tradebill")->get(&(wx_request_options_t){
        .query = (wx_kv_t[]){{"bill_date", "2019-06-11"}, {0}}});
    if (wx_response_err(r) != WX_OK)
        fail_msg("tradebill: %s", wx_response_error_detail(r)->message);
    struct json_object *u;
    assert_true(json_object_object_get_ex(wx_response_json(r), "download_url", &u));
    char *url = strdup(json_object_get_string(u));
    wx_response_free(r);

    /* the sandbox's bill, fetched plainly, gives the digest to expect */
    char *q = strchr(url, '?');
    r = wx_chain(g_client, "v3/billdownload/file")->get(&(wx_request_options_t){
        .query = (wx_kv_t[]){{"token", q ? strstr(q, "token=") + 6 : "x"}, {0}}});
    assert_int_equal(wx_response_err(r), WX_OK);
    size_t len;
    const char *bill = wx_response_body(r, &len);
    char sha256[65];
    wx_sha256_hex(bill, len, sha256);
    char *expected = malloc(len + 1);
    memcpy(expected, bill, len);
    wx_response_free(r);

    char *out = wxt_path(g_dir, "bill.csv");
    size_t n = 0;
    wx_error_t err = {0};
    wx_download_options_t d = {.download_url = url, .hash_type = "SHA256", .hash_value = sha256, .path = out};
    if (wx_download(g_client, &d, &n, &err) != WX_OK)
        fail_msg("download: %s", err.message);
    assert_int_equal(n, len);
    size_t got_len;
    char *got = wxt_read_file(out, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, expected, len);
    free(got);
    free(expected);
    free(out);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uploads),
        cmocka_unit_test(test_bill_download),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
