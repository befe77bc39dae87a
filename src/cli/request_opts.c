#include "request_opts.h"

#include <stdlib.h>
#include <string.h>

int cli_request_option(int id) { return id >= CLI_RO_FIRST && id < CLI_RO_LAST; }

int cli_request_take(cli_request_opts *o, int id, const char *value)
{
    switch (id) {
    case CLI_RO_CONFIG:
        o->config = value;
        return CLI_EXIT_OK;
    case CLI_RO_BASE_URL:
        o->base_url = value;
        return CLI_EXIT_OK;
    case CLI_RO_CA_FILE:
        o->ca_file = value;
        return CLI_EXIT_OK;
    case CLI_RO_JSON:
        if (o->json)
            return cli_usage_error(o->cmd, "--json given twice");
        o->json = value;
        return CLI_EXIT_OK;
    case CLI_RO_VAR:
        return cli_kvs_add_pair(&o->vars, o->cmd, "--var", value);
    case CLI_RO_QUERY:
        return cli_kvs_add_pair(&o->query, o->cmd, "--query", value);
    case CLI_RO_HEADER:
        return cli_kvs_add_header(&o->headers, o->cmd, value);
    default:
        return cli_usage_error(o->cmd, "unknown option");
    }
}

static int load_body(cli_request_opts *o)
{
    const char *arg = o->json;
    if (arg[0] == '@')
        return cli_read_input(o->cmd, arg + 1, &o->body, &o->body_len);
    if (!strcmp(arg, "-"))
        return cli_read_input(o->cmd, NULL, &o->body, &o->body_len);
    o->body_len = strlen(arg);
    o->body = strdup(arg);
    return o->body ? CLI_EXIT_OK : cli_fail(CLI_EXIT_USAGE, o->cmd, "out of memory");
}

int cli_request_client(cli_request_opts *o, wx_client_options_t *overrides, wx_client_t **c)
{
    *c = NULL;
    int rc = cli_require_config(o->cmd, o->config);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o->json && (rc = load_body(o)) != CLI_EXIT_OK)
        return rc;
    if (o->json && o->body_len == 0)
        return cli_usage_error(o->cmd, "the --json body is empty (give JSON text, @FILE or -)");
    if (!cli_kvs_items(&o->vars) || !cli_kvs_items(&o->query) || !cli_kvs_items(&o->headers))
        return cli_fail(CLI_EXIT_USAGE, o->cmd, "out of memory");
    overrides->base_url = o->base_url;
    overrides->ca_file = o->ca_file;
    wx_error_t err = {0};
    if (wx_client_new_from_config(o->config, overrides, c, &err) != WX_OK)
        return cli_fail_err(CLI_EXIT_USAGE, o->cmd, NULL, &err);
    return CLI_EXIT_OK;
}

wx_request_options_t cli_request_options(cli_request_opts *o)
{
    return (wx_request_options_t){.vars = cli_kvs_items(&o->vars),
                                  .query = cli_kvs_items(&o->query),
                                  .headers = cli_kvs_items(&o->headers),
                                  .json_text = o->body,
                                  .json_text_len = o->body_len};
}

void cli_request_opts_free(cli_request_opts *o)
{
    cli_kvs_free(&o->vars);
    cli_kvs_free(&o->query);
    cli_kvs_free(&o->headers);
    free(o->body);
    o->body = NULL;
}
