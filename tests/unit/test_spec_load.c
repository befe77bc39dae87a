/* Loading spec files: JSON and YAML syntax, YAML scalars, $refs across files, broken
 * files (one clear error each), lint, where specs come from and which wins, lazy
 * loading, and random bytes that must never crash the loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <wechatpay/spec.h>
#include <wechatpay/sys/spec.h>

#include "spec/spec_impl.h"
#include "spec/spec_internal.h"
#include "testutil.h"

#define DATA WX_SOURCE_DIR "/tests/data/spec"

static wx_spec_t *open_dirs(const char *const *dirs, int builtin)
{
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = !builtin, .no_env = 1};
    wx_spec_t *s = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_spec_new(&o, &s, &err) != WX_OK)
        fail_msg("wx_spec_new: %s (%s)", err.message, err.where);
    return s;
}

static json_object *parse_text(const char *text, int yaml, wx_spec_problem *prob)
{
    json_object *v = NULL;
    memset(prob, 0, sizeof *prob);
    wx_spec_parse_text("t", text, strlen(text), yaml, &v, prob);
    return v;
}

static void expect_json(const char *yaml, const char *json)
{
    wx_spec_problem prob;
    json_object *v = parse_text(yaml, 1, &prob);
    if (prob.code)
        fail_msg("YAML %s: %s: %s", yaml, prob.keypath, prob.message);
    const char *got = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    if (strcmp(got, json) != 0)
        fail_msg("YAML %s\n expected %s\n got      %s", yaml, json, got);
    json_object_put(v);
}

static void expect_yaml_error(const char *yaml, const char *where, const char *part)
{
    wx_spec_problem prob;
    json_object *v = parse_text(yaml, 1, &prob);
    if (v || prob.code != WX_E_SPEC || strcmp(prob.keypath, where) != 0 ||
        !strstr(prob.message, part))
        fail_msg("YAML %s\n expected error at %s containing %s\n got %s: %s", yaml, where, part,
                 prob.keypath, prob.message);
    json_object_put(v);
}

static void test_yaml_scalars(void **state)
{
    (void)state;
    expect_json("a: 16474341\nb: '11004999626'\nc: \"x\"\nd: 1.5\ne: -3\n",
                "{\"a\":16474341,\"b\":\"11004999626\",\"c\":\"x\",\"d\":1.5,\"e\":-3}");
    expect_json("t: true\nf: false\nn: null\nz: ~\ne:\ny: yes\nno: N\non: off\n",
                "{\"t\":true,\"f\":false,\"n\":null,\"z\":null,\"e\":null,\"y\":\"yes\","
                "\"no\":\"N\",\"on\":\"off\"}");
    /* Keys are strings as written; numbers keep their text. */
    expect_json("200: {}\n'201': {}\n", "{\"200\":{},\"201\":{}}");
    expect_json("v: 0.10\nx: 0x1F\no: 0o17\nd: 2024.07.29\nt: 2018-06-08\nip: 14.23.150.211\n",
                "{\"v\":0.10,\"x\":31,\"o\":15,\"d\":\"2024.07.29\",\"t\":\"2018-06-08\","
                "\"ip\":\"14.23.150.211\"}");
    expect_json("big: 123456789012345678901234567890\n",
                "{\"big\":123456789012345678901234567890}");
    expect_json("s: !!str 123\ni: !!int '7'\nq: '~'\n", "{\"s\":\"123\",\"i\":7,\"q\":\"~\"}");
    /* Comments, flow collections, block scalars, Chinese text. */
    expect_json("# c\nlist: [a, 'b', 3] # trailing\nenum:\n  - BARCODE  #一维码\n  - QRCODE\n"
                "text: |\n  line1\n  line2\ndesc: 描述\n",
                "{\"list\":[\"a\",\"b\",3],\"enum\":[\"BARCODE\",\"QRCODE\"],"
                "\"text\":\"line1\\nline2\\n\",\"desc\":\"描述\"}");
    /* Anchors, aliases and merge keys. */
    expect_json("base: &b {type: string, maxLength: 4}\nuse: *b\nmerged:\n  <<: *b\n  maxLength: 8\n",
                "{\"base\":{\"type\":\"string\",\"maxLength\":4},"
                "\"use\":{\"type\":\"string\",\"maxLength\":4},"
                "\"merged\":{\"maxLength\":8,\"type\":\"string\"}}");
    expect_json("\xEF\xBB\xBF" "a: 1\n", "{\"a\":1}");
}

/* YAML 1.2: an anchor defined again names the latest node from there on. */
static void test_yaml_anchor_redefined(void **state)
{
    (void)state;
    expect_json("a: &x 1\nb: *x\nc: &x two\nd: *x\n", "{\"a\":1,\"b\":1,\"c\":\"two\",\"d\":\"two\"}");
    expect_json("- &m {k: 1}\n- *m\n- &m [2]\n- *m\n- {<<: {k: 3}, j: *m}\n",
                "[{\"k\":1},{\"k\":1},[2],[2],{\"j\":[2],\"k\":3}]");
    /* A schema that reuses an anchor name takes the nearer definition. */
    expect_json("s1: &t {type: string}\np1: *t\ns2: &t {type: integer}\np2: *t\n",
                "{\"s1\":{\"type\":\"string\"},\"p1\":{\"type\":\"string\"},"
                "\"s2\":{\"type\":\"integer\"},\"p2\":{\"type\":\"integer\"}}");
}

static void test_yaml_errors(void **state)
{
    (void)state;
    expect_yaml_error("a: [1, 2\n", "line 2, column 1", "invalid YAML");
    expect_yaml_error("a: 1\n b: 2\n", "line 2, column 3", "invalid YAML");
    expect_yaml_error("a: 1\na: 2\n", "line 2, column 4", "duplicate key \"a\"");
    expect_yaml_error("a: *nope\n", "line 1, column 4", "unknown alias *nope");
    expect_yaml_error("a: &x\n  b: *x\n", "line 2, column 6", "refers to a node that contains it");
    expect_yaml_error("? [a]\n: 1\n", "line 1, column 3", "complex mapping keys");
    expect_yaml_error("a: 1\n---\nb: 2\n", "line 2, column 1", "more than one document");
    expect_yaml_error("", "", "the file is empty");
    expect_yaml_error("# only a comment\n", "", "the file is empty");
    expect_yaml_error("i: !!int abc\n", "line 1, column 4", "is not an integer");
    /* Alias expansion is bounded ("billion laughs"). */
    wx_buf b = WX_BUF_INIT;
    wx_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++)
        wx_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    wx_spec_problem prob;
    json_object *v = parse_text(wx_buf_str(&b), 1, &prob);
    assert_null(v);
    assert_non_null(strstr(prob.message, "too many nodes once aliases are expanded"));
    wx_buf_free(&b);
}

static void test_json_errors(void **state)
{
    (void)state;
    wx_spec_problem prob;
    assert_null(parse_text("{\"a\": 1,}", 0, &prob));
    assert_int_equal(prob.code, WX_E_SPEC);
    assert_string_equal(prob.keypath, "line 1, column 9");
    assert_non_null(strstr(prob.message, "invalid JSON"));
    assert_null(parse_text("{\"a\":\n  [1, 2", 0, &prob));
    assert_non_null(strstr(prob.message, "invalid JSON"));
    assert_null(parse_text("{} {}", 0, &prob));
    assert_string_equal(prob.keypath, "line 1, column 4");
    assert_non_null(strstr(prob.message, "invalid JSON"));
    assert_null(parse_text("", 0, &prob));
    assert_non_null(strstr(prob.message, "invalid JSON"));
    json_object *v = parse_text("  42  ", 0, &prob);
    assert_int_equal(prob.code, WX_OK);
    assert_int_equal(json_object_get_int(v), 42);
    json_object_put(v);
}

typedef struct lint_log {
    char text[8192];
    size_t len;
} lint_log;

static void log_item(void *ud, const wx_lint_item_t *it)
{
    lint_log *l = ud;
    if (it->is_error) {
        /* Relative to the data folder, so the expectations do not depend on the checkout. */
        const char *f = strstr(it->file, "/v3/") ? strstr(it->file, "/v3/") + 1 : it->file;
        l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s %s | %s | %s\n",
                                   it->is_warning ? "WARN" : "ERR", f, it->where, it->message);
    } else {
        l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s %s\n",
                                   it->method, it->tmpl);
    }
}

static void test_broken_files(void **state)
{
    (void)state;
    const char *dirs[] = {DATA "/broken", NULL};
    wx_spec_t *s = open_dirs(dirs, 0);
    lint_log log = {{0}, 0};
    size_t neps, nerr;
    assert_int_equal(wx_spec_lint(s, log_item, &log, &neps, &nerr), WX_E_SPEC);
    assert_int_equal(neps, 3);
    assert_int_equal(nerr, 6);
    const char *expected =
        "ERR v3/bad-json.json | line 3, column 55 | invalid JSON: unexpected character\n"
        "ERR v3/bad-pattern.yaml | get.parameters[0].pattern | invalid pattern ^[z-a]$: "
        "range out of order in character class at offset 4 [degrades GET /v3/bad-pattern: not "
        "available]\n"
        "ERR v3/bad-yaml.yaml | line 7, column 1 | invalid YAML: did not find expected node "
        "content (while parsing a flow node)\n"
        "ERR v3/cycle.yaml | definitions.B.$ref | $ref cycle: '#/definitions/A' leads back to "
        "itself without going through a property or an item [degrades POST /v3/cycle: not "
        "available]\n"
        /* A broken response costs the operation its response validation, nothing more. */
        "GET /v3/dangling\n"
        "WARN v3/dangling.yaml | get.responses.200.schema.$ref | warning: dangling $ref "
        "'#/definitions/Nope': " DATA "/broken/v3/dangling.yaml has no '/definitions/Nope' "
        "[degrades GET /v3/dangling: responses not validated]\n"
        "GET /v3/missing-file\n"
        "WARN v3/missing-file.yaml | get.responses.200.schema.$ref | warning: $ref "
        "'../definitions/Nope.yaml#/X': no such file in the spec tree: definitions/Nope.yaml "
        "[degrades GET /v3/missing-file: responses not validated]\n"
        "GET /v3/ok\n"
        "ERR v3/required-not-list.yaml | post.parameters[0].schema.properties.open_id.required "
        "| required must be a list of strings [degrades POST /v3/required-not-list: not "
        "available]\n"
        "ERR v3/unknown-type.json | post.parameters[0].schema.properties.stock_id.type | "
        "unknown type \"int\" [degrades POST /v3/unknown-type: not available]\n";
    assert_string_equal(log.text, expected);

    /* wx_spec_find on a broken file: WX_E_SPEC naming the file and key path. */
    const wx_endpoint_t *ep = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    assert_int_equal(wx_spec_find(s, "POST", "/v3/unknown-type", &ep, NULL, &err), WX_E_SPEC);
    assert_null(ep);
    assert_string_equal(err.where, DATA "/broken/v3/unknown-type.json: "
                                         "post.parameters[0].schema.properties.stock_id.type");
    assert_string_equal(err.message, "unknown type \"int\"");
    /* Asking again gives the same answer from the cache. */
    memset(&err, 0, sizeof err);
    assert_int_equal(wx_spec_find(s, "GET", "/v3/bad-yaml", &ep, NULL, &err), WX_E_SPEC);
    assert_string_equal(err.where, DATA "/broken/v3/bad-yaml.yaml: line 7, column 1");
    assert_int_equal(wx_spec_find(s, "GET", "/v3/ok", &ep, NULL, &err), WX_OK);
    wx_spec_free(s);
}

/* A cross-file error names the file where it is, and the file it was reached from. */
static void test_cross_file_error(void **state)
{
    (void)state;
    static const wx_builtin_spec_t table[] = {
        {"defs/A.yaml", "A:\n  type: object\n  properties:\n    x: {minLength: -2}\n", 0},
        {"v3/x.yaml",
         "get:\n  parameters: [{name: n, in: query, required: true, type: string}]\n"
         "  responses:\n    200:\n      schema: {$ref: '../defs/A.yaml#A'}\n"
         "post:\n  parameters: [{name: b, in: body, schema: {$ref: '../defs/A.yaml#A'}}]\n",
         0},
        {NULL, NULL, 0}};
    wx_builtin_spec_t t[3];
    memcpy(t, table, sizeof t);
    for (int i = 0; t[i].path; i++)
        t[i].len = strlen(t[i].data);
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_test_new_table(t, &s, NULL), WX_OK);
    const wx_endpoint_t *ep;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    /* In a response: the endpoint loads, its responses are not validated. */
    assert_int_equal(wx_spec_find(s, "GET", "v3/x", &ep, NULL, &err), WX_OK);
    assert_string_equal(wx_endpoint_response_problem(ep),
                        "<memory>/defs/A.yaml: A.properties.x.minLength: minLength must be a "
                        "non-negative integer (reached from <memory>/v3/x.yaml: "
                        "get.responses.200.schema.$ref)");
    json_object *anything = json_tokener_parse("[1]");
    wx_violations_t *v = NULL;
    assert_int_equal(wx_endpoint_validate_response(ep, 200, anything, &v), WX_OK);
    wx_violations_free(v);
    json_object_put(anything);
    /* In a request: that operation is unavailable, with the same detail; the file's
     * other operation works, and so does its request validation. */
    assert_int_equal(wx_spec_find(s, "POST", "v3/x", &ep, NULL, &err), WX_E_SPEC);
    assert_string_equal(err.where, "<memory>/defs/A.yaml: A.properties.x.minLength");
    assert_string_equal(err.message, "minLength must be a non-negative integer (reached from "
                                     "<memory>/v3/x.yaml: post.parameters[0].schema.$ref)");
    assert_int_equal(wx_spec_find(s, "GET", "v3/x", &ep, NULL, &err), WX_OK);
    wx_request_view_t rv = {NULL, NULL, NULL, NULL, 0};
    assert_int_equal(wx_endpoint_validate_request(ep, &rv, &v), WX_E_VALIDATION);
    assert_string_equal(wx_violations_at(v, 0)->path, "query.n");
    wx_violations_free(v);
    assert_null(wx_endpoint_response_problem(NULL));
    wx_spec_free(s);
}

/* A loop of $ref/allOf across files, closed through a definition finished earlier in the
 * same compile, is a load error (it would recurse forever in the validator), and it
 * leaves the other endpoints of the set working. */
static void test_cross_file_loop(void **state)
{
    (void)state;
    static const wx_builtin_spec_t table[] = {
        {"defs/D.yaml",
         "a:\n  allOf: [{$ref: '#/b'}]\n  properties:\n    p: {$ref: '#/b'}\n"
         "b:\n  $ref: '#/a'\nok:\n  properties:\n    q: {$ref: '#/ok'}\n",
         0},
        {"v3/loop.yaml",
         "get:\n  responses:\n    200:\n      schema: {$ref: '../defs/D.yaml#a'}\n"
         "post:\n  parameters: [{name: b, in: body, schema: {$ref: '../defs/D.yaml#a'}}]\n",
         0},
        {"v3/ok.yaml", "get:\n  responses:\n    200:\n      schema: {$ref: '../defs/D.yaml#ok'}\n",
         0},
        {NULL, NULL, 0}};
    wx_builtin_spec_t t[4];
    memcpy(t, table, sizeof t);
    for (int i = 0; t[i].path; i++)
        t[i].len = strlen(t[i].data);
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_test_new_table(t, &s, NULL), WX_OK);
    const wx_endpoint_t *ep = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    /* The loop is in GET's response: GET loads without response validation. */
    assert_int_equal(wx_spec_find(s, "GET", "v3/loop", &ep, NULL, &err), WX_OK);
    assert_non_null(strstr(wx_endpoint_response_problem(ep), "<memory>/defs/D.yaml: a: $ref cycle"));
    /* In POST's body it makes POST unavailable; the schemas rolled back with the failed
     * part are compiled afresh (and fail again) rather than found half-built. */
    assert_int_equal(wx_spec_find(s, "POST", "v3/loop", &ep, NULL, &err), WX_E_SPEC);
    assert_null(ep);
    assert_string_equal(err.where, "<memory>/defs/D.yaml: a");
    assert_non_null(strstr(err.message, "$ref cycle"));
    assert_int_equal(wx_spec_find(s, "GET", "v3/ok", &ep, NULL, &err), WX_OK);
    json_object *body = json_tokener_parse("{\"q\":{\"q\":{}}}");
    wx_violations_t *v = NULL;
    assert_int_equal(wx_endpoint_validate_response(ep, 200, body, &v), WX_OK);
    wx_violations_free(v);
    json_object_put(body);
    size_t neps, nerr;
    assert_int_equal(wx_spec_lint(s, NULL, NULL, &neps, &nerr), WX_E_SPEC);
    assert_int_equal(neps, 2);
    assert_int_equal(nerr, 1);
    wx_spec_free(s);
}

static void write_file(const char *dir, const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Links back up the tree (to a parent, to the root, to the folder itself, and through a
 * sibling link) are not followed: lint ends at once with each endpoint once; a link to
 * a sibling folder is an ordinary folder. */
static void test_symlink_loop(void **state)
{
    (void)state;
    char dir[] = "/tmp/wx-spec-loop-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const char *const dirs_made[] = {"v3", "v3/a"};
    char p[512], t[512];
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, dirs_made[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    const char *op = "get:\n  responses: {200: {description: ok}}\n";
    write_file(dir, "v3/ok.yaml", op);
    write_file(dir, "v3/a/b.yaml", op);
    static const char *const links[][2] = {
        {"..", "v3/a/up"}, {"../..", "v3/a/top"}, {".", "v3/self"}, {"a", "v3/alias"}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, links[i][1]);
        assert_int_equal(symlink(links[i][0], p), 0);
    }
    const char *dirs[] = {dir, NULL};
    wx_spec_t *s = open_dirs(dirs, 0);
    lint_log log = {{0}, 0};
    size_t neps, nerr;
    assert_int_equal(wx_spec_lint(s, log_item, &log, &neps, &nerr), WX_OK);
    assert_string_equal(log.text, "GET /v3/a/b\nGET /v3/alias/b\nGET /v3/ok\n");
    const wx_endpoint_t *ep;
    assert_int_equal(wx_spec_find(s, "GET", "/v3/a/up/ok", &ep, NULL, NULL), WX_E_NOT_FOUND);
    wx_spec_free(s);
    static const char *const rm[] = {"v3/a/up", "v3/a/top", "v3/self", "v3/alias", "v3/ok.yaml",
                                     "v3/a/b.yaml"};
    for (size_t i = 0; i < 6; i++) {
        snprintf(t, sizeof t, "%s/%s", dir, rm[i]);
        unlink(t);
    }
    for (size_t i = 2; i-- > 0;) {
        snprintf(p, sizeof p, "%s/%s", dir, dirs_made[i]);
        rmdir(p);
    }
    rmdir(dir);
}

/* Lint reports every draft-4 meta-schema violation, not only the first one an operation's
 * compile meets: warnings for what validation can live with, errors with what they cost. */
static void test_lint_meta_schema(void **state)
{
    (void)state;
    static wx_builtin_spec_t t[] = {
        {"defs/D.yaml",
         "P:\n  type: object\n  required: []\n  properties:\n"
         "    kind: {type: string, enum: [A, B, A]}\n    n: {type: integer, minimum: 1}\n",
         0},
        {"v3/m.yaml",
         "post:\n  parameters:\n    - name: b\n      in: body\n      schema:\n"
         "        allOf: [{$ref: '../defs/D.yaml#P'}]\n        required: [a, a]\n"
         "        properties: {a: {type: string}, c: {type: [string, string]}}\n"
         "    - {name: q, in: query, type: string, enum: [x, x]}\n"
         "  responses:\n    200:\n      schema:\n        properties:\n"
         "          x: {type: strng}\n          y: 7\n          z: {maxLength: -1}\n"
         "get:\n  responses: {200: {schema: {$ref: '../defs/D.yaml#P'}}}\n"
         "put:\n  parameters:\n    - {name: b, in: body, schema: {type: obj, properties: {w: 'no'}}}\n",
         0},
        {NULL, NULL, 0}};
    for (int i = 0; t[i].path; i++)
        t[i].len = strlen(t[i].data);
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_test_new_table(t, &s, NULL), WX_OK);
    lint_log log = {{0}, 0};
    size_t neps, nerr;
    assert_int_equal(wx_spec_lint(s, log_item, &log, &neps, &nerr), WX_E_SPEC);
    assert_string_equal(
        log.text,
        "GET /v3/m\n"
        "POST /v3/m\n"
        /* Errors first: one in a request schema costs the operation. */
        "ERR v3/m.yaml | put.parameters[0].schema.properties.w | a schema must be an object, not "
        "string [degrades PUT /v3/m: not available]\n"
        "ERR v3/m.yaml | put.parameters[0].schema.type | unknown type \"obj\" [degrades PUT "
        "/v3/m: not available]\n"
        "WARN <memory>/defs/D.yaml | P.properties.kind.enum | warning: enum repeats \"A\" (draft "
        "4: members must differ)\n"
        "WARN <memory>/defs/D.yaml | P.required | warning: required is empty (draft 4: at least "
        "one name)\n"
        "WARN v3/m.yaml | post.parameters[0].schema.properties.c.type | warning: type repeats "
        "\"string\"\n"
        "WARN v3/m.yaml | post.parameters[0].schema.required | warning: required repeats \"a\" "
        "(draft 4: members must differ)\n"
        "WARN v3/m.yaml | post.parameters[1].enum | warning: enum repeats \"x\" (draft 4: members "
        "must differ)\n"
        "WARN v3/m.yaml | post.responses.200.schema.properties.x.type | warning: unknown type "
        "\"strng\" [degrades POST /v3/m: responses not validated]\n"
        "WARN v3/m.yaml | post.responses.200.schema.properties.y | warning: a schema must be an "
        "object, not integer [degrades POST /v3/m: responses not validated]\n"
        "WARN v3/m.yaml | post.responses.200.schema.properties.z.maxLength | warning: maxLength "
        "must be a non-negative integer [degrades POST /v3/m: responses not validated]\n");
    assert_int_equal(neps, 2);
    assert_int_equal(nerr, 2);
    /* Warnings alone leave the set clean for lint's exit status. */
    /* The request side of POST is sound and validates. */
    const wx_endpoint_t *ep = NULL;
    assert_int_equal(wx_spec_find(s, "POST", "/v3/m", &ep, NULL, NULL), WX_OK);
    json_object *body = json_tokener_parse("{\"a\":\"v\",\"n\":0}");
    wx_request_view_t rv = {NULL, NULL, NULL, body, 1};
    wx_violations_t *v = NULL;
    assert_int_equal(wx_endpoint_validate_request(ep, &rv, &v), WX_E_VALIDATION);
    assert_string_equal(wx_violations_at(v, 0)->path, "n");
    wx_violations_free(v);
    json_object_put(body);
    wx_spec_free(s);
}

static void test_lint_basic(void **state)
{
    (void)state;
    const char *dirs[] = {DATA "/basic", NULL};
    wx_spec_t *s = open_dirs(dirs, 0);
    lint_log log = {{0}, 0};
    size_t neps, nerr;
    assert_int_equal(wx_spec_lint(s, log_item, &log, &neps, &nerr), WX_OK);
    assert_int_equal(nerr, 0);
    assert_int_equal(neps, 12);
    assert_string_equal(log.text, "GET /v3/billdownload/file\n"
                                  "GET /v3/items/special\n"
                                  "DELETE /v3/items/{item_id}\n"
                                  "GET /v3/items/{item_id}\n"
                                  "GET /v3/marked\n"
                                  "POST /v3/marked\n"
                                  "GET /v3/marketing/favor/stocks/{stock_id}/use-flow\n"
                                  "GET /v3/merchant-service/images/{media_id}\n"
                                  "POST /v3/oas3/orders\n"
                                  "GET /v3/pay/transactions/id/{transaction_id}\n"
                                  "GET /v3/pay/transactions/out-trade-no/{out_trade_no}\n"
                                  "POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close\n");
    /* 12 endpoint files and the 3 definition files, each read once. */
    assert_int_equal(wx_spec_test_files_read(s), 13);
    /* A second lint reads nothing more. */
    assert_int_equal(wx_spec_lint(s, NULL, NULL, &neps, &nerr), WX_OK);
    assert_int_equal(wx_spec_test_files_read(s), 13);
    wx_spec_free(s);
}

static void test_lazy_loading(void **state)
{
    (void)state;
    const char *dirs[] = {DATA "/basic", NULL};
    wx_spec_t *s = open_dirs(dirs, 0);
    assert_int_equal(wx_spec_test_files_read(s), 0);
    const wx_endpoint_t *ep;
    assert_int_equal(wx_spec_find(s, "GET", "/v3/items/special", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_spec_test_files_read(s), 1);
    /* The same file again: cached. */
    assert_int_equal(wx_spec_find(s, "GET", "/v3/items/special", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_spec_test_files_read(s), 1);
    /* An endpoint with $refs reads its file and the files it refers to (Common.yaml,
     * Enums.yaml through Common.yaml, Parameters.yaml), nothing else. */
    assert_int_equal(wx_spec_find(s, "GET", "/v3/pay/transactions/id/1", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_spec_test_files_read(s), 5);
    /* A second file that shares definitions reads only itself. */
    assert_int_equal(wx_spec_find(s, "GET", "/v3/pay/transactions/out-trade-no/abcdef", &ep, NULL,
                                  NULL), WX_OK);
    assert_int_equal(wx_spec_test_files_read(s), 6);
    /* Asking the chain question lists folders but reads no file. */
    assert_int_equal(wx_spec_segment_kind(s, "v3/oas3", "orders"), 1);
    assert_int_equal(wx_spec_test_files_read(s), 6);
    wx_spec_free(s);
}

static const char *summary_of(wx_spec_t *s, const char *path)
{
    const wx_endpoint_t *ep = NULL;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    if (wx_spec_find(s, "GET", path, &ep, NULL, &err) != WX_OK)
        fail_msg("find %s: %s", path, err.message);
    return wx_endpoint_file(ep);
}

static void test_override_order(void **state)
{
    (void)state;
    const char *ab[] = {DATA "/override/a", DATA "/override/b", NULL};
    const char *ba[] = {DATA "/override/b", DATA "/override/a", NULL};
    wx_spec_t *s = open_dirs(ab, 0);
    assert_string_equal(summary_of(s, "/v3/thing"), DATA "/override/b/v3/thing.yaml");
    wx_spec_free(s);
    s = open_dirs(ba, 0);
    assert_string_equal(summary_of(s, "/v3/thing"), DATA "/override/a/v3/thing.json");
    const wx_endpoint_t *ep;
    assert_int_equal(wx_spec_find(s, "GET", "/v3/thing", &ep, NULL, NULL), WX_OK);
    assert_int_equal(wx_endpoint_unsigned_response(ep), 1);
    wx_spec_free(s);

    /* The built-in tree first, then WXPAY_SPEC_PATH, then the option directories. */
    const char *b[] = {DATA "/override/b", NULL};
    s = open_dirs(NULL, 1);
    assert_int_equal(wx_spec_find(s, "POST", "/v3/industry-coupon/tokens", &ep, NULL, NULL), WX_OK);
    assert_string_equal(wx_endpoint_file(ep), "<builtin>/v3/industry-coupon/tokens.json");
    wx_spec_free(s);
    s = open_dirs(b, 1);
    assert_int_equal(wx_spec_find(s, "POST", "/v3/industry-coupon/tokens", &ep, NULL, NULL), WX_OK);
    assert_string_equal(wx_endpoint_file(ep), DATA "/override/b/v3/industry-coupon/tokens.yaml");
    wx_spec_free(s);

    setenv("WXPAY_SPEC_PATH", DATA "/override/a:" DATA "/override/b", 1);
    wx_spec_options_t env_only = {.dirs = NULL, .no_builtin = 1, .no_env = 0};
    assert_int_equal(wx_spec_new(&env_only, &s, NULL), WX_OK);
    assert_string_equal(summary_of(s, "/v3/thing"), DATA "/override/b/v3/thing.yaml");
    wx_spec_free(s);
    /* Option directories come after the environment. */
    const char *a[] = {DATA "/override/a", NULL};
    setenv("WXPAY_SPEC_PATH", DATA "/override/b", 1);
    wx_spec_options_t both = {.dirs = a, .no_builtin = 1, .no_env = 0};
    assert_int_equal(wx_spec_new(&both, &s, NULL), WX_OK);
    assert_string_equal(summary_of(s, "/v3/thing"), DATA "/override/a/v3/thing.json");
    wx_spec_free(s);
    /* no_env leaves the variable out. */
    wx_spec_options_t no_env = {.dirs = NULL, .no_builtin = 1, .no_env = 1};
    assert_int_equal(wx_spec_new(&no_env, &s, NULL), WX_OK);
    assert_int_equal(wx_spec_find(s, "GET", "/v3/thing", &ep, NULL, NULL), WX_E_NOT_FOUND);
    wx_spec_free(s);
    /* A missing directory is an error naming it, from either place. */
    wx_error_t err;
    memset(&err, 0, sizeof err);
    setenv("WXPAY_SPEC_PATH", DATA "/nope", 1);
    assert_int_equal(wx_spec_new(&env_only, &s, &err), WX_E_IO);
    assert_null(s);
    assert_string_equal(err.where, DATA "/nope");
    unsetenv("WXPAY_SPEC_PATH");
    const char *missing[] = {DATA "/missing-dir", NULL};
    wx_spec_options_t o = {.dirs = missing, .no_builtin = 1, .no_env = 1};
    assert_int_equal(wx_spec_new(&o, &s, &err), WX_E_IO);
    assert_string_equal(err.where, DATA "/missing-dir");
    assert_non_null(strstr(err.message, "not a readable directory"));
}

static void test_builtin_tree(void **state)
{
    (void)state;
    wx_spec_t *s = open_dirs(NULL, 1);
    size_t neps = 0, nerr = 0;
    wx_err rc = wx_spec_lint(s, NULL, NULL, &neps, &nerr);
    assert_int_equal(nerr, 0);
    assert_int_equal(rc, WX_OK);
    assert_true(neps >= 1);
    assert_int_equal(wx_builtin_spec_count > 0, 1);
    wx_spec_free(s);
    wx_spec_free(NULL);
}

/* ---------------------------------------------------------------- random input */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}

static const char k_seed_yaml[] =
    "get:\n  parameters:\n    - {name: id, in: path, type: string, pattern: '^\\d+$'}\n"
    "    - $ref: '#/p/Q'\n  responses:\n    200:\n      schema:\n        type: object\n"
    "        required: [a]\n        properties:\n          a: {type: integer, enum: [1, 2]}\n"
    "          b: {$ref: '#/d/B'}\n          c: &c {type: array, items: {type: string, maxLength: 3}}\n"
    "          e: *c\np:\n  Q: {name: q, in: query, type: integer, minimum: 0}\n"
    "d:\n  B: {allOf: [{type: object}, {properties: {n: {$ref: '#/d/B'}}}]}\n";

static const char k_seed_json[] =
    "{\"post\":{\"parameters\":[{\"name\":\"body\",\"in\":\"body\",\"required\":true,\"schema\":"
    "{\"type\":\"object\",\"required\":[\"open_id\"],\"properties\":{\"open_id\":{\"type\":\"string\","
    "\"pattern\":\"^[a-z]+$\"},\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/d/I\"}}}}}],"
    "\"responses\":{\"200\":{\"schema\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}}}},"
    "\"d\":{\"I\":{\"type\":\"object\",\"properties\":{\"x\":{\"format\":\"date-time\"}}}}}";

static void load_bytes(const char *name, const char *data, size_t len)
{
    wx_builtin_spec_t table[2] = {{name, data, len}, {NULL, NULL, 0}};
    wx_spec_t *s = NULL;
    assert_int_equal(wx_spec_test_new_table(table, &s, NULL), WX_OK);
    const wx_endpoint_t *ep = NULL;
    json_object *vars = NULL;
    static const char *const methods[] = {"GET", "POST"};
    for (int m = 0; m < 2; m++) {
        wx_err rc = wx_spec_find(s, methods[m], "/v3/x/123", &ep, &vars, NULL);
        assert_true(rc == WX_OK || rc == WX_E_SPEC || rc == WX_E_NOT_FOUND);
        if (rc == WX_OK) {
            json_object *body = NULL;
            int status;
            if (wx_endpoint_example_request(ep, &body, NULL) == WX_OK) {
                wx_request_view_t rv = {vars, NULL, NULL, body, body != NULL};
                wx_violations_t *v = NULL;
                rc = wx_endpoint_validate_request(ep, &rv, &v);
                assert_true(rc == WX_OK || rc == WX_E_VALIDATION);
                wx_violations_free(v);
            }
            json_object_put(body);
            body = NULL;
            if (wx_endpoint_example_response(ep, &status, &body, NULL) == WX_OK) {
                wx_violations_t *v = NULL;
                rc = wx_endpoint_validate_response(ep, status, body, &v);
                assert_true(rc == WX_OK || rc == WX_E_VALIDATION);
                wx_violations_free(v);
            }
            json_object_put(body);
        }
        json_object_put(vars);
        vars = NULL;
    }
    size_t neps, nerr;
    wx_spec_lint(s, NULL, NULL, &neps, &nerr);
    wx_spec_free(s);
}

static void test_random_bytes(void **state)
{
    (void)state;
    char buf[2048];
    static const char *const names[] = {"v3/x/{id}.yaml", "v3/x/{id}.json"};
    for (int i = 0; i < 3000; i++) {
        size_t len;
        int kind = i % 3;
        if (kind == 0) {
            /* Pure noise. */
            len = rnd() % 300;
            for (size_t k = 0; k < len; k++)
                buf[k] = (char)rnd();
        } else {
            /* A valid file with a few bytes flipped, cut, or duplicated. */
            const char *seed = kind == 1 ? k_seed_yaml : k_seed_json;
            len = strlen(seed);
            memcpy(buf, seed, len);
            int edits = 1 + (int)(rnd() % 4);
            for (int e = 0; e < edits; e++) {
                size_t at = rnd() % len;
                switch (rnd() % 4) {
                case 0: buf[at] = (char)rnd(); break;
                case 1: buf[at] = "{}[]:,'\"&*#-\n \\$"[rnd() % 16]; break;
                case 2: len = at + 1; break;
                default:
                    if (len + 20 < sizeof buf) {
                        memmove(buf + at + 20, buf + at, len - at);
                        len += 20;
                    }
                }
            }
        }
        buf[len] = 0;
        load_bytes(names[(i / 3) % 2], buf, len);
    }
}

/* ---------------------------------------------------------------- failing allocations */

static long g_alloc_left = -1; /* -1: never fail */
static int g_alloc_failed;

static void *fail_malloc(size_t n)
{
    if (g_alloc_left == 0) {
        g_alloc_failed = 1;
        return NULL;
    }
    if (g_alloc_left > 0)
        g_alloc_left--;
    return malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
    if (g_alloc_left == 0) {
        g_alloc_failed = 1;
        return NULL;
    }
    if (g_alloc_left > 0)
        g_alloc_left--;
    return realloc(p, n);
}

/* Everything a client does with a spec set; with failing allocations each step either
 * works or says WX_E_NOMEM, and once memory is back the same set works fully. */
static void spec_workload(wx_spec_t *s, int strict)
{
    static const char *const paths[][2] = {
        {"GET", "/v3/pay/transactions/id/1"}, {"POST", "/v3/oas3/orders"},
        {"GET", "/v3/items/special"}, {"POST", "/v3/pay/transactions/out-trade-no/ABCDEF/close"}};
    for (size_t i = 0; i < 4; i++) {
        const wx_endpoint_t *ep = NULL;
        json_object *vars = NULL;
        wx_err rc = wx_spec_find(s, paths[i][0], paths[i][1], &ep, &vars, NULL);
        if (strict && rc != WX_OK)
            fail_msg("%s %s: %d after allocations came back", paths[i][0], paths[i][1], rc);
        if (rc != WX_OK && rc != WX_E_NOMEM)
            fail_msg("%s %s: %d", paths[i][0], paths[i][1], rc);
        if (rc == WX_OK) {
            json_object *body = NULL;
            rc = wx_endpoint_example_request(ep, &body, NULL);
            assert_true(rc == WX_OK || rc == WX_E_NOMEM);
            json_object *bad = json_tokener_parse("{\"amount\":\"x\",\"items\":[{\"sku\":\"a\"}]}");
            wx_request_view_t rv = {vars, NULL, NULL, i == 1 ? bad : body, 1};
            wx_violations_t *v = NULL;
            rc = wx_endpoint_validate_request(ep, &rv, &v);
            assert_true(rc == WX_OK || rc == WX_E_VALIDATION || rc == WX_E_NOMEM);
            if (strict && i == 1)
                assert_int_equal(wx_violations_count(v), 2);
            wx_violations_free(v);
            json_object_put(bad);
            json_object_put(body);
        }
        json_object_put(vars);
        int k = wx_spec_segment_kind(s, "v3/items", "special");
        if (strict)
            assert_int_equal(k, 1);
    }
    size_t neps, nerr;
    wx_err rc = wx_spec_lint(s, NULL, NULL, &neps, &nerr);
    if (strict) {
        assert_int_equal(rc, WX_OK);
        assert_int_equal(neps, 12);
    } else {
        assert_true(rc == WX_OK || rc == WX_E_NOMEM);
    }
    json_object *schema = json_tokener_parse("{\"properties\":{\"a\":{\"pattern\":\"^\\\\d+$\",\"enum\":[\"1\"]}}}");
    json_object *inst = json_tokener_parse("{\"a\":\"x\"}");
    wx_violations_t *v = NULL;
    rc = wx_schema_validate(schema, inst, &v, NULL);
    assert_true(rc == WX_E_VALIDATION || (!strict && rc == WX_E_NOMEM));
    wx_violations_free(v);
    json_object_put(schema);
    json_object_put(inst);
}

static void test_failing_allocations(void **state)
{
    (void)state;
    const char *dirs[] = {DATA "/basic", NULL};
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = 1, .no_env = 1};
    wx_allocator_t a = {fail_malloc, fail_realloc, free};
    wx_set_allocator(&a);
    for (long n = 0;; n++) {
        g_alloc_left = n;
        g_alloc_failed = 0;
        wx_spec_t *s = NULL;
        wx_err rc = wx_spec_new(&o, &s, NULL);
        if (rc == WX_OK)
            spec_workload(s, 0);
        else
            assert_int_equal(rc, WX_E_NOMEM);
        int failed = g_alloc_failed;
        g_alloc_left = -1;
        if (s)
            spec_workload(s, 1);
        wx_spec_free(s);
        if (!failed) {
            printf("spec workload: every one of %ld allocations failed once\n", n);
            break;
        }
        if (n > 20000)
            fail_msg("too many allocations");
    }
    wx_set_allocator(NULL);
}

/* One allocation failing during a lint (and none after) is WX_E_NOMEM, never a broken
 * file with "out of memory" as its reason; the next lint reports everything. */
static long g_fail_at = -1; /* the allocation number to fail, once */

static void *fail_once_malloc(size_t n)
{
    return g_fail_at-- == 0 ? NULL : malloc(n);
}

static void *fail_once_realloc(void *p, size_t n)
{
    return g_fail_at-- == 0 ? NULL : realloc(p, n);
}

static void count_errors(void *ud, const wx_lint_item_t *it)
{
    if (it->is_error)
        ++*(int *)ud;
}

static void test_lint_one_failure(void **state)
{
    (void)state;
    const char *dirs[] = {DATA "/basic", NULL};
    wx_spec_options_t o = {.dirs = dirs, .no_builtin = 1, .no_env = 1};
    wx_allocator_t a = {fail_once_malloc, fail_once_realloc, free};
    for (long n = 0;; n++) {
        wx_spec_t *s = NULL;
        assert_int_equal(wx_spec_new(&o, &s, NULL), WX_OK);
        wx_set_allocator(&a);
        g_fail_at = n;
        int errors = 0;
        size_t neps, nerr;
        wx_err rc = wx_spec_lint(s, count_errors, &errors, &neps, &nerr);
        int failed = g_fail_at < 0;
        g_fail_at = -1;
        wx_set_allocator(NULL);
        if (rc != WX_OK && rc != WX_E_NOMEM)
            fail_msg("allocation %ld failing: lint gave %d with %d broken files", n, rc, errors);
        assert_int_equal(errors, 0);
        assert_int_equal(wx_spec_lint(s, NULL, NULL, &neps, &nerr), WX_OK);
        assert_int_equal(neps, 12);
        wx_spec_free(s);
        if (!failed)
            break;
        if (n > 20000)
            fail_msg("too many allocations");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_scalars),   cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_json_errors),    cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_cross_file_error), cmocka_unit_test(test_cross_file_loop),
        cmocka_unit_test(test_lint_basic),    cmocka_unit_test(test_symlink_loop),
        cmocka_unit_test(test_lint_meta_schema),
        cmocka_unit_test(test_yaml_anchor_redefined),
        cmocka_unit_test(test_lazy_loading),   cmocka_unit_test(test_override_order),
        cmocka_unit_test(test_builtin_tree),   cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_failing_allocations), cmocka_unit_test(test_lint_one_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
