/* Transitional: replaced by the real commands as they land. */
#include <stdio.h>
#include "commands.h"

static int later(char **argv)
{
    fprintf(stderr, "wxpay %s: not available yet\n", argv[0]);
    return 2;
}
int wx_cmd_sign(int argc, char **argv) { (void)argc; return later(argv); }
int wx_cmd_verify(int argc, char **argv) { (void)argc; return later(argv); }
int wx_cmd_encrypt(int argc, char **argv) { (void)argc; return later(argv); }
int wx_cmd_decrypt(int argc, char **argv) { (void)argc; return later(argv); }
