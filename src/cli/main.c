/* wxpay: the command-line face of libwechatpay. This file only dispatches. */
#include <stdio.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command k_commands[] = {
    {"expand", wx_cmd_expand, "expand an RFC 6570 URI template"},
    {"validate", wx_cmd_validate, "validate a body against a schema or an endpoint spec"},
    {"spec", wx_cmd_spec, "spec lint: load and check spec directories"},
    {"sign", wx_cmd_sign, "SHA256withRSA signature of a message"},
    {"verify", wx_cmd_verify, "check a SHA256withRSA signature"},
    {"encrypt", wx_cmd_encrypt, "RSA-OAEP encrypt a sensitive field"},
    {"decrypt", wx_cmd_decrypt, "RSA-OAEP or AEAD_AES_256_GCM decrypt"},
    {"keys", wx_cmd_keys, "keys gen DIR: test merchant and platform keys"},
    {"mock", wx_cmd_mock, "run the sandbox server on loopback"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wxpay [-c CONFIG.json] [--base-url URL] [--json BODY|@FILE|-] [--var k=v]...\n"
            "             [--query k=v]... [--header 'K: V']... [-i] METHOD PATH\n"
            "       wxpay COMMAND [ARGS]   (wxpay COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(out, "  %-9s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(out, "\nlibwechatpay %s (%s)\n", wx_version(), wx_crypto_backend());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("wxpay %s (%s)\n", wx_version(), wx_crypto_backend());
        return 0;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (!strcmp(argv[1], k_commands[i].name))
            return k_commands[i].run(argc - 1, argv + 1);
    return wx_cmd_request(argc, argv);
}
