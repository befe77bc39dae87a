/* wxpay: the command-line face of libwechatpay. This file only dispatches: a known
 * command name goes to its command, anything else is the request form
 * `wxpay [options] METHOD PATH`. */
#include <stdio.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

/* In the order `wxpay --help` lists them; a new command is one more line here. */
static const command k_commands[] = {
    {"expand", wx_cmd_expand, "expand an RFC 6570 URI template"},
    {"validate", wx_cmd_validate, "validate JSON against a schema, or a request against its spec"},
    {"spec", wx_cmd_spec, "spec lint: load and check spec directories"},
    {"sign", wx_cmd_sign, "SHA256withRSA signature of a message"},
    {"verify", wx_cmd_verify, "check a SHA256withRSA signature"},
    {"encrypt", wx_cmd_encrypt, "RSA-OAEP encrypt a sensitive field"},
    {"decrypt", wx_cmd_decrypt, "RSA-OAEP or AEAD_AES_256_GCM decrypt"},
    {"keys", wx_cmd_keys, "keys gen DIR: test merchant and platform keys"},
    {"mock", wx_cmd_mock, "run the sandbox server on loopback"},
    {"notify", wx_cmd_notify, "verify a saved callback notification and decrypt it"},
    {"certs", wx_cmd_certs, "download, decrypt and check the platform certificates"},
    {"bench", wx_cmd_bench, "load generator: N signed, verified requests, latency and rate"},
};

#define COMMAND_COUNT (sizeof k_commands / sizeof k_commands[0])

void wx_cli_usage(FILE *out)
{
    fprintf(out,
            "usage: wxpay [-c CONFIG.json] [--base-url URL] [--ca-file PEM] [--json BODY|@FILE|-]\n"
            "             [--var k=v]... [--query k=v]... [--header 'K: V']... [--upload FILE]\n"
            "             [--download FILE] [-i] [-v] METHOD PATH\n"
            "       wxpay COMMAND [ARGS]   (wxpay COMMAND --help for its options)\n"
            "\n"
            "The first form sends one signed request and verifies the answer:\n"
            "  -c CONFIG.json   mchid, serial, private_key, platform keys (default: $WXPAY_CONFIG)\n"
            "  --base-url URL   send here instead of the configured base_url\n"
            "  --ca-file PEM    trust these certificate authorities for TLS (also the\n"
            "                   CONFIG.json key ca_file; `wxpay mock --tls` writes mock-ca.pem)\n"
            "  --json BODY      the JSON body: text, @FILE, or - for standard input\n"
            "  --var k=v        a path variable, for {k} or _k_ in PATH (repeatable)\n"
            "  --query k=v      a query parameter, in the order given (repeatable)\n"
            "  --header 'K: V'  an extra request header (repeatable)\n"
            "  --upload FILE    a media upload: FILE goes as multipart with the signed meta\n"
            "                   part {filename, sha256} (POST v3/merchant/media/upload)\n"
            "  --download FILE  after a bill request (GET v3/bill/tradebill ...), fetch the bill\n"
            "                   its answer announces into FILE, written only when its digest\n"
            "                   matches (exit 3 when it does not); with POST v2/pay/downloadbill\n"
            "                   (or downloadfundflow) the answer is the bill, streamed into FILE\n"
            "  -i, --include    print the status line and headers before the body\n"
            "  -v, --verbose    show the request and response on stderr (signature masked)\n"
            "METHOD is GET, POST, PUT, PATCH or DELETE (any case). PATH may be written\n"
            "v3/industry-coupon/tokens, /v3/industry-coupon/tokens or v3.industryCoupon.tokens,\n"
            "with variables as {name} or _name_.\n"
            "The body is printed as received (pretty JSON on a terminal).\n"
            "exit: 0 verified 2xx; 1 verified HTTP error (code and message on stderr);\n"
            "      2 usage or bad input, nothing sent; 3 the response does not verify\n"
            "      (or none came), nothing printed on stdout\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-9s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(out,
            "\n"
            "examples:\n"
            "  wxpay keys gen keys && wxpay mock --keys keys &\n"
            "  wxpay -c keys/CONFIG.json --json '{\"open_id\":\"o1\",\"coupon_list\":"
            "[{\"stock_id\":1,\"coupon_id\":\"c1\"}]}' \\\n"
            "        POST v3/industry-coupon/tokens\n"
            "  wxpay -c keys/CONFIG.json --var transaction_id=4200000001 --query mchid=1900000001 \\\n"
            "        GET v3.pay.transactions.id._transaction_id_\n"
            "\nlibwechatpay %s (%s)\n",
            wx_version(), wx_crypto_backend_version());
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (!strcmp(name, k_commands[i].name))
            return &k_commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("wxpay: missing a command or METHOD PATH (wxpay --help for usage)\n", stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        /* `wxpay help COMMAND` is `wxpay COMMAND --help` */
        const command *c = argc > 2 ? find(argv[2]) : NULL;
        if (c) {
            char *args[] = {argv[2], "--help", NULL};
            return c->run(2, args);
        }
        if (argc > 2) {
            fprintf(stderr, "wxpay help: no command \"%s\" (wxpay --help lists them)\n", argv[2]);
            return 2;
        }
        wx_cli_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("wxpay %s (%s)\n", wx_version(), wx_crypto_backend_version());
        return 0;
    }
    const command *c = find(argv[1]);
    if (c)
        return c->run(argc - 1, argv + 1);
    return wx_cmd_request(argc, argv);
}
