/* The request options that `wxpay METHOD PATH` and `wxpay bench` share: parsing them,
 * loading the body, making the client and finding the node for PATH in any chain
 * spelling. */
#ifndef WXPAY_CLI_REQUEST_OPTS_H
#define WXPAY_CLI_REQUEST_OPTS_H

#include <wechatpay/wechatpay.h>

#include "cli_util.h"

/* Option ids; a command's own ids must stay below CLI_RO_FIRST. */
enum { CLI_RO_FIRST = 100, CLI_RO_CONFIG = CLI_RO_FIRST, CLI_RO_BASE_URL, CLI_RO_CA_FILE,
       CLI_RO_JSON, CLI_RO_VAR, CLI_RO_QUERY, CLI_RO_HEADER, CLI_RO_LAST };

/* The entries to put in a command's option table. */
#define CLI_REQUEST_OPTIONS                                                                    \
    {"config", 'c', 1, CLI_RO_CONFIG}, {"base-url", 0, 1, CLI_RO_BASE_URL},                    \
        {"ca-file", 0, 1, CLI_RO_CA_FILE}, {"json", 0, 1, CLI_RO_JSON},                        \
        {"var", 0, 1, CLI_RO_VAR}, {"query", 0, 1, CLI_RO_QUERY}, {"header", 0, 1, CLI_RO_HEADER}

typedef struct cli_request_opts {
    const char *cmd;     /* for messages: NULL for the request mode, "bench" */
    const char *config, *base_url, *ca_file, *json;
    cli_kvs vars, query, headers;
    char *body;          /* loaded by cli_request_client */
    size_t body_len;
} cli_request_opts;

/* 1 when @p id is one of the CLI_RO_* ids. */
int cli_request_option(int id);
/* Take one parsed option (id from CLI_REQUEST_OPTIONS). Returns CLI_EXIT_OK or the
 * usage error it printed. */
int cli_request_take(cli_request_opts *o, int id, const char *value);
/* Check the configuration is there, load the --json body (text, @FILE or -), and make
 * the client with @p overrides (base URL and CA file are added to them). */
int cli_request_client(cli_request_opts *o, wx_client_options_t *overrides, wx_client_t **c);
/* The request options for wx_request() (borrowed from @p o). */
wx_request_options_t cli_request_options(cli_request_opts *o);
void cli_request_opts_free(cli_request_opts *o);

#endif
