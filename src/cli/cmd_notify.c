/* wxpay notify: check a callback notification a web server saved (its headers as
 * `Name: value` lines and its body exactly as received) and print the event with its
 * resource decrypted. Nothing of a notification that does not verify reaches stdout. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"

static void help(void)
{
    fputs("usage: wxpay notify [-c CONFIG.json] [--now UNIX_TIME] --headers HEADERS_FILE\n"
          "                    [BODY_FILE|-]\n"
          "       wxpay notify --v2 [-c CONFIG.json] [BODY_FILE|-]\n"
          "       wxpay notify make ...   (write one for a unit test: wxpay notify make --help)\n"
          "\n"
          "Verifies a WeChat Pay callback notification as a merchant's notify_url receives\n"
          "it: the Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers (serial of a\n"
          "configured platform certificate or PUB_KEY_ID_..., time within 300 s, signature\n"
          "over the body exactly as received), then decrypts its resource with the APIv3\n"
          "key (AEAD_AES_256_GCM). Prints the notification with `resource` replaced by the\n"
          "decrypted event (pretty on a terminal, one line otherwise).\n"
          "\n"
          "  -c CONFIG.json     platform keys and apiv3_key (default: $WXPAY_CONFIG)\n"
          "  --now UNIX_TIME    judge freshness at this time instead of now (for a\n"
          "                     notification saved earlier)\n"
          "  --headers FILE     the request headers, one `Name: value` a line; a request\n"
          "                     line first, CRLF and folded lines are fine; - reads stdin\n"
          "  --v2               an APIv2 callback (XML; no headers needed): a payment\n"
          "                     notification's sign is checked with apiv2_key and its\n"
          "                     fields printed as a JSON object; a refund notification is\n"
          "                     printed with req_info replaced by its decrypted fields\n"
          "BODY_FILE is the request body byte for byte; standard input when none or -.\n"
          "\n"
          "exit: 0 verified and decrypted; 3 it does not verify (a missing or repeated\n"
          "      header, unknown serial, stale time, altered body, or a resource that does\n"
          "      not decrypt): the reason on stderr, nothing on stdout; 2 usage or bad\n"
          "      input (unreadable files, malformed headers, a body that is not a\n"
          "      notification, configuration)\n"
          "\n"
          "examples:\n"
          "  wxpay notify -c keys/CONFIG.json --headers notify.headers notify.body\n"
          "  wxpay notify --now 1700000000 --headers saved.headers - < saved.body\n"
          "  wxpay notify --v2 -c keys/CONFIG.json apiv2-notify.xml\n"
          "  # what to answer WeChat Pay: 204 (or 200) with no body when this exits 0,\n"
          "  # else 4xx/5xx with {\"code\":\"FAIL\",\"message\":\"...\"} so that it retries\n",
          stdout);
}

static int parse_now(const char *s, int64_t *out)
{
    if (!*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return 0;
    *out = strtoll(s, NULL, 10);
    return *out > 0;
}

static int64_t given_clock(void *ud) { return *(const int64_t *)ud; }

static int is_unverified(wx_err e)
{
    return (e >= WX_E_VERIFY_HEADER && e <= WX_E_VERIFY_SIGNATURE) || e == WX_E_DECRYPT;
}

/* The envelope as received with its resource (or req_info) decrypted in place. */
static int print_event(struct json_object *envelope, const char *encrypted,
                       struct json_object *decrypted)
{
    struct json_object *out = json_object_new_object();
    if (!out)
        return cli_fail(CLI_EXIT_USAGE, "notify", "out of memory");
    json_object_object_foreach(envelope, key, val)
    {
        struct json_object *v = decrypted && !strcmp(key, encrypted) ? decrypted : val;
        json_object_object_add(out, key, json_object_get(v));
    }
    int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                       : JSON_C_TO_STRING_PLAIN);
    const char *text = json_object_to_json_string_ext(out, flags);
    int rc = CLI_EXIT_OK;
    if (!text)
        rc = cli_fail(CLI_EXIT_USAGE, "notify", "out of memory");
    else if (cli_write_stdout(text, strlen(text)) == 0)
        cli_write_stdout("\n", 1);
    json_object_put(out);
    return rc == CLI_EXIT_OK ? cli_finish(CLI_EXIT_OK) : rc;
}

static int is_unverified_v2(wx_err e)
{
    return is_unverified(e) || e == WX_E_XML || e == WX_E_HTTP || e == WX_E_UNSUPPORTED ||
           e == WX_E_TOO_LARGE;
}

/* An APIv2 callback: XML, checked with the APIv2 key; no headers take part. */
static int notify_v2(const char *config, const char *body_path)
{
    if (cli_require_config("notify", config) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    char *body = NULL;
    size_t body_len = 0;
    wx_client_t *c = NULL;
    wx_v2_notification_t *n = NULL;
    wx_error_t err = {0};
    int rc = cli_read_input("notify", body_path, &body, &body_len);
    if (rc == CLI_EXIT_OK && wx_client_new_from_config(config, NULL, &c, &err) != WX_OK)
        rc = cli_fail_err(CLI_EXIT_USAGE, "notify", NULL, &err);
    if (rc == CLI_EXIT_OK) {
        wx_err e = wx_v2_notify_verify(c, body, body_len, &n, &err);
        if (e == WX_OK) {
            rc = print_event(n->fields, "req_info", n->req_info);
        } else if (is_unverified_v2(e)) {
            fprintf(stderr, "wxpay notify: the APIv2 notification does not verify: %s (%s)\n",
                    err.message[0] ? err.message : wx_strerror(e), wx_err_name(e));
            rc = CLI_EXIT_UNVERIFIED;
        } else {
            rc = cli_fail_err(CLI_EXIT_USAGE, "notify", NULL, &err);
        }
    }
    wx_v2_notification_free(n);
    wx_client_free(c);
    free(body);
    return rc;
}

typedef struct notify_args {
    const char *config, *now_arg, *headers_path, *body_path;
    int v2;
} notify_args;

/* CLI_EXIT_OK, -1 after printing the help, or the usage error printed. */
static int parse_args(notify_args *a, int argc, char **argv)
{
    enum { OPT_CONFIG, OPT_NOW, OPT_HEADERS, OPT_V2 };
    static const cli_option opts[] = {{"config", 'c', 1, OPT_CONFIG},
                                      {"now", 0, 1, OPT_NOW},
                                      {"headers", 0, 1, OPT_HEADERS},
                                      {"v2", 0, 0, OPT_V2},
                                      {0}};
    cli_parser p;
    cli_parser_init(&p, "notify", argc, argv, 1);
    int k;
    while ((k = cli_next(&p, opts)) != CLI_END) {
        switch (k) {
        case CLI_HELP:
            help();
            return -1;
        case CLI_BAD:
            return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            if (a->body_path)
                return cli_usage_error("notify", "unexpected argument \"%s\"", p.value);
            a->body_path = p.value;
            break;
        case OPT_CONFIG:
            a->config = p.value;
            break;
        case OPT_NOW:
            a->now_arg = p.value;
            break;
        case OPT_HEADERS:
            a->headers_path = p.value;
            break;
        case OPT_V2:
            a->v2 = 1;
            break;
        }
    }
    return CLI_EXIT_OK;
}

/* An APIv3 callback: JSON, checked with the Wechatpay-* headers of the request. */
static int notify_v3(const notify_args *a)
{
    const char *headers_path = a->headers_path, *body_path = a->body_path;
    if (!headers_path)
        return cli_usage_error("notify", "missing --headers HEADERS_FILE");
    int headers_stdin = !strcmp(headers_path, "-");
    if (headers_stdin && (!body_path || !strcmp(body_path, "-")))
        return cli_usage_error("notify", "the headers and the body cannot both come from "
                                         "standard input");
    int64_t now = 0;
    if (a->now_arg && !parse_now(a->now_arg, &now))
        return cli_usage_error("notify", "--now wants a UNIX time in seconds, got \"%s\"",
                               a->now_arg);
    if (cli_require_config("notify", a->config) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;

    char *headers_text = NULL, *body = NULL;
    size_t headers_len = 0, body_len = 0;
    wx_kv_t *headers = NULL;
    wx_client_t *c = NULL;
    wx_notification_t *n = NULL;
    wx_error_t err = {0};
    int rc = cli_read_input("notify", headers_stdin ? NULL : headers_path, &headers_text,
                            &headers_len);
    if (rc == CLI_EXIT_OK)
        rc = cli_read_input("notify", body_path, &body, &body_len);
    if (rc != CLI_EXIT_OK)
        goto out;
    if (wx_notify_headers_parse(headers_text, headers_len, &headers, &err) != WX_OK) {
        rc = cli_fail_err(CLI_EXIT_USAGE, "notify", headers_path, &err);
        goto out;
    }
    wx_client_options_t overrides = {0};
    if (a->now_arg) {
        overrides.clock = given_clock;
        overrides.clock_ud = &now;
    }
    if (wx_client_new_from_config(a->config, &overrides, &c, &err) != WX_OK) {
        rc = cli_fail_err(CLI_EXIT_USAGE, "notify", NULL, &err);
        goto out;
    }
    wx_err e = wx_notify_verify(c, headers, body, body_len, &n, &err);
    if (e == WX_OK) {
        rc = print_event(n->envelope, "resource", n->resource);
    } else if (is_unverified(e)) {
        fprintf(stderr, "wxpay notify: the notification does not verify: %s (%s)\n",
                err.message[0] ? err.message : wx_strerror(e), wx_err_name(e));
        rc = CLI_EXIT_UNVERIFIED;
    } else {
        rc = cli_fail_err(CLI_EXIT_USAGE, "notify", NULL, &err);
    }
out:
    wx_notification_free(n);
    wx_client_free(c);
    wx_free(headers);
    free(headers_text);
    free(body);
    return rc;
}

int wx_cmd_notify(int argc, char **argv)
{
    /* `wxpay notify make` writes a notification (with the sandbox's keys: src/mock/) */
    if (argc > 1 && !strcmp(argv[1], "make"))
        return wx_cmd_notify_make(argc - 1, argv + 1);
    notify_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != CLI_EXIT_OK)
        return rc == -1 ? CLI_EXIT_OK : rc;
    if (a.v2 && (a.headers_path || a.now_arg))
        return cli_usage_error("notify", "--v2 takes neither --headers nor --now");
    return a.v2 ? notify_v2(a.config, a.body_path) : notify_v3(&a);
}
