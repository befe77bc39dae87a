/* Transitional: replaced by the real command as it lands. */
#include <stdio.h>
#include "commands.h"

int wx_cmd_keys(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "wxpay %s: not available yet\n", argv[0]);
    return 2;
}
