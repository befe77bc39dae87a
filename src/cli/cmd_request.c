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
#include "request_files.h"
#include "request_opts.h"

enum { OPT_INCLUDE, OPT_VERBOSE, OPT_UPLOAD, OPT_DOWNLOAD };

typedef struct request_args {
    cli_request_opts ro;
    int include, verbose;
    const char *upload, *download; /* --upload FILE, --download FILE */
    const char *method, *path;
    wx_method m;
} request_args;

static int parse_args(request_args *a, int argc, char **argv)
{
    static const cli_option opts[] = {
        CLI_REQUEST_OPTIONS, {"include", 'i', 0, OPT_INCLUDE}, {"verbose", 'v', 0, OPT_VERBOSE},
        {"upload", 0, 1, OPT_UPLOAD}, {"download", 0, 1, OPT_DOWNLOAD}, {0}};
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
        case OPT_INCLUDE:
            a->include = 1;
            break;
        case OPT_VERBOSE:
            a->verbose = 1;
            break;
        case OPT_UPLOAD:
            a->upload = p.value;
            break;
        case OPT_DOWNLOAD:
            a->download = p.value;
            break;
        default:
            rc = cli_request_take(&a->ro, k, p.value);
            break;
        }
    }
    if (rc != CLI_EXIT_OK)
        return rc;
    return cli_check_target(NULL, a->method, a->path, &a->m);
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
 * otherwise exactly the verified bytes; an APIv2 answer (XML) as its JSON object. */
static void print_response(const wx_response_t *r, int include, int pretty, int v2)
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
    struct json_object *j = pretty || v2 ? wx_response_json(r) : NULL;
    if (j) {
        const char *text = json_object_to_json_string_ext(
            j, (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
                   JSON_C_TO_STRING_NOSLASHESCAPE);
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
    case WX_E_XML:
        return 1;
    default:
        return 0;
    }
}

static int report(const wx_response_t *r, const char *method, const char *path,
                  const request_args *a)
{
    wx_err e = wx_response_err(r);
    const wx_error_t *err = wx_response_error_detail(r);
    int pretty = isatty(STDOUT_FILENO);
    int v2 = !strncmp(path, "v2/", 3) || !strncmp(path, "/v2/", 4);
    if (e == WX_OK) {
        print_response(r, a->include, pretty, v2);
        return cli_finish(CLI_EXIT_OK);
    }
    if (e == WX_E_HTTP) {
        /* The error body is verified too, so it is the caller's to read. */
        print_response(r, a->include, pretty, v2);
        fprintf(stderr, "wxpay: %s\n", err->message[0] ? err->message : wx_strerror(e));
        return cli_finish(CLI_EXIT_FAIL);
    }
    if (is_unverified(e) || (wx_response_request_head(r) && e != WX_E_VALIDATION)) {
        const char *what = (e >= WX_E_VERIFY_HEADER && e <= WX_E_VERIFY_SIGNATURE) || e == WX_E_XML
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

int wx_cmd_request(int argc, char **argv)
{
    request_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(&a, argc, argv);
    wx_client_t *c = NULL;
    wx_response_t *r = NULL;
    if (rc != CLI_EXIT_OK)
        goto out;
    wx_client_options_t overrides = {0};
    if (a.verbose)
        overrides.debug = debug_to_stderr;
    if ((rc = cli_request_client(&a.ro, &overrides, &c)) != CLI_EXIT_OK)
        goto out;
    wx_request_options_t opts = cli_request_options(&a.ro);
    wx_upload_t upload;
    if (a.upload && (rc = cli_upload_prepare(a.upload, &upload)) != CLI_EXIT_OK)
        goto out;
    opts.upload = a.upload ? &upload : NULL;
    if (a.download && cli_is_v2_path(a.path)) { /* the answer is the bill: stream it */
        rc = a.m != WX_POST ? cli_usage_error(NULL, "--download %s: APIv2 calls are POST", a.path)
                            : cli_download_v2_bill(c, a.path, a.ro.body, a.ro.body_len,
                                                   a.download);
        goto out;
    }
    r = wx_request(wx_chain(c, a.path), a.m, &opts);
    rc = report(r, wx_method_name(a.m), a.path, &a);
    if (rc == CLI_EXIT_OK && a.download)
        rc = cli_download_bill(c, r, a.download);
out:
    wx_response_free(r);
    wx_client_free(c);
    cli_request_opts_free(&a.ro);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
