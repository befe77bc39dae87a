/* wxpay expand TEMPLATE [VARS_JSON]: RFC 6570 expansion (levels 1-4), exactly as
 * the RFC says (an undefined variable expands to nothing). */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"

#define CMD "expand"

static int help(void)
{
    fputs("usage: wxpay expand TEMPLATE [VARS_JSON|@FILE|-]\n"
          "\n"
          "Expands an RFC 6570 URI template (levels 1-4: all operators, explode `*`,\n"
          "prefix `:N`) and prints the result and a newline.\n"
          "VARS_JSON is a JSON object whose values are strings, numbers, arrays of\n"
          "strings or objects of strings; null (or a missing name) is undefined.\n"
          "@FILE reads the object from a file, - from standard input.\n"
          "\n"
          "exit: 0 expanded; 2 an invalid template or variables (message on stderr)\n"
          "\n"
          "examples:\n"
          "  wxpay expand '/v3/pay/transactions/id/{transaction_id}' \\\n"
          "               '{\"transaction_id\":\"4200000001\"}'\n"
          "  wxpay expand '{/list*}{?keys*}' '{\"list\":[\"red\",\"green\"],\"keys\":{\"semi\":\";\"}}'\n"
          "      -> /red/green?semi=%3B\n"
          "  wxpay expand 'X{.var}' '{\"var\":null}'        -> X\n",
          stdout);
    return CLI_EXIT_OK;
}

static int load_vars(const char *arg, struct json_object **vars)
{
    *vars = NULL;
    char *text = NULL;
    size_t len = 0;
    const char *what = "VARS_JSON";
    int rc;
    if (arg[0] == '@' || !strcmp(arg, "-")) {
        const char *path = arg[0] == '@' ? arg + 1 : NULL;
        if ((rc = cli_read_input(CMD, path, &text, &len)) != CLI_EXIT_OK)
            return rc;
        what = path ? path : "standard input";
        rc = cli_parse_json(CMD, what, text, len, vars);
        free(text);
    } else {
        rc = cli_parse_json(CMD, what, arg, strlen(arg), vars);
    }
    if (rc != CLI_EXIT_OK)
        return rc;
    if (*vars && !json_object_is_type(*vars, json_type_object)) {
        json_object_put(*vars);
        *vars = NULL;
        return cli_fail(CLI_EXIT_USAGE, CMD, "%s: expected a JSON object of variables", what);
    }
    return CLI_EXIT_OK;
}

int wx_cmd_expand(int argc, char **argv)
{
    static const cli_option opts[] = {{0}};
    cli_parser p;
    cli_parser_init(&p, CMD, argc, argv, 1);
    const char *tmpl = NULL, *vars_arg = NULL;
    int k;
    while ((k = cli_next(&p, opts)) != CLI_END) {
        if (k == CLI_HELP)
            return help();
        if (k == CLI_BAD)
            return CLI_EXIT_USAGE;
        if (!tmpl)
            tmpl = p.value;
        else if (!vars_arg)
            vars_arg = p.value;
        else
            return cli_usage_error(CMD, "unexpected argument \"%s\"", p.value);
    }
    if (!tmpl)
        return cli_usage_error(CMD, "missing TEMPLATE");

    struct json_object *vars = NULL;
    int rc = vars_arg ? load_vars(vars_arg, &vars) : CLI_EXIT_OK;
    if (rc != CLI_EXIT_OK)
        return rc;
    wx_error_t err = {0};
    char *out = NULL;
    wx_err e = wx_uri_expand(tmpl, vars, WX_URI_RFC, &out, &err);
    json_object_put(vars);
    if (e != WX_OK)
        return cli_fail_err(CLI_EXIT_USAGE, CMD, NULL, &err);
    if (cli_write_stdout(out, strlen(out)) == 0)
        cli_write_stdout("\n", 1);
    wx_free(out);
    return cli_finish(CLI_EXIT_OK);
}
