/* wxpay validate: a JSON document against a standalone JSON Schema, or a whole
 * request (path variables, query, headers, body) against its endpoint spec.
 * Violations go to stdout, one `path: reason` line each; the verdict to stderr. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"

#define CMD "validate"

enum { OPT_SCHEMA, OPT_SPEC_DIR, OPT_VAR, OPT_QUERY, OPT_HEADER };

static int help(void)
{
    fputs("usage: wxpay validate --schema SCHEMA.json [INSTANCE.json|-]\n"
          "       wxpay validate [--spec-dir DIR]... [--var k=v]... [--query k=v]...\n"
          "                      [--header 'K: V']... METHOD PATH [BODY.json|-]\n"
          "\n"
          "The first form checks a JSON document (standard input when none or -) against\n"
          "a JSON Schema (draft 4 keywords, local $refs).\n"
          "The second checks a request against its endpoint in the spec tree (the one\n"
          "compiled in, WXPAY_SPEC_PATH, then each --spec-dir; later ones win). PATH is a\n"
          "template (/v3/pay/transactions/id/{transaction_id}) or a concrete path\n"
          "(/v3/pay/transactions/id/4200000001), whose variables then count as given.\n"
          "A body is only checked when BODY.json or - is given.\n"
          "\n"
          "Each violation is printed on stdout as `path: reason`.\n"
          "exit: 0 valid; 1 invalid; 2 unusable (unreadable or malformed input, a broken\n"
          "      schema or spec file, no endpoint for METHOD PATH)\n"
          "\n"
          "examples:\n"
          "  wxpay validate --schema order.schema.json order.json\n"
          "  echo '{\"open_id\":\"o1\",\"coupon_list\":[]}' | \\\n"
          "      wxpay validate POST /v3/industry-coupon/tokens -\n"
          "  wxpay validate --spec-dir ./spec --query mchid=1900000001 \\\n"
          "      GET /v3/pay/transactions/id/4200000001\n",
          stdout);
    return CLI_EXIT_OK;
}

static int read_json_file(const char *path, struct json_object **out)
{
    char *text = NULL;
    size_t len = 0;
    int rc = cli_read_input(CMD, path, &text, &len);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = cli_parse_json(CMD, path && strcmp(path, "-") ? path : "standard input", text, len, out);
    free(text);
    return rc;
}

/* Print the violations and the verdict; the exit code. */
static int report(const wx_violations_t *v, const char *subject)
{
    size_t n = wx_violations_count(v);
    for (size_t i = 0; i < n; i++) {
        const wx_violation_t *x = wx_violations_at(v, i);
        printf("%s: %s\n", x->path, x->reason);
    }
    if (n == 0) {
        fprintf(stderr, "wxpay validate: valid (%s)\n", subject);
        return cli_finish(CLI_EXIT_OK);
    }
    fprintf(stderr, "wxpay validate: %zu violation%s (%s)\n", n, n == 1 ? "" : "s", subject);
    return cli_finish(CLI_EXIT_FAIL);
}

static int validate_schema(const char *schema_path, const char *instance_path)
{
    struct json_object *schema = NULL, *instance = NULL;
    int rc = read_json_file(schema_path, &schema);
    if (rc != CLI_EXIT_OK)
        return rc;
    if ((rc = read_json_file(instance_path, &instance)) != CLI_EXIT_OK) {
        json_object_put(schema);
        return rc;
    }
    wx_violations_t *v = NULL;
    wx_error_t err = {0};
    wx_err e = wx_schema_validate(schema, instance, &v, &err);
    if (e == WX_OK || e == WX_E_VALIDATION) {
        char subject[512];
        snprintf(subject, sizeof subject, "against %s", schema_path);
        rc = report(v, subject);
    } else if (e == WX_E_SPEC) {
        rc = cli_fail_err(CLI_EXIT_USAGE, CMD, schema_path, &err);
    } else {
        rc = cli_fail_err(CLI_EXIT_USAGE, CMD, NULL, &err);
    }
    wx_violations_free(v);
    json_object_put(schema);
    json_object_put(instance);
    return rc;
}

typedef struct endpoint_args {
    cli_strs dirs;
    cli_kvs vars, query, headers;
    const char *method, *path, *body;
} endpoint_args;

/* The path variables of a concrete path, then --var on top (the command line wins). */
static int merge_vars(struct json_object **vars, const cli_kvs *given)
{
    if (!*vars && !(*vars = json_object_new_object()))
        return -1;
    for (size_t i = 0; i < given->count; i++) {
        struct json_object *s = json_object_new_string(given->items[i].value);
        if (!s || json_object_object_add(*vars, given->items[i].key, s) != 0) {
            json_object_put(s);
            return -1;
        }
    }
    return 0;
}

static int validate_endpoint(endpoint_args *a)
{
    wx_method m;
    if (!cli_parse_method(a->method, &m))
        return cli_usage_error(CMD, "unknown method \"%s\" (GET, POST, PUT, PATCH or DELETE)",
                               a->method);
    if (strchr(a->path, '?'))
        return cli_usage_error(CMD, "PATH \"%s\" has a query: give it as --query NAME=VALUE",
                               a->path);
    const char *method = wx_method_name(m);

    struct json_object *body = NULL;
    int rc = CLI_EXIT_OK;
    if (a->body && (rc = read_json_file(a->body, &body)) != CLI_EXIT_OK)
        return rc;

    wx_spec_options_t so = {.dirs = a->dirs.items};
    wx_spec_t *spec = NULL;
    wx_error_t err = {0};
    const wx_endpoint_t *ep = NULL;
    struct json_object *vars = NULL;
    wx_violations_t *v = NULL;
    const wx_kv_t *query = cli_kvs_items(&a->query), *headers = cli_kvs_items(&a->headers);
    wx_err e;
    if (!query || !headers) {
        rc = cli_fail(CLI_EXIT_USAGE, CMD, "out of memory");
        goto out;
    }
    if ((e = wx_spec_new(&so, &spec, &err)) != WX_OK) {
        rc = cli_fail_err(CLI_EXIT_USAGE, CMD, "spec", &err);
        goto out;
    }
    e = wx_spec_find(spec, method, a->path, &ep, &vars, &err);
    if (e == WX_E_NOT_FOUND) {
        rc = cli_fail(CLI_EXIT_USAGE, CMD, "no endpoint for %s %s in the spec tree%s", method,
                      a->path, a->dirs.count ? "" : " (add its folder with --spec-dir DIR)");
        goto out;
    }
    if (e != WX_OK) {
        rc = cli_fail_err(CLI_EXIT_USAGE, CMD, e == WX_E_SPEC ? "broken spec" : NULL, &err);
        goto out;
    }
    if (merge_vars(&vars, &a->vars) != 0) {
        rc = cli_fail(CLI_EXIT_USAGE, CMD, "out of memory");
        goto out;
    }
    wx_request_view_t view = {.path_vars = vars, .query = query, .headers = headers,
                              .body = body, .has_body = a->body != NULL};
    e = wx_endpoint_validate_request(ep, &view, &v);
    if (e == WX_OK || e == WX_E_VALIDATION) {
        char subject[512];
        snprintf(subject, sizeof subject, "%s %s", wx_endpoint_method(ep),
                 wx_endpoint_template(ep));
        rc = report(v, subject);
    } else {
        rc = cli_fail(CLI_EXIT_USAGE, CMD, "%s", wx_strerror(e));
    }
out:
    wx_violations_free(v);
    json_object_put(vars);
    json_object_put(body);
    wx_spec_free(spec);
    return rc;
}

int wx_cmd_validate(int argc, char **argv)
{
    static const cli_option opts[] = {
        {"schema", 0, 1, OPT_SCHEMA},   {"spec-dir", 0, 1, OPT_SPEC_DIR},
        {"var", 0, 1, OPT_VAR},         {"query", 0, 1, OPT_QUERY},
        {"header", 0, 1, OPT_HEADER},   {0}};
    endpoint_args a;
    memset(&a, 0, sizeof a);
    const char *schema = NULL, *pos[4] = {0};
    int npos = 0, rc = CLI_EXIT_OK, k;
    cli_parser p;
    cli_parser_init(&p, CMD, argc, argv, 1);
    while (rc == CLI_EXIT_OK && (k = cli_next(&p, opts)) != CLI_END) {
        switch (k) {
        case CLI_HELP:
            rc = -1;
            break;
        case CLI_BAD:
            rc = CLI_EXIT_USAGE;
            break;
        case CLI_POSITIONAL:
            if (npos == 3)
                rc = cli_usage_error(CMD, "unexpected argument \"%s\"", p.value);
            else
                pos[npos++] = p.value;
            break;
        case OPT_SCHEMA:
            if (schema)
                rc = cli_usage_error(CMD, "--schema given twice");
            schema = p.value;
            break;
        case OPT_SPEC_DIR:
            if (cli_strs_add(&a.dirs, p.value) != 0)
                rc = cli_fail(CLI_EXIT_USAGE, CMD, "out of memory");
            break;
        case OPT_VAR:
            rc = cli_kvs_add_pair(&a.vars, CMD, "--var", p.value);
            break;
        case OPT_QUERY:
            rc = cli_kvs_add_pair(&a.query, CMD, "--query", p.value);
            break;
        case OPT_HEADER:
            rc = cli_kvs_add_header(&a.headers, CMD, p.value);
            break;
        }
    }
    if (rc == -1) {
        rc = help();
    } else if (rc != CLI_EXIT_OK) {
        /* already reported */
    } else if (schema) {
        if (a.dirs.count || a.vars.count || a.query.count || a.headers.count)
            rc = cli_usage_error(CMD, "--schema does not go with --spec-dir, --var, --query "
                                      "or --header");
        else if (npos > 1)
            rc = cli_usage_error(CMD, "--schema takes one INSTANCE.json, got \"%s\" too", pos[1]);
        else if (!strcmp(schema, "-") && (!pos[0] || !strcmp(pos[0], "-")))
            rc = cli_usage_error(CMD, "the schema and the instance cannot both come from "
                                      "standard input");
        else
            rc = validate_schema(schema, pos[0]);
    } else if (npos < 2) {
        rc = cli_usage_error(CMD, npos == 0 ? "missing --schema SCHEMA.json or METHOD PATH"
                                            : "missing PATH after METHOD");
    } else {
        a.method = pos[0];
        a.path = pos[1];
        a.body = pos[2];
        rc = validate_endpoint(&a);
    }
    cli_strs_free(&a.dirs);
    cli_kvs_free(&a.vars);
    cli_kvs_free(&a.query);
    cli_kvs_free(&a.headers);
    return rc;
}
