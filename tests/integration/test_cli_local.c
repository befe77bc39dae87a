/* wxpay commands that need no server: help and usage errors, expand, validate
 * (schema and endpoint forms) and spec lint, run as a user would run them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/version.h>

#include "test_cli_run.h"

/* ------------------------------------------------------------------ help, usage */

static void test_help(void **state)
{
    (void)state;
    static const char *const commands[] = {"expand", "validate", "spec", "sign",
                                           "verify", "encrypt", "decrypt"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        cli_result r = cli_run(commands[i], "--help", NULL);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: wxpay %s", commands[i]);
        cli_expect(&r, 0, NULL, NULL);
        assert_non_null(strstr(r.out, usage));
        assert_non_null(strstr(r.out, "example"));
        assert_string_equal(r.err, "");
        cli_result_free(&r);
        /* `wxpay help CMD` is the same text */
        cli_result h = cli_run("help", commands[i], NULL);
        cli_expect(&h, 0, NULL, NULL);
        cli_result again = cli_run(commands[i], "--help", NULL);
        assert_string_equal(h.out, again.out);
        cli_result_free(&h);
        cli_result_free(&again);
    }
    cli_result r = cli_run("spec", "lint", "--help", NULL);
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "usage: wxpay spec lint"));
    cli_result_free(&r);

    /* the top level: the request form, every command, examples */
    static const char *const top[] = {"--help", "-h", "help"};
    for (size_t i = 0; i < 3; i++) {
        r = cli_run(top[i], NULL);
        cli_expect(&r, 0, NULL, NULL);
        assert_non_null(strstr(r.out, "METHOD PATH"));
        for (size_t j = 0; j < sizeof commands / sizeof commands[0]; j++) {
            char line[64];
            snprintf(line, sizeof line, "  %s ", commands[j]);
            assert_non_null(strstr(r.out, line));
        }
        assert_non_null(strstr(r.out, "examples:"));
        cli_result_free(&r);
    }
    /* --version names the library and the crypto backend it was built on */
    r = cli_run("--version", NULL);
    char version[128];
    snprintf(version, sizeof version, "wxpay %s (%s/", wx_version(), wx_crypto_backend());
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, version));
    assert_non_null(strstr(r.out, wx_crypto_backend_version()));
    cli_result_free(&r);
    /* --help in the request form, after other options */
    r = cli_run("-c", "nowhere.json", "--help", NULL);
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "--base-url"));
    cli_result_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    unsetenv("WXPAY_CONFIG");
    static const struct {
        const char *args[8];
        const char *err;
    } cases[] = {
        {{NULL}, "missing a command"},
        {{"help", "frobnicate"}, "frobnicate"},
        {{"expand"}, "missing TEMPLATE"},
        {{"expand", "--nope", "{x}"}, "unknown option --nope"},
        {{"expand", "{x}", "{}", "extra"}, "unexpected argument \"extra\""},
        {{"validate"}, "missing --schema"},
        {{"validate", "--schema"}, "--schema needs a value"},
        {{"validate", "POST"}, "missing PATH"},
        {{"validate", "FETCH", "/v3/x"}, "unknown method \"FETCH\""},
        {{"validate", "--schema", "s.json", "--var", "a=b"}, "does not go with"},
        {{"validate", "--schema", "-"}, "both come from standard input"},
        {{"validate", "--schema", "-", "-"}, "both come from standard input"},
        {{"validate", "--var", "novalue", "GET", "/v3/x"}, "--var wants NAME=VALUE"},
        {{"spec"}, "missing a subcommand"},
        {{"spec", "frob"}, "unknown subcommand \"frob\""},
        {{"spec", "lint", "somedir"}, "--spec-dir"},
        {{"sign"}, "missing --key"},
        {{"sign", "--key", "a.pem", "--key", "b.pem"}, "given twice"},
        {{"verify", "--signature", "AAAA"}, "missing --cert"},
        {{"verify", "--cert", "a", "--pubkey", "b", "--signature", "x"}, "not both"},
        {{"verify", "--cert", "a"}, "missing --signature"},
        {{"verify", "--cert", "a", "--signature", "@-"}, "both come from standard input"},
        {{"encrypt"}, "missing --cert"},
        {{"decrypt"}, "missing --key"},
        {{"decrypt", "--key", "k", "--apiv3-key", "x"}, "not both"},
        {{"decrypt", "--apiv3-key", "x"}, "missing --nonce"},
        {{"decrypt", "--key", "k", "--nonce", "n"}, "go with --apiv3-key"},
        {{"FETCH", "v3/x"}, "unknown command or method \"FETCH\""},
        {{"exapnd", "{x}"}, "unknown command or method \"exapnd\""},
        {{"GET"}, "missing PATH"},
        {{"-c"}, "-c needs a value"},
        {{"GET", "v3/x", "extra"}, "unexpected argument \"extra\""},
        {{"--var", "novalue", "GET", "v3/x"}, "--var wants NAME=VALUE"},
        {{"--query", "=v", "GET", "v3/x"}, "--query wants NAME=VALUE"},
        {{"--header", "NoColon", "GET", "v3/x"}, "--header wants 'Name: value'"},
        {{"--json", "{}", "--json", "{}", "POST", "v3/x"}, "--json given twice"},
        {{"-ix", "GET", "v3/x"}, "unknown option -x"}, /* -i -x, as getopt groups them */
        {{"--include=yes", "GET", "v3/x"}, "takes no value"},
        {{"GET", "v3/x?a=1"}, "--query"},
        {{"GET", "v3/x"}, "no configuration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r = cli_runv(NULL, cases[i].args);
        cli_expect_usage_error(&r, cases[i].err);
        cli_result_free(&r);
    }
}

/* ------------------------------------------------------------------ expand */

#define RFC_VARS                                                                               \
    "{\"var\":\"value\",\"hello\":\"Hello World!\",\"path\":\"/foo/bar\","                     \
    "\"list\":[\"red\",\"green\",\"blue\"],\"keys\":{\"semi\":\";\",\"dot\":\".\","            \
    "\"comma\":\",\"},\"empty\":\"\",\"x\":\"1024\",\"y\":\"768\",\"n\":42,\"undef\":null}"

/* Options are scanned by getopt_long(): "--" ends them, long ones may be abbreviated
 * while unambiguous. */
static void test_option_scan(void **state)
{
    (void)state;
    cli_result r = cli_run("expand", "--", "-{x}", "{\"x\":1}", NULL);
    cli_expect(&r, 0, "-1\n", NULL);
    cli_result_free(&r);
    r = cli_run("spec", "lint", "--spec", WX_SOURCE_DIR "/tests/data/nowhere", NULL);
    cli_expect(&r, 2, NULL, "nowhere");
    cli_result_free(&r);
}

static void test_expand_rfc_examples(void **state)
{
    (void)state;
    /* RFC 6570 sections 1.2 and 3.2 */
    static const char *const cases[][2] = {
        {"{var}", "value"},
        {"{hello}", "Hello%20World%21"},
        {"{+hello}", "Hello%20World!"},
        {"{+path}/here", "/foo/bar/here"},
        {"{#path:6}/here", "#/foo/b/here"},
        {"{var:3}", "val"},
        {"{x,hello,y}", "1024,Hello%20World%21,768"},
        {"{keys}", "semi,%3B,dot,.,comma,%2C"},
        {"{keys*}", "semi=%3B,dot=.,comma=%2C"},
        {"X{.list*}", "X.red.green.blue"},
        {"{/list*,path:4}", "/red/green/blue/%2Ffoo"},
        {"{;keys*}", ";semi=%3B;dot=.;comma=%2C"},
        {"{?x,y,empty}", "?x=1024&y=768&empty="},
        {"{&x,y,empty}", "&x=1024&y=768&empty="},
        {"{?var,undef}", "?var=value"},
        {"O{undef}X", "OX"},
        {"X{.undef}", "X"},
        {"{/n}", "/42"},
        {"/v3/pay/transactions/id/{var}", "/v3/pay/transactions/id/value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[256];
        snprintf(want, sizeof want, "%s\n", cases[i][1]);
        cli_result r = cli_run("expand", cases[i][0], RFC_VARS, NULL);
        cli_expect(&r, 0, want, NULL);
        assert_string_equal(r.err, "");
        cli_result_free(&r);
    }
    /* no variables at all: everything undefined */
    cli_result r = cli_run("expand", "/a{/b}{?c}", NULL);
    cli_expect(&r, 0, "/a\n", NULL);
    cli_result_free(&r);
    /* variables from standard input and from a file */
    r = cli_run_in("{\"list\":[\"a\",\"b c\"]}", "expand", "{?list*}", "-", NULL);
    cli_expect(&r, 0, "?list=a&list=b%20c\n", NULL);
    cli_result_free(&r);
    char *dir = wxt_tmpdir("cli-expand");
    char *vars = wxt_path(dir, "vars.json");
    wxt_write_file(vars, "{\"id\": \"4200000001\"}\n", 21);
    char at[600];
    snprintf(at, sizeof at, "@%s", vars);
    r = cli_run("expand", "/v3/pay/transactions/id/{id}", at, NULL);
    cli_expect(&r, 0, "/v3/pay/transactions/id/4200000001\n", NULL);
    cli_result_free(&r);
    free(vars);
    free(dir);
}

static void test_expand_null_is_undefined(void **state)
{
    (void)state;
    cli_result r = cli_run("expand", "X{.var}", "{\"var\":null}", NULL);
    cli_expect(&r, 0, "X\n", NULL);
    cli_result_free(&r);
    r = cli_run("expand", "{?a,b,c}", "{\"a\":\"1\",\"b\":null,\"c\":\"3\"}", NULL);
    cli_expect(&r, 0, "?a=1&c=3\n", NULL);
    cli_result_free(&r);
    r = cli_run("expand", "{list*}", "{\"list\":[\"a\",null,\"b\"]}", NULL);
    cli_expect(&r, 0, "a,b\n", NULL);
    cli_result_free(&r);
}

static void test_expand_errors(void **state)
{
    (void)state;
    /* invalid templates: exit 2, nothing on stdout, the offset on stderr */
    static const char *const bad[][2] = {
        {"{foo", "offset 0"},
        {"/a/{b", "offset 3"},
        {"{}", "offset"},
        {"{var:10000}", "offset"},
        {"{=var}", "offset"},
        {"a}b", "offset"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_result r = cli_run("expand", bad[i][0], NULL);
        cli_expect(&r, 2, "", bad[i][1]);
        assert_non_null(strstr(r.err, "wxpay expand: "));
        assert_int_equal(cli_count_lines(r.err, ""), 1);
        cli_result_free(&r);
    }
    /* unusable variables */
    static const char *const vars[][2] = {
        {"[\"a\"]", "expected a JSON object"},
        {"{\"x\":", "malformed JSON"},
        {"{\"x\":1} trailing", "malformed JSON at offset"},
        {"{\"x\":[[\"nested\"]]}", "'x'"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        cli_result r = cli_run("expand", "{x}", vars[i][0], NULL);
        cli_expect(&r, 2, "", vars[i][1]);
        cli_result_free(&r);
    }
    cli_result r = cli_run("expand", "{x}", "@/nonexistent/vars.json", NULL);
    cli_expect(&r, 2, "", "cannot read /nonexistent/vars.json");
    cli_result_free(&r);
}

/* ------------------------------------------------------------------ validate --schema */

static void test_validate_schema(void **state)
{
    (void)state;
    char schema[1024];
    snprintf(schema, sizeof schema, "%s", cli_data("schema/order.schema.json"));

    cli_result r = cli_run("validate", "--schema", schema, cli_data("schema/order-valid.json"), NULL);
    cli_expect(&r, 0, "", "valid");
    cli_result_free(&r);

    /* the instance from standard input, as "-" and as no argument */
    char *valid = wxt_read_file(cli_data("schema/order-valid.json"), NULL);
    r = cli_run_in(valid, "validate", "--schema", schema, "-", NULL);
    cli_expect(&r, 0, "", NULL);
    cli_result_free(&r);
    r = cli_run_in(valid, "validate", "--schema", schema, NULL);
    cli_expect(&r, 0, "", NULL);
    cli_result_free(&r);
    free(valid);

    /* invalid: exit 1, one `path: reason` line per violation, all of them */
    r = cli_run("validate", "--schema", schema, cli_data("schema/order-invalid.json"), NULL);
    cli_expect(&r, 1, NULL, "5 violations");
    assert_int_equal(cli_count_lines(r.out, ""), 5);
    assert_int_equal(cli_count_lines(r.out, "payer: "), 1);
    assert_int_equal(cli_count_lines(r.out, "out_trade_no: "), 1);
    assert_int_equal(cli_count_lines(r.out, "amount.total: "), 1);
    assert_int_equal(cli_count_lines(r.out, "amount.currency: "), 1);
    assert_int_equal(cli_count_lines(r.out, "goods[0].quantity: "), 1);
    assert_non_null(strstr(r.out, "goods[0].quantity: expected integer, got string\n"));
    cli_result_free(&r);

    /* the root itself */
    r = cli_run_in("[1,2]", "validate", "--schema", schema, NULL);
    cli_expect(&r, 1, NULL, NULL);
    assert_int_equal(cli_count_lines(r.out, ""), 1);
    assert_non_null(strstr(r.out, "(root): "));
    cli_result_free(&r);
}

static void test_validate_schema_unusable(void **state)
{
    (void)state;
    char schema[1024];
    snprintf(schema, sizeof schema, "%s", cli_data("schema/order.schema.json"));
    /* a schema with a dangling $ref: exit 2, the key path named */
    cli_result r = cli_run("validate", "--schema", cli_data("schema/unusable.schema.json"),
                           cli_data("schema/order-valid.json"), NULL);
    cli_expect(&r, 2, "", "unusable.schema.json");
    assert_non_null(strstr(r.err, "properties.amount"));
    cli_result_free(&r);
    /* a malformed instance: exit 2, file and offset named */
    r = cli_run("validate", "--schema", schema, cli_data("schema/malformed.json"), NULL);
    cli_expect(&r, 2, "", "malformed.json: malformed JSON");
    assert_non_null(strstr(r.err, "offset"));
    cli_result_free(&r);
    /* a malformed schema, a missing schema, a missing instance */
    r = cli_run("validate", "--schema", cli_data("schema/malformed.json"), schema, NULL);
    cli_expect(&r, 2, "", "malformed JSON");
    cli_result_free(&r);
    r = cli_run("validate", "--schema", "/nonexistent/s.json", schema, NULL);
    cli_expect(&r, 2, "", "cannot read /nonexistent/s.json");
    cli_result_free(&r);
    r = cli_run("validate", "--schema", schema, "/nonexistent/i.json", NULL);
    cli_expect(&r, 2, "", "cannot read /nonexistent/i.json");
    cli_result_free(&r);
    r = cli_run_in("", "validate", "--schema", schema, NULL);
    cli_expect(&r, 2, "", "empty");
    cli_result_free(&r);
}

/* ------------------------------------------------------------------ validate endpoint */

#define SEED_BODY                                                                              \
    "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\",\"coupon_list\":"                           \
    "[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}"

static void test_validate_seed_endpoint(void **state)
{
    (void)state;
    /* the compiled-in seed endpoint, method in any case, path with or without '/' */
    static const char *const spellings[][2] = {
        {"POST", "/v3/industry-coupon/tokens"},
        {"post", "v3/industry-coupon/tokens"},
        {"Post", "/v3/industry-coupon/tokens"},
    };
    for (size_t i = 0; i < 3; i++) {
        cli_result r = cli_run_in(SEED_BODY, "validate", spellings[i][0], spellings[i][1], "-", NULL);
        cli_expect(&r, 0, "", "valid (POST /v3/industry-coupon/tokens)");
        cli_result_free(&r);
    }
    cli_result r = cli_run_in("{\"open_id\":7,\"coupon_list\":[{\"stock_id\":\"x\"}]}", "validate",
                              "POST", "/v3/industry-coupon/tokens", "-", NULL);
    cli_expect(&r, 1, NULL, "3 violations");
    assert_non_null(strstr(r.out, "open_id: expected string, got integer\n"));
    assert_non_null(strstr(r.out, "coupon_list[0].stock_id: expected integer, got string\n"));
    assert_non_null(strstr(r.out, "coupon_list[0].coupon_id: "));
    assert_int_equal(cli_count_lines(r.out, ""), 3);
    cli_result_free(&r);
    /* the body is required: no BODY argument is a violation, not a crash */
    r = cli_run("validate", "POST", "/v3/industry-coupon/tokens", NULL);
    cli_expect(&r, 1, NULL, NULL);
    assert_non_null(strstr(r.out, "body: "));
    cli_result_free(&r);
    /* no such endpoint, a malformed body */
    r = cli_run("validate", "GET", "/v3/industry-coupon/tokens", NULL);
    cli_expect(&r, 2, "", "no endpoint for GET /v3/industry-coupon/tokens");
    cli_result_free(&r);
    r = cli_run_in("{\"open_id\":", "validate", "POST", "/v3/industry-coupon/tokens", "-", NULL);
    cli_expect(&r, 2, "", "standard input: malformed JSON");
    cli_result_free(&r);
}

static void test_validate_concrete_path(void **state)
{
    (void)state;
    char spec[1024];
    snprintf(spec, sizeof spec, "%s", cli_data("spec"));
    /* a concrete path is routed to its template and its variable counts as given */
    cli_result r = cli_run("validate", "--spec-dir", spec, "--query", "mchid=1900000001", "GET",
                           "/v3/cli-test/orders/4200000001", NULL);
    cli_expect(&r, 0, "", "valid (GET /v3/cli-test/orders/{order_id})");
    cli_result_free(&r);
    /* ... and checked against the parameter's pattern */
    r = cli_run("validate", "--spec-dir", spec, "GET", "v3/cli-test/orders/42x", NULL);
    cli_expect(&r, 1, "path.order_id: does not match pattern ^[0-9]{6,32}$\nquery.mchid: required\n",
               "2 violations (GET /v3/cli-test/orders/{order_id})");
    cli_result_free(&r);
    /* the template form takes the variable from --var */
    r = cli_run("validate", "--spec-dir", spec, "--var", "order_id=4200000001", "--query",
                "mchid=1", "GET", "/v3/cli-test/orders/{order_id}", NULL);
    cli_expect(&r, 0, "", NULL);
    cli_result_free(&r);
    r = cli_run("validate", "--spec-dir", spec, "--query", "mchid=1", "GET",
                "/v3/cli-test/orders/{order_id}", NULL);
    cli_expect(&r, 1, "path.order_id: required\n", NULL);
    cli_result_free(&r);
    /* headers and a body, the header name in any case */
    r = cli_run_in("{\"description\":\"x\",\"amount\":{\"total\":1}}", "validate", "--spec-dir",
                   spec, "--header", "wechatpay-serial: 5157F09E", "POST", "/v3/cli-test/orders",
                   "-", NULL);
    cli_expect(&r, 0, "", NULL);
    cli_result_free(&r);
    r = cli_run_in("{\"description\":\"x\",\"amount\":{\"total\":0}}", "validate", "--spec-dir",
                   spec, "POST", "/v3/cli-test/orders", "-", NULL);
    cli_expect(&r, 1, "header.Wechatpay-Serial: required\namount.total: less than 1\n", NULL);
    cli_result_free(&r);
    /* the compiled-in tree is still there next to --spec-dir */
    r = cli_run_in(SEED_BODY, "validate", "--spec-dir", spec, "POST",
                   "/v3/industry-coupon/tokens", "-", NULL);
    cli_expect(&r, 0, "", NULL);
    cli_result_free(&r);
    /* a spec dir that does not exist, a broken spec file */
    r = cli_run("validate", "--spec-dir", "/nonexistent/spec", "GET", "/v3/x", NULL);
    cli_expect(&r, 2, "", "/nonexistent/spec");
    cli_result_free(&r);
    r = cli_run("validate", "--spec-dir", cli_data("spec-broken"), "POST", "/v3/cli-test/dangling",
                NULL);
    cli_expect(&r, 2, "", "dangling.json");
    cli_result_free(&r);
}

/* ------------------------------------------------------------------ spec lint */

static void test_spec_lint_good(void **state)
{
    (void)state;
    cli_result r = cli_run("spec", "lint", "--spec-dir", cli_data("spec"), NULL);
    cli_expect(&r, 0,
               "POST /v3/cli-test/orders\n"
               "GET /v3/cli-test/orders/{order_id}\n"
               "2 endpoints, 0 errors\n",
               NULL);
    cli_result_free(&r);
    /* the compiled-in tree holds the seed endpoint */
    r = cli_run("spec", "lint", NULL);
    cli_expect(&r, 0, NULL, NULL);
    assert_non_null(strstr(r.out, "POST /v3/industry-coupon/tokens\n"));
    assert_non_null(strstr(r.out, " endpoints, 0 errors\n"));
    cli_result_free(&r);
}

static void test_spec_lint_broken(void **state)
{
    (void)state;
    cli_result r = cli_run("spec", "lint", "--spec-dir", cli_data("spec-broken"), NULL);
    cli_expect(&r, 1, NULL, NULL);
    /* each broken file named with the key path (or line) of the fault */
    assert_int_equal(cli_count_lines(r.out, "dangling.json: post.parameters[0].schema.$ref: "), 1);
    assert_int_equal(cli_count_lines(r.out, "truncated.json: "), 1);
    assert_int_equal(cli_count_lines(r.out, "GET /v3/cli-test/good"), 1);
    const char *last = strstr(r.out, "1 endpoints, 2 errors\n");
    assert_non_null(last);
    assert_string_equal(last, "1 endpoints, 2 errors\n");
    cli_result_free(&r);
    /* two folders: the good one's endpoints and the broken one's errors */
    char good[1024];
    snprintf(good, sizeof good, "%s", cli_data("spec"));
    r = cli_run("spec", "lint", "--spec-dir", good, "--spec-dir", cli_data("spec-broken"), NULL);
    cli_expect(&r, 1, NULL, NULL);
    assert_non_null(strstr(r.out, "3 endpoints, 2 errors\n"));
    cli_result_free(&r);
    r = cli_run("spec", "lint", "--spec-dir", "/nonexistent/spec", NULL);
    cli_expect(&r, 2, "", "/nonexistent/spec");
    cli_result_free(&r);
}

static void test_no_secrets(void **state)
{
    (void)state;
    cli_assert_no_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_option_scan),
        cmocka_unit_test(test_expand_rfc_examples),
        cmocka_unit_test(test_expand_null_is_undefined),
        cmocka_unit_test(test_expand_errors),
        cmocka_unit_test(test_validate_schema),
        cmocka_unit_test(test_validate_schema_unusable),
        cmocka_unit_test(test_validate_seed_endpoint),
        cmocka_unit_test(test_validate_concrete_path),
        cmocka_unit_test(test_spec_lint_good),
        cmocka_unit_test(test_spec_lint_broken),
        cmocka_unit_test(test_no_secrets),
    };
    return cmocka_run_group_tests_name("wxpay cli (local)", tests, NULL, NULL);
}
