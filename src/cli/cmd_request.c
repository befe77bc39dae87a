/* wxpay [options] METHOD PATH: one signed request whose response is verified before
 * anything of it is printed.
 *
 * Exit codes partition what happened: 0 a verified 2xx; 1 a verified HTTP error;
 * 2 nothing was sent (usage, configuration, a body that breaks the endpoint spec);
 * 3 something was sent but no verified answer came back (a forged, stale, truncated
 * or missing response): then stdout stays empty. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"

enum { OPT_CONFIG, OPT_BASE_URL, OPT_CA_FILE, OPT_JSON, OPT_VAR, OPT_QUERY, OPT_HEADER, OPT_INCLUDE,
       OPT_VERBOSE };

typedef struct request_args {
    const char *config, *base_url, *ca_file, *json;
    cli_kvs vars, query, headers;
    int include, verbose;
    const char *method, *path;
} request_args;

static void request_args_free(request_args *a)
{
    cli_kvs_free(&a->vars);
    cli_kvs_free(&a->query);
    cli_kvs_free(&a->headers);
}

static int parse_args(request_args *a, int argc, char **argv)
{
    static const cli_option opts[] = {
        {"config", 'c', 1, OPT_CONFIG}, {"base-url", 0, 1, OPT_BASE_URL},
        {"ca-file", 0, 1, OPT_CA_FILE}, {"json", 0, 1, OPT_JSON},       {"var", 0, 1, OPT_VAR},
        {"query", 0, 1, OPT_QUERY},     {"header", 0, 1, OPT_HEADER},
        {"include", 'i', 0, OPT_INCLUDE}, {"verbose", 'v', 0, OPT_VERBOSE},
        {0}};
    cli_parser p;
    cli_parser_init(&p, NULL, argc, argv, 1);
    int k, rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && (k = cli_next(&p, opts)) != CLI_END) {
        switch (k) {
        case CLI_HELP:
            wx_cli_usage(stdout);
            return -1;
        case CLI_BAD:
            return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            if (!a->method)
                a->method = p.value;
            else if (!a->path)
                a->path = p.value;
            else
                rc = cli_usage_error(NULL, "unexpected argument \"%s\" after METHOD PATH "
                                           "(a body goes in --json)", p.value);
            break;
        case OPT_CONFIG:
            a->config = p.value;
            break;
        case OPT_BASE_URL:
            a->base_url = p.value;
            break;
        case OPT_CA_FILE:
            a->ca_file = p.value;
            break;
        case OPT_JSON:
            if (a->json)
                rc = cli_usage_error(NULL, "--json given twice");
            a->json = p.value;
            break;
        case OPT_VAR:
            rc = cli_kvs_add_pair(&a->vars, NULL, "--var", p.value);
            break;
        case OPT_QUERY:
            rc = cli_kvs_add_pair(&a->query, NULL, "--query", p.value);
            break;
        case OPT_HEADER:
            rc = cli_kvs_add_header(&a->headers, NULL, p.value);
            break;
        case OPT_INCLUDE:
            a->include = 1;
            break;
        case OPT_VERBOSE:
            a->verbose = 1;
            break;
        }
    }
    if (rc != CLI_EXIT_OK)
        return rc;
    wx_method m;
    if (!a->method)
        return cli_usage_error(NULL, "missing METHOD PATH");
    if (!cli_parse_method(a->method, &m))
        return cli_usage_error(NULL, "unknown command or method \"%s\" (methods: GET, POST, PUT, "
                                     "PATCH, DELETE)", a->method);
    if (!a->path)
        return cli_usage_error(NULL, "missing PATH after %s", a->method);
    if (strchr(a->path, '?'))
        return cli_usage_error(NULL, "PATH \"%s\" has a query: give it as --query NAME=VALUE",
                               a->path);
    return CLI_EXIT_OK;
}

/* The node for PATH in any chain spelling. With a '/' the library takes the whole
 * path (it drops a leading '/'); without one, '.' separates the segments
 * (`v3.industryCoupon.tokens`) except inside a `{...}` expression. Each segment is
 * normalised by the library (industryCoupon, _var_, {var}). */
static wx_node_t *chain_path(wx_client_t *c, const char *path, char *scratch)
{
    if (strchr(path, '/') || !strchr(path, '.'))
        return wx_chain(c, path);
    wx_node_t *n = NULL;
    const char *s = path;
    for (;;) {
        size_t len = 0;
        int depth = 0;
        while (s[len] && (s[len] != '.' || depth > 0)) {
            depth += s[len] == '{' ? 1 : s[len] == '}' ? -1 : 0;
            len++;
        }
        memcpy(scratch, s, len);
        scratch[len] = 0;
        n = n ? wx_seg(n, scratch) : wx_chain(c, scratch);
        if (!s[len])
            return n;
        s += len + 1;
    }
}

static void debug_to_stderr(void *ud, const char *text, size_t len)
{
    (void)ud;
    fwrite(text, 1, len, stderr);
    if (len && text[len - 1] != '\n')
        fputc('\n', stderr);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* Status line and headers (for -i), then the body: pretty JSON on a terminal,
 * otherwise exactly the verified bytes. */
static void print_response(const wx_response_t *r, int include, int pretty)
{
    if (include) {
        int status = wx_response_status(r);
        const char *phrase = reason_phrase(status);
        printf("HTTP %d%s%s\n", status, *phrase ? " " : "", phrase);
        size_t n = wx_response_header_count(r);
        for (size_t i = 0; i < n; i++) {
            const char *name, *value;
            if (wx_response_header_at(r, i, &name, &value) == WX_OK)
                printf("%s: %s\n", name, value);
        }
        fputc('\n', stdout);
    }
    size_t len = 0;
    const char *body = wx_response_body(r, &len);
    if (!body || !len)
        return;
    struct json_object *j = pretty ? wx_response_json(r) : NULL;
    if (j) {
        const char *text = json_object_to_json_string_ext(
            j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text) {
            cli_write_stdout(text, strlen(text));
            cli_write_stdout("\n", 1);
            return;
        }
    }
    cli_write_stdout(body, len);
    if (pretty && body[len - 1] != '\n')
        cli_write_stdout("\n", 1);
}

static int is_unverified(wx_err e)
{
    switch (e) {
    case WX_E_VERIFY_HEADER:
    case WX_E_VERIFY_SERIAL:
    case WX_E_VERIFY_TIME:
    case WX_E_VERIFY_SIGNATURE:
    case WX_E_TRANSPORT:
    case WX_E_TIMEOUT:
    case WX_E_TOO_LARGE:
        return 1;
    default:
        return 0;
    }
}

static int report(const wx_response_t *r, const char *method, const char *path,
                  const request_args *a)
{
    wx_err e = wx_response_err(r);
    const wx_error_t *err = wx_response_error(r);
    int pretty = isatty(STDOUT_FILENO);
    if (e == WX_OK) {
        print_response(r, a->include, pretty);
        return cli_finish(CLI_EXIT_OK);
    }
    if (e == WX_E_HTTP) {
        /* The error body is verified too, so it is the caller's to read. */
        print_response(r, a->include, pretty);
        fprintf(stderr, "wxpay: %s\n", err->message[0] ? err->message : wx_strerror(e));
        return cli_finish(CLI_EXIT_FAIL);
    }
    if (is_unverified(e) || (wx_response_request_head(r) && e != WX_E_VALIDATION)) {
        const char *what = e >= WX_E_VERIFY_HEADER && e <= WX_E_VERIFY_SIGNATURE
                               ? "the response does not verify"
                               : "no verified response";
        fprintf(stderr, "wxpay: %s: %s (%s)\n", what,
                err->message[0] ? err->message : wx_strerror(e), wx_err_name(e));
        return CLI_EXIT_UNVERIFIED;
    }
    if (e == WX_E_VALIDATION) {
        size_t n = wx_response_violation_count(r);
        fprintf(stderr, "wxpay: %s %s: the request breaks its spec, nothing was sent:\n", method,
                path);
        for (size_t i = 0; i < n; i++) {
            const wx_violation_t *v = wx_response_violation(r, i);
            fprintf(stderr, "%s: %s\n", v->path, v->reason);
        }
        if (n == 0)
            fprintf(stderr, "%s\n", err->message);
        return CLI_EXIT_USAGE;
    }
    if (e == WX_E_MISSING_VAR && err->where[0]) {
        fprintf(stderr, "wxpay: PATH \"%s\" needs {%s}: give --var %s=VALUE (nothing was sent)\n",
                path, err->where, err->where);
        return CLI_EXIT_USAGE;
    }
    if (e == WX_E_CHAIN || e == WX_E_TEMPLATE || e == WX_E_MISSING_VAR) {
        char pfx[300];
        snprintf(pfx, sizeof pfx, "PATH \"%.200s\", nothing was sent", path);
        return cli_fail_err(CLI_EXIT_USAGE, NULL, pfx, err);
    }
    return cli_fail_err(CLI_EXIT_USAGE, NULL, "nothing was sent", err);
}

static int load_body(const char *arg, char **body, size_t *len)
{
    if (arg[0] == '@')
        return cli_read_input(NULL, arg + 1, body, len);
    if (!strcmp(arg, "-"))
        return cli_read_input(NULL, NULL, body, len);
    *len = strlen(arg);
    *body = strdup(arg);
    return *body ? CLI_EXIT_OK : cli_fail(CLI_EXIT_USAGE, NULL, "out of memory");
}

int wx_cmd_request(int argc, char **argv)
{
    request_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(&a, argc, argv);
    char *body = NULL, *scratch = NULL;
    size_t body_len = 0;
    wx_client_t *c = NULL;
    wx_response_t *r = NULL;
    if (rc != CLI_EXIT_OK)
        goto out;
    wx_method m;
    cli_parse_method(a.method, &m);
    const char *config = a.config;
    if (!config) {
        const char *env = getenv("WXPAY_CONFIG");
        if (!env || !*env) {
            rc = cli_usage_error(NULL, "no configuration: give -c CONFIG.json or set WXPAY_CONFIG "
                                       "(wxpay keys gen DIR makes one for the sandbox)");
            goto out;
        }
    }
    if (a.json && (rc = load_body(a.json, &body, &body_len)) != CLI_EXIT_OK)
        goto out;
    if (a.json && body_len == 0) {
        rc = cli_usage_error(NULL, "the --json body is empty (give JSON text, @FILE or -)");
        goto out;
    }
    const wx_kv_t *vars = cli_kvs_items(&a.vars), *query = cli_kvs_items(&a.query),
                  *headers = cli_kvs_items(&a.headers);
    scratch = malloc(strlen(a.path) + 1);
    if (!vars || !query || !headers || !scratch) {
        rc = cli_fail(CLI_EXIT_USAGE, NULL, "out of memory");
        goto out;
    }

    wx_client_options_t overrides = {.base_url = a.base_url, .ca_file = a.ca_file};
    if (a.verbose) {
        overrides.debug = debug_to_stderr;
        overrides.debug_ud = NULL;
    }
    wx_error_t err = {0};
    if (wx_client_new_from_config(config, &overrides, &c, &err) != WX_OK) {
        rc = cli_fail_err(CLI_EXIT_USAGE, NULL, NULL, &err);
        goto out;
    }
    wx_request_options_t opts = {.vars = vars, .query = query, .headers = headers,
                                 .json_text = body, .json_text_len = body_len};
    r = wx_request(chain_path(c, a.path, scratch), m, &opts);
    rc = report(r, wx_method_name(m), a.path, &a);
out:
    wx_response_free(r);
    wx_client_free(c);
    free(scratch);
    free(body);
    request_args_free(&a);
    return rc == -1 ? CLI_EXIT_OK : rc;
}
