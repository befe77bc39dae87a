/* The wxpay subcommands. Each lives in its own file and uses only the public API
 * (as curl's tool uses only libcurl). Every command returns the process exit code:
 * 0 success, 1 a verified failure (invalid body, HTTP error), 2 usage or bad input,
 * 3 a verification failure. */
#ifndef WXPAY_CLI_COMMANDS_H
#define WXPAY_CLI_COMMANDS_H

#include <stdio.h>

int wx_cmd_request(int argc, char **argv);   /* wxpay [options] METHOD PATH  (cmd_request.c) */
int wx_cmd_expand(int argc, char **argv);    /* wxpay expand                 (cmd_expand.c) */
int wx_cmd_validate(int argc, char **argv);  /* wxpay validate               (cmd_validate.c) */
int wx_cmd_spec(int argc, char **argv);      /* wxpay spec lint              (cmd_spec.c) */
int wx_cmd_sign(int argc, char **argv);      /* wxpay sign                   (cmd_crypto.c) */
int wx_cmd_verify(int argc, char **argv);    /* wxpay verify                 (cmd_crypto.c) */
int wx_cmd_encrypt(int argc, char **argv);   /* wxpay encrypt                (cmd_crypto.c) */
int wx_cmd_decrypt(int argc, char **argv);   /* wxpay decrypt                (cmd_crypto.c) */
int wx_cmd_keys(int argc, char **argv);      /* wxpay keys gen               (cmd_keys.c) */
int wx_cmd_mock(int argc, char **argv);      /* wxpay mock                   (src/mock/) */
int wx_cmd_notify(int argc, char **argv);    /* wxpay notify                 (cmd_notify.c) */
int wx_cmd_notify_make(int argc, char **argv); /* wxpay notify make        (src/mock/) */
int wx_cmd_certs(int argc, char **argv);     /* wxpay certs                  (cmd_certs.c) */
int wx_cmd_bench(int argc, char **argv);     /* wxpay bench                  (cmd_bench.c) */

/* The top-level help: the request form with its options, then the commands (main.c). */
void wx_cli_usage(FILE *out);

#endif
