/* RFC 6570 URI templates: the RFC's own example tables, errors with their offsets,
 * request mode (missing variables, injection), prefixes over UTF-8, JSON numbers,
 * the callback form, allocation failures, and one template shared by threads. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <wechatpay/uritemplate.h>
#include "request/uritemplate_internal.h"
#include "util/alloc.h"

/* ------------------------------------------------------------------ helpers */

typedef struct vector {
    const char *tmpl;
    const char *expect;
} vector;

/* The variables of RFC 6570 section 3.2 (section 1.2 uses the same values). */
static const char *k_rfc_vars =
    "{"
    "\"count\": [\"one\", \"two\", \"three\"],"
    "\"dom\": [\"example\", \"com\"],"
    "\"dub\": \"me/too\","
    "\"hello\": \"Hello World!\","
    "\"half\": \"50%\","
    "\"var\": \"value\","
    "\"who\": \"fred\","
    "\"base\": \"http://example.com/home/\","
    "\"path\": \"/foo/bar\","
    "\"list\": [\"red\", \"green\", \"blue\"],"
    "\"keys\": {\"semi\": \";\", \"dot\": \".\", \"comma\": \",\"},"
    "\"v\": \"6\","
    "\"x\": \"1024\","
    "\"y\": \"768\","
    "\"empty\": \"\","
    "\"empty_keys\": {},"
    "\"undef\": null"
    "}";

static json_object *parse_json(const char *text)
{
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    return o;
}

/* Expands one template in a mode and compares, naming the template on failure. */
static void expect_expansion(const char *tmpl, json_object *vars, wx_uri_mode mode,
                             const char *expect)
{
    char *out = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_uri_expand(tmpl, vars, mode, &out, &err);
    if (rc != WX_OK) {
        print_error("template %s: %s (%s)\n", tmpl, wx_err_name(rc), err.message);
        fail();
    }
    if (strcmp(out, expect) != 0) {
        print_error("template %s\n  expected %s\n  got      %s\n", tmpl, expect, out);
        wx_free(out);
        fail();
    }
    wx_free(out);
}

static void json_lookup_cb(void *ud, const char *name, size_t len, wx_uri_value *out)
{
    json_object *v = NULL;
    assert_int_equal(name[len], 0);
    if (json_object_object_get_ex(ud, name, &v)) {
        out->type = WX_UV_JSON;
        out->json = v;
    }
}

/* Every vector through the one-call form, the compiled form and the callback form. */
static void run_vectors(const vector *vs, size_t n)
{
    json_object *vars = parse_json(k_rfc_vars);
    for (size_t i = 0; i < n; i++) {
        expect_expansion(vs[i].tmpl, vars, WX_URI_RFC, vs[i].expect);

        wx_uri_template_t *t = NULL;
        assert_int_equal(wx_uri_template_parse(vs[i].tmpl, &t, NULL), WX_OK);
        wx_buf b = WX_BUF_INIT;
        wx_buf_puts(&b, "<");
        assert_int_equal(wx_uri_template_expand_fn(t, json_lookup_cb, vars, WX_URI_RFC, &b, NULL),
                         WX_OK);
        if (strcmp(wx_buf_str(&b) + 1, vs[i].expect) != 0) {
            print_error("callback form, template %s: got %s\n", vs[i].tmpl, wx_buf_str(&b) + 1);
            fail();
        }
        wx_buf_free(&b);
        wx_uri_template_free(t);
    }
    json_object_put(vars);
}

#define RUN(table) run_vectors(table, sizeof table / sizeof table[0])

/* ------------------------------------------------------------------ RFC 6570 1.2 */

static void test_rfc_level1(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{var}", "value"},
        {"{hello}", "Hello%20World%21"},
    };
    RUN(vs);
}

static void test_rfc_level2(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{+var}", "value"},
        {"{+hello}", "Hello%20World!"},
        {"{+path}/here", "/foo/bar/here"},
        {"here?ref={+path}", "here?ref=/foo/bar"},
        {"X{#var}", "X#value"},
        {"X{#hello}", "X#Hello%20World!"},
    };
    RUN(vs);
}

static void test_rfc_level3(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"map?{x,y}", "map?1024,768"},
        {"{x,hello,y}", "1024,Hello%20World%21,768"},
        {"{+x,hello,y}", "1024,Hello%20World!,768"},
        {"{+path,x}/here", "/foo/bar,1024/here"},
        {"{#x,hello,y}", "#1024,Hello%20World!,768"},
        {"{#path,x}/here", "#/foo/bar,1024/here"},
        {"X{.var}", "X.value"},
        {"X{.x,y}", "X.1024.768"},
        {"{/var}", "/value"},
        {"{/var,x}/here", "/value/1024/here"},
        {"{;x,y}", ";x=1024;y=768"},
        {"{;x,y,empty}", ";x=1024;y=768;empty"},
        {"{?x,y}", "?x=1024&y=768"},
        {"{?x,y,empty}", "?x=1024&y=768&empty="},
        {"?fixed=yes{&x}", "?fixed=yes&x=1024"},
        {"{&x,y,empty}", "&x=1024&y=768&empty="},
    };
    RUN(vs);
}

static void test_rfc_level4(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{var:3}", "val"},
        {"{var:30}", "value"},
        {"{list}", "red,green,blue"},
        {"{list*}", "red,green,blue"},
        {"{keys}", "semi,%3B,dot,.,comma,%2C"},
        {"{keys*}", "semi=%3B,dot=.,comma=%2C"},
        {"{+path:6}/here", "/foo/b/here"},
        {"{+list}", "red,green,blue"},
        {"{+list*}", "red,green,blue"},
        {"{+keys}", "semi,;,dot,.,comma,,"},
        {"{+keys*}", "semi=;,dot=.,comma=,"},
        {"{#path:6}/here", "#/foo/b/here"},
        {"{#list}", "#red,green,blue"},
        {"{#list*}", "#red,green,blue"},
        {"{#keys}", "#semi,;,dot,.,comma,,"},
        {"{#keys*}", "#semi=;,dot=.,comma=,"},
        {"X{.var:3}", "X.val"},
        {"X{.list}", "X.red,green,blue"},
        {"X{.list*}", "X.red.green.blue"},
        {"X{.keys}", "X.semi,%3B,dot,.,comma,%2C"},
        {"X{.keys*}", "X.semi=%3B.dot=..comma=%2C"},
        {"{/var:1,var}", "/v/value"},
        {"{/list}", "/red,green,blue"},
        {"{/list*}", "/red/green/blue"},
        {"{/list*,path:4}", "/red/green/blue/%2Ffoo"},
        {"{/keys}", "/semi,%3B,dot,.,comma,%2C"},
        {"{/keys*}", "/semi=%3B/dot=./comma=%2C"},
        {"{;hello:5}", ";hello=Hello"},
        {"{;list}", ";list=red,green,blue"},
        {"{;list*}", ";list=red;list=green;list=blue"},
        {"{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"},
        {"{;keys*}", ";semi=%3B;dot=.;comma=%2C"},
        {"{?var:3}", "?var=val"},
        {"{?list}", "?list=red,green,blue"},
        {"{?list*}", "?list=red&list=green&list=blue"},
        {"{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"},
        {"{?keys*}", "?semi=%3B&dot=.&comma=%2C"},
        {"{&var:3}", "&var=val"},
        {"{&list}", "&list=red,green,blue"},
        {"{&list*}", "&list=red&list=green&list=blue"},
        {"{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"},
        {"{&keys*}", "&semi=%3B&dot=.&comma=%2C"},
    };
    RUN(vs);
}

/* ------------------------------------------------------------------ RFC 6570 3.2.x */

static void test_rfc_3_2_1_variable_expansion(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{count}", "one,two,three"},
        {"{count*}", "one,two,three"},
        {"{/count}", "/one,two,three"},
        {"{/count*}", "/one/two/three"},
        {"{;count}", ";count=one,two,three"},
        {"{;count*}", ";count=one;count=two;count=three"},
        {"{?count}", "?count=one,two,three"},
        {"{?count*}", "?count=one&count=two&count=three"},
        {"{&count*}", "&count=one&count=two&count=three"},
    };
    RUN(vs);
}

static void test_rfc_3_2_2_simple(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{var}", "value"},
        {"{hello}", "Hello%20World%21"},
        {"{half}", "50%25"},
        {"O{empty}X", "OX"},
        {"O{undef}X", "OX"},
        {"{x,y}", "1024,768"},
        {"{x,hello,y}", "1024,Hello%20World%21,768"},
        {"?{x,empty}", "?1024,"},
        {"?{x,undef}", "?1024"},
        {"?{undef,y}", "?768"},
        {"{var:3}", "val"},
        {"{var:30}", "value"},
        {"{list}", "red,green,blue"},
        {"{list*}", "red,green,blue"},
        {"{keys}", "semi,%3B,dot,.,comma,%2C"},
        {"{keys*}", "semi=%3B,dot=.,comma=%2C"},
    };
    RUN(vs);
}

static void test_rfc_3_2_3_reserved(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{+var}", "value"},
        {"{+hello}", "Hello%20World!"},
        {"{+half}", "50%25"},
        {"{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex"},
        {"{+base}index", "http://example.com/home/index"},
        {"O{+empty}X", "OX"},
        {"O{+undef}X", "OX"},
        {"{+path}/here", "/foo/bar/here"},
        {"here?ref={+path}", "here?ref=/foo/bar"},
        {"up{+path}{var}/here", "up/foo/barvalue/here"},
        {"{+x,hello,y}", "1024,Hello%20World!,768"},
        {"{+path,x}/here", "/foo/bar,1024/here"},
        {"{+path:6}/here", "/foo/b/here"},
        {"{+list}", "red,green,blue"},
        {"{+list*}", "red,green,blue"},
        {"{+keys}", "semi,;,dot,.,comma,,"},
        {"{+keys*}", "semi=;,dot=.,comma=,"},
    };
    RUN(vs);
}

static void test_rfc_3_2_4_fragment(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{#var}", "#value"},
        {"{#hello}", "#Hello%20World!"},
        {"{#half}", "#50%25"},
        {"foo{#empty}", "foo#"},
        {"foo{#undef}", "foo"},
        {"{#x,hello,y}", "#1024,Hello%20World!,768"},
        {"{#path,x}/here", "#/foo/bar,1024/here"},
        {"{#path:6}/here", "#/foo/b/here"},
        {"{#list}", "#red,green,blue"},
        {"{#list*}", "#red,green,blue"},
        {"{#keys}", "#semi,;,dot,.,comma,,"},
        {"{#keys*}", "#semi=;,dot=.,comma=,"},
    };
    RUN(vs);
}

static void test_rfc_3_2_5_label(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{.who}", ".fred"},
        {"{.who,who}", ".fred.fred"},
        {"{.half,who}", ".50%25.fred"},
        {"www{.dom*}", "www.example.com"},
        {"X{.var}", "X.value"},
        {"X{.empty}", "X."},
        {"X{.undef}", "X"},
        {"X{.var:3}", "X.val"},
        {"X{.list}", "X.red,green,blue"},
        {"X{.list*}", "X.red.green.blue"},
        {"X{.keys}", "X.semi,%3B,dot,.,comma,%2C"},
        {"X{.keys*}", "X.semi=%3B.dot=..comma=%2C"},
        {"X{.empty_keys}", "X"},
        {"X{.empty_keys*}", "X"},
    };
    RUN(vs);
}

static void test_rfc_3_2_6_path(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{/who}", "/fred"},
        {"{/who,who}", "/fred/fred"},
        {"{/half,who}", "/50%25/fred"},
        {"{/who,dub}", "/fred/me%2Ftoo"},
        {"{/var}", "/value"},
        {"{/var,empty}", "/value/"},
        {"{/var,undef}", "/value"},
        {"{/var,x}/here", "/value/1024/here"},
        {"{/var:1,var}", "/v/value"},
        {"{/list}", "/red,green,blue"},
        {"{/list*}", "/red/green/blue"},
        {"{/list*,path:4}", "/red/green/blue/%2Ffoo"},
        {"{/keys}", "/semi,%3B,dot,.,comma,%2C"},
        {"{/keys*}", "/semi=%3B/dot=./comma=%2C"},
    };
    RUN(vs);
}

static void test_rfc_3_2_7_path_param(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{;who}", ";who=fred"},
        {"{;half}", ";half=50%25"},
        {"{;empty}", ";empty"},
        {"{;v,empty,who}", ";v=6;empty;who=fred"},
        {"{;v,bar,who}", ";v=6;who=fred"},
        {"{;x,y}", ";x=1024;y=768"},
        {"{;x,y,empty}", ";x=1024;y=768;empty"},
        {"{;x,y,undef}", ";x=1024;y=768"},
        {"{;hello:5}", ";hello=Hello"},
        {"{;list}", ";list=red,green,blue"},
        {"{;list*}", ";list=red;list=green;list=blue"},
        {"{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"},
        {"{;keys*}", ";semi=%3B;dot=.;comma=%2C"},
    };
    RUN(vs);
}

static void test_rfc_3_2_8_query(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{?who}", "?who=fred"},
        {"{?half}", "?half=50%25"},
        {"{?x,y}", "?x=1024&y=768"},
        {"{?x,y,empty}", "?x=1024&y=768&empty="},
        {"{?x,y,undef}", "?x=1024&y=768"},
        {"{?var:3}", "?var=val"},
        {"{?list}", "?list=red,green,blue"},
        {"{?list*}", "?list=red&list=green&list=blue"},
        {"{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"},
        {"{?keys*}", "?semi=%3B&dot=.&comma=%2C"},
    };
    RUN(vs);
}

static void test_rfc_3_2_9_query_continuation(void **state)
{
    (void)state;
    static const vector vs[] = {
        {"{&who}", "&who=fred"},
        {"{&half}", "&half=50%25"},
        {"?fixed=yes{&x}", "?fixed=yes&x=1024"},
        {"{&x,y,empty}", "&x=1024&y=768&empty="},
        {"{&var:3}", "&var=val"},
        {"{&list}", "&list=red,green,blue"},
        {"{&list*}", "&list=red&list=green&list=blue"},
        {"{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"},
        {"{&keys*}", "&semi=%3B&dot=.&comma=%2C"},
    };
    RUN(vs);
}

/* Empty strings as list members and map values follow the ifemp rules too. */
static void test_empty_members(void **state)
{
    (void)state;
    json_object *vars = parse_json("{\"l\": [\"\", \"a\"], \"m\": {\"k\": \"\", \"j\": \"b\"},"
                                   " \"nl\": [null, \"z\", null], \"nm\": {\"a\": null},"
                                   " \"el\": [], \"ll\": [null]}");
    expect_expansion("{;l*}", vars, WX_URI_RFC, ";l;l=a");
    expect_expansion("{?l*}", vars, WX_URI_RFC, "?l=&l=a");
    expect_expansion("{;m*}", vars, WX_URI_RFC, ";k;j=b");
    expect_expansion("{?m*}", vars, WX_URI_RFC, "?k=&j=b");
    expect_expansion("{m*}", vars, WX_URI_RFC, "k=,j=b");
    expect_expansion("{m}", vars, WX_URI_RFC, "k,,j,b");
    expect_expansion("{;l}", vars, WX_URI_RFC, ";l=,a");
    /* null members are undefined and skipped; all-null composites are undefined */
    expect_expansion("{nl}", vars, WX_URI_RFC, "z");
    expect_expansion("X{.nm}Y", vars, WX_URI_RFC, "XY");
    expect_expansion("X{?ll,el}Y", vars, WX_URI_RFC, "XY");
    json_object_put(vars);
}

/* ------------------------------------------------------------------ literals */

static void test_literals(void **state)
{
    (void)state;
    expect_expansion("", NULL, WX_URI_RFC, "");
    expect_expansion("v3/pay/transactions", NULL, WX_URI_RFC, "v3/pay/transactions");
    expect_expansion("a b", NULL, WX_URI_RFC, "a%20b");
    expect_expansion("100%", NULL, WX_URI_RFC, "100%25");
    expect_expansion("%41%zz", NULL, WX_URI_RFC, "%41%25zz");
    expect_expansion("\xe4\xb8\xad", NULL, WX_URI_RFC, "%E4%B8%AD");
    expect_expansion("x\"<>\\^`|y", NULL, WX_URI_RFC, "x%22%3C%3E%5C%5E%60%7Cy");
    expect_expansion("a\r\nb", NULL, WX_URI_RFC, "a%0D%0Ab");
    expect_expansion("?a=b#f:@!$&'()*+,;=[]~", NULL, WX_URI_RFC, "?a=b#f:@!$&'()*+,;=[]~");
}

/* ------------------------------------------------------------------ errors */

typedef struct bad_template {
    const char *tmpl;
    size_t offset;
    const char *words;   /* expected somewhere in the message */
} bad_template;

static void test_parse_errors(void **state)
{
    (void)state;
    static const bad_template bad[] = {
        {"{", 0, "unclosed '{'"},
        {"abc{def", 3, "unclosed '{'"},
        {"{a}{b", 3, "unclosed '{'"},
        {"a}b", 1, "'}' without a matching '{'"},
        {"{a}}", 3, "'}' without a matching '{'"},
        {"{}", 0, "empty expression"},
        {"x{+}", 1, "empty expression"},
        {"{=a}", 1, "operator '=' is reserved"},
        {"{,a}", 1, "operator ',' is reserved"},
        {"{!a}", 1, "operator '!' is reserved"},
        {"{@a}", 1, "operator '@' is reserved"},
        {"{|a}", 1, "operator '|' is reserved"},
        {"{a b}", 2, "invalid character ' ' in variable name"},
        {"{a-b}", 2, "invalid character '-' in variable name"},
        {"{a{b}", 2, "invalid character '{' in variable name"},
        {"{$a}", 1, "invalid character '$' in variable name"},
        {"{.a..b}", 3, "'.' in variable name 'a.' must be followed"},
        {"{a.}", 2, "'.' in variable name"},
        {"{..a}", 2, "invalid character '.' in variable name"},
        {"{%zz}", 1, "'%' in a variable name must start a %XX escape"},
        {"{a%2}", 2, "invalid character '%' in variable name"},
        {"{a,}", 3, "missing variable name"},
        {"{a,,b}", 3, "missing variable name"},
        {"{a:0}", 3, "prefix length must be a number from 1 to 9999"},
        {"{a:01}", 3, "without a leading 0"},
        {"{a:10000}", 3, "prefix length 10000 is over 9999"},
        {"{a:}", 3, "prefix length after ':'"},
        {"{a:x}", 3, "prefix length after ':'"},
        {"{a:-1}", 3, "prefix length after ':'"},
        {"{a:3*}", 4, "both a prefix and explode"},
        {"{a*:3}", 3, "both explode and a prefix"},
        {"{a*b}", 3, "expected ',' or '}'"},
        {"{a:3b}", 4, "expected ',' or '}'"},
        /* offsets count characters: the two CJK characters are one each */
        {"\xe4\xb8\xad\xe6\x96\x87/{a b}", 5, "invalid character ' '"},
        {"\xe4\xb8\xad}", 1, "'}' without"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wx_uri_template_t *t = (wx_uri_template_t *)(void *)&t;  /* must be reset to NULL */
        wx_error_t err;
        memset(&err, 0, sizeof err);
        wx_err rc = wx_uri_template_parse(bad[i].tmpl, &t, &err);
        char where[32];
        snprintf(where, sizeof where, "offset %zu", bad[i].offset);
        if (rc != WX_E_TEMPLATE || strcmp(err.where, where) != 0 ||
            !strstr(err.message, bad[i].words)) {
            print_error("template %s: %s where=\"%s\" message=\"%s\"; expected %s \"%s\"\n",
                        bad[i].tmpl, wx_err_name(rc), err.where, err.message, where,
                        bad[i].words);
            fail();
        }
        assert_null(t);
        assert_int_equal(err.code, WX_E_TEMPLATE);
        /* The one-call form reports the same. */
        char *out = (char *)"x";
        assert_int_equal(wx_uri_expand(bad[i].tmpl, NULL, WX_URI_RFC, &out, NULL), WX_E_TEMPLATE);
        assert_null(out);
    }
}

static void test_valid_edge_templates(void **state)
{
    (void)state;
    json_object *vars = parse_json("{\"a.b\": \"dot\", \"a%20b\": \"pct\", \"_9\": \"u\","
                                   " \"v\": \"abcdef\"}");
    expect_expansion("{a.b}", vars, WX_URI_RFC, "dot");
    expect_expansion("{a%20b}", vars, WX_URI_RFC, "pct");
    expect_expansion("{?a%20b}", vars, WX_URI_RFC, "?a%20b=pct");
    expect_expansion("{_9}", vars, WX_URI_RFC, "u");
    expect_expansion("{v:9999}", vars, WX_URI_RFC, "abcdef");
    expect_expansion("{v:1}", vars, WX_URI_RFC, "a");
    json_object_put(vars);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_uri_template_t *t = NULL;
    char *out = NULL;
    assert_int_equal(wx_uri_template_parse(NULL, &t, &err), WX_E_INVALID_ARG);
    assert_int_equal(wx_uri_template_parse("{a}", NULL, &err), WX_E_INVALID_ARG);
    assert_int_equal(wx_uri_expand(NULL, NULL, WX_URI_RFC, &out, &err), WX_E_INVALID_ARG);
    assert_int_equal(wx_uri_template_expand(NULL, NULL, WX_URI_RFC, &out, &err),
                     WX_E_INVALID_ARG);

    assert_int_equal(wx_uri_template_parse("{a}", &t, &err), WX_OK);
    assert_int_equal(wx_uri_template_expand(t, NULL, WX_URI_RFC, NULL, &err), WX_E_INVALID_ARG);
    assert_int_equal(wx_uri_template_expand(t, NULL, (wx_uri_mode)7, &out, &err),
                     WX_E_INVALID_ARG);
    json_object *arr = parse_json("[1]");
    assert_int_equal(wx_uri_template_expand(t, arr, WX_URI_RFC, &out, &err), WX_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "JSON object"));
    assert_null(out);
    json_object_put(arr);
    /* NULL vars: every variable is undefined */
    assert_int_equal(wx_uri_template_expand(t, NULL, WX_URI_RFC, &out, &err), WX_OK);
    assert_string_equal(out, "");
    wx_free(out);
    wx_uri_template_free(t);
    wx_uri_template_free(NULL);
    assert_int_equal(wx_uri_template_var_count(NULL), 0);
    assert_null(wx_uri_template_var_name(NULL, 0));
}

/* A prefix on a list or a map, and nested composites, are template errors. */
static void test_value_type_errors(void **state)
{
    (void)state;
    json_object *vars = parse_json("{\"list\": [\"a\"], \"keys\": {\"k\": \"v\"},"
                                   " \"nested\": [[1]], \"deep\": {\"k\": {\"x\": 1}}}");
    static const struct {
        const char *tmpl;
        const char *where;
        const char *words;
    } bad[] = {
        {"{list:3}", "offset 1", "prefix (:3) cannot apply to a list"},
        {"x{/keys:2}", "offset 3", "prefix (:2) cannot apply to a map"},
        {"\xe4\xb8\xad{keys}/\xc3\xa9{list:1}", "offset 10", "prefix (:1) cannot apply to a list"},
        {"{nested}", "offset 1", "list member 0 is an array"},
        {"{?deep*}", "offset 2", "map member 'k' is an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int mode = WX_URI_RFC; mode <= WX_URI_REQUEST; mode++) {
            wx_error_t err;
            memset(&err, 0, sizeof err);
            char *out = (char *)"x";
            wx_err rc = wx_uri_expand(bad[i].tmpl, vars, (wx_uri_mode)mode, &out, &err);
            if (rc != WX_E_TEMPLATE || strcmp(err.where, bad[i].where) != 0 ||
                !strstr(err.message, bad[i].words)) {
                print_error("%s: %s where=%s message=%s\n", bad[i].tmpl, wx_err_name(rc),
                            err.where, err.message);
                fail();
            }
            assert_null(out);
        }
    }
    json_object_put(vars);
}

/* ------------------------------------------------------------------ request mode */

static void expect_missing(const char *tmpl, json_object *vars, const char *name)
{
    wx_error_t err;
    memset(&err, 0, sizeof err);
    char *out = (char *)"x";
    wx_err rc = wx_uri_expand(tmpl, vars, WX_URI_REQUEST, &out, &err);
    if (rc != WX_E_MISSING_VAR || strcmp(err.where, name) != 0) {
        print_error("%s: %s where=%s (expected missing %s)\n", tmpl, wx_err_name(rc), err.where,
                    name);
        fail();
    }
    assert_non_null(strstr(err.message, name));
    assert_null(out);
}

static void test_request_missing_variable(void **state)
{
    (void)state;
    json_object *vars = parse_json("{\"a\": \"1\", \"nul\": null, \"el\": [], \"em\": {},"
                                   " \"allnull\": {\"k\": null}, \"empty\": \"\"}");
    expect_missing("v3/pay/transactions/id/{transaction_id}", vars, "transaction_id");
    expect_missing("v3/pay/transactions/id/{transaction_id}", NULL, "transaction_id");
    expect_missing("{a}/{b}", vars, "b");
    expect_missing("{+a,zz}", vars, "zz");
    expect_missing("{nul}", vars, "nul");
    expect_missing("{/el*}", vars, "el");
    expect_missing("{?em}", vars, "em");
    expect_missing("{;allnull*}", vars, "allnull");
    /* RFC mode skips the same variables */
    expect_expansion("{a}/{b}", vars, WX_URI_RFC, "1/");
    /* an empty string is defined */
    expect_expansion("x/{empty}/y", vars, WX_URI_REQUEST, "x//y");
    json_object_put(vars);
}

static void test_request_injection(void **state)
{
    (void)state;
    json_object *vars = json_object_new_object();
    json_object_object_add(vars, "v", json_object_new_string("a/b?c#d\r\n"));
    json_object_object_add(vars, "z", json_object_new_string_len("a\0b c", 5));
    json_object *l = json_object_new_array();
    json_object_array_add(l, json_object_new_string("a/b?c#d\r\n"));
    json_object_array_add(l, json_object_new_string("x"));
    json_object_object_add(vars, "l", l);
    json_object *m = json_object_new_object();
    json_object_object_add(m, "k?#\r\n", json_object_new_string("a/b?c#d\r\n"));
    json_object_object_add(vars, "m", m);

    static const vector req[] = {
        {"{v}", "a%2Fb%3Fc%23d%0D%0A"},
        {"{+v}", "a/b%3Fc%23d%0D%0A"},
        {"{.v}", ".a%2Fb%3Fc%23d%0D%0A"},
        {"{/v}", "/a%2Fb%3Fc%23d%0D%0A"},
        {"{;v}", ";v=a%2Fb%3Fc%23d%0D%0A"},
        {"{?v}", "?v=a%2Fb%3Fc%23d%0D%0A"},
        {"{&v}", "&v=a%2Fb%3Fc%23d%0D%0A"},
        {"{v:4}", "a%2Fb%3F"},
        {"{+v:4}", "a/b%3F"},
        {"{z}", "a%00b%20c"},
        {"{+z}", "a%00b%20c"},
        {"{+l}", "a/b%3Fc%23d%0D%0A,x"},
        {"{/l*}", "/a%2Fb%3Fc%23d%0D%0A/x"},
        {"{?l*}", "?l=a%2Fb%3Fc%23d%0D%0A&l=x"},
        {"{+m}", "k%3F%23%0D%0A,a/b%3Fc%23d%0D%0A"},
        {"{+m*}", "k%3F%23%0D%0A=a/b%3Fc%23d%0D%0A"},
        {"{;m*}", ";k%3F%23%0D%0A=a%2Fb%3Fc%23d%0D%0A"},
        {"v3/x/{v}/y", "v3/x/a%2Fb%3Fc%23d%0D%0A/y"},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        expect_expansion(req[i].tmpl, vars, WX_URI_REQUEST, req[i].expect);
    /* A fragment is never sent: a fragment expression has no place in a request path. */
    static const char *const fragments[] = {"{#v}", "{#z}", "{#l*}", "{#m*}", "v3/x{#v}"};
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        char *out = NULL;
        wx_error_t err = {0};
        assert_int_equal(wx_uri_expand(fragments[i], vars, WX_URI_REQUEST, &out, &err),
                         WX_E_TEMPLATE);
        assert_null(out);
        assert_non_null(strstr(err.message, "fragment"));
    }

    /* RFC mode lets ? and # through {+} and {#}, as the RFC says; CR/LF stay encoded. */
    expect_expansion("{+v}", vars, WX_URI_RFC, "a/b?c#d%0D%0A");
    expect_expansion("{#v}", vars, WX_URI_RFC, "#a/b?c#d%0D%0A");
    expect_expansion("{+m*}", vars, WX_URI_RFC, "k?#%0D%0A=a/b?c#d%0D%0A");
    expect_expansion("{v}", vars, WX_URI_RFC, "a%2Fb%3Fc%23d%0D%0A");

    /* Already-encoded triplets pass through {+} in both modes: they cannot end a path. */
    json_object_object_add(vars, "p", json_object_new_string("%3F%23%2F%zz"));
    expect_expansion("{+p}", vars, WX_URI_REQUEST, "%3F%23%2F%25zz");
    expect_expansion("{p}", vars, WX_URI_REQUEST, "%253F%2523%252F%25zz");
    json_object_put(vars);
}

/* ------------------------------------------------------------------ prefixes */

static void test_prefix_utf8(void **state)
{
    (void)state;
    json_object *vars = json_object_new_object();
    /* 中文字: three characters, nine bytes */
    json_object_object_add(vars, "s", json_object_new_string("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97"));
    json_object_object_add(vars, "mix", json_object_new_string("a\xe4\xb8\xad" "b"));
    json_object_object_add(vars, "emoji", json_object_new_string("\xf0\x9f\x98\x80x"));
    json_object_object_add(vars, "two", json_object_new_string("\xc3\xa9t\xc3\xa9"));
    json_object_object_add(vars, "pct", json_object_new_string("%E4%B8%AD%E6%96%87"));
    json_object_object_add(vars, "pcta", json_object_new_string("%20%2Fxyz"));
    json_object_object_add(vars, "broken", json_object_new_string_len("\xe4\xb8z\x80q", 5));

    expect_expansion("{s:1}", vars, WX_URI_RFC, "%E4%B8%AD");
    expect_expansion("{s:2}", vars, WX_URI_RFC, "%E4%B8%AD%E6%96%87");
    expect_expansion("{s:3}", vars, WX_URI_RFC, "%E4%B8%AD%E6%96%87%E5%AD%97");
    expect_expansion("{s:50}", vars, WX_URI_RFC, "%E4%B8%AD%E6%96%87%E5%AD%97");
    expect_expansion("{+s:1}", vars, WX_URI_REQUEST, "%E4%B8%AD");
    expect_expansion("{?s:1}", vars, WX_URI_RFC, "?s=%E4%B8%AD");
    expect_expansion("{mix:2}", vars, WX_URI_RFC, "a%E4%B8%AD");
    expect_expansion("{emoji:1}", vars, WX_URI_RFC, "%F0%9F%98%80");
    expect_expansion("{two:2}", vars, WX_URI_RFC, "%C3%A9t");
    /* a %XX triplet is never cut, and encoded UTF-8 counts as one character */
    expect_expansion("{+pct:1}", vars, WX_URI_RFC, "%E4%B8%AD");
    expect_expansion("{#pct:2}", vars, WX_URI_RFC, "#%E4%B8%AD%E6%96%87");
    expect_expansion("{pct:1}", vars, WX_URI_RFC, "%25E4%25B8%25AD");
    expect_expansion("{+pcta:2}", vars, WX_URI_RFC, "%20%2F");
    expect_expansion("{+pcta:3}", vars, WX_URI_RFC, "%20%2Fx");
    /* malformed UTF-8: each stray byte is one character */
    expect_expansion("{broken:1}", vars, WX_URI_RFC, "%E4");
    expect_expansion("{broken:3}", vars, WX_URI_RFC, "%E4%B8z");
    expect_expansion("{broken:4}", vars, WX_URI_RFC, "%E4%B8z%80");
    json_object_put(vars);
}

/* ------------------------------------------------------------------ numbers */

static void test_numbers_and_booleans(void **state)
{
    (void)state;
    json_object *vars = parse_json(
        "{\"n\": 42, \"neg\": -7, \"big\": 18446744073709551615, \"f\": 1.50, \"e\": 1e3,"
        " \"t\": true, \"fa\": false, \"nums\": [1, 2.5, true], \"m\": {\"a\": 1, \"b\": false},"
        " \"zero\": 0}");
    json_object_object_add(vars, "d3", json_object_new_double(3.0));
    json_object_object_add(vars, "dq", json_object_new_double(0.25));
    json_object_object_add(vars, "i64", json_object_new_int64(-9223372036854775807LL - 1));
    expect_expansion("{n}", vars, WX_URI_RFC, "42");
    expect_expansion("{neg}", vars, WX_URI_RFC, "-7");
    expect_expansion("{big}", vars, WX_URI_RFC, "18446744073709551615");
    expect_expansion("{i64}", vars, WX_URI_RFC, "-9223372036854775808");
    expect_expansion("{f}", vars, WX_URI_RFC, "1.50");
    expect_expansion("{e}", vars, WX_URI_RFC, "1e3");
    expect_expansion("{d3}", vars, WX_URI_RFC, "3.0");
    expect_expansion("{dq}", vars, WX_URI_RFC, "0.25");
    expect_expansion("{t},{fa}", vars, WX_URI_RFC, "true,false");
    expect_expansion("{nums}", vars, WX_URI_RFC, "1,2.5,true");
    expect_expansion("{?m*}", vars, WX_URI_RFC, "?a=1&b=false");
    expect_expansion("{n:1}", vars, WX_URI_RFC, "4");
    expect_expansion("{;n,zero}", vars, WX_URI_RFC, ";n=42;zero=0");
    expect_expansion("v3/pay/transactions/id/{n}", vars, WX_URI_REQUEST,
                     "v3/pay/transactions/id/42");
    json_object_put(vars);
}

/* ------------------------------------------------------------------ names */

static void test_var_names(void **state)
{
    (void)state;
    wx_uri_template_t *t = NULL;
    assert_int_equal(wx_uri_template_parse("x{a}{b,a}/{+c*}{?d:3}{a.b}", &t, NULL), WX_OK);
    assert_int_equal(wx_uri_template_var_count(t), 5);
    assert_string_equal(wx_uri_template_var_name(t, 0), "a");
    assert_string_equal(wx_uri_template_var_name(t, 1), "b");
    assert_string_equal(wx_uri_template_var_name(t, 2), "c");
    assert_string_equal(wx_uri_template_var_name(t, 3), "d");
    assert_string_equal(wx_uri_template_var_name(t, 4), "a.b");
    assert_null(wx_uri_template_var_name(t, 5));
    assert_false(wx_uri_template_is_literal(t));
    wx_uri_template_free(t);

    assert_int_equal(wx_uri_template_parse("v3/industry-coupon/tokens", &t, NULL), WX_OK);
    assert_int_equal(wx_uri_template_var_count(t), 0);
    assert_null(wx_uri_template_var_name(t, 0));
    assert_true(wx_uri_template_is_literal(t));
    wx_uri_template_free(t);

    /* many names, each used twice: the distinct set keeps first-use order */
    enum { MANY = 5000 };
    char *big = malloc(MANY * 2 * 10 + 1), *p = big;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < MANY; i++)
            p += sprintf(p, "{v%d}", round ? MANY - 1 - i : i);
    assert_int_equal(wx_uri_template_parse(big, &t, NULL), WX_OK);
    free(big);
    assert_int_equal(wx_uri_template_var_count(t), MANY);
    assert_string_equal(wx_uri_template_var_name(t, 0), "v0");
    assert_string_equal(wx_uri_template_var_name(t, MANY - 1), "v4999");
    assert_null(wx_uri_template_var_name(t, MANY));
    wx_uri_template_free(t);

    assert_int_equal(wx_uri_template_parse("", &t, NULL), WX_OK);
    assert_int_equal(wx_uri_template_var_count(t), 0);
    assert_true(wx_uri_template_is_literal(t));
    wx_uri_template_free(t);
}

/* ------------------------------------------------------------------ callback form */

typedef struct kv_vars {
    const char *name;
    const char *value;
    size_t len;
} kv_vars;

static void kv_lookup(void *ud, const char *name, size_t len, wx_uri_value *out)
{
    for (const kv_vars *v = ud; v->name; v++) {
        if (strlen(v->name) == len && memcmp(v->name, name, len) == 0) {
            out->type = WX_UV_STRING;
            out->str = v->value;
            out->len = v->len;
            return;
        }
    }
}

static void test_callback_form(void **state)
{
    (void)state;
    static const kv_vars vars[] = {
        {"transaction_id", "4200001234", 10},
        {"nul", "a\0b", 3},
        {"empty", NULL, 0},
        {NULL, NULL, 0},
    };
    wx_uri_template_t *t = NULL;
    assert_int_equal(wx_uri_template_parse("/v3/pay/transactions/id/{transaction_id}{;nul,empty}",
                                           &t, NULL),
                     WX_OK);
    wx_buf b = WX_BUF_INIT;
    wx_buf_puts(&b, "https://api.example/");
    assert_int_equal(wx_uri_template_expand_fn(t, kv_lookup, (void *)vars, WX_URI_REQUEST, &b, NULL),
                     WX_OK);
    assert_string_equal(wx_buf_str(&b),
                        "https://api.example//v3/pay/transactions/id/4200001234;nul=a%00b;empty");
    wx_uri_template_free(t);

    /* on an error the buffer is put back as it was */
    assert_int_equal(wx_uri_template_parse("/x/{transaction_id}/{missing}", &t, NULL), WX_OK);
    wx_buf_reset(&b);
    wx_buf_puts(&b, "keep");
    wx_error_t err;
    memset(&err, 0, sizeof err);
    assert_int_equal(wx_uri_template_expand_fn(t, kv_lookup, (void *)vars, WX_URI_REQUEST, &b, &err),
                     WX_E_MISSING_VAR);
    assert_string_equal(err.where, "missing");
    assert_string_equal(wx_buf_str(&b), "keep");
    assert_int_equal(b.len, 4);
    /* the same template in RFC mode */
    assert_int_equal(wx_uri_template_expand_fn(t, kv_lookup, (void *)vars, WX_URI_RFC, &b, &err),
                     WX_OK);
    assert_string_equal(wx_buf_str(&b), "keep/x/4200001234/");
    assert_int_equal(wx_uri_template_expand_fn(NULL, kv_lookup, NULL, WX_URI_RFC, &b, &err),
                     WX_E_INVALID_ARG);
    assert_int_equal(wx_uri_template_expand_fn(t, NULL, NULL, WX_URI_RFC, &b, &err),
                     WX_E_INVALID_ARG);
    wx_uri_template_free(t);

    /* an output limit on the buffer is reported, and the buffer restored */
    assert_int_equal(wx_uri_template_parse("{transaction_id}{transaction_id}", &t, NULL), WX_OK);
    wx_buf small = WX_BUF_INIT;
    small.limit = 12;
    assert_int_equal(
        wx_uri_template_expand_fn(t, kv_lookup, (void *)vars, WX_URI_RFC, &small, &err),
        WX_E_TOO_LARGE);
    assert_int_equal(small.len, 0);
    wx_buf_free(&small);
    wx_uri_template_free(t);
    wx_buf_free(&b);
}

/* ------------------------------------------------------------------ allocations */

static size_t g_allocs;      /* allocations so far */
static size_t g_fail_at;     /* 0 = never, else fail the Nth */
static long g_live;

static void *count_malloc(size_t n)
{
    if (g_fail_at && ++g_allocs >= g_fail_at)
        return NULL;
    if (!g_fail_at)
        g_allocs++;
    void *p = malloc(n);
    if (p)
        g_live++;
    return p;
}

static void *count_realloc(void *p, size_t n)
{
    if (g_fail_at && ++g_allocs >= g_fail_at)
        return NULL;
    if (!g_fail_at)
        g_allocs++;
    void *q = realloc(p, n);
    if (q && !p)
        g_live++;
    return q;
}

static void count_free(void *p)
{
    if (p)
        g_live--;
    free(p);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    json_object *vars = parse_json(k_rfc_vars);
    const wx_allocator_t counting = {count_malloc, count_realloc, count_free};
    const char *tmpl = "X{.list*}/{+base}{?keys*}&more={hello}{#path:3}/a-long-literal-tail-"
                       "that-needs-the-buffer-to-grow-past-sixty-four-bytes";
    int succeeded = 0;
    for (size_t n = 1; n < 64 && !succeeded; n++) {
        wx_set_allocator(&counting);
        g_allocs = 0;
        g_fail_at = n;
        g_live = 0;
        char *out = NULL;
        wx_error_t err;
        memset(&err, 0, sizeof err);
        wx_err rc = wx_uri_expand(tmpl, vars, WX_URI_RFC, &out, &err);
        if (rc == WX_OK) {
            succeeded = 1;
            wx_free(out);
        } else {
            assert_int_equal(rc, WX_E_NOMEM);
            assert_null(out);
        }
        wx_set_allocator(NULL);
        assert_int_equal(g_live, 0);
    }
    assert_true(succeeded);
    g_fail_at = 0;
    json_object_put(vars);
}

/* The hot path allocates only to grow its output: a reused buffer needs nothing. */
static void test_expansion_does_not_allocate(void **state)
{
    (void)state;
    json_object *vars = parse_json("{\"transaction_id\": \"4200000123202401011234567890\"}");
    wx_uri_template_t *t = NULL;
    assert_int_equal(wx_uri_template_parse("v3/pay/transactions/id/{transaction_id}", &t, NULL),
                     WX_OK);
    wx_buf b = WX_BUF_INIT;
    assert_int_equal(wx_uri_template_expand_fn(t, json_lookup_cb, vars, WX_URI_REQUEST, &b, NULL),
                     WX_OK);
    const wx_allocator_t counting = {count_malloc, count_realloc, count_free};
    wx_set_allocator(&counting);
    g_fail_at = 0;
    g_allocs = 0;
    for (int i = 0; i < 100; i++) {
        wx_buf_reset(&b);
        assert_int_equal(
            wx_uri_template_expand_fn(t, json_lookup_cb, vars, WX_URI_REQUEST, &b, NULL), WX_OK);
    }
    wx_set_allocator(NULL);
    assert_int_equal(g_allocs, 0);
    assert_string_equal(wx_buf_str(&b), "v3/pay/transactions/id/4200000123202401011234567890");
    wx_buf_free(&b);
    wx_uri_template_free(t);
    json_object_put(vars);
}

/* ------------------------------------------------------------------ threads */

typedef struct thread_job {
    const wx_uri_template_t *t;
    json_object *vars;
    int failures;
} thread_job;

static void *expand_many(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 2000; i++) {
        char *out = NULL;
        if (wx_uri_template_expand(job->t, job->vars, WX_URI_REQUEST, &out, NULL) != WX_OK ||
            strcmp(out, "v3/pay/transactions/id/4200/x;n=42;d=2.5?list=red&list=green"
                        "&semi=%3B&dot=.") != 0)
            job->failures++;
        wx_free(out);
    }
    return NULL;
}

static void test_threads_share_a_template(void **state)
{
    (void)state;
    wx_uri_template_t *t = NULL;
    assert_int_equal(
        wx_uri_template_parse("v3/pay/transactions/id/{id}/x{;n,d}{?list*}{&keys*}", &t, NULL),
        WX_OK);
    json_object *vars = parse_json("{\"id\": \"4200\", \"n\": 42, \"list\": [\"red\", \"green\"],"
                                   " \"keys\": {\"semi\": \";\", \"dot\": \".\"}}");
    json_object_object_add(vars, "d", json_object_new_double(2.5));   /* no cached text */
    enum { N = 4 };
    pthread_t th[N];
    thread_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i].t = t;
        jobs[i].vars = vars;
        jobs[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, expand_many, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    json_object_put(vars);
    wx_uri_template_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_level1),
        cmocka_unit_test(test_rfc_level2),
        cmocka_unit_test(test_rfc_level3),
        cmocka_unit_test(test_rfc_level4),
        cmocka_unit_test(test_rfc_3_2_1_variable_expansion),
        cmocka_unit_test(test_rfc_3_2_2_simple),
        cmocka_unit_test(test_rfc_3_2_3_reserved),
        cmocka_unit_test(test_rfc_3_2_4_fragment),
        cmocka_unit_test(test_rfc_3_2_5_label),
        cmocka_unit_test(test_rfc_3_2_6_path),
        cmocka_unit_test(test_rfc_3_2_7_path_param),
        cmocka_unit_test(test_rfc_3_2_8_query),
        cmocka_unit_test(test_rfc_3_2_9_query_continuation),
        cmocka_unit_test(test_empty_members),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_valid_edge_templates),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_value_type_errors),
        cmocka_unit_test(test_request_missing_variable),
        cmocka_unit_test(test_request_injection),
        cmocka_unit_test(test_prefix_utf8),
        cmocka_unit_test(test_numbers_and_booleans),
        cmocka_unit_test(test_var_names),
        cmocka_unit_test(test_callback_form),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_expansion_does_not_allocate),
        cmocka_unit_test(test_threads_share_a_template),
    };
    return cmocka_run_group_tests_name("uritemplate", tests, NULL, NULL);
}
