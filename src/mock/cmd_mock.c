/* wxpay mock: the sandbox server's command line, start-up and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "lifecycle.h"
#include "mock.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wxpay mock [--port N] [--spec-dir DIR]... [--keys DIR] [--fault MODE] [--tls]\n"
            "                  [--sign-with cert|pubkey] [--state FILE] [--notify-backoff SECONDS]\n"
            "                  [--notify-any-host] [--quiet]\n"
            "\n"
            "A local WeChat Pay APIv3 sandbox on 127.0.0.1. It verifies each request's\n"
            "Authorization signature with the merchant certificate (401 SIGN_ERROR), routes\n"
            "the path through the spec tree (404 NOT_FOUND), validates path variables, query,\n"
            "headers and body (400 PARAM_ERROR with the violations in \"detail\"), and answers\n"
            "with the spec's example response, signed with the platform key like WeChat Pay.\n"
            "GET /v3/certificates returns the platform certificate encrypted with apiv3_key.\n"
            "\n"
            "options:\n"
            "  --port N         port to listen on (default 8080; 0 picks a free one)\n"
            "  --spec-dir DIR   add a spec tree after the built-in one (repeatable; later wins)\n"
            "  --keys DIR       folder made by `wxpay keys gen` (default $WXPAY_KEYS or ./keys):\n"
            "                   CONFIG.json and mock.json are read from it\n"
            "  --fault MODE     misbehave on every request (see below)\n"
            "  --tls            serve HTTPS with a CA made at start; its certificate is written\n"
            "                   to DIR/mock-ca.pem for clients to trust\n"
            "  --sign-with K    cert: sign with the platform certificate's key (default);\n"
            "                   pubkey: sign with the WeChat Pay public key, Wechatpay-Serial\n"
            "                   is then its PUB_KEY_ID_...\n"
            "  --state FILE     keep orders, refunds and pending callbacks in this SQLite file\n"
            "                   (created if missing); a sandbox restarted on it, even after\n"
            "                   kill -9, has lost nothing and delivers what was pending.\n"
            "                   Without it the state lives in memory\n"
            "  --notify-backoff SECONDS\n"
            "                   first retry interval of a callback that got no 2xx (default\n"
            "                   15, WeChat Pay's); later ones follow WeChat Pay's schedule\n"
            "                   (15s 15s 30s 3m 10m 20m 30m 30m 30m 60m 3h 3h 3h 6h 6h) scaled\n"
            "  --notify-any-host\n"
            "                   deliver callbacks to any host (default: loopback URLs only)\n"
            "  --quiet          no per-request log line\n"
            "\n"
            "payment lifecycle: orders made with POST /v3/pay/transactions/{jsapi,native,app,h5}\n"
            "are NOTPAY until paid; queries, close, refunds and refund queries act on them and\n"
            "answer WeChat Pay's business errors (404 ORDER_NOT_EXIST, 400 ORDERPAID, ...);\n"
            "so do combined orders, profit sharing and trade bills (built from the day's orders).\n"
            "A paid order or completed refund is POSTed to its notify_url, signed and encrypted\n"
            "like WeChat Pay's callbacks. The control API (plain JSON, loopback peers only):\n"
            "  POST /mock/pay {\"out_trade_no\": \"..\"}               pay an order (or\n"
            "                                                      {\"combine_out_trade_no\"})\n"
            "  POST /mock/refund/succeed {\"out_refund_no\": \"..\"}   complete a refund\n"
            "  GET  /mock/notifications                            callbacks, oldest first\n"
            "  POST /mock/next-payment {\"outcome\": \"PAYERROR\"}    or USERPAYING, SUCCESS:\n"
            "                                                      how the next payment ends\n"
            "  POST /mock/reset                                    forget all state\n"
            "\n"
            "fault modes (for one request only: send the header `Wxpay-Mock-Fault: MODE`;\n"
            "`Wxpay-Mock-Fault: none` switches a server-wide fault off for that request):\n"
            "%s"
            "\n"
            "Prints `listening on http://127.0.0.1:PORT` once it accepts connections, then\n"
            "one line per request (`METHOD /path?query -> STATUS (fault) Nms`). SIGINT or\n"
            "SIGTERM stop it with a one-line summary; the exit status is then 0.\n"
            "\n"
            "examples:\n"
            "  wxpay keys gen keys && wxpay mock --keys keys --port 8080\n"
            "  wxpay -c keys/CONFIG.json --json @body.json POST /v3/industry-coupon/tokens\n"
            "  wxpay mock --keys keys --port 0 --fault bad-signature\n"
            "  wxpay mock --keys keys --tls --spec-dir ./my-specs\n"
            "  curl -H 'Wxpay-Mock-Fault: http-500' ...   (one faulty answer)\n",
            wx_mock_fault_help());
}

static int g_stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t w = write(g_stop_pipe[1], &b, 1);
    (void)w;
    errno = saved;
}

static int write_ca(const char *dir, const char *pem)
{
    size_t n = strlen(dir) + 32;
    char *path = malloc(n), *tmp = malloc(n + 24);
    if (!path || !tmp) {
        free(path);
        free(tmp);
        return -1;
    }
    snprintf(path, n, "%s/mock-ca.pem", dir);
    snprintf(tmp, n + 24, "%s.tmp-%ld", path, (long)getpid());
    /* written aside and renamed, so a client never reads half a file */
    FILE *f = fopen(tmp, "wb");
    int rc = -1;
    if (f) {
        size_t len = strlen(pem);
        rc = fwrite(pem, 1, len, f) == len ? 0 : -1;
        if (fclose(f) != 0)
            rc = -1;
        if (rc == 0)
            rc = rename(tmp, path);
        if (rc != 0)
            unlink(tmp);
    }
    if (rc != 0)
        fprintf(stderr, "wxpay mock: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    free(tmp);
    return rc;
}

typedef struct mock_args {
    int port;
    const char *keys;
    const char **spec_dirs; /* NULL-terminated */
    size_t n_spec_dirs;
    wx_mock_fault fault;
    int tls;
    int quiet;
    wx_mock_sign_with sign_with;
    const char *state;      /* --state FILE, or NULL: in memory */
    double notify_backoff;  /* seconds */
    int notify_any_host;
} mock_args;

enum {
    OPT_TLS, OPT_QUIET, OPT_NOTIFY_ANY_HOST, OPT_STATE, OPT_NOTIFY_BACKOFF, OPT_PORT, OPT_KEYS,
    OPT_SPEC_DIR, OPT_FAULT, OPT_SIGN_WITH
};

/* One option with its value: 0, or the usage error printed. */
static int take_option(mock_args *a, int k, const char *v)
{
    char *end;
    switch (k) {
    case OPT_TLS:
        a->tls = 1;
        return 0;
    case OPT_QUIET:
        a->quiet = 1;
        return 0;
    case OPT_NOTIFY_ANY_HOST:
        a->notify_any_host = 1;
        return 0;
    case OPT_STATE:
        a->state = v;
        return *v ? 0 : cli_usage_error("mock", "--state needs a file");
    case OPT_NOTIFY_BACKOFF: {
        errno = 0;
        double b = strtod(v, &end);
        if (!*v || *end || errno || !(b >= 0.001 && b <= 86400))
            return cli_usage_error("mock", "--notify-backoff needs seconds from 0.001 to 86400, "
                                   "not '%s'", v);
        a->notify_backoff = b;
        return 0;
    }
    case OPT_PORT: {
        errno = 0;
        long p = strtol(v, &end, 10);
        if (!*v || *end || errno || p < 0 || p > 65535)
            return cli_usage_error("mock", "--port needs a number from 0 to 65535, not '%s'", v);
        a->port = (int)p;
        return 0;
    }
    case OPT_KEYS:
        a->keys = v;
        return *v ? 0 : cli_usage_error("mock", "--keys needs a directory");
    case OPT_SPEC_DIR:
        a->spec_dirs[a->n_spec_dirs++] = v;
        return *v ? 0 : cli_usage_error("mock", "--spec-dir needs a directory");
    case OPT_FAULT:
        return wx_mock_fault_parse(v, strlen(v), &a->fault) == 0
                   ? 0 : cli_usage_error("mock", "unknown fault mode '%s'", v);
    default: /* OPT_SIGN_WITH */
        if (!strcmp(v, "cert"))
            a->sign_with = WX_SIGN_WITH_CERT;
        else if (!strcmp(v, "pubkey"))
            a->sign_with = WX_SIGN_WITH_PUBKEY;
        else
            return cli_usage_error("mock", "--sign-with is cert or pubkey, not '%s'", v);
        return 0;
    }
}

/* 0 on success, 1 for --help (printed), 2 for a bad argument (printed). */
static int parse_args(int argc, char **argv, mock_args *a)
{
    static const cli_option opts[] = {
        {"tls", 0, 0, OPT_TLS}, {"quiet", 'q', 0, OPT_QUIET},
        {"notify-any-host", 0, 0, OPT_NOTIFY_ANY_HOST}, {"state", 0, 1, OPT_STATE},
        {"notify-backoff", 0, 1, OPT_NOTIFY_BACKOFF}, {"port", 0, 1, OPT_PORT},
        {"keys", 0, 1, OPT_KEYS}, {"spec-dir", 0, 1, OPT_SPEC_DIR}, {"fault", 0, 1, OPT_FAULT},
        {"sign-with", 0, 1, OPT_SIGN_WITH}, {0}};
    const char *env = getenv("WXPAY_KEYS");
    a->port = 8080;
    a->keys = env && *env ? env : "keys";
    a->notify_backoff = 15;
    a->spec_dirs = calloc((size_t)argc + 1, sizeof *a->spec_dirs);
    if (!a->spec_dirs)
        return cli_fail(CLI_EXIT_USAGE, "mock", "out of memory");
    cli_parser p;
    cli_parser_init(&p, "mock", argc, argv, 1);
    int k, rc = 0;
    while (rc == 0 && (k = cli_next(&p, opts)) != CLI_END) {
        if (k == CLI_HELP) {
            usage(stdout);
            return 1;
        }
        if (k == CLI_BAD)
            return CLI_EXIT_USAGE;
        rc = k == CLI_POSITIONAL ? cli_usage_error("mock", "unknown argument '%s'", p.value)
                                 : take_option(a, k, p.value);
    }
    return rc;
}

/* SIGINT and SIGTERM write to g_stop_pipe, which run() waits on. */
static int install_signals(void)
{
    if (pipe(g_stop_pipe) != 0) {
        fprintf(stderr, "wxpay mock: pipe: %s\n", strerror(errno));
        return -1;
    }
    fcntl(g_stop_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* The store (--state FILE or memory) and the callback thread over it. */
static int start_state(const mock_args *a, const wx_mock_config *cfg, wx_mock_store **store,
                       wx_mock_notifier **notifier)
{
    char why[512];
    *notifier = NULL;
    *store = wx_mock_store_open(a->state, why, sizeof why);
    if (!*store) {
        fprintf(stderr, "wxpay mock: --state %s\n", why);
        return -1;
    }
    wx_mock_notifier_options no = {.cfg = cfg, .store = *store, .sign_with = a->sign_with,
                                   .backoff_s = a->notify_backoff,
                                   .any_host = a->notify_any_host, .quiet = a->quiet};
    *notifier = wx_mock_notifier_start(&no, why, sizeof why);
    if (!*notifier) {
        fprintf(stderr, "wxpay mock: %s\n", why);
        wx_mock_store_close(*store);
        *store = NULL;
        return -1;
    }
    return 0;
}

static int run(const mock_args *a)
{
    char why[512];
    wx_mock_config cfg;
    if (wx_mock_config_load(a->keys, &cfg, why, sizeof why) != 0) {
        fprintf(stderr, "wxpay mock: keys folder %s: %s\n", a->keys, why);
        return 2;
    }
    if (a->sign_with == WX_SIGN_WITH_PUBKEY && !cfg.pubkey_key) {
        fprintf(stderr, "wxpay mock: --sign-with pubkey: mock.json names no public_key_id and "
                        "public_key_private_key\n");
        wx_mock_config_free(&cfg);
        return 2;
    }

    /* CONFIG.json's spec_dir first, then --spec-dir in order (later ones win). */
    const char **dirs = calloc(a->n_spec_dirs + 2, sizeof *dirs);
    size_t nd = 0;
    if (dirs && cfg.spec_dir)
        dirs[nd++] = cfg.spec_dir;
    for (size_t i = 0; dirs && i < a->n_spec_dirs; i++)
        dirs[nd++] = a->spec_dirs[i];
    wx_spec_options_t sopts = {.dirs = dirs};
    wx_spec_t *spec = NULL;
    wx_error_t err = {0};
    if (!dirs || wx_spec_new(&sopts, &spec, &err) != WX_OK) {
        fprintf(stderr, "wxpay mock: spec: %s%s%s\n", err.where, err.where[0] ? ": " : "",
                dirs ? err.message : "out of memory");
        free(dirs);
        wx_mock_config_free(&cfg);
        return 2;
    }

    wx_mock_tls tls = {0};
    int rc = 1;
    wx_mock_server *server = NULL;
    wx_mock_store *store = NULL;
    wx_mock_notifier *notifier = NULL;
    if (start_state(a, &cfg, &store, &notifier) != 0)
        goto out;
    if (a->tls) {
        if (wx_mock_tls_generate(&tls, why, sizeof why) != 0) {
            fprintf(stderr, "wxpay mock: --tls: %s\n", why);
            goto out;
        }
        if (write_ca(a->keys, tls.ca_pem) != 0)
            goto out;
    }

    if (install_signals() != 0)
        goto out;

    wx_mock_server_options so = {
        .port = a->port,
        .tls = a->tls,
        .quiet = a->quiet,
        .sign_with = a->sign_with,
        .handler = {.cfg = &cfg, .spec = spec, .default_fault = a->fault, .max_skew_s = WX_DEFAULT_MAX_SKEW_S,
                    .tls = a->tls, .store = store, .notifier = notifier},
        .tls_material = &tls,
        .client_ca_pem = cfg.merchant_cert_pem,
    };
    server = wx_mock_server_start(&so, why, sizeof why);
    if (!server) {
        fprintf(stderr, "wxpay mock: %s\n", why);
        goto out;
    }
    printf("listening on %s://127.0.0.1:%d\n", a->tls ? "https" : "http",
           wx_mock_server_port(server));
    if (a->fault != WX_FAULT_NONE)
        printf("fault mode: %s\n", wx_mock_fault_name(a->fault));
    fflush(stdout);

    unsigned char sig = 0;
    while (read(g_stop_pipe[0], &sig, 1) < 0 && errno == EINTR)
        ;
    char summary[512];
    /* counted after the daemon has finished every open connection */
    wx_mock_server_stop(server, summary, sizeof summary);
    server = NULL;
    printf("stopped (%s): %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM", summary);
    fflush(stdout);
    rc = 0;
out:
    if (server)
        wx_mock_server_stop(server, NULL, 0);
    wx_mock_notifier_stop(notifier);
    wx_mock_store_close(store);
    wx_mock_tls_free(&tls);
    wx_spec_free(spec);
    free(dirs);
    wx_mock_config_free(&cfg);
    for (int i = 0; i < 2; i++)
        if (g_stop_pipe[i] >= 0) {
            close(g_stop_pipe[i]);
            g_stop_pipe[i] = -1;
        }
    return rc;
}

int wx_cmd_mock(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    mock_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc == 0)
        rc = run(&a);
    else if (rc == 1)
        rc = 0;
    free(a.spec_dirs);
    return rc;
}
