/* JSON Schema keywords through wx_schema_validate: each keyword with a passing and a
 * failing instance, the exact path and reason of every violation, and invalid schemas
 * refused with their key path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/spec.h>

#include "testutil.h"
#include "util/buf.h"

static json_object *parse(const char *text)
{
    json_tokener *tok = json_tokener_new();
    json_object *v = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
    enum json_tokener_error e = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (e != json_tokener_success)
        fail_msg("bad test JSON: %s", text);
    return v;
}

/* Validates and returns "path: reason" lines joined with '\n' (malloc'd). */
static char *run(const char *schema, const char *instance, wx_err *rc)
{
    json_object *s = parse(schema), *i = parse(instance);
    wx_violations_t *v = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    *rc = wx_schema_validate(s, i, &v, &err);
    size_t cap = 4096, len = 0;
    char *out = calloc(1, cap);
    if (*rc == WX_E_SPEC) {
        snprintf(out, cap, "SPEC %s | %s", err.where, err.message);
    }
    for (size_t k = 0; k < wx_violations_count(v); k++) {
        const wx_violation_t *x = wx_violations_at(v, k);
        len += (size_t)snprintf(out + len, cap - len, "%s%s: %s", k ? "\n" : "", x->path,
                                x->reason);
    }
    wx_violations_free(v);
    json_object_put(s);
    json_object_put(i);
    return out;
}

static void ok(const char *schema, const char *instance)
{
    wx_err rc;
    char *got = run(schema, instance, &rc);
    if (rc != WX_OK)
        fail_msg("expected valid: %s against %s\n got rc %d: %s", instance, schema, rc, got);
    free(got);
}

static void bad(const char *schema, const char *instance, const char *expected)
{
    wx_err rc;
    char *got = run(schema, instance, &rc);
    if (rc != WX_E_VALIDATION || strcmp(got, expected) != 0)
        fail_msg("%s against %s\n expected: %s\n got (rc %d): %s", instance, schema, expected, rc,
                 got);
    free(got);
}

static void invalid_schema(const char *schema, const char *where, const char *message_part)
{
    wx_err rc;
    char *got = run(schema, "null", &rc);
    char want[512];
    snprintf(want, sizeof want, "SPEC %s | ", where);
    if (rc != WX_E_SPEC || strncmp(got, want, strlen(want)) != 0 || !strstr(got, message_part))
        fail_msg("schema %s\n expected %s...%s\n got (rc %d): %s", schema, want, message_part, rc,
                 got);
    free(got);
}

static void test_type(void **state)
{
    (void)state;
    ok("{\"type\":\"string\"}", "\"a\"");
    bad("{\"type\":\"string\"}", "1", "(root): expected string, got integer");
    ok("{\"type\":\"integer\"}", "16474341");
    ok("{\"type\":\"integer\"}", "2.0");
    bad("{\"type\":\"integer\"}", "2.5", "(root): expected integer, got number");
    bad("{\"type\":\"integer\"}", "\"16474341\"", "(root): expected integer, got string");
    ok("{\"type\":\"number\"}", "2");
    ok("{\"type\":\"number\"}", "2.5");
    bad("{\"type\":\"number\"}", "true", "(root): expected number, got boolean");
    ok("{\"type\":\"boolean\"}", "false");
    bad("{\"type\":\"boolean\"}", "\"true\"", "(root): expected boolean, got string");
    ok("{\"type\":\"null\"}", "null");
    bad("{\"type\":\"null\"}", "0", "(root): expected null, got integer");
    ok("{\"type\":\"array\"}", "[]");
    bad("{\"type\":\"array\"}", "{}", "(root): expected array, got object");
    ok("{\"type\":\"object\"}", "{}");
    bad("{\"type\":\"object\"}", "[]", "(root): expected object, got array");
    ok("{\"type\":[\"string\",\"null\"]}", "null");
    ok("{\"type\":[\"string\",\"null\"]}", "\"x\"");
    bad("{\"type\":[\"string\",\"null\"]}", "1", "(root): expected string or null, got integer");
    ok("{}", "[1,{\"a\":null}]");
    ok("true", "1");
    bad("false", "1", "(root): not allowed");
}

static void test_object_keywords(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"object\",\"required\":[\"a\",\"b\"],"
                    "\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\"}}}";
    ok(s, "{\"a\":\"x\",\"b\":1,\"c\":true}");
    bad(s, "{\"a\":\"x\"}", "b: required");
    /* Every violation, not just the first. */
    bad(s, "{\"a\":1}", "b: required\na: expected string, got integer");
    const char *closed = "{\"properties\":{\"a\":{}},\"additionalProperties\":false}";
    ok(closed, "{\"a\":1}");
    bad(closed, "{\"a\":1,\"zz\":2,\"yy\":3}", "zz: unexpected property\nyy: unexpected property");
    const char *typed = "{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"integer\"}}";
    ok(typed, "{\"a\":\"s\",\"b\":2}");
    bad(typed, "{\"a\":\"s\",\"b\":\"2\"}", "b: expected integer, got string");
    const char *pat = "{\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},"
                      "\"additionalProperties\":false}";
    ok(pat, "{\"x-a\":\"1\"}");
    bad(pat, "{\"x-a\":1,\"b\":1}", "x-a: expected string, got integer\nb: unexpected property");
    ok("{\"minProperties\":1,\"maxProperties\":2}", "{\"a\":1}");
    bad("{\"minProperties\":1}", "{}", "(root): fewer than 1 properties");
    bad("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", "(root): more than 1 properties");
    /* Keys that are not plain names are quoted in paths. */
    bad("{\"properties\":{\"a.b\":{\"type\":\"string\"}}}", "{\"a.b\":1}",
        "[\"a.b\"]: expected string, got integer");
    /* Nested paths. */
    bad("{\"properties\":{\"coupon_list\":{\"items\":{\"properties\":{\"stock_id\":"
        "{\"type\":\"integer\"}}}}}}",
        "{\"coupon_list\":[{\"stock_id\":1},{\"stock_id\":\"x\"}]}",
        "coupon_list[1].stock_id: expected integer, got string");
}

static void test_array_keywords(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,"
                    "\"maxItems\":3,\"uniqueItems\":true}";
    ok(s, "[1,2,3]");
    bad(s, "[]", "(root): fewer than 1 items");
    bad(s, "[1,2,3,4]", "(root): more than 3 items");
    bad(s, "[1,\"2\"]", "[1]: expected integer, got string");
    bad(s, "[1,2,1]", "(root): items 0 and 2 are equal");
    /* 1 and 1.0 are the same number; objects compare by content. */
    bad("{\"uniqueItems\":true}", "[1,1.0]", "(root): items 0 and 1 are equal");
    bad("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]",
        "(root): items 0 and 1 are equal");
    ok("{\"uniqueItems\":true}", "[{\"a\":1},{\"a\":2},[1],[1,2]]");
    const char *tuple = "{\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}],"
                        "\"additionalItems\":false}";
    ok(tuple, "[\"a\",1]");
    bad(tuple, "[1,\"a\",true]",
        "[0]: expected string, got integer\n[1]: expected integer, got string\n[2]: unexpected item");
    const char *tuple2 = "{\"items\":[{\"type\":\"string\"}],\"additionalItems\":{\"type\":\"null\"}}";
    ok(tuple2, "[\"a\",null,null]");
    bad(tuple2, "[\"a\",1]", "[1]: expected null, got integer");
}

static void test_enum_const(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"string\",\"enum\":[\"BARCODE\",\"QRCODE\",\"NOT_SHOW\"]}";
    ok(s, "\"QRCODE\"");
    bad(s, "\"qrcode\"", "(root): must be one of: BARCODE, QRCODE, NOT_SHOW");
    ok("{\"enum\":[0,1,2]}", "1.0");
    bad("{\"enum\":[0,1,2]}", "3", "(root): must be one of: 0, 1, 2");
    ok("{\"enum\":[{\"a\":[1]},null]}", "null");
    ok("{\"enum\":[{\"a\":[1]},null]}", "{\"a\":[1]}");
    bad("{\"enum\":[{\"a\":[1]},null]}", "{\"a\":[2]}", "(root): must be one of: {\"a\":[1]}, null");
    ok("{\"const\":\"x\"}", "\"x\"");
    bad("{\"const\":\"x\"}", "\"y\"", "(root): must be one of: x");
}

static void test_string_keywords(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"string\",\"minLength\":2,\"maxLength\":4}";
    ok(s, "\"ab\"");
    ok(s, "\"abcd\"");
    bad(s, "\"a\"", "(root): shorter than 2 characters");
    bad(s, "\"abcde\"", "(root): longer than 4 characters");
    /* Characters, not bytes: 4 Chinese characters are 12 bytes. */
    ok(s, "\"腾讯大厦\"");
    bad(s, "\"腾讯大厦分店\"", "(root): longer than 4 characters");
    bad("{\"maxLength\":1}", "\"ab\"", "(root): longer than 1 character");
    ok("{\"maxLength\":1}", "\"€\"");
    /* Length keywords apply to strings only. */
    ok("{\"maxLength\":1}", "12345");
}

static void test_pattern(void **state)
{
    (void)state;
    ok("{\"pattern\":\"^[0-9]+$\"}", "\"16474341\"");
    bad("{\"pattern\":\"^[0-9]+$\"}", "\"1647a\"", "(root): does not match pattern ^[0-9]+$");
    /* Unanchored search, as JSON Schema says. */
    ok("{\"pattern\":\"[0-9]\"}", "\"abc1def\"");
    bad("{\"pattern\":\"[0-9]\"}", "\"abcdef\"", "(root): does not match pattern [0-9]");
    ok("{\"pattern\":\"^\\\\d{3}-\\\\w+\\\\s\\\\S$\"}", "\"123-ab_9 x\"");
    bad("{\"pattern\":\"^\\\\d{3}$\"}", "\"12a\"", "(root): does not match pattern ^\\d{3}$");
    ok("{\"pattern\":\"^\\\\D\\\\W$\"}", "\"a-\"");
    bad("{\"pattern\":\"^\\\\D$\"}", "\"1\"", "(root): does not match pattern ^\\D$");
    /* Characters, ranges of CJK, '.', classes with escapes, groups, lazy quantifiers. */
    ok("{\"pattern\":\"^[\\\\u4e00-\\\\u9fa5]{2,4}$\"}", "\"腾讯大厦\"");
    bad("{\"pattern\":\"^[\\\\u4e00-\\\\u9fa5]{2,4}$\"}", "\"腾讯a\"",
        "(root): does not match pattern ^[\\u4e00-\\u9fa5]{2,4}$");
    ok("{\"pattern\":\"^.{3}$\"}", "\"中文字\"");
    bad("{\"pattern\":\"^.$\"}", "\"\\n\"", "(root): does not match pattern ^.$");
    ok("{\"pattern\":\"^[\\\\]\\\\-^a]+$\"}", "\"]-^a\"");
    ok("{\"pattern\":\"^(?:ab)+?c$\"}", "\"ababc\"");
    ok("{\"pattern\":\"^a\\\\.b\\\\/c$\"}", "\"a.b/c\"");
    bad("{\"pattern\":\"^a\\\\.b$\"}", "\"axb\"", "(root): does not match pattern ^a\\.b$");
    ok("{\"pattern\":\"^[^\\\\s]+$\"}", "\"中文\"");
    ok("{\"pattern\":\"^中+$\"}", "\"中中中\"");
    ok("{\"pattern\":\"^\\\\x41\\\\u0042$\"}", "\"AB\"");
    ok("{\"pattern\":\"^a|b$\"}", "\"xb\"");
    ok("{\"pattern\":\"^[A-Z]{2}\\\\d{6}$\"}", "\"AB123456\"");
    ok("{\"pattern\":\"^1[3-9]\\\\d{9}$\"}", "\"13800138000\"");
    /* Patterns apply to strings only. */
    ok("{\"pattern\":\"^a$\"}", "1");
    /* A NUL character does not end the string: what follows it is matched too. */
    bad("{\"pattern\":\"^[0-9]+$\"}", "\"123\\u0000<x>\"",
        "(root): does not match pattern ^[0-9]+$");
    bad("{\"pattern\":\"^a\"}", "\"\\u0000a\"", "(root): does not match pattern ^a");
    ok("{\"pattern\":\"b$\"}", "\"a\\u0000b\"");
    /* ECMA-262 beyond POSIX: word boundaries, lookaround, backreferences, \u{...}, [^]. */
    ok("{\"pattern\":\"\\\\bpay\\\\b\"}", "\"we pay now\"");
    bad("{\"pattern\":\"\\\\bpay\\\\b\"}", "\"wepaynow\"", "(root): does not match pattern \\bpay\\b");
    /* \b is ASCII, as in ECMAScript: a CJK character is not a word character. */
    ok("{\"pattern\":\"\\\\bA\\\\b\"}", "\"中A文\"");
    ok("{\"pattern\":\"^(?=.*\\\\d)(?=.*[a-z]).{6,}$\"}", "\"abc123\"");
    bad("{\"pattern\":\"^(?!test)\"}", "\"testing\"", "(root): does not match pattern ^(?!test)");
    ok("{\"pattern\":\"(?<=\\\\$)\\\\d+\"}", "\"cost $42\"");
    ok("{\"pattern\":\"^(a|b)\\\\1$\"}", "\"bb\"");
    bad("{\"pattern\":\"^(a|b)\\\\1$\"}", "\"ab\"", "(root): does not match pattern ^(a|b)\\1$");
    ok("{\"pattern\":\"^(?<y>\\\\d{4})-\\\\k<y>$\"}", "\"2024-2024\"");
    ok("{\"pattern\":\"^\\\\u{4e2d}$\"}", "\"中\"");
    ok("{\"pattern\":\"^[^]$\"}", "\"\\n\"");
    /* \d is [0-9] only: a full-width digit is not one; $ is the end, not before a newline. */
    bad("{\"pattern\":\"^\\\\d$\"}", "\"１\"", "(root): does not match pattern ^\\d$");
    bad("{\"pattern\":\"^a$\"}", "\"a\\n\"", "(root): does not match pattern ^a$");
    /* Chinese names and addresses. */
    ok("{\"pattern\":\"^[\\\\u4e00-\\\\u9fa5·]{2,15}$\"}", "\"阿卜杜·艾尼\"");
    ok("{\"pattern\":\"省.*市\"}", "\"广东省深圳市南山区\"");
    /* An empty class matches nothing, not even a NUL. */
    bad("{\"pattern\":\"[^\\\\s\\\\S]\"}", "\"\\u0000\"",
        "(root): does not match pattern [^\\s\\S]");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The reason a pattern gives on a 60-'a' string with a '!' at the end, and how long. */
static const char *hostile_reason(const char *pattern, double *took)
{
    static char reason[160];
    char instance[80] = "\"";
    memset(instance + 1, 'a', 60);
    strcat(instance, "!\"");
    json_object *sch = json_object_new_object();
    json_object_object_add(sch, "pattern", json_object_new_string(pattern));
    json_object *inst = json_tokener_parse(instance);
    wx_violations_t *list = NULL;
    double t0 = now_seconds();
    assert_int_equal(wx_schema_validate(sch, inst, &list, NULL), WX_E_VALIDATION);
    *took = now_seconds() - t0;
    snprintf(reason, sizeof reason, "%s", wx_violations_at(list, 0)->reason);
    wx_violations_free(list);
    json_object_put(sch);
    json_object_put(inst);
    return reason;
}

/* A catastrophic pattern (exponential backtracking) is cut off by the match limits: the
 * value is refused with a clear reason, quickly, instead of holding the thread. */
static void test_pattern_bounded(void **state)
{
    (void)state;
    static const char *const hostile[] = {"^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "^(\\w+\\s?)*$",
                                          "^(?:a*)*b", "^(.*a){12}$"};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        double took;
        const char *got = hostile_reason(hostile[i], &took);
        char limit[160], nomatch[160];
        snprintf(limit, sizeof limit, "exceeds the match limit of pattern %s", hostile[i]);
        snprintf(nomatch, sizeof nomatch, "does not match pattern %s", hostile[i]);
        /* PCRE2 sees through some of them and answers no at once. */
        if (strcmp(got, limit) != 0 && strcmp(got, nomatch) != 0)
            fail_msg("pattern %s: %s", hostile[i], got);
        if (took > 1.0)
            fail_msg("pattern %s took %.2f s on a hostile value", hostile[i], took);
    }
    /* The classic one really is cut off by the limit, not answered by luck. */
    double took;
    assert_string_equal(hostile_reason("^(a|a)*$", &took),
                        "exceeds the match limit of pattern ^(a|a)*$");
}

static void test_numbers(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":10}";
    ok(s, "1");
    ok(s, "10");
    bad(s, "0", "(root): less than 1");
    bad(s, "11", "(root): greater than 10");
    /* Draft 4 booleans. */
    const char *x4 = "{\"minimum\":1,\"exclusiveMinimum\":true,\"maximum\":10,\"exclusiveMaximum\":true}";
    ok(x4, "2");
    bad(x4, "1", "(root): not greater than 1");
    bad(x4, "10", "(root): not less than 10");
    /* Draft 6 numbers. */
    const char *x6 = "{\"exclusiveMinimum\":0.5,\"exclusiveMaximum\":2.5}";
    ok(x6, "1");
    bad(x6, "0.5", "(root): not greater than 0.5");
    bad(x6, "2.5", "(root): not less than 2.5");
    ok("{\"multipleOf\":0.01}", "0.07");
    ok("{\"multipleOf\":0.01}", "19.99");
    bad("{\"multipleOf\":0.01}", "0.075", "(root): not a multiple of 0.01");
    ok("{\"multipleOf\":100}", "1500");
    bad("{\"multipleOf\":100}", "1550", "(root): not a multiple of 100");
    /* Integers above INT64_MAX (json-c keeps them as uint64) are checked exactly too. */
    ok("{\"multipleOf\":5}", "18446744073709551615");
    ok("{\"multipleOf\":2}", "9223372036854775808");
    bad("{\"multipleOf\":2}", "18446744073709551615", "(root): not a multiple of 2");
    /* Bounds apply to numbers only. */
    ok("{\"minimum\":5}", "\"1\"");
    /* Beyond 2^53 a double cannot tell neighbours apart: integer bounds compare as int64. */
    const char *big = "{\"minimum\":9007199254740993,\"maximum\":9223372036854775806}";
    ok(big, "9007199254740993");
    bad(big, "9007199254740992", "(root): less than 9007199254740993");
    ok(big, "9223372036854775806");
    bad(big, "9223372036854775807", "(root): greater than 9223372036854775806");
    bad(big, "18446744073709551615", "(root): greater than 9223372036854775806");
    bad("{\"exclusiveMaximum\":9007199254740993}", "9007199254740993",
        "(root): not less than 9007199254740993");
    ok("{\"exclusiveMaximum\":9007199254740993}", "9007199254740992");
    bad("{\"minimum\":-9007199254740993,\"exclusiveMinimum\":true}", "-9007199254740993",
        "(root): not greater than -9007199254740993");
    ok("{\"multipleOf\":9007199254740993}", "18014398509481986");
    bad("{\"multipleOf\":9007199254740993}", "18014398509481985",
        "(root): not a multiple of 9007199254740993");
    bad("{\"multipleOf\":3}", "9007199254740995", "(root): not a multiple of 3");
    /* A non-integer value against an integer bound compares as a double. */
    bad("{\"minimum\":3}", "2.5", "(root): less than 3");
}

static void test_formats(void **state)
{
    (void)state;
    const char *dt = "{\"type\":\"string\",\"format\":\"date-time\"}";
    ok(dt, "\"2015-05-20T13:29:35+08:00\"");
    ok(dt, "\"2019-12-31T15:59:60+08:00\"");
    ok(dt, "\"2020-02-29T00:00:00.123Z\"");
    bad(dt, "\"2015-05-20 13:29:35\"", "(root): not a valid date-time");
    bad(dt, "\"2019-02-29T00:00:00Z\"", "(root): not a valid date-time");
    bad(dt, "\"2015-13-20T13:29:35+08:00\"", "(root): not a valid date-time");
    bad(dt, "\"2015-05-20T24:00:00Z\"", "(root): not a valid date-time");
    const char *rfc = "{\"format\":\"rfc3339\"}";
    ok(rfc, "\"2018-06-08T10:34:56+08:00\"");
    bad(rfc, "\"2018-06-08\"", "(root): not a valid rfc3339");
    ok("{\"format\":\"date\"}", "\"2019-06-11\"");
    bad("{\"format\":\"date\"}", "\"2019-06-11\\u0000junk\"", "(root): not a valid date");
    bad(dt, "\"2015-05-20T13:29:35Z\\u0000\"", "(root): not a valid date-time");
    bad("{\"format\":\"date\"}", "\"2019-6-11\"", "(root): not a valid date");
    /* Unknown formats are annotations. */
    ok("{\"format\":\"base64\"}", "\"%%%\"");
    ok("{\"format\":\"jsonObjectLike\"}", "\"x\"");
}

static void test_nullable(void **state)
{
    (void)state;
    ok("{\"type\":\"string\",\"nullable\":true}", "null");
    bad("{\"type\":\"string\",\"nullable\":false}", "null", "(root): expected string, got null");
    bad("{\"type\":\"string\"}", "null", "(root): expected string, got null");
    ok("{\"type\":\"object\",\"x-nullable\":true,\"required\":[\"a\"]}", "null");
}

static void test_combinators(void **state)
{
    (void)state;
    const char *all = "{\"allOf\":[{\"required\":[\"a\"]},{\"properties\":{\"b\":{\"type\":\"integer\"}}}]}";
    ok(all, "{\"a\":1,\"b\":2}");
    bad(all, "{\"b\":\"x\"}", "a: required\nb: expected integer, got string");
    const char *any = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\",\"minimum\":5}]}";
    ok(any, "\"x\"");
    ok(any, "7");
    /* Only the integer branch is meant for an integer: its reason is given. */
    bad(any, "3", "(root): less than 5");
    bad(any, "true", "(root): does not match any schema in anyOf");
    const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\",\"minimum\":0}]}";
    ok(one, "-1");
    ok(one, "0.5");
    bad(one, "2", "(root): matches more than one schema in oneOf");
    bad(one, "\"s\"", "(root): does not match any schema in oneOf");
    ok("{\"not\":{\"type\":\"string\"}}", "1");
    bad("{\"not\":{\"type\":\"string\"}}", "\"s\"", "(root): must not match the schema in not");
    /* The same violation found by two branches is reported once, in first-found order. */
    bad("{\"allOf\":[{\"required\":[\"a\",\"b\"]},{\"required\":[\"b\",\"a\",\"c\"]}]}", "{}",
        "a: required\nb: required\nc: required");
}

/* Every bad item of a large body is reported, each once (this used to take time
 * quadratic in the number of violations: minutes for a few hundred thousand). */
static void test_many_violations(void **state)
{
    (void)state;
    enum { N = 100000 };
    json_object *schema = parse("{\"items\":{\"type\":\"string\"}}");
    json_object *arr = json_object_new_array_ext(N);
    for (int i = 0; i < N; i++)
        json_object_array_add(arr, json_object_new_int(i));
    wx_violations_t *v = NULL;
    assert_int_equal(wx_schema_validate(schema, arr, &v, NULL), WX_E_VALIDATION);
    assert_int_equal(wx_violations_count(v), N);
    assert_string_equal(wx_violations_at(v, 0)->path, "[0]");
    assert_string_equal(wx_violations_at(v, 0)->reason, "expected string, got integer");
    assert_string_equal(wx_violations_at(v, N - 1)->path, "[99999]");
    wx_violations_free(v);
    json_object_put(arr);
    json_object_put(schema);
}

static void test_refs(void **state)
{
    (void)state;
    const char *s = "{\"definitions\":{\"Amount\":{\"type\":\"object\",\"required\":[\"total\"],"
                    "\"properties\":{\"total\":{\"type\":\"integer\"}}},"
                    "\"a/b\":{\"type\":\"string\"},\"m~n\":{\"type\":\"boolean\"}},"
                    "\"properties\":{\"amount\":{\"$ref\":\"#/definitions/Amount\"},"
                    "\"slash\":{\"$ref\":\"#/definitions/a~1b\"},"
                    "\"tilde\":{\"$ref\":\"#/definitions/m~0n\"}}}";
    ok(s, "{\"amount\":{\"total\":1},\"slash\":\"x\",\"tilde\":true}");
    bad(s, "{\"amount\":{},\"slash\":1,\"tilde\":1}",
        "amount.total: required\nslash: expected string, got integer\ntilde: expected boolean, got integer");
    /* A schema that contains itself through properties is fine. */
    const char *tree = "{\"definitions\":{\"Node\":{\"type\":\"object\",\"properties\":{"
                       "\"name\":{\"type\":\"string\"},\"children\":{\"type\":\"array\","
                       "\"items\":{\"$ref\":\"#/definitions/Node\"}}}}},"
                       "\"$ref\":\"#/definitions/Node\"}";
    ok(tree, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":[{\"name\":\"c\"}]}]}");
    bad(tree, "{\"children\":[{\"children\":[{\"name\":1}]}]}",
        "children[0].children[0].name: expected string, got integer");
    /* $ref next to other keywords: both apply. */
    const char *sib = "{\"definitions\":{\"E\":{\"enum\":[\"A\",\"B\"]}},"
                      "\"type\":\"string\",\"$ref\":\"#/definitions/E\"}";
    ok(sib, "\"A\"");
    bad(sib, "\"C\"", "(root): must be one of: A, B");
}

static void test_invalid_schemas(void **state)
{
    (void)state;
    invalid_schema("{\"properties\":{\"a\":{\"type\":\"strin\"}}}", "properties.a.type",
                   "unknown type \"strin\"");
    invalid_schema("{\"type\":[\"string\",3]}", "type", "type must be a name or a list");
    invalid_schema("{\"required\":true}", "required", "required must be a list of strings");
    invalid_schema("{\"required\":[\"a\",1]}", "required", "required must be a list of strings");
    invalid_schema("{\"minLength\":-1}", "minLength", "minLength must be a non-negative integer");
    invalid_schema("{\"maxItems\":1.5}", "maxItems", "maxItems must be a non-negative integer");
    invalid_schema("{\"items\":{\"pattern\":\"(a\"}}", "items.pattern", "invalid pattern (a");
    invalid_schema("{\"pattern\":\"[z-a]\"}", "pattern", "invalid pattern [z-a]: range out of order");
    invalid_schema("{\"properties\":{\"p\":{\"pattern\":\"a{2,1}\"}}}", "properties.p.pattern",
                   "invalid pattern a{2,1}: numbers out of order");
    invalid_schema("{\"patternProperties\":{\"(\":{}}}", "patternProperties.(",
                   "missing closing parenthesis");
    invalid_schema("{\"enum\":\"A\"}", "enum", "enum must be a list");
    invalid_schema("{\"enum\":[]}", "enum", "enum must not be empty");
    invalid_schema("{\"multipleOf\":0}", "multipleOf", "greater than 0");
    invalid_schema("{\"minimum\":\"1\"}", "minimum", "minimum must be a number");
    invalid_schema("{\"allOf\":{}}", "allOf", "allOf must be a non-empty list of schemas");
    invalid_schema("{\"anyOf\":[1]}", "anyOf[0]", "a schema must be an object");
    invalid_schema("{\"uniqueItems\":\"yes\"}", "uniqueItems", "true or false");
    invalid_schema("{\"properties\":[]}", "properties", "properties must be an object");
    invalid_schema("{\"$ref\":\"#/nope\"}", "$ref", "dangling $ref '#/nope'");
    invalid_schema("{\"$ref\":\"other.json#/a\"}", "$ref", "only local references");
    /* A ref loop that never reaches a property or item would never end. */
    invalid_schema("{\"definitions\":{\"A\":{\"$ref\":\"#/definitions/B\"},"
                   "\"B\":{\"allOf\":[{\"$ref\":\"#/definitions/A\"}]}},"
                   "\"$ref\":\"#/definitions/A\"}",
                   "definitions.B.allOf[0].$ref", "$ref cycle");
    invalid_schema("{\"$ref\":\"#\"}", "$ref", "$ref cycle");
    /* The loop closes through a definition compiled earlier, where its $ref went through
     * a property: a -allOf-> b -$ref-> a must still be refused, not recursed into. */
    invalid_schema("{\"definitions\":{\"a\":{\"allOf\":[{\"$ref\":\"#/definitions/b\"}],"
                   "\"properties\":{\"p\":{\"$ref\":\"#/definitions/b\"}}},"
                   "\"b\":{\"$ref\":\"#/definitions/a\"}},\"$ref\":\"#/definitions/a\"}",
                   "definitions.a", "$ref cycle");
    invalid_schema("{\"definitions\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},"
                   "{\"not\":{\"$ref\":\"#/definitions/b\"}}],"
                   "\"items\":{\"$ref\":\"#/definitions/b\"}},"
                   "\"b\":{\"allOf\":[{\"$ref\":\"#/definitions/a\"}]}},"
                   "\"$ref\":\"#/definitions/a\"}",
                   "definitions.a", "$ref cycle");
}

/* A chain of allOf/$ref steps longer than the validator should recurse is refused even
 * when each schema compiles shallowly (the definitions are met from the end). */
static void test_long_chain(void **state)
{
    (void)state;
    enum { N = 150 };
    wx_buf b = WX_BUF_INIT;
    wx_buf_puts(&b, "{\"definitions\":{\"d150\":{\"type\":\"string\"}");
    for (int i = 0; i < N; i++)
        wx_buf_printf(&b, ",\"d%d\":{\"allOf\":[{\"$ref\":\"#/definitions/d%d\"}]}", i, i + 1);
    wx_buf_puts(&b, "},\"properties\":{");
    for (int i = N; i >= 0; i--)
        wx_buf_printf(&b, "%s\"p%d\":{\"$ref\":\"#/definitions/d%d\"}", i == N ? "" : ",", i, i);
    wx_buf_puts(&b, "}}");
    wx_err rc;
    char *got = run(wx_buf_str(&b), "{}", &rc);
    if (rc != WX_E_SPEC || !strstr(got, "schema nested too deeply: more than 200 steps"))
        fail_msg("expected a chain too long, got (rc %d): %s", rc, got);
    free(got);
    wx_buf_free(&b);
    /* 50 steps (100 with the $ref wrappers) are fine. */
    wx_buf_puts(&b, "{\"definitions\":{\"d50\":{\"type\":\"string\"}");
    for (int i = 0; i < 50; i++)
        wx_buf_printf(&b, ",\"d%d\":{\"allOf\":[{\"$ref\":\"#/definitions/d%d\"}]}", i, i + 1);
    wx_buf_puts(&b, "},\"properties\":{");
    for (int i = 50; i >= 0; i--)
        wx_buf_printf(&b, "%s\"p%d\":{\"$ref\":\"#/definitions/d%d\"}", i == 50 ? "" : ",", i, i);
    wx_buf_puts(&b, "}}");
    got = run(wx_buf_str(&b), "{\"p0\":1}", &rc);
    assert_int_equal(rc, WX_E_VALIDATION);
    assert_string_equal(got, "p0: expected string, got integer");
    free(got);
    wx_buf_free(&b);
}

static void test_ignored_keywords(void **state)
{
    (void)state;
    ok("{\"type\":\"string\",\"x-is-sensitive\":\"ciphertext\",\"description\":null,"
       "\"readOnly\":true,\"discriminator\":\"k\",\"title\":1,\"dependencies\":{}}",
       "\"x\"");
}

static void test_args(void **state)
{
    (void)state;
    wx_error_t err;
    assert_int_equal(wx_schema_validate(NULL, NULL, NULL, &err), WX_E_INVALID_ARG);
    assert_int_equal(wx_violations_count(NULL), 0);
    assert_null(wx_violations_at(NULL, 0));
    wx_violations_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type),         cmocka_unit_test(test_object_keywords),
        cmocka_unit_test(test_array_keywords), cmocka_unit_test(test_enum_const),
        cmocka_unit_test(test_string_keywords), cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_pattern_bounded),
        cmocka_unit_test(test_numbers),      cmocka_unit_test(test_formats),
        cmocka_unit_test(test_nullable),     cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_refs),         cmocka_unit_test(test_invalid_schemas),
        cmocka_unit_test(test_long_chain),
        cmocka_unit_test(test_ignored_keywords), cmocka_unit_test(test_many_violations),
        cmocka_unit_test(test_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
