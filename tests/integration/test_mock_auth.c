/* The sandbox's Authorization header parser on its own (links only
 * src/mock/auth_header.c and the fuzz target, whose seed corpus it replays). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/auth_header.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GOOD_FIELDS                                                                   \
    "mchid=\"1900000001\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\","             \
    "signature=\"c2lnbmF0dXJl\",timestamp=\"1554208460\","                             \
    "serial_no=\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\""

static int parse(const char *h, wx_mock_auth *a, char *why)
{
    return wx_mock_auth_parse(h, strlen(h), a, why, 160);
}

/* The header must be rejected and the reason must mention @p expect. */
static void expect_reject(const char *h, const char *expect)
{
    wx_mock_auth a;
    char why[160] = "";
    if (parse(h, &a, why) == 0)
        fail_msg("accepted: %s", h);
    if (!strstr(why, expect))
        fail_msg("reason '%s' does not mention '%s' for: %s", why, expect, h);
}

static void test_accepts_canonical(void **state)
{
    (void)state;
    wx_mock_auth a;
    char why[160];
    assert_int_equal(parse(WX_MOCK_AUTH_SCHEME " " GOOD_FIELDS, &a, why), 0);
    assert_string_equal(a.mchid, "1900000001");
    assert_string_equal(a.nonce_str, "593BEC0C930BF1AFEB40B4A08C8FB242");
    assert_string_equal(a.signature, "c2lnbmF0dXJl");
    assert_string_equal(a.timestamp, "1554208460");
    assert_true(a.timestamp_value == 1554208460);
    assert_string_equal(a.serial_no, "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
}

static void test_accepts_any_order_and_blanks(void **state)
{
    (void)state;
    wx_mock_auth a;
    char why[160];
    const char *h = "  wechatpay2-sha256-rsa2048 \t serial_no = \"S1\" ,\ttimestamp=\"7\", "
                    "signature=\"sig==\" ,nonce_str=\"N\",mchid=\"M\"  ";
    assert_int_equal(parse(h, &a, why), 0);
    assert_string_equal(a.mchid, "M");
    assert_string_equal(a.serial_no, "S1");
    assert_string_equal(a.signature, "sig==");
    assert_true(a.timestamp_value == 7);
}

static void test_length_bounded(void **state)
{
    (void)state;
    /* The parser must stop at len: the bytes after it are not part of the header. */
    const char *h = WX_MOCK_AUTH_SCHEME " " GOOD_FIELDS ",extra=\"1\"";
    size_t len = strlen(WX_MOCK_AUTH_SCHEME " " GOOD_FIELDS);
    wx_mock_auth a;
    char why[160];
    assert_int_equal(wx_mock_auth_parse(h, len, &a, why, sizeof why), 0);
    assert_int_equal(wx_mock_auth_parse(h, len - 1, &a, why, sizeof why), -1);
    assert_non_null(strstr(why, "unterminated"));
}

static void test_rejects_scheme(void **state)
{
    (void)state;
    expect_reject("", "empty");
    expect_reject("   ", "empty");
    expect_reject("Bearer abc", "scheme");
    expect_reject("WECHATPAY2-SHA256-RSA2048", "no fields");
    expect_reject("WECHATPAY2-SHA256-RSA2048X " GOOD_FIELDS, "scheme");
    expect_reject(GOOD_FIELDS, "scheme");
}

static void test_rejects_missing_and_unknown(void **state)
{
    (void)state;
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"1\",nonce_str=\"n\",signature=\"s\",timestamp=\"1\"",
                  "missing serial_no");
    expect_reject(WX_MOCK_AUTH_SCHEME " nonce_str=\"n\",signature=\"s\",timestamp=\"1\",serial_no=\"x\"",
                  "missing mchid");
    expect_reject(WX_MOCK_AUTH_SCHEME " " GOOD_FIELDS ",extra=\"1\"", "unknown field 'extra'");
    expect_reject(WX_MOCK_AUTH_SCHEME " MCHID=\"1\"", "unknown field");
}

static void test_rejects_duplicates(void **state)
{
    (void)state;
    expect_reject(WX_MOCK_AUTH_SCHEME " " GOOD_FIELDS ",mchid=\"1900000001\"", "mchid given twice");
    expect_reject(WX_MOCK_AUTH_SCHEME " signature=\"a\",signature=\"a\"", "signature given twice");
}

static void test_rejects_garbage(void **state)
{
    (void)state;
    expect_reject(WX_MOCK_AUTH_SCHEME " " GOOD_FIELDS ",", "field name");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"1\",,nonce_str=\"n\"", "field name");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=1900000001", "not quoted");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid", "expected '='");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"19", "unterminated");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"\"", "empty mchid");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"1\"x", "expected ','");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"1\\\"2\"", "invalid character");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"1\n2\"", "invalid character");
    expect_reject(WX_MOCK_AUTH_SCHEME " mchid=\"1\";nonce_str=\"n\"", "expected ','");

    /* an embedded NUL inside the given length */
    char h[] = WX_MOCK_AUTH_SCHEME " mchid=\"1X2\"";
    *strchr(h, 'X') = 0;
    wx_mock_auth a;
    char why[160];
    assert_int_equal(wx_mock_auth_parse(h, sizeof h - 1, &a, why, sizeof why), -1);
    assert_non_null(strstr(why, "invalid character"));
}

static void test_rejects_bad_timestamp(void **state)
{
    (void)state;
    const char *base = WX_MOCK_AUTH_SCHEME
        " mchid=\"1\",nonce_str=\"n\",signature=\"s\",serial_no=\"x\",timestamp=";
    char h[512];
    snprintf(h, sizeof h, "%s\"12a\"", base);
    expect_reject(h, "timestamp");
    snprintf(h, sizeof h, "%s\"-5\"", base);
    expect_reject(h, "timestamp");
    snprintf(h, sizeof h, "%s\"99999999999999999999\"", base);
    expect_reject(h, "timestamp");
}

static void test_rejects_oversized(void **state)
{
    (void)state;
    char sig[1100];
    memset(sig, 'A', sizeof sig - 1);
    sig[sizeof sig - 1] = 0;
    char h[1400];
    snprintf(h, sizeof h, "%s mchid=\"1\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"x\",signature=\"%s\"",
             WX_MOCK_AUTH_SCHEME, sig);
    expect_reject(h, "signature is too long");
    /* a 4096-bit signature (684 base64 characters) fits */
    sig[684] = 0;
    snprintf(h, sizeof h, "%s mchid=\"1\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"x\",signature=\"%s\"",
             WX_MOCK_AUTH_SCHEME, sig);
    wx_mock_auth a;
    char why[160];
    assert_int_equal(parse(h, &a, why), 0);
    assert_int_equal(strlen(a.signature), 684);
}

static void test_reason_never_echoes_values(void **state)
{
    (void)state;
    wx_mock_auth a;
    char why[160];
    const char *h = WX_MOCK_AUTH_SCHEME " signature=\"SECRETSIG\",signature=\"SECRETSIG\"";
    assert_int_equal(parse(h, &a, why), -1);
    assert_null(strstr(why, "SECRETSIG"));
}

static void test_replays_fuzz_corpus(void **state)
{
    (void)state;
    DIR *d = opendir(WX_AUTH_CORPUS);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = wxt_path(WX_AUTH_CORPUS, e->d_name);
        size_t len;
        char *data = wxt_read_file(path, &len);
        assert_non_null(data);
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        /* and every prefix, where the length bound matters most */
        for (size_t n = 0; n < len; n++)
            LLVMFuzzerTestOneInput((const uint8_t *)data, n);
        free(data);
        free(path);
        files++;
    }
    closedir(d);
    assert_true(files >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_canonical),
        cmocka_unit_test(test_accepts_any_order_and_blanks),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_rejects_scheme),
        cmocka_unit_test(test_rejects_missing_and_unknown),
        cmocka_unit_test(test_rejects_duplicates),
        cmocka_unit_test(test_rejects_garbage),
        cmocka_unit_test(test_rejects_bad_timestamp),
        cmocka_unit_test(test_rejects_oversized),
        cmocka_unit_test(test_reason_never_echoes_values),
        cmocka_unit_test(test_replays_fuzz_corpus),
    };
    return cmocka_run_group_tests_name("mock_auth", tests, NULL, NULL);
}
